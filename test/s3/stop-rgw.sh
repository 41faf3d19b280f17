#!/bin/bash
# usage: stop-rgw.sh DIR   Stops the cluster started by start-rgw.sh DIR and removes DIR
#   (set KEEP_DIR=1 to keep it, e.g. to read DIR/log after a failed start).
# Kills radosgw, osd and mon by their pid files with SIGKILL: the data lives in memory and is thrown
# away anyway, and a polite SIGTERM costs 4-10 s per daemon. A pid is only killed if that process's
# command line names DIR/ceph.conf, so a stale pid file never hits an unrelated process.
# Exits 0 even if DIR is gone already.
set -uo pipefail
D=${1:?usage: stop-rgw.sh DIR}
[ -d "$D" ] || exit 0
D=$(cd "$D" && pwd)
ours() { [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -F -- "$D/ceph.conf" >/dev/null; }
# alive = exists and is not a zombie (a zombie holds no ports and no memory)
alive() { local s; s=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) && [ -n "$s" ] && [ "$s" != Z ]; }
pids=()
for f in "$D"/run/*.pid; do
  [ -f "$f" ] || continue
  p=$(cat "$f" 2>/dev/null) || continue
  [[ "$p" =~ ^[0-9]+$ ]] || continue
  if ours "$p"; then kill -KILL "$p" 2>/dev/null && pids+=("$p"); fi
  rm -f "$f"
done
# Fallback: any process still started with this DIR's ceph.conf (a daemon killed before it wrote its pid
# file, a ceph/radosgw-admin command still waiting); the DIR path is unique, so this hits only ours.
for c in /proc/[0-9]*/cmdline; do
  p=${c#/proc/}; p=${p%/cmdline}
  case "$(cat "/proc/$p/comm" 2>/dev/null)" in ceph-mon|ceph-osd|radosgw|radosgw-admin|ceph|rados) ;; *) continue ;; esac
  alive "$p" && ours "$p" && kill -KILL "$p" 2>/dev/null && pids+=("$p")
done
for p in "${pids[@]}"; do
  for _ in $(seq 1 200); do alive "$p" || break; sleep 0.05; done
  if alive "$p"; then echo "stop-rgw.sh: pid $p did not exit" >&2; fi
done
if [ "${KEEP_DIR:-0}" != 1 ]; then
  # only remove what start-rgw.sh made
  if [ -f "$D/ceph.conf" ] || [ -d "$D/run" ]; then rm -rf "$D"; else echo "stop-rgw.sh: $D does not look like a cluster dir, kept" >&2; fi
fi
exit 0
