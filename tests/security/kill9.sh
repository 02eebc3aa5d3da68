#!/bin/bash
# Faults: hardrun killed with SIGKILL at random points of `create` (K runs,
# delays spread over the whole create).  After each kill, config.json is
# byte-identical to the original, the whole hardened config (valid JSON with
# a user namespace), or, killed between the lease hand-over's rename and its
# fork (microseconds), the empty leased file with the caller's kept beside it
# under a name with its inode, which the next create puts back; never
# anything else; after `hardrun delete` of
# that id nothing of it is left: no id range, no idmapped mount, no record,
# no temporary file.  Also: a missing or broken lower runtime is a clear error.
. "$(dirname "$0")/../lib/common.sh"
HR_CORE=1
K=${HR_KILL_RUNS:-40}
if ! is_hardrun; then
	echo "1..0 # SKIP kill -9 checks are about hardrun"
	exit 0
fi
need_root || { echo "1..0 # SKIP needs root"; exit 0; }
work=$(mktemp -d /tmp/hr-kill.XXXXXX)
chmod 711 "$work"
state=$work/state
echo "{\"stateDir\": \"$state\", \"auditLog\": \"$work/audit.log\"}" >"$work/policy.json"
export HARDRUN_POLICY=$work/policy.json
trap 'runc --root "$HR_TEST_ROOT" list -q 2>/dev/null | xargs -r -n1 runc --root "$HR_TEST_ROOT" delete -f >/dev/null 2>&1; grep -o " $state/[^ ]*" /proc/self/mountinfo | xargs -r -n1 umount -l 2>/dev/null; rm -rf "$work" "$HR_TEST_ROOT"' EXIT
make_bundle "$work/b" sleep 60
cp "$work/b/config.json" "$work/original.json"

# How long a whole create takes here, to spread the kills over it.
t0=$(date +%s%N)
rt create -b "$work/b" probe </dev/null >/dev/null 2>&1
t1=$(date +%s%N)
rt delete -f probe >/dev/null 2>&1
cp "$work/original.json" "$work/b/config.json"
span_us=$(((t1 - t0) / 1000))
echo "# one create takes ${span_us} us here"

torn=0 original=0 hardened=0 unfinished=0 leaked=0 temps=0
for i in $(seq 1 "$K"); do
	cp "$work/original.json" "$work/b/config.json"
	# Half the kills in the first tenth (hardrun's own work), half over all.
	if [ "$i" -le $((K / 2)) ]; then
		delay=$((span_us / 10 * i / (K / 2)))
	else
		delay=$((span_us * i / K))
	fi
	rt create -b "$work/b" "k$i" </dev/null >/dev/null 2>&1 &
	pid=$!
	sleep "$(printf '0.%06d' "$delay")" 2>/dev/null || sleep 0
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	if cmp -s "$work/b/config.json" "$work/original.json"; then
		original=$((original + 1))
	elif [ -s "$work/b/config.json" ] &&
		jq -e '.linux.namespaces | map(.type) | index("user")' "$work/b/config.json" >/dev/null 2>&1; then
		hardened=$((hardened + 1))
	elif [ -n "$(find "$work/b" -maxdepth 1 -name ".config.json.hardrun-*-kept-$(stat -c %i "$work/b/config.json")")" ]; then
		unfinished=$((unfinished + 1))
	else
		torn=$((torn + 1))
	fi
	# runc may have been started already: its child can outlive hardrun.
	sleep 0.2
	rt delete -f "k$i" </dev/null >/dev/null 2>&1
	if grep -rqx "key=k$i" "$state/ranges" 2>/dev/null || [ -e "$state/mounts/k$i" ] ||
		[ -e "$state/containers/k$i" ]; then
		leaked=$((leaked + 1))
	fi
done
# The next write clears temporary files of writers that were killed.
cp "$work/original.json" "$work/b/config.json"
rt create -b "$work/b" after </dev/null >/dev/null 2>&1
rt delete -f after >/dev/null 2>&1
temps=$(find "$work/b" -maxdepth 1 -name '.config.json.hardrun-*' | wc -l)

echo "# $K kills: $original left the original, $hardened the hardened config, $unfinished the unfinished leased file, $torn torn"
[ "$torn" -eq 0 ] && tap_ok "kill -9 at $K points of create: config.json never torn ($original original, $hardened hardened, $unfinished unfinished with the caller's kept)" ||
	tap_fail "config.json torn after $torn of $K kills"
[ "$leaked" -eq 0 ] && tap_ok "after delete, no id range, mount or record of a killed create is left" ||
	tap_fail "$leaked killed creates left state behind after delete"
[ "$temps" -eq 0 ] && tap_ok "no temporary file of a killed writer is left after the next create" ||
	tap_fail "$temps temporary files left in the bundle"
[ "$(grep -c " $state/" /proc/self/mountinfo)" -eq 0 ] && tap_ok "no idmapped mount left" ||
	tap_fail "mounts left under $state"

