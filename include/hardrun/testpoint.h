/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_TESTPOINT_H
#define HARDRUN_TESTPOINT_H

/*
 * Named moments of the create path where a test stops hardrun to look at
 * the host, or kills it (tests/security/kill9.sh): `point`, or
 * `point:object` for one object (a file name).  The keeper has one too
 * (keeper-unlocked: it has let the bundle lock go).  Compiled only into the
 * test build tests/security/hrpoints (HR_TEST_POINTS, tests/security/
 * testpoint.c); in the shipped hardrun they are empty and take no input.
 */
#ifdef HR_TEST_POINTS
void hr_test_point(const char *point, const char *object);
#else
static inline void hr_test_point(const char *point, const char *object)
{
	(void)point;
	(void)object;
}
#endif

#endif
