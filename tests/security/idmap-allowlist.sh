#!/bin/bash
# The idmap allowlist (issue 16, points 1, 2 and 7), attempted for real.
#
# An idmapped view makes host root's files container root's.  hardrun may
# make one only of the bundle's own rootfs and of sources beneath the
# policy's volumeRoots, judged on the object the path resolves to.  Each
# attack below runs a container that, if it starts, writes and sets the
# setuid bit through the mount it asked for; the checks then look at the
# HOST: the create is refused (exit 1, the field named, no container), and
# nothing landed in the host directory.  The positive checks: a volume
# beneath a volume root is writable by container root and its files land
# with the container's mapped owner, and the rootfs still works.
#
# This test is about the policy key volumeRoots, so it writes a host policy
# naming a scratch volume root.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

HR_CORE=1
hr_require_containers "idmap allowlist"
if ! expect_hardrun; then
	echo "1..0 # SKIP the idmap allowlist is hardrun's, not the runc control's"
	exit 0
fi
hr_test_setup sm-idmap
chmod 755 "$WORK"
B=$WORK/base
make_bundle "$B" true >/dev/null
cp "$B/config.json" "$WORK/pristine.json"
mkdir -p "$WORK/volumes/v1" "$WORK/volumes/race" "$WORK/hostdir" "$WORK/etc/cron.d" \
	"$WORK/ov/l" "$WORK/ov/u" "$WORK/ov/w"
chmod 755 "$WORK/volumes" "$WORK/volumes/v1" "$WORK/hostdir" "$WORK/etc" "$WORK/etc/cron.d"
cp -a "$B/rootfs" "$WORK/hostroot"
ln -s "$WORK/hostdir" "$WORK/volumes/link"
mkdir -p "$WORK/layers/cB/lo" "$WORK/layers/cB/up" "$WORK/layers/cB/wk" "$WORK/layers/cB/merged" \
	"$WORK/volumes/cB"
chmod 755 "$WORK/layers"
jq -n --arg v "$WORK/volumes" --arg l "$WORK/layers" '{volumeRoots: [$v], layerRoots: [$l]}' >"$WORK/policy.json"
export HARDRUN_POLICY=$WORK/policy.json
ATTACK='for d in /x /; do touch $d/pwned && chown 0:0 $d/pwned && chmod 4755 $d/pwned; done; echo x >>/etc/passwd; true'
n=0

# bundle NAME JQ-FILTER: $WORK/NAME with a copy of the image and the pristine config through the filter.
bundle() {
	mkdir -p "$WORK/$1"
	[ -e "$WORK/$1/rootfs" ] || cp -a "$B/rootfs" "$WORK/$1/"
	jq --arg w "$WORK" --arg a "$ATTACK" ".root.readonly = false | $2" "$WORK/pristine.json" >"$WORK/$1/config.json"
}

# refused DESC NAME FIELD HOSTFILE...: `run` of bundle NAME exits 1 naming
# FIELD, no container exists, and no HOSTFILE was created.
refused() {
	local desc=$1 dir=$WORK/$2 field=$3 rc out f left=
	shift 3
	n=$((n + 1))
	id="sm-idmap-$$-$n"
	IDS+=("$id")
	out=$(timeout 60 "$OCI_RUNTIME" --root "$HR_TEST_ROOT" run -b "$dir" "$id" </dev/null 2>&1)
	rc=$?
	for f in "$@"; do [ -e "$f" ] && left="$left $f($(stat -c '%u %a' "$f"))"; done
	if [ $rc -eq 1 ] && printf '%s' "$out" | grep -qF "$field" && [ -z "$left" ] &&
		! rt state "$id" >/dev/null 2>&1; then
		tap_ok "$desc: refused naming $field, nothing landed on the host"
	else
		tap_fail "$desc: refused naming $field, nothing landed on the host" "rc=$rc" \
			"$(printf '%s' "$out" | tail -n 2)" "landed:${left:- nothing}"
	fi
}

# created NAME ID: `create` of bundle NAME as ID succeeds (the container stays, created).
created() {
	IDS+=("$2")
	timeout 60 "$OCI_RUNTIME" --root "$HR_TEST_ROOT" create -b "$WORK/$1" "$2" </dev/null \
		>"$WORK/$2.log" 2>&1
	out=$(cat "$WORK/$2.log")
}

