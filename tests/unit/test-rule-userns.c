/* SPDX-License-Identifier: Apache-2.0 */
/* Rule family `userns`: fix, deny and warn paths, pods, mounts asking for idmaps. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/idmap.h"
#include "hardrun/podrec.h"
#include "hardrun/json.h"
#include "hardrun/profile.h"
#include "hardrun/provision.h"
#include "hardrun/rules.h"
#include "hardrun/util.h"
#include "tap.h"

extern const struct hr_rule hr_rule_userns;

#define POOL  1000000u
#define RANGE 65536u

static char tmp[] = "/tmp/hr-test-rule-userns.XXXXXX";
static struct hr_policy pol;
static void *defaults;
static char *rt_root; /* the runtime's state root these tests' containers are "live" in */

struct run {
	struct hr_ctx ctx;
	struct hr_plan plan;
	struct hr_json *spec, *orig;
	int r;
	struct hr_error *err;
};

static void run_free(struct run *r)
{
	hr_findings_free(&r->ctx.findings);
	hr_plan_free(&r->plan);
	hr_json_free(r->spec);
	hr_json_free(r->orig);
	hr_error_clear(&r->err);
}

/* Apply the rule with `action` to config text; id NULL is a dry run. */
static struct run run(const char *config, enum hr_action action, const char *id, bool in_userns,
		      const void *settings)
{
	struct run r = {0};

	r.spec = hr_json_parse(config, strlen(config), NULL, NULL);
	if (!r.spec) {
		r.r = -2;
		return r;
	}
	r.ctx.entry = HR_ENTRY_CREATE;
	r.ctx.spec = r.spec;
	r.ctx.policy = &pol;
	r.ctx.container_id = id;
	r.ctx.bundle = tmp;
	r.ctx.runtime_root = rt_root;
	r.ctx.in_userns = in_userns;
	r.ctx.cur_rule = "userns";
	r.ctx.cur_action = action;
	r.ctx.original = r.orig = hr_json_clone(r.spec);
	r.ctx.plan = &r.plan;
	r.r = hr_rule_userns.apply(&r.ctx, settings ? settings : defaults, &r.err);
	/* As hr_harden(): what the rule planned is made once nothing was denied. */
	if (r.r == 0 && id && r.ctx.findings.denials == 0 &&
	    hr_provision_run(&pol, id, &r.plan, r.spec, NULL, &r.err) < 0)
		r.r = -1;
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

static uint64_t host_id(const struct run *r, const char *field)
{
	uint64_t v = 0;
	struct hr_json *m = hr_json_get_path(r->spec, field);
	if (m && m->type == HR_JSON_ARRAY && m->arr.len == 1)
		hr_json_as_uint64(hr_json_get(m->arr.items[0], "hostID"), &v);
	return v;
}

static bool has_user_ns(const struct run *r, const char **path)
{
	struct hr_json *nss = hr_json_get_path(r->spec, "linux/namespaces");
	for (size_t i = 0; nss && i < nss->arr.len; i++) {
		const char *t = hr_json_as_string(hr_json_get(nss->arr.items[i], "type"));
		if (t && strcmp(t, "user") == 0) {
			if (path)
				*path = hr_json_as_string(hr_json_get(nss->arr.items[i], "path"));
			return true;
		}
	}
	return false;
}

static const char *root_path(const struct run *r)
{
	return hr_json_as_string(hr_json_get_path(r->spec, "root/path"));
}

#define PLAIN "{\"root\":{\"path\":\"rootfs\"},\"linux\":{\"namespaces\":[{\"type\":\"pid\"}]}"

static void test_parse(void)
{
	struct hr_error *err = NULL;
	void *s = NULL;
	const char *bad = "{\"rangeSize\":65536,\"idmapRootfs\":true,\"bogus\":1}";
	const char *small = "{\"rangeSize\":1000}";
	_cleanup_json_ struct hr_json *j = hr_json_parse(bad, strlen(bad), NULL, NULL);
	_cleanup_json_ struct hr_json *k = hr_json_parse(small, strlen(small), NULL, NULL);

	ok(hr_rule_userns.parse(j, "p.json", &s, &err) < 0 && err && strstr(err->msg, "bogus"),
	   "unknown settings key refused: %s", err ? err->msg : "");
	hr_error_clear(&err);
	ok(hr_rule_userns.parse(k, "p.json", &s, &err) < 0 && err && strstr(err->msg, "rangeSize"),
	   "rangeSize below 65536 refused: %s", err ? err->msg : "");
	hr_error_clear(&err);
}

static void test_dry_run(void)
{
	struct run r = run(PLAIN "}", HR_ACTION_FIX, NULL, false, NULL);
	_cleanup_free_ char *ranges = hr_xasprintf("%s/ranges", pol.state_dir);
	struct stat st;

	ok(r.r == 0 && has_user_ns(&r, NULL), "fix adds a user namespace");
	ok(host_id(&r, "linux/uidMappings") == POOL && host_id(&r, "linux/gidMappings") == POOL,
	   "dry run: placeholder mapping at the pool start");
	ok(find(&r, HR_ACTION_FIX, "linux.namespaces") != NULL, "fix finding recorded");
	is_str(root_path(&r), "rootfs", "dry run leaves root.path alone");
	ok(stat(ranges, &st) < 0 || st.st_nlink == 2, "dry run allocates nothing");
	run_free(&r);
}

static void test_ping_range(void)
{
	struct run r = run("{\"root\":{\"path\":\"rootfs\"},\"linux\":{\"sysctl\":{"
			   "\"net.ipv4.ping_group_range\":\"0 2147483647\"}}}",
			   HR_ACTION_FIX, NULL, false, NULL);
	is_str(
	    hr_json_as_string(hr_json_get_path(r.spec, "linux/sysctl/net.ipv4.ping_group_range")),
	    "0 65535", "docker's ping_group_range clamped to the container's gids");
	run_free(&r);
}

static void test_deny_warn(void)
{
	struct run r = run(PLAIN "}", HR_ACTION_DENY, "x", false, NULL);
	ok(r.r == 0 && find(&r, HR_ACTION_DENY, "linux.namespaces") && r.ctx.findings.denials == 1,
	   "deny: config without a user namespace refused");
	ok(!has_user_ns(&r, NULL), "deny: spec unchanged");
	run_free(&r);
	r = run(PLAIN "}", HR_ACTION_WARN, "x", false, NULL);
	ok(r.r == 0 && find(&r, HR_ACTION_WARN, NULL) && !has_user_ns(&r, NULL) &&
	       r.ctx.findings.denials == 0,
	   "warn: recorded, spec unchanged");
	run_free(&r);
	r = run(PLAIN "}", HR_ACTION_FIX, "x", true, NULL);
	ok(r.r == 0 && find(&r, HR_ACTION_WARN, NULL) && !has_user_ns(&r, NULL),
	   "inside a user namespace: caller's mapping kept, a warning says so");
	ok(r.ctx.findings.len == 1 && strstr(r.ctx.findings.items[0].reason, "user namespace"),
	   "reason: %s", r.ctx.findings.len ? r.ctx.findings.items[0].reason : "");
	run_free(&r);
}

static const char *const bad_maps[][2] = {
    {"{\"type\":\"user\"}],\"uidMappings\":[{\"containerID\":0,\"hostID\":0,\"size\":65536}],"
     "\"gidMappings\":[{\"containerID\":0,\"hostID\":1000000,\"size\":65536}]}}",
     "uid mapping to host 0"},
    {"{\"type\":\"user\"}],\"uidMappings\":[{\"containerID\":0,\"hostID\":1000000,\"size\":"
     "65536}],\"gidMappings\":[{\"containerID\":1,\"hostID\":1000000,\"size\":1},"
     "{\"containerID\":0,\"hostID\":0,\"size\":1}]}}",
     "second gid extent maps host 0"},
    {"{\"type\":\"user\"}],\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":1}],"
     "\"gidMappings\":[{\"containerID\":0,\"hostID\":1000000,\"size\":65536}]}}",
     "mapping below the pool (a host user's uid)"},
    {"{\"type\":\"user\",\"path\":\"/proc/1/ns/user\"}]}}", "join /proc/1/ns/user"},
    {"{\"type\":\"user\",\"path\":\"/proc/self/ns/user\"}]}}", "join /proc/self/ns/user"},
    {"{\"type\":\"user\",\"path\":\"/proc/thread-self/ns/user\"}]}}", "join thread-self"},
};

