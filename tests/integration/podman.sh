#!/bin/bash
# Podman integration: `podman --runtime /path/to/hardrun` and Debian's stock
# containers.conf with an `[engine.runtimes]` entry and
# `runtime_supports_json` merged in, no host policy, as
# root (private --root/--runroot/--tmpdir under a scratch dir) and rootless
# (a user created for the test with /etc/subuid and /etc/subgid entries,
# removed at the end).  containers.conf comes from CONTAINERS_CONF: the
# host's /etc/containers is never written.
#
# Needs root, podman 4, conmon, uidmap (newuidmap) for the rootless part.

# shellcheck source=../lib/integ.sh
source "$(dirname "$0")/../lib/integ.sh"
# shellcheck disable=SC2034 # read by tap_skip in common.sh
HR_CORE=1
integ_init podman
STATUS_SH='cat /proc/self/uid_map; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status'
RL_USER=hrinteg-rl

skip_all() {
	local d
	for d in "podman --runtime hardrun run" "containers.conf runtime entry" "podman exec" \
		"podman stop" "refused container" "rootless podman"; do
		tap_skip "$d" "$1"
	done
	tap_end
	exit
}
need_root || skip_all "needs root"
command -v podman >/dev/null || skip_all "podman not installed (apt-get install podman)"
integ_hardrun || skip_all "no hardrun binary (set HARDRUN or build it)"
# Podman passes the runtime only an environment of its own making, so the
# HARDRUN_DATADIR that points an uninstalled build at this tree's profiles
# (what `meson install` puts in <prefix>/share/hardrun) does not reach it.
# A two-line wrapper stands in for the install: it sets the variables and
# execs the build's binary under its own name, nothing else.
if [ ! -d "$(dirname "$HARDRUN")/../share/hardrun/policies" ]; then
	mkdir -p "$T/bin"
	chmod 755 "$T" "$T/bin"
	printf '#!/bin/sh\nexport HARDRUN_DATADIR=%q HARDRUN_LANDLOCK_HELPER=%q\nexec %q "$@"\n' \
		"$HARDRUN_DATADIR" "${HARDRUN_LANDLOCK_HELPER:-}" "$HARDRUN" >"$T/bin/hardrun"
	chmod 755 "$T/bin/hardrun"
	HARDRUN=$T/bin/hardrun
fi

# Debian's stock containers.conf (default_sysctls, default_capabilities as
# shipped) with hardrun merged in as docs/integration/podman.md says
# (runtime_supports_json, [engine.runtimes]), plus what this machine needs:
# the hard RLIMIT_NOFILE here is below podman's default ulimit, so
# default_ulimits = []; no network stack (netavark would need iptables and
# a host bridge): netns = "none"; network definitions in the scratch dir.
STOCK=/usr/share/containers/containers.conf
[ -r "$STOCK" ] || skip_all "no stock $STOCK (Debian's podman package ships it)"
awk -v hr="$HARDRUN" -v nets="$T/networks" '
	{ print }
	/^\[containers\]$/ { print "default_ulimits = []"; print "netns = \"none\"" }
	/^\[network\]$/ { print "network_config_dir = \"" nets "\"" }
	/^\[engine\]$/ { print "cgroup_manager = \"cgroupfs\""; print "events_logger = \"file\""
		print "runtime_supports_json = [\"crun\", \"runc\", \"kata\", \"runsc\", \"youki\", \"krun\", \"hardrun\"]" }
	/^\[engine\.runtimes\]$/ { print "hardrun = [\"" hr "\"]" }' "$STOCK" >"$T/containers.conf"
chmod 644 "$T/containers.conf"
export CONTAINERS_CONF=$T/containers.conf
# The same settings as flags too: conmon runs `podman container cleanup`
# when a container exits with podman's global flags but without
# CONTAINERS_CONF, and that process must not fall back to /etc/containers.
pm() {
	podman --root "$T/storage" --runroot "$T/runroot" --tmpdir "$T/libpod" \
		--network-config-dir "$T/networks" --cgroup-manager cgroupfs --events-backend file "$@"
}
pm_rm_all() { pm rm -af -t 0; }
integ_defer pm_rm_all

