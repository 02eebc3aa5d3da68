/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The userns rule and a network namespace the container's user namespace
 * will not own (a CNI netns containerd made, podman's on its default
 * network, another container's): runc 1.1 enters the user namespace first
 * and then cannot enter such a netns, nor write its net.* sysctls, so
 * hardrun enters it before the runtime.  What happens there is decided
 * here (netns_decide: pure over the facts gathered) into the plan, and
 * done by provision only once no rule denied (src/provision/netns.c):
 * net.* sysctls the orchestrator asked for, and low
 * ports, only in a netns made for this container or pod, never in the
 * host's or another container's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/nsinfo.h"
#include "hardrun/podrec.h"
#include "hardrun/profile.h"
#include "hardrun/provision.h"
#include "hardrun/rules-resources.h"
#include "hardrun/util.h"
#include "userns-int.h"

#define PORT_START "net.ipv4.ip_unprivileged_port_start"

/*
 * net.ipv4.ping_group_range names gids of the network namespace's user
 * namespace; ids it does not map make the write fail (EINVAL), and Docker
 * sets "0 2147483647" by default.  Clamp it to the container's ids.
 */
void hr_userns_clamp_ping_range(struct hr_ctx *ctx, uint32_t size)
{
	struct hr_json *sys = hr_json_get_path(ctx->spec, "linux/sysctl");
	const char *v = hr_json_as_string(hr_json_get(sys, "net.ipv4.ping_group_range"));
	unsigned long lo = 0, hi = 0;
	_cleanup_free_ char *after = NULL;

	if (!v || sscanf(v, "%lu %lu", &lo, &hi) != 2 || hi < size)
		return;
	if (lo >= size)
		lo = size - 1;
	after = hr_xasprintf("%lu %" PRIu32, lo, size - 1);
	hr_report_as(ctx, HR_ACTION_FIX, "linux.sysctl.net.ipv4.ping_group_range", v, after,
		     "gids beyond the user namespace's %" PRIu32 " cannot be written", size);
	hr_json_set(sys, "net.ipv4.ping_group_range", hr_json_new_string(after));
}

static int enter_netns(const char *path, struct hr_error **err)
{
	_cleanup_close_ int fd = hr_ns_open(path, err);

	if (fd < 0)
		return -1;
	if (setns(fd, CLONE_NEWNET) < 0)
		return hr_error_set(err, errno, "enter network namespace %s", path);
	return 0;
}

/* Does any process live in network namespace id? */
static bool netns_in_use(const struct hr_nsid *id)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	bool used = false;

	while (d && !used && (de = readdir(d))) {
		char p[300];
		struct stat st;
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(p, sizeof(p), "/proc/%s/ns/net", de->d_name);
		used = stat(p, &st) == 0 && st.st_dev == id->dev && st.st_ino == id->ino;
	}
	if (d)
		closedir(d);
	return used;
}

/*
 * Made for this container or its pod: no process in it yet (the CNI or
 * podman made it for the container being created), or the one the pod's
 * sandbox, by hardrun's records, lives in.
 */
static bool made_for_us(const struct hr_ctx *ctx, const struct hr_ns_facts *f)
{
	struct hr_pod pod = {0};
	struct hr_error *e = NULL;
	struct stat st;
	_cleanup_free_ char *sb = NULL;

	if (!netns_in_use(&f->id))
		return true;
	if (hr_pod_of(ctx->policy, ctx->spec, ctx->runtime_root, &pod, &e) != 1) {
		hr_error_clear(&e);
		return false;
	}
	sb = hr_xasprintf("/proc/%ld/ns/net", pod.pid);
	return stat(sb, &st) == 0 && st.st_dev == f->id.dev && st.st_ino == f->id.ino;
}

/* A net.* key as /proc/sys names it, and as the profile's resources rule allows. */
static bool sysctl_ok(const struct hr_ctx *ctx, const char *key)
{
	const struct hr_rule_config *rc = hr_profile_rule(ctx->profile, "resources");

	if (strncmp(key, "net.", 4) != 0 ||
	    strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_.-") != strlen(key) ||
	    strstr(key, "..") || key[strlen(key) - 1] == '.')
		return false;
	return !rc || rc->action == HR_ACTION_OFF || hr_resources_sysctl_listed(rc->settings, key);
}

/* The value as the netns's owner reads it; ping_group_range pending the range: np->shift. */
static char *host_value(const char *key, const char *v, const struct hr_userns_plan *pl,
			struct hr_netns_plan *np)
{
	unsigned long lo = 0, hi = 0;

	if (strcmp(key, "net.ipv4.ping_group_range") != 0 || sscanf(v, "%lu %lu", &lo, &hi) != 2)
		return hr_xstrdup(v);
	if (pl->pending) {
		np->shift = true; /* provision knows the start */
		return hr_xstrdup(v);
	}
	return hr_xasprintf("%lu %lu", pl->start + lo, pl->start + hi);
}

/* net.* sysctls into the plan (and out of the config), or a refusal. */
static void take_sysctls(struct hr_ctx *ctx, const struct hr_userns_plan *pl, bool ours,
			 struct hr_netns_plan *np, struct hr_json *undo)
{
	struct hr_json *sys = hr_json_get_path(ctx->spec, "linux/sysctl");

