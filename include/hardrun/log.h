/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_LOG_H
#define HARDRUN_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "hardrun/json.h"

/*
 * runc-compatible logging.  With --log FILE, records are appended to FILE in
 * --log-format (text: logrus's `time="..." level=error msg="..."`; json: one
 * `{"level":"error","msg":"...","time":"RFC3339"}` object per line, which
 * containerd reads back to explain a failed create), and errors are also
 * printed plainly on stderr as runc does.  Without --log, records go to
 * stderr.  Only main() and the top of a command path call these.
 */

enum hr_log_level { HR_LOG_DEBUG, HR_LOG_INFO, HR_LOG_WARN, HR_LOG_ERROR };

/* Configure; path may be NULL (stderr), format NULL or "text" or "json". */
void hr_log_init(const char *path, const char *format, bool debug);

void hr_log(enum hr_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The audit log "path" that sends records to syslog (LOG_AUTHPRIV) instead. */
#define HR_AUDIT_SYSLOG "syslog"

/*
 * Append one audit record (an object) as a single JSON line to path, with
 * one write(2), creating the directory when missing; compacted (long
 * before/after texts cut; exec and update keep only findings that changed
 * or refused something).  When the file would grow beyond max_bytes (0: no
 * limit) it is renamed to PATH.1 first.  path HR_AUDIT_SYSLOG: to syslog.
 * Returns < 0 on error.
 */
int hr_audit_append(const char *path, uint64_t max_bytes, const struct hr_json *record,
		    struct hr_error **err);

/*
 * A refusal decided before any profile (the host policy does not load):
 * one record with the command, the id and the error.
 */
int hr_audit_refusal(const char *path, uint64_t max_bytes, const char *command, const char *id,
		     const char *error, struct hr_error **err);

#endif