#define OWN                                                                                        \
	"%s{\"type\":\"user\"}],\"uidMappings\":[{\"containerID\":0,\"hostID\":%" PRIu32           \
	",\"size\":65536}],\"gidMappings\":[{\"containerID\":0,\"hostID\":%" PRIu32                \
	",\"size\":65536}]}}"

static void test_own_mapping(void)
{
	const char *pre = "{\"root\":{\"path\":\"rootfs\"},\"linux\":{\"namespaces\":[";
	for (size_t i = 0; i < sizeof(bad_maps) / sizeof(bad_maps[0]); i++) {
		_cleanup_free_ char *cfg = hr_xasprintf("%s%s", pre, bad_maps[i][0]);
		struct run r = run(cfg, HR_ACTION_FIX, NULL, false, NULL);
		ok(r.r == 0 && r.ctx.findings.denials >= 1, "denied (unfixable): %s",
		   bad_maps[i][1]);
		run_free(&r);
	}
	{
		_cleanup_free_ char *above = hr_xasprintf(OWN, pre, 10000000u, 10000000u);
		_cleanup_free_ char *in = hr_xasprintf(OWN, pre, 2000000u, 2000000u);
		uint32_t mine = 0;
		struct run r = run(above, HR_ACTION_FIX, "own", false, NULL);
		ok(r.r == 0 && r.ctx.findings.len == 0 &&
		       host_id(&r, "linux/uidMappings") == 10000000,
		   "a mapping above the pool is kept as is");
		run_free(&r);
		r = run(above, HR_ACTION_FIX, "own2", false, NULL);
		{
			const struct hr_finding *d = find(&r, HR_ACTION_DENY, "linux.uidMappings");
			ok(r.r == 0 && d && strstr(d->reason, "`own`") &&
			       strstr(d->reason, "allowed:"),
			   "the same mapping for a second container is refused, naming the holder "
			   "and the allowed ranges: %s",
			   d ? d->reason : "accepted");
		}
		run_free(&r);
		{
			_cleanup_free_ char *dir = hr_xasprintf("%s/state/callers/own", tmp);
			unlink(dir);
		}
		r = run(above, HR_ACTION_FIX, "own2", false, NULL);
		ok(r.r == 0 && r.ctx.findings.denials == 0,
		   "once the first container's claim is gone, the second may have the ids");
		run_free(&r);
		r = run(in, HR_ACTION_FIX, "own", false, NULL);
		ok(r.r == 0 && find(&r, HR_ACTION_DENY, "linux.uidMappings[0]"),
		   "a mapping inside the pool that is not the container's range is denied");
		run_free(&r);
		{
			/* Docker userns-remap's range, listed by the host policy */
			struct hr_caller_range cr = {100000, 65536, false};
			_cleanup_free_ char *remap = hr_xasprintf(OWN, pre, 100000u, 100000u);
			pol.caller_ranges = &cr;
			pol.n_caller_ranges = 1;
			r = run(remap, HR_ACTION_FIX, "cr1", false, NULL);
			ok(r.r == 0 && r.ctx.findings.denials == 0,
			   "a mapping below the pool inside the policy's callerRanges is accepted");
			run_free(&r);
			r = run(remap, HR_ACTION_FIX, "cr2", false, NULL);
			ok(r.r == 0 && find(&r, HR_ACTION_DENY, "linux.uidMappings"),
			   "and is the first container's alone");
			run_free(&r);
			cr.shared = true;
			r = run(remap, HR_ACTION_FIX, "cr3", false, NULL);
			ok(r.r == 0 && r.ctx.findings.denials == 0,
			   "unless the policy marks the range shared");
			run_free(&r);
			pol.caller_ranges = NULL;
			pol.n_caller_ranges = 0;
			r = run(remap, HR_ACTION_FIX, "cr4", false, NULL);
			const struct hr_finding *d =
			    find(&r, HR_ACTION_DENY, "linux.uidMappings[0]");
			ok(r.r == 0 && d && strstr(d->reason, "allowed:") &&
			       strstr(d->reason, "userns.callerRanges"),
			   "without it: refused, naming what is allowed and where to list more "
			   "(%s)",
			   d ? d->reason : "accepted");
			run_free(&r);
		}
		if (hr_idrange_acquire(&pol, "own", NULL, NULL, 0, &mine, NULL) == 0) {
			_cleanup_free_ char *m = hr_xasprintf(OWN, pre, mine, mine);
			r = run(m, HR_ACTION_FIX, "own", false, NULL);
			ok(r.r == 0 && r.ctx.findings.len == 0,
			   "the container's own allocated range is accepted");
			run_free(&r);
			hr_idrange_release(&pol, "own", NULL);
		}
	}
}

