#!/bin/bash
# usage: rgw-gateway.sh DIR stop [SIGNAL]  |  rgw-gateway.sh DIR start
# Stops or (re)starts ONLY the radosgw daemon of the cluster that start-rgw.sh built in DIR: same port,
# same data; the monitor and the storage daemon stay up. Lets a test take the S3 server down (e.g. in
# the middle of an upload) and bring it back.
#   stop:  SIGNAL defaults to KILL (abrupt, like a crash or a dropped connection; the port is closed at
#          once). TERM is a graceful shutdown. Returns once the process is gone, its leftover watches
#          are cleared (see below) and the port refuses connections. No-op if radosgw is not running.
#   start: returns once radosgw accepts connections on its port (~0.1-0.2 s). No-op if already running.
set -euo pipefail
D=${1:?usage: rgw-gateway.sh DIR stop|start}; ACTION=${2:?usage: rgw-gateway.sh DIR stop|start}
SIG=${3:-KILL}
[ -f "$D/ceph.conf" ] || { echo "rgw-gateway.sh: no cluster in $D" >&2; exit 2; }
D=$(cd "$D" && pwd)
PIDF="$D/run/client.rgw.a.pid"
C=(-c "$D/ceph.conf")
PORT=$(sed -n 's/^rgw frontends = .*endpoint=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$D/ceph.conf")
[ -n "$PORT" ] || { echo "rgw-gateway.sh: no port in $D/ceph.conf" >&2; exit 2; }

ours() { [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -F -- "$D/ceph.conf" >/dev/null; }
alive() { local s; s=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) && [ -n "$s" ] && [ "$s" != Z ]; }
gw_pid() { local p; [ -f "$PIDF" ] && p=$(cat "$PIDF" 2>/dev/null) && [[ "$p" =~ ^[0-9]+$ ]] && alive "$p" && ours "$p" && echo "$p"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }
# true if process $1 itself has a socket listening on 127.0.0.1:$PORT (not some other process)
listens() {
  local hex inodes i
  hex=$(printf '%04X' "$PORT")
  inodes=$(awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { print $10 }' /proc/net/tcp)
  for i in $inodes; do
    ls -l "/proc/$1/fd" 2>/dev/null | grep -F "socket:[$i]" >/dev/null && return 0
  done
  return 1
}

do_stop() {  # $1: signal name
  local p stale a
  if p=$(gw_pid); then
    kill "-$1" "$p"
    for _ in $(seq 1 600); do alive "$p" || break; sleep 0.02; done
    if alive "$p"; then echo "rgw-gateway.sh: radosgw $p did not exit after SIG$1" >&2; return 1; fi
  fi
  rm -f "$PIDF"
  # A killed radosgw leaves its watches on the control objects behind (the storage daemon only drops
  # them after osd_client_watch_timeout, 30 s). The next radosgw's first write notifies every watcher
  # and waits for the dead one: ~25-30 s. Blocklisting the dead client drops its watches at once.
  # (No radosgw is running now, so every watcher there is stale.)
  for _ in 1 2 3; do
    stale=$(for o in $(timeout 10 rados "${C[@]}" -p default.rgw.control ls 2>/dev/null); do
              timeout 10 rados "${C[@]}" -p default.rgw.control listwatchers "$o" 2>/dev/null; done \
            | sed -n 's/^watcher=\([^ ]*\) .*/\1/p' | sort -u) || true
    [ -n "$stale" ] || break
    for a in $stale; do timeout 20 ceph "${C[@]}" osd blocklist add "$a" >/dev/null 2>&1 || true; done
    sleep 0.1
  done
  for _ in $(seq 1 250); do port_open || return 0; sleep 0.02; done
  echo "rgw-gateway.sh: something still listens on 127.0.0.1:$PORT" >&2; return 1
}

do_start() {
  local p
  if gw_pid >/dev/null; then return 0; fi
  rm -f "$PIDF"
  if port_open; then echo "rgw-gateway.sh: 127.0.0.1:$PORT is already in use by another process" >&2; return 1; fi
  radosgw "${C[@]}" -n client.rgw.a 2>>"$D/log/setup.err"   # daemonizes, writes $PIDF
  # Ready when the radosgw from our pid file itself listens on PORT (a process that took the port in
  # the meantime is not mistaken for ours). No curl needed. Normally takes 0.1-0.2 s.
  for _ in $(seq 1 500); do
    if p=$(gw_pid) && listens "$p"; then return 0; fi
    if [ -f "$PIDF" ] && ! gw_pid >/dev/null; then break; fi   # it started and died
    sleep 0.02
  done
  echo "rgw-gateway.sh: radosgw did not come up on 127.0.0.1:$PORT (logs in $D/log)" >&2
  do_stop KILL || true   # e.g. it could not bind and is still shutting down: don't leave it behind
  return 1
}

case "$ACTION" in
  stop) do_stop "$SIG" ;;
  start) do_start ;;
  *) echo "usage: rgw-gateway.sh DIR stop|start" >&2; exit 2 ;;
esac
