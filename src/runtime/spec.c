/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `spec [--rootless] [--bundle DIR]`: the example config.json runc 1.1.5
 * writes, the same document (compared as JSON) and the same layout.  The
 * text is ours, assembled from fixed parts; the rootless variant maps the
 * caller's effective ids to root, drops the network namespace and the
 * device cgroup rule, binds /sys instead of mounting a sysfs, and leaves
 * devpts' gid alone, as runc's does.
 *
 * The file is created with O_EXCL through the bundle's descriptor: an
 * existing config.json, or a symlink by that name (even dangling), is never
 * written through.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/util.h"
#include "rt.h"

static const char spec_head[] =
    "{\n"
    "\t\"ociVersion\": \"1.0.2-dev\",\n"
    "\t\"process\": {\n"
    "\t\t\"terminal\": true,\n"
    "\t\t\"user\": {\n"
    "\t\t\t\"uid\": 0,\n"
    "\t\t\t\"gid\": 0\n"
    "\t\t},\n"
    "\t\t\"args\": [\n"
    "\t\t\t\"sh\"\n"
    "\t\t],\n"
    "\t\t\"env\": [\n"
    "\t\t\t\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\n"
    "\t\t\t\"TERM=xterm\"\n"
    "\t\t],\n"
    "\t\t\"cwd\": \"/\",\n"
    "\t\t\"capabilities\": {\n";

/* the same three capabilities in each of the four sets */
static const char *const cap_sets[] = {"bounding", "effective", "permitted", "ambient"};
static const char cap_list[] = "\t\t\t\t\"CAP_AUDIT_WRITE\",\n"
			       "\t\t\t\t\"CAP_KILL\",\n"
			       "\t\t\t\t\"CAP_NET_BIND_SERVICE\"\n";

static const char spec_process_tail[] = "\t\t},\n"
					"\t\t\"rlimits\": [\n"
					"\t\t\t{\n"
					"\t\t\t\t\"type\": \"RLIMIT_NOFILE\",\n"
					"\t\t\t\t\"hard\": 1024,\n"
					"\t\t\t\t\"soft\": 1024\n"
					"\t\t\t}\n"
					"\t\t],\n"
					"\t\t\"noNewPrivileges\": true\n"
					"\t},\n"
					"\t\"root\": {\n"
					"\t\t\"path\": \"rootfs\",\n"
					"\t\t\"readonly\": true\n"
					"\t},\n"
					"\t\"hostname\": \"runc\",\n"
					"\t\"mounts\": [\n";

struct spec_mount {
	const char *dest, *type, *source;
	const char *opts[8];
};

