#!/bin/bash
# containerd integration: a standalone containerd (own --root, --state and
# socket under a scratch dir), an OCI image imported with `ctr image import`,
# containers started with `ctr run --runc-binary hardrun` through
# containerd-shim-runc-v2.  What a ctr user sees: the container's /proc, the
# error ctr prints when hardrun refuses (the shim reads it from the
# --log-format json file hardrun writes).
#
# Needs root, containerd, ctr, containerd-shim-runc-v2 (Debian: containerd).

# shellcheck source=../lib/integ.sh
source "$(dirname "$0")/../lib/integ.sh"
# shellcheck disable=SC2034 # read by tap_skip in common.sh
HR_CORE=1
integ_init containerd
IMG=docker.io/library/hr-busybox:latest
STATUS_SH='cat /proc/self/uid_map; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status'

skip_all() {
	local d
	for d in "ctr run --runc-binary hardrun" "ctr task exec" "ctr task kill/delete" \
		"refusal reason through the shim" "profile from the binary name"; do
		tap_skip "$d" "$1"
	done
	tap_end
	exit
}
need_root || skip_all "needs root (containerd)"
for b in containerd ctr containerd-shim-runc-v2; do
	command -v $b >/dev/null || skip_all "$b not installed (apt-get install containerd)"
done
integ_hardrun || skip_all "no hardrun binary (set HARDRUN or build it)"

# containerd passes its environment to the shims, and they to hardrun.
export HARDRUN_AUDIT_LOG=$T/audit.jsonl
if integ_containerd_start "$T/containerd"; then
	tap_ok "standalone containerd $(containerd --version | awk '{print $3}') on $CTRD_SOCK"
else
	tap_fail "standalone containerd starts" "$(tail -n 5 "$T/containerd/containerd.log")"
	tap_end
	exit
