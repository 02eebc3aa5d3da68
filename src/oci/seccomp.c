/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "hardrun/cleanup.h"
#include "hardrun/seccomp.h"
#include "hardrun/util.h"

const char *const hr_seccomp_never_allowed[] = {
    /* loading code into the kernel, or replacing it */
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "create_module", "get_kernel_syms", "query_module", "uselib",
    /* kernel subsystems with a long exploit record, reachable without privilege */
    "bpf", "userfaultfd", "perf_event_open", "io_uring_setup", "io_uring_enter",
    "io_uring_register",
    /* the host's keyrings are not namespaced */
    "keyctl", "add_key", "request_key",
    /* reaching into other processes */
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd",
    /* file handles bypass the mount namespace (the "shocker" escape) */
    "open_by_handle_at",
    /* the runtime mounted and entered namespaces before the filter exists */
    "mount", "umount", "umount2", "pivot_root", "unshare", "setns", "move_mount", "open_tree",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    /* host-wide state */
    "swapon", "swapoff", "reboot", "syslog", "acct", "settimeofday", "stime", "clock_settime",
    "clock_settime64", "clock_adjtime", "clock_adjtime64", "adjtimex", "quotactl", "quotactl_fd",
    "nfsservctl", "lookup_dcookie", "sysfs", "_sysctl", "ustat", "vhangup",
    /* raw hardware access */
    "iopl", "ioperm", "vm86", "vm86old", NULL};

struct action_def {
	const char *name;
	uint32_t base;
	bool takes_errno; /* errnoRet is the errno (or the tracer's message) */
	bool allows;
};

static const struct action_def actions[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, false, false},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false, false},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false, false},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false, false},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true, false},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true, true},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false, true},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, false, true},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false, true},
};

static const struct {
	const char *name;
	enum scmp_compare op;
} ops[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

static const char *const flag_names[] = {
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    NULL,
};

static const struct action_def *action_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(actions[i].name, name) == 0)
			return &actions[i];
	return NULL;
}

bool hr_seccomp_action_allows(const char *action)
{
	const struct action_def *a = action_find(action);
	return a && a->allows;
}

/* The name libseccomp sees: runc passes a C string, cut at the first NUL. */
static const char *c_name(const struct hr_json *j)
{
	return j && j->type == HR_JSON_STRING ? j->s.str : NULL;
}

/* OCI "SCMP_ARCH_X86_64" -> libseccomp token; 0 if unknown.  Case matters, as in runc. */
static uint32_t arch_token(const char *oci)
{
	static const char prefix[] = "SCMP_ARCH_";
	char lower[32];
	size_t n;

	if (!oci || strncmp(oci, prefix, sizeof(prefix) - 1) != 0)
		return 0;
	oci += sizeof(prefix) - 1;
	n = strlen(oci);
	if (n == 0 || n >= sizeof(lower))
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (islower((unsigned char)oci[i]))
			return 0;
		lower[i] = (char)tolower((unsigned char)oci[i]);
	}
	return seccomp_arch_resolve_name(lower);
}

bool hr_seccomp_syscall_known(const char *name)
{
	return name && *name && seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR;
}

static bool same_on_arch(uint32_t arch, const char *a, const char *b)
{
	int na = seccomp_syscall_resolve_name_arch(arch, a);
	int nb = seccomp_syscall_resolve_name_arch(arch, b);
	/* negative numbers are libseccomp's placeholders for "not on this arch" */
	return na >= 0 && na == nb;
}

bool hr_seccomp_same_syscall(const char *a, const char *b, const struct hr_json *architectures)
{
	if (!a || !b)
		return false;
	if (strcmp(a, b) == 0)
		return true;
	if (same_on_arch(seccomp_arch_native(), a, b))
		return true;
	if (architectures && architectures->type == HR_JSON_ARRAY)
		for (size_t i = 0; i < architectures->arr.len; i++) {
			uint32_t t = arch_token(hr_json_as_string(architectures->arr.items[i]));
			if (t && same_on_arch(t, a, b))
				return true;
		}
	return false;
}

#define MAX_ARCHES 20

