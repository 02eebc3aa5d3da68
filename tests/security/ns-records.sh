#!/bin/bash
# Namespaces by ownership, pods by hardrun's records, records as
# transactions (issue 16 point 3 and 4, 5's cgroupsPath): each attack is
# tried for real against live containers through hardrun delegating to
# runc, and the host is checked afterwards: which namespaces processes are
# in (readlink /proc/PID/ns/*), the victim's capabilities and files, its
# cgroup's pids.max, hardrun's state files.  Default policy, no hand-written
# one.
. "$(dirname "$0")/../lib/common.sh"
HR_CORE=1
if ! is_hardrun; then
	echo "1..0 # SKIP these records are hardrun's own, not the runc control's"
	exit 0
fi
hr_require_containers "namespaces and records"
hr_test_setup sn-ns
chmod 0755 "$WORK" # a container with a mapping of its own reaches its rootfs
STATE=/run/hardrun
CG=sn-cg-$$

hr_test_cleanup() {
	rmdir "/sys/fs/cgroup/pids/$CG" 2>/dev/null
}

new_id() { # new_id NAME: $id, remembered for cleanup
	id="sn-$1-$$"
	IDS+=("$id")
}

# procs_in PID TYPE: how many host processes share PID's TYPE namespace
procs_in() {
	local want n=0 p
	want=$(readlink "/proc/$1/ns/$2") || return 1
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/$2" 2>/dev/null)" = "$want" ] && n=$((n + 1))
	done
	echo "$n"
}

# attempt NAME BUNDLE EXPECT: `run -d` must exit 1 with EXPECT in its
# error, and the container must not exist afterwards.
attempt() {
	local name=$1 b=$2 expect=$3 rc pid
	new_id "$name"
	# (a subshell: the shell's "Killed" line for runc stays out of TAP)
	(timeout 60 "$OCI_RUNTIME" --root "$HR_TEST_ROOT" run -d --bundle "$b" "$id" \
		</dev/null >"$WORK/$name.log" 2>&1) 2>/dev/null
	rc=$?
	if [ "$rc" = 0 ]; then
		pid=$(rt state "$id" 2>/dev/null | jq -r .pid)
		ATTEMPT_PID=$pid
		return 1
	fi
	ATTEMPT_PID=
	refused_status "$rc" && grep -qF -- "$expect" "$WORK/$name.log" &&
		! runc --root "$HR_TEST_ROOT" state "$id" >/dev/null 2>&1
}

# A refusal exits 1 (never 137: nothing is killed for it).
refused_status() { [ "$1" = 1 ]; }

bundle() { # bundle DIR ARGS...
	make_bundle "$@"
}

# --- the victim: a live container with its own user namespace -------------
new_id victim
A=$id
bundle "$WORK/a" sleep 1000
bundle_set "$WORK/a" ".linux.cgroupsPath = \"/$CG\" | .linux.resources.pids = {limit: 50}"
if ! rt --hardrun-profile untrusted run -d --bundle "$WORK/a" "$A" </dev/null >"$WORK/a.log" 2>&1; then
	tap_fail "victim container starts" "$(cat "$WORK/a.log")"
	tap_end
	exit
fi
apid=$(rt state "$A" | jq -r .pid)
amap=$(awk '$1 == 0 { print $2 }' "/proc/$apid/uid_map")
[ "${amap:-0}" -gt 0 ] && tap_ok "victim runs in a user namespace of its own (host uid $amap)" ||
	tap_fail "victim runs in a user namespace" "uid_map: $(cat "/proc/$apid/uid_map")"
users_before=$(procs_in "$apid" user)
pids_before=$(procs_in "$apid" pid)

# 1. join the victim's user namespace by path (runc joins it whatever the
# mapping says; one above the pool passes the mapping checks)
bundle "$WORK/b1" sleep 1000
bundle_set "$WORK/b1" ".linux.namespaces += [{type: \"user\", path: \"/proc/$apid/ns/user\"}]
	| .linux.uidMappings = [{containerID: 0, hostID: 300100000, size: 65536}]
	| .linux.gidMappings = [{containerID: 0, hostID: 300100000, size: 65536}]"
