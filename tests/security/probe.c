/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Escape probe: a static binary run inside a container.  Each check tries
 * one step that a known container escape needs and prints one line
 *
 *   CHECK <name> blocked|allowed|unknown <detail>
 *
 * plus INFO lines.  The harness (escape.sh) compares the lines against
 * tests/security/expect/<profile>.txt; the probe itself always exits 0.
 *
 * Every check must be harmless on the host even when it is allowed: it
 * undoes what it did, writes back values already present, stops at the
 * permission check where the kernel checks permission before the argument
 * (kexec_load, reboot, swapon, finit_module), and never loads or writes
 * anything that changes the host.  Each check runs in its own child so a
 * chroot, setns or unshare never leaks into the next one.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <netinet/in.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/timex.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <sys/io.h>
#endif

enum verdict { V_BLOCKED, V_ALLOWED, V_UNKNOWN };

struct result {
	enum verdict v;
	char detail[240];
};

static char scratch[128]; /* writable temp dir inside the container, "" if none */

static void set(struct result *r, enum verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set(struct result *r, enum verdict v, const char *fmt, ...)
{
	va_list ap;

	r->v = v;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

static const char *en(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

/*
 * For calls where the kernel checks permission before it looks at the
 * arguments: a refusal is one of these errnos (seccomp usually answers
 * EPERM or ENOSYS), anything else means the permission check passed.
 */
static bool denied(int e)
{
	return e == EPERM || e == EACCES || e == ENOSYS || e == EROFS;
}

static void by_errno(struct result *r, long ret, int e, const char *what)
{
	if (ret >= 0)
		set(r, V_ALLOWED, "%s succeeded", what);
	else if (denied(e))
		set(r, V_BLOCKED, "%s", en(e));
	else
		set(r, V_ALLOWED, "%s passed the permission check (%s)", what, en(e));
}

static void path_in_scratch(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", scratch[0] ? scratch : "/tmp", name);
}

static int read_small(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t k;

	buf[0] = '\0';
	if (fd < 0)
		return -1;
	k = read(fd, buf, n - 1);
	close(fd);
	if (k < 0)
		return -1;
	buf[k] = '\0';
	return (int)k;
}

/* Open for writing and write back exactly what is there: proves write access, changes nothing. */
static void rewrite_same(struct result *r, const char *path)
{
	char cur[4096];
	int fd;

	if (read_small(path, cur, sizeof(cur)) < 0) {
		set(r, V_BLOCKED, "read %s: %s", path, en(errno));
		return;
	}
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		set(r, V_BLOCKED, "open %s: %s", path, en(errno));
		return;
	}
	/* write permission is checked at open: a value refused later still means access */
	if (write(fd, cur[0] ? cur : "\n", cur[0] ? strlen(cur) : 1) < 0)
		set(r, denied(errno) ? V_BLOCKED : V_ALLOWED, "opened %s for write, write: %s",
		    path, en(errno));
	else
		set(r, V_ALLOWED, "rewrote %s with its current value", path);
	close(fd);
}

static void c_mount(struct result *r)
{
	char dir[160];

	path_in_scratch(dir, sizeof(dir), "mnt");
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		snprintf(dir, sizeof(dir), "/tmp");
	if (mount("hrprobe", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=16k") < 0) {
		set(r, V_BLOCKED, "tmpfs on %s: %s", dir, en(errno));
		return;
	}
	umount2(dir, MNT_DETACH);
	set(r, V_ALLOWED, "mounted tmpfs on %s", dir);
}

static void c_unshare_userns(struct result *r)
{
	int ret = unshare(CLONE_NEWUSER);

	by_errno(r, ret, errno, "unshare(CLONE_NEWUSER)");
}

static void write_map(const char *file, const char *line)
{
	int fd = open(file, O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, line, strlen(line)) < 0) {
			/* mount below tells whether it mattered */
		}
		close(fd);
	}
}

/* The nested-userns route to CAP_SYS_ADMIN over a mount (CVE-2022-0185 and friends). */
static void c_unshare_userns_mount(struct result *r)
{
	char line[64];
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
		set(r, V_BLOCKED, "unshare(NEWUSER|NEWNS): %s", en(errno));
		return;
	}
	write_map("/proc/self/setgroups", "deny");
	snprintf(line, sizeof(line), "0 %u 1\n", (unsigned)uid);
	write_map("/proc/self/uid_map", line);
	snprintf(line, sizeof(line), "0 %u 1\n", (unsigned)gid);
	write_map("/proc/self/gid_map", line);
	/* private first: nothing may propagate back, even though this mount ns dies with us */
	mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	if (mount("hrprobe", "/tmp", "tmpfs", 0, "size=16k") < 0 &&
	    mount("hrprobe", "/", "tmpfs", 0, "size=16k") < 0) {
		set(r, V_BLOCKED, "unshare ok, tmpfs mount: %s", en(errno));
		return;
	}
	set(r, V_ALLOWED, "new userns+mountns, tmpfs mounted");
}

static void c_fsopen(struct result *r)
{
	long fd = syscall(SYS_fsopen, "tmpfs", 1 /* FSOPEN_CLOEXEC */);
	int e = errno;

	if (fd >= 0)
		close((int)fd);
	by_errno(r, fd, e, "fsopen(tmpfs)");
}

