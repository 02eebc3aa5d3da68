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
expect_hardrun || HR_CORE=0 hr_skip_all "load" "it is about hardrun's allocator and state"
need_root || hr_skip_all "load" "needs root"
work=$(mktemp -d /tmp/hr-load.XXXXXX)
chmod 711 "$work" # container ids must be able to reach the idmapped rootfs
# The shipped defaults (no host policy): the state is /run/hardrun, which
# other containers on this host may share, so what is held is counted for
# this script's ids (hl-<pid>-<n>).  The audit log goes where the user's
# flag (HARDRUN_AUDIT_LOG) says.
state=/run/hardrun
export HARDRUN_AUDIT_LOG=$work/audit.log
pfx=hl-$$
cleanup() {
	runc --root "$HR_TEST_ROOT" list -q 2>/dev/null | xargs -r -n1 "$OCI_RUNTIME" --root "$HR_TEST_ROOT" delete -f >/dev/null 2>&1
	rm -rf "$work" "$HR_TEST_ROOT"
}
trap cleanup EXIT
# ours_ranges: the range entries of this script's containers.
ours_ranges() { grep -lsE "^key=$pfx-[0-9]+\$" "$state"/ranges/[0-9]*; }
for b in 0 1 2 3; do make_bundle "$work/b$b" sleep 600; done

create_one() {
	local i=$1 b=$(($1 % 4)) err=$work/err-$1
	# The container's init inherits stdio: never capture it through a pipe.
	if "$OCI_RUNTIME" --root "$HR_TEST_ROOT" create --bundle "$work/b$b" "$pfx-$i" \
		</dev/null >/dev/null 2>"$err"; then
		echo "ok $pfx-$i"
	elif [ -s "$err" ]; then
		echo "failed-cleanly $pfx-$i: $(head -c 300 "$err")"
	else
		echo "failed-silently $pfx-$i"
	fi
}
export -f create_one
export OCI_RUNTIME HR_TEST_ROOT work pfx
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
	pid=$(runc --root "$HR_TEST_ROOT" state "$pfx-$i" 2>/dev/null | jq -r .pid)
	[ -n "$pid" ] && [ "$pid" != null ] || continue
	echo "$pfx-$i $(awk '{print $2}' /proc/"$pid"/uid_map)"
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
[ "$(ours_ranges | wc -l)" -eq "$live" ] &&
	tap_ok "the allocator records exactly the $live live ranges" ||
	tap_fail "allocator records $(ours_ranges | wc -l) ranges for $live containers"

seq 1 "$N" | xargs -P "$P" -I{} "$OCI_RUNTIME" --root "$HR_TEST_ROOT" delete -f "$pfx-{}" \
	>"$work/deletes.txt" 2>&1
left=$(runc --root "$HR_TEST_ROOT" list -q | wc -l)
[ "$left" -eq 0 ] && tap_ok "all containers deleted" || tap_fail "$left containers left"
leftover=$( (ours_ranges; find "$state/containers" "$state/mounts" -maxdepth 1 -name "$pfx-*") 2>/dev/null | head -5)
[ -z "$leftover" ] && tap_ok "the state directory holds nothing of these containers after the deletes" ||
	tap_fail "state directory not empty" "$leftover"
mounts=$(grep -c " $state/mounts/$pfx-" /proc/self/mountinfo)
[ "$mounts" -eq 0 ] && tap_ok "no idmapped mount left" || tap_fail "$mounts mounts left under $state"
# Each keeper writes its record before it lets its bundle go.
for b in 0 1 2 3; do flock "$work/b$b" true; done
lines=$(wc -l <"$work/audit.log")
if jq -e . "$work/audit.log" >/dev/null 2>&1 && [ "$lines" -ge "$N" ]; then
	tap_ok "audit log: $lines whole JSON lines for $N creates"
else
	tap_fail "audit log broken or short" "lines=$lines"
fi
echo "# containers under load: $N ($P at a time)"
tap_end
