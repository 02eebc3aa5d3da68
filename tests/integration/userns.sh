#!/bin/bash
# User namespaces with real containers through runc: container root is not
# host root, a rootfs owned by host root stays writable (idmapped mount),
# each container gets its own range, and delete frees it.  hardrun-only
# checks are skipped for the runc control.
# hr-control: yes
set -u
HR_CORE=1
. "$(dirname "$0")/../lib/common.sh"

WORK=$(mktemp -d /tmp/hr-userns.XXXXXX)
chmod 0711 "$WORK"
IDS=()
cleanup() {
	local id
	for id in "${IDS[@]}"; do rt delete -f "$id" >/dev/null 2>&1; done
	ip netns del "hr-userns-$$" 2>/dev/null
	grep -o " $WORK/[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
	rm -rf "$WORK"
	case "$HR_TEST_ROOT" in /tmp/hr-root.*) rm -rf "$HR_TEST_ROOT" ;; esac
}
trap cleanup EXIT
# own_rootfs DIR...: bundle DIR gets the image at DIR/rootfs (a bind mount
# of $B/rootfs): hardrun idmaps a rootfs only beneath its own bundle.
own_rootfs() {
	local d
	for d in "$@"; do
		mkdir -p "$d/rootfs"
		mount --bind "$B/rootfs" "$d/rootfs"
	done
}
trap 'exit 1' INT TERM # so a timeout still unmounts what the test made

if ! need_root; then
	tap_skip "user namespace checks" "needs root"
	tap_end
	exit
fi
if [ ! -x /bin/busybox ] || ! command -v runc >/dev/null || ! command -v jq >/dev/null; then
	tap_skip "user namespace checks" "busybox-static, runc and jq are needed"
	tap_end
	exit
fi

# The shipped defaults: no host policy.  hardrun's state is the default
# /run/hardrun, which other containers on this host may share: "freed" is
# checked for this script's ids only (they all carry -$$-).
STATE=/run/hardrun
# HR_USERNS_PROFILE: another profile (name or path) than the default, as a
# user picks one (HARDRUN_PROFILE).
[ -n "${HR_USERNS_PROFILE:-}" ] && export HARDRUN_PROFILE=$HR_USERNS_PROFILE
HR=0
expect_hardrun && HR=1