# 1. bind with idmap of a root-owned scratch dir outside the volume roots
bundle bind-host '.process.args=["sh","-c",$a] | .mounts += [{destination: "/x", type: "bind",
	source: ($w + "/hostdir"), options: ["rbind", "idmap"]}]'
refused "bind + idmap of a root-owned host dir" bind-host "mounts[" "$WORK/hostdir/pwned"

# 2. /etc/cron.d-like dir, through ridmap and through uidMappings
bundle cron '.process.args=["sh","-c",$a] | .mounts += [{destination: "/x", type: "bind",
	source: ($w + "/etc/cron.d"), options: ["rbind", "ridmap"]}]'
refused "bind + ridmap of a cron.d-like dir" cron "volumeRoots" "$WORK/etc/cron.d/pwned"
bundle cron-maps '.process.args=["sh","-c",$a] | .mounts += [{destination: "/x", type: "bind",
	source: ($w + "/etc/cron.d"), options: ["rbind"],
	uidMappings: [{containerID: 0, hostID: 1048576, size: 65536}],
	gidMappings: [{containerID: 0, hostID: 1048576, size: 65536}]}]'
refused "bind + uidMappings of a cron.d-like dir" cron-maps ".uidMappings" "$WORK/etc/cron.d/pwned"

# 3. root.path = a host directory outside the bundle, and a symlink to one
sum=$(md5sum <"$WORK/hostroot/etc/passwd")
bundle root-host '.process.args=["sh","-c",$a] | .root.path = ($w + "/hostroot")'
refused "root.path = a host dir outside the bundle" root-host "root.path" "$WORK/hostroot/pwned"
mkdir -p "$WORK/root-link"
ln -s ../hostroot "$WORK/root-link/rootfs"
bundle root-link '.process.args=["sh","-c",$a]'
refused "root.path = a symlink in the bundle to a host dir" root-link "root.path" "$WORK/hostroot/pwned"
[ "$(md5sum <"$WORK/hostroot/etc/passwd")" = "$sum" ] && [ "$(stat -c %u "$WORK/hostroot/bin/busybox")" = 0 ] &&
	tap_ok "the host dir's files are unchanged and still host root's" ||
	tap_fail "the host dir's files are unchanged" "$(ls -ln "$WORK/hostroot/etc")"

# 4. a volume source that leaves the volume root: a symlink, and ".."
bundle vol-link '.process.args=["sh","-c",$a] | .mounts += [{destination: "/x", type: "bind",
	source: ($w + "/volumes/link"), options: ["rbind", "idmap"]}]'
refused "bind + idmap of a symlink in the volume root to a host dir" vol-link "volumeRoots" "$WORK/hostdir/pwned"
bundle vol-dots '.process.args=["sh","-c",$a] | .mounts += [{destination: "/x", type: "bind",
	source: ($w + "/volumes/../hostdir"), options: ["rbind", "idmap"]}]'
refused "bind + idmap of volumes/../hostdir" vol-dots "volumeRoots" "$WORK/hostdir/pwned"

# 5. overlay layers reaching host /etc however runc joins and the kernel unescapes them
i=0
for o in '["lowerdir+=/etc", ("upperdir=" + $w + "/ov/u"), ("workdir=" + $w + "/ov/w")]' \
	'[("index=off,lowerdir=/etc:" + $w + "/ov/l"), ("upperdir=" + $w + "/ov/u"), ("workdir=" + $w + "/ov/w")]' \
	'["lowerdir=/et\\c", ("upperdir=" + $w + "/ov/u"), ("workdir=" + $w + "/ov/w")]'; do
	i=$((i + 1))
	bundle "ovl$i" '.process.args=["sh","-c","echo x > /o/pwned; cat /o/shadow"] |
		.mounts += [{destination: "/o", type: "overlay", source: "overlay", options: '"$o"'}]'
	refused "overlay $(jq -c --arg w "$WORK" -n "$o" | sed "s|$WORK|W|g")" "ovl$i" "mounts[" "$WORK/ov/u/pwned"
done

