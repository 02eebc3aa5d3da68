/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Path handling shared by the rules (mounts, hooks, process), so that every
 * rule agrees on what a path like "/var/run/../run//x" names: lexical
 * normalisation, and symlink resolution on the host as a runtime's mount()
 * will see it.  Contracts in include/hardrun/path.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hardrun/cleanup.h"

#include "hardrun/path.h"
#include "hardrun/util.h"

char *hr_path_normalise_until(const char *path, bool (*stop)(const char *prefix), bool *stopped)
{
	/* The result is never longer than the input plus a leading slash. */
	char *out = hr_xmalloc(strlen(path) + 2);
	size_t o = 0;

	if (stopped)
		*stopped = false;
	out[0] = '\0';
	for (const char *p = path; *p;) {
		while (*p == '/')
			p++;
		const char *e = strchrnul(p, '/');
		size_t len = (size_t)(e - p);
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			out[o] = '\0';
		} else if (len > 0 && !(len == 1 && p[0] == '.')) {
			out[o++] = '/';
			memcpy(out + o, p, len);
			o += len;
			out[o] = '\0';
			if (stop && stop(out)) {
				if (stopped)
					*stopped = true;
				return out;
			}
		}
		p = e;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return out;
}

char *hr_path_normalise(const char *path)
{
	return hr_path_normalise_until(path, NULL, NULL);
}

char *hr_path_resolve_host(const char *path)
{
	_cleanup_free_ char *rest = hr_xstrdup(path);
	_cleanup_free_ char *res = hr_xstrdup("/");
	int links = 0;

	for (;;) {
		char *p = rest;
		while (*p == '/')
			p++;
		if (!*p)
			break;
		char *e = strchrnul(p, '/');
		_cleanup_free_ char *comp = hr_xstrndup(p, (size_t)(e - p));
		_cleanup_free_ char *tail = hr_xstrdup(e);
		free(rest);
		rest = hr_steal_ptr(&tail);
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			char *slash = strrchr(res, '/');
			slash[slash == res ? 1 : 0] = '\0';
			continue;
		}
		char *cand = hr_xasprintf("%s%s%s", res, strcmp(res, "/") ? "/" : "", comp);
		struct stat st;
		if (lstat(cand, &st) < 0) {
			char *lex = hr_xasprintf("%s/%s", cand, rest);
			free(cand);
			free(res);
			res = hr_path_normalise(lex);
			free(lex);
			return hr_steal_ptr(&res);
		}
		if (!S_ISLNK(st.st_mode)) {
			free(res);
			res = cand;
			continue;
		}
		char target[PATH_MAX];
		ssize_t len = readlink(cand, target, sizeof(target) - 1);
		free(cand);
		if (len < 0 || ++links > 40)
			return NULL;
		target[len] = '\0';
		char *next = hr_xasprintf("%s/%s", target, rest);
		free(rest);
		rest = next;
		if (target[0] == '/') {
			free(res);
			res = hr_xstrdup("/");
		}
	}
	return hr_path_normalise(res);
}
