#!/bin/bash
# Shared helpers for integration tests: TAP output and busybox bundles.
# Source it; set OCI_RUNTIME to the runtime under test (default: the hardrun
# build, else runc).

HR_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${HARDRUN:=$HR_TOP/build/hardrun}"
: "${OCI_RUNTIME:=$HARDRUN}"
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

# bundle_set DIR JQ-FILTER: edit DIR/config.json in place.
bundle_set() {
	jq "$2" "$1/config.json" >"$1/config.json.new" && mv "$1/config.json.new" "$1/config.json"
}

# rt ARGS...: the runtime under test with an isolated --root.
: "${HR_TEST_ROOT:=$(mktemp -d /tmp/hr-root.XXXXXX)}"
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