# The lease hand-over's worker (handover.h) killed while it hardens, with
# runc already started and waiting on config.json: runc must read nothing it
# could start (it fails, or it reads the whole hardened config when the kill
# came later), config.json is the original, the hardened config, or the
# worker's unfinished file with the caller's kept beside it, and the next
# create puts the caller's back and hardens it.  The kills are spread over
# the start of a create, where the worker runs (kill-worker spins on the
# clock).
if KW=$(hr_find_built tests/security/kill-worker); then
	unsafe=0 bad=0 unrecovered=0 cut=0 kw_runs=${HR_KILL_WORKER_RUNS:-60}
	# The worker runs in the first few ms of a create, later in a sanitizer
	# build (about 8-20 ms after the spawn): passes until one kill has
	# landed mid-hardening, four at most, the kills spread over an eighth of
	# a create (4 ms at least), then a quarter, a half, the whole.  A pass
	# where none landed would test nothing of the lease.
	pass=0
	while [ $cut -eq 0 ] && [ $pass -lt 4 ]; do
		pass=$((pass + 1))
		kw_span=$((span_us * (1 << (pass - 1)) / 8))
		[ $kw_span -ge 4000 ] || kw_span=4000
		for i in $(seq 1 "$kw_runs"); do
			cp "$work/original.json" "$work/b/config.json"
			"$KW" $((i * kw_span / kw_runs + pass * 37)) "$OCI_RUNTIME" --root "$HR_TEST_ROOT" create -b "$work/b" "w$i" \
				</dev/null >"$work/kw.log" 2>&1
			if [ -e "$HR_TEST_ROOT/w$i/state.json" ] &&
				! jq -e '.config.namespaces | map(.type) | index("NEWUSER")' "$HR_TEST_ROOT/w$i/state.json" >/dev/null; then
				unsafe=$((unsafe + 1))
			fi
			ino=$(stat -c %i "$work/b/config.json")
			if cmp -s "$work/b/config.json" "$work/original.json"; then
				:
			elif [ -s "$work/b/config.json" ] && jq -e '.linux.namespaces | map(.type) | index("user")' "$work/b/config.json" >/dev/null 2>&1; then
				:
			elif [ -n "$(find "$work/b" -maxdepth 1 -name ".config.json.hardrun-*-kept-$ino")" ]; then
				cut=$((cut + 1))
			else
				bad=$((bad + 1))
			fi
			rt delete -f "w$i" </dev/null >/dev/null 2>&1
			rt create -b "$work/b" "v$i" </dev/null >/dev/null 2>&1 &&
				jq -e --slurpfile o "$work/original.json" '.process.args == $o[0].process.args and
					(.linux.namespaces | map(.type) | index("user"))' "$work/b/config.json" >/dev/null ||
				unrecovered=$((unrecovered + 1))
			rt delete -f "v$i" </dev/null >/dev/null 2>&1
		done
	done
	echo "# $pass x $kw_runs worker kills, the last pass over ${kw_span} us: $cut left the leased config.json unfinished (runc then fails on it)"
	[ "$cut" -gt 0 ] && tap_ok "worker killed: $cut kills landed while it hardened (runc waiting on the lease)" ||
		tap_fail "worker killed: no kill of $pass x $kw_runs landed while the worker hardened"
	[ "$unsafe" -eq 0 ] && tap_ok "worker killed at $((pass * kw_runs)) points: runc never created a container without a user namespace" ||
		tap_fail "worker killed: $unsafe containers created without a user namespace"
	[ "$bad" -eq 0 ] && tap_ok "worker killed: config.json original, hardened, or unfinished with the caller's kept beside it ($cut)" ||
		tap_fail "worker killed: $bad times config.json was none of those"
	[ "$unrecovered" -eq 0 ] && tap_ok "worker killed: the next create puts the caller's config back and hardens it, every time" ||
		tap_fail "worker killed: $unrecovered next creates did not start from the caller's config"
	[ -z "$(find "$work/b" -maxdepth 1 -name '.config.json.hardrun-*')" ] &&
		tap_ok "worker killed: nothing of the killed workers left in the bundle after the next creates" ||
		tap_fail "worker killed: files left" "$(ls -a "$work/b")"
else
	tap_skip "lease hand-over worker killed" "the tests/security/kill-worker helper is not built"
fi

# A missing or broken lower runtime: a clear error, no container.
cp "$work/original.json" "$work/b/config.json"
out=$(rt --hardrun-runtime=/nonexistent/runc create -b "$work/b" nort 2>&1 </dev/null)
rc=$?
[ "$rc" -ne 0 ] && printf '%s' "$out" | grep -q "lower runtime" &&
	tap_ok "missing lower runtime: exit $rc, '$(printf '%s' "$out" | tail -1 | cut -c1-90)'" ||
	tap_fail "missing lower runtime" "rc=$rc out=$out"
printf '#!/bin/sh\necho "broken runtime" >&2\nexit 5\n' >"$work/broken"
chmod +x "$work/broken"
out=$(rt --hardrun-runtime="$work/broken" create -b "$work/b" brk 2>&1 </dev/null)
rc=$?
[ "$rc" -eq 5 ] && printf '%s' "$out" | grep -q "broken runtime" &&
	tap_ok "broken lower runtime: its exit status 5 and its message reach the caller" ||
	tap_fail "broken lower runtime" "rc=$rc out=$out"
[ -z "$(grep -rl "key=brk" "$state/ranges" 2>/dev/null)" ] &&
	tap_ok "a create the runtime failed leaves no id range" || tap_fail "range leaked after a failed create"
tap_end
