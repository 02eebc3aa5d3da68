#!/bin/bash
# hr-control: yes
#
# Escape suite (issue 6, "Attack"): run the static escape probe inside a
# busybox container under every hardrun profile, with a plain config and a
# hostile (--privileged-like) one, through runc delegation and the builtin
# runtime.  Every CHECK line is judged against tests/security/expect/<profile>.txt.
# Under plain runc (the control) nothing is asserted but the probe's own
# sanity: results are reported so the two can be compared.
#
# Env: OCI_RUNTIME (runtime under test), HR_PROBE (probe binary; built from
# probe.c when not given), HR_BUILTIN_OK=1 (force the builtin runtime on),
# HR_ESCAPE_PROFILES (default "baseline restricted untrusted").
set -u
# Every skip here is of a core path: a failure under HARDRUN_MUST_WORK=1.
HR_CORE=1
SEC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$SEC_DIR/_probe.sh"
. "$SEC_DIR/../lib/common.sh"

WORK=$(mktemp -d /tmp/hr-escape.XXXXXX)
chmod 755 "$WORK" # user-namespaced roots must reach the bundles
SOCK_PID=
IDS=()
cleanup() {
	local id
	for id in "${IDS[@]}"; do
		runc --root "$HR_TEST_ROOT" delete -f "$id" >/dev/null 2>&1
	done
	[ -n "$SOCK_PID" ] && kill "$SOCK_PID" 2>/dev/null
	[ -n "${HR_ESCAPE_KEEP:-}" ] && cp -r "$WORK" "$HR_ESCAPE_KEEP"
	rm -rf "$WORK"
}
trap cleanup EXIT

BLOCKED_TOTAL=0
ALLOWED_TOTAL=0


# Host namespace inodes and a marker file, so the probe can tell "host" from "own".
host_env_json() {
	local ns envs=()
	for ns in pid net ipc uts mnt cgroup user; do
		envs+=("HOST_${ns^^}NS_INODE=$(stat -L -c %i /proc/self/ns/$ns)")
	done
	envs+=("HOST_MARKER=$WORK/host-marker" "HOST_MARKER_TEXT=$MARKER_TEXT")
	printf '%s\n' "${envs[@]}" | jq -R . | jq -s -c .
}

# A listening socket standing in for docker.sock in the hostile config.
start_fake_socket() {
	command -v python3 >/dev/null || return 1
	python3 -c 'import socket,sys,time
s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(16); time.sleep(900)' \
		"$WORK/docker.sock" &
	SOCK_PID=$!
	local i
	for i in $(seq 50); do
		if [ -S "$WORK/docker.sock" ]; then
			chmod 660 "$WORK/docker.sock" # as dockerd leaves it (root:docker)
			return 0
		fi
		sleep 0.1
	done
	return 1
}

make_base() {
	make_bundle "$WORK/base" /bin/sh -c '/probe; exit 0'
	cp "$PROBE" "$WORK/base/rootfs/probe"
	chmod 755 "$WORK/base/rootfs/probe"
	bundle_set "$WORK/base" ".process.env += $(host_env_json)"
}

