#!/bin/bash
# hardrun's own latency before the lower runtime starts (create path),
# measured without runc: the runtime is bench/prexec, which notes the time
# its main() runs.  Against the same program started directly, the
# difference is everything hardrun adds before the exec.  Two ways:
#  - `run`: its own process start, parse, rules, id range, idmapped rootfs,
#    write, keeper fork (the one hand-over: harden, write, exec);
#  - a pass-through command (`state`): its own process start, command line,
#    policy and runtime lookup only, what every wrapper pays.
# Also the start of a program with and without glibc's start-up
# (bench/prexec.c's notes): on a VM that traps CPUID that start-up alone is
# a visible part of any wrapper's cost.
set -eu
. "$(dirname "$0")/lib.sh"
N=${BENCH_N:-200}
PREXEC=$(dirname "$HARDRUN")/bench/prexec
work=$(mktemp -d /tmp/hr-bench.XXXXXX)
chmod 711 "$work"
bench_tmpfs "$work" "$work/policy.json"
trap 'umount "$work" 2>/dev/null || true; rm -rf "$work"' EXIT
make_bundle "$work/b" true
cp "$work/b/config.json" "$work/orig.json"
base=$("$PREXEC" "$N" 3 "$work/b" - "$PREXEC")
hr=$("$PREXEC" "$N" 3 "$work/b" "$work/orig.json" "$HARDRUN" "${HRPOL[@]}" --hardrun-runtime "$PREXEC" \
	--root "$work/root" --hardrun-no-audit run -b "$work/b" "p%d")
hp=$("$PREXEC" "$N" 3 "$work/b" - "$HARDRUN" "${HRPOL[@]}" --hardrun-runtime "$PREXEC" \
	--root "$work/root" state "s%d")
get() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
b=$(get "$base" median_us)
echo "state on $(stat -f -c %T "$work"), n=$N"
echo "start of a static program (spawn to main): median $b us (p25 $(get "$base" p25_us), p75 $(get "$base" p75_us))"
for r in "run:$hr" "state (passed through):$hp"; do
	what=${r%%:*} v=${r#*:} h=$(get "${r#*:}" median_us)
	echo "hardrun $what: to the runtime's main median $h us (p25 $(get "$v" p25_us), p75 $(get "$v" p75_us)), adds $((h - b)) us"
done
echo "(budget at 2 % of a 40 ms runc start: 800 us)"
