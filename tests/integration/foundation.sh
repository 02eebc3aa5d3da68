#!/bin/bash
# Foundation: hardrun behaves as a drop-in runc for the lifecycle commands a
# user (or containerd/Docker) relies on, and its create path never damages
# the bundle.  Runs against OCI_RUNTIME; the harness also runs it against
# plain runc as a control.
# hr-control: yes
set -u
HR_CORE=1
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
hr_test_setup foundation
hr_require_containers "foundation checks"

new_id() { hr_new_id "f$1"; }
# state_field ID FIELD
state_field() { rt state "$1" 2>/dev/null | jq -r ".$2"; }
# wait_status ID STATUS: poll up to 10 s.
wait_status() {
	local _
	for _ in $(seq 100); do
		[ "$(state_field "$1" status)" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# never_ran PID DESC LOG: the container of the runtime at PID never came up:
# stop that runtime and fail DESC with its log.
never_ran() {
	kill "$1" 2>/dev/null
	wait "$1"
	tap_fail "$2" "container never reached running" "$(cat "$3")"
}
# detach ARGS...: stdio away from our output so no container keeps it open
# (a created container holding a $(...) pipe would hang the script).
detach() { rt "$@" </dev/null >>"$WORK/detached.log" 2>&1; }

B=$WORK/bundle
make_bundle "$B" true
# hardrun rewrites B's config.json on every create: new bundles start from
# this pristine copy, not from a config that carries an old container's ids.
cp "$B/config.json" "$WORK/pristine.json"
# Object keys, not array positions: rules may edit lists, never drop a key.
ORIG_KEYS=$(jq -c '[paths | select(all(.[]; type == "string")) | join(".")]' "$WORK/pristine.json")

# --- foreground run: exit codes ---------------------------------------------
new_id run0
out=$(rt run -b "$B" "$id" </dev/null 2>&1)
rc=$?
[ $rc -eq 0 ] && tap_ok "run: exit 0 is kept" || tap_fail "run: exit 0 is kept" "rc=$rc" "$out"

bundle_set "$B" '.process.args=["sh","-c","exit 42"]'
new_id run42
out=$(rt run -b "$B" "$id" </dev/null 2>&1)
rc=$?
[ $rc -eq 42 ] && tap_ok "run: exit 42 is kept" || tap_fail "run: exit 42 is kept" "rc=$rc" "$out"

bundle_set "$B" '.process.args=["sleep","1000"]'
new_id sig
rt run -b "$B" "$id" </dev/null >"$WORK/sig.log" 2>&1 &
pid=$!
if wait_status "$id" running; then
	rt kill "$id" KILL
	wait $pid
	rc=$?
	[ $rc -eq 137 ] && tap_ok "run: a SIGKILLed process exits 128+9" ||
		tap_fail "run: a SIGKILLed process exits 128+9" "rc=$rc" "$(cat "$WORK/sig.log")"
else
	never_ran $pid "run: a SIGKILLed process exits 128+9" "$WORK/sig.log"
fi

# --- stdio pipeline -----------------------------------------------------------
bundle_set "$B" '.process.args=["cat"]'
new_id pipe
out=$(echo hi | rt run -b "$B" "$id" 2>&1)
[ "$out" = hi ] && tap_ok "run: stdin and stdout pass through a pipeline" ||
	tap_fail "run: stdin and stdout pass through a pipeline" "got: $out"

bundle_set "$B" '.process.args=["sh","-c","id -u; cat /proc/self/uid_map | wc -l"]'
new_id id
out=$(rt run -b "$B" "$id" </dev/null 2>&1)
[ "$(echo "$out" | head -n1)" -ge 0 ] 2>/dev/null && tap_ok "run: the container sees a numeric uid and a uid_map" ||
	tap_fail "run: the container sees a numeric uid and a uid_map" "got: $out"

# --- detached lifecycle -------------------------------------------------------
bundle_set "$B" '.process.args=["sleep","1000"]'
new_id life
detach create -b "$B" "$id"
rc=$?
st=$(rt state "$id" 2>&1)
if [ $rc -eq 0 ] && [ "$(echo "$st" | jq -r .status)" = created ]; then
	tap_ok "create: state is created"
else
	tap_fail "create: state is created" "rc=$rc" "$st" "$(tail -n3 "$WORK/detached.log")"
fi
missing=$(echo "$st" | jq -r '[("ociVersion","id","pid","status","bundle") as $k | select(has($k) | not) | $k] | join(",")' 2>&1)
if [ -z "$missing" ] && [ "$(echo "$st" | jq -r .id)" = "$id" ] &&
	[ "$(echo "$st" | jq -r .bundle)" = "$B" ] && [ "$(echo "$st" | jq -r .pid)" -gt 0 ] 2>/dev/null; then
	tap_ok "state: has ociVersion, id, pid, status, bundle with the right values"
else
	tap_fail "state: has ociVersion, id, pid, status, bundle with the right values" "missing: $missing" "$st"
fi
if rt list 2>&1 | grep -qw -- "$id" && rt list -f json 2>/dev/null | jq -e --arg id "$id" 'map(.id) | index($id) != null' >/dev/null; then
	tap_ok "list: shows the container (table and json)"
else
	tap_fail "list: shows the container (table and json)" "$(rt list 2>&1)"
fi
detach start "$id"
if wait_status "$id" running; then tap_ok "start: state becomes running"; else
	tap_fail "start: state becomes running" "$(rt state "$id" 2>&1)" "$(tail -n3 "$WORK/detached.log")"
fi
cpid=$(state_field "$id" pid)
pids=$(rt ps -f json "$id" 2>&1)
if echo "$pids" | jq -e --argjson p "${cpid:-0}" 'index($p) != null' >/dev/null 2>&1 &&
	rt ps "$id" 2>/dev/null | grep -q 'sleep'; then
	tap_ok "ps: lists the container's sleep process"
else
	tap_fail "ps: lists the container's sleep process" "state pid=$cpid ps=$pids"
fi
out=$(rt exec "$id" sh -c 'echo in-$(cat /proc/1/comm)' </dev/null 2>&1)
[ "$out" = in-sleep ] && tap_ok "exec: runs a command beside pid 1 and returns its output" ||
	tap_fail "exec: runs a command beside pid 1 and returns its output" "got: $out"
rt exec "$id" sh -c 'exit 7' </dev/null >/dev/null 2>&1
rc=$?
[ $rc -eq 7 ] && tap_ok "exec: exit code is kept" || tap_fail "exec: exit code is kept" "rc=$rc"
out=$(echo piped | rt exec "$id" cat 2>&1)
[ "$out" = piped ] && tap_ok "exec: stdin passes through" ||
	tap_fail "exec: stdin passes through" "got: $out"
rt kill "$id" KILL >/dev/null 2>&1
if wait_status "$id" stopped; then tap_ok "kill: state becomes stopped"; else
	tap_fail "kill: state becomes stopped" "$(rt state "$id" 2>&1)"
fi
out=$(rt delete "$id" 2>&1)
rc=$?
if [ $rc -eq 0 ] && ! rt state "$id" >/dev/null 2>&1 && ! rt list 2>/dev/null | grep -qw -- "$id"; then
	tap_ok "delete: the container is gone from state and list"
else
	tap_fail "delete: the container is gone from state and list" "rc=$rc $out"
fi

# --- the same bundle twice, side by side --------------------------------------
new_id twin
id1=$id
new_id twin
id2=$id
detach run -d -b "$B" "$id1"
detach run -d -b "$B" "$id2"
if wait_status "$id1" running && wait_status "$id2" running &&
	[ "$(state_field "$id1" pid)" != "$(state_field "$id2" pid)" ]; then
	tap_ok "one bundle runs as two containers at once"
else
	tap_fail "one bundle runs as two containers at once" "$(rt list 2>&1)" "$(tail -n3 "$WORK/detached.log")"
fi
rt delete -f "$id1" >/dev/null 2>&1
rt delete -f "$id2" >/dev/null 2>&1

# --- error log in JSON --------------------------------------------------------
BAD=$WORK/bad
mkdir -p "$BAD"
cp -a "$B/rootfs" "$BAD/"
printf '{"ociVersion": "1.0.2", "process": {' >"$BAD/config.json"
cp "$BAD/config.json" "$WORK/bad.orig"
LOG=$WORK/log.json
echo '{"level":"info","msg":"earlier line","time":"2026-01-01T00:00:00Z"}' >"$LOG"
new_id badcfg
rt --log-format json --log "$LOG" run -b "$BAD" "$id" </dev/null >/dev/null 2>&1
rc=$?
[ $rc -ne 0 ] && tap_ok "broken config.json: run fails" || tap_fail "broken config.json: run fails" "rc=0"
if [ "$(wc -l <"$LOG")" -ge 2 ] && head -n1 "$LOG" | grep -q 'earlier line' &&
	jq -e -s 'all(type == "object" and (.level | type == "string") and (.msg | type == "string") and (.time | type == "string"))' "$LOG" >/dev/null 2>&1 &&
	jq -e -s 'map(select(.level == "error")) | length > 0' "$LOG" >/dev/null 2>&1; then
	tap_ok "--log-format json: error appended as JSON lines with level, msg, time"
else
	tap_fail "--log-format json: error appended as JSON lines with level, msg, time" "$(cat "$LOG")"
fi
cmp -s "$BAD/config.json" "$WORK/bad.orig" && tap_ok "broken config.json is left byte-identical" ||
	tap_fail "broken config.json is left byte-identical"

# --- hardrun only ---------------------------------------------------------------
if ! expect_hardrun; then
	HR_CORE=0 tap_skip "hardrun-only checks" "control runtime $OCI_RUNTIME"
	tap_end
	exit
fi

ver=$("$OCI_RUNTIME" --version 2>&1)
lower=$(runc --version 2>/dev/null | head -n1)
if echo "$ver" | head -n1 | grep -Eq '^hardrun version [0-9]' && echo "$ver" | sed 1d | grep -Fxq -- "$lower"; then
	tap_ok "--version: 'hardrun version X' then the lower runtime's lines"
else
	tap_fail "--version: 'hardrun version X' then the lower runtime's lines" "$ver"
fi

bundle_set "$B" '.process.args=["true"]'
new_id prof
out=$("$OCI_RUNTIME" --hardrun-profile=baseline --root "$HR_TEST_ROOT" run -b "$B" "$id" </dev/null 2>&1)
rc=$?
[ $rc -eq 0 ] && tap_ok "--hardrun-profile=baseline before --root is accepted" ||
	tap_fail "--hardrun-profile=baseline before --root is accepted" "rc=$rc" "$out"

# derive NAME JQ-FILTER: bundle $WORK/NAME with B's rootfs and the pristine
# config through JQ-FILTER, and a copy of that config beside it (.orig).
derive() {
	mkdir -p "$WORK/$1"
	cp -a "$B/rootfs" "$WORK/$1/"
	jq "$2" "$WORK/pristine.json" >"$WORK/$1/config.json"
	cp "$WORK/$1/config.json" "$WORK/$1/config.json.orig"
}
# expect_refused DESC NAME FILE PATTERN: `create` of bundle $WORK/NAME fails
# with an error matching PATTERN, FILE is byte-identical to FILE.orig, and
# no container exists.
expect_refused() {
	local desc=$1 dir=$WORK/$2 file=$3 pattern=$4 rc out
	new_id "$2"
	rt create -b "$dir" "$id" </dev/null >"$WORK/$2.log" 2>&1
	rc=$?
	out=$(cat "$WORK/$2.log")
	if [ $rc -ne 0 ] && cmp -s "$file" "$file.orig" && ! rt state "$id" >/dev/null 2>&1 &&
		echo "$out" | grep -qiE -- "$pattern"; then
		tap_ok "$desc"
	else
		tap_fail "$desc" "rc=$rc" "$out"
	fi
}

# Keys that differ only in case are read by runc (Go) as the same field:
# hardrun must refuse them before anything is written.
derive case '. + {"Process": .process}'
expect_refused "create refuses case-colliding keys naming them; config.json byte-identical, no container" \
	case "$WORK/case/config.json" 'process'

# A policy refusal happens after parsing and the rules, still before
# anything is written or executed.
derive deny '.mounts += [{"destination": "/host", "type": "bind", "source": "/", "options": ["rbind", "ro"]}]'
D=$WORK/deny
expect_refused "create refuses a bind of the host's / by policy; config.json byte-identical, no container" \
	deny "$D/config.json" 'mounts'

# containerd shows the user the last error line of the JSON log.
new_id denylog
rt --log-format json --log "$WORK/deny.json" create -b "$D" "$id" </dev/null >/dev/null 2>&1
rc=$?
last=$(tail -n1 "$WORK/deny.json" 2>/dev/null)
if [ $rc -ne 0 ] && echo "$last" | jq -e '.level == "error" and (.msg | test("mounts")) and (.time | type == "string")' >/dev/null 2>&1 &&
	cmp -s "$D/config.json" "$D/config.json.orig"; then
	tap_ok "a refusal is the last line of the --log-format json log, with the reason"
else
	tap_fail "a refusal is the last line of the --log-format json log, with the reason" "rc=$rc" "$(cat "$WORK/deny.json" 2>&1)"
fi

# A successful create rewrites config.json but keeps what it does not know.
K=$WORK/keep
mkdir -p "$K"
cp -a "$B/rootfs" "$K/"
jq '.process.args=["sleep","1000"] | .annotations={"org.example.keep":"yes"}' "$WORK/pristine.json" |
	sed 's/^{/{"x-hardrun-test": {"big": 18446744073709551615, "neg": -1, "exp": 1e3},/' >"$K/config.json"
new_id keep
detach create -b "$K" "$id"
rc=$?
now=$(jq -c '[paths | select(all(.[]; type == "string")) | join(".")]' "$K/config.json" 2>/dev/null)
lost=$(jq -n -r --argjson a "$ORIG_KEYS" --argjson b "${now:-[]}" '$a - $b | join(" ")' 2>&1)
if [ $rc -eq 0 ] && [ -n "$now" ] && [ -z "$lost" ] &&
	grep -q '18446744073709551615' "$K/config.json" && grep -q '1e3' "$K/config.json" &&
	[ "$(jq -r '.annotations["org.example.keep"]' "$K/config.json")" = yes ]; then
	tap_ok "create: config.json stays valid JSON, keeps every original key and unknown fields"
else
	tap_fail "create: config.json stays valid JSON, keeps every original key and unknown fields" "rc=$rc lost: $lost" "$(tail -n3 "$WORK/detached.log")"
fi
# Commands hardrun does not change are runc's own, byte for byte.
if [ $rc -eq 0 ] && [ "$(rt state "$id" 2>&1)" = "$(runc --root "$HR_TEST_ROOT" state "$id" 2>&1)" ] &&
	[ "$(rt list 2>&1)" = "$(runc --root "$HR_TEST_ROOT" list 2>&1)" ] &&
	[ "$(rt state no-such-container 2>&1 | sed 's/time="[^"]*"//'; echo "rc=${PIPESTATUS[0]}")" = \
		"$(runc --root "$HR_TEST_ROOT" state no-such-container 2>&1 | sed 's/time="[^"]*"//'; echo "rc=${PIPESTATUS[0]}")" ]; then
	tap_ok "state, list and an error pass through as runc's own output and exit code"
else
	tap_fail "state, list and an error pass through as runc's own output and exit code" \
		"$(rt state no-such-container 2>&1)" "$(runc --root "$HR_TEST_ROOT" state no-such-container 2>&1)"
fi
rt delete -f "$id" >/dev/null 2>&1

# --- the runtime is exec'd; a keeper releases after it exits ---------------------
STATE_DIR=/run/hardrun
# leftovers DIR: hardrun's files in a bundle (temporaries).
leftovers() { find "$1" -maxdepth 1 -name '.config.json.hardrun-*' -printf '%f '; }
# bundle_free DIR: wait until no create holds DIR's lock (hardrun's keeper
# holds it until runc has read config.json, and writes its audit record and
# sweeps before it lets it go): the moment is the lock's, not a guess.
bundle_free() { flock "$1" true; }
# keeper_of PID: the hardrun keeper forked before PID exec'd the runtime.
keeper_of() { pgrep -P "$1" -x hardrun | head -n1; }
# held ID: does hardrun still hold anything for ID (record, range, mounts)?
held() {
	[ -e "$STATE_DIR/containers/$1" ] || [ -e "$STATE_DIR/mounts/$1" ] ||
		grep -qsx "key=$1" "$STATE_DIR"/ranges/[0-9]*
}
# keepers_gone ID: wait (up to 10 s) until no keeper of ID is left: a
# keeper exits only after its release, so this is the moment to look, not a
# guess.  (A keeper is a fork of hardrun: its command line names ID.  An
# exited keeper that this VM's init does not reap stays a zombie: gone.)
keepers_gone() {
	local _ p live
	for _ in $(seq 100); do
		live=
		for p in $(pgrep -x hardrun); do
			[ "$(ps -o stat= -p "$p" 2>/dev/null | cut -c1)" = Z ] && continue
			{ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | grep -q -- " $1 *$" && live=1
		done
		[ -z "$live" ] && return 0
		sleep 0.1
	done
	return 1
}
# released ID: once ID's keepers are gone, nothing of ID is held.
released() { keepers_gone "$1" && ! held "$1"; }
# ended PID: wait up to 5 s for PID to exit (closing its inotify instance
# takes a grace period).  This VM's init does not reap orphans: an exited
# keeper may stay a zombie.
ended() {
	local _
	for _ in $(seq 50); do
		kill -0 "$1" 2>/dev/null || return 0
		[ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = Z ] && return 0
		sleep 0.1
	done
	return 1
}
bundle_set "$B" '.process.args=["sleep","1000"]'
new_id exec
# Not through rt(): a function in the background is a subshell, and $! its pid.
"$OCI_RUNTIME" --root "$HR_TEST_ROOT" run -b "$B" "$id" </dev/null >"$WORK/exec.log" 2>&1 7>"$WORK/fd7" &
pid=$!
if wait_status "$id" running; then
	exe=$(readlink "/proc/$pid/exe")
	k=$(keeper_of "$pid")
	kfds=$(for f in /proc/"$k"/fd/*; do readlink "$f"; done 2>/dev/null | sort | tr '\n' ' ')
	if [ "$exe" = "$(readlink -f "$(command -v runc)")" ]; then
		tap_ok "run: the process the caller started is runc itself (exec, not a child)"
	else
		tap_fail "run: the process the caller started is runc itself" "exe=$exe"
	fi
	# The keeper holds the bundle lock at most until runc read config.json,
	# the pidfd and its inotify instance: none of the caller's descriptors.
	if [ -n "$k" ] && [ "$(ps -o sid= -p "$k" | tr -d ' ')" = "$k" ] &&
		[ "$(readlink "/proc/$k/fd/0")$(readlink "/proc/$k/fd/1")$(readlink "/proc/$k/fd/2")" = /dev/null/dev/null/dev/null ] &&
		! echo "$kfds" | grep -q "$WORK"; then
		tap_ok "the keeper sits in its own session holding none of the caller's descriptors"
	else
		tap_fail "the keeper sits in its own session holding none of the caller's descriptors" "keeper=$k fds: $kfds"
	fi
	held "$id" && tap_ok "while the container runs, its record, range and rootfs view are held" ||
		tap_fail "while the container runs, its record, range and rootfs view are held"
	rt kill "$id" KILL
	wait $pid
	if [ -n "$k" ] && released "$id" && ended "$k"; then
		tap_ok "after the run exits, the keeper gives back the range and the rootfs view and exits"
	else
		tap_fail "after the run exits, the keeper gives back the range and the rootfs view and exits" \
			"$(ls "$STATE_DIR/containers" "$STATE_DIR/mounts" 2>&1)" "$(grep -sl "key=$id" "$STATE_DIR"/ranges/*)" "$(ps -o pid,stat,args -p "$k")"
	fi
else
	never_ran $pid "run: the process the caller started is runc itself" "$WORK/exec.log"
fi

# The same id back to back: each run starts while the last one's keeper may
# still be releasing; a late release must never take the new container's
# range or rootfs away.
bundle_set "$B" '.process.args=["sh","-c","cat /proc/self/uid_map; ls /bin/busybox"]'
new_id again
bad=
for i in $(seq 12); do
	out=$(rt run -b "$B" "$id" </dev/null 2>&1)
	rc=$?
	if [ $rc -ne 0 ] || ! echo "$out" | grep -q '/bin/busybox' || echo "$out" | grep -Eq '^ +0 +0 '; then
		bad="run $i: rc=$rc $out"
		break
	fi
done
if [ -z "$bad" ] && released "$id"; then
	tap_ok "12 runs of one id back to back all start idmapped; nothing is held after the last"
else
	tap_fail "12 runs of one id back to back all start idmapped; nothing is held after the last" "$bad" \
		"$(ls "$STATE_DIR/containers" 2>&1)"
fi

# A writer killed mid-write leaves ".<name>.hardrun-<pid>-<n>": the next
# write of that name removes its own, and the keeper the ranges' before it
# lets the bundle lock go (taking the lock is the moment to look).
new_id sweep
dead=2147483646
mkdir -p "$STATE_DIR/containers" "$STATE_DIR/ranges"
planted=("$B/.config.json.hardrun-$dead-0" "$STATE_DIR/containers/.$id.hardrun-$dead-0"
	"$STATE_DIR/ranges/.1048576.hardrun-$dead-0" "$STATE_DIR/ranges/.1048576.hardrun-$dead-old")
touch "${planted[@]}" "$B/.config.json.hardrun-1-0"
bundle_set "$B" '.process.args=["true"]'
rt run -b "$B" "$id" </dev/null >"$WORK/sweep.log" 2>&1
rc=$?
bundle_free "$B"
left=$(ls -d "${planted[@]}" 2>/dev/null)
if [ $rc = 0 ] && [ -z "$left" ] && [ -e "$B/.config.json.hardrun-1-0" ]; then
	tap_ok "a dead writer's temporary files (bundle, record, range) are gone after the next start"
else
	tap_fail "a dead writer's temporary files (bundle, record, range) are gone after the next start" \
		"rc=$rc left: $left" "$(cat "$WORK/sweep.log")"
fi
rm -f "${planted[@]}" "$B/.config.json.hardrun-1-0"

# Linux before 5.3 has no pidfd_open: hardrun then runs the runtime as its
# child, forwards signals, and releases inline before it exits itself.
if NOPIDFD=$(hr_find_built tests/security/no-pidfd); then
	bundle_set "$B" '.process.args=["sh","-c","cat /proc/self/uid_map; exit 7"]'
	new_id nopidfd
	out=$("$NOPIDFD" "$OCI_RUNTIME" --root "$HR_TEST_ROOT" run -b "$B" "$id" </dev/null 2>&1)
	rc=$?
	if [ $rc = 7 ] && ! echo "$out" | grep -Eq '^ +0 +0 ' && ! held "$id"; then
		tap_ok "without pidfd_open: run as a child, exit 7 kept, idmapped, released before hardrun exits"
	else
		tap_fail "without pidfd_open: run as a child, exit 7 kept, idmapped, released before hardrun exits" \
			"rc=$rc" "$out" "$(ls "$STATE_DIR/containers" 2>&1)"
	fi
	# PID 1 of the container ignores a signal it has no handler for: it traps it.
	bundle_set "$B" '.process.args=["sh","-c","trap \"exit 43\" TERM; while :; do sleep 0.2; done"]'
	new_id nopidfdsig
	"$NOPIDFD" "$OCI_RUNTIME" --root "$HR_TEST_ROOT" run -b "$B" "$id" </dev/null >"$WORK/nopidfd.log" 2>&1 &
	pid=$!
	if wait_status "$id" running; then
		exe=$(readlink "/proc/$pid/exe")
		child=$(readlink "/proc/$(pgrep -P "$pid" | head -n1)/exe" 2>/dev/null)
		kill -TERM "$pid"
		wait "$pid"
		rc=$?
		[ $rc = 43 ] && ! held "$id" && [ "$exe" = "$(readlink -f "$OCI_RUNTIME")" ] &&
			[ "$child" = "$(readlink -f "$(command -v runc)")" ] &&
			tap_ok "without pidfd_open: hardrun stays, runc is its child, SIGTERM reaches the container (its trap exits 43)" ||
			tap_fail "without pidfd_open: hardrun stays, runc is its child, SIGTERM reaches the container" \
				"rc=$rc exe=$exe child=$child" "$(cat "$WORK/nopidfd.log")"
	else
		never_ran "$pid" "without pidfd_open: SIGTERM to hardrun reaches the container" "$WORK/nopidfd.log"
	fi
else
	HR_CORE=0 tap_skip "without pidfd_open (runtime as a child)" "the tests/security/no-pidfd helper is not built"
fi

# --- one hand-over: decide, write config.json whole, exec ---------------------

if expect_hardrun; then
	# A refusal happens before any runtime runs: exit 1 (never runc's
	# Killed/137), the reason with what to change as the last line, the
	# caller's config.json byte-identical, no state, nothing left.
	hr_new_id ho-deny
	rt create -b "$D" "$id" </dev/null >"$WORK/ho-deny.out" 2>"$WORK/ho-deny.err"
	rc=$?
	last=$(tail -n1 "$WORK/ho-deny.err")
	if [ $rc = 1 ] && cmp -s "$D/config.json" "$D/config.json.orig" && [ -z "$(leftovers "$D")" ] &&
		! rt state "$id" >/dev/null 2>&1 && [ ! -e "$HR_TEST_ROOT/$id" ] &&
		echo "$last" | grep -q 'refused by hardrun profile' && echo "$last" | grep -q 'mounts: ' &&
		echo "$last" | grep -q 'To run it: ' && [ "$(grep -c 'refused by hardrun' "$WORK/ho-deny.err")" = 1 ]; then
		tap_ok "a refused create exits 1, its one error line (the reason, then what to change) last; config.json byte-identical, no state"
	else
		tap_fail "a refused create exits 1 with the reason and a remedy as the last line" "rc=$rc" \
			"$(cat "$WORK/ho-deny.err")" "$(ls -la "$D")"
	fi

	# runc reads the whole hardened config.json; afterwards the bundle holds
	# exactly that file, and nothing else of hardrun's.
	derive ho-run '.process.args=["sh","-c","cat /proc/self/uid_map"]'
	hr_new_id ho-run
	out=$(rt run -b "$WORK/ho-run" "$id" </dev/null 2>&1)
	rc=$?
	bundle_free "$WORK/ho-run"
	if [ $rc = 0 ] && [ -f "$WORK/ho-run/config.json" ] && [ ! -L "$WORK/ho-run/config.json" ] &&
		! echo "$out" | grep -Eq '^ +0 +0 ' &&
		echo "$out" | grep -Eq '^ +0 +[1-9][0-9]* +[0-9]+$' &&
		[ "$(jq -r '.linux.uidMappings[0].hostID' "$WORK/ho-run/config.json")" = "$(echo "$out" | awk '{print $2; exit}')" ] &&
		[ -z "$(leftovers "$WORK/ho-run")" ]; then
		tap_ok "run: runc reads the hardened config.json (the mapping it ran with is the file's); nothing else left"
	else
		tap_fail "run: runc reads the hardened config.json; nothing else left" "rc=$rc" "$out" "$(ls -la "$WORK/ho-run")"
	fi

	# A host policy written for the lease hand-over still loads: the key is
	# ignored, with a warning that says so.
	echo '{"configHandover": "lease"}' >"$WORK/old-policy.json"
	derive ho-old '.process.args=["true"]'
	hr_new_id ho-old
	out=$(HARDRUN_POLICY=$WORK/old-policy.json rt run -b "$WORK/ho-old" "$id" </dev/null 2>&1)
	rc=$?
	if [ $rc = 0 ] && echo "$out" | grep -q 'configHandover.*ignored'; then
		tap_ok "an old policy with configHandover loads, with a warning that the key is ignored"
	else
		tap_fail "an old policy with configHandover loads, with a warning" "rc=$rc" "$out"
	fi
else
	tap_skip "hand-over checks" "about hardrun"
	tap_skip "hand-over checks" "about hardrun"
	tap_skip "hand-over checks" "about hardrun"
fi

# A config over a pipe's 1 MiB: whole.
derive bigcfg '.process.args=["sh","-c","echo $E19999"] | .process.env += [range(20000) | "E\(.)=\("x" * 48)"]'
new_id bigcfg
out=$(rt run -b "$WORK/bigcfg" "$id" </dev/null 2>&1)
rc=$?
size=$(stat -c %s "$WORK/bigcfg/config.json")
if [ $rc = 0 ] && [ "$out" = "$(printf 'x%.0s' $(seq 48))" ] && [ "$size" -gt 1100000 ]; then
	tap_ok "run: a ${size}-byte config.json reaches runc whole"
else
	tap_fail "run: a config.json over 1 MiB reaches runc whole" "rc=$rc size=$size" "$(echo "$out" | tail -n3)"
fi

# A reader of config.json while hardrun writes it sees the caller's file or
# the whole hardened one, never a part: hardrun (the test build with its
# test points) is stopped with the hardened text complete in its temporary
# file, just before the rename.
if ! expect_hardrun; then
	tap_skip "a reader during the write sees the old file, then the whole new one" "about hardrun"
elif PTS=$(hr_find_built tests/security/hrpoints); then
	derive ho-reader '.process.args=["true"]'
	hr_new_id ho-reader
	mkfifo "$WORK/ho-reader.fifo"
	HR_TEST_POINT=before-rename:config.json HR_TEST_FIFO=$WORK/ho-reader.fifo \
		"$PTS" --root "$HR_TEST_ROOT" run -b "$WORK/ho-reader" "$id" </dev/null >"$WORK/ho-reader.log" 2>&1 &
	pid=$!
	read -r point _ <"$WORK/ho-reader.fifo"
	during=$(cat "$WORK/ho-reader/config.json")
	tmp=$(leftovers "$WORK/ho-reader")
	tmp_ok=0
	# (jq -e accepts an empty file: -s first.)
	[ -n "$tmp" ] && [ -s "$WORK/ho-reader/${tmp% }" ] &&
		jq -e '.linux.uidMappings | length > 0' "$WORK/ho-reader/${tmp% }" >/dev/null 2>&1 && tmp_ok=1
	echo go >"$WORK/ho-reader.fifo"
	wait $pid
	rc=$?
	if [ "$point" = before-rename:config.json ] && [ "$during" = "$(cat "$WORK/ho-reader/config.json.orig")" ] &&
		[ $tmp_ok = 1 ] && [ $rc = 0 ] && [ -s "$WORK/ho-reader/config.json" ] &&
		jq -e '.linux.uidMappings | length > 0' "$WORK/ho-reader/config.json" >/dev/null &&
		[ -z "$(leftovers "$WORK/ho-reader")" ]; then
		tap_ok "stopped just before the rename: readers see the caller's config.json byte for byte, the hardened text whole beside it; then runc runs the hardened one"
	else
		tap_fail "a reader during the write sees the old file, then the whole new one" "point=$point rc=$rc tmp=$tmp ok=$tmp_ok" \
			"$(cat "$WORK/ho-reader.log")"
	fi
else
	tap_skip "a reader during the write sees the old file, then the whole new one" "tests/security/hrpoints is not built"
fi

# config.json as a symlink: a bundle writer could point it anywhere on the host.
derive sym .
mv "$WORK/sym/config.json" "$WORK/target.json"
cp "$WORK/target.json" "$WORK/target.json.orig"
ln -s "$WORK/target.json" "$WORK/sym/config.json"
expect_refused "create refuses a symlinked config.json and leaves its target alone" \
	sym "$WORK/target.json" 'symlink|symbolic link|config\.json|ELOOP|too many levels'

tap_end