# 6. check is the same decision as create (it used to skip the rootfs)
out=$("$HARDRUN" check "$WORK/root-host/config.json" 2>&1)
rc=$?
[ $rc -eq 1 ] && printf '%s' "$out" | grep -q "root.path" && printf '%s' "$out" | grep -q REFUSED &&
	tap_ok "hardrun check refuses the host-dir root.path too" ||
	tap_fail "hardrun check refuses the host-dir root.path" "rc=$rc" "$(printf '%s' "$out" | tail -n 3)"

# 7. positive: a volume beneath a volume root, and the rootfs.  Through an
# idmapped mount container uid N is uid N on the disk: container root's
# file is root's there (docs/security-model.md); without the idmap,
# container root (an unprivileged host uid) could not write the 0755 dir.
bundle vol-ok '.root.readonly=false | .process.args=["sh","-c","touch /data/f /ok && stat -c %u /data/f && cat /proc/self/uid_map"] |
	.mounts += [{destination: "/data", type: "bind", source: ($w + "/volumes/v1"), options: ["rbind"]}]'
n=$((n + 1))
id="sm-idmap-$$-$n"
IDS+=("$id")
out=$(timeout 60 "$OCI_RUNTIME" --root "$HR_TEST_ROOT" run -b "$WORK/vol-ok" "$id" </dev/null 2>&1)
rc=$?
start=$(printf '%s\n' "$out" | awk '$1 == 0 && NF == 3 { print $2; exit }')
inside=$(printf '%s\n' "$out" | head -n 1)
owners=$(stat -c %u "$WORK/volumes/v1/f" 2>/dev/null)
if [ $rc -eq 0 ] && [ "$inside" = 0 ] && [ "$owners" = 0 ] && [ -n "$start" ] && [ "$start" != 0 ]; then
	tap_ok "a root-owned volume beneath a volume root is writable by container root (range $start); files land as the container's ids: $owners"
else
	tap_fail "a volume beneath a volume root is writable by container root" "rc=$rc" "$out" "owners on disk: $owners"
fi
[ $rc -eq 0 ] && [ "$(stat -c %u "$WORK/vol-ok/rootfs/ok" 2>/dev/null)" = 0 ] &&
	[ "$(stat -c %u "$WORK/vol-ok/rootfs/bin/busybox")" = 0 ] && [ -n "$start" ] &&
	tap_ok "the bundle's rootfs is idmapped: container root (host uid $start) wrote /ok" ||
	tap_fail "the bundle's rootfs is idmapped" "rc=$rc" "$(ls -ln "$WORK/vol-ok/rootfs" | head -n 5)"

# 8. the swap race made deterministic: the volume is a directory when
# hardrun decides, and the "runtime" (a wrapper run after the decision)
# replaces it with a symlink to a host dir before runc mounts.  The view was
# made from the object hardrun judged, so the write lands in the volume.
cat >"$WORK/swap-runtime" <<EOF
#!/bin/sh
case " \$* " in *" create "* | *" run "*)
	mv "$WORK/volumes/race" "$WORK/volumes/race.judged" && ln -s "$WORK/hostdir" "$WORK/volumes/race" ;;
esac
exec runc "\$@"
EOF
chmod 755 "$WORK/swap-runtime"
bundle race '.process.args=["sh","-c","touch /x/f"] |
	.mounts += [{destination: "/x", type: "bind", source: ($w + "/volumes/race"), options: ["rbind", "idmap"]}]'
n=$((n + 1))
id="sm-idmap-$$-$n"
IDS+=("$id")
out=$(timeout 60 "$OCI_RUNTIME" --hardrun-runtime "$WORK/swap-runtime" --root "$HR_TEST_ROOT" run -b "$WORK/race" "$id" </dev/null 2>&1)
rc=$?
if [ -L "$WORK/volumes/race" ] && [ ! -e "$WORK/hostdir/f" ] && [ -e "$WORK/volumes/race.judged/f" ]; then
	tap_ok "a volume swapped for a symlink after the decision: the judged directory is what got mounted"
else
	tap_fail "a volume swapped after the decision: the judged directory is mounted" "rc=$rc" "$out" \
		"$(ls -ln "$WORK/hostdir" "$WORK/volumes" 2>&1)"
