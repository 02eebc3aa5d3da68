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
 * The pipe hand-over of config.json to a lower runtime.  runc spends about
 * 3 ms starting (Go runtime, libraries, flags) before it opens config.json;
 * hardrun's rules take 1-2 ms.  So hardrun puts a pipe (FIFO) at
 * config.json, execs the runtime at once, and hardens in a forked worker
 * meanwhile: the runtime's open of config.json waits in the pipe for the
 * hardened text.  The runtime never sees a byte of the caller's config, and
 * it never sees anything at all when hardening fails: the worker logs the
 * error, kills the runtime (SIGKILL, before it has read) and puts the
 * caller's config.json back.  After the runtime has the text, config.json
 * becomes a regular file with the same hardened text, for whoever reads the
 * bundle next.
 *
 * Not the default (policy configHandover "pipe" turns it on), for what it
 * gives up: config.json is a FIFO for the few milliseconds of the hand-over
 * (a reader of the bundle then can take the text, and the runtime fails),
 * and after a SIGKILL of the worker until the next create of the bundle;
 * a refused create exits by the runtime's SIGKILL (137) and its caller can
 * see that exit a moment before config.json is back.
 */
struct hr_handover {
	char *bundle;
	int dirfd;	      /* the bundle, flock(2)ed as by hr_spec_load */
	char *old;	      /* the caller's config.json, still linked under this name */
	int pipe;	      /* the FIFO now at config.json, open read-write */
	int ino;	      /* inotify on the FIFO: the runtime's open (IN_OPEN) */
	int pidfd;	      /* this process: the runtime once exec'd */
	pid_t runtime;	      /* its pid */
	struct hr_json *spec; /* the caller's config, parsed */
	mode_t mode;	      /* config.json's mode */
};

/* Does the policy hand config.json over through a pipe to this runtime?
 * Only when it asks (configHandover "pipe"), and only to runc, which reads
 * it as a stream (Go's json.Decoder). */
bool hr_handover_wanted(const struct hr_policy *policy, const char *runtime);

/*
 * Read the caller's config (ho->spec) and put the pipe at config.json, the
 * caller's file kept linked as ho->old.  Returns true when done; false,
 * with the bundle as it was and unlocked, on anything unusual (no bundle,
 * config.json not a regular file or not valid JSON, a filesystem without
 * FIFOs, no inotify, no pidfd_open), which the file hand-over then reports
 * or handles, and for a config naming a network namespace: the userns rule
 * may have to enter it in the process that becomes the runtime, before the
 * exec (hr_userns_preenter_netns).
 */
bool hr_handover_prepare(const struct hr_cli *cli, struct hr_handover *ho);

/*
 * Give the runtime (ho->pidfd) its config: write text to the pipe, wait until
 * the runtime has opened it, close it (the runtime reads to EOF), then put
 * a regular file with text at config.json, or the caller's own file back
 * when `unchanged`.  Fails when the runtime exits first.
 */
int hr_handover_feed(struct hr_handover *ho, const char *text, size_t len, bool unchanged,
		     struct hr_error **err);

/* On failure, the runtime stopped: the caller's config.json back in place. */
void hr_handover_restore(struct hr_handover *ho);

/* Close and free everything but the bundle lock, which is returned, and
 * the pidfd, which stays in ho->pidfd. */
int hr_handover_done(struct hr_handover *ho);

#endif
