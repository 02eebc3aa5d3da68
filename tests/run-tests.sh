#!/bin/bash
# The test command: everything CI runs, from a fresh Debian 12 machine.
#
#   sudo bash tests/run-tests.sh [--no-deps] [--no-asan] [--no-fuzz]
#                                [--only REGEX] [--timeout SECONDS]
#
# Stages: install packages, build (build/), unit tests, unit tests under
# ASan+UBSan (build-asan/), clang-format, the runner's self-test, every
# tests/integration and tests/security script (against build/hardrun and,
# for scripts that declare `# hr-control: yes`, again against plain runc),
# fuzz smoke runs.  Every result is TAP; the last line printed is
# `N passed, N failed, N skipped` and the exit status is 1 if anything failed.
#
# Environment: CI=true sets HARDRUN_MUST_WORK=1 (skips on core paths fail);
# HR_BUILD_DIR / HR_ASAN_BUILD_DIR move the build directories;
# HR_SCRIPT_TIMEOUT (default 600) bounds each script; HR_ONLY=REGEX limits
# the integration/security scripts (matched against integration/foundation.sh
# and the like).  Logs of every stage stay in /tmp/hardrun-tests.*.
set -u
set -o pipefail

# runc lives in /usr/sbin, which `su` without `-` leaves off PATH.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$TOP" || exit 1
. "$TOP/tests/lib/harness.sh"

do_deps=1
do_asan=1
do_fuzz=1
while [ $# -gt 0 ]; do
	case "$1" in
	--no-deps) do_deps=0 ;;
	--no-asan) do_asan=0 ;;
	--no-fuzz) do_fuzz=0 ;;
	*)
		hr_common_opt "run-tests" "$@" || exit 2
		shift $((HR_SHIFT - 1))
		;;
	esac
	shift
done

BUILD=${HR_BUILD_DIR:-$TOP/build}
ASAN_BUILD=${HR_ASAN_BUILD_DIR:-$TOP/build-asan}
HARDRUN_BIN=$BUILD/hardrun
export HR_SCRIPT_TIMEOUT=${HR_SCRIPT_TIMEOUT:-600}
export HR_ONLY=${HR_ONLY:-}
case "${CI:-}" in true | 1 | yes) export HARDRUN_MUST_WORK=1 ;; esac
export HARDRUN=$HARDRUN_BIN
# A tree owned by another user (sudo in a developer checkout) is still ours.
export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0="$TOP"

HR_LOGS=$(mktemp -d /tmp/hardrun-tests.XXXXXX)
export HR_RUN_TMP=$HR_LOGS
MESON_OPTS=(-Dselinux=enabled -Dapparmor=enabled)

stage_no=0
stage() { # stage NAME: announce a stage and remember when it began
	stage_no=$((stage_no + 1))
	STAGE_NAME=$1
	STAGE_T0=$(hr_now)
	echo
	echo "==== [$stage_no] $1"
}
stage_done() { echo "==== [$stage_no] $STAGE_NAME: $(hr_elapsed "$STAGE_T0")"; }

echo "hardrun tests in $TOP (logs: $HR_LOGS)"
echo "runtime under test: $HARDRUN_BIN; control: $(command -v runc || echo 'runc (not found)')"
[ "$(id -u)" = 0 ] || echo "warning: not root; integration tests that need root will skip"
[ "${HARDRUN_MUST_WORK:-0}" = 1 ] && echo "HARDRUN_MUST_WORK=1: skips on core paths count as failures"

# --- 1. packages ---------------------------------------------------------------
stage "install dependencies"
if [ "$do_deps" = 1 ]; then
	t0=$(hr_now)
	if HR_DEPS_LOG=$HR_LOGS/install-deps.log bash "$TOP/scripts/install-deps.sh" --integrations; then
		hr_pass_one "install-deps" "$(hr_elapsed "$t0")"
	else
		hr_fail_one "install-deps" "see $HR_LOGS/install-deps.log" "$(hr_elapsed "$t0")"
	fi
else
	echo "skipped (--no-deps)"
fi
stage_done

