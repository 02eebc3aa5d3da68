/* SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hardrun/cleanup.h"
#include "hardrun/create.h"
#include "hardrun/util.h"

#define DIFF_MAX_LINES 4000
#define DIFF_CONTEXT   3

struct lines {
	char **v;
	size_t n;
};

static void split_lines(char *text, struct lines *l)
{
	size_t cap = 64;
	l->v = hr_xmalloc(cap * sizeof(char *));
	l->n = 0;
	for (char *s = text; *s;) {
		char *nl = strchr(s, '\n');
		if (nl)
			*nl = '\0';
		if (l->n == cap)
			l->v = hr_xrealloc(l->v, (cap *= 2) * sizeof(char *));
		l->v[l->n++] = s;
		if (!nl)
			break;
		s = nl + 1;
	}
}

/* ops: ' ' keep, '-' from a, '+' from b; returns count. */
static size_t edit_script(const struct lines *a, const struct lines *b, char *ops, size_t *ia,
			  size_t *ib)
{
	/* The LCS table covers only what lies between the common head and tail. */
	size_t head = 0, tail = 0, k = 0;
	while (head < a->n && head < b->n && strcmp(a->v[head], b->v[head]) == 0)
		head++;
	while (tail < a->n - head && tail < b->n - head &&
	       strcmp(a->v[a->n - 1 - tail], b->v[b->n - 1 - tail]) == 0)
		tail++;
	size_t n = a->n - tail, m = b->n - tail, w = m - head + 1;
	uint16_t *dp = hr_xcalloc((n - head + 1) * w, sizeof(uint16_t));
#define DP(i, j) dp[((i)-head) * w + ((j)-head)]
	for (size_t i = n; i-- > head;)
		for (size_t j = m; j-- > head;)
			DP(i, j) =
			    strcmp(a->v[i], b->v[j]) == 0
				? DP(i + 1, j + 1) + 1
				: (DP(i + 1, j) > DP(i, j + 1) ? DP(i + 1, j) : DP(i, j + 1));
	size_t i = 0, j = 0;
	for (; i < head; i++, j++)
		ops[k] = ' ', ia[k] = i, ib[k++] = j;
	while (i < n || j < m) {
		if (i < n && j < m && strcmp(a->v[i], b->v[j]) == 0) {
			ops[k] = ' ', ia[k] = i++, ib[k++] = j++;
		} else if (j < m && (i == n || DP(i, j + 1) >= DP(i + 1, j))) {
			ops[k] = '+', ia[k] = i, ib[k++] = j++;
		} else {
			ops[k] = '-', ia[k] = i++, ib[k++] = j;
		}
	}
#undef DP
	for (; i < a->n; i++, j++)
		ops[k] = ' ', ia[k] = i, ib[k++] = j;
	free(dp);
	return k;
}

static void print_hunks(const struct lines *a, const struct lines *b)
{
	size_t max = a->n + b->n + 1;
	_cleanup_free_ char *ops = hr_xmalloc(max);
	_cleanup_free_ size_t *ia = hr_xmalloc(max * sizeof(size_t));
	_cleanup_free_ size_t *ib = hr_xmalloc(max * sizeof(size_t));
	size_t k = edit_script(a, b, ops, ia, ib);
	for (size_t s = 0; s < k;) {
		if (ops[s] == ' ') {
			s++;
			continue;
		}
		/* One hunk: extend while changes are within 2*context of each other. */
		size_t start = s > DIFF_CONTEXT ? s - DIFF_CONTEXT : 0, end = s;
		for (size_t t = s; t < k; t++) {
			if (ops[t] != ' ')
				end = t;
			else if (t - end > 2 * DIFF_CONTEXT)
				break;
		}
		end = end + DIFF_CONTEXT + 1 < k ? end + DIFF_CONTEXT + 1 : k;
		size_t na = 0, nb = 0;
		for (size_t t = start; t < end; t++) {
			na += ops[t] != '+';
			nb += ops[t] != '-';
		}
		printf("@@ -%zu,%zu +%zu,%zu @@\n", ia[start] + 1, na, ib[start] + 1, nb);
		for (size_t t = start; t < end; t++)
			printf("%c%s\n", ops[t], ops[t] == '+' ? b->v[ib[t]] : a->v[ia[t]]);
		s = end;
	}
}

