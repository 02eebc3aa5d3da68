/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Mount options as the builtin runtime compiles them: runc 1.1's recursive
 * options become mount_setattr(AT_RECURSIVE) attributes, an option nobody
 * knows is an error where no filesystem would parse it, and /proc takes
 * nothing but proc.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "hardrun/json.h"
#include "src/runtime/rt.h"
#include "tap.h"

/* Load a config whose only mount is {dest, type, source, options}. */
static int load_mount(const char *dest, const char *type, const char *opts, struct hr_rt_config *c,
		      struct hr_error **err)
{
	char text[2048];
	struct hr_json *spec;
	int r;

	snprintf(text, sizeof(text),
		 "{\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"},\"root\":{\"path\":\"r\"},"
		 "\"mounts\":[{\"destination\":\"%s\",\"type\":\"%s\",\"source\":\"/src\","
		 "\"options\":[%s]}],\"linux\":{\"namespaces\":[{\"type\":\"mount\"}]}}",
		 dest, type, opts);
	spec = hr_json_parse(text, strlen(text), NULL, err);
	if (!spec)
		return -1;
	r = hr_rt_config_load(c, spec, "/bundle", "id1", err);
	c->annotations = NULL;
	hr_json_free(spec);
	return r;
}

/* The attributes the options give, or a note of the error. */
static bool attrs(const char *opts, uint64_t set, uint64_t clr, const char *what)
{
	struct hr_rt_config c;
	struct hr_error *err = NULL;
	int r = load_mount("/v", "bind", opts, &c, &err);
	bool good = r == 0 && c.n_mounts == 1 && c.mounts[0].rec && c.mounts[0].rec_set == set &&
		    c.mounts[0].rec_clr == clr;

	ok(good, "%s: set %#llx clr %#llx%s%s", what, (unsigned long long)set,
	   (unsigned long long)clr, err ? " / " : "", err ? err->msg : "");
	if (r == 0 && !good)
		printf("# got set %#llx clr %#llx\n", (unsigned long long)c.mounts[0].rec_set,
		       (unsigned long long)c.mounts[0].rec_clr);
	hr_error_clear(&err);
	hr_rt_config_free(&c);
	return good;
}

static void test_recursive(void)
{
	attrs("\"rbind\",\"rro\"", MOUNT_ATTR_RDONLY, 0, "rro");
	attrs("\"rbind\",\"rro\",\"rrw\"", 0, MOUNT_ATTR_RDONLY, "rrw after rro clears it");
	attrs("\"rbind\",\"rnosuid\",\"rnodev\",\"rnoexec\"",
	      MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 0,
	      "rnosuid,rnodev,rnoexec");
	attrs("\"rbind\",\"rsuid\",\"rdev\",\"rexec\"", 0,
	      MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, "rsuid,rdev,rexec");
	/* an atime mode replaces the whole field: the kernel wants it cleared too */
	attrs("\"rbind\",\"rnoatime\"", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME, "rnoatime");
	attrs("\"rbind\",\"rnoatime\",\"rstrictatime\"", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME,
	      "the last atime mode wins");
	attrs("\"rbind\",\"rnoatime\",\"ratime\"", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME,
	      "ratime goes back to relatime");
	attrs("\"rbind\",\"rnodiratime\"", MOUNT_ATTR_NODIRATIME, 0, "rnodiratime");
	attrs("\"rbind\",\"rnosymfollow\"", MOUNT_ATTR_NOSYMFOLLOW, 0, "rnosymfollow");
}

static void expect(const char *dest, const char *type, const char *opts, const char *needle,
		   const char *what)
{
	struct hr_rt_config c;
	struct hr_error *err = NULL;
	int r = load_mount(dest, type, opts, &c, &err);

	if (needle)
		ok(r < 0 && err && strstr(err->msg, needle), "%s is refused (%s)", what,
		   err ? err->msg : "accepted");
	else
		ok(r == 0, "%s is accepted%s%s", what, err ? ": " : "", err ? err->msg : "");
	hr_error_clear(&err);
	hr_rt_config_free(&c);
}

static void test_unknown(void)
{
	expect("/v", "bind", "\"rbind\",\"rro-typo\"", "rro-typo", "an unknown option on a bind");
	expect("/v", "none", "\"bind\",\"mode=755\"", "mode=755", "mount data on a bind");
	expect("/sys/fs/cgroup", "cgroup", "\"ro\",\"bogus\"", "bogus",
	       "an unknown option on the cgroup view");
	expect("/t", "tmpfs", "\"size=1m\",\"mode=755\"", NULL,
	       "tmpfs data (the kernel parses it)");
	expect("/v", "bind", "\"rbind\",\"idmap\"", "idmap", "idmap (done by hardrun's rules)");
	expect("/v", "bind", "\"rbind\",\"tmpcopyup\"", "tmpcopyup", "tmpcopyup");
}

static void test_proc(void)
{
	expect("/proc", "proc", "\"nosuid\"", NULL, "proc at /proc");
	expect("/proc", "bind", "\"rbind\"", "not of type proc", "a bind at /proc");
	expect("/proc", "tmpfs", "\"size=1m\"", "not of type proc", "a tmpfs at /proc");
	expect("//proc/", "bind", "\"rbind\"", "not of type proc", "a bind at //proc/");
	expect("/tmp/../proc", "bind", "\"rbind\"", "not of type proc", "a bind at /tmp/../proc");
	expect("/proc", "proc", "\"rbind\"", "not of type proc", "a proc-typed bind at /proc");
	expect("/proc/sys", "bind", "\"rbind\"", "inside /proc", "a bind at /proc/sys");
	expect("/proc/self/../sys", "bind", "\"rbind\"", "inside /proc", "a bind at /proc/self/..");
	expect("/proc/uptime", "tmpfs", "", "inside /proc", "a tmpfs at /proc/uptime");
	expect("/proc/uptime", "bind", "\"bind\",\"ro\"", NULL, "lxcfs's bind of /proc/uptime");
	expect("/proc//meminfo", "bind", "\"bind\"", NULL, "lxcfs's bind of /proc//meminfo");
	expect("/procfoo", "bind", "\"rbind\"", NULL, "a bind at /procfoo");
}

int main(void)
{
	test_recursive();
	test_unknown();
	test_proc();
	return tap_done();
}
