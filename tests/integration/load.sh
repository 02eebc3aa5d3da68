#!/bin/bash
# Load: 200 containers created through hardrun 8 at a time from 4 shared
# bundles, all alive at once, then deleted 8 at a time.  Every create
# succeeds or fails cleanly, the live containers' id ranges are pairwise
# distinct, each container's uid_map is the one its own config names (no
# config handed to the wrong container), the state directory is empty
# afterwards and the audit log holds one whole JSON line per decision.
. "$(dirname "$0")/../lib/common.sh"
HR_CORE=1
N=${HR_LOAD_N:-200}
P=${HR_LOAD_PARALLEL:-8}
if ! is_hardrun; then
	echo "1..0 # SKIP load test is about hardrun's allocator and state"
	exit 0
fi
need_root || { echo "1..0 # SKIP needs root"; exit 0; }
work=$(mktemp -d /tmp/hr-load.XXXXXX)
chmod 711 "$work" # container ids must be able to reach the idmapped rootfs
state=$work/state
policy=$work/policy.json
echo "{\"stateDir\": \"$state\", \"auditLog\": \"$work/audit.log\"}" >"$policy"
export HARDRUN_POLICY=$policy
cleanup() {
	runc --root "$HR_TEST_ROOT" list -q 2>/dev/null | xargs -r -n1 "$OCI_RUNTIME" --root "$HR_TEST_ROOT" delete -f >/dev/null 2>&1
	rm -rf "$work" "$HR_TEST_ROOT"
}
trap cleanup EXIT
for b in 0 1 2 3; do make_bundle "$work/b$b" sleep 600; done

create_one() {
	local i=$1 b=$(($1 % 4)) err=$work/err-$1
	# The container's init inherits stdio: never capture it through a pipe.
	if "$OCI_RUNTIME" --root "$HR_TEST_ROOT" create --bundle "$work/b$b" "load-$i" \
		</dev/null >/dev/null 2>"$err"; then
		echo "ok load-$i"
	elif [ -s "$err" ]; then
		echo "failed-cleanly load-$i: $(head -c 300 "$err")"
	else
		echo "failed-silently load-$i"
	fi
}
export -f create_one
export OCI_RUNTIME HR_TEST_ROOT work
start=$(date +%s.%N)
seq 1 "$N" | xargs -P "$P" -I{} bash -c 'create_one {}' >"$work/creates.txt"
end=$(date +%s.%N)
ok=$(grep -c '^ok ' "$work/creates.txt")
clean=$(grep -c '^failed-cleanly' "$work/creates.txt")
silent=$(grep -c '^failed-silently' "$work/creates.txt")
if [ "$ok" -eq "$N" ]; then
	tap_ok "$N creates, $P at a time: all succeeded in $(echo "$end - $start" | bc) s"
else
	tap_fail "$N creates: $ok succeeded, $clean failed with a reason, $silent failed silently" \
		"$(grep -v '^ok' "$work/creates.txt" | head -3)"
fi

# Each live container's real mapping, from its init process.
for i in $(seq 1 "$N"); do
	pid=$(runc --root "$HR_TEST_ROOT" state "load-$i" 2>/dev/null | jq -r .pid)
	[ -n "$pid" ] && [ "$pid" != null ] || continue
	echo "load-$i $(awk '{print $2}' /proc/"$pid"/uid_map)"
done >"$work/maps.txt"
live=$(wc -l <"$work/maps.txt")
distinct=$(awk '{print $2}' "$work/maps.txt" | sort -u | wc -l)
zero=$(awk '$2 == 0' "$work/maps.txt" | wc -l)
if [ "$live" -eq "$ok" ] && [ "$distinct" -eq "$live" ] && [ "$zero" -eq 0 ]; then
	tap_ok "$live live containers have $distinct distinct id ranges, none at host 0"
else
	tap_fail "id ranges are not unique" "live=$live distinct=$distinct at-zero=$zero"
fi
# The range each container runs with is the one allocated to it: no
# container started with a config hardened for another.
mismatch=0
while read -r id start; do
	grep -qx "key=$id" "$state/ranges/$start" 2>/dev/null || mismatch=$((mismatch + 1))
done <"$work/maps.txt"
[ "$mismatch" -eq 0 ] && tap_ok "every container runs with the range allocated to it" ||
	tap_fail "$mismatch containers run with a range allocated to another"
[ "$(ls "$state/ranges" 2>/dev/null | wc -l)" -eq "$live" ] &&
	tap_ok "the allocator records exactly the $live live ranges" ||
	tap_fail "allocator records $(ls "$state/ranges" 2>/dev/null | wc -l) ranges for $live containers"

seq 1 "$N" | xargs -P "$P" -I{} "$OCI_RUNTIME" --root "$HR_TEST_ROOT" delete -f "load-{}" \
	>"$work/deletes.txt" 2>&1
left=$(runc --root "$HR_TEST_ROOT" list -q | wc -l)
[ "$left" -eq 0 ] && tap_ok "all containers deleted" || tap_fail "$left containers left"
leftover=$(find "$state" -mindepth 2 2>/dev/null | grep -vE '/\.?lock$' | head -5)
[ -z "$leftover" ] && tap_ok "state directory holds nothing after the deletes" ||
	tap_fail "state directory not empty" "$leftover"
mounts=$(grep -c "$state" /proc/self/mountinfo)
[ "$mounts" -eq 0 ] && tap_ok "no idmapped mount left" || tap_fail "$mounts mounts left under $state"
lines=$(wc -l <"$work/audit.log")
if jq -e . "$work/audit.log" >/dev/null 2>&1 && [ "$lines" -ge "$N" ]; then
	tap_ok "audit log: $lines whole JSON lines for $N creates"
else
	tap_fail "audit log broken or short" "lines=$lines"
fi
echo "# containers under load: $N ($P at a time)"
tap_end
