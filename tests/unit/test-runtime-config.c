/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The builtin runtime's parent-side compilation of a config: what the child
 * will apply is decided here, so bad input must fail here.
 */
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "hardrun/json.h"
#include "src/runtime/rt.h"
#include "tap.h"

static struct hr_json *parse(const char *text)
{
	struct hr_error *err = NULL;
	struct hr_json *j = hr_json_parse(text, strlen(text), NULL, &err);
	if (!j) {
		printf("# parse: %s\n", err->msg);
		exit(2);
	}
	return j;
}

#define BASE                                                                                       \
	"\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"env\":[\"PATH=/bin\"],"                    \
	"\"user\":{\"uid\":1000,\"gid\":1000,\"additionalGids\":[5,6]},"                           \
	"\"noNewPrivileges\":true,"                                                                \
	"\"capabilities\":{\"bounding\":[\"CAP_KILL\",\"CAP_CHOWN\"],\"effective\":[\"CAP_KILL\"]" \
	","                                                                                        \
	"\"permitted\":[\"CAP_KILL\"],\"ambient\":[\"CAP_KILL\"]},"                                \
	"\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":512}],"                   \
	"\"oomScoreAdj\":100},"                                                                    \
	"\"root\":{\"path\":\"rootfs\",\"readonly\":true},\"hostname\":\"box\","

static int load(const char *text, struct hr_rt_config *c, struct hr_error **err)
{
	struct hr_json *spec = parse(text);
	int r = hr_rt_config_load(c, spec, "/bundle", "id1", err);
	c->annotations = NULL; /* borrowed from spec */
	hr_json_free(spec);
	return r;
}

static void test_full(void)
{
	struct hr_rt_config c;
	struct hr_error *err = NULL;
	int r = load("{" BASE "\"mounts\":[{\"destination\":\"/data\",\"type\":\"bind\","
		     "\"source\":\"data\",\"options\":[\"rbind\",\"ro\",\"nosuid\",\"rprivate\""
		     "]},{\"destination\":\"/tmp\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
		     "\"options\":[\"nodev\",\"size=1m\",\"exec\"]}],"
		     "\"linux\":{\"namespaces\":[{\"type\":\"user\"},{\"type\":\"mount\"},"
		     "{\"type\":\"pid\"},{\"type\":\"uts\"},{\"type\":\"network\","
		     "\"path\":\"/proc/1/ns/net\"}],"
		     "\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
		     "\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
		     "\"maskedPaths\":[\"/proc/kcore\"],\"readonlyPaths\":[\"/proc/sys\"],"
		     "\"sysctl\":{\"net.ipv4.ip_forward\":\"0\"},"
		     "\"devices\":[{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,"
		     "\"minor\":229,\"fileMode\":438}],"
		     "\"resources\":{\"pids\":{\"limit\":100},\"memory\":{\"limit\":1048576}}}}",
		     &c, &err);

	ok(r == 0, "a complete config loads%s%s", err ? ": " : "", err ? err->msg : "");
	if (r < 0)
		return;
	is_str(c.rootfs, "/bundle/rootfs", "a relative root.path is relative to the bundle");
	ok(c.root_readonly, "root.readonly");
	ok(c.clone_flags == (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS),
	   "namespaces without a path are created");
	ok(c.n_ns_paths == 1 && c.ns_paths[0].type == CLONE_NEWNET,
	   "a namespace with a path is joined");
	is_str(c.uid_map, "0 100000 65536\n", "uid_map text");
	is_str(c.cgroups_path, "hardrun/id1", "default cgroups path is hardrun/<id>");
	ok(c.n_devices == 1 && c.devices[0].type == 'c' && c.devices[0].major == 10 &&
	       c.devices[0].minor == 229 && c.devices[0].mode == 0666,
	   "linux.devices entry");
	ok(c.res.pids_limit == 100 && c.res.memory_limit == 1048576, "resources read");
	is_str(c.sysctl[0], "net.ipv4.ip_forward=0", "sysctl as key=value");
	is_str(c.mounts[0].source, "/bundle/data",
	       "a relative bind source is relative to the bundle");
	ok(c.mounts[0].bind && (c.mounts[0].flags & MS_REC) && (c.mounts[0].flags & MS_RDONLY) &&
	       (c.mounts[0].flags & MS_NOSUID),
	   "rbind,ro,nosuid become MS_BIND|MS_REC|MS_RDONLY|MS_NOSUID");
	ok(c.mounts[0].n_propagation == 1 && c.mounts[0].propagation[0] == (MS_PRIVATE | MS_REC),
	   "rprivate is a propagation change");
	ok(c.mounts[0].data == NULL, "a bind has no mount data");
	ok((c.mounts[1].flags & MS_NODEV) && (c.mounts[1].clear & MS_NOEXEC) && !c.mounts[1].bind,
	   "exec clears MS_NOEXEC");
	is_str(c.mounts[1].data, "size=1m", "tmpfs data");
	ok(c.proc.uid == 1000 && c.proc.gid == 1000 && c.proc.n_gids == 2 && c.proc.gids[1] == 6,
	   "user and additional gids");
	ok(c.proc.no_new_privs, "noNewPrivileges");
	ok(c.proc.bounding == ((1ULL << CAP_KILL) | (1ULL << CAP_CHOWN)), "bounding mask");
	ok(c.proc.ambient == (1ULL << CAP_KILL), "ambient mask");
	ok(c.proc.n_rlimits == 1 && c.proc.rlimits[0].value.rlim_cur == 512 &&
	       c.proc.rlimits[0].value.rlim_max == 1024,
	   "rlimits");
	ok(c.proc.has_oom && c.proc.oom_score_adj == 100, "oomScoreAdj");
	ok(c.proc.bpf == NULL, "no seccomp object, no filter");
	hr_rt_config_free(&c);
}

