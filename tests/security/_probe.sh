#!/bin/bash
# Shared by the escape and CVE scripts (sourced; the runner skips files
# starting with `_`).  Needs SEC_DIR, WORK, HARDRUN, OCI_RUNTIME and
# HR_TEST_ROOT set by the script.

# find_probe: print the path of the static escape probe, building it if no
# build directory has one.
find_probe() {
	if [ -n "${HR_PROBE:-}" ] && [ -x "$HR_PROBE" ]; then
		echo "$HR_PROBE"
		return 0
	fi
	hr_find_built tests/security/hr-escape-probe && return 0
	cc -static -O2 -o "$WORK/probe" "$SEC_DIR/probe.c" 2>"$WORK/probe-build.log" || return 1
	echo "$WORK/probe"
}

# builtin_ok: does the runtime under test have hardrun's builtin runtime?
builtin_ok() {
	[ "${HR_BUILTIN_OK:-0}" = 1 ] && return 0
	local e
	e=$("$OCI_RUNTIME" --hardrun-runtime=builtin --root "$HR_TEST_ROOT" state "hr-none-$$" 2>&1) && return 1
	echo "$e" | grep -qiE 'does not exist|no such container' &&
		! echo "$e" | grep -qiE 'not implemented|not available|unsupported'
}
