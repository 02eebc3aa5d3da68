/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_ERROR_H
#define HARDRUN_ERROR_H

#include <stdarg.h>

/*
 * The error contract.  Library code takes `struct hr_error **err`, returns a
 * negative value (or NULL) on failure after filling *err, and never prints or
 * exits.  Callers add context on the way up with hr_err_wrap(); only main()
 * prints (in runc's log format) and turns the error into an exit code.
 */
struct hr_error {
	int errnum; /* errno that caused it, 0 if none */
	int status; /* enum hr_exit value main() should exit with */
	char *msg;  /* human-readable, one line */
};

/* Documented exit codes of the hardrun binary (see docs/hardrun.1.in). */
enum hr_exit {
	HR_EXIT_OK = 0,	      /* success; for `check`: no denial */
	HR_EXIT_ERROR = 1,    /* any failure, or a container refused by policy (as runc) */
	HR_EXIT_USAGE = 2,    /* bad command line */
	HR_EXIT_NOEXEC = 127, /* the lower runtime could not be executed */
};

/*
 * Set *err (if err is non-NULL and *err is NULL) to a new error whose message
 * is the formatted text, followed by ": strerror(errnum)" when errnum != 0.
 * Returns -1 so callers can write `return hr_error_set(...)`.  Allocation
 * failure aborts.  An already-set *err is kept (the first cause wins).
 */
int hr_error_set(struct hr_error **err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* As hr_error_set(), with an explicit exit status. */
int hr_error_set_status(struct hr_error **err, int status, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Prefix the message of an existing *err with "context: ".  Returns -1.  If
 * *err is NULL (a callee forgot to set it), a generic error is created so the
 * failure is never lost.
 */
int hr_err_wrap(struct hr_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Free an error and set *err to NULL.  Safe on NULL. */
void hr_error_clear(struct hr_error **err);

/*
 * The one warning sink.  Library code never logs: a problem that does not
 * stop the command (a record that could not be written, a release that
 * failed) goes to hr_warn(), which hands the one-line message to the sink
 * main() installed (runc's log).  Without a sink, warnings are dropped.
 */
void hr_warn_set_sink(void (*sink)(const char *msg));
void hr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
