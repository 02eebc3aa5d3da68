#!/bin/bash
# The builtin runtime, with no runc on PATH: the checks a user would make from
# inside the container, the lifecycle compared with runc's state JSON on the
# same bundle, exec into the same pid namespace.  TAP.
# HARDRUN: the binary under test (default build/hardrun).
set -u
. "$(dirname "$0")/../lib/common.sh"
HR_CORE=1

RUNC_BIN=$(command -v runc || echo /usr/sbin/runc)
WORK=$(mktemp -d /tmp/hr-builtin.XXXXXX)
chmod 755 "$WORK" # runc's init, as the container's root, must reach the rootfs
# /usr/bin/runc may link to /usr/sbin/runc (and /bin is /usr/bin): a bin
# directory with everything but runc stands in for /usr/bin.
mkdir -p "$WORK/bin"
for f in /usr/bin/*; do
	case "${f##*/}" in runc | crun) ;; *) ln -s "$f" "$WORK/bin/" ;; esac
done
export PATH=/usr/local/bin:$WORK/bin
HRB() { "$HARDRUN" --root "$HR_TEST_ROOT" --hardrun-runtime builtin "$@"; }
U=$$ # container ids unique per run: the id pool is host-wide
cleanup() {
	HRB delete --force b-life-$U >/dev/null 2>&1
	HRB delete --force b-exec-$U >/dev/null 2>&1
	[ -x "$RUNC_BIN" ] && "$RUNC_BIN" --root "$WORK/runc-root" delete --force r-life-$U >/dev/null 2>&1
	HRB delete --force b-life-$U >/dev/null 2>&1
	"$HARDRUN" --hardrun-policy "$WORK/dflt-policy.json" --hardrun-runtime builtin \
		delete --force b-dflt-$U >/dev/null 2>&1
	rm -rf "$WORK" "$HR_TEST_ROOT"
}
trap cleanup EXIT

if command -v runc >/dev/null 2>&1; then
	tap_fail "runc is not on PATH" "found $(command -v runc)"
else
	tap_ok "runc is not on PATH"
fi

if ! need_root; then
	tap_skip "builtin runtime" "needs root"
	tap_end
	exit $?
fi
if [ ! -x "$HARDRUN" ] || [ ! -x /bin/busybox ]; then
	tap_skip "builtin runtime" "no hardrun build at $HARDRUN or no busybox"
	tap_end
	exit $?
fi

# bundle DIR ARGS...: hardrun's policy adds the user namespace (an id range
# from its pool, an idmapped rootfs) and the seccomp profile.  A bare
# runtime driver (HARDRUN not answering --version as hardrun) gets them here.
bundle() {
	local dir=$1
	shift
	PATH=$(dirname "$RUNC_BIN"):$PATH make_bundle "$dir" "$@"
	is_hardrun && return 0
	bundle_set "$dir" '(.linux.namespaces |= (map(select(.type != "user")) + [{"type":"user"}]))
		| .linux.uidMappings=[{"containerID":0,"hostID":100000,"size":65536}]
		| .linux.gidMappings=[{"containerID":0,"hostID":100000,"size":65536}]'
	jq --slurpfile s "$HR_TOP/profiles/seccomp/default.json" '.linux.seccomp //= $s[0]' \
		"$dir/config.json" >"$dir/config.json.new" && mv "$dir/config.json.new" "$dir/config.json"
	chown -R 100000:100000 "$dir/rootfs"
}

# cap_mask NAME...: the /proc/<pid>/status hex mask of these capabilities
cap_mask() {
	local m=0 n v
	for n in "$@"; do
		v=$(awk -v c="$n" '$1 == "#define" && $2 == c { print $3 }' /usr/include/linux/capability.h)
		[ -n "$v" ] && m=$((m | (1 << v)))
	done
	printf '%016x\n' "$m"
}

B=$WORK/probe
probe='cat /proc/self/uid_map; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status;'
probe+=' mount -t tmpfs none /tmp 2>/dev/null && echo mount=ok || echo mount=denied;'
probe+=' unshare -U true 2>/dev/null && echo unshare=ok || echo unshare=denied'
bundle "$B" sh -c "$probe; echo nofile=\$(ulimit -n) oom=\$(cat /proc/self/oom_score_adj) host=\$(hostname)"
bundle_set "$B" '.process.oomScoreAdj = 123 | .hostname = "hr-box"
	| .process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 321, "hard": 321}]'
