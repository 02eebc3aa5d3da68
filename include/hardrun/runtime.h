/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_RUNTIME_H
#define HARDRUN_RUNTIME_H

#include "hardrun/cli.h"
#include "hardrun/error.h"
#include "hardrun/json.h"

/*
 * The builtin runtime: hardrun starts the container process itself, without
 * runc.  It receives a config the rule engine already hardened and applies it
 * as written; it makes no policy decisions of its own beyond failing closed.
 *
 * State lives in `<root>/<id>/` (root: `cli->root`, else HR_RT_DEFAULT_ROOT):
 * state.json (OCI state plus the init's start time, written atomically under
 * a per-container flock), config.json (the hardened spec, reused by `exec`)
 * and exec.fifo while the container is created but not started.
 */

#define HR_RT_DEFAULT_ROOT "/run/hardrun/builtin"

/*
 * What hardrun's core tells the runtime about a container it starts (every
 * member optional; a NULL pointer for the whole struct is fine too).
 */
struct hr_rt_host {
	/* called once the init has its root filesystem and mounts in its own
	 * mount namespace (create: waiting on exec.fifo; run: exec'd), so that
	 * host-side views made for it can go while the container runs */
	void (*rootfs_ready)(void *ctx);
	void *ctx;
	/* a detached mount tree (open_tree/fsmount fd, hardrun's idmapped view)
	 * for the init to attach over root.path in its own mount namespace
	 * instead of binding root.path; -1 for none.  Stays the caller's. */
	int rootfs_tree;
	/* a limit the host cannot apply (no cgroup controller for it): the
	 * container starts without it (true) or is refused (false, the
	 * default, also for every command that gets no host) */
	bool unapplied_ok;
};

/*
 * `create`: start the container init in its namespaces, set up its root
 * filesystem and process hardening, and leave it blocked on exec.fifo until
 * `start`.  Honours --pid-file, --console-socket, --no-pivot is refused.
 * `bundle` is the absolute bundle directory; `spec` is not modified.  Returns
 * 0 once the init is waiting and state.json says "created"; on failure no
 * process and no state are left behind.
 */
int hr_rt_create(const struct hr_cli *cli, struct hr_json *spec, const char *bundle,
		 const struct hr_rt_host *host, struct hr_error **err);

/*
 * `run`: create and start in one step.  In the foreground (no --detach) it
 * forwards SIGTERM/INT/HUP/QUIT/USR1/USR2/WINCH to the container process,
 * reaps it, deletes the container and stores in *exit_status its exit code,
 * or 128+N when signal N killed it.  With --detach it returns as soon as the
 * process runs (*exit_status 0).  Errors before the container process execs
 * come back in *err (nothing left running).
 */
int hr_rt_run(const struct hr_cli *cli, struct hr_json *spec, const char *bundle,
	      const struct hr_rt_host *host, int *exit_status, struct hr_error **err);

/*
 * Every other command on a builtin container: start, state, kill, delete,
 * list, ps, exec, pause, resume, events (refused: not supported), features.
 * Output (state JSON, list tables, ps) goes to stdout as runc prints it.
 * *exit_status is what hardrun should exit with on success (the exec'd
 * process's status for a foreground `exec`, else 0).
 */
int hr_rt_command(const struct hr_cli *cli, int *exit_status, struct hr_error **err);

/*
 * Where the runtime reports what the host could not apply (a cgroup limit
 * with no controller for it): a stable key ("resources/pids"), a message,
 * and whether the container goes on without it (hr_rt_host.unapplied_ok).
 * The callback only reports; the decision is the host struct's.  Not
 * thread-safe: set it once from main().
 */
typedef void (*hr_rt_warn_fn)(void *ctx, const char *key, const char *msg, bool started);
void hr_rt_set_warn(hr_rt_warn_fn fn, void *ctx);

#endif
