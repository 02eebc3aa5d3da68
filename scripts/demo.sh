#!/bin/bash
# hardrun in one command, on a fresh Debian 12 machine, as root:
#
#   sudo bash scripts/demo.sh
#
# Installs the packages, builds hardrun into build/, makes a busybox bundle
# with `runc spec` in a temporary directory, shows what `hardrun check` would
# change, then runs the same container three ways and prints what it sees of
# itself (uid, uid_map, capabilities, no_new_privs, seccomp): plain runc for
# comparison, hardrun delegating to runc, hardrun's builtin runtime.
# Everything it creates is removed at exit.  HR_DEMO_FULL=1 shows the whole
# hardened diff.
set -euo pipefail

# runc lives in /usr/sbin, which `su` without `-` leaves off PATH.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${HR_BUILD_DIR:-$TOP/build}
HARDRUN=$BUILD/hardrun

if [ -t 1 ]; then
	say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	say() { printf '\n== %s\n' "$*"; }
fi

if [ "$(id -u)" != 0 ]; then
	echo "demo: run as root (sudo bash $0): containers need it" >&2
	exit 1
fi

say "packages"
bash "$TOP/scripts/install-deps.sh"

say "build ($BUILD)"
if [ -f "$BUILD/build.ninja" ]; then
	ninja -C "$BUILD" >/dev/null
else
	meson setup "$BUILD" "$TOP" -Dselinux=enabled -Dapparmor=enabled >/dev/null
	ninja -C "$BUILD" >/dev/null
fi
"$HARDRUN" --version

WORK=$(mktemp -d /tmp/hardrun-demo.XXXXXX)
STATE=$WORK/state
IDS=()
cleanup() {
	local id
	for id in "${IDS[@]}"; do
		"$HARDRUN" --root "$STATE" delete -f "$id" >/dev/null 2>&1 || true
		runc --root "$STATE" delete -f "$id" >/dev/null 2>&1 || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

say "bundle: busybox rootfs + \`runc spec\` in $WORK/bundle"
export HR_TEST_ROOT=$STATE
mkdir -p "$STATE"
. "$TOP/tests/lib/common.sh"
make_bundle "$WORK/bundle" sh -c \
	"id; cat /proc/self/uid_map; grep -E 'Cap(Eff|Bnd)|NoNewPrivs|Seccomp' /proc/self/status"
cp "$WORK/bundle/config.json" "$WORK/original.json"
jq -c .process.args "$WORK/bundle/config.json"

say "hardrun check --bundle (dry run: findings, verdict, diff)"
"$HARDRUN" check --bundle "$WORK/bundle" >"$WORK/check.txt" 2>&1 || true
if [ "${HR_DEMO_FULL:-0}" = 1 ]; then
	cat "$WORK/check.txt"
else
	sed '/^--- /,$d' "$WORK/check.txt"
	echo "(hardened diff: $(sed -n '/^--- /,$p' "$WORK/check.txt" | wc -l) lines; HR_DEMO_FULL=1 shows it)"
fi

say "plain runc, for comparison: container root is host root"
IDS+=(demo-runc)
runc --root "$STATE" run -b "$WORK/bundle" demo-runc </dev/null

say "hardrun run (delegating to runc)"
IDS+=(demo-hardrun)
"$HARDRUN" --root "$STATE" run -b "$WORK/bundle" demo-hardrun </dev/null

say "hardrun run with the builtin runtime (no runc involved)"
cp "$WORK/original.json" "$WORK/bundle/config.json"
IDS+=(demo-builtin)
"$HARDRUN" --root "$STATE/builtin" --hardrun-runtime=builtin run -b "$WORK/bundle" demo-builtin </dev/null

say "done: the bundle and state in $WORK are removed"