# meson_build DIR LABEL [OPTIONS...]: configure (or reconfigure) and build
# (only the targets in $NINJA_TARGETS when set).
meson_build() {
	local dir=$1 label=$2 log=$HR_LOGS/build-$2.log t0
	shift 2
	t0=$(hr_now)
	local targets=()
	[ -n "${NINJA_TARGETS:-}" ] && read -r -a targets <<<"$NINJA_TARGETS"
	{
		if [ -f "$dir/build.ninja" ]; then
			meson configure "$dir" "$@"
		elif [ -d "$dir/meson-private" ]; then
			meson setup --wipe "$dir" "$TOP" "$@"
		else
			meson setup "$dir" "$TOP" "$@"
		fi && ninja -C "$dir" "${targets[@]}"
	} >"$log" 2>&1
	local rc=$?
	if [ $rc -eq 0 ]; then
		hr_pass_one "build: $label" "$(hr_elapsed "$t0")"
	else
		hr_fail_one "build: $label" "see $log" "$(hr_elapsed "$t0")"
		grep -E -A3 'FAILED|error:|ERROR' "$log" | head -n 20 | sed 's/^/     | /'
	fi
	return $rc
}

# unit_suite DIR LABEL: meson's unit suite, each test's TAP counted from
# meson's testlog.json so a crashed test or a missing plan is a failure.
unit_suite() {
	local dir=$1 label=$2 t0 mrc
	t0=$(hr_now)
	rm -f "$dir/meson-logs/testlog.json"
	meson test -C "$dir" --suite unit --no-rebuild --print-errorlogs \
		--timeout-multiplier "${3:-1}" >"$HR_LOGS/$label.log" 2>&1
	mrc=$?
	if [ ! -s "$dir/meson-logs/testlog.json" ]; then
		hr_fail_one "$label" "meson test ran no test (rc=$mrc, see $HR_LOGS/$label.log)" "$(hr_elapsed "$t0")"
		return
	fi
	local line name result rc secs base
	while IFS= read -r line; do
		name=$(jq -r .name <<<"$line")
		result=$(jq -r .result <<<"$line")
		rc=$(jq -r .returncode <<<"$line")
		secs=$(jq -r '.duration * 10 | round / 10 | tostring' <<<"$line")s
		base=$HR_LOGS/$label-$name
		jq -r '.stdout // ""' <<<"$line" >"$base.tap"
		jq -r '.stderr // ""' <<<"$line" >"$base.err"
		case "$result" in
		TIMEOUT) rc=timeout ;;
		OK | SKIP | EXPECTEDFAIL) ;;
		*) [ "$rc" = 0 ] && [ "$(hr_tap_parse "$base.tap" | cut -d' ' -f2)" = 0 ] && rc="meson:$result" ;;
		esac
		hr_tap_account "$label/$name" "$base.tap" "$rc" "$secs" "$base.err"
	done < <(jq -c '{name, result, returncode, duration, stdout, stderr}' "$dir/meson-logs/testlog.json")
}

# --- 2. build and unit tests -----------------------------------------------------
stage "build ($BUILD) and unit tests"
built=0
meson_build "$BUILD" default "${MESON_OPTS[@]}" && built=1
if [ $built = 1 ]; then
	unit_suite "$BUILD" unit
else
	hr_fail_one "unit" "not run: the build failed" 0.0s
fi
stage_done

# --- 3. sanitizers -----------------------------------------------------------------
stage "build ($ASAN_BUILD) with ASan+UBSan and unit tests"
if [ "$do_asan" = 1 ]; then
	# UBSan findings must stop the test, not scroll by.
	export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
	export ASAN_OPTIONS=abort_on_error=1:halt_on_error=1:detect_leaks=1:strict_string_checks=1
	# Only what the tests need: static helpers cannot link with ASan.
	if NINJA_TARGETS=meson-test-prereq meson_build "$ASAN_BUILD" asan "${MESON_OPTS[@]}" \
		-Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fno-sanitize-recover=all \
		-Dbuildtype=debug; then
		unit_suite "$ASAN_BUILD" unit-asan 3
	else
		hr_fail_one "unit-asan" "not run: the sanitizer build failed" 0.0s
	fi
	unset UBSAN_OPTIONS ASAN_OPTIONS
else
	echo "skipped (--no-asan)"
fi
stage_done

