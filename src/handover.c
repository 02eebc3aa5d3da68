/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/delegate.h"
#include "hardrun/handover.h"
#include "hardrun/spec.h"
#include "hardrun/util.h"

#define OLD_PREFIX ".config.json.hardrun-"

bool hr_handover_wanted(const struct hr_policy *policy, const char *runtime)
{
	return policy->config_handover && strcmp(policy->config_handover, "pipe") == 0 &&
	       hr_runtime_is(runtime, "runc");
}

/* unlink_old: the pipe never reached config.json, the link is a copy. */
static void undo(struct hr_handover *ho, bool unlink_old)
{
	if (unlink_old && ho->old && ho->dirfd >= 0)
		unlinkat(ho->dirfd, ho->old, 0);
	hr_freep(&ho->old);
	hr_closep(&ho->pipe);
	hr_closep(&ho->ino);
	hr_closep(&ho->dirfd);
	hr_freep(&ho->bundle);
	if (unlink_old) { /* not prepared: nothing to keep */
		hr_closep(&ho->pidfd);
		hr_json_free(ho->spec);
		ho->spec = NULL;
	}
}

/* A network namespace to join: see hr_handover_prepare(). */
static bool joins_netns(const struct hr_json *spec)
{
	const struct hr_json *nss = hr_json_get(hr_json_get(spec, "linux"), "namespaces");

	for (size_t i = 0; nss && nss->type == HR_JSON_ARRAY && i < nss->arr.len; i++) {
		const char *t = hr_json_as_string(hr_json_get(nss->arr.items[i], "type"));
		const char *p = hr_json_as_string(hr_json_get(nss->arr.items[i], "path"));
		if (t && strcmp(t, "network") == 0 && p && *p)
			return true;
	}
	return false;
}

