/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The spec tree compiled into what the child applies.  Everything that can
 * fail on bad input fails here, in the parent, before any process exists:
 * the child only replays syscalls.
 */
#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "hardrun/cleanup.h"
#include "hardrun/path.h"
#include "hardrun/util.h"
#include "rt.h"

static const struct {
	const char *name;
	int flag;
} ns_table[] = {
    {"user", CLONE_NEWUSER},	 {"mount", CLONE_NEWNS},  {"pid", CLONE_NEWPID},
    {"ipc", CLONE_NEWIPC},	 {"uts", CLONE_NEWUTS},	  {"network", CLONE_NEWNET},
    {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

static const struct {
	const char *name;
	bool clear;
	unsigned long flag;
} mount_flags[] = {
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},
    {"atime", true, MS_NOATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"diratime", true, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"nosymfollow", false, MS_NOSYMFOLLOW},
    {"defaults", false, 0},
};

/*
 * runc 1.1's recursive options, applied with mount_setattr(AT_RECURSIVE) to
 * the whole tree after the mount.  An atime mode is one value of the
 * MOUNT_ATTR__ATIME field, never a bit: setting one clears the field, and
 * the negations (ratime, rnorelatime, rnostrictatime) go back to the
 * kernel's default, relatime.
 */
static const struct {
	const char *name;
	bool clear;
	uint64_t attr;
} rec_attrs[] = {
    {"rro", false, MOUNT_ATTR_RDONLY},
    {"rrw", true, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, MOUNT_ATTR_NOSUID},
    {"rsuid", true, MOUNT_ATTR_NOSUID},
    {"rnodev", false, MOUNT_ATTR_NODEV},
    {"rdev", true, MOUNT_ATTR_NODEV},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC},
    {"rexec", true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW},
};

static const struct {
	const char *name;
	uint64_t mode;
} rec_atime[] = {
    {"rnoatime", MOUNT_ATTR_NOATIME},	  {"rstrictatime", MOUNT_ATTR_STRICTATIME},
    {"rrelatime", MOUNT_ATTR_RELATIME},	  {"ratime", MOUNT_ATTR_RELATIME},
    {"rnorelatime", MOUNT_ATTR_RELATIME}, {"rnostrictatime", MOUNT_ATTR_RELATIME},
};

