#!/bin/bash
# Docker integration: a private dockerd (its own containerd, data root, exec
# root and socket under a scratch dir) with hardrun plugged in, first with
# --add-runtime, then through daemon.json `runtimes` with `runtimeArgs`.
# Every check is what a Docker user sees: `docker info`, the container's own
# /proc, files on the host, docker's error message.
#
# Needs root, dockerd and /usr/bin/docker (docker.io), containerd.
# HARDRUN=path/to/hardrun selects the binary under test.

# shellcheck source=../lib/integ.sh
source "$(dirname "$0")/../lib/integ.sh"
# shellcheck disable=SC2034 # read by tap_skip in common.sh
HR_CORE=1
integ_init docker

# /usr/local/bin/docker may be a newer client than the daemon; use the one
# that ships with docker.io.
DOCKER_CLI=${DOCKER_CLI:-/usr/bin/docker}
STATUS_SH='cat /proc/self/uid_map; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status'

skip_all() {
	local d
	for d in "docker info lists hardrun" "docker run --runtime hardrun" \
		"docker exec" "docker stop" "docker rm" "docker run -t" \
		"refused container" "daemon.json runtimeArgs"; do
		tap_skip "$d" "$1"
	done
	tap_end
	exit
}

need_root || skip_all "needs root (dockerd)"
command -v dockerd >/dev/null && [ -x "$DOCKER_CLI" ] ||
	skip_all "dockerd or $DOCKER_CLI not installed (apt-get install docker.io)"
command -v containerd >/dev/null || skip_all "containerd not installed"
integ_hardrun || skip_all "no hardrun binary (set HARDRUN or build it)"

# containerd passes its environment to the shims, and they to hardrun.
export HARDRUN_AUDIT_LOG=$T/audit.jsonl
# The host policy a Docker host needs (docs/integration/docker.md): dockerd
# itself is an allowed hook, for libnetwork's /proc/<pid>/exe prestart hook.
# The data roots are scratch dirs, not /var/lib/docker: listed in volumeRoots.
jq -n --arg d "$(readlink -f "$(command -v dockerd)")" --arg t "$T" '{hooks: {allowed: [$d]},
	volumeRoots: [("add", "json") | ($t + "/" + . + "/data/overlay2"), ($t + "/" + . + "/data/volumes")]}' >"$T/policy.json"
export HARDRUN_POLICY=$T/policy.json
integ_containerd_start "$T/containerd" || {
	tap_fail "containerd for dockerd starts" "$(tail -n 5 "$T/containerd/containerd.log")"
	tap_end
	exit
}

# dockerd_start NAME CONFIG-JSON ARGS...: a dockerd on $T/NAME.sock with
# CONFIG-JSON as its daemon.json; sets D_SOCK.  The config always names the
# key file: dockerd 20.10 otherwise writes /etc/docker/key.json.
dockerd_start() {
	local name=$1 pid
	jq --arg k "$T/$name/key.json" '. + {"deprecated-key-path": $k}' <<<"$2" >"$T/$name.json" || return 1
	shift 2
	mkdir -p "$T/$name/data" "$T/$name/exec"
	D_SOCK=$T/$name.sock
	dockerd --iptables=false --ip-masq=false --bridge=none \
		--data-root "$T/$name/data" --exec-root "$T/$name/exec" \
		--pidfile "$T/$name.pid" -H "unix://$D_SOCK" --config-file "$T/$name.json" \
		--containerd "$CTRD_SOCK" --containerd-namespace "hr-$name-$$" \
		--containerd-plugins-namespace "hr-$name-$$-plugins" \
		"$@" >"$T/$name.log" 2>&1 &
	pid=$!
	# The shims keep runc state in /run/containerd/runc/<namespace>.
	integ_defer rmdir "/run/containerd/runc/hr-$name-$$" "/run/containerd/runc/hr-$name-$$-plugins"
	integ_defer integ_stop_pid "$pid"
	integ_defer dockerd_rm_all "$D_SOCK"
	integ_wait_socket "$D_SOCK" 60 && dk info >/dev/null 2>&1
}
dk() { "$DOCKER_CLI" -H "unix://$D_SOCK" "$@"; }
# Stop and remove what a failed test left behind, while dockerd still runs
# (deferred after the stop, so it runs before it).
dockerd_rm_all() {
	local ids
	ids=$("$DOCKER_CLI" -H "unix://$1" ps -aq 2>/dev/null)
	[ -z "$ids" ] || "$DOCKER_CLI" -H "unix://$1" rm -f $ids >/dev/null 2>&1
}

