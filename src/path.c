/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Lexical path normalisation shared by the rules (mounts, hooks, process),
 * so that every rule agrees on what a path like "/var/run/../run//x"
 * names; see include/hardrun/path.h for the contract.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <string.h>

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
