#!/bin/bash
# Helpers for the engine integration tests (docker, podman, containerd,
# kubernetes): a scratch directory, daemons started and stopped by PID, a
# busybox image, and the hardrun binary to plug in.  Source after common.sh.
#
# Nothing here touches a system daemon: every daemon gets its own socket,
# root and state under the scratch directory and is stopped by the PID it
# was started with, from an EXIT trap, even when the test fails.

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

INTEG_CLEANUPS=()

# integ_init NAME: scratch dir in $T, cleanup trap.  Keeps the scratch dir
# when HR_KEEP=1 (for debugging).
integ_init() {
	T=$(mktemp -d "/tmp/hr-$1.XXXXXX")
	chmod 755 "$T"
	trap integ_cleanup EXIT
	trap 'exit 130' INT TERM
}

# integ_defer CMD...: run CMD at exit, last registered first.
integ_defer() {
	local q
	q=$(printf '%q ' "$@")
	INTEG_CLEANUPS+=("$q")
}

integ_cleanup() {
	local rc=$? i
	for ((i = ${#INTEG_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${INTEG_CLEANUPS[$i]}" >/dev/null 2>&1 || true
	done
	if [ "${HR_KEEP:-0}" != 1 ] && [ -n "${T:-}" ] && [ -d "$T" ]; then
		integ_umount_under "$T"
		rm -rf --one-file-system "$T" 2>/dev/null || true
	fi
	return $rc
}

# integ_umount_under DIR: lazily unmount everything a daemon left below DIR,
# deepest first, so rm -rf never walks into a live mount.
integ_umount_under() {
	local m
	# Several passes: a mount may be stacked on another one at the same path.
	for _ in 1 2 3; do
		awk -v d="$1/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo |
			sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
	done
}

# integ_stop_pid PID [NAME]: SIGTERM, wait up to 20 s, then SIGKILL.
integ_stop_pid() {
	local pid=$1 i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 200; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

# integ_wait_socket PATH SECONDS: wait for a unix socket to appear.
integ_wait_socket() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ -S "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# integ_hardrun: find the hardrun binary ($HARDRUN, else the build dirs) and
# make sure its profiles load.  While a rule family is still being written a
# shipped policy may name a rule the binary does not know yet; then the
# policies are copied with that rule deleted and HARDRUN_DATADIR points at
# the copy (reported as a TAP comment, never silently).
integ_hardrun() {
	local b
	if [ ! -x "$HARDRUN" ]; then
		for b in /tmp/build-integ/hardrun "$HR_TOP"/build*/hardrun; do
			[ -x "$b" ] && HARDRUN=$b && break
		done
	fi
	[ -x "$HARDRUN" ] || return 1
	HARDRUN=$(readlink -f "$HARDRUN")
	export HARDRUN
	local cfg=$T/probe-config.json out rule
	(cd "$T" && runc spec && mv config.json "$cfg")
	out=$("$HARDRUN" check --config "$cfg" 2>&1)
	rule=$(printf '%s\n' "$out" | sed -n 's/.*unknown rule `\([a-z]*\)`.*/\1/p' | head -n1)
	if [ -n "$rule" ]; then
		local src=${HARDRUN_DATADIR:-$HR_TOP/profiles} f
		rm -rf "$T/datadir"
		cp -r "$src" "$T/datadir"
		for f in "$T"/datadir/policies/*.json; do
			jq 'del(.rules.lsm)' "$f" >"$f.new" && mv "$f.new" "$f"
		done
		export HARDRUN_DATADIR=$T/datadir
		echo "# note: this hardrun build does not know rule \`$rule\`;" \
			"using policies without it (HARDRUN_DATADIR=$HARDRUN_DATADIR)"
	fi
	return 0
}

# integ_rootfs DIR: a busybox-static rootfs owned by root, with a root-owned
# /data-root file that only container root can write (to check that files of
# the image stay writable under the user namespace).
integ_rootfs() {
	local d=$1 a
	mkdir -p "$d"/{bin,proc,sys,dev,etc,tmp,root,data,var/tmp}
	cp /bin/busybox "$d/bin/busybox"
	for a in $("$d/bin/busybox" --list); do
		[ "$a" = busybox ] || ln -sf busybox "$d/bin/$a"
	done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$d/etc/passwd"
	echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>"$d/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$d/etc/group"
	echo 'written by the image' >"$d/root/image-file"
	chmod 644 "$d/root/image-file"
	chmod 1777 "$d/tmp" "$d/var/tmp"
	# An infra/pause command for pods (no pause image can be pulled here).
	printf '#!/bin/sh\ntrap "exit 0" TERM INT\nwhile :; do sleep 3600 & wait; done\n' >"$d/bin/pause"
	chmod 755 "$d/bin/pause"
}

# integ_containerd_start DIR [EXTRA-CONFIG-TOML]: a standalone containerd
# with root, state, socket and config under DIR; sets CTRD_SOCK, CTRD_PID.
# The CRI plugin is disabled (no kubelet here, and it would look for CNI).
integ_containerd_start() {
	local d=$1
	mkdir -p "$d/root" "$d/state"
	CTRD_SOCK=$d/containerd.sock
	cat >"$d/config.toml" <<EOF
version = 2
root = "$d/root"
state = "$d/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CTRD_SOCK"
[ttrpc]
  address = "$CTRD_SOCK.ttrpc"
[debug]
  address = "$d/debug.sock"
${2:-}
EOF
	containerd --config "$d/config.toml" >"$d/containerd.log" 2>&1 &
	CTRD_PID=$!
	# Shims outlive containerd: deferred first, so they are stopped last.
	integ_defer integ_shims_stop "$d"
	integ_defer integ_stop_pid "$CTRD_PID"
	integ_wait_socket "$CTRD_SOCK" 30
}

# integ_shims_stop DIR: containerd leaves a shim per task; stop the ones
# whose command line names our scratch state (never any other shim).
integ_shims_stop() {
	local p
	for p in $(pgrep -f containerd-shim-runc-v2 2>/dev/null); do
		if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$1"; then
			integ_stop_pid "$p"
		fi
	done
}


# integ_oci_image ROOTFS NAME OUT.tar [CMD]: a one-layer OCI image archive
# (image layout in a tar) of ROOTFS, named NAME, default command CMD (sh),
# for `ctr image import`: no registry and no docker needed.
integ_oci_image() {
	local rootfs=$1 name=$2 out=$3 cmd=${4:-sh} d ldig lsize csum csize msum msize
	d=$(mktemp -d "$T/oci.XXXXXX")
	mkdir -p "$d/blobs/sha256"
	tar -C "$rootfs" --numeric-owner -cf "$d/layer.tar" .
	ldig=$(sha256sum "$d/layer.tar" | cut -d' ' -f1)
	lsize=$(stat -c %s "$d/layer.tar")
	mv "$d/layer.tar" "$d/blobs/sha256/$ldig"
	jq -n --arg l "sha256:$ldig" --arg cmd "$cmd" '{architecture: "amd64", os: "linux",
		config: {Cmd: [$cmd], Env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]},
		rootfs: {type: "layers", diff_ids: [$l]}}' >"$d/config.json"
	csum=$(sha256sum "$d/config.json" | cut -d' ' -f1)
	csize=$(stat -c %s "$d/config.json")
	mv "$d/config.json" "$d/blobs/sha256/$csum"
	jq -n --arg c "sha256:$csum" --argjson cs "$csize" --arg l "sha256:$ldig" \
		--argjson ls "$lsize" '{schemaVersion: 2,
		mediaType: "application/vnd.oci.image.manifest.v1+json",
		config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
		layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $l, size: $ls}]}' \
		>"$d/manifest.json"
	msum=$(sha256sum "$d/manifest.json" | cut -d' ' -f1)
	msize=$(stat -c %s "$d/manifest.json")
	mv "$d/manifest.json" "$d/blobs/sha256/$msum"
	jq -n --arg m "sha256:$msum" --argjson ms "$msize" --arg n "$name" '{schemaVersion: 2,
		manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
		digest: $m, size: $ms, platform: {architecture: "amd64", os: "linux"},
		annotations: {"io.containerd.image.name": $n, "org.opencontainers.image.ref.name": $n}}]}' \
		>"$d/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$d/oci-layout"
	tar -C "$d" -cf "$out" oci-layout index.json blobs
	rm -rf "$d"
}
