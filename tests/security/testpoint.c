/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hr_test_point() for the test build of hardrun (hrpoints): when
 * $HR_TEST_POINT names this point (or point:object), write "<point> <pid>"
 * to the FIFO $HR_TEST_FIFO, which blocks until the test reads it, then
 * wait until the test writes to the FIFO again (carry on) or kills us.  The
 * moment is seen, never guessed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hardrun/testpoint.h"

void hr_test_point(const char *point, const char *object)
{
	const char *want = getenv("HR_TEST_POINT");
	const char *fifo = getenv("HR_TEST_FIFO");
	size_t n = strlen(point);
	char c;

	if (!want || !fifo || strncmp(want, point, n) != 0)
		return;
	if (want[n] == ':' ? !object || strcmp(want + n + 1, object) != 0 : want[n] != '\0')
		return;
	int fd = open(fifo, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	dprintf(fd, "%s %d\n", want, (int)getpid());
	close(fd);
	fd = open(fifo, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		while (read(fd, &c, 1) < 0)
			;
		close(fd);
	}
}
