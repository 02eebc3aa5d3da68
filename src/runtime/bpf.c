/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The seccomp filter as the child loads it: BPF generated in the parent by
 * hr_seccomp_compile() + libseccomp's exporter, loaded in the child with
 * seccomp(2) directly.  Generating the BPF of a full profile for five
 * architectures costs libseccomp most of a container start, so
 * the program is cached under HR_RT_BPF_CACHE keyed by a hash of the exact
 * profile text, libseccomp version and machine; a hit is only used when the
 * stored text is byte-identical (no trust in the hash), and the directory
 * is root's alone (0700), like the rest of /run/hardrun.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/util.h"
#include "rt.h"

#define HR_RT_BPF_CACHE "/run/hardrun/bpf-cache"
#define MAGIC		"HRBPF1\n"

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* The cache key text: everything the generated program depends on. */
static char *key_text(const struct hr_json *seccomp, struct hr_error **err)
{
	_cleanup_free_ char *json = NULL;
	const struct scmp_version *v = seccomp_version();
	struct utsname u;
	size_t len = 0;

	if (hr_json_serialize(seccomp, false, &json, &len, err) < 0)
		return NULL;
	if (uname(&u) < 0)
		strcpy(u.machine, "unknown");
	return hr_xasprintf("libseccomp %u.%u.%u %s\n%s", v->major, v->minor, v->micro, u.machine,
			    json);
}

static int cache_lookup(const char *name, const char *key, struct hr_rt_process *p)
{
	_cleanup_close_ int dirfd = open(HR_RT_BPF_CACHE, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *blob = NULL;
	struct hr_error *e = NULL;
	size_t len = 0, klen = strlen(key), off;
	uint32_t flags = 0, n = 0;

	struct stat st;

	/* only a directory nobody but root can write holds programs we load */
	if (dirfd < 0 || fstat(dirfd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 077))
		return -1;
	if (hr_read_file_at(dirfd, name, 16 << 20, &blob, &len, &e) < 0) {
		hr_error_clear(&e);
		return -1;
	}
	off = strlen(MAGIC);
	if (len < off + klen + 1 + 8 || memcmp(blob, MAGIC, off) != 0 ||
	    memcmp(blob + off, key, klen + 1) != 0)
		return -1;
	off += klen + 1;
	memcpy(&flags, blob + off, 4);
	memcpy(&n, blob + off + 4, 4);
	off += 8;
	if (n == 0 || n > 65535 || len != off + n * sizeof(struct sock_filter))
		return -1;
	p->bpf = hr_xmalloc(n * sizeof(struct sock_filter));
	memcpy(p->bpf, blob + off, n * sizeof(struct sock_filter));
	p->bpf_len = (unsigned short)n;
	p->bpf_flags = flags;
	return 0;
}

/* Bounded: past HR_RT_BPF_CACHE_MAX programs the cache starts over (profiles are few). */
#define HR_RT_BPF_CACHE_MAX 256

static void cache_trim(int dirfd)
{
	_cleanup_close_ int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return;
	fd = -1; /* owned by d now */
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	if (n >= HR_RT_BPF_CACHE_MAX) {
		rewinddir(d);
		while ((de = readdir(d)))
			if (de->d_name[0] != '.')
				unlinkat(dirfd, de->d_name, 0);
	}
	closedir(d);
}

static void cache_store(const char *name, const char *key, const struct hr_rt_process *p)
{
	size_t klen = strlen(key) + 1, ilen = p->bpf_len * sizeof(struct sock_filter);
	size_t off = strlen(MAGIC), len = off + klen + 8 + ilen;
	_cleanup_free_ char *blob = hr_xmalloc(len);
	_cleanup_close_ int dirfd = -1;
	uint32_t flags = p->bpf_flags, n = p->bpf_len;
	struct hr_error *e = NULL;

	if (geteuid() != 0 || hr_mkdir_p(HR_RT_BPF_CACHE, 0700, &e) < 0) {
		hr_error_clear(&e);
		return;
	}
	memcpy(blob, MAGIC, off);
	memcpy(blob + off, key, klen);
	memcpy(blob + off + klen, &flags, 4);
	memcpy(blob + off + klen + 4, &n, 4);
	memcpy(blob + off + klen + 8, p->bpf, ilen);
	dirfd = open(HR_RT_BPF_CACHE, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (dirfd >= 0)
		cache_trim(dirfd);
	/* a cache that cannot be written only costs time */
	if (dirfd >= 0 && hr_write_file_atomic(dirfd, name, blob, len, 0600, &e) < 0)
		hr_error_clear(&e);
}

static unsigned int filter_flags(scmp_filter_ctx ctx)
{
	static const struct {
		enum scmp_filter_attr attr;
		unsigned int flag;
	} map[] = {
	    {SCMP_FLTATR_CTL_TSYNC, SECCOMP_FILTER_FLAG_TSYNC},
	    {SCMP_FLTATR_CTL_LOG, SECCOMP_FILTER_FLAG_LOG},
	    {SCMP_FLTATR_CTL_SSB, SECCOMP_FILTER_FLAG_SPEC_ALLOW},
	};
	unsigned int flags = 0;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		uint32_t v = 0;
		if (seccomp_attr_get(ctx, map[i].attr, &v) == 0 && v)
			flags |= map[i].flag;
	}
	return flags;
}

static int generate(const struct hr_json *seccomp, struct hr_rt_process *p, struct hr_error **err)
{
	scmp_filter_ctx ctx = NULL;
	_cleanup_close_ int fd = -1;
	off_t size;
	int r;

#ifdef HR_RT_WEAK_SECCOMP
	if (!hr_seccomp_compile)
		return hr_error_set(err, ENOSYS, "no seccomp compiler in this build");
#endif
	if (hr_seccomp_compile(seccomp, &ctx, err) < 0)
		return -1;
	p->bpf_flags = filter_flags(ctx);
	fd = memfd_create("hardrun-bpf", MFD_CLOEXEC);
	if (fd < 0) {
		seccomp_release(ctx);
		return hr_error_set(err, errno, "memfd_create");
	}
	r = seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	if (r < 0)
		return hr_error_set(err, -r, "generate the seccomp program");
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % sizeof(struct sock_filter) ||
	    size / sizeof(struct sock_filter) > 65535)
		return hr_error_set(err, EINVAL, "seccomp program of %lld bytes", (long long)size);
	p->bpf = hr_xmalloc((size_t)size);
	if (pread(fd, p->bpf, (size_t)size, 0) != size)
		return hr_error_set(err, errno, "read the seccomp program");
	p->bpf_len = (unsigned short)(size / sizeof(struct sock_filter));
	return 0;
}

int hr_rt_bpf_build(const struct hr_json *seccomp, struct hr_rt_process *p, struct hr_error **err)
{
	_cleanup_free_ char *key = key_text(seccomp, err);
	char name[32];

	if (!key)
		return -1;
	snprintf(name, sizeof(name), "%016llx.bpf", (unsigned long long)fnv1a(key, strlen(key)));
	if (cache_lookup(name, key, p) == 0)
		return 0;
	if (generate(seccomp, p, err) < 0)
		return -1;
	cache_store(name, key, p);
	return 0;
}

int hr_rt_bpf_load(const struct hr_rt_process *p)
{
	struct sock_fprog prog = {.len = p->bpf_len, .filter = p->bpf};
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->bpf_flags, &prog);
}
