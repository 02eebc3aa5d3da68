#!/bin/bash
# Command-line fuzz: random argument lists built from every command's flags
# (runc's and hardrun's), seeded, a few thousand runs of hardrun.  No command
# line may crash (a signal, 137 SIGKILL included), hang (the time limit),
# or end in 125-127 (timeout or exec failing).  No container ever starts:
# the bundles are missing, unreadable or refused, the ids do not exist,
# the --root is a scratch directory, and most runs use /bin/true as the
# lower runtime so that what is exercised is hardrun's own parsing, help,
# refusal and exec paths (one run in eight goes to runc).
#
#   CLI_FUZZ_RUNS (default 2000), CLI_FUZZ_SEED (default: the date) replay a run.
. "$(dirname "$0")/../lib/common.sh"

hr_test_setup cli-fuzz
HR_CORE=1
runs=${CLI_FUZZ_RUNS:-2000}
seed=${CLI_FUZZ_SEED:-$(date +%s)}
echo "# seed $seed, $runs runs (CLI_FUZZ_SEED=$seed to replay)"
RANDOM=$seed
if ! expect_hardrun; then
	tap_skip "cli fuzz" "the fuzz is of hardrun's own parser (runc is not fuzzed here)"
	tap_end
	exit
fi

# ---- the material -----------------------------------------------------------------
W=$WORK
mkdir -p "$W/cwd" "$W/garbage" "$W/noproc/rootfs" "$W/hooked/rootfs" "$W/dir"
printf '{"ociVersion": [' >"$W/garbage/config.json"
printf '{"ociVersion":"1.0.2","root":{"path":"rootfs"},"process":null}' >"$W/noproc/config.json"
printf '%s' '{"ociVersion":"1.0.2","root":{"path":"rootfs"},"process":{"args":["true"],"cwd":"/"},
 "hooks":{"prestart":[{"path":"/bin/true"}]},"linux":{"namespaces":[{"type":"pid"}]}}' >"$W/hooked/config.json"
