/* SPDX-License-Identifier: Apache-2.0 */
/*
 * No setuid, setgid or file-capability files from inside the container
 * (the seccomp rule's `noSetid`, on under `untrusted`).  Through an
 * idmapped rootfs or volume, container root's files land on the host's disk
 * as host uid 0: a setuid-root binary left there is a host root shell for
 * whoever finds it.  So every call that can put S_ISUID or S_ISGID on a
 * file is checked by its mode argument, and every call that can create a
 * file by its flags:
 *
 *   chmod, fchmod, fchmodat, fchmodat2 (mode), creat, mknod, mknodat (mode),
 *   open, openat (allowed when the flags create nothing, or the mode is clean)
 *
 * openat2 passes its mode in memory no filter can read: it gets ENOSYS, on
 * which libcs fall back to openat.  File capabilities are the
 * `security.capability` xattr, and the xattr's name is a pointer a filter
 * cannot read either: every xattr write (setxattr, lsetxattr, fsetxattr)
 * gets EOPNOTSUPP, the answer cp, tar and rsync already treat as "this file
 * system has no xattrs".  Reading xattrs, and removing them, stay allowed.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "hardrun/cleanup.h"
#include "hardrun/seccomp.h"
#include "hardrun/util.h"
#include "seccomp-int.h"

#define SETID ((uint64_t)(S_ISUID | S_ISGID))
/* O_TMPFILE without O_DIRECTORY: the bit that makes an unnamed new file */
#define CREATES ((uint64_t)(O_CREAT | (O_TMPFILE & ~O_DIRECTORY)))

struct mode_call {
	const char *name;
	unsigned mode_arg;
	int flags_arg; /* -1: the call always sets the mode */
};

static const struct mode_call mode_calls[] = {
    {"chmod", 1, -1}, {"fchmod", 1, -1}, {"fchmodat", 2, -1}, {"fchmodat2", 2, -1},
    {"creat", 1, -1}, {"mknod", 1, -1},	 {"mknodat", 2, -1},  {"open", 2, 1},
    {"openat", 3, 2}, {NULL, 0, -1},
};

static const char *const xattr_writes[] = {"setxattr", "lsetxattr", "fsetxattr", NULL};

static bool action_allows(const struct hr_json *rule)
{
	return hr_seccomp_action_allows(hr_json_as_string(hr_json_get(rule, "action")));
}

static bool covered(const char *name)
{
	for (size_t i = 0; mode_calls[i].name; i++)
		if (strcmp(mode_calls[i].name, name) == 0)
			return true;
	for (size_t i = 0; xattr_writes[i]; i++)
		if (strcmp(xattr_writes[i], name) == 0)
			return true;
	return strcmp(name, "openat2") == 0;
}

/* Take the covered calls out of every rule that can let a call through. */
static void drop_allows(struct hr_json *calls)
{
	for (size_t i = 0; i < calls->arr.len;) {
		struct hr_json *rule = calls->arr.items[i];
		struct hr_json *names = hr_json_get(rule, "names");
		size_t had = 0;

		if (action_allows(rule) && names && names->type == HR_JSON_ARRAY) {
			had = names->arr.len;
			for (size_t j = 0; j < names->arr.len;) {
				const char *n = hr_json_as_string(names->arr.items[j]);
				if (n && covered(n))
					hr_json_array_remove(names, j);
				else
					j++;
			}
		}
		/* a rule emptied here would mean nothing, or trip a runtime */
		if (had > 0 && names->arr.len == 0)
			hr_json_array_remove(calls, i);
		else
			i++;
	}
}

static struct hr_json *arg_json(unsigned index, uint64_t mask, uint64_t want)
{
	struct hr_json *a = hr_json_new(HR_JSON_OBJECT);
	hr_json_set(a, "index", hr_json_new_uint(index));
	hr_json_set(a, "value", hr_json_new_uint(mask));
	hr_json_set(a, "valueTwo", hr_json_new_uint(want));
	hr_json_set(a, "op", hr_json_new_string("SCMP_CMP_MASKED_EQ"));
	return a;
}

/* Append a one-name rule unless an equal one is there (hardening twice is a no-op). */
static void add_rule(struct hr_json *calls, const char *name, const char *action, int errno_ret,
		     struct hr_json *arg1, struct hr_json *arg2)
{
	_cleanup_json_ struct hr_json *rule = hr_json_new(HR_JSON_OBJECT);
	struct hr_json *names = hr_json_new(HR_JSON_ARRAY);

	hr_json_append(names, hr_json_new_string(name));
	hr_json_set(rule, "names", names);
	hr_json_set(rule, "action", hr_json_new_string(action));
	if (errno_ret > 0)
		hr_json_set(rule, "errnoRet", hr_json_new_int(errno_ret));
	if (arg1) {
		struct hr_json *args = hr_json_new(HR_JSON_ARRAY);
		hr_json_append(args, arg1);
		if (arg2)
			hr_json_append(args, arg2);
		hr_json_set(rule, "args", args);
	}
	for (size_t i = 0; i < calls->arr.len; i++)
		if (hr_json_equal(calls->arr.items[i], rule))
			return;
	hr_json_append(calls, hr_steal_ptr(&rule));
}

/*
 * Default deny: allow each call only with a clean mode (conditions on one
 * argument in one rule would be ORed by runc, so each is its own rule).
 * Default allow: refuse each setuid and setgid bit explicitly.
 */
static void guard_mode(struct hr_json *calls, const struct mode_call *c, bool default_allows)
{
	if (!default_allows) {
		add_rule(calls, c->name, "SCMP_ACT_ALLOW", 0, arg_json(c->mode_arg, SETID, 0),
			 NULL);
		if (c->flags_arg >= 0)
			add_rule(calls, c->name, "SCMP_ACT_ALLOW", 0,
				 arg_json((unsigned)c->flags_arg, CREATES, 0), NULL);
		return;
	}
	for (uint64_t bit = S_ISGID; bit <= S_ISUID; bit <<= 1) {
		if (c->flags_arg < 0) {
			add_rule(calls, c->name, "SCMP_ACT_ERRNO", EPERM,
				 arg_json(c->mode_arg, bit, bit), NULL);
			continue;
		}
		/* different arguments in one rule are ANDed */
		for (uint64_t f = O_CREAT; f <= (O_TMPFILE & ~O_DIRECTORY); f <<= 1)
			if (f & CREATES)
				add_rule(calls, c->name, "SCMP_ACT_ERRNO", EPERM,
					 arg_json((unsigned)c->flags_arg, f, f),
					 arg_json(c->mode_arg, bit, bit));
	}
}

int hr_seccomp_forbid_setid(struct hr_json *sc)
{
	struct hr_json *calls = hr_json_ensure_array(sc, "syscalls");
	bool allows = hr_seccomp_action_allows(hr_json_as_string(hr_json_get(sc, "defaultAction")));

	if (!calls)
		return -1;
	drop_allows(calls);
	/* libseccomp of this host must know a name, or runc skips the rule */
	for (const struct mode_call *c = mode_calls; c->name; c++)
		if (hr_seccomp_syscall_known(c->name))
			guard_mode(calls, c, allows);
	for (size_t i = 0; xattr_writes[i]; i++)
		add_rule(calls, xattr_writes[i], "SCMP_ACT_ERRNO", EOPNOTSUPP, NULL, NULL);
	if (hr_seccomp_syscall_known("openat2"))
		add_rule(calls, "openat2", "SCMP_ACT_ERRNO", ENOSYS, NULL, NULL);
	return 0;
}