struct hr_seccomp_set {
	const char **names;
	int *nums; /* nums[a * len + i]: names[i] on arches[a], < 0 if absent */
	size_t len;
	uint32_t arches[MAX_ARCHES];
	size_t n_arches;
};

struct hr_seccomp_set *hr_seccomp_set_new(const char *const *a, char *const *b,
					  const struct hr_json *architectures)
{
	struct hr_seccomp_set *set = hr_xcalloc(1, sizeof(*set));
	size_t na = 0, nb = 0;

	while (a && a[na])
		na++;
	while (b && b[nb])
		nb++;
	set->len = na + nb;
	set->names = hr_xcalloc(set->len + 1, sizeof(*set->names));
	for (size_t i = 0; i < set->len; i++)
		set->names[i] = i < na ? a[i] : b[i - na];
	set->arches[set->n_arches++] = seccomp_arch_native();
	for (size_t i = 0; architectures && architectures->type == HR_JSON_ARRAY &&
			   i < architectures->arr.len && set->n_arches < MAX_ARCHES;
	     i++) {
		uint32_t t = arch_token(hr_json_as_string(architectures->arr.items[i]));
		bool dup = t == 0;

		for (size_t k = 0; k < set->n_arches && !dup; k++)
			dup = set->arches[k] == t;
		if (!dup)
			set->arches[set->n_arches++] = t;
	}
	set->nums = hr_xcalloc(set->n_arches * set->len + 1, sizeof(*set->nums));
	for (size_t k = 0; k < set->n_arches; k++)
		for (size_t i = 0; i < set->len; i++)
			set->nums[k * set->len + i] =
			    seccomp_syscall_resolve_name_arch(set->arches[k], set->names[i]);
	return set;
}

void hr_seccomp_set_free(struct hr_seccomp_set *set)
{
	if (!set)
		return;
	free(set->names);
	free(set->nums);
	free(set);
}

size_t hr_seccomp_set_len(const struct hr_seccomp_set *set)
{
	return set->len;
}

const char *hr_seccomp_set_name(const struct hr_seccomp_set *set, size_t i)
{
	return i < set->len ? set->names[i] : NULL;
}

long hr_seccomp_set_find(const struct hr_seccomp_set *set, const char *name)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < set->len; i++)
		if (strcmp(set->names[i], name) == 0)
			return (long)i;
	for (size_t k = 0; k < set->n_arches; k++) {
		int nr = seccomp_syscall_resolve_name_arch(set->arches[k], name);

		/* negative numbers are libseccomp's placeholders for "not on this arch" */
		for (size_t i = 0; nr >= 0 && i < set->len; i++)
			if (set->nums[k * set->len + i] == nr)
				return (long)i;
	}
	return -1;
}

static int check_errno(const struct hr_json *v, const char *what, struct hr_error **err)
{
	int64_t e;

	if (hr_json_is_null(v))
		return 0;
	if (!hr_json_as_int64(v, &e) || e < 0 || e > 4095)
		return hr_error_set(err, 0, "%s: errno must be an integer from 0 to 4095", what);
	return 0;
}

static int check_action(const struct hr_json *rule, const char *what, bool is_default,
			struct hr_error **err)
{
	const char *key = is_default ? "defaultAction" : "action";
	const char *name = hr_json_as_string(hr_json_get(rule, key));
	const struct action_def *a = action_find(name);

	if (!a)
		return hr_error_set(err, 0, "%s%s: unknown seccomp action \"%s\"", what, key,
				    name ? name : "(not a string)");
	if (is_default && a->base == SCMP_ACT_NOTIFY)
		return hr_error_set(err, 0, "defaultAction: SCMP_ACT_NOTIFY cannot be the default");
	return 0;
}

