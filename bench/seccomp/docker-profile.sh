#!/bin/bash
# Print the linux.seccomp object dockerd really sends to its runtime for a
# default `docker run` (its built-in profile resolved for this machine's
# architecture, kernel and Docker's default capabilities).  Starts a private
# dockerd (own socket, data root, containerd namespace, no networking
# changes), runs one busybox container through a runtime that records its
# config.json, and stops that dockerd again.  Exit 1 without output if
# anything is missing.
#
#   bench/seccomp/docker-profile.sh >docker-default.json
set -u
command -v dockerd >/dev/null && command -v docker >/dev/null && [ -x /bin/busybox ] || exit 1
W=$(mktemp -d /tmp/hr-dockerd.XXXXXX)
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
	fi
	grep -o " $W/[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

cat >"$W/record" <<EOF
#!/bin/sh
prev=
for a in "\$@"; do
	case "\$prev" in --bundle | -b) cp "\$a/config.json" "$W/config.json" ;; esac
	prev=\$a
done
exec runc "\$@"
EOF
chmod +x "$W/record"
mkdir -p "$W/rootfs/bin" "$W/data" "$W/exec"
cp /bin/busybox "$W/rootfs/bin/"
ln -s busybox "$W/rootfs/bin/true"
dockerd --data-root "$W/data" --exec-root "$W/exec" --pidfile "$W/pid" \
	-H "unix://$W/docker.sock" --bridge=none --iptables=false --ip-masq=false \
	--containerd-namespace hr-bench --containerd-plugins-namespace hr-bench-plugins \
	--add-runtime "record=$W/record" >"$W/log" 2>&1 &
pid=$!
export DOCKER_HOST=unix://$W/docker.sock
for _ in $(seq 100); do docker version >/dev/null 2>&1 && break; sleep 0.2; done
tar -C "$W/rootfs" -c bin | docker import - hr-bench-busybox:1 >/dev/null 2>&1 &&
	docker run --rm --runtime record --network none hr-bench-busybox:1 /bin/true >/dev/null 2>&1
docker rmi hr-bench-busybox:1 >/dev/null 2>&1
[ -s "$W/config.json" ] || exit 1
jq '.linux.seccomp' "$W/config.json"
