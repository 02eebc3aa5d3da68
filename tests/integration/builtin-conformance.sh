#!/bin/bash
# The builtin runtime behaves as runc 1.1.5 where hardening does not say
# otherwise (issue 19, issue 16 point 6).  Runtime-agnostic: against runc
# (the control) every check holds too, except the documented differences
# (docs/builtin.md), which say so in their names.  Against hardrun, runc is
# off PATH and `--hardrun-runtime builtin` is used.  TAP.
# hr-control: yes
set -u
. "$(dirname "$0")/../lib/common.sh"
# shellcheck disable=SC2034 # read by tap_skip (common.sh)
HR_CORE=1

RUNC_BIN=$(command -v runc || echo /usr/sbin/runc)
if ! need_root || [ ! -x /bin/busybox ] || ! command -v jq >/dev/null; then
	tap_skip "builtin conformance" "needs root, busybox and jq"
	tap_end
	exit $?
fi
WORK=$(mktemp -d /tmp/hr-bi-conf.XXXXXX)
chmod 755 "$WORK"
U=$$
HR=0
if is_hardrun; then
	HR=1
	# /usr/bin/runc may link to /usr/sbin/runc: a bin dir with all but runc
	mkdir -p "$WORK/bin"
	for f in /usr/bin/*; do
		case "${f##*/}" in runc | crun) ;; *) ln -s "$f" "$WORK/bin/" ;; esac
	done
fi
if [ $HR = 1 ]; then
	RTC=(env "PATH=/usr/local/bin:$WORK/bin" "$HARDRUN" --root "$HR_TEST_ROOT" --hardrun-runtime builtin)
else
	RTC=("$RUNC_BIN" --root "$HR_TEST_ROOT")
fi
RT() { "${RTC[@]}" "$@"; }
# T SECONDS ARGS...: the runtime, which must not hang (124: it did)
T() {
	local s=$1
	shift
	timeout -k 2 "$s" "${RTC[@]}" "$@"
}
# jqset DIR JQ-ARGS...: edit DIR/config.json in place
jqset() {
	local d=$1
	shift
	jq "$@" "$d/config.json" >"$d/config.json.new" && mv "$d/config.json.new" "$d/config.json"
}
IDS=()
FROZEN=
cleanup() {
	local id
	if [ -n "$FROZEN" ]; then
		echo THAWED >"$FROZEN/freezer.state" 2>/dev/null
		RT delete -f "bi-frozen-$U" >/dev/null 2>&1
		rmdir /sys/fs/cgroup/*/"${FROZEN##*/}" 2>/dev/null
	fi
	for id in "${IDS[@]}"; do RT delete -f "$id" >/dev/null 2>&1; done
	grep -o " $WORK/[^ ]*" /proc/self/mountinfo 2>/dev/null | sort -r | xargs -r -n1 umount -l 2>/dev/null
	rm -rf "$WORK"
	[ "$HR_OWN_ROOT" = 1 ] && rm -rf "$HR_TEST_ROOT"
}
trap cleanup EXIT
newid() { # newid NAME: sets $id
	id="bi-$1-$U"
	IDS+=("$id")
}
bundle() { PATH=$(dirname "$RUNC_BIN"):$PATH make_bundle "$@"; }
echo "# runtime under test: $([ $HR = 1 ] && echo "hardrun builtin" || echo "$RUNC_BIN")"

