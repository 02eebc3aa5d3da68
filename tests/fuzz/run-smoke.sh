#!/bin/bash
# Short libFuzzer runs of every target (TAP).  FUZZ_SECONDS per target
# (default 20).  A crash fails the test and leaves its input in
# tests/fuzz/crashes/ to be turned into a regression seed.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD:-$top/build-fuzz}
secs=${FUZZ_SECONDS:-20}
n=0
fail=0
if ! command -v clang >/dev/null; then
	echo "ok 1 # SKIP clang is not installed"
	echo "1..1"
	exit 0
fi
if [ ! -d "$build" ]; then
	CC=clang meson setup "$build" "$top" -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false >"$build.log" 2>&1 || { echo "not ok 1 - configure fuzz build"; echo "1..1"; exit 1; }
fi
if ! ninja -C "$build" tests/fuzz/fuzz-json tests/fuzz/fuzz-policy tests/fuzz/fuzz-rules tests/fuzz/fuzz-cli >"$build.ninja.log" 2>&1; then
	echo "not ok 1 - build fuzz targets (see $build.ninja.log)"
	echo "1..1"
	exit 1
fi
mkdir -p "$top/tests/fuzz/crashes"
for t in json policy rules cli; do
	n=$((n + 1))
	work=$(mktemp -d)
	cp "$top/tests/fuzz/corpus/$t/"* "$work/" 2>/dev/null
	log=$(mktemp)
	# Replay the regression seeds first, then explore.
	if "$build/tests/fuzz/fuzz-$t" -max_total_time="$secs" -max_len=65536 -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix="$top/tests/fuzz/crashes/$t-" \
		-print_final_stats=1 "$work" >"$log" 2>&1; then
		execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
		echo "ok $n - fuzz-$t: no crash in ${secs}s (${execs:-?} executions)"
		echo "# fuzz-$t executions: ${execs:-0}"
	else
		fail=$((fail + 1))
		echo "not ok $n - fuzz-$t crashed"
		grep -E 'ERROR|SUMMARY|artifact' "$log" | head -5 | sed 's/^/#   /'
	fi
	rm -rf "$work" "$log"
done
echo "1..$n"
[ "$fail" -eq 0 ]
