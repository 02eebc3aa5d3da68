#!/bin/bash
# The id allocator at 10, 100 and 1,000 live ranges (bench/ranges.c: a
# scratch stateDir with N live entries, then allocate, look up and release
# a range for a new id, ROUNDS times; medians in µs).  On a private tmpfs
# (as /run on a systemd host) and on /tmp's file system.
#
#   sudo bash bench/ranges.sh [OLD]
#
# OLD: the same program built against another hardrun (see
# docs/performance.md for how the comparison was built): each N is then
# run for both, alternating, so both see the same machine.
set -eu
. "$(dirname "$0")/lib.sh"
NEW=${BENCH_NEW:-$(dirname "$HARDRUN")/bench/ranges}
OLD=${1:-}
ROUNDS=${BENCH_N:-200}
t=$(mktemp -d /tmp/hr-bench-ranges.XXXXXX)
trap 'umount "$t" 2>/dev/null || true; rmdir "$t"' EXIT
mount -t tmpfs tmpfs "$t"
echo "# $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg), rounds $ROUNDS"
for fs in "$t" /tmp; do
	echo "## $(stat -f -c %T "$fs")"
	for n in 10 100 1000; do
		[ -z "$OLD" ] || echo "old: $("$OLD" "$n" "$ROUNDS" "$fs")"
		echo "new: $("$NEW" "$n" "$ROUNDS" "$fs")"
	done
done
