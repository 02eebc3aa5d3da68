#!/bin/bash
# hardrun's own latency before the lower runtime starts (create path, file
# hand-over), measured without runc: the runtime is bench/prexec, which
# notes the time its main() runs.  Against the same program started
# directly, the difference is everything hardrun adds before the exec: its
# own process start, parse, rules, id range, idmapped rootfs, write, keeper
# fork.  Also the start of a program with and without glibc's start-up
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
get() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
b=$(get "$base" median_us) h=$(get "$hr" median_us)
echo "state on $(stat -f -c %T "$work"), n=$N"
echo "start of a static program (spawn to main): median $b us (p25 $(get "$base" p25_us), p75 $(get "$base" p75_us))"
echo "hardrun run to the runtime's main: median $h us (p25 $(get "$hr" p25_us), p75 $(get "$hr" p75_us))"
echo "hardrun adds before the runtime starts: $((h - b)) us (budget at 2 % of a 40 ms runc start: 800 us)"