/* Real allocation and idmapped rootfs; then the rewritten config is reused. */
static void test_fix_and_reuse(void)
{
	struct run r = run(PLAIN "}", HR_ACTION_FIX, "t1", false, NULL), r2;
	_cleanup_free_ char *cfg = NULL, *f1 = NULL, *f2 = NULL;
	uint64_t s1 = host_id(&r, "linux/uidMappings"), s2;
	struct stat st;

	if (geteuid() != 0) {
		ok(1, "# SKIP idmapped rootfs needs root");
		run_free(&r);
		return;
	}
	ok(r.r == 0, "fix with a container id: %s", r.err ? r.err->msg : "ok");
	ok(s1 >= POOL && (s1 - POOL) % RANGE == 0, "range allocated from the pool (%" PRIu64 ")",
	   s1);
	ok(root_path(&r) && strstr(root_path(&r), "/mounts/t1/rootfs"),
	   "root.path points at the idmapped view: %s", root_path(&r) ? root_path(&r) : "");
	f1 = hr_xasprintf("%s/file", root_path(&r) ? root_path(&r) : "/nonexistent");
	ok(stat(f1, &st) == 0 && st.st_uid == s1,
	   "root-owned image file appears as container root");
	ok(find(&r, HR_ACTION_FIX, "root.path") != NULL, "root.path finding");
	hr_json_serialize(r.spec, false, &cfg, NULL, NULL);
	/* A second container from the same (rewritten) bundle config. */
	r2 = run(cfg, HR_ACTION_FIX, "t2", false, NULL);
	s2 = host_id(&r2, "linux/uidMappings");
	ok(r2.r == 0 && s2 != s1 && s2 >= POOL, "second container from a reused bundle: own range");
	ok(root_path(&r2) && strstr(root_path(&r2), "/mounts/t2/rootfs"), "and its own view");
	f2 = hr_xasprintf("%s/file", root_path(&r2) ? root_path(&r2) : "/nonexistent");
	ok(stat(f2, &st) == 0 && st.st_uid == s2, "file appears as the second container's root");
	ok(stat(f1, &st) == 0 && st.st_uid == s1, "first container's view untouched");
	ok(hr_idmount_release(&pol, "t1", NULL) == 0 && hr_idrange_release(&pol, "t1", NULL) == 0 &&
	       hr_idmount_release(&pol, "t2", NULL) == 0 &&
	       hr_idrange_release(&pol, "t2", NULL) == 0,
	   "release both");
	run_free(&r);
	run_free(&r2);
}

