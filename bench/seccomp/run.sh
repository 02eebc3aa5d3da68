#!/bin/bash
# Per-syscall cost inside a runc container under: no filter, hardrun's
# default profile, and Docker's default profile (resolved from the
# Docker-format profile containers/common ships, as dockerd resolves it on
# amd64 with its default capabilities).  Runs are interleaved with the order
# rotated each round; round 0 is a warm-up and is discarded; medians are
# printed with the ratios and the target beside them.  A benchmark, not a
# test: it never fails on a timing.
#
#   bench/seccomp/run.sh            ROUNDS=9 N=2000000 bench/seccomp/run.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
ROUNDS=${ROUNDS:-7}
N=${N:-1000000}
DOCKER_PROFILE=${DOCKER_PROFILE:-/usr/share/containers/seccomp.json}
# shellcheck source=../../tests/lib/common.sh
source "$TOP/tests/lib/common.sh"

[ "$(id -u)" = 0 ] || { echo "bench/seccomp: needs root (runc)"; exit 0; }
work=$(mktemp -d /tmp/hr-bench-seccomp.XXXXXX)
trap 'rm -rf "$work"' EXIT
make_bundle "$work/base" /sysloop "$N" >/dev/null
gcc -O2 -static -o "$work/base/rootfs/sysloop" "$HERE/sysloop.c"

configs=(none hardrun)
jq 'del(.linux.seccomp)' "$work/base/config.json" >"$work/none.json"
jq --slurpfile s "$TOP/profiles/seccomp/default.json" '.linux.seccomp = $s[0]' \
	"$work/base/config.json" >"$work/hardrun.json"
if [ -r "$DOCKER_PROFILE" ]; then
	jq -f "$HERE/docker-default.jq" "$DOCKER_PROFILE" >"$work/docker-seccomp.json"
	jq --slurpfile s "$work/docker-seccomp.json" '.linux.seccomp = $s[0]' \
		"$work/base/config.json" >"$work/docker.json"
	configs+=(docker)
else
	echo "# no Docker-format profile at $DOCKER_PROFILE: docker column skipped"
fi

run_one() { # config -> one result line
	cp "$work/$1.json" "$work/base/config.json"
	(cd "$work/base" && runc --root "$work/root" run "bench-$$-$1") | tail -1
}

for ((r = 0; r <= ROUNDS; r++)); do
	n=${#configs[@]}
	for ((k = 0; k < n; k++)); do
		c=${configs[$(((r + k) % n))]}
		line=$(run_one "$c")
		[ "$r" -eq 0 ] && continue
		echo "$c $line" >>"$work/results"
	done
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
get() { # config metric
	grep "^$1 " "$work/results" | tr ' ' '\n' | sed -n "s/^$2=//p" | median
}

echo "# machine: $(uname -r), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "# runc $(runc --version | head -1 | awk '{print $3}'), libseccomp $(runc --version | sed -n 's/^libseccomp: //p'), $ROUNDS rounds after a warm-up, N=$N"
printf '%-10s %12s %12s %12s\n' profile getppid_ns mixed_ns ioctl_ns
for c in "${configs[@]}"; do
	printf '%-10s %12s %12s %12s\n' "$c" "$(get "$c" getppid_ns)" "$(get "$c" mixed_ns)" \
		"$(get "$c" ioctl_ns)"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
for m in getppid_ns mixed_ns ioctl_ns; do
	line="$m: hardrun/none $(ratio "$(get hardrun $m)" "$(get none $m)")"
	if [[ " ${configs[*]} " == *" docker "* ]]; then
		line+=", docker/none $(ratio "$(get docker $m)" "$(get none $m)")"
		line+=", hardrun/docker $(ratio "$(get hardrun $m)" "$(get docker $m)") (target <= 1.00)"
	fi
	echo "$line"
done
