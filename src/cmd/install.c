/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `hardrun install docker|containerd|podman [--uninstall] [--config PATH]`:
 * register this binary and one runtime per shipped profile with an engine,
 * idempotently, touching nothing else of the engine's configuration.
 *
 * - docker: daemon.json is JSON, edited as a tree (unknown keys and their
 *   order survive): runtimes.hardrun{,-restricted,-untrusted} with
 *   `runtimeArgs: ["--hardrun-profile=NAME"]`.
 * - containerd and podman: TOML, which hardrun does not parse.  Our lines
 *   live between `# BEGIN hardrun` and `# END hardrun` markers: install
 *   replaces that block, uninstall removes it.  A table or key of ours that
 *   the file already sets outside the block is an error (TOML forbids a
 *   second definition, so the engine would not start), never overwritten.
 *   containerd and podman cannot pass arguments to a runtime, so the
 *   profile comes from the binary's name: hardrun-restricted and
 *   hardrun-untrusted, symlinks beside this binary (created when missing,
 *   removed on uninstall when they still point at it).
 *
 * A file is replaced atomically (temporary file + rename, same mode) and
 * only when its text changes; a missing file is created.  The engine must
 * be restarted (or reloaded) to see the change: the command says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/install.h"
#include "hardrun/json.h"
#include "hardrun/util.h"

#define MAX_CONFIG  (4u << 20)
#define BEGIN_MARK  "# BEGIN hardrun: managed by `hardrun install`, edits are overwritten"
#define BEGIN_MATCH "# BEGIN hardrun"
#define END_MARK    "# END hardrun"

static const char *const profiles[] = {"baseline", "restricted", "untrusted"};
#define N_PROFILES (sizeof(profiles) / sizeof(profiles[0]))

/* Runtime name of a profile: "hardrun" for baseline, "hardrun-NAME" else. */
static char *runtime_name(size_t i)
{
	return i == 0 ? hr_xstrdup("hardrun") : hr_xasprintf("hardrun-%s", profiles[i]);
}

/* The binary to run for profile i: this one, or its hardrun-NAME link. */
static char *binary_for(const char *self, size_t i)
{
	if (i == 0)
		return hr_xstrdup(self);
	_cleanup_free_ char *dir = hr_xstrdup(self);
	return hr_xasprintf("%s/hardrun-%s", dirname(dir), profiles[i]);
}

/* Read a config; a missing file is empty text (and *exists false). */
static int read_config(const char *path, char **text, bool *exists, mode_t *mode,
		       struct hr_error **err)
{
	struct stat st;
	size_t len = 0;

	*exists = stat(path, &st) == 0;
	*mode = *exists ? (st.st_mode & 07777) : 0644;
	if (!*exists) {
		if (errno != ENOENT)
			return hr_error_set(err, errno, "%s", path);
		*text = hr_xstrdup("");
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return hr_error_set(err, 0, "%s: not a regular file", path);
	return hr_read_file_at(AT_FDCWD, path, MAX_CONFIG, text, &len, err);
}

static int write_config(const char *path, const char *text, mode_t mode, struct hr_error **err)
{
	_cleanup_free_ char *d = hr_xstrdup(path), *b = hr_xstrdup(path);
	const char *dir = dirname(d), *base = basename(b);

	if (hr_mkdir_p(dir, 0755, err) < 0)
		return -1;
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return hr_error_set(err, errno, "%s", dir);
	return hr_write_file_atomic(dfd, base, text, strlen(text), mode, err);
}

/* ---- docker: daemon.json ------------------------------------------------ */

static struct hr_json *docker_runtime(const char *self, size_t i)
{
	struct hr_json *rt = hr_json_new(HR_JSON_OBJECT), *args = hr_json_new(HR_JSON_ARRAY);
	_cleanup_free_ char *arg = hr_xasprintf("--hardrun-profile=%s", profiles[i]);

	hr_json_set(rt, "path", hr_json_new_string(self));
	hr_json_append(args, hr_json_new_string(arg));
	hr_json_set(rt, "runtimeArgs", args);
	return rt;
}

static int docker_edit(struct hr_json *cfg, const char *self, bool uninstall, const char *path,
		       struct hr_error **err)
{
	struct hr_json *rts = hr_json_get(cfg, "runtimes");

