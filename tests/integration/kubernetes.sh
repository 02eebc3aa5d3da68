#!/bin/bash
# Kubernetes deployment pieces, tested as far as this machine allows (no
# kubelet, no cluster): the manifests under deploy/kubernetes parse and
# render, the node installer script against scratch copies of containerd
# configs (1.x and 2.x schemas), idempotence, containerd accepting and
# loading the result, and the per-profile binaries it installs.

# shellcheck source=../lib/integ.sh
source "$(dirname "$0")/../lib/integ.sh"
integ_init kubernetes
DEPLOY=$HR_TOP/deploy
INSTALL=$DEPLOY/kubernetes/node-installer/install.sh
HANDLERS="hardrun hardrun-restricted hardrun-untrusted"

# ------------------------------------------------------------------ manifests
if python3 -c 'import yaml' 2>/dev/null; then
	out=$(python3 - "$DEPLOY/kubernetes" <<'EOF' 2>&1
import glob, sys, yaml
docs = []
for f in sorted(glob.glob(sys.argv[1] + "/*.yaml")):
    docs += [(f, d) for d in yaml.safe_load_all(open(f)) if d]
rcs = {d["metadata"]["name"]: d for f, d in docs if d.get("kind") == "RuntimeClass"}
assert set(rcs) == {"hardrun", "hardrun-restricted", "hardrun-untrusted"}, sorted(rcs)
for n, d in rcs.items():
    assert d["apiVersion"] == "node.k8s.io/v1", n
    assert d["handler"] == n, (n, d["handler"])
ds = [d for f, d in docs if d.get("kind") == "DaemonSet"]
assert len(ds) == 1
spec = ds[0]["spec"]["template"]["spec"]
assert spec["hostPID"] is True
init = spec["initContainers"][0]
assert init["command"] == ["/opt/hardrun/install.sh"], init["command"]
assert init["securityContext"]["privileged"] is True
assert any(v["hostPath"]["path"] == "/" for v in spec["volumes"])
sel = ds[0]["spec"]["template"]["spec"]["nodeSelector"]
for d in rcs.values():
    assert d["scheduling"]["nodeSelector"] == sel, "RuntimeClass and installer select other nodes"
print(" ".join(init["args"]))
EOF
	)
	if [ $? = 0 ]; then
		tap_ok "deploy/kubernetes: valid YAML; RuntimeClasses hardrun, hardrun-restricted, hardrun-untrusted with matching handlers; installer DaemonSet on the same nodes"
		DS_ARGS=$out
	else
		tap_fail "deploy/kubernetes manifests" "$out"
	fi
else
	tap_skip "deploy/kubernetes manifests are valid YAML" "python3-yaml not installed (apt-get install python3-yaml)"
fi
if command -v kubectl >/dev/null; then
	out=$(kubectl kustomize "$DEPLOY/kubernetes" 2>&1)
	n=$(printf '%s\n' "$out" | grep -c '^kind: ')
	if [ $? = 0 ] && [ "$n" = 5 ]; then
		tap_ok "kubectl kustomize deploy/kubernetes renders $n objects (kubectl apply -k works offline)"
	else
		tap_fail "kubectl kustomize deploy/kubernetes" "$out"
	fi
else
	tap_skip "kubectl kustomize deploy/kubernetes" "kubectl not installed"
fi

# ----------------------------------------------------------- installer setup
mkdir -p "$T/payload/bin" "$T/payload/share/hardrun"
if integ_hardrun; then
	cp "$HARDRUN" "$T/payload/bin/hardrun"
else
	printf '#!/bin/sh\necho hardrun stand-in\n' >"$T/payload/bin/hardrun"
	chmod 755 "$T/payload/bin/hardrun"
	echo "# note: no hardrun build; the installer copies a stand-in"
fi
cp -r "${HARDRUN_DATADIR:-$HR_TOP/profiles}/policies" "${HARDRUN_DATADIR:-$HR_TOP/profiles}/seccomp" \
	"$T/payload/share/hardrun/"
# The Landlock helper, where a build tree keeps it.
if [ -x "$(dirname "$HARDRUN")/src/rules/hardrun-landlock" ]; then
	mkdir -p "$T/payload/libexec/hardrun"
	cp "$(dirname "$HARDRUN")/src/rules/hardrun-landlock" "$T/payload/libexec/hardrun/"
fi

# new_host NAME CONFIG-SOURCE: a scratch node root with that containerd config.
new_host() {
	mkdir -p "$T/$1/etc/containerd"
	cp "$2" "$T/$1/etc/containerd/config.toml"
}
# install_on NAME [ARGS]: run the installer as the DaemonSet does, with a
# restart command that counts restarts instead of touching a real service.
install_on() {
	local h=$1
	shift
	"$INSTALL" --host-root "$T/$h" --payload "$T/payload" --no-verify \
		--restart-cmd "echo restart >>'$T/$h.restarts'" "$@"
}
restarts() { if [ -f "$T/$1.restarts" ]; then wc -l <"$T/$1.restarts"; else echo 0; fi; }