#define MOUNT_GOOD                                                                                 \
	"{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"%s/vols/vol\","                 \
	"\"options\":[\"rbind\",\"idmap\"],\"uidMappings\":[{\"containerID\":0,"                   \
	"\"hostID\":%" PRIu32 ",\"size\":65536}],\"gidMappings\":[{\"containerID\":0,"             \
	"\"hostID\":%" PRIu32 ",\"size\":65536}]}"
#define MOUNTS                                                                                     \
	",\"mounts\":[" MOUNT_GOOD ",{\"destination\":\"/bad\",\"type\":"                          \
	"\"bind\",\"source\":\"%s/vols/vol\",\"options\":[\"rbind\"],\"uidMappings\":[{"           \
	"\"containerID\":0,\"hostID\":0,\"size\":65536}]}]}"
#define OWN_NS                                                                                     \
	"{\"root\":{\"path\":\"rootfs\"},\"linux\":{\"namespaces\":[{\"type\":\"user\"}],"         \
	"\"uidMappings\":[{\"containerID\":0,\"hostID\":20000000,\"size\":65536}],"                \
	"\"gidMappings\":[{\"containerID\":0,\"hostID\":20000000,\"size\":65536}]}"

struct settings_view { /* layout of userns.c's settings */
	unsigned long long range_size;
	bool idmap_rootfs, idmap_volumes, chown_fallback;
};

static const char *mount_source(const struct run *r, size_t i)
{
	struct hr_json *m = hr_json_get_path(r->spec, "mounts");
	return m && m->type == HR_JSON_ARRAY && i < m->arr.len
		   ? hr_json_as_string(hr_json_get(m->arr.items[i], "source"))
		   : NULL;
}

static uint32_t owner_in(const char *dir)
{
	_cleanup_free_ char *f = hr_xasprintf("%s/f", dir ? dir : "/nonexistent");
	struct stat st;
	return stat(f, &st) == 0 ? st.st_uid : 0;
}

static void test_mount_mappings(void)
{
	struct settings_view s = {0, false, false, false};
	_cleanup_free_ char *fresh =
	    hr_xasprintf(PLAIN MOUNTS, tmp, (uint32_t)3000000, (uint32_t)3000000, tmp);
	_cleanup_free_ char *own =
	    hr_xasprintf(OWN_NS MOUNTS, tmp, (uint32_t)20000000, (uint32_t)20000000, tmp);
	_cleanup_free_ char *own_good = hr_xasprintf(OWN_NS ",\"mounts\":[" MOUNT_GOOD "]}", tmp,
						     (uint32_t)20000000, (uint32_t)20000000);
	struct run r = {0};
	uint64_t start;
	_cleanup_free_ char *own_src = hr_xasprintf("%s/vols/vol", tmp);

	if (geteuid() != 0) {
		ok(1, "# SKIP idmapped mounts need root");
		return;
	}
	r = run(fresh, HR_ACTION_FIX, "m1", false, &s);
	start = host_id(&r, "linux/uidMappings");
	ok(r.r == 0 && r.ctx.findings.denials == 0,
	   "no user namespace, mounts with uidMappings: %s", r.err ? r.err->msg : "fixed");
	ok(mount_source(&r, 0) && strstr(mount_source(&r, 0), "/mounts/m1/vol0") &&
	       mount_source(&r, 1) && strstr(mount_source(&r, 1), "/mounts/m1/vol1"),
	   "both sources rewritten to idmapped views");
	ok(owner_in(mount_source(&r, 0)) == start && owner_in(mount_source(&r, 1)) == start,
	   "a mapping written without a user namespace is replaced by the container's range");
	ok(hr_json_is_null(
	       hr_json_get(hr_json_get_path(r.spec, "mounts")->arr.items[0], "uidMappings")),
	   "uidMappings stripped (runc 1.1 does not know them)");
	hr_idmount_release(&pol, "m1", NULL);
	hr_idrange_release(&pol, "m1", NULL);
	run_free(&r);

	r = run(own, HR_ACTION_FIX, "m2", false, &s);
	ok(r.r == 0 && find(&r, HR_ACTION_DENY, "mounts[1].uidMappings[0]") != NULL,
	   "own user namespace: a mount mapping to host 0 is denied");
	is_str(mount_source(&r, 0), own_src,
	       "own user namespace, refused: nothing was idmapped for it (all or nothing)");
	hr_idmount_release(&pol, "m2", NULL);
	hr_records_forget(&pol, "m2"); /* as a refused create gives its caller claim back */
	run_free(&r);

	/* Only the good mount: honoured with its own mapping. */
	r = run(own_good, HR_ACTION_FIX, "m3", false, &s);
	ok(r.r == 0 && r.ctx.findings.denials == 0 && owner_in(mount_source(&r, 0)) == 20000000,
	   "own user namespace: the mount's own mapping is honoured: %s", r.err ? r.err->msg : "");
	hr_idmount_release(&pol, "m3", NULL);
	run_free(&r);
}