	if (rts && rts->type != HR_JSON_OBJECT)
		return hr_error_set(err, 0, "%s: `runtimes` is not an object", path);
	if (!rts && uninstall)
		return 0;
	if (!rts)
		rts = hr_json_ensure_object(cfg, "runtimes");
	for (size_t i = 0; i < N_PROFILES; i++) {
		_cleanup_free_ char *name = runtime_name(i);
		if (uninstall)
			hr_json_remove(rts, name);
		else
			hr_json_set(rts, name, docker_runtime(self, i));
	}
	if (uninstall) {
		const char *def = hr_json_as_string(hr_json_get(cfg, "default-runtime"));
		/* dockerd refuses to start with a default that names no runtime. */
		if (def && hr_startswith(def, "hardrun"))
			hr_json_remove(cfg, "default-runtime");
		if (rts->obj.len == 0)
			hr_json_remove(cfg, "runtimes");
	}
	return 0;
}

static int docker_text(const char *old, const char *self, bool uninstall, const char *path,
		       char **out, struct hr_error **err)
{
	size_t len = strspn(old, " \t\r\n") == strlen(old) ? 0 : strlen(old);
	_cleanup_json_ struct hr_json *cfg =
	    len ? hr_json_parse(old, len, NULL, err) : hr_json_new(HR_JSON_OBJECT);

	if (!cfg)
		return hr_err_wrap(err, "%s", path);
	if (cfg->type != HR_JSON_OBJECT)
		return hr_error_set(err, 0, "%s: the top level must be an object", path);
	if (docker_edit(cfg, self, uninstall, path, err) < 0)
		return -1;
	if (hr_json_serialize(cfg, true, out, &len, err) < 0)
		return -1;
	*out = hr_xrealloc(*out, len + 2);
	memcpy(*out + len, "\n", 2);
	return 0;
}

/* ---- TOML files: a managed block ------------------------------------- */

/* Text with our block removed (the markers and everything between). */
static char *strip_block(const char *text)
{
	size_t n = strlen(text), o = 0;
	char *out = hr_xmalloc(n + 1);
	bool inside = false;

	for (const char *p = text; *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) + 1 : strlen(p);
		if (!inside && hr_startswith(p, BEGIN_MATCH))
			inside = true;
		else if (inside && hr_startswith(p, END_MARK))
			inside = false;
		else if (!inside) {
			memcpy(out + o, p, len);
			o += len;
		}
		p += len;
	}
	out[o] = '\0';
	return out;
}

/* Line number (1-based) of the first line containing needle, 0 if none. */
static size_t find_line(const char *text, const char *needle)
{
	size_t line = 1;
	const char *hit = strstr(text, needle);

	if (!hit)
		return 0;
	for (const char *p = text; p < hit; p++)
		line += *p == '\n';
	return line;
}

static bool has_line_starting(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	for (const char *p = text; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		p += strspn(p, " \t");
		if (strncmp(p, prefix, n) == 0)
			return true;
	}
	return false;
}

/* ---- containerd: config.toml ------------------------------------------ */

/* The CRI plugin's table for this config's schema; NULL for schema 1. */
static const char *cri_table(const char *text, bool *add_version)
{
	*add_version = false;
	if (has_line_starting(text, "version = 3") || has_line_starting(text, "version=3"))
		return "plugins.\"io.containerd.cri.v1.runtime\".containerd.runtimes";
	if (has_line_starting(text, "version = 2") || has_line_starting(text, "version=2"))
		return "plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes";
	if (strspn(text, " \t\r\n") != strlen(text))
		return NULL;
	*add_version = true; /* an empty file is read as schema 1 without it */
	return "plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes";
}

static char *containerd_block(const char *table, const char *self, bool systemd)
{
	char *b = hr_xstrdup(BEGIN_MARK "\n");
	for (size_t i = 0; i < N_PROFILES; i++) {
		_cleanup_free_ char *name = runtime_name(i), *bin = binary_for(self, i);
		char *n = hr_xasprintf("%s[%s.%s]\n"
				       "  runtime_type = \"io.containerd.runc.v2\"\n"
				       "  privileged_without_host_devices = true\n"
				       "  pod_annotations = [\"run.hardrun.profile\"]\n"
				       "[%s.%s.options]\n"
				       "  BinaryName = \"%s\"\n%s",
				       b, table, name, table, name, bin,
				       systemd ? "  SystemdCgroup = true\n" : "");
		free(b);
		b = n;
	}
	char *n = hr_xasprintf("%s" END_MARK "\n", b);
	free(b);
	return n;
}