/* Shocker: a hand-made handle for inode 2 (the filesystem root) outside the container root. */
static void c_open_by_handle_at(struct result *r)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ];
	} h;
	int mnt_id, root, fd;
	struct stat a, b;

	memset(&h, 0, sizeof(h));
	h.fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, "/", &h.fh, &mnt_id, 0) < 0 || h.fh.handle_type != 1) {
		h.fh.handle_type = 1; /* FILEID_INO32_GEN */
		h.fh.handle_bytes = 8;
	}
	memset(h.fh.f_handle, 0, h.fh.handle_bytes);
	h.fh.f_handle[0] = 2;
	root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fd = (int)syscall(SYS_open_by_handle_at, root, &h.fh, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		by_errno(r, -1, errno, "open_by_handle_at");
		close(root);
		return;
	}
	fstat(fd, &a);
	fstat(root, &b);
	set(r, V_ALLOWED, "opened inode 2 (%s the container root)",
	    a.st_ino == b.st_ino && a.st_dev == b.st_dev ? "same as" : "outside");
	close(fd);
	close(root);
}

static void c_keyctl(struct result *r)
{
	long kr = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL);
	int e1 = errno;
	long k = syscall(SYS_add_key, "user", "hrprobe", "x", 1, KEY_SPEC_PROCESS_KEYRING);
	int e2 = errno;

	if (k >= 0)
		syscall(SYS_keyctl, KEYCTL_INVALIDATE, k);
	if (kr >= 0 || k >= 0)
		set(r, V_ALLOWED, "join_session_keyring=%s add_key=%s", kr >= 0 ? "ok" : en(e1),
		    k >= 0 ? "ok" : en(e2));
	else
		set(r, V_BLOCKED, "join_session_keyring=%s add_key=%s", en(e1), en(e2));
}

static void c_bpf(struct result *r)
{
	struct bpf_insn insns[2] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	union bpf_attr a;
	long m, p;
	int em, ep;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 4;
	a.max_entries = 1;
	m = syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof(a));
	em = errno;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (uintptr_t)insns;
	a.insn_cnt = 2;
	a.license = (uintptr_t) "GPL";
	p = syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	ep = errno;
	set(r, m >= 0 || p >= 0 ? V_ALLOWED : V_BLOCKED, "map_create=%s prog_load=%s",
	    m >= 0 ? "ok" : en(em), p >= 0 ? "ok" : en(ep));
	if (m >= 0)
		close((int)m);
	if (p >= 0)
		close((int)p);
}

/* Without UFFD_USER_MODE_ONLY: the kind that can stall the kernel mid-copy (race exploits). */
static void c_userfaultfd(struct result *r)
{
	long fd = syscall(SYS_userfaultfd, O_CLOEXEC);
	int e = errno;

	if (fd >= 0)
		close((int)fd);
	by_errno(r, fd, e, "userfaultfd (kernel faults)");
}

static void c_perf_event_open(struct result *r)
{
	struct perf_event_attr a;
	long fd;
	int e;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_SOFTWARE;
	a.size = sizeof(a);
	a.config = PERF_COUNT_SW_CPU_CLOCK;
	a.disabled = 1;
	a.exclude_hv = 1; /* kernel included: the part that leaks host state */
	fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
	e = errno;
	if (fd >= 0)
		close((int)fd);
	by_errno(r, fd, e, "perf_event_open (kernel+user)");
}

/* Tracer exits right after attaching: the kernel detaches, the tracee never stops. */
static void c_ptrace(struct result *r)
{
	pid_t target = 1, sib = -1;

	if (getpid() == 1 || getppid() == 0) {
		sib = fork();
		if (sib == 0) {
			pause();
			_exit(0);
		}
		target = sib;
	}
	if (ptrace(PTRACE_SEIZE, target, NULL, NULL) < 0)
		set(r, V_BLOCKED, "PTRACE_SEIZE %s: %s", sib > 0 ? "sibling" : "pid 1", en(errno));
	else
		set(r, V_ALLOWED, "PTRACE_SEIZE of %s", sib > 0 ? "a sibling" : "pid 1");
	if (sib > 0) {
		kill(sib, SIGKILL);
		waitpid(sib, NULL, __WALL);
	}
}

static void c_raw_socket(struct result *r)
{
	int s = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);

	if (s < 0) {
		set(r, V_BLOCKED, "%s", en(errno));
		return;
	}
	close(s);
	set(r, V_ALLOWED, "AF_INET SOCK_RAW created");
}

static void c_packet_socket(struct result *r)
{
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));

	if (s < 0) {
		set(r, V_BLOCKED, "%s", en(errno));
		return;
	}
	close(s);
	set(r, V_ALLOWED, "AF_PACKET socket created");
}

static void c_mknod(struct result *r)
{
	char p[160];

	path_in_scratch(p, sizeof(p), "mem");
	if (mknod(p, S_IFCHR | 0600, makedev(1, 1)) < 0) {
		set(r, V_BLOCKED, "mknod c 1 1: %s", en(errno));
		return;
	}
	unlink(p);
	set(r, V_ALLOWED, "created c 1 1 (/dev/mem) in %s, removed", scratch);
}

