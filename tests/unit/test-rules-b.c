/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Table-driven tests for the rule families mounts, hooks, images,
 * annotations and lsm: each case runs one rule with one action over one
 * config and checks the findings and the rewritten config, including
 * configs built to slip past the checks.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hardrun/json.h"
#include "hardrun/profile.h"
#include "hardrun/provision.h"
#include "hardrun/cleanup.h"
#include "hardrun/rules.h"
#include "hardrun/util.h"
#include "tap.h"

extern const struct hr_rule hr_rule_mounts, hr_rule_hooks, hr_rule_images, hr_rule_annotations,
    hr_rule_lsm, hr_rule_namespaces;

/* Test-only entry points of src/rules/lsm.c. */
#include "hardrun/lsm.h"
#include "fake-lsm.h"

static char tmp[64];		 /* scratch dir: hook binaries, symlinks */
static const char *dockerd_real; /* @D@: the installed dockerd, resolved */

#define SHA "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct tcase {
	const char *name;
	const struct hr_rule *rule;
	const struct hr_policy *pol; /* NULL: default_pol */
	const char *settings;	     /* profile section, NULL: rule defaults */
	enum hr_action action;
	const char *spec; /* ' is ", @T@ is the scratch dir */
	int rc;		  /* apply(): 0 or -1 */
	int denials;	  /* -1: any */
	int findings;	  /* -1: any */
	const char *has;  /* substring of the rewritten config (compact) */
	const char *hasnt;
	const char *reason; /* substring of some finding's reason */
	const char *orig;   /* ctx->original, NULL: none */
};

static char *fill(const char *t)
{
	size_t n = strlen(t);
	char *out = hr_xmalloc(n * 4 + 512);
	size_t o = 0;

	for (const char *p = t; *p; p++) {
		if (strncmp(p, "@T@", 3) == 0) {
			o += (size_t)sprintf(out + o, "%s", tmp);
			p += 2;
		} else if (strncmp(p, "@D@", 3) == 0 && dockerd_real) {
			o += (size_t)sprintf(out + o, "%s", dockerd_real);
			p += 2;
		} else {
			out[o++] = *p == '\'' ? '"' : *p;
		}
	}
	out[o] = '\0';
	return out;
}

static struct hr_json *parse_json(const char *t)
{
	struct hr_error *err = NULL;
	char *s = fill(t);
	struct hr_json *j = hr_json_parse(s, strlen(s), NULL, &err);

	if (!j) {
		printf("# bad test JSON: %s: %s\n", s, err ? err->msg : "?");
		exit(2);
	}
	free(s);
	return j;
}

static bool reason_has(const struct hr_findings *f, const char *needle)
{
	for (size_t i = 0; i < f->len; i++)
		if (strstr(f->items[i].reason, needle))
			return true;
	return false;
}

static void dump(const struct hr_findings *f)
{
	for (size_t i = 0; i < f->len; i++)
		printf("#   finding %s %s %s: %s\n", f->items[i].rule,
		       hr_action_name(f->items[i].action), f->items[i].path, f->items[i].reason);
}

static struct hr_policy default_pol;

static void run_case(const struct tcase *c)
{
	struct hr_error *err = NULL;
	struct hr_json *section = c->settings ? parse_json(c->settings) : NULL;
	void *settings = NULL;
	struct hr_ctx ctx = {
	    .entry = HR_ENTRY_CREATE,
	    .policy = c->pol ? c->pol : &default_pol,
	    .container_id = NULL,
	    .bundle = tmp,
	    .cur_rule = c->rule->name,
	    .cur_action = c->action,
	};
	char *out = NULL;
	char *has = c->has ? fill(c->has) : NULL;
	char *hasnt = c->hasnt ? fill(c->hasnt) : NULL;
	bool good;

	if (c->rule->parse(section, "test.json", &settings, &err) < 0) {
		ok(c->rc == -2, "%s: settings refused (%s)", c->name, err ? err->msg : "?");
		hr_error_clear(&err);
		hr_json_free(section);
		return;
	}
	ctx.spec = parse_json(c->spec);
	ctx.original = c->orig ? parse_json(c->orig) : NULL;
	/* A case's undo record stands for what the userns rule did in this run,
	 * which it also tells later rules through ctx.rootfs_source. */
	const char *undo_text = hr_json_as_string(
	    hr_json_get(hr_json_get(ctx.spec, "annotations"), "run.hardrun.userns"));
	struct hr_json *undo = undo_text ? parse_json(undo_text) : NULL;
	const char *undo_root = hr_json_as_string(hr_json_get(undo, "root"));
	if (undo_root)
		snprintf(ctx.rootfs_source, sizeof(ctx.rootfs_source), "%s", undo_root);
	hr_json_free(undo);
	int rc = c->rule->apply(&ctx, settings, &err);
	hr_json_serialize(ctx.spec, false, &out, NULL, NULL);
	good = rc == c->rc &&
	       (c->rc < 0 || ((c->denials < 0 || ctx.findings.denials == (size_t)c->denials) &&
			      (c->findings < 0 || ctx.findings.len == (size_t)c->findings) &&
			      (!has || strstr(out, has)) && (!hasnt || !strstr(out, hasnt)) &&
			      (!c->reason || reason_has(&ctx.findings, c->reason))));
	ok(good, "%s: %s", c->rule->name, c->name);
	if (!good) {
		printf("#   rc %d (%s), %zu findings, %zu denials\n#   config %s\n", rc,
		       err ? err->msg : "-", ctx.findings.len, ctx.findings.denials, out);
		dump(&ctx.findings);
	}
	free(out);
	free(has);
	free(hasnt);
	hr_error_clear(&err);
	hr_findings_free(&ctx.findings);
	hr_json_free(ctx.spec);
	hr_json_free(ctx.original);
	hr_json_free(section);
	c->rule->free_settings(settings);
}

/* A bind of `src` with options that are otherwise clean. */
#define BIND(src, ro)                                                                              \
	"{'mounts':[{'destination':'/x','type':'bind','source':'" src                              \
	"','options':['rbind','nosuid','nodev'" ro "]}]}"
#define CLEAN_LINUX                                                                                \
	"'linux':{'maskedPaths':['/proc/acpi','/proc/asound','/proc/kcore','/proc/keys',"          \
	"'/proc/latency_stats','/proc/timer_list','/proc/timer_stats','/proc/sched_debug',"        \
	"'/proc/scsi','/sys/firmware','/sys/devices/virtual/powercap'],"                           \
	"'readonlyPaths':['/proc/bus','/proc/fs','/proc/irq','/proc/sys','/proc/sysrq-trigger']}"
#define MNT(m) "{'mounts':[" m "]," CLEAN_LINUX "}"

