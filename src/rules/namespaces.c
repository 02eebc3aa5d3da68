/* SPDX-License-Identifier: Apache-2.0 */
/*
 * namespaces: the container gets its own pid, ipc, uts, mount and cgroup
 * namespaces, either new or joined from a path that is not the host's (a
 * pod's sandbox namespaces are fine).  The network namespace follows the
 * profile: Docker's `--network host` is common enough that baseline only
 * warns, restricted and untrusted add a private one.  The user namespace
 * belongs to the userns rule; it is looked at here only for what it means
 * for sysfs (below).
 *
 * Settings: "hostNetwork" ("allow", "warn" (default) or "deny"),
 * "requireNetworkNamespace" (bool: same as hostNetwork "deny"),
 * "privateNetwork" (bool: a new, empty network namespace; joining any other
 * is a finding too).
 */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/nsinfo.h"
#include "hardrun/podrec.h"
#include "hardrun/path.h"
#include "hardrun/rules-resources.h"
#include "hardrun/rules.h"
#include "hardrun/spec.h"
#include "hardrun/util.h"

enum host_net { HOSTNET_ALLOW, HOSTNET_WARN, HOSTNET_DENY };

/*
 * hostNetwork: what sharing the host's network gets (allow: nothing, warn:
 * a warning, deny: the rule's action).  requireNetworkNamespace: true is
 * hostNetwork "deny".  privateNetwork: the network namespace must be new,
 * holding only loopback; joining any other (a pod's) is also a finding, for
 * profiles meant to have no network at all.
 */
struct ns_settings {
	enum host_net host_network;
	bool private_netns;
};

/* OCI namespace types and their /proc/<pid>/ns names. */
static const struct {
	const char *type;
	const char *proc;
	bool required; /* must be private to the container */
} ns_types[] = {
    {"pid", "pid", true},    {"ipc", "ipc", true},	 {"uts", "uts", true},
    {"mount", "mnt", true},  {"cgroup", "cgroup", true}, {"network", "net", false},
    {"user", "user", false}, {"time", "time", false},
};
#define N_NS (sizeof(ns_types) / sizeof(ns_types[0]))
enum { NS_IPC = 1, NS_UTS = 2, NS_CGROUP = 4, NS_NETWORK = 5, NS_USER = 6 };

static int ns_index(const char *type)
{
	for (size_t i = 0; i < N_NS; i++)
		if (strcmp(type, ns_types[i].type) == 0)
			return (int)i;
	return -1;
}

int hr_ns_path_is_host(const char *type, const char *path, bool *is_host, struct hr_error **err)
{
	int want = hr_ns_clone_type(type);
	struct hr_ns_facts f;
	struct hr_nsid self = {0};

	*is_host = false;
	if (!want)
		return hr_error_set(err, 0, "unknown namespace type `%s`", type);
	if (hr_ns_resolve(path, &f, err) < 0)
		return -1;
	hr_ns_self(want, &self);
	switch (hr_ns_judge(&f, want, &self, NULL)) {
	case HR_NS_WRONG_TYPE:
		return hr_error_set(err, 0, "`%s` is not a %s namespace", path, type);
	case HR_NS_HOST:
		*is_host = true;
		break;
	case HR_NS_HOST_OWNED:
		/* A network namespace the host made for a container (CNI) is
		 * not the host's; any other kind owned by the initial user
		 * namespace is host root's to judge, so the host's. */
		*is_host = want != CLONE_NEWNET;
		break;
	default:
		break;
	}
	return 0;
}

static int ns_parse(const struct hr_json *section, const char *file, void **settings,
		    struct hr_error **err)
{
	static const char *const keys[] = {"hostNetwork", "requireNetworkNamespace",
					   "privateNetwork", NULL};
	bool require_netns = false;
	_cleanup_free_ struct ns_settings *s = hr_xcalloc(1, sizeof(*s));
	_cleanup_free_ char *hn = NULL;