static void test_system_rootfs(void)
{
	struct run r = run("{\"root\":{\"path\":\"/etc/..\"}}", HR_ACTION_FIX, "sys", false, NULL);

	if (geteuid() != 0) {
		ok(1, "# SKIP needs root");
		run_free(&r);
		return;
	}
	ok(r.r == 0 && find(&r, HR_ACTION_DENY, "root.path") != NULL,
	   "rootfs resolving to the host's / is never idmapped (denied)");
	is_str(root_path(&r), "/etc/..", "root.path left alone");
	hr_idmount_release(&pol, "sys", NULL);
	hr_idrange_release(&pol, "sys", NULL);
	run_free(&r);
}

static void test_state_dir_sources(void)
{
	_cleanup_free_ char *cfg = hr_xasprintf(
	    "{\"root\":{\"path\":\"%s/mounts/victim/rootfs\"},\"mounts\":[{\"destination\":"
	    "\"/x\",\"type\":\"bind\",\"source\":\"%s/ranges\",\"options\":[\"rbind\"]}]}",
	    pol.state_dir, pol.state_dir);
	struct run r = run(cfg, HR_ACTION_FIX, "thief", false, NULL);

	ok(r.r == 0 && find(&r, HR_ACTION_DENY, "mounts[0].source") != NULL,
	   "a bind from hardrun's state directory is denied");
	ok(find(&r, HR_ACTION_DENY, "root.path") != NULL,
	   "a rootfs inside hardrun's state directory is denied");
	run_free(&r);
}

/* A forged undo record may not smuggle a source past the mounts rule behind a view. */
static void test_forged_undo(void)
{
	const char *cfg =
	    "{\"root\":{\"path\":\"rootfs\"},\"annotations\":{\"run.hardrun.userns\":"
	    "\"{\\\"userns\\\":true,\\\"mounts\\\":{\\\"0\\\":{\\\"destination\\\":\\\"/x\\\","
	    "\\\"type\\\":\\\"bind\\\",\\\"source\\\":\\\"/var/run/docker.sock\\\",\\\"options\\\":"
	    "[\\\"rbind\\\",\\\"idmap\\\"]}}}\"},\"mounts\":[{\"destination\":\"/x\",\"type\":"
	    "\"bind\",\"source\":\"/run/hardrun/mounts/victim/vol0\",\"options\":[\"rbind\"]}]}";
	struct run r = run(cfg, HR_ACTION_FIX, "forge", false, NULL);

	ok(r.spec != NULL, "forged config parses");
	is_str(mount_source(&r, 0), "/var/run/docker.sock",
	       "forged record: the restored source is not hidden behind an idmapped view");
	ok(find(&r, HR_ACTION_DENY, "mounts[0]") != NULL,
	   "and the mount asking for idmap is denied");
	hr_idmount_release(&pol, "forge", NULL);
	hr_idrange_release(&pol, "forge", NULL);
	run_free(&r);
}

