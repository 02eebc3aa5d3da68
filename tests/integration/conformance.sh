#!/bin/bash
# Drop-in conformance (issue 18): what runc 1.1 does with these command
# lines and configs, the runtime under test ($OCI_RUNTIME) does too: help
# for every command without reading config.json, usage errors as exit 1,
# exec -p through a pipe without touching the caller's file, update -r -,
# device rules read as runc reads them, seccomp notify rules kept, a config
# without a process refused with config.json byte-identical.  The hardening
# checks at the end (no console, no runtime socket as seccomp listener, no
# setuid files under untrusted) are hardrun's; against runc they skip.
# hr-control: yes
. "$(dirname "$0")/../lib/common.sh"

hr_test_setup conformance
HR_CORE=1
hr_test_cleanup() { rm -f "/run/dbus/di-conformance-$$.sock"; }

# run_guarded OUT ERR CMD...: CMD (in $RUN_DIR if set) under a time limit;
# its status in $rc.
run_guarded() {
	local out=$1 err=$2
	shift 2
	(cd "${RUN_DIR:-.}" && exec timeout -k 5 30 "$@") >"$out" 2>"$err" </dev/null
	rc=$?
}
R=("$OCI_RUNTIME" --root "$HR_TEST_ROOT")
sha() { sha256sum "$1" | cut -d' ' -f1; }

# ---- help and usage: no container, no root needed ---------------------------
cmds=(checkpoint create delete events exec features kill list pause ps restore resume run spec start state update)
empty=$WORK/cwd
mkdir -p "$empty"
printf '{"garbage' >"$empty/config.json" # read by anything that hardens
before=$(sha "$empty/config.json")
bad=()
for c in "${cmds[@]}"; do
	for h in -h --help; do
		RUN_DIR=$empty run_guarded "$WORK/o" "$WORK/e" "${R[@]}" "$c" "$h"
		if [ "$rc" != 0 ] || ! grep -q "$c" "$WORK/o"; then
			bad+=("$c $h: rc=$rc $(head -c 200 "$WORK/e")")
		fi
	done
done
[ "${#bad[@]}" = 0 ] && [ "$(sha "$empty/config.json")" = "$before" ] && [ "$(ls "$empty")" = config.json ] &&
	tap_ok "-h and --help of all ${#cmds[@]} commands print help, exit 0, leave config.json alone" ||
	tap_fail "help of every command" "${bad[@]}" "files: $(ls "$empty")"

bad=()
for c in checkpoint create delete events exec kill pause ps restore resume run start state update; do
	RUN_DIR=$empty run_guarded "$WORK/o" "$WORK/e" "${R[@]}" "$c"
	[ "$rc" = 1 ] && grep -q 'requires' "$WORK/e" || bad+=("$c: rc=$rc $(head -c 200 "$WORK/e")")
done
for a in "create a b" "run -b $empty a b" "delete a b" "update a b" "list x" "features x" "spec x"; do
	# shellcheck disable=SC2086
	RUN_DIR=$empty run_guarded "$WORK/o" "$WORK/e" "${R[@]}" $a
	[ "$rc" = 1 ] || bad+=("$a: rc=$rc $(head -c 200 "$WORK/e")")
done
[ "${#bad[@]}" = 0 ] && [ "$(sha "$empty/config.json")" = "$before" ] &&
	tap_ok "a missing or extra container id is a usage error, exit 1, nothing read" ||
	tap_fail "usage errors" "${bad[@]}"

bad=()
for a in "exec -p" "exec --bogus x" "create --bundle" "--root" "--log-format xml list" "create -h=maybe x"; do
	# shellcheck disable=SC2086
	RUN_DIR=$empty run_guarded "$WORK/o" "$WORK/e" "$OCI_RUNTIME" $a
	[ "$rc" = 1 ] || bad+=("$a: rc=$rc $(head -c 200 "$WORK/e")")
