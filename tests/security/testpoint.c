/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hr_test_point() for the test build of hardrun (hrpoints): when
 * $HR_TEST_POINT (a comma-separated list) names this point, or
 * point:object, write "<that name> <pid>" to the FIFO $HR_TEST_FIFO, which
 * blocks until the test reads it, then wait until the test writes to the
 * FIFO again (carry on) or kills us.  The moment is seen, never guessed.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hardrun/testpoint.h"

/* Does the list entry [e, e+n) name point (or point:object)? */
static bool names(const char *e, size_t n, const char *point, const char *object)
{
	size_t p = strlen(point);

	if (n < p || strncmp(e, point, p) != 0)
		return false;
	if (n == p)
		return true;
	return e[p] == ':' && object && strlen(object) == n - p - 1 &&
	       strncmp(e + p + 1, object, n - p - 1) == 0;
}

void hr_test_point(const char *point, const char *object)
{
	const char *list = getenv("HR_TEST_POINT");
	const char *fifo = getenv("HR_TEST_FIFO");
	char c;

	if (!list || !fifo)
		return;
	for (const char *e = list; *e;) {
		size_t n = strcspn(e, ",");
		if (names(e, n, point, object)) {
			int fd = open(fifo, O_WRONLY | O_CLOEXEC);
			if (fd < 0)
				return;
			dprintf(fd, "%.*s %d\n", (int)n, e, (int)getpid());
			close(fd);
			fd = open(fifo, O_RDONLY | O_CLOEXEC);
			if (fd >= 0) {
				while (read(fd, &c, 1) < 0)
					;
				close(fd);
			}
			return;
		}
		e += n + (e[n] == ',');
	}
}