# ---- 1. recursive mount options (mount_setattr AT_RECURSIVE) ----
# A world-writable volume with a submount: a plain rbind lets the container
# write in the submount (the control), rro makes the whole tree read-only.
mkdir -p "$WORK/vol/sub"
chmod 777 "$WORK/vol"
mount -t tmpfs -o mode=1777 bi-sub "$WORK/vol/sub"
B=$WORK/rec
# (make_bundle splits arguments at newlines: one line)
bundle "$B" sh -c 'touch /vol/sub/w-$0 && echo sub=rw || echo sub=ro; touch /vol/w-$0 && echo top=rw || echo top=ro; grep " /vol/sub " /proc/self/mountinfo | cut -d" " -f6'
for opts in '["rbind"]' '["rbind","rro"]' '["rbind","rnoexec","rnosuid","rnodev"]'; do
	jqset "$B" --argjson o "$opts" --arg s "$WORK/vol" \
		'.mounts += [{"destination":"/vol","type":"bind","source":$s,"options":$o}]
		| .mounts |= (map(select(.destination != "/vol")) + [last])'
	tag=$(echo "$opts" | tr -dc 'a-z')
	jqset "$B" --arg t "$tag" '.process.args[3] = $t'
	newid "rec-$tag"
	got=$(cd "$B" && T 30 run "$id" 2>&1)
	case "$opts" in
	'["rbind"]')
		echo "$got" | grep -qx sub=rw && [ -e "$WORK/vol/sub/w-$tag" ] &&
			tap_ok "rbind alone: the submount is writable (control)" ||
			tap_fail "rbind alone: the submount is writable (control)" "$got"
		;;
	*rro*)
		echo "$got" | grep -qx sub=ro && echo "$got" | grep -qx top=ro &&
			[ ! -e "$WORK/vol/sub/w-$tag" ] && [ ! -e "$WORK/vol/w-$tag" ] &&
			tap_ok "rro: the bind and its submount are read-only, nothing landed on the host" ||
			tap_fail "rro makes the whole tree read-only" "$got" "$(ls "$WORK/vol" "$WORK/vol/sub")"
		;;
	*)
		o=$(echo "$got" | tail -1)
		case ",$o," in
		*,nosuid,*nodev,*noexec,*) tap_ok "rnoexec,rnosuid,rnodev reach the submount ($o)" ;;
		*) tap_fail "rnoexec,rnosuid,rnodev reach the submount" "$got" ;;
		esac
		;;
	esac
done

# An option nobody knows, on a bind: runc 1.1.5 hands it to mount(2) as
# data, which a bind ignores; the builtin refuses it (docs/builtin.md).
bundle_set "$B" '.mounts |= map(if .destination == "/vol" then .options = ["rbind","rro-typo"] else . end)'
newid unknown
jqset "$B" '.process.args[3] = "unknown"'
got=$(cd "$B" && T 30 run "$id" 2>&1)
rc=$?
if [ $HR = 1 ]; then
	[ $rc = 1 ] && echo "$got" | grep -q 'rro-typo' && [ ! -e "$WORK/vol/sub/w-unknown" ] &&
		tap_ok "an unknown bind option is an error naming it (exit 1), the container never ran" ||
		tap_fail "unknown bind option refused" "exit $rc" "$got"
else
	[ $rc = 0 ] && tap_ok "runc 1.1.5 ignores an unknown bind option (differs by design)" ||
		tap_fail "runc 1.1.5 ignores an unknown bind option" "exit $rc" "$got"
fi

# ---- 2. /proc is proc only ----
mkdir -p "$WORK/fakeproc"
B=$WORK/procbind
bundle "$B" sh -c 'echo ran >/tmp/ran; sleep 30'
jqset "$B" --arg s "$WORK/fakeproc" \
	'.mounts |= map(if .destination == "/proc" then {"destination":"/proc","type":"bind","source":$s,"options":["rbind"]} else . end)'
newid procbind
got=$(cd "$B" && T 30 create "$id" 2>&1)
rc=$?
st=$(T 10 state "$id" 2>/dev/null | jq -r .status 2>/dev/null)
[ $rc != 0 ] && [ $rc != 124 ] && echo "$got" | grep -q 'proc' && [ -z "$st" ] &&
	tap_ok "a bind at /proc is refused at create, no container left (exit $rc)" ||
	tap_fail "a bind at /proc is refused" "exit $rc, state '$st'" "$got"
# the same through a symlink in the image
B=$WORK/proclink
bundle "$B" true
ln -s /proc "$B/rootfs/p"
jqset "$B" --arg s "$WORK/fakeproc" \
	'.mounts += [{"destination":"/p","type":"bind","source":$s,"options":["rbind"]}]'
newid proclink
got=$(cd "$B" && T 30 run "$id" 2>&1)
rc=$?
[ $rc != 0 ] && [ $rc != 124 ] && echo "$got" | grep -q 'proc' &&
	tap_ok "a bind whose destination is a symlink to /proc is refused (exit $rc)" ||
	tap_fail "a bind through a symlink to /proc is refused" "exit $rc" "$got"