static void expect_error(const char *what, const char *text, const char *needle)
{
	struct hr_rt_config c;
	struct hr_error *err = NULL;
	int r = load(text, &c, &err);

	ok(r < 0 && err && strstr(err->msg, needle), "%s is refused (%s)", what,
	   err ? err->msg : "no error");
	hr_error_clear(&err);
	hr_rt_config_free(&c);
}

static void test_errors(void)
{
	expect_error("an unknown capability",
		     "{\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"capabilities\":{\"bounding\":"
		     "[\"CAP_NOPE\"]}},\"root\":{\"path\":\"r\"},\"linux\":{\"namespaces\":"
		     "[{\"type\":\"mount\"}]}}",
		     "CAP_NOPE");
	expect_error("a user namespace without mappings",
		     "{\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"},\"root\":{\"path\":\"r\"},"
		     "\"linux\":{\"namespaces\":[{\"type\":\"user\"},{\"type\":\"mount\"}]}}",
		     "uidMappings");
	expect_error("no mount namespace",
		     "{\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"},\"root\":{\"path\":\"r\"},"
		     "\"linux\":{\"namespaces\":[]}}",
		     "mount namespace");
	expect_error("a relative cwd",
		     "{\"process\":{\"args\":[\"sh\"],\"cwd\":\"tmp\"},\"root\":{\"path\":\"r\"},"
		     "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}]}}",
		     "cwd");
	expect_error("an unknown namespace type",
		     "{\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"},\"root\":{\"path\":\"r\"},"
		     "\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"bogus\"}]}}",
		     "bogus");
	expect_error("an unknown rlimit",
		     "{\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":"
		     "\"RLIMIT_NOPE\",\"soft\":1,\"hard\":1}]},\"root\":{\"path\":\"r\"},"
		     "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}]}}",
		     "RLIMIT_NOPE");
	expect_error("a hostname without a uts namespace",
		     "{\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"},\"root\":{\"path\":\"r\"},"
		     "\"hostname\":\"x\",\"linux\":{\"namespaces\":[{\"type\":\"mount\"}]}}",
		     "uts");
	expect_error("a cgroupsPath climbing out of the hierarchy",
		     "{\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"},\"root\":{\"path\":\"r\"},"
		     "\"linux\":{\"cgroupsPath\":\"/a/../../../"
		     "etc\",\"namespaces\":[{\"type\":\"mount\"}]}}",
		     "cgroupsPath");
	expect_error("idmap mount options (not done by this runtime)",
		     "{\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"},\"root\":{\"path\":\"r\"},"
		     "\"mounts\":[{\"destination\":\"/x\",\"source\":\"/x\",\"options\":[\"bind\","
		     "\"idmap\"]}],\"linux\":{\"namespaces\":[{\"type\":\"mount\"}]}}",
		     "idmap");
}