done
for a in "--help create x" "--version run x" "create -h=t x" "exec --help=True x"; do
	# shellcheck disable=SC2086
	RUN_DIR=$empty run_guarded "$WORK/o" "$WORK/e" "$OCI_RUNTIME" $a
	[ "$rc" = 0 ] || bad+=("$a: rc=$rc $(head -c 200 "$WORK/e")")
done
[ "${#bad[@]}" = 0 ] && [ "$(sha "$empty/config.json")" = "$before" ] &&
	tap_ok "flag errors exit 1; a global --help/--version and Go's bool spellings answer, exit 0" ||
	tap_fail "flag errors and bool spellings" "${bad[@]}"

hr_require_containers "conformance: containers"

# ---- a config without a process -------------------------------------------------
make_bundle "$WORK/np" true
for how in '.process = null' 'del(.process)'; do
	bundle_set "$WORK/np" "$how"
	before=$(sha "$WORK/np/config.json")
	hr_new_id di-np
	run_guarded "$WORK/o" "$WORK/e" "${R[@]}" run -b "$WORK/np" "$id"
	[ "$rc" = 1 ] && grep -q process "$WORK/e" && [ "$(sha "$WORK/np/config.json")" = "$before" ] &&
		! rt state "$id" >/dev/null 2>&1 &&
		tap_ok "run with $how: refused, exit 1, naming process, config.json byte-identical" ||
		tap_fail "run with $how" "rc=$rc $(head -c 300 "$WORK/e")"
done

# ---- exec -p --------------------------------------------------------------------
make_bundle "$WORK/b" sleep 1000
hr_new_id di-ex
ex=$id
rt run -d -b "$WORK/b" "$ex" </dev/null >/dev/null 2>&1
json='{"args":["echo","via-process"],"cwd":"/","user":{"uid":0,"gid":0},"env":["PATH=/bin"],"noNewPrivileges":true}'
out=$(timeout 30 "${R[@]}" exec -p <(echo "$json") "$ex" 2>&1)
[ "$out" = via-process ] && tap_ok "exec -p <(echo \$json): read through the /dev/fd pipe" ||
	tap_fail "exec -p through a pipe" "$out"
# A process file hardrun would change (no noNewPrivileges): still the caller's bytes.
printf '%s\n' '{"args":["echo","via-file"],"cwd":"/","user":{"uid":0,"gid":0},"env":["PATH=/bin"]}' >"$WORK/p.json"
chmod 0640 "$WORK/p.json"
ln -s p.json "$WORK/p-link"
before=$(sha "$WORK/p.json")
st=$(stat -c '%i %a %Y' "$WORK/p.json")
out=$(timeout 30 "${R[@]}" exec -p "$WORK/p.json" "$ex" 2>&1)
out2=$(timeout 30 "${R[@]}" exec -p "$WORK/p-link" "$ex" 2>&1)
[ "$out" = via-file ] && [ "$out2" = via-file ] && [ "$(sha "$WORK/p.json")" = "$before" ] &&
	[ "$(stat -c '%i %a %Y' "$WORK/p.json")" = "$st" ] && [ -L "$WORK/p-link" ] &&
	[ "$(ls "$WORK" | grep -c '^p')" = 2 ] &&
	tap_ok "exec -p FILE and a symlink to it run; the caller's file keeps its bytes, inode and mode" ||
	tap_fail "exec -p FILE" "out=$out out2=$out2 $(stat -c '%i %a %Y' "$WORK/p.json") was $st" "$(cat "$WORK/p.json")"
mkfifo "$WORK/fifo"
if expect_hardrun; then
	run_guarded "$WORK/o" "$WORK/e" "${R[@]}" exec -p "$WORK/fifo" "$ex"
	[ "$rc" != 0 ] && [ "$rc" -lt 124 ] && tap_ok "exec -p on a FIFO nobody writes: an error, no hang (rc=$rc)" ||
		tap_fail "exec -p FIFO" "rc=$rc $(head -c 200 "$WORK/e")"