# ---------------------------------------------------------------- add-runtime
if ! dockerd_start add '{}' --add-runtime "hardrun=$HARDRUN"; then
	tap_fail "dockerd --add-runtime hardrun=$HARDRUN starts" "$(tail -n 5 "$T/add.log")"
	tap_end
	exit
fi

out=$(dk info --format '{{json .Runtimes}}' 2>&1)
if printf '%s' "$out" | jq -e --arg p "$HARDRUN" '.hardrun.path == $p' >/dev/null 2>&1; then
	tap_ok "docker info lists runtime hardrun -> $HARDRUN"
else
	tap_fail "docker info lists runtime hardrun" "$out"
fi

integ_rootfs "$T/rootfs"
if tar -C "$T/rootfs" -c . | dk import - hr-busybox >/dev/null; then
	tap_ok "busybox image imported with docker import"
else
	tap_fail "busybox image imported with docker import"
fi

# The first run is exactly what a user types.  If it fails for a reason the
# remaining checks do not depend on, they run with WORKAROUND so that they
# still say something; the failure itself stays a failure.
WORKAROUND=()
out=$(dk run --rm --runtime hardrun hr-busybox sh -c "$STATUS_SH" 2>&1)
rc=$?
if [ $rc = 0 ]; then
	tap_ok "docker run --runtime hardrun runs a container"
else
	tap_fail "docker run --runtime hardrun runs a container" "rc=$rc" "$out"
	if printf '%s' "$out" | grep -q 'ping_group_range'; then
		WORKAROUND=(--sysctl 'net.ipv4.ping_group_range=0 65535')
		echo "# note: docker sets net.ipv4.ping_group_range=0 2147483647, which a user" \
			"namespace cannot hold; the checks below pass ${WORKAROUND[*]}"
		out=$(dk run --rm --runtime hardrun "${WORKAROUND[@]}" hr-busybox sh -c "$STATUS_SH" 2>&1)
	fi
fi
drun() { dk run --runtime hardrun "${WORKAROUND[@]}" "$@"; }

map=$(printf '%s\n' "$out" | awk 'NR==1 && NF==3 {print $1, $2, $3}')
if [ -n "$map" ] && [ "$(echo "$map" | cut -d' ' -f1,2)" != "0 0" ]; then
	tap_ok "container root is not host root: uid_map $map"
else
	tap_fail "container root is not host root (uid_map)" "$out"
fi
capeff=$(printf '%s\n' "$out" | awk '/^CapEff:/ {print $2}')
if [ -n "$capeff" ] && (( ((0x$capeff >> 21) & 1) == 0 && ((0x$capeff >> 13) & 1) == 0 )); then
	tap_ok "CapEff $capeff has neither CAP_SYS_ADMIN nor CAP_NET_RAW"
else
	tap_fail "CapEff without CAP_SYS_ADMIN and CAP_NET_RAW" "$out"
fi
if printf '%s\n' "$out" | grep -qE '^NoNewPrivs:[[:space:]]+1$'; then
	tap_ok "NoNewPrivs: 1 inside the container"
else
	tap_fail "NoNewPrivs: 1 inside the container" "$out"
fi
if printf '%s\n' "$out" | grep -qE '^Seccomp:[[:space:]]+2$'; then
	tap_ok "Seccomp: 2 (filter) inside the container"
else
	tap_fail "Seccomp: 2 (filter) inside the container" "$out"
fi

# Two containers at once: each its own range, and both can write the image's
# root-owned files; on the host the new file belongs to the range, not uid 0.
c1=$(drun -d --name hr-c1 hr-busybox sleep 300 2>&1)
c2=$(drun -d --name hr-c2 hr-busybox sleep 300 2>&1)
m1=$(dk exec hr-c1 head -n1 /proc/self/uid_map 2>&1 | awk '{print $2}')
m2=$(dk exec hr-c2 head -n1 /proc/self/uid_map 2>&1 | awk '{print $2}')
if [ -n "$m1" ] && [ -n "$m2" ] && [ "$m1" != "$m2" ] && [ "$m1" != 0 ] && [ "$m2" != 0 ]; then
	tap_ok "each container gets its own id range (host $m1 and $m2)"
