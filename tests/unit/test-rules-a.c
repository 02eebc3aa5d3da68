/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Table-driven tests for the capabilities, process, namespaces, devices and
 * resources rules: each case runs one config through one rule with one
 * action and checks the findings and the rewritten config, including
 * configs written to slip past (mixed case, duplicates, aliases, nulls).
 */
#include <signal.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/path.h"
#include "hardrun/rules-resources.h"
#include "hardrun/rules.h"
#include "hardrun/util.h"
#include "tap.h"

extern const struct hr_rule hr_rule_capabilities, hr_rule_process, hr_rule_namespaces,
    hr_rule_devices, hr_rule_resources;

#define ANY  -1
#define FIX  HR_ACTION_FIX
#define DENY HR_ACTION_DENY
#define WARN HR_ACTION_WARN

struct tcase {
	const char *name;
	const struct hr_rule *rule;
	const char *settings; /* the rule's profile section, NULL for defaults */
	enum hr_action action;
	const char *config;
	int rc;			/* expected return of apply */
	int nfix, ndeny, nwarn; /* expected findings per action, ANY to skip */
	const char *path;	/* '/'-path into the result, optional */
	const char *want;	/* its compact JSON, "<absent>" for none */
	bool exec;		/* apply_process instead of apply */
	const char *secret;	/* text no finding may contain */
};

/* Filled at start-up: namespace paths of a helper process in new namespaces. */
static char pod_uts[64] = "/nonexistent", pod_net[64] = "/nonexistent";
static bool have_pod;
static bool have_cgroupns;

/* Expected fix count that depends on the kernel having cgroup namespaces. */
#define CG(n) (-(100 + (n)))
#define NS_PID_FIXED                                                                               \
	"[{\"type\":\"pid\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"mount\"},"          \
	"{\"type\":\"cgroup\"}]"
#define DENY_ALL "{\"allow\":false,\"access\":\"rwm\"}"

#define C(...) "{\"process\":{\"capabilities\":{" __VA_ARGS__ "}}}"

