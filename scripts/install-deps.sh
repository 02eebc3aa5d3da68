#!/bin/bash
# Install everything hardrun's build and tests need on Debian 12.
#
#   sudo bash scripts/install-deps.sh [--integrations]
#
# --integrations adds docker.io, podman and containerd for the integration
# tests that drive real orchestrators, and what those tests need around
# them (CNI plugins, python3-grpcio for the CRI pod tests).  Idempotent: when dpkg already has
# every package, apt is not touched at all (no network, no lock).
set -euo pipefail

want_integrations=0
for arg in "$@"; do
	case "$arg" in
	--integrations) want_integrations=1 ;;
	-h | --help)
		awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
		exit 0
		;;
	*)
		echo "install-deps: unknown argument: $arg" >&2
		exit 2
		;;
	esac
done

packages=(
	# build
	meson ninja-build pkg-config gcc clang libclang-rt-14-dev
	libyajl-dev libseccomp-dev libcap-dev libselinux1-dev libapparmor-dev
	# runtime under hardrun, bundles, tests
	runc busybox-static jq bats clang-format apparmor uidmap iproute2
	git ca-certificates coreutils procps util-linux findutils
)
if [ "$want_integrations" = 1 ]; then
	# The orchestrators' recommended helpers the tests rely on are named
	# here, since --no-install-recommends would leave them out.
	packages+=(docker.io podman containerd iptables xz-utils
		containernetworking-plugins slirp4netns fuse-overlayfs tini
		# kubernetes.sh's CRI client (pods must run, not skip, in CI)
		# and its manifest check
		python3-grpcio python3-protobuf python3-yaml
		# docker.sh's unix-socket client, built static
		libc6-dev)
fi

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#packages[@]} packages already installed"
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run as root (sudo bash $0 $*) to install them" >&2
	exit 1
fi

log=${HR_DEPS_LOG:-/tmp/hardrun-install-deps.log}
echo "install-deps: installing ${missing[*]} (log: $log)"
export DEBIAN_FRONTEND=noninteractive
{
	echo "=== $(date -u +%FT%TZ) install-deps ${missing[*]}"
} >>"$log"
if ! apt-get -q update >>"$log" 2>&1; then
	echo "install-deps: apt-get update failed; last lines of $log:" >&2
	tail -n 20 "$log" >&2
	exit 1
fi
if ! apt-get -q install -y --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
	echo "install-deps: apt-get install failed for: ${missing[*]}; last lines of $log:" >&2
	tail -n 20 "$log" >&2
	exit 1
fi
echo "install-deps: done"