static void test_seccomp(void)
{
	struct hr_rt_config c;
	struct hr_error *err = NULL;
	int r = load("{" BASE "\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"uts\"}],"
		     "\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":"
		     "[\"SCMP_ARCH_X86_64\"],\"syscalls\":[{\"names\":[\"read\",\"write\","
		     "\"exit_group\"],\"action\":\"SCMP_ACT_ALLOW\"}]}}}",
		     &c, &err);

	ok(r == 0 && c.proc.bpf && c.proc.bpf_len > 3,
	   "a seccomp object compiles to a BPF program%s%s", err ? ": " : "", err ? err->msg : "");
	hr_error_clear(&err);
	hr_rt_config_free(&c);
}

static void test_signals(void)
{
	int sig = 0;

	ok(hr_rt_parse_signal("KILL", &sig) == 0 && sig == SIGKILL, "KILL");
	ok(hr_rt_parse_signal("SIGTERM", &sig) == 0 && sig == SIGTERM, "SIGTERM");
	ok(hr_rt_parse_signal("sigusr1", &sig) == 0 && sig == SIGUSR1,
	   "names are case-insensitive");
	ok(hr_rt_parse_signal("9", &sig) == 0 && sig == 9, "numbers");
	ok(hr_rt_parse_signal("0", &sig) == 0 && sig == 0, "0 (runc: is the container there?)");
	ok(hr_rt_parse_signal("-1", &sig) < 0, "negative numbers are refused");
	ok(hr_rt_parse_signal("SIGNOPE", &sig) < 0, "unknown names are refused");
	ok(hr_rt_parse_signal("9x", &sig) < 0, "trailing garbage is refused");
}

static void test_state_json(void)
{
	struct hr_rt_state s = {.id = "c1",
				.bundle = "/b",
				.rootfs = "/b/rootfs",
				.created = "2026-01-01T00:00:00Z",
				.pid = 42};
	struct hr_json *j = hr_rt_state_json(&s, "running");
	struct hr_json *k = hr_rt_state_json(&s, "stopped");
	int64_t pid = -1;

	hr_json_as_int64(hr_json_get(j, "pid"), &pid);
	ok(pid == 42, "running state has the pid");
	is_str(hr_json_as_string(hr_json_get(j, "status")), "running", "status");
	is_str(hr_json_as_string(hr_json_get(j, "ociVersion")), "1.0.2-dev",
	       "ociVersion as runc 1.1");
	hr_json_as_int64(hr_json_get(k, "pid"), &pid);
	ok(pid == 0, "a stopped container reports pid 0, as runc");
	ok(hr_json_get(j, "annotations") == NULL, "no empty annotations member");
	hr_json_free(j);
	hr_json_free(k);
}

static void test_pid_starttime(void)
{
	unsigned long long st = 0;

	ok(hr_rt_pid_starttime(getpid(), &st) == 0 && st > 0, "our own start time is readable");
	ok(hr_rt_pid_alive(getpid(), st), "alive with the right start time");
	ok(!hr_rt_pid_alive(getpid(), st + 1), "a different start time is another process");
}

int main(void)
{
	test_full();
	test_errors();
	test_seccomp();
	test_signals();
	test_state_json();
	test_pid_starttime();
	return tap_done();
}