# A stock containerd 1.6 config, with SystemdCgroup on (kubelet's systemd
# driver) and its one host path (opt plugin) moved into the scratch dir.
containerd config default |
	sed -e 's/SystemdCgroup = false/SystemdCgroup = true/' \
		-e "s|path = \"/opt/containerd\"|path = \"$T/opt\"|" >"$T/default-1.6.toml"
new_host node1 "$T/default-1.6.toml"

# The DaemonSet's own args (minus the host paths) must be ones install.sh takes.
out=$(install_on node1 ${DS_ARGS:+$(printf '%s' "$DS_ARGS" | sed 's|--host-root /host||; s|--payload /opt/hardrun/payload||')} 2>&1)
rc=$?
cp "$T/node1/etc/containerd/config.toml" "$T/first.toml"
if [ $rc = 0 ] && [ -x "$T/node1/usr/local/bin/hardrun" ] &&
	[ "$(readlink "$T/node1/usr/local/bin/hardrun-restricted")" = hardrun ] &&
	[ "$(readlink "$T/node1/usr/local/bin/hardrun-untrusted")" = hardrun ] &&
	[ -f "$T/node1/usr/local/share/hardrun/policies/restricted.json" ] && [ "$(restarts node1)" = 1 ] &&
	{ [ ! -d "$T/payload/libexec/hardrun" ] || [ -x "$T/node1/usr/local/libexec/hardrun/hardrun-landlock" ]; }; then
	tap_ok "installer: binary, hardrun-<profile> symlinks, profiles and helper on the node; containerd restarted once"
else
	tap_fail "installer first run" "rc=$rc" "$out" "restarts=$(restarts node1)"
fi
out=$(install_on node1 2>&1)
if [ $? = 0 ] && cmp -s "$T/first.toml" "$T/node1/etc/containerd/config.toml" && [ "$(restarts node1)" = 1 ]; then
	tap_ok "installer run twice: identical config.toml, no second restart"
else
	tap_fail "installer is idempotent" "$out" "$(diff "$T/first.toml" "$T/node1/etc/containerd/config.toml")" \
		"restarts=$(restarts node1)"
fi
if diff <(sed '/^# BEGIN hardrun/,/^# END hardrun/d' "$T/first.toml" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}') \
	<(sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$T/default-1.6.toml") >/dev/null; then
	tap_ok "installer keeps the rest of config.toml byte for byte"
else
	tap_fail "installer keeps the rest of config.toml" "$(diff "$T/default-1.6.toml" "$T/first.toml" | head -n 20)"
fi

out=$(containerd --config "$T/first.toml" config dump 2>&1)
ok=1
for h in $HANDLERS; do
	printf '%s\n' "$out" | grep -A 20 "runtimes.$h.options\]" | grep -q "BinaryName = \"/usr/local/bin/$h\"" || ok=0
	printf '%s\n' "$out" | grep -A 20 "runtimes.$h.options\]" | grep -q 'SystemdCgroup = true' || ok=0
done
if [ $ok = 1 ]; then
	tap_ok "containerd $(containerd --version | awk '{print $3}') config dump accepts the result: 3 handlers, BinaryName per profile, SystemdCgroup kept"
else
	tap_fail "containerd config dump accepts the installer's result" "$(printf '%s\n' "$out" | tail -n 5)"
fi

# containerd loading it for real, CRI plugin included (own root/state/socket).
mkdir -p "$T/ctrd/root" "$T/ctrd/state"
containerd --config "$T/first.toml" --root "$T/ctrd/root" --state "$T/ctrd/state" \
	--address "$T/ctrd/containerd.sock" >"$T/ctrd/log" 2>&1 &
integ_defer integ_stop_pid $!
if integ_wait_socket "$T/ctrd/containerd.sock" 30 &&
	ctr --address "$T/ctrd/containerd.sock" plugins ls 2>/dev/null |
	awk '$2 == "cri" && $4 == "ok" {f = 1} END {exit !f}'; then
	tap_ok "containerd starts with the result and its CRI plugin loads the hardrun handlers"
else
	tap_fail "containerd loads the installer's result" \
		"$(grep -iE 'error|fatal' "$T/ctrd/log" | tail -n 5)"
fi