	s->host_network = HOSTNET_WARN;
	if (!hr_json_is_null(section)) {
		if (hr_policy_check_keys(section, file, "namespaces", keys, err) < 0 ||
		    hr_policy_get_string(section, "hostNetwork", &hn, file, "namespaces", err) <
			0 ||
		    hr_policy_get_bool(section, "requireNetworkNamespace", &require_netns, file,
				       "namespaces", err) < 0 ||
		    hr_policy_get_bool(section, "privateNetwork", &s->private_netns, file,
				       "namespaces", err) < 0)
			return -1;
	}
	if (hn) {
		if (strcmp(hn, "allow") == 0)
			s->host_network = HOSTNET_ALLOW;
		else if (strcmp(hn, "warn") == 0)
			s->host_network = HOSTNET_WARN;
		else if (strcmp(hn, "deny") == 0)
			s->host_network = HOSTNET_DENY;
		else
			return hr_error_set(err, 0,
					    "%s: namespaces.hostNetwork: `%s` is not one of allow, "
					    "warn, deny",
					    file, hn);
	}
	if (require_netns || s->private_netns)
		s->host_network = HOSTNET_DENY;
	*settings = hr_steal_ptr(&s);
	return 0;
}

static void ns_free(void *settings)
{
	free(settings);
}

struct ns_scan {
	struct hr_pod pod; /* the pod by hardrun's records (have_pod) */
	bool have_pod;
	unsigned seen;	  /* bit per ns_types index */
	ssize_t net_item; /* index of the network entry, -1 if none */
	bool net_is_host; /* network entry joins the host's namespace */
};

/*
 * A namespace joined by path, judged by what it is: its type, and which
 * user namespace owns it.  The host's (or, except for the network, any
 * owned by the initial user namespace) loses its path.  One owned by a
 * user namespace hardrun did not make for this container's pod would join
 * that container: its pid namespace (whose /proc/1/root is that
 * container's files), mount or time namespace is refused; its ipc, uts
 * and cgroup namespaces become private ones; its network is shared, the
 * container keeping a user namespace of its own there (docker --network
 * container:X; hardrun enters the netns before the runtime), which gives
 * it no privilege over the other container.
 */
static int judge_path(struct hr_ctx *ctx, struct hr_json *item, int idx, const char *nspath,
		      const char *path, const char *before, struct ns_scan *sc)
{
	int want = hr_ns_clone_type(ns_types[idx].type);
	struct hr_ns_facts f;
	struct hr_nsid self = {0};
	struct hr_error *e = NULL;

	if (hr_ns_resolve(nspath, &f, &e) < 0) {
		hr_report_unfixable(ctx, path, before, "cannot verify the namespace path (%s)",
				    e->msg);
		hr_error_clear(&e);
		return -1;
	}
	hr_ns_self(want, &self);
	enum hr_ns_verdict v = hr_ns_judge(&f, want, &self, sc->have_pod ? &sc->pod.userns : NULL);
	/* Rootless (hardrun in a user namespace): "initial" is the caller's own,
	 * whose namespaces (a rootless pod's) are not the host's; only the
	 * identity of hardrun's own says host there. */
	bool host =
	    v == HR_NS_HOST || (v == HR_NS_HOST_OWNED && idx != NS_NETWORK && !ctx->in_userns);
	if (v == HR_NS_WRONG_TYPE) {
		hr_report_unfixable(ctx, path, before, "the path is not a %s namespace",
				    ns_types[idx].type);
		return -1;
	}
	if (v == HR_NS_FOREIGN && (idx == NS_IPC || idx == NS_UTS || idx == NS_CGROUP)) {
		/* A podman pod's members share the infra's: nothing in the config
		 * says the infra is a pod, so they get their own, as safe as it is
		 * private (the network is shared without privilege, see above). */
		_cleanup_free_ char *after = hr_xasprintf("{\"type\":\"%s\"}", ns_types[idx].type);
		if (hr_report(ctx, path, before, after,
			      "the %s namespace of a user namespace hardrun did not make for this "
			      "container's pod: sharing it would take joining that container; a "
			      "private one instead",
			      ns_types[idx].type))
			hr_json_remove(item, "path");
		return idx;
	}
	if (v == HR_NS_FOREIGN && idx != NS_NETWORK) {
		hr_report_unfixable(ctx, path, before,
				    "joins the %s namespace of a user namespace hardrun did not "
				    "make for this container's pod: that would be joining another "
				    "container",
				    ns_types[idx].type);
		return -1;
	}
	if (idx == NS_NETWORK) {
		sc->net_is_host = host;
		return idx;
	}
	if (!host || !ns_types[idx].required)
		return idx;
	_cleanup_free_ char *after = hr_xasprintf("{\"type\":\"%s\"}", ns_types[idx].type);
	if (hr_report(ctx, path, before, after, "joins the host's %s namespace",
		      ns_types[idx].type))
		hr_json_remove(item, "path");
	return idx;
}

