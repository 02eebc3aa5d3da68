#!/bin/bash
# `hardrun install docker|containerd|podman` then `hardrun doctor`, on
# scratch config files as an operator's would look: the engine's own
# settings around ours must survive, a second install changes nothing,
# --uninstall gives the file back, a file hardrun cannot edit safely is
# left as it was.  Each engine parses the result itself where it can
# (containerd config dump, podman info, dockerd in docker.sh).
#
# Needs jq; containerd and podman for their parse checks.

# shellcheck source=../lib/integ.sh
source "$(dirname "$0")/../lib/integ.sh"
# shellcheck disable=SC2034 # read by tap_skip in common.sh
HR_CORE=1
integ_init install
integ_hardrun || {
	tap_skip "hardrun install and doctor" "no hardrun binary (set HARDRUN or build it)"
	tap_end
	exit
}
# The per-profile links go beside the binary: use a copy in the scratch
# dir, not the build tree.
mkdir -p "$T/bin"
cp "$HARDRUN" "$T/bin/hardrun"
H=$T/bin/hardrun
export HARDRUN_DATADIR=${HARDRUN_DATADIR:-$HR_TOP/profiles}

same() { cmp -s "$1" "$2"; }

# ------------------------------------------------------------------- docker
D=$T/daemon.json
printf '{\n  "log-level": "warn",\n  "runtimes": {"crun": {"path": "/usr/bin/crun"}},\n  "default-runtime": "runc"\n}\n' >"$D"
cp "$D" "$T/daemon.orig"
out=$("$H" install docker --config "$D" 2>&1)
if jq -e --arg p "$H" '.runtimes.hardrun == {path: $p, runtimeArgs: ["--hardrun-profile=baseline"]} and
	.runtimes."hardrun-untrusted".runtimeArgs == ["--hardrun-profile=untrusted"] and
	.runtimes.crun.path == "/usr/bin/crun" and ."log-level" == "warn" and ."default-runtime" == "runc"' \
	"$D" >/dev/null 2>&1; then
	tap_ok "install docker: three runtimes added, the host's runtimes and settings kept"
else
	tap_fail "install docker adds the runtimes and keeps the rest" "$out" "$(cat "$D")"
fi
cp "$D" "$T/daemon.once"
out=$("$H" install docker --config "$D" 2>&1)
if same "$D" "$T/daemon.once" && [[ $out == *"already up to date"* ]]; then
	tap_ok "install docker twice: the file is not touched the second time"
else
	tap_fail "install docker is idempotent" "$out"
fi
jq '. + {"default-runtime": "hardrun"}' "$D" >"$D.new" && mv "$D.new" "$D"
"$H" install docker --config "$D" --uninstall >/dev/null 2>&1
if jq -e '(.runtimes | keys) == ["crun"] and (has("default-runtime") | not) and ."log-level" == "warn"' \
	"$D" >/dev/null 2>&1; then
	tap_ok "install docker --uninstall: ours and a default-runtime naming ours removed, the rest kept"
else
	tap_fail "install docker --uninstall" "$(cat "$D")"
fi
printf '{"runtimes": [' >"$T/bad.json"
cp "$T/bad.json" "$T/bad.orig"
out=$("$H" install docker --config "$T/bad.json" 2>&1)
rc=$?
if [ $rc = 1 ] && same "$T/bad.json" "$T/bad.orig" && [[ $out == *bad.json* ]]; then
	tap_ok "install docker on a daemon.json that does not parse: exit 1, file untouched, the file named"
else
	tap_fail "install docker on a broken daemon.json" "rc=$rc" "$out"
fi

# --------------------------------------------------------------- containerd
C=$T/config.toml
printf 'version = 2\nroot = "%s/ctrd"\n\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n  SystemdCgroup = true\n' "$T" >"$C"
cp "$C" "$T/config.orig"
out=$("$H" install containerd --config "$C" 2>&1)
n=$(grep -c 'BinaryName' "$C")
if [ "$n" = 3 ] && grep -q "BinaryName = \"$T/bin/hardrun-restricted\"" "$C" &&
	[ "$(readlink "$T/bin/hardrun-restricted")" = hardrun ] && [ "$(grep -c 'SystemdCgroup = true' "$C")" = 4 ] &&
	head -n 5 "$C" | cmp -s - "$T/config.orig"; then
	tap_ok "install containerd: three handlers (profile by binary name, links made), the runc handler's SystemdCgroup copied, the file's own lines kept"
else
	tap_fail "install containerd" "$out" "$(cat "$C")"
fi
if command -v containerd >/dev/null; then
	dump=$(containerd --config "$C" config dump 2>&1)
	if printf '%s' "$dump" | grep -q 'runtimes.hardrun-untrusted.options' &&
		printf '%s' "$dump" | grep -q "BinaryName = \"$T/bin/hardrun-untrusted\""; then
		tap_ok "containerd config dump reads the handlers back"
	else
		tap_fail "containerd parses the installed config" "$(printf '%s' "$dump" | tail -n 3)"
	fi
else
	HR_CORE=0 tap_skip "containerd config dump reads the handlers back" "containerd not installed"