static const struct tcase mounts_cases[] = {
    {"docker.sock bind is refused even with fix", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     MNT("{'destination':'/s','type':'bind','source':'/var/run/docker.sock','options':["
	 "'rbind','nosuid','nodev']}"),
     0, 1, 1, NULL, NULL, "denied by"},
    {"/var/run/../run/docker.sock", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     BIND("/var/run/../run/docker.sock", ""), 0, 1, -1, NULL, NULL, NULL},
    {"//var/run/docker.sock", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     BIND("//var/run//docker.sock", ""), 0, 1, -1, NULL, NULL, NULL},
    {"/run/./containerd/containerd.sock", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     BIND("/run/./containerd/containerd.sock", ""), 0, 1, -1, NULL, NULL, NULL},
    {"symlink to the docker socket", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     BIND("@T@/sock", ""), 0, 1, -1, NULL, NULL, "resolves to `/run/docker.sock`"},
    {"symlinked directory then ..", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     BIND("@T@/etcdir/..", ", 'ro'"), 0, 1, -1, NULL, NULL, "resolves to"},
    {"relative source resolved against the bundle", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     BIND("../../../../../../../../var/lib/kubelet", ""), 0, 1, -1, NULL, NULL, NULL},
    {"containerd shim socket", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     BIND("/run/containerd/s/0123abcd", ""), 0, 1, -1, NULL, NULL, NULL},
    {"containerd CRI sandbox shm is fine", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     BIND("/run/containerd/io.containerd.grpc.v1.cri/sandboxes/abc/shm", ""), 0, 0, -1, NULL, NULL,
     NULL},
    {"a parent of a denied path: /var", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     BIND("/var", ", 'ro'"), 0, 1, -1, NULL, NULL, NULL},
    {"a parent of a denied path: /run", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     BIND("/run/", ""), 0, 1, -1, NULL, NULL, NULL},
    {"the host root", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX, BIND("/", ", 'ro'"), 0, 1, -1,
     NULL, NULL, NULL},
    {"/etc read-only is still /etc", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     BIND("/etc", ", 'ro'"), 0, 1, -1, NULL, NULL, NULL},
    {"/etc/localtime read-only is fine", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     BIND("/etc/localtime", ", 'ro'"), 0, 0, -1, NULL, NULL, NULL},
    {"below /etc/kubernetes", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     BIND("/etc/kubernetes/admin.conf", ", 'ro'"), 0, 1, -1, NULL, NULL, NULL},
    {"below /proc", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX, BIND("/proc/1/root", ", 'ro'"), 0,
     1, -1, NULL, NULL, NULL},
    {"/sys read-only bind is allowed", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     BIND("/sys", ", 'ro'"), 0, 0, -1, NULL, NULL, NULL},
    {"/sys writable bind", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX, BIND("/sys", ", 'ro', 'rw'"),
     0, 1, -1, NULL, NULL, NULL},
    {"RO in capitals is not read-only", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     BIND("/sys", ", 'RO'"), 0, 1, -1, NULL, NULL, NULL},
    {"per-container file under /var/lib/docker is fine", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     BIND("/var/lib/docker/containers/abc/hostname", ""), 0, 0, -1, NULL, NULL, NULL},
    {"type BIND in capitals is a bind", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     MNT("{'destination':'/s','type':'BIND','source':'/var/run/docker.sock'}"), 0, 1, -1, NULL,
     NULL, NULL},
    {"nosuid,nodev added to a bind", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     MNT("{'destination':'/d','type':'none','source':'/srv/data','options':['rbind','suid']}"), 0,
     0, 1, "['rbind','nosuid','nodev']", "'suid'", "nosuid,nodev"},
    {"nosuid missing, deny action still fixes", &hr_rule_mounts, NULL, NULL, HR_ACTION_DENY,
     MNT("{'destination':'/d','type':'bind','source':'/srv/data'}"), 0, 0, 1, "'nosuid','nodev'",
     NULL, NULL},
    {"nosuid missing, warn leaves it", &hr_rule_mounts, NULL, NULL, HR_ACTION_WARN,
     MNT("{'destination':'/d','type':'bind','source':'/srv/data'}"), 0, 0, 1, NULL, "nosuid", NULL},
    {"masked paths added under deny too", &hr_rule_mounts, NULL, NULL, HR_ACTION_DENY, "{}", 0, 0,
     16, "'/proc/kcore'", NULL, NULL},
    {"rshared bind fixed to rprivate", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     MNT("{'destination':'/d','type':'bind','source':'/srv','options':['rbind','nosuid',"
	 "'nodev','rshared']}"),
     0, 0, 1, "'rprivate'", "rshared", NULL},
    {"rshared bind refused by deny", &hr_rule_mounts, NULL, NULL, HR_ACTION_DENY,
     MNT("{'destination':'/d','type':'bind','source':'/srv','options':['rbind','nosuid',"
	 "'nodev','shared']}"),
     0, 1, 1, "'shared'", NULL, "propagation"},
    {"shared root propagation", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     "{'linux':{'rootfsPropagation':'rshared'}}", 0, 0, -1, "'rprivate'", "rshared", NULL},
    {"sysfs without ro gets ro", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     MNT("{'destination':'/sys','type':'sysfs','source':'sysfs','options':['nosuid','rw']}"), 0, 0,
     1, "['nosuid','ro']", NULL, NULL},
    {"second procfs elsewhere", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     MNT("{'destination':'/mnt/../host-proc','type':'proc','source':'proc'}"), 0, 1, 1, NULL, NULL,
     "bypass"},
    {"procfs at /proc is fine", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     MNT("{'destination':'/proc','type':'proc','source':'proc'}"), 0, 0, 0, NULL, NULL, NULL},
    {"overlay with a host lowerdir", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     MNT("{'destination':'/o','type':'overlay','source':'overlay','options':["
	 "'lowerdir=/tmp:/etc','upperdir=/srv/u','workdir=/srv/w']}"),
     0, 1, 1, NULL, NULL, NULL},
    {"masked and read-only paths added", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX, "{}", 0, 0, 16,
     "'/proc/kcore'", NULL, NULL},
    {"masked path spelt differently is present", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     "{'linux':{'maskedPaths':['/proc//kcore'],'readonlyPaths':[]}}", 0, 0, 15, "'/proc/sys'",
     "'/proc/kcore'", NULL},
    {"read-only rootfs required", &hr_rule_mounts, NULL, "{'readonlyRootfs':true}", HR_ACTION_FIX,
     "{'root':{'path':'rootfs'}," CLEAN_LINUX "}", 0, 0, 1, "'readonly':true", NULL, NULL},
    {"warn only records", &hr_rule_mounts, NULL, NULL, HR_ACTION_WARN,
     MNT("{'destination':'/s','type':'bind','source':'/run/docker.sock'}"), 0, 0, 2, NULL, "nosuid",
     NULL},
    {"idmapped view of the docker socket judged as the socket", &hr_rule_mounts, NULL, NULL,
     HR_ACTION_FIX, BIND("/run/hardrun/mounts/c1/vol-0", ""), 0, 1, -1, NULL, NULL,
     "/var/run/docker.sock", BIND("/var/run/docker.sock", "")},
    {"idmapped view of a volume is fine", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     BIND("/run/hardrun/mounts/c1/vol-0", ""), 0, 0, -1, NULL, NULL, NULL, BIND("/srv/data", "")},
    {"state directory without an original", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     BIND("/run/hardrun/mounts/c1/vol-0", ""), 0, 1, -1, NULL, NULL, NULL},
    {"custom deny list", &hr_rule_mounts, NULL, "{'denyHostPaths':['/srv/secret/**']}",
     HR_ACTION_FIX, BIND("/srv/secret/x", ""), 0, 1, -1, NULL, NULL, NULL},
    {"config not an object", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX, "8", -1, 0, 0, NULL, NULL,
     NULL},
    {"mounts not an array", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX, "{'mounts':{}}", -1, 0, 0,
     NULL, NULL, NULL},
    {"option not a string", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     "{'mounts':[{'destination':'/d','type':'bind','source':'/srv','options':[1]}]}", -1, 0, 0,
     NULL, NULL, NULL},
    {"source not a string", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     "{'mounts':[{'destination':'/d','type':'bind','source':['/']}]}", -1, 0, 0, NULL, NULL, NULL},
    {"null mounts is absent", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     "{'mounts':null," CLEAN_LINUX "}", 0, 0, 0, NULL, NULL, NULL},
    {"unknown settings key", &hr_rule_mounts, NULL, "{'denyHostPath':[]}", HR_ACTION_FIX, "{}", -2,
     0, 0, NULL, NULL, NULL},
    {"relative deny entry", &hr_rule_mounts, NULL, "{'denyHostPaths':['etc']}", HR_ACTION_FIX, "{}",
     -2, 0, 0, NULL, NULL, NULL},
    {"deny list of the wrong type", &hr_rule_mounts, NULL, "{'denyHostPaths':'/'}", HR_ACTION_FIX,
     "{}", -2, 0, 0, NULL, NULL, NULL},
};

/*
 * Sockets and files bound under another name.  In the scratch dir: deny.sock
 * (a UNIX socket on the custom deny list), hard.sock (a hardlink to it),
 * app.sock (another socket), applink (symlink to app.sock), apphard.sock (a
 * hardlink to app.sock), notasock (a regular file).
 */
#define DENY_SOCK "{'denyHostPaths':['@T@/deny.sock']}"
#define ALLOW_APP "{'allowSockets':['@T@/app.sock']}"
/* BIND() with clean masked and read-only paths: the bind's findings only. */
#define CBIND(src, ro)                                                                             \
	MNT("{'destination':'/x','type':'bind','source':'" src                                     \
	    "','options':['rbind','nosuid','nodev'" ro "]}")

static const struct tcase sockets_cases[] = {
    {"hardlink to a denied socket, fix refuses", &hr_rule_mounts, NULL, DENY_SOCK, HR_ACTION_FIX,
     CBIND("@T@/hard.sock", ""), 0, 1, 1, NULL, NULL, "is the same file as"},
    {"hardlink to a denied socket, deny refuses", &hr_rule_mounts, NULL, DENY_SOCK, HR_ACTION_DENY,
     CBIND("@T@/hard.sock", ""), 0, 1, 1, NULL, NULL, "denied by `/tmp/hr-rules-b."},
    {"hardlink to a denied socket, warn records", &hr_rule_mounts, NULL, DENY_SOCK, HR_ACTION_WARN,
     CBIND("@T@/hard.sock", ""), 0, 0, 1, "hard.sock", NULL, "a hardlink"},
    {"hardlink to a denied socket, read-only too", &hr_rule_mounts, NULL, DENY_SOCK, HR_ACTION_FIX,
     CBIND("@T@/hard.sock", ", 'ro'"), 0, 1, 1, NULL, NULL, "same file"},
    {"hardlink of a denied :rw entry read-only is fine", &hr_rule_mounts, NULL,
     "{'denyHostPaths':['@T@/notasock:rw']}", HR_ACTION_FIX, CBIND("@T@/nota.hard", ", 'ro'"), 0, 0,
     0, NULL, NULL, NULL},
    {"hardlink of a denied :rw entry writable", &hr_rule_mounts, NULL,
     "{'denyHostPaths':['@T@/notasock:rw']}", HR_ACTION_FIX, CBIND("@T@/nota.hard", ""), 0, 1, 1,
     NULL, NULL, "same file"},
    {"unlisted socket, fix refuses", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     CBIND("@T@/app.sock", ""), 0, 1, 1, NULL, NULL, "how container escapes start"},
    {"unlisted socket, deny refuses", &hr_rule_mounts, NULL, NULL, HR_ACTION_DENY,
     CBIND("@T@/app.sock", ", 'ro'"), 0, 1, 1, NULL, NULL, "is a UNIX socket"},
    {"unlisted socket, warn records", &hr_rule_mounts, NULL, NULL, HR_ACTION_WARN,
     CBIND("@T@/app.sock", ""), 0, 0, 1, "app.sock", NULL, "allowSockets"},
    {"unlisted socket behind a symlink", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     CBIND("@T@/applink", ""), 0, 1, 1, NULL, NULL, "UNIX socket"},
    {"listed socket is fine", &hr_rule_mounts, NULL, ALLOW_APP, HR_ACTION_DENY,
     CBIND("@T@/app.sock", ""), 0, 0, 0, NULL, NULL, NULL},
    {"listed socket spelt differently", &hr_rule_mounts, NULL, ALLOW_APP, HR_ACTION_DENY,
     CBIND("@T@//./app.sock", ""), 0, 0, 0, NULL, NULL, NULL},
    {"listed socket through a symlink", &hr_rule_mounts, NULL, ALLOW_APP, HR_ACTION_DENY,
     CBIND("@T@/applink", ""), 0, 0, 0, NULL, NULL, NULL},
    {"listed socket through a hardlink", &hr_rule_mounts, NULL, ALLOW_APP, HR_ACTION_DENY,
     CBIND("@T@/apphard.sock", ""), 0, 0, 0, NULL, NULL, NULL},
    {"listing one socket does not allow another", &hr_rule_mounts, NULL, ALLOW_APP, HR_ACTION_FIX,
     CBIND("@T@/hard.sock", ""), 0, 1, 1, NULL, NULL, "UNIX socket"},
    {"the deny list wins over allowSockets", &hr_rule_mounts, NULL,
     "{'denyHostPaths':['@T@/deny.sock'],'allowSockets':['@T@/hard.sock']}", HR_ACTION_FIX,
     CBIND("@T@/hard.sock", ""), 0, 1, 1, NULL, NULL, "same file"},
    {"idmapped view of an unlisted socket judged as the socket", &hr_rule_mounts, NULL, NULL,
     HR_ACTION_FIX, CBIND("/run/hardrun/mounts/c1/vol-0", ""), 0, 1, 1, NULL, NULL, "UNIX socket",
     BIND("@T@/app.sock", "")},
    {"a regular file is no socket", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     CBIND("@T@/notasock", ""), 0, 0, 0, NULL, NULL, NULL},
    {"a missing source is no socket", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     CBIND("@T@/missing/x", ""), 0, 0, 0, NULL, NULL, NULL},
    {"relative allowSockets entry", &hr_rule_mounts, NULL, "{'allowSockets':['x.sock']}",
     HR_ACTION_FIX, "{}", -2, 0, 0, NULL, NULL, NULL},
    {"allowSockets of the wrong type", &hr_rule_mounts, NULL, "{'allowSockets':'/x.sock'}",
     HR_ACTION_FIX, "{}", -2, 0, 0, NULL, NULL, NULL},
};

/*
 * The root filesystem itself.  In the scratch dir (the bundle): rootlink ->
 * /, etclink -> /etc, okroot (a directory).  VIEW is an idmapped rootfs the
 * userns rule made; UNDO(r) its record of the root.path it idmapped.
 */
