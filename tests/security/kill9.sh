#!/bin/bash
# Faults: hardrun killed with SIGKILL at each moment of `create` that leaves
# something different behind, under the shipped defaults (no host policy).
# The moments are test points of the test build tests/security/hrpoints
# (include/hardrun/testpoint.h): hardrun stops there and says so on a FIFO,
# so each kill lands where it is meant to, never by a guessed delay.
#   claimed         the id's record written, nothing allocated yet
#   decided         rules done: nothing allocated yet (the rules only plan)
#   before-rename   provisioned (id range, idmapped rootfs view held), the
#                   hardened config.json whole in a temporary file
#   before-exec     config.json replaced, keeper forked, runtime not yet run
#   keeper-unlocked the keeper has let the bundle lock go
# After each kill config.json is byte-identical to the caller's or the whole
# hardened config (never anything else), what the create held is there
# (so the kill was late enough to matter), and after `hardrun delete` of the
# id nothing of it is left: no id range, no idmapped mount, no record; the
# next create removes the killed writer's temporary file.  Also: a missing
# or broken lower runtime is a clear error.
. "$(dirname "$0")/../lib/common.sh"
HR_CORE=1
expect_hardrun || HR_CORE=0 hr_skip_all "kill -9 checks" "they are about hardrun"
need_root || hr_skip_all "kill -9 checks" "needs root"
PTS=$(hr_find_built tests/security/hrpoints) || hr_skip_all "kill -9 checks" "tests/security/hrpoints is not built"
hr_test_setup kill9
chmod 711 "$WORK"
STATE=/run/hardrun
make_bundle "$WORK/b" sleep 60
cp "$WORK/b/config.json" "$WORK/original.json"
mkfifo "$WORK/fifo"

# held ID: what hardrun holds for ID under the shipped state dir.
held() {
	local what=
	grep -qsx "key=$1" "$STATE"/ranges/[0-9]* && what+="range "
	[ -e "$STATE/mounts/$1" ] && what+="mounts "
	[ -e "$STATE/containers/$1" ] && what+="record "
	grep -q " $STATE/mounts/$1[/ ]" /proc/self/mountinfo && what+="mounted "
	echo "$what"
}
# config_is FILE: original, hardened, or torn.
config_is() {
	if cmp -s "$1" "$WORK/original.json"; then
		echo original
	elif [ -s "$1" ] && jq -e ".linux.namespaces | map(.type) | index(\"user\")" "$1" >/dev/null 2>&1; then
		echo hardened
	else
		echo torn
	fi
}

# point NAME CONFIG HOLDS: kill hardrun stopped at test point NAME; config.json
# must then be CONFIG (original/hardened) and the id must hold HOLDS (a
# regex over held's words; ^$ for nothing).
point() {
	local name=$1 want=$2 holds=$3 got at pid h
	cp "$WORK/original.json" "$WORK/b/config.json"
	hr_new_id "ho-k-${name%%:*}"
	HR_TEST_POINT=$name HR_TEST_FIFO=$WORK/fifo "$PTS" --root "$HR_TEST_ROOT" \
		create -b "$WORK/b" "$id" </dev/null >"$WORK/$id.log" 2>&1 &
	pid=$!
	read -r at _ <"$WORK/fifo"
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	# A keeper forked before the kill releases under the bundle lock.
	flock "$WORK/b" true
	got=$(config_is "$WORK/b/config.json")
	h=$(held "$id")
	if [ "$at" = "$name" ] && [ "$got" = "$want" ] && [[ "$h" =~ $holds ]]; then
		tap_ok "killed at $name: config.json is the $want one; held: ${h:-nothing}"
	else
		tap_fail "killed at $name: config.json is the $want one, held matches /$holds/" \
			"stopped at: ${at:-nowhere} config: $got held: $h" "$(cat "$WORK/$id.log")"
	fi
	rt delete -f "$id" </dev/null >/dev/null 2>&1
	h=$(held "$id")
	[ -z "$h" ] && tap_ok "killed at $name, then deleted: nothing of $id is left" ||
		tap_fail "killed at $name, then deleted: nothing of $id is left" "held: $h"
}

point claimed original '^record $'
point decided original '^record $'
point before-rename:config.json original '^range (mounts )?record (mounted )?$'
temps_left=$(find "$WORK/b" -maxdepth 1 -name '.config.json.hardrun-*' | wc -l)
# The keeper was forked: it sees hardrun gone before any runtime read the
# config, and gives everything back by itself.
point before-exec hardened '^$'
# ... and before it lets the lock go: stopped just after, nothing is held.
cp "$WORK/original.json" "$WORK/b/config.json"
hr_new_id ho-k-keeper
HR_TEST_POINT=before-exec,keeper-unlocked HR_TEST_FIFO=$WORK/fifo "$PTS" --root "$HR_TEST_ROOT" \
	create -b "$WORK/b" "$id" </dev/null >"$WORK/$id.log" 2>&1 &
pid=$!
read -r at _ <"$WORK/fifo"
kill -9 "$pid"
wait "$pid" 2>/dev/null
read -r at2 _ <"$WORK/fifo"
h=$(held "$id")
echo go >"$WORK/fifo"
if [ "$at" = before-exec ] && [ "$at2" = keeper-unlocked ] && [ -z "$h" ]; then
	tap_ok "killed before the exec: the keeper has released everything when it lets the bundle lock go"
else
	tap_fail "killed before the exec: the keeper releases before it lets the bundle lock go" \
		"stopped at: $at, then $at2; held: $h" "$(cat "$WORK/$id.log")"
fi
rt delete -f "$id" </dev/null >/dev/null 2>&1

# The temporary file of the writer killed before its rename: the next write
# of config.json (the before-exec create above) removed it.
left=$(find "$WORK/b" -maxdepth 1 -name '.config.json.hardrun-*' | wc -l)
[ "$temps_left" -eq 1 ] && [ "$left" -eq 0 ] &&
	tap_ok "the temporary file of the writer killed before its rename is gone after the next create" ||
	tap_fail "the killed writer's temporary file is gone after the next create" "after the kill: $temps_left, after the next create: $left"

# A missing or broken lower runtime: a clear error, no container.
cp "$WORK/original.json" "$WORK/b/config.json"
hr_new_id ho-k-nort
out=$(rt --hardrun-runtime=/nonexistent/runc create -b "$WORK/b" "$id" 2>&1 </dev/null)
rc=$?
[ "$rc" -ne 0 ] && printf '%s' "$out" | grep -q "lower runtime" &&
	tap_ok "missing lower runtime: exit $rc, '$(printf '%s' "$out" | tail -1 | cut -c1-90)'" ||
	tap_fail "missing lower runtime" "rc=$rc out=$out"
printf '#!/bin/sh\necho "broken runtime" >&2\nexit 5\n' >"$WORK/broken"
chmod +x "$WORK/broken"
hr_new_id ho-k-brk
out=$(rt --hardrun-runtime="$WORK/broken" create -b "$WORK/b" "$id" 2>&1 </dev/null)
rc=$?
[ "$rc" -eq 5 ] && printf '%s' "$out" | grep -q "broken runtime" &&
	tap_ok "broken lower runtime: its exit status 5 and its message reach the caller" ||
	tap_fail "broken lower runtime" "rc=$rc out=$out"
# The runtime exited without reading config.json: the keeper releases
# before it lets the bundle lock go, so the lock is the moment to look.
flock "$WORK/b" true
h=$(held "$id")
[ -z "$h" ] && tap_ok "a create the runtime failed leaves nothing held" || tap_fail "a failed create left: $h"
tap_end