else
	tap_fail "each container gets its own id range" "c1=$c1 map=$m1" "c2=$c2 map=$m2"
fi

out=$(dk exec hr-c1 sh -c 'echo more >>/root/image-file && touch /written-by-root &&
	mkdir /root/newdir && stat -c "%u:%g" /root/image-file' 2>&1)
if [ "$out" = "0:0" ]; then
	tap_ok "root-owned image files are owned by container root and writable"
else
	tap_fail "root-owned image files are owned by container root and writable" "$out"
fi
# Nothing was chowned: the image layer on the host still belongs to uid 0,
# the container sees it through an idmapped mount.
lower=$(dk inspect -f '{{.GraphDriver.Data.LowerDir}}' hr-c1 2>/dev/null | tr ':' '\n' | tail -n1)
upper=$(dk inspect -f '{{.GraphDriver.Data.UpperDir}}' hr-c1 2>/dev/null)
lowner=$(stat -c %u "$lower/root/image-file" 2>/dev/null)
if [ "$lowner" = 0 ] && [ "$(cat "$lower/root/image-file" 2>/dev/null)" = "written by the image" ] &&
	[ -e "$upper/written-by-root" ]; then
	tap_ok "image layer untouched (still uid 0, not chowned); the write went to the container's layer" \
		"(stored as uid $(stat -c %u "$upper/written-by-root") through the idmapped upper)"
else
	tap_fail "image layer untouched, write in the container's layer" \
		"lower=$lower owner=${lowner:-missing}" "upper=$upper"
fi

# --network container:X joins X's netns, which X's user namespace owns (a
# /sys mount needs privilege over the netns owner: the natural fix is that
# the joiner shares X's user namespace and range).
out=$(drun --rm --network container:hr-c2 hr-busybox sh -c \
	'head -n1 /proc/self/uid_map; readlink /proc/self/ns/user; readlink /proc/self/ns/net' 2>&1)
want=$(dk exec hr-c2 sh -c 'head -n1 /proc/self/uid_map; readlink /proc/self/ns/user; readlink /proc/self/ns/net' 2>&1)
if [ -n "$want" ] && [ "$(printf '%s\n' "$out" | tail -n1)" = "$(printf '%s\n' "$want" | tail -n1)" ] &&
	[ "$(printf '%s\n' "$out" | awk 'NR==1 {print $2}')" != 0 ]; then
	if [ "$out" = "$want" ]; then
		tap_ok "docker run --network container:X runs in X's netns, sharing X's user namespace (range $m2)"
	else
		tap_ok "docker run --network container:X runs in X's netns (own user namespace)"
	fi
else
	tap_fail "docker run --network container:X runs in X's netns" "joiner: $out" "X: $want"
fi

out=$(dk exec hr-c1 sh -c "$STATUS_SH" 2>&1)
if printf '%s\n' "$out" | grep -qE '^NoNewPrivs:[[:space:]]+1$' &&
	printf '%s\n' "$out" | grep -qE '^Seccomp:[[:space:]]+2$' &&
	[ "$(printf '%s\n' "$out" | awk 'NR==1 {print $2}')" = "$m1" ]; then
	tap_ok "docker exec runs in the container's user namespace with NoNewPrivs and seccomp"
else
	tap_fail "docker exec hardened like the container" "$out"
fi

# Volumes: baseline does not idmap bind volumes (idmapVolumes false), so a
# root-owned host dir is readable but container root may not write to it:
# it is not host root.  A world-writable one gets files owned by the range.
mkdir -p "$T/vol-ro" "$T/vol-rw"
echo hello >"$T/vol-ro/file"
chmod 755 "$T/vol-ro"
chmod 1777 "$T/vol-rw"
out=$(drun --rm -v "$T/vol-ro:/data" hr-busybox sh -c \
	'cat /data/file; if touch /data/new 2>/dev/null; then echo WROTE; else echo denied; fi' 2>&1)
if [ "$out" = "$(printf 'hello\ndenied')" ] && [ ! -e "$T/vol-ro/new" ]; then
	tap_ok "docker run -v hostdir:/data: readable, and root-owned host files are not writable by container root"
else
	tap_fail "docker run -v hostdir:/data (root-owned)" "$out"
fi
out=$(drun --rm -v "$T/vol-rw:/data" hr-busybox sh -c 'touch /data/new && cat /proc/self/uid_map' 2>&1)
rng=$(printf '%s\n' "$out" | awk 'NR==1 {print $2}')
owner=$(stat -c %u "$T/vol-rw/new" 2>/dev/null)
if [ -n "$owner" ] && [ "$owner" = "$rng" ]; then
	tap_ok "docker run -v: a file written to a shared volume belongs to host uid $owner (the range)"
else
	tap_fail "docker run -v: written file belongs to the range" "$out" "owner=${owner:-missing}"
fi

t0=$(date +%s)
# The daemon's own socket from a path no deny list knows (this dockerd's):
# whether or not the mount is refused, container root must not be able to
# connect to it (the socket is host root's, 0660, and container root is not
# host root).  busybox has no unix-socket client, so a static one is built.
if command -v gcc >/dev/null && gcc -x c -static -O2 -o "$T/uconnect" - 2>/dev/null <<'EOF'
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
int main(int argc, char **argv)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (argc < 2 || fd < 0)
		return 2;
	strncpy(a.sun_path, argv[1], sizeof(a.sun_path) - 1);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		printf("connect: %s\n", strerror(errno));
		return 1;
	}
	printf("connected\n");
	return 0;
}
EOF
then
	out=$(drun --rm -v "$T/uconnect:/uconnect:ro" -v "$D_SOCK:/var/run/docker.sock" hr-busybox \
		/uconnect /var/run/docker.sock 2>&1)
	if printf '%s' "$out" | grep -q 'refused by hardrun'; then
		tap_ok "-v <dockerd socket>:/var/run/docker.sock refused by hardrun"
	elif [ "$out" = "connect: Permission denied" ]; then
		tap_ok "-v <dockerd socket>:/var/run/docker.sock (unlisted path) is mounted but container root cannot connect: $out"
	else
		tap_fail "the docker socket is refused or unusable in the container" "$out"
	fi
