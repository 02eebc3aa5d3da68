#!/bin/bash
# Run the integration and security scripts alone, counted as the test command
# counts them (no package install, no build, no unit tests):
#
#   sudo bash tests/integration/run-suite.sh [--hardrun PATH] [--no-control]
#                                            [--only REGEX] [--timeout SECONDS]
#
# Each script runs against PATH (default build/hardrun) and, when it declares
# `# hr-control: yes`, again against plain runc.  Last line:
# `N passed, N failed, N skipped`; exit 1 if anything failed.
set -u
# runc lives in /usr/sbin, which `su` without `-` leaves off PATH.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$TOP/tests/lib/harness.sh"

hr=${HARDRUN:-$TOP/build/hardrun}
control=1
while [ $# -gt 0 ]; do
	case "$1" in
	--hardrun)
		hr=$2
		shift
		;;
	--hardrun=*) hr=${1#--hardrun=} ;;
	--no-control) control=0 ;;
	*)
		hr_common_opt "run-suite" "$@" || exit 2
		shift $((HR_SHIFT - 1))
		;;
	esac
	shift
done
case "$hr" in /*) ;; *) hr=$(cd "$(dirname "$hr")" && pwd)/$(basename "$hr") ;; esac
export HR_SCRIPT_TIMEOUT=${HR_SCRIPT_TIMEOUT:-600} HR_ONLY=${HR_ONLY:-} HARDRUN=$hr
case "${CI:-}" in true | 1 | yes) export HARDRUN_MUST_WORK=1 ;; esac
[ "$control" = 0 ] && hr_script_wants_control() { false; }

HR_RUN_TMP=$(mktemp -d /tmp/hardrun-suite.XXXXXX)
export HR_RUN_TMP
echo "suite against $hr (logs: $HR_RUN_TMP)"
hr_run_suite "$TOP" "$HR_RUN_TMP" "$hr"
hr_final_summary