fi
cp "$C" "$T/config.once"
out=$("$H" install containerd --config "$C" 2>&1)
if same "$C" "$T/config.once" && [[ $out == *"already up to date"* ]]; then
	tap_ok "install containerd twice: the block is replaced by itself, the file not touched"
else
	tap_fail "install containerd is idempotent" "$(diff "$T/config.once" "$C")"
fi
"$H" install containerd --config "$C" --uninstall >/dev/null 2>&1
if same "$C" "$T/config.orig"; then
	tap_ok "install containerd --uninstall: the file is byte for byte the original"
else
	tap_fail "install containerd --uninstall restores the original" "$(diff "$T/config.orig" "$C")"
fi
mkdir -p "$T/real"
printf 'version = 2\n' >"$T/real/config.toml"
ln -s real/config.toml "$T/link.toml"
"$H" install containerd --config "$T/link.toml" >/dev/null 2>&1
if [ -L "$T/link.toml" ] && grep -q 'runtimes.hardrun]' "$T/real/config.toml"; then
	tap_ok "install containerd on a symlinked config: edited where it points, still a link"
else
	tap_fail "install containerd follows a symlinked config" "$(ls -l "$T/link.toml" "$T/real" 2>&1)"
fi
printf 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.hardrun]\n  runtime_type = "io.containerd.runc.v2"\n' >"$T/hand.toml"
cp "$T/hand.toml" "$T/hand.orig"
out=$("$H" install containerd --config "$T/hand.toml" 2>&1)
if [ $? = 1 ] && same "$T/hand.toml" "$T/hand.orig" && [[ $out == *"configured by hand"* ]]; then
	tap_ok "install containerd next to a hand-made hardrun handler: refused, file untouched"
else
	tap_fail "install containerd refuses to define a handler twice" "$out"
fi

# ------------------------------------------------------------------- podman
P=$T/containers.conf.d/hardrun.conf
out=$("$H" install podman --config "$P" 2>&1)
if grep -qx "hardrun-untrusted = \[\"$T/bin/hardrun-untrusted\"\]" "$P" 2>/dev/null; then
	tap_ok "install podman: a containers.conf.d drop-in with the three runtimes"
else
	tap_fail "install podman writes the drop-in" "$out"
fi
if command -v podman >/dev/null; then
	# podman merges the drop-in over its configuration: the runtime name
	# resolves to the installed path.
	got=$(CONTAINERS_CONF=$P podman --root "$T/ps" --runroot "$T/pr" --runtime hardrun-restricted \
		info --format '{{.Host.OCIRuntime.Path}}' 2>&1)
	if [ "$got" = "$T/bin/hardrun-restricted" ]; then
		tap_ok "podman reads the drop-in: --runtime hardrun-restricted is $got"
	else
		tap_fail "podman resolves the installed runtime" "$got"
	fi
else
	HR_CORE=0 tap_skip "podman reads the drop-in" "podman not installed"
fi
printf '[engine]\ncgroup_manager = "cgroupfs"\n' >"$T/own.conf"
cp "$T/own.conf" "$T/own.orig"
out=$("$H" install podman --config "$T/own.conf" 2>&1)
if [ $? = 1 ] && same "$T/own.conf" "$T/own.orig" && [[ $out == *"drop-in"* ]]; then
	tap_ok "install podman into a file with its own [engine]: refused (a second [engine] is a TOML error), file untouched"
else
	tap_fail "install podman refuses a file with its own [engine]" "$out"
fi

# ------------------------------------------------------------------- doctor
"$H" install docker --config "$D" >/dev/null 2>&1
out=$("$H" doctor --docker-config "$D" --containerd-config "$T/none.toml" --podman-config "$P" 2>&1)
rc=$?
if printf '%s\n' "$out" | grep -qE "^ok +docker .*registered in $D" &&
	printf '%s\n' "$out" | grep -qE "^warn +containerd .*not registered" &&
	printf '%s\n' "$out" | grep -qF "remedy: hardrun install containerd --config $T/none.toml" &&
	printf '%s\n' "$out" | grep -qE '^ok +user namespaces' && printf '%s\n' "$out" | grep -qE '^(ok|FAIL) +idmapped mounts' &&
	printf '%s\n' "$out" | grep -qE '^(ok|warn|FAIL) +cgroups'; then
	tap_ok "doctor after install: docker registered, containerd not (with the install command), userns, idmap and cgroups checked (exit $rc)"
else
	tap_fail "doctor reports the registration and the host" "rc=$rc" "$out"
fi
printf '{"hooks": {"allowed": "not a list"}}' >"$T/policy.json"
out=$("$H" --hardrun-policy "$T/policy.json" doctor --docker-config "$D" 2>&1)
rc=$?
if [ $rc = 1 ] && printf '%s\n' "$out" | grep -qE "^FAIL +policy .*policy.json.*refused"; then
	tap_ok "doctor with a policy that does not parse: FAIL naming the file and what it refuses, exit 1"
else
	tap_fail "doctor fails on a broken policy" "rc=$rc" "$out"
fi

tap_end