static int containerd_text(const char *old, const char *self, bool uninstall, const char *path,
			   char **out, struct hr_error **err)
{
	_cleanup_free_ char *rest = strip_block(old);
	bool add_version = false;
	const char *table = cri_table(rest, &add_version);

	if (uninstall) {
		*out = hr_steal_ptr(&rest);
		return 0;
	}
	if (!table)
		return hr_error_set(err, 0,
				    "%s: no `version = 2` or `version = 3` line: hardrun install "
				    "handles containerd's schema 2 (1.x) and 3 (2.x) configs",
				    path);
	for (size_t i = 0; i < N_PROFILES; i++) {
		_cleanup_free_ char *name = runtime_name(i);
		_cleanup_free_ char *hdr = hr_xasprintf("runtimes.%s]", name);
		size_t line = find_line(rest, hdr);
		if (line)
			return hr_error_set(err, 0,
					    "%s:%zu: runtime `%s` is already configured by hand; "
					    "remove it, then run hardrun install again",
					    path, line, name);
	}
	/* Kubelet's systemd cgroup driver: runc's handler says so; ours must too. */
	bool systemd = strstr(rest, "SystemdCgroup = true") != NULL;
	_cleanup_free_ char *block = containerd_block(table, self, systemd);
	size_t n = strlen(rest);
	*out = hr_xasprintf("%s%s%s%s", add_version ? "version = 2\n" : "", rest,
			    n && rest[n - 1] != '\n' ? "\n" : "", block);
	return 0;
}

/* ---- podman: containers.conf ------------------------------------------ */

static char *podman_block(const char *self)
{
	char *b = hr_xstrdup(BEGIN_MARK "\n[engine]\n"
					"# hardrun writes runc's JSON error log: podman shows its "
					"reason\n"
					"runtime_supports_json = [\"crun\", \"runc\", \"kata\", "
					"\"runsc\", \"youki\", \"krun\", \"hardrun\", "
					"\"hardrun-restricted\", \"hardrun-untrusted\"]\n"
					"[engine.runtimes]\n");
	for (size_t i = 0; i < N_PROFILES; i++) {
		_cleanup_free_ char *name = runtime_name(i), *bin = binary_for(self, i);
		char *n = hr_xasprintf("%s%s = [\"%s\"]\n", b, name, bin);
		free(b);
		b = n;
	}
	char *n = hr_xasprintf("%s" END_MARK "\n", b);
	free(b);
	return n;
}

/*
 * podman's keys must sit in the [engine] table, and a second [engine]
 * header is a TOML error: the block brings its own tables, so it goes into
 * a file that has none (the default, a containers.conf.d drop-in, which
 * podman merges over containers.conf).  A file with its own [engine] is
 * refused with that advice, never edited inside the user's table.
 */
static int podman_text(const char *old, const char *self, bool uninstall, const char *path,
		       char **out, struct hr_error **err)
{
	_cleanup_free_ char *rest = strip_block(old);

	if (uninstall) {
		*out = hr_steal_ptr(&rest);
		return 0;
	}
	const char *clash[] = {"[engine]", "[engine.runtimes]", "runtime_supports_json", NULL};
	for (size_t i = 0; clash[i]; i++)
		if (has_line_starting(rest, clash[i]))
			return hr_error_set(err, 0,
					    "%s:%zu: has its own `%s`; install into a drop-in "
					    "instead (default: " HR_PODMAN_DROPIN ")",
					    path, find_line(rest, clash[i]), clash[i]);
	size_t n = strlen(rest);
	_cleanup_free_ char *block = podman_block(self);
	*out = hr_xasprintf("%s%s%s", rest, n && rest[n - 1] != '\n' ? "\n" : "", block);
	return 0;
}

/* ---- the command --------------------------------------------------------- */