has_status() { # has_status OUTPUT : hardened as seen from inside
	local map capeff
	map=$(printf '%s\n' "$1" | awk 'NR==1 && NF==3 {print $1 "-" $2}')
	capeff=$(printf '%s\n' "$1" | awk '/^CapEff:/ {print $2}')
	[ -n "$map" ] && [ "$map" != 0-0 ] && [ -n "$capeff" ] &&
		((((0x$capeff >> 21) & 1) == 0 && ((0x$capeff >> 13) & 1) == 0)) &&
		printf '%s\n' "$1" | grep -qE '^NoNewPrivs:[[:space:]]+1$' &&
		printf '%s\n' "$1" | grep -qE '^Seccomp:[[:space:]]+2$'
}

# ----------------------------------------------------------------------- root
integ_rootfs "$T/rootfs"
tar -C "$T/rootfs" -cf "$T/rootfs.tar" .
chmod 644 "$T/rootfs.tar"
if out=$(pm import "$T/rootfs.tar" hr-busybox 2>&1); then
	tap_ok "busybox image imported with podman import"
else
	tap_fail "podman import" "$out"
fi

out=$(pm --runtime "$HARDRUN" run --name hr-p1 hr-busybox sh -c \
	"$STATUS_SH; echo more >>/root/image-file && touch /new && echo WRITABLE" 2>&1)
if has_status "$out"; then
	tap_ok "podman --runtime $HARDRUN run: uid_map $(printf '%s\n' "$out" | head -n1 | xargs)," \
		"CapEff $(printf '%s\n' "$out" | awk '/^CapEff:/ {print $2}'), NoNewPrivs 1, Seccomp 2"
else
	tap_fail "podman --runtime HARDRUN run: hardened from inside" "$out"
fi
if printf '%s\n' "$out" | grep -qx WRITABLE; then
	tap_ok "container root can write the image's root-owned files"
else
	tap_fail "container root can write the image's root-owned files" "$out"
fi

out=$(pm --runtime hardrun info --format '{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Path}}' 2>&1)
if [ "$out" = "hardrun $HARDRUN" ]; then
	tap_ok "podman info: OCI runtime hardrun at $HARDRUN (containers.conf [engine.runtimes])"
else
	tap_fail "podman info shows the containers.conf runtime" "$out"
fi
out=$(pm --runtime hardrun run --name hr-p2 hr-busybox sh -c "$STATUS_SH" 2>&1)
if has_status "$out"; then
	tap_ok "podman --runtime hardrun (containers.conf entry) runs a hardened container"
else
	tap_fail "podman --runtime hardrun (containers.conf entry)" "$out"
fi

# `--rm` makes podman mount the container's overlay `volatile`.
out=$(pm --runtime hardrun run --rm hr-busybox sh -c "$STATUS_SH" 2>&1)
if has_status "$out"; then
	tap_ok "podman run --rm (volatile overlay) runs a hardened container"
else
	tap_fail "podman run --rm (volatile overlay)" "$out"
fi

pm --runtime hardrun run -d --name hr-p3 hr-busybox sleep 300 >/dev/null 2>"$T/p3.err"
pm --runtime hardrun run -d --name hr-p4 hr-busybox sleep 300 >/dev/null 2>"$T/p4.err"
out=$(pm exec hr-p3 sh -c "$STATUS_SH" 2>&1)
m3=$(printf '%s\n' "$out" | awk 'NR==1 {print $2}')
if has_status "$out"; then
	tap_ok "podman exec runs in the container's user namespace with NoNewPrivs and seccomp"
else
	tap_fail "podman exec hardened like the container" "$out" "$(cat "$T/p3.err")"
fi
m4=$(pm exec hr-p4 head -n1 /proc/self/uid_map 2>&1 | awk '{print $2}')
if [ -n "$m3" ] && [ -n "$m4" ] && [ "$m3" != "$m4" ] && [ "$m4" != 0 ]; then
	tap_ok "each container gets its own id range (host $m3 and $m4)"
else
	tap_fail "each container gets its own id range" "p3=$m3 p4=$m4" "$(cat "$T/p4.err")"