/* Validate one entry; returns its ns_types index, -1 when skipped, -2 on error. */
static int scan_entry(struct hr_ctx *ctx, struct hr_json *item, size_t i, struct ns_scan *sc,
		      struct hr_error **err)
{
	char path[64];
	snprintf(path, sizeof(path), "linux.namespaces[%zu]", i);
	if (hr_json_is_null(item) || item->type != HR_JSON_OBJECT) {
		if (hr_json_is_null(item)) {
			hr_report_unfixable(ctx, path, "null", "namespace entry without a type");
			return -1;
		}
		hr_error_set(err, 0, "config: `%s` must be an object", path);
		return -2;
	}
	struct hr_json *tj = hr_json_get(item, "type"), *pj = hr_json_get(item, "path");
	const char *type = hr_json_is_null(tj) ? "" : hr_json_as_string(tj);
	const char *nspath = hr_json_is_null(pj) ? "" : hr_json_as_string(pj);
	if (!type || !nspath) {
		hr_error_set(err, 0, "config: `%s`: type and path must be strings", path);
		return -2;
	}
	int idx = ns_index(type);
	_cleanup_free_ char *before = hr_json_brief(item);
	if (idx < 0) {
		/* runc refuses unknown types; another runtime might map "PID" or
		 * "net" to something: refuse rather than guess. */
		hr_report_unfixable(ctx, path, before, "unknown namespace type");
		return -1;
	}
	if (idx == NS_USER)
		return -1;
	if (sc->seen & (1u << idx)) {
		hr_report_unfixable(ctx, path, before, "duplicate %s namespace entry", type);
		return -1;
	}
	sc->seen |= 1u << idx;
	if (idx == NS_NETWORK)
		sc->net_item = (ssize_t)i;
	if (!*nspath)
		return idx;

	return judge_path(ctx, item, idx, nspath, path, before, sc);
}

static bool kernel_has_ns(int idx)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/self/ns/%s", ns_types[idx].proc);
	return access(p, F_OK) == 0;
}

static struct hr_json *ns_entry(const char *type)
{
	struct hr_json *o = hr_json_new(HR_JSON_OBJECT);
	hr_json_set(o, "type", hr_json_new_string(type));
	return o;
}

static int add_missing(struct hr_ctx *ctx, int idx, const char *why, struct hr_error **err)
{
	_cleanup_free_ char *after = hr_xasprintf("{\"type\":\"%s\"}", ns_types[idx].type);
	if (!hr_report(ctx, "linux.namespaces", NULL, after, "%s", why))
		return 0;
	struct hr_json *arr = hr_spec_get(ctx->spec, "linux/namespaces", HR_JSON_ARRAY, true, err);
	if (!arr)
		return hr_err_wrap(err, "namespaces");
	hr_json_append(arr, ns_entry(ns_types[idx].type));
	return 0;
}

static int check_network(struct hr_ctx *ctx, const struct ns_settings *s, struct ns_scan *sc,
			 struct hr_json *arr, struct hr_error **err)
{
	bool host = sc->net_item < 0 || sc->net_is_host;
	if (host) {
		const char *why = sc->net_item < 0 ? "no network namespace: the container shares "
						     "the host's network"
						   : "joins the host's network namespace";
		if (s->host_network == HOSTNET_WARN) {
			hr_report_as(ctx, HR_ACTION_WARN, "linux.namespaces", NULL, NULL, "%s",
				     why);
		} else if (s->host_network == HOSTNET_DENY) {
			if (sc->net_item >= 0) {
				struct hr_json *item = arr->arr.items[sc->net_item];
				_cleanup_free_ char *before = hr_json_brief(item);
				if (hr_report(ctx, "linux.namespaces", before,
					      "{\"type\":\"network\"}", "%s", why))
					hr_json_remove(item, "path");
			} else if (add_missing(ctx, NS_NETWORK, why, err) < 0) {
				return -1;
			}
		}
		return 0;
	}
	/* Joining another container's network namespace (a pod) is normal, but
	 * a profile without network wants a fresh, empty one. */
	struct hr_json *item = arr->arr.items[sc->net_item];
	struct hr_json *pj = hr_json_get(item, "path");
	if (s->private_netns && !hr_json_is_null(pj) && *hr_json_as_string(pj)) {
		_cleanup_free_ char *before = hr_json_brief(item);
		if (hr_report(ctx, "linux.namespaces", before, "{\"type\":\"network\"}",
			      "the profile requires a new, private network namespace"))
			hr_json_remove(item, "path");
	}
	return 0;
}