static const struct engine {
	const char *name;
	const char *config; /* default file; NULL: computed */
	const char *restart;
	bool links; /* takes the profile from the binary's name */
	int (*edit)(const char *old, const char *self, bool uninstall, const char *path, char **out,
		    struct hr_error **err);
} engines[] = {
    {"docker", "/etc/docker/daemon.json", "systemctl restart docker", false, docker_text},
    {"containerd", "/etc/containerd/config.toml", "systemctl restart containerd", true,
     containerd_text},
    {"podman", NULL, "nothing (podman reads it on every command)", true, podman_text},
};

static char *podman_config(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	if (geteuid() == 0)
		return hr_xstrdup(HR_PODMAN_DROPIN);
	if (xdg && xdg[0] == '/')
		return hr_xasprintf("%s/containers/containers.conf.d/hardrun.conf", xdg);
	return hr_xasprintf("%s/.config/containers/containers.conf.d/hardrun.conf",
			    home && *home ? home : "");
}

/* hardrun-restricted and hardrun-untrusted beside self, made when missing. */
static int ensure_links(const char *self, struct hr_error **err)
{
	_cleanup_free_ char *b = hr_xstrdup(self);
	const char *base = basename(b);

	for (size_t i = 1; i < N_PROFILES; i++) {
		_cleanup_free_ char *link = binary_for(self, i);
		_cleanup_free_ char *real = hr_realpath(link);
		if (real && strcmp(real, self) == 0)
			continue;
		if (real || access(link, F_OK) == 0)
			return hr_error_set(err, 0,
					    "%s exists and is not a link to %s: the runtime of "
					    "profile `%s` would not be hardrun",
					    link, self, profiles[i]);
		if (symlink(base, link) < 0)
			return hr_error_set(err, errno, "symlink %s -> %s", link, base);
		printf("%s -> %s\n", link, base);
	}
	return 0;
}

int hr_install_main(const struct hr_cli *cli, struct hr_error **err)
{
	const char *name = cli->n_args > 0 ? cli->args[0] : NULL;
	const struct engine *e = NULL;
	bool uninstall = hr_cli_flag_bool(cli, "uninstall");

	for (size_t i = 0; name && i < sizeof(engines) / sizeof(engines[0]); i++)
		if (strcmp(name, engines[i].name) == 0)
			e = &engines[i];
	if (!e || cli->n_args > 1)
		return hr_error_set_status(err, HR_EXIT_USAGE, 0,
					   "usage: hardrun install docker|containerd|podman "
					   "[--uninstall] [--config PATH]");
	_cleanup_free_ char *self = hr_realpath("/proc/self/exe");
	_cleanup_free_ char *path = hr_cli_flag(cli, "config")
					? hr_xstrdup(hr_cli_flag(cli, "config"))
				    : e->config ? hr_xstrdup(e->config)
						: podman_config();
	_cleanup_free_ char *old = NULL, *text = NULL;
	bool exists = false;
	mode_t mode = 0644;

	if (!self)
		return hr_error_set(err, errno, "resolve /proc/self/exe");
	/* A config that is a symlink (a node's config.toml kept elsewhere) is
	 * edited where it points and stays a link. */
	char *real = access(path, F_OK) == 0 ? hr_realpath(path) : NULL;
	if (real) {
		free(path);
		path = real;
	}
	if (read_config(path, &old, &exists, &mode, err) < 0 ||
	    e->edit(old, self, uninstall, path, &text, err) < 0)
		return hr_err_wrap(err, "hardrun install %s", e->name);
	if (!uninstall && e->links && ensure_links(self, err) < 0)
		return hr_err_wrap(err, "hardrun install %s", e->name);
	if (strcmp(old, text) == 0 || (uninstall && !exists)) {
		printf("%s: already %s\n", path, uninstall ? "without hardrun" : "up to date");
		return 0;
	}
	if (write_config(path, text, mode, err) < 0)
		return hr_err_wrap(err, "hardrun install %s", e->name);
	printf("%s: hardrun %s (runtimes hardrun, hardrun-restricted, hardrun-untrusted)\n"
	       "to apply: %s\n",
	       path, uninstall ? "removed" : "registered", e->restart);
	return 0;
}
