#!/bin/bash
# Per-syscall cost inside a runc container under: no filter, hardrun's
# default profile, Docker's default profile (captured from a private dockerd
# by docker-profile.sh, or $DOCKER_SECCOMP), and Podman's (the Docker-format
# profile containers/common ships, resolved as dockerd would for amd64 and
# Docker's default capabilities).  Runs are interleaved with the order
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
PODMAN_PROFILE=${PODMAN_PROFILE:-/usr/share/containers/seccomp.json}
# shellcheck source=../../tests/lib/common.sh
source "$TOP/tests/lib/common.sh"

[ "$(id -u)" = 0 ] || { echo "bench/seccomp: needs root (runc)"; exit 0; }
work=$(mktemp -d /tmp/hr-bench-seccomp.XXXXXX)
trap 'rm -rf "$work"' EXIT
make_bundle "$work/base" /sysloop "$N" >/dev/null
gcc -O2 -static -o "$work/base/rootfs/sysloop" "$HERE/sysloop.c"

configs=(none hardrun)
jq 'del(.linux.seccomp)' "$work/base/config.json" >"$work/none.json"
# The profile exactly as hardrun injects it (default.json with only the
# architectures this host can run).
"$HARDRUN" check --format json --config "$work/none.json" | jq .hardened.linux.seccomp >"$work/hr-seccomp.json"
jq --slurpfile s "$work/hr-seccomp.json" '.linux.seccomp = $s[0]' \
	"$work/base/config.json" >"$work/hardrun.json"
if [ -n "${DOCKER_SECCOMP:-}" ]; then
	cp "$DOCKER_SECCOMP" "$work/docker-seccomp.json"
else
	"$HERE/docker-profile.sh" >"$work/docker-seccomp.json" || rm -f "$work/docker-seccomp.json"
fi
if [ -s "$work/docker-seccomp.json" ]; then
	configs+=(docker)
else
	echo "# dockerd unavailable and no \$DOCKER_SECCOMP: docker column skipped"
fi
if [ -r "$PODMAN_PROFILE" ]; then
	jq -f "$HERE/docker-default.jq" "$PODMAN_PROFILE" >"$work/podman-seccomp.json"
	configs+=(podman)
fi
for c in docker podman; do
	[ -s "$work/$c-seccomp.json" ] || continue
	jq --slurpfile s "$work/$c-seccomp.json" '.linux.seccomp = $s[0]' \
		"$work/base/config.json" >"$work/$c.json"
done

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
	for c in docker podman; do
		[[ " ${configs[*]} " == *" $c "* ]] || continue
		line+=", $c/none $(ratio "$(get $c $m)" "$(get none $m)")"
		line+=", hardrun/$c $(ratio "$(get hardrun $m)" "$(get $c $m)")"
	done
	echo "$line (target: hardrun/docker <= 1.00)"
done
