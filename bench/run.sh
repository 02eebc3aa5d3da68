#!/bin/bash
# Every benchmark, one after another, on this machine; prints each result
# with its target beside it and a header naming the machine.  Benchmarks are
# not tests: nothing here fails on a timing.  Results belong in
# docs/performance.md.
#
#   sudo bash bench/run.sh            (BENCH_N scales the repetitions)
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
[ -x build/hardrun ] || { meson setup build -Dselinux=enabled -Dapparmor=enabled >/dev/null && ninja -C build >/dev/null; }
ninja -C build >/dev/null
echo "# hardrun benchmarks, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# runc: $(runc --version | head -1)"
export HARDRUN=${HARDRUN:-$TOP/build/hardrun}
for b in create prexec prexec:tmpfs delegation delegation:tmpfs builtin/bench builtin/bench:tmpfs idmap/bench seccomp/run; do
	echo
	case $b in
	*:tmpfs)
		# state (and bundles) on a private tmpfs, as /run is on a systemd host
		echo "## BENCH_TMPFS=1 bench/${b%:tmpfs}.sh"
		BENCH_TMPFS=1 bash "bench/${b%:tmpfs}.sh" 2>&1 || echo "(bench/${b%:tmpfs}.sh exited $?)"
		;;
	*)
		echo "## bench/$b.sh"
		bash "bench/$b.sh" 2>&1 || echo "(bench/$b.sh exited $?)"
		;;
	esac
done