/* major:minor of the filesystem under the container root, from mountinfo. */
static bool root_dev(unsigned *maj, unsigned *min)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[1024], mp[512];
	bool found = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*u %*u %u:%u %*s %511s", maj, min, mp) == 3 &&
		    strcmp(mp, "/") == 0) {
			found = *maj != 0;
			break;
		}
	}
	fclose(f);
	return found;
}

/* The disk under the rootfs as a block device: read it and the host filesystem is open. */
static void c_block_device(struct result *r)
{
	unsigned maj, min;
	char p[160];
	int fd;

	if (!root_dev(&maj, &min)) {
		set(r, V_BLOCKED, "rootfs is not on a block device");
		return;
	}
	path_in_scratch(p, sizeof(p), "disk");
	if (mknod(p, S_IFBLK | 0600, makedev(maj, min)) < 0) {
		set(r, V_BLOCKED, "mknod b %u:%u: %s", maj, min, en(errno));
		return;
	}
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		set(r, V_BLOCKED, "mknod b %u:%u ok, open: %s", maj, min, en(errno));
	else
		set(r, V_ALLOWED, "opened the rootfs disk %u:%u read-only", maj, min);
	if (fd >= 0)
		close(fd);
	unlink(p);
}

static void c_write_proc_sys(struct result *r)
{
	rewrite_same(r, "/proc/sys/kernel/core_pattern");
}

/* Opening is the permission check; nothing is written (a byte would trigger sysrq). */
static void c_write_sysrq(struct result *r)
{
	int fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);

	if (fd < 0) {
		set(r, V_BLOCKED, "open for write: %s", en(errno));
		return;
	}
	close(fd);
	set(r, V_ALLOWED, "opened for write (nothing written)");
}

static void c_write_sys(struct result *r)
{
	static const char *const paths[] = {
	    "/sys/kernel/uevent_helper",
	    "/sys/kernel/profiling",
	    "/sys/kernel/mm/transparent_hugepage/enabled",
	    NULL,
	};
	for (const char *const *p = paths; *p; p++) {
		if (access(*p, F_OK) == 0) {
			rewrite_same(r, *p);
			return;
		}
	}
	set(r, V_BLOCKED, "no known /sys file visible");
}

/* First cgroup.procs below /sys/fs/cgroup (v2 root or a v1 hierarchy root). */
static void c_write_cgroupfs(struct result *r)
{
	static const char *const paths[] = {
	    "/sys/fs/cgroup/cgroup.procs",
	    "/sys/fs/cgroup/pids/cgroup.procs",
	    "/sys/fs/cgroup/memory/cgroup.procs",
	    "/sys/fs/cgroup/unified/cgroup.procs",
	    NULL,
	};
	for (const char *const *p = paths; *p; p++) {
		int fd = open(*p, O_WRONLY | O_CLOEXEC);

		if (fd >= 0) {
			close(fd);
			set(r, V_ALLOWED, "opened %s for write (nothing written)", *p);
			return;
		}
		if (errno != ENOENT) {
			set(r, V_BLOCKED, "open %s: %s", *p, en(errno));
			return;
		}
	}
	set(r, V_BLOCKED, "no cgroup.procs visible");
}

static bool try_release_agent(struct result *r, const char *dir)
{
	char p[400];

	snprintf(p, sizeof(p), "%s/release_agent", dir);
	if (access(p, F_OK) < 0)
		return false;
	rewrite_same(r, p);
	return true;
}

/* CVE-2022-0492: a v1 hierarchy's release_agent runs as host root. */
static void c_cgroup_release_agent(struct result *r)
{
	static const char *const opts[] = {"cpuset", "memory", "none,name=hrprobe", NULL};
	char dir[160];
	DIR *d = opendir("/sys/fs/cgroup");
	struct dirent *e;
	int merr = 0;

	while (d && (e = readdir(d))) {
		char sub[300];

		snprintf(sub, sizeof(sub), "/sys/fs/cgroup/%s", e->d_name);
		if (e->d_name[0] != '.' && try_release_agent(r, sub) && r->v == V_ALLOWED)
			break;
	}
	if (d)
		closedir(d);
	if (r->v == V_ALLOWED)
		return;
	path_in_scratch(dir, sizeof(dir), "cg");
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		set(r, V_BLOCKED, "no release_agent reachable, mkdir %s: %s", dir, en(errno));
		return;
	}
	for (const char *const *o = opts; *o; o++) {
		if (mount("cgroup", dir, "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC, *o) < 0) {
			merr = errno;
			continue;
		}
		try_release_agent(r, dir);
		umount2(dir, MNT_DETACH);
		rmdir(dir);
		if (r->v == V_BLOCKED)
			strncat(r->detail, " (after mounting cgroup v1)", 40);
		return;
	}
	rmdir(dir);
	set(r, V_BLOCKED, "no release_agent reachable, cgroup v1 mount: %s", en(merr));
}

