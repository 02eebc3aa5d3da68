#!/bin/bash
# Real workloads under the default seccomp profile, in real containers.
# A profile that breaks programs is a defect as much as one that lets an
# escape through, so this runs both kinds of check: a static probe (threads,
# fork+exec, mmap, epoll, eventfd, timerfd, getrandom, sockets must work;
# namespaces, mounts, bpf, keyctl, ptrace, ... must fail with the profile's
# errno), busybox applets, and the host's Python, Perl, Node.js, Java and a
# Go program (runc itself) bind-mounted read-only into the container.
#
# Against runc (OCI_RUNTIME=runc) the profile is put into the config with
# jq; against hardrun the config has none and hardrun must inject it.
# hr-control: yes
set -u
HR_CORE=1
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
. "$TOP/tests/lib/common.sh"

WORK=$(mktemp -d /tmp/hr-seccomp.XXXXXX)
chmod 0711 "$WORK"
IDS=(probe bb host)
cleanup() {
	local id
	for id in "${IDS[@]}"; do rt delete -f "hrsc-$$-$id" >/dev/null 2>&1; done
	grep -o " $WORK/[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
	rm -rf "$WORK"
	case "$HR_TEST_ROOT" in /tmp/hr-root.*) rm -rf "$HR_TEST_ROOT" ;; esac
}
trap cleanup EXIT

if ! need_root || [ ! -x /bin/busybox ] || ! command -v jq >/dev/null ||
	! command -v gcc >/dev/null; then
	tap_skip "seccomp workloads" "needs root, busybox-static, jq and gcc"
	tap_end
	exit
fi
printf '{"stateDir": "%s/state", "auditLog": "", "userns": {"poolStart": 1048576, "poolSize": %d, "rangeSize": 65536, "useSubid": false}}\n' \
	"$WORK" $((65536 * 64)) >"$WORK/policy.json"
export HARDRUN_POLICY=$WORK/policy.json
export HARDRUN_RUNTIME_ROOT=$HR_TEST_ROOT
HR=0
expect_hardrun && HR=1

# bundle DIR ARGS...: a busybox bundle with the profile (control) or none (hardrun)
bundle() {
	local dir=$1
	shift
	make_bundle "$dir" "$@" >/dev/null
	bundle_set "$dir" '.linux.maskedPaths += ["/sys/devices/virtual/powercap"]'
	if [ "$HR" = 0 ]; then
		jq --slurpfile s "$TOP/profiles/seccomp/default.json" '.linux.seccomp = $s[0]' \
			"$dir/config.json" >"$dir/c" && mv "$dir/c" "$dir/config.json"
	fi
}
run_in() { # run_in DIR: run the bundle as container "hrsc-$$-<dir name>", output on stdout
	(cd "$1" && timeout 120 "$OCI_RUNTIME" --root "$HR_TEST_ROOT" run "hrsc-$$-${1##*/}" \
		</dev/null 2>&1)
}

# 1. the static probe: one TAP line per check
bundle "$WORK/probe" /probe
gcc -O2 -static -o "$WORK/probe/rootfs/probe" "$HERE/probe.c" -lpthread
out=$(run_in "$WORK/probe")
grep -q '^[0-9]* failed$' <<<"$out" || tap_fail "probe ran in the container" "${out:0:400}"
while read -r verdict desc; do
	case "$verdict" in
	PASS) tap_ok "probe: $desc" ;;
	FAIL) tap_fail "probe: $desc" ;;
	esac
done <<<"$out"

# 2. busybox applets
bundle "$WORK/bb" sh -c 'grep Seccomp: /proc/self/status; ls / >/dev/null && echo ls-ok; wc -l </etc/passwd; ps >/dev/null && echo ps-ok; top -n1 -b >/dev/null && echo top-ok; (sleep 0.1 &); wait; echo x | sed s/x/sed-ok/; date >/dev/null && echo date-ok; nc 127.0.0.1 1 </dev/null 2>&1; echo nc=$?'
for a in ps top nc sed date; do ln -sf busybox "$WORK/bb/rootfs/bin/$a"; done
out=$(run_in "$WORK/bb")
for want in 'Seccomp:.2' ls-ok ps-ok top-ok sed-ok date-ok; do
	if grep -q "$want" <<<"$out"; then
		tap_ok "busybox: $want"
	else
		tap_fail "busybox: $want" "${out:0:400}"
	fi
done
if grep -qi 'refused' <<<"$out" && ! grep -qi 'not permitted' <<<"$out"; then
	tap_ok "busybox: nc to a closed port gets connection refused, not EPERM"
else
	tap_fail "busybox: nc to a closed port gets connection refused, not EPERM" "${out:0:400}"
fi

# 3. the host's language runtimes, bind-mounted read-only.  hardrun's mounts
# rule rightly refuses a bind of the host's /usr (it holds /usr/lib/modules):
# a profile of its own with that rule at warn keeps this about seccomp.
jq '.rules.mounts.action = "warn"' "$TOP/profiles/policies/baseline.json" >"$WORK/profile.json"
bundle "$WORK/host" /bin/sh /w/host.sh
cp "$HERE/workloads-host.sh" "$WORK/host.sh"
binds='"/usr", "/lib", "/lib64", "/etc/alternatives", "/etc/java-17-openjdk"'
bundle_set "$WORK/host" ".process.env += [\"HOME=/tmp\"]
 | .mounts += ([$binds] | map(select(. as \$p | \$p != \"\") | {destination: ., source: ., type: \"bind\", options: [\"rbind\", \"ro\"]}))
 | .mounts += [{destination: \"/w\", source: \"$WORK\", type: \"bind\", options: [\"rbind\", \"ro\"]},
   {destination: \"/tmp\", type: \"tmpfs\", source: \"tmpfs\", options: [\"nosuid\", \"nodev\", \"size=256m\"]}]"
for d in /usr /lib /lib64 /etc/alternatives /etc/java-17-openjdk; do
	if [ -d "$d" ]; then
		mkdir -p "$WORK/host/rootfs$d"
	else
		bundle_set "$WORK/host" "del(.mounts[] | select(.destination == \"$d\"))"
	fi
done
mkdir -p "$WORK/host/rootfs/w"
echo '127.0.0.1 localhost' >"$WORK/host/rootfs/etc/hosts"
ln -sf /usr/bin/dash "$WORK/host/rootfs/bin/sh"
out=$(HARDRUN_PROFILE=$WORK/profile.json run_in "$WORK/host")
for l in python:python3 perl:perl node:node java:java go:runc; do
	name=${l%%:*} bin=${l#*:}
	if ! command -v "$bin" >/dev/null; then
		tap_skip "$name works under the profile" "$bin is not installed on the host"
	elif grep -q "^$name-ok" <<<"$out"; then
		tap_ok "$name works under the profile"
	else
		tap_fail "$name works under the profile" "${out:0:600}"
	fi
done
tap_end
