#!/bin/sh
# hardrun node installer: puts hardrun on a Kubernetes node and registers
# one containerd CRI runtime handler per profile.
#
#   install.sh [--host-root DIR] [--payload DIR] [--prefix /usr/local]
#              (payload: bin/hardrun, share/hardrun/, libexec/hardrun/)
#              [--config /etc/containerd/config.toml] [--config-version 1|2|3]
#              [--handlers "hardrun hardrun-restricted hardrun-untrusted"]
#              [--restart-cmd CMD | --no-restart] [--no-verify] [--uninstall]
#   install.sh --print-snippet 2|3   the TOML block it would add, and exit
#
# Steps, each safe to repeat (a second run changes nothing and does not
# restart containerd):
#  1. copy PAYLOAD/bin/hardrun to HOST/PREFIX/bin (temp file, checked by
#     running `hardrun --version` inside the host root, then renamed), and a
#     symlink hardrun-<profile> -> hardrun per handler: the binary name
#     selects the profile;
#  2. copy PAYLOAD/share/hardrun (profiles, seccomp) and
#     PAYLOAD/libexec/hardrun (the Landlock helper) under HOST/PREFIX; the
#     host policy /etc/hardrun/policy.json is never written;
#  3. replace the block between the `# BEGIN hardrun` / `# END hardrun`
#     markers of containerd's config (appended when absent) with the
#     handlers' tables; the rest of the file is kept byte for byte;
#  4. restart containerd when the config changed.
#
# --uninstall removes the block (restarting containerd), then the binaries
# and profiles.  Drain the node of pods using the hardrun RuntimeClasses
# first: their shims call the binary to stop and delete them.
#
# Why a block inside config.toml and not an `imports` drop-in: containerd
# 1.x merges imported files per plugin, so a drop-in defining CRI runtimes
# would replace the node's whole CRI plugin section.
set -eu

HOST=/
PAYLOAD=$(cd "$(dirname "$0")" && pwd)/payload
PREFIX=/usr/local
CONFIG=/etc/containerd/config.toml
CONFIG_VERSION=
HANDLERS="hardrun hardrun-restricted hardrun-untrusted"
RESTART_CMD=
RESTART=1
UNINSTALL=0
VERIFY=1
BEGIN_MARK="# BEGIN hardrun: managed by hardrun's node installer, edits are overwritten"
END_MARK="# END hardrun"

die() {
	echo "hardrun-install: error: $*" >&2
	exit 1
}
log() { echo "hardrun-install: $*"; }

# The CRI plugin's table prefix for a config schema version.
cri_prefix() {
	case $1 in
	1) echo 'plugins.cri' ;;
	2) echo 'plugins."io.containerd.grpc.v1.cri"' ;;
	3) echo 'plugins."io.containerd.cri.v1.runtime"' ;;
	*) die "unsupported containerd config version \`$1\` (1, 2 or 3)" ;;
	esac
}

# snippet VERSION SYSTEMD_CGROUP(true|false): the managed block.
snippet() {
	p=$(cri_prefix "$1")
	echo "$BEGIN_MARK"
	for h in $HANDLERS; do
		echo "[$p.containerd.runtimes.$h]"
		echo "  runtime_type = \"io.containerd.runc.v2\""
		echo "  # a privileged pod still gets only the default device nodes"
		echo "  privileged_without_host_devices = true"
		echo "  # lets a pod ask for a stricter profile (run.hardrun.profile)"
		echo "  pod_annotations = [\"run.hardrun.profile\"]"
		echo "[$p.containerd.runtimes.$h.options]"
		echo "  BinaryName = \"$PREFIX/bin/$h\""
		[ "$2" = true ] && echo "  SystemdCgroup = true"
	done
	echo "$END_MARK"
}