B=$WORK/procfile
bundle "$B" sh -c 'cat /proc/uptime'
echo "4242.00 1.00" >"$WORK/uptime"
jqset "$B" --arg s "$WORK/uptime" \
	'.mounts += [{"destination":"/proc/uptime","type":"bind","source":$s,"options":["bind","ro"]}]'
newid procfile
got=$(cd "$B" && T 30 run "$id" 2>&1)
[ "$got" = "4242.00 1.00" ] && tap_ok "an lxcfs-style bind of /proc/uptime is still allowed" ||
	tap_fail "a bind of /proc/uptime is allowed" "$got"

# ---- 3. the working directory stays inside the container ----
# /lnk -> /proc/self/fd/7, with fd 7 a host directory the caller left open.
mkdir -p "$WORK/hostdir"
echo host-marker >"$WORK/hostdir/marker"
B=$WORK/cwd
bundle "$B" sh -c 'cat marker 2>/dev/null; pwd'
ln -s /proc/self/fd/7 "$B/rootfs/lnk"
bundle_set "$B" '.process.cwd = "/lnk"'
newid cwd-run
got=$(cd "$B" && T 30 run "$id" 2>&1 7<"$WORK/hostdir")
rc=$?
[ $rc != 0 ] && ! echo "$got" | grep -q host-marker &&
	tap_ok "run: cwd through /proc/self/fd/N to a host directory is refused (exit $rc)" ||
	tap_fail "run: cwd through a leaked fd refused" "exit $rc" "$got"
B=$WORK/cwdexec
bundle "$B" sleep 60
ln -s /proc/self/fd/7 "$B/rootfs/lnk"
newid cwd-exec
if (cd "$B" && T 30 run -d "$id" >/dev/null 2>&1 </dev/null); then
	got=$(T 30 exec --cwd /lnk "$id" sh -c 'cat marker; ls /' 2>&1 7<"$WORK/hostdir")
	rc=$?
	[ $rc != 0 ] && ! echo "$got" | grep -q host-marker &&
		tap_ok "exec --cwd through /proc/self/fd/N to a host directory is refused (exit $rc)" ||
		tap_fail "exec --cwd through a leaked fd refused" "exit $rc" "$got"
	got=$(T 30 exec --cwd /tmp "$id" sh -c pwd 2>&1)
	[ "$got" = /tmp ] && tap_ok "exec --cwd /tmp still works" || tap_fail "exec --cwd /tmp" "$got"
	# ---- 4. exec: the runtime's own errors exit 255 ----
	T 30 exec "$id" /nonexistent-bin >"$WORK/out" 2>&1
	rc=$?
	[ $rc = 255 ] && grep -q nonexistent-bin "$WORK/out" &&
		tap_ok "exec of a missing binary: exit 255 with the name" ||
		tap_fail "exec of a missing binary: exit 255" "exit $rc" "$(cat "$WORK/out")"
else
	tap_fail "run -d for the exec checks"
fi
T 30 exec "bi-nosuch-$U" true >"$WORK/out" 2>&1
rc=$?
[ $rc = 255 ] && tap_ok "exec into a missing container: exit 255" ||
	tap_fail "exec into a missing container: exit 255" "exit $rc" "$(cat "$WORK/out")"

# ---- 5. a failing init keeps its reason ----
B=$WORK/noexe
bundle "$B" /nonexistent-entrypoint
newid noexe
got=$(cd "$B" && T 30 create "$id" 2>&1)
rc=$?
st=$(T 10 state "$id" 2>/dev/null | jq -r .status 2>/dev/null)
[ $rc = 1 ] && echo "$got" | grep -q nonexistent-entrypoint && [ -z "$st" ] &&
	! echo "$got" | grep -qi 'connection reset' &&
	tap_ok "create of a missing entrypoint: exit 1 naming it, no container" ||
	tap_fail "create of a missing entrypoint keeps the reason" "exit $rc, state '$st'" "$got"
B=$WORK/nosrc
bundle "$B" true
jqset "$B" --arg s "$WORK/no-such-source" \
	'.mounts += [{"destination":"/x","type":"bind","source":$s,"options":["rbind"]}]'