/* /dev/null is not a module: with the capability the kernel answers EINVAL, never loads. */
static void c_kernel_module(struct result *r)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	long f = syscall(SYS_finit_module, fd, "", 0);
	int ef = errno;
	long i = syscall(SYS_init_module, "\0\0\0\0", 4UL, "");
	int ei = errno;

	if (fd >= 0)
		close(fd);
	if ((f < 0 && denied(ef)) && (i < 0 && denied(ei)))
		set(r, V_BLOCKED, "finit_module=%s init_module=%s", en(ef), en(ei));
	else
		set(r, V_ALLOWED, "permission check passed: finit_module=%s init_module=%s",
		    f < 0 ? en(ef) : "ok", i < 0 ? en(ei) : "ok");
}

/* 17 segments is over KEXEC_SEGMENT_MAX: refused after the permission check, nothing unloaded. */
static void c_kexec_load(struct result *r)
{
	long ret = syscall(SYS_kexec_load, 0UL, 17UL, NULL, 0UL);

	by_errno(r, ret, errno, "kexec_load");
}

/* Bad magic: EINVAL comes after the CAP_SYS_BOOT check. */
static void c_reboot(struct result *r)
{
	long ret = syscall(SYS_reboot, 0, 0, 0, NULL);

	by_errno(r, ret, errno, "reboot");
}

static void c_read_kcore(struct result *r)
{
	char buf[8];
	int fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		set(r, V_BLOCKED, "open: %s", en(errno));
		return;
	}
	n = read(fd, buf, 4);
	close(fd);
	if (n == 4 && memcmp(buf, "\177ELF", 4) == 0)
		set(r, V_ALLOWED, "read the ELF header of /proc/kcore");
	else
		set(r, V_BLOCKED, "read returned %zd (masked)", n);
}

static unsigned long ns_inode(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (unsigned long)st.st_ino : 0;
}

static const char *host_env(const char *ns)
{
	char name[64];

	snprintf(name, sizeof(name), "HOST_%sNS_INODE", ns);
	for (char *c = name; *c; c++)
		*c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
	return getenv(name);
}

static void host_ns(struct result *r, const char *ns)
{
	char p[64];
	const char *h = host_env(ns);
	unsigned long mine;

	snprintf(p, sizeof(p), "/proc/self/ns/%s", ns);
	mine = ns_inode(p);
	if (!h || !*h)
		set(r, V_UNKNOWN, "inode %lu, host inode not given", mine);
	else if (mine == 0)
		set(r, V_UNKNOWN, "cannot stat %s", p);
	else if (mine == strtoul(h, NULL, 10))
		set(r, V_ALLOWED, "shares the host %s namespace (inode %lu)", ns, mine);
	else
		set(r, V_BLOCKED, "own %s namespace (inode %lu, host %s)", ns, mine, h);
}

static void c_host_pid_ns(struct result *r)
{
	host_ns(r, "pid");
}
static void c_host_net_ns(struct result *r)
{
	host_ns(r, "net");
}
static void c_host_ipc_ns(struct result *r)
{
	host_ns(r, "ipc");
}
static void c_host_uts_ns(struct result *r)
{
	host_ns(r, "uts");
}
static void c_host_mnt_ns(struct result *r)
{
	host_ns(r, "mnt");
}
static void c_host_cgroup_ns(struct result *r)
{
	host_ns(r, "cgroup");
}
static void c_host_user_ns(struct result *r)
{
	host_ns(r, "user");
}

/* A host namespace reachable through some /proc/<pid>/ns link, joined in this child. */
static void c_setns_host(struct result *r)
{
	static const char *const types[] = {"mnt", "pid", "net", "user", NULL};
	bool any_env = false;
	DIR *d;
	struct dirent *e;

	for (const char *const *t = types; *t; t++) {
		const char *h = host_env(*t);
		char self[64];

		if (!h || !*h)
			continue;
		any_env = true;
		snprintf(self, sizeof(self), "/proc/self/ns/%s", *t);
		if (ns_inode(self) == strtoul(h, NULL, 10))
			continue; /* already in it: host_*_ns reports that */
		if (!(d = opendir("/proc")))
			break;
		while ((e = readdir(d))) {
			char p[300];
			int fd;

			if (e->d_name[0] < '1' || e->d_name[0] > '9')
				continue;
			snprintf(p, sizeof(p), "/proc/%s/ns/%s", e->d_name, *t);
			if (ns_inode(p) != strtoul(h, NULL, 10))
				continue;
			closedir(d);
			fd = open(p, O_RDONLY | O_CLOEXEC);
			if (fd >= 0 && setns(fd, 0) == 0)
				set(r, V_ALLOWED, "joined the host %s namespace via %s", *t, p);
			else
				set(r, V_BLOCKED, "host %s ns visible at %s, setns: %s", *t, p,
				    en(errno));
			if (r->v == V_ALLOWED)
				return;
			d = NULL;
			break;
		}
		if (d)
			closedir(d);
	}
	if (!any_env)
		set(r, V_UNKNOWN, "host namespace inodes not given");
	else if (!r->detail[0])
		set(r, V_BLOCKED, "no host namespace reachable through /proc");
}