bool hr_handover_prepare(const struct hr_cli *cli, struct hr_handover *ho)
{
	char tmp[64], watch[64];
	struct stat st;

	*ho = (struct hr_handover){.dirfd = -1, .pipe = -1, .ino = -1, .runtime = getpid()};
	ho->pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	ho->bundle = ho->pidfd >= 0 ? hr_cli_bundle(cli, NULL) : NULL;
	if (ho->bundle)
		ho->dirfd = hr_bundle_lock(ho->bundle, NULL);
	if (ho->dirfd < 0)
		goto no;
	if (fstatat(ho->dirfd, "config.json", &st, AT_SYMLINK_NOFOLLOW) < 0)
		goto no;
	if (S_ISFIFO(st.st_mode) &&
	    (!hr_spec_recover(ho->dirfd) ||
	     fstatat(ho->dirfd, "config.json", &st, AT_SYMLINK_NOFOLLOW) < 0))
		goto no;
	if (!S_ISREG(st.st_mode))
		goto no;
	ho->spec = hr_spec_load_at(ho->dirfd, "config.json", ho->bundle, NULL);
	if (!ho->spec || joins_netns(ho->spec))
		goto no;
	ho->mode = st.st_mode & 07777;
	/* Named like a temporary file, so a stale one is swept like one, but
	 * "-kept", not the "-old" of hr_write_file_atomic_keep_old: after a
	 * killed worker hr_spec_recover() must put back this file, never a
	 * killed file hand-over's older one. */
	ho->old = hr_xasprintf(OLD_PREFIX "%d-kept", (int)getpid());
	if (linkat(ho->dirfd, "config.json", ho->dirfd, ho->old, 0) < 0) {
		hr_freep(&ho->old);
		goto no;
	}
	snprintf(tmp, sizeof(tmp), OLD_PREFIX "%d-pipe", (int)getpid());
	if (mknodat(ho->dirfd, tmp, S_IFIFO | 0600, 0) < 0)
		goto no;
	/* Read-write: open never waits, and the runtime's open does not
	 * either; the runtime reads EOF only after this end is closed. */
	ho->pipe = openat(ho->dirfd, tmp, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	ho->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	snprintf(watch, sizeof(watch), "/proc/self/fd/%d", ho->pipe);
	if (ho->pipe < 0 || ho->ino < 0 || inotify_add_watch(ho->ino, watch, IN_OPEN) < 0 ||
	    renameat(ho->dirfd, tmp, ho->dirfd, "config.json") < 0) {
		unlinkat(ho->dirfd, tmp, 0);
		goto no;
	}
	return true;
no:
	undo(ho, true);
	return false;
}

/* Does process pid have the FIFO (pipe) open? */
static bool holds(pid_t pid, int pipe)
{
	char dir[64];
	struct stat fifo, st;
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	if (fstat(pipe, &fifo) < 0 || !(d = opendir(dir)))
		return false;
	while (!found && (e = readdir(d)))
		found = e->d_name[0] != '.' && fstatat(dirfd(d), e->d_name, &st, 0) == 0 &&
			st.st_dev == fifo.st_dev && st.st_ino == fifo.st_ino;
	closedir(d);
	return found;
}

/* Has everything written to the pipe been read? */
static bool pipe_empty(int pipe)
{
	int n = 0;

	return ioctl(pipe, FIONREAD, &n) == 0 && n == 0;
}

/* Has the FIFO been opened since the watch was set (by anyone but us)? */
static bool opened(int ino)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool seen = false;
	ssize_t len;

	while ((len = read(ino, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < len;) {
			const struct inotify_event *ev = (const void *)(buf + off);
			seen |= (ev->mask & IN_OPEN) != 0;
			off += (ssize_t)sizeof(*ev) + ev->len;
		}
	return seen;
}

int hr_handover_feed(struct hr_handover *ho, const char *text, size_t len, bool unchanged,
		     struct hr_error **err)
{
	bool open_seen = false, runtime_has = false;
	int drained_ms = 0;
	size_t off = 0;

	/* All of it in the pipe at once where the kernel allows (1 MiB). */
	if (len > 65536)
		fcntl(ho->pipe, F_SETPIPE_SZ, (int)(len < (1u << 20) ? len : (1u << 20)));
	/*
	 * Closed once the runtime itself has the FIFO open.  Not at the first
	 * open: after a reader that is not the runtime (someone reading the
	 * bundle), the runtime's open would find no writer and wait for ever;
	 * such a reader may take the text, and the runtime then reads EOF and
	 * fails.  The runtime holds the FIFO only while it decodes it, so it is
	 * looked for every millisecond once opened; a text taken whole with the
	 * runtime not seen holding it is closed a second later all the same.
	 */
	while (off < len || !runtime_has) {
		struct pollfd f[3] = {{.fd = ho->pidfd, .events = POLLIN},
				      {.fd = ho->ino, .events = POLLIN},
				      {.fd = off < len ? ho->pipe : -1, .events = POLLOUT}};
		int n = poll(f, 3, open_seen ? 1 : -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return hr_error_set(err, errno, "hand config.json over: poll");
		bool taken = off == len && pipe_empty(ho->pipe);
		/* Gone after the text was taken: it may have run with it. */
		if (f[0].revents && taken)
			break;
		if (f[0].revents)
			return hr_error_set(err, 0,
					    "the lower runtime exited before it read config.json");
		if (f[1].revents)
			open_seen |= opened(ho->ino);
		if (open_seen)
			runtime_has = holds(ho->runtime, ho->pipe);
		if (taken && !runtime_has && n == 0 && ++drained_ms >= 1000)
			break;
		if (f[2].revents & (POLLERR | POLLHUP))
			return hr_error_set(err, EPIPE, "hand config.json over");
		if (f[2].revents & POLLOUT) {
			ssize_t w = write(ho->pipe, text + off, len - off);
			if (w < 0 && errno != EAGAIN && errno != EINTR)
				return hr_error_set(err, errno, "hand config.json over");
			off += w > 0 ? (size_t)w : 0;
		}
	}
	/* The runtime holds the other end: the text stays in the pipe for it,
	 * followed by EOF.  What is left is off its path: never in its way
	 * (nice 19 still gets a share, so nothing is lost, only late). */
	hr_closep(&ho->pipe);
	setpriority(PRIO_PROCESS, 0, 19);
	if (unchanged) {
		if (renameat(ho->dirfd, ho->old, ho->dirfd, "config.json") < 0)
			return hr_error_set(err, errno, "put %s/config.json back", ho->bundle);
		hr_freep(&ho->old);
		return 0;
	}
	if (hr_write_file_atomic_over(ho->dirfd, "config.json", text, len, ho->mode, err) < 0)
		return hr_err_wrap(err, "write hardened %s/config.json", ho->bundle);
	/* Freed here, not in a rename the runtime might wait on. */
	unlinkat(ho->dirfd, ho->old, 0);
	hr_freep(&ho->old);
	return 0;
}

void hr_handover_restore(struct hr_handover *ho)
{
	if (ho->old && renameat(ho->dirfd, ho->old, ho->dirfd, "config.json") == 0)
		hr_freep(&ho->old);
	hr_closep(&ho->pipe);
}

int hr_handover_done(struct hr_handover *ho)
{
	int lock = hr_steal_fd(&ho->dirfd);

	/* A kept link left here is the caller's config that could not be put
	 * back: kept for hr_spec_recover(). */
	undo(ho, false);
	return lock;
}
