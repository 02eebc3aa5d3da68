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

extern char **environ;

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int stamp(const char *out)
{
	long long t = now_ns();
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%lld\n", t);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	return fd >= 0 && write(fd, buf, (size_t)n) == n && close(fd) == 0 ? 0 : 1;
}

static int copy(const char *src, const char *dst)
{
	static char buf[1 << 22];
	int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ssize_t n = in >= 0 ? read(in, buf, sizeof(buf)) : -1;
	int ok = in >= 0 && out >= 0 && n >= 0 && write(out, buf, (size_t)n) == n;

	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *out = getenv("HR_PREXEC_OUT");
	char cfg[4096], file[] = "/tmp/hr-prexec.XXXXXX", round[16];

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

		if (strcmp(orig, "-") != 0 && copy(orig, cfg) < 0)
			return 1;
		snprintf(round, sizeof(round), "%d", r);
		for (; cmd[k] && k < 63; k++) {
			const char *p = strstr(cmd[k], "%d");
			args[k] = cmd[k];
			if (p) { /* the first "%d" becomes the round */
				args[k] = malloc(strlen(cmd[k]) + sizeof(round));
				sprintf(args[k], "%.*s%s%s", (int)(p - cmd[k]), cmd[k], round,
					p + 2);
			}
		}
		args[k] = NULL;
		usleep(20000);
		unlink(file);
		long long t0 = now_ns();
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
	qsort(us, (size_t)n, sizeof(double), by_value);
	printf("median_us=%.0f p25_us=%.0f p75_us=%.0f\n", us[n / 2], us[n / 4], us[3 * n / 4]);
	return 0;
}