fi
out=$(pm pause hr-p3 2>&1 && pm inspect -f '{{.State.Status}}' hr-p3 2>&1 && pm unpause hr-p3 2>&1 &&
	pm inspect -f '{{.State.Status}}' hr-p3 2>&1)
if [ "$(printf '%s\n' "$out" | grep -xE 'paused|running' | tr '\n' ' ')" = "paused running " ]; then
	tap_ok "podman pause and unpause work through hardrun"
else
	tap_fail "podman pause/unpause" "$out"
fi
# The exited hr-p1 again: a second create from the same bundle directory.
out=$(pm start -a hr-p1 2>&1)
if has_status "$out"; then
	tap_ok "podman start of an exited container: runs again, hardened"
else
	tap_fail "podman start of an exited container" "$out"
fi
t0=$(date +%s)
out=$(pm stop -t 2 hr-p3 2>&1)
st=$(pm inspect -f '{{.State.Status}}' hr-p3 2>&1)
if [ "$st" = exited ]; then
	tap_ok "podman stop: container exited after $(($(date +%s) - t0)) s"
else
	tap_fail "podman stop" "$out" "state=$st"
fi
out=$(pm rm hr-p3 2>&1 && pm rm -f -t 0 hr-p4 2>&1)
if [ $? = 0 ] && ! pm ps -a --format '{{.Names}}' | grep -q 'hr-p[34]'; then
	tap_ok "podman rm removes stopped and running containers"
else
	tap_fail "podman rm" "$out"
fi

# runtime_supports_json: podman passes --log-format=json and shows the msg
# of hardrun's last error record, not raw log text.
out=$(pm --runtime hardrun run --name hr-p5 -v /:/host hr-busybox true 2>&1)
if printf '%s' "$out" | grep -q 'refused by hardrun profile `baseline`: mounts' &&
	! printf '%s' "$out" | grep -q '"msg"'; then
	tap_ok "podman run -v /:/host refused; podman shows hardrun's reason"
	echo "#   $(printf '%s' "$out" | head -n1 | cut -c1-300)"
else
	tap_fail "podman run -v /:/host refused with hardrun's reason" "$out"
fi
# Debian's stock default_sysctls (net.ipv4.ping_group_range=0 0) reached
# the container: it started with them (hr-p1 above), and they hold inside.
out=$(pm --runtime hardrun run --rm hr-busybox cat /proc/sys/net/ipv4/ping_group_range 2>&1)
if [ "$(echo $out)" = "0 0" ]; then
	tap_ok "stock containers.conf default_sysctls applied in the container (ping_group_range: $(echo $out))"
else
	tap_fail "stock containers.conf default_sysctls applied in the container" "$out"
fi
# Explicit requests beyond the profile: refused, reason and remedy shown.
out=$(pm --runtime hardrun run --name hr-p6 --privileged hr-busybox sh -c "$STATUS_SH" 2>&1)
if printf '%s' "$out" | grep -q 'refused by hardrun' && printf '%s' "$out" | grep -q 'remedy: drop --privileged' &&
	! printf '%s' "$out" | grep -q '^CapEff'; then
	tap_ok "podman run --privileged refused, reason and remedy in podman's output"
else
	tap_fail "podman run --privileged refused with reason and remedy" "$out"
fi
out=$(pm --runtime hardrun run --rm --pid host hr-busybox true 2>&1)
if printf '%s' "$out" | grep -q 'remedy: drop --pid host'; then
	tap_ok "podman run --pid host refused, remedy in podman's output"
else
	tap_fail "podman run --pid host refused with its remedy" "$out"
fi
out=$(pm --runtime hardrun run --rm -v hr-vol:/data hr-busybox sh -c 'echo kept >/data/f' 2>&1 &&
	pm --runtime hardrun run --rm -v hr-vol:/data hr-busybox cat /data/f 2>&1)
if [ "$out" = kept ]; then
	tap_ok "podman named volume: written by one container, read back by the next"
else
	tap_fail "podman named volume written and read back" "$out"
fi
pm volume rm -f hr-vol >/dev/null 2>&1