int hr_seccomp_arg_read(const struct hr_json *a, struct hr_seccomp_arg *out, struct hr_error **err)
{
	const char *op = hr_json_as_string(hr_json_get(a, "op"));
	uint64_t idx = 0;

	memset(out, 0, sizeof(*out));
	if (!a || a->type != HR_JSON_OBJECT)
		return hr_error_set(err, 0, "not an object");
	if (!hr_json_as_uint64(hr_json_get(a, "index"), &idx) || idx > 5)
		return hr_error_set(err, 0, "index must be 0 to 5");
	out->index = (unsigned)idx;
	if (!hr_json_as_uint64(hr_json_get(a, "value"), &out->value) ||
	    (!hr_json_is_null(hr_json_get(a, "valueTwo")) &&
	     !hr_json_as_uint64(hr_json_get(a, "valueTwo"), &out->value_two)))
		return hr_error_set(err, 0, "value and valueTwo must be unsigned 64-bit integers");
	for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
		if (op && strcmp(op, ops[k].name) == 0) {
			out->op = ops[k].op;
			return 0;
		}
	return hr_error_set(err, 0, "unknown operator \"%s\"", op ? op : "(not a string)");
}

static int check_args(const struct hr_json *args, const char *what, struct hr_error **err)
{
	struct hr_seccomp_arg arg;

	if (hr_json_is_null(args))
		return 0;
	if (args->type != HR_JSON_ARRAY)
		return hr_error_set(err, 0, "%sargs: not an array", what);
	for (size_t i = 0; i < args->arr.len; i++)
		if (hr_seccomp_arg_read(args->arr.items[i], &arg, err) < 0)
			return hr_err_wrap(err, "%sargs[%zu]", what, i);
	return 0;
}

static int check_names(const struct hr_json *names, const char *what, bool resolve,
		       struct hr_error **err)
{
	if (!names || names->type != HR_JSON_ARRAY)
		return hr_error_set(err, 0, "%snames: not an array", what);
	for (size_t i = 0; i < names->arr.len; i++) {
		const struct hr_json *n = names->arr.items[i];

		if (!n || n->type != HR_JSON_STRING)
			return hr_error_set(err, 0, "%snames[%zu]: not a string", what, i);
		if (!resolve)
			continue;
		if (strlen(n->s.str) != n->s.len)
			return hr_error_set(err, 0,
					    "%snames[%zu]: syscall name \"%s\" holds a NUL byte",
					    what, i, n->s.str);
		if (!hr_seccomp_syscall_known(n->s.str))
			return hr_error_set(
			    err, 0,
			    "%snames[%zu]: syscall \"%s\" is unknown to libseccomp %u.%u.%u", what,
			    i, n->s.str, seccomp_version()->major, seccomp_version()->minor,
			    seccomp_version()->micro);
	}
	return 0;
}

static int check_strings(const struct hr_json *arr, const char *key, struct hr_error **err)
{
	if (hr_json_is_null(arr))
		return 0;
	if (arr->type != HR_JSON_ARRAY)
		return hr_error_set(err, 0, "%s: not an array", key);
	for (size_t i = 0; i < arr->arr.len; i++) {
		const char *s = hr_json_as_string(arr->arr.items[i]);
		bool good = false;

		if (s && strcmp(key, "architectures") == 0)
			good = arch_token(s) != 0;
		for (size_t k = 0; s && !good && strcmp(key, "flags") == 0 && flag_names[k]; k++)
			good = strcmp(s, flag_names[k]) == 0;
		if (!good)
			return hr_error_set(err, 0, "%s[%zu]: unknown value \"%s\"", key, i,
					    s ? s : "(not a string)");
	}
	return 0;
}

static int check(const struct hr_json *sc, bool resolve, struct hr_error **err)
{
	const struct hr_json *calls;

	if (!sc || sc->type != HR_JSON_OBJECT)
		return hr_error_set(err, 0, "seccomp: not an object");
	if (check_action(sc, "", true, err) < 0 ||
	    check_errno(hr_json_get(sc, "defaultErrnoRet"), "defaultErrnoRet", err) < 0 ||
	    check_strings(hr_json_get(sc, "architectures"), "architectures", err) < 0 ||
	    check_strings(hr_json_get(sc, "flags"), "flags", err) < 0)
		return -1;
	calls = hr_json_get(sc, "syscalls");
	if (hr_json_is_null(calls))
		return 0;
	if (calls->type != HR_JSON_ARRAY)
		return hr_error_set(err, 0, "syscalls: not an array");
	for (size_t i = 0; i < calls->arr.len; i++) {
		const struct hr_json *r = calls->arr.items[i];
		char what[48];

		snprintf(what, sizeof(what), "syscalls[%zu].", i);
		if (!r || r->type != HR_JSON_OBJECT)
			return hr_error_set(err, 0, "syscalls[%zu]: not an object", i);
		if (check_action(r, what, false, err) < 0 ||
		    check_errno(hr_json_get(r, "errnoRet"), "errnoRet", err) < 0 ||
		    check_args(hr_json_get(r, "args"), what, err) < 0 ||
		    check_names(hr_json_get(r, "names"), what, resolve, err) < 0)
			return -1;
	}
	return 0;
}