if attempt userpath "$WORK/b1" "did not make for this container's pod" &&
	[ "$(procs_in "$apid" user)" = "$users_before" ]; then
	tap_ok "joining another container's user namespace by path: refused, nothing new in it"
else
	tap_fail "joining another container's user namespace by path" "$(cat "$WORK/userpath.log")" \
		"joiner's userns: $(readlink "/proc/${ATTEMPT_PID:-0}/ns/user" 2>/dev/null) victim's: $(readlink "/proc/$apid/ns/user")"
fi

# 2. forged CRI annotations: "my sandbox is the victim", with its netns
bundle "$WORK/b2" sleep 1000
bundle_set "$WORK/b2" ".annotations = {\"io.kubernetes.cri.container-type\": \"container\",
	\"io.kubernetes.cri.sandbox-id\": \"$A\"}
	| .linux.namespaces |= map(if .type == \"network\" then .path = \"/proc/$apid/ns/net\" else . end)"
if attempt forged "$WORK/b2" "not a pod sandbox hardrun made" &&
	[ "$(procs_in "$apid" user)" = "$users_before" ]; then
	tap_ok "forged io.kubernetes.cri.sandbox-id naming a container: refused, nothing joined its user namespace"
else
	tap_fail "forged CRI annotations" "$(cat "$WORK/forged.log")" \
		"userns: $(readlink "/proc/${ATTEMPT_PID:-0}/ns/user" 2>/dev/null) victim: $(readlink "/proc/$apid/ns/user")"
fi

# 3. the victim's pid namespace, then its files through /proc/1/root
bundle "$WORK/b3" sh -c 'echo pwned >/proc/1/root/tmp/sn-pwned; sleep 1000'
bundle_set "$WORK/b3" ".linux.namespaces |= map(if .type == \"pid\" then .path = \"/proc/$apid/ns/pid\" else . end)"
if attempt pidns "$WORK/b3" "did not make for this container's pod" &&
	[ "$(procs_in "$apid" pid)" = "$pids_before" ] && [ ! -e "$WORK/a/rootfs/tmp/sn-pwned" ]; then
	tap_ok "joining another container's pid namespace: refused; no new process in it, its /tmp untouched"
else
	tap_fail "joining another container's pid namespace" "$(cat "$WORK/pidns.log")" \
		"pidns procs: $(procs_in "$apid" pid) (was $pids_before)" "$(ls -l "$WORK/a/rootfs/tmp")"
fi

# 4. a FIFO as namespace path: exit 1 at once, never a hang (timeout is a
# guard only: 124 is the failure)
mkfifo "$WORK/fifo"
for t in network pid user; do
	bundle "$WORK/b4-$t" true
	bundle_set "$WORK/b4-$t" "if any(.linux.namespaces[]; .type == \"$t\")
		then .linux.namespaces |= map(if .type == \"$t\" then .path = \"$WORK/fifo\" else . end)
		else .linux.namespaces += [{type: \"$t\", path: \"$WORK/fifo\"}] end"
	start=$(date +%s)
	new_id "fifo-$t"
	(timeout 60 "$OCI_RUNTIME" --root "$HR_TEST_ROOT" create --bundle "$WORK/b4-$t" "$id" \
		</dev/null >"$WORK/fifo-$t.log" 2>&1) 2>/dev/null
	rc=$?
	took=$(($(date +%s) - start))
	if refused_status "$rc" && grep -q "not a namespace file" "$WORK/fifo-$t.log" &&
		! runc --root "$HR_TEST_ROOT" state "$id" >/dev/null 2>&1; then
		tap_ok "a FIFO as $t namespace path: refused (exit $rc) in ${took}s, naming it"
	else
		tap_fail "a FIFO as $t namespace path" "exit $rc after ${took}s (124: hung)" "$(cat "$WORK/fifo-$t.log")"
	fi
done

# 5. a refused create of the live id must not change what its exec gets
capeff() { awk '/^CapEff:/ { print $2 }' "/proc/$1/status"; }
bundle "$WORK/b5" sleep 1000
new_id dummy
(rt --hardrun-profile baseline create --bundle "$WORK/b5" "$A" </dev/null >"$WORK/relive.log" 2>&1) 2>/dev/null
rc=$?
# CAP_CHOWN: baseline's, not untrusted's.  The exec is judged by the profile
# recorded at create (by name, or by the path it was loaded from): dropped
# (or refused), never granted.
rt exec -d --cap CAP_CHOWN --pid-file "$WORK/exec.pid" "$A" sleep 300 </dev/null >"$WORK/exec.log" 2>&1
epid=$(cat "$WORK/exec.pid" 2>/dev/null)
if refused_status "$rc" && { [ -z "$epid" ] || [ "$(capeff "$epid")" = "$(capeff "$apid")" ]; } &&
	case "$(head -n1 "$STATE/containers/$A")" in untrusted | */untrusted.json) true ;; *) false ;; esac; then
	tap_ok "create of a live id refused; the live one's exec keeps its capabilities (CapEff $(capeff "$epid"))"
else
	tap_fail "refused create of a live id leaves its exec alone" "create exit $rc: $(tail -n1 "$WORK/relive.log")" \
		"exec: CapEff ${epid:+$(capeff "$epid")} vs init $(capeff "$apid"); $(cat "$WORK/exec.log")" \
		"record: $(tr '\n' ' ' <"$STATE/containers/$A" 2>/dev/null)"
fi

# 6. delete under another --root frees nothing of the live container
mkdir -p "$WORK/other-root"
range_of() { grep -lx "key=$1" "$STATE"/ranges/[0-9]* 2>/dev/null; }
before=$(range_of "$A")
"$OCI_RUNTIME" --root "$WORK/other-root" delete "$A" >"$WORK/otherdel.log" 2>&1
if [ -n "$before" ] && [ "$(range_of "$A")" = "$before" ] && [ -e "$STATE/containers/$A" ] &&
	kill -0 "$apid" 2>/dev/null; then
	tap_ok "delete --root OTHER leaves the live container's range ($before) and record"
else
	tap_fail "delete --root OTHER leaves the live container's range" "before: $before after: $(range_of "$A")" \
		"$(cat "$WORK/otherdel.log")"
fi

# 7. linux.cgroupsPath naming the victim's cgroup: its pids.max stays
pmax=/sys/fs/cgroup/pids/$CG/pids.max
[ -e "$pmax" ] || pmax=/sys/fs/cgroup/$CG/pids.max
bundle "$WORK/b7" sleep 1000
bundle_set "$WORK/b7" ".linux.cgroupsPath = \"/$CG\" | .linux.resources.pids = {limit: 4096}"
if [ "$(cat "$pmax" 2>/dev/null)" = 50 ] && attempt cgroup "$WORK/b7" "cgroupsPath" &&
	[ "$(cat "$pmax")" = 50 ]; then
	tap_ok "cgroupsPath naming a live container's cgroup: refused; its pids.max is still 50"
else
	tap_fail "cgroupsPath naming another container's cgroup" "pids.max: $(cat "$pmax" 2>/dev/null)" \
		"$(cat "$WORK/cgroup.log" 2>/dev/null)"
fi

# 7b. a fresh cgroup beneath the victim's: it would count against the
# victim's pids.max (the hierarchy charges a child's tasks to its parent)
pcur=${pmax%/pids.max}/pids.current
pcur_before=$(cat "$pcur" 2>/dev/null)
bundle "$WORK/b7b" sleep 1000
bundle_set "$WORK/b7b" ".linux.cgroupsPath = \"/$CG/pu-sub\""
if [ -n "$pcur_before" ] && attempt cgbelow "$WORK/b7b" "beneath an existing cgroup with tasks" &&
	[ "$(cat "$pmax")" = 50 ] && [ "$(cat "$pcur")" = "$pcur_before" ] &&
	[ ! -e "${pmax%/pids.max}/pu-sub" ]; then
	tap_ok "cgroupsPath beneath a live container's cgroup: refused; its pids.current is still $pcur_before, pids.max 50, no child cgroup made"
else
	tap_fail "cgroupsPath beneath another container's cgroup" \
		"pids.max: $(cat "$pmax" 2>/dev/null) pids.current: $(cat "$pcur" 2>/dev/null) (was $pcur_before)" \
		"$(cat "$WORK/cgbelow.log" 2>/dev/null)"
fi

# 7c. a caller's own mapping, refused by a later rule (a never-allowed
# capability under a profile that refuses capabilities): no caller claim,
# no MCS pair, no range left in hardrun's state
bundle "$WORK/b7c" sleep 1000
bundle_set "$WORK/b7c" ".linux.namespaces += [{type: \"user\"}]
	| .linux.uidMappings = [{containerID: 0, hostID: 310000000, size: 65536}]
	| .linux.gidMappings = [{containerID: 0, hostID: 310000000, size: 65536}]
	| .process.user = {uid: 1000, gid: 1000}
	| .process.capabilities.bounding += [\"CAP_SYS_MODULE\"]"
new_id capref
if (timeout 60 "$OCI_RUNTIME" --root "$HR_TEST_ROOT" --hardrun-profile restricted run -d \
	--bundle "$WORK/b7c" "$id" </dev/null >"$WORK/capref.log" 2>&1) 2>/dev/null; then
	tap_fail "a later refusal leaves no caller claim" "it started" "$(cat "$WORK/capref.log")"
elif grep -qF CAP_SYS_MODULE "$WORK/capref.log" && [ ! -e "$STATE/callers/$id" ] &&
	[ ! -e "$STATE/selinux/$id" ] && [ ! -e "$STATE/pods/$id" ]; then
	tap_ok "a caller mapping refused by a later rule (CAP_SYS_MODULE): no caller claim, no MCS pair left"
else
	tap_fail "a later refusal leaves no caller claim" "$(ls "$STATE/callers" "$STATE/selinux" 2>&1 | tr '\n' ' ')" \
		"$(cat "$WORK/capref.log")"
fi

# 8. two containers with the same mapping of their own, above the pool
mapped() { # mapped DIR HOSTID
	bundle "$1" sleep 1000
	bundle_set "$1" ".linux.namespaces += [{type: \"user\"}]
		| .linux.uidMappings = [{containerID: 0, hostID: $2, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: $2, size: 65536}]"
}
mapped "$WORK/c1" 300000000
mapped "$WORK/c2" 300000000
new_id map1
c1=$id
rt run -d --bundle "$WORK/c1" "$c1" </dev/null >"$WORK/c1.log" 2>&1
c1pid=$(rt state "$c1" 2>/dev/null | jq -r .pid)
if [ "$(awk '$1 == 0 { print $2 }' "/proc/${c1pid:-0}/uid_map" 2>/dev/null)" = 300000000 ] &&
	attempt map2 "$WORK/c2" "already mapped by live container \`$c1\`" &&
	[ "$(procs_in "$c1pid" user)" = 1 ]; then
	tap_ok "a second container with the first's own mapping: refused ($(grep -o 'already mapped[^;]*' "$WORK/map2.log"))"
else
	tap_fail "duplicate caller mappings" "$(cat "$WORK/c1.log")" "$(cat "$WORK/map2.log" 2>/dev/null)"
fi
mapped "$WORK/c3" 100000
if attempt below "$WORK/c3" "allowed:"; then
	tap_ok "a mapping below the pool is refused with the ranges that are allowed"
else
	tap_fail "below-pool refusal names the allowed ranges" "$(cat "$WORK/below.log")"
fi

# 9. what a pod may do: its member joins the sandbox hardrun recorded
new_id sandbox
sb=$id
bundle "$WORK/sb" sleep 1000
bundle_set "$WORK/sb" ".annotations = {\"io.kubernetes.cri.container-type\": \"sandbox\",
	\"io.kubernetes.cri.sandbox-id\": \"$sb\"}"
rt run -d --bundle "$WORK/sb" "$sb" </dev/null >"$WORK/sb.log" 2>&1
sbpid=$(rt state "$sb" 2>/dev/null | jq -r .pid)
bundle "$WORK/m" sleep 1000
bundle_set "$WORK/m" ".annotations = {\"io.kubernetes.cri.container-type\": \"container\",
	\"io.kubernetes.cri.sandbox-id\": \"$sb\"}
	| .linux.namespaces |= map(if (.type == \"network\" or .type == \"ipc\" or .type == \"uts\" or .type == \"pid\")
		then .path = (\"/proc/$sbpid/ns/\" + (if .type == \"network\" then \"net\" else .type end)) else . end)"
new_id member
rt run -d --bundle "$WORK/m" "$id" </dev/null >"$WORK/m.log" 2>&1
mpid=$(rt state "$id" 2>/dev/null | jq -r .pid)
same=yes
for t in user net ipc uts pid; do
	[ -n "$mpid" ] && [ "$(readlink "/proc/$mpid/ns/$t")" = "$(readlink "/proc/$sbpid/ns/$t")" ] || same="no ($t)"
done
# the record names the sandbox's user namespace by its nsfs inode
sbino=$(readlink "/proc/$sbpid/ns/user" | tr -dc 0-9)
if [ "$same" = yes ] && grep -qE "^userns=[0-9]+:$sbino\$" "$STATE/pods/$sb" 2>/dev/null; then
	tap_ok "a CRI member joins its recorded sandbox's user, net, ipc, uts and pid namespaces (record: userns inode $sbino)"
else
	tap_fail "pod member joins its sandbox" "$same" "$(cat "$WORK/sb.log" "$WORK/m.log")" \
		"record: $(tr '\n' ' ' <"$STATE/pods/$sb" 2>/dev/null) sandbox: $sbino"
fi

# 9b. `check` never writes: a sandbox record whose user namespace is not
# yet pinned (the pin failed, or an older hardrun made it) stays as it is
# when a member's config is checked; the identity is pinned only by a
# create's provision
if [ -f "$STATE/pods/$sb" ]; then
	cp -p "$STATE/pods/$sb" "$WORK/sb.record"
	grep -v '^userns=' "$WORK/sb.record" >"$STATE/pods/$sb"
	before=$(sha256sum <"$STATE/pods/$sb")
	rt check --bundle "$WORK/m" >"$WORK/check.log" 2>&1
	crc=$?
	if [ "$(sha256sum <"$STATE/pods/$sb")" = "$before" ] &&
		! grep -q '^userns=' "$STATE/pods/$sb"; then
		tap_ok "check of a pod member writes nothing into the sandbox's record"
	else
		tap_fail "check is read-only" "record: $(tr '\n' ' ' <"$STATE/pods/$sb") rc=$crc" "$(cat "$WORK/check.log")"
	fi
	cp -p "$WORK/sb.record" "$STATE/pods/$sb"
else
	tap_fail "check is read-only" "no record of the sandbox $sb"
fi

# 10. podman's default network with Debian's containers.conf: a netns the
# host made for the container, net.ipv4.ping_group_range=0 0, a server on 80
if command -v ip >/dev/null && ip netns add "sn-$$" 2>/dev/null; then
	host_ping=$(cat /proc/sys/net/ipv4/ping_group_range)
	host_port=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
	bundle "$WORK/pm" sh -c 'nc -l -p 80 -e true & echo listening; sleep 1000'
	ln -sf busybox "$WORK/pm/rootfs/bin/nc"
	bundle_set "$WORK/pm" ".linux.sysctl = {\"net.ipv4.ping_group_range\": \"0 0\"}
		| .linux.namespaces |= map(if .type == \"network\" then .path = \"/var/run/netns/sn-$$\" else . end)"
	new_id podman
	pm=$id
	rt run -d --bundle "$WORK/pm" "$pm" </dev/null >"$WORK/pm.log" 2>&1
	pmpid=$(rt state "$pm" 2>/dev/null | jq -r .pid)
	pmstart=$(awk '$1 == 0 { print $2 }' "/proc/${pmpid:-0}/gid_map" 2>/dev/null)
	listen=no
	for _ in $(seq 50); do # the server's bind, made observable: poll its socket table
		ip netns exec "sn-$$" cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep -Eq ':0050 [0-9A-F:]+ 0A' && {
			listen=yes
			break
		}
		sleep 0.1
	done
	inner=$(ip netns exec "sn-$$" cat /proc/sys/net/ipv4/ping_group_range | tr -s '\t ' ' ')
	if [ "$listen" = yes ] && [ -n "$pmstart" ] && [ "$inner" = "$pmstart $pmstart" ] &&
		[ "$(readlink "/proc/$pmpid/ns/net")" = "$(ip netns exec "sn-$$" readlink /proc/self/ns/net)" ] &&
		[ "$(cat /proc/sys/net/ipv4/ping_group_range)" = "$host_ping" ] &&
		[ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" = "$host_port" ]; then
		tap_ok "a netns made for the container: ping_group_range set there ($inner), a server binds port 80; the host's untouched"
	else
		tap_fail "podman-style netns with net sysctls" "listen=$listen inner='$inner' container gid 0=$pmstart" \
			"$(cat "$WORK/pm.log")"
	fi
	# the same sysctls for the host's own netns: refused, the host untouched
	bundle "$WORK/hn" true
	bundle_set "$WORK/hn" ".linux.sysctl = {\"net.ipv4.ping_group_range\": \"0 0\"}
		| .linux.namespaces |= map(if .type == \"network\" then .path = \"/proc/$$/ns/net\" else . end)"
	if attempt hostnet "$WORK/hn" "not one made for this container" &&
		[ "$(cat /proc/sys/net/ipv4/ping_group_range)" = "$host_ping" ]; then
		tap_ok "net sysctls for the host's netns: refused; the host's ping_group_range is still '$host_ping'"
	else
		tap_fail "net sysctls for the host's netns" "$(cat "$WORK/hostnet.log")"
	fi
	# a netns made for the container, refused by a later rule: the sysctls
	# and low ports were only planned, so the netns keeps its values
	ip netns add "pu-$$" 2>/dev/null
	pu_ping=$(ip netns exec "pu-$$" cat /proc/sys/net/ipv4/ping_group_range | tr -s '\t ' ' ')
	pu_port=$(ip netns exec "pu-$$" cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
	bundle "$WORK/pr" sleep 1000
	bundle_set "$WORK/pr" ".linux.sysctl = {\"net.ipv4.ping_group_range\": \"0 0\"}
		| .linux.namespaces |= map(if .type == \"network\" then .path = \"/var/run/netns/pu-$$\" else . end)
		| .process.user = {uid: 1000, gid: 1000}
		| .process.capabilities.bounding += [\"CAP_SYS_MODULE\"]"
	new_id netref
	if ! (timeout 60 "$OCI_RUNTIME" --root "$HR_TEST_ROOT" --hardrun-profile restricted run -d \
		--bundle "$WORK/pr" "$id" </dev/null >"$WORK/netref.log" 2>&1) 2>/dev/null &&
		grep -qF CAP_SYS_MODULE "$WORK/netref.log" &&
		[ "$(ip netns exec "pu-$$" cat /proc/sys/net/ipv4/ping_group_range | tr -s '\t ' ' ')" = "$pu_ping" ] &&
		[ "$(ip netns exec "pu-$$" cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" = "$pu_port" ] &&
		[ ! -e "$STATE/selinux/$id" ]; then
		tap_ok "a netns made for the container, refused by a later rule: its ping_group_range ('$pu_ping') and low ports ($pu_port) unchanged"
	else
		tap_fail "a later refusal leaves the netns's sysctls" \
			"ping_group_range: $(ip netns exec "pu-$$" cat /proc/sys/net/ipv4/ping_group_range) (was $pu_ping) port start: $(ip netns exec "pu-$$" cat /proc/sys/net/ipv4/ip_unprivileged_port_start) (was $pu_port)" \
			"$(cat "$WORK/netref.log")"
	fi
	ip netns del "pu-$$"
	rt delete -f "$pm" >/dev/null 2>&1
	ip netns del "sn-$$"
else
	tap_skip "podman-style netns" "no ip(8) netns"
	tap_skip "net sysctls for the host's netns" "no ip(8) netns"
	tap_skip "a later refusal leaves the netns's sysctls" "no ip(8) netns"
fi

tap_end