printf '{"args":["true"],"cwd":"/"}' >"$W/proc.json"
printf '[1,2' >"$W/bad.json"
mkfifo "$W/fifo"
long=$(printf 'a%.0s' $(seq 3000))
# The bundles' configs must never change; proc.json and bad.json are also
# drawn as values of output flags (--log, --pid-file, --hardrun-audit-log),
# where writing them is what the command line asked for.
fixtures=$(sha256sum "$W"/*/config.json | sha256sum)

# Every command's flags (runc 1.1's table, as src/cli.c has it).
declare -A F
F[checkpoint]="--image-path= --work-path= --parent-path= --leave-running --tcp-established --ext-unix-sk --shell-job --lazy-pages --status-fd= --page-server= --file-locks --pre-dump --manage-cgroups-mode= --empty-ns= --auto-dedup"
F[create]="--bundle= -b= --console-socket= --pid-file= --no-pivot --no-new-keyring --preserve-fds="
F[run]="--bundle= -b= --console-socket= --detach -d --keep --pid-file= --no-subreaper --no-pivot --no-new-keyring --preserve-fds="
F[restore]="--console-socket= --image-path= --work-path= --tcp-established --ext-unix-sk --shell-job --file-locks --manage-cgroups-mode= --bundle= -b= --detach -d --pid-file= --no-subreaper --no-pivot --empty-ns= --auto-dedup --lazy-pages --lsm-profile= --lsm-mount-context="
F[exec]="--console-socket= --cwd= --env= -e= --tty -t --user= -u= --additional-gids= -g= --process= -p= --detach -d --pid-file= --process-label= --apparmor= --no-new-privs --cap= -c= --preserve-fds= --cgroup= --ignore-paused"
F[delete]="--force -f"
F[kill]="--all -a"
F[list]="--format= -f= --quiet -q"
F[ps]="--format= -f="
F[events]="--interval= --stats"
F[spec]="--bundle= -b= --rootless"
F[update]="--resources= -r= --blkio-weight= --cpu-period= --cpu-quota= --cpu-share= --cpu-rt-period= --cpu-rt-runtime= --cpuset-cpus= --cpuset-mems= --kernel-memory= --kernel-memory-tcp= --memory= --memory-reservation= --memory-swap= --pids-limit= --l3-cache-schema= --mem-bw-schema="
F[check]="--bundle= -b= --config= --profile= --format= -f="
for c in features init pause resume start state help h; do F[$c]=""; done
globals="--debug --log= --log-format= --criu= --systemd-cgroup --rootless= --help -h --version -v"
hardrun_flags="--hardrun-profile= --hardrun-policy= --hardrun-audit-log= --hardrun-no-audit"
values=("" "-" "--" "-h" "=" "x=y" "../x" "/" "$long" $'a\nb' $'\xff\xfe' "-1" "0" "1" "99999999999999999999"
	"true" "false" "t" "maybe" "json" "text" "$W/noproc" "$W/hooked" "$W/garbage" "$W/nonexistent"
	"$W/proc.json" "$W/bad.json" "$W/fifo" "$W/dir" /dev/null /dev/fd/0 /proc/self/fd/1 "-" "SIGKILL" "9"
	"KILL" "baseline" "untrusted" "no-such-profile" "CAP_SYS_ADMIN" "0:0" "65534" "di-fz-x" "di-fz-y")
ids=("" "di-fz-none" "../di" "-" "di fz" "$long" "di-fz-$$")
cmds=("${!F[@]}" "nosuch" "")

pick() { # pick WORDS...: one at random, in $P (no subshell: this runs thousands of times)
	P=
	[ $# -gt 0 ] || return 0
	local a=("$@")
	P=${a[RANDOM % $#]}
}

# gen: fill ARGV with one random command line.
gen() {
	local c f n k fl
	ARGV=()
	for ((k = RANDOM % 3; k > 0; k--)); do
		pick $globals $hardrun_flags
		f=$P
		case "$f" in
		--hardrun-profile=) pick baseline restricted untrusted nosuch '' && ARGV+=("$f$P") ;;
		--hardrun-policy=) pick /nonexistent "$W/bad.json" /dev/null && ARGV+=("$f$P") ;;
		--log-format=) pick text json xml '' && ARGV+=("$f$P") ;;
		# a FIFO nobody reads blocks runc itself in open(); hardrun's side is below
		--log=) pick "$W/log" "" "$W/dir" /dev/null "$W/nonexistent/x" && ARGV+=("--log" "$P") ;;
		*=) pick "${values[@]}" && ARGV+=("${f%=}" "$P") ;;
		*) pick "${values[@]}" && { [ $((RANDOM % 6)) = 0 ] && ARGV+=("$f=$P") || ARGV+=("$f"); } ;;
		esac
	done
	pick "${cmds[@]}"
	c=$P
	[ -n "$c" ] && ARGV+=("$c")
	for ((n = RANDOM % 6; n > 0; n--)); do
		case $((RANDOM % 5)) in
		0) pick "${ids[@]}" && ARGV+=("$P") ;;
		1) pick "${values[@]}" && ARGV+=("$P") ;;
		*)
			fl=
			[ -n "$c" ] && fl=${F[$c]:-}
			pick $fl -h --help --nosuch
			f=$P
			pick "${values[@]}"
			case "$f" in
			*=) [ $((RANDOM % 2)) = 0 ] && ARGV+=("$f$P") || ARGV+=("${f%=}" "$P") ;;
			*) ARGV+=("$f") ;;
			esac
			;;
		esac
	done
}

declare -A total bad
fails=()
t0=$(date +%s)
for ((i = 0; i < runs; i++)); do
	gen
	rtm=/bin/true
	key=other
	for a in "${ARGV[@]}"; do [ -n "$a" ] && [ -n "${F[$a]+x}" ] && key=$a && break; done
	# runc's spec writes a config.json: only hardrun's side of it is fuzzed
	[ $((RANDOM % 8)) = 0 ] && [ "$key" != spec ] && rtm=runc
	total[$key]=$((${total[$key]:-0} + 1))
	(cd "$W/cwd" && exec timeout -k 2 10 "$OCI_RUNTIME" --hardrun-runtime "$rtm" --root "$W/root" \
		--hardrun-audit-log "$W/audit.log" "${ARGV[@]}") >/dev/null 2>&1 </dev/null
	rc=$?
	# 124 the time limit, 125-127 timeout or exec failing, 129-191 a signal
	# (137 SIGKILL); 255 is runc's own "exec failed"
	if [ "$rc" -ge 124 ] && [ "$rc" -le 191 ] && [ "$rc" != 128 ]; then
		bad[$key]=$((${bad[$key]:-0} + 1))
		[ ${#fails[@]} -lt 10 ] && fails+=("rc=$rc ($rtm): $(printf '%q ' "${ARGV[@]}")")
	fi
done
elapsed=$(($(date +%s) - t0))

for k in $(printf '%s\n' "${!total[@]}" | sort); do
	if [ "${bad[$k]:-0}" = 0 ]; then
		tap_ok "fuzz $k: ${total[$k]} command lines, no crash, hang or kill"
	else
		tap_fail "fuzz $k: ${bad[$k]} of ${total[$k]} crashed, hung or were killed (seed $seed)" \
			"$(printf '%s\n' "${fails[@]}" | grep -F -- " $k " | head -3)"
	fi
done
# hardrun's own log and audit writes never wait for a FIFO's reader.
for a in "--log $W/fifo --nosuch" "--hardrun-audit-log $W/fifo --log $W/fifo exec di-fz-none true"; do
	# shellcheck disable=SC2086
	(cd "$W/cwd" && exec timeout -k 2 10 "$OCI_RUNTIME" --hardrun-runtime /bin/true --root "$W/root" $a) \
		>/dev/null 2>&1 </dev/null
	rc=$?
	[ "$rc" -lt 124 ] && tap_ok "$a: no hang (rc=$rc)" || tap_fail "$a" "rc=$rc"
done
# --log and --pid-file may leave files in the cwd; a config.json may not
# appear there, nor may the fixtures change, nor a container be left.
[ ! -e "$W/cwd/config.json" ] && [ "$(sha256sum "$W"/*/config.json | sha256sum)" = "$fixtures" ] &&
	[ -z "$(ls "$W/root" 2>/dev/null)" ] &&
	tap_ok "no config.json written, bundle configs unchanged, no container state ($runs runs in ${elapsed}s)" ||
	tap_fail "left behind" "cwd: $(ls "$W/cwd")" "root: $(ls "$W/root" 2>/dev/null)"
[ ${#fails[@]} -gt 0 ] && printf '# %s\n' "${fails[@]}"
tap_end
