#!/bin/bash
# Docker integration: a private dockerd (its own containerd, data root, exec
# root and socket under a scratch dir, --iptables=false) with hardrun
# registered as docs/integration/docker.md says (`hardrun install docker`
# into its daemon.json), no host policy, then --add-runtime.
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

# containerd passes its environment to the shims, and they to hardrun
# (docs/integration/docker.md, Troubleshooting).
export HARDRUN_AUDIT_LOG=$T/audit.jsonl
# The one host setting this test needs is where its dockerd keeps volumes:
# the built-in defaults name /var/lib/docker's volume and image roots, and
# this dockerd's data roots are scratch dirs, so its volumes are listed in
# volumeRoots and its image layers in layerRoots (docker.md, --data-root).
# Nothing else: no allowed hooks, the engine hook must be recognised by the
# built-in defaults.
jq -n --arg t "$T" '{volumeRoots: [("add", "json") | ($t + "/" + . + "/data/volumes")],
	layerRoots: [("add", "json") | ($t + "/" + . + "/data/overlay2")]}' >"$T/policy.json"
export HARDRUN_POLICY=$T/policy.json
integ_containerd_start "$T/containerd" || {
	tap_fail "containerd for dockerd starts" "$(tail -n 5 "$T/containerd/containerd.log")"
	tap_end
	exit
}

