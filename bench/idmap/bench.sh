#!/bin/bash
# Start time against rootfs size: idmapped rootfs (O(1)) vs the chown
# fallback (O(files)).  Starts `true` through hardrun (delegating to runc)
# from a 10-file and a 100,000-file busybox rootfs, RUNS times each, and
# prints the median wall time and the big/small ratio per mode.
#
# idmap: the rootfs lies on the build host's filesystem (idmappable).
# chown: the same trees on ramfs, which cannot be idmapped, with the policy's
#        chown fallback allowed, so every start re-chowns the whole tree.
#
# usage: bench/idmap/bench.sh [HARDRUN] [RUNS] [FILES]   (as root)
set -eu
HR_TOP=$(cd "$(dirname "$0")/../.." && pwd)
HARDRUN=${1:-$HR_TOP/build/hardrun}
RUNS=${2:-5}
FILES=${3:-100000}
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
. "$HR_TOP/tests/lib/common.sh"

W=$(mktemp -d /tmp/hr-bench-idmap.XXXXXX)
chmod 0711 "$W"
cleanup() {
	grep -o " $W/[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT

cat >"$W/policy.json" <<JSON
{"stateDir": "$W/state", "auditLog": "",
 "userns": {"poolStart": 1048576, "poolSize": $((65536 * 64)), "rangeSize": 65536,
            "useSubid": false, "chownFallback": true}}
JSON
export HARDRUN_POLICY=$W/policy.json

# tree DIR N: busybox bundle rootfs plus N empty files in dirs of 1000
tree() {
	make_bundle "$1" true >/dev/null
	bundle_set "$1" '.root.readonly=false'
	local d=0 n=0
	while [ $n -lt "$2" ]; do
		mkdir -p "$1/rootfs/data/$d"
		local k=$(($2 - n < 1000 ? $2 - n : 1000))
		(cd "$1/rootfs/data/$d" && seq 1 $k | xargs touch)
		n=$((n + k))
		d=$((d + 1))
	done
}

echo "# building trees (10 and $FILES files)..." >&2
tree "$W/small" 10
tree "$W/big" "$FILES"
for s in small big; do
	mkdir -p "$W/ram-$s"
	mount -t ramfs ramfs "$W/ram-$s"
	cp -a "$W/$s/." "$W/ram-$s/"
done

# median_ms BUNDLE: median wall ms of RUNS `hardrun run`
median_ms() {
	local i t0 t1 ts=()
	for i in $(seq "$RUNS"); do
		t0=${EPOCHREALTIME/./}000
		"$HARDRUN" --root "$W/root" run -b "$1" "bench-$$-$i" </dev/null >/dev/null 2>"$W/err" ||
			{ cat "$W/err" >&2; return 1; }
		t1=${EPOCHREALTIME/./}000
		ts+=($(((t1 - t0) / 1000000)))
	done
	printf '%s\n' "${ts[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p"
}

printf '%-8s %12s %12s %8s\n' mode "10 files" "$FILES files" ratio
for mode in idmap chown; do
	if [ $mode = idmap ]; then s=$W/small b=$W/big; else s=$W/ram-small b=$W/ram-big; fi
	ms=$(median_ms "$s")
	mb=$(median_ms "$b")
	printf '%-8s %10sms %10sms %8s\n' $mode "$ms" "$mb" "$(awk -v a="$mb" -v b="$ms" 'BEGIN { printf "%.2fx", a / b }')"
done