while [ $# -gt 0 ]; do
	case $1 in
	--host-root) HOST=$2 && shift ;;
	--payload) PAYLOAD=$2 && shift ;;
	--prefix) PREFIX=$2 && shift ;;
	--config) CONFIG=$2 && shift ;;
	--config-version) CONFIG_VERSION=$2 && shift ;;
	--handlers) HANDLERS=$2 && shift ;;
	--restart-cmd) RESTART_CMD=$2 && shift ;;
	--no-restart) RESTART=0 ;;
	--no-verify) VERIFY=0 ;;
	--uninstall) UNINSTALL=1 ;;
	--print-snippet)
		snippet "$2" false
		exit 0
		;;
	-h | --help)
		sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*) die "unknown argument \`$1\` (see --help)" ;;
	esac
	shift
done
for h in $HANDLERS; do
	case $h in
	hardrun | hardrun-[a-z]*) ;;
	*) die "handler \`$h\`: must be hardrun or hardrun-<profile>" ;;
	esac
done
HOST=${HOST%/}
BIN=$HOST$PREFIX/bin
CFG=$HOST$CONFIG
# A config that is a symlink is edited where it points (inside the host root).
if [ -L "$CFG" ]; then
	target=$(readlink "$CFG")
	case $target in
	/*) CFG=$HOST$target ;;
	*) CFG=$(dirname "$CFG")/$target ;;
	esac
fi

# strip_block FILE: FILE without our block, trailing blank lines dropped.
strip_block() {
	awk -v b="$BEGIN_MARK" -v e="$END_MARK" '
		$0 == b {skip = 1; next}
		skip && $0 == e {skip = 0; next}
		!skip {lines[++n] = $0}
		END {while (n > 0 && lines[n] ~ /^[[:space:]]*$/) n--; for (i = 1; i <= n; i++) print lines[i]}' "$1"
}

restart_containerd() {
	[ $RESTART = 1 ] || return 0
	if [ -z "$RESTART_CMD" ]; then
		if [ -z "$HOST" ]; then
			RESTART_CMD="systemctl restart containerd"
		else
			# In the DaemonSet: the host's pid 1 namespaces (hostPID: true).
			RESTART_CMD="nsenter --target 1 --mount --uts --ipc --net --pid -- systemctl restart containerd"
		fi
	fi
	log "restarting containerd: $RESTART_CMD"
	sh -c "$RESTART_CMD"
}

if [ $UNINSTALL = 1 ]; then
	# containerd first, so it never names a binary that is gone.
	if [ -f "$CFG" ] && grep -qxF "$BEGIN_MARK" "$CFG"; then
		tmp=$(mktemp "${CFG}.hardrun.XXXXXX")
		strip_block "$CFG" >"$tmp"
		chmod --reference="$CFG" "$tmp" 2>/dev/null || chmod 644 "$tmp"
		mv -f "$tmp" "$CFG"
		log "removed handlers from $CONFIG"
		restart_containerd
	fi
	for h in $HANDLERS; do rm -f "$BIN/$h"; done
	rm -f "$BIN/hardrun" "$BIN/.hardrun.new"
	rm -rf "$HOST$PREFIX/share/hardrun" "$HOST$PREFIX/libexec/hardrun"
	log "removed hardrun from $PREFIX"
	exit 0
fi

# in_host CMD...: run CMD with the host's root (its libraries, its runc).
in_host() {
	if [ -z "$HOST" ]; then "$@"; else chroot "$HOST" "$@"; fi
}

# ------------------------------------------------------------- 1. the binary
[ -x "$PAYLOAD/bin/hardrun" ] || die "no executable $PAYLOAD/bin/hardrun"
mkdir -p "$BIN"
if cmp -s "$PAYLOAD/bin/hardrun" "$BIN/hardrun"; then
	log "$PREFIX/bin/hardrun is up to date"
else
	cp "$PAYLOAD/bin/hardrun" "$BIN/.hardrun.new"
	chmod 755 "$BIN/.hardrun.new"
	# Before containerd can pick it: a binary missing a library on this
	# node would fail every pod of the handler.
	if [ $VERIFY = 1 ] && ! in_host "$PREFIX/bin/.hardrun.new" --version >/dev/null; then
		rm -f "$BIN/.hardrun.new"
		die "the new hardrun does not run on this node (missing libyajl2, libseccomp2, libcap2 or runc?)"
	fi
	mv -f "$BIN/.hardrun.new" "$BIN/hardrun"
	log "installed $PREFIX/bin/hardrun"
fi
for h in $HANDLERS; do
	[ "$h" = hardrun ] && continue
	if [ "$(readlink "$BIN/$h" 2>/dev/null)" != hardrun ]; then
		ln -sfn hardrun "$BIN/$h"
		log "linked $PREFIX/bin/$h -> hardrun"
	fi
done

# ------------------------------------------------ 2. profiles and helpers
for sub in share/hardrun libexec/hardrun; do
	[ -d "$PAYLOAD/$sub" ] || continue
	dst=$HOST$PREFIX/$sub
	if ! diff -r "$PAYLOAD/$sub" "$dst" >/dev/null 2>&1; then
		mkdir -p "$(dirname "$dst")"
		rm -rf "$dst.new"
		cp -R "$PAYLOAD/$sub" "$dst.new"
		rm -rf "$dst.old"
		[ ! -e "$dst" ] || mv "$dst" "$dst.old"
		mv "$dst.new" "$dst"
		rm -rf "$dst.old"
		log "installed $PREFIX/$sub"
	fi
done

# --------------------------------------------------- 3. containerd's config
# The top-level `version` (before the first table) says which schema.
if [ -z "$CONFIG_VERSION" ] && [ -f "$CFG" ]; then
	CONFIG_VERSION=$(awk '/^[[:space:]]*\[/ {exit}
		/^[[:space:]]*version[[:space:]]*=/ {sub(/^[^=]*=[[:space:]]*/, ""); sub(/[[:space:]#].*/, ""); print; exit}' "$CFG")
	[ -n "$CONFIG_VERSION" ] || CONFIG_VERSION=1
fi
if [ -z "$CONFIG_VERSION" ]; then
	# No config: write one in the schema of the node's containerd.
	case $(in_host containerd --version 2>/dev/null | awk '{print $3}') in
	v2.* | 2.*) CONFIG_VERSION=3 ;;
	*) CONFIG_VERSION=2 ;;
	esac
