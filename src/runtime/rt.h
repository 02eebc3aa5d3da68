/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/runtime/: the config as the child applies it, and helpers. */
#ifndef HARDRUN_RT_PRIVATE_H
#define HARDRUN_RT_PRIVATE_H

#include <seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/filter.h>
#include <sys/capability.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "hardrun/cli.h"
#include "hardrun/error.h"
#include "hardrun/json.h"

#if __has_include("hardrun/seccomp.h")
#include "hardrun/seccomp.h"
#else
/* Until src/seccomp.c lands: weak, so a missing compiler fails closed at run time. */
#define HR_RT_WEAK_SECCOMP 1
int hr_seccomp_compile(const struct hr_json *seccomp, scmp_filter_ctx *out, struct hr_error **err)
    __attribute__((weak));
#endif

struct hr_rt_mount {
	char *source; /* absolute host path for binds, else as given */
	char *dest;   /* absolute inside the container */
	char *type;
	char *data;	     /* options the kernel parses (mode=755,size=...) */
	unsigned long flags; /* MS_* set by the options */
	unsigned long clear; /* MS_* the options asked to clear (rw, suid, ...) */
	unsigned long propagation[4];
	size_t n_propagation;
	bool bind;
	/* runc's recursive options (rro, rnosuid, ...): MOUNT_ATTR_* for
	 * mount_setattr(AT_RECURSIVE) on the whole tree once it is mounted */
	bool rec;
	uint64_t rec_set, rec_clr;
};

