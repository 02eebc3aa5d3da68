#!/bin/bash
# Self-test of the runner's counting (tests/lib/harness.sh), TAP: a runner
# that turns a crash, a hang or a hidden skip into a pass would make every
# other result meaningless.  No root, no containers, about 3 seconds.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/hr-selftest.XXXXXX)
trap 'rm -rf "$T"' EXIT
n=0
failed=0

# expect NAME "P F S" SCRIPT-BODY: run BODY as a producer through
# hr_run_tap in a fresh runner and compare the totals.
expect() {
	local name=$1 want=$2 body=$3 got
	n=$((n + 1))
	printf '#!/bin/bash\n%s\n' "$body" >"$T/$n.sh"
	got=$(
		# shellcheck source-path=SCRIPTDIR source=harness.sh
		. "$HERE/harness.sh"
		HR_RUN_TMP=$T HR_SCRIPT_TIMEOUT=2 hr_run_tap "$name" "$T/$n" bash "$T/$n.sh" >/dev/null
		echo "$HR_PASS $HR_FAIL $HR_SKIP"
	)
	if [ "$got" = "$want" ]; then
		echo "ok $n - $name"
	else
		failed=$((failed + 1))
		echo "not ok $n - $name"
		echo "#   want passed/failed/skipped $want, got $got"
	fi
}

expect "plain passes" "2 0 0" 'echo "ok 1 - a"; echo "ok 2 - b"; echo 1..2'
expect "plan first" "2 0 0" 'echo 1..2; echo "ok 1"; echo "ok 2"'
expect "a failure" "1 1 0" 'echo "ok 1"; echo "not ok 2 - x"; echo "#  why"; echo 1..2; exit 1'
expect "skips" "1 0 2" 'echo "ok 1"; echo "ok 2 # SKIP r"; echo "ok 3 # skip r"; echo 1..3'
expect "not ok with SKIP is a failure" "0 1 0" 'echo "not ok 1 - x # SKIP hidden"; echo 1..1'
expect "MUST_WORK core skip is a failure" "0 1 0" 'echo "not ok 1 - x # skipped on a core path: r"; echo 1..1'
expect "not ok with TODO is not a failure" "1 0 1" 'echo "ok 1"; echo "not ok 2 # TODO later"; echo 1..2'
expect "no plan" "1 1 0" 'echo "ok 1"'
expect "short plan" "1 1 0" 'echo "ok 1"; echo 1..2'
expect "two plans" "1 1 0" 'echo 1..1; echo "ok 1"; echo 1..1'
expect "non-zero exit without not ok" "1 1 0" 'echo "ok 1"; echo 1..1; exit 3'
expect "crash without output" "0 1 0" 'kill -SEGV $$'
expect "killed by a signal after a plan" "1 1 0" 'echo 1..1; echo "ok 1"; kill -KILL $$'
expect "hang hits the timeout" "1 1 0" 'echo "ok 1"; echo 1..1; sleep 100'
expect "indented subtest lines do not count" "1 0 0" 'echo "    not ok 1"; echo "    ok 2"; echo "ok 1"; echo 1..1'
expect "bail out" "1 1 0" 'echo "ok 1"; echo "Bail out! no runtime"; echo 1..1'
HARDRUN_MUST_WORK=0 expect "skip-all plan counts one skip" "0 0 1" 'echo "1..0 # SKIP nothing here"'
HARDRUN_MUST_WORK=1 expect "skip-all plan under HARDRUN_MUST_WORK is a failure" "0 1 0" 'echo "1..0 # SKIP nothing here"'
HARDRUN_MUST_WORK=1 expect "hr_skip_all on a core path under HARDRUN_MUST_WORK is a failure" "0 1 0" \
	". $HERE/common.sh; HR_CORE=1 hr_skip_all whole-script reason"
HARDRUN_MUST_WORK=1 expect "hr_skip_all off the core paths is a skip" "0 0 1" \
	". $HERE/common.sh; HR_CORE=0 hr_skip_all whole-script reason"
expect "stdin is closed" "1 0 0" 'read -r -t 5 x; echo "ok 1"; echo 1..1'

echo "1..$n"
[ "$failed" -eq 0 ]
