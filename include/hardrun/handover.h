/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_HANDOVER_H
#define HARDRUN_HANDOVER_H

#include <stdbool.h>
#include <sys/types.h>

#include "hardrun/cli.h"
#include "hardrun/error.h"
#include "hardrun/json.h"
#include "hardrun/profile.h"

/*
 * The lease hand-over of config.json to runc (policy configHandover
 * "lease", the default).  runc spends about 3 ms starting (Go runtime,
 * libraries, flags) before it opens config.json; hardrun's rules take 1-2
 * ms.  So hardrun renames a new, empty file over config.json, holding a
 * write lease on it (fcntl F_SETLEASE), execs runc at once and hardens in a
 * forked worker meanwhile.  The kernel makes every open(2) of a leased file
 * by anyone but the holder wait until the lease is given up, so runc's open
 * of config.json (and any other reader's) waits until the worker has
 * written the whole hardened text and let the lease go: nobody ever reads
 * the new file unfinished, and config.json is a regular file at every
 * moment.  When hardening fails, the worker logs why, kills runc (SIGKILL,
 * while its open still waits), puts the caller's config.json back and only
 * then lets the lease go.
 *
 * A worker killed midway lets the lease go with its last descriptor: runc
 * then reads an empty or cut-off file and fails on it (a prefix of a JSON
 * object is never a whole one), and the caller's config stays linked
 * beside it under a name that records the inode it was replaced by, so the
 * next load of the bundle puts it back (hr_spec_recover).  The kernel also
 * lets a lease go by itself after /proc/sys/fs/lease-break-time (45 s):
 * the same failure, for a worker stuck that long (hardrun hands the file
 * over instead when that sysctl is 0).  No fsync, as for every config
 * write (util.c): after a power loss config.json may be empty, which is
 * refused as invalid JSON, and the orchestrator writes its bundle anew.
 *
 * What it gives up against configHandover "file": a refusal is reported
 * after runc has started, so the create exits by runc's SIGKILL (137), the
 * reason still the log's last line.
 */
struct hr_handover {
	char *bundle;
	int dirfd;	      /* the bundle, flock(2)ed as by hr_spec_load */
	char *old;	      /* the caller's config.json, still linked under this name */
	int file;	      /* the leased new config.json, open read-write */
	int ino;	      /* after hr_handover_feed: inotify on it (IN_CLOSE_NOWRITE) */
	int pidfd;	      /* this process: the runtime once exec'd */
	struct hr_json *spec; /* the caller's config, parsed */
};

/* Does the policy hand config.json over under a lease to this runtime?
 * Unless it asks for the file (configHandover "file"), and only to runc. */
bool hr_handover_wanted(const struct hr_policy *policy, const char *runtime);

/*
 * Read the caller's config (ho->spec) and put the leased empty file at
 * config.json, the caller's file kept linked as ho->old.  Returns true when
 * done; false, with the bundle as it was and unlocked, on anything unusual
 * (no bundle, config.json not a regular file or not valid JSON, a
 * filesystem or a kernel without leases, no pidfd_open), which the file
 * hand-over then reports or handles, and for a config naming a network
 * namespace: the userns rule may have to enter it in the process that
 * becomes the runtime, before the exec (hr_userns_preenter_netns).
 */
bool hr_handover_prepare(const struct hr_cli *cli, struct hr_handover *ho);

/*
 * Give the runtime its config: write text into the leased file, drop the
 * caller's kept file, watch the new one for the runtime's close after
 * reading (ho->ino), then let the lease go.
 */
int hr_handover_feed(struct hr_handover *ho, const char *text, size_t len, struct hr_error **err);

/* On failure, once the runtime is killed: the caller's config.json back in
 * place, then the lease let go. */
void hr_handover_restore(struct hr_handover *ho);

/* Close and free everything but the bundle lock, which is returned, the
 * pidfd, which stays in ho->pidfd, and the inotify watch in ho->ino. */
int hr_handover_done(struct hr_handover *ho);

#endif