else
	tap_skip "exec -p on a FIFO nobody writes" "runc blocks in open() until a writer comes"
fi

# ---- update -r - ------------------------------------------------------------------
pid=$(rt state "$ex" | jq -r .pid)
pcg=$(awk -F: '$2 ~ /(^|,)pids(,|$)/ {print $3}' "/proc/$pid/cgroup")
printf '{"pids":{"limit":321}}' | timeout 30 "${R[@]}" update -r - "$ex" >"$WORK/o" 2>&1
got=$(cat "/sys/fs/cgroup/pids$pcg/pids.max" 2>/dev/null || cat "/sys/fs/cgroup$pcg/pids.max" 2>/dev/null)
[ "$got" = 321 ] && tap_ok "update -r - from stdin: pids.max on the host is 321" ||
	tap_fail "update -r -" "pids.max=$got $(cat "$WORK/o")"
timeout 30 "${R[@]}" update -r <(printf '{"pids":{"limit":322}}') "$ex" >"$WORK/o" 2>&1
got=$(cat "/sys/fs/cgroup/pids$pcg/pids.max" 2>/dev/null || cat "/sys/fs/cgroup$pcg/pids.max" 2>/dev/null)
printf '{"pids":{"limit":323}}' >"$WORK/r.json"
ln -s r.json "$WORK/r-link"
before=$(sha "$WORK/r.json")
timeout 30 "${R[@]}" update --resources="$WORK/r-link" "$ex" >>"$WORK/o" 2>&1
got2=$(cat "/sys/fs/cgroup/pids$pcg/pids.max" 2>/dev/null || cat "/sys/fs/cgroup$pcg/pids.max" 2>/dev/null)
[ "$got" = 322 ] && [ "$got2" = 323 ] && [ "$(sha "$WORK/r.json")" = "$before" ] &&
	tap_ok "update -r <(...) and --resources=SYMLINK: pids.max 322 then 323, the file untouched" ||
	tap_fail "update -r through a pipe and a symlink" "pids.max=$got then $got2 $(cat "$WORK/o")"
rt delete -f "$ex" >/dev/null 2>&1

# ---- device rules -------------------------------------------------------------------
make_bundle "$WORK/dv" sh -c 'cat /proc/self/cgroup'
bundle_set "$WORK/dv" '.linux.resources.devices = [{"allow":false,"access":"rwm"},
	{"allow":false,"type":"c","major":1,"minor":11,"access":"rwa"},
	{"allow":true,"type":"c","major":1,"minor":3,"access":"rwxyz"}]'
hr_new_id di-dv
run_guarded "$WORK/o" "$WORK/e" "${R[@]}" run -b "$WORK/dv" "$id"
[ "$rc" = 0 ] && tap_ok "device rules with access \"rwa\" and \"rwxyz\" run, as runc reads them" ||
	tap_fail "device rule rwa" "rc=$rc $(head -c 300 "$WORK/e")"
bundle_set "$WORK/dv" '.linux.resources.devices = [{"allow":false,"access":"rwm"},{"allow":false,"type":"c","major":1,"minor":11,"access":""}]'
before=$(sha "$WORK/dv/config.json")
hr_new_id di-dv
run_guarded "$WORK/o" "$WORK/e" "${R[@]}" run -b "$WORK/dv" "$id"
[ "$rc" = 1 ] && [ "$(sha "$WORK/dv/config.json")" = "$before" ] &&
	tap_ok "a device rule with an empty access is refused, exit 1" ||
	tap_fail "device rule empty access" "rc=$rc $(head -c 300 "$WORK/e")"

