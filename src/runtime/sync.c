/* SPDX-License-Identifier: Apache-2.0 */
/* The parent <-> child sync socket: one SOCK_SEQPACKET datagram per message. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rt.h"

struct msg {
	int type;
	int errnum;
	char text[8192];
};

int hr_rt_send(int fd, int type, int errnum, const char *fmt, ...)
{
	struct msg m = {.type = type, .errnum = errnum};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m.text, sizeof(m.text), fmt, ap);
	va_end(ap);
	/* the peer may be gone (create returned): never die of SIGPIPE for it */
	if (send(fd, &m, offsetof(struct msg, text) + strlen(m.text) + 1, MSG_NOSIGNAL) < 0)
		return -1;
	return 0;
}

int hr_rt_recv(int fd, int *errnum, char *buf, size_t size)
{
	struct msg m;
	ssize_t n;

	/* ECONNRESET: the peer exited with our "go" unread.  The error is
	 * reported once; what it queued before exiting (its reason) follows. */
	do
		n = recv(fd, &m, sizeof(m), 0);
	while (n < 0 && (errno == EINTR || errno == ECONNRESET));
	if (n < 0)
		return -1;
	if (n == 0)
		return 0;
	if ((size_t)n < offsetof(struct msg, text) + 1) {
		errno = EPROTO;
		return -1;
	}
	m.text[sizeof(m.text) - 1] = 0;
	((char *)&m)[n < (ssize_t)sizeof(m) ? n : (ssize_t)sizeof(m) - 1] = 0;
	if (errnum)
		*errnum = m.errnum;
	if (buf && size) {
		strncpy(buf, m.text, size - 1);
		buf[size - 1] = 0;
	}
	return m.type;
}

int hr_rt_send_go(int fd)
{
	char c = 'G';
	return send(fd, &c, 1, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

int hr_rt_wait_go(int fd)
{
	char c = 0;
	ssize_t n;

	do
		n = recv(fd, &c, 1, 0);
	while (n < 0 && errno == EINTR);
	if (n != 1 || c != 'G') {
		if (n >= 0)
			errno = EPIPE;
		return -1;
	}
	return 0;
}

void hr_rt_die(int sync, int errnum, const char *fmt, ...)
{
	char text[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	hr_rt_send(sync, HR_MSG_ERROR, errnum, "%s", text);
	_exit(1);
}

int hr_rt_send_fd_with(int sock, int fd, const void *data, size_t len)
{
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c;

	memset(&u, 0, sizeof(u));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

int hr_rt_send_fd(int sock, int fd)
{
	char byte = 0;
	return hr_rt_send_fd_with(sock, fd, &byte, 1);
}

int hr_rt_recv_fd(int sock)
{
	char byte = 0;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c;
	int fd = -1;

	if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) <= 0)
		return -1;
	c = CMSG_FIRSTHDR(&mh);
	if (!c || c->cmsg_type != SCM_RIGHTS) {
		errno = EPROTO;
		return -1;
	}
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}