static const struct {
	const char *name;
	unsigned long flag;
} propagation_table[] = {
    {"private", MS_PRIVATE},	   {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},	   {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},	   {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

static const char *hook_names[HR_HOOK_N] = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
};

/* A string array member as a NULL-terminated vector (empty when absent). */
static int strv_member(const struct hr_json *obj, const char *name, char ***out,
		       struct hr_error **err)
{
	const struct hr_json *a = hr_json_get(obj, name);
	char **v = NULL;

	*out = NULL;
	if (hr_json_is_null(a)) {
		*out = hr_xcalloc(1, sizeof(char *));
		return 0;
	}
	if (a->type != HR_JSON_ARRAY)
		return hr_error_set(err, 0, "%s: expected an array", name);
	v = hr_xcalloc(a->arr.len + 1, sizeof(char *));
	for (size_t i = 0; i < a->arr.len; i++) {
		const char *s = hr_json_as_string(a->arr.items[i]);
		if (!s) {
			hr_strv_free(v);
			return hr_error_set(err, 0, "%s[%zu]: expected a string", name, i);
		}
		v[i] = hr_xstrdup(s);
	}
	*out = v;
	return 0;
}

static const char *str_member(const struct hr_json *obj, const char *name)
{
	return hr_json_as_string(hr_json_get(obj, name));
}

/* One of the recursive options: true when o is one (m updated). */
static bool parse_rec_option(struct hr_rt_mount *m, const char *o)
{
	for (size_t k = 0; k < sizeof(rec_attrs) / sizeof(rec_attrs[0]); k++) {
		if (strcmp(o, rec_attrs[k].name) != 0)
			continue;
		if (rec_attrs[k].clear) {
			m->rec_set &= ~rec_attrs[k].attr;
			m->rec_clr |= rec_attrs[k].attr;
		} else {
			m->rec_set |= rec_attrs[k].attr;
			m->rec_clr &= ~rec_attrs[k].attr;
		}
		m->rec = true;
		return true;
	}
	for (size_t k = 0; k < sizeof(rec_atime) / sizeof(rec_atime[0]); k++) {
		if (strcmp(o, rec_atime[k].name) != 0)
			continue;
		m->rec_set = (m->rec_set & ~(uint64_t)MOUNT_ATTR__ATIME) | rec_atime[k].mode;
		m->rec_clr |= MOUNT_ATTR__ATIME;
		m->rec = true;
		return true;
	}
	return false;
}

int hr_rt_parse_mount_options(struct hr_rt_mount *m, const struct hr_json *opts,
			      struct hr_error **err)
{
	_cleanup_free_ char *data = NULL;

	if (hr_json_is_null(opts))
		return 0;
	if (opts->type != HR_JSON_ARRAY)
		return hr_error_set(err, 0, "mount %s: options must be an array", m->dest);
	for (size_t i = 0; i < opts->arr.len; i++) {
		const char *o = hr_json_as_string(opts->arr.items[i]);
		bool known = false;

		if (!o)
			return hr_error_set(err, 0, "mount %s: option %zu is not a string", m->dest,
					    i);
		if (strcmp(o, "bind") == 0 || strcmp(o, "rbind") == 0) {
			m->bind = true;
			if (o[0] == 'r')
				m->flags |= MS_REC;
			continue;
		}
		for (size_t k = 0; k < sizeof(mount_flags) / sizeof(mount_flags[0]); k++) {
			if (strcmp(o, mount_flags[k].name) != 0)
				continue;
			if (mount_flags[k].clear) {
				m->flags &= ~mount_flags[k].flag;
				m->clear |= mount_flags[k].flag;
			} else {
				m->flags |= mount_flags[k].flag;
				m->clear &= ~mount_flags[k].flag;
			}
			known = true;
		}
		if (!known)
			known = parse_rec_option(m, o);
		for (size_t k = 0;
		     !known && k < sizeof(propagation_table) / sizeof(propagation_table[0]); k++) {
			if (strcmp(o, propagation_table[k].name) != 0)
				continue;
			if (m->n_propagation < 4)
				m->propagation[m->n_propagation++] = propagation_table[k].flag;
			known = true;
		}
		if (known)
			continue;
		if (strcmp(o, "tmpcopyup") == 0 || strcmp(o, "idmap") == 0 ||
		    strcmp(o, "ridmap") == 0)
			return hr_error_set(
			    err, 0, "mount %s: option %s is not supported by the builtin runtime",
			    m->dest, o);
		if (data) {
			char *n = hr_xasprintf("%s,%s", data, o);
			free(data);
			data = n;
		} else {
			data = hr_xstrdup(o);
		}
	}
	m->data = hr_steal_ptr(&data);
	return 0;
}

/* lxcfs's files: the only mounts inside /proc runc lets through. */
static const char *proc_files[] = {
    "/proc/cpuinfo", "/proc/diskstats",
    "/proc/meminfo", "/proc/stat",
    "/proc/swaps",   "/proc/uptime",
    "/proc/loadavg", "/proc/slabinfo",
    "/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
};

/*
 * What the parent can refuse of one mount.  Mount data is for a filesystem
 * to parse: a bind or the cgroup view take none, so an option nobody knows
 * ("rro" to a runtime without it, a typo) is an error, never dropped.  At
 * /proc only a proc filesystem: the init reaches exec.fifo and checks its
 * cwd through it, and a bind there is the host's or the image's choice of
 * what /proc/self means.  The child checks the resolved destination again
 * (a symlink in the image can make another name land on /proc).
 */
static int check_mount(const struct hr_rt_mount *m, size_t i, struct hr_error **err)
{
	_cleanup_free_ char *dest = hr_path_normalise(m->dest);
	bool proc = strcmp(m->type, "proc") == 0 && !m->bind;

	if (m->data && (m->bind || strcmp(m->type, "cgroup") == 0))
		return hr_error_set(err, EINVAL, "mounts[%zu] (%s): unknown mount option(s) %s", i,
				    m->dest, m->data);
	if (!dest)
		return hr_error_set(err, EINVAL, "mounts[%zu]: destination %s", i, m->dest);
	if (strcmp(dest, "/proc") == 0 && !proc)
		return hr_error_set(err, EINVAL,
				    "mounts[%zu]: %s cannot be mounted because it is not of type "
				    "proc",
				    i, m->dest);
	if (strncmp(dest, "/proc/", 6) != 0)
		return 0;
	for (size_t k = 0; k < sizeof(proc_files) / sizeof(proc_files[0]); k++)
		if (strcmp(dest, proc_files[k]) == 0 && m->bind)
			return 0;
	return hr_error_set(err, EINVAL,
			    "mounts[%zu]: %s cannot be mounted because it is inside /proc", i,
			    m->dest);
}

static int load_mounts(struct hr_rt_config *c, const struct hr_json *spec, struct hr_error **err)
{
	const struct hr_json *ms = hr_json_get(spec, "mounts");

	if (hr_json_is_null(ms))
		return 0;
	if (ms->type != HR_JSON_ARRAY)
		return hr_error_set(err, 0, "mounts: expected an array");
	c->mounts = hr_xcalloc(ms->arr.len + 1, sizeof(*c->mounts));
	for (size_t i = 0; i < ms->arr.len; i++) {
		const struct hr_json *j = ms->arr.items[i];
		struct hr_rt_mount *m = &c->mounts[c->n_mounts++];
		const char *dest = str_member(j, "destination");
		const char *src = str_member(j, "source");
		const char *type = str_member(j, "type");

		if (!dest || dest[0] != '/')
			return hr_error_set(err, 0,
					    "mounts[%zu]: destination must be an absolute path", i);
		m->dest = hr_xstrdup(dest);
		m->type = hr_xstrdup(type ? type : (src ? "none" : "none"));
		if (hr_rt_parse_mount_options(m, hr_json_get(j, "options"), err) < 0)
			return hr_err_wrap(err, "mounts[%zu]", i);
		if (strcmp(m->type, "bind") == 0)
			m->bind = true;
		if (check_mount(m, i, err) < 0)
			return -1;
		if (!src)
			src = m->type;
		/* bind sources are host paths, relative to the bundle as runc reads them */
		if (m->bind && src[0] != '/')
			m->source = hr_xasprintf("%s/%s", c->bundle, src);
		else
			m->source = hr_xstrdup(src);
	}
	return 0;
}

static int load_namespaces(struct hr_rt_config *c, const struct hr_json *linux_,
			   struct hr_error **err)
{
	const struct hr_json *nss = hr_json_get(linux_, "namespaces");

	if (hr_json_is_null(nss))
		return 0;
	if (nss->type != HR_JSON_ARRAY)
		return hr_error_set(err, 0, "linux.namespaces: expected an array");
	c->ns_paths = hr_xcalloc(nss->arr.len + 1, sizeof(*c->ns_paths));
	for (size_t i = 0; i < nss->arr.len; i++) {
		const char *type = str_member(nss->arr.items[i], "type");
		const char *path = str_member(nss->arr.items[i], "path");
		int flag = 0;

		for (size_t k = 0; type && k < sizeof(ns_table) / sizeof(ns_table[0]); k++)
			if (strcmp(type, ns_table[k].name) == 0)
				flag = ns_table[k].flag;
		if (!flag)
			return hr_error_set(err, 0, "linux.namespaces[%zu]: unknown type %s", i,
					    type ? type : "(none)");
		if (path && *path) {
			c->ns_paths[c->n_ns_paths].type = flag;
			c->ns_paths[c->n_ns_paths++].path = hr_xstrdup(path);
		} else {
			c->clone_flags |= flag;
		}
	}
	return 0;
}

static char *load_idmap(const struct hr_json *arr, struct hr_error **err)
{
	_cleanup_free_ char *out = hr_xstrdup("");

	if (hr_json_is_null(arr))
		return NULL;
	if (arr->type != HR_JSON_ARRAY) {
		hr_error_set(err, 0, "id mappings must be an array");
		return NULL;
	}
	for (size_t i = 0; i < arr->arr.len; i++) {
		uint64_t in = 0, host = 0, size = 0;
		const struct hr_json *m = arr->arr.items[i];
		char *n;

		if (!hr_json_as_uint64(hr_json_get(m, "containerID"), &in) ||
		    !hr_json_as_uint64(hr_json_get(m, "hostID"), &host) ||
		    !hr_json_as_uint64(hr_json_get(m, "size"), &size) || in > UINT32_MAX ||
		    host > UINT32_MAX || size > UINT32_MAX) {
			hr_error_set(
			    err, 0,
			    "id mapping %zu: containerID, hostID, size must be 32-bit numbers", i);
			return NULL;
		}
		n = hr_xasprintf("%s%llu %llu %llu\n", out, (unsigned long long)in,
				 (unsigned long long)host, (unsigned long long)size);
		free(out);
		out = n;
	}
	return hr_steal_ptr(&out);
}

/* linux.resources.devices as devices.allow/deny lines (v1 syntax). */
static void load_device_rules(const struct hr_json *devs, struct hr_rt_resources *out)
{
	for (size_t i = 0; devs && devs->type == HR_JSON_ARRAY && i < devs->arr.len; i++) {
		const struct hr_json *d = devs->arr.items[i], *allow = hr_json_get(d, "allow");
		const char *type = str_member(d, "type"), *access = str_member(d, "access");
		int64_t major = -1, minor = -1;
		char maj[24] = "*", min[24] = "*";
		char *rule;

		if (hr_json_as_int64(hr_json_get(d, "major"), &major) && major >= 0)
			snprintf(maj, sizeof(maj), "%lld", (long long)major);
		if (hr_json_as_int64(hr_json_get(d, "minor"), &minor) && minor >= 0)
			snprintf(min, sizeof(min), "%lld", (long long)minor);
		if (!type || !*type || strchr("acb", type[0]) == NULL || type[1])
			type = "a";
		rule = hr_xasprintf("%s %s %s:%s %s",
				    allow && allow->type == HR_JSON_BOOL && allow->boolean ? "allow"
											   : "deny",
				    type, maj, min, access && *access ? access : "rwm");
		hr_strv_push(&out->device_rules, rule);
		free(rule);
	}
}

void hr_rt_resources_load(const struct hr_json *r, struct hr_rt_resources *out)
{
	const struct hr_json *v;

	if (hr_json_is_null(r))
		return;
	load_device_rules(hr_json_get(r, "devices"), out);
	if ((v = hr_json_get(r, "unified")) && v->type == HR_JSON_OBJECT)
		for (size_t i = 0; i < v->obj.len; i++) {
			const char *val = hr_json_as_string(v->obj.members[i].value);
			hr_strv_push(&out->unified, v->obj.members[i].key);
			hr_strv_push(&out->unified, val ? val : "");
		}
	if ((v = hr_json_get_path(r, "pids/limit")))
		hr_json_as_int64(v, &out->pids_limit);
	if ((v = hr_json_get_path(r, "memory/limit")))
		hr_json_as_int64(v, &out->memory_limit);
	if ((v = hr_json_get_path(r, "memory/swap")))
		hr_json_as_int64(v, &out->memory_swap);
	if ((v = hr_json_get_path(r, "memory/reservation")))
		hr_json_as_int64(v, &out->memory_reservation);
	if ((v = hr_json_get_path(r, "cpu/shares")))
		hr_json_as_uint64(v, &out->cpu_shares);
	if ((v = hr_json_get_path(r, "cpu/quota")))
		hr_json_as_int64(v, &out->cpu_quota);
	if ((v = hr_json_get_path(r, "cpu/period")))
		hr_json_as_uint64(v, &out->cpu_period);
}

static int load_hooks(struct hr_rt_config *c, const struct hr_json *spec, struct hr_error **err)
{
	const struct hr_json *hooks = hr_json_get(spec, "hooks");

	for (int k = 0; k < HR_HOOK_N && !hr_json_is_null(hooks); k++) {
		const struct hr_json *a = hr_json_get(hooks, hook_names[k]);
		if (hr_json_is_null(a))
			continue;
		if (a->type != HR_JSON_ARRAY)
			return hr_error_set(err, 0, "hooks.%s: expected an array", hook_names[k]);
		c->hooks[k] = hr_xcalloc(a->arr.len + 1, sizeof(struct hr_rt_hook));
		for (size_t i = 0; i < a->arr.len; i++) {
			struct hr_rt_hook *h = &c->hooks[k][c->n_hooks[k]++];
			const char *path = str_member(a->arr.items[i], "path");
			int64_t t = 0;

			if (!path || path[0] != '/')
				return hr_error_set(err, 0, "hooks.%s[%zu]: path must be absolute",
						    hook_names[k], i);
			h->path = hr_xstrdup(path);
			if (strv_member(a->arr.items[i], "args", &h->args, err) < 0 ||
			    strv_member(a->arr.items[i], "env", &h->env, err) < 0)
				return hr_err_wrap(err, "hooks.%s[%zu]", hook_names[k], i);
			if (hr_json_as_int64(hr_json_get(a->arr.items[i], "timeout"), &t) && t > 0)
				h->timeout = (int)t;
		}
	}
	return 0;
}

static int load_devices(struct hr_rt_config *c, const struct hr_json *devs, struct hr_error **err)
{
	if (hr_json_is_null(devs))
		return 0;
	if (devs->type != HR_JSON_ARRAY)
		return hr_error_set(err, 0, "linux.devices: expected an array");
	c->devices = hr_xcalloc(devs->arr.len + 1, sizeof(*c->devices));
	for (size_t i = 0; i < devs->arr.len; i++) {
		const struct hr_json *d = devs->arr.items[i];
		struct hr_rt_device *dev = &c->devices[c->n_devices++];
		const char *path = str_member(d, "path"), *type = str_member(d, "type");
		uint64_t v = 0;

		if (!path || path[0] != '/' || strstr(path, ".."))
			return hr_error_set(err, 0, "linux.devices[%zu]: path must be absolute", i);
		if (!type || !strchr("cbup", type[0]) || !type[0] || type[1])
			return hr_error_set(err, 0, "linux.devices[%zu]: type must be c, b, u or p",
					    i);
		dev->path = hr_xstrdup(path);
		dev->type = type[0] == 'u' ? 'c' : type[0];
		if (hr_json_as_uint64(hr_json_get(d, "major"), &v))
			dev->major = (unsigned)v;
		if (hr_json_as_uint64(hr_json_get(d, "minor"), &v))
			dev->minor = (unsigned)v;
		dev->mode =
		    hr_json_as_uint64(hr_json_get(d, "fileMode"), &v) ? (mode_t)(v & 07777) : 0666;
		if (hr_json_as_uint64(hr_json_get(d, "uid"), &v))
			dev->uid = (uid_t)v;
		if (hr_json_as_uint64(hr_json_get(d, "gid"), &v))
			dev->gid = (gid_t)v;
	}
	return 0;
}

static int load_linux(struct hr_rt_config *c, const struct hr_json *linux_, struct hr_error **err)
{
	const struct hr_json *sysctl = hr_json_get(linux_, "sysctl");
	const char *prop = str_member(linux_, "rootfsPropagation");
	const char *cg = str_member(linux_, "cgroupsPath");

	if (load_namespaces(c, linux_, err) < 0)
		return -1;
	c->uid_map = load_idmap(hr_json_get(linux_, "uidMappings"), err);
	c->gid_map = load_idmap(hr_json_get(linux_, "gidMappings"), err);
	if (*err)
		return -1;
	if ((c->clone_flags & CLONE_NEWUSER) && (!c->uid_map || !c->gid_map))
		return hr_error_set(err, 0,
				    "a new user namespace needs uidMappings and gidMappings");
	if (load_devices(c, hr_json_get(linux_, "devices"), err) < 0)
		return -1;
	if (strv_member(linux_, "maskedPaths", &c->masked, err) < 0 ||
	    strv_member(linux_, "readonlyPaths", &c->readonly, err) < 0)
		return hr_err_wrap(err, "linux");
	c->rootfs_propagation = MS_SLAVE | MS_REC; /* runc's default */
	for (size_t k = 0; prop && k < sizeof(propagation_table) / sizeof(propagation_table[0]);
	     k++)
		if (strcmp(prop, propagation_table[k].name) == 0)
			c->rootfs_propagation = propagation_table[k].flag;
	if (!hr_json_is_null(sysctl) && sysctl->type == HR_JSON_OBJECT) {
		for (size_t i = 0; i < sysctl->obj.len; i++) {
			const char *v = hr_json_as_string(sysctl->obj.members[i].value);
			if (!v)
				return hr_error_set(err, 0, "linux.sysctl.%s: expected a string",
						    sysctl->obj.members[i].key);
			char *kv = hr_xasprintf("%s=%s", sysctl->obj.members[i].key, v);
			hr_strv_push(&c->sysctl, kv);
			free(kv);
		}
	}
	/* "slice:prefix:name" (systemd form) is not ours: keep a flat path instead */
	if (cg && cg[0] && !strchr(cg, ':'))
		c->cgroups_path = hr_xstrdup(cg[0] == '/' ? cg + 1 : cg);
	else
		c->cgroups_path = hr_xasprintf("hardrun/%s", c->id);
	/* it is joined under every hierarchy's root: no way out of it */
	if (strcmp(c->cgroups_path, "..") == 0 || strncmp(c->cgroups_path, "../", 3) == 0 ||
	    strstr(c->cgroups_path, "/../") ||
	    (strlen(c->cgroups_path) >= 3 &&
	     strcmp(c->cgroups_path + strlen(c->cgroups_path) - 3, "/..") == 0) ||
	    !c->cgroups_path[0])
		return hr_error_set(err, 0, "linux.cgroupsPath %s: must stay under the cgroup root",
				    c->cgroups_path);
	hr_rt_resources_load(hr_json_get(linux_, "resources"), &c->res);
	return 0;
}

int hr_rt_config_load(struct hr_rt_config *c, struct hr_json *spec, const char *bundle,
		      const char *id, struct hr_error **err)
{
	const struct hr_json *root = hr_json_get(spec, "root");
	const struct hr_json *linux_ = hr_json_get(spec, "linux");
	const char *rootpath = str_member(root, "path");
	const struct hr_json *ro = hr_json_get(root, "readonly");
	const char *s;

	memset(c, 0, sizeof(*c));
	c->rootfs_tree = -1;
	c->id = hr_xstrdup(id);
	c->bundle = hr_xstrdup(bundle);
	if (!rootpath || !*rootpath)
		return hr_error_set(err, 0, "root.path is required");
	c->rootfs =
	    rootpath[0] == '/' ? hr_xstrdup(rootpath) : hr_xasprintf("%s/%s", bundle, rootpath);
	c->root_readonly = ro && ro->type == HR_JSON_BOOL && ro->boolean;
	if ((s = str_member(spec, "hostname")))
		c->hostname = hr_xstrdup(s);
	if ((s = str_member(spec, "domainname")))
		c->domainname = hr_xstrdup(s);
	c->annotations = hr_json_get(spec, "annotations");
	if (hr_json_is_null(linux_))
		return hr_error_set(err, 0, "the builtin runtime needs a linux section");
	if (load_linux(c, linux_, err) < 0 || load_mounts(c, spec, err) < 0 ||
	    load_hooks(c, spec, err) < 0)
		return -1;
	if ((c->hostname || c->domainname) && !(c->clone_flags & CLONE_NEWUTS))
		return hr_error_set(err, 0, "hostname needs a new uts namespace");
	if (!(c->clone_flags & CLONE_NEWNS))
		return hr_error_set(err, 0, "the builtin runtime needs a new mount namespace");
	if (hr_rt_process_load(&c->proc, hr_json_get(spec, "process"),
			       hr_json_get(linux_, "seccomp"), err) < 0)
		return hr_err_wrap(err, "process");
	return 0;
}

static int cap_mask(const struct hr_json *caps, const char *set, uint64_t *mask,
		    struct hr_error **err)
{
	const struct hr_json *a = hr_json_get(caps, set);

	*mask = 0;
	if (hr_json_is_null(a))
		return 0;
	if (a->type != HR_JSON_ARRAY)
		return hr_error_set(err, 0, "capabilities.%s: expected an array", set);
	for (size_t i = 0; i < a->arr.len; i++) {
		const char *name = hr_json_as_string(a->arr.items[i]);
		char lower[64];
		cap_value_t v;
		size_t n;

		if (!name || (n = strlen(name)) >= sizeof(lower))
			return hr_error_set(err, 0, "capabilities.%s[%zu]: bad name", set, i);
		for (size_t k = 0; k <= n; k++)
			lower[k] = (char)tolower((unsigned char)name[k]);
		if (cap_from_name(lower, &v) < 0)
			return hr_error_set(err, 0, "capabilities.%s: unknown capability %s", set,
					    name);
		/* a capability this kernel does not know cannot be held: skip, as runc does */
		if (v >= 0 && v < 64 && v < (cap_value_t)cap_max_bits())
			*mask |= 1ULL << v;
	}
	return 0;
}

static int load_caps(struct hr_rt_process *p, const struct hr_json *caps, struct hr_error **err)
{
	static const cap_flag_t flags[] = {CAP_EFFECTIVE, CAP_PERMITTED, CAP_INHERITABLE};
	static const char *names[] = {"effective", "permitted", "inheritable"};

	p->caps = cap_init();
	if (!p->caps)
		return hr_error_set(err, errno, "cap_init");
	if (cap_mask(caps, "bounding", &p->bounding, err) < 0 ||
	    cap_mask(caps, "ambient", &p->ambient, err) < 0)
		return -1;
	for (size_t s = 0; s < 3; s++) {
		uint64_t mask = 0;
		if (cap_mask(caps, names[s], &mask, err) < 0)
			return -1;
		for (cap_value_t v = 0; v < 64; v++) {
			if (!(mask & (1ULL << v)))
				continue;
			if (cap_set_flag(p->caps, flags[s], 1, &v, CAP_SET) < 0)
				return hr_error_set(err, errno, "cap_set_flag");
		}
	}
	return 0;
}

static int load_user(struct hr_rt_process *p, const struct hr_json *user, struct hr_error **err)
{
	const struct hr_json *gids = hr_json_get(user, "additionalGids");
	uint64_t v = 0;

	if (hr_json_get(user, "username") && !hr_json_is_null(hr_json_get(user, "username")))
		return hr_error_set(err, 0, "user.username is for Windows");
	if (hr_json_as_uint64(hr_json_get(user, "uid"), &v))
		p->uid = (uid_t)v;
	if (hr_json_as_uint64(hr_json_get(user, "gid"), &v))
		p->gid = (gid_t)v;
	if (hr_json_as_uint64(hr_json_get(user, "umask"), &v)) {
		p->has_umask = true;
		p->umask = (mode_t)(v & 0777);
	}
	if (!hr_json_is_null(gids) && gids->type == HR_JSON_ARRAY) {
		p->gids = hr_xcalloc(gids->arr.len + 1, sizeof(gid_t));
		for (size_t i = 0; i < gids->arr.len; i++) {
			if (!hr_json_as_uint64(gids->arr.items[i], &v) || v > UINT32_MAX)
				return hr_error_set(err, 0, "user.additionalGids[%zu]: bad gid", i);
			p->gids[p->n_gids++] = (gid_t)v;
		}
	}
	return 0;
}

static int load_rlimits(struct hr_rt_process *p, const struct hr_json *rl, struct hr_error **err)
{
	if (hr_json_is_null(rl))
		return 0;
	if (rl->type != HR_JSON_ARRAY)
		return hr_error_set(err, 0, "rlimits: expected an array");
	p->rlimits = hr_xcalloc(rl->arr.len + 1, sizeof(*p->rlimits));
	for (size_t i = 0; i < rl->arr.len; i++) {
		const char *type = str_member(rl->arr.items[i], "type");
		uint64_t soft = 0, hard = 0;
		int res = hr_rlimit_resource(type);

		if (res < 0)
			return hr_error_set(err, 0, "rlimits[%zu]: unknown type %s", i,
					    type ? type : "(none)");
		if (!hr_json_as_uint64(hr_json_get(rl->arr.items[i], "soft"), &soft) ||
		    !hr_json_as_uint64(hr_json_get(rl->arr.items[i], "hard"), &hard))
			return hr_error_set(err, 0, "rlimits[%zu]: soft and hard are required", i);
		p->rlimits[p->n_rlimits].resource = res;
		p->rlimits[p->n_rlimits].value.rlim_cur = soft;
		p->rlimits[p->n_rlimits++].value.rlim_max = hard;
	}
	return 0;
}

int hr_rt_process_load(struct hr_rt_process *p, const struct hr_json *process,
		       const struct hr_json *seccomp, struct hr_error **err)
{
	const struct hr_json *nnp = hr_json_get(process, "noNewPrivileges");
	const struct hr_json *term = hr_json_get(process, "terminal");
	const char *cwd = str_member(process, "cwd");
	int64_t oom = 0;

	memset(p, 0, sizeof(*p));
	if (hr_json_is_null(process))
		return hr_error_set(err, 0, "process is required");
	if (strv_member(process, "args", &p->args, err) < 0 ||
	    strv_member(process, "env", &p->env, err) < 0)
		return -1;
	if (!p->args[0] || !p->args[0][0])
		return hr_error_set(err, 0, "args must not be empty");
	if (!cwd || cwd[0] != '/')
		return hr_error_set(err, 0, "cwd must be an absolute path");
	p->cwd = hr_xstrdup(cwd);
	p->no_new_privs = nnp && nnp->type == HR_JSON_BOOL && nnp->boolean;
	p->terminal = term && term->type == HR_JSON_BOOL && term->boolean;
	if (load_user(p, hr_json_get(process, "user"), err) < 0 ||
	    load_caps(p, hr_json_get(process, "capabilities"), err) < 0 ||
	    load_rlimits(p, hr_json_get(process, "rlimits"), err) < 0)
		return -1;
	if (hr_json_as_int64(hr_json_get(process, "oomScoreAdj"), &oom)) {
		p->has_oom = true;
		p->oom_score_adj = (int)oom;
	}
	if (str_member(process, "selinuxLabel") && *str_member(process, "selinuxLabel"))
		p->selinux_label = hr_xstrdup(str_member(process, "selinuxLabel"));
	if (str_member(process, "apparmorProfile") && *str_member(process, "apparmorProfile"))
		p->apparmor = hr_xstrdup(str_member(process, "apparmorProfile"));
	if (!hr_json_is_null(seccomp) && hr_rt_bpf_build(seccomp, p, err) < 0)
		return hr_err_wrap(err, "linux.seccomp");
	return 0;
}

void hr_rt_process_free(struct hr_rt_process *p)
{
	hr_strv_free(p->args);
	hr_strv_free(p->env);
	free(p->cwd);
	free(p->gids);
	free(p->rlimits);
	free(p->apparmor);
	free(p->selinux_label);
	if (p->caps)
		cap_free(p->caps);
	free(p->bpf);
	memset(p, 0, sizeof(*p));
}

void hr_rt_config_free(struct hr_rt_config *c)
{
	free(c->id);
	free(c->bundle);
	free(c->rootfs);
	free(c->hostname);
	free(c->domainname);
	for (size_t i = 0; i < c->n_ns_paths; i++)
		free(c->ns_paths[i].path);
	free(c->ns_paths);
	free(c->uid_map);
	free(c->gid_map);
	for (size_t i = 0; i < c->n_mounts; i++) {
		free(c->mounts[i].source);
		free(c->mounts[i].dest);
		free(c->mounts[i].type);
		free(c->mounts[i].data);
	}
	free(c->mounts);
	for (size_t i = 0; i < c->n_devices; i++)
		free(c->devices[i].path);
	free(c->devices);
	hr_strv_free(c->masked);
	hr_strv_free(c->readonly);
	hr_strv_free(c->sysctl);
	free(c->cgroups_path);
	hr_strv_free(c->res.device_rules);
	hr_strv_free(c->res.unified);
	for (int k = 0; k < HR_HOOK_N; k++) {
		for (size_t i = 0; i < c->n_hooks[k]; i++) {
			free(c->hooks[k][i].path);
			hr_strv_free(c->hooks[k][i].args);
			hr_strv_free(c->hooks[k][i].env);
		}
		free(c->hooks[k]);
	}
	hr_rt_process_free(&c->proc);
	memset(c, 0, sizeof(*c));
}
