#!/bin/bash
# Shared benchmark helpers: medians, ratios, the tmpfs option.
BENCH_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$BENCH_TOP/tests/lib/common.sh"

# median FILE: median of the numbers in FILE (one per line)
median() { sort -n "$1" | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# ratio A B: A/B with 3 decimals
ratio() { echo "scale=3; $1 / $2" | bc; }

# bench_tmpfs DIR POLICY: with BENCH_TMPFS=1, mount a private tmpfs on DIR
# for every runtime's state (as /run is on a systemd host) and set HRPOL to
# the hardrun flags of a policy, written to POLICY, that keeps hardrun's
# stateDir there too.  HRPOL is empty otherwise.
bench_tmpfs() {
	HRPOL=()
	[ "${BENCH_TMPFS:-0}" = 1 ] || return 0
	mount -t tmpfs -o mode=711 tmpfs "$1"
	printf '{"stateDir": "%s/hardrun"}\n' "$1" >"$2"
	HRPOL=(--hardrun-policy "$2")
}