out=$(cd "$B" && HRB run b-probe-$U 2>"$WORK/err")
rc=$?
if [ $rc -ne 0 ]; then
	tap_fail "hardrun run with the builtin runtime" "exit $rc: $(cat "$WORK/err")"
else
	tap_ok "hardrun run with the builtin runtime"
fi
read -r in host size < <(echo "$out" | head -1)
if [ "${in:-}" = 0 ] && [ -n "${host:-}" ] && [ "$host" != 0 ]; then
	tap_ok "uid_map inside maps container root to host uid $host, not 0"
else
	tap_fail "uid_map inside maps container root away from host root" "got: $(echo "$out" | head -1)"
fi
want=$(cap_mask $(jq -r '.process.capabilities.effective[]?' "$B/config.json"))
got=$(echo "$out" | awk '/^CapEff:/ { print $2 }')
[ "$got" = "$want" ] && tap_ok "CapEff $got matches the config's effective set" ||
	tap_fail "CapEff matches the config" "got $got, want $want"
[ "$(echo "$out" | awk '/^NoNewPrivs:/ { print $2 }')" = 1 ] && tap_ok "NoNewPrivs 1" ||
	tap_fail "NoNewPrivs 1" "$(echo "$out" | grep NoNewPrivs)"
[ "$(echo "$out" | awk '/^Seccomp:/ { print $2 }')" = 2 ] && tap_ok "Seccomp 2 (filter mode)" ||
	tap_fail "Seccomp 2" "$(echo "$out" | grep Seccomp)"
echo "$out" | grep -qx mount=denied && tap_ok "mount fails inside" || tap_fail "mount fails inside" "$out"
echo "$out" | grep -qx unshare=denied && tap_ok "unshare fails inside" ||
	tap_fail "unshare fails inside" "$out"
want="nofile=$(jq -r '.process.rlimits[] | select(.type == "RLIMIT_NOFILE") | .soft' "$B/config.json")"
want+=" oom=$(jq -r .process.oomScoreAdj "$B/config.json") host=$(jq -r .hostname "$B/config.json")"
echo "$out" | grep -qxF "$want" && tap_ok "rlimit, oomScoreAdj and hostname as configured ($want)" ||
	tap_fail "rlimit, oomScoreAdj, hostname" "want $want" "$out"

B=$WORK/cat
bundle "$B" cat
got=$(cd "$B" && echo hi | HRB run b-cat-$U 2>&1)
[ "$got" = hi ] && tap_ok "echo hi | hardrun run ... cat prints hi" || tap_fail "stdin/stdout pipeline" "got: $got"

B=$WORK/exit
bundle "$B" sh -c 'exit 42'
(cd "$B" && HRB run b-exit-$U >/dev/null 2>&1)
rc=$?
[ $rc = 42 ] && tap_ok "exit code 42 kept" || tap_fail "exit code 42 kept" "got $rc"

# pid 1 ignores its own SIGKILL (as under runc); a SIGKILL from outside kills it: 128+9
B=$WORK/killed
bundle "$B" sleep 30
(cd "$B" && HRB run b-killed-$U >/dev/null 2>&1) &
runner=$!
for _ in $(seq 100); do
	[ "$(HRB state b-killed-$U 2>/dev/null | jq -r .status 2>/dev/null)" = running ] && break
	sleep 0.05
done
HRB kill b-killed-$U KILL
wait $runner
rc=$?
[ $rc = 137 ] && tap_ok "container killed by SIGKILL: hardrun run exits 137" ||
	tap_fail "SIGKILL gives 137" "got $rc"

# SIGTERM to hardrun is forwarded to the container process, whose trap decides the code
B=$WORK/term
bundle "$B" sh -c 'trap "exit 7" TERM; echo ready; while :; do sleep 0.05; done'
(cd "$B" && exec "$HARDRUN" --root "$HR_TEST_ROOT" --hardrun-runtime builtin run b-term-$U >"$WORK/term.out" 2>&1) &
runner=$!
for _ in $(seq 100); do grep -q ready "$WORK/term.out" 2>/dev/null && break; sleep 0.05; done
kill -TERM $runner
wait $runner
rc=$?
[ $rc = 7 ] && tap_ok "SIGTERM forwarded to the container process (its trap exits 7)" ||
	tap_fail "SIGTERM forwarded" "got $rc"

