#!/bin/bash
# Hostile and broken input: every config in tests/corpus/configs, every
# policy in tests/corpus/policies and a set of hostile bundle layouts.  For
# each, hardrun must exit non-zero with a one-line reason in runc's log
# format (--log-format json), the container must not exist afterwards, and
# the bundle's config.json must be byte-identical to what it was.
. "$(dirname "$0")/../lib/common.sh"
HR_CORE=1
corpus=$HR_TOP/tests/corpus
expect_hardrun || HR_CORE=0 hr_skip_all "bad-input checks" "they are about hardrun, not the runc control"
need_root || hr_skip_all "bad-input checks" "needs root"
work=$(mktemp -d /tmp/hr-bad.XXXXXX)
trap 'umount -l "$work"/ro "$work"/full/rootfs "$work"/full 2>/dev/null; rm -rf "$work" "$HR_TEST_ROOT"' EXIT
make_bundle "$work/template" true
audit=$work/audit.log

# refused NAME BUNDLE EXPECT ARGS...: run hardrun create, check everything.
n_cases=0
refused() {
	local name=$1 bundle=$2 expect=$3
	shift 3
	local log=$work/${name//\//_}.log id="bad-$n_cases" before="" after=""
	n_cases=$((n_cases + 1))
	[ -f "$bundle/config.json" ] && before=$(sha256sum <"$bundle/config.json")
	timeout 20 "$OCI_RUNTIME" --root "$HR_TEST_ROOT" --log "$log" --log-format json \
		--hardrun-audit-log "$audit" "$@" create --bundle "$bundle" "$id" >/dev/null 2>"$work/stderr"
	local rc=$?
	[ -f "$bundle/config.json" ] && after=$(sha256sum <"$bundle/config.json")
	local last msg problems=()
	last=$(tail -n 1 "$log" 2>/dev/null)
	msg=$(printf '%s' "$last" | jq -r 'select(.level == "error") | .msg' 2>/dev/null)
	[ "$rc" -ne 0 ] || problems+=("exit status 0")
	[ "$rc" -ne 124 ] || problems+=("timed out")
	[ -n "$msg" ] || problems+=("no error line in runc's JSON log format: '$last'")
	[ "$(wc -l <"$log" 2>/dev/null)" = 1 ] || problems+=("log is not exactly one line")
	printf '%s' "$msg" | grep -qiF -- "$expect" || problems+=("reason lacks '$expect': $msg")
	[ "$before" = "$after" ] || problems+=("config.json changed")
	runc --root "$HR_TEST_ROOT" state "$id" >/dev/null 2>&1 && {
		problems+=("container exists")
		runc --root "$HR_TEST_ROOT" delete -f "$id" >/dev/null 2>&1
	}
	if [ ${#problems[@]} -eq 0 ]; then
		tap_ok "$name: refused ($msg)"
	else
		tap_fail "$name" "${problems[@]}"
	fi
}

fresh() { # fresh DIR: a copy of the template bundle
	rm -rf "$1"
	cp -a "$work/template" "$1"
}

profile_args() {
	case $1 in
	deny-all) echo "--hardrun-profile=$corpus/profiles/deny-all.json" ;;
	*) echo "--hardrun-profile=$1" ;;
	esac
}

# 1. hostile configs
while IFS=$'\t' read -r name profile expect; do
	case $name in '#'* | '') continue ;; esac
	b=$work/c-$name
	fresh "$b"
	cp "$corpus/configs/$name.json" "$b/config.json"
	refused "config/$name" "$b" "$expect" "$(profile_args "$profile")"
	rm -rf "$b"
done <"$corpus/configs.tsv"

# 2. hostile host policies
b=$work/policy-bundle
fresh "$b"
while IFS=$'\t' read -r name expect; do
	case $name in '#'* | '') continue ;; esac
	refused "policy/$name" "$b" "$expect" --hardrun-policy "$corpus/policies/$name.json"
