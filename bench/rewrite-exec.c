/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The least any config-rewriting wrapper in front of runc can do, for
 * bench/delegation.sh to measure beside hardrun: read <bundle>/config.json,
 * write it back atomically (a new file in the bundle, renamed over
 * config.json, no fsync; the rename frees the old file, which hardrun leaves
 * to its keeper), exec the rest of argv.  No parsing,
 * no policy, no user namespace: what is left is the process start, the
 * write and the exec that the foundation issue asks of every create.
 *
 *   rewrite-exec BUNDLE RUNTIME [ARGS...]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[4 << 20];
	char path[4096], tmp[4096];
	ssize_t n;
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: rewrite-exec BUNDLE RUNTIME [ARGS...]\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/config.json", argv[1]);
	snprintf(tmp, sizeof(tmp), "%s/.config.json.rewrite-%d", argv[1], (int)getpid());
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	fd = n < 0 ? -1 : open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, buf, (size_t)n) != n || close(fd) < 0 || rename(tmp, path) < 0) {
		perror("rewrite-exec");
		return 1;
	}
	execv(argv[2], argv + 2);
	perror("rewrite-exec: exec");
	return 127;
}
