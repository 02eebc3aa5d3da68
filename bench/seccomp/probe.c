/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Runs inside a container under the default seccomp profile: what real
 * programs need must work, what the profile forbids must fail with its errno.
 * One "PASS|FAIL description (errno NAME)" line per check, then "N failed".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>
static int fails;
#define CHECK(desc, cond)                                                                          \
	do {                                                                                       \
		errno = 0;                                                                         \
		int _ok = (cond);                                                                  \
		int _e = errno;                                                                    \
		printf("%s %s (errno %s)\n", _ok ? "PASS" : "FAIL", desc,                          \
		       strerrorname_np(_e) ? strerrorname_np(_e) : "0");                           \
		if (!_ok)                                                                          \
			fails++;                                                                   \
	} while (0)
static void *tf(void *a)
{
	return a;
}
int main(void)
{
	pthread_t t;
	int fd, st, pp[2];
	char c = 'x';
	pid_t p;
	CHECK("pthread_create/join",
	      pthread_create(&t, NULL, tf, NULL) == 0 && pthread_join(t, NULL) == 0);
	p = fork();
	if (p == 0) {
		execl("/bin/true", "true", (char *)0);
		_exit(3);
	}
	CHECK("fork+exec /bin/true",
	      p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	p = vfork();
	if (p == 0)
		_exit(0);
	CHECK("vfork", p > 0 && waitpid(p, &st, 0) == p);
	CHECK("mmap", mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			   0) != MAP_FAILED);
	CHECK("epoll", (fd = epoll_create1(0)) >= 0 && close(fd) == 0);
	CHECK("eventfd", (fd = eventfd(0, 0)) >= 0 && close(fd) == 0);
	CHECK("timerfd", (fd = timerfd_create(CLOCK_MONOTONIC, 0)) >= 0 && close(fd) == 0);
	CHECK("getrandom", getrandom(&c, 1, 0) == 1);
	CHECK("pipe+FIONREAD", pipe(pp) == 0 && ioctl(pp[0], FIONREAD, &st) == 0);
	struct sockaddr_in a = {
	    .sin_family = AF_INET, .sin_port = htons(1), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	fd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK("connect 127.0.0.1:1 refused (not EPERM)",
	      fd >= 0 && connect(fd, (void *)&a, sizeof(a)) < 0 && errno == ECONNREFUSED);
	CHECK("socket AF_INET6", (fd = socket(AF_INET6, SOCK_DGRAM, 0)) >= 0);
	CHECK("socket AF_NETLINK", (fd = socket(AF_NETLINK, SOCK_RAW, 0)) >= 0);
	CHECK("socket AF_ALG refused", socket(38, SOCK_SEQPACKET, 0) < 0 && errno == EPERM);
	CHECK("socket AF_VSOCK refused", socket(40, SOCK_STREAM, 0) < 0 && errno == EPERM);
	CHECK("clone3 ENOSYS", syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS);
	CHECK("clone(CLONE_NEWUSER) refused",
	      syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0) < 0 && errno == EPERM);
	CHECK("unshare refused", unshare(CLONE_NEWNS) < 0 && errno == EPERM);
	CHECK("setns refused", setns(0, 0) < 0 && errno == EPERM);
	CHECK("bpf refused", syscall(SYS_bpf, 0, 0, 0) < 0 && errno == EPERM);
	CHECK("keyctl refused", syscall(SYS_keyctl, 0, 0) < 0 && errno == EPERM);
	CHECK("ptrace refused", syscall(SYS_ptrace, 0, 0, 0, 0) < 0 && errno == EPERM);
	CHECK("userfaultfd refused", syscall(SYS_userfaultfd, 0) < 0 && errno == EPERM);
	CHECK("perf_event_open refused",
	      syscall(SYS_perf_event_open, 0, 0, 0, 0, 0) < 0 && errno == EPERM);
	CHECK("open_by_handle_at refused",
	      syscall(SYS_open_by_handle_at, -1, 0, 0) < 0 && errno == EPERM);
	CHECK("io_uring_setup ENOSYS", syscall(SYS_io_uring_setup, 1, 0) < 0 && errno == ENOSYS);
	CHECK("mount refused",
	      syscall(SYS_mount, "none", "/mnt", "tmpfs", 0, 0) < 0 && errno == EPERM);
	CHECK("personality(READ_IMPLIES_EXEC) refused",
	      syscall(SYS_personality, 0x400000UL) < 0 && errno == EPERM);
	CHECK("personality query", syscall(SYS_personality, 0xffffffffUL) >= 0);
	printf("%d failed\n", fails);
	return fails != 0;
}