# The host console: a cgroup allow for c 5:1 and a node for it.
make_bundle "$WORK/con" sleep 1000
bundle_set "$WORK/con" '.linux.devices = [{"path":"/dev/hostcon","type":"c","major":5,"minor":1,"fileMode":438,"uid":0,"gid":0}]
	| .linux.resources.devices = [{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":5,"minor":1,"access":"rwm"},
	  {"allow":true,"type":"a","access":"m"}]'
hr_new_id di-con
rt run -d -b "$WORK/con" "$id" </dev/null >"$WORK/o" 2>&1
pid=$(rt state "$id" 2>/dev/null | jq -r .pid)
dcg=$(awk -F: '$2 ~ /(^|,)devices(,|$)/ {print $3}' "/proc/$pid/cgroup" 2>/dev/null)
list=$(cat "/sys/fs/cgroup/devices$dcg/devices.list" 2>/dev/null)
node=$(rt exec "$id" sh -c 'test -e /dev/hostcon && echo present || echo absent' 2>&1)
if expect_hardrun; then
	[ -n "$pid" ] && [ "$pid" != null ] && [ -n "$list" ] && ! grep -qE '^(c 5:1 |a )' <<<"$list" &&
		[ "$node" = absent ] &&
		tap_ok "console rule, console node and an \"a\" allow: the container's device cgroup has none" ||
		tap_fail "console" "pid=$pid node=$node" "$list" "$(cat "$WORK/o")"
else
	tap_skip "console rule removed" "runc runs what the config asks (the control's list: $(head -c 40 <<<"$list"))"
fi
rt delete -f "$id" >/dev/null 2>&1

# ---- seccomp notify -----------------------------------------------------------------
notify_profile() { # notify_profile LISTENER: allow all, mkdir to the agent
	jq -n --arg l "$1" '{defaultAction:"SCMP_ACT_ALLOW",listenerPath:$l,
		architectures:["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32","SCMP_ARCH_AARCH64"],
		syscalls:[{names:["mkdir","mkdirat"],action:"SCMP_ACT_NOTIFY"}]}'
}
make_bundle "$WORK/sn" sh -c 'mkdir /tmp/by-agent 2>&1; echo mkdir=$?'
bundle_set "$WORK/sn" ".linux.seccomp = $(notify_profile "$WORK/no-agent.sock")"
hr_new_id di-sn
run_guarded "$WORK/o" "$WORK/e" "${R[@]}" run -b "$WORK/sn" "$id"
[ "$rc" != 0 ] && ! grep -q mkdir= "$WORK/o" &&
	tap_ok "notify rules with a listener nobody serves: the container does not start (rc=$rc)" ||
	tap_fail "notify without agent" "rc=$rc $(cat "$WORK/o") $(head -c 300 "$WORK/e")"

# agent LISTENER LOG: accept one connection, log the fds and the container id, hang up.
agent() {
	python3 - "$1" "$2" <<'EOF' &
import array, json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1); s.settimeout(60)
open(sys.argv[2] + ".ready", "w").close()
c, _ = s.accept()
msg, anc, _, _ = c.recvmsg(1 << 16, socket.CMSG_SPACE(64 * 4))
fds = array.array("i")
for lvl, typ, data in anc:
    if lvl == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
        fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
st = json.loads(msg.decode())
with open(sys.argv[2], "w") as f:
    f.write("fds=%d id=%s\n" % (len(fds), st.get("state", {}).get("id", "")))
for fd in fds:
    os.close(fd)
c.close()
EOF
	agent_pid=$!
	for _ in $(seq 100); do [ -e "$2.ready" ] && break; sleep 0.1; done
}
if command -v python3 >/dev/null && python3 -c 'import socket' 2>/dev/null; then
	agent "$WORK/agent.sock" "$WORK/agent.log"
	bundle_set "$WORK/sn" ".linux.seccomp = $(notify_profile "$WORK/agent.sock")"
	hr_new_id di-sn
	run_guarded "$WORK/o" "$WORK/e" "${R[@]}" run -b "$WORK/sn" "$id"
	wait "$agent_pid" 2>/dev/null
	grep -q "fds=1 id=$id" "$WORK/agent.log" 2>/dev/null && grep -q 'mkdir=1' "$WORK/o" &&
		[ ! -e "$WORK/sn/rootfs/tmp/by-agent" ] &&
		tap_ok "the agent got the notify fd for $id and mkdir went to it (failed when it hung up)" ||
		tap_fail "notify reaches the agent" "rc=$rc log=$(cat "$WORK/agent.log" 2>&1)" "$(cat "$WORK/o")" "$(head -c 300 "$WORK/e")"