newid nosrc
got=$(cd "$B" && T 30 run "$id" 2>&1)
rc=$?
[ $rc = 1 ] && echo "$got" | grep -q no-such-source && ! echo "$got" | grep -qi 'connection reset' &&
	tap_ok "a missing bind source: exit 1 naming it" ||
	tap_fail "a missing bind source keeps the reason" "exit $rc" "$got"

# ---- 6. a pre-existing frozen cgroup: refused, never a hang ----
if [ -w /sys/fs/cgroup/freezer ]; then
	FROZEN=/sys/fs/cgroup/freezer/bi-frozen-$U
	mkdir -p "$FROZEN"
	echo FROZEN >"$FROZEN/freezer.state"
	B=$WORK/frozen
	bundle "$B" sleep 30
	jqset "$B" --arg p "/bi-frozen-$U" '.linux.cgroupsPath = $p'
	newid frozen
	# to a file: a frozen init would hold a $(...) pipe open for ever
	(cd "$B" && T 30 run -d "$id" >"$WORK/frozen.out" 2>&1 </dev/null)
	rc=$?
	got=$(cat "$WORK/frozen.out")
	[ $rc != 0 ] && [ $rc != 124 ] && echo "$got" | grep -q 'unexpectedly frozen' &&
		tap_ok "run -d into a frozen cgroup: refused, \"container's cgroup unexpectedly frozen\"" ||
		tap_fail "run -d into a frozen cgroup refused" "exit $rc" "$got"
else
	tap_skip "frozen cgroup" "no writable v1 freezer hierarchy"
fi

# ---- 7. commands: list order, kill 0, ps of a stopped container, paused exec ----
B=$WORK/cmds
bundle "$B" sleep 60
newid zz-cmd
idz=$id
newid aa-cmd
ida=$id
if (cd "$B" && T 30 run -d "$idz" </dev/null >/dev/null 2>&1 && T 30 run -d "$ida" </dev/null >/dev/null 2>&1); then
	got=$(T 10 list -q | grep -E "^bi-(zz|aa)-cmd-$U\$" | tr '\n' ' ')
	[ "$got" = "$ida $idz " ] && tap_ok "list is sorted by id" || tap_fail "list is sorted by id" "$got"
	T 10 kill -a "$idz" 0 && T 10 kill "$idz" 0 &&
		tap_ok "kill [-a] ID 0: the container is there, nothing delivered" ||
		tap_fail "kill ID 0 accepted"
	T 10 kill "$idz" KILL
	for _ in $(seq 200); do
		[ "$(T 10 state "$idz" | jq -r .status)" = stopped ] && break
		sleep 0.02
	done
	got=$(T 10 ps "$idz" 2>&1)
	rc=$?
	[ $rc = 0 ] && [ "$(echo "$got" | wc -l)" = 1 ] && echo "$got" | grep -qw PID &&
		tap_ok "ps of a stopped container: the header, exit 0" ||
		tap_fail "ps of a stopped container" "exit $rc" "$got"
	got=$(T 10 ps --format json "$idz" 2>&1)
	[ "$got" = null ] && tap_ok "ps --format json of a stopped container: null" ||
		tap_fail "ps --format json of a stopped container" "$got"
	T 10 kill "$idz" 0 >/dev/null 2>&1
	rc=$?
	[ $rc = 1 ] && tap_ok "kill ID 0 of a stopped container: exit 1" || tap_fail "kill 0 stopped" "exit $rc"
	if [ -w /sys/fs/cgroup/freezer ] && T 10 pause "$ida"; then
		T 10 exec "$ida" true >"$WORK/out" 2>&1
		rc=$?
		[ $rc = 255 ] && grep -q 'paused' "$WORK/out" &&
			tap_ok "exec into a paused container: refused, exit 255" ||
			tap_fail "exec into a paused container refused" "exit $rc" "$(cat "$WORK/out")"
		T 10 resume "$ida"
	else
		tap_skip "exec into a paused container" "no freezer or pause failed"
	fi
else
	tap_fail "run -d for the command checks"
fi

