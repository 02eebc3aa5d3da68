#!/bin/bash
# The hook allowlist fooled by /proc/<pid>/exe, attempted for real.
#
# readlink(/proc/<pid>/exe) names the executable as the process's own mount
# namespace sees it.  Container H mounts a tmpfs at the very path the host
# policy allowlists, puts its own binary there and runs it; container E then
# asks for a hook `/proc/<H's pid>/exe`.  Were the hook judged by that
# string it would run H's binary as host root in the host namespaces.  The
# checks look at the HOST: nothing landed in a root-only target directory,
# whichever hook kind was asked for.  The positive check: /proc/<pid>/exe of
# a host process running the allowlisted file itself is accepted, runs, and
# is handed to the runtime as the allowlisted path.
#
# This test is about the policy key hooks.allowed, so it writes a host
# policy naming a scratch allowed hook.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

# shellcheck disable=SC2034 # read by tap_skip in common.sh
HR_CORE=1
hr_require_containers "hook allowlist by /proc/<pid>/exe"
if ! expect_hardrun; then
	echo "1..0 # SKIP the hook allowlist is hardrun's, not the runc control's"
	exit 0
fi
hr_test_setup hf-hookexe
chmod 755 "$WORK"
A=$WORK/x-allowed
T=$WORK/target
mkdir -p "$A" "$T"
chmod 755 "$A"
chmod 700 "$T"
# The allowlisted host file: a copy of busybox, run through a symlink so
# that busybox picks its applet by the link's name while /proc/<pid>/exe
# stands for the file itself.
cp /bin/busybox "$A/dockerd"
chmod 755 "$A/dockerd"
jq -n --arg a "$A/dockerd" '{hooks: {allowed: [$a]}}' >"$WORK/policy.json"
export HARDRUN_POLICY=$WORK/policy.json
HOSTPID=

hr_test_cleanup() {
	[ -n "$HOSTPID" ] && kill "$HOSTPID" 2>/dev/null
	return 0
}

# exe_is PID PATH: wait (bounded) until PID's executable reads as PATH.
exe_is() {
	local _
	for _ in $(seq 200); do
		[ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# Container H: a tmpfs at the allowlisted path, its own busybox there as
# `dockerd`, run as `sleep` through a symlink beside it.
H=$WORK/h
make_bundle "$H" sh -c "cp /bin/busybox $A/dockerd && ln -s dockerd $A/sleep && exec $A/sleep 1000" >/dev/null
jq --arg a "$A" '.root.readonly = false | .mounts += [{destination: $a, type: "tmpfs", source: "tmpfs", options: ["mode=755"]}]' \
	"$H/config.json" >"$H/c" && mv "$H/c" "$H/config.json"
hr_new_id hf-h
# shellcheck disable=SC2154 # set by hr_new_id
hid=$id
rt create -b "$H" "$hid" </dev/null >/dev/null 2>&1 && rt start "$hid" >/dev/null 2>&1
hpid=$(rt state "$hid" 2>/dev/null | jq -r .pid)
if ! [ "${hpid:-0}" -gt 0 ] 2>/dev/null || ! exe_is "$hpid" "$A/dockerd"; then
	tap_fail "container H runs its own binary at the allowlisted path" "pid=${hpid:-none}" \
		"exe=$(readlink "/proc/${hpid:-0}/exe" 2>&1)"
	tap_end
	exit
fi
tap_ok "container H runs its own binary, its /proc/$hpid/exe reads as the allowlisted path"

# Container E asks for H's binary as a hook of each kind.
E=$WORK/e
make_bundle "$E" true >/dev/null
n=0
for kind in prestart createRuntime poststart; do
	n=$((n + 1))
	jq --arg p "/proc/$hpid/exe" --arg k "$kind" --arg t "$T/pwned-$kind" \
		'.hooks = {($k): [{path: $p, args: ["busybox", "sh", "-c", ("touch " + $t)]}]}' \
		"$WORK/e/config.json" >"$WORK/e-$n.json"
	cp "$WORK/e-$n.json" "$E/config.json"
	hr_new_id hf-e
	out=$(timeout 60 "$OCI_RUNTIME" --root "$HR_TEST_ROOT" run -b "$E" "$id" </dev/null 2>&1)
	rc=$?
	if [ ! -e "$T/pwned-$kind" ]; then
		tap_ok "$kind hook /proc/<H>/exe: H's binary never ran on the host (rc=$rc)"; [ -n "${HF_DEBUG:-}" ] && echo "# $out"
	else
		tap_fail "$kind hook /proc/<H>/exe: H's binary never ran on the host" "rc=$rc" \
			"landed: $(stat -c '%n %u %a' "$T/pwned-$kind")" "$(printf '%s' "$out" | tail -n 2)"
	fi
	rt delete -f "$id" >/dev/null 2>&1
	make_bundle "$E" true >/dev/null
done

# Positive: a host process running the allowlisted file itself.
ln -s dockerd "$A/sleep"
"$A/sleep" 1000 &
HOSTPID=$!
exe_is "$HOSTPID" "$A/dockerd" || tap_fail "host process runs the allowlisted file"
jq --arg p "/proc/$HOSTPID/exe" --arg t "$T/ran" \
	'.hooks = {createRuntime: [{path: $p, args: ["busybox", "sh", "-c", ("touch " + $t)]}]}' \
	"$E/config.json" >"$E/c" && mv "$E/c" "$E/config.json"
# The pin: what the runtime is handed is the allowlisted path, not /proc.
chk=$("$OCI_RUNTIME" check -b "$E" 2>&1)
if printf '%s' "$chk" | grep -F '"path"' | grep -qF "\"$A/dockerd\""; then
	tap_ok "the accepted hook is pinned to the allowlisted path"
else
	tap_fail "the accepted hook is pinned to the allowlisted path" "$(printf '%s' "$chk" | grep -F '"path"')"
fi
hr_new_id hf-ok
out=$(timeout 60 "$OCI_RUNTIME" --root "$HR_TEST_ROOT" run -b "$E" "$id" </dev/null 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ -e "$T/ran" ]; then
	tap_ok "/proc/<pid>/exe of the allowlisted file itself: accepted, the hook ran"
else
	tap_fail "/proc/<pid>/exe of the allowlisted file itself: accepted, the hook ran" "rc=$rc" \
		"$(printf '%s' "$out" | tail -n 2)"
fi
tap_end