#define ROOT(p, extra) "{'root':{'path':'" p "'" extra "}," CLEAN_LINUX "}"
#define VIEW	       "/run/hardrun/mounts/c1/rootfs"
#define UNDO(r)                                                                                    \
	"{'root':{'path':'" VIEW "'},'annotations':{'run.hardrun.userns':'{\\'root\\':\\'" r       \
	"\\',\\'for\\':\\'c1\\'}'}," CLEAN_LINUX "}"
#define HOSTS "the root filesystem is the host's"

static struct hr_policy state_pol; /* state dir @T@/state */

static const struct tcase rootfs_cases[] = {
    {"rootfs -> /, fix refuses", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX, ROOT("rootlink", ""),
     0, 1, 1, NULL, NULL, HOSTS " `/`"},
    {"rootfs -> /, deny refuses", &hr_rule_mounts, NULL, NULL, HR_ACTION_DENY,
     ROOT("rootlink", ",'readonly':true"), 0, 1, 1, NULL, NULL, HOSTS " `/`"},
    {"rootfs -> /, warn records", &hr_rule_mounts, NULL, NULL, HR_ACTION_WARN, ROOT("rootlink", ""),
     0, 0, 1, "rootlink", NULL, HOSTS " `/`"},
    {"rootfs -> / with a deny list that omits /", &hr_rule_mounts, NULL,
     "{'denyHostPaths':['/srv/x']}", HR_ACTION_FIX, ROOT("rootlink", ""), 0, 1, 1, NULL, NULL,
     HOSTS " `/`"},
    {"rootfs is /etc", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX, ROOT("/etc", ""), 0, 1, 1, NULL,
     NULL, "denied by `/etc`"},
    {"rootfs -> /etc", &hr_rule_mounts, NULL, NULL, HR_ACTION_DENY, ROOT("etclink", ""), 0, 1, 1,
     NULL, NULL, HOSTS " `/etc`"},
    {"rootfs /usr/../etc/", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX, ROOT("/usr/../etc/", ""), 0,
     1, 1, NULL, NULL, HOSTS " `/etc`"},
    {"rootfs is /var, a parent of /var/lib/docker", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     ROOT("/var", ",'readonly':true"), 0, 1, 1, NULL, NULL, "denied by `/var/lib/"},
    {"rootfs /sys read-only meets only /sys/**:rw", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     ROOT("/sys", ",'readonly':true"), 0, 0, 0, NULL, NULL, NULL},
    {"rootfs /sys writable", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX, ROOT("/sys", ""), 0, 1, 1,
     NULL, NULL, "denied by `/sys/**:rw`"},
    {"an image rootfs is fine", &hr_rule_mounts, NULL, NULL, HR_ACTION_DENY, ROOT("okroot", ""), 0,
     0, 0, NULL, NULL, NULL},
    {"a bundle below a denied subtree is fine", &hr_rule_mounts, NULL,
     "{'denyHostPaths':['@T@/**']}", HR_ACTION_DENY, ROOT("@T@/okroot", ""), 0, 0, 0, NULL, NULL,
     NULL},
    {"a missing rootfs is left to the runtime", &hr_rule_mounts, NULL, NULL, HR_ACTION_DENY,
     ROOT("missing", ""), 0, 0, 0, NULL, NULL, NULL},
    {"idmapped view judged by the undo record", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX,
     UNDO("rootlink"), 0, 1, 1, NULL, NULL, HOSTS " `/` (root.path `rootlink`)",
     "{'root':{'path':'rootlink'}}"},
    {"idmapped view of an image rootfs is fine", &hr_rule_mounts, NULL, NULL, HR_ACTION_DENY,
     UNDO("okroot"), 0, 0, 0, NULL, NULL, NULL, "{'root':{'path':'okroot'}}"},
    {"idmapped view from a re-run bundle: the restored root counts", &hr_rule_mounts, NULL, NULL,
     HR_ACTION_DENY, UNDO("/etc"), 0, 1, 1, NULL, NULL, "denied by `/etc`",
     "{'root':{'path':'/run/hardrun/mounts/c0/rootfs'}}"},
    {"a state-dir view with no source from this run is judged as it stands", &hr_rule_mounts,
     &state_pol, NULL, HR_ACTION_FIX, ROOT("@T@/state/mounts/c9/rootfs", ""), 0, 1, 1, NULL, NULL,
     "hardrun's state directory", "{'root':{'path':'etclink'}}"},
    {"rootfs handed over inside the state dir", &hr_rule_mounts, &state_pol, NULL, HR_ACTION_FIX,
     ROOT("@T@/state/mounts/c9/rootfs", ""), 0, 1, 1, NULL, NULL, "hardrun's state directory"},
    {"the same through a symlink", &hr_rule_mounts, &state_pol, NULL, HR_ACTION_WARN,
     ROOT("statelink", ""), 0, 0, 1, NULL, NULL, "another container's idmapped view"},
    {"this run's view in the state dir judged by its source", &hr_rule_mounts, &state_pol, NULL,
     HR_ACTION_DENY,
     "{'root':{'path':'@T@/state/mounts/c9/"
     "rootfs'},'annotations':{'run.hardrun.userns':'{\\'root\\':"
     "\\'okroot\\'}'}," CLEAN_LINUX "}",
     0, 0, 0, NULL, NULL, NULL, "{'root':{'path':'okroot'}}"},
    {"root.path not a string", &hr_rule_mounts, NULL, NULL, HR_ACTION_FIX, "{'root':{'path':7}}",
     -1, 0, 0, NULL, NULL, NULL},
};

/*
 * sysfs under a user namespace without its own network namespace (namespaces
 * rule): rewritten to a read-only bind of the host's /sys.  NSCFG(ns, sys)
 * has every required namespace, extra entries ns and a /sys mount sys.
 */
#define SYSFS                                                                                      \
	"{'destination':'/"                                                                        \
	"sys','type':'sysfs','source':'sysfs','options':['nosuid','noexec','nodev','ro']}"
#define SYS_BIND                                                                                   \
	"{'destination':'/sys','type':'bind','source':'/"                                          \
	"sys','options':['rbind','nosuid','noexec','nodev','ro']}"
#define NSCFG(ns, sys)                                                                             \
	"{'linux':{'namespaces':[{'type':'pid'},{'type':'ipc'},{'type':'uts'},{'type':'mount'},"   \
	"{'type':'cgroup'}" ns                                                                     \
	"]},'mounts':[{'destination':'/proc','type':'proc','source':'proc'}," sys "]}"
#define USERNS	",{'type':'user'}"
#define NETNS	",{'type':'network'}"
#define HOSTNET "{'hostNetwork':'allow'}"

static const struct tcase sysfs_cases[] = {
    {"user ns in the host network: sysfs becomes a /sys bind", &hr_rule_namespaces, NULL, HOSTNET,
     HR_ACTION_FIX, NSCFG(USERNS, SYSFS), 0, 0, 1, SYS_BIND, "'sysfs'", "cannot mount sysfs"},
    {"the same under deny: a fix, not a refusal", &hr_rule_namespaces, NULL, HOSTNET,
     HR_ACTION_DENY, NSCFG(USERNS, SYSFS), 0, 0, 1, SYS_BIND, "'sysfs'", "read-only bind"},
    {"the same under warn: recorded, sysfs kept", &hr_rule_namespaces, NULL, HOSTNET,
     HR_ACTION_WARN, NSCFG(USERNS, SYSFS), 0, 0, 1, "'type':'sysfs'", "'rbind'",
     "operation not permitted"},
    {"host network warned about and sysfs rewritten", &hr_rule_namespaces, NULL, NULL,
     HR_ACTION_FIX, NSCFG(USERNS, SYSFS), 0, 0, 2, SYS_BIND, NULL, "shares the host's network"},
    {"user ns with a new network ns keeps sysfs", &hr_rule_namespaces, NULL, HOSTNET, HR_ACTION_FIX,
     NSCFG(USERNS NETNS, SYSFS), 0, 0, 0, "'type':'sysfs'", "'rbind'", NULL},
    {"no user ns: sysfs kept", &hr_rule_namespaces, NULL, HOSTNET, HR_ACTION_FIX, NSCFG("", SYSFS),
     0, 0, 0, "'type':'sysfs'", "'rbind'", NULL},
    {"network ns added by the rule first: sysfs kept", &hr_rule_namespaces, NULL,
     "{'hostNetwork':'deny'}", HR_ACTION_FIX, NSCFG(USERNS, SYSFS), 0, 0, 1, "'type':'sysfs'",
     "'rbind'", "no network namespace"},
    {"host network ns joined by path: sysfs becomes a bind", &hr_rule_namespaces, NULL, HOSTNET,
     HR_ACTION_FIX, NSCFG(USERNS ",{'type':'network','path':'/proc/self/ns/net'}", SYSFS), 0, 0, 1,
     SYS_BIND, "'sysfs'", NULL},
    {"sysfs spelt SYSFS at /sys/./", &hr_rule_namespaces, NULL, HOSTNET, HR_ACTION_FIX,
     NSCFG(USERNS, "{'destination':'/sys/./','type':'SYSFS','source':'x'}"), 0, 0, 1, SYS_BIND,
     "SYSFS", NULL},
    {"sysfs elsewhere is the mounts rule's", &hr_rule_namespaces, NULL, HOSTNET, HR_ACTION_FIX,
     NSCFG(USERNS, "{'destination':'/host-sys','type':'sysfs','source':'sysfs'}"), 0, 0, 0,
     "/host-sys','type':'sysfs'", NULL, NULL},
    {"a /sys bind already there is left alone", &hr_rule_namespaces, NULL, HOSTNET, HR_ACTION_FIX,
     NSCFG(USERNS, SYS_BIND), 0, 0, 0, SYS_BIND, NULL, NULL},
    {"the rewritten /sys bind passes the mounts deny list", &hr_rule_mounts, NULL, NULL,
     HR_ACTION_DENY, MNT(SYS_BIND), 0, 0, 0, SYS_BIND, NULL, NULL},
    {"a writable /sys bind does not", &hr_rule_mounts, NULL, NULL, HR_ACTION_DENY,
     MNT("{'destination':'/sys','type':'bind','source':'/sys','options':['rbind','nosuid',"
	 "'nodev','rw']}"),
     0, 1, 1, NULL, NULL, "denied by `/sys/**:rw`"},
};

/*
 * A user namespace joined by path that owns the joined network namespace (a
 * pod) can mount sysfs; one that does not, cannot.  A child holds a user and
 * a network namespace of its own.
 */
