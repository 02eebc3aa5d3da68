/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The idmap allowlist and overlay option parsing, on the decision alone:
 * the userns and mounts rules are run on configs (no mount is made, no
 * root needed) and their findings and plan are checked.  A seeded property
 * test generates hundreds of mount lists (sources inside and outside the
 * volume root, symlinks out of it, "..", hardlinks, kernel file systems,
 * hardrun's own state, overlay options with escapes and runc's comma
 * joins) and checks that nothing outside the allowlist is ever planned to
 * be idmapped, and that an overlay naming a denied host directory is
 * always refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/idmap.h"
#include "hardrun/json.h"
#include "hardrun/mountsrc.h"
#include "hardrun/podrec.h"
#include "hardrun/profile.h"
#include "hardrun/provision.h"
#include "hardrun/rules.h"
#include "hardrun/util.h"
#include "tap.h"

extern const struct hr_rule hr_rule_userns;
extern const struct hr_rule hr_rule_mounts;

static char tmp[] = "/tmp/hr-test-mount-plan.XXXXXX";
static char *bundle, *volroot, *state;
static struct hr_policy pol;
static void *userns_set, *mounts_set;

struct run {
	struct hr_ctx ctx;
	struct hr_plan plan;
	struct hr_json *spec, *orig;
	int r;
	struct hr_error *err;
};

static void diag_findings(const struct run *r)
{
	for (size_t i = 0; i < r->ctx.findings.len; i++)
		printf("# %s: %s\n", r->ctx.findings.items[i].path,
		       r->ctx.findings.items[i].reason);
}

static void run_free(struct run *r)
{
	if (getenv("RF_DIAG")) {
		diag_findings(r);
		printf("# r=%d err=%s\n", r->r, r->err ? r->err->msg : "");
	}
	if (r->ctx.container_id)
		hr_idrange_release(&pol, r->ctx.container_id, NULL);
	hr_findings_free(&r->ctx.findings);
	hr_plan_free(&r->plan);
	hr_json_free(r->spec);
	hr_json_free(r->orig);
	hr_error_clear(&r->err);
}

/* The userns rule (fix) then the mounts rule (deny), as the engine orders them. */
static struct run run(const char *config, const char *id)
{
	struct run r = {0};

	r.spec = hr_json_parse(config, strlen(config), NULL, &r.err);
	if (!r.spec) {
		r.r = -2;
		return r;
	}
	r.ctx.entry = HR_ENTRY_CREATE;
	r.ctx.spec = r.spec;
	r.ctx.original = r.orig = hr_json_clone(r.spec);
	r.ctx.policy = &pol;
	r.ctx.container_id = id;
	r.ctx.bundle = bundle;
	r.ctx.plan = &r.plan;
	r.ctx.rootfs_fd = -1;
	r.ctx.cur_rule = "userns";
	r.ctx.cur_action = HR_ACTION_FIX;
	r.r = hr_rule_userns.apply(&r.ctx, userns_set, &r.err);
	if (r.r == 0) {
		r.ctx.cur_rule = "mounts";
		r.ctx.cur_action = HR_ACTION_DENY;
		r.r = hr_rule_mounts.apply(&r.ctx, mounts_set, &r.err);
	}
	return r;
}

static const struct hr_finding *find(const struct run *r, enum hr_action a, const char *path)
{
	for (size_t i = 0; i < r->ctx.findings.len; i++)
		if (r->ctx.findings.items[i].action == a &&
		    (!path || strcmp(r->ctx.findings.items[i].path, path) == 0))
			return &r->ctx.findings.items[i];
	return NULL;
}

static char *fd_real(int fd)
{
	char link[64], buf[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n < 0)
		return hr_xstrdup("?");
	buf[n] = '\0';
	return hr_xstrdup(buf);
}

/* Oracle, by string on a tree this test alone controls: strictly below dir. */
static bool below(const char *p, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(p, dir, n) == 0 && p[n] == '/';
}

/* Views the plan idmaps (pinned plain binds are counted apart). */
static size_t idmapped(const struct run *r)
{
	size_t n = 0;

	for (size_t v = 0; v < r->plan.n_views; v++)
		n += r->plan.views[v].idmap;
	return n;
}