# dockerd_start NAME ARGS...: a dockerd on $T/NAME.sock with $T/NAME.json
# as its daemon.json; sets D_SOCK.  --iptables=false and --bridge=none keep
# it off the host's network (no docker0, no rules); containers still get a
# network namespace of their own, and with it libnetwork's prestart hook.
dockerd_start() {
	local name=$1 pid
	shift
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

# ------------------------------------------------- registered as the docs say
# docker.md: `hardrun install docker` adds the runtimes to daemon.json.  The
# file already holds a setting of the host's own (dockerd 20.10 otherwise
# writes /etc/docker/key.json), which install must keep.
mkdir -p "$T/json"
jq -n --arg k "$T/json/key.json" '{"deprecated-key-path": $k}' >"$T/json.json"
out=$("$HARDRUN" install docker --config "$T/json.json" 2>&1)
if jq -e --arg p "$HARDRUN" --arg k "$T/json/key.json" '.runtimes.hardrun.path == $p and
	.runtimes."hardrun-restricted".runtimeArgs == ["--hardrun-profile=restricted"] and
	."deprecated-key-path" == $k' "$T/json.json" >/dev/null 2>&1; then
	tap_ok "hardrun install docker registers hardrun in daemon.json, the host's own key kept"
else
	tap_fail "hardrun install docker registers hardrun in daemon.json" "$out" "$(cat "$T/json.json")"
fi
# A profile of one's own, by path (docker.md, "A profile of your own").
jq '.name = "mine" | .rules.resources.pidsLimit = 1000' "$HR_TOP/profiles/policies/baseline.json" >"$T/mine.json"
jq --arg p "$HARDRUN" --arg m "--hardrun-profile=$T/mine.json" \
	'.runtimes."hardrun-mine" = {path: $p, runtimeArgs: [$m]}' "$T/json.json" >"$T/json.new" &&
	mv "$T/json.new" "$T/json.json"
if ! dockerd_start json; then
	tap_fail "dockerd with hardrun in daemon.json starts" "$(tail -n 5 "$T/json.log")"
	tap_end
	exit
fi
out=$(dk info --format '{{json .Runtimes}}' 2>&1)
if printf '%s' "$out" | jq -e --arg p "$HARDRUN" '.hardrun.path == $p and
	."hardrun-restricted".runtimeArgs == ["--hardrun-profile=restricted"]' >/dev/null 2>&1; then
	tap_ok "docker info lists runtime hardrun -> $HARDRUN and the per-profile runtimes"
else
	tap_fail "docker info lists the hardrun runtimes" "$out"
fi

integ_rootfs "$T/rootfs"
if tar -C "$T/rootfs" -c . | dk import - hr-busybox >/dev/null; then
	tap_ok "busybox image imported with docker import"
else
	tap_fail "busybox image imported with docker import"
fi

# The first run is exactly what a user types, on a daemon registered as the
# docs say and no host policy: it must run, hardened.
out=$(dk run --rm --runtime hardrun hr-busybox sh -c "$STATUS_SH" 2>&1)
rc=$?
if [ $rc = 0 ]; then
	tap_ok "docker run --runtime hardrun runs a container (no host policy)"
else
	tap_fail "docker run --runtime hardrun runs a container (no host policy)" "rc=$rc" "$out"
fi
drun() { dk run --runtime hardrun "$@"; }
# libnetwork's prestart hook (/proc/<dockerd pid>/exe libnetwork-setkey) is
# in every container with a network namespace of its own, also --network
# none (this dockerd has no bridge, so its default network is disabled and
# carries none): it must run, recognised as the installed dockerd and
# pinned to it, with no host policy.
dockerd_real=$(readlink -f "$(command -v dockerd)")
hout=$(dk run --rm --runtime hardrun --network none hr-busybox sh -c 'ip -o link | cut -d: -f2' 2>&1)
if [ "$(echo $hout)" = lo ] && jq -se --arg d "$dockerd_real" 'map(select(.verdict == "allowed")) | last |
	any(.findings[]?; .rule == "hooks" and .after == $d and (.before | test("^/proc/[0-9]+/exe$")))' \
	"$HARDRUN_AUDIT_LOG" >/dev/null 2>&1; then
	tap_ok "docker run --network none: libnetwork's hook /proc/<dockerd pid>/exe recognised as $dockerd_real, pinned, run"
else
	tap_fail "docker run --network none: libnetwork's hook recognised as the installed dockerd" "$hout" \
		"$(tail -n 1 "$HARDRUN_AUDIT_LOG" 2>&1 | cut -c1-600)"
fi

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
# Explicit requests beyond the profile are refused, never run without what
# they asked for: the reason and the remedy reach docker run's output.
out=$(drun --rm --privileged hr-busybox sh -c "$STATUS_SH" 2>&1)
if printf '%s' "$out" | grep -q 'refused by hardrun' && printf '%s' "$out" | grep -q 'every capability' &&
	printf '%s' "$out" | grep -q 'remedy: drop --privileged' && ! printf '%s' "$out" | grep -q '^CapEff'; then
	tap_ok "docker run --privileged refused, reason and remedy in docker's output"
	echo "#   $(printf '%s' "$out" | grep -o 'refused by hardrun.*' | head -n1 | cut -c1-300)"
else
	tap_fail "docker run --privileged refused with reason and remedy" "$out"
fi
out=$(drun --rm --pid host hr-busybox sh -c 'readlink /proc/1/ns/pid' 2>&1)
if printf '%s' "$out" | grep -q 'refused by hardrun' && printf '%s' "$out" | grep -q "host's pid namespace" &&
	printf '%s' "$out" | grep -q 'remedy: drop --pid host'; then
	tap_ok "docker run --pid host refused, reason and remedy in docker's output"
else
	tap_fail "docker run --pid host refused with reason and remedy" "$out"
fi
out=$(drun --rm --ipc host hr-busybox true 2>&1)
if printf '%s' "$out" | grep -q "refused by hardrun profile \`baseline\`: namespaces: the container asks for the host's ipc namespace; remedy: drop --ipc host"; then
	tap_ok "docker run --ipc host refused; the first reason is the host ipc namespace, with its remedy"
else
	tap_fail "docker run --ipc host refused with its own reason first" "$out"
fi
out=$(drun --rm --cap-add NET_ADMIN hr-busybox true 2>&1)
if printf '%s' "$out" | grep -q 'remedy: drop --cap-add NET_ADMIN'; then
	tap_ok "docker run --cap-add NET_ADMIN refused: remedy names the flag"
else
	tap_fail "docker run --cap-add NET_ADMIN refused with the flag to drop" "$out"
fi

# A named volume: written by one container, read back by the next.
out=$(drun --rm -v hr-vol:/data hr-busybox sh -c 'echo kept >/data/f && cat /data/f' 2>&1 &&
	drun --rm -v hr-vol:/data hr-busybox cat /data/f 2>&1)
if [ "$out" = "$(printf 'kept\nkept')" ]; then
	tap_ok "docker named volume: written by one container, read back by the next"
else
	tap_fail "docker named volume written and read back" "$out"
fi
dk volume rm hr-vol >/dev/null 2>&1

# A profile given by path keeps exec and update working for the container's
# whole life (the record keeps the resolved profile, not its name).
out=$(dk run -d --name hr-mine --runtime hardrun-mine hr-busybox sleep 300 2>&1)
e_out=$(dk exec hr-mine sh -c 'head -n1 /proc/self/uid_map; grep -E "^NoNewPrivs" /proc/self/status' 2>&1)
u_ok=$(dk update --pids-limit 500 hr-mine 2>&1)
u_ok_rc=$?
u_no=$(dk update --pids-limit 5000 hr-mine 2>&1)
u_no_rc=$?
if [ "$(printf '%s\n' "$e_out" | awk 'NR==1 {print $2}')" != 0 ] &&
	printf '%s\n' "$e_out" | grep -qE '^NoNewPrivs:[[:space:]]+1$' && [ $u_ok_rc = 0 ] &&
	[ $u_no_rc != 0 ] && printf '%s' "$u_no" | grep -q "profile \`mine\`"; then
	tap_ok "profile by path: docker exec hardened, update within its limit accepted, above it refused by profile mine"
else
	tap_fail "profile by path keeps exec and update working" "run: $out" "exec: $e_out" \
		"update 500: rc=$u_ok_rc $u_ok" "update 5000: rc=$u_no_rc $u_no"
fi
x_out=$(dk exec --privileged hr-mine grep CapEff /proc/self/status 2>&1)
if printf '%s' "$x_out" | grep -q 'exec refused by hardrun' && ! printf '%s' "$x_out" | grep -q '^CapEff'; then
	tap_ok "docker exec --privileged refused by hardrun"
else
	tap_fail "docker exec --privileged refused" "$x_out"
fi
dk rm -f hr-mine >/dev/null 2>&1

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

# restricted refuses (never fixes) what a pod under the "restricted" Pod
# Security Standard could not ask for; this is the docker command line that
# asks for nothing more.
RESTRICTED_OK=(--user 1000:1000 --cap-drop ALL --cap-add NET_BIND_SERVICE
	--security-opt no-new-privileges --cgroupns private)
out=$(dk run --rm --runtime hardrun-restricted "${RESTRICTED_OK[@]}" \
	hr-busybox sh -c "$STATUS_SH" 2>&1)
capeff=$(printf '%s\n' "$out" | awk '/^CapEff:/ {print $2}')
if [ -n "$capeff" ] && (( (0x$capeff & ~0x400) == 0 )); then
	tap_ok "restricted runtime: a compliant non-root container runs (CapEff $capeff)"
else
	tap_fail "restricted runtime runs a compliant non-root container" \
		"docker run --runtime hardrun-restricted ${RESTRICTED_OK[*]} hr-busybox" "$out"
fi
out=$(dk run --rm --runtime hardrun-restricted --privileged hr-busybox true 2>&1)
if [ -n "$out" ] && printf '%s' "$out" | grep -q 'refused by hardrun profile `restricted`'; then
	tap_ok "--privileged under restricted refused; docker shows hardrun's reason"
	echo "#   $(printf '%s' "$out" | head -n1 | cut -c1-300)"
else
	tap_fail "--privileged under restricted refused with hardrun's reason" "$out"
fi

# --------------------------------------------------------------- add-runtime
# The other way docker.md gives: dockerd --add-runtime, one runtime, the
# policy's default profile.
jq -n --arg k "$T/add/key.json" '{"deprecated-key-path": $k}' >"$T/add.json"
if ! dockerd_start add --add-runtime "hardrun=$HARDRUN"; then
	tap_fail "dockerd --add-runtime hardrun=$HARDRUN starts" "$(tail -n 5 "$T/add.log")"
else
	tar -C "$T/rootfs" -c . | dk import - hr-busybox >/dev/null 2>&1
	out=$(dk run --rm --runtime hardrun hr-busybox sh -c "$STATUS_SH" 2>&1)
	if [ "$(printf '%s\n' "$out" | awk 'NR==1 && NF==3 {print $2}')" != 0 ] &&
		printf '%s\n' "$out" | grep -qE '^Seccomp:[[:space:]]+2$'; then
		tap_ok "dockerd --add-runtime hardrun=$HARDRUN: docker run hardened"
	else
		tap_fail "dockerd --add-runtime: docker run hardened" "$out"
	fi
fi

tap_end