fi
prefix=$(cri_prefix "$CONFIG_VERSION")

tmp=$(mktemp "${CFG}.hardrun.XXXXXX" 2>/dev/null) || {
	mkdir -p "$(dirname "$CFG")"
	tmp=$(mktemp "${CFG}.hardrun.XXXXXX")
}
trap 'rm -f "$tmp" "$tmp.rest"' EXIT
if [ -f "$CFG" ]; then
	strip_block "$CFG" >"$tmp.rest"
else
	echo "version = $CONFIG_VERSION" >"$tmp.rest"
fi
# A handler the operator configured by hand is not ours to overwrite.
for h in $HANDLERS; do
	if grep -Eq "^[[:space:]]*\[.*\.runtimes\.\"?$h\"?[].]" "$tmp.rest"; then
		die "$CONFIG already defines runtime handler \`$h\` outside hardrun's block; remove it or drop it from --handlers"
	fi
done
systemd=false
grep -Eq '^[[:space:]]*SystemdCgroup[[:space:]]*=[[:space:]]*true' "$tmp.rest" && systemd=true
{
	cat "$tmp.rest"
	echo
	snippet "$CONFIG_VERSION" "$systemd"
} >"$tmp"
rm -f "$tmp.rest"

if [ -f "$CFG" ] && cmp -s "$tmp" "$CFG"; then
	log "$CONFIG already has handlers: $HANDLERS"
	exit 0
fi
[ ! -f "$CFG" ] || [ -e "$CFG.before-hardrun" ] || cp -p "$CFG" "$CFG.before-hardrun"
[ ! -f "$CFG" ] || chmod --reference="$CFG" "$tmp" 2>/dev/null || chmod 644 "$tmp"
[ -f "$CFG" ] || chmod 644 "$tmp"
mv -f "$tmp" "$CFG"
trap - EXIT
log "added handlers to $CONFIG ($prefix, SystemdCgroup=$systemd): $HANDLERS"

# ------------------------------------------------------------- 4. restart
restart_containerd