# ---- 8. exec --additional-gids, --preserve-fds; run --preserve-fds, --keep ----
B=$WORK/xflags
bundle "$B" sleep 60
newid xflags
if (cd "$B" && T 30 run -d "$id" </dev/null >/dev/null 2>&1); then
	got=$(T 10 exec --additional-gids 10 --additional-gids 20 "$id" id -G 2>&1)
	echo " $got " | grep -q ' 10 ' && echo " $got " | grep -q ' 20 ' &&
		tap_ok "exec --additional-gids 10 --additional-gids 20 ($got)" ||
		tap_fail "exec --additional-gids" "$got"
	echo preserved >"$WORK/pfd"
	got=$(T 10 exec --preserve-fds 1 "$id" cat /proc/self/fd/3 2>&1 3<"$WORK/pfd")
	[ "$got" = preserved ] && tap_ok "exec --preserve-fds 1: fd 3 reaches the process" ||
		tap_fail "exec --preserve-fds 1" "$got"
	got=$(T 10 exec "$id" sh -c 'ls /proc/self/fd/3 >/dev/null 2>&1 && echo open || echo closed' 2>&1 3<"$WORK/pfd")
	[ "$got" = closed ] && tap_ok "exec without --preserve-fds: the caller's fd 3 does not reach the process" ||
		tap_fail "exec closes the caller's fd 3" "$got"
else
	tap_fail "run -d for the exec flag checks"
fi
B=$WORK/keep
bundle "$B" sh -c 'cat <&3; exit 3'
newid keep
got=$(cd "$B" && T 30 run --keep --preserve-fds 1 "$id" 2>&1 3<"$WORK/pfd")
rc=$?
st=$(T 10 state "$id" 2>/dev/null | jq -r .status)
[ $rc = 3 ] && [ "$got" = preserved ] && tap_ok "run --preserve-fds 1: fd 3 reaches the process" ||
	tap_fail "run --preserve-fds 1" "exit $rc" "$got"
[ "$st" = stopped ] && T 10 delete "$id" && ! T 10 state "$id" >/dev/null 2>&1 &&
	tap_ok "run --keep: left stopped, then deleted" || tap_fail "run --keep" "state '$st'"

# ---- 9. the pty belongs to the process's uid ----
if command -v python3 >/dev/null; then
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
open(sys.argv[2], "wb").write(out)
PY
	B=$WORK/ptyown
	bundle "$B" sh -c 'echo owner=$(stat -c %u "$(tty)")'
	jqset "$B" '.process.terminal = true | .process.user = {"uid": 1000, "gid": 1000}'
	newid ptyown
	python3 - "$WORK/pty.sock" "$WORK/pty.out" <"$WORK/recv.py" &
	for _ in $(seq 200); do [ -S "$WORK/pty.sock" ] && break; sleep 0.05; done
	(cd "$B" && T 30 run -d --console-socket "$WORK/pty.sock" "$id" >"$WORK/pty.err" 2>&1 </dev/null)
	wait
	got=$(tr -d '\r' <"$WORK/pty.out" 2>/dev/null)
	[ "$got" = owner=1000 ] && tap_ok "the pty is owned by the process uid (1000)" ||
		tap_fail "the pty is owned by the process uid" "$got" "$(cat "$WORK/pty.err")"
else
	tap_skip "pty owner" "no python3 to receive the pty master"
fi

# ---- 10. exec -t without --console-socket: a foreground terminal ----
if command -v script >/dev/null; then
	B=$WORK/exect
	bundle "$B" sleep 60
	newid exect
	if (cd "$B" && T 30 run -d "$id" </dev/null >/dev/null 2>&1); then
		# script(1) gives the runtime a terminal of its own to relay
		printf '%q ' "${RTC[@]}" exec -t "$id" sh -c 'tty; echo exit-tty; exit 4' >"$WORK/exect.cmd"
		timeout -k 2 30 script -qefc "$(cat "$WORK/exect.cmd")" /dev/null </dev/null >"$WORK/exect.out" 2>&1
		rc=$?
		got=$(tr -d '\r\000' <"$WORK/exect.out")
		echo "$got" | grep -q '/dev/pts/[0-9]' && echo "$got" | grep -qx exit-tty && [ "$rc" = 4 ] &&
			tap_ok "exec -t without --console-socket: a tty relayed, exit status kept" ||
			tap_fail "exec -t without --console-socket" "exit $rc" "$got"
	else
		tap_fail "run -d for exec -t"
	fi