static void c_runtime_socket(struct result *r)
{
	static const char *const socks[] = {
	    "/run/containerd/containerd.sock",
	    "/var/run/containerd/containerd.sock",
	    "/var/run/docker.sock",
	    "/run/docker.sock",
	    "/run/crio/crio.sock",
	    "/run/podman/podman.sock",
	    "/var/run/crio/crio.sock",
	    NULL,
	};
	for (const char *const *p = socks; *p; p++) {
		struct sockaddr_un a = {.sun_family = AF_UNIX};
		struct stat st;
		int s;

		if (stat(*p, &st) < 0 || !S_ISSOCK(st.st_mode))
			continue;
		s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", *p);
		if (s >= 0 && connect(s, (struct sockaddr *)&a, sizeof(a)) == 0) {
			close(s);
			set(r, V_ALLOWED, "connected to %s", *p);
			return;
		}
		set(r, V_BLOCKED, "%s present, connect: %s", *p, en(errno));
		if (s >= 0)
			close(s);
	}
	if (!r->detail[0])
		set(r, V_BLOCKED, "no runtime socket visible");
}

/* Classic fchdir break-out: only escapes where the root is a chroot, not a pivot_root. */
static void c_chroot_escape(struct result *r)
{
	struct stat before, after;
	char jail[160];
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	stat("/", &before);
	path_in_scratch(jail, sizeof(jail), "jail");
	if (mkdir(jail, 0700) < 0 && errno != EEXIST)
		snprintf(jail, sizeof(jail), "/proc");
	if (chroot(jail) < 0) {
		set(r, V_BLOCKED, "chroot: %s", en(errno));
		rmdir(jail);
		return;
	}
	if (fchdir(fd) == 0) {
		for (int i = 0; i < 64; i++)
			if (chdir("..") < 0)
				break;
	}
	if (chroot(".") < 0 || stat("/", &after) < 0) {
		set(r, V_BLOCKED, "chroot ok, second chroot: %s", en(errno));
	} else if (after.st_ino != before.st_ino || after.st_dev != before.st_dev) {
		set(r, V_ALLOWED, "broke out: / is now %u:%u ino %lu", major(after.st_dev),
		    minor(after.st_dev), (unsigned long)after.st_ino);
	} else {
		set(r, V_BLOCKED, "chroot allowed, but .. of the root is the root (pivot_root)");
	}
	/* still at the real / of this mount ns: the jail path is reachable from here */
	rmdir(jail);
}

static bool status_field(const char *key, char *out, size_t n)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	size_t k = strlen(key);
	bool found = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, k) == 0 && line[k] == ':') {
			snprintf(out, n, "%s", line + k + 1 + strspn(line + k + 1, " \t"));
			out[strcspn(out, "\n")] = '\0';
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

/* Capabilities that open kernel attack surface or act on the host even inside a user namespace. */
static void c_dangerous_caps(struct result *r)
{
	static const struct {
		int bit;
		const char *name;
	} caps[] = {
	    {2, "DAC_READ_SEARCH"}, {12, "NET_ADMIN"},	  {13, "NET_RAW"},   {16, "SYS_MODULE"},
	    {17, "SYS_RAWIO"},	    {19, "SYS_PTRACE"},	  {21, "SYS_ADMIN"}, {22, "SYS_BOOT"},
	    {25, "SYS_TIME"},	    {32, "MAC_OVERRIDE"}, {33, "MAC_ADMIN"}, {34, "SYSLOG"},
	    {38, "PERFMON"},	    {39, "BPF"},
	};
	char v[64], list[200] = "";
	unsigned long long eff;

	if (!status_field("CapEff", v, sizeof(v))) {
		set(r, V_UNKNOWN, "no CapEff in /proc/self/status");
		return;
	}
	eff = strtoull(v, NULL, 16);
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if (eff & (1ULL << caps[i].bit))
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 list[0] ? "," : "", caps[i].name);
	set(r, list[0] ? V_ALLOWED : V_BLOCKED, "CapEff=%s%s%s", v, list[0] ? " has " : "", list);
}

static void c_new_privs(struct result *r)
{
	char v[16];

	if (!status_field("NoNewPrivs", v, sizeof(v)))
		set(r, V_UNKNOWN, "no NoNewPrivs field");
	else
		set(r, strcmp(v, "1") ? V_ALLOWED : V_BLOCKED, "NoNewPrivs=%s", v);
}

static void c_no_seccomp(struct result *r)
{
	char v[16];

	if (!status_field("Seccomp", v, sizeof(v)))
		set(r, V_UNKNOWN, "no Seccomp field");
	else
		set(r, strcmp(v, "2") ? V_ALLOWED : V_BLOCKED, "Seccomp=%s", v);
}

/* Some id inside maps to host uid 0: a file or setuid path to real root. */
static void c_host_root(struct result *r)
{
	FILE *f = fopen("/proc/self/uid_map", "re");
	unsigned long in, out, cnt;

	if (!f) {
		set(r, V_UNKNOWN, "cannot read uid_map");
		return;
	}
	set(r, V_BLOCKED, "no id maps to host root");
	while (fscanf(f, "%lu %lu %lu", &in, &out, &cnt) == 3) {
		if (out == 0) {
			set(r, V_ALLOWED, "uid_map line \"%lu %lu %lu\": uid %lu is host root", in,
			    out, cnt, in);
			break;
		}
		snprintf(r->detail, sizeof(r->detail), "uid_map %lu %lu %lu", in, out, cnt);
	}
	fclose(f);
}