/* A pod sandbox: a process in a user namespace mapped to `start`. */
static pid_t fake_sandbox(uint32_t start, bool own_ns)
{
	int p[2];
	char c;
	pid_t pid;
	_cleanup_free_ char *map = NULL, *dir = NULL, *state = NULL, *json = NULL;
	FILE *f;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		if (own_ns && unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	if (read(p[0], &c, 1) != 1)
		return -1;
	close(p[0]);
	close(p[1]);
	if (own_ns) {
		map =
		    hr_xasprintf("echo '0 %" PRIu32 " 65536' > /proc/%d/uid_map && echo '0 %" PRIu32
				 " 65536' > /proc/%d/gid_map",
				 start, (int)pid, start, (int)pid);
		if (system(map) != 0)
			return -1;
	}
	dir = hr_xasprintf("%s/rt/sb%d", tmp, own_ns);
	hr_mkdir_p(dir, 0700, NULL);
	state = hr_xasprintf("%s/state.json", dir);
	f = fopen(state, "w");
	if (f) {
		fprintf(f, "{\"id\":\"sb\",\"init_process_pid\":%d}", (int)pid);
		fclose(f);
	}
	return pid;
}

/*
 * A netns made for the container (podman's default network, a CNI pod): no
 * process in it.  Its net.* sysctls are hardrun's to write there, and low
 * ports are opened there, in a child (the real run enters the netns).
 */
static void test_fresh_netns(void)
{
	_cleanup_free_ char *ns = hr_xasprintf("%s/fresh-netns", tmp), *cfg = NULL;
	pid_t pid;
	int st = 0;

	close(open(ns, O_CREAT | O_WRONLY, 0600));
	pid = fork();
	if (pid == 0)
		_exit(unshare(CLONE_NEWNET) == 0 &&
			      mount("/proc/self/ns/net", ns, NULL, MS_BIND, NULL) == 0
			  ? 0
			  : 1);
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || st != 0) {
		ok(0, "a fresh netns bound at %s", ns);
		return;
	}
	cfg = hr_xasprintf("{\"root\":{\"path\":\"rootfs\"},\"linux\":{\"namespaces\":[{"
			   "\"type\":\"network\",\"path\":\"%s\"}],\"sysctl\":{"
			   "\"net.ipv4.ping_group_range\":\"0 0\",\"kernel.shmmax\":\"1\"}}}",
			   ns);
	struct run c = run(cfg, HR_ACTION_FIX, NULL, false, NULL);
	_cleanup_free_ char *sys = hr_json_brief(hr_json_get_path(c.spec, "linux/sysctl"));
	ok(c.r == 0 && c.ctx.findings.denials == 0 &&
	       find(&c, HR_ACTION_FIX, "linux.sysctl.net.ipv4.ping_group_range") &&
	       find(&c, HR_ACTION_FIX, "linux.sysctl.net.ipv4.ip_unprivileged_port_start") &&
	       strcmp(sys, "{\"kernel.shmmax\":\"1\"}") == 0,
	   "podman's ping_group_range in a netns made for the container: hardrun's to set, "
	   "dropped from the config, low ports opened (%s)",
	   sys);
	run_free(&c);
	pid = fork();
	if (pid == 0) {
		struct run r = run(cfg, HR_ACTION_FIX, "fresh", false, NULL);
		char buf[64] = "";
		_cleanup_free_ char *want = NULL;
		uint32_t held = 0;
		hr_idrange_lookup(&pol, "fresh", &held, NULL, NULL);
		want = hr_xasprintf("%" PRIu32 "\t%" PRIu32 "\n", held, held);
		int ok1 = r.r == 0 &&
			  hr_read_small_at(AT_FDCWD, "/proc/sys/net/ipv4/ping_group_range", buf,
					   sizeof(buf)) > 0 &&
			  strcmp(buf, want) == 0;
		int ok2 =
		    hr_read_small_at(AT_FDCWD, "/proc/sys/net/ipv4/ip_unprivileged_port_start", buf,
				     sizeof(buf)) > 0 &&
		    strcmp(buf, "0\n") == 0;
		hr_idmount_release(&pol, "fresh", NULL);
		hr_idrange_release(&pol, "fresh", NULL);
		_exit(ok1 && ok2 ? 0 : 1);
	}
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && st == 0,
	   "written in that netns: ping_group_range as host gids of the container's gid 0, "
	   "ip_unprivileged_port_start 0");
	umount2(ns, MNT_DETACH);
	unlink(ns);
}