/* `runc spec` of runc 1.1.5, unchanged. */
#define RUNC_SPEC                                                                                  \
	"{\"ociVersion\":\"1.0.2-dev\",\"process\":{\"terminal\":true,\"user\":{\"uid\":0,\"gid"   \
	"\":0},\"args\":[\"sh\"],\"env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/"   \
	"bin:/sbin:/bin\",\"TERM=xterm\"],\"cwd\":\"/\",\"capabilities\":{\"bounding\":[\"CAP_A"   \
	"UDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],\"effective\":[\"CAP_AUDIT_WRITE\""   \
	",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],\"permitted\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\""  \
	",\"CAP_NET_BIND_SERVICE\"],\"ambient\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIN"   \
	"D_SERVICE\"]},\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],\""  \
	"noNewPrivileges\":true},\"root\":{\"path\":\"rootfs\",\"readonly\":true},\"hostname\":"   \
	"\"runc\",\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"}"   \
	",{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosu"   \
	"id\",\"strictatime\",\"mode=755\",\"size=65536k\"]},{\"destination\":\"/dev/pts\",\"ty"   \
	"pe\":\"devpts\",\"source\":\"devpts\",\"options\":[\"nosuid\",\"noexec\",\"newinstance"   \
	"\",\"ptmxmode=0666\",\"mode=0620\",\"gid=5\"]},{\"destination\":\"/dev/shm\",\"type\":"   \
	"\"tmpfs\",\"source\":\"shm\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\""  \
	",\"size=65536k\"]},{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"m"   \
	"queue\",\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},{\"destination\":\"/sys\",\"typ"   \
	"e\":\"sysfs\",\"source\":\"sysfs\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\""   \
	"]},{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\",\"opt"   \
	"ions\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}],\"linux\":{\"resources\""  \
	":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},\"namespaces\":[{\"type\":\"pid\""  \
	"},{\"type\":\"network\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"mount\"}],\""  \
	"maskedPaths\":[\"/proc/acpi\",\"/proc/asound\",\"/proc/kcore\",\"/proc/keys\",\"/proc/"   \
	"latency_stats\",\"/proc/timer_list\",\"/proc/timer_stats\",\"/proc/sched_debug\",\"/sy"   \
	"s/firmware\",\"/proc/scsi\"],\"readonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq"   \
	"\",\"/proc/sys\",\"/proc/sysrq-trigger\"]}}"

static const struct tcase cases[] = {
    /* ---- the plain `runc spec` config through each rule ---- */
    {"runc spec: capabilities, default allowlist", &hr_rule_capabilities, NULL, FIX, RUNC_SPEC, 0,
     0, 0, 0, NULL, NULL},
    {"runc spec: capabilities, restricted allowlist refuses once for all four sets",
     &hr_rule_capabilities, "{\"allow\":[\"CAP_NET_BIND_SERVICE\"]}", DENY, RUNC_SPEC, 0, 0, 1, 0,
     NULL, NULL},
    {"runc spec: process", &hr_rule_process, NULL, FIX, RUNC_SPEC, 0, 0, 0, 0, NULL, NULL},
    {"runc spec: namespaces gain cgroup", &hr_rule_namespaces, NULL, FIX, RUNC_SPEC, 0, CG(0), 0, 0,
     NULL, NULL},
    {"runc spec: devices", &hr_rule_devices, NULL, FIX, RUNC_SPEC, 0, 0, 0, 0, NULL, NULL},
    {"runc spec: resources gain a pids limit", &hr_rule_resources, NULL, FIX, RUNC_SPEC, 0, 1, 0, 0,
     "linux/resources/pids/limit", "4096"},
    /* ---- capabilities ---- */
    {"caps: the engine's default NET_RAW is cut silently (fix)", &hr_rule_capabilities, NULL, FIX,
     C("\"bounding\":[\"CAP_CHOWN\",\"CAP_NET_RAW\"],\"effective\":[\"CAP_NET_RAW\"],"
       "\"permitted\":[\"CAP_CHOWN\"]"),
     0, 1, 0, 0, "process/capabilities/bounding", "[\"CAP_CHOWN\"]"},
    {"caps: explicit never-allowed capabilities refused even under fix", &hr_rule_capabilities,
     NULL, FIX,
     C("\"bounding\":[\"CAP_SYS_ADMIN\",\"CAP_CHOWN\",\"CAP_NET_RAW\"],"
       "\"effective\":[\"CAP_SYS_ADMIN\",\"CAP_CHOWN\"],\"permitted\":[\"CAP_SYS_MODULE\"]"),
     0, 0, 1, 0, "process/capabilities/bounding",
     "[\"CAP_SYS_ADMIN\",\"CAP_CHOWN\",\"CAP_NET_RAW\"]"},
    {"caps: explicit capability outside the allowlist refused under fix", &hr_rule_capabilities,
     NULL, FIX, C("\"bounding\":[\"CAP_SYS_NICE\",\"CAP_CHOWN\"]"), 0, 0, 1, 0, NULL, NULL},
    {"caps: an explicit capability the profile allows passes", &hr_rule_capabilities,
     "{\"allow\":[\"CAP_SYS_NICE\",\"CAP_CHOWN\"]}", FIX,
     C("\"bounding\":[\"CAP_SYS_NICE\",\"CAP_CHOWN\"]"), 0, 0, 0, 0, NULL, NULL},
    {"caps: same config denied (deny)", &hr_rule_capabilities, NULL, DENY,
     C("\"bounding\":[\"CAP_SYS_ADMIN\",\"CAP_CHOWN\"]"), 0, 0, 1, 0,
     "process/capabilities/bounding", "[\"CAP_SYS_ADMIN\",\"CAP_CHOWN\"]"},
    {"caps: same config recorded only (warn)", &hr_rule_capabilities, NULL, WARN,
     C("\"bounding\":[\"CAP_SYS_ADMIN\"],\"ambient\":[\"CAP_BPF\"]"), 0, 0, 0, 1,
     "process/capabilities/bounding", "[\"CAP_SYS_ADMIN\"]"},
    {"caps: mixed-case and prefix-less aliases are caught", &hr_rule_capabilities, NULL, FIX,
     C("\"bounding\":[\"cap_net_raw\",\"Net_Raw\",\"CAP_chown\",\"chown\"]"), 0, 1, 0, 0,
     "process/capabilities/bounding", "[\"CAP_CHOWN\"]"},
    {"caps: numeric alias 13 is CAP_NET_RAW", &hr_rule_capabilities, NULL, FIX,
     C("\"effective\":[\"13\",\"CAP_KILL\"]"), 0, 1, 0, 0, "process/capabilities/effective",
     "[\"CAP_KILL\"]"},
    {"caps: duplicates collapse", &hr_rule_capabilities, NULL, FIX,
     C("\"permitted\":[\"CAP_KILL\",\"CAP_KILL\",\"CAP_KILL\"]"), 0, 1, 0, 0,
     "process/capabilities/permitted", "[\"CAP_KILL\"]"},
    {"caps: unknown name refused even under fix", &hr_rule_capabilities, NULL, FIX,
     C("\"bounding\":[\"CAP_KILL\",\"CAP_SYS_ADMIN \"]"), 0, 1, 1, 0,
     "process/capabilities/bounding", "[\"CAP_KILL\"]"},
    {"caps: canonical allowed sets pass untouched", &hr_rule_capabilities, NULL, FIX,
     C("\"bounding\":[\"CAP_CHOWN\",\"CAP_KILL\"],\"effective\":[\"CAP_KILL\"]"), 0, 0, 0, 0,
     "process/capabilities/bounding", "[\"CAP_CHOWN\",\"CAP_KILL\"]"},
    {"caps: ambient-only NET_RAW without inheritable is still removed", &hr_rule_capabilities, NULL,
     FIX, C("\"inheritable\":[],\"ambient\":[\"CAP_NET_RAW\",\"CAP_KILL\"]"), 0, 1, 0, 0,
     "process/capabilities/ambient", "[\"CAP_KILL\"]"},
    {"caps: runc spec's unpaired ambient set passes", &hr_rule_capabilities, NULL, FIX,
     C("\"permitted\":[\"CAP_KILL\"],\"ambient\":[\"CAP_KILL\"]"), 0, 0, 0, 0,
     "process/capabilities/ambient", "[\"CAP_KILL\"]"},
    {"caps: ambient with inheritable and permitted is kept", &hr_rule_capabilities, NULL, FIX,
     C("\"permitted\":[\"CAP_KILL\"],\"inheritable\":[\"CAP_KILL\"],\"ambient\":[\"CAP_KILL\"]"), 0,
     0, 0, 0, "process/capabilities/ambient", "[\"CAP_KILL\"]"},
    {"caps: a set of the wrong type fails closed", &hr_rule_capabilities, NULL, FIX,
     C("\"bounding\":\"CAP_SYS_ADMIN\""), -1, ANY, ANY, ANY, NULL, NULL},
    {"caps: a non-string element fails closed", &hr_rule_capabilities, NULL, FIX,
     C("\"bounding\":[21]"), -1, ANY, ANY, ANY, NULL, NULL},
    {"caps: capabilities object of the wrong type fails closed", &hr_rule_capabilities, NULL, FIX,
     "{\"process\":{\"capabilities\":[\"CAP_SYS_ADMIN\"]}}", -1, ANY, ANY, ANY, NULL, NULL},
    {"caps: null sections are absent", &hr_rule_capabilities, NULL, FIX,
     "{\"process\":{\"capabilities\":{\"bounding\":null}}}", 0, 0, 0, 0, NULL, NULL},
    {"caps: no capabilities at all is fine", &hr_rule_capabilities, NULL, FIX,
     "{\"process\":{\"args\":[\"sh\"]}}", 0, 0, 0, 0, NULL, NULL},
    {"caps: \"Process\" is process", &hr_rule_capabilities, NULL, FIX,
     "{\"Process\":{\"Capabilities\":{\"Bounding\":[\"CAP_NET_RAW\"]}}}", 0, 1, 0, 0,
     "process/capabilities/bounding", "[]"},
    {"caps: restricted allowlist", &hr_rule_capabilities, "{\"allow\":[\"CAP_NET_BIND_SERVICE\"]}",
     FIX, C("\"bounding\":[\"CAP_CHOWN\",\"CAP_NET_BIND_SERVICE\"]"), 0, 1, 0, 0,
     "process/capabilities/bounding", "[\"CAP_NET_BIND_SERVICE\"]"},
    {"caps: neverAllowed extends the built-in set", &hr_rule_capabilities,
     "{\"allow\":[\"CAP_KILL\",\"CAP_CHOWN\"],\"neverAllowed\":[\"CAP_KILL\"]}", FIX, "{}", -2, ANY,
     ANY, ANY, NULL, NULL},
    {"caps: exec --cap CAP_SYS_ADMIN is refused", &hr_rule_capabilities, NULL, FIX,
     "{\"capabilities\":{\"bounding\":[\"CAP_SYS_ADMIN\",\"CAP_KILL\"],"
     "\"effective\":[\"CAP_SYS_ADMIN\"]}}",
     0, 0, 1, 0, "capabilities/effective", "[\"CAP_SYS_ADMIN\"]", true},
    {"caps: exec with the engine's NET_RAW is cut", &hr_rule_capabilities, NULL, FIX,
     "{\"capabilities\":{\"bounding\":[\"CAP_NET_RAW\",\"CAP_KILL\"],"
     "\"effective\":[\"CAP_NET_RAW\"]}}",
     0, 1, 0, 0, "capabilities/effective", "[]", true},

    /* ---- process ---- */
    {"process: no_new_privs added (fix)", &hr_rule_process, NULL, FIX,
     "{\"process\":{\"cwd\":\"/\"}}", 0, 1, 0, 0, "process/noNewPrivileges", "true"},
    {"process: no_new_privs false refused (deny)", &hr_rule_process, NULL, DENY,
     "{\"process\":{\"noNewPrivileges\":false}}", 0, 0, 1, 0, "process/noNewPrivileges", "false"},
    {"process: no_new_privs false recorded (warn)", &hr_rule_process, NULL, WARN,
     "{\"process\":{\"noNewPrivileges\":false}}", 0, 0, 0, 1, "process/noNewPrivileges", "false"},
    {"process: no_new_privs as a string fails closed", &hr_rule_process, NULL, FIX,
     "{\"process\":{\"noNewPrivileges\":\"true\"}}", -1, ANY, ANY, ANY, NULL, NULL},
    {"process: root user refused when non-root is required", &hr_rule_process,
     "{\"requireNonRoot\":true}", FIX,
     "{\"process\":{\"noNewPrivileges\":true,\"user\":{\"uid\":0,\"gid\":0}}}", 0, 0, 1, 0, NULL,
     NULL},
    {"process: absent user is root", &hr_rule_process, "{\"requireNonRoot\":true}", FIX,
     "{\"process\":{\"noNewPrivileges\":true}}", 0, 0, 1, 0, NULL, NULL},
    {"process: non-root user passes", &hr_rule_process, "{\"requireNonRoot\":true}", FIX,
     "{\"process\":{\"noNewPrivileges\":true,\"user\":{\"uid\":1000,\"gid\":1000}}}", 0, 0, 0, 0,
     NULL, NULL},
    {"process: root under warn is a warning", &hr_rule_process, "{\"requireNonRoot\":true}", WARN,
     "{\"process\":{\"noNewPrivileges\":true,\"user\":{\"uid\":0}}}", 0, 0, 0, 1, NULL, NULL},
    {"process: negative uid fails closed", &hr_rule_process, NULL, FIX,
     "{\"process\":{\"user\":{\"uid\":-1}}}", -1, ANY, ANY, ANY, NULL, NULL},
    {"process: cwd /proc/self/fd/7 denied", &hr_rule_process, NULL, FIX,
     "{\"process\":{\"noNewPrivileges\":true,\"cwd\":\"/proc/self/fd/7\"}}", 0, 0, 1, 0,
     "process/cwd", "\"/proc/self/fd/7\""},
    {"process: cwd denied even under warn", &hr_rule_process, NULL, WARN,
     "{\"process\":{\"noNewPrivileges\":true,\"cwd\":\"/proc/self/fd/7\"}}", 0, 0, 1, 0, NULL,
     NULL},
    {"process: cwd /proc/self/../self/fd/3 denied", &hr_rule_process, NULL, FIX,
     "{\"process\":{\"noNewPrivileges\":true,\"cwd\":\"/proc/self/../self/fd/3\"}}", 0, 0, 1, 0,
     NULL, NULL},
    {"process: cwd //proc/./thread-self/fd/ denied", &hr_rule_process, NULL, FIX,
     "{\"process\":{\"noNewPrivileges\":true,\"cwd\":\"//proc/./thread-self//fd/\"}}", 0, 0, 1, 0,
     NULL, NULL},
    {"process: cwd /proc/1234/fd/4 denied", &hr_rule_process, NULL, FIX,
     "{\"process\":{\"noNewPrivileges\":true,\"cwd\":\"/proc/1234/fd/4\"}}", 0, 0, 1, 0, NULL,
     NULL},
    {"process: relative cwd ../../proc/self/fd/5 denied", &hr_rule_process, NULL, FIX,
     "{\"process\":{\"noNewPrivileges\":true,\"cwd\":\"../../proc/self/fd/5\"}}", 0, 0, 1, 0, NULL,
     NULL},
    {"process: cwd through /proc/self/root denied", &hr_rule_process, NULL, FIX,
     "{\"process\":{\"noNewPrivileges\":true,\"cwd\":\"/proc/self/root/proc/self/fd/7\"}}", 0, 0, 1,
     0, NULL, NULL},
    {"process: cwd /dev/fd/7 (the runtime's own symlink) denied", &hr_rule_process, NULL, FIX,
     "{\"process\":{\"noNewPrivileges\":true,\"cwd\":\"/dev/./fd/7\"}}", 0, 0, 1, 0, NULL, NULL},
    {"process: climbing out of a leaked fd denied", &hr_rule_process, NULL, FIX,
     "{\"process\":{\"noNewPrivileges\":true,\"cwd\":\"/proc/self/fd/7/../../../../..\"}}", 0, 0, 1,
     0, NULL, NULL},
    {"process: climbing out of /dev/fd denied", &hr_rule_process, NULL, FIX,
     "{\"process\":{\"noNewPrivileges\":true,\"cwd\":\"/dev/fd/7/../../../etc\"}}", 0, 0, 1, 0,
     NULL, NULL},
    {"process: /proc/self/.. is just /proc", &hr_rule_process, NULL, FIX,
     "{\"process\":{\"noNewPrivileges\":true,\"cwd\":\"/proc/self/../tmp\"}}", 0, 0, 0, 0, NULL,
     NULL},
    {"process: program run through a leaked fd denied", &hr_rule_process, NULL, WARN,
     "{\"process\":{\"noNewPrivileges\":true,\"args\":[\"/proc/self/fd/7/../../../bin/sh\"]}}", 0,
     0, 1, 0, NULL, NULL},
    {"process: ordinary programs pass", &hr_rule_process, NULL, FIX,
     "{\"process\":{\"noNewPrivileges\":true,\"args\":[\"sh\",\"/proc/self/fd/0\"]}}", 0, 0, 0, 0,
     NULL, NULL},
    {"process: cwd /dev/fdx passes", &hr_rule_process, NULL, FIX,
     "{\"process\":{\"noNewPrivileges\":true,\"cwd\":\"/dev/fdx\"}}", 0, 0, 0, 0, NULL, NULL},
    {"process: ordinary cwds pass", &hr_rule_process, NULL, FIX,
     "{\"process\":{\"noNewPrivileges\":true,\"cwd\":\"/home/proc/self/fd/1\"}}", 0, 0, 0, 0, NULL,
     NULL},
    {"process: cwd /proc itself passes", &hr_rule_process, NULL, FIX,
     "{\"process\":{\"noNewPrivileges\":true,\"cwd\":\"/proc\"}}", 0, 0, 0, 0, NULL, NULL},
    {"process: AWS secret reported, value redacted", &hr_rule_process, NULL, FIX,
     "{\"process\":{\"noNewPrivileges\":true,\"env\":[\"PATH=/bin\","
     "\"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENGbPxRfiCYzz\"]}}",
     0, 0, 0, 1, "process/env",
     "[\"PATH=/bin\",\"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENGbPxRfiCYzz\"]", false,
     "wJalrXUtnFEMIK7MDENGbPxRfiCYzz"},
    {"process: secretEnv deny refuses", &hr_rule_process, "{\"secretEnv\":\"deny\"}", FIX,
     "{\"process\":{\"noNewPrivileges\":true,\"env\":[\"GITHUB_TOKEN=abc\"]}}", 0, 0, 1, 0, NULL,
     NULL, false, "abc"},
    {"process: lower-case secret names too", &hr_rule_process, NULL, FIX,
     "{\"process\":{\"noNewPrivileges\":true,\"env\":[\"db_password=hunter2hunter2\"]}}", 0, 0, 0,
     1, NULL, NULL, false, "hunter2"},
    {"process: secret-looking values under innocent names", &hr_rule_process, NULL, FIX,
     "{\"process\":{\"noNewPrivileges\":true,\"env\":[\"A=AKIAIOSFODNN7EXAMPLE\","
     "\"B=-----BEGIN RSA PRIVATE KEY-----\\nMIIE\","
     "\"C=ghp_0123456789abcdefghijklmnopqrstuvwxyz\",\"D=postgres://u:s3cr3tpw@db/x\","
     "\"E=xoxb-1234567890-abcdef\"]}}",
     0, 0, 0, 5, NULL, NULL, false, "s3cr3tpw"},
    {"process: secret files, plain values and empty values pass", &hr_rule_process, NULL, FIX,
     "{\"process\":{\"noNewPrivileges\":true,\"env\":[\"DB_PASSWORD_FILE=/run/secrets/db\","
     "\"HOME=/root\",\"API_TOKEN=\",\"URL=https://example.com/a:b@c\"]}}",
     0, 0, 0, 0, NULL, NULL},
    {"process: secretEnv off", &hr_rule_process, "{\"secretEnv\":\"off\"}", FIX,
     "{\"process\":{\"noNewPrivileges\":true,\"env\":[\"AWS_SESSION_TOKEN=xyz\"]}}", 0, 0, 0, 0,
     NULL, NULL},
    {"process: env element of the wrong type fails closed", &hr_rule_process, NULL, FIX,
     "{\"process\":{\"env\":[1]}}", -1, ANY, ANY, ANY, NULL, NULL},
    {"process: umask tightened", &hr_rule_process, "{\"umask\":23}", FIX,
     "{\"process\":{\"noNewPrivileges\":true,\"user\":{\"uid\":1,\"umask\":18}}}", 0, 1, 0, 0,
     "process/user/umask", "23"},
    {"process: exec object checked too", &hr_rule_process, NULL, FIX,
     "{\"cwd\":\"/proc/self/fd/3\",\"noNewPrivileges\":false}", 0, 1, 1, 0, "noNewPrivileges",
     "true", true},
    {"process: bad secretEnv value is a policy error", &hr_rule_process,
     "{\"secretEnv\":\"maybe\"}", FIX, "{}", -2, ANY, ANY, ANY, NULL, NULL},
    {"process: unknown policy key is an error", &hr_rule_process, "{\"noNewPrivilege\":true}", FIX,
     "{}", -2, ANY, ANY, ANY, NULL, NULL},

/* ---- namespaces ---- */
#define NS(...) "{\"linux\":{\"namespaces\":[" __VA_ARGS__ "]}}"
#define STD	"{\"type\":\"pid\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"mount\"}"
    {"ns: runc spec default gains cgroup", &hr_rule_namespaces, NULL, FIX,
     NS(STD ",{\"type\":\"network\"}"), 0, CG(0), 0, 0, NULL, NULL},
    {"ns: none at all: host pid and ipc refused, the rest added, host network warned",
     &hr_rule_namespaces, NULL, FIX, "{\"linux\":{}}", 0, CG(2), 2, 1, NULL, NULL},
    {"ns: null linux is absent", &hr_rule_namespaces, "{\"hostNetwork\":\"allow\"}", FIX,
     "{\"linux\":null}", 0, CG(2), 2, 0, NULL, NULL},
    {"ns: --pid host refused even under fix", &hr_rule_namespaces, NULL, FIX,
     NS("{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"network\"},"
	"{\"type\":\"cgroup\"}"),
     0, 0, 1, 0, NULL, NULL},
    {"ns: --uts host with a private network refused", &hr_rule_namespaces, NULL, FIX,
     NS("{\"type\":\"pid\"},{\"type\":\"ipc\"},{\"type\":\"mount\"},{\"type\":\"network\"},"
	"{\"type\":\"cgroup\"}"),
     0, 0, 1, 0, NULL, NULL},
    {"ns: host uts with the host network gets a private one", &hr_rule_namespaces,
     "{\"hostNetwork\":\"allow\"}", FIX,
     NS("{\"type\":\"pid\"},{\"type\":\"ipc\"},{\"type\":\"mount\"},{\"type\":\"cgroup\"}"), 0, 1,
     0, 0, NULL, NULL},
    {"ns: host network denied adds one (fix)", &hr_rule_namespaces, "{\"hostNetwork\":\"deny\"}",
     FIX, NS(STD ",{\"type\":\"cgroup\"}"), 0, 1, 0, 0, NULL, NULL},
    {"ns: host network refused (deny)", &hr_rule_namespaces, "{\"hostNetwork\":\"deny\"}", DENY,
     NS(STD ",{\"type\":\"cgroup\"}"), 0, 0, 1, 0, NULL, NULL},
    {"ns: missing pid refused (deny)", &hr_rule_namespaces, "{\"hostNetwork\":\"allow\"}", DENY,
     NS("{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"cgroup\"}"), 0, 0,
     1, 0, NULL, NULL},
    {"ns: missing pid recorded (warn)", &hr_rule_namespaces, "{\"hostNetwork\":\"allow\"}", WARN,
     NS("{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"cgroup\"}"), 0, 0,
     0, 1, NULL, NULL},
    {"ns: duplicate types refused", &hr_rule_namespaces, "{\"hostNetwork\":\"allow\"}", FIX,
     NS(STD ",{\"type\":\"cgroup\"},{\"type\":\"pid\",\"path\":\"/proc/self/ns/pid\"}"), 0, 0, 1, 0,
     NULL, NULL},
    {"ns: upper-case type refused", &hr_rule_namespaces, "{\"hostNetwork\":\"allow\"}", FIX,
     NS(STD ",{\"type\":\"cgroup\"},{\"type\":\"NETWORK\"}"), 0, 0, 1, 0, NULL, NULL},
    {"ns: host pid namespace by path made private", &hr_rule_namespaces,
     "{\"hostNetwork\":\"allow\"}", FIX,
     NS("{\"type\":\"pid\",\"path\":\"/proc/self/ns/pid\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},"
	"{\"type\":\"mount\"},{\"type\":\"cgroup\"}"),
     0, 1, 0, 0, "linux/namespaces", NS_PID_FIXED},
    {"ns: unverifiable path refused", &hr_rule_namespaces, "{\"hostNetwork\":\"allow\"}", FIX,
     NS("{\"type\":\"pid\",\"path\":\"/nonexistent/ns\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},"
	"{\"type\":\"mount\"},{\"type\":\"cgroup\"}"),
     0, 0, 1, 0, NULL, NULL},
    {"ns: namespaces of the wrong type fail closed", &hr_rule_namespaces, NULL, FIX,
     "{\"linux\":{\"namespaces\":{\"type\":\"pid\"}}}", -1, ANY, ANY, ANY, NULL, NULL},
    {"ns: user namespace is the userns rule's", &hr_rule_namespaces, "{\"hostNetwork\":\"allow\"}",
     FIX, NS(STD ",{\"type\":\"cgroup\"},{\"type\":\"user\",\"path\":\"/proc/self/ns/user\"}"), 0,
     0, 0, 0, NULL, NULL},
    {"ns: host net namespace by path is host network", &hr_rule_namespaces,
     "{\"hostNetwork\":\"deny\"}", FIX,
     NS(STD ",{\"type\":\"cgroup\"},{\"type\":\"network\",\"path\":\"/proc/self/ns/net\"}"), 0, 1,
     0, 0, NULL, NULL},
    {"ns: requireNetworkNamespace refuses host network (deny)", &hr_rule_namespaces,
     "{\"hostNetwork\":\"allow\",\"requireNetworkNamespace\":true}", DENY,
     NS(STD ",{\"type\":\"cgroup\"}"), 0, 0, 1, 0, NULL, NULL},
    {"ns: bad hostNetwork value is a policy error", &hr_rule_namespaces,
     "{\"hostNetwork\":\"sometimes\"}", FIX, "{}", -2, ANY, ANY, ANY, NULL, NULL},

/* ---- devices ---- */
#define DEV(p, t, ma, mi)                                                                          \
	"{\"path\":\"" p "\",\"type\":\"" t "\",\"major\":" #ma ",\"minor\":" #mi "}"
    {"devices: host disk and memory nodes removed (fix)", &hr_rule_devices, NULL, FIX,
     "{\"linux\":{\"devices\":[" DEV("/dev/null", "c", 1, 3) "," DEV("/dev/sda", "b", 8, 0) "," DEV(
	 "/dev/mem", "c", 1, 1) "," DEV("/dev/kmsg", "c", 1, 11) "]}}",
     0, 3, 0, 0, "linux/devices", "[" DEV("/dev/null", "c", 1, 3) "]"},
    {"devices: same refused (deny)", &hr_rule_devices, NULL, DENY,
     "{\"linux\":{\"devices\":[" DEV("/dev/sda", "b", 8, 0) "]}}", 0, 0, 1, 0, NULL, NULL},
    {"devices: same recorded (warn)", &hr_rule_devices, NULL, WARN,
     "{\"linux\":{\"devices\":[" DEV("/dev/sda", "b", 8, 0) "]}}", 0, 0, 0, 1, NULL, NULL},
    {"devices: /dev/null with a disk's numbers removed", &hr_rule_devices, NULL, FIX,
     "{\"linux\":{\"devices\":[" DEV("/dev/null", "b", 8, 0) "," DEV("/dev/zero", "c", 1, 1) "]}}",
     0, 2, 0, 0, "linux/devices", "[]"},
    {"devices: allowedDevices lets /dev/fuse through", &hr_rule_devices,
     "{\"allowedDevices\":[\"c 10:229 /dev/fuse\"]}", FIX,
     "{\"linux\":{\"devices\":[" DEV("/dev/fuse", "c", 10, 229) "]}}", 0, 0, 0, 0, NULL, NULL},
    {"devices: allow-all cgroup rule replaced", &hr_rule_devices, NULL, FIX,
     "{\"linux\":{\"resources\":{\"devices\":[{\"allow\":true,\"access\":\"rwm\"}]}}}", 0, 1, 0, 0,
     "linux/resources/devices/0", DENY_ALL},
    {"devices: type a allow-all after a deny-all replaced", &hr_rule_devices, NULL, FIX,
     "{\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
     "{\"allow\":true,\"type\":\"a\",\"access\":\"r\"}]}}}",
     0, 1, 0, 0, NULL, NULL},
    {"devices: block rwm rule removed, deny-all kept", &hr_rule_devices, NULL, FIX,
     "{\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
     "{\"allow\":true,\"type\":\"b\",\"major\":8,\"minor\":0,\"access\":\"rwm\"},"
     "{\"allow\":true,\"type\":\"c\",\"access\":\"rw\"}]}}}",
     0, 2, 0, 0, "linux/resources/devices", "[{\"allow\":false,\"access\":\"rwm\"}]"},
#define DOCKER_DEV_RULES                                                                           \
	"{\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"            \
	"{\"allow\":true,\"type\":\"c\",\"access\":\"m\"},"                                        \
	"{\"allow\":true,\"type\":\"b\",\"access\":\"m\"},"                                        \
	"{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"},"              \
	"{\"allow\":true,\"type\":\"c\",\"major\":136,\"access\":\"rwm\"},"                        \
	"{\"allow\":true,\"type\":\"c\",\"major\":5,\"minor\":1,\"access\":\"rwm\"},"              \
	"{\"allow\":true,\"type\":\"c\",\"major\":5,\"minor\":2,\"access\":\"rwm\"},"              \
	"{\"allow\":true,\"type\":\"c\",\"major\":10,\"minor\":200,\"access\":\"rwm\"}]}}}"
    {"devices: Docker's default rules run, console and tun dropped", &hr_rule_devices, NULL, FIX,
     DOCKER_DEV_RULES, 0, 2, 0, 0, "linux/resources/devices/5/minor", "2"},
    {"devices: Docker's default rules not refused under deny, console still dropped",
     &hr_rule_devices, NULL, DENY, DOCKER_DEV_RULES, 0, 2, 0, 0, "linux/resources/devices/5/minor",
     "2"},
    {"devices: tun kept when allowedDevices names it", &hr_rule_devices,
     "{\"allowedDevices\":[\"c 10:200 /dev/net/tun\"]}", DENY, DOCKER_DEV_RULES, 0, 1, 0, 0,
     "linux/resources/devices/6/minor", "200"},
    {"devices: the console rule alone is dropped (c 5:1 rwm)", &hr_rule_devices, NULL, FIX,
     "{\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
     "{\"allow\":true,\"type\":\"c\",\"major\":5,\"minor\":1,\"access\":\"rw\"}]}}}",
     0, 1, 0, 0, "linux/resources/devices", "[{\"allow\":false,\"access\":\"rwm\"}]"},
    {"devices: a deny with access rwa is read as runc reads it", &hr_rule_devices, NULL, DENY,
     "{\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
     "{\"allow\":false,\"type\":\"c\",\"major\":1,\"minor\":11,\"access\":\"rwa\"}]}}}",
     0, 0, 0, 0, NULL, NULL},
    {"devices: an allow with letters runc ignores still counts its r/w", &hr_rule_devices, NULL,
     DENY,
     "{\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
     "{\"allow\":true,\"type\":\"b\",\"major\":8,\"minor\":0,\"access\":\"xrq\"}]}}}",
     0, 0, 1, 0, NULL, NULL},
    {"devices: an allow of type a with access m is allow-all", &hr_rule_devices, NULL, FIX,
     "{\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
     "{\"allow\":true,\"type\":\"a\",\"access\":\"m\"}]}}}",
     0, 1, 0, 0, "linux/resources/devices/1/access", "\"rwm\""},
    {"devices: empty access refused as runc refuses it", &hr_rule_devices, NULL, FIX,
     "{\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"\"}]}}}", -1, ANY, ANY,
     ANY, NULL, NULL},
    {"devices: cgroup type u refused as runc refuses it", &hr_rule_devices, NULL, FIX,
     "{\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"type\":\"u\","
     "\"access\":\"rwm\"}]}}}",
     -1, ANY, ANY, ANY, NULL, NULL},
    {"devices: rules without a leading deny-all get one", &hr_rule_devices, NULL, FIX,
     "{\"linux\":{\"resources\":{\"devices\":["
     "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rw\"}]}}}",
     0, 1, 0, 0, "linux/resources/devices/0", DENY_ALL},
    {"devices: rwx is rw to runc: a wildcard char allow, removed", &hr_rule_devices, NULL, FIX,
     "{\"linux\":{\"resources\":{\"devices\":[{\"allow\":true,\"type\":\"c\",\"access\":"
     "\"rwx\"}]}}}",
     0, 1, 0, 0, "linux/resources/devices", "[]"},
    {"devices: devices of the wrong type fail closed", &hr_rule_devices, NULL, FIX,
     "{\"linux\":{\"devices\":{}}}", -1, ANY, ANY, ANY, NULL, NULL},
    {"devices: bad allowedDevices entry is a policy error", &hr_rule_devices,
     "{\"allowedDevices\":[\"/dev/fuse\"]}", FIX, "{}", -2, ANY, ANY, ANY, NULL, NULL},

/* ---- resources ---- */
#define RL(t, h, s) "{\"type\":\"" t "\",\"hard\":" #h ",\"soft\":" #s "}"
    {"resources: pids limit added (fix)", &hr_rule_resources, "{\"rlimits\":{}}", FIX, "{}", 0, 1,
     0, 0, "linux/resources/pids/limit", "4096"},
    {"resources: pids limit missing refused (deny)", &hr_rule_resources, "{\"rlimits\":{}}", DENY,
     "{}", 0, 0, 1, 0, "linux/resources", "<absent>"},
    {"resources: pids limit missing recorded (warn)", &hr_rule_resources, "{\"rlimits\":{}}", WARN,
     "{}", 0, 0, 0, 1, NULL, NULL},
    {"resources: unlimited pids capped", &hr_rule_resources, "{\"pidsLimit\":100,\"rlimits\":{}}",
     FIX, "{\"linux\":{\"resources\":{\"pids\":{\"limit\":-1}}}}", 0, 1, 0, 0,
     "linux/resources/pids/limit", "100"},
    {"resources: pids above the max capped", &hr_rule_resources, "{\"rlimits\":{}}", FIX,
     "{\"linux\":{\"resources\":{\"pids\":{\"limit\":100000}}}}", 0, 1, 0, 0,
     "linux/resources/pids/limit", "4096"},
    {"resources: pids limit as a string fails closed", &hr_rule_resources, "{\"rlimits\":{}}", FIX,
     "{\"linux\":{\"resources\":{\"pids\":{\"limit\":\"100\"}}}}", -1, ANY, ANY, ANY, NULL, NULL},
    {"resources: memory limit and swap capped", &hr_rule_resources,
     "{\"memoryLimit\":268435456,\"rlimits\":{}}", FIX,
     "{\"linux\":{\"resources\":{\"pids\":{\"limit\":10},\"memory\":{\"limit\":1073741824,"
     "\"swap\":-1}}}}",
     0, 2, 0, 0, "linux/resources/memory", "{\"limit\":268435456,\"swap\":268435456}"},
    {"resources: rlimit above the cap lowered", &hr_rule_resources,
     "{\"rlimits\":{\"RLIMIT_NOFILE\":1024}}", FIX,
     "{\"linux\":{\"resources\":{\"pids\":{\"limit\":10}}},\"process\":{\"rlimits\":[" RL(
	 "RLIMIT_NOFILE", 1048576, 1048576) "]}}",
     0, 1, 0, 0, "process/rlimits", "[" RL("RLIMIT_NOFILE", 1024, 1024) "]"},
    {"resources: capped rlimit the config leaves out is added", &hr_rule_resources,
     "{\"rlimits\":{\"RLIMIT_NOFILE\":64}}", FIX,
     "{\"linux\":{\"resources\":{\"pids\":{\"limit\":10}}},\"process\":{}}", 0, 1, 0, 0,
     "process/rlimits", "[" RL("RLIMIT_NOFILE", 64, 64) "]"},
    {"resources: exec without rlimits inherits the container's", &hr_rule_resources,
     "{\"rlimits\":{\"RLIMIT_NOFILE\":64}}", FIX, "{\"args\":[\"sh\"]}", 0, 0, 0, 0, NULL, NULL,
     true},
    {"resources: unknown and mixed-case rlimits refused", &hr_rule_resources, "{\"rlimits\":{}}",
     FIX,
     "{\"linux\":{\"resources\":{\"pids\":{\"limit\":10}}},\"process\":{\"rlimits\":[" RL(
	 "rlimit_nofile", 1, 1) "," RL("RLIMIT_FOO", 1, 1) "]}}",
     0, 0, 2, 0, NULL, NULL},
    {"resources: duplicate rlimit refused", &hr_rule_resources, "{\"rlimits\":{}}", FIX,
     "{\"linux\":{\"resources\":{\"pids\":{\"limit\":10}}},\"process\":{\"rlimits\":[" RL(
	 "RLIMIT_CORE", 0, 0) "," RL("RLIMIT_CORE", 1, 1) "]}}",
     0, 0, 1, 0, NULL, NULL},
    {"resources: exec rlimits capped too", &hr_rule_resources,
     "{\"rlimits\":{\"RLIMIT_NPROC\":50}}", FIX,
     "{\"rlimits\":[" RL("RLIMIT_NPROC", 1000, 100) "]}", 0, 1, 0, 0, "rlimits",
     "[" RL("RLIMIT_NPROC", 50, 50) "]", true},
    {"resources: host-wide and malformed sysctls removed", &hr_rule_resources, "{\"rlimits\":{}}",
     FIX,
     "{\"linux\":{\"resources\":{\"pids\":{\"limit\":10}},\"namespaces\":[{\"type\":\"ipc\"},"
     "{\"type\":\"network\"}],\"sysctl\":{\"kernel.core_pattern\":\"|/x\","
     "\"kernel.shmmax\":\"1\",\"net.ipv4.ip_forward\":\"1\",\"KERNEL.SHMALL\":\"1\","
     "\"net.ipv4/../../kernel/core_pattern\":\"|/y\",\"net..core\":\"1\"}}}",
     0, 4, 0, 0, "linux/sysctl", "{\"kernel.shmmax\":\"1\",\"net.ipv4.ip_forward\":\"1\"}"},
    {"resources: namespaced sysctls need their namespace", &hr_rule_resources, "{\"rlimits\":{}}",
     FIX,
     "{\"linux\":{\"resources\":{\"pids\":{\"limit\":10}},\"sysctl\":{\"kernel.shmmax\":\"1\","
     "\"net.ipv4.ip_forward\":\"1\",\"fs.mqueue.msg_max\":\"1\"}}}",
     0, 3, 0, 0, "linux/sysctl", "{}"},
    {"resources: sysctl value of the wrong type fails closed", &hr_rule_resources,
     "{\"rlimits\":{}}", FIX, "{\"linux\":{\"sysctl\":{\"net.ipv4.ip_forward\":1}}}", -1, ANY, ANY,
     ANY, NULL, NULL},
    {"resources: unknown rlimit in the policy is an error", &hr_rule_resources,
     "{\"rlimits\":{\"RLIMIT_FILES\":1}}", FIX, "{}", -2, ANY, ANY, ANY, NULL, NULL},
};

/* Object keys (Go-folded) and array indices, '/'-separated. */
static struct hr_json *get_path(struct hr_json *j, const char *path)
{
	_cleanup_free_ char *copy = hr_xstrdup(path);
	char *save = NULL;
	for (char *c = strtok_r(copy, "/", &save); j && c; c = strtok_r(NULL, "/", &save)) {
		if (j->type == HR_JSON_ARRAY) {
			size_t i = strtoul(c, NULL, 10);
			j = i < j->arr.len ? j->arr.items[i] : NULL;
		} else {
			j = hr_json_get(j, c);
		}
	}
	return j;
}

static size_t count(const struct hr_findings *f, enum hr_action a)
{
	size_t n = 0;
	for (size_t i = 0; i < f->len; i++)
		n += f->items[i].action == a;
	return n;
}

static bool findings_contain(const struct hr_findings *f, const char *text)
{
	for (size_t i = 0; i < f->len; i++) {
		const struct hr_finding *x = &f->items[i];
		const char *fields[] = {x->path, x->before, x->after, x->reason};
		for (size_t k = 0; k < 4; k++)
			if (fields[k] && strstr(fields[k], text))
				return true;
	}
	return false;
}

static void dump(const struct hr_findings *f)
{
	for (size_t i = 0; i < f->len; i++)
		printf("#   finding %s %s: %s (%s -> %s)\n", hr_action_name(f->items[i].action),
		       f->items[i].path, f->items[i].reason,
		       f->items[i].before ? f->items[i].before : "-",
		       f->items[i].after ? f->items[i].after : "-");
}

static int expected_count(int n)
{
	return n <= -100 ? (-n - 100) + (have_cgroupns ? 1 : 0) : n;
}

static void *load_settings(const struct hr_rule *rule, const char *text, int *rc)
{
	struct hr_error *err = NULL;
	_cleanup_json_ struct hr_json *sec = NULL;
	void *settings = NULL;

	if (text && !(sec = hr_json_parse(text, strlen(text), NULL, &err))) {
		printf("# settings: %s\n", err->msg);
		hr_error_clear(&err);
		*rc = -3;
		return NULL;
	}
	*rc = rule->parse(sec, "test.json", &settings, &err);
	if (*rc < 0) {
		printf("#   policy error: %s\n", err ? err->msg : "(none)");
		*rc = -2;
	}
	hr_error_clear(&err);
	return settings;
}

static void run_case(const struct tcase *t)
{
	struct hr_error *err = NULL;
	int rc = 0;
	void *settings = load_settings(t->rule, t->settings, &rc);
	_cleanup_json_ struct hr_json *spec = NULL;

	if (rc == 0) {
		spec = hr_json_parse(t->config, strlen(t->config), NULL, &err);
		if (!spec) {
			ok(0, "%s: config parses (%s)", t->name, err->msg);
			hr_error_clear(&err);
			t->rule->free_settings(settings);
			return;
		}
	}
	struct hr_ctx ctx = {.entry = t->exec ? HR_ENTRY_EXEC : HR_ENTRY_CREATE, .spec = spec};
	if (rc == 0) {
		ctx.cur_rule = t->rule->name;
		ctx.cur_action = t->action;
		rc = (t->exec ? t->rule->apply_process : t->rule->apply)(&ctx, settings, &err);
		if (rc < 0)
			printf("#   error: %s\n", err ? err->msg : "(none)");
		ok(rc >= 0 || err, "%s: an error comes with a message", t->name);
		hr_error_clear(&err);
	}
	bool good = (rc < 0 ? rc : 0) == t->rc;
	if (rc == 0) {
		good = good && (t->nfix == ANY ||
				count(&ctx.findings, FIX) == (size_t)expected_count(t->nfix));
		good = good && (t->ndeny == ANY || count(&ctx.findings, DENY) == (size_t)t->ndeny);
		good = good && (t->nwarn == ANY || count(&ctx.findings, WARN) == (size_t)t->nwarn);
		good = good && ctx.findings.denials == count(&ctx.findings, DENY);
	}
	ok(good, "%s: rc and findings", t->name);
	if (!good) {
		printf("#   rc %d, fix %zu deny %zu warn %zu\n", rc, count(&ctx.findings, FIX),
		       count(&ctx.findings, DENY), count(&ctx.findings, WARN));
		dump(&ctx.findings);
	}
	if (rc == 0 && t->path) {
		struct hr_json *j = get_path(spec, t->path);
		_cleanup_free_ char *got = j ? hr_json_brief(j) : hr_xstrdup("<absent>");
		is_str(got, t->want, "%s: %s", t->name, t->path);
	}
	if (t->secret)
		ok(!findings_contain(&ctx.findings, t->secret),
		   "%s: findings never hold the secret", t->name);
	hr_findings_free(&ctx.findings);
	if (settings)
		t->rule->free_settings(settings);
}

/*
 * A helper process in new uts and network namespaces: "another container"
 * (with CLONE_NEWUSER in flags, as hardrun makes them: owned by its own
 * user namespace; without, root-made ones owned by the host's).
 */
static pid_t start_pod(int flags)
{
	int p[2];
	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		char c =
		    unshare(flags | CLONE_NEWUTS | CLONE_NEWNET | (flags ? CLONE_NEWPID : 0)) == 0
			? 'y'
			: 'n';
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	char c = 'n';
	close(p[1]);
	if (pid < 0 || read(p[0], &c, 1) != 1 || c != 'y') {
		close(p[0]);
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		return -1;
	}
	close(p[0]);
	snprintf(pod_uts, sizeof(pod_uts), "/proc/%d/ns/uts", (int)pid);
	snprintf(pod_net, sizeof(pod_net), "/proc/%d/ns/net", (int)pid);
	return pid;
}

/* Runs one config through a rule, returning the findings and the tree. */
static int run_one(const struct hr_rule *rule, const char *settings_text, enum hr_action a,
		   const char *config, struct hr_json **spec_out, struct hr_findings *out)
{
	struct hr_error *err = NULL;
	int rc = 0;
	void *settings = load_settings(rule, settings_text, &rc);
	struct hr_json *spec = hr_json_parse(config, strlen(config), NULL, &err);
	struct hr_ctx ctx = {.spec = spec, .cur_rule = rule->name, .cur_action = a};
	if (rc == 0 && spec)
		rc = rule->apply(&ctx, settings, &err);
	hr_error_clear(&err);
	rule->free_settings(settings);
	*out = ctx.findings;
	*spec_out = spec;
	return spec ? rc : -1;
}

static void pod_tests(void)
{
	pid_t pod = start_pod(CLONE_NEWUSER);
	have_pod = pod > 0;
	if (!have_pod) {
		for (int i = 0; i < 5; i++)
			ok(1, "# SKIP cannot create namespaces for a pod stand-in");
		return;
	}
	_cleanup_free_ char *cfg = hr_xasprintf(
	    NS("{\"type\":\"pid\"},{\"type\":\"ipc\"},{\"type\":\"uts\",\"path\":\"%s\"},"
	       "{\"type\":\"mount\"},{\"type\":\"cgroup\"},{\"type\":\"network\",\"path\":\"%s\"}"),
	    pod_uts, pod_net);
	struct hr_findings f = {0};
	_cleanup_json_ struct hr_json *spec = NULL;
	int rc = run_one(&hr_rule_namespaces,
			 "{\"hostNetwork\":\"deny\",\"requireNetworkNamespace\":true}", FIX, cfg,
			 &spec, &f);
	struct hr_json *uts0 = get_path(spec, "linux/namespaces/2");
	_cleanup_free_ char *u0 = uts0 ? hr_json_brief(uts0) : NULL;
	ok(rc == 0 && f.len == 1 && f.denials == 0 && u0 && strcmp(u0, "{\"type\":\"uts\"}") == 0,
	   "ns: another container's uts namespace (owned by a user namespace hardrun made for no "
	   "pod of this container) becomes a private one; its network namespace is shared");
	dump(&f);
	hr_findings_free(&f);
	hr_json_free(spec);
	spec = NULL;
	rc = run_one(&hr_rule_namespaces, "{\"privateNetwork\":true}", FIX, cfg, &spec, &f);
	struct hr_json *net = get_path(spec, "linux/namespaces/5");
	_cleanup_free_ char *got = net ? hr_json_brief(net) : NULL;
	ok(rc == 0 && count(&f, FIX) == 2 && got && strcmp(got, "{\"type\":\"network\"}") == 0,
	   "ns: privateNetwork replaces a joined network namespace with a new one");
	hr_findings_free(&f);
	hr_json_free(spec);
	spec = NULL;
	/* its pid namespace: /proc/1/root of the other container would be ours */
	_cleanup_free_ char *pcfg = hr_xasprintf(
	    NS("{\"type\":\"pid\",\"path\":\"/proc/%d/ns/pid_for_children\"},{\"type\":\"ipc\"},"
	       "{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"cgroup\"},{\"type\":"
	       "\"network\"}"),
	    (int)pod);
	rc = run_one(&hr_rule_namespaces, "{}", FIX, pcfg, &spec, &f);
	ok(rc == 0 && f.denials == 1 && strcmp(f.items[0].path, "linux.namespaces[0]") == 0,
	   "ns: another container's pid namespace is refused, never fixed");
	dump(&f);
	hr_findings_free(&f);
	hr_json_free(spec);
	spec = NULL;
	kill(pod, SIGKILL);
	waitpid(pod, NULL, 0);
	/* Root-made: owned by the initial user namespace, so host root's. */
	pod = start_pod(0);
	if (pod < 0) {
		ok(0, "root-made namespaces for a stand-in");
		ok(0, "root-made namespaces for a stand-in");
		return;
	}
	_cleanup_free_ char *cfg2 = hr_xasprintf(
	    NS("{\"type\":\"pid\"},{\"type\":\"ipc\"},{\"type\":\"uts\",\"path\":\"%s\"},"
	       "{\"type\":\"mount\"},{\"type\":\"cgroup\"},{\"type\":\"network\",\"path\":\"%s\"}"),
	    pod_uts, pod_net);
	rc = run_one(&hr_rule_namespaces, "{\"hostNetwork\":\"deny\"}", FIX, cfg2, &spec, &f);
	struct hr_json *uts = get_path(spec, "linux/namespaces/2");
	_cleanup_free_ char *ug = uts ? hr_json_brief(uts) : NULL;
	ok(rc == 0 && count(&f, FIX) == 1 && ug && strcmp(ug, "{\"type\":\"uts\"}") == 0,
	   "ns: a uts namespace owned by the host's user namespace is the host's: path dropped "
	   "(%s)",
	   ug ? ug : "none");
	ok(f.denials == 0, "ns: a network namespace root made (CNI) is not the host's");
	hr_findings_free(&f);
	kill(pod, SIGKILL);
	waitpid(pod, NULL, 0);
}

/* Symlinks an image can ship to hide the CVE-2024-21626 working directory. */
static void rootfs_cwd_tests(void)
{
	static const struct {
		const char *cwd;
		size_t denials, len;
		const char *name;
	} c[] = {
	    {"/work", 1, 1, "rootfs symlink /work -> /proc/self/fd/7"},
	    {"/a/7", 1, 1, "relative symlink /a -> ../proc/self/fd climbing above the rootfs"},
	    {"/deep/3", 1, 1, "symlink chain /deep -> a"},
	    {"/loop", 0, 1, "symlink loop reported (a warning under warn)"},
	    {"/devfd", 1, 1, "rootfs symlink to /dev/fd/8"},
	    {"/up", 1, 1, "rootfs symlink climbing out of a leaked fd"},
	    {"/ok", 0, 0, "symlink to an ordinary directory passes"},
	    {"/missing/dir", 0, 0, "a directory the runtime will create passes"},
	};
	char dir[] = "/tmp/hr-rules-a-XXXXXX";
	if (!mkdtemp(dir)) {
		for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
			ok(1, "# SKIP cannot create a temporary bundle");
		return;
	}
	_cleanup_free_ char *rootfs = hr_xasprintf("%s/rootfs", dir);
	bool made = mkdir(rootfs, 0755) == 0;
	const char *links[][2] = {{"/proc/self/fd/7", "work"},
				  {"../proc/self/fd", "a"},
				  {"a", "deep"},
				  {"loop", "loop"},
				  {"/tmp", "ok"},
				  {"/dev/fd/8", "devfd"},
				  {"/proc/self/fd/7/../../..", "up"}};
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		_cleanup_free_ char *l = hr_xasprintf("%s/%s", rootfs, links[i][1]);
		made = made && symlink(links[i][0], l) == 0;
	}
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct hr_error *err = NULL;
		int rc = 0;
		void *s = load_settings(&hr_rule_process, NULL, &rc);
		_cleanup_free_ char *cfg = hr_xasprintf(
		    "{\"root\":{\"path\":\"rootfs\"},\"process\":{\"noNewPrivileges\":true,"
		    "\"cwd\":\"%s\"}}",
		    c[i].cwd);
		_cleanup_json_ struct hr_json *spec = hr_json_parse(cfg, strlen(cfg), NULL, &err);
		struct hr_ctx ctx = {.spec = spec,
				     .bundle = dir,
				     .cur_rule = "process",
				     .cur_action = HR_ACTION_WARN};
		rc = made && spec ? hr_rule_process.apply(&ctx, s, &err) : -1;
		ok(rc == 0 && ctx.findings.denials == c[i].denials && ctx.findings.len == c[i].len,
		   "process: %s (cwd denied even under warn)", c[i].name);
		if (ctx.findings.denials != c[i].denials)
			dump(&ctx.findings);
		hr_findings_free(&ctx.findings);
		hr_error_clear(&err);
		hr_rule_process.free_settings(s);
	}
	_cleanup_free_ char *cmd = hr_xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
}