# A pod: members join the infra container's network namespace.  No pause
# image can be pulled here, so the infra container is the busybox image
# running /bin/pause.  podman 4 marks nothing in the infra's config that
# hardrun could trust as "this is a pod", so hardrun keeps no pod record:
# each member gets its own user namespace and id range, and shares only the
# infra's netns (its kernel objects stay owned by the infra's user
# namespace).  Checked on the host: /proc/PID/ns/* of infra and members.
# Members must not end up in the infra's user namespace: that would be one
# container's root reaching another's files.
pod_ns() { # pod_ns NAME-OR-ID : "net user hoststart" of its init, from the host
	local pid
	pid=$(pm inspect -f '{{.State.Pid}}' "$1" 2>/dev/null) && [ "${pid:-0}" -gt 0 ] &&
		printf '%s %s %s\n' "$(readlink "/proc/$pid/ns/net")" "$(readlink "/proc/$pid/ns/user")" \
			"$(awk 'NR==1 {print $2}' "/proc/$pid/uid_map")"
}
out=$(pm --runtime hardrun pod create --name hr-pod --infra-image localhost/hr-busybox \
	--infra-command /bin/pause 2>&1 && pm --runtime hardrun pod start hr-pod 2>&1)
rc=$?
integ_defer pm pod rm -f -t 0 hr-pod
i='' a='' b='' web=''
if [ $rc = 0 ]; then
	out=$(pm --runtime hardrun run -d --pod hr-pod --name hr-pa hr-busybox sleep 300 2>&1 &&
		pm --runtime hardrun run -d --pod hr-pod --name hr-pb hr-busybox sleep 300 2>&1)
	i=$(pod_ns "$(pm pod inspect -f '{{.InfraContainerID}}' hr-pod 2>/dev/null)")
	a=$(pod_ns hr-pa) b=$(pod_ns hr-pb)
	# busybox httpd binds before it daemonizes: listening once exec returns.
	web=$(pm exec hr-pa sh -c 'mkdir -p /tmp/w && echo pod-web >/tmp/w/f &&
		httpd -p 127.0.0.1:8080 -h /tmp/w' 2>&1 &&
		pm exec hr-pb wget -qO- http://127.0.0.1:8080/f 2>&1)
fi
set -- $i $a $b
if [ $rc = 0 ] && [ $# = 9 ] && [ "$1" = "$4" ] && [ "$1" = "$7" ] &&
	[ "$2" != "$5" ] && [ "$2" != "$8" ] && [ "$5" != "$8" ] &&
	[ "$3" != "$6" ] && [ "$3" != "$9" ] && [ "$6" != "$9" ] &&
	[ "$3" != 0 ] && [ "$6" != 0 ] && [ "$9" != 0 ] && [ "$web" = pod-web ]; then
	tap_ok "podman pod: members in the infra's netns, each in its own user namespace and range ($3 $6 $9); member reaches member over localhost"
else
	tap_fail "podman pod: members in the infra's netns, own user namespaces, reach each other" \
		"$out" "infra: $i" "hr-pa: $a" "hr-pb: $b" "web: $web"
fi
set --
pm pod rm -f -t 0 hr-pod >/dev/null 2>&1

# A podman network: podman creates the network namespace itself (owned by
# the host's user namespace) and hands its path to the runtime, as on every
# host with podman's default bridge network.  The bridge needs iptables and
# a host interface, so a macvlan network on an idle interface (down: nothing
# is sent, nothing is created on the host) takes the same path.
idle=$(ip -o link show 2>/dev/null | awk -F': ' '$3 ~ /state DOWN/ && $2 ~ /^(ifb|dummy)[0-9]+$/ {print $2; exit}')
if [ -z "$idle" ]; then
	HR_CORE=0 tap_skip "podman run on a podman network" \
		"no idle ifb/dummy interface to hang a macvlan network on without touching the host's network"
elif ! pm network create -d macvlan -o parent="$idle" --internal --subnet 198.51.100.0/24 hr-net >/dev/null 2>&1 ||
	! pm --runtime runc run --rm --network hr-net hr-busybox true >/dev/null 2>&1; then
	HR_CORE=0 tap_skip "podman run on a podman network" "a macvlan network on $idle does not work here even with runc"
else
	out=$(pm --runtime hardrun run --name hr-pn --network hr-net hr-busybox sh -c \
		'head -n1 /proc/self/uid_map; ip -4 addr show' 2>&1)
	if printf '%s' "$out" | grep -q '198\.51\.100\.' && [ "$(printf '%s\n' "$out" | awk 'NR==1 {print $2}')" != 0 ]; then
		tap_ok "podman run on a podman network (netns made by podman): runs, gets its address, user namespace on"
	else
		tap_fail "podman run on a podman network (netns made by podman, as with the default bridge)" "$out"
	fi
fi
pm rm -f -t 0 hr-pn >/dev/null 2>&1
pm network rm -f hr-net >/dev/null 2>&1

# ------------------------------------------------------------------- rootless
# A user created here, with the subordinate ids useradd gives it; removed by
# userdel -r (which also drops its /etc/subuid and /etc/subgid lines).
rootless() {
	if ! command -v newuidmap >/dev/null; then
		HR_CORE=0 tap_skip "rootless podman" "newuidmap missing (apt-get install uidmap)"
		return
	fi
	if id "$RL_USER" >/dev/null 2>&1; then
		HR_CORE=0 tap_skip "rootless podman" "user $RL_USER already exists; not touching it"
		return
	fi
	useradd -m -s /bin/sh "$RL_USER" || {
		tap_fail "useradd $RL_USER"
		return
	}
	integ_defer userdel -r "$RL_USER"
	integ_defer rl_kill_all
	grep -q "^$RL_USER:" /etc/subuid || usermod --add-subuids 3000000-3065535 "$RL_USER"
	grep -q "^$RL_USER:" /etc/subgid || usermod --add-subgids 3000000-3065535 "$RL_USER"
	RL_UID=$(id -u "$RL_USER")
	RL_XDG=$T/xdg-$RL_UID
	mkdir -p "$RL_XDG"
	chown "$RL_USER" "$RL_XDG"
	chmod 700 "$RL_XDG"
	# As documented for a rootless user: the shipped snippet as a drop-in
	# in ~/.config/containers/containers.conf.d, this machine's settings in
	# ~/.config/containers/containers.conf.
	local cd=/home/$RL_USER/.config/containers
	mkdir -p "$cd/containers.conf.d"
	sed "s|/usr/local/bin/hardrun|$HARDRUN|" "$HR_TOP/deploy/podman/containers.conf" \
		>"$cd/containers.conf.d/hardrun.conf"
	printf '[containers]\ndefault_ulimits = []\nnetns = "none"\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' \
		>"$cd/containers.conf"
	chown -R "$RL_USER:" "/home/$RL_USER/.config"
	out=$(rl podman --runtime hardrun info --format '{{.Host.OCIRuntime.Name}}' 2>&1)
	if [ "$(printf '%s\n' "$out" | tail -n1)" = hardrun ]; then
		tap_ok "rootless: the shipped snippet as a containers.conf.d drop-in registers runtime hardrun"
	else
		tap_fail "rootless: containers.conf.d drop-in registers runtime hardrun" "$out"
	fi
	rl podman import "$T/rootfs.tar" hr-busybox >/dev/null 2>&1
	out=$(rl podman --runtime hardrun run --name hr-r1 hr-busybox sh -c \
		"$STATUS_SH; echo more >>/root/image-file && echo WRITABLE" 2>&1)
	if [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ]; then
		# cgroup v1: no pids cgroup for a rootless container, so hardrun's
		# pids limit cannot be applied.  baseline (resources.unapplied
		# "warn") starts it without the limit and records why; with
		# unapplied "deny" (restricted, untrusted) it is refused by hardrun
		# naming its limit, not by runc.
		if jq -se 'any(.[]; .verdict == "allowed" and any(.findings[]?;
			.action == "warn" and (.reason | test("rootless container on cgroup v1"))))' \
			"/home/$RL_USER/.local/state/hardrun/audit.log" >/dev/null 2>&1; then
			tap_ok "rootless on cgroup v1, baseline: runs without the pids limit; the user's audit log (~/.local/state/hardrun) says why"
		else
			tap_fail "rootless on cgroup v1, baseline: audited warning about the pids limit" "$out" \
				"$(tail -c 600 "/home/$RL_USER/.local/state/hardrun/audit.log" 2>&1)"
		fi
		jq '.name = "baseline-limits" | .rules.resources.unapplied = "deny"' \
			"${HARDRUN_DATADIR:-$HR_TOP/profiles}/policies/baseline.json" >"$T/limits.json"
		chmod 644 "$T/limits.json"
		out2=$(rl podman --runtime hardrun --runtime-flag "hardrun-profile=$T/limits.json" \
			run --rm hr-busybox true 2>&1)
		if printf '%s' "$out2" | grep -q "hardrun's pids limit" &&
			printf '%s' "$out2" | grep -q 'remedy: cgroup v2' &&
			! printf '%s' "$out2" | grep -q 'cannot set pids limit'; then
			tap_ok "rootless on cgroup v1, unapplied deny: refused by hardrun naming its pids limit and the remedy"
		else
			tap_fail "rootless on cgroup v1: hardrun's own message about its pids limit" "$out2"
		fi
		RL_NOTE=" (cgroup v1: without the pids limit)"
	fi
	local map
	map=$(printf '%s\n' "$out" | awk 'NR==1 && NF==3 {print $2}')
	if has_status "$out" && [ "$map" = "$RL_UID" ]; then
		tap_ok "rootless podman --runtime hardrun: container root is host uid $map, hardened$RL_NOTE"
	else
		tap_fail "rootless podman --runtime hardrun runs a hardened container$RL_NOTE" "$out"
	fi
	# hardrun's state for a rootless caller lives under its XDG_RUNTIME_DIR,
	# where it can claim the id and record the profile (no warning).  The
	# record names the runtime root runc really used without --root
	# ($XDG_RUNTIME_DIR/runc), not root's /run/runc it cannot look into.
	# Looked at while it runs: an exited one is deleted from runc's root.
	local rid rec
	rid=$(rl podman --runtime hardrun run -d --name hr-r2 hr-busybox sleep 300 2>&1)
	rec=$RL_XDG/hardrun/containers/$rid
	if ! printf '%s' "$out" | grep -q 'claim container id' && [ -f "$rec" ] &&
		[ "$(stat -c %U "$RL_XDG/hardrun/containers")" = "$RL_USER" ] &&
		[ "$(sed -n 3p "$rec" 2>/dev/null)" = "$RL_XDG/runc" ] && [ -d "$RL_XDG/runc/$rid" ]; then
		tap_ok "rootless: hardrun keeps its state under the user's XDG_RUNTIME_DIR; its record names runc's root there"
	else
		tap_fail "rootless: hardrun keeps its state under the user's XDG_RUNTIME_DIR" "$out" \
			"$(ls -la "$RL_XDG" 2>&1)" "hr-r2: $rid" "record: $(cat "$rec" 2>&1)"
	fi
	rl podman rm -f -t 0 hr-r2 >/dev/null 2>&1
	if printf '%s\n' "$out" | grep -qx WRITABLE; then
		tap_ok "rootless: container root can write the image's root-owned files"
	else
		tap_fail "rootless: container root can write the image's root-owned files" "$out"
	fi
	out=$(rl podman --runtime hardrun run --name hr-r3 -v /:/host hr-busybox true 2>&1)
	if printf '%s' "$out" | grep -q 'refused by hardrun profile'; then
		tap_ok "rootless: -v /:/host refused with hardrun's reason"
	else
		tap_fail "rootless: -v /:/host refused with hardrun's reason" "$out"
	fi
	rl podman rm -af -t 0 >/dev/null 2>&1
}
rl() {
	(cd / && runuser -u "$RL_USER" -- env -i HOME="/home/$RL_USER" USER="$RL_USER" \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin XDG_RUNTIME_DIR="$RL_XDG" "$@")
}
# Rootless podman leaves a pause process (and conmon) behind: stop every
# process of the user this test created, by PID, before userdel.
rl_kill_all() {
	local p
	for p in $(pgrep -u "$RL_USER"); do integ_stop_pid "$p"; done
}
rootless

tap_end
