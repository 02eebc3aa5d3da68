#!/bin/bash
# The policy engine, seen from inside real containers started through
# hardrun delegating to runc (issue: every container hardened before it
# reaches the kernel).  Under plain runc (the control) the same container
# shows what hardrun changed.
# hr-control: yes
. "$(dirname "$0")/../lib/common.sh"
HR_CORE=1
need_root || hr_skip_all "policy checks" "needs root"
PROBE=${PROBE:-$HR_TOP/build/tests/security/hr-escape-probe}
work=$(mktemp -d /tmp/hr-policy.XXXXXX)
chmod 711 "$work"
trap 'for i in $(runc --root "$HR_TEST_ROOT" list -q 2>/dev/null); do rt delete -f "$i" >/dev/null 2>&1; done; rm -rf "$work" "$HR_TEST_ROOT"' EXIT
export HARDRUN_AUDIT_LOG=$work/audit.log

make_bundle "$work/b" sh -c 'cat /proc/self/uid_map; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status'
out=$(rt run -b "$work/b" p-status 2>&1 </dev/null)
uidmap=$(printf '%s\n' "$out" | awk 'NR==1 {print $1, $2}')
capeff=$(printf '%s\n' "$out" | awk '/^CapEff/ {print $2}')
nnp=$(printf '%s\n' "$out" | awk '/^NoNewPrivs/ {print $2}')
sec=$(printf '%s\n' "$out" | awk '/^Seccomp:/ {print $2}')
if is_hardrun; then
	[ -n "$uidmap" ] && [ "$uidmap" != "0 0" ] && tap_ok "runc spec config: uid_map maps container 0 to host ${uidmap#0 }, not 0" ||
		tap_fail "uid_map maps 0 to 0" "$out"
	# runc spec's set (AUDIT_WRITE, KILL, NET_BIND_SERVICE) within baseline's allowlist
	[ "$capeff" = 0000000020000420 ] && tap_ok "CapEff $capeff: runc spec's capabilities that baseline allows" ||
		tap_fail "CapEff" "$capeff"
	[ "$nnp" = 1 ] && tap_ok "NoNewPrivs: 1" || tap_fail "NoNewPrivs" "$nnp"
	[ "$sec" = 2 ] && tap_ok "Seccomp: 2 (filter mode: the default profile was injected)" ||
		tap_fail "Seccomp" "$sec"
else
	tap_ok "control: plain runc shows uid_map '${uidmap:-none}', CapEff $capeff, NoNewPrivs $nnp, Seccomp $sec"
fi

# The forbidden operations, attempted from inside.
if [ -x "$PROBE" ]; then
	make_bundle "$work/p" /probe mount unshare_userns_mount keyctl bpf ptrace open_by_handle_at write_sysrq
	cp "$PROBE" "$work/p/rootfs/probe"
	res=$(rt run -b "$work/p" p-probe 2>&1 </dev/null | grep '^CHECK')
	for c in mount unshare_userns_mount keyctl bpf ptrace open_by_handle_at write_sysrq; do
		line=$(printf '%s\n' "$res" | awk -v c="$c" '$2 == c')
		if ! is_hardrun; then
			tap_ok "control: $c is ${line:+$(echo "$line" | awk '{print $3}')} under plain runc"
		elif printf '%s' "$line" | grep -q " blocked"; then
			tap_ok "from inside: $c fails ($(echo "$line" | cut -d' ' -f4-))"
		else
			tap_fail "from inside: $c must fail" "${line:-no result}"
		fi
	done
else
	tap_skip "forbidden operations from inside" "probe not built at $PROBE"
fi

