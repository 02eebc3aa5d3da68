/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The init's sync socket keeps the init's reason: a child that queued its
 * error and exited with our "go" byte unread makes the kernel report
 * ECONNRESET first; the message behind it must still be read.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "src/runtime/rt.h"
#include "tap.h"

static void test_reason_after_reset(void)
{
	int sv[2], en = 0, t;
	char text[256] = "";

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		ok(0, "socketpair: %s", strerror(errno));
		return;
	}
	/* the child's side: its reason queued, our go never read, then gone */
	hr_rt_send(sv[1], HR_MSG_ERROR, ENOENT, "mount /x: source /nope");
	hr_rt_send_go(sv[0]);
	close(sv[1]);
	t = hr_rt_recv(sv[0], &en, text, sizeof(text));
	ok(t == HR_MSG_ERROR && en == ENOENT && strcmp(text, "mount /x: source /nope") == 0,
	   "the error queued before the reset is read (type %d, errno %d, \"%s\")", t, en, text);
	t = hr_rt_recv(sv[0], &en, text, sizeof(text));
	ok(t == 0, "then end of file (type %d)", t);
	close(sv[0]);
}

int main(void)
{
	test_reason_after_reset();
	return tap_done();
}
