#!/bin/bash
# Test-runner helpers shared by tests/run-tests.sh and
# tests/integration/run-suite.sh: run TAP producers with a timeout, count
# their results, and keep one summary line per producer.  Source it.
#
# Counting rules (a test runner must never turn a problem into a pass):
#   ok ...                  passed        ok ... # SKIP ...      skipped
#   1..0 # SKIP ...         one skipped; a failure under HARDRUN_MUST_WORK=1
#                           (a script that skips itself bypasses the core
#                           switch: it must skip through hr_skip_all)
#   not ok ...              failed        not ok ... # TODO ...  skipped (known)
#   not ok ... # SKIP ...   failed (a skip may not hide a failure)
#   no plan, a plan that does not match the number of tests, "Bail out!",
#   a timeout, or a non-zero exit without any "not ok": one more failure.

HR_PASS=0
HR_FAIL=0
HR_SKIP=0
HR_SUMMARY=()
HR_T0=$(date +%s.%N)

HR_CHILD=
HR_CHILD_ROOT=

# ^C or a CI cancel: stop the running producer (timeout passes the signal on
# to its process group), remove its containers, report what ran, exit.
hr_interrupted() {
	trap - INT TERM
	if [ -n "$HR_CHILD" ]; then
		kill -TERM "$HR_CHILD" 2>/dev/null
		wait "$HR_CHILD" 2>/dev/null
		hr_container_sweep "$HR_CHILD_ROOT"
	fi
	echo
	echo "interrupted"
	HR_FAIL=$((HR_FAIL + 1))
	HR_SUMMARY+=("FAIL interrupted")
	hr_final_summary
	exit 130
}
trap hr_interrupted INT TERM

hr_now() { date +%s.%N; }
hr_elapsed() { # hr_elapsed START -> "12.3s"
	awk -v a="$1" -v b="$(hr_now)" 'BEGIN { printf "%.1fs", b - a }'
}