static const char *cfg(const char *root, const char *mounts)
{
	static char buf[16384];

	snprintf(buf, sizeof(buf), "{\"root\":{\"path\":\"%s\"},\"mounts\":[%s]}", root, mounts);
	return buf;
}

static char *bind(const char *src, const char *opts)
{
	return hr_xasprintf("{\"destination\":\"/d\",\"type\":\"bind\",\"source\":\"%s\","
			    "\"options\":[%s]}",
			    src, opts);
}

static char *at(const char *tmpl);

/* ---- fixed cases --------------------------------------------------------- */

static void test_rootfs(void)
{
	_cleanup_free_ char *outside = hr_xasprintf("%s/outside", tmp);
	_cleanup_free_ char *vol = hr_xasprintf("%s/v2", volroot);
	struct run r;

	r = run(cfg("rootfs", ""), "c1");
	ok(r.r == 0 && r.ctx.findings.denials == 0 && r.plan.n_views == 1 && r.plan.views[0].rootfs,
	   "root.path beneath the bundle: one rootfs view planned: %s", r.err ? r.err->msg : "");
	run_free(&r);
	r = run(cfg(outside, ""), "c2");
	ok(r.r == 0 && find(&r, HR_ACTION_DENY, "root.path") && idmapped(&r) == 0,
	   "root.path = a host directory outside the bundle: refused, nothing planned");
	run_free(&r);
	r = run(cfg("rootlink", ""), "c3");
	ok(r.r == 0 && find(&r, HR_ACTION_DENY, "root.path"),
	   "root.path = a symlink in the bundle to a host directory: refused");
	run_free(&r);
	r = run(cfg("rootfs/../../outside", ""), "c4");
	ok(r.r == 0 && find(&r, HR_ACTION_DENY, "root.path"),
	   "root.path climbing out of the bundle with '..': refused");
	run_free(&r);
	r = run(cfg(vol, ""), "c5");
	ok(r.r == 0 && find(&r, HR_ACTION_DENY, "root.path") && idmapped(&r) == 0,
	   "root.path beneath a volume root: refused (volumes are every container's that names "
	   "them)");
	run_free(&r);
	r = run(cfg(".", ""), "c6");
	ok(r.r == 0 && find(&r, HR_ACTION_DENY, "root.path"),
	   "root.path = the bundle directory itself: refused (not beneath it)");
	run_free(&r);
	r = run(cfg(outside, ""), NULL);
	ok(r.r == 0 && find(&r, HR_ACTION_DENY, "root.path"),
	   "check (dry run) makes the same rootfs decision as create");
	run_free(&r);
}

