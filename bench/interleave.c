/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Time commands side by side: N rounds after W warm-up rounds, every arm
 * once per round, stdio on /dev/null.  No shell between the clock and the
 * command: posix_spawn, then waitpid.  The rounds go through every order of
 * the arms (shuffled once, with a fixed seed), so each arm runs in each
 * place of a round, and after each other arm, equally often: on this VM
 * the place alone moved a sample by 2 % (two identical arms, 300 rounds).
 *
 * INTERLEAVE_GAP_MS (default 0): a pause after every sample, so that what a
 * command leaves running after it exits (hardrun's keeper releasing a
 * container) is done before the next sample, whichever arm that is: each
 * sample then times one start on a quiet machine.  Without it, the orders
 * still spread that work over all arms alike, where a rotated order put it
 * on the same neighbour arm in most rounds.
 *
 *   interleave N W ARM [ARM...]
 *   ARM:  [=DST=SRC] CMD ARGS... ;;     (the last ";;" may be left out)
 *
 * "=DST=SRC" copies SRC over DST before each of that arm's runs, outside
 * the clock (a create starts from the caller's config.json).  "%d" in an
 * argument becomes the round number, for unique container ids.
 *
 * INTERLEAVE_ERRLOG: a file the commands' stderr is appended to (default
 * /dev/null).  A failed sample is retried (twice at most, the round number
 * offset by 100000 for fresh ids) and counted in a last line "failures=N".
 *
 * Also per arm: the median CPU time (user + system) of the command and of
 * the descendants it waited for (wait4), steadier than wall time on a
 * machine busy with other work; what a command leaves running (hardrun's
 * keeper) is not in it.
 *
 * Prints, per arm: its median in ms, and the median over rounds of its
 * time divided by the first arm's in the same round (rounds pair up the
 * arms, so a slow minute of this VM weighs on both sides of the ratio).
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

#define MAX_ARMS 8

struct arm {
	char **argv;
	int argc;
	const char *dst, *src;
	double *ms, *cpu;
};

static double median(const double *v, int n)
{
	double *s = malloc((size_t)n * sizeof(*s));
	double m;
	memcpy(s, v, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), bench_cmp_double);
	m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return m;
}

static double last_cpu_ms;

static double run(const struct arm *a, int round)
{
	struct rusage ru;
	char *argv[256], bufs[256][512];
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status;

	for (int i = 0; i < a->argc && i < 255; i++)
		argv[i] = bench_round_arg(a->argv[i], round, bufs[i], sizeof(bufs[i]));
	argv[a->argc < 255 ? a->argc : 255] = NULL;
	if (a->dst && bench_copy(a->src, a->dst) < 0)
		exit(1);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	const char *errlog = getenv("INTERLEAVE_ERRLOG");
	posix_spawn_file_actions_addopen(&fa, 2, errlog ? errlog : "/dev/null",
					 O_WRONLY | O_APPEND | O_CREAT, 0600);
	long long t0 = bench_now_ns();
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
		perror(argv[0]);
		exit(1);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		;
	/* the command's CPU time and that of the descendants it waited for */
	last_cpu_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		      (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	double t = (double)(bench_now_ns() - t0) / 1e6;
	posix_spawn_file_actions_destroy(&fa);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "interleave: %s (round %d) failed: status %d\n", argv[0], round,
			status);
		return -1;
	}
	return t;
}

/* Every order of k arms (Heap's algorithm), shuffled (xorshift64, fixed seed). */
static int (*orders(int k, int *count))[MAX_ARMS]
{
	int total = 1, c[MAX_ARMS] = {0}, a[MAX_ARMS], n = 0, i = 1;
	unsigned long long seed = 0x9e3779b97f4a7c15ull;

	for (int j = 2; j <= k; j++)
		total *= j;
	int(*p)[MAX_ARMS] = calloc((size_t)total, sizeof(*p));
	if (!p)
		exit(2);
	for (int j = 0; j < k; j++)
		a[j] = j;
	memcpy(p[n++], a, sizeof(a));
	while (i < k) {
		if (c[i] < i) {
			int s = i % 2 ? c[i] : 0, t = a[s];
			a[s] = a[i];
			a[i] = t;
			memcpy(p[n++], a, sizeof(a));
			c[i]++;
			i = 1;
		} else {
			c[i++] = 0;
		}
	}
	for (int j = total - 1; j > 0; j--) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		int s = (int)(seed % (unsigned long long)(j + 1));
		int t[MAX_ARMS];
		memcpy(t, p[j], sizeof(t));
		memcpy(p[j], p[s], sizeof(t));
		memcpy(p[s], t, sizeof(t));
	}
	*count = total;
	return p;
}

int main(int argc, char **argv)
{
	struct arm arms[MAX_ARMS] = {0};
	int n, warmup, k = 0, failures = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: interleave N WARMUP [=DST=SRC] CMD... [;; ...]\n");
		return 2;
	}
	n = atoi(argv[1]);
	warmup = atoi(argv[2]);
	for (int i = 3; i < argc && k < MAX_ARMS; k++) {
		struct arm *a = &arms[k];
		if (argv[i][0] == '=') {
			char *sep = strchr(argv[i] + 1, '=');
			if (!sep)
				return 2;
			*sep = '\0';
			a->dst = argv[i] + 1;
			a->src = sep + 1;
			i++;
		}
		a->argv = argv + i;
		while (i < argc && strcmp(argv[i], ";;") != 0)
			i++, a->argc++;
		if (i < argc)
			argv[i++] = NULL;
		a->ms = calloc((size_t)n, sizeof(double));
		a->cpu = calloc((size_t)n, sizeof(double));
	}
	const char *gap_env = getenv("INTERLEAVE_GAP_MS");
	long gap_us = gap_env ? atol(gap_env) * 1000 : 0;
	int nperm = 0, (*perms)[MAX_ARMS] = orders(k, &nperm);
	for (int r = 0; r < n + warmup; r++) {
		const int *order = perms[r % nperm];
		for (int j = 0; j < k; j++) {
			struct arm *a = &arms[order[j]];
			double t = run(a, r);
			/* A busy machine fails a start now and then (runc's own
			 * timeouts): retried under another id, counted, reported. */
			for (int retry = 1; t < 0 && retry <= 2; retry++) {
				failures++;
				t = run(a, r + retry * 100000);
			}
			if (t < 0 || failures > (n + warmup) * k / 20 + 2) {
				fprintf(stderr, "interleave: too many failures (%d)\n", failures);
				return 1;
			}
			if (r >= warmup) {
				a->ms[r - warmup] = t;
				a->cpu[r - warmup] = last_cpu_ms;
			}
			if (gap_us > 0)
				usleep((useconds_t)gap_us);
		}
	}
	double *ratio = calloc((size_t)n, sizeof(double));
	for (int j = 0; j < k; j++) {
		for (int r = 0; r < n; r++)
			ratio[r] = arms[j].ms[r] / arms[0].ms[r];
		printf("arm%d median_ms=%.3f paired_ratio=%.4f", j, median(arms[j].ms, n),
		       median(ratio, n));
		printf(" cpu_median_ms=%.3f\n", median(arms[j].cpu, n));
	}
	printf("failures=%d\n", failures);
	return 0;
}