fi
# 9. the same race on a plain (not idmapped) bind outside the volume
# roots: the source is pinned to the object judged, so the swap to another
# host directory after the decision shows the container the judged one.
mkdir -p "$WORK/plain/src" "$WORK/other"
echo judged >"$WORK/plain/src/marker"
echo swapped >"$WORK/other/marker"
chmod -R a+rX "$WORK/plain" "$WORK/other"
cat >"$WORK/swap-plain" <<EOF
#!/bin/sh
case " \$* " in *" create "* | *" run "*)
	mv "$WORK/plain/src" "$WORK/plain/src.judged" && ln -s "$WORK/other" "$WORK/plain/src" ;;
esac
exec runc "\$@"
EOF
chmod 755 "$WORK/swap-plain"
bundle race-plain '.process.args=["cat","/x/marker"] |
	.mounts += [{destination: "/x", type: "bind", source: ($w + "/plain/src"), options: ["rbind", "ro"]}]'
n=$((n + 1))
id="sm-idmap-$$-$n"
IDS+=("$id")
out=$(timeout 60 "$OCI_RUNTIME" --hardrun-runtime "$WORK/swap-plain" --root "$HR_TEST_ROOT" run -b "$WORK/race-plain" "$id" </dev/null 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ -L "$WORK/plain/src" ] && [ "$out" = judged ]; then
	tap_ok "a plain bind source swapped for a symlink after the decision: the container sees the judged directory"
else
	tap_fail "a plain bind swapped after the decision: the judged directory is mounted" "rc=$rc" "$out"
fi
# 10. what belongs to a container: another container's rootfs is not a
# volume.  B's rootfs is an overlay "the engine" mounted in a layer store
# (layerRoots); while B lives, A asks for it as an idmapped bind and as its
# own root.path.  Either way A would write a setuid-root file into B's
# rootfs (it lands in B's upperdir on the host).
cp -a "$B/rootfs/." "$WORK/layers/cB/lo/"
L=$WORK/layers/cB
if mount -t overlay overlay -o "lowerdir=$L/lo,upperdir=$L/up,workdir=$L/wk" "$L/merged"; then
	bundle rf-B '.process.args=["true"] | .root.path = ($w + "/layers/cB/merged")'
	created rf-B "rf-B-$$"
	if [ -n "$(rt state "rf-B-$$" 2>/dev/null)" ]; then
		tap_ok "B with its rootfs an overlay mounted in a layer store: created"
	else
		tap_fail "B with its rootfs an overlay in a layer store: created" "$out"
	fi
	bundle rf-Abind '.process.args=["sh","-c",$a] | .mounts += [{destination: "/x", type: "bind",
		source: ($w + "/layers/cB/merged"), options: ["rbind", "idmap"]}]'
	refused "A: idmapped bind of live B's rootfs in the layer store" rf-Abind "mounts[" \
		"$L/up/pwned" "$L/merged/pwned"
	bundle rf-Alayer '.process.args=["sh","-c",$a] | .mounts += [{destination: "/x", type: "bind",
		source: ($w + "/layers/cB/lo"), options: ["rbind", "idmap"]}]'
	refused "A: idmapped bind of an image layer (every container's of that image)" rf-Alayer \
		"mounts[" "$L/lo/pwned"
	bundle rf-Aroot '.process.args=["sh","-c",$a] | .root.path = ($w + "/layers/cB/merged")'
	refused "A: root.path = live B's rootfs" rf-Aroot "root.path" "$L/up/pwned" "$L/merged/pwned"
	bundle rf-Aplain '.process.args=["sh","-c",$a] | .root.path = ($w + "/layers/cB/lo")'
	refused "A: root.path = an image layer, not an overlay the engine mounted" rf-Aplain \
		"root.path" "$L/lo/pwned"
	rt delete -f "rf-B-$$" >/dev/null 2>&1
	umount "$L/merged"
else
	tap_fail "overlay mount for the layer-store case" "mount -t overlay failed"
fi
# The same through a volume root: a rootfs in a volume is refused, since
# every container naming the volume could idmap-bind it.
cp -a "$B/rootfs" "$WORK/volumes/cB/"
bundle rf-Bvol '.process.args=["sh","-c",$a] | .root.path = ($w + "/volumes/cB/rootfs")'
refused "root.path inside a volume root" rf-Bvol "root.path" "$WORK/volumes/cB/rootfs/pwned"
tap_end