static void c_sethostname(struct result *r)
{
	char name[256];

	if (gethostname(name, sizeof(name)) < 0) {
		set(r, V_UNKNOWN, "gethostname: %s", en(errno));
		return;
	}
	if (sethostname(name, strlen(name)) < 0)
		set(r, V_BLOCKED, "%s", en(errno));
	else
		set(r, V_ALLOWED, "set hostname to its current value");
}

/* Sets the tick to the value it already has: CAP_SYS_TIME decides, nothing moves. */
static void c_clock_settime(struct result *r)
{
	struct timex t;

	memset(&t, 0, sizeof(t));
	if (clock_adjtime(CLOCK_REALTIME, &t) < 0) {
		set(r, V_BLOCKED, "clock_adjtime read: %s", en(errno));
		return;
	}
	t.modes = ADJ_TICK;
	if (clock_adjtime(CLOCK_REALTIME, &t) < 0)
		set(r, V_BLOCKED, "clock_adjtime(ADJ_TICK): %s", en(errno));
	else
		set(r, V_ALLOWED, "clock_adjtime(ADJ_TICK) rewrote tick=%ld", t.tick);
}

/* A path that does not exist: ENOENT comes after the CAP_SYS_ADMIN check. */
static void c_swapon(struct result *r)
{
	int ret = swapon("/.hrprobe-no-such-swapfile", 0);

	by_errno(r, ret, errno, "swapon");
}

static void c_syslog(struct result *r)
{
	char buf[256];
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf));

	if (n < 0)
		set(r, V_BLOCKED, "%s", en(errno));
	else
		set(r, V_ALLOWED, "read %d bytes of the kernel log", n);
}

static void c_iopl(struct result *r)
{
#if defined(__x86_64__) || defined(__i386__)
	int a = ioperm(0x80, 1, 1), ea = errno;
	int b = iopl(3), eb = errno;

	if (a == 0)
		ioperm(0x80, 1, 0);
	if (b == 0)
		iopl(0);
	set(r, a == 0 || b == 0 ? V_ALLOWED : V_BLOCKED, "ioperm=%s iopl=%s",
	    a == 0 ? "ok" : en(ea), b == 0 ? "ok" : en(eb));
#else
	set(r, V_BLOCKED, "not x86");
#endif
}

static void c_personality(struct result *r)
{
	int cur = personality(0xffffffff);

	if (personality((unsigned long)cur | READ_IMPLIES_EXEC) < 0)
		set(r, V_BLOCKED, "personality(READ_IMPLIES_EXEC): %s", en(errno));
	else
		set(r, V_ALLOWED, "personality(READ_IMPLIES_EXEC) set in a child");
}

static void c_io_uring(struct result *r)
{
	uint64_t params[32]; /* struct io_uring_params is 120 bytes */
	long fd;
	int e;

	memset(params, 0, sizeof(params));
	fd = syscall(SYS_io_uring_setup, 1, params);
	e = errno;
	if (fd >= 0)
		close((int)fd);
	by_errno(r, fd, e, "io_uring_setup");
}

/*
 * A marker file the harness put on the host (HOST_MARKER = its host path,
 * HOST_MARKER_TEXT = its content): visible through any mount whose source
 * covers it means a host directory is bind-mounted in.
 */
static void c_host_fs(struct result *r)
{
	const char *mk = getenv("HOST_MARKER"), *txt = getenv("HOST_MARKER_TEXT");
	FILE *f;
	char line[2048], root[512], mp[512], cand[1100], got[128];

	if (!mk || !txt || !(f = fopen("/proc/self/mountinfo", "re"))) {
		set(r, V_UNKNOWN, "no HOST_MARKER given");
		return;
	}
	set(r, V_BLOCKED, "host marker not visible through any mount");
	while (fgets(line, sizeof(line), f)) {
		size_t rl;

		if (sscanf(line, "%*u %*u %*u:%*u %511s %511s", root, mp) != 2)
			continue;
		rl = strcmp(root, "/") == 0 ? 0 : strlen(root);
		if (strncmp(mk, root, rl) != 0 || (mk[rl] != '/' && rl))
			continue;
		snprintf(cand, sizeof(cand), "%s%s", strcmp(mp, "/") ? mp : "", mk + rl);
		if (read_small(cand, got, sizeof(got)) > 0 && strncmp(got, txt, strlen(txt)) == 0) {
			int w = open(cand, O_WRONLY | O_APPEND | O_CLOEXEC);

			set(r, V_ALLOWED, "host file %s visible at %s (%s)", mk, cand,
			    w >= 0 ? "writable" : "read-only");
			if (w >= 0)
				close(w);
			break;
		}
	}
	fclose(f);
}

