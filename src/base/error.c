/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hardrun/error.h"
#include "hardrun/util.h"

__attribute__((format(printf, 4, 0))) static int error_vset(struct hr_error **err, int status,
							    int errnum, const char *fmt, va_list ap)
{
	char *msg = NULL;
	struct hr_error *e = NULL;

	if (err == NULL || *err != NULL)
		return -1;
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	if (errnum != 0) {
		char *full = hr_xasprintf("%s: %s", msg, strerror(errnum));
		free(msg);
		msg = full;
	}
	e = hr_xcalloc(1, sizeof(*e));
	e->errnum = errnum;
	e->status = status;
	e->msg = msg;
	*err = e;
	return -1;
}

int hr_error_set(struct hr_error **err, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vset(err, HR_EXIT_ERROR, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int hr_error_set_status(struct hr_error **err, int status, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vset(err, status, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int hr_err_wrap(struct hr_error **err, const char *fmt, ...)
{
	char *ctx = NULL;
	va_list ap;

	if (err == NULL)
		return -1;
	if (*err == NULL)
		hr_error_set(err, 0, "internal error: failure without a reason");
	va_start(ap, fmt);
	if (vasprintf(&ctx, fmt, ap) < 0)
		abort();
	va_end(ap);
	char *msg = hr_xasprintf("%s: %s", ctx, (*err)->msg);
	free(ctx);
	free((*err)->msg);
	(*err)->msg = msg;
	return -1;
}

void hr_error_clear(struct hr_error **err)
{
	if (err == NULL || *err == NULL)
		return;
	free((*err)->msg);
	free(*err);
	*err = NULL;
}

static void (*warn_sink)(const char *msg);

void hr_warn_set_sink(void (*sink)(const char *msg))
{
	warn_sink = sink;
}

void hr_warn(const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	int saved = errno;

	if (!warn_sink)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	warn_sink(msg);
	free(msg);
	errno = saved;
}