static void update_tests(void)
{
	static const struct {
		const char *name, *settings, *json;
		long long pids, mem, swap;
		size_t denials;
	} u[] = {
	    {"update: pids within the max", NULL, NULL, 100, HR_UPDATE_UNSET, HR_UPDATE_UNSET, 0},
	    {"update: --pids-limit above the max", NULL, NULL, 100000, HR_UPDATE_UNSET,
	     HR_UPDATE_UNSET, 1},
	    {"update: -r pids unlimited", NULL, "{\"pids\":{\"limit\":-1}}", HR_UPDATE_UNSET,
	     HR_UPDATE_UNSET, HR_UPDATE_UNSET, 1},
	    {"update: -r pids at the flag sentinel is still unlimited", NULL,
	     "{\"pids\":{\"limit\":-9223372036854775808}}", HR_UPDATE_UNSET, HR_UPDATE_UNSET,
	     HR_UPDATE_UNSET, 1},
	    {"update: -r pids 0 leaves it unchanged", NULL, "{\"pids\":{\"limit\":0}}",
	     HR_UPDATE_UNSET, HR_UPDATE_UNSET, HR_UPDATE_UNSET, 0},
	    {"update: --memory above the profile", "{\"memoryLimit\":1048576}", NULL,
	     HR_UPDATE_UNSET, 1 << 30, HR_UPDATE_UNSET, 1},
	    {"update: -r memory swap unlimited", "{\"memoryLimit\":1048576}",
	     "{\"memory\":{\"limit\":4096,\"swap\":-1}}", HR_UPDATE_UNSET, HR_UPDATE_UNSET,
	     HR_UPDATE_UNSET, 1},
	    {"update: --memory-swap -1 (unlimited swap) under a memory limit",
	     "{\"memoryLimit\":1048576}", NULL, HR_UPDATE_UNSET, HR_UPDATE_UNSET, -1, 1},
	    {"update: --memory-swap above the profile", "{\"memoryLimit\":1048576}", NULL,
	     HR_UPDATE_UNSET, 1048576, 1 << 30, 1},
	    {"update: --memory-swap within the profile", "{\"memoryLimit\":1048576}", NULL,
	     HR_UPDATE_UNSET, 524288, 1048576, 0},
	    {"update: memory free without a profile limit", NULL, "{\"memory\":{\"limit\":-1}}",
	     HR_UPDATE_UNSET, HR_UPDATE_UNSET, HR_UPDATE_UNSET, 0},
	};
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		int rc = 0;
		struct hr_error *err = NULL;
		void *s = load_settings(&hr_rule_resources, u[i].settings, &rc);
		struct hr_ctx ctx = {0};
		rc = rc < 0 ? rc
			    : hr_resources_check_update(&ctx, s, u[i].json, u[i].pids, u[i].mem,
							u[i].swap, &err);
		ok(rc == 0 && ctx.findings.denials == u[i].denials, "%s", u[i].name);
		hr_findings_free(&ctx.findings);
		hr_error_clear(&err);
		hr_rule_resources.free_settings(s);
	}
	int rc = 0;
	struct hr_error *err = NULL;
	void *s = load_settings(&hr_rule_resources, NULL, &rc);
	struct hr_ctx ctx = {0};
	rc = hr_resources_check_update(&ctx, s, "{\"pids\":{\"limit\":\"9\"}}", HR_UPDATE_UNSET,
				       HR_UPDATE_UNSET, HR_UPDATE_UNSET, &err);
	ok(rc < 0 && err, "update: a mistyped request fails closed");
	hr_error_clear(&err);
	hr_findings_free(&ctx.findings);
	hr_rule_resources.free_settings(s);

	/* resources.unapplied: deny unless the profile says warn */
	static const struct {
		const char *settings;
		int parsed; /* 0, or -2 for a policy error */
		bool fatal;
	} un[] = {
	    {NULL, 0, true},
	    {"{\"unapplied\":\"deny\"}", 0, true},
	    {"{\"unapplied\":\"warn\"}", 0, false},
	    {"{\"unapplied\":\"Warn\"}", -2, true},
	    {"{\"unapplied\":true}", -2, true},
	};
	for (size_t i = 0; i < sizeof(un) / sizeof(un[0]); i++) {
		void *us = load_settings(&hr_rule_resources, un[i].settings, &rc);
		ok(rc == un[i].parsed &&
		       hr_resources_unapplied_fatal(rc == 0 ? us : NULL) == un[i].fatal,
		   "resources.unapplied %s: %s", un[i].settings ? un[i].settings : "unset",
		   un[i].parsed	 ? "policy error"
		   : un[i].fatal ? "fatal"
				 : "warning");
		hr_rule_resources.free_settings(us);
	}
	ok(hr_resources_unapplied_fatal(NULL), "resources.unapplied: no resources rule is fatal");
}