# The handlers' binaries pick their profile from their name.
if [ -x "$HARDRUN" ] && (cd "$T" && runc spec 2>/dev/null); then
	ok=1
	for h in $HANDLERS; do
		want=${h#hardrun-}
		[ "$h" = hardrun ] && want=baseline
		"$T/node1/usr/local/bin/$h" check --config "$T/config.json" 2>&1 | grep -q "profile \`$want\`" || ok=0
	done
	if [ $ok = 1 ]; then
		tap_ok "installed hardrun, hardrun-restricted, hardrun-untrusted check with profiles baseline, restricted, untrusted"
	else
		tap_fail "installed handler binaries select their profile" \
			"$("$T/node1/usr/local/bin/hardrun-restricted" check --config "$T/config.json" 2>&1 | head -n 3)"
	fi
else
	tap_skip "installed handler binaries select their profile" "no hardrun build to install"
fi

# containerd 2.x schema (version = 3).
printf 'version = 3\n\n[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]\n  runtime_type = "io.containerd.runc.v2"\n' >"$T/v3.toml"
new_host node2 "$T/v3.toml"
install_on node2 >/dev/null 2>&1
cp "$T/node2/etc/containerd/config.toml" "$T/v3-first.toml"
install_on node2 >/dev/null 2>&1
if python3 - "$T/node2/etc/containerd/config.toml" <<'EOF' 2>/dev/null && cmp -s "$T/v3-first.toml" "$T/node2/etc/containerd/config.toml"; then
import sys, tomllib
c = tomllib.load(open(sys.argv[1], "rb"))
r = c["plugins"]["io.containerd.cri.v1.runtime"]["containerd"]["runtimes"]
assert set(r) == {"runc", "hardrun", "hardrun-restricted", "hardrun-untrusted"}
for h in ("hardrun", "hardrun-restricted", "hardrun-untrusted"):
    assert r[h]["runtime_type"] == "io.containerd.runc.v2"
    assert r[h]["options"]["BinaryName"] == "/usr/local/bin/" + h
EOF
	tap_ok "containerd 2.x config (version = 3): handlers under io.containerd.cri.v1.runtime, valid TOML, idempotent"
else
	tap_fail "containerd 2.x config" "$(cat "$T/node2/etc/containerd/config.toml")"
fi

# No config at all: one is written in the node's containerd schema.
mkdir -p "$T/node3"
out=$(install_on node3 2>&1)
if [ $? = 0 ] && head -n1 "$T/node3/etc/containerd/config.toml" | grep -q '^version = [23]$' &&
	containerd --config "$T/node3/etc/containerd/config.toml" config dump >/dev/null 2>&1; then
	tap_ok "installer on a node without config.toml writes one containerd accepts"
else
	tap_fail "installer without config.toml" "$out"
fi

# A handler configured by hand is not overwritten; nothing changes.
printf 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.hardrun]\n  runtime_type = "io.containerd.runc.v2"\n' >"$T/mine.toml"
new_host node4 "$T/mine.toml"
out=$(install_on node4 2>&1)
if [ $? != 0 ] && cmp -s "$T/mine.toml" "$T/node4/etc/containerd/config.toml" &&
	printf '%s' "$out" | grep -q 'already defines runtime handler `hardrun`' && [ "$(restarts node4)" = 0 ]; then
	tap_ok "installer refuses to overwrite a hand-made hardrun handler; config and containerd untouched"
else
	tap_fail "installer refuses a hand-made handler" "$out"
fi

# Fail closed: a binary that does not run on the node is never installed.
# (hardrun is static, so a node without libc runs it: the payload's binary
# is cut short instead, as a broken download would be.)
new_host node5 "$T/default-1.6.toml"
cp -a "$T/payload" "$T/payload-bad"
head -c 4096 "$T/payload/bin/hardrun" >"$T/payload-bad/bin/hardrun"
out=$("$INSTALL" --host-root "$T/node5" --payload "$T/payload-bad" --restart-cmd "echo restart >>'$T/node5.restarts'" 2>&1)
if [ $? != 0 ] && [ ! -e "$T/node5/usr/local/bin/hardrun" ] && [ ! -e "$T/node5/usr/local/bin/.hardrun.new" ] &&
	cmp -s "$T/default-1.6.toml" "$T/node5/etc/containerd/config.toml" && [ "$(restarts node5)" = 0 ]; then
	tap_ok "installer refuses a binary that does not run in the node's root (here: a truncated ELF); config untouched"
else
	tap_fail "installer verifies the binary on the node" "$out"
fi

# A config.toml that is a symlink (absolute, inside the node's root) is
# edited where it points; the link stays.
mkdir -p "$T/node6/etc/containerd"
cp "$T/default-1.6.toml" "$T/node6/etc/containerd/real.toml"
ln -s /etc/containerd/real.toml "$T/node6/etc/containerd/config.toml"
out=$(install_on node6 2>&1)
if [ $? = 0 ] && [ -L "$T/node6/etc/containerd/config.toml" ] &&
	grep -q '^# BEGIN hardrun' "$T/node6/etc/containerd/real.toml"; then
	tap_ok "installer edits a symlinked config.toml where it points and keeps the link"
else
	tap_fail "installer with a symlinked config.toml" "$out" "$(ls -l "$T/node6/etc/containerd")"
fi