static int mount_ovl(const char *dir)
{
	_cleanup_free_ char *cmd = hr_xasprintf(
	    "mount -t overlay overlay -o lowerdir=%s/lo,upperdir=%s/up,workdir=%s/wk %s/merged",
	    dir, dir, dir, dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void umount_ovl(const char *dir)
{
	_cleanup_free_ char *cmd = hr_xasprintf("umount %s/merged", dir);
	if (system(cmd) != 0)
		printf("# umount %s/merged failed\n", dir);
}

/*
 * Layer stores (layerRoots): a rootfs only when it is an overlay the engine
 * mounted there, held by one live container; never an idmapped bind source.
 */
static void test_layer_store(void)
{
	_cleanup_free_ char *c = hr_xasprintf("%s/layers/cB", tmp);
	_cleanup_free_ char *merged = hr_xasprintf("%s/merged", c);
	_cleanup_free_ char *lo = hr_xasprintf("%s/lo", c);
	_cleanup_free_ char *b_lo = bind(lo, "\"rbind\",\"idmap\"");
	_cleanup_free_ char *b_m = bind(merged, "\"rbind\",\"idmap\"");
	struct run r;

	r = run(cfg(merged, ""), "rf-plain");
	ok(r.r == 0 && find(&r, HR_ACTION_DENY, "root.path") && idmapped(&r) == 0,
	   "root.path = a plain directory in a layer store (an image layer): refused");
	run_free(&r);
	r = run(cfg("rootfs", b_lo), "rf-lay");
	ok(r.r == 0 && find(&r, HR_ACTION_DENY, "mounts[0].options") && idmapped(&r) <= 1,
	   "idmapped bind of an image layer in a layer store: refused");
	run_free(&r);
	if (geteuid() != 0 || mount_ovl(c) < 0) {
		ok(1, "# SKIP overlay mounts need root");
		return;
	}
	r = run(cfg(merged, ""), "rf-B");
	ok(r.r == 0 && r.ctx.findings.denials == 0 && idmapped(&r) == 1,
	   "root.path = an overlay mounted in a layer store: allowed, claimed by rf-B");
	run_free(&r);
	r = run(cfg(merged, ""), "rf-A");
	ok(r.r == 0 && find(&r, HR_ACTION_DENY, "root.path") && idmapped(&r) == 0,
	   "a second container with the same rootfs while rf-B lives: refused");
	run_free(&r);
	r = run(cfg("rootfs", b_m), "rf-A2");
	ok(r.r == 0 && find(&r, HR_ACTION_DENY, "mounts[0].options") && idmapped(&r) <= 1,
	   "idmapped bind of rf-B's rootfs overlay: refused");
	run_free(&r);
	hr_records_forget(&pol, "rf-B");
	r = run(cfg(merged, ""), "rf-A3");
	ok(r.r == 0 && r.ctx.findings.denials == 0 && idmapped(&r) == 1,
	   "once rf-B's records are gone, the rootfs can be another container's");
	run_free(&r);
	hr_records_forget(&pol, "rf-A3");
	umount_ovl(c);
}

/* containers/storage: the bundle's path names the engine's storage (podman --root). */
static void test_podman_storage(void)
{
	_cleanup_free_ char *saved = bundle;
	_cleanup_free_ char *merged = hr_xasprintf("%s/gr/overlay/L1/merged", tmp);
	_cleanup_free_ char *merged_dir = hr_xasprintf("%s/gr/overlay/L1", tmp);
	_cleanup_free_ char *other = hr_xasprintf("%s/gr/elsewhere", tmp);
	struct run r;

	bundle = hr_xasprintf("%s/gr/overlay-containers/C1/userdata", tmp);
	if (geteuid() == 0 && mount_ovl(merged_dir) == 0) {
		r = run(cfg(merged, ""), "pm1");
		ok(r.r == 0 && r.ctx.findings.denials == 0 && idmapped(&r) == 1,
		   "podman bundle <root>/overlay-containers/<id>/userdata: its overlay in "
		   "<root>/overlay allowed");
		run_free(&r);
		hr_records_forget(&pol, "pm1");
		umount_ovl(merged_dir);
	} else {
		ok(1, "# SKIP overlay mounts need root");
	}
	r = run(cfg(other, ""), "pm2");
	ok(r.r == 0 && find(&r, HR_ACTION_DENY, "root.path"), "but not elsewhere in that storage");
	run_free(&r);
	free(bundle);
	bundle = hr_xasprintf("%s/gr/overlay-containers/C1/notuserdata", tmp);
	r = run(cfg(merged, ""), "pm3");
	ok(r.r == 0 && find(&r, HR_ACTION_DENY, "root.path"),
	   "and only for a bundle laid out as containers/storage lays it out");
	run_free(&r);
	free(bundle);
	bundle = hr_steal_ptr(&saved);
}

static void test_binds(void)
{
	static const struct {
		const char *src, *opts;
		bool allowed;
		const char *what;
	} cases[] = {
	    {"@/volroot/v1", "\"rbind\",\"idmap\"", true, "a volume beneath the root"},
	    {"@/volroot/v1", "\"rbind\"", true, "a volume beneath the root, not asked"},
	    {"@/outside", "\"rbind\",\"idmap\"", false, "a root-owned host dir"},
	    {"@/etc/cron.d", "\"bind\",\"ridmap\"", false, "a cron.d-like host dir"},
	    {"@/volroot/out", "\"rbind\",\"idmap\"", false, "a symlink out of the volume root"},
	    {"@/volroot/../outside", "\"rbind\",\"idmap\"", false, "'..' out of the root"},
	    {"@/volroot", "\"rbind\",\"idmap\"", false, "the volume root itself"},
	    {"@/volroot/hl", "\"bind\",\"idmap\"", false, "a file with two links"},
	    {"@/state/mounts/x", "\"rbind\",\"idmap\"", false, "hardrun's state"},
	    {"/proc/self", "\"rbind\",\"idmap\"", false, "procfs"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		_cleanup_free_ char *src = at(cases[i].src);
		_cleanup_free_ char *m = bind(src, cases[i].opts);
		bool asks = strstr(cases[i].opts, "idmap") != NULL;
		struct run r = run(cfg("rootfs", m), "b1");
		bool planned = idmapped(&r) == 2;
		bool denied = find(&r, HR_ACTION_DENY, NULL) != NULL;
		ok(r.r == 0 && planned == cases[i].allowed && (cases[i].allowed || !asks || denied),
		   "bind of %s (%s): %s", cases[i].what, cases[i].opts,
		   planned  ? "planned"
		   : denied ? "refused"
			    : "not idmapped");
		if (!cases[i].allowed && asks) {
			const struct hr_finding *f = find(&r, HR_ACTION_DENY, NULL);
			ok(f && strstr(f->path, "mounts[0]"), "  the refusal names the field: %s",
			   f ? f->path : "(none)");
		}
		run_free(&r);
	}
}

/* The system bus (0666) is a runtime socket like the others: its directory and the socket. */
static void test_dbus(void)
{
	static const char *const srcs_dbus[] = {"/run/dbus", "/var/run/dbus/system_bus_socket",
						"/run/./dbus/../dbus"};
	for (size_t i = 0; i < sizeof(srcs_dbus) / sizeof(srcs_dbus[0]); i++) {
		_cleanup_free_ char *m = bind(srcs_dbus[i], "\"rbind\"");
		struct run r = run(cfg("rootfs", m), NULL);
		ok(r.r == 0 && find(&r, HR_ACTION_DENY, "mounts[0].source"), "bind of %s: refused",
		   srcs_dbus[i]);
		run_free(&r);
	}
}

static void test_overlay_options(void)
{
	static const char *const variants[] = {
	    "\"lowerdir+=/etc\",\"upperdir=@/u\",\"workdir=@/w\"",
	    "\"index=off,lowerdir=/etc:@/l\",\"upperdir=@/u\",\"workdir=@/w\"",
	    "\"lowerdir=/et\\\\c\",\"upperdir=@/u\",\"workdir=@/w\"",
	    "\"lowerdir=@/l::/etc\"",
	    "\"datadir+=/e\\\\tc\",\"lowerdir=@/l\"",
	    "\"lowerdir=@/l\",\"upperdir=/\\\\etc\",\"workdir=@/w\"",
	    "\"lowerdir=@/l\",\"x=1,upperdir=/etc\",\"workdir=@/w\"",
	    "\"lowerdir=relative/dir\"",
	};
	_cleanup_strv_ char **layers = NULL, **keys = NULL;
	const char *j = "[\"a=1,lowerdir=/x\\\\:y:/z\",\"upperdir=/u\\\\,v\"]";
	_cleanup_json_ struct hr_json *opts = hr_json_parse(j, strlen(j), NULL, NULL);

	hr_ovl_layers(opts, &layers, &keys);
	ok(hr_strv_len(layers) == 3 && strcmp(layers[0], "/x:y") == 0 &&
	       strcmp(layers[1], "/z") == 0 && strcmp(layers[2], "/u,v") == 0,
	   "kernel split: escaped ':' and ',' stay in the layer, unescaped ones split");
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		_cleanup_free_ char *o = at(variants[i]);
		_cleanup_free_ char *m = hr_xasprintf(
		    "{\"destination\":\"/o\",\"type\":\"overlay\",\"source\":\"overlay\","
		    "\"options\":[%s]}",
		    o);
		struct run r = run(cfg("rootfs", m), NULL);
		ok(r.r == 0 && find(&r, HR_ACTION_DENY, "mounts[0].options"),
		   "overlay options [%s]: refused", o);
		run_free(&r);
	}
}

/* ---- the property test ---------------------------------------------------- */

/* tmpl with every '@' replaced by the scratch directory. */
static char *at(const char *tmpl)
{
	char *out = hr_xcalloc(1, strlen(tmpl) * (strlen(tmp) + 1) + 1), *w = out;

	for (; *tmpl; tmpl++) {
		if (*tmpl == '@') {
			strcpy(w, tmp);
			w += strlen(tmp);
		} else {
			*w++ = *tmpl;
		}
	}
	return out;
}

static uint64_t rng = 0x5eed1234abcdULL;

static unsigned pick(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static const char *const srcs[] = {
    "@/volroot/v1",
    "@/volroot/v2",
    "@/volroot/f",
    "@/volroot/hl",
    "@/volroot/out",
    "@/volroot/in",
    "@/volroot/../outside",
    "@/outside",
    "@/outside/sub",
    "@/bundle/rootfs",
    "@/state/mounts/x",
    "@/volroot",
    "@/etc/cron.d",
    "/proc/self",
    "/sys/kernel",
    "/etc",
    "@/volroot/v1/../../outside",
    "@/volroot/dangling",
};

/* Expected by construction: is the source's object strictly below volroot? */
static bool allowed_src(const char *src)
{
	_cleanup_free_ char *real = hr_realpath(src);
	struct stat st;

	if (!real || !below(real, volroot) || lstat(real, &st) < 0)
		return false;
	return !(S_ISREG(st.st_mode) && st.st_nlink > 1);
}

static const char *const opt_pool[] = {"\"rbind\"", "\"bind\"",	  "\"idmap\"", "\"ridmap\"",
				       "\"ro\"",    "\"nosuid\"", "\"rw\""};

static char *gen_bind(bool *asks, char **src_out)
{
	_cleanup_free_ char *src = at(srcs[pick(sizeof(srcs) / sizeof(srcs[0]))]);
	char opts[256] = "\"rbind\"";
	unsigned n = pick(4);

	*asks = false;
	for (unsigned k = 0; k < n; k++) {
		const char *o = opt_pool[pick(sizeof(opt_pool) / sizeof(opt_pool[0]))];
		*asks |= strstr(o, "idmap") != NULL;
		strcat(opts, ",");
		strcat(opts, o);
	}
	*src_out = hr_xstrdup(src);
	if (pick(5) == 0) {
		*asks = true;
		return hr_xasprintf(
		    "{\"destination\":\"/d\",\"type\":\"bind\",\"source\":\"%s\",\"options\":[%s],"
		    "\"uidMappings\":[{\"containerID\":0,\"hostID\":2000000,\"size\":65536}],"
		    "\"gidMappings\":[{\"containerID\":0,\"hostID\":2000000,\"size\":65536}]}",
		    src, opts);
	}
	return bind(src, opts);
}

/* An escaped spelling of p for lowerdir=/upperdir= (the kernel drops each backslash). */
static char *escape(const char *p)
{
	char *out = hr_xcalloc(1, strlen(p) * 3 + 1), *w = out;

	for (; *p; p++) {
		if (*p == ':' || *p == ',' || pick(6) == 0) {
			*w++ = '\\';
			*w++ = '\\'; /* JSON */
		}
		*w++ = *p;
	}
	return out;
}

/* An overlay mount; *bad when a layer is the deny-listed /etc. */
static char *gen_overlay(bool *bad)
{
	_cleanup_free_ char *l = hr_xasprintf("%s/l", tmp);
	const char *lower = pick(2) ? "/etc" : l;
	_cleanup_free_ char *el = escape(lower), *o = NULL;

	*bad = strcmp(lower, "/etc") == 0;
	switch (pick(4)) {
	case 0:
		o = hr_xasprintf("\"lowerdir=%s\"", el);
		break;
	case 1:
		o = hr_xasprintf("\"index=off,lowerdir=%s:%s\"", el, l);
		break;
	case 2:
		o = hr_xasprintf("\"lowerdir+=%s\",\"lowerdir+=%s\"", lower, l);
		break;
	default:
		o = hr_xasprintf("\"lowerdir=%s\",\"upperdir=%s\",\"workdir=%s/w\"", l, el, tmp);
		break;
	}
	return hr_xasprintf("{\"destination\":\"/o\",\"type\":\"overlay\",\"source\":\"overlay\","
			    "\"options\":[%s]}",
			    o);
}

/*
 * Every idmapped view is the object of an allowed source; every pinned
 * (plain) bind is the object its source resolves to, on no kernel file
 * system and not the deny-listed /etc.  Returns the first violation.
 */
static char *check_plan(const struct run *r, char **src, size_t n)
{
	for (size_t v = 0; v < r->plan.n_views; v++) {
		const struct hr_view *w = &r->plan.views[v];
		_cleanup_free_ char *real = fd_real(w->fd);
		_cleanup_free_ char *want = NULL;
		if (w->rootfs) {
			if (!w->idmap || (!below(real, bundle) && !below(real, volroot)))
				return hr_xasprintf("rootfs view of %s", real);
			continue;
		}
		if (w->index >= n || !src[w->index])
			return hr_xasprintf("a view for mounts[%zu], which is no bind", w->index);
		if (w->idmap && (!allowed_src(src[w->index]) || !below(real, volroot)))
			return hr_xasprintf("mounts[%zu] idmapped view of %s", w->index, real);
		want = hr_realpath(src[w->index]);
		if (!w->idmap &&
		    (!want || strcmp(want, real) != 0 || strncmp(real, "/proc", 5) == 0 ||
		     strncmp(real, "/sys", 4) == 0 || strcmp(real, "/etc") == 0))
			return hr_xasprintf("mounts[%zu] pinned view of %s", w->index, real);
	}
	return NULL;
}

static void test_property(void)
{
	unsigned cases = 400, bad_cases = 0, planned = 0, refused = 0;
	_cleanup_free_ char *first = NULL;

	for (unsigned c = 0; c < cases; c++) {
		size_t n = 1 + pick(4);
		char *src[4] = {0}, buf[12000] = "";
		bool must_refuse = false;
		for (size_t i = 0; i < n; i++) {
			_cleanup_free_ char *m = NULL;
			bool asks = false, bad = false;
			if (pick(4) == 0) {
				m = gen_overlay(&bad);
				must_refuse |= bad;
			} else {
				m = gen_bind(&asks, &src[i]);
				must_refuse |= asks && !allowed_src(src[i]);
			}
			if (i)
				strcat(buf, ",");
			strcat(buf, m);
		}
		struct run r = run(cfg(pick(3) ? "rootfs" : "rootlink", buf), "p1");
		_cleanup_free_ char *why = r.r == 0 ? check_plan(&r, src, n) : NULL;
		bool denied = r.ctx.findings.denials > 0;
		if (r.r != 0 || why || (must_refuse && !denied)) {
			if (!first)
				first = hr_xasprintf("case %u: %s: %s", c,
						     r.err ? r.err->msg
						     : why ? why
							   : "not refused",
						     buf);
			bad_cases++;
		}
		planned += (unsigned)idmapped(&r);
		refused += denied;
		for (size_t i = 0; i < n; i++)
			free(src[i]);
		run_free(&r);
	}
	ok(bad_cases == 0,
	   "%u generated mount lists: nothing outside the allowlist planned, "
	   "every forbidden request refused (%u views planned, %u refused)%s%s",
	   cases, planned, refused, first ? "; first failure: " : "", first ? first : "");
	ok(planned > 50 && refused > 50 && refused < cases,
	   "the generator reaches both sides (%u views, %u refused)", planned, refused);
}

static void test_defaults(void)
{
	struct hr_policy *p = hr_policy_defaults();
	struct hr_error *err = NULL;
	const char *bad = "{\"volumeRoots\":[\"/\"]}";
	struct hr_policy *q = hr_policy_parse("p.json", bad, strlen(bad), &err);

	ok(hr_strv_contains(p->volume_roots, "/var/lib/docker/volumes") &&
	       hr_strv_contains(p->volume_roots, "/var/lib/containers/storage/volumes") &&
	       hr_strv_contains(p->volume_roots, "/var/lib/kubelet/pods"),
	   "built-in volumeRoots cover Docker, Podman and kubelet volumes");
	ok(!q && err && strstr(err->msg, "volumeRoots"), "volumeRoots [\"/\"] refused: %s",
	   err ? err->msg : "accepted");
	hr_error_clear(&err);
	hr_policy_free(p);
}

static int setup(void)
{
	_cleanup_free_ char *cmd = NULL;

	if (!mkdtemp(tmp))
		return -1;
	bundle = hr_xasprintf("%s/bundle", tmp);
	volroot = hr_xasprintf("%s/volroot", tmp);
	state = hr_xasprintf("%s/state", tmp);
	cmd = hr_xasprintf(
	    "set -e; cd %s; mkdir -p bundle/rootfs volroot/v1 volroot/v2 outside/sub etc/cron.d "
	    "state/mounts/x l u w rt gr/overlay/L1/merged gr/elsewhere "
	    "gr/overlay-containers/C1/userdata gr/overlay-containers/C1/notuserdata "
	    "gr/overlay/L1/lo gr/overlay/L1/up gr/overlay/L1/wk layers/cB/lo layers/cB/up "
	    "layers/cB/wk layers/cB/merged; touch "
	    "volroot/f outside/f; ln outside/f volroot/hl; "
	    "ln -s ../outside volroot/out; ln -s v1 volroot/in; ln -s ../outside bundle/rootlink; "
	    "ln -s nowhere volroot/dangling",
	    tmp);
	if (system(cmd) != 0)
		return -1;
	free(cmd);
	cmd = hr_xasprintf("%s/rt", tmp);
	setenv("HARDRUN_RUNTIME_ROOT", cmd, 1);
	pol.path = (char *)"(test)";
	pol.state_dir = state;
	pol.pool_start = 1000000;
	pol.pool_size = 64 * 65536;
	pol.range_size = 65536;
	static char *roots[2];
	roots[0] = volroot;
	pol.volume_roots = roots;
	static char *lroots[2];
	lroots[0] = hr_xasprintf("%s/layers", tmp);
	pol.layer_roots = lroots;
	if (hr_rule_userns.parse(NULL, "(defaults)", &userns_set, NULL) < 0 ||
	    hr_rule_mounts.parse(NULL, "(defaults)", &mounts_set, NULL) < 0)
		return -1;
	return 0;
}

/* A later rule's removal of a mount takes its view with it and moves the others along. */
static void test_mount_removed(void)
{
	struct hr_plan pl = {0};

	for (size_t i = 0; i < 3; i++)
		hr_plan_add_view(&pl)->index = i;
	hr_plan_add_view(&pl)->rootfs = true;
	hr_plan_mount_removed(&pl, 1);
	ok(pl.n_views == 3 && pl.views[0].index == 0 && pl.views[1].index == 1 &&
	       pl.views[2].rootfs,
	   "mounts[1] removed: its view is dropped, mounts[2]'s view follows it to index 1");
	hr_plan_mount_removed(&pl, 5);
	ok(pl.n_views == 3 && pl.views[1].index == 1,
	   "removing a mount with no view moves nothing before it");
	hr_plan_free(&pl);
}

int main(void)
{
	_cleanup_free_ char *cmd = NULL;

	if (setup() < 0) {
		printf("Bail out! setup failed\n");
		return 1;
	}
	test_defaults();
	test_rootfs();
	test_binds();
	test_podman_storage();
	test_layer_store();
	test_dbus();
	test_overlay_options();
	test_property();
	test_mount_removed();
	hr_rule_userns.free_settings(userns_set);
	hr_rule_mounts.free_settings(mounts_set);
	cmd = hr_xasprintf("rm -rf %s", tmp);
	if (system(cmd) != 0)
		return 1;
	free(bundle);
	free(volroot);
	free(state);
	return tap_done();
}
