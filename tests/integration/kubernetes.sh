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
	[ -f "$T/node1/usr/local/share/hardrun/policies/restricted.json" ] && [ "$(restarts node1)" = 1 ]; then
	tap_ok "installer: binary, hardrun-<profile> symlinks and profiles on the node; containerd restarted once"
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
new_host node5 "$T/default-1.6.toml"
out=$("$INSTALL" --host-root "$T/node5" --payload "$T/payload" --restart-cmd "echo restart >>'$T/node5.restarts'" 2>&1)
if [ $? != 0 ] && [ ! -e "$T/node5/usr/local/bin/hardrun" ] && [ ! -e "$T/node5/usr/local/bin/.hardrun.new" ] &&
	cmp -s "$T/default-1.6.toml" "$T/node5/etc/containerd/config.toml" && [ "$(restarts node5)" = 0 ]; then
	tap_ok "installer refuses a binary that does not run in the node's root (here: no libc); config untouched"
else
	tap_fail "installer verifies the binary on the node" "$out"
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

tap_skip "pods with runtimeClassName hardrun* on a node" \
	"no kubelet or CRI client (crictl) on this machine; the containerd handler path is covered by containerd.sh"

tap_end