static void test_pod(void)
{
#define POD                                                                                        \
	"{\"root\":{\"path\":\"rootfs\"},\"annotations\":{"                                        \
	"\"io.kubernetes.cri.container-type\":\"container\","                                      \
	"\"io.kubernetes.cri.sandbox-id\":\"sb%d\"}}"
	_cleanup_free_ char *c1 = hr_xasprintf(POD, 1), *c0 = hr_xasprintf(POD, 0), *want = NULL;
	pid_t sb = -1, host = -1;
	const char *nspath = NULL;
	struct run r;
	struct stat st;
	_cleanup_free_ char *f = NULL;

	if (geteuid() != 0) {
		ok(1, "# SKIP pod sandboxes need root");
		return;
	}
	sb = fake_sandbox(4000000, true);
	host = fake_sandbox(0, false);
	want = hr_xasprintf("/proc/%d/ns/user", (int)sb);
	r = run(c1, HR_ACTION_FIX, "podc", false, NULL);
	ok(r.r < 0 && r.err && strstr(r.err->msg, "not a pod sandbox hardrun made"),
	   "a sandbox-id hardrun holds no pod record for is refused: %s",
	   r.err ? r.err->msg : "accepted");
	run_free(&r);
	/* What the sandbox's own create records (plan_range, type sandbox). */
	ok(hr_pod_record(&pol, "sb1", rt_root, 4000000, 65536, NULL) == 0, "pod record of sb1");
	r = run(c1, HR_ACTION_FIX, "podc", false, NULL);
	ok(r.r == 0 && has_user_ns(&r, &nspath), "pod member gets a user namespace: %s",
	   r.err ? r.err->msg : "ok");
	is_str(nspath, want, "pod member joins its sandbox's user namespace");
	ok(host_id(&r, "linux/uidMappings") == 4000000, "and reuses the sandbox's mapping");
	f = hr_xasprintf("%s/file", root_path(&r) ? root_path(&r) : "/nonexistent");
	ok(stat(f, &st) == 0 && st.st_uid == 4000000, "rootfs idmapped with the sandbox's range");
	{
		uint32_t held = 0;
		ok(hr_idrange_lookup(&pol, "podc", &held, NULL, NULL) == 1 && held == 4000000,
		   "pod member allocates no range of its own, it holds a share of the sandbox's");
		hr_idrange_release(&pol, "podc", NULL);
	}
	hr_idmount_release(&pol, "podc", NULL);
	run_free(&r);
	{
		/* docker --network container:X: no annotations, X's netns by path (dry
		 * run: a real one would enter that netns) */
		_cleanup_free_ char *cfg = hr_xasprintf(
		    "{\"root\":{\"path\":\"rootfs\"},\"linux\":{\"namespaces\":[{\"type\":"
		    "\"network\",\"path\":\"/proc/%d/ns/net\"}]},\"mounts\":[{\"destination\":"
		    "\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\"}]}",
		    (int)sb);
		struct run j = run(cfg, HR_ACTION_FIX, NULL, false, NULL);
		nspath = NULL;
		ok(j.r == 0 && has_user_ns(&j, &nspath) && !nspath,
		   "joining a netns owned by another user namespace keeps a user namespace of its "
		   "own: %s",
		   j.err ? j.err->msg : (nspath ? nspath : "no path"));
		is_str(hr_json_as_string(
			   hr_json_get(hr_json_get_path(j.spec, "mounts")->arr.items[0], "type")),
		       "bind", "sysfs becomes a bind: that netns is not its user namespace's");
		run_free(&j);
	}
	{
		/* CRI member with the pod's CNI netns (made by containerd in the host's userns),
		 * sharing the pod's pid namespace (any ns of the sandbox's userns stands in) */
		_cleanup_free_ char *cfg = hr_xasprintf(
		    "{\"root\":{\"path\":\"rootfs\"},\"annotations\":{"
		    "\"io.kubernetes.cri.container-type\":\"container\","
		    "\"io.kubernetes.cri.sandbox-id\":\"sb1\"},\"linux\":{\"namespaces\":[{"
		    "\"type\":\"network\",\"path\":\"/proc/%d/ns/net\"},{\"type\":\"pid\","
		    "\"path\":\"/proc/%d/ns/net\"}]},\"hostname\":\"pod\",\"mounts\":[{"
		    "\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\"}]}",
		    (int)host, (int)sb);
		struct run c = run(cfg, HR_ACTION_FIX, "cni", false, NULL);
		struct hr_json *nss = hr_json_get_path(c.spec, "linux/namespaces");
		_cleanup_free_ char *n = hr_json_brief(nss);
		uint32_t held = 0;
		ok(c.r == 0 && has_user_ns(&c, &nspath) && nspath && strcmp(nspath, want) == 0,
		   "CRI member with a host-owned CNI netns joins the sandbox: %s",
		   c.err ? c.err->msg : "ok");
		ok(!strstr(n, "network") && find(&c, HR_ACTION_FIX, "linux.namespaces") != NULL,
		   "the netns is entered by hardrun and dropped from the config (runc 1.1 enters "
		   "the user namespace first): %s",
		   n);
		ok(hr_idrange_lookup(&pol, "cni", &held, NULL, NULL) == 1 && held == 4000000,
		   "and it holds a share of the pod's range");
		is_str(hr_json_as_string(
			   hr_json_get(hr_json_get_path(c.spec, "mounts")->arr.items[0], "type")),
		       "bind", "/sys becomes a bind (the netns is not its user namespace's)");
		hr_idmount_release(&pol, "cni", NULL);
		hr_idrange_release(&pol, "cni", NULL);
		run_free(&c);
	}
	{
		/* the bundle's next container gets the dropped netns entry back */
		_cleanup_free_ char *cfg = hr_xasprintf(
		    "{\"root\":{\"path\":\"rootfs\"},\"linux\":{\"namespaces\":[{\"type\":"
		    "\"network\",\"path\":\"/proc/%d/ns/net\"}]}}",
		    (int)host);
		_cleanup_free_ char *rewritten = NULL, *n = NULL;
		struct run a = run(cfg, HR_ACTION_FIX, "n1", false, NULL), b;
		hr_json_serialize(a.spec, false, &rewritten, NULL, NULL);
		b = run(rewritten, HR_ACTION_DENY, "n2", false, NULL);
		n = hr_json_brief(hr_json_get_path(b.spec, "linux/namespaces"));
		ok(a.r == 0 && rewritten && !strstr(rewritten, "\"network\"") &&
		       strstr(n, "network"),
		   "a netns entry dropped for one container comes back for the next: %s", n);
		hr_idmount_release(&pol, "n1", NULL);
		hr_idrange_release(&pol, "n1", NULL);
		run_free(&a);
		run_free(&b);
	}
	{
		/* net.* sysctls in the host's netns: never written, by anyone */
		_cleanup_free_ char *cfg = hr_xasprintf(
		    "{\"root\":{\"path\":\"rootfs\"},\"linux\":{\"namespaces\":[{\"type\":"
		    "\"network\",\"path\":\"/proc/%d/ns/net\"}],\"sysctl\":{"
		    "\"net.ipv4.ip_unprivileged_port_start\":\"0\"}}}",
		    (int)host);
		struct run c = run(cfg, HR_ACTION_FIX, NULL, false, NULL);
		const struct hr_finding *d =
		    find(&c, HR_ACTION_DENY, "linux.sysctl.net.ipv4.ip_unprivileged_port_start");
		ok(c.r == 0 && d && strstr(d->reason, "not one made for this container"),
		   "net.* sysctls in the host's netns: denied with a reason (%s)",
		   d ? d->reason : "none");
		run_free(&c);
		/* and in another container's (the fake sandbox's, with a process in it) */
		_cleanup_free_ char *cfg2 = hr_xasprintf(
		    "{\"root\":{\"path\":\"rootfs\"},\"linux\":{\"namespaces\":[{\"type\":"
		    "\"network\",\"path\":\"/proc/%d/ns/net\"}],\"sysctl\":{"
		    "\"net.ipv4.ip_unprivileged_port_start\":\"0\"}}}",
		    (int)sb);
		c = run(cfg2, HR_ACTION_FIX, NULL, false, NULL);
		ok(c.r == 0 &&
		       find(&c, HR_ACTION_DENY, "linux.sysctl.net.ipv4.ip_unprivileged_port_start"),
		   "net.* sysctls in another container's netns: denied");
		run_free(&c);
	}
	test_fresh_netns();
	{
		/* --network host: a new user namespace cannot mount sysfs there */
		struct run h = run("{\"root\":{\"path\":\"rootfs\"},\"mounts\":[{\"destination\":"
				   "\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\",\"options\":["
				   "\"nosuid\"]}]}",
				   HR_ACTION_FIX, NULL, false, NULL);
		struct hr_json *m = hr_json_get_path(h.spec, "mounts")->arr.items[0];
		_cleanup_free_ char *o = hr_json_brief(hr_json_get(m, "options"));
		ok(h.r == 0 && strcmp(hr_json_as_string(hr_json_get(m, "type")), "bind") == 0 &&
		       strstr(o, "\"ro\"") && strstr(o, "rbind"),
		   "host network: sysfs becomes a read-only bind of /sys (%s)", o);
		run_free(&h);
	}
	hr_pod_record(&pol, "sb0", rt_root, 4000000, 65536, NULL);
	r = run(c0, HR_ACTION_FIX, "podd", false, NULL);
	ok(r.r < 0 && r.err && strstr(r.err->msg, "not the one hardrun made"),
	   "sandbox in the host user namespace: member refused: %s", r.err ? r.err->msg : "");
	run_free(&r);
	kill(sb, SIGKILL);
	kill(host, SIGKILL);
	while (wait(NULL) > 0)
		;
}