static void test_sysfs_joined(void)
{
	int pfd[2];
	char c = 0;
	pid_t pid;

	if (pipe(pfd) < 0)
		return;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		c = unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0 ? 'y' : 'n';
		if (write(pfd[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	if (pid < 0 || read(pfd[0], &c, 1) != 1 || c != 'y') {
		ok(1, "# SKIP joined user and network namespaces: cannot unshare them here");
		ok(1, "# SKIP joined user namespace in the host network: cannot unshare here");
	} else {
		char *own = hr_xasprintf(
		    NSCFG(",{'type':'user','path':'/proc/%d/ns/user'},{'type':'network','path':'/"
			  "proc/%d/ns/net'}",
			  SYSFS),
		    (int)pid, (int)pid);
		char *host = hr_xasprintf(
		    NSCFG(",{'type':'user','path':'/proc/%d/ns/user'}", SYSFS), (int)pid);
		struct tcase a = {"joined user ns owning the joined network ns keeps sysfs",
				  &hr_rule_namespaces,
				  NULL,
				  HOSTNET,
				  HR_ACTION_FIX,
				  own,
				  0,
				  0,
				  0,
				  "'type':'sysfs'",
				  "'rbind'",
				  NULL};
		struct tcase b = {"joined user ns in the host network: sysfs becomes a bind",
				  &hr_rule_namespaces,
				  NULL,
				  HOSTNET,
				  HR_ACTION_FIX,
				  host,
				  0,
				  0,
				  1,
				  SYS_BIND,
				  "'sysfs'",
				  NULL};
		run_case(&a);
		run_case(&b);
		free(own);
		free(host);
	}
	close(pfd[0]);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* As the engine runs them: namespaces rewrites, mounts (deny) then accepts the bind. */
static void test_sysfs_chain(void)
{
	struct hr_error *err = NULL;
	void *ns_set = NULL, *m_set = NULL;
	struct hr_json *sec = parse_json(HOSTNET);
	struct hr_ctx ctx = {.entry = HR_ENTRY_CREATE, .policy = &default_pol, .bundle = tmp};
	char *out = NULL;
	int r;

	ctx.spec = parse_json(
	    "{'linux':{'namespaces':[{'type':'pid'},{'type':'ipc'},{'type':'uts'},"
	    "{'type':'mount'},{'type':'cgroup'},{'type':'user'}]},'mounts':[" SYSFS "]}");
	r = hr_rule_namespaces.parse(sec, "t.json", &ns_set, &err);
	r |= hr_rule_mounts.parse(NULL, "t.json", &m_set, &err);
	ctx.cur_rule = "namespaces", ctx.cur_action = HR_ACTION_FIX;
	r |= hr_rule_namespaces.apply(&ctx, ns_set, &err);
	ctx.cur_rule = "mounts", ctx.cur_action = HR_ACTION_DENY;
	r |= hr_rule_mounts.apply(&ctx, m_set, &err);
	hr_json_serialize(ctx.spec, false, &out, NULL, NULL);
	ok(r == 0 && ctx.findings.denials == 0 && out && strstr(out, "\"source\":\"/sys\""),
	   "namespaces then mounts (deny): the /sys bind is not refused (%zu denials)",
	   ctx.findings.denials);
	if (ctx.findings.denials)
		dump(&ctx.findings);
	free(out);
	hr_error_clear(&err);
	hr_findings_free(&ctx.findings);
	hr_json_free(ctx.spec);
	hr_json_free(sec);
	hr_rule_namespaces.free_settings(ns_set);
	hr_rule_mounts.free_settings(m_set);
}

/*
 * The escape suite's case: the denied socket bind-mounted at another path.
 * Needs a private mount namespace (root); the child reports by exit code.
 */
static void test_socket_bind_mounted(void)
{
	static const struct tcase c = {"socket bind-mounted at another path",
				       &hr_rule_mounts,
				       NULL,
				       DENY_SOCK,
				       HR_ACTION_FIX,
				       CBIND("@T@/bound.sock", ""),
				       0,
				       1,
				       1,
				       NULL,
				       NULL,
				       "is the same file as"};
	char *src = hr_xasprintf("%s/deny.sock", tmp), *dst = hr_xasprintf("%s/bound.sock", tmp);
	int status = -1;
	pid_t pid;

	if (geteuid() != 0) {
		ok(1, "# SKIP socket bind-mounted at another path: needs root");
		goto out;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(3);
		close(open(dst, O_CREAT | O_WRONLY, 0600));
		if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
			_exit(4);
		/* Run the case with TAP output silenced: the parent reports. */
		if (!freopen("/dev/null", "w", stdout))
			_exit(5);
		int before = tap_failed;
		run_case(&c);
		_exit(tap_failed == before ? 0 : 1);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) >= 3)
		ok(1, "# SKIP socket bind-mounted at another path: no private mount namespace (%d)",
		   WEXITSTATUS(status));
	else
		ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		   "mounts: a denied socket bind-mounted at another path is refused as the socket");
out:
	free(src);
	free(dst);
}

#define HOOK(kind, path) "{'hooks':{'" kind "':[{'path':'" path "','args':['x']}]}}"

static struct hr_policy nohooks_pol;

static const struct tcase hooks_cases[] = {
    {"allowlisted hook", &hr_rule_hooks, NULL, NULL, HR_ACTION_FIX,
     HOOK("prestart", "@T@/hooks/ok"), 0, 0, 0, "/hooks/ok", NULL, NULL},
    {"unlisted hook removed", &hr_rule_hooks, NULL, NULL, HR_ACTION_FIX,
     HOOK("createRuntime", "@T@/evil/x"), 0, 0, 1, NULL, "evil", "host policy's allowed hooks"},
    {"unlisted hook refused", &hr_rule_hooks, NULL, NULL, HR_ACTION_DENY,
     HOOK("poststart", "@T@/evil/x"), 0, 1, 1, "evil", NULL, NULL},
    {"unlisted hook warned", &hr_rule_hooks, NULL, NULL, HR_ACTION_WARN,
     HOOK("poststop", "@T@/evil/x"), 0, 0, 1, "evil", NULL, NULL},
    {"dot-dot to the same binary", &hr_rule_hooks, NULL, NULL, HR_ACTION_FIX,
     HOOK("prestart", "@T@/hooks/../hooks/./ok"), 0, 0, 1, "/hooks/ok'", "/../", "pinned"},
    {"dot-dot out of the allowed dir", &hr_rule_hooks, NULL, NULL, HR_ACTION_FIX,
     HOOK("prestart", "@T@/hooks/ok/../../evil/x"), 0, 0, 1, NULL, "evil", NULL},
    {"symlinked dir then dot-dot", &hr_rule_hooks, NULL, NULL, HR_ACTION_DENY,
     HOOK("createContainer", "@T@/hooks/sub/../ok"), 0, 1, 1, NULL, NULL,
     "does not resolve to the allowlisted binary"},
    {"the allowed hook itself: left as it is", &hr_rule_hooks, NULL, NULL, HR_ACTION_DENY,
     HOOK("startContainer", "@T@/hooks/ok"), 0, 0, 0, "/hooks/ok'", NULL, NULL},
    {"symlink to the allowed hook: pinned to the allowed file", &hr_rule_hooks, NULL, NULL,
     HR_ACTION_DENY, HOOK("startContainer", "@T@/hooks/link"), 0, 0, 1, "/hooks/ok'", "hooks/link",
     "pinned"},
    {"a copy of the allowed hook, same name, elsewhere", &hr_rule_hooks, NULL, NULL, HR_ACTION_DENY,
     HOOK("prestart", "@T@/evil/ok"), 0, 1, 1, NULL, NULL, "remedy"},
    {"relative hook path", &hr_rule_hooks, NULL, NULL, HR_ACTION_DENY, HOOK("prestart", "hooks/ok"),
     0, 1, 1, NULL, NULL, "not absolute"},
    {"case variant of the kind", &hr_rule_hooks, NULL, NULL, HR_ACTION_FIX,
     HOOK("PreStart", "@T@/evil/x"), 0, 0, 1, NULL, "evil", NULL},
    {"hook kind this code does not know", &hr_rule_hooks, NULL, NULL, HR_ACTION_DENY,
     HOOK("preStartFuture", "@T@/evil/x"), 0, 1, 1, NULL, NULL, NULL},
    {"profile allows no hooks", &hr_rule_hooks, NULL, "{'allow':false}", HR_ACTION_FIX,
     HOOK("prestart", "@T@/hooks/ok"), 0, 0, 1, NULL, "hooks/ok", "allows no hooks"},
    {"empty allowlist", &hr_rule_hooks, &nohooks_pol, NULL, HR_ACTION_DENY,
     HOOK("prestart", "@T@/hooks/ok"), 0, 1, 1, NULL, NULL, NULL},
    {"several hooks, one bad, fix keeps the good", &hr_rule_hooks, NULL, NULL, HR_ACTION_FIX,
     "{'hooks':{'prestart':[{'path':'/bin/evil'},{'path':'@T@/hooks/ok'},{'path':'/bin/"
     "sh'}]}}",
     0, 0, 2, "/hooks/ok'}]", "/bin/", NULL},
    {"hook path the root directory", &hr_rule_hooks, NULL, NULL, HR_ACTION_DENY,
     HOOK("prestart", "/"), 0, 1, 1, NULL, NULL, "host policy's allowed hooks"},
    {"hook path shorter than /proc/", &hr_rule_hooks, NULL, NULL, HR_ACTION_DENY,
     HOOK("prestart", "/pro"), 0, 1, 1, NULL, NULL, "host policy's allowed hooks"},
    {"hook path /proc/<pid>/exe of an unlisted binary", &hr_rule_hooks, NULL, NULL, HR_ACTION_DENY,
     HOOK("prestart", "/proc/1/exe"), 0, 1, 1, NULL, NULL, NULL},
    {"hook kind not an array", &hr_rule_hooks, NULL, NULL, HR_ACTION_FIX,
     "{'hooks':{'prestart':{'path':'/x'}}}", -1, 0, 0, NULL, NULL, NULL},
    {"hook path not a string", &hr_rule_hooks, NULL, NULL, HR_ACTION_FIX,
     "{'hooks':{'prestart':[{'path':7}]}}", -1, 0, 0, NULL, NULL, NULL},
    {"allow not a bool", &hr_rule_hooks, NULL, "{'allow':'yes'}", HR_ACTION_FIX, "{}", -2, 0, 0,
     NULL, NULL, NULL},
};

/*
 * /proc/self/exe is judged by the file it opens to (this test binary),
 * never by its readlink string: accepted only when that file is
 * allowlisted, and then pinned to the allowlisted path.  An allowlisted
 * file others can write counts for nothing.
 */
static void test_hooks_by_object(void)
{
	static char *self[2], *writable[2];
	static struct hr_policy self_pol, writable_pol;
	self[0] = hr_realpath("/proc/self/exe");
	self_pol.allowed_hooks = self;
	writable[0] = hr_xasprintf("%s/hooks/ok", tmp);
	writable_pol.allowed_hooks = writable;
	struct stat st;
	if (!self[0] || stat(self[0], &st) < 0 || st.st_uid != 0 || (st.st_mode & 022)) {
		ok(1, "# SKIP /proc/self/exe: the test binary is not root's, root-only");
	} else {
		char *has = hr_xasprintf("'%s'", self[0]);
		struct tcase c = {"/proc/self/exe of an allowlisted binary: pinned to it",
				  &hr_rule_hooks,
				  &self_pol,
				  NULL,
				  HR_ACTION_DENY,
				  HOOK("prestart", "/proc/self/exe"),
				  0,
				  0,
				  1,
				  has,
				  "/proc/self",
				  "pinned"};
		run_case(&c);
		free(has);
	}
	struct tcase c2 = {"/proc/self/exe when another file is allowlisted",
			   &hr_rule_hooks,
			   &writable_pol,
			   NULL,
			   HR_ACTION_DENY,
			   HOOK("prestart", "/proc/self/exe"),
			   0,
			   1,
			   1,
			   NULL,
			   NULL,
			   "remedy"};
	run_case(&c2);
	chmod(writable[0], 0777);
	struct tcase c3 = {"an allowlisted file others can write is not allowed",
			   &hr_rule_hooks,
			   &writable_pol,
			   NULL,
			   HR_ACTION_DENY,
			   HOOK("prestart", "@T@/hooks/ok"),
			   0,
			   1,
			   1,
			   NULL,
			   NULL,
			   "does not resolve"};
	run_case(&c3);
	chmod(writable[0], 0755);
	free(self[0]);
	free(writable[0]);
}

static struct hr_policy engine_pol;

/* The engine binary installed on this host, as the rule looks for it. */
static const char *installed_dockerd(void)
{
	static const char *const c[] = {"/usr/bin/dockerd", "/usr/sbin/dockerd",
					"/usr/local/bin/dockerd", NULL};
	for (size_t i = 0; c[i]; i++)
		if (access(c[i], X_OK) == 0)
			return c[i];
	return NULL;
}

#define SETKEY(path, extra)                                                                        \
	"{'hooks':{'prestart':[{'path':'" path "','args':['libnetwork-setkey','-exec-root=/var/"   \
	"run/docker','0123abcd','cafe']" extra "}]}}"

/*
 * dockerd's libnetwork hook is recognised by the file it runs (device and
 * inode of the installed dockerd), with the engine's own arguments and no
 * environment; the path is pinned to the installed binary.
 */
static void test_engine_hooks(void)
{
	const char *d = installed_dockerd();
	if (!d) {
		for (int i = 0; i < 8; i++)
			ok(1, "# SKIP engine hooks: no dockerd installed on this host");
		return;
	}
	char *real = hr_realpath(d);
	static char *listed[2];
	static struct hr_policy listed_pol;
	listed_pol = engine_pol;
	listed_pol.allowed_hooks = listed;
	char *link = hr_xasprintf("%s/dockerd-link", tmp), *copy = hr_xasprintf("%s/dockerd", tmp);
	char *cmd = hr_xasprintf("cp '%s' '%s'", real, copy);
	if (symlink(real, link) < 0 || system(cmd) != 0)
		perror(link);
	struct tcase c[] = {
	    {"engine hook: the installed dockerd, its own args", &hr_rule_hooks, &engine_pol, NULL,
	     HR_ACTION_DENY, SETKEY("@D@", ""), 0, 0, 0, "libnetwork-setkey", NULL, NULL},
	    {"engine hook: a symlink to dockerd is pinned to the installed file", &hr_rule_hooks,
	     &engine_pol, NULL, HR_ACTION_DENY, SETKEY("@T@/dockerd-link", ""), 0, 0, 1, "@D@",
	     "dockerd-link", "pinned"},
	    {"engine hook: a copy of dockerd (same bytes, other inode) is not dockerd",
	     &hr_rule_hooks, &engine_pol, NULL, HR_ACTION_DENY, SETKEY("@T@/dockerd", ""), 0, 1, 1,
	     NULL, NULL, "remedy: add the binary to `hooks.allowed`"},
	    {"engine hook: dockerd with other arguments", &hr_rule_hooks, &engine_pol, NULL,
	     HR_ACTION_DENY,
	     "{'hooks':{'prestart':[{'path':'@D@','args':['dockerd','--config-file=/tmp/x']}]}}", 0,
	     1, 1, NULL, NULL, "not as its engine's own hook"},
	    {"engine hook: an option libnetwork does not pass", &hr_rule_hooks, &engine_pol, NULL,
	     HR_ACTION_DENY,
	     "{'hooks':{'prestart':[{'path':'@D@','args':['libnetwork-setkey','--debug','a','b']}]}"
	     "}",
	     0, 1, 1, NULL, NULL, "not as its engine's own hook"},
	    {"engine hook: LD_PRELOAD in the hook's env", &hr_rule_hooks, &engine_pol, NULL,
	     HR_ACTION_DENY, SETKEY("@D@", ",'env':['LD_PRELOAD=/tmp/x.so']"), 0, 1, 1, NULL, NULL,
	     "not as its engine's own hook"},
	    {"engine hook: this test binary via /proc/self/exe", &hr_rule_hooks, &engine_pol, NULL,
	     HR_ACTION_DENY, SETKEY("/proc/self/exe", ""), 0, 1, 1, NULL, NULL,
	     "neither an engine's own hook"},
	    {"engine hook: dockerd with other arguments, but listed in hooks.allowed",
	     &hr_rule_hooks, &listed_pol, NULL, HR_ACTION_DENY,
	     "{'hooks':{'prestart':[{'path':'@D@','args':['dockerd','--version']}]}}", 0, 0, 0,
	     NULL, NULL, NULL},
	    {"engine hook: policy hooks.engines false", &hr_rule_hooks, &nohooks_pol, NULL,
	     HR_ACTION_DENY, SETKEY("@D@", ""), 0, 1, 1, NULL, NULL, NULL},
	};
	dockerd_real = real;
	listed[0] = real;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		run_case(&c[i]);
	dockerd_real = NULL;
	free(cmd);
	free(link);
	free(copy);
	free(real);
}

#define IMG(k, v) "{'annotations':{'" k "':'" v "'}}"
#define CRI	  "io.kubernetes.cri.image-name"

static struct hr_policy digest_pol, open_pol;

static const struct tcase images_cases[] = {
    {"short docker name", &hr_rule_images, NULL, NULL, HR_ACTION_DENY, IMG(CRI, "busybox"), 0, 0, 0,
     NULL, NULL, NULL},
    {"tagged docker.io name", &hr_rule_images, NULL, NULL, HR_ACTION_DENY,
     IMG(CRI, "docker.io/library/busybox:1.36"), 0, 0, 0, NULL, NULL, NULL},
    {"index.docker.io is docker.io", &hr_rule_images, NULL, NULL, HR_ACTION_DENY,
     IMG(CRI, "index.docker.io/library/busybox"), 0, 0, 0, NULL, NULL, NULL},
    {"upper-case registry is the same registry", &hr_rule_images, NULL, NULL, HR_ACTION_DENY,
     IMG(CRI, "DOCKER.IO/library/busybox"), 0, 0, 0, NULL, NULL, NULL},
    {"upper-case foreign registry", &hr_rule_images, NULL, NULL, HR_ACTION_DENY,
     IMG(CRI, "EVIL.COM/library/busybox"), 0, 1, 1, NULL, NULL, "evil.com/library/busybox"},
    {"other registry refused", &hr_rule_images, NULL, NULL, HR_ACTION_FIX,
     IMG(CRI, "quay.io/library/busybox"), 0, 1, 1, NULL, NULL, "none of"},
    {"other docker.io namespace", &hr_rule_images, NULL, NULL, HR_ACTION_DENY,
     IMG(CRI, "someone/busybox"), 0, 1, 1, NULL, NULL, NULL},
    {"registry prefix lookalike", &hr_rule_images, NULL, NULL, HR_ACTION_DENY,
     IMG(CRI, "registry.example.com.evil.org/team/app"), 0, 1, 1, NULL, NULL, NULL},
    {"upper-case repository is invalid", &hr_rule_images, NULL, NULL, HR_ACTION_DENY,
     IMG(CRI, "docker.io/library/BusyBox"), 0, 1, 1, NULL, NULL, "not a valid"},
    {"dot-dot in the repository", &hr_rule_images, NULL, NULL, HR_ACTION_DENY,
     IMG(CRI, "docker.io/library/../evil/x"), 0, 1, 1, NULL, NULL, "not a valid"},
    {"CRI-O key", &hr_rule_images, NULL, NULL, HR_ACTION_DENY,
     IMG("io.kubernetes.cri-o.ImageName", "quay.io/x/y:1"), 0, 1, 1, NULL, NULL, NULL},
    {"key in other case", &hr_rule_images, NULL, NULL, HR_ACTION_DENY,
     IMG("IO.Kubernetes.CRI.Image-Name", "quay.io/x/y"), 0, 1, 1, NULL, NULL, NULL},
    {"ref.name bare tag names nothing", &hr_rule_images, NULL, NULL, HR_ACTION_DENY,
     IMG("org.opencontainers.image.ref.name", "latest"), 0, 1, 1, NULL, NULL, "names no image"},
    {"one of two names bad", &hr_rule_images, NULL, NULL, HR_ACTION_DENY,
     "{'annotations':{'" CRI "':'busybox','org.opencontainers.image.ref.name':'quay.io/a/"
     "b:1'}}",
     0, 1, 1, NULL, NULL, NULL},
    {"unnamed refused", &hr_rule_images, NULL, NULL, HR_ACTION_FIX, "{}", 0, 1, 1, NULL, NULL,
     "names no image"},
    {"unnamed CRI sandbox is the node's pause image", &hr_rule_images, NULL, NULL, HR_ACTION_DENY,
     IMG("io.kubernetes.cri.container-type", "sandbox"), 0, 0, 0, NULL, NULL, NULL},
    {"unnamed CRI container is not a sandbox", &hr_rule_images, NULL, NULL, HR_ACTION_DENY,
     IMG("io.kubernetes.cri.container-type", "container"), 0, 1, 1, NULL, NULL, NULL},
    {"unnamed allowed by policy", &hr_rule_images, &open_pol, NULL, HR_ACTION_DENY, "{}", 0, 0, 0,
     NULL, NULL, NULL},
    {"warn records only", &hr_rule_images, NULL, NULL, HR_ACTION_WARN, IMG(CRI, "quay.io/x/y"), 0,
     0, 1, NULL, NULL, NULL},
    {"digest required and present", &hr_rule_images, &digest_pol, NULL, HR_ACTION_DENY,
     IMG(CRI, "registry.example.com/team/app@" SHA), 0, 0, 0, NULL, NULL, NULL},
    {"digest required, tag and digest", &hr_rule_images, &digest_pol, NULL, HR_ACTION_DENY,
     IMG(CRI, "registry.example.com/team/app:1.0@" SHA), 0, 0, 0, NULL, NULL, NULL},
    {"digest required, tag only", &hr_rule_images, &digest_pol, NULL, HR_ACTION_DENY,
     IMG(CRI, "registry.example.com/team/app:1.0"), 0, 1, 1, NULL, NULL, "sha256"},
    {"digest required, short digest", &hr_rule_images, &digest_pol, NULL, HR_ACTION_DENY,
     IMG(CRI, "registry.example.com/team/app@sha256:0123456789abcdef0123456789abcdef"), 0, 1, 1,
     NULL, NULL, NULL},
    {"digest required by the profile", &hr_rule_images, NULL, "{'requireDigest':true}",
     HR_ACTION_DENY, IMG(CRI, "busybox:1.36"), 0, 1, 1, NULL, NULL, "sha256"},
    {"open policy accepts anything", &hr_rule_images, &open_pol, NULL, HR_ACTION_DENY,
     IMG(CRI, "Whatever/../x"), 0, 0, 0, NULL, NULL, NULL},
    {"image name not a string", &hr_rule_images, NULL, NULL, HR_ACTION_DENY,
     "{'annotations':{'" CRI "':1}}", -1, 0, 0, NULL, NULL, NULL},
    {"annotations not an object", &hr_rule_images, NULL, NULL, HR_ACTION_DENY, "{'annotations':[]}",
     -1, 0, 0, NULL, NULL, NULL},
    {"unknown settings key", &hr_rule_images, NULL, "{'allow':[]}", HR_ACTION_DENY, "{}", -2, 0, 0,
     NULL, NULL, NULL},
};

static struct hr_policy allow_ann_pol;

static const struct tcase annotations_cases[] = {
    {"crun seccomp blob stripped", &hr_rule_annotations, NULL, NULL, HR_ACTION_FIX,
     "{'annotations':{'run.oci.seccomp_bpf_data':'AAAA','a':'b'}}", 0, 0, 1, "{'a':'b'}",
     "seccomp_bpf", NULL},
    {"mixed-case run.oci stripped", &hr_rule_annotations, NULL, NULL, HR_ACTION_FIX,
     "{'annotations':{'Run.OCI.x':'1'}}", 0, 0, 1, NULL, "OCI", NULL},
    {"two distinct keys, both stripped", &hr_rule_annotations, NULL, NULL, HR_ACTION_FIX,
     "{'annotations':{'run.oci.seccomp_bpf_data':'x','RUN.oci.hooks.stderr':'/etc/passwd'}}", 0, 0,
     2, "'annotations':{}", NULL, NULL},
    {"criu, systemd properties, bundle", &hr_rule_annotations, NULL, NULL, HR_ACTION_FIX,
     "{'annotations':{'org.criu.config':'/tmp/c','org.systemd.property.DeviceAllow':'x',"
     "'Bundle':'/tmp/fake','keep':'1'}}",
     0, 0, 3, "{'keep':'1'}", NULL, NULL},
    {"hardrun and CRI annotations kept", &hr_rule_annotations, NULL, "{'unsafe':['*']}",
     HR_ACTION_FIX,
     "{'annotations':{'run.hardrun.profile':'untrusted','io.kubernetes.cri.sandbox-id':'x',"
     "'other':'y'}}",
     0, 0, 1, "'run.hardrun.profile':'untrusted','io.kubernetes.cri.sandbox-id':'x'}", "other",
     NULL},
    {"allowed by the host policy", &hr_rule_annotations, &allow_ann_pol, NULL, HR_ACTION_DENY,
     "{'annotations':{'run.oci.keep_original_groups':'1'}}", 0, 0, 0, NULL, NULL, NULL},
    {"allowed one, case variant of another", &hr_rule_annotations, &allow_ann_pol, NULL,
     HR_ACTION_DENY, "{'annotations':{'RUN.OCI.KEEP_ORIGINAL_GROUPS':'1','run.oci.x':'1'}}", 0, 1,
     1, NULL, NULL, NULL},
    {"refused by deny", &hr_rule_annotations, NULL, NULL, HR_ACTION_DENY,
     "{'annotations':{'org.criu.config':'/x'}}", 0, 1, 1, "criu", NULL, NULL},
    {"warn keeps", &hr_rule_annotations, NULL, NULL, HR_ACTION_WARN,
     "{'annotations':{'io.katacontainers.config.hypervisor.path':'/x'}}", 0, 0, 1, "kata", NULL,
     NULL},
    {"null annotations", &hr_rule_annotations, NULL, NULL, HR_ACTION_FIX, "{'annotations':null}", 0,
     0, 0, NULL, NULL, NULL},
    {"value not a string", &hr_rule_annotations, NULL, NULL, HR_ACTION_FIX,
     "{'annotations':{'run.oci.x':true}}", -1, 0, 0, NULL, NULL, NULL},
    {"unsafe not a list", &hr_rule_annotations, NULL, "{'unsafe':'run.oci.*'}", HR_ACTION_FIX, "{}",
     -2, 0, 0, NULL, NULL, NULL},
};

static struct hr_policy mac_pol;

#define PROC(args) "{'process':{'args':" args "}}"
#define LL(mode)   "{'landlock':{'mode':'" mode "'}}"
#define HELPER_MOUNT                                                                               \
	"{'destination':'/.hardrun/landlock','type':'bind','source':'@T@/"                         \
	"helper','options':['bind',"                                                               \
	"'ro','nosuid','nodev']}"
#define PREFIX "'/.hardrun/landlock','--ro','/','--x','/','--rw','/tmp','--rw','/dev/null'"

/* This host: AppArmor and SELinux are not active, Landlock is. */
static const struct tcase lsm_cases[] = {
    {"honest findings without any MAC", &hr_rule_lsm, NULL, NULL, HR_ACTION_FIX, PROC("['sh']"), 0,
     0, 3, "['sh']", NULL, "AppArmor not available on this host"},
    {"SELinux reported as not enabled", &hr_rule_lsm, NULL, NULL, HR_ACTION_FIX, PROC("['sh']"), 0,
     0, 3, NULL, NULL, "SELinux not enabled"},
    {"no MAC refused when the policy requires one", &hr_rule_lsm, &mac_pol, NULL, HR_ACTION_FIX,
     PROC("['sh']"), 0, 1, 3, NULL, NULL, "no MAC available"},
    {"no MAC warned under warn", &hr_rule_lsm, &mac_pol, NULL, HR_ACTION_WARN, PROC("['sh']"), 0, 0,
     3, NULL, NULL, "no MAC available"},
    {"Landlock enforce prefixes args and mounts the helper", &hr_rule_lsm, NULL, LL("enforce"),
     HR_ACTION_FIX, PROC("['sh','-c','echo hi']"), 0, 0, 3, PREFIX, NULL, "Landlock helper"},
    {"entrypoint kept after the separator", &hr_rule_lsm, NULL, LL("enforce"), HR_ACTION_FIX,
     PROC("['sh','-c','echo hi']"), 0, 0, -1, "'--','sh','-c','echo hi']", NULL, NULL},
    {"helper mounted read-only, nosuid, nodev", &hr_rule_lsm, NULL, LL("enforce"), HR_ACTION_FIX,
     PROC("['sh']"), 0, 0, -1, HELPER_MOUNT "]", NULL, NULL},
    {"Landlock satisfies require_mac", &hr_rule_lsm, &mac_pol, LL("enforce"), HR_ACTION_FIX,
     PROC("['sh']"), 0, 0, 3, NULL, NULL, NULL},
    {"Landlock under deny refuses an unconfined process", &hr_rule_lsm, NULL, LL("enforce"),
     HR_ACTION_DENY, PROC("['sh']"), 0, 1, -1, NULL, "hardrun/landlock", NULL},
    {"best effort in warn mode", &hr_rule_lsm, NULL, LL("warn"), HR_ACTION_FIX, PROC("['sh']"), 0,
     0, -1, "'/.hardrun/landlock','--best-effort'", NULL, NULL},
    {"writable volumes are read-write, read-only ones are not", &hr_rule_lsm, NULL, LL("enforce"),
     HR_ACTION_FIX,
     "{'process':{'args':['sh']},'mounts':[{'destination':'/data','type':'bind','source':'/"
     "srv','options':['rbind']},{'destination':'/conf','type':'bind','source':'/etc/x',"
     "'options':['rbind','ro']},{'destination':'/run','type':'tmpfs','source':'tmpfs'}]}",
     0, 0, -1, "'--rw','/data','--rw','/run','--'", "'/conf','--", NULL},
    {"explicit rule lists", &hr_rule_lsm, NULL,
     "{'landlock':{'mode':'enforce','readOnly':['/usr'],'readWrite':['/work'],'execute':["
     "'/usr/bin']}}",
     HR_ACTION_FIX, PROC("['sh']"), 0, 0, -1,
     "['/.hardrun/landlock','--ro','/usr','--x','/usr/bin','--rw','/work','--','sh']", NULL, NULL},
    {"forged prefix replaced, not trusted", &hr_rule_lsm, NULL, LL("enforce"), HR_ACTION_FIX,
     PROC("['/.hardrun/landlock','--rw','/','--','sh']"), 0, 0, -1, PREFIX, "'--rw','/','--'",
     NULL},
    {"forged helper mount replaced", &hr_rule_lsm, NULL, LL("enforce"), HR_ACTION_FIX,
     "{'process':{'args':['sh']},'mounts':[{'destination':'/.hardrun//landlock','type':'bind',"
     "'source':'/tmp/fake','options':['bind','ro']}]}",
     0, 0, -1, "'mounts':[" HELPER_MOUNT "]", "/tmp/fake", NULL},
    {"already hardened config is left alone", &hr_rule_lsm, NULL, LL("enforce"), HR_ACTION_DENY,
     "{'process':{'args':[" PREFIX ",'--rw','/dev/zero','--rw','/dev/full','--rw','/dev/"
     "random','--rw','/dev/urandom','--rw','/dev/tty','--rw','/dev/pts','--rw','/dev/ptmx',"
     "'--rw','/dev/shm','--rw','/dev/console','--','sh']},'mounts':[" HELPER_MOUNT "]}",
     0, 0, 2, NULL, NULL, NULL},
    {"mounts of the wrong type with Landlock on", &hr_rule_lsm, NULL, LL("enforce"), HR_ACTION_FIX,
     "{'process':{'args':['sh']},'mounts':'x'}", -1, 0, 0, NULL, NULL, NULL},
    {"config not an object", &hr_rule_lsm, NULL, NULL, HR_ACTION_FIX, "[]", -1, 0, 0, NULL, NULL,
     NULL},
    {"args missing with Landlock on", &hr_rule_lsm, NULL, LL("enforce"), HR_ACTION_FIX,
     "{'process':{}}", -1, 0, 0, NULL, NULL, NULL},
    {"args with a number", &hr_rule_lsm, NULL, LL("enforce"), HR_ACTION_FIX, PROC("['sh',1]"), -1,
     0, 0, NULL, NULL, NULL},
    {"apparmorProfile not a string", &hr_rule_lsm, NULL, NULL, HR_ACTION_FIX,
     "{'process':{'args':['sh'],'apparmorProfile':{}}}", -1, 0, 0, NULL, NULL, NULL},
    {"bad Landlock mode", &hr_rule_lsm, NULL, LL("on"), HR_ACTION_FIX, "{}", -2, 0, 0, NULL, NULL,
     NULL},
    {"unknown Landlock key", &hr_rule_lsm, NULL, "{'landlock':{'mode':'warn','ro':[]}}",
     HR_ACTION_FIX, "{}", -2, 0, 0, NULL, NULL, NULL},
    {"relative Landlock path", &hr_rule_lsm, NULL,
     "{'landlock':{'mode':'warn','readWrite':['tmp']}}", HR_ACTION_FIX, "{}", -2, 0, 0, NULL, NULL,
     NULL},
    {"unconfined as hardrun's profile", &hr_rule_lsm, NULL, "{'apparmorProfile':'unconfined'}",
     HR_ACTION_FIX, "{}", -2, 0, 0, NULL, NULL, NULL},
};

static void test_lsm_exec(void)
{
	struct hr_error *err = NULL;
	void *settings = NULL;
	struct hr_json *section = parse_json(LL("enforce"));
	struct hr_ctx ctx = {.entry = HR_ENTRY_EXEC,
			     .policy = &default_pol,
			     .cur_rule = "lsm",
			     .cur_action = HR_ACTION_FIX};
	char *out = NULL;

	hr_rule_lsm.parse(section, "test.json", &settings, &err);
	ctx.spec = parse_json("{'args':['ls','-l'],'env':['A=1']}");
	ok(hr_rule_lsm.apply_process(&ctx, settings, &err) == 0, "lsm: exec process accepted");
	hr_json_serialize(ctx.spec, false, &out, NULL, NULL);
	ok(out && strstr(out, "\"args\":[\"/.hardrun/landlock\",\"--ro\",\"/\"") &&
	       strstr(out, "\"--\",\"ls\",\"-l\"]") && strstr(out, "\"env\":[\"A=1\"]") &&
	       !strstr(out, "mounts"),
	   "lsm: exec gets the helper prefix, same env, no mounts: %s", out);
	free(out);
	hr_findings_free(&ctx.findings);
	hr_json_free(ctx.spec);
	hr_json_free(section);
	hr_rule_lsm.free_settings(settings);
}

static bool test_in_userns;

/* Run lsm once; *out gets the compact config, returns the number of denials (-1: error). */
static bool lsm_provision = true;

static int lsm_once(const char *settings_json, enum hr_action action, enum hr_entry entry,
		    const char *id, const struct hr_policy *pol, const char *spec, char **out,
		    struct hr_findings *f)
{
	struct hr_error *err = NULL;
	void *settings = NULL;
	struct hr_json *section = settings_json ? parse_json(settings_json) : NULL;
	struct hr_plan plan = {0};
	struct hr_ctx ctx = {.entry = entry,
			     .policy = pol,
			     .container_id = id,
			     .bundle = tmp,
			     .in_userns = test_in_userns,
			     .plan = &plan,
			     .cur_rule = "lsm",
			     .cur_action = action};
	int r = -1;

	if (hr_rule_lsm.parse(section, "test.json", &settings, &err) == 0) {
		ctx.spec = parse_json(spec);
		r = (entry == HR_ENTRY_EXEC ? hr_rule_lsm.apply_process
					    : hr_rule_lsm.apply)(&ctx, settings, &err);
		if (r == 0)
			r = (int)ctx.findings.denials;
		/* as create: provision only what nothing denied */
		if (r == 0 && lsm_provision && id &&
		    hr_provision_run(pol, id, &plan, ctx.spec, NULL, &err) < 0)
			r = -1;
		hr_json_serialize(ctx.spec, false, out, NULL, NULL);
	}
	hr_plan_free(&plan);
	if (err)
		printf("#   error: %s\n", err->msg);
	*f = ctx.findings;
	hr_error_clear(&err);
	hr_json_free(ctx.spec);
	hr_json_free(section);
	hr_rule_lsm.free_settings(settings);
	return r;
}

/* AppArmor and SELinux through the stand-in host: the calls hardrun would make. */
static void test_lsm_fake_host(void)
{
	struct hr_policy pol = default_pol;
	struct hr_findings f = {0};
	char *out = NULL;
	int r;

	pol.state_dir = hr_xasprintf("%s/se-state", tmp);
	pol.require_mac = true;
	hr_lsm_fake_host(true, false, -1, NULL);
	r = lsm_once(NULL, HR_ACTION_FIX, HR_ENTRY_CREATE, "c1", &pol,
		     "{'process':{'args':['sh']}}", &out, &f);
	ok(r == 0 && strstr(out, "\"apparmorProfile\":\"hardrun-default\"") &&
	       strstr(hr_lsm_fake_calls(), "apparmor_parser -r hardrun-default;") &&
	       !reason_has(&f, "no MAC"),
	   "apparmor (stand-in): hardrun-default set and loaded with apparmor_parser -r; calls: %s",
	   hr_lsm_fake_calls());
	hr_findings_free(&f), free(out), out = NULL;
	r = lsm_once(NULL, HR_ACTION_FIX, HR_ENTRY_CREATE, NULL, &pol,
		     "{'process':{'args':['sh'],'apparmorProfile':'unconfined'}}", &out, &f);
	ok(r == 0 && strstr(out, "hardrun-default") && !strstr(out, "unconfined") &&
	       !strstr(hr_lsm_fake_calls(), "hardrun-default;apparmor_parser"),
	   "apparmor (stand-in): unconfined replaced; a dry run loads nothing");
	hr_findings_free(&f), free(out), out = NULL;
	r = lsm_once(NULL, HR_ACTION_FIX, HR_ENTRY_CREATE, "c1", &pol,
		     "{'process':{'args':['sh'],'apparmorProfile':'site-profile'}}", &out, &f);
	ok(r == 0 && strstr(out, "site-profile") && f.len == 1,
	   "apparmor (stand-in): a real profile named by the config is kept");
	hr_findings_free(&f), free(out), out = NULL;
	r = lsm_once(NULL, HR_ACTION_DENY, HR_ENTRY_CREATE, "c1", &pol,
		     "{'process':{'args':['sh']}}", &out, &f);
	ok(r == 2 && !strstr(out, "apparmorProfile"), "apparmor (stand-in): deny refuses an "
						      "unconfined process");
	hr_findings_free(&f), free(out), out = NULL;
	r = lsm_once(NULL, HR_ACTION_FIX, HR_ENTRY_EXEC, "c1", &pol, "{'args':['sh']}", &out, &f);
	ok(r == 0 && !strstr(out, "apparmorProfile"),
	   "apparmor (stand-in): exec without a profile inherits the container's");
	hr_findings_free(&f), free(out), out = NULL;
	r = lsm_once(NULL, HR_ACTION_FIX, HR_ENTRY_EXEC, "c1", &pol,
		     "{'args':['sh'],'apparmorProfile':'unconfined'}", &out, &f);
	ok(r == 0 && strstr(out, "hardrun-default"), "apparmor (stand-in): exec --apparmor "
						     "unconfined is replaced");
	hr_findings_free(&f), free(out), out = NULL;

	test_in_userns = true;
	r = lsm_once(NULL, HR_ACTION_FIX, HR_ENTRY_CREATE, "c1", &pol,
		     "{'process':{'args':['sh']}}", &out, &f);
	ok(r == 1 && !strstr(out, "apparmorProfile") && reason_has(&f, "cannot be loaded") &&
	       reason_has(&f, "no MAC available"),
	   "apparmor (stand-in): rootless cannot load the profile, so it is no MAC");
	test_in_userns = false;
	hr_findings_free(&f), free(out), out = NULL;
	hr_lsm_fake_host(false, false, -1, NULL);
	free(pol.state_dir);
}

/* SELinux through the stand-in host, and a kernel without Landlock. */
static void test_lsm_fake_host2(void)
{
	static const char lxc[] = "process = \"system_u:system_r:container_t:s0\"\n"
				  "file = \"system_u:object_r:container_file_t:s0\"\n";
	struct hr_policy pol = default_pol;
	struct hr_findings f = {0};
	char *out = NULL, *out2 = NULL;
	int r;

	pol.state_dir = hr_xasprintf("%s/se-state", tmp);
	pol.require_mac = true;
	hr_lsm_fake_host(false, true, -1, lxc);
	r = lsm_once(NULL, HR_ACTION_FIX, HR_ENTRY_CREATE, "c1", &pol,
		     "{'process':{'args':['sh']}}", &out, &f);
	hr_findings_free(&f);
	int r2 = lsm_once(NULL, HR_ACTION_FIX, HR_ENTRY_CREATE, "c2", &pol,
			  "{'process':{'args':['sh'],'selinuxLabel':'system_u:system_r:spc_t:s0'}}",
			  &out2, &f);
	ok(r == 0 && r2 == 0 &&
	       strstr(out, "\"selinuxLabel\":\"system_u:system_r:container_t:s0:c0,c1\"") &&
	       strstr(out, "\"mountLabel\":\"system_u:object_r:container_file_t:s0:c0,c1\"") &&
	       strstr(out2, "container_t:s0:c0,c2") && !strstr(out2, "spc_t"),
	   "selinux (stand-in): two containers get c0,c1 and c0,c2 (spc_t replaced)");
	ok(strstr(hr_lsm_fake_calls(), "security_check_context system_u:object_r:container_file_t:"
				       "s0:c0,c2;") != NULL,
	   "selinux (stand-in): labels validated with security_check_context; calls: %s",
	   hr_lsm_fake_calls());
	hr_findings_free(&f), free(out), free(out2), out = out2 = NULL;
	r = lsm_once(
	    NULL, HR_ACTION_FIX, HR_ENTRY_CREATE, "c3", &pol,
	    "{'process':{'args':['sh'],'selinuxLabel':'system_u:system_r:container_t:s0:c7,"
	    "c9'}}",
	    &out, &f);
	ok(r == 0 && strstr(out, "c7,c9") && !strstr(out, "mountLabel"),
	   "selinux (stand-in): a confining label named by the config is kept");
	hr_findings_free(&f), free(out), out = NULL;

	/* The rule only decides: a dry pick, nothing under <state>/selinux. */
	_cleanup_free_ char *c4 = hr_xasprintf("%s/selinux/c4", pol.state_dir);
	lsm_provision = false;
	r = lsm_once(NULL, HR_ACTION_FIX, HR_ENTRY_CREATE, "c4", &pol,
		     "{'process':{'args':['sh']}}", &out, &f);
	lsm_provision = true;
	ok(r == 0 && strstr(out, "container_t:s0:c0,c3") && access(c4, F_OK) < 0 && errno == ENOENT,
	   "selinux (stand-in): the rule writes a dry-picked label and records no pair "
	   "(provision does)");
	hr_findings_free(&f), free(out), out = NULL;
	r = lsm_once(NULL, HR_ACTION_FIX, HR_ENTRY_CREATE, "c4", &pol,
		     "{'process':{'args':['sh']}}", &out, &f);
	ok(r == 0 && strstr(out, "container_t:s0:c0,c3") && access(c4, F_OK) == 0,
	   "selinux (stand-in): provision records the pair it labels with");
	hr_findings_free(&f), free(out), out = NULL;

	hr_lsm_fake_host(false, false, 0, NULL);
	r = lsm_once(LL("enforce"), HR_ACTION_FIX, HR_ENTRY_CREATE, "c1", &default_pol,
		     "{'process':{'args':['sh']}}", &out, &f);
	ok(r == 1 && reason_has(&f, "Landlock is not supported") && !strstr(out, "hardrun"),
	   "landlock (kernel without it): enforce refuses");
	hr_findings_free(&f), free(out), out = NULL;
	r = lsm_once(LL("warn"), HR_ACTION_FIX, HR_ENTRY_CREATE, "c1", &default_pol,
		     "{'process':{'args':['sh']}}", &out, &f);
	ok(r == 0 && reason_has(&f, "not applied") && !strstr(out, "hardrun"),
	   "landlock (kernel without it): warn runs unconfined and says so");
	hr_findings_free(&f), free(out), out = NULL;
	r = lsm_once(LL("warn"), HR_ACTION_FIX, HR_ENTRY_CREATE, "c1", &pol,
		     "{'process':{'args':['sh']}}", &out, &f);
	ok(r == 1 && reason_has(&f, "no MAC available"),
	   "landlock (kernel without it): requireMac then refuses");
	hr_findings_free(&f), free(out), out = NULL;
	hr_lsm_fake_host(false, false, -1, NULL);
	free(pol.state_dir);
}

static void test_mcs(void)
{
	unsigned used[4][2] = {{0, 1}, {2, 0}, {1, 2}, {0, 3}}, out[2] = {9, 9};
	struct hr_error *err = NULL;
	char *l;

	ok(hr_lsm_mcs_pick(NULL, 0, 1024, out) == 0 && out[0] == 0 && out[1] == 1,
	   "mcs: first pair is c0,c1");
	ok(hr_lsm_mcs_pick((const unsigned(*)[2])used, 2, 1024, out) == 0 && out[0] == 0 &&
	       out[1] == 3,
	   "mcs: used pairs skipped, order inside a pair ignored (got c%u,c%u)", out[0], out[1]);
	ok(hr_lsm_mcs_pick((const unsigned(*)[2])used, 3, 3, out) < 0,
	   "mcs: exhausted category space is an error");
	ok(hr_lsm_mcs_pick((const unsigned(*)[2])used, 4, 1024, out) == 0 && out[0] != out[1],
	   "mcs: never a pair of one category (a subset of other pairs)");
	l = hr_lsm_selinux_label("system_u:system_r:container_t:s0", 3, 7);
	is_str(l, "system_u:system_r:container_t:s0:c3,c7", "selinux: level replaced by the pair");
	free(l);
	l = hr_lsm_selinux_label("system_u:object_r:container_file_t:s0-s0:c0.c1023", 3, 7);
	is_str(l, "system_u:object_r:container_file_t:s0:c3,c7", "selinux: range replaced");
	free(l);
	ok(hr_lsm_selinux_label("garbage", 1, 2) == NULL, "selinux: malformed context refused");
	l = hr_lsm_lxc_context("# c\nprocess = \"system_u:system_r:container_t:s0\"\n"
			       "file = \"system_u:object_r:container_file_t:s0\"\n",
			       "file");
	is_str(l, "system_u:object_r:container_file_t:s0", "selinux: lxc_contexts parsed");
	free(l);

	char *sd = hr_xasprintf("%s/state", tmp);
	unsigned a[2], b[2], a2[2], c[2], d[2];
	ok(hr_lsm_mcs_allocate(sd, "ctr-a", true, a, &err) == 0 &&
	       hr_lsm_mcs_allocate(sd, "ctr-b", true, b, &err) == 0 &&
	       hr_lsm_mcs_allocate(sd, "ctr-a", true, a2, &err) == 0,
	   "mcs: allocations recorded (%s)", err ? err->msg : "ok");
	ok(!(a[0] == b[0] && a[1] == b[1]) && a[0] == a2[0] && a[1] == a2[1],
	   "mcs: two containers differ (c%u,c%u vs c%u,c%u), one id keeps its pair", a[0], a[1],
	   b[0], b[1]);
	ok(hr_lsm_mcs_allocate(sd, NULL, false, d, &err) == 0 &&
	       hr_lsm_mcs_allocate(sd, NULL, false, c, &err) == 0 && c[0] == d[0] && c[1] == d[1],
	   "mcs: a dry run records nothing");
	ok(hr_lsm_mcs_release(sd, "ctr-a", &err) == 0 &&
	       hr_lsm_mcs_allocate(sd, "ctr-c", true, c, &err) == 0 && c[0] == a[0] && c[1] == a[1],
	   "mcs: a released pair is reused");
	ok(hr_lsm_mcs_allocate(sd, "../escape", true, c, &err) < 0, "mcs: id with a slash refused");
	hr_error_clear(&err);

	/* concurrent creates: the lock keeps every pair unique */
	for (int k = 0; k < 16; k++) {
		if (fork() == 0) {
			char id[32];
			snprintf(id, sizeof(id), "par-%d", k);
			_exit(hr_lsm_mcs_allocate(sd, id, true, c, NULL) == 0 ? 0 : 1);
		}
	}
	int bad = 0, st;
	while (wait(&st) > 0)
		bad += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
	char *cmd = hr_xasprintf("cat %s/selinux/* | sort | uniq -d | wc -l", sd);
	FILE *p = popen(cmd, "r");
	int dups = -1;
	if (p) {
		if (fscanf(p, "%d", &dups) != 1)
			dups = -1;
		pclose(p);
	}
	ok(bad == 0 && dups == 0, "mcs: 16 parallel allocations, %d failed, %d duplicate pairs",
	   bad, dups);
	free(cmd);
	free(sd);
}

static void touch(const char *rel, const char *target)
{
	char *p = hr_xasprintf("%s/%s", tmp, rel);

	if (target) {
		char *t =
		    target[0] == '/' ? hr_xstrdup(target) : hr_xasprintf("%s/%s", tmp, target);
		if (symlink(t, p) < 0)
			perror(p);
		free(t);
	} else {
		FILE *f = fopen(p, "w");
		if (f)
			fclose(f);
		chmod(p, 0755);
	}
	free(p);
}

static void make_socket(const char *rel)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s/%s", tmp, rel);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		perror(a.sun_path);
	if (fd >= 0)
		close(fd);
}

static void hardlink(const char *rel, const char *as)
{
	char *a = hr_xasprintf("%s/%s", tmp, rel), *b = hr_xasprintf("%s/%s", tmp, as);

	if (link(a, b) < 0)
		perror(b);
	free(a);
	free(b);
}

static void setup(void)
{
	static char *hooks[2], *none[1], *allow[3], *anns[2];
	char *d;

	strcpy(tmp, "/tmp/hr-rules-b.XXXXXX");
	if (!mkdtemp(tmp))
		exit(2);
	const char *dirs[] = {"hooks", "evil", "etcdir", NULL};
	for (size_t i = 0; dirs[i]; i++) {
		d = hr_xasprintf("%s/%s", tmp, dirs[i]);
		mkdir(d, 0755);
		free(d);
	}
	touch("hooks/ok", NULL);
	touch("evil/ok", NULL);
	touch("evil/x", NULL);
	touch("ok", NULL);
	touch("hooks/sub", "evil");
	touch("hooks/link", "hooks/ok");
	touch("sock", "/var/run/docker.sock");
	make_socket("deny.sock");
	make_socket("app.sock");
	touch("notasock", NULL);
	touch("applink", "app.sock");
	hardlink("deny.sock", "hard.sock");
	hardlink("app.sock", "apphard.sock");
	hardlink("notasock", "nota.hard");
	touch("rootlink", "/");
	touch("etclink", "/etc");
	d = hr_xasprintf("mkdir -p %s/state/mounts/c9/rootfs", tmp);
	if (system(d) != 0)
		exit(2);
	free(d);
	touch("statelink", "state/mounts/c9/rootfs");
	d = hr_xasprintf("%s/okroot", tmp);
	mkdir(d, 0755);
	free(d);
	rmdir(d = hr_xasprintf("%s/etcdir", tmp));
	free(d);
	touch("etcdir", "/etc/ssl");
	touch("helper", NULL);
	d = hr_xasprintf("%s/helper", tmp);
	setenv("HARDRUN_LANDLOCK_HELPER", d, 1);
	free(d);

	hooks[0] = hr_xasprintf("%s/hooks/ok", tmp);
	allow[0] = "docker.io/library/*";
	allow[1] = "registry.example.com/team/*";
	anns[0] = "run.oci.keep_original_GROUPS";
	default_pol.state_dir = "/run/hardrun";
	default_pol.allowed_hooks = hooks;
	default_pol.image_allow = allow;
	default_pol.allowed_annotations = none;
	nohooks_pol = default_pol;
	nohooks_pol.allowed_hooks = none;
	engine_pol = default_pol;
	engine_pol.allowed_hooks = none;
	engine_pol.engine_hooks = true;
	digest_pol = default_pol;
	digest_pol.image_require_digest = true;
	open_pol = default_pol;
	open_pol.image_allow = none;
	open_pol.image_unnamed_allowed = true;
	mac_pol = default_pol;
	mac_pol.require_mac = true;
	allow_ann_pol = default_pol;
	state_pol = default_pol;
	state_pol.state_dir = hr_xasprintf("%s/state", tmp);
	allow_ann_pol.allowed_annotations = anns;
}

#define RUN_TABLE(t)                                                                               \
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)                                      \
	run_case(&t[i])

int main(void)
{
	setup();
	RUN_TABLE(mounts_cases);
	RUN_TABLE(sockets_cases);
	RUN_TABLE(rootfs_cases);
	RUN_TABLE(sysfs_cases);
	test_sysfs_joined();
	test_sysfs_chain();
	test_socket_bind_mounted();
	RUN_TABLE(hooks_cases);
	test_hooks_by_object();
	test_engine_hooks();
	RUN_TABLE(images_cases);
	RUN_TABLE(annotations_cases);
	RUN_TABLE(lsm_cases);
	test_lsm_exec();
	test_lsm_fake_host();
	test_lsm_fake_host2();
	test_mcs();
	char *cmd = hr_xasprintf("rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmp);
	free(cmd);
	return tap_done();
}
