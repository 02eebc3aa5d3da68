#!/bin/bash
# `hardrun run` (delegating to runc) against `runc run` of the very config
# hardrun produces, side by side: runs interleaved (every order of the
# arms), the first WARMUP rounds discarded.  The difference is everything
# hardrun does per container start: parse, rules, id range, idmapped
# rootfs, atomic write, the exec of runc, the release after the container
# exits.  This is the old yardstick: what the hardening makes runc itself
# pay is on both sides.  bench/userfelt.sh measures against runc running
# the caller's original config, as a user feels it.
#
# A third arm, bench/rewrite-exec (static C), does only what any wrapper
# that rewrites config.json before the exec must: start, read config.json,
# write it back atomically, exec runc.
#
# BENCH_TMPFS=1: bundles and every state directory on a private tmpfs, as
# containerd and Docker keep them under /run on a systemd host.
#
# BENCH_GAP_MS (default 50): a pause after every sample, so each times one
# container start: the keeper's release of a container that has exited
# (deferred off the caller's path by design) is over before the next
# sample starts.  BENCH_GAP_MS=0 measures starts back to back instead,
# with that work landing on whichever sample comes next.
set -eu
. "$(dirname "$0")/lib.sh"
# One runc start here spreads from about 30 to 60 ms: a median of 40 is good
# to ±3 %, wider than the 2 % target; 200 rounds (about 35 s) to ±1.3 %.
N=${BENCH_N:-200}
WARMUP=${BENCH_WARMUP:-3}
REWRITE=${REWRITE:-$(dirname "$HARDRUN")/bench/rewrite-exec}
RUNC=$(command -v runc)
work=$(mktemp -d /tmp/hr-bench.XXXXXX)
chmod 711 "$work"
bench_tmpfs "$work" "$work/policy.json"
root=$work/root
trap '"$HARDRUN" "${HRPOL[@]}" --root "$root" delete -f keep >/dev/null 2>&1; umount "$work" 2>/dev/null || true; rm -rf "$work"' EXIT
make_bundle "$work/hr" true
make_bundle "$work/rc" true
make_bundle "$work/fl" true
# Each hardrun round starts from the caller's config, as every real create
# does (copied in before the clock starts).
cp "$work/hr/config.json" "$work/orig.json"
# runc and the floor get hardrun's own hardened config (its range, its
# idmapped rootfs, seccomp, caps), so all arms start the same container.
"$HARDRUN" "${HRPOL[@]}" --root "$root" --hardrun-no-audit create -b "$work/hr" keep >/dev/null
cp "$work/hr/config.json" "$work/rc/config.json"
cp "$work/hr/config.json" "$work/fl/config.json"
DRIVER=$(dirname "$HARDRUN")/bench/interleave
arms=("$RUNC" --root "$root" run -b "$work/rc" "r%d" ";;"
	"=$work/hr/config.json=$work/orig.json" "$HARDRUN" "${HRPOL[@]}" --root "$root" --hardrun-no-audit run -b "$work/hr" "h%d")
[ -x "$REWRITE" ] && arms+=(";;" "$REWRITE" "$work/fl" "$RUNC" --root "$root" run -b "$work/fl" "f%d")
GAP=${BENCH_GAP_MS:-50}
out=$(INTERLEAVE_GAP_MS=$GAP "$DRIVER" "$N" "$WARMUP" "${arms[@]}") || exit 1
field() { echo "$out" | awk -v a="arm$1" -v f="$2" '$1 == a { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) print kv[2] } }'; }
r=$(field 0 median_ms)
echo "state on $(stat -f -c %T "$work"), n=$N, gap ${GAP} ms after each sample"
for a in 1 2; do
	m=$(field $a median_ms)
	[ -n "$m" ] || continue
	case $a in
	1) what="delegation: hardrun run (as shipped)" target=" (target <= 1.02)" ;;
	2) what="floor: rewrite config.json + exec runc (static C)" target="" ;;
	esac
	echo "$what median ${m} ms, runc run median ${r} ms, ratio $(ratio "$m" "$r"), paired ratio $(field $a paired_ratio)$target, adds $(echo "$m - $r" | bc) ms"
done