fi
# A namespace of its own: the shim keeps runc state under
# /run/containerd/runc/<namespace> whatever the daemon's --state says.
CTR_NS=hr-integ-$$
c() { ctr --address "$CTRD_SOCK" -n "$CTR_NS" "$@"; }
integ_defer rmdir "/run/containerd/runc/$CTR_NS"
# runc removes each container's cgroup, not the namespace's parent directory
# containerd made in every hierarchy.
ns_cgroups_rm() { rmdir /sys/fs/cgroup/*/"$CTR_NS" /sys/fs/cgroup/"$CTR_NS" 2>/dev/null || true; }
integ_defer ns_cgroups_rm
# Tasks left by a failed check go before containerd (deferred last: runs first).
ctr_rm_all() {
	local t
	for t in $(c task ls -q 2>/dev/null); do c task kill -s KILL "$t"; done
	sleep 0.5
	for t in $(c task ls -q 2>/dev/null); do c task delete -f "$t"; done
	for t in $(c container ls -q 2>/dev/null); do c container delete "$t"; done
}
integ_defer ctr_rm_all

integ_rootfs "$T/rootfs"
integ_oci_image "$T/rootfs" "$IMG" "$T/image.tar"
if out=$(c image import "$T/image.tar" 2>&1) && c image ls -q | grep -qx "$IMG"; then
	tap_ok "busybox OCI image imported with ctr image import"
else
	tap_fail "ctr image import" "$out"
fi

out=$(c run --rm --runc-binary "$HARDRUN" "$IMG" hr-t1 sh -c \
	"$STATUS_SH; echo more >>/root/image-file && touch /new && echo WRITABLE" 2>&1)
rc=$?
map=$(printf '%s\n' "$out" | awk 'NR==1 && NF==3 {print $1, $2, $3}')
if [ $rc = 0 ] && [ -n "$map" ] && [ "$(echo "$map" | cut -d' ' -f1,2)" != "0 0" ]; then
	tap_ok "ctr run --runc-binary hardrun: container root is not host root (uid_map $map)"
else
	tap_fail "ctr run --runc-binary hardrun: user namespace" "rc=$rc" "$out"
fi
capeff=$(printf '%s\n' "$out" | awk '/^CapEff:/ {print $2}')
if [ -n "$capeff" ] && ((((0x$capeff >> 21) & 1) == 0 && ((0x$capeff >> 13) & 1) == 0)); then
	tap_ok "CapEff $capeff has neither CAP_SYS_ADMIN nor CAP_NET_RAW"
else
	tap_fail "CapEff without CAP_SYS_ADMIN and CAP_NET_RAW" "$out"
fi
if printf '%s\n' "$out" | grep -qE '^NoNewPrivs:[[:space:]]+1$' &&
	printf '%s\n' "$out" | grep -qE '^Seccomp:[[:space:]]+2$'; then
	tap_ok "NoNewPrivs: 1 and Seccomp: 2 inside the container"
else
	tap_fail "NoNewPrivs: 1 and Seccomp: 2 inside the container" "$out"
fi
if printf '%s\n' "$out" | grep -qx WRITABLE; then
	tap_ok "container root can write the image's root-owned files"
else
	tap_fail "container root can write the image's root-owned files" "$out"
fi

# Detached tasks: exec joins the hardened container; two tasks, two ranges.
# As pid 1, sh only dies from TERM with a handler.
c run -d --runc-binary "$HARDRUN" "$IMG" hr-t2 sh -c 'trap "exit 0" TERM; sleep 300 & wait' >/dev/null 2>"$T/t2.err"
c run -d --runc-binary "$HARDRUN" "$IMG" hr-t3 sleep 300 >/dev/null 2>"$T/t3.err"
out=$(c task exec --exec-id e1 hr-t2 sh -c "$STATUS_SH" 2>&1)
m2=$(printf '%s\n' "$out" | awk 'NR==1 {print $2}')
if [ -n "$m2" ] && [ "$m2" != 0 ] && printf '%s\n' "$out" | grep -qE '^NoNewPrivs:[[:space:]]+1$' &&
	printf '%s\n' "$out" | grep -qE '^Seccomp:[[:space:]]+2$'; then
	tap_ok "ctr task exec runs in the container's user namespace with NoNewPrivs and seccomp"
else
	tap_fail "ctr task exec hardened like the container" "$out" "$(cat "$T/t2.err")"
fi
m3=$(c task exec --exec-id e2 hr-t3 head -n1 /proc/self/uid_map 2>&1 | awk '{print $2}')
if [ -n "$m2" ] && [ -n "$m3" ] && [ "$m2" != "$m3" ] && [ "$m3" != 0 ]; then
	tap_ok "each container gets its own id range (host $m2 and $m3)"
else
	tap_fail "each container gets its own id range" "t2=$m2 t3=$m3" "$(cat "$T/t3.err")"
fi

out=$(c task kill -s TERM hr-t2 2>&1; c task kill -s KILL hr-t3 2>&1)
for _ in $(seq 50); do
	[ -z "$(c task ls 2>/dev/null | awk 'NR>1 && $3=="RUNNING"')" ] && break
	sleep 0.1
done
st=$(c task ls 2>&1 | awk 'NR>1 {print $1 "=" $3}' | sort | tr '\n' ' ')
if [ "$st" = "hr-t2=STOPPED hr-t3=STOPPED " ]; then
	tap_ok "ctr task kill stops both tasks"
else
	tap_fail "ctr task kill stops both tasks" "$out" "$st"
fi
out=$(c task delete hr-t2 hr-t3 2>&1 && c container delete hr-t2 hr-t3 2>&1)
if [ -z "$(c task ls -q)" ] && [ -z "$(c container ls -q)" ]; then
	tap_ok "ctr task delete and container delete leave nothing behind"
else
	tap_fail "ctr task/container delete" "$out" "$(c task ls)"
fi

# Refusals: hardrun exits 1 after writing its reason as the last JSON line
# of the --log file the shim gave it; the shim returns that line to ctr.
out=$(c run --rm --runc-binary "$HARDRUN" \
	--mount type=bind,src=/,dst=/host,options=rbind:rw "$IMG" hr-t4 true 2>&1)
rc=$?
if [ $rc != 0 ] && printf '%s' "$out" | grep -q 'refused by hardrun profile `baseline`: mounts'; then
	tap_ok "a bind of / is refused; ctr shows hardrun's reason from the shim"
	echo "#   $(printf '%s' "$out" | head -n1 | cut -c1-300)"
else
	tap_fail "a bind of / is refused with hardrun's reason" "rc=$rc" "$out"
fi

# What a user asked for beyond the profile is refused with the flag to
# drop, never run without it.
out=$(c run --rm --runc-binary "$HARDRUN" --privileged "$IMG" hr-t6 sh -c "$STATUS_SH" 2>&1)
if printf '%s' "$out" | grep -q 'refused by hardrun' && printf '%s' "$out" | grep -q 'remedy: drop --privileged' &&
	! printf '%s' "$out" | grep -q '^CapEff'; then
	tap_ok "ctr run --privileged refused; ctr shows the reason and the remedy"
else
	tap_fail "ctr run --privileged refused with the remedy" "$out"
fi
out=$(c run --rm --runc-binary "$HARDRUN" --cap-add CAP_SYS_ADMIN "$IMG" hr-t7 true 2>&1)
if printf '%s' "$out" | grep -q 'remedy: drop --cap-add SYS_ADMIN'; then
	tap_ok "ctr run --cap-add CAP_SYS_ADMIN refused; the remedy names the capability"
else
	tap_fail "ctr run --cap-add CAP_SYS_ADMIN refused with the remedy" "$out"
fi
c container delete hr-t6 hr-t7 >/dev/null 2>&1

# The binary name picks the profile: a hardrun-restricted symlink is what a
# containerd handler per profile points BinaryName at.  restricted refuses a
# container running as root with the default capabilities.
mkdir -p "$T/bin"
ln -s "$HARDRUN" "$T/bin/hardrun-restricted"
out=$(c run --rm --runc-binary "$T/bin/hardrun-restricted" "$IMG" hr-t5 true 2>&1)
if printf '%s' "$out" | grep -q 'refused by hardrun profile `restricted`'; then
	tap_ok "BinaryName hardrun-restricted (symlink) selects profile restricted"
	echo "#   $(printf '%s' "$out" | head -n1 | cut -c1-300)"
else
	tap_fail "BinaryName hardrun-restricted selects profile restricted" "$out"
fi
c container delete hr-t4 hr-t5 >/dev/null 2>&1

if jq -e . "$HARDRUN_AUDIT_LOG" >/dev/null 2>&1 &&
	jq -se 'any(.[]; .id == "hr-t1" and .profile == "baseline" and .verdict == "allowed")' "$HARDRUN_AUDIT_LOG" >/dev/null &&
	jq -se 'any(.[]; .id == "hr-t4" and .verdict != "allowed")' "$HARDRUN_AUDIT_LOG" >/dev/null &&
	jq -se 'any(.[]; .id == "hr-t5" and .profile == "restricted" and .verdict != "allowed")' "$HARDRUN_AUDIT_LOG" >/dev/null; then
	tap_ok "audit log: JSON lines with ctr's container ids, profiles and verdicts (hr-t1 allowed, hr-t4 and hr-t5 refused)"
else
	tap_fail "audit log records containerd's containers" "$(tail -n 2 "$HARDRUN_AUDIT_LOG" 2>&1 | cut -c1-400)"
fi

tap_end