	for (size_t i = sys && sys->type == HR_JSON_OBJECT ? sys->obj.len : 0; i-- > 0;) {
		const char *key = sys->obj.members[i].key;
		const char *v = hr_json_as_string(sys->obj.members[i].value);
		_cleanup_free_ char *path = hr_xasprintf("linux.sysctl.%.200s", key);
		if (strncmp(key, "net.", 4) != 0 || !v)
			continue;
		if (!ours || !sysctl_ok(ctx, key) || np->n >= HR_PLAN_MAX_SYSCTLS) {
			hr_report_unfixable(
			    ctx, path, v,
			    "%s: the container's user namespace does not own network "
			    "namespace %s, and it is %s",
			    key, np->path,
			    ours ? "not a sysctl the profile allows"
				 : "not one made for this container or pod (the "
				   "host's, or another container's)");
			continue;
		}
		np->key[np->n] = hr_xstrdup(key);
		np->value[np->n++] = host_value(key, v, pl, np);
		hr_report_as(ctx, HR_ACTION_FIX, path, v, np->value[np->n - 1],
			     "set by hardrun in the container's own network namespace (its user "
			     "namespace does not own it, so runc could not)");
		hr_json_set(hr_json_ensure_object(undo, "sysctl"), key,
			    hr_json_clone(sys->obj.members[i].value));
		hr_json_remove(sys, key);
	}
}

/* Decide: 1 and *np filled (index: its linux.namespaces entry) when a netns
 * must be entered by hardrun, 0 when none. */
static int netns_decide(struct hr_ctx *ctx, const struct hr_userns_plan *pl,
			struct hr_netns_plan *np, size_t *index, struct hr_json *undo)
{
	struct hr_json *nss = hr_json_get_path(ctx->spec, "linux/namespaces");
	struct hr_ns_facts f;
	struct hr_nsid self = {0};
	struct hr_error *e = NULL;

	for (size_t i = 0; nss && nss->type == HR_JSON_ARRAY && i < nss->arr.len; i++) {
		const char *t = hr_json_as_string(hr_json_get(nss->arr.items[i], "type"));
		const char *path = hr_json_as_string(hr_json_get(nss->arr.items[i], "path"));
		if (!t || strcmp(t, "network") != 0 || !path || !*path ||
		    hr_userns_netns_owned(ctx, pl))
			continue;
		if (hr_ns_resolve(path, &f, &e) < 0) { /* the namespaces rule refuses it */
			hr_error_clear(&e);
			return 0;
		}
		hr_ns_self(CLONE_NEWNET, &self);
		/* Never the host's (by identity), never one another user namespace
		 * owns (another container's), never one somebody else lives in. */
		bool ours = hr_ns_judge(&f, CLONE_NEWNET, &self, NULL) == HR_NS_HOST_OWNED &&
			    made_for_us(ctx, &f);
		np->path = hr_xstrdup(path);
		*index = i;
		take_sysctls(ctx, pl, ours, np, undo);
		np->low_ports = ours;
		return 1;
	}
	return 0;
}

int hr_userns_preenter_netns(struct hr_ctx *ctx, const struct hr_userns_plan *pl,
			     struct hr_json *undo, struct hr_error **err)
{
	struct hr_netns_plan np = {0};
	struct hr_json *nss = hr_json_get_path(ctx->spec, "linux/namespaces");
	_cleanup_free_ char *before = NULL;
	size_t index = 0;

	(void)err;
	if (netns_decide(ctx, pl, &np, &index, undo) == 0 || ctx->findings.denials)
		goto out;
	if (np.low_ports)
		hr_report_as(ctx, HR_ACTION_FIX, "linux.sysctl." PORT_START, NULL, "0",
			     "root of the container holds no capability in a network namespace "
			     "made for it by the host: low ports opened in that netns only");
	before = hr_json_brief(nss->arr.items[index]);
	hr_report_as(ctx, HR_ACTION_FIX, "linux.namespaces", before, NULL,
		     "network namespace entered by hardrun before the runtime: runc 1.1 "
		     "enters the user namespace first and could not enter it after");
	/* A later container from this bundle must get its netns back. */
	hr_json_set(undo, "netns", hr_json_clone(nss->arr.items[index]));
	hr_json_array_remove(nss, index);
	/* Decided: provision enters it and writes there (with a container id). */
	if (ctx->plan && ctx->container_id && !ctx->plan->netns.path) {
		ctx->plan->netns = np;
		memset(&np, 0, sizeof(np));
	}
out:
	hr_netns_plan_clear(&np);
	return 0;
}

int hr_userns_enter_init_netns(const char *root, const char *id, struct hr_error **err)
{
	long pid = 0;
	_cleanup_free_ char *ns = NULL;
	struct hr_error *e = NULL;
	struct stat a, b;

	/* No such container (yet): the runtime reports that, not us. */
	if (!id || hr_runtime_init_pid(root, id, &pid, &e) < 0) {
		hr_error_clear(&e);
		return 0;
	}
	ns = hr_xasprintf("/proc/%ld/ns/net", pid);
	if (stat(ns, &a) == 0 && stat("/proc/self/ns/net", &b) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino)
		return 0;
	return enter_netns(ns, err);
}