else
	HR_CORE=0 tap_skip "the docker socket is refused or unusable in the container" "no gcc with static libc to build a unix-socket client"
fi

# Commands hardrun hands to runc unchanged: pause/resume (freezer), ps.
out=$(dk pause hr-c2 2>&1 && dk inspect -f '{{.State.Status}}' hr-c2 2>&1 && dk unpause hr-c2 2>&1 &&
	dk inspect -f '{{.State.Status}}' hr-c2 2>&1)
top=$(dk top hr-c2 2>&1)
if [ "$(printf '%s\n' "$out" | grep -xE 'paused|running' | tr '\n' ' ')" = "paused running " ] &&
	printf '%s\n' "$top" | grep -q 'sleep 300'; then
	tap_ok "docker pause, unpause and top work through hardrun"
else
	tap_fail "docker pause/unpause/top" "$out" "$top"
fi

c1_id=$(dk inspect -f '{{.Id}}' hr-c1 2>/dev/null)
out=$(dk stop -t 2 hr-c1 2>&1)
st=$(dk inspect -f '{{.State.Status}}' hr-c1 2>&1)
if [ "$st" = exited ]; then
	tap_ok "docker stop: container exited after $(($(date +%s) - t0)) s"
else
	tap_fail "docker stop" "$out" "state=$st"
fi
# A restart creates the container again from the same bundle directory:
# the second create must not trip over what the first one left (range,
# idmapped rootfs), and the container's own layer (its earlier writes) stays.
out=$(dk start hr-c1 2>&1 && dk exec hr-c1 sh -c 'head -n1 /proc/self/uid_map; cat /root/image-file' 2>&1)
if [ "$(dk inspect -f '{{.State.Status}}' hr-c1 2>&1)" = running ] &&
	printf '%s\n' "$out" | grep -qx more && [ "$(printf '%s\n' "$out" | awk '$1 == "0" && NF == 3 {print $2}')" != 0 ]; then
	tap_ok "docker start of a stopped container: runs again from the same bundle, its writes kept, user namespace on"
else
	tap_fail "docker start of a stopped container" "$out"
fi
out=$(dk restart -t 1 hr-c1 2>&1)
if [ $? = 0 ] && [ "$(dk inspect -f '{{.State.Status}}' hr-c1 2>&1)" = running ]; then
	tap_ok "docker restart"
else
	tap_fail "docker restart" "$out"
fi
dk kill hr-c1 >/dev/null 2>&1
out=$(dk rm hr-c1 2>&1)
if [ $? = 0 ] && ! dk ps -a --format '{{.Names}}' | grep -qx hr-c1; then
	tap_ok "docker rm removes the stopped container"
