/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A foreground `run` of a process.terminal config without --console-socket:
 * as runc, hardrun keeps the pty master and relays it to its own stdio (raw
 * mode when stdin is a terminal), forwarding signals and window sizes.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/util.h"
#include "rt.h"

static const int relayed[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

static void copy_winsize(int master)
{
	struct winsize ws;
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

/* Output left in the pty once the process is gone. */
static void drain(int master)
{
	char buf[4096];
	struct pollfd p = {.fd = master, .events = POLLIN};
	ssize_t n;

	while (poll(&p, 1, 0) > 0 && (n = read(master, buf, sizeof(buf))) > 0)
		if (hr_write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
			break;
}

static bool reaped(pid_t pid, int *exit_status)
{
	int st = 0;
	pid_t w;

	while ((w = waitpid(-1, &st, WNOHANG)) > 0)
		if (w == pid) {
			*exit_status = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
			return true;
		}
	if (w < 0 && errno == ECHILD) {
		*exit_status = 255;
		return true;
	}
	return false;
}

static void relay(int master, pid_t pid, int sfd, int *exit_status)
{
	struct pollfd p[3] = {{.fd = sfd, .events = POLLIN},
			      {.fd = master, .events = POLLIN},
			      {.fd = STDIN_FILENO, .events = POLLIN}};
	char buf[4096];
	ssize_t n;

	for (;;) {
		if (poll(p, 3, -1) < 0 && errno != EINTR)
			return;
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGWINCH)
					copy_winsize(master);
				else if (si.ssi_signo != SIGCHLD)
					kill(pid, (int)si.ssi_signo);
			}
			if (reaped(pid, exit_status)) {
				drain(master);
				return;
			}
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(master, buf, sizeof(buf));
			if (n > 0)
				hr_write_all(STDOUT_FILENO, buf, (size_t)n);
			else
				p[1].fd = -1; /* EIO: every slave closed; wait for the exit */
		}
		if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n <= 0 || hr_write_all(master, buf, (size_t)n) < 0)
				p[2].fd = -1;
		}
	}
}

int hr_rt_tty_relay(pid_t pid, int master, int *exit_status)
{
	_cleanup_close_ int sfd = -1;
	struct termios saved, raw;
	bool restore = false;
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(relayed) / sizeof(relayed[0]); i++)
		sigaddset(&set, relayed[i]);
	sigaddset(&set, SIGCHLD);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0)
		return hr_rt_wait_forward(pid, exit_status);
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
		raw = saved;
		cfmakeraw(&raw);
		restore = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
		copy_winsize(master);
	}
	*exit_status = 255;
	/* a reader gone from our stdout must not kill us before the container is reaped */
	void (*pipe_was)(int) = signal(SIGPIPE, SIG_IGN);
	if (!reaped(pid, exit_status))
		relay(master, pid, sfd, exit_status);
	signal(SIGPIPE, pipe_was);
	if (restore)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	return 0;
}