int main(void)
{
	_cleanup_free_ char *rootfs = NULL, *cmd = NULL, *rt = NULL;

	if (!mkdtemp(tmp))
		return 1;
	chmod(tmp, 0711);
	rt = hr_xasprintf("%s/rt", tmp);
	rt_root = rt;
	cmd =
	    hr_xasprintf("mkdir -p %s/rootfs %s/vols/vol %s && touch %s/rootfs/file %s/vols/vol/f",
			 tmp, tmp, rt, tmp, tmp);
	if (system(cmd) != 0)
		return 1;
	pol.path = (char *)"(test)";
	pol.state_dir = hr_xasprintf("%s/state", tmp);
	pol.pool_start = POOL;
	pol.pool_size = 64 * RANGE;
	pol.range_size = RANGE;
	/* tmp/vols holds the volumes; the bundle (tmp) is no volume: a rootfs never lies in one */
	pol.volume_roots = (char *[]){hr_xasprintf("%s/vols", tmp), NULL};
	if (hr_rule_userns.parse(NULL, "(defaults)", &defaults, NULL) < 0)
		return 1;
	test_parse();
	test_dry_run();
	test_deny_warn();
	test_ping_range();
	test_own_mapping();
	test_fix_and_reuse();
	test_mount_mappings();
	test_forged_undo();
	test_state_dir_sources();
	test_system_rootfs();
	test_pod();
	hr_rule_userns.free_settings(defaults);
	free(cmd);
	cmd = hr_xasprintf("rm -rf %s", tmp);
	if (system(cmd) != 0)
		return 1;
	free(pol.volume_roots[0]);
	free(pol.state_dir);
	return tap_done();
}
