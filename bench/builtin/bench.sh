#!/bin/bash
# hardrun run (builtin runtime) vs runc run on the same hardened config, vs a
# bare `unshare --fork` of the same namespaces.  Interleaved rounds (one of
# each per round, so drift hits all three alike); prints medians and ratios.
# Usage: bench.sh [ROUNDS]   (HARDRUN=path/to/hardrun, RUNC=path/to/runc)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"
ROUNDS=${1:-${BENCH_N:-30}}
: "${RUNC:=$(command -v runc || echo /usr/sbin/runc)}"
[ "$(id -u)" = 0 ] || { echo "bench needs root" >&2; exit 1; }
[ -x "$HARDRUN" ] || { echo "no hardrun at $HARDRUN" >&2; exit 1; }
W=$(mktemp -d /tmp/hr-bench.XXXXXX)
chmod 755 "$W"
# The runtimes' state lives under /run, as their defaults (/run/hardrun,
# /run/runc) do.  /run is a tmpfs on a systemd host but may be a disk
# (this development VM: ext4 with online discard, where every state file
# created and removed costs a journal update and a discard).  BENCH_TMPFS=1
# puts all of it, runc's and hardrun's own (policy stateDir), on a private
# tmpfs instead, as deployed.
S=$(mktemp -d /run/hr-bench.XXXXXX)
bench_tmpfs "$S" "$W/policy.json"
trap 'umount "$S" 2>/dev/null || true; rm -rf "$W" "$S"' EXIT

# The builtin runtime takes the hardened config in memory and leaves the
# bundle's config.json alone; a created container's copy in the runtime's
# state is what runc gets (user namespace, seccomp, caps, masks), over a
# rootfs copy owned by the mapped range instead of hardrun's idmapped view.
PATH=$(dirname "$RUNC"):$PATH make_bundle "$W/hr" true
"$HARDRUN" "${HRPOL[@]}" --root "$S/hr-root" --hardrun-runtime builtin create --bundle "$W/hr" warm >/dev/null
mkdir -p "$W/rc"
cp "$S/hr-root/warm/config.json" "$W/hardened.json"
"$HARDRUN" "${HRPOL[@]}" --root "$S/hr-root" --hardrun-runtime builtin delete --force warm >/dev/null
cp -a "$W/hr/rootfs" "$W/rc/rootfs"
host=$(jq -r '.linux.uidMappings[0].hostID' "$W/hardened.json")
chown -R "$host:$host" "$W/rc/rootfs"
jq '.root.path = "rootfs" | del(.annotations)' "$W/hardened.json" >"$W/rc/config.json"

# the runtime alone (no policy engine) on the hardened config, when the
# build directory next to $HARDRUN has the core library
DRV=
BUILD=$(dirname "$HARDRUN")
if [ -f "$BUILD/libhardrun-core.a" ] && command -v cc >/dev/null; then
	# linked as hardrun is (one static executable) when the archives exist
	cc -static -I"$HERE/../../include" -I"$BUILD" -o "$W/driver" "$HERE/driver.c" "$BUILD/libhardrun-core.a" \
		-lyajl_s -lseccomp -lcap -lselinux -lsepol -lpcre2-8 -lapparmor 2>/dev/null ||
		cc -I"$HERE/../../include" -I"$BUILD" -o "$W/driver" "$HERE/driver.c" "$BUILD/libhardrun-core.a" \
			$(pkg-config --libs yajl libseccomp libcap libselinux libapparmor)
	[ -x "$W/driver" ] && DRV=$W/driver
fi
mkdir -p "$W/dr"
cp -a "$W/rc/rootfs" "$W/dr/rootfs"
cp "$W/rc/config.json" "$W/dr/config.json"

hr_run() { "$HARDRUN" "${HRPOL[@]}" --root "$S/hr-root" --hardrun-runtime builtin run --bundle "$W/hr" "b$1" >/dev/null; }
rc_run() { "$RUNC" --root "$S/rc-root" run --bundle "$W/rc" "r$1" >/dev/null; }
dr_run() { "$DRV" --root "$S/dr-root" run --bundle "$W/dr" "d$1" >/dev/null; }
un_run() { unshare --fork --user --map-root-user --pid --mount --ipc --uts --net --cgroup true; }

: >"$W/hr.t"
: >"$W/rc.t"
: >"$W/un.t"
: >"$W/dr.t"
for i in $(seq "$ROUNDS"); do
	t0=${EPOCHREALTIME/./}000; hr_run "$i"; t1=${EPOCHREALTIME/./}000; echo $((t1 - t0)) >>"$W/hr.t"
	t0=${EPOCHREALTIME/./}000; rc_run "$i"; t1=${EPOCHREALTIME/./}000; echo $((t1 - t0)) >>"$W/rc.t"
	t0=${EPOCHREALTIME/./}000; un_run; t1=${EPOCHREALTIME/./}000; echo $((t1 - t0)) >>"$W/un.t"
	if [ -n "$DRV" ]; then t0=${EPOCHREALTIME/./}000; dr_run "$i"; t1=${EPOCHREALTIME/./}000; echo $((t1 - t0)) >>"$W/dr.t"; fi
done
median() { sort -n "$1" | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
hr=$(median "$W/hr.t")
rc=$(median "$W/rc.t")
un=$(median "$W/un.t")
ms() { awk -v n="$1" 'BEGIN { printf "%.2f ms", n / 1e6 }'; }
echo "rounds: $ROUNDS (interleaved), kernel $(uname -r), $(nproc) cpus, state on $(stat -f -c %T "$S")"
echo "hardrun run (builtin, policy baseline): median $(ms "$hr")"
echo "runc run (same hardened config):        median $(ms "$rc")"
echo "unshare --fork (same namespaces):       median $(ms "$un")"
[ -n "$DRV" ] && echo "builtin runtime alone (no policy engine): median $(ms "$(median "$W/dr.t")")"
awk -v h="$hr" -v r="$rc" -v u="$un" 'BEGIN {
	printf "runc / hardrun: %.2fx faster (target >= 5x)\n", r / h
	printf "hardrun / unshare: %.2fx the cost (target <= 2x)\n", h / u }'
