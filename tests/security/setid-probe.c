/* SPDX-License-Identifier: Apache-2.0 */
/*
 * setid-probe DIR: from inside a container, try every way this test knows
 * to leave a setuid/setgid file or a file capability in DIR, and print one
 * line per attempt: "NAME ok" when the call succeeded, "NAME errno N"
 * otherwise.  Static, so it runs in a busybox rootfs.  The caller checks
 * the host's disk afterwards; the lines only say which call stopped it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

static void say(const char *name, long r)
{
	if (r < 0)
		printf("%s errno %d\n", name, errno);
	else
		printf("%s ok\n", name);
}

static int plain(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (fd >= 0)
		close(fd);
	return fd;
}

int main(int argc, char **argv)
{
	char p[4096];
	int dfd = -1, fd = -1;
	/* a version 2 file capability: cap_setuid in permitted and effective */
	static const unsigned char cap[20] = {0x01, 0x00, 0x00, 0x02, 0x80};

	if (argc < 2 || chdir(argv[1]) < 0 || (dfd = open(".", O_PATH | O_DIRECTORY)) < 0)
		return 2;
	umask(0);
	plain("f-chmod");
	say("chmod", chmod("f-chmod", 04755));
	fd = plain("f-fchmod") >= 0 ? open("f-fchmod", O_RDONLY) : -1;
	say("fchmod", fchmod(fd, 02755));
	plain("f-fchmodat");
	say("fchmodat", fchmodat(dfd, "f-fchmodat", 04755, 0));
#ifdef SYS_fchmodat2
	plain("f-fchmodat2");
	say("fchmodat2", syscall(SYS_fchmodat2, dfd, "f-fchmodat2", 04755, 0));
#else
	plain("f-fchmodat2");
	say("fchmodat2", syscall(452, dfd, "f-fchmodat2", 04755, 0));
#endif
	say("open", syscall(SYS_open, "f-open", O_WRONLY | O_CREAT, 04755));
	say("openat", syscall(SYS_openat, dfd, "f-openat", O_WRONLY | O_CREAT, 02755));
	say("creat", syscall(SYS_creat, "f-creat", 04755));
	say("mknod", syscall(SYS_mknod, "f-mknod", S_IFREG | 04755, 0));
	say("mknodat", syscall(SYS_mknodat, dfd, "f-mknodat", S_IFREG | 02755, 0));
	fd = (int)syscall(SYS_openat, dfd, ".", O_TMPFILE | O_WRONLY, 04755);
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	say("tmpfile", fd < 0 ? -1 : linkat(AT_FDCWD, p, dfd, "f-tmpfile", AT_SYMLINK_FOLLOW));
	struct open_how how = {.flags = O_WRONLY | O_CREAT, .mode = 04755};
	say("openat2", syscall(SYS_openat2, dfd, "f-openat2", &how, sizeof(how)));
	plain("f-xattr");
	say("setxattr", setxattr("f-xattr", "security.capability", cap, sizeof(cap), 0));
	say("lsetxattr", lsetxattr("f-xattr", "security.capability", cap, sizeof(cap), 0));
	fd = open("f-xattr", O_RDONLY);
	say("fsetxattr", fsetxattr(fd, "security.capability", cap, sizeof(cap), 0));
	say("user-xattr", setxattr("f-xattr", "user.x", "1", 1, 0));
	plain("f-clean");
	say("chmod-clean", chmod("f-clean", 0700));
	return 0;
}