done <"$corpus/policies.tsv"

# 3. hostile bundle layouts
b=$work/l-symlink
fresh "$b"
echo '{"ociVersion":"1.0.2"}' >"$work/outside.json"
rm "$b/config.json"
ln -s "$work/outside.json" "$b/config.json"
refused "layout/config-symlink-out-of-bundle" "$b" "symlink"
[ "$(cat "$work/outside.json")" = '{"ociVersion":"1.0.2"}' ] && tap_ok "layout: symlink target untouched" || tap_fail "layout: symlink target changed"

b=$work/l-dir
fresh "$b"
rm "$b/config.json"
mkdir "$b/config.json"
refused "layout/config-is-a-directory" "$b" "not a regular file"

b=$work/l-fifo
fresh "$b"
rm "$b/config.json"
mkfifo "$b/config.json"
refused "layout/config-is-a-fifo" "$b" "not a regular file"

touch "$work/not-a-dir"
refused "layout/bundle-is-a-file" "$work/not-a-dir" "Not a directory"
refused "layout/bundle-missing" "$work/does-not-exist" "No such file"

b=$work/l-noconfig
fresh "$b"
rm "$b/config.json"
refused "layout/no-config" "$b" "config.json"

b=$work/l-rootfs-host
fresh "$b"
rm -rf "$b/rootfs"
ln -s / "$b/rootfs"
refused "layout/rootfs-symlink-to-host-root" "$b" "rootfs"

b=$work/l-huge
fresh "$b"
jq --arg big "$(head -c 34000000 /dev/zero | tr '\0' x)" '.process.env += ["A=" + $big]' \
	"$work/template/config.json" >"$b/config.json" 2>/dev/null ||
	python3 -c "import json,sys; c=json.load(open(sys.argv[1])); c['process']['env'].append('A='+'x'*34000000); json.dump(c,open(sys.argv[2],'w'))" "$work/template/config.json" "$b/config.json"
refused "layout/config-over-32MiB" "$b" "too large"

b=$work/l-profile
fresh "$b"
refused "flag/unknown-profile" "$b" "unknown profile" --hardrun-profile=nonexistent
refused "flag/invalid-profile-name" "$b" "invalid profile name" "--hardrun-profile=bad name!"
refused "flag/missing-runtime" "$b" "lower runtime" --hardrun-runtime=/nonexistent/runc
printf '#!/bin/sh\nexit 3\n' >"$work/broken-runc"
chmod +x "$work/broken-runc"

# 4. faults: read-only bundle, full disk
mkdir -p "$work/ro"
fresh "$work/ro-src"
if mount --bind "$work/ro-src" "$work/ro" && mount -o remount,bind,ro "$work/ro"; then
	refused "fault/read-only-bundle" "$work/ro" "Read-only file system"
else
	tap_skip "fault/read-only-bundle" "cannot make a read-only bind mount here"
fi
mkdir -p "$work/full"
if mount -t tmpfs -o size=64k tmpfs "$work/full"; then
	cp "$work/template/config.json" "$work/full/config.json"
	# the image beneath the bundle (a symlink out of it is refused), as a bind mount
	mkdir "$work/full/rootfs" && mount --bind "$work/template/rootfs" "$work/full/rootfs"
	head -c 200000 /dev/zero >"$work/full/filler" 2>/dev/null
	refused "fault/disk-full" "$work/full" "No space left"
else
	tap_skip "fault/disk-full" "cannot mount a small tmpfs here"
fi

# 5. the audit log holds only whole JSON lines
if [ -s "$audit" ] && jq -e . "$audit" >/dev/null 2>&1; then
	tap_ok "audit log: $(wc -l <"$audit") records, every line valid JSON"
else
	tap_fail "audit log is missing or has a broken line"
fi
echo "# bad-input corpus: $n_cases inputs tried"
tap_end