# create / start / state / kill / delete, side by side with runc on the same
# (already hardened) bundle
B=$WORK/life
bundle "$B" sleep 30
R() { "$RUNC_BIN" --root "$WORK/runc-root" "$@"; }
have_runc=0
[ -x "$RUNC_BIN" ] && have_runc=1
wait_stopped() { # wait_stopped CMD...
	for _ in $(seq 100); do
		[ "$("$@" 2>/dev/null | jq -r .status 2>/dev/null)" = stopped ] && return
		sleep 0.02
	done
}
fields='{ociVersion, status, bundle, rootfs, annotations, pidpos: (.pid > 0)}'
HRB create --bundle "$B" b-life-$U 2>"$WORK/err" && tap_ok "create" || tap_fail "create" "$(cat "$WORK/err")"
[ $have_runc = 1 ] && R create --bundle "$B" r-life-$U
s1=$(HRB state b-life-$U) r1=$([ $have_runc = 1 ] && R state r-life-$U)
[ "$(echo "$s1" | jq -r .status)" = created ] && tap_ok "state after create: created" ||
	tap_fail "state after create" "$s1"
HRB start b-life-$U && tap_ok "start" || tap_fail "start"
[ $have_runc = 1 ] && R start r-life-$U
s2=$(HRB state b-life-$U) r2=$([ $have_runc = 1 ] && R state r-life-$U)
[ "$(echo "$s2" | jq -r .status)" = running ] && tap_ok "state after start: running" ||
	tap_fail "state after start" "$s2"
HRB kill b-life-$U KILL && tap_ok "kill KILL" || tap_fail "kill KILL"
[ $have_runc = 1 ] && R kill r-life-$U KILL
wait_stopped HRB state b-life-$U
[ $have_runc = 1 ] && wait_stopped R state r-life-$U
s3=$(HRB state b-life-$U) r3=$([ $have_runc = 1 ] && R state r-life-$U)
[ "$(echo "$s3" | jq -r .status)" = stopped ] && tap_ok "state after kill: stopped" ||
	tap_fail "state after kill" "$s3"
if [ $have_runc = 1 ]; then
	for n in 1 2 3; do
		eval "h=\$s$n r=\$r$n"
		hj=$(echo "$h" | jq -c "$fields")
		rj=$(echo "$r" | jq -c "$fields")
		[ -n "$hj" ] && [ "$hj" = "$rj" ] && tap_ok "state JSON $n matches runc's ($hj)" ||
			tap_fail "state JSON $n matches runc's" "hardrun: $hj" "runc:    $rj"
	done
	R delete r-life-$U
else
	tap_skip "state JSON compared with runc" "no runc binary at $RUNC_BIN"
fi
HRB delete b-life-$U && ! HRB state b-life-$U >/dev/null 2>&1 && tap_ok "delete removes the container" ||
	tap_fail "delete"

# exec joins the init's pid namespace
B=$WORK/exec
bundle "$B" sleep 30
HRB run -d --bundle "$B" b-exec-$U 2>"$WORK/err" || tap_fail "run --detach" "$(cat "$WORK/err")"
pid=$(HRB state b-exec-$U | jq -r .pid)
want=$(readlink "/proc/$pid/ns/pid")
got=$(HRB exec b-exec-$U sh -c 'readlink /proc/self/ns/pid; cat /proc/1/cmdline | tr "\0" " "' 2>&1)
[ "$(echo "$got" | head -1)" = "$want" ] && echo "$got" | tail -1 | grep -q '^sleep 30' &&
	tap_ok "exec sees the container's pid namespace (pid 1 is sleep 30)" ||
	tap_fail "exec in the same pid namespace" "want $want" "got $got"
# the host-side idmapped view of the rootfs goes once the init has its own
# copy: nothing of the container stays mounted in the host's namespace
left=$(grep -c "/b-exec-$U/" /proc/self/mountinfo)
got=$(HRB exec b-exec-$U sh -c 'ls /bin/busybox && stat -c %u /bin/busybox' 2>&1 | tr '\n' ' ')
[ "$left" = 0 ] && [ "$got" = "/bin/busybox 0 " ] &&
	tap_ok "running container keeps its rootfs (root-owned inside) with no host-side mount left" ||
	tap_fail "host-side view released" "mounts left: $left" "inside: $got"
