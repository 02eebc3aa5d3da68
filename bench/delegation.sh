#!/bin/bash
# `hardrun run` (delegating to runc) against `runc run` of the very config
# hardrun produces, side by side: runs interleaved (order alternating),
# the first WARMUP pairs discarded.  The difference is everything hardrun
# does per container start: parse, rules, id range, idmapped rootfs,
# atomic write, audit record, the bundle hand-over.
set -eu
. "$(dirname "$0")/lib.sh"
N=${BENCH_N:-30}
WARMUP=${BENCH_WARMUP:-3}
work=$(mktemp -d /tmp/hr-bench.XXXXXX)
chmod 711 "$work"
root=$work/root
trap '"$HARDRUN" --root "$root" delete -f keep >/dev/null 2>&1; rm -rf "$work"' EXIT
make_bundle "$work/hr" true
make_bundle "$work/rc" true
# The runc side gets hardrun's own hardened config (its range, its idmapped
# rootfs, seccomp, caps), so both sides start the same container.
"$HARDRUN" --root "$root" --hardrun-no-audit create -b "$work/hr" keep >/dev/null
cp "$work/hr/config.json" "$work/rc/config.json"
: >"$work/hr.ms"
: >"$work/rc.ms"
hr_run() { time_ms "$HARDRUN" --root "$root" --hardrun-no-audit run -b "$work/hr" "h$1"; }
rc_run() { time_ms runc --root "$root" run -b "$work/rc" "r$1"; }
for i in $(seq 1 $((N + WARMUP))); do
	if [ $((i % 2)) = 1 ]; then
		a=$(hr_run "$i")
		b=$(rc_run "$i")
	else
		b=$(rc_run "$i")
		a=$(hr_run "$i")
	fi
	if [ "$i" -gt "$WARMUP" ]; then
		echo "$a" >>"$work/hr.ms"
		echo "$b" >>"$work/rc.ms"
	fi
done
h=$(median "$work/hr.ms")
r=$(median "$work/rc.ms")
echo "delegation: hardrun run median ${h} ms, runc run median ${r} ms, ratio $(ratio "$h" "$r") (target <= 1.02), n=$N"
