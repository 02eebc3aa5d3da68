/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The child's last steps: the point of no return.  Order matters and is the
 * threat model: the bounding set is dropped while we still hold CAP_SETPCAP,
 * ids change with KEEPCAPS so the final cap_set_proc() decides what remains,
 * no_new_privs before the filter, and the seccomp filter last before execve
 * so it need not allow anything but execve itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <linux/close_range.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rt.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *env_get(char **env, const char *name)
{
	size_t n = strlen(name);
	for (char **e = env; e && *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

/* Find args[0] the way execvp would, so a typo fails `create`, not `start`. */
static int resolve_exe(const struct hr_rt_process *p, char *out, size_t size)
{
	const char *path = env_get(p->env, "PATH");
	const char *name = p->args[0];

	if (strchr(name, '/')) {
		if (access(name, X_OK) < 0)
			return -1;
		snprintf(out, size, "%s", name);
		return 0;
	}
	if (!path)
		path = DEFAULT_PATH;
	while (*path) {
		const char *end = strchrnul(path, ':');
		struct stat st;

		snprintf(out, size, "%.*s/%s", (int)(end - path), end == path ? "." : path, name);
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
			return 0;
		path = *end ? end + 1 : end;
	}
	errno = ENOENT;
	return -1;
}

static void apply_ids(const struct hr_rt_process *p, int sync)
{
	if (setgroups(p->n_gids, p->gids) < 0) {
		char buf[8] = "";
		int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
		/* "deny" (unprivileged user namespace): only an empty list is acceptable */
		if (fd >= 0) {
			if (read(fd, buf, sizeof(buf) - 1) < 0)
				buf[0] = 0;
			close(fd);
		}
		if (p->n_gids || strncmp(buf, "deny", 4) != 0)
			hr_rt_die(sync, errno, "setgroups");
	}
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		hr_rt_die(sync, errno, "setresgid %u", (unsigned)p->gid);
	if (setresuid(p->uid, p->uid, p->uid) < 0)
		hr_rt_die(sync, errno, "setresuid %u", (unsigned)p->uid);
}

static void apply_caps(const struct hr_rt_process *p, int sync)
{
	unsigned max = cap_max_bits();

	for (unsigned v = 0; v < max && v < 64; v++)
		if (!(p->bounding & (1ULL << v)) && cap_drop_bound((cap_value_t)v) < 0)
			hr_rt_die(sync, errno, "drop capability %u from the bounding set", v);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		hr_rt_die(sync, errno, "PR_SET_KEEPCAPS");
	apply_ids(p, sync);
	if (cap_set_proc(p->caps) < 0)
		hr_rt_die(sync, errno, "set capabilities");
	if (cap_reset_ambient() < 0 && p->ambient)
		hr_rt_die(sync, errno, "reset ambient capabilities");
	for (unsigned v = 0; v < max && v < 64; v++) {
		cap_flag_value_t inh = CAP_CLEAR, prm = CAP_CLEAR;
		if (!(p->ambient & (1ULL << v)))
			continue;
		/* the kernel only keeps ambient caps that are also inheritable: as runc, skip
		 * others */
		cap_get_flag(p->caps, (cap_value_t)v, CAP_INHERITABLE, &inh);
		cap_get_flag(p->caps, (cap_value_t)v, CAP_PERMITTED, &prm);
		if (inh != CAP_SET || prm != CAP_SET)
			continue;
		if (cap_set_ambient((cap_value_t)v, CAP_SET) < 0)
			hr_rt_die(sync, errno, "raise ambient capability %u", v);
	}
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		hr_rt_die(sync, errno, "PR_SET_KEEPCAPS");
}

/* The kernel refuses the write when SELinux is off: a label is never silently dropped. */
static void apply_selinux(const char *label, int sync)
{
	int fd = open("/proc/thread-self/attr/exec", O_WRONLY | O_CLOEXEC);
	size_t n = strlen(label);

	if (fd < 0 || write(fd, label, n) != (ssize_t)n)
		hr_rt_die(sync, errno, "SELinux label %s", label);
	close(fd);
}

static void apply_apparmor(const char *profile, int sync)
{
	int fd = open("/proc/self/attr/apparmor/exec", O_WRONLY | O_CLOEXEC);
	char buf[512];
	int n;

	if (fd < 0)
		fd = open("/proc/self/attr/exec", O_WRONLY | O_CLOEXEC);
	n = snprintf(buf, sizeof(buf), "exec %s", profile);
	if (fd < 0 || write(fd, buf, (size_t)n) != n)
		hr_rt_die(sync, errno, "apparmor profile %s", profile);
	close(fd);
}

/*
 * As runc: without HOME in the environment, the process user's home from
 * the container's /etc/passwd, else "/".  Runs after pivot_root: the file
 * read is the image's, as the process user.
 */
static char **with_home(const struct hr_rt_process *p, char **buf, size_t size)
{
	static char home[PATH_MAX + 8];
	char line[1024];
	size_t n = 0;
	FILE *fp;

	if (env_get(p->env, "HOME"))
		return p->env;
	snprintf(home, sizeof(home), "HOME=/");
	fp = fopen("/etc/passwd", "re");
	while (fp && fgets(line, sizeof(line), fp)) {
		char *f[7] = {NULL}, *t = line;
		size_t k = 0;

		/* name:x:uid:gid:gecos:home:shell, empty fields kept */
		while (k < 7 && (f[k] = strsep(&t, ":")))
			k++;
		if (k >= 6 && f[2] && strtoul(f[2], NULL, 10) == p->uid && f[5] && f[5][0] == '/') {
			snprintf(home, sizeof(home), "HOME=%s", f[5]);
			break;
		}
	}
	if (fp)
		fclose(fp);
	for (char **e = p->env; e && *e && n + 2 < size; e++)
		buf[n++] = *e;
	buf[n++] = home;
	buf[n] = NULL;
	return buf;
}

/*
 * chdir to the cwd, then check that it is inside our root: a symlink to
 * /proc/self/fd/N (a descriptor the caller left open, of a host directory)
 * would otherwise leave the process in the host's tree.  getcwd() fails
 * with ENOENT for a directory the root cannot reach.  Returns false when
 * denied and `first` (retried after the ids change).
 */
static bool enter_cwd(const struct hr_rt_process *p, int sync, bool first)
{
	char buf[PATH_MAX];

	if (chdir(p->cwd) < 0) {
		if (first && (errno == EACCES || errno == EPERM))
			return false;
		hr_rt_die(sync, errno, "chdir to cwd (\"%s\") set in config.json failed", p->cwd);
	}
	errno = 0;
	if (!getcwd(buf, sizeof(buf)) || buf[0] != '/')
		hr_rt_die(sync, errno ? errno : EPERM,
			  "current working directory %s is outside of the container's root",
			  p->cwd);
	return true;
}

/*
 * Before READY: the name wait_fifo() will open must be our exec.fifo, or
 * `create` would report a container that dies (or waits elsewhere) at once.
 */
static void check_fifo(int fifo, int sync)
{
	char path[64];
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fifo);
	errno = 0;
	if (fstat(fifo, &a) < 0 || stat(path, &b) < 0 || a.st_dev != b.st_dev ||
	    a.st_ino != b.st_ino)
		hr_rt_die(sync, errno ? errno : EINVAL,
			  "exec.fifo cannot be reached through the container's /proc");
}

/* Block until `start` opens exec.fifo for reading. */
static void wait_fifo(int fifo, int sync)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fifo);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1)
		hr_rt_die(sync, errno, "exec.fifo");
	close(fd);
	close(fifo);
}

