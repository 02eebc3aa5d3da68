/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hardrun's own latency before the lower runtime starts, without runc's
 * 30-60 ms of noise around it: this program is also the "runtime".
 *
 *   prexec N WARMUP BUNDLE ORIG CMD ARGS...   driver
 *   (HR_PREXEC_OUT set)                       stamp: a runtime that writes
 *                                             CLOCK_MONOTONIC to that file
 *
 * The driver copies ORIG over BUNDLE/config.json ("-": no copy), takes the
 * time, spawns CMD ("%d" in an argument becomes the round), waits, and reads
 * the time at which the stamp's main() ran.  With CMD the stamp itself, that
 * is the cost of starting any program; with CMD hardrun --hardrun-runtime
 * <this program> run ..., everything hardrun does before the exec as well.
 * 20 ms between rounds let the previous keeper finish.  Prints the median,
 * quartiles, in microseconds.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

static int stamp(const char *out)
{
	long long t = bench_now_ns();
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%lld\n", t);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	return fd >= 0 && write(fd, buf, (size_t)n) == n && close(fd) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *out = getenv("HR_PREXEC_OUT");
	char cfg[4096], file[] = "/tmp/hr-prexec.XXXXXX", bufs[64][512];

	if (out)
		return stamp(out);
	if (argc < 6) {
		fprintf(stderr, "usage: prexec N WARMUP BUNDLE ORIG CMD ARGS...\n");
		return 2;
	}
	int n = atoi(argv[1]), warmup = atoi(argv[2]);
	const char *orig = argv[4];
	char **cmd = argv + 5;
	double *us = calloc((size_t)(n > 0 ? n : 1), sizeof(double));
	int fd = mkstemp(file);

	if (n < 4 || fd < 0 || !us)
		return 2;
	close(fd);
	setenv("HR_PREXEC_OUT", file, 1);
	snprintf(cfg, sizeof(cfg), "%s/config.json", argv[3]);
	for (int r = 0; r < n + warmup; r++) {
		char *args[64];
		int k = 0, status = 0;
		pid_t pid;
		long long t1 = 0;

		if (strcmp(orig, "-") != 0 && bench_copy(orig, cfg) < 0)
			return 1;
		for (; cmd[k] && k < 63; k++)
			args[k] = bench_round_arg(cmd[k], r, bufs[k], sizeof(bufs[k]));
		args[k] = NULL;
		usleep(20000);
		unlink(file);
		long long t0 = bench_now_ns();
		if (posix_spawn(&pid, args[0], NULL, NULL, args, environ) != 0 ||
		    waitpid(pid, &status, 0) < 0 || status != 0) {
			fprintf(stderr, "prexec: %s (round %d) failed: status %d\n", args[0], r,
				status);
			return 1;
		}
		FILE *f = fopen(file, "r");
		if (!f || fscanf(f, "%lld", &t1) != 1) {
			fprintf(stderr, "prexec: the runtime never started (round %d)\n", r);
			return 1;
		}
		fclose(f);
		if (r >= warmup)
			us[r - warmup] = (double)(t1 - t0) / 1e3;
	}
	unlink(file);
	qsort(us, (size_t)n, sizeof(double), bench_cmp_double);
	printf("median_us=%.0f p25_us=%.0f p75_us=%.0f\n", us[n / 2], us[n / 4], us[3 * n / 4]);
	return 0;
}
