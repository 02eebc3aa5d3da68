/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The create path alone, in-process: read config.json, parse, resolve the
 * profile, run every rule, serialize, write atomically.  Dry run for the
 * user namespace (no container id: no range allocated, nothing mounted), so
 * what is timed is hardrun's own CPU and I/O work per container start.
 *
 *   bench-create BUNDLE ITERATIONS [PROFILE]
 * prints the median and p90 in microseconds and the peak RSS.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/profile.h"
#include "hardrun/rules.h"
#include "hardrun/spec.h"
#include "hardrun/util.h"

#include "bench.h"

static double now_us(void)
{
	return (double)bench_now_ns() / 1e3;
}

static void die(struct hr_error *err)
{
	fprintf(stderr, "bench-create: %s\n", err->msg);
	exit(1);
}

int main(int argc, char **argv)
{
	struct hr_error *err = NULL;
	if (argc < 3) {
		fprintf(stderr, "usage: bench-create BUNDLE ITERATIONS [PROFILE]\n");
		return 2;
	}
	int n = atoi(argv[2]);
	const char *profile = argc > 3 ? argv[3] : NULL;
	double *t = hr_xcalloc((size_t)n, sizeof(double));
	struct hr_policy *policy = hr_policy_load(NULL, &err);
	if (!policy)
		die(err);
	for (int i = 0; i < n; i++) {
		double t0 = now_us();
		int dirfd = -1;
		struct hr_json *spec = hr_spec_load(argv[1], &dirfd, &err);
		if (!spec)
			die(err);
		struct hr_profile *prof = hr_profile_resolve(policy, profile, spec, &err);
		if (!prof)
			die(err);
		struct hr_json *orig = hr_json_clone(spec);
		struct hr_ctx ctx = {.entry = HR_ENTRY_CREATE,
				     .spec = spec,
				     .original = orig,
				     .policy = policy,
				     .profile = prof,
				     .bundle = argv[1]};
		if (hr_rules_run(&ctx, &err) < 0)
			die(err);
		/* As hr_harden: the hardened config written whole. */
		if (hr_spec_write(dirfd, spec, &err) < 0)
			die(err);
		hr_json_free(orig);
		t[i] = now_us() - t0;
		hr_findings_free(&ctx.findings);
		hr_profile_free(prof);
		hr_json_free(spec);
		close(dirfd);
	}
	qsort(t, (size_t)n, sizeof(double), bench_cmp_double);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("median_us=%.1f p90_us=%.1f maxrss_kib=%ld\n", t[n / 2], t[n * 9 / 10],
	       ru.ru_maxrss);
	free(t);
	hr_policy_free(policy);
	return 0;
}