/* First entry of type `type` in linux.namespaces, NULL if none. */
static const struct hr_json *ns_find(const struct hr_json *arr, const char *type)
{
	for (size_t i = 0; arr && arr->type == HR_JSON_ARRAY && i < arr->arr.len; i++) {
		const char *t = hr_json_as_string(hr_json_get(arr->arr.items[i], "type"));
		if (t && strcmp(t, type) == 0)
			return arr->arr.items[i];
	}
	return NULL;
}

static const char *ns_path(const struct hr_json *entry)
{
	const char *p = hr_json_as_string(hr_json_get(entry, "path"));
	return p && *p ? p : NULL;
}

/*
 * True when the container gets a user namespace that will not own its
 * network namespace: the host's (no network entry), or one joined by path
 * that belongs to another user namespace (a new user namespace owns only
 * what is created after it).  A joined one whose owner cannot be read is
 * left to the runtime.
 */
static bool userns_without_own_netns(const struct hr_json *arr)
{
	const struct hr_json *user = ns_find(arr, "user"), *net = ns_find(arr, "network");

	if (!user)
		return false;
	if (!net)
		return true;
	if (!ns_path(net))
		return false;
	struct hr_ns_facts nf, uf;
	struct hr_error *e = NULL;
	if (hr_ns_resolve(ns_path(net), &nf, &e) < 0 || !nf.owner_known) {
		hr_error_clear(&e);
		return false;
	}
	if (!ns_path(user))
		return true;
	if (hr_ns_resolve(ns_path(user), &uf, &e) < 0) {
		hr_error_clear(&e);
		return true;
	}
	return !hr_nsid_eq(&uf.id, &nf.owner);
}

static struct hr_json *sys_bind(void)
{
	static const char *const opts[] = {"rbind", "nosuid", "noexec", "nodev", "ro", NULL};
	struct hr_json *m = hr_json_new(HR_JSON_OBJECT), *o = hr_json_new(HR_JSON_ARRAY);

	hr_json_set(m, "destination", hr_json_new_string("/sys"));
	hr_json_set(m, "type", hr_json_new_string("bind"));
	hr_json_set(m, "source", hr_json_new_string("/sys"));
	for (size_t i = 0; opts[i]; i++)
		hr_json_append(o, hr_json_new_string(opts[i]));
	hr_json_set(m, "options", o);
	return m;
}

/*
 * sysfs belongs to a network namespace: the kernel mounts a fresh one only
 * for a user namespace owning the caller's network namespace, so a user
 * namespace in the host's network fails in runc with a bare "mount sysfs:
 * operation not permitted".  runc's rootless mode and Docker bind the
 * host's /sys read-only instead, and so does this.  It is done here, after
 * the network namespace is settled (check_network may add one), and before
 * the mounts rule, which then judges the bind like any other: /sys is
 * denied only writable.  The userns rule already does this for a user
 * namespace it adds; this covers one the config brings.  It makes a config
 * runnable and exposes nothing the shared network does not, so `deny`
 * applies it as a fix; `warn` only says what runc will do.
 */
