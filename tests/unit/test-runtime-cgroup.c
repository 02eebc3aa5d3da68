/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup limits as files: the v2 writer over a directory laid out like a
 * cgroup2 one (this host is v1, so this is the v2 path's only test here),
 * and the v1 writer's values and order (period before quota).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/runtime/rt.h"
#include "tap.h"

static void touch(const char *dir, const char *name)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	close(open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644));
}

static char *slurp(const char *dir, const char *name)
{
	static char buf[128];
	char p[512];
	int fd;
	ssize_t n;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n < 0)
		return "(missing)";
	buf[n] = 0;
	return buf;
}

static const char *v2_files[] = {"pids.max", "memory.max", "memory.low", "cpu.weight", "cpu.max"};

static void test_v2(void)
{
	char dir[] = "/tmp/hr-cg2.XXXXXX";
	struct hr_rt_resources r = {.pids_limit = 100,
				    .memory_limit = 1 << 20,
				    .memory_reservation = 1 << 19,
				    .cpu_shares = 1024,
				    .cpu_quota = 50000,
				    .cpu_period = 100000};
	struct hr_error *err = NULL;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	for (size_t i = 0; i < sizeof(v2_files) / sizeof(v2_files[0]); i++)
		touch(dir, v2_files[i]);
	ok(hr_rt_cgroup_apply_v2(&r, dir, &err) == 0, "v2 limits written%s%s", err ? ": " : "",
	   err ? err->msg : "");
	is_str(slurp(dir, "pids.max"), "100", "pids.limit -> pids.max");
	is_str(slurp(dir, "memory.max"), "1048576", "memory.limit -> memory.max");
	is_str(slurp(dir, "memory.low"), "524288", "memory.reservation -> memory.low");
	is_str(slurp(dir, "cpu.weight"), "39", "cpu.shares 1024 -> cpu.weight 39 (runc's formula)");
	is_str(slurp(dir, "cpu.max"), "50000 100000", "quota and period -> cpu.max in one write");
	/* a cgroup file takes each write whole; a regular one must be emptied */
	for (size_t i = 0; i < sizeof(v2_files) / sizeof(v2_files[0]); i++)
		touch(dir, v2_files[i]);
	r = (struct hr_rt_resources){.pids_limit = -1, .memory_limit = -1, .cpu_period = 20000};
	ok(hr_rt_cgroup_apply_v2(&r, dir, &err) == 0, "unlimited values written");
	is_str(slurp(dir, "pids.max"), "max", "pids.limit -1 -> max");
	is_str(slurp(dir, "memory.max"), "max", "memory.limit -1 -> max");
	is_str(slurp(dir, "cpu.max"), "max 20000", "a period without quota -> max PERIOD");
	/* linux.resources.unified: files of this cgroup only, after the rest */
	char *kv[] = {"pids.max", "7", NULL, NULL, NULL};
	touch(dir, "pids.max");
	r = (struct hr_rt_resources){.unified = kv};
	ok(hr_rt_cgroup_apply_v2(&r, dir, &err) == 0, "unified written");
	is_str(slurp(dir, "pids.max"), "7", "unified.pids.max written");
	kv[0] = "../pids.max";
	ok(hr_rt_cgroup_apply_v2(&r, dir, &err) < 0 && err && strstr(err->msg, "../pids.max"),
	   "a unified key with a / is refused, naming it");
	hr_error_clear(&err);
	kv[0] = "no.such";
	ok(hr_rt_cgroup_apply_v2(&r, dir, &err) < 0 && err && strstr(err->msg, "no.such"),
	   "a unified key with no file is an error naming it");
	hr_error_clear(&err);
	unlink(strcat(strcpy((char[600]){0}, dir), "/cpu.max"));
	r = (struct hr_rt_resources){.cpu_quota = 1000};
	ok(hr_rt_cgroup_apply_v2(&r, dir, &err) < 0 && err && strstr(err->msg, "cpu.max"),
	   "a missing cpu.max is an error naming it");
	hr_error_clear(&err);
	for (size_t i = 0; i < sizeof(v2_files) / sizeof(v2_files[0]); i++) {
		char p[600];
		snprintf(p, sizeof(p), "%s/%s", dir, v2_files[i]);
		unlink(p);
	}
	rmdir(dir);
}

static void test_v1_order(void)
{
	char dir[] = "/tmp/hr-cg1.XXXXXX";
	char *dirs[5] = {NULL};
	struct hr_rt_resources r = {.cpu_quota = 50000, .cpu_period = 100000};
	struct hr_error *err = NULL;
	char p[600];

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	dirs[1] = dirs[2] = dir;
	/* no period file: the write that fails must come before the quota's */
	touch(dir, "cpu.cfs_quota_us");
	ok(hr_rt_cgroup_apply_v1(&r, dirs, &err) < 0 && err &&
	       strstr(err->msg, "cpu.cfs_period_us"),
	   "v1: the period is written first (its failure stops the quota)");
	is_str(slurp(dir, "cpu.cfs_quota_us"), "", "the quota was not written before the period");
	hr_error_clear(&err);
	touch(dir, "cpu.cfs_period_us");
	touch(dir, "memory.soft_limit_in_bytes");
	r.memory_reservation = 4096;
	ok(hr_rt_cgroup_apply_v1(&r, dirs, &err) == 0, "v1 limits written");
	is_str(slurp(dir, "cpu.cfs_period_us"), "100000", "cfs_period_us");
	is_str(slurp(dir, "cpu.cfs_quota_us"), "50000", "cfs_quota_us");
	is_str(slurp(dir, "memory.soft_limit_in_bytes"), "4096",
	       "memory.reservation -> memory.soft_limit_in_bytes");
	const char *files[] = {"cpu.cfs_quota_us", "cpu.cfs_period_us",
			       "memory.soft_limit_in_bytes"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

int main(void)
{
	test_v2();
	test_v1_order();
	return tap_done();
}