# hr_tap_parse FILE: prints "PASS FAIL SKIP TESTS PLAN BAIL" for the TAP in
# FILE (PLAN is -1 when there is none; only lines at column 0 count, so
# indented subtests and diagnostics are ignored).
hr_tap_parse() {
	awk '
	BEGIN { p = 0; f = 0; s = 0; n = 0; plan = -1; bail = 0 }
	/^ok([ \t]|$)/ {
		n++
		if ($0 ~ /#[ \t]*[Ss][Kk][Ii][Pp]/) s++; else p++
		next
	}
	/^not ok([ \t]|$)/ {
		n++
		if ($0 ~ /#[ \t]*[Tt][Oo][Dd][Oo]/) s++; else f++
		next
	}
	/^1\.\.[0-9]+/ { if (plan < 0) { plan = substr($0, 4) + 0 } else { plan = -2 } ; next }
	/^Bail out!/ { bail = 1 }
	END {
		if (plan == 0 && n == 0) s = 1 # "1..0 # SKIP why": show it, do not hide it
		printf "%d %d %d %d %d %d\n", p, f, s, n, plan, bail
	}
	' "$1"
}

# hr_tap_account LABEL FILE RC SECONDS [ERRFILE]: count FILE's TAP into the
# totals, print the per-producer summary line and, on failure, the failing
# tests with their diagnostics (and the tail of ERRFILE for crashes).
hr_tap_account() {
	local label=$1 file=$2 rc=$3 secs=$4 errfile=${5:-}
	local p f s n plan bail extra=() verdict
	[ -f "$file" ] || : >"$file"
	read -r p f s n plan bail < <(hr_tap_parse "$file")
	if [ "$rc" = timeout ]; then
		extra+=("timed out after ${HR_SCRIPT_TIMEOUT:-600}s")
	elif [ "$rc" != 0 ] && [ "$f" -eq 0 ]; then
		extra+=("exited with status $rc without a failing test")
	fi
	if [ "$plan" -eq -1 ]; then
		extra+=("printed no TAP plan")
	elif [ "$plan" -eq -2 ]; then
		extra+=("printed more than one TAP plan")
	elif [ "$plan" -ne "$n" ]; then
		extra+=("planned $plan tests, ran $n")
	fi
	[ "$bail" = 1 ] && extra+=("bailed out")
	if [ "$plan" -eq 0 ] && [ "$n" -eq 0 ] && [ "${HARDRUN_MUST_WORK:-0}" = 1 ]; then
		extra+=("skipped itself (1..0) under HARDRUN_MUST_WORK=1")
		s=0
	fi
	local nextra=${#extra[@]}
	# Several problems of one run (crash + no plan) are one failure.
	[ "$nextra" -gt 0 ] && f=$((f + 1))
	HR_PASS=$((HR_PASS + p))
	HR_FAIL=$((HR_FAIL + f))
	HR_SKIP=$((HR_SKIP + s))
	if [ "$f" -gt 0 ]; then verdict=FAIL; else verdict=PASS; fi
	local line
	line=$(printf '%-4s %-44s %3d passed, %d failed, %d skipped (%s)' "$verdict" "$label" "$p" "$f" "$s" "$secs")
	if [ "$nextra" -gt 0 ]; then
		local e sep=" - "
		for e in "${extra[@]}"; do
			line+="$sep$e"
			sep="; "
		done
	fi
	HR_SUMMARY+=("$line")
	echo "$line"
	if [ "$f" -gt 0 ]; then
		# The failing tests and their diagnostics, bounded.
		awk '/^not ok/ && !/#[ \t]*[Tt][Oo][Dd][Oo]/ { show = 1; print "     " $0; next }
		     /^#/ && show { print "     " $0; next }
		     { show = 0 }' "$file" | head -n "${HR_SHOW_LINES:-60}"
		if [ "$nextra" -gt 0 ] && [ -n "$errfile" ] && [ -s "$errfile" ]; then
			echo "     --- last lines of stderr ($errfile):"
			tail -n 15 "$errfile" | sed 's/^/     | /'
		fi
	fi
}

# hr_fail_one LABEL REASON SECONDS: a stage that could not produce TAP.
hr_fail_one() {
	local line
	line=$(printf '%-4s %-44s %3d passed, %d failed, %d skipped (%s) - %s' FAIL "$1" 0 1 0 "$3" "$2")
	HR_FAIL=$((HR_FAIL + 1))
	HR_SUMMARY+=("$line")
	echo "$line"
}

# hr_pass_one LABEL SECONDS [NOTE]: a stage that is one passing check.
hr_pass_one() {
	local line
	line=$(printf '%-4s %-44s %3d passed, %d failed, %d skipped (%s)' PASS "$1" 1 0 0 "$2")
	[ -n "${3:-}" ] && line+=" - $3"
	HR_PASS=$((HR_PASS + 1))
	HR_SUMMARY+=("$line")
	echo "$line"
}

# hr_container_sweep ROOT: force-delete whatever a script left under its
# private --root (it may have been killed by the timeout mid-lifecycle).
hr_container_sweep() {
	local root=$1 rt id
	[ -d "$root" ] || return 0
	for rt in "${HARDRUN:-}" runc; do
		[ -n "$rt" ] && command -v "$rt" >/dev/null 2>&1 || continue
		for id in $(timeout 30 "$rt" --root "$root" list -q 2>/dev/null); do
			timeout 30 "$rt" --root "$root" delete -f "$id" >/dev/null 2>&1
		done
	done
	# A `runc create` killed before it wrote its state leaves a `runc init`
	# that no `list` knows; its environment still names our root.
	local env
	for env in $(grep -lzs "^_LIBCONTAINER_STATEDIR=$root/" /proc/[0-9]*/environ); do
		env=${env#/proc/}
		kill -KILL "${env%/environ}" 2>/dev/null
	done
	rm -rf "$root"
}

# hr_run_tap LABEL LOGBASE CMD...: run a TAP producer with no stdin, a
# private HR_TEST_ROOT and a timeout (HR_SCRIPT_TIMEOUT, default 600 s), and
# account for it.  Output goes to files, never a pipe: a container that
# inherits stdout must not keep the runner waiting.
hr_run_tap() {
	local label=$1 log=$2
	shift 2
	local t0 rc root start
	t0=$(hr_now)
	start=$SECONDS
	root=$(mktemp -d "${HR_RUN_TMP:-/tmp}/root.XXXXXX")
	# In the background so an interrupt reaches us (timeout puts the
	# producer in its own process group, away from the terminal's ^C).
	HR_TEST_ROOT=$root timeout -k 15 "${HR_SCRIPT_TIMEOUT:-600}" "$@" \
		</dev/null >"$log.tap" 2>"$log.err" &
	HR_CHILD=$!
	HR_CHILD_ROOT=$root
	wait "$HR_CHILD"
	rc=$?
	HR_CHILD=
	if { [ $rc -eq 124 ] || [ $rc -eq 137 ]; } && [ $((SECONDS - start)) -ge "${HR_SCRIPT_TIMEOUT:-600}" ]; then
		rc=timeout
	fi
	hr_container_sweep "$root"
	hr_tap_account "$label" "$log.tap" "$rc" "$(hr_elapsed "$t0")" "$log.err"
}

# hr_script_wants_control FILE: does the script ask for a runc control run?
hr_script_wants_control() {
	head -n 10 "$1" | grep -Eq '^#[[:space:]]*hr-control:[[:space:]]*yes([[:space:]]|$)'
}

# hr_suite_scripts TOP: every integration and security script, helpers
# (run-suite.sh, names starting with _) excluded; HR_ONLY filters by regex.
hr_suite_scripts() {
	local top=$1 f
	for f in "$top"/tests/integration/*.sh "$top"/tests/security/*.sh; do
		[ -f "$f" ] || continue
		case "$(basename "$f")" in
		_* | run-suite.sh) continue ;;
		esac
		if [ -n "${HR_ONLY:-}" ] && ! [[ "${f#"$top"/tests/}" =~ $HR_ONLY ]]; then continue; fi
		echo "$f"
	done
}

# hr_run_suite TOP LOGDIR HARDRUN_BIN: run every suite script against
# hardrun and, for scripts with `# hr-control: yes`, against runc.  With
# HR_NO_HARDRUN=REASON the hardrun runs are failures (a stale binary from an
# earlier build must not stand in for a broken one).
hr_run_suite() {
	local top=$1 logdir=$2 hr=$3 f name
	for f in $(hr_suite_scripts "$top"); do
		name=${f#"$top"/tests/}
		name=${name%.sh}
		if [ -n "${HR_NO_HARDRUN:-}" ]; then
			hr_fail_one "$name [hardrun]" "$HR_NO_HARDRUN" 0.0s
		elif [ -x "$hr" ]; then
			OCI_RUNTIME=$hr HARDRUN=$hr hr_run_tap "$name [hardrun]" "$logdir/${name//\//_}.hardrun" bash "$f"
		else
			hr_fail_one "$name [hardrun]" "no hardrun binary at $hr" 0.0s
		fi
		# HARDRUN_MUST_WORK is about hardrun's core paths: in the control
		# run, hardrun-only checks skip by design and must not fail.
		if hr_script_wants_control "$f"; then
			OCI_RUNTIME=runc HARDRUN=$hr HARDRUN_MUST_WORK=0 \
				hr_run_tap "$name [runc]" "$logdir/${name//\//_}.runc" bash "$f"
		fi
	done
}

# hr_common_opt PROG ARGS...: the options both runners take (--only REGEX,
# --timeout SECONDS, --help).  Sets HR_SHIFT to the number of words used;
# returns 1 (after saying so) for an unknown option.
# shellcheck disable=SC2034 # HR_SHIFT is read by the caller
hr_common_opt() {
	local prog=$1
	shift
	HR_SHIFT=1
	case "$1" in
	--only | --timeout)
		if [ $# -lt 2 ]; then
			echo "$prog: $1 needs a value" >&2
			return 1
		fi
		HR_SHIFT=2
		;;&
	--only) HR_ONLY=$2 ;;
	--only=*) HR_ONLY=${1#--only=} ;;
	--timeout) HR_SCRIPT_TIMEOUT=$2 ;;
	--timeout=*) HR_SCRIPT_TIMEOUT=${1#--timeout=} ;;
	-h | --help)
		awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
		exit 0
		;;
	*)
		echo "$prog: unknown argument: $1" >&2
		return 1
		;;
	esac
}

# hr_final_summary: the per-producer recap, then the one line CI parses.
# Returns 1 if anything failed.
hr_final_summary() {
	local l
	echo
	echo "==== summary ($(hr_elapsed "$HR_T0") total)"
	for l in "${HR_SUMMARY[@]}"; do echo "$l"; done
	echo "$HR_PASS passed, $HR_FAIL failed, $HR_SKIP skipped"
	[ "$HR_FAIL" -eq 0 ]
}