got=$(HRB exec b-exec-$U grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status | awk '{print $2}' | tr '\n' ' ')
[ "$got" = "1 2 " ] && tap_ok "exec'd process has no_new_privs and seccomp" ||
	tap_fail "exec'd process hardened" "got $got"
HRB exec b-exec-$U sh -c 'exit 3'
rc=$?
[ $rc = 3 ] && tap_ok "exec returns the process's exit code" || tap_fail "exec exit code" "got $rc"
echo '{"args":["sh","-c","id -u; id -g; echo $FOO; pwd"],"cwd":"/tmp","env":["FOO=bar"],"user":{"uid":5,"gid":6}}' >"$WORK/proc.json"
got=$(HRB exec --process "$WORK/proc.json" b-exec-$U 2>&1 | tr '\n' ' ')
[ "$got" = "5 6 bar /tmp " ] && tap_ok "exec --process: user, env, cwd" || tap_fail "exec --process" "got: $got"
# refused (builtin alone) or stripped by the policy: never granted
eff=$(HRB exec --cap CAP_SYS_ADMIN b-exec-$U grep CapEff /proc/self/status 2>/dev/null | awk '{print $2}')
if [ -z "$eff" ] || [ $((0x$eff & (1 << 21))) = 0 ]; then
	tap_ok "exec --cap CAP_SYS_ADMIN (not in the bounding set) never grants it (CapEff ${eff:-refused})"
else
	tap_fail "exec --cap CAP_SYS_ADMIN not granted" "CapEff $eff"
fi
HRB exec -d b-exec-$U sleep 20
n=$(HRB ps --format json b-exec-$U | jq length)
[ "$n" = 2 ] && tap_ok "ps --format json lists the init and the detached exec" || tap_fail "ps json" "got $n pids"
# The init and the exec'd process join the container's cgroups themselves:
# seen from the host in its pids and devices cgroups, and at the root of
# their own cgroup namespace from inside.
if [ -f /sys/fs/cgroup/pids/cgroup.procs ] && [ -f /sys/fs/cgroup/devices/cgroup.procs ]; then
	cg=$(awk -F: '$2 == "pids" { print $3 }' "/proc/$pid/cgroup")
	bad=
	for p in $(HRB ps --format json b-exec-$U | jq -r '.[]'); do
		for c in pids devices; do
			got=$(awk -F: -v c=$c '$2 == c { print $3 }' "/proc/$p/cgroup")
			[ "$got" = "$cg" ] || bad="$bad $p:$c=$got"
		done
	done
	inside=$(HRB exec b-exec-$U sh -c 'grep :pids: /proc/self/cgroup | cut -d: -f3' 2>&1)
	[ -n "$cg" ] && [ "$cg" != / ] && [ -z "$bad" ] && [ "$inside" = / ] &&
		tap_ok "init and exec'd process in the container's pids and devices cgroups ($cg), / inside" ||
		tap_fail "container cgroups" "init's pids cgroup '$cg'" "wrong:$bad" "inside: $inside"
else
	tap_skip "container cgroups" "no v1 pids and devices hierarchies on this host"
fi
HRB list --format json | jq -e --arg id "b-exec-$U" 'map(select(.id == $id and .status == "running")) | length == 1' >/dev/null &&
	tap_ok "list --format json shows the running container" || tap_fail "list --format json" "$(HRB list)"
if [ -f /sys/fs/cgroup/pids/cgroup.procs ]; then
	HRB update --pids-limit 57 b-exec-$U 2>"$WORK/err"
	got=$(HRB exec b-exec-$U cat /sys/fs/cgroup/pids/pids.max 2>&1)
	[ "$got" = 57 ] && tap_ok "update --pids-limit 57 seen inside as pids.max" ||
		tap_fail "update --pids-limit" "got $got" "$(cat "$WORK/err")"
else
	tap_skip "update --pids-limit" "no v1 pids hierarchy on this host"
fi
HRB kill --all b-exec-$U KILL
for _ in $(seq 200); do [ "$(HRB state b-exec-$U | jq -r .status)" = stopped ] && break; sleep 0.02; done
[ "$(HRB state b-exec-$U | jq -r .status)" = stopped ] && tap_ok "kill --all KILL stops every process" ||
	tap_fail "kill --all" "$(HRB state b-exec-$U)"
HRB delete --force b-exec-$U && tap_ok "delete --force a running container" || tap_fail "delete --force"