else
	tap_skip "notify reaches the agent" "python3 is needed for the test agent"
fi

# A listener that is the system bus's socket directory (a socket of our own
# there, reached through a symlink): refused by what it resolves to.
if expect_hardrun && [ -d /run/dbus ] && command -v python3 >/dev/null; then
	bus=/run/dbus/di-conformance-$$.sock
	python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$bus"
	ln -s "$bus" "$WORK/innocent.sock"
	bundle_set "$WORK/sn" ".linux.seccomp = $(notify_profile "$WORK/innocent.sock")"
	before=$(sha "$WORK/sn/config.json")
	hr_new_id di-sn
	run_guarded "$WORK/o" "$WORK/e" "${R[@]}" run -b "$WORK/sn" "$id"
	rm -f "$bus"
	[ "$rc" = 1 ] && grep -q 'listener' "$WORK/e" && [ "$(sha "$WORK/sn/config.json")" = "$before" ] &&
		tap_ok "listenerPath through a symlink to a socket under /run/dbus: refused, exit 1" ||
		tap_fail "listener on a bus socket" "rc=$rc $(head -c 300 "$WORK/e")"
else
	tap_skip "listenerPath on a bus socket refused" "hardrun's policy (runc connects to any socket), or no /run/dbus"
fi

# ---- setuid files under untrusted ------------------------------------------------------
probe=$(hr_find_built tests/security/setid-probe)
for lower in "" builtin; do
	if ! expect_hardrun || [ -z "$probe" ]; then
		tap_skip "no setuid files under untrusted ${lower:-(runc)}" "hardrun's profile (or no static setid-probe in this build)"
		continue
	fi
	if [ -n "$lower" ] && ! "$OCI_RUNTIME" --hardrun-runtime "$lower" --version >/dev/null 2>&1; then
		tap_skip "no setuid files under untrusted ($lower)" "this hardrun has no $lower runtime"
		continue
	fi
	vol=$WORK/vol$lower
	mkdir -p "$vol"
	chmod 0777 "$vol"
	rm -rf "$WORK/su"
	make_bundle "$WORK/su" /probe /vol
	cp "$probe" "$WORK/su/rootfs/probe"
	bundle_set "$WORK/su" '.mounts += [{"destination":"/vol","type":"bind","source":"'"$vol"'","options":["rbind","rw"]}]'
	hr_new_id di-su
	run_guarded "$WORK/o" "$WORK/e" "${R[@]}" ${lower:+--hardrun-runtime "$lower"} --hardrun-profile untrusted run -b "$WORK/su" "$id"
	setid=$(find "$vol" -perm /6000 -printf '%M %p\n')
	caps=$(getfattr -h -n security.capability "$vol"/* 2>/dev/null | grep -c security.capability)
	oks=$(grep -v -e '-clean ok' "$WORK/o" | grep -c ' ok$')
	[ "$rc" = 0 ] && [ -z "$setid" ] && [ "$caps" = 0 ] && [ "$oks" = 0 ] && grep -q 'chmod-clean ok' "$WORK/o" &&
		tap_ok "untrusted (${lower:-runc}): 15 ways to a setuid/setgid file or file capability fail; none on the host's disk" ||
		tap_fail "setuid under untrusted (${lower:-runc})" "rc=$rc $(head -c 300 "$WORK/e")" "$(cat "$WORK/o")" "$setid"
done

tap_end
