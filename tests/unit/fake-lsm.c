/* SPDX-License-Identifier: Apache-2.0 */
#include <linux/landlock.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fake-lsm.h"
#include "hardrun/lsm.h"
#include "hardrun/util.h"

static struct {
	bool apparmor, selinux;
	int landlock_abi;
	const char *lxc_contexts;
	char calls[2048];
} fake;

static void fake_call(const char *what, const char *arg)
{
	size_t n = strlen(fake.calls);

	snprintf(fake.calls + n, sizeof(fake.calls) - n, "%s %s;", what, arg);
}

static bool apparmor_on(void)
{
	return fake.apparmor;
}

static bool selinux_on(void)
{
	return fake.selinux;
}

static int landlock_abi(void)
{
	if (fake.landlock_abi >= 0)
		return fake.landlock_abi;
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	return abi < 0 ? 0 : (int)abi;
}

static bool apparmor_loaded(const char *name)
{
	(void)name;
	return false;
}

static int apparmor_load(const struct hr_policy *policy, struct hr_error **err)
{
	(void)policy;
	(void)err;
	fake_call("apparmor_parser -r", "hardrun-default");
	return 0;
}

static int lxc_contexts(char **text, const char **path, struct hr_error **err)
{
	*path = "(test)";
	if (!fake.lxc_contexts)
		return hr_error_set(err, 0, "(test): no lxc_contexts given");
	*text = hr_xstrdup(fake.lxc_contexts);
	return 0;
}

static bool context_valid(const char *label)
{
	fake_call("security_check_context", label);
	return true;
}

static const struct hr_lsm_host fake_host = {
    .apparmor_on = apparmor_on,
    .selinux_on = selinux_on,
    .landlock_abi = landlock_abi,
    .apparmor_loaded = apparmor_loaded,
    .apparmor_load = apparmor_load,
    .lxc_contexts = lxc_contexts,
    .context_valid = context_valid,
};

void hr_lsm_fake_host(bool apparmor, bool selinux, int landlock_abi_, const char *lxc)
{
	fake.apparmor = apparmor;
	fake.selinux = selinux;
	fake.landlock_abi = landlock_abi_;
	fake.lxc_contexts = lxc;
	fake.calls[0] = '\0';
	bool active = apparmor || selinux || landlock_abi_ >= 0 || lxc;
	hr_lsm_set_host(active ? &fake_host : NULL);
}

const char *hr_lsm_fake_calls(void)
{
	return fake.calls;
}