# hooks: all six, with the state JSON on stdin; a policy allowing this hook path
B=$WORK/hooks
bundle "$B" true
mkdir -p "$WORK/hk" "$WORK/hkbin"
chmod 777 "$WORK/hk" # createContainer runs as the container's root (a mapped uid)
# The hook itself in a directory only root can write (hardrun refuses an
# allowed hook that anybody could swap); its output goes to hk.
printf '#!/bin/sh\ncat >"%s/$1.json"\n' "$WORK/hk" >"$WORK/hkbin/hook.sh"
# startContainer runs inside: the same path in the rootfs holds the container's own copy
mkdir -p "$B/rootfs$WORK/hkbin"
printf '#!/bin/sh\ncat >"/tmp/$1.json"\n' >"$B/rootfs$WORK/hkbin/hook.sh"
chmod 755 "$WORK/hkbin/hook.sh" "$B/rootfs$WORK/hkbin/hook.sh"
echo "{\"hooks\":{\"allowed\":[\"$WORK/hkbin/hook.sh\"]}}" >"$WORK/hk/policy.json"
h() { echo "[{\"path\":\"$1\",\"args\":[\"hook.sh\",\"$2\"]}]"; }
bundle_set "$B" ".root.readonly = false | .hooks = {prestart: $(h "$WORK/hkbin/hook.sh" prestart),
	createRuntime: $(h "$WORK/hkbin/hook.sh" createRuntime),
	createContainer: $(h "$WORK/hkbin/hook.sh" createContainer),
	startContainer: $(h "$WORK/hkbin/hook.sh" startContainer),
	poststart: $(h "$WORK/hkbin/hook.sh" poststart), poststop: $(h "$WORK/hkbin/hook.sh" poststop)}"
if (cd "$B" && HRB --hardrun-policy "$WORK/hk/policy.json" run b-hooks-$U 2>"$WORK/err"); then
	for k in prestart createRuntime createContainer poststart poststop; do
		id=$(jq -r .id "$WORK/hk/$k.json" 2>/dev/null)
		[ "$id" = b-hooks-$U ] && tap_ok "$k hook ran with the state on stdin" ||
			tap_fail "$k hook ran with the state" "$(cat "$WORK/hk/$k.json" 2>&1)"
	done
	pid=$(jq -r .pid "$B/rootfs/tmp/startContainer.json" 2>/dev/null)
	[ "${pid:-0}" -gt 0 ] && tap_ok "startContainer hook ran inside the container (state pid $pid)" ||
		tap_fail "startContainer hook ran inside" "$(cat "$B/rootfs/tmp/startContainer.json" 2>&1)"
else
	tap_fail "run with hooks" "$(cat "$WORK/err")"
fi

# --console-socket: the pty master arrives over SCM_RIGHTS, the process has the slave as its tty
if command -v python3 >/dev/null; then
	B=$WORK/tty
	bundle "$B" sh -c 'tty; echo hello-tty'
	bundle_set "$B" '.process.terminal = true'
	cat >"$WORK/recv.py" <<'PY'

import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1); s.settimeout(20)
c, _ = s.accept()
msg, fds, _, _ = socket.recv_fds(c, 1024, 1)
out = b""
while True:
    try:
        d = os.read(fds[0], 4096)
    except OSError:
        break
    if not d:
        break
    out += d
open(sys.argv[2], "wb").write(msg + b"\n" + out)
PY
	python3 - "$WORK/console.sock" "$WORK/tty.out" <"$WORK/recv.py" &
	for _ in $(seq 100); do [ -S "$WORK/console.sock" ] && break; sleep 0.05; done
	(cd "$B" && HRB run --console-socket "$WORK/console.sock" b-tty-$U 2>"$WORK/err")
	wait
	if grep -q '^/dev/pts/0' "$WORK/tty.out" 2>/dev/null && grep -q hello-tty "$WORK/tty.out"; then
		tap_ok "console socket: the process's tty is the container's /dev/pts/0"
	else
		tap_fail "console socket" "$(cat "$WORK/tty.out" "$WORK/err" 2>&1)"
	fi
	# exec --tty into a running container, the pty again over the socket
	B=$WORK/tty3
	bundle "$B" sleep 30
	rm -f "$WORK/console.sock" "$WORK/tty.out"
	HRB run -d --bundle "$B" b-tty3-$U 2>"$WORK/err"
	python3 - "$WORK/console.sock" "$WORK/tty.out" <"$WORK/recv.py" &
	for _ in $(seq 100); do [ -S "$WORK/console.sock" ] && break; sleep 0.05; done
	HRB exec --tty --console-socket "$WORK/console.sock" b-tty3-$U sh -c 'tty; echo exec-tty' 2>>"$WORK/err"
	wait
	HRB delete --force b-tty3-$U 2>/dev/null
	grep -q '^/dev/pts/' "$WORK/tty.out" 2>/dev/null && grep -q exec-tty "$WORK/tty.out" &&
		tap_ok "exec --tty --console-socket" || tap_fail "exec --tty" "$(cat "$WORK/tty.out" "$WORK/err" 2>&1)"
