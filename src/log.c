/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/log.h"
#include "hardrun/util.h"

static struct {
	const char *path;
	bool json;
	bool debug;
} logcfg;
static char abs_path[4096];

void hr_log_init(const char *path, const char *format, bool debug)
{
	char cwd[2048];

	logcfg.path = path && *path ? path : NULL;
	/* As the runtime reads it, from the cwd of now: the keeper writes its
	 * warnings after moving to /. */
	if (logcfg.path && logcfg.path[0] != '/' && getcwd(cwd, sizeof(cwd)) &&
	    (size_t)snprintf(abs_path, sizeof(abs_path), "%s/%s", cwd, logcfg.path) <
		sizeof(abs_path))
		logcfg.path = abs_path;
	logcfg.json = format && strcmp(format, "json") == 0;
	logcfg.debug = debug;
}

static const char *level_name(enum hr_log_level l)
{
	static const char *const n[] = {"debug", "info", "warning", "error"};
	return n[l];
}

/* logrus quotes msg with Go's %q: escape backslash, quote and controls. */
static char *text_quote(const char *s)
{
	size_t n = strlen(s);
	char *out = hr_xmalloc(n * 4 + 3), *o = out;
	*o++ = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			*o++ = '\\';
			*o++ = (char)*p;
		} else if (*p == '\n') {
			*o++ = '\\';
			*o++ = 'n';
		} else if (*p < 0x20) {
			o += sprintf(o, "\\x%02x", *p);
		} else {
			*o++ = (char)*p;
		}
	}
	*o++ = '"';
	*o = '\0';
	return out;
}

static char *format_record(enum hr_log_level level, const char *msg, bool json)
{
	char ts[48];
	hr_rfc3339_now(ts, sizeof(ts));
	if (json) {
		_cleanup_json_ struct hr_json *o = hr_json_new(HR_JSON_OBJECT);
		char *out = NULL;
		size_t len = 0;
		hr_json_set(o, "level", hr_json_new_string(level_name(level)));
		hr_json_set(o, "msg", hr_json_new_string(msg));
		hr_json_set(o, "time", hr_json_new_string(ts));
		if (hr_json_serialize(o, false, &out, &len, NULL) < 0)
			return hr_xasprintf("{\"level\":\"error\",\"msg\":\"unprintable\"}\n");
		out = hr_xrealloc(out, len + 2);
		out[len] = '\n';
		out[len + 1] = '\0';
		return out;
	}
	_cleanup_free_ char *q = text_quote(msg);
	return hr_xasprintf("time=\"%s\" level=%s msg=%s\n", ts, level_name(level), q);
}

void hr_log(enum hr_log_level level, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	_cleanup_free_ char *rec = NULL;
	va_list ap;

	if (level == HR_LOG_DEBUG && !logcfg.debug)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);

	if (!logcfg.path) {
		rec = format_record(level, msg, logcfg.json);
		fputs(rec, stderr);
		return;
	}
	rec = format_record(level, msg, logcfg.json);
	if (hr_append_line(logcfg.path, rec, strlen(rec), NULL) < 0)
		fputs(rec, stderr);
	/* runc also prints fatal errors plainly, for the user at a terminal. */
	if (level == HR_LOG_ERROR)
		fprintf(stderr, "%s\n", msg);
}

int hr_audit_append(const char *path, const struct hr_json *record, struct hr_error **err)
{
	_cleanup_free_ char *line = NULL;
	_cleanup_free_ char *dir = hr_xstrdup(path);
	size_t len = 0;

	if (hr_json_serialize(record, false, &line, &len, err) < 0)
		return -1;
	line = hr_xrealloc(line, len + 2);
	line[len++] = '\n';
	if (access(dirname(dir), F_OK) < 0 && hr_mkdir_p(dir, 0750, err) < 0)
		return hr_err_wrap(err, "audit log");
	if (hr_append_line(path, line, len, err) < 0)
		return hr_err_wrap(err, "audit log");
	return 0;
}