struct hr_rt_device {
	char *path; /* absolute inside the container */
	char type;  /* 'c', 'b', 'p' */
	unsigned major, minor;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

struct hr_rt_ns {
	int type; /* CLONE_NEW* */
	char *path;
};

struct hr_rt_rlimit {
	int resource;
	struct rlimit value;
};

struct hr_rt_hook {
	char *path;
	char **args;
	char **env;
	int timeout; /* seconds, 0: none */
};

enum hr_rt_hook_kind {
	HR_HOOK_PRESTART,
	HR_HOOK_CREATE_RUNTIME,
	HR_HOOK_CREATE_CONTAINER,
	HR_HOOK_START_CONTAINER,
	HR_HOOK_POSTSTART,
	HR_HOOK_POSTSTOP,
	HR_HOOK_N,
};

/* The process object, compiled for the child: nothing left to parse there. */
struct hr_rt_process {
	char **args;
	char **env;
	char *cwd;
	uid_t uid;
	gid_t gid;
	gid_t *gids;
	size_t n_gids;
	bool has_umask;
	mode_t umask;
	bool no_new_privs;
	bool terminal;
	unsigned preserve_fds; /* --preserve-fds: fds 3..3+N-1 stay open across execve */
	cap_t caps;	       /* effective, permitted, inheritable */
	uint64_t bounding;     /* bit N: keep capability N */
	uint64_t ambient;
	struct hr_rt_rlimit *rlimits;
	size_t n_rlimits;
	bool has_oom;
	int oom_score_adj;
	struct sock_filter *bpf; /* the seccomp program, NULL: none */
	unsigned short bpf_len;
	unsigned int bpf_flags; /* SECCOMP_FILTER_FLAG_* */
	char *apparmor;		/* profile name, refused when the host has no AppArmor */
	char *selinux_label;	/* exec context, refused when SELinux is off */
	/* startContainer hooks, run after `start` and before the filter (borrowed) */
	const struct hr_rt_hook *start_hooks;
	size_t n_start_hooks;
	const char *hook_state;
};

struct hr_rt_resources {
	int64_t pids_limit; /* 0: unset */
	int64_t memory_limit;
	int64_t memory_swap;
	int64_t memory_reservation; /* v1 memory.soft_limit_in_bytes, v2 memory.low */
	uint64_t cpu_shares;
	int64_t cpu_quota;
	uint64_t cpu_period;
	char **device_rules; /* "allow c 1:3 rwm" / "deny a *:* rwm", in order; owned */
	char **unified;	     /* linux.resources.unified: key, value, key, value...; owned */
	bool unapplied_ok;   /* hr_rt_host.unapplied_ok; false (refuse) unless the host said */
};

struct hr_rt_config {
	char *id;
	char *bundle;
	char *rootfs; /* absolute */
	/* a detached (idmapped) tree the init attaches on rootfs, or -1; not owned */
	int rootfs_tree;
	bool root_readonly;
	char *hostname;
	char *domainname;
	int clone_flags; /* namespaces to create */
	struct hr_rt_ns *ns_paths;
	size_t n_ns_paths;
	char *uid_map; /* "inside outside count\n" lines, for /proc/<pid>/uid_map */
	char *gid_map;
	struct hr_rt_mount *mounts;
	size_t n_mounts;
	struct hr_rt_device *devices; /* linux.devices */
	size_t n_devices;
	char **masked;
	char **readonly;
	char **sysctl; /* "key=value" */
	unsigned long rootfs_propagation;
	char *cgroups_path; /* relative to each hierarchy's root */
	struct hr_rt_resources res;
	struct hr_rt_hook *hooks[HR_HOOK_N];
	size_t n_hooks[HR_HOOK_N];
	struct hr_rt_process proc;
	struct hr_json *annotations; /* borrowed from the spec */
};

/* config.c: the spec tree to the compiled config (seccomp compiled too). */
int hr_rt_config_load(struct hr_rt_config *c, struct hr_json *spec, const char *bundle,
		      const char *id, struct hr_error **err);
int hr_rt_process_load(struct hr_rt_process *p, const struct hr_json *process,
		       const struct hr_json *seccomp, struct hr_error **err);
void hr_rt_config_free(struct hr_rt_config *c);
void hr_rt_process_free(struct hr_rt_process *p);
void hr_rt_resources_load(const struct hr_json *resources, struct hr_rt_resources *out);
int hr_rt_parse_mount_options(struct hr_rt_mount *m, const struct hr_json *opts,
			      struct hr_error **err);

/* bpf.c: the seccomp program from hr_seccomp_compile(), cached; loaded in the child. */
int hr_rt_bpf_build(const struct hr_json *seccomp, struct hr_rt_process *p, struct hr_error **err);
int hr_rt_bpf_load(const struct hr_rt_process *p);

/*
 * sync.c: child -> parent messages over a SOCK_SEQPACKET pair.  The child
 * reports a failure with errno and text, then _exits; on success its end
 * closes at execve (CLOEXEC), which the parent reads as EOF.
 */
enum hr_rt_msg_type {
	HR_MSG_ERROR = 1,
	HR_MSG_HOOKS, /* mounts done: run prestart/createRuntime, then reply */
	HR_MSG_READY, /* everything but exec done: waiting on exec.fifo */
	HR_MSG_MAPS,  /* user namespace unshared: write the id maps */
	HR_MSG_PID,   /* the init's pid (when an intermediate forked it) */
	HR_MSG_STATE, /* parent -> child: state JSON for the in-container hooks */
};
int hr_rt_send(int fd, int type, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Receive one message.  Returns 0 on EOF, the type otherwise, < 0 on error. */
int hr_rt_recv(int fd, int *errnum, char *buf, size_t size);
/* Write/read one "go on" byte. */
int hr_rt_send_go(int fd);
int hr_rt_wait_go(int fd);
/* Send/receive an fd with SCM_RIGHTS. */
int hr_rt_send_fd(int sock, int fd);
/* The same with `len` bytes of data beside the fd (the console socket wants
 * the terminal's name, as runc sends it). */
int hr_rt_send_fd_with(int sock, int fd, const void *data, size_t len);
int hr_rt_recv_fd(int sock);

/* Child-side failure: report and _exit(1).  Never returns. */
__attribute__((noreturn, format(printf, 3, 4))) void hr_rt_die(int sync, int errnum,
							       const char *fmt, ...);

/* mounts.c (child): root filesystem, before and after pivot_root. */
int hr_rt_prepare_rootfs(const struct hr_rt_config *c, int sync);
int hr_rt_setup_rootfs(const struct hr_rt_config *c, int sync);
int hr_rt_finish_rootfs(const struct hr_rt_config *c, int sync);

/* process.c (child): the point of no return and execve.  exec_fifo may be -1. */
__attribute__((noreturn)) void hr_rt_exec_process(const struct hr_rt_process *p, int sync,
						  int exec_fifo, bool report_ready);

/* state.c */
struct hr_rt_state {
	char *id;
	char *bundle;
	char *rootfs;
	char *created;
	char *status; /* as stored: "created", "running", "stopped" */
	pid_t pid;
	unsigned long long starttime;
	char *cgroups_path;
	struct hr_json *annotations;
	bool detached;
};
const char *hr_rt_root(const struct hr_cli *cli);
/* Open (and with create, make) <root>/<id> and flock it. */
int hr_rt_state_dir(const struct hr_cli *cli, const char *id, bool create, bool exclusive,
		    struct hr_error **err);
int hr_rt_state_write(int dirfd, const struct hr_rt_state *s, struct hr_error **err);
int hr_rt_state_read(int dirfd, const char *id, struct hr_rt_state *s, struct hr_error **err);
void hr_rt_state_free(struct hr_rt_state *s);
/* Live status: created/running/paused/stopped, checking pid and start time. */
const char *hr_rt_state_status(int dirfd, const struct hr_rt_state *s);
/* OCI state JSON as `runc state` prints it. */
struct hr_json *hr_rt_state_json(const struct hr_rt_state *s, const char *status);
int hr_rt_pid_starttime(pid_t pid, unsigned long long *out);
bool hr_rt_pid_alive(pid_t pid, unsigned long long starttime);
int hr_rt_state_remove(const struct hr_cli *cli, const char *id, struct hr_error **err);

/* cgroup.c */
/* The limits of r written into one cgroup2 directory / the v1 controllers'
 * directories (pids, memory, cpu; NULL: not joined), as create and update do. */
int hr_rt_cgroup_apply_v2(const struct hr_rt_resources *r, const char *dir, struct hr_error **err);
int hr_rt_cgroup_apply_v1(const struct hr_rt_resources *r, char *dirs[], struct hr_error **err);
/* Apply the set fields of r to a running container (update). */
int hr_rt_cgroup_update(const char *path, const struct hr_rt_resources *r, struct hr_error **err);
/* Make the container's cgroups (before the clone), then write their limits (after it). */
int hr_rt_cgroup_create(const struct hr_rt_config *c, struct hr_error **err);
int hr_rt_cgroup_limit(const struct hr_rt_config *c, struct hr_error **err);
/* The files through which a new process joins the cgroups at cgroups_path itself. */
struct hr_rt_cgjoin {
	int fd[6];
	size_t n;
};
int hr_rt_cgroup_open_join(const char *cgroups_path, struct hr_rt_cgjoin *j, struct hr_error **err);
/* In the new process, single-threaded, before it unshares its cgroup namespace: -1, errno. */
int hr_rt_cgroup_join_self(const struct hr_rt_cgjoin *j);
void hr_rt_cgroup_join_close(struct hr_rt_cgjoin *j);
int hr_rt_cgroup_pids(const char *cgroups_path, pid_t **pids, size_t *n, struct hr_error **err);
int hr_rt_cgroup_freeze(const char *cgroups_path, bool freeze, struct hr_error **err);
bool hr_rt_cgroup_frozen(const char *cgroups_path);
void hr_rt_cgroup_remove(const char *cgroups_path);
/* A limit the host cannot apply: reported through the warning callback,
 * then 0 when ok (the host let the container start without it), else -1. */
int hr_rt_warn(bool ok, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* hooks.c */
int hr_rt_run_hooks(const struct hr_rt_config *c, enum hr_rt_hook_kind kind,
		    const struct hr_json *state, struct hr_error **err);
int hr_rt_run_hook(const struct hr_rt_hook *h, const char *state, struct hr_error **err);
/* Hooks of one kind from the config.json saved at create time. */
int hr_rt_run_stored_hooks(int dirfd, enum hr_rt_hook_kind kind, const struct hr_rt_state *s,
			   const char *status, struct hr_error **err);
/* The saved config.json of a container. */
struct hr_json *hr_rt_stored_config(int dirfd, struct hr_error **err);

/* console.c */
int hr_rt_console_connect(const char *path, struct hr_error **err);
/* Child: allocate a pty in the container's devpts, owned by `owner` (the
 * process uid), send the master, make the slave our tty. */
int hr_rt_console_setup(int console_sock, int sync, uid_t owner);

/* run.c */
struct hr_rt_launch {
	const struct hr_rt_config *config;
	bool create;		      /* wait on exec.fifo */
	bool keep_keyring;	      /* --no-new-keyring */
	int exec_fifo;		      /* O_PATH fd of exec.fifo, -1 when not creating */
	int console_sock;	      /* -1 if none */
	int close_in_child[4];	      /* the parent's fds the child must not keep (-1: none) */
	struct hr_rt_cgjoin cgroups;  /* set by hr_rt_launch() */
	unsigned long long starttime; /* out: the init's, read before it may exit */
};
/* Start the init; *pid_out is its pid.  Returns the parent's end of the sync socket. */
int hr_rt_launch(struct hr_rt_launch *l, pid_t *pid_out, struct hr_error **err);
int hr_rt_launch_wait(struct hr_rt_launch *l, int sock, pid_t pid, const struct hr_json *state,
		      struct hr_error **err);
void hr_rt_block_signals(sigset_t *old);
int hr_rt_wait_forward(pid_t pid, int *exit_status);
/* tty.c: relay a pty master to our stdio until pid exits (signals blocked by the caller). */
int hr_rt_tty_relay(pid_t pid, int master, int *exit_status);
int hr_rt_parse_signal(const char *s, int *sig);
/* --preserve-fds N of the command line into p (0 when absent). */
int hr_rt_preserve_fds(const struct hr_cli *cli, struct hr_rt_process *p, struct hr_error **err);

int hr_rt_start(const struct hr_cli *cli, struct hr_error **err);

/* exec.c */
int hr_rt_exec(const struct hr_cli *cli, int *exit_status, struct hr_error **err);
/* commands.c */
int hr_rt_kill_all(const struct hr_rt_state *s, int sig);

/* spec.c: runc 1.1.5's example config.json */
char *hr_rt_spec_text(bool rootless, unsigned uid, unsigned gid);
int hr_rt_spec_write(const char *bundle, bool rootless, struct hr_error **err);

#endif