int hr_seccomp_check_structure(const struct hr_json *seccomp, struct hr_error **err)
{
	return check(seccomp, false, err);
}

int hr_seccomp_validate(const struct hr_json *seccomp, struct hr_error **err)
{
	return check(seccomp, true, err);
}

/* The libseccomp action for an OCI rule; errnoRet defaults to EPERM as in runc. */
static uint32_t action_of(const struct hr_json *obj, const char *key, const char *errno_key)
{
	const struct action_def *a = action_find(hr_json_as_string(hr_json_get(obj, key)));
	int64_t e = EPERM;

	if (!a)
		return SCMP_ACT_KILL_PROCESS; /* validated before: not reached, but fail closed */
	if (!a->takes_errno)
		return a->base;
	hr_json_as_int64(hr_json_get(obj, errno_key), &e);
	return a->base | ((uint32_t)e & 0xffff);
}

static int set_attrs(scmp_filter_ctx ctx, const struct hr_json *sc, struct hr_error **err)
{
	const struct hr_json *flags = hr_json_get(sc, "flags");
	int r;

	/* no_new_privs belongs to the runtime, which sets it from the config */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r == 0) {
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
		if (r == -EOPNOTSUPP || r == -EINVAL)
			r = 0; /* a libseccomp without the binary tree: linear is still correct */
	}
	for (size_t i = 0; r == 0 && flags && flags->type == HR_JSON_ARRAY && i < flags->arr.len;
	     i++) {
		const char *f = hr_json_as_string(flags->arr.items[i]);

		if (strcmp(f, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
			r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
		else if (strcmp(f, "SECCOMP_FILTER_FLAG_LOG") == 0)
			r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
		else if (strcmp(f, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
			r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
	}
	if (r < 0)
		return hr_error_set(err, -r, "seccomp: setting filter attributes");
	return 0;
}

static int add_arches(scmp_filter_ctx ctx, const struct hr_json *arches, struct hr_error **err)
{
	for (size_t i = 0; arches && arches->type == HR_JSON_ARRAY && i < arches->arr.len; i++) {
		const char *name = hr_json_as_string(arches->arr.items[i]);
		int r = seccomp_arch_add(ctx, arch_token(name));

		if (r < 0 && r != -EEXIST)
			return hr_error_set(err, -r, "seccomp: adding architecture %s", name);
	}
	return 0;
}

static size_t build_conds(const struct hr_json *args, struct scmp_arg_cmp *conds, bool *same_index)
{
	struct hr_seccomp_arg arg;
	unsigned seen = 0;
	size_t n = 0;

	*same_index = false;
	for (size_t i = 0; args && args->type == HR_JSON_ARRAY && i < args->arr.len && i < 6; i++) {
		if (hr_seccomp_arg_read(args->arr.items[i], &arg, NULL) < 0)
			continue; /* validated before: not reached */
		if (seen & (1u << arg.index))
			*same_index = true;
		seen |= 1u << arg.index;
		/* OCI's value/valueTwo are libseccomp's datum_a/datum_b (mask, then datum) */
		conds[n++] = (struct scmp_arg_cmp){arg.index, arg.op, arg.value, arg.value_two};
	}
	return n;
}

static int add_rule(scmp_filter_ctx ctx, const struct hr_json *rule, uint32_t def,
		    struct hr_error **err)
{
	const struct hr_json *names = hr_json_get(rule, "names");
	const struct hr_json *args = hr_json_get(rule, "args");
	uint32_t act = action_of(rule, "action", "errnoRet");
	struct scmp_arg_cmp conds[6];
	bool same_index;
	size_t n;

	if (act == def)
		return 0; /* libseccomp refuses it, runc skips it: the default already applies */
	if (act == SCMP_ACT_NOTIFY)
		return hr_error_set(err, 0,
				    "seccomp: SCMP_ACT_NOTIFY needs a listener, which the builtin "
				    "runtime does not provide");
	if (args && args->type == HR_JSON_ARRAY && args->arr.len > 6)
		return hr_error_set(err, 0, "seccomp: a rule has more than 6 argument conditions");
	n = build_conds(args, conds, &same_index);
	for (size_t i = 0; i < names->arr.len; i++) {
		const char *name = c_name(names->arr.items[i]);
		int nr = seccomp_syscall_resolve_name(name);
		int r = 0;

		if (nr == __NR_SCMP_ERROR)
			return hr_error_set(err, 0, "seccomp: unknown syscall \"%s\"", name);
		if (!same_index)
			r = seccomp_rule_add_array(ctx, act, nr, (unsigned)n, conds);
		/* runc's reading of repeated indexes: each condition alone (OR) */
		for (size_t k = 0; same_index && r == 0 && k < n; k++)
			r = seccomp_rule_add_array(ctx, act, nr, 1, &conds[k]);
		if (r < 0)
			return hr_error_set(err, -r, "seccomp: adding a rule for %s", name);
	}
	return 0;
}

int hr_seccomp_compile(const struct hr_json *seccomp, scmp_filter_ctx *out, struct hr_error **err)
{
	_cleanup_seccomp_ scmp_filter_ctx ctx = NULL;
	const struct hr_json *calls;
	uint32_t def;

	if (hr_seccomp_validate(seccomp, err) < 0)
		return hr_err_wrap(err, "seccomp profile");
	def = action_of(seccomp, "defaultAction", "defaultErrnoRet");
	ctx = seccomp_init(def);
	if (!ctx)
		return hr_error_set(err, ENOMEM, "seccomp_init");
	if (set_attrs(ctx, seccomp, err) < 0 ||
	    add_arches(ctx, hr_json_get(seccomp, "architectures"), err) < 0)
		return -1;
	calls = hr_json_get(seccomp, "syscalls");
	for (size_t i = 0; calls && calls->type == HR_JSON_ARRAY && i < calls->arr.len; i++)
		if (add_rule(ctx, calls->arr.items[i], def, err) < 0)
			return hr_err_wrap(err, "syscalls[%zu]", i);
	*out = hr_steal_ptr(&ctx);
	return 0;
}

int hr_seccomp_load_profile(const char *dir, const char *name, struct hr_json **out,
			    struct hr_error **err)
{
	_cleanup_close_ int dfd = -1;
	_cleanup_free_ char *buf = NULL;
	_cleanup_json_ struct hr_json *j = NULL;
	size_t len = 0;

	if (name[0] != '/' && strchr(name, '/'))
		return hr_error_set(err, 0, "seccomp profile \"%s\": a name must not contain '/'",
				    name);
	if (name[0] != '/') {
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			return hr_error_set(err, errno, "seccomp profile directory %s", dir);
	}
	if (hr_read_file_at(name[0] == '/' ? AT_FDCWD : dfd, name, 4 << 20, &buf, &len, err) < 0)
		return hr_err_wrap(err, "seccomp profile %s", name);
	j = hr_json_parse(buf, len, NULL, err);
	if (!j)
		return hr_err_wrap(err, "seccomp profile %s", name);
	/* Every time, the shipped file too: what is on disk now is what the
	 * container gets, whatever the build was tested with. */
	if (hr_seccomp_validate(j, err) < 0)
		return hr_err_wrap(err, "seccomp profile %s", name);
	*out = hr_steal_ptr(&j);
	return 0;
}

int hr_seccomp_load_default(const char *dir, struct hr_json **out, struct hr_error **err)
{
	return hr_seccomp_load_profile(dir, "default.json", out, err);
}
