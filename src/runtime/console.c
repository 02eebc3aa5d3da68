/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --console-socket: the pty is allocated inside the container's own devpts
 * instance (after pivot_root), so /dev/pts/N inside names it; the master goes
 * to the caller over the unix socket with SCM_RIGHTS, as runc sends it, with
 * the slave's name as the payload.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "rt.h"

int hr_rt_console_connect(const char *path, struct hr_error **err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path))
		return hr_error_set(err, ENAMETOOLONG, "console socket %s", path);
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return hr_error_set(err, errno, "console socket");
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int e = errno;
		close(fd);
		return hr_error_set(err, e, "connect to console socket %s", path);
	}
	return fd;
}

static int send_master(int sock, int master, const char *name)
{
	return hr_rt_send_fd_with(sock, master, name, strlen(name));
}

int hr_rt_console_setup(int console_sock, int sync, uid_t owner)
{
	char name[64];
	int master, slave;

	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		hr_rt_die(sync, errno, "open /dev/ptmx in the container");
	if (unlockpt(master) < 0 || ptsname_r(master, name, sizeof(name)) != 0)
		hr_rt_die(sync, errno, "unlock the pty");
	slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		hr_rt_die(sync, errno, "open %s", name);
	/* the process's own terminal, as runc leaves it (its gid stays the
	 * devpts mount's); only the pty made here, never the caller's stdio */
	if (fchown(slave, owner, (gid_t)-1) < 0 && errno != EINVAL && errno != EPERM)
		hr_rt_die(sync, errno, "chown %s to uid %u", name, (unsigned)owner);
	if (send_master(console_sock, master, name) < 0)
		hr_rt_die(sync, errno, "send the pty master to the console socket");
	close(master);
	close(console_sock);
	/* a new session whose controlling terminal is the slave */
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
		hr_rt_die(sync, errno, "make %s the controlling terminal", name);
	if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0)
		hr_rt_die(sync, errno, "dup the pty");
	close(slave);
	return 0;
}
