/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The id allocator as the node fills: a scratch stateDir with N live range
 * entries (written directly, as N running containers would have left them,
 * each older than the reclaim's grace period and each with a runtime state
 * directory, so none is reclaimable), then ROUNDS times: allocate a range
 * for a new id, look it up, release it.  Prints the medians in µs.  What
 * it measures is the allocator alone (hr_idrange_acquire, _lookup,
 * _release: the lock, the pool, the state it reads and writes), not a
 * container start.
 *
 *   ranges N ROUNDS [DIR]    (DIR: where the scratch stateDir goes, default /tmp)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "bench.h"
#include "hardrun/idmap.h"
#include "hardrun/profile.h"
#include "hardrun/util.h"

#define RANGE 65536u

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	char *tmp = hr_xasprintf("%s/hr-bench-ranges.XXXXXX", argc > 3 ? argv[3] : "/tmp");
	struct hr_policy p = {0};
	struct hr_error *err = NULL;
	int n = argc > 1 ? atoi(argv[1]) : 100, rounds = argc > 2 ? atoi(argv[2]) : 200;
	double *acq = calloc((size_t)rounds, sizeof(double)), *look = calloc((size_t)rounds, 8),
	       *rel = calloc((size_t)rounds, sizeof(double));

	if (!mkdtemp(tmp) || !acq || !look || !rel || n < 0 || n > 4000 || rounds < 1)
		return 2;
	char *rt = hr_xasprintf("%s/rt", tmp), *ranges = hr_xasprintf("%s/state/ranges", tmp);
	p.path = (char *)"(bench)";
	p.state_dir = hr_xasprintf("%s/state", tmp);
	p.pool_start = 1u << 20;
	p.pool_size = 4096u * RANGE;
	p.range_size = RANGE;
	if (mkdir(rt, 0700) < 0 || hr_mkdir_p(ranges, 0700, &err) < 0)
		return 2;
	for (int i = 0; i < n; i++) {
		char *e = hr_xasprintf("%s/%" PRIu32, ranges, p.pool_start + (uint32_t)i * RANGE);
		char *d = hr_xasprintf("%s/live-%d", rt, i);
		FILE *f = fopen(e, "we");
		if (!f || mkdir(d, 0700) < 0)
			return 2;
		fprintf(f, "key=live-%d\nruntimeRoot=%s\nbundle=/b\ncreated=1\nsize=%u\n", i, rt,
			RANGE);
		fclose(f);
		free(e), free(d);
	}
	for (int r = -3; r < rounds; r++) {
		char key[32];
		uint32_t s = 0, s2 = 0;
		snprintf(key, sizeof(key), "probe-%d", r + 3);
		long long t0 = bench_now_ns();
		int a = hr_idrange_acquire(&p, key, rt, "/b", 0, &s, &err);
		long long t1 = bench_now_ns();
		int l = hr_idrange_lookup(&p, key, &s2, NULL, &err);
		long long t2 = bench_now_ns();
		int x = hr_idrange_release(&p, key, &err);
		long long t3 = bench_now_ns();
		if (a < 0 || l != 1 || s2 != s || x < 0) {
			fprintf(stderr, "ranges: round %d failed: %s\n", r, err ? err->msg : "?");
			return 1;
		}
		if (r < 0) /* warm-up: a table built from the entries, caches */
			continue;
		acq[r] = (double)(t1 - t0) / 1e3;
		look[r] = (double)(t2 - t1) / 1e3;
		rel[r] = (double)(t3 - t2) / 1e3;
	}
	printf("live=%d rounds=%d acquire_us=%.1f lookup_us=%.1f release_us=%.1f\n", n, rounds,
	       median(acq, rounds), median(look, rounds), median(rel, rounds));
	char *cmd = hr_xasprintf("rm -rf %s", tmp);
	return system(cmd) == 0 ? 0 : 1;
}