else
	tap_skip "exec -t without --console-socket" "no script(1) to give the runtime a terminal"
fi

# ---- 11. cgroup limits seen from inside: reservation, cpu, update -r - ----
if [ -f /sys/fs/cgroup/memory/memory.soft_limit_in_bytes ] && [ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ] &&
	[ -f /sys/fs/cgroup/pids/cgroup.procs ]; then
	B=$WORK/limits
	bundle "$B" sleep 60
	jqset "$B" '.linux.resources.memory = {"limit": 268435456, "reservation": 134217728}
		| .linux.resources.cpu = {"quota": 50000, "period": 200000}'
	newid limits
	if (cd "$B" && T 30 run -d "$id" </dev/null >"$WORK/limits.err" 2>&1); then
		got=$(T 10 exec "$id" sh -c 'cat /sys/fs/cgroup/memory/memory.soft_limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_period_us /sys/fs/cgroup/cpu/cpu.cfs_quota_us' 2>&1 | tr '\n' ' ')
		[ "$got" = "134217728 200000 50000 " ] &&
			tap_ok "memory.reservation and cpu period/quota applied (seen inside: $got)" ||
			tap_fail "memory reservation and cpu limits" "$got"
		echo '{"pids": {"limit": 42}}' | T 10 update -r - "$id"
		got=$(T 10 exec "$id" cat /sys/fs/cgroup/pids/pids.max 2>&1)
		[ "$got" = 42 ] && tap_ok "update -r - (resources from stdin): pids.max 42 inside" ||
			tap_fail "update -r -" "$got"
	else
		tap_fail "run -d with memory and cpu limits" "$(cat "$WORK/limits.err")"
	fi
else
	tap_skip "cgroup limits" "no v1 memory, cpu and pids hierarchies"
fi

# ---- 12. delete --force removes sub-cgroups too ----
if [ -w /sys/fs/cgroup/pids ]; then
	B=$WORK/subcg
	bundle "$B" sleep 60
	jqset "$B" --arg p "/bi-subcg-$U" '.linux.cgroupsPath = $p'
	newid subcg
	if (cd "$B" && T 30 run -d "$id" </dev/null >/dev/null 2>&1) && [ -d "/sys/fs/cgroup/pids/bi-subcg-$U" ]; then
		mkdir -p "/sys/fs/cgroup/pids/bi-subcg-$U/sub/deeper"
		T 30 delete --force "$id"
		[ ! -e "/sys/fs/cgroup/pids/bi-subcg-$U" ] &&
			tap_ok "delete --force removes the container's cgroup with its sub-cgroups" ||
			tap_fail "delete --force with sub-cgroups" "$(find "/sys/fs/cgroup/pids/bi-subcg-$U" -type d)"
	else
		tap_fail "run -d in /bi-subcg-$U (pids cgroup made)"
	fi
	rmdir "/sys/fs/cgroup/pids/bi-subcg-$U/sub/deeper" "/sys/fs/cgroup/pids/bi-subcg-$U/sub" "/sys/fs/cgroup/pids/bi-subcg-$U" 2>/dev/null
else
	tap_skip "delete --force with sub-cgroups" "no writable v1 pids hierarchy"
fi

# ---- 13. spec (runc 1.1.5's example config.json) ----
# The reference is runc's own output, made with runc itself (only the runtime
# under test has runc off PATH); both documents are compared as JSON.
S=$WORK/spec
mkdir -p "$S/ref" "$S/ref-rootless" "$S/cwd" "$S/b" "$S/exists" "$S/link"
(cd "$S/ref" && "$RUNC_BIN" spec) && "$RUNC_BIN" spec --rootless --bundle "$S/ref-rootless"
if (cd "$S/cwd" && RT spec) && [ "$(jq -S . "$S/cwd/config.json")" = "$(jq -S . "$S/ref/config.json")" ]; then
	tap_ok "spec writes runc's config.json in the current directory"