if is_hardrun; then
	# --privileged-like: all capabilities, no seccomp, host pid and network,
	# docker.sock bound in.
	make_bundle "$work/priv" true
	all='["CAP_SYS_ADMIN","CAP_SYS_MODULE","CAP_SYS_PTRACE","CAP_NET_ADMIN","CAP_NET_RAW","CAP_CHOWN","CAP_KILL"]'
	bundle_set "$work/priv" --argjson c "$all" '.process.capabilities = {bounding: $c, effective: $c, permitted: $c, inheritable: $c, ambient: $c}' 2>/dev/null ||
		jq --argjson c "$all" '.process.capabilities = {bounding: $c, effective: $c, permitted: $c, inheritable: $c, ambient: $c}' "$work/priv/config.json" >"$work/x" && mv "$work/x" "$work/priv/config.json"
	jq '.linux.namespaces |= map(select(.type != "pid" and .type != "network")) | del(.linux.seccomp)
	    | .mounts += [{"destination": "/var/run/docker.sock", "source": "/var/run/docker.sock", "type": "bind", "options": ["rbind"]}]' \
		"$work/priv/config.json" >"$work/x" && mv "$work/x" "$work/priv/config.json"
	cp "$work/priv/config.json" "$work/priv.orig"
	j=$("$OCI_RUNTIME" check --profile restricted --format json --bundle "$work/priv" 2>/dev/null)
	rc=$?
	denied=$(printf '%s' "$j" | jq -r '[.findings[] | select(.action == "deny") | .rule] | unique | join(",")')
	if [ "$rc" = 1 ] && printf '%s' "$j" | jq -e '.verdict == "refused"' >/dev/null &&
		[[ $denied == *capabilities* ]] && [[ $denied == *mounts* ]] && [[ $denied == *process* ]]; then
		tap_ok "privileged-like config: restricted refuses it, one finding per problem (denied by: $denied)"
	else
		tap_fail "privileged-like config refused by restricted" "rc=$rc denied=$denied"
	fi
	# A real create is refused too, with nothing changed.
	rt --hardrun-profile=restricted create -b "$work/priv" p-priv </dev/null >/dev/null 2>&1
	rc=$?
	[ "$rc" -ne 0 ] && cmp -s "$work/priv/config.json" "$work/priv.orig" &&
		tap_ok "restricted: create refused (exit $rc), config.json unchanged" ||
		tap_fail "restricted create of a privileged config" "rc=$rc"
	# baseline: what was asked for explicitly (capabilities beyond the
	# engine's default set, the host's pid namespace) and the docker.sock
	# bind are refused, each with its remedy; the rest would be fixed.
	j=$("$OCI_RUNTIME" check --format json --bundle "$work/priv" 2>/dev/null)
	fixed=$(printf '%s' "$j" | jq -r '[.findings[] | select(.action == "fix") | .rule] | unique | join(",")')
	denied=$(printf '%s' "$j" | jq -r '[.findings[] | select(.action == "deny") | .rule] | unique | join(",")')
	remedies=$(printf '%s' "$j" | jq -r '[.findings[] | select(.action == "deny") | .reason | select(test("remedy: drop --(cap-add [A-Z_]+|pid host)"))] | length')
	[ "$denied" = capabilities,mounts,namespaces ] && [ "$remedies" = 2 ] && [[ $fixed == *seccomp* ]] &&
		tap_ok "baseline: refuses the explicit capabilities and host pid namespace (with remedies) and the docker.sock bind, fixes the rest ($fixed)" ||
		tap_fail "baseline on a privileged config" "denied=$denied remedies=$remedies fixed=$fixed"
	# Only the engine's defaults beyond the profile (NET_RAW) and a missing
	# network namespace: fixed silently, the container runs.
	jq '.mounts |= map(select(.destination != "/var/run/docker.sock")) | .process.args = ["sh", "-c", "grep -E \"^CapEff\" /proc/self/status; cat /proc/1/cmdline | tr \"\\0\" \" \""]
	    | .process.capabilities |= with_entries(.value = ["CAP_NET_RAW","CAP_CHOWN","CAP_KILL"])
	    | .linux.namespaces += [{"type": "pid"}]' \
		"$work/priv.orig" >"$work/priv/config.json"
	out=$(rt run -b "$work/priv" p-privfixed 2>&1 </dev/null)
	eff=$(printf '%s\n' "$out" | awk '/^CapEff/ {print $2}')
	[ "$eff" = 0000000000000021 ] && printf '%s' "$out" | grep -q '^sh -c' &&
		tap_ok "baseline runs the engine-default one fixed: CapEff $eff (CHOWN, KILL; NET_RAW cut), its own pid namespace" ||
		tap_fail "baseline-fixed engine-default container" "$out"

	# exec cannot add what the profile forbids.
	make_bundle "$work/e" sleep 60
	rt create -b "$work/e" p-exec </dev/null >/dev/null 2>&1 && rt start p-exec
	out=$(rt exec --cap CAP_SYS_ADMIN p-exec grep CapEff /proc/self/status </dev/null 2>&1)
	[ $? -ne 0 ] && ! printf '%s' "$out" | grep -q '^CapEff' && printf '%s' "$out" | grep -q 'remedy: drop --cap SYS_ADMIN' &&
		tap_ok "exec --cap CAP_SYS_ADMIN refused with its remedy" || tap_fail "exec --cap CAP_SYS_ADMIN refused" "$out"
	out=$(rt exec --cwd /proc/self/fd/5 p-exec true </dev/null 2>&1)
	[ $? -ne 0 ] && printf '%s' "$out" | grep -q "CVE-2024-21626" &&
		tap_ok "exec --cwd /proc/self/fd/5 refused (CVE-2024-21626)" || tap_fail "exec --cwd /proc/self/fd/5" "$out"
	out=$(rt update --pids-limit 1000000 p-exec </dev/null 2>&1)
	[ $? -ne 0 ] && printf '%s' "$out" | grep -qi "pids" &&
		tap_ok "update --pids-limit above the profile's maximum refused" || tap_fail "update --pids-limit 1000000" "$out"
	rt update --pids-limit 100 p-exec </dev/null >/dev/null 2>&1 &&
		tap_ok "update --pids-limit within the profile allowed" || tap_fail "update --pids-limit 100 refused"
	rt delete -f p-exec >/dev/null 2>&1
	# untrusted caps memory (512 MiB): memory+swap may not be lifted either
	make_bundle "$work/m" sleep 60
	rt --hardrun-profile untrusted create -b "$work/m" p-mem </dev/null >/dev/null 2>&1 && rt start p-mem
	out=$(rt update --memory-swap -1 p-mem </dev/null 2>&1)
	[ $? -ne 0 ] && printf '%s' "$out" | grep -q -- "--memory-swap" &&
		tap_ok "update --memory-swap -1 under untrusted's memory limit refused" ||
		tap_fail "update --memory-swap -1" "$out"
	rt delete -f p-mem >/dev/null 2>&1

	# Profiles by annotation and by binary name.
	make_bundle "$work/a" sh -c 'grep CapEff /proc/self/status'
	bundle_set "$work/a" '.annotations["run.hardrun.profile"] = "untrusted"'
	out=$(rt run -b "$work/a" p-ann </dev/null 2>&1)
	[ "$(printf '%s' "$out" | awk '/CapEff/ {print $2}')" = 0000000000000400 ] &&
		tap_ok "annotation run.hardrun.profile=untrusted: stricter profile applied (CapEff 0x400)" ||
		tap_fail "stricter annotation" "$out"
	bundle_set "$work/a" '.annotations["run.hardrun.profile"] = "baseline" | .process.user = {"uid": 1000, "gid": 1000}'
	out=$(rt --hardrun-profile=restricted create -b "$work/a" p-loose </dev/null 2>&1)
	[ $? -ne 0 ] && printf '%s' "$out" | grep -q looser &&
		tap_ok "annotation asking for a looser profile than restricted is refused" ||
		tap_fail "looser annotation" "$out"
	ln -sf "$OCI_RUNTIME" "$work/hardrun-restricted"
	out=$("$work/hardrun-restricted" check --bundle "$work/b" 2>&1 | head -1)
	printf '%s' "$out" | grep -q 'profile `restricted`' &&
		tap_ok "a binary named hardrun-restricted selects restricted" || tap_fail "hardrun-restricted" "$out"

	# The audit log: one record per decision, with the container's id.  An
	# allowed create's record is the keeper's, written before it lets the
	# bundle lock go: taking the lock is the moment to look.
	flock "$work/b" true
	if [ "$(jq -s '[.[] | select(.id == "p-status" and .verdict == "allowed" and (.findings | length) > 0)] | length' "$work/audit.log")" -ge 1 ] &&
		[ "$(jq -s '[.[] | select(.id == "p-priv" and .verdict == "refused")] | length' "$work/audit.log")" -ge 1 ]; then
		tap_ok "audit log: $(wc -l <"$work/audit.log") JSON records; allowed and refused decisions with their findings"
	else
		tap_fail "audit log records" "$(head -c 300 "$work/audit.log")"
	fi
fi
tap_end
