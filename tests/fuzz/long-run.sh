#!/bin/bash
# Long fuzzing campaign: every target for HOURS (default 1) each, on all
# cores, growing the corpus in tests/fuzz/corpus/<target>.  Crashes land in
# tests/fuzz/crashes/; add each (minimised with -minimize_crash=1) to the
# corpus as a regression seed once fixed.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
hours=${1:-1}
build=${FUZZ_BUILD:-$top/build-fuzz}
[ -d "$build" ] || CC=clang meson setup "$build" "$top" -Dfuzz=true \
	-Db_sanitize=address,undefined -Db_lundef=false
ninja -C "$build" tests/fuzz/fuzz-json tests/fuzz/fuzz-policy tests/fuzz/fuzz-rules tests/fuzz/fuzz-cli
mkdir -p "$top/tests/fuzz/crashes"
for t in json policy rules cli; do
	"$build/tests/fuzz/fuzz-$t" -max_total_time=$((hours * 3600)) -jobs="$(nproc)" \
		-workers="$(nproc)" -max_len=1048576 -timeout=10 -rss_limit_mb=4096 \
		-artifact_prefix="$top/tests/fuzz/crashes/$t-" "$top/tests/fuzz/corpus/$t"
done
