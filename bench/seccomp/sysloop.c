/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-syscall cost inside a container: a getppid loop (the cheapest real
 * syscall, so the filter is most of the cost) and a mixed loop of calls
 * real programs make in their hot paths, including ioctl, which the default
 * profile checks by argument.  Prints "getppid_ns=... mixed_ns=... ioctl_ns=..."
 * (nanoseconds per syscall, best of three passes).  Static so it runs in a
 * busybox rootfs.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double best(double (*fn)(long), long n)
{
	double b = 1e30;
	for (int i = 0; i < 3; i++) {
		double t = fn(n);
		if (t < b)
			b = t;
	}
	return b;
}

static double loop_getppid(long n)
{
	double t0 = now();
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	return (now() - t0) / n;
}

static int zero = -1, null = -1, ep = -1, pp[2];

static double loop_ioctl(long n)
{
	int v;
	double t0 = now();
	for (long i = 0; i < n; i++)
		ioctl(pp[0], FIONREAD, &v);
	return (now() - t0) / n;
}

/* 8 syscalls an iteration */
static double loop_mixed(long n)
{
	char c;
	struct stat st;
	struct timespec ts;
	struct epoll_event ev;
	int f = 0, v;
	double t0 = now();
	for (long i = 0; i < n; i++) {
		syscall(SYS_getppid);
		if (read(zero, &c, 1) != 1 || write(null, &c, 1) != 1)
			exit(2);
		fstat(zero, &st);
		ioctl(pp[0], FIONREAD, &v);
		syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
		syscall(SYS_futex, &f, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
		epoll_wait(ep, &ev, 1, 0);
	}
	return (now() - t0) / n / 8;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	zero = open("/dev/zero", O_RDONLY);
	null = open("/dev/null", O_WRONLY);
	ep = epoll_create1(0);
	if (zero < 0 || null < 0 || ep < 0 || pipe(pp) < 0)
		return 1;
	printf("getppid_ns=%.1f mixed_ns=%.1f ioctl_ns=%.1f\n", best(loop_getppid, n),
	       best(loop_mixed, n / 8), best(loop_ioctl, n));
	return 0;
}
