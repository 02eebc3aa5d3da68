/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/delegate.h"
#include "hardrun/handover.h"
#include "hardrun/spec.h"
#include "hardrun/util.h"

bool hr_handover_wanted(const struct hr_policy *policy, const char *runtime)
{
	const char *how = policy->config_handover;

	return (!how || !*how || strcmp(how, "lease") == 0) && hr_runtime_is(runtime, "runc");
}

/* Everything but the pidfd and the inotify watch; the lease, if any, goes
 * with the last descriptor of the leased file. */
static void undo(struct hr_handover *ho)
{
	hr_freep(&ho->old);
	hr_closep(&ho->file);
	hr_closep(&ho->dirfd);
	hr_freep(&ho->bundle);
	hr_json_free(ho->spec);
	ho->spec = NULL;
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

/*
 * Does the kernel keep a lease long enough?  Past /proc/sys/fs/lease-break-
 * time seconds it lets a lease go by itself and runc reads the file
 * unfinished (and fails on it).  The default is 45; an admin may have set
 * 0, which would fail every start: then the file hand-over.
 */
static bool leases_held(void)
{
	char buf[32];

	return hr_read_small_at(AT_FDCWD, "/proc/sys/fs/lease-break-time", buf, sizeof(buf)) > 0 &&
	       atoi(buf) >= 1;
}

bool hr_handover_prepare(const struct hr_cli *cli, struct hr_handover *ho)
{
	char tmp[64];
	struct stat st, nst;

	*ho = (struct hr_handover){.dirfd = -1, .file = -1, .ino = -1};
	ho->pidfd = leases_held() ? (int)syscall(SYS_pidfd_open, getpid(), 0) : -1;
	ho->bundle = ho->pidfd >= 0 ? hr_cli_bundle(cli, NULL) : NULL;
	/* As the file hand-over loads it: locked, a regular file, a killed
	 * worker's unfinished one replaced by the caller's first. */
	if (ho->bundle)
		ho->spec = hr_spec_load(ho->bundle, &ho->dirfd, NULL);
	if (!ho->spec || joins_netns(ho->spec) ||
	    fstatat(ho->dirfd, "config.json", &st, AT_SYMLINK_NOFOLLOW) < 0)
		goto no;
	/* Named like a temporary file: a killed writer's is swept like one. */
	snprintf(tmp, sizeof(tmp), ".config.json.hardrun-%d-lease", (int)getpid());
	unlinkat(ho->dirfd, tmp, 0); /* our pid's: a dead writer's */
	ho->file = openat(ho->dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (ho->file < 0)
		goto no;
	/* F_SETOWN 0: nobody is signalled when a reader waits on the lease
	 * (the owner would be us, then runc, which forwards signals to the
	 * container); the worker gives it up when done, not when asked. */
	if (fchmod(ho->file, st.st_mode & 07777) < 0 || fstat(ho->file, &nst) < 0 ||
	    fcntl(ho->file, F_SETLEASE, F_WRLCK) < 0 || fcntl(ho->file, F_SETOWN, 0) < 0)
		goto no_tmp;
	/* The name records the inode that replaces the caller's file: only
	 * while that one is at config.json does hr_spec_recover() put this back. */
	ho->old =
	    hr_xasprintf(".config.json.hardrun-%d-kept-%ju", (int)getpid(), (uintmax_t)nst.st_ino);
	unlinkat(ho->dirfd, ho->old, 0);
	if (linkat(ho->dirfd, "config.json", ho->dirfd, ho->old, 0) < 0)
		goto no_tmp;
	if (renameat(ho->dirfd, tmp, ho->dirfd, "config.json") < 0) {
		unlinkat(ho->dirfd, ho->old, 0);
		goto no_tmp;
	}
	return true;
no_tmp:
	unlinkat(ho->dirfd, tmp, 0);
no:
	undo(ho);
	hr_closep(&ho->pidfd);
	return false;
}

int hr_handover_feed(struct hr_handover *ho, const char *text, size_t len, struct hr_error **err)
{
	char watch[64];

	if (hr_write_all(ho->file, text, len) < 0)
		return hr_error_set(err, errno, "write hardened %s/config.json", ho->bundle);
	/* Before the lease goes, since the runtime reads at once: its close of
	 * config.json after reading frees the bundle for the next create. */
	ho->ino = inotify_init1(IN_CLOEXEC);
	snprintf(watch, sizeof(watch), "/proc/self/fd/%d", ho->file);
	if (ho->ino >= 0 && inotify_add_watch(ho->ino, watch, IN_CLOSE_NOWRITE) < 0)
		hr_closep(&ho->ino);
	unlinkat(ho->dirfd, ho->old, 0);
	hr_freep(&ho->old);
	/* Explicitly: hardrun's own copy of the descriptor may still be open
	 * (the exec closes it), and the lease would last as long. */
	fcntl(ho->file, F_SETLEASE, F_UNLCK);
	hr_closep(&ho->file);
	return 0;
}

void hr_handover_restore(struct hr_handover *ho)
{
	if (ho->old && renameat(ho->dirfd, ho->old, ho->dirfd, "config.json") == 0)
		hr_freep(&ho->old);
	if (ho->file >= 0)
		fcntl(ho->file, F_SETLEASE, F_UNLCK);
	hr_closep(&ho->file);
}

int hr_handover_done(struct hr_handover *ho)
{
	int lock = hr_steal_fd(&ho->dirfd);

	/* A kept link left here is the caller's config that could not be put
	 * back: kept for hr_spec_recover(). */
	undo(ho);
	return lock;
}
