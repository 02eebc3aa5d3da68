#!/bin/bash
# What a user feels: every arm starts the SAME ORIGINAL config (a `runc spec`
# bundle, busybox, /bin/true), and every ratio is against plain `runc run`
# of that config, the start the user would get without hardrun.
#
#   sudo bash bench/userfelt.sh [headline|breakdown|all|ab OTHER]   (default: all)
#
# headline arms (one run, interleaved, every order of the arms alike):
#   runc        runc run of the original config (the yardstick)
#   hardrun     hardrun run as shipped (hardens, delegates to runc)
#   builtin     hardrun --hardrun-runtime builtin run
#   unshare     unshare --fork of the namespaces the builtin creates (its floor)
#   runc-hard   runc run of the config hardrun writes (the old yardstick:
#               what runc itself pays for the hardening is inside it)
#
# breakdown arms: runc run of the original config plus ONE part of what
# hardrun adds, each a separate arm against the original in the same run:
# seccomp profile, user namespace (mappings only, rootfs as it is),
# user namespace + hardrun's idmapped rootfs, the pids limit, the cgroup
# namespace, and all of it (the hardened config).
#
# ab OTHER: this hardrun against OTHER (another build, e.g. of the commit
# before a change), each arm side by side in one run: hardrun run, the
# builtin runtime, and runc run of the config each one writes.
#
# Every hardrun arm gets the caller's config.json again before each sample
# (outside the clock) and keeps its state in a scratch stateDir, so other
# users of /run/hardrun on the machine are neither seen nor disturbed.
#
# BENCH_N rounds (default 60), BENCH_WARMUP (3), BENCH_GAP_MS (50: a pause
# after each sample, so hardrun's release of an exited container is over
# before the next start), BENCH_TMPFS=1 (bundles and all state on tmpfs).
# Besides wall time, each arm's median CPU time (the command and the
# descendants it waited for, so not hardrun's keeper) and its ratio:
# steadier than wall time when other work shares the CPUs.
# The load average is printed before and after: on a busy machine compare
# only ratios from one run.  BENCH_NICE (e.g. -15) runs the driver and so
# every arm at that nice level, ahead of the machine's other work.
set -eu
. "$(dirname "$0")/lib.sh"
WHAT=${1:-all}
OTHER=${2:-}
N=${BENCH_N:-60}
WARMUP=${BENCH_WARMUP:-3}
GAP=${BENCH_GAP_MS:-50}
RUNC=${RUNC:-$(command -v runc)}
DRIVER=${DRIVER:-$(dirname "$HARDRUN")/bench/interleave}
[ "$(id -u)" = 0 ] || { echo "userfelt.sh needs root" >&2; exit 1; }
[ -x "$DRIVER" ] || { echo "no $DRIVER (ninja -C build)" >&2; exit 1; }
work=$(mktemp -d /tmp/hr-bench.XXXXXX)
chmod 711 "$work"
HRPOL=()
bench_tmpfs "$work" "$work/policy.json"
[ ${#HRPOL[@]} -gt 0 ] || { printf '{"stateDir": "%s/state"}\n' "$work" >"$work/policy.json" && HRPOL=(--hardrun-policy "$work/policy.json"); }
root=$work/root
HR=("$HARDRUN" "${HRPOL[@]}" --root "$root" --hardrun-no-audit)
cleanup() {
	"${HR[@]}" delete -f pf-keep >/dev/null 2>&1 || true
	[ -z "$OTHER" ] || "$OTHER" "${HR[@]:1}" delete -f pf-keepb >/dev/null 2>&1 || true
	umount "$work" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

make_bundle "$work/orig" true >/dev/null
cp "$work/orig/config.json" "$work/orig.json"
# hardrun's hardened config of the same bundle, with its range and idmapped
# rootfs kept for the arms that use them (container pf-keep, never started)
make_bundle "$work/keep" true >/dev/null
"${HR[@]}" create -b "$work/keep" pf-keep >/dev/null
hard=$work/keep/config.json

# variant NAME JQ: a bundle running the original config changed by JQ
# ($h is the hardened config)
variant() {
	mkdir -p "$work/$1"
	jq --slurpfile h "$hard" --arg r "$work/orig/rootfs" ".root.path = \$r | $2" "$work/orig.json" >"$work/$1/config.json"
}
# the user namespace as hardrun sets it up: mappings, the namespace
uns='.linux.uidMappings = $h[0].linux.uidMappings | .linux.gidMappings = $h[0].linux.gidMappings | .linux.namespaces += [{"type": "user"}]'

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "# $(date -u +%FT%TZ), hardrun $(git -C "$BENCH_TOP" rev-parse --short HEAD 2>/dev/null || echo '?'), $(runc --version | head -1)"
echo "# $(nproc) cpus, kernel $(uname -r), state on $(stat -f -c %T "$work"), n=$N, gap ${GAP} ms, nice ${BENCH_NICE:-0}, load $(load)"

# interleaved NAME... -- ARMS: run the driver, print one line per arm
interleaved() {
	local names=() out a m r
	while [ "$1" != -- ]; do names+=("$1") && shift; done
	shift
	out=$(INTERLEAVE_ERRLOG=$work/errors.log INTERLEAVE_GAP_MS=$GAP nice -n "${BENCH_NICE:-0}" "$DRIVER" "$N" "$WARMUP" "$@") ||
		{ tail -5 "$work/errors.log" >&2; exit 1; }
	f() { echo "$out" | awk -v k="arm$1" -v f="$2" '$1 == k { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) print kv[2] } }'; }
	r=$(f 0 median_ms)
	c=$(f 0 cpu_median_ms)
	for a in "${!names[@]}"; do
		m=$(f "$a" median_ms)
		printf '%-42s median %8.3f ms  ratio %s  paired %s  | cpu %7.3f ms  ratio %s\n' "${names[$a]}" "$m" \
			"$(ratio "$m" "$r")" "$(f "$a" paired_ratio)" "$(f "$a" cpu_median_ms)" "$(ratio "$(f "$a" cpu_median_ms)" "$c")"
	done
	echo "$out" | grep '^failures=' | sed 's/^/# samples retried after a failure: /; s/failures=//'
	echo "$out" >"$work/last.out"
}

headline() {
	variant runc-hard '$h[0]'
	make_bundle "$work/hr" true >/dev/null
	make_bundle "$work/bi" true >/dev/null
	echo "## headline: ratios to plain runc run of the original config (targets: hardrun <= 1.10, builtin <= 0.30, builtin <= 2x unshare)"
	interleaved "runc run (original config)" "hardrun run (delegating, shipped)" "hardrun builtin run" \
		"unshare --fork (builtin's namespaces)" "runc run (hardened config: old yardstick)" -- \
		"$RUNC" --root "$root" run -b "$work/orig" "pf-r%d" ";;" \
		"=$work/hr/config.json=$work/orig.json" "${HR[@]}" run -b "$work/hr" "pf-h%d" ";;" \
		"=$work/bi/config.json=$work/orig.json" "${HR[@]}" --hardrun-runtime builtin run -b "$work/bi" "pf-b%d" ";;" \
		"$(command -v unshare)" --fork --user --map-root-user --pid --mount --ipc --uts --net --cgroup /bin/true ";;" \
		"$RUNC" --root "$root" run -b "$work/runc-hard" "pf-y%d"
	local out=$work/last.out
	med() { awk -v k="arm$1" '$1 == k { sub("median_ms=", "", $2); print $2 }' "$out"; }
	echo "hardrun / runc-hard (old yardstick): $(ratio "$(med 1)" "$(med 4)")"
	echo "builtin / unshare: $(ratio "$(med 2)" "$(med 3)")"
}

breakdown() {
	local idm
	idm=$(jq -r .root.path "$hard")
	variant b-seccomp '.linux.seccomp = $h[0].linux.seccomp'
	# the profile as hardrun handed it before it left out x32 where the
	# kernel cannot run x32 code (x86_64 hosts)
	variant b-sc-x32 '.linux.seccomp = $h[0].linux.seccomp | .linux.seccomp.architectures |= (if any(.[]; . == "SCMP_ARCH_X86_64") then (. - ["SCMP_ARCH_X32"]) + ["SCMP_ARCH_X32"] else . end)'
	variant b-userns "$uns"
	variant b-idmap "$uns | .root.path = \"$idm\""
	variant b-pids '.linux.resources.pids = $h[0].linux.resources.pids'
	variant b-cgns '.linux.namespaces += [{"type": "cgroup"}]'
	variant b-all '$h[0]'
	echo "## breakdown: runc run of the original config plus one part of the hardening"
	interleaved "runc run (original config)" "+ seccomp profile" "+ seccomp profile with x32 branch" "+ user namespace (mappings)" \
		"+ user namespace + idmapped rootfs" "+ pids limit" "+ cgroup namespace" "hardened config (all)" -- \
		"$RUNC" --root "$root" run -b "$work/orig" "pf-r%d" ";;" \
		"$RUNC" --root "$root" run -b "$work/b-seccomp" "pf-s%d" ";;" \
		"$RUNC" --root "$root" run -b "$work/b-sc-x32" "pf-x%d" ";;" \
		"$RUNC" --root "$root" run -b "$work/b-userns" "pf-u%d" ";;" \
		"$RUNC" --root "$root" run -b "$work/b-idmap" "pf-i%d" ";;" \
		"$RUNC" --root "$root" run -b "$work/b-pids" "pf-p%d" ";;" \
		"$RUNC" --root "$root" run -b "$work/b-cgns" "pf-c%d" ";;" \
		"$RUNC" --root "$root" run -b "$work/b-all" "pf-a%d"
}

ab() {
	[ -x "$OTHER" ] || { echo "usage: userfelt.sh ab OTHER-HARDRUN" >&2 && exit 2; }
	local HB=("$OTHER" "${HR[@]:1}")
	make_bundle "$work/keepb" true >/dev/null
	"${HB[@]}" create -b "$work/keepb" pf-keepb >/dev/null
	variant runc-hard '$h[0]'
	mkdir -p "$work/runc-hardb"
	cp "$work/keepb/config.json" "$work/runc-hardb/config.json"
	for b in hr hb bi bb; do make_bundle "$work/$b" true >/dev/null; done
	echo "## A/B: this hardrun ($HARDRUN) against $OTHER, ratios to plain runc run of the original config"
	interleaved "runc run (original config)" "hardrun run (this)" "hardrun run (other)" \
		"runc run (this one's hardened config)" "runc run (other's hardened config)" \
		"hardrun builtin run (this)" "hardrun builtin run (other)" -- \
		"$RUNC" --root "$root" run -b "$work/orig" "pf-r%d" ";;" \
		"=$work/hr/config.json=$work/orig.json" "${HR[@]}" run -b "$work/hr" "pf-h%d" ";;" \
		"=$work/hb/config.json=$work/orig.json" "${HB[@]}" run -b "$work/hb" "pf-g%d" ";;" \
		"$RUNC" --root "$root" run -b "$work/runc-hard" "pf-y%d" ";;" \
		"$RUNC" --root "$root" run -b "$work/runc-hardb" "pf-z%d" ";;" \
		"=$work/bi/config.json=$work/orig.json" "${HR[@]}" --hardrun-runtime builtin run -b "$work/bi" "pf-b%d" ";;" \
		"=$work/bb/config.json=$work/orig.json" "${HB[@]}" --hardrun-runtime builtin run -b "$work/bb" "pf-c%d"
}

case $WHAT in
ab) ab ;;
headline) headline ;;
breakdown) breakdown ;;
all) headline && breakdown ;;
*) echo "usage: userfelt.sh [headline|breakdown|all|ab OTHER]" >&2 && exit 2 ;;
esac
echo "# load at the end $(load)"