# Uninstall: the block goes (containerd restarted), then binaries and profiles.
out=$(install_on node1 --uninstall 2>&1)
if [ $? = 0 ] && diff <(sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$T/default-1.6.toml") \
	"$T/node1/etc/containerd/config.toml" >/dev/null &&
	[ ! -e "$T/node1/usr/local/bin/hardrun" ] && [ ! -L "$T/node1/usr/local/bin/hardrun-restricted" ] &&
	[ ! -e "$T/node1/usr/local/share/hardrun" ] && [ ! -e "$T/node1/usr/local/libexec/hardrun" ] &&
	[ "$(restarts node1)" = 2 ]; then
	tap_ok "installer --uninstall: config.toml back to the original, binaries and profiles gone, containerd restarted"
else
	tap_fail "installer --uninstall" "$out" "$(diff "$T/default-1.6.toml" "$T/node1/etc/containerd/config.toml" | head -n 5)" \
		"restarts=$(restarts node1)" "$(ls "$T/node1/usr/local/bin" 2>&1)"
fi

# The shipped snippets are what the installer writes.
ok=1
diff <(sed -n '/^# BEGIN hardrun/,/^# END hardrun/p' "$DEPLOY/containerd/config-1.x.toml") \
	<("$INSTALL" --print-snippet 2) >/dev/null || ok=0
diff <(sed -n '/^# BEGIN hardrun/,/^# END hardrun/p' "$DEPLOY/containerd/config-2.x.toml") \
	<("$INSTALL" --print-snippet 3) >/dev/null || ok=0
containerd --config "$DEPLOY/containerd/config-1.x.toml" config dump >/dev/null 2>&1 || ok=0
python3 -c 'import sys, tomllib; tomllib.load(open(sys.argv[1], "rb"))' "$DEPLOY/containerd/config-2.x.toml" || ok=0
if [ $ok = 1 ]; then
	tap_ok "deploy/containerd snippets match the installer; 1.x accepted by containerd config dump, 2.x valid TOML"
else
	tap_fail "deploy/containerd snippets"
fi

# ------------------------------------------------------------- CRI pods
# What a kubelet does for a pod with runtimeClassName hardrun, spoken over
# containerd's CRI socket by a small client (no kubelet or crictl here):
# RunPodSandbox with the runtime handler, CreateContainer, StartContainer,
# ExecSync.  containerd runs on an installer-written config (own root,
# state, socket; CNI: loopback plus a stub plugin that reports an address
# and touches nothing; the pause image is the busybox image running
# /bin/pause).  containerd's stock `runc` handler is the control.
cri_tests() {
	local py=/usr/bin/python3 lo
	if ! $py -c 'import grpc, google.protobuf' 2>/dev/null; then
		HR_CORE=1 tap_skip "CRI pods through the hardrun handlers" "python3-grpcio not installed (scripts/install-deps.sh --integrations)"
		return
	fi
	for lo in /usr/lib/cni/loopback /opt/cni/bin/loopback ""; do [ -x "$lo" ] && break; done
	if [ -z "$lo" ]; then
		HR_CORE=1 tap_skip "CRI pods through the hardrun handlers" "no CNI loopback plugin (scripts/install-deps.sh --integrations)"
		return
	fi
	if [ ! -x "$HARDRUN" ]; then
		tap_skip "CRI pods through the hardrun handlers" "no hardrun build"
		return
	fi
	local d=$T/cri
	mkdir -p "$d/cni" "$d/cnibin" "$d/pods" "$d/ctrd"
	# libcni caches results in /var/lib/cni (not configurable in containerd
	# 1.6): remove it afterwards if this test created it and it is empty.
	[ -d /var/lib/cni ] || integ_defer rmdir /var/lib/cni/results /var/lib/cni
	cat >"$d/cri.py" <<'PYEOF'
#!/usr/bin/python3
# Minimal CRI (runtime.v1) client: the messages a kubelet sends to start a
# pod and a container, built from field numbers at run time (no protoc).
#   cri.py SOCKET METHOD JSON-REQUEST   -> JSON response on stdout
import json
import sys

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format
from google.protobuf import message_factory

F = descriptor_pb2.FieldDescriptorProto
T = {"string": F.TYPE_STRING, "bool": F.TYPE_BOOL, "int64": F.TYPE_INT64,
     "int32": F.TYPE_INT32, "uint32": F.TYPE_UINT32, "bytes": F.TYPE_BYTES}

# name: [(field, number, type, repeated)]; enums are sent as int32 (same wire).
MESSAGES = {
    "Empty": [],
    "VersionRequest": [("version", 1, "string", 0)],
    "VersionResponse": [("version", 1, "string", 0), ("runtime_name", 2, "string", 0),
                        ("runtime_version", 3, "string", 0), ("runtime_api_version", 4, "string", 0)],
    "Int64Value": [("value", 1, "int64", 0)],
    "SecurityProfile": [("profile_type", 1, "int32", 0), ("localhost_ref", 2, "string", 0)],
    "NamespaceOption": [("network", 1, "int32", 0), ("pid", 2, "int32", 0), ("ipc", 3, "int32", 0),
                        ("target_id", 4, "string", 0)],
    "PodSandboxMetadata": [("name", 1, "string", 0), ("uid", 2, "string", 0),
                           ("namespace", 3, "string", 0), ("attempt", 4, "uint32", 0)],
    "LinuxSandboxSecurityContext": [("namespace_options", 1, ".NamespaceOption", 0),
                                    ("run_as_user", 3, ".Int64Value", 0),
                                    ("readonly_rootfs", 4, "bool", 0), ("privileged", 6, "bool", 0),
                                    ("run_as_group", 8, ".Int64Value", 0),
                                    ("seccomp", 9, ".SecurityProfile", 0)],
    "LinuxPodSandboxConfig": [("cgroup_parent", 1, "string", 0),
                              ("security_context", 2, ".LinuxSandboxSecurityContext", 0),
                              ("sysctls", 3, "map", 0)],
    "PodSandboxConfig": [("metadata", 1, ".PodSandboxMetadata", 0), ("hostname", 2, "string", 0),
                         ("log_directory", 3, "string", 0), ("labels", 6, "map", 0),
                         ("annotations", 7, "map", 0), ("linux", 8, ".LinuxPodSandboxConfig", 0)],
    "RunPodSandboxRequest": [("config", 1, ".PodSandboxConfig", 0), ("runtime_handler", 2, "string", 0)],
    "RunPodSandboxResponse": [("pod_sandbox_id", 1, "string", 0)],
    "PodSandboxRequest": [("pod_sandbox_id", 1, "string", 0)],
    "ImageSpec": [("image", 1, "string", 0)],
    "KeyValue": [("key", 1, "string", 0), ("value", 2, "string", 0)],
    "Mount": [("container_path", 1, "string", 0), ("host_path", 2, "string", 0),
              ("readonly", 3, "bool", 0)],
    "Capability": [("add_capabilities", 1, "string", 1), ("drop_capabilities", 2, "string", 1)],
    "LinuxContainerSecurityContext": [("capabilities", 1, ".Capability", 0), ("privileged", 2, "bool", 0),
                                      ("namespace_options", 3, ".NamespaceOption", 0),
                                      ("run_as_user", 5, ".Int64Value", 0),
                                      ("readonly_rootfs", 7, "bool", 0), ("no_new_privs", 11, "bool", 0),
                                      ("run_as_group", 12, ".Int64Value", 0),
                                      ("seccomp", 15, ".SecurityProfile", 0)],
    "LinuxContainerConfig": [("security_context", 2, ".LinuxContainerSecurityContext", 0)],
    "ContainerMetadata": [("name", 1, "string", 0), ("attempt", 2, "uint32", 0)],
    "ContainerConfig": [("metadata", 1, ".ContainerMetadata", 0), ("image", 2, ".ImageSpec", 0),
                        ("command", 3, "string", 1), ("args", 4, "string", 1),
                        ("envs", 6, ".KeyValue", 1), ("mounts", 7, ".Mount", 1),
                        ("labels", 9, "map", 0), ("annotations", 10, "map", 0),
                        ("log_path", 11, "string", 0), ("linux", 15, ".LinuxContainerConfig", 0)],
    "CreateContainerRequest": [("pod_sandbox_id", 1, "string", 0), ("config", 2, ".ContainerConfig", 0),
                               ("sandbox_config", 3, ".PodSandboxConfig", 0)],
    "ContainerRequest": [("container_id", 1, "string", 0), ("timeout", 2, "int64", 0)],
    "CreateContainerResponse": [("container_id", 1, "string", 0)],
    "ExecSyncRequest": [("container_id", 1, "string", 0), ("cmd", 2, "string", 1),
                        ("timeout", 3, "int64", 0)],
    "ExecSyncResponse": [("stdout", 1, "bytes", 0), ("stderr", 2, "bytes", 0), ("exit_code", 3, "int32", 0)],
    "ContainerStatus": [("id", 1, "string", 0), ("state", 3, "int32", 0), ("exit_code", 7, "int32", 0),
                        ("reason", 10, "string", 0), ("message", 11, "string", 0)],
    "ContainerStatusResponse": [("status", 1, ".ContainerStatus", 0), ("info", 2, "map", 0)],
    "PodSandboxStatusRequest": [("pod_sandbox_id", 1, "string", 0), ("verbose", 2, "bool", 0)],
    "PodSandboxStatusResponse": [("info", 2, "map", 0)],
}
# method: (request, response)
METHODS = {
    "Version": ("VersionRequest", "VersionResponse"),
    "RunPodSandbox": ("RunPodSandboxRequest", "RunPodSandboxResponse"),
    "StopPodSandbox": ("PodSandboxRequest", "Empty"),
    "RemovePodSandbox": ("PodSandboxRequest", "Empty"),
    "PodSandboxStatus": ("PodSandboxStatusRequest", "PodSandboxStatusResponse"),
    "CreateContainer": ("CreateContainerRequest", "CreateContainerResponse"),
    "StartContainer": ("ContainerRequest", "Empty"),
    "StopContainer": ("ContainerRequest", "Empty"),
    "RemoveContainer": ("ContainerRequest", "Empty"),
    "ContainerStatus": ("ContainerRequest", "ContainerStatusResponse"),
    "ExecSync": ("ExecSyncRequest", "ExecSyncResponse"),
}


def build():
    fd = descriptor_pb2.FileDescriptorProto(name="hr_cri.proto", package="runtime.v1", syntax="proto3")
    for name, fields in MESSAGES.items():
        m = fd.message_type.add(name=name)
        for fname, num, typ, rep in fields:
            f = m.field.add(name=fname, number=num)
            f.label = F.LABEL_REPEATED if rep or typ == "map" else F.LABEL_OPTIONAL
            if typ == "map":
                entry = "".join(p.capitalize() for p in fname.split("_")) + "Entry"
                e = m.nested_type.add(name=entry)
                e.options.map_entry = True
                e.field.add(name="key", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
                e.field.add(name="value", number=2, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
                f.type = F.TYPE_MESSAGE
                f.type_name = ".runtime.v1.%s.%s" % (name, entry)
            elif typ.startswith("."):
                f.type = F.TYPE_MESSAGE
                f.type_name = ".runtime.v1" + typ
            else:
                f.type = T[typ]
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    get = getattr(message_factory, "GetMessageClass", None)
    if get is None:  # protobuf < 4.22
        get = message_factory.MessageFactory(pool).GetPrototype
    return {n: get(pool.FindMessageTypeByName("runtime.v1." + n)) for n in MESSAGES}


def main():
    sock, method, req = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    classes = build()
    qin, qout = METHODS[method]
    request = json_format.ParseDict(req, classes[qin]())
    with grpc.insecure_channel("unix://" + sock) as ch:
        call = ch.unary_unary("/runtime.v1.RuntimeService/" + method,
                              request_serializer=lambda m: m.SerializeToString(),
                              response_deserializer=classes[qout].FromString)
        try:
            resp = call(request, timeout=120)
        except grpc.RpcError as e:
            print(json.dumps({"error": e.details(), "code": str(e.code())}))
            return 1
    out = json_format.MessageToDict(resp, preserving_proto_field_name=True)
    if qout == "ExecSyncResponse":
        out["stdout"] = resp.stdout.decode(errors="replace")
        out["stderr"] = resp.stderr.decode(errors="replace")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
PYEOF
	ln -s "$lo" "$d/cnibin/loopback"
	cat >"$d/cnibin/hr-stub-ip" <<'EOF'
#!/bin/sh
# A CNI plugin that configures nothing and reports an address, so the CRI
# plugin (which wants eth0's IP) is satisfied without touching the network.
cat >/dev/null
case $CNI_COMMAND in
ADD) printf '{"cniVersion":"0.4.0","interfaces":[{"name":"eth0","sandbox":"%s"}],"ips":[{"version":"4","address":"198.51.100.2/24","interface":0}]}\n' "$CNI_NETNS" ;;
VERSION) echo '{"cniVersion":"0.4.0","supportedVersions":["0.3.0","0.3.1","0.4.0"]}' ;;
esac
EOF
	chmod 755 "$d/cnibin/hr-stub-ip"
	echo '{"cniVersion":"0.4.0","name":"hr-pod","plugins":[{"type":"loopback"},{"type":"hr-stub-ip"}]}' >"$d/cni/10-hr.conflist"
	# restrict_oom_score_adj: this machine's root lacks CAP_SYS_RESOURCE,
	# and the pause container asks for -998.  Pod network namespaces go
	# under the scratch state directory, not /run/netns.
	containerd config default | sed -e "s|path = \"/opt/containerd\"|path = \"$T/opt\"|" \
		-e 's|sandbox_image = .*|sandbox_image = "docker.io/library/hr-pause:latest"|' \
		-e 's/restrict_oom_score_adj = false/restrict_oom_score_adj = true/' \
		-e 's/netns_mounts_under_state_dir = false/netns_mounts_under_state_dir = true/' \
		-e "s|conf_dir = \"/etc/cni/net.d\"|conf_dir = \"$d/cni\"|" \
		-e "s|bin_dir = \"/opt/cni/bin\"|bin_dir = \"$d/cnibin\"|" >"$d/config.toml"
	# The installer as on a node, with the host root / and a scratch prefix
	# and config: this also runs its check of the binary for real.
	if ! out=$("$INSTALL" --host-root / --prefix "$d/inst" --config "$d/config.toml" \
		--payload "$T/payload" --no-restart 2>&1); then
		tap_fail "installer with host root / and a scratch prefix" "$out"
		return
	fi
	# A scratch prefix is not the one compiled in: say where profiles and
	# the Landlock helper are (with prefix /usr/local neither is needed).
	HARDRUN_DATADIR=$d/inst/share/hardrun HARDRUN_AUDIT_LOG=$d/audit.jsonl \
		HARDRUN_LANDLOCK_HELPER=$d/inst/libexec/hardrun/hardrun-landlock \
		containerd --config "$d/config.toml" --root "$d/ctrd/root" --state "$d/ctrd/state" \
		--address "$d/ctrd/sock" >"$d/ctrd/log" 2>&1 &
	integ_defer integ_shims_stop "$d/ctrd"
	integ_defer integ_stop_pid $!
	integ_defer cri_cleanup
	if ! integ_wait_socket "$d/ctrd/sock" 30; then
		tap_fail "containerd with CRI starts" "$(tail -n 5 "$d/ctrd/log")"
		return
	fi
	integ_oci_image "$T/rootfs" docker.io/library/hr-busybox:latest "$d/busybox.tar"
	integ_oci_image "$T/rootfs" docker.io/library/hr-pause:latest "$d/pause.tar" /bin/pause
	ctr --address "$d/ctrd/sock" -n k8s.io image import "$d/busybox.tar" >/dev/null 2>&1
	ctr --address "$d/ctrd/sock" -n k8s.io image import "$d/pause.tar" >/dev/null 2>&1
	out=$(cri Version '{"version": "v1"}')
	if [ "$(printf '%s' "$out" | jq -r .runtime_api_version 2>/dev/null)" = v1 ]; then
		tap_ok "CRI v1 answers on the installer-configured containerd ($(printf '%s' "$out" | jq -r .runtime_version))"
	else
		tap_fail "CRI v1 answers" "$out" "$(tail -n 5 "$d/ctrd/log")"
		return
	fi

	# The control: containerd's own runc handler.
	if ! cri_pod ctl runc '{}' '{}' >/dev/null; then
		tap_skip "CRI pods through the hardrun handlers" "a pod does not start here even with the runc handler: $CRI_ERR"
		return
	fi
	cri_pod base hardrun '{}' '{}'
	if [ -n "$CRI_OUT" ] && cri_hardened "$CRI_OUT"; then
		tap_ok "pod with runtimeClassName hardrun: container hardened (uid_map $(printf '%s\n' "$CRI_OUT" | head -n1 | xargs), NoNewPrivs 1, Seccomp 2)"
		if [ "$(printf '%s\n' "$CRI_OUT" | tail -n1)" = "$(readlink "/proc/$CRI_SB_PID/ns/user")" ]; then
			tap_ok "the pod's container shares the sandbox's user namespace (one range per pod)"
		else
			tap_fail "the pod's container shares the sandbox's user namespace" \
				"container: $(printf '%s\n' "$CRI_OUT" | tail -n1)" "sandbox: $(readlink "/proc/$CRI_SB_PID/ns/user")"
		fi
	else
		tap_fail "pod with runtimeClassName hardrun runs a hardened container" "$CRI_ERR" "$CRI_OUT"
	fi

	# hostPID asked for by the pod: refused with the field to drop, never
	# run in a private pid namespace instead.
	cri_pod hostpid hardrun '{"namespace_options": {"network": 0, "pid": 2, "ipc": 0}}' '{}'
	if printf '%s' "$CRI_ERR" | grep -q 'refused by hardrun profile `baseline`' &&
		printf '%s' "$CRI_ERR" | grep -q 'remedy: drop --pid host (Kubernetes: hostPID)'; then
		tap_ok "a hostPID pod is refused under hardrun, the reason naming hostPID"
	else
		tap_fail "a hostPID pod is refused with its remedy" "$CRI_ERR" "$CRI_OUT"
	fi

	# restricted: a pod meeting the "restricted" Pod Security Standard runs
	# (its sandbox as the pod's non-root user, as the kubelet sends it); in
	# such a pod, a container running as root is refused, and the reason is
	# what the kubelet would put in the pod's events.
	local psc='{"run_as_user": {"value": 1000}, "run_as_group": {"value": 1000}}'
	local ok_sc='{"run_as_user": {"value": 1000}, "run_as_group": {"value": 1000}, "no_new_privs": true,
		"capabilities": {"drop_capabilities": ["ALL"], "add_capabilities": ["NET_BIND_SERVICE"]},
		"seccomp": {"profile_type": 0}}'
	cri_pod rst-ok hardrun-restricted "$psc" "$ok_sc"
	local capeff
	capeff=$(printf '%s\n' "$CRI_OUT" | awk '/^CapEff:/ {print $2}')
	if [ -n "$capeff" ] && (((0x$capeff & ~0x400) == 0)); then
		tap_ok "pod meeting the restricted standard runs under hardrun-restricted (CapEff $capeff)"
	else
		tap_fail "pod meeting the restricted standard runs under hardrun-restricted" "$CRI_ERR" "$CRI_OUT"
	fi
	cri_pod rst-root hardrun-restricted "$psc" '{"run_as_user": {"value": 0}}'
	if printf '%s' "$CRI_ERR" | grep -q '^\(Create\|Start\)Container: .*refused by hardrun profile `restricted`'; then
		tap_ok "in a hardrun-restricted pod, a root container is refused with hardrun's reason"
		echo "#   $(printf '%s' "$CRI_ERR" | cut -c1-300)"
	else
		tap_fail "in a hardrun-restricted pod, a root container is refused with hardrun's reason" "$CRI_ERR" "$CRI_OUT"
	fi
	# The operator's view: the pod and namespace Kubernetes knows them by.
	if [ -s "$d/audit.jsonl" ] &&
		jq -se 'any(.[]; .pod == "base" and .namespace == "hr-test" and .profile == "baseline") and
			any(.[]; .pod == "rst-root" and .profile == "restricted")' "$d/audit.jsonl" >/dev/null 2>&1; then
		tap_ok "audit log names each decision's pod and namespace: $(jq -sc 'map(.namespace + "/" + .pod + " " + .profile + " " + .verdict) | unique' "$d/audit.jsonl")"
	else
		tap_fail "audit log records the pods' containers" "$(tail -n 2 "$d/audit.jsonl" 2>&1 | cut -c1-300)"
	fi
}
cri() { /usr/bin/python3 "$T/cri/cri.py" "$T/cri/ctrd/sock" "$@"; }
CRI_SANDBOXES=()
cri_cleanup() {
	local sb
	for sb in "${CRI_SANDBOXES[@]}"; do
		cri StopPodSandbox "{\"pod_sandbox_id\": \"$sb\"}"
		cri RemovePodSandbox "{\"pod_sandbox_id\": \"$sb\"}"
	done
}
# cri_pod NAME HANDLER POD-SECURITY-CONTEXT CONTAINER-SECURITY-CONTEXT (JSON):
# a pod (own network namespace, like any pod) with one container running
# sleep; sets CRI_OUT (what the container sees), CRI_ERR (the first failing
# call and its error), CRI_SB_PID (the sandbox's pause pid).
cri_pod() {
	local name=$1 handler=$2 psc=$3 sc=$4 pod r sb cid
	CRI_OUT='' CRI_ERR='' CRI_SB_PID=''
	mkdir -p "$T/cri/pods/$name"
	pod=$(jq -nc --arg n "$name" --arg l "$T/cri/pods/$name" --argjson sc "$psc" '{metadata: {name: $n,
		uid: ("uid-" + $n), namespace: "hr-test"}, log_directory: $l, linux: {security_context:
		({namespace_options: {network: 0, pid: 1, ipc: 0}} + $sc)}}')
	r=$(cri RunPodSandbox "$(jq -nc --argjson p "$pod" --arg h "$handler" '{config: $p, runtime_handler: $h}')")
	sb=$(printf '%s' "$r" | jq -r '.pod_sandbox_id // empty')
	if [ -z "$sb" ]; then
		CRI_ERR="RunPodSandbox: $(printf '%s' "$r" | jq -r .error)"
		return 1
	fi
	CRI_SANDBOXES+=("$sb")
	CRI_SB_PID=$(ctr --address "$T/cri/ctrd/sock" -n k8s.io task ls 2>/dev/null | awk -v s="$sb" '$1 == s {print $2}')
	r=$(cri CreateContainer "$(jq -nc --arg sb "$sb" --argjson p "$pod" --argjson sc "$sc" '{pod_sandbox_id: $sb,
		sandbox_config: $p, config: {metadata: {name: "c"}, image: {image: "docker.io/library/hr-busybox:latest"},
		command: ["sleep", "300"], log_path: "c.log", linux: {security_context: $sc}}}')")
	cid=$(printf '%s' "$r" | jq -r '.container_id // empty')
	if [ -z "$cid" ]; then
		CRI_ERR="CreateContainer: $(printf '%s' "$r" | jq -r .error)"
		return 1
	fi
	r=$(cri StartContainer "{\"container_id\": \"$cid\"}")
	if printf '%s' "$r" | jq -e .error >/dev/null; then
		CRI_ERR="StartContainer: $(printf '%s' "$r" | jq -r .error)"
		return 1
	fi
	r=$(cri ExecSync "$(jq -nc --arg c "$cid" '{container_id: $c, timeout: 30, cmd: ["sh", "-c",
		"cat /proc/self/uid_map; grep -E \"^(CapEff|NoNewPrivs|Seccomp):\" /proc/self/status; readlink /proc/self/ns/user"]}')")
	CRI_OUT=$(printf '%s' "$r" | jq -r '.stdout // empty')
	[ -n "$CRI_OUT" ] || CRI_ERR="ExecSync: $(printf '%s' "$r" | jq -r '.error // .stderr')"
	[ -n "$CRI_OUT" ]
}
cri_hardened() {
	local capeff
	capeff=$(printf '%s\n' "$1" | awk '/^CapEff:/ {print $2}')
	[ "$(printf '%s\n' "$1" | awk 'NR==1 && NF==3 {print $2}')" != 0 ] &&
		[ -n "$(printf '%s\n' "$1" | awk 'NR==1 && NF==3')" ] && [ -n "$capeff" ] &&
		((((0x$capeff >> 21) & 1) == 0)) &&
		printf '%s\n' "$1" | grep -qE '^NoNewPrivs:[[:space:]]+1$' &&
		printf '%s\n' "$1" | grep -qE '^Seccomp:[[:space:]]+2$'
}
integ_rootfs "$T/rootfs"
cri_tests

tap_skip "pods through a kubelet" \
	"no kubelet on this machine; the kubelet's CRI calls are made directly above"

tap_end