static void print_diff(const char *name, char *before, char *after)
{
	struct lines a, b;
	split_lines(before, &a);
	split_lines(after, &b);
	printf("--- %s\n+++ %s (hardened)\n", name, name);
	if (a.n > DIFF_MAX_LINES || b.n > DIFF_MAX_LINES)
		printf("(config too large for a line diff: %zu and %zu lines)\n", a.n, b.n);
	else
		print_hunks(&a, &b);
	free(a.v);
	free(b.v);
}

static void print_text(const struct hr_hardened *h, const char *name, struct hr_error *failure)
{
	size_t counts[4] = {0};
	printf("hardrun check: profile `%s` on %s\n", h->profile->name, name);
	for (size_t r = 0; r < h->profile->n_rules; r++) {
		const char *rule = h->profile->rules[r].rule->name;
		bool header = false;
		for (size_t i = 0; i < h->findings.len; i++) {
			const struct hr_finding *f = &h->findings.items[i];
			if (strcmp(f->rule, rule) != 0)
				continue;
			if (!header)
				printf("\n%s:\n", rule);
			header = true;
			counts[f->action]++;
			printf("  %-4s %s: %s\n", hr_action_name(f->action), f->path, f->reason);
			if (f->before)
				printf("         was: %s\n", f->before);
			if (f->after)
				printf("         now: %s\n", f->after);
		}
	}
	if (h->findings.len == 0)
		printf("\nno findings\n");
	printf("\nverdict: %s (%zu denied, %zu fixed, %zu warnings)\n",
	       failure ? "REFUSED" : "allowed", counts[HR_ACTION_DENY], counts[HR_ACTION_FIX],
	       counts[HR_ACTION_WARN]);
	if (failure)
		printf("reason: %s\n", failure->msg);
	if (!failure && !hr_json_equal(h->original, h->spec)) {
		_cleanup_free_ char *a = NULL;
		_cleanup_free_ char *b = NULL;
		if (hr_json_serialize(h->original, true, &a, NULL, NULL) == 0 &&
		    hr_json_serialize(h->spec, true, &b, NULL, NULL) == 0) {
			printf("\n");
			print_diff(name, a, b);
		}
	}
}

static void print_json(const struct hr_hardened *h, struct hr_error *failure)
{
	_cleanup_json_ struct hr_json *o = hr_json_new(HR_JSON_OBJECT);
	_cleanup_free_ char *out = NULL;
	hr_json_set(o, "profile", hr_json_new_string(h->profile->name));
	hr_json_set(o, "verdict", hr_json_new_string(failure ? "refused" : "allowed"));
	if (failure)
		hr_json_set(o, "reason", hr_json_new_string(failure->msg));
	struct hr_json *arr = hr_json_new(HR_JSON_ARRAY);
	for (size_t i = 0; i < h->findings.len; i++)
		hr_json_append(arr, hr_finding_json(&h->findings.items[i]));
	hr_json_set(o, "findings", arr);
	if (!failure)
		hr_json_set(o, "hardened", hr_json_clone(h->spec));
	if (hr_json_serialize(o, true, &out, NULL, NULL) == 0)
		puts(out);
}

int hr_check_main(const struct hr_cli *cli, const struct hr_policy *policy, const char *profile,
		  struct hr_error **err)
{
	struct hr_hardened h = {.dirfd = -1, .rootfs_fd = -1};
	struct hr_error *failure = NULL;
	const char *format = hr_cli_flag(cli, "format");
	const char *config = hr_cli_flag(cli, "config");
	const char *p = hr_cli_flag(cli, "profile");

	if (format && strcmp(format, "text") && strcmp(format, "json"))
		return hr_error_set_status(err, HR_EXIT_USAGE, 0,
					   "check: --format must be text or json");
	if (!config && cli->n_args > 0)
		config = cli->args[0];
	int r = hr_harden(cli, policy, p ? p : profile, config, HR_HARDEN_CHECK, &h, &failure);
	if (r < 0 && (!h.profile || h.findings.denials == 0)) {
		hr_hardened_clear(&h);
		*err = failure;
		return -1;
	}
	_cleanup_free_ char *name =
	    config ? hr_xstrdup(config) : hr_xasprintf("%s/config.json", h.bundle);
	if (format && !strcmp(format, "json"))
		print_json(&h, failure);
	else
		print_text(&h, name, failure);
	int status = failure ? HR_EXIT_ERROR : HR_EXIT_OK;
	hr_error_clear(&failure);
	hr_hardened_clear(&h);
	return status;
}