new_id() {
	id="hru-$1-$$-${#IDS[@]}"
	IDS+=("$id")
}
state_field() { rt state "$1" 2>/dev/null | jq -r ".$2"; }
wait_file() { # wait_file PATH: up to 10 s
	local i
	for i in $(seq 100); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
# host start of the range a running container's root maps to
range_of() { awk '$1 == 0 { print $2 }' "/proc/$1/uid_map"; }
# ours_re: this script's container ids
ours_re="hru-[^ /]*-$$-[0-9]*"
ranges_left() { grep -lsE "^key=$ours_re\$" "$STATE"/ranges/[0-9]* 2>/dev/null | wc -l; }
mounts_left() { grep -cE " $STATE/mounts/$ours_re/" /proc/self/mountinfo; }
mount_dirs_left() { find "$STATE/mounts" -mindepth 1 -maxdepth 1 -name "hru-*-$$-*" 2>/dev/null; }
ours_ranges() { grep -lsE "^key=$ours_re\$" "$STATE"/ranges/[0-9]*; }

B=$WORK/bundle
make_bundle "$B" true
bundle_set "$B" '.root.readonly=false'
cp "$B/config.json" "$WORK/pristine.json"

# --- one container: writes, ownership, uid_map ------------------------------
bundle_set "$B" '.process.args=["sh","-c","cat /proc/self/uid_map > /tmp/uidmap; touch /f1 /tmp/f2 /root/f3 && echo 0123 > /root/f3 && stat -c %u /f1 > /tmp/owner; touch /tmp/ready; sleep 1000"]'
new_id one
rt run -d -b "$B" "$id" </dev/null >"$WORK/one.log" 2>&1
rc=$?
out=$(cat "$WORK/one.log")
pid=$(state_field "$id" pid)
if [ $rc -eq 0 ] && [ "${pid:-0}" -gt 0 ] 2>/dev/null && wait_file "/proc/$pid/root/tmp/ready"; then
	tap_ok "container starts from a busybox rootfs owned by host root"
else
	tap_fail "container starts from a busybox rootfs owned by host root" "rc=$rc" "$out"
	tap_end
	exit
fi
root=/proc/$pid/root
if [ -f "$root/f1" ] && [ -f "$root/tmp/f2" ] && [ "$(cat "$root/root/f3")" = 0123 ]; then
	tap_ok "container root creates and writes files in /, /tmp and /root"
else
	tap_fail "container root creates and writes files in /, /tmp and /root" "$(ls -la "$root" "$root/root" 2>&1)"
fi
[ "$(cat "$root/tmp/owner")" = 0 ] && tap_ok "inside, the new files belong to root (uid 0)" ||
	tap_fail "inside, the new files belong to root (uid 0)" "owner: $(cat "$root/tmp/owner")"
start=$(awk '$1 == 0 { print $2 }' "$root/tmp/uidmap")
if [ "$HR" = 1 ]; then
	if [ "${start:-0}" -ge 65536 ] 2>/dev/null && grep -Eq "^ +0 +$start +65536$" "$root/tmp/uidmap"; then
		tap_ok "/proc/self/uid_map inside shows the range: $(tr -s ' ' <"$root/tmp/uidmap")"
	else
		tap_fail "/proc/self/uid_map inside shows the range" "$(cat "$root/tmp/uidmap")"
	fi
	owners=$(stat -c %u "$root/f1" "$root/tmp/f2" "$root/root/f3" | sort -u)
	[ "$owners" = "$start" ] && tap_ok "on the host the files belong to the container's range ($owners), not uid 0" ||
		tap_fail "on the host the files belong to the container's range, not uid 0" "owners: $owners, range $start"
	[ "$(stat -c %u "$B/rootfs/bin/busybox")" = 0 ] && tap_ok "the bundle's image stays owned by host root (nothing chowned)" ||
		tap_fail "the bundle's image stays owned by host root" "$(stat -c %u "$B/rootfs/bin/busybox")"
	[ "$(state_field "$id" bundle)" = "$B" ] && tap_ok "state reports the caller's bundle" ||
		tap_fail "state reports the caller's bundle" "$(rt state "$id")"
else
	tap_skip "uid_map shows a range" "control runtime maps nothing"
	tap_skip "files belong to the range" "control runtime maps nothing"
	tap_skip "image stays owned by host root" "control runtime"
	tap_skip "state reports the caller's bundle" "control runtime"
fi

# --- a create reusing a live id fails and leaves the live container alone ----
if [ "$HR" = 1 ]; then
	one=${IDS[-1]}
	rt create -b "$B" "$one" </dev/null >"$WORK/dup.log" 2>&1
	rc=$?
	if [ $rc -ne 0 ] && [ -e "$STATE/ranges/$start" ] && grep -q " $STATE/mounts/$one/rootfs " /proc/self/mountinfo; then
		tap_ok "create with a live container's id fails and keeps that container's range and rootfs view"
	else
		tap_fail "create with a live container's id keeps that container's range" "rc=$rc" "$(cat "$WORK/dup.log")" "$(ours_ranges)"
	fi
else
	tap_skip "duplicate id keeps the live range" "control runtime"
fi

# --- same bundle, second container side by side -----------------------------
new_id two
rt run -d -b "$B" "$id" </dev/null >"$WORK/two.log" 2>&1
out=$(cat "$WORK/two.log")
pid2=$(state_field "$id" pid)
if [ "$HR" = 1 ]; then
	if [ "${pid2:-0}" -gt 0 ] 2>/dev/null && wait_file "/proc/$pid2/root/tmp/ready" &&
		[ "$(range_of "$pid2")" != "$(range_of "$pid")" ]; then
		tap_ok "a second container from the same bundle runs beside the first with its own range"
	else
		tap_fail "a second container from the same bundle runs beside the first with its own range" "$out" \
			"ranges: $(range_of "$pid") $(range_of "${pid2:-0}" 2>&1)"
	fi
else
	tap_skip "second container's own range" "control runtime"
fi
rt delete -f "${IDS[-1]}" >/dev/null 2>&1
rt delete -f "${IDS[-2]}" >/dev/null 2>&1
if [ "$HR" = 1 ]; then
	[ "$(ranges_left)" = 0 ] && [ "$(mounts_left)" = 0 ] && tap_ok "delete frees the ranges and the idmapped mounts" ||
		tap_fail "delete frees the ranges and the idmapped mounts" "$(ours_ranges; mount_dirs_left)" "$(grep "$STATE" /proc/self/mountinfo)"
else
	tap_skip "delete frees ranges" "control runtime"
fi

# --- thirty concurrent creates ----------------------------------------------
N=30
for i in $(seq $N); do
	own_rootfs "$WORK/c$i"
	jq '.root.path="rootfs" | .process.args=["sleep","1000"] | del(.annotations)' \
		"$WORK/pristine.json" >"$WORK/c$i/config.json"
done
cids=()
for i in $(seq $N); do
	new_id conc
	cids+=("$id")
	rt create -b "$WORK/c$i" "$id" </dev/null >"$WORK/create$i.log" 2>&1 &
done
wait
created=0
starts=()
for id in "${cids[@]}"; do
	p=$(state_field "$id" pid)
	if [ "${p:-0}" -gt 0 ] 2>/dev/null; then
		created=$((created + 1))
		starts+=("$(range_of "$p")")
	fi
done
distinct=$(printf '%s\n' "${starts[@]}" | sort -u | wc -l)
[ $created = $N ] && tap_ok "$N concurrent creates all succeed" ||
	tap_fail "$N concurrent creates all succeed" "created $created" "$(cat "$WORK"/create*.log | sort | uniq -c | head)"
if [ "$HR" = 1 ]; then
	[ "$distinct" = $N ] && ! printf '%s\n' "${starts[@]}" | grep -qx 0 &&
		tap_ok "$N concurrent containers got $distinct distinct ranges" ||
		tap_fail "$N concurrent containers get distinct ranges" "distinct: $distinct" "${starts[*]}"
	[ "$(ranges_left)" = $N ] && tap_ok "$N range entries in the state dir" ||
		tap_fail "$N range entries in the state dir" "$(ranges_left)"
fi
for id in "${cids[@]}"; do rt delete -f "$id" >/dev/null 2>&1 & done
wait
if [ "$HR" = 1 ]; then
	[ "$(ranges_left)" = 0 ] && [ "$(mounts_left)" = 0 ] && [ -z "$(mount_dirs_left)" ] &&
		tap_ok "deleting them frees all ranges and mounts (state dir empty)" ||
		tap_fail "deleting them frees all ranges and mounts" "$(ours_ranges; mount_dirs_left)"
else
	tap_skip "$N distinct ranges, state dir empty" "control runtime"
fi

# --- a CRI pod: the sandbox gets the range, its containers join it ----------
if [ "$HR" = 1 ]; then
	own_rootfs "$WORK/sb" "$WORK/member"
	new_id sandbox
	sb=$id
	jq --arg sb "$sb" '.root.path="rootfs" | .process.args=["sleep","1000"] |
		.annotations={"io.kubernetes.cri.container-type":"sandbox","io.kubernetes.cri.sandbox-id":$sb}' \
		"$WORK/pristine.json" >"$WORK/sb/config.json"
	rt run -d -b "$WORK/sb" "$sb" </dev/null >"$WORK/sb.log" 2>&1
	sbpid=$(state_field "$sb" pid)
	if [ "${sbpid:-0}" -gt 0 ] 2>/dev/null; then
		new_id member
		jq --arg sb "$sb" --arg net "/proc/$sbpid/ns/net" '.root.path="rootfs" |
			.process.args=["sh","-c","cat /proc/self/uid_map; nc -l -p 80 & sleep 0.5; cat /proc/net/tcp6 /proc/net/tcp; kill $!"] |
			.annotations={"io.kubernetes.cri.container-type":"container","io.kubernetes.cri.sandbox-id":$sb} |
			.linux.namespaces |= map(if .type=="network" then .path=$net else . end)' \
			"$WORK/pristine.json" >"$WORK/member/config.json"
		out=$(rt run -b "$WORK/member" "$id" </dev/null 2>&1)
		want=$(awk '$1 == 0 { print $2 }' "/proc/$sbpid/uid_map")
		if echo "$out" | grep -Eq "^ +0 +$want +65536$" && [ "$(ranges_left)" = 1 ]; then
			tap_ok "pod member shares the sandbox's range ($want) and allocates none"
		else
			tap_fail "pod member shares the sandbox's range" "$out" "$(ours_ranges)"
		fi
		# port 80 = 0050, state 0A = LISTEN, in the pod's shared network namespace
		echo "$out" | grep -Eq ':0050 [0-9A-F:]+ 0A' && tap_ok "a process in the pod member binds port 80" ||
			tap_fail "a process in the pod member binds port 80" "$out"
	else
		tap_fail "pod sandbox starts" "$(cat "$WORK/sb.log")"
	fi
	rt delete -f "$sb" >/dev/null 2>&1
	[ "$(ranges_left)" = 0 ] && tap_ok "deleting the sandbox frees the pod's range" ||
		tap_fail "deleting the sandbox frees the pod's range" "$(ours_ranges)"
else
	tap_skip "pod shares one user namespace" "control runtime"
fi

# --- a CRI pod in a CNI netns made by the host (containerd's shape) ----------
if [ "$HR" = 1 ] && command -v ip >/dev/null; then
	cni=hr-userns-$$
	ip netns add "$cni"
	own_rootfs "$WORK/csb" "$WORK/cmember"
	new_id csandbox
	csb=$id
	jq --arg sb "$csb" --arg net "/var/run/netns/$cni" '.root.path="rootfs" | .process.args=["sleep","1000"] |
		.annotations={"io.kubernetes.cri.container-type":"sandbox","io.kubernetes.cri.sandbox-id":$sb} |
		.linux.namespaces |= map(if .type=="network" then .path=$net else . end)' \
		"$WORK/pristine.json" >"$WORK/csb/config.json"
	rt run -d -b "$WORK/csb" "$csb" </dev/null >"$WORK/csb.log" 2>&1
	sbpid=$(state_field "$csb" pid)
	if [ "${sbpid:-0}" -gt 0 ] 2>/dev/null; then
		new_id cmember
		cm=$id
		# as containerd: net, ipc, uts (and pid, shareProcessNamespace) of the sandbox's pid
		jq --arg sb "$csb" --arg p "/proc/$sbpid/ns" '.root.path="rootfs" | .process.args=["sleep","1000"] |
			.annotations={"io.kubernetes.cri.container-type":"container","io.kubernetes.cri.sandbox-id":$sb} |
			.linux.namespaces |= map(if (.type=="network" or .type=="ipc" or .type=="uts" or .type=="pid")
				then .path=($p + "/" + (if .type=="network" then "net" else .type end)) else . end)' \
			"$WORK/pristine.json" >"$WORK/cmember/config.json"
		rt run -d -b "$WORK/cmember" "$cm" </dev/null >"$WORK/cm.log" 2>&1
		out=$(timeout 30 "$OCI_RUNTIME" --root "$HR_TEST_ROOT" exec "$cm" sh -c 'cat /proc/self/uid_map;
			(nc -l -p 80 </dev/null >/dev/null 2>&1 &); sleep 0.5; cat /proc/net/tcp6 /proc/net/tcp;
			ls /proc | grep -c "^[0-9]"; kill $(pidof nc) 2>/dev/null; true' 2>&1)
		want=$(awk '$1 == 0 { print $2 }' "/proc/$sbpid/uid_map")
		if echo "$out" | grep -Eq "^ +0 +$want +65536$" && echo "$out" | grep -Eq ':0050 [0-9A-F:]+ 0A' &&
			[ "$(readlink "/proc/$(state_field "$cm" pid)/ns/net")" = "$(readlink "/proc/$sbpid/ns/net")" ]; then
			tap_ok "CNI-netns pod: member joins the sandbox's user namespace, exec binds port 80 in the pod netns"
		else
			tap_fail "CNI-netns pod: member joins the sandbox's user namespace and binds port 80" "$out" "$(cat "$WORK/cm.log")"
		fi
		[ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" != 0 ] &&
			tap_ok "the host's ip_unprivileged_port_start is untouched" ||
			tap_fail "the host's ip_unprivileged_port_start is untouched"
		rt delete -f "$cm" >/dev/null 2>&1
	else
		tap_fail "CNI-netns pod sandbox starts" "$(cat "$WORK/csb.log")"
	fi
	rt delete -f "$csb" >/dev/null 2>&1
	ip netns del "$cni"
else
	tap_skip "CNI-netns pod" "control runtime, or no ip(8)"
fi

# --- docker --network container:X, and --network host ----------------------
if [ "$HR" = 1 ]; then
	own_rootfs "$WORK/x" "$WORK/joiner" "$WORK/hostnet"
	new_id netx
	x=$id
	jq '.root.path="rootfs" | .process.args=["sleep","1000"]' "$WORK/pristine.json" >"$WORK/x/config.json"
	rt run -d -b "$WORK/x" "$x" </dev/null >"$WORK/x.log" 2>&1
	xpid=$(state_field "$x" pid)
	if [ "${xpid:-0}" -gt 0 ] 2>/dev/null; then
		new_id joiner
		jq --arg net "/proc/$xpid/ns/net" '.root.path="rootfs" |
			.process.args=["sh","-c","cat /proc/self/uid_map; readlink /proc/self/ns/net; readlink /proc/self/ns/user"] |
			.linux.namespaces |= map(if .type=="network" then .path=$net else . end)' \
			"$WORK/pristine.json" >"$WORK/joiner/config.json"
		out=$(rt run -b "$WORK/joiner" "$id" </dev/null 2>&1)
		want=$(awk '$1 == 0 { print $2 }' "/proc/$xpid/uid_map")
		# X is no pod hardrun made: its netns is shared, its user namespace
		# (and so X's processes and files) is not (issue 16).
		if echo "$out" | grep -Eq "^ +0 +[1-9][0-9]* +65536$" && ! echo "$out" | grep -Eq "^ +0 +$want +" &&
			echo "$out" | grep -qxF "$(readlink "/proc/$xpid/ns/net")" &&
			! echo "$out" | grep -qxF "$(readlink "/proc/$xpid/ns/user")"; then
			tap_ok "--network container:X: in X's netns with a user namespace and range of its own (X: $want)"
		else
			tap_fail "--network container:X: X's netns, its own user namespace" "$out" "X: $want"
		fi
	else
		tap_fail "container X starts" "$(cat "$WORK/x.log")"
	fi
	rt delete -f "$x" >/dev/null 2>&1
	new_id hostnet
	jq '.root.path="rootfs" | .process.args=["sh","-c","cat /proc/self/uid_map; touch /sys/x 2>&1; ls /sys/class/net | head -1"] |
		.linux.namespaces |= map(select(.type != "network"))' "$WORK/pristine.json" >"$WORK/hostnet/config.json"
	out=$(rt run -b "$WORK/hostnet" "$id" </dev/null 2>&1)
	if echo "$out" | grep -Eq "^ +0 +[1-9][0-9]* +65536$" && echo "$out" | grep -q "Read-only file system" &&
		echo "$out" | grep -q .; then
		tap_ok "host network: runs in its own user namespace with a read-only /sys"
	else
		tap_fail "host network: runs in its own user namespace with a read-only /sys" "$out"
	fi
	[ "$(ranges_left)" = 0 ] && tap_ok "all ranges freed again" || tap_fail "all ranges freed again" "$(ours_ranges)"
else
	tap_skip "--network container:X, host network" "control runtime"
fi

# --- overlay rootfs, as Docker and containerd hand it over -------------------
O=$WORK/ovl
mkdir -p "$O/lower" "$O/upper" "$O/work" "$O/bundle/rootfs"
cp -a "$B/rootfs/." "$O/lower/"
cp "$WORK/pristine.json" "$O/bundle/config.json"
bundle_set "$O/bundle" '.root.path="rootfs" | del(.annotations) | .process.args=["sh","-c","echo hi > /etc/new && echo x >> /etc/passwd && touch /tmp/ready; sleep 1000"]'
if mount -t overlay overlay -o "lowerdir=$O/lower,upperdir=$O/upper/diff,workdir=$O/upper/work" "$O/bundle/rootfs" 2>/dev/null ||
	{ mkdir -p "$O/upper/diff" "$O/upper/work" &&
		mount -t overlay overlay -o "lowerdir=$O/lower,upperdir=$O/upper/diff,workdir=$O/upper/work" "$O/bundle/rootfs"; }; then
	new_id ovl
	rt run -d -b "$O/bundle" "$id" </dev/null >"$WORK/ovl.log" 2>&1
	out=$(cat "$WORK/ovl.log")
	p=$(state_field "$id" pid)
	if [ "${p:-0}" -gt 0 ] 2>/dev/null && wait_file "/proc/$p/root/tmp/ready"; then
		tap_ok "overlay rootfs: container root writes new and image files"
	else
		tap_fail "overlay rootfs: container root writes new and image files" "$out"
	fi
	if [ "$HR" = 1 ]; then
		# the upper layer keeps image-relative owners (what docker commit/diff read)
		[ "$(stat -c %u "$O/upper/diff/etc/new" 2>/dev/null)" = 0 ] &&
			[ "$(stat -c %u "$O/upper/diff/etc/passwd" 2>/dev/null)" = 0 ] &&
			[ "$(stat -c %u "/proc/$p/root/etc/new")" = "$(range_of "$p")" ] &&
			tap_ok "overlay rootfs: writes and copy-ups land in the image's upper layer, shown as the range" ||
			tap_fail "overlay rootfs: writes land in the upper layer" "$(ls -ln "$O/upper/diff/etc" 2>&1)"
	else
		tap_skip "overlay upper layer owners" "control runtime"
	fi
	rt delete -f "$id" >/dev/null 2>&1
	umount -l "$O/bundle/rootfs"
else
	tap_skip "overlay rootfs" "cannot mount overlay here"
fi

# --- a root-owned host dir outside the volume roots is never idmapped ---
if [ "$HR" = 1 ]; then
	# baseline (or the profile under test) with idmapVolumes on, as in the defaults
	src=$HR_TOP/profiles/policies/baseline.json
	[ -f "${HR_USERNS_PROFILE:-}" ] && src=$HR_USERNS_PROFILE
	jq '.name="usernsvol" | .rules.userns.idmapVolumes=true' "$src" >"$WORK/usernsvol.json"
	mkdir -p "$WORK/vol"
	own_rootfs "$WORK/volb"
	chmod 0755 "$WORK/vol"
	jq --arg v "$WORK/vol" '.root.path="rootfs" |
		.process.args=["sh","-c","touch /data/new; stat -c %u /data"] |
		.mounts += [{"destination":"/data","type":"bind","source":$v,"options":["rbind","rw"]}]' \
		"$WORK/pristine.json" >"$WORK/volb/config.json"
	new_id vol
	out=$("$HARDRUN" --hardrun-profile "$WORK/usernsvol.json" --root "$HR_TEST_ROOT" run -b "$WORK/volb" "$id" </dev/null 2>&1)
	if [ "$(echo "$out" | tail -n1)" = 65534 ] && [ ! -e "$WORK/vol/new" ]; then
		tap_ok "idmapVolumes: a root-owned host dir outside the volume roots is not idmapped (nobody's inside, not writable)"
	else
		tap_fail "idmapVolumes: a host dir outside the volume roots is not idmapped" "$out" "$(ls -ln "$WORK/vol")"
	fi
else
	tap_skip "idmapped volume" "control runtime"
fi

# --- a crash between create and delete: the range is reclaimed, not leaked ---
if [ "$HR" = 1 ] && [ "${HR_USERNS_SLOW:-1}" = 1 ]; then
	own_rootfs "$WORK/crash"
	jq '.root.path="rootfs" | .process.args=["sleep","1000"]' "$WORK/pristine.json" >"$WORK/crash/config.json"
	new_id crash
	crashed=$id
	rt create -b "$WORK/crash" "$crashed" </dev/null >"$WORK/crash.log" 2>&1
	# the lower runtime forgets it without hardrun hearing of it
	runc --root "$HR_TEST_ROOT" delete -f "$crashed" >/dev/null 2>&1
	if [ "$(ranges_left)" = 1 ]; then
		sleep 31 # HR_IDRANGE_GRACE_SEC: a create in flight is never reclaimed
		# The full stale reclaim runs when the allocator's slot table is
		# rebuilt (missing, another pool, or the pool looks full): take the
		# table away, as a host reboot of /run would, and one create must
		# reclaim the vanished container's range and mounts.  (The per-
		# allocation walker is not relied on here: see docs/performance.md.)
		rm -f "$STATE/ranges/.slots"
		reclaimed=0
		k=0
		new_id after
		rt create -b "$WORK/crash" "$id" </dev/null >"$WORK/after.log" 2>&1
		if ! grep -lsqE "^key=$crashed\$" "$STATE"/ranges/[0-9]* &&
			! grep -q " $STATE/mounts/$crashed/" /proc/self/mountinfo && [ ! -e "$STATE/mounts/$crashed" ]; then
			reclaimed=1
		fi
		rt delete -f "$id" >/dev/null 2>&1
		live=0
		if [ $reclaimed = 1 ] && [ "$(ranges_left)" = 0 ]; then
			tap_ok "a range whose container vanished is reclaimed (with its mounts) by the next create after the slot table is rebuilt"
		else
			tap_fail "stale range reclaimed" "$(ours_ranges; mount_dirs_left)" "$(cat "$WORK/after.log")"
		fi
	else
		tap_fail "crashed container left its range" "$(cat "$WORK/crash.log")" "$(ours_ranges)"
	fi
else
	tap_skip "stale range reclaimed after a crash" "control runtime, or HR_USERNS_SLOW=0"
fi

tap_end