else
	tap_fail "spec" "$(diff <(jq -S . "$S/cwd/config.json" 2>&1) <(jq -S . "$S/ref/config.json") | head -20)"
fi
if RT spec --rootless --bundle "$S/b" && [ "$(jq -S . "$S/b/config.json")" = "$(jq -S . "$S/ref-rootless/config.json")" ] &&
	[ "$(jq '.linux.uidMappings[0].hostID' "$S/b/config.json")" = "$(id -u)" ]; then
	tap_ok "spec --rootless --bundle DIR writes runc's rootless config.json there"
else
	tap_fail "spec --rootless --bundle" "$(diff <(jq -S . "$S/b/config.json" 2>&1) <(jq -S . "$S/ref-rootless/config.json") | head -20)"
fi
echo '{"mine":1}' >"$S/exists/config.json"
RT spec --bundle "$S/exists" 2>"$S/exists.err"
rc=$?
[ $rc = 1 ] && grep -q "File config.json exists. Remove it first" "$S/exists.err" &&
	[ "$(cat "$S/exists/config.json")" = '{"mine":1}' ] &&
	tap_ok "spec refuses an existing config.json (exit 1, runc's message, file untouched)" ||
	tap_fail "spec over an existing config.json" "rc=$rc $(cat "$S/exists.err")"
RT spec --bundle "$S/missing" 2>"$S/missing.err"
rc=$?
[ $rc = 1 ] && grep -q "chdir $S/missing" "$S/missing.err" && [ ! -e "$S/missing" ] &&
	tap_ok "spec --bundle of a missing directory: exit 1, naming it, nothing made" ||
	tap_fail "spec --bundle missing" "rc=$rc $(cat "$S/missing.err")"
# config.json a dangling symlink: runc writes through it, the builtin refuses
ln -s "$S/elsewhere" "$S/link/config.json"
RT spec --bundle "$S/link" 2>/dev/null
rc=$?
if [ $HR = 1 ]; then
	[ $rc = 1 ] && [ ! -e "$S/elsewhere" ] &&
		tap_ok "spec never writes through a config.json symlink (differs by design)" ||
		tap_fail "spec through a symlink" "rc=$rc; $(ls -l "$S/elsewhere" 2>&1)"
else
	[ $rc = 0 ] && [ -s "$S/elsewhere" ] &&
		tap_ok "runc 1.1.5 spec writes through a dangling config.json symlink (differs by design)" ||
		tap_fail "runc spec through a symlink" "rc=$rc"
fi

# ---- 14. linux.resources.unified on a cgroup v1 host: refused as runc 1.1.5 ----
if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ] && [ -w /sys/fs/cgroup/pids ]; then
	B=$WORK/unified
	bundle "$B" true
	jqset "$B" --arg p "/b2-unified-$U" '.process.terminal = false | .linux.cgroupsPath = $p | .linux.resources.unified = {"pids.max": "10"}'
	id="b2-unified-$U"
	IDS+=("$id")
	(cd "$B" && T 30 run -d "$id" </dev/null >/dev/null 2>"$WORK/unified.err")
	rc=$?
	[ $rc = 1 ] && grep -q "cannot use unified on cgroup v1" "$WORK/unified.err" &&
		! RT state "$id" >/dev/null 2>&1 && [ ! -e "/sys/fs/cgroup/pids/b2-unified-$U" ] &&
		tap_ok "resources.unified on cgroup v1: refused (exit 1, runc's words), nothing made" ||
		tap_fail "resources.unified on v1" "rc=$rc $(cat "$WORK/unified.err")"
	# an empty map is no request: runc runs it
	jqset "$B" '.linux.resources.unified = {}'
	(cd "$B" && T 30 run "$id" </dev/null >/dev/null 2>"$WORK/unified.err") &&
		tap_ok "an empty resources.unified runs on cgroup v1" ||
		tap_fail "empty resources.unified" "$(cat "$WORK/unified.err")"
	rmdir /sys/fs/cgroup/*/"b2-unified-$U" 2>/dev/null
else
	tap_skip "resources.unified on cgroup v1" "not a cgroup v1 host"
fi

tap_end