static const struct check {
	const char *name;
	void (*fn)(struct result *);
} checks[] = {
    {"mount", c_mount},
    {"unshare_userns", c_unshare_userns},
    {"unshare_userns_mount", c_unshare_userns_mount},
    {"fsopen", c_fsopen},
    {"open_by_handle_at", c_open_by_handle_at},
    {"keyctl", c_keyctl},
    {"bpf", c_bpf},
    {"userfaultfd", c_userfaultfd},
    {"perf_event_open", c_perf_event_open},
    {"io_uring", c_io_uring},
    {"ptrace", c_ptrace},
    {"raw_socket", c_raw_socket},
    {"packet_socket", c_packet_socket},
    {"mknod", c_mknod},
    {"block_device", c_block_device},
    {"write_proc_sys", c_write_proc_sys},
    {"write_sysrq", c_write_sysrq},
    {"write_sys", c_write_sys},
    {"write_cgroupfs", c_write_cgroupfs},
    {"cgroup_release_agent", c_cgroup_release_agent},
    {"kernel_module", c_kernel_module},
    {"kexec_load", c_kexec_load},
    {"reboot", c_reboot},
    {"read_kcore", c_read_kcore},
    {"host_pid_ns", c_host_pid_ns},
    {"host_net_ns", c_host_net_ns},
    {"host_ipc_ns", c_host_ipc_ns},
    {"host_uts_ns", c_host_uts_ns},
    {"host_mnt_ns", c_host_mnt_ns},
    {"host_cgroup_ns", c_host_cgroup_ns},
    {"host_user_ns", c_host_user_ns},
    {"setns_host", c_setns_host},
    {"runtime_socket", c_runtime_socket},
    {"host_fs", c_host_fs},
    {"chroot_escape", c_chroot_escape},
    {"dangerous_caps", c_dangerous_caps},
    {"new_privs", c_new_privs},
    {"no_seccomp", c_no_seccomp},
    {"host_root", c_host_root},
    {"sethostname", c_sethostname},
    {"clock_settime", c_clock_settime},
    {"swapon", c_swapon},
    {"syslog", c_syslog},
    {"iopl", c_iopl},
    {"personality", c_personality},
};

static void run_one(const struct check *c, struct result *shared)
{
	static const char *const words[] = {"blocked", "allowed", "unknown"};
	int st = 0;
	pid_t pid;

	memset(shared, 0, sizeof(*shared));
	shared->v = V_UNKNOWN;
	snprintf(shared->detail, sizeof(shared->detail), "check did not report");
	pid = fork();
	if (pid == 0) {
		alarm(10);
		shared->detail[0] = '\0';
		c->fn(shared);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		set(shared, V_UNKNOWN, "fork/wait: %s", en(errno));
	else if (WIFSIGNALED(st))
		set(shared, V_UNKNOWN, "check died with signal %d", WTERMSIG(st));
	for (char *p = shared->detail; *p; p++)
		if (*p == '\n')
			*p = ' ';
	printf("CHECK %s %s %s\n", c->name, words[shared->v], shared->detail);
	fflush(stdout);
}

static void make_scratch(void)
{
	static const char *const dirs[] = {"/tmp", "/run", "/var/tmp", "/dev", "/dev/shm", NULL};

	for (const char *const *d = dirs; *d; d++) {
		snprintf(scratch, sizeof(scratch), "%s/.hrprobe.XXXXXX", *d);
		if (mkdtemp(scratch))
			return;
	}
	scratch[0] = '\0';
}

static void info(void)
{
	static const char *const keys[] = {"CapEff", "CapBnd", "NoNewPrivs", "Seccomp", NULL};
	char v[128], pid1[128];
	struct utsname u;

	printf("INFO uid %u gid %u pid %d\n", (unsigned)getuid(), (unsigned)getgid(), getpid());
	for (const char *const *k = keys; *k; k++)
		if (status_field(*k, v, sizeof(v)))
			printf("INFO %s %s\n", *k, v);
	if (read_small("/proc/1/cmdline", pid1, sizeof(pid1)) > 0)
		printf("INFO pid1 %s\n", pid1);
	if (read_small("/proc/self/uid_map", v, sizeof(v)) > 0)
		printf("INFO uid_map %.*s\n", (int)strcspn(v, "\n"), v);
	if (uname(&u) == 0)
		printf("INFO kernel %s\n", u.release);
	printf("INFO scratch %s\n", scratch[0] ? scratch : "(none writable)");
}

/*
 * CVE-2019-5736 attacker, run as the container's main process.  Waits for a
 * process started as `#!/proc/self/exe` (the runtime re-executed by `exec`),
 * keeps its /proc/<pid>/exe open and, once the runtime has exited, reopens
 * it for writing.  Writes only when the binary is the test's copy (env
 * HR_COPY_DIR) or a memfd, so a mistake can never reach an installed runtime.
 */
/* The runtime inside the container: re-executed as an interpreter, or its `init` on the way in. */
static bool exe_candidate(pid_t self, int pid, char *link, size_t n)
{
	char p[64], cmd[128];
	int k;

	if (pid == self || pid <= 0)
		return false;
	snprintf(p, sizeof(p), "/proc/%d/cmdline", pid);
	k = read_small(p, cmd, sizeof(cmd));
	if (k <= 0)
		return false;
	if (strcmp(cmd, "/proc/self/exe") != 0 && !strstr(cmd, "runc") && !strstr(cmd, "hardrun") &&
	    !((int)strlen(cmd) + 1 < k && strcmp(cmd + strlen(cmd) + 1, "init") == 0))
		return false;
	snprintf(p, sizeof(p), "/proc/%d/exe", pid);
	k = (int)readlink(p, link, n - 1);
	if (k < 0)
		snprintf(link, n, "(readlink: %s; cmdline %s)", en(errno), cmd);
	else
		link[k] = '\0';
	return true;
}

static int overwrite_exe(int pid, const char *link, const char *copy)
{
	char p[64];
	int fd, w = -1, e = 0;

	snprintf(p, sizeof(p), "/proc/%d/exe", pid);
	fd = open(p, O_PATH | O_CLOEXEC);
	if (fd < 0) {
		printf("OVERWRITE blocked open %s: %s (exe %s)\n", p, en(errno), link);
		return 0;
	}
	if (strncmp(link, copy, strlen(copy)) != 0 && !strstr(link, "memfd:")) {
		printf("OVERWRITE unsafe exe %s is not under %s, not touched\n", link, copy);
		close(fd);
		return 1;
	}
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	for (int i = 0; i < 500 && w < 0; i++) { /* ETXTBSY until the runtime exits */
		w = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC);
		e = errno;
		if (w < 0 && e != ETXTBSY)
			break;
		if (w < 0)
			usleep(10000);
	}
	if (w >= 0 && write(w, "#!/bin/sh\necho overwritten\n", 27) == 27)
		printf("OVERWRITE succeeded exe %s\n", link);
	else
		printf("OVERWRITE blocked reopen for write: %s (exe %s)\n",
		       w >= 0 ? "short write" : en(e), link);
	if (w >= 0)
		close(w);
	close(fd);
	return w >= 0;
}