else
	tap_fail "docker rm" "$out"
fi
out=$(dk rm -f hr-c2 2>&1)
if [ $? = 0 ] && [ -z "$(dk ps -aq)" ]; then
	tap_ok "docker rm -f removes a running container"
else
	tap_fail "docker rm -f" "$out"
fi

# Interactive with a terminal: script(1) gives the docker client a pty,
# docker allocates one in the container through the runtime's console
# socket; a line typed on the client reaches the container's shell.
tty_cmd="$DOCKER_CLI -H unix://$D_SOCK run -it --rm --runtime hardrun"
[ ${#WORKAROUND[@]} = 0 ] || tty_cmd+=" --sysctl 'net.ipv4.ping_group_range=0 65535'"
tty_cmd+=" hr-busybox sh -c 'tty; head -n1 /proc/self/uid_map; read l; echo got-\$l'"
out=$( (sleep 3; printf 'typed\r'; sleep 2) | script -qec "$tty_cmd" /dev/null 2>&1 | tr -d '\r')
if printf '%s\n' "$out" | grep -q '^/dev/pts/' && printf '%s\n' "$out" | grep -q '^got-typed$' &&
	[ "$(printf '%s\n' "$out" | awk '$1 == "0" && NF == 3 {print $2; exit}')" != 0 ]; then
	tap_ok "docker run -it: a tty in the container ($(printf '%s\n' "$out" | grep '^/dev/pts/')), input reaches it, user namespace on"
else
	tap_fail "docker run -it via a tty" "$out"
fi

out=$(drun --rm -v /:/host hr-busybox true 2>&1)
if [ -n "$out" ] && printf '%s' "$out" | grep -q 'refused by hardrun' &&
	printf '%s' "$out" | grep -q 'mounts'; then
	tap_ok "docker run -v /:/host refused; docker shows hardrun's reason"
	echo "#   $(printf '%s' "$out" | head -n1 | cut -c1-300)"
else
	tap_fail "docker run -v /:/host refused with hardrun's reason" "$out"
fi
out=$(drun --rm --privileged hr-busybox sh -c "$STATUS_SH" 2>&1)
capeff=$(printf '%s\n' "$out" | awk '/^CapEff:/ {print $2}')
if [ -n "$capeff" ] && (( ((0x$capeff >> 21) & 1) == 0 )); then
	tap_ok "docker run --privileged under baseline runs without CAP_SYS_ADMIN (CapEff $capeff)"
elif printf '%s' "$out" | grep -q 'refused by hardrun'; then
	tap_ok "docker run --privileged under baseline refused by hardrun"
else
	tap_fail "docker run --privileged under baseline is hardened or refused" "$out"
fi

# The operator's view: one JSON line per decision, readable by jq, with the
# id docker gave the container and the profile.
if jq -e . "$HARDRUN_AUDIT_LOG" >/dev/null 2>&1 &&
	jq -se --arg id "$c1_id" 'any(.[]; .id == $id and .profile == "baseline" and .verdict == "allowed")' \
		"$HARDRUN_AUDIT_LOG" >/dev/null &&
	jq -se 'any(.[]; .verdict != "allowed" and any(.findings[]?; .rule == "mounts" and .action == "deny"))' \
		"$HARDRUN_AUDIT_LOG" >/dev/null; then
	tap_ok "audit log: $(wc -l <"$HARDRUN_AUDIT_LOG") JSON lines; docker's container id, profile, verdict; the refusal with its mounts finding"
else
	tap_fail "audit log records docker's containers and the refusal" \
		"$(tail -n 2 "$HARDRUN_AUDIT_LOG" 2>&1 | cut -c1-400)"
fi

# A Docker network: on every normal Docker host containers are on a network
# (the default bridge), and Docker then adds libnetwork's prestart hook
# (`/proc/<dockerd pid>/exe libnetwork-setkey ...`) to the config.  The
# bridge would need iptables and a host interface, so the same path is taken
# with a macvlan network on an idle interface (one that is down: nothing is
# sent anywhere, nothing is created on the host).
idle=$(ip -o link show 2>/dev/null | awk -F': ' '$3 ~ /state DOWN/ && $2 ~ /^(ifb|dummy)[0-9]+$/ {print $2; exit}')
if [ -z "$idle" ]; then
	HR_CORE=0 tap_skip "docker run on a Docker network (libnetwork prestart hook)" \
		"no idle ifb/dummy interface to hang a macvlan network on without touching the host's network"
elif ! dk network create -d macvlan --internal --subnet 198.51.100.0/24 -o parent="$idle" hr-net >/dev/null 2>&1 ||
	! dk run --rm --runtime runc --network hr-net hr-busybox true >/dev/null 2>&1; then
	HR_CORE=0 tap_skip "docker run on a Docker network (libnetwork prestart hook)" \
		"a macvlan network on $idle does not work here even with runc"
else
	out=$(drun --rm --network hr-net hr-busybox sh -c 'head -n1 /proc/self/uid_map; ip -4 addr show' 2>&1)
	if printf '%s' "$out" | grep -q '198\.51\.100\.' &&
		[ "$(printf '%s\n' "$out" | awk 'NR==1 {print $2}')" != 0 ]; then
		tap_ok "docker run on a Docker network: libnetwork's prestart hook runs, the container gets its address"
	else
		tap_fail "docker run on a Docker network (libnetwork prestart hook, as on every bridge-networked host)" "$out"
	fi
fi
dk network rm hr-net >/dev/null 2>&1

# --------------------------------------------------------------- daemon.json
# The shipped snippet, with this build's path.
if ! dockerd_start json "$(jq --arg p "$HARDRUN" '.runtimes[].path = $p' "$HR_TOP/deploy/docker/daemon.json")"; then
	tap_fail "dockerd with daemon.json runtimes starts" "$(tail -n 5 "$T/json.log")"
	tap_end
	exit
fi
out=$(dk info --format '{{json .Runtimes}}' 2>&1)
if printf '%s' "$out" | jq -e '."hardrun-restricted".runtimeArgs == ["--hardrun-profile=restricted"]' >/dev/null 2>&1; then
	tap_ok "docker info lists daemon.json runtimes with their runtimeArgs"
else
	tap_fail "docker info lists daemon.json runtimes" "$out"
fi
tar -C "$T/rootfs" -c . | dk import - hr-busybox >/dev/null 2>&1
out=$(dk run --rm --runtime hardrun "${WORKAROUND[@]}" hr-busybox sh -c "$STATUS_SH" 2>&1)
if [ "$(printf '%s\n' "$out" | awk 'NR==1 && NF==3 {print $1 $2}')" != "" ] &&
	[ "$(printf '%s\n' "$out" | awk 'NR==1 {print $2}')" != 0 ] &&
	printf '%s\n' "$out" | grep -qE '^Seccomp:[[:space:]]+2$'; then
	tap_ok "runtimeArgs --hardrun-profile=baseline (before runc's global flags) accepted; container hardened"
else
	tap_fail "runtimeArgs --hardrun-profile=baseline accepted" "$out"
fi
# restricted refuses (never fixes) what a pod under the "restricted" Pod
# Security Standard could not ask for; this is the docker command line that
# asks for nothing more.
RESTRICTED_OK=(--user 1000:1000 --cap-drop ALL --cap-add NET_BIND_SERVICE
	--security-opt no-new-privileges --cgroupns private)
out=$(dk run --rm --runtime hardrun-restricted "${WORKAROUND[@]}" "${RESTRICTED_OK[@]}" \
	hr-busybox sh -c "$STATUS_SH" 2>&1)
capeff=$(printf '%s\n' "$out" | awk '/^CapEff:/ {print $2}')
if [ -n "$capeff" ] && (( (0x$capeff & ~0x400) == 0 )); then
	tap_ok "restricted runtime: a compliant non-root container runs (CapEff $capeff)"
else
	tap_fail "restricted runtime runs a compliant non-root container" \
		"docker run --runtime hardrun-restricted ${RESTRICTED_OK[*]} hr-busybox" "$out"
fi
out=$(dk run --rm --runtime hardrun-restricted "${WORKAROUND[@]}" --privileged hr-busybox true 2>&1)
if [ -n "$out" ] && printf '%s' "$out" | grep -q 'refused by hardrun profile `restricted`'; then
	tap_ok "--privileged under restricted refused; docker shows hardrun's reason"
	echo "#   $(printf '%s' "$out" | head -n1 | cut -c1-300)"
else
	tap_fail "--privileged under restricted refused with hardrun's reason" "$out"
fi

tap_end
