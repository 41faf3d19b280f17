#!/bin/bash
# Throwaway single-node Ceph cluster for tests: 1 monitor + 1 in-memory storage daemon (memstore, capped
# at 4 GiB), internal auth off, pool size 1, one S3 user, and radosgw (Ceph's S3 gateway) on 127.0.0.1:PORT.
# Adapted from the team recipe (recipes/s3-server); the project must not read that folder at test time.
#
# usage: start-rgw.sh DIR PORT ACCESS_KEY SECRET_KEY      (env MONPORT: monitor port, default 16789)
#   DIR must be missing or empty; it receives ceph.conf, the mon store, pid files (DIR/run/*.pid) and
#   logs (DIR/log). Stop with stop-rgw.sh DIR. Runs as root or as an unprivileged user.
# Needs Debian packages: radosgw ceph-mon ceph-osd (uuid-runtime optional).
# Ports used: PORT, MONPORT and a few in 6800-7300 (storage daemon, picked free by Ceph itself).
#
# If anything fails half-way, the daemons already started are killed again (trap below), so a failed
# start leaves no process behind; DIR (with its logs) is kept for inspection.
set -euo pipefail
if [ $# -lt 4 ]; then echo "usage: $0 DIR PORT ACCESS_KEY SECRET_KEY  (env MONPORT)" >&2; exit 2; fi
D=$1; PORT=$2; AK=$3; SK=$4
MONPORT=${MONPORT:-16789}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ -e "$D" ] && [ -n "$(ls -A "$D")" ]; then echo "start-rgw.sh: $D is not empty" >&2; exit 2; fi
mkdir -p "$D"/{mon,osd0,run,log}
D=$(cd "$D" && pwd)

ok=0
trap 'echo "start-rgw.sh: failed (line $LINENO): $BASH_COMMAND; logs in $D/log" >&2' ERR
cleanup() { [ "$ok" = 1 ] || KEEP_DIR=1 bash "$HERE/stop-rgw.sh" "$D" || true; }
trap cleanup EXIT

busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$PORT" "$MONPORT"; do
  if busy "$p"; then echo "start-rgw.sh: 127.0.0.1:$p is already in use" >&2; exit 3; fi
done

uuid() { uuidgen 2>/dev/null || cat /proc/sys/kernel/random/uuid; }
FSID=$(uuid)
cat > "$D/ceph.conf" <<CONF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MONPORT
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
run dir = $D/run
admin socket = $D/run/\$name.asok
pid file = $D/run/\$name.pid
log file = $D/log/\$name.log
log to stderr = false
err to stderr = true
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
mon allow pool delete = true
osd crush chooseleaf type = 0
mon max pg per osd = 10000
# Speed: the monitor batches map changes for 1 s by default; each pool radosgw creates waits for one
# or more of those rounds (user create took 9 s, first bucket and first object ~2 s each). With this
# the whole start takes ~1.5 s instead of ~12 s.
paxos propose interval = 0.05
paxos min wait = 0.001
# Without these radosgw retries the monitor forever.
ms mon client mode = crc secure
ms mon service mode = crc secure
ms mon cluster mode = crc secure
ms client mode = crc secure
[mon]
mon data = $D/mon
[osd]
osd data = $D/osd\$id
osd objectstore = memstore
memstore device bytes = 4294967296
osd max object size = 134217728
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw dns name = localhost
rgw enable usage log = false
rgw thread pool size = 64
CONF
C=(-c "$D/ceph.conf")
monmaptool --create --addv a "[v2:127.0.0.1:$MONPORT]" --fsid "$FSID" "$D/monmap" >/dev/null
ceph-mon "${C[@]}" --mkfs -i a --monmap "$D/monmap" 2>>"$D/log/setup.err"
ceph-mon "${C[@]}" -i a 2>>"$D/log/setup.err"
OSD_UUID=$(uuid)
timeout 30 ceph "${C[@]}" osd new "$OSD_UUID" >/dev/null 2>>"$D/log/setup.err"
ceph-osd "${C[@]}" -i 0 --mkfs --osd-uuid "$OSD_UUID" 2>>"$D/log/setup.err"
ceph-osd "${C[@]}" -i 0 2>>"$D/log/setup.err"
timeout 60 radosgw-admin "${C[@]}" user create --uid=test --display-name=test \
  --access-key="$AK" --secret-key="$SK" >/dev/null 2>>"$D/log/setup.err"
# accept CreateBucket LocationConstraint "auto" (what the SDK sends for region auto, like R2)
timeout 60 radosgw-admin "${C[@]}" zonegroup modify --rgw-zonegroup=default --api-name=auto \
  >/dev/null 2>>"$D/log/setup.err"
bash "$HERE/rgw-gateway.sh" "$D" start
ok=1