static int mode_exe_overwrite(int seconds)
{
	const char *copy = getenv("HR_COPY_DIR");
	char link[512];
	struct {
		int pid;
		char exe[64];
	} tried[64];
	int n_tried = 0;

	printf("READY\n");
	for (int t = 0; t < seconds * 1000 && n_tried < 64; t++) {
		DIR *d = opendir("/proc");
		struct dirent *e;

		while (d && (e = readdir(d)) && n_tried < 64) {
			int pid = atoi(e->d_name), i = 0;

			if (!exe_candidate(getpid(), pid, link, sizeof(link)))
				continue;
			/* runc init keeps its pid across execve: a new exe is a new target */
			while (i < n_tried &&
			       (tried[i].pid != pid ||
				strncmp(tried[i].exe, link, sizeof(tried[i].exe) - 1)))
				i++;
			if (i < n_tried)
				continue;
			tried[n_tried].pid = pid;
			memcpy(tried[n_tried].exe, link, sizeof(tried[0].exe) - 1);
			tried[n_tried++].exe[sizeof(tried[0].exe) - 1] = '\0';
			if (copy && overwrite_exe(pid, link, copy) == 1) {
				closedir(d);
				printf("DONE\n");
				return 0;
			}
		}
		if (d)
			closedir(d);
		usleep(1000);
	}
	printf("OVERWRITE %s\n", n_tried ? "gave up" : "none-seen no runtime process appeared");
	printf("DONE\n");
	return 0;
}

/* CVE-2024-21626: where does the cwd the runtime gave us lead? */
static int mode_cwd(void)
{
	char buf[512];
	long n = syscall(SYS_getcwd, buf, sizeof(buf));
	struct stat root, here;

	printf("CWD %s\n", n > 0 ? buf : en(errno));
	stat("/", &root);
	for (int i = 0; i < 64; i++)
		if (chdir("..") < 0)
			break;
	if (stat(".", &here) == 0 && (here.st_dev != root.st_dev || here.st_ino != root.st_ino))
		printf("CWDESCAPE yes: .. from the cwd leads to %u:%u ino %lu, not the root\n",
		       major(here.st_dev), minor(here.st_dev), (unsigned long)here.st_ino);
	else
		printf("CWDESCAPE no\n");
	printf("DONE\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct result *shared =
	    mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	static const char *const leftovers[] = {"mnt", "jail", "cg", "mem", "disk", NULL};

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && strcmp(argv[1], "--exe-overwrite") == 0)
		return mode_exe_overwrite(argc > 2 ? atoi(argv[2]) : 60);
	if (argc > 1 && strcmp(argv[1], "--cwd") == 0)
		return mode_cwd();
	if (shared == MAP_FAILED) {
		printf("INFO mmap failed: %s\n", en(errno));
		return 0;
	}
	make_scratch();
	info();
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		bool wanted = argc < 2;

		for (int a = 1; a < argc; a++)
			wanted |= strcmp(argv[a], checks[i].name) == 0;
		if (wanted)
			run_one(&checks[i], shared);
	}
	for (const char *const *l = leftovers; scratch[0] && *l; l++) {
		char p[160];

		path_in_scratch(p, sizeof(p), *l);
		unlink(p);
		rmdir(p);
	}
	if (scratch[0])
		rmdir(scratch);
	printf("DONE\n");
	return 0;
}
