/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kill-worker [-STOP] DELAY_US CMD [ARG...]: run CMD and, DELAY_US
 * microseconds after starting it, SIGKILL (or SIGSTOP) every child CMD's
 * process has then (hardrun's lease hand-over worker, which hardens while
 * CMD's process is already runc), not CMD's process itself.  Prints
 * "killed N PID..." (or "stopped N PID...") on stderr, the children hit,
 * then waits for CMD and exits with its status (128 + signal when killed).
 * The wait is a spin on the clock: sleeping would not be this precise.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
	char path[64];
	int status = 0, killed = 0;
	long pid, hit[16];

	int sig = argc > 1 && strcmp(argv[1], "-STOP") == 0 ? SIGSTOP : SIGKILL;

	argv += sig == SIGSTOP;
	argc -= sig == SIGSTOP;
	if (argc < 3) {
		fprintf(stderr, "usage: kill-worker [-STOP] DELAY_US CMD [ARG...]\n");
		return 2;
	}
	long long delay = atoll(argv[1]), t0 = now_us();
	pid_t p = fork();
	if (p < 0)
		return 2;
	if (p == 0) {
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	while (now_us() - t0 < delay)
		;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)p, (int)p);
	FILE *f = fopen(path, "r");
	while (f && fscanf(f, "%ld", &pid) == 1 && killed < 16)
		if (kill((pid_t)pid, sig) == 0)
			hit[killed++] = pid;
	if (f)
		fclose(f);
	fprintf(stderr, "%s %d", sig == SIGSTOP ? "stopped" : "killed", killed);
	for (int i = 0; i < killed; i++)
		fprintf(stderr, " %ld", hit[i]);
	fprintf(stderr, "\n");
	if (waitpid(p, &status, 0) < 0)
		return 2;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