# --- 4. format --------------------------------------------------------------------
stage "clang-format"
t0=$(hr_now)
if ! command -v clang-format >/dev/null; then
	hr_fail_one "clang-format" "clang-format is not installed" "$(hr_elapsed "$t0")"
else
	mapfile -t cfiles < <(git -C "$TOP" ls-files '*.c' '*.h' 2>/dev/null ||
		find src include tests -name '*.[ch]' 2>/dev/null)
	bad=()
	checked=0
	for f in "${cfiles[@]}"; do
		[ -f "$f" ] || continue
		checked=$((checked + 1))
		clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
	done
	if [ ${#bad[@]} -eq 0 ]; then
		hr_pass_one "clang-format" "$(hr_elapsed "$t0")" "$checked files"
	else
		hr_fail_one "clang-format" "${#bad[@]} of $checked files need clang-format -i: ${bad[*]}" "$(hr_elapsed "$t0")"
	fi
fi
stage_done

# --- 4b. layering ------------------------------------------------------------------
# src/'s directories follow the flow (docs/architecture.md): no include circle.
stage "layering (no include circle between src/ directories)"
t0=$(hr_now)
if python3 "$TOP/scripts/layers.py" >"$HR_LOGS/layers.log" 2>&1; then
	hr_pass_one "layering" "$(hr_elapsed "$t0")"
else
	hr_fail_one "layering" "$(grep '^circle' "$HR_LOGS/layers.log" | head -n 3)" "$(hr_elapsed "$t0")"
fi
stage_done

# --- 5. the runner itself --------------------------------------------------------
stage "harness self-test"
hr_run_tap "lib/selftest" "$HR_LOGS/selftest" bash "$TOP/tests/lib/selftest.sh"
stage_done

# --- 6. integration and security -----------------------------------------------------
stage "integration and security scripts (timeout ${HR_SCRIPT_TIMEOUT}s each)"
if [ $built = 1 ]; then
	hr_run_suite "$TOP" "$HR_LOGS" "$HARDRUN_BIN"
else
	HR_NO_HARDRUN="not run: the build failed" hr_run_suite "$TOP" "$HR_LOGS" "$HARDRUN_BIN"
fi
stage_done

# --- 6b. integration under the sanitizers -------------------------------------------
# The same hardrun, built with ASan+UBSan, drives real containers through the
# create, exec, update, refusal and kill -9 paths (kill9.sh stops its test
# build, hrpoints, at named points).  Leak checking stays with
# the unit tests (a process that execs the runtime leaves its argv behind by
# design); any memory error or undefined behaviour aborts the run.  The
# Landlock helper of this build links the sanitizer runtime dynamically and
# cannot run in a busybox rootfs, so containers here use the optimised
# build's helper.
stage "integration scripts under ASan+UBSan"
if [ "$do_asan" = 1 ] && [ $built = 1 ] &&
	ninja -C "$ASAN_BUILD" hardrun tests/security/hrpoints >"$HR_LOGS/asan-hardrun.log" 2>&1; then
	for s in integration/foundation integration/policy security/bad-input security/kill9; do
		HARDRUN="$ASAN_BUILD/hardrun" OCI_RUNTIME="$ASAN_BUILD/hardrun" \
			HARDRUN_LANDLOCK_HELPER="$BUILD/src/rules/hardrun-landlock" \
			ASAN_OPTIONS=abort_on_error=1:halt_on_error=1:detect_leaks=0 \
			UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1 \
			hr_run_tap "asan/$s" "$HR_LOGS/asan-${s//\//-}" bash "$TOP/tests/$s.sh"
	done
elif [ "$do_asan" = 1 ]; then
	hr_fail_one "asan/integration" "not run: the sanitizer build of hardrun failed ($HR_LOGS/asan-hardrun.log)" 0.0s
else
	echo "skipped (--no-asan)"
fi
stage_done

# --- 7. fuzz ----------------------------------------------------------------------
if [ -f "$TOP/tests/fuzz/run-smoke.sh" ]; then
	stage "fuzz smoke runs"
	if [ "$do_fuzz" = 1 ]; then
		hr_run_tap "fuzz/run-smoke" "$HR_LOGS/fuzz-smoke" bash "$TOP/tests/fuzz/run-smoke.sh"
	else
		echo "skipped (--no-fuzz)"
	fi
	stage_done
fi

hr_final_summary
