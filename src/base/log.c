/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
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

/*
 * What an audit record keeps: before/after texts cut to a line's worth (a
 * whole seccomp profile or capability list tells an operator nothing the
 * rule's reason does not), and for exec and update, which health probes
 * run every second, only findings that changed or refused something.
 */
#define AUDIT_TEXT_MAX 240

static void cut_text(struct hr_json *f, const char *key)
{
	const char *t = hr_json_as_string(hr_json_get(f, key));
	if (!t || strlen(t) <= AUDIT_TEXT_MAX)
		return;
	_cleanup_free_ char *cut =
	    hr_xasprintf("%.*s... (%zu bytes)", AUDIT_TEXT_MAX, t, strlen(t));
	hr_json_set(f, key, hr_json_new_string(cut));
}

static struct hr_json *compact_record(const struct hr_json *record)
{
	struct hr_json *rec = hr_json_clone(record);
	const char *cmd = hr_json_as_string(hr_json_get(rec, "command"));
	bool process_only = cmd && (strcmp(cmd, "exec") == 0 || strcmp(cmd, "update") == 0);
	struct hr_json *fs = hr_json_get(rec, "findings");

	for (size_t i = 0; fs && fs->type == HR_JSON_ARRAY && i < fs->arr.len;) {
		struct hr_json *f = fs->arr.items[i];
		const char *action = hr_json_as_string(hr_json_get(f, "action"));
		if (process_only && action && strcmp(action, "warn") == 0) {
			hr_json_array_remove(fs, i);
			continue;
		}
		cut_text(f, "before");
		cut_text(f, "after");
		i++;
	}
	if (process_only && fs && fs->type == HR_JSON_ARRAY && fs->arr.len == 0)
		hr_json_remove(rec, "findings");
	return rec;
}

/*
 * One O_APPEND write per record, under an exclusive lock on the file when
 * it may rotate: the writer that finds it full renames it to PATH.1 (the
 * previous PATH.1 goes) and starts a new one.  A writer that opened the
 * file before another rotated it sees that its descriptor is no longer
 * PATH and opens again, so two writers never rotate twice.
 */
static int append_rotating(const char *path, uint64_t max, const char *line, size_t len,
			   struct hr_error **err)
{
	for (int tries = 0; tries < 8; tries++) {
		/* O_NONBLOCK: an audit log that is a FIFO nobody reads is an error, not a hang. */
		_cleanup_close_ int fd = open(path,
					      O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
						  O_NOFOLLOW | O_NOCTTY | O_NONBLOCK,
					      0640);
		struct stat st, cur;
		if (fd < 0)
			return hr_error_set(err, errno, "open `%s`", path);
		if (max && flock(fd, LOCK_EX) < 0)
			return hr_error_set(err, errno, "lock `%s`", path);
		if (fstat(fd, &st) < 0)
			return hr_error_set(err, errno, "stat `%s`", path);
		if (max &&
		    (stat(path, &cur) < 0 || cur.st_ino != st.st_ino || cur.st_dev != st.st_dev))
			continue; /* rotated under us: append to the new file */
		if (max && st.st_size > 0 && (uint64_t)st.st_size + len > max) {
			_cleanup_free_ char *old = hr_xasprintf("%s.1", path);
			if (rename(path, old) < 0)
				return hr_error_set(err, errno, "rotate `%s`", path);
			continue;
		}
		return hr_write_line(fd, line, len, path, err);
	}
	return hr_error_set(err, 0, "`%s` keeps rotating under this writer", path);
}

int hr_audit_append(const char *path, uint64_t max_bytes, const struct hr_json *record,
		    struct hr_error **err)
{
	_cleanup_free_ char *line = NULL;
	_cleanup_free_ char *dir = hr_xstrdup(path);
	_cleanup_json_ struct hr_json *rec = compact_record(record);
	size_t len = 0;

	if (hr_json_serialize(rec, false, &line, &len, err) < 0)
		return -1;
	if (strcmp(path, HR_AUDIT_SYSLOG) == 0) {
		openlog("hardrun", LOG_PID, LOG_AUTHPRIV);
		syslog(LOG_NOTICE, "%s", line);
		closelog();
		return 0;
	}
	line = hr_xrealloc(line, len + 2);
	line[len++] = '\n';
	if (access(dirname(dir), F_OK) < 0 && hr_mkdir_p(dir, 0750, err) < 0)
		return hr_err_wrap(err, "audit log");
	if (append_rotating(path, max_bytes, line, len, err) < 0)
		return hr_err_wrap(err, "audit log");
	return 0;
}

int hr_audit_refusal(const char *path, uint64_t max_bytes, const char *command, const char *id,
		     const char *error, struct hr_error **err)
{
	char ts[48];
	_cleanup_json_ struct hr_json *rec = hr_json_new(HR_JSON_OBJECT);

	hr_rfc3339_now(ts, sizeof(ts));
	hr_json_set(rec, "time", hr_json_new_string(ts));
	hr_json_set(rec, "command", hr_json_new_string(command ? command : ""));
	hr_json_set(rec, "id", id ? hr_json_new_string(id) : hr_json_new(HR_JSON_NULL));
	hr_json_set(rec, "profile", hr_json_new(HR_JSON_NULL));
	hr_json_set(rec, "verdict", hr_json_new_string("refused"));
	hr_json_set(rec, "error", hr_json_new_string(error));
	return hr_audit_append(path, max_bytes, rec, err);
}