static void sysfs_without_netns(struct hr_ctx *ctx, const struct hr_json *nss)
{
	struct hr_json *mounts = hr_json_get(ctx->spec, "mounts");

	if (!mounts || mounts->type != HR_JSON_ARRAY || !userns_without_own_netns(nss))
		return;
	for (size_t i = 0; i < mounts->arr.len; i++) {
		struct hr_json *m = mounts->arr.items[i];
		const char *t = hr_json_as_string(hr_json_get(m, "type"));
		const char *d = hr_json_as_string(hr_json_get(m, "destination"));
		if (!t || strcasecmp(t, "sysfs") != 0 || !d)
			continue;
		_cleanup_free_ char *dn = hr_path_normalise(d);
		if (strcmp(dn, "/sys") != 0)
			continue;
		struct hr_json *bind = sys_bind();
		_cleanup_free_ char *where = hr_xasprintf("mounts[%zu]", i);
		_cleanup_free_ char *before = hr_json_brief(m);
		_cleanup_free_ char *after = hr_json_brief(bind);
		bool warn = ctx->cur_action == HR_ACTION_WARN;
		hr_report_as(ctx, warn ? HR_ACTION_WARN : HR_ACTION_FIX, where, before,
			     warn ? NULL : after,
			     "a user namespace without its own network namespace cannot mount "
			     "sysfs (runc would fail: mount sysfs: operation not permitted)%s",
			     warn ? "" : ": read-only bind of the host's /sys instead");
		if (warn) {
			hr_json_free(bind);
			continue;
		}
		hr_json_free(m);
		mounts->arr.items[i] = bind;
	}
}

/*
 * The host's pid, ipc or uts namespace is asked for explicitly (`--pid
 * host`, hostPID...): no engine leaves them out by default, so a container
 * run in a private one instead would fail in ways nobody can trace back.
 * Refused, with the flag to drop.  The host's UTS namespace comes with the
 * host's network (docker --network host, hostNetwork pods): that one is
 * still given a private UTS namespace, as the network rule decides.
 */
static bool host_ns_refused(struct hr_ctx *ctx, int idx, bool host_net)
{
	static const char *const flag[] = {"--pid host (Kubernetes: hostPID)",
					   "--ipc host (Kubernetes: hostIPC)", "--uts host"};
	if (idx > 2 || (idx == 2 && host_net))
		return false;
	hr_report_unfixable(ctx, "linux.namespaces", NULL,
			    "the container asks for the host's %s namespace; remedy: drop %s",
			    ns_types[idx].type, flag[idx]);
	return true;
}

static int ns_apply(struct hr_ctx *ctx, const void *settings, struct hr_error **err)
{
	const struct ns_settings *s = settings;
	struct ns_scan sc = {.net_item = -1};
	struct hr_json *arr = hr_spec_get(ctx->spec, "linux/namespaces", HR_JSON_ARRAY, false, err);
	struct hr_error *e = NULL;

	if (!arr && err && *err)
		return -1;
	/* The pod from hardrun's records; a record that does not hold is the
	 * userns rule's refusal, here it only means "no pod". */
	sc.have_pod = hr_pod_of(ctx->policy, ctx->spec, ctx->runtime_root, &sc.pod, &e) == 1;
	hr_error_clear(&e);
	for (size_t i = 0; arr && i < arr->arr.len; i++)
		if (scan_entry(ctx, arr->arr.items[i], i, &sc, err) == -2)
			return -1;
	for (int idx = 0; idx < (int)N_NS; idx++) {
		if (!ns_types[idx].required || (sc.seen & (1u << idx)))
			continue;
		if (idx == NS_CGROUP && !kernel_has_ns(idx))
			continue;
		if (host_ns_refused(ctx, idx, sc.net_item < 0 || sc.net_is_host))
			continue;
		_cleanup_free_ char *why = hr_xasprintf(
		    "no %s namespace: the container shares the host's", ns_types[idx].type);
		if (add_missing(ctx, idx, why, err) < 0)
			return -1;
	}
	arr = hr_spec_get(ctx->spec, "linux/namespaces", HR_JSON_ARRAY, false, err);
	if (check_network(ctx, s, &sc, arr, err) < 0)
		return -1;
	sysfs_without_netns(ctx, hr_json_get_path(ctx->spec, "linux/namespaces"));
	return 0;
}

const struct hr_rule hr_rule_namespaces = {
    .name = "namespaces",
    .parse = ns_parse,
    .free_settings = ns_free,
    .apply = ns_apply,
    .apply_process = NULL,
};