/* hr_path_normalise(): the lexical normaliser the process, mounts and hooks rules share. */
static bool stop_at_fd(const char *prefix)
{
	return strcmp(prefix, "/proc/self/fd/7") == 0;
}

static void path_tests(void)
{
	static const char *const t[][2] = {
	    {"", "/"},
	    {"/", "/"},
	    {"//", "/"},
	    {"/..", "/"},
	    {"/../../etc", "/etc"},
	    {"etc/./passwd", "/etc/passwd"},
	    {"/var//run/./docker.sock", "/var/run/docker.sock"},
	    {"/var/run/../run/docker.sock", "/var/run/docker.sock"},
	    {"/a/b/../../..", "/"},
	    {"/a/b/", "/a/b"},
	    {"/a/.../b", "/a/.../b"},
	    {"/a/..b/..", "/a"},
	};
	bool stopped = true;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		_cleanup_free_ char *n = hr_path_normalise(t[i][0]);
		is_str(n, t[i][1], "path: `%s` normalises to `%s`", t[i][0], t[i][1]);
	}
	_cleanup_free_ char *a =
	    hr_path_normalise_until("/proc/self/fd/7/../../..", stop_at_fd, &stopped);
	ok(stopped && strcmp(a, "/proc/self/fd/7") == 0,
	   "path: the walk stops at a magic prefix, later .. not applied (%s)", a);
	_cleanup_free_ char *b =
	    hr_path_normalise_until("/proc/self/../1/fd", stop_at_fd, &stopped);
	ok(!stopped && strcmp(b, "/proc/1/fd") == 0, "path: no magic prefix, plain result (%s)", b);
}

int main(void)
{
	have_cgroupns = access("/proc/self/ns/cgroup", F_OK) == 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	pod_tests();
	rootfs_cwd_tests();
	update_tests();
	path_tests();

	struct hr_error *err = NULL;
	const char *clash = "{\"process\":{},\"Process\":{\"capabilities\":{}}}";
	struct hr_json *j = hr_json_parse(clash, strlen(clash), NULL, &err);
	ok(!j && err, "\"Process\" next to \"process\" is rejected before any rule runs");
	hr_json_free(j);
	hr_error_clear(&err);

	bool host = false;
	ok(hr_ns_path_is_host("pid", "/proc/self/ns/pid", &host, &err) == 0 && host,
	   "hardrun's own pid namespace is the host's");
	hr_error_clear(&err);
	return tap_done();
}