# Every capability the host's bounding set holds (a container cannot get more).
all_caps_json() {
	local names=(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP
		LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER
		SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE
		SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP
		MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF
		CHECKPOINT_RESTORE)
	local bnd i out=()
	bnd=$((16#$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)))
	for i in "${!names[@]}"; do
		if (((bnd >> i) & 1)); then out+=("CAP_${names[$i]}"); fi
	done
	printf '%s\n' "${out[@]}" | jq -R . | jq -s -c .
}

socket_mount_filter() {
	echo ".mounts += [{destination:\"/var/run/docker.sock\", type:\"bind\", source:\"$WORK/docker.sock\", options:[\"bind\",\"rw\"]}]"
}

# --privileged: every capability, no seccomp, no masks, host pid/ipc/net,
# all devices, writable /sys and cgroupfs.  "hostile" adds host / and a
# runtime socket bind-mounted in (refused outright by any sane policy, so
# "privileged" alone shows what the rules that fix rather than deny leave).
make_hostile() { # make_hostile DIR [privileged|hostile]
	local d=$1 sockmount='[]' hostroot='[]' ALL_CAPS
	ALL_CAPS=$(all_caps_json)
	if [ "${2:-hostile}" = hostile ]; then
		hostroot='[{destination:"/host", type:"bind", source:"/", options:["rbind","rw","rprivate"]}]'
	fi
	if [ "${2:-hostile}" = hostile ] && [ -S "$WORK/docker.sock" ]; then
		sockmount=$(jq -n -c --arg s "$WORK/docker.sock" '[$s]')
	fi
	bundle_set "$d" "
	  .process.capabilities = {bounding:$ALL_CAPS, effective:$ALL_CAPS, inheritable:$ALL_CAPS,
	                           permitted:$ALL_CAPS, ambient:$ALL_CAPS}
	  | .process.noNewPrivileges = false | .process.user = {uid:0, gid:0} | .root.readonly = false
	  | del(.linux.seccomp) | del(.process.apparmorProfile)
	  | .linux.namespaces |= map(select(.type != \"pid\" and .type != \"ipc\" and .type != \"network\"))
	  | .linux.maskedPaths = [] | .linux.readonlyPaths = []
	  | .linux.resources.devices = [{allow:true, access:\"rwm\"}]
	  | .mounts |= map(if .type == \"sysfs\" or .type == \"cgroup\"
	                   then .options |= map(select(. != \"ro\")) else . end)
	  | .mounts += $hostroot
	  | .mounts += ($sockmount | map({destination:\"/var/run/docker.sock\", type:\"bind\", source:., options:[\"bind\",\"rw\"]}))"
}

# What an admin would do by hand to runc: user namespace, few caps, hardrun's seccomp.
make_hand_hardened() { # make_hand_hardened DIR
	local d=$1 caps='["CAP_CHOWN","CAP_FOWNER","CAP_SETUID","CAP_SETGID","CAP_KILL","CAP_NET_BIND_SERVICE"]'
	jq --slurpfile sc "$HR_TOP/profiles/seccomp/default.json" "
	  .linux.namespaces += [{type:\"user\"}]
	  | .linux.uidMappings = [{containerID:0, hostID:200000, size:65536}]
	  | .linux.gidMappings = [{containerID:0, hostID:200000, size:65536}]
	  | .process.capabilities = {bounding:$caps, effective:$caps, permitted:$caps}
	  | .process.noNewPrivileges = true
	  | .linux.seccomp = \$sc[0]" "$d/config.json" >"$d/config.json.new" &&
		mv "$d/config.json.new" "$d/config.json"
}

# run_probe LABEL BUNDLE [GLOBAL-FLAGS...]: output in $WORK/LABEL.out, exit status of `run`.
run_probe() {
	local label=$1 b=$2 id
	shift 2
	id="hr-esc-${label//\//-}-$$"
	IDS+=("$id")
	timeout 120 "$OCI_RUNTIME" "$@" --root "$HR_TEST_ROOT" run --bundle "$b" "$id" \
		>"$WORK/${label//\//-}.out" 2>"$WORK/${label//\//-}.err" </dev/null
	local rc=$?
	"$OCI_RUNTIME" "$@" --root "$HR_TEST_ROOT" delete -f "$id" >/dev/null 2>&1
	return $rc
}

out_of() { echo "$WORK/${1//\//-}.out"; }
err_of() { echo "$WORK/${1//\//-}.err"; }

fresh_bundle() { # fresh_bundle NAME -> path of a copy of the base bundle
	rm -rf "${WORK:?}/$1"
	cp -a "$WORK/base" "$WORK/$1"
	echo "$WORK/$1"
}

count_verdict() { grep -c "^CHECK [^ ]* $2 " "$(out_of "$1")"; }
allowed_list() { awk '$1 == "CHECK" && $3 == "allowed" { printf "%s ", $2 }' "$(out_of "$1")"; }

# judge LABEL PROFILE: one TAP line per check against expect/PROFILE.txt.
judge() {
	local label=$1 exp=$SEC_DIR/expect/$2.txt out tag name verdict detail want seen=" "
	out=$(out_of "$label")
	grep -q '^DONE' "$out" || tap_fail "$label: probe ran to the end" "$(tail -n 3 "$out")"
	while read -r tag name verdict detail; do
		[ "$tag" = CHECK ] || continue
		seen+="$name "
		detail=${detail//#/}
		want=$(awk -v n="$name" '$1 == n { print $2; exit }' "$exp")
		case $verdict in
		blocked) BLOCKED_TOTAL=$((BLOCKED_TOTAL + 1)) ;;
		allowed) ALLOWED_TOTAL=$((ALLOWED_TOTAL + 1)) ;;
		esac
		if [ -z "$want" ]; then
			tap_fail "$label: $name has an expectation" "no line for $name in $exp"
		elif [ "$verdict" = blocked ]; then
			tap_ok "$label: $name blocked ($detail)"
		elif [ "$want" = may ]; then
			tap_ok "$label: $name $verdict, which $2 permits ($detail)"
		else
			tap_fail "$label: $name blocked" "$verdict: $detail"
		fi
	done <"$out"
	for name in $(awk '!/^#/ && NF { print $1 }' "$exp"); do
		case $seen in
		*" $name "*) ;;
		*) tap_fail "$label: $name reported" "the probe printed no line for $name" ;;
		esac
	done
}

report_control() { # report_control LABEL: counts only, nothing asserted
	local l=$1
	if grep -q '^DONE' "$(out_of "$l")"; then
		tap_ok "control $l: $(count_verdict "$l" blocked) blocked, $(count_verdict "$l" allowed) allowed, $(count_verdict "$l" unknown) unknown"
	else
		tap_fail "control $l: probe ran" "$(head -n 3 "$(err_of "$l")")"
	fi
	echo "#   allowed: $(allowed_list "$l")"
}

# The probe must see privilege where there is some, or "blocked" means nothing.
selftest() { # selftest LABEL: LABEL ran the hostile config under plain runc
	local n
	n=$(count_verdict "$1" allowed)
	if [ "$n" -ge 15 ]; then
		tap_ok "probe self-test: $n checks allowed in a privileged runc container"
	else
		tap_fail "probe self-test: most checks allowed in a privileged runc container" \
			"only $n allowed: $(allowed_list "$1")" "$(head -n 3 "$(err_of "$1")")"
	fi
}


started() { grep -q '^CHECK ' "$(out_of "$1")"; }

# One profile on one runtime: the plain config, then the hostile one.
run_profile() { # run_profile RTNAME PROFILE FLAGS...
	local rtn=$1 prof=$2 l b asuser=
	shift 2
	l="$rtn/$prof"
	b=$(fresh_bundle "$rtn-$prof")
	if ! run_probe "$l" "$b" --hardrun-profile="$prof" "$@" && ! started "$l"; then
		echo "# $l: default config refused ($(head -n 1 "$(err_of "$l")" | cut -c1-200));"
		echo "#   retrying as the profile asks: uid 1000, NET_BIND_SERVICE only"
		l="$rtn/$prof/uid1000"
		b=$(fresh_bundle "$rtn-$prof-uid1000")
		asuser='.process.user = {uid:1000, gid:1000}
		  | .process.capabilities |= with_entries(.value = ["CAP_NET_BIND_SERVICE"])'
		bundle_set "$b" "$asuser"
		run_probe "$l" "$b" --hardrun-profile="$prof" "$@"
	fi
	if started "$l"; then
		judge "$l" "$prof"
	else
		tap_fail "$l: container starts" "$(head -n 3 "$(err_of "$l")")"
	fi
	local v
	if [ -S "$WORK/docker.sock" ]; then
		# the plain config plus only the socket: the rule for runtime sockets alone
		l="$rtn/$prof/socket"
		b=$(fresh_bundle "$rtn-$prof-socket")
		[ -n "$asuser" ] && bundle_set "$b" "$asuser"
		bundle_set "$b" "$(socket_mount_filter)"
		if run_probe "$l" "$b" --hardrun-profile="$prof" "$@" || started "$l"; then
			judge "$l" "$prof"
		else
			tap_ok "$l: config with a runtime socket refused: $(head -n 1 "$(err_of "$l")" | tr -d '#' | cut -c1-240)"
		fi
	fi
	for v in privileged hostile; do
		l="$rtn/$prof/$v"
		b=$(fresh_bundle "$rtn-$prof-$v")
		make_hostile "$b" "$v"
		if run_probe "$l" "$b" --hardrun-profile="$prof" "$@" || started "$l"; then
			judge "$l" "$prof"
		else
			local why
			why=$(head -n 1 "$(err_of "$l")" | tr -d '#' | cut -c1-240)
			if grep -q 'refused by hardrun' "$(err_of "$l")"; then
				tap_ok "$l: $v config refused by policy: $why"
			else
				tap_ok "$l: $v config did not start (lower runtime failed): $why"
			fi
		fi
	done
}

main() {
	if ! need_root; then
		tap_skip "escape suite" "needs root"
		return
	fi
	if ! PROBE=$(find_probe); then
		tap_fail "escape probe builds" "$(cat "$WORK/probe-build.log")"
		return
	fi
	echo "# probe: $PROBE, runtime: $OCI_RUNTIME"
	MARKER_TEXT="hr-escape-marker-$RANDOM$RANDOM"
	echo "$MARKER_TEXT" >"$WORK/host-marker"
	start_fake_socket || echo "# no stand-in docker.sock (python3 missing)"
	make_base

	local b
	if command -v runc >/dev/null; then
		b=$(fresh_bundle selftest)
		make_hostile "$b"
		OCI_RUNTIME=runc run_probe control/privileged "$b"
		selftest control/privileged
		report_control control/privileged
	else
		tap_skip "probe self-test" "runc not installed"
	fi

	if ! is_hardrun; then
		run_probe control/default "$(fresh_bundle control-default)"
		report_control control/default
		b=$(fresh_bundle control-hardened)
		make_hand_hardened "$b"
		run_probe control/hand-hardened "$b"
		report_control control/hand-hardened
		return
	fi

	local prof
	for prof in ${HR_ESCAPE_PROFILES:-baseline restricted untrusted}; do
		run_profile delegate "$prof"
	done
	if builtin_ok; then
		for prof in ${HR_ESCAPE_PROFILES:-baseline restricted untrusted}; do
			run_profile builtin "$prof" --hardrun-runtime=builtin
		done
	else
		tap_skip "builtin runtime: escape probe under every profile" "builtin runtime not available"
	fi
	echo "# escape checks: $BLOCKED_TOTAL blocked, $ALLOWED_TOTAL allowed"
}

main
tap_end