else
	tap_skip "console socket" "no python3 to receive the pty master"
fi

# process.terminal in the foreground without a console socket: hardrun relays the pty
B=$WORK/tty2
bundle "$B" sh -c 'read x; echo got:$x; exit 5'
bundle_set "$B" '.process.terminal = true'
got=$(cd "$B" && echo abc | timeout 20 "$HARDRUN" --root "$HR_TEST_ROOT" --hardrun-runtime builtin run b-tty2-$U 2>&1)
rc=$?
echo "$got" | grep -q 'got:abc' && [ $rc = 5 ] && tap_ok "terminal relayed in the foreground (input, output, exit 5)" ||
	tap_fail "terminal relay" "exit $rc" "$got"

# a network namespace joined by path, with a new user namespace around it
unshare --net sleep 30 &
holder=$!
for _ in $(seq 50); do
	[ "$(readlink /proc/$holder/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break
	sleep 0.05
done
B=$WORK/netns
bundle "$B" sh -c 'readlink /proc/self/ns/net; echo pid=$$'
bundle_set "$B" ".linux.namespaces |= map(if .type == \"network\" then .path = \"/proc/$holder/ns/net\" else . end)"
got=$(cd "$B" && HRB run b-netns-$U 2>&1)
if echo "$got" | grep -qxF "$(readlink /proc/$holder/ns/net)" && echo "$got" | grep -qx pid=1; then
	tap_ok "joins a network namespace by path, still pid 1 in a new pid namespace"
elif echo "$got" | grep -q "refused"; then
	tap_skip "join a network namespace by path" "the policy refuses it: $got"
else
	tap_fail "join a network namespace by path" "$got"
fi
kill $holder 2>/dev/null
wait $holder 2>/dev/null

# podman, with the policy selecting the builtin runtime (no runc anywhere on PATH)
if ! command -v podman >/dev/null || ! command -v conmon >/dev/null; then
	tap_skip "podman --runtime hardrun with the builtin runtime" "podman/conmon not installed"
elif ! is_hardrun; then
	tap_skip "podman --runtime hardrun with the builtin runtime" "needs hardrun's policy engine"
else
	P=$WORK/podman
	mkdir -p "$P"
	echo '{"runtime":"builtin","userns":{"chownFallback":true}}' >"$P/policy.json"
	# podman does not pass our environment on: the profiles' place in the wrapper
	printf '#!/bin/sh\nHARDRUN_DATADIR="%s" exec "%s" --root "%s" --hardrun-policy "%s" "$@"\n' \
		"$HARDRUN_DATADIR" "$HARDRUN" "$P/state" "$P/policy.json" >"$P/hardrun"
	chmod 755 "$P/hardrun"
	printf '[containers]\ndefault_ulimits = []\nnetns = "none"\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' >"$P/containers.conf"
	pm() { CONTAINERS_CONF=$P/containers.conf podman --root "$P/storage" --runroot "$P/runroot" --tmpdir "$P/tmp" "$@"; }
	PATH=$(dirname "$RUNC_BIN"):$PATH make_bundle "$P/b" true
	tar -C "$P/b/rootfs" -cf "$P/rootfs.tar" .
	pm import "$P/rootfs.tar" localhost/hr-builtin-bb >/dev/null 2>&1
	got=$(pm --runtime "$P/hardrun" run --name hr-b-pm localhost/hr-builtin-bb sh -c "$probe; echo pid=\$\$" 2>&1)
	rc=$?
	host=$(echo "$got" | awk 'NR == 1 && NF == 3 { print $2 }')
	if [ $rc = 0 ] && [ -n "$host" ] && [ "$host" != 0 ] && echo "$got" | grep -qE '^NoNewPrivs:[[:space:]]+1$' &&
		echo "$got" | grep -qE '^Seccomp:[[:space:]]+2$' && echo "$got" | grep -qx pid=1 &&
		echo "$got" | grep -qx mount=denied; then
		tap_ok "podman --runtime hardrun, builtin runtime chosen by the policy: hardened, pid 1"
	else
		tap_fail "podman with the builtin runtime" "exit $rc" "$got"
	fi
	pm rm -f hr-b-pm >/dev/null 2>&1
	pm rmi -f localhost/hr-builtin-bb >/dev/null 2>&1
	for c in "$P"/state/*/; do [ -d "$c" ] && "$P/hardrun" delete --force "$(basename "$c")" 2>/dev/null; done
	rm -rf "$P/storage" "$P/runroot" 2>/dev/null
fi

# mount points missing several levels deep, named with a doubled and a
# trailing slash, are made inside the rootfs
B=$WORK/deep
bundle "$B" sh -c 'echo x >/data/x/y/f && cat /data/x/y/f && echo x >/opt/z/f && cat /opt/z/f'
bundle_set "$B" '.mounts += [{"destination": "/data/x//y/", "type": "tmpfs", "source": "tmpfs"},
	{"destination": "/opt/z", "type": "tmpfs", "source": "tmpfs"}]'
got=$(cd "$B" && HRB run b-deep-$U 2>&1 | tr '\n' ' ')
[ "$got" = "x x " ] && [ -d "$B/rootfs/data/x/y" ] &&
	tap_ok "tmpfs on /data/x//y/ and /opt/z: mount points made inside the rootfs, writable" ||
	tap_fail "deep mount points" "got: $got"

# an LSM label the host cannot apply fails the start; it is never dropped silently
{
	B=$WORK/lsm
	bundle "$B" true
	bundle_set "$B" '.process.apparmorProfile = "hardrun-default"'
	(cd "$B" && HRB run b-lsm-$U >/dev/null 2>&1) && tap_fail "AppArmor profile on a host without AppArmor is refused" ||
		tap_ok "AppArmor profile on a host without AppArmor is refused"
	bundle_set "$B" 'del(.process.apparmorProfile) | .process.selinuxLabel = "system_u:system_r:container_t:s0"'
	(cd "$B" && HRB run b-lsm-$U >/dev/null 2>&1) && tap_fail "SELinux label with SELinux off is refused" ||
		tap_ok "SELinux label with SELinux off is refused"
}

# a block device of the host stays unreadable even with CAP_MKNOD (devices
# cgroup; a user namespace makes the node useless as well)
blk=$(ls /sys/dev/block 2>/dev/null | head -1)
if [ -n "$blk" ]; then
	B=$WORK/mknod
	bundle "$B" sh -c "mknod /tmp/blk b ${blk%%:*} ${blk##*:} 2>/dev/null; head -c1 /tmp/blk >/dev/null 2>&1 && echo read=yes || echo read=no; echo x >/dev/null && echo null=ok"
	bundle_set "$B" '.root.readonly = false | .process.capabilities.bounding += ["CAP_MKNOD"]
		| .process.capabilities.effective += ["CAP_MKNOD"] | .process.capabilities.permitted += ["CAP_MKNOD"]'
	got=$(cd "$B" && HRB run b-mknod-$U 2>&1)
	echo "$got" | grep -qx read=no && echo "$got" | grep -qx null=ok &&
		tap_ok "host block device $blk unreadable from inside, /dev/null usable" ||
		tap_fail "block device unreadable" "$got"
	rm -f "$B/rootfs/tmp/blk"
else
	tap_skip "block device unreadable" "no block devices on this host"
fi

# Without --root the builtin runtime keeps containers under its own default
# root, and the id-range entry must say so: the allocator reclaims an entry
# older than 30 s whose container its runtime root does not show, and a
# wrong root would hand a running container's range to the next one.
printf '{"stateDir": "%s/dflt-state"}\n' "$WORK" >"$WORK/dflt-policy.json"
DF=(--hardrun-policy "$WORK/dflt-policy.json" --hardrun-runtime builtin)
B=$WORK/dflt
bundle "$B" sleep 1000
if "$HARDRUN" "${DF[@]}" create --bundle "$B" b-dflt-$U </dev/null >/dev/null 2>&1 &&
	"$HARDRUN" "${DF[@]}" start b-dflt-$U >/dev/null 2>&1; then
	entry=$(grep -lx "key=b-dflt-$U" "$WORK"/dflt-state/ranges/[0-9]* 2>/dev/null)
	# 100 s old, as if the container had run that long
	[ -n "$entry" ] && sed -i "s/^created=.*/created=$(($(date +%s) - 100))/" "$entry"
	bundle_set "$B" '.process.args=["true"]'
	"$HARDRUN" "${DF[@]}" run --bundle "$B" b-dflt2-$U </dev/null >/dev/null 2>&1
	if [ -n "$entry" ] && grep -qx "key=b-dflt-$U" "$entry" 2>/dev/null &&
		grep -qx "runtimeRoot=/run/hardrun/builtin" "$entry"; then
		tap_ok "no --root: the range entry names the builtin root, and a live container's range outlives a reclaim"
	else
		tap_fail "no --root: a live container's range outlives a reclaim" "entry=$entry" \
			"$(cat "$WORK"/dflt-state/ranges/[0-9]* 2>&1)"
	fi
	"$HARDRUN" "${DF[@]}" delete --force b-dflt-$U >/dev/null 2>&1
else
	tap_fail "no --root: builtin create and start" "$("$HARDRUN" "${DF[@]}" state b-dflt-$U 2>&1)"
fi

# A limit the host cannot apply: in a mount namespace of its own where no
# memory hierarchy is mounted (a host without the controller, as far as the
# runtime can see), untrusted's 512 MiB memory limit has nowhere to go.
# resources.unapplied decides: deny (untrusted's) refuses the container,
# warn starts it and says what was not applied.
if [ -f /sys/fs/cgroup/memory/cgroup.procs ] && command -v unshare >/dev/null; then
	B=$WORK/nomem
	bundle "$B" true
	jq '.name = "untrusted-warn" | .extends = "untrusted" | del(.description, .strictness)
		| .rules = {resources: (.rules.resources + {unapplied: "warn"})}' \
		"$HR_TOP/profiles/policies/untrusted.json" >"$WORK/untrusted-warn.json"
	nomem() { # nomem PROFILE ID: hardrun run in a namespace without the memory hierarchy
		unshare -m sh -c 'mount -t tmpfs none /sys/fs/cgroup/memory && exec "$@"' sh \
			"$HARDRUN" --root "$HR_TEST_ROOT" --hardrun-runtime builtin --hardrun-profile "$1" \
			run --bundle "$B" "$2"
	}
	out=$(nomem untrusted b-nomem1-$U 2>&1)
	rc=$?
	left=$(ls -d /sys/fs/cgroup/*/hardrun/b-nomem1-$U /sys/fs/cgroup/*/b-nomem1-$U 2>/dev/null)
	[ $rc != 0 ] && echo "$out" | grep -q 'resources/memory cannot be applied on this host' &&
		echo "$out" | grep -q 'resources.unapplied is deny' && [ -z "$left" ] &&
		tap_ok "no memory controller: untrusted (unapplied deny) refuses the container, saying why, no cgroup left" ||
		tap_fail "unapplied memory limit refused" "exit $rc" "$out" "left: $left"
	out=$(nomem "$WORK/untrusted-warn.json" b-nomem2-$U 2>&1)
	rc=$?
	[ $rc = 0 ] && echo "$out" | grep -q 'resources/memory not applied: no cgroup controller' &&
		tap_ok "no memory controller: unapplied warn starts it and logs what was not applied" ||
		tap_fail "unapplied memory limit warned" "exit $rc" "$out"
else
	tap_skip "unapplied limits" "no v1 memory hierarchy or no unshare here"
fi

# Many starts in a row: a race in the init's set-up shows as a rare failure
# (access(2) on the host's /dev/null failed about once in 400 starts, the
# container got no /dev/null and its masks failed: "mask /proc/keys").
bundle "$WORK/many" true
fails=0 first=
for i in $(seq 400); do
	if ! (cd "$WORK/many" && HRB run "b-many$i-$U") >/dev/null 2>"$WORK/many.err"; then
		fails=$((fails + 1))
		[ -n "$first" ] || first="start $i: $(cat "$WORK/many.err")"
	fi
done
[ $fails = 0 ] && tap_ok "400 starts in a row, none failed" ||
	tap_fail "400 starts in a row, none failed" "$fails failed; $first"

tap_end
