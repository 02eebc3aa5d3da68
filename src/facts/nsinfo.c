/* SPDX-License-Identifier: Apache-2.0 */
/* Namespace facts by descriptor (see include/hardrun/nsinfo.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/nsinfo.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
	const char *oci, *proc;
	int clone;
} types[] = {
    {"pid", "pid", CLONE_NEWPID},    {"network", "net", CLONE_NEWNET},
    {"ipc", "ipc", CLONE_NEWIPC},    {"uts", "uts", CLONE_NEWUTS},
    {"mount", "mnt", CLONE_NEWNS},   {"cgroup", "cgroup", CLONE_NEWCGROUP},
    {"user", "user", CLONE_NEWUSER}, {"time", "time", CLONE_NEWTIME},
};

bool hr_ns_fstype_ok(unsigned long f_type)
{
	return f_type == (unsigned long)NSFS_MAGIC;
}

int hr_ns_clone_type(const char *oci_type)
{
	for (size_t i = 0; oci_type && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(oci_type, types[i].oci) == 0)
			return types[i].clone;
	return 0;
}

int hr_ns_open(const char *path, struct hr_error **err)
{
	_cleanup_close_ int p = open(path, O_PATH | O_CLOEXEC);
	struct statfs sfs;
	char self[64];
	int fd;

	if (p < 0)
		return hr_error_set(err, errno, "namespace path `%s`", path);
	/* Before any open for reading: a FIFO here would block until a writer
	 * came, with the bundle lock held. */
	if (fstatfs(p, &sfs) < 0)
		return hr_error_set(err, errno, "namespace path `%s`", path);
	if (!hr_ns_fstype_ok((unsigned long)sfs.f_type))
		return hr_error_set(err, 0, "namespace path `%s` is not a namespace file (nsfs)",
				    path);
	snprintf(self, sizeof(self), "/proc/self/fd/%d", p);
	fd = open(self, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return hr_error_set(err, errno, "open namespace `%s`", path);
	return fd;
}

static int fd_id(int fd, struct hr_nsid *id)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	return 0;
}

/* EPERM from NS_GET_PARENT: fd is the top user namespace hardrun can see. */
static bool userns_is_initial(int ufd)
{
	int parent = ioctl(ufd, NS_GET_PARENT);

	if (parent >= 0) {
		close(parent);
		return false;
	}
	return errno == EPERM;
}

int hr_ns_inspect(int fd, struct hr_ns_facts *f, struct hr_error **err)
{
	memset(f, 0, sizeof(*f));
	if (fd_id(fd, &f->id) < 0)
		return hr_error_set(err, errno, "namespace: fstat");
	f->nstype = ioctl(fd, NS_GET_NSTYPE);
	if (f->nstype < 0)
		return hr_error_set(err, errno, "namespace: NS_GET_NSTYPE");
	if (f->nstype == CLONE_NEWUSER) {
		f->owner_initial = userns_is_initial(fd);
		_cleanup_close_ int parent = ioctl(fd, NS_GET_PARENT);
		f->owner_known = parent >= 0 && fd_id(parent, &f->owner) == 0;
		return 0;
	}
	_cleanup_close_ int u = ioctl(fd, NS_GET_USERNS);
	if (u < 0) {
		/* EPERM: owned by a user namespace above ours, so not ours to judge
		 * as the pod's: foreign. */
		if (errno != EPERM)
			return hr_error_set(err, errno, "namespace: NS_GET_USERNS");
		return 0;
	}
	f->owner_known = fd_id(u, &f->owner) == 0;
	f->owner_initial = userns_is_initial(u);
	return 0;
}

int hr_ns_resolve(const char *path, struct hr_ns_facts *f, struct hr_error **err)
{
	_cleanup_close_ int fd = hr_ns_open(path, err);

	if (fd < 0)
		return -1;
	if (hr_ns_inspect(fd, f, err) < 0)
		return hr_err_wrap(err, "`%s`", path);
	return 0;
}

int hr_ns_self(int t, struct hr_nsid *id)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct stat st;
		char p[64];
		if (types[i].clone != t)
			continue;
		snprintf(p, sizeof(p), "/proc/self/ns/%s", types[i].proc);
		if (stat(p, &st) < 0)
			return -1;
		id->dev = st.st_dev;
		id->ino = st.st_ino;
		return 0;
	}
	return -1;
}

enum hr_ns_verdict hr_ns_judge(const struct hr_ns_facts *f, int want, const struct hr_nsid *host,
			       const struct hr_nsid *pod_userns)
{
	if (f->nstype != want)
		return HR_NS_WRONG_TYPE;
	if (want == CLONE_NEWUSER) {
		if (f->owner_initial || hr_nsid_eq(&f->id, host))
			return HR_NS_HOST;
		return hr_nsid_eq(&f->id, pod_userns) ? HR_NS_POD : HR_NS_FOREIGN;
	}
	if (hr_nsid_eq(&f->id, host))
		return HR_NS_HOST;
	if (f->owner_known && f->owner_initial)
		return HR_NS_HOST_OWNED;
	if (f->owner_known && hr_nsid_eq(&f->owner, pod_userns))
		return HR_NS_POD;
	return HR_NS_FOREIGN;
}