void hr_rt_exec_process(const struct hr_rt_process *p, int sync, int exec_fifo, bool report_ready)
{
	char exe[PATH_MAX];
	char *env_buf[1024], **envp;
	sigset_t none;

	umask(p->has_umask ? p->umask : 022); /* runc's default, not our caller's */
	if (p->apparmor)
		apply_apparmor(p->apparmor, sync);
	if (p->selinux_label)
		apply_selinux(p->selinux_label, sync);
	/* without no_new_privs, loading a filter needs CAP_SYS_ADMIN: before the drop */
	if (p->bpf && !p->no_new_privs && hr_rt_bpf_load(p) < 0)
		hr_rt_die(sync, errno, "load the seccomp filter");
	/* runc's order: the cwd while still privileged (a directory only the
	 * container's root may enter), again as the process user if denied */
	bool in_cwd = enter_cwd(p, sync, true);
	apply_caps(p, sync);
	if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		hr_rt_die(sync, errno, "PR_SET_NO_NEW_PRIVS");
	if (!in_cwd)
		enter_cwd(p, sync, false);
	if (resolve_exe(p, exe, sizeof(exe)) < 0)
		hr_rt_die(sync, errno, "exec: %s: executable file not found", p->args[0]);
	if (exec_fifo >= 0)
		check_fifo(exec_fifo, sync);
	if (report_ready)
		hr_rt_send(sync, HR_MSG_READY, 0, "ready");
	if (exec_fifo >= 0)
		wait_fifo(exec_fifo, sync);
	for (size_t i = 0; i < p->n_start_hooks; i++) {
		struct hr_error *e = NULL;
		if (hr_rt_run_hook(&p->start_hooks[i], p->hook_state ? p->hook_state : "{}", &e) <
		    0)
			hr_rt_die(sync, e ? e->errnum : 0, "startContainer hook: %s",
				  e ? e->msg : "failed");
	}
	/* nothing of hardrun's may reach the container but stdio and the
	 * --preserve-fds the caller passed: whatever else it left open */
	if (syscall(SYS_close_range, 3 + p->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0 &&
	    errno != ENOSYS)
		hr_rt_die(sync, errno, "close_range");
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* before the filter: it need not allow reading /etc/passwd */
	envp = with_home(p, env_buf, sizeof(env_buf) / sizeof(env_buf[0]));
	if (p->bpf && p->no_new_privs && hr_rt_bpf_load(p) < 0)
		hr_rt_die(sync, errno, "load the seccomp filter");
	execve(exe, p->args, envp);
	hr_rt_send(sync, HR_MSG_ERROR, errno, "exec %s", p->args[0]);
	_exit(127);
}