static const struct spec_mount mounts[] = {
    {"/proc", "proc", "proc", {NULL}},
    {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k", NULL}},
    {"/dev/pts",
     "devpts",
     "devpts",
     {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL}},
    {"/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL}},
    {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev", NULL}},
    {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro", NULL}},
    {"/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro", NULL}},
};

/* rootless: no sysfs can be mounted without owning the network namespace */
static const struct spec_mount rootless_sys = {
    "/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro", NULL}};

static const char *const masked[] = {"/proc/acpi",
				     "/proc/asound",
				     "/proc/kcore",
				     "/proc/keys",
				     "/proc/latency_stats",
				     "/proc/timer_list",
				     "/proc/timer_stats",
				     "/proc/sched_debug",
				     "/sys/firmware",
				     "/proc/scsi",
				     NULL};
static const char *const readonly[] = {"/proc/bus",	      "/proc/fs", "/proc/irq", "/proc/sys",
				       "/proc/sysrq-trigger", NULL};

static void put_mount(FILE *f, const struct spec_mount *m, bool rootless, bool last)
{
	fprintf(f,
		"\t\t{\n\t\t\t\"destination\": \"%s\",\n\t\t\t\"type\": \"%s\",\n"
		"\t\t\t\"source\": \"%s\"%s\n",
		m->dest, m->type, m->source, m->opts[0] ? "," : "");
	if (m->opts[0]) {
		fputs("\t\t\t\"options\": [\n", f);
		for (size_t i = 0; m->opts[i]; i++) {
			/* devpts' gid=5 names a group the caller may not have mapped */
			bool skip = rootless && !strcmp(m->opts[i], "gid=5");
			bool more =
			    m->opts[i + 1] && !(rootless && !strcmp(m->opts[i + 1], "gid=5"));
			if (!skip)
				fprintf(f, "\t\t\t\t\"%s\"%s\n", m->opts[i], more ? "," : "");
		}
		fputs("\t\t\t]\n", f);
	}
	fprintf(f, "\t\t}%s\n", last ? "" : ",");
}

static void put_list(FILE *f, const char *key, const char *const *v, bool more)
{
	fprintf(f, "\t\t\"%s\": [\n", key);
	for (size_t i = 0; v[i]; i++)
		fprintf(f, "\t\t\t\"%s\"%s\n", v[i], v[i + 1] ? "," : "");
	fprintf(f, "\t\t]%s\n", more ? "," : "");
}

static void put_mapping(FILE *f, const char *key, unsigned id)
{
	fprintf(f,
		"\t\t\"%s\": [\n\t\t\t{\n\t\t\t\t\"containerID\": 0,\n"
		"\t\t\t\t\"hostID\": %u,\n\t\t\t\t\"size\": 1\n\t\t\t}\n\t\t],\n",
		key, id);
}

static void put_linux(FILE *f, bool rootless, unsigned uid, unsigned gid)
{
	static const char *const ns[] = {"pid", "network", "ipc", "uts", "mount", "user"};

	fputs("\t\"linux\": {\n", f);
	if (rootless) {
		put_mapping(f, "uidMappings", uid);
		put_mapping(f, "gidMappings", gid);
	} else {
		fputs("\t\t\"resources\": {\n\t\t\t\"devices\": [\n\t\t\t\t{\n"
		      "\t\t\t\t\t\"allow\": false,\n\t\t\t\t\t\"access\": \"rwm\"\n"
		      "\t\t\t\t}\n\t\t\t]\n\t\t},\n",
		      f);
	}
	fputs("\t\t\"namespaces\": [\n", f);
	/* rootless: a user namespace instead of a network one (none to configure it) */
	for (size_t i = 0; i < 6; i++) {
		bool want = rootless ? i != 1 : i != 5;
		if (want)
			fprintf(f, "\t\t\t{\n\t\t\t\t\"type\": \"%s\"\n\t\t\t}%s\n", ns[i],
				i == (rootless ? 5u : 4u) ? "" : ",");
	}
	fputs("\t\t],\n", f);
	put_list(f, "maskedPaths", masked, true);
	put_list(f, "readonlyPaths", readonly, false);
	fputs("\t}\n}", f);
}

char *hr_rt_spec_text(bool rootless, unsigned uid, unsigned gid)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	size_t n = sizeof(mounts) / sizeof(mounts[0]);

	if (!f)
		abort();
	fputs(spec_head, f);
	for (size_t i = 0; i < 4; i++)
		fprintf(f, "\t\t\t\"%s\": [\n%s\t\t\t]%s\n", cap_sets[i], cap_list,
			i < 3 ? "," : "");
	fputs(spec_process_tail, f);
	for (size_t i = 0; i < n; i++) {
		bool sys = rootless && !strcmp(mounts[i].dest, "/sys");
		put_mount(f, sys ? &rootless_sys : &mounts[i], rootless, i + 1 == n);
	}
	fputs("\t],\n", f);
	put_linux(f, rootless, uid, gid);
	if (fclose(f) != 0 || !text)
		abort();
	return text;
}

int hr_rt_spec_write(const char *bundle, bool rootless, struct hr_error **err)
{
	_cleanup_close_ int dirfd = -1, fd = -1;
	_cleanup_free_ char *text = NULL;

	/* runc chdirs into the bundle: a missing one is that error, nothing written */
	dirfd = open(bundle ? bundle : ".", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (dirfd < 0)
		return hr_error_set(err, errno, "chdir %s", bundle ? bundle : ".");
	fd = openat(dirfd, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0666);
	if (fd < 0 && errno == EEXIST)
		return hr_error_set(err, 0, "File config.json exists. Remove it first");
	if (fd < 0)
		return hr_error_set(err, errno, "open config.json");
	text = hr_rt_spec_text(rootless, (unsigned)geteuid(), (unsigned)getegid());
	if (hr_write_all(fd, text, strlen(text)) < 0) {
		int e = errno;
		/* a half-written example is no example: remove what this call created */
		unlinkat(dirfd, "config.json", 0);
		return hr_error_set(err, e, "write config.json");
	}
	return 0;
}
