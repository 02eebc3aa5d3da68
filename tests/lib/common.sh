#!/bin/bash
# Shared helpers for integration tests: TAP output and busybox bundles.
# Source it; set OCI_RUNTIME to the runtime under test (default: the hardrun
# build, else runc).

HR_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${HARDRUN:=$HR_TOP/build/hardrun}"
: "${OCI_RUNTIME:=$HARDRUN}"
# hardrun has no paths into this tree (meson option dev_paths is off): a
# hardrun that is not installed finds the profiles and the Landlock helper
# through the documented variables, set here to this tree's unless given.
: "${HARDRUN_DATADIR:=$HR_TOP/profiles}"
export HARDRUN_DATADIR
if [ -z "${HARDRUN_LANDLOCK_HELPER:-}" ] && [ -x "$(dirname "$HARDRUN")/src/rules/hardrun-landlock" ]; then
	HARDRUN_LANDLOCK_HELPER=$(dirname "$HARDRUN")/src/rules/hardrun-landlock
	export HARDRUN_LANDLOCK_HELPER
fi
TAP_N=0
TAP_FAILED=0

tap_ok() { # tap_ok DESC  (after a successful check)
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $*"
}
tap_fail() { # tap_fail DESC [DETAIL...]
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $1"
	shift
	local l
	for l in "$@"; do printf '%s\n' "$l" | sed 's/^/#   /'; done
}
tap_check() { # tap_check DESC CMD... : ok if CMD exits 0
	local desc=$1
	shift
	if "$@"; then tap_ok "$desc"; else tap_fail "$desc" "command failed: $*"; fi
}
tap_skip() { # tap_skip DESC REASON ; fails instead when HARDRUN_MUST_WORK=1 and HR_CORE=1
	TAP_N=$((TAP_N + 1))
	if [ "${HARDRUN_MUST_WORK:-0}" = 1 ] && [ "${HR_CORE:-0}" = 1 ]; then
		TAP_FAILED=$((TAP_FAILED + 1))
		echo "not ok $TAP_N - $1 # skipped on a core path: $2"
	else
		echo "ok $TAP_N - $1 # SKIP $2"
	fi
}
tap_end() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}
# hr_skip_all DESC REASON: the whole script cannot run: one skip through
# tap_skip (a failure under HARDRUN_MUST_WORK=1 when HR_CORE=1), then exit.
# Never "1..0 # SKIP" by hand: the harness counts that as a failure under
# HARDRUN_MUST_WORK=1, since it bypasses the core-path switch.
hr_skip_all() {
	tap_skip "$1" "$2"
	tap_end
	exit
}

is_hardrun() { # is the runtime under test hardrun (not the runc control)?
	"$OCI_RUNTIME" --version 2>/dev/null | grep -q '^hardrun version'
}

# make_bundle DIR [ARGS...]: busybox rootfs owned by root and a `runc spec`
# config running ARGS (default: sh) without a terminal.
make_bundle() {
	local dir=$1
	shift
	mkdir -p "$dir/rootfs"/{bin,proc,sys,dev,etc,tmp,root}
	cp /bin/busybox "$dir/rootfs/bin/busybox"
	local a
	for a in sh ls cat echo id sleep true false mount touch grep wc ps kill stat mkdir rm chown head tr cut sed; do
		ln -sf busybox "$dir/rootfs/bin/$a"
	done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$dir/rootfs/etc/passwd"
	echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>"$dir/rootfs/etc/passwd"
	echo 'root:x:0:' >"$dir/rootfs/etc/group"
	chmod 1777 "$dir/rootfs/tmp"
	(cd "$dir" && rm -f config.json && runc spec)
	local args='["sh"]'
	if [ $# -gt 0 ]; then args=$(printf '%s\n' "$@" | jq -R . | jq -s -c .); fi
	jq --argjson a "$args" '.process.terminal=false | .process.args=$a' "$dir/config.json" >"$dir/config.json.new"
	mv "$dir/config.json.new" "$dir/config.json"
}

# hr_find_built REL: print the first build directory's REL (a test helper
# such as tests/security/no-pidfd) that is executable: $HR_BUILD_DIR, the
# one beside $HARDRUN, then build/ (a sanitizer build makes only what the
# unit tests need).  Fails when none has it.
hr_find_built() {
	local d
	for d in "${HR_BUILD_DIR:-/nonexistent}" "$(dirname "$HARDRUN")" "$HR_TOP/build"; do
		[ -x "$d/$1" ] && echo "$d/$1" && return 0
	done
	return 1
}

# bundle_set DIR JQ-FILTER: edit DIR/config.json in place.
bundle_set() {
	jq "$2" "$1/config.json" >"$1/config.json.new" && mv "$1/config.json.new" "$1/config.json"
}

# rt ARGS...: the runtime under test with an isolated --root.
# HR_OWN_ROOT=1 when the root was made here (the harness passes its own).
HR_OWN_ROOT=0
if [ -z "${HR_TEST_ROOT:-}" ]; then
	HR_TEST_ROOT=$(mktemp -d /tmp/hr-root.XXXXXX)
	HR_OWN_ROOT=1
fi
rt() { "$OCI_RUNTIME" --root "$HR_TEST_ROOT" "$@"; }

need_root() {
	[ "$(id -u)" = 0 ]
}

# expect_hardrun: should hardrun-only checks run?  True for hardrun, and for
# any runtime not named runc/crun, so a broken hardrun build fails these
# checks instead of being mistaken for the control and skipping them.
expect_hardrun() {
	is_hardrun && return 0
	case "$(basename "$OCI_RUNTIME")" in
	runc | crun) return 1 ;;
	esac
	return 0
}

# hr_test_setup NAME: the usual frame of a container test.  Makes $WORK
# (/tmp/hr-NAME.XXXXXX) and the id list IDS, and at exit force-deletes the
# containers of IDS, unmounts what is left under $WORK, removes $WORK and the
# --root if this file made it.  A script may define hr_test_cleanup, called
# first.
hr_test_setup() {
	WORK=$(mktemp -d "/tmp/hr-$1.XXXXXX")
	IDS=()
	trap hr_test_teardown EXIT
}
hr_test_teardown() {
	local id
	declare -F hr_test_cleanup >/dev/null && hr_test_cleanup
	for id in "${IDS[@]}"; do rt delete -f "$id" >/dev/null 2>&1; done
	grep -o " $WORK/[^ ]*" /proc/self/mountinfo 2>/dev/null | sort -r | xargs -r -n1 umount -l 2>/dev/null
	rm -rf "$WORK"
	[ "$HR_OWN_ROOT" = 1 ] && rm -rf "$HR_TEST_ROOT"
	return 0
}

# hr_new_id PREFIX: sets $id to a fresh container id, remembered for cleanup.
# (Not $(hr_new_id): a subshell would lose the record.)
hr_new_id() {
	id="hr-$1-$$-${#IDS[@]}"
	IDS+=("$id")
}

# hr_require_containers DESC: root, busybox-static, runc and jq, or the
# whole script is one skip (a failure on a core path under HARDRUN_MUST_WORK).
hr_require_containers() {
	local why=
	need_root || why="needs root"
	if [ -z "$why" ] && { [ ! -x /bin/busybox ] || ! command -v runc >/dev/null || ! command -v jq >/dev/null; }; then
		why="busybox-static, runc and jq are needed"
	fi
	[ -z "$why" ] && return 0
	tap_skip "$1" "$why"
	tap_end
	exit
}
