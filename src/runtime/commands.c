/* SPDX-License-Identifier: Apache-2.0 */
/* start, state, kill, delete, list, ps, pause, resume, events, features. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/runtime.h"
#include "hardrun/util.h"
#include "rt.h"

static const struct {
	const char *name;
	int sig;
} signals[] = {
    {"HUP", SIGHUP},	   {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP},	   {"ABRT", SIGABRT}, {"IOT", SIGIOT},	     {"BUS", SIGBUS},
    {"FPE", SIGFPE},	   {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},	   {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},	   {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"XCPU", SIGXCPU},	   {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"PWR", SIGPWR},	     {"SYS", SIGSYS},
};

int hr_rt_parse_signal(const char *s, int *sig)
{
	char *end = NULL;
	long n;

	if (!s || !*s)
		return -1;
	n = strtol(s, &end, 10);
	if (*end == 0) {
		/* 0, as runc: only asks whether the container is still there */
		if (n < 0 || n > SIGRTMAX)
			return -1;
		*sig = (int)n;
		return 0;
	}
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (strcasecmp(s, signals[i].name) == 0) {
			*sig = signals[i].sig;
			return 0;
		}
	return -1;
}

/* Open, lock and read a container; status is its live status. */
static int load(const struct hr_cli *cli, bool exclusive, struct hr_rt_state *s,
		const char **status, struct hr_error **err)
{
	const char *id = hr_cli_id(cli);
	int fd = hr_rt_state_dir(cli, id, false, exclusive, err);

	if (fd < 0)
		return -1;
	if (hr_rt_state_read(fd, id, s, err) < 0) {
		close(fd);
		return -1;
	}
	*status = hr_rt_state_status(fd, s);
	return fd;
}

/*
 * As runc prints it: pretty output indented with two spaces (Go's
 * MarshalIndent); `state` without a final newline, everything else with one.
 */
static int print_json(const struct hr_json *j, bool pretty, bool newline, struct hr_error **err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	bool bol = true;

	if (hr_json_serialize(j, pretty, &text, &len, err) < 0)
		return -1;
	while (len && text[len - 1] == '\n')
		text[--len] = 0;
	for (const char *p = text; *p; p++) {
		if (bol && *p == '\t') {
			fputs("  ", stdout);
			continue;
		}
		bol = *p == '\n';
		putchar(*p);
	}
	if (newline)
		putchar('\n');
	return fflush(stdout) == 0 ? 0 : hr_error_set(err, errno, "write stdout");
}

static int cmd_state(const struct hr_cli *cli, struct hr_error **err)
{
	struct hr_rt_state s = {0};
	const char *status = NULL;
	_cleanup_close_ int fd = load(cli, false, &s, &status, err);
	_cleanup_json_ struct hr_json *j = NULL;
	int r;

	if (fd < 0)
		return -1;
	j = hr_rt_state_json(&s, status);
	r = print_json(j, true, false, err);
	hr_rt_state_free(&s);
	return r;
}

int hr_rt_kill_all(const struct hr_rt_state *s, int sig)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	struct hr_error *e = NULL;

	if (hr_rt_cgroup_pids(s->cgroups_path, &pids, &n, &e) < 0) {
		hr_error_clear(&e);
		return kill(s->pid, sig);
	}
	for (size_t i = 0; i < n; i++)
		kill(pids[i], sig);
	return 0;
}

static int cmd_kill(const struct hr_cli *cli, struct hr_error **err)
{
	struct hr_rt_state s = {0};
	const char *status = NULL, *name = cli->n_args > 1 ? cli->args[1] : "SIGTERM";
	_cleanup_close_ int fd = -1;
	int sig = 0, r = 0;

	if (hr_rt_parse_signal(name, &sig) < 0)
		return hr_error_set_status(err, HR_EXIT_USAGE, 0, "unknown signal \"%s\"", name);
	fd = load(cli, false, &s, &status, err);
	if (fd < 0)
		return -1;
	if (strcmp(status, "stopped") == 0)
		r = hr_error_set(err, 0, "container not running");
	else if (hr_cli_flag_bool(cli, "all"))
		hr_rt_kill_all(&s, sig);
	else if (kill(s.pid, sig) < 0)
		r = hr_error_set(err, errno, "kill %d", (int)s.pid);
	hr_rt_state_free(&s);
	return r;
}

static void wait_gone(const struct hr_rt_state *s)
{
	for (int i = 0; i < 10000 && hr_rt_pid_alive(s->pid, s->starttime); i++)
		usleep(1000);
}

static int cmd_delete(const struct hr_cli *cli, struct hr_error **err)
{
	struct hr_rt_state s = {0};
	const char *status = NULL;
	bool force = hr_cli_flag_bool(cli, "force");
	_cleanup_close_ int fd = load(cli, true, &s, &status, err);
	struct hr_error *e = NULL;
	int r = 0;

	if (fd < 0) {
		if (force) {
			/* a create killed before state.json existed leaves a bare directory */
			hr_error_clear(err);
			hr_rt_state_remove(cli, hr_cli_id(cli), err);
			hr_error_clear(err);
			return 0;
		}
		return -1;
	}
	if (strcmp(status, "running") == 0 || strcmp(status, "paused") == 0) {
		if (!force) {
			r = hr_error_set(err, 0,
					 "cannot delete container %s that is not stopped: %s", s.id,
					 status);
			goto out;
		}
		if (strcmp(status, "paused") == 0)
			hr_rt_cgroup_freeze(s.cgroups_path, false, &e);
		hr_error_clear(&e);
	}
	if (strcmp(status, "stopped") != 0) {
		hr_rt_kill_all(&s, SIGKILL);
		kill(s.pid, SIGKILL);
		wait_gone(&s);
	}
	/* poststop failures are logged by runc, never fatal */
	hr_rt_run_stored_hooks(fd, HR_HOOK_POSTSTOP, &s, "stopped", &e);
	hr_error_clear(&e);
	hr_rt_cgroup_remove(s.cgroups_path);
	r = hr_rt_state_remove(cli, s.id, err);
out:
	hr_rt_state_free(&s);
	return r;
}

static char *owner_of(int rootfd, const char *id)
{
	struct stat st;
	char *name;

	if (fstatat(rootfd, id, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return hr_xstrdup("");
	name = hr_passwd_name(st.st_uid);
	return name ? name : hr_xasprintf("#%u", (unsigned)st.st_uid);
}

static int by_id(const void *a, const void *b)
{
	const struct hr_json *x = *(struct hr_json *const *)a, *y = *(struct hr_json *const *)b;
	return strcmp(hr_json_as_string(hr_json_get(x, "id")),
		      hr_json_as_string(hr_json_get(y, "id")));
}

/* All containers as state objects (owner filled), sorted by id as runc lists them. */
static struct hr_json *list_all(const struct hr_cli *cli)
{
	struct hr_json *arr = hr_json_new(HR_JSON_ARRAY);
	_cleanup_close_ int rootfd = open(hr_rt_root(cli), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	DIR *d = rootfd >= 0 ? fdopendir(dup(rootfd)) : NULL;
	struct dirent *de;

	while (d && (de = readdir(d))) {
		struct hr_cli one = *cli;
		char *args[] = {de->d_name, NULL};
		struct hr_rt_state s = {0};
		struct hr_error *e = NULL;
		const char *status = NULL;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		one.args = args;
		one.n_args = 1;
		fd = load(&one, false, &s, &status, &e);
		hr_error_clear(&e);
		if (fd < 0)
			continue;
		struct hr_json *j = hr_rt_state_json(&s, status);
		hr_json_set(j, "owner", hr_json_new_string(owner_of(rootfd, de->d_name)));
		hr_json_append(arr, j);
		hr_rt_state_free(&s);
		close(fd);
	}
	if (d)
		closedir(d);
	if (arr->arr.len > 1)
		qsort(arr->arr.items, arr->arr.len, sizeof(arr->arr.items[0]), by_id);
	return arr;
}

static int cmd_list(const struct hr_cli *cli, struct hr_error **err)
{
	_cleanup_json_ struct hr_json *arr = list_all(cli);
	const char *format = hr_cli_flag(cli, "format");
	static const char *cols[] = {"id", "pid", "status", "bundle", "created", "owner"};
	size_t w[6] = {0};

	if (format && strcmp(format, "json") == 0) {
		if (arr->arr.len == 0)
			return printf("null\n") < 0 ? hr_error_set(err, errno, "write") : 0;
		return print_json(arr, false, true, err);
	}
	if (hr_cli_flag_bool(cli, "quiet")) {
		for (size_t i = 0; i < arr->arr.len; i++)
			printf("%s\n", hr_json_as_string(hr_json_get(arr->arr.items[i], "id")));
		return 0;
	}
	/* runc's tabwriter: min width 12, padding 3 */
	for (size_t c = 0; c < 6; c++) {
		w[c] = strlen(cols[c]) + 3;
		for (size_t i = 0; i < arr->arr.len; i++) {
			const struct hr_json *v = hr_json_get(arr->arr.items[i], cols[c]);
			size_t n = v->type == HR_JSON_NUMBER ? strlen(v->number) : v->s.len;
			if (n + 3 > w[c])
				w[c] = n + 3;
		}
		if (w[c] < 12)
			w[c] = 12;
	}
	printf("%-*s%-*s%-*s%-*s%-*s%s\n", (int)w[0], "ID", (int)w[1], "PID", (int)w[2], "STATUS",
	       (int)w[3], "BUNDLE", (int)w[4], "CREATED", "OWNER");
	for (size_t i = 0; i < arr->arr.len; i++) {
		const struct hr_json *j = arr->arr.items[i];
		printf("%-*s%-*s%-*s%-*s%-*s%s\n", (int)w[0],
		       hr_json_as_string(hr_json_get(j, "id")), (int)w[1],
		       hr_json_get(j, "pid")->number, (int)w[2],
		       hr_json_as_string(hr_json_get(j, "status")), (int)w[3],
		       hr_json_as_string(hr_json_get(j, "bundle")), (int)w[4],
		       hr_json_as_string(hr_json_get(j, "created")),
		       hr_json_as_string(hr_json_get(j, "owner")));
	}
	return 0;
}

/* The table form runs ps(1) on the host and keeps the container's lines, as runc does. */
static int ps_table(const pid_t *pids, size_t n, char **psargs, struct hr_error **err)
{
	_cleanup_strv_ char **argv = NULL;
	char line[4096];
	int fds[2], col = -1;
	FILE *fp;
	pid_t child;

	hr_strv_push(&argv, "ps");
	if (!psargs || !*psargs)
		hr_strv_push(&argv, "-ef");
	for (char **a = psargs; a && *a; a++)
		hr_strv_push(&argv, *a);
	if (pipe2(fds, O_CLOEXEC) < 0)
		return hr_error_set(err, errno, "pipe");
	child = fork();
	if (child == 0) {
		dup2(fds[1], 1);
		execvp("ps", argv);
		_exit(127);
	}
	close(fds[1]);
	fp = fdopen(fds[0], "r");
	for (int first = 1; fp && fgets(line, sizeof(line), fp); first = 0) {
		char copy[4096], *save = NULL, *tok;
		int i = 0;
		long pid = -1;

		snprintf(copy, sizeof(copy), "%s", line);
		for (tok = strtok_r(copy, " \t\n", &save); tok;
		     tok = strtok_r(NULL, " \t\n", &save), i++) {
			if (first && strcmp(tok, "PID") == 0)
				col = i;
			if (!first && i == col)
				pid = strtol(tok, NULL, 10);
		}
		for (size_t k = 0; !first && k < n; k++)
			if (pids[k] == pid)
				fputs(line, stdout);
		if (first)
			fputs(line, stdout);
	}
	if (fp)
		fclose(fp);
	waitpid(child, NULL, 0);
	return col < 0 ? hr_error_set(err, 0, "couldn't find PID field in ps output") : 0;
}

static int cmd_ps(const struct hr_cli *cli, struct hr_error **err)
{
	struct hr_rt_state s = {0};
	const char *status = NULL, *format = hr_cli_flag(cli, "format");
	_cleanup_close_ int fd = load(cli, false, &s, &status, err);
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	int r = 0;

	if (fd < 0)
		return -1;
	/* stopped, as runc: no process, so the header alone (json: null) */
	if (strcmp(status, "stopped") == 0 ||
	    hr_rt_cgroup_pids(s.cgroups_path, &pids, &n, err) == 0) {
		if (format && strcmp(format, "json") == 0) {
			_cleanup_json_ struct hr_json *arr = hr_json_new(HR_JSON_ARRAY);
			for (size_t i = 0; i < n; i++)
				hr_json_append(arr, hr_json_new_int(pids[i]));
			if (n == 0)
				r = printf("null\n") < 0 ? hr_error_set(err, errno, "write") : 0;
			else
				r = print_json(arr, false, true, err);
		} else {
			r = ps_table(pids, n, cli->args + 1, err);
		}
	} else {
		r = -1;
	}
	hr_rt_state_free(&s);
	return r;
}

static int cmd_pause(const struct hr_cli *cli, bool pause, struct hr_error **err)
{
	struct hr_rt_state s = {0};
	const char *status = NULL;
	_cleanup_close_ int fd = load(cli, true, &s, &status, err);
	int r;

	if (fd < 0)
		return -1;
	if (strcmp(status, pause ? "running" : "paused") != 0)
		r = hr_error_set(err, 0, "container %s is %s, not %s", s.id, status,
				 pause ? "running" : "paused");
	else
		r = hr_rt_cgroup_freeze(s.cgroups_path, pause, err);
	hr_rt_state_free(&s);
	return r;
}

static int cmd_features(struct hr_error **err)
{
	static const char *text =
	    "{\"ociVersionMin\":\"1.0.0\",\"ociVersionMax\":\"1.0.2-dev\","
	    "\"hooks\":[\"prestart\",\"createRuntime\",\"createContainer\",\"startContainer\","
	    "\"poststart\",\"poststop\"],"
	    "\"mountOptions\":[\"async\",\"atime\",\"bind\",\"defaults\",\"dev\",\"diratime\","
	    "\"dirsync\",\"exec\",\"mand\",\"noatime\",\"nodev\",\"nodiratime\",\"noexec\","
	    "\"nomand\",\"norelatime\",\"nostrictatime\",\"nosuid\",\"private\",\"rbind\","
	    "\"relatime\",\"remount\",\"ro\",\"rprivate\",\"rshared\",\"rslave\",\"runbindable\","
	    "\"rw\",\"shared\",\"slave\",\"strictatime\",\"suid\",\"sync\",\"unbindable\"],"
	    "\"linux\":{\"namespaces\":[\"cgroup\",\"ipc\",\"mount\",\"network\",\"pid\",\"user\","
	    "\"uts\"],\"cgroup\":{\"v1\":true,\"v2\":true,\"systemd\":false},"
	    "\"seccomp\":{\"enabled\":true},\"apparmor\":{\"enabled\":false},"
	    "\"selinux\":{\"enabled\":false}},"
	    "\"annotations\":{\"run.hardrun.runtime\":\"builtin\"}}";
	_cleanup_json_ struct hr_json *j = hr_json_parse(text, strlen(text), NULL, err);

	return j ? print_json(j, true, true, err) : -1;
}

/* "512m", "1G", "100000": runc's units.RAMInBytes (binary multiples). */
static int parse_bytes(const char *s, int64_t *out)
{
	static const char units[] = "bkmgtp";
	char *end = NULL;
	long long v = strtoll(s, &end, 10);
	const char *u;

	if (end == s)
		return -1;
	if (v == -1 && !*end) {
		*out = -1;
		return 0;
	}
	if (*end) {
		u = strchr(units, tolower((unsigned char)*end));
		if (!u || (end[1] && !((end[1] == 'b' || end[1] == 'B') && !end[2])))
			return -1;
		for (long k = u - units; k > 0; k--)
			v *= 1024;
	}
	*out = v;
	return v >= 0 ? 0 : -1;
}

/* --resources FILE (OCI linux.resources JSON), then the single-value flags over it. */
static int update_resources(const struct hr_cli *cli, struct hr_rt_resources *r,
			    struct hr_error **err)
{
	const char *file = hr_cli_flag(cli, "resources"), *v;
	uint64_t u = 0;

	if (file) {
		_cleanup_free_ char *text = NULL;
		_cleanup_json_ struct hr_json *j = NULL;
		size_t len = 0;
		/* hardrun's private copy (/proc/self/fd/N), read as runc reads it */
		if (hr_read_caller_file(file, &text, &len, err) < 0 ||
		    !(j = hr_json_parse(text, len, NULL, err)))
			return hr_err_wrap(err, "--resources %s", file);
		hr_rt_resources_load(j, r);
	}
	if ((v = hr_cli_flag(cli, "pids-limit")))
		r->pids_limit = strtoll(v, NULL, 10);
	if ((v = hr_cli_flag(cli, "memory")) && parse_bytes(v, &r->memory_limit) < 0)
		return hr_error_set_status(err, HR_EXIT_USAGE, 0, "--memory %s: not a size", v);
	if ((v = hr_cli_flag(cli, "memory-swap")) && parse_bytes(v, &r->memory_swap) < 0)
		return hr_error_set_status(err, HR_EXIT_USAGE, 0, "--memory-swap %s: not a size",
					   v);
	if ((v = hr_cli_flag(cli, "memory-reservation")) &&
	    parse_bytes(v, &r->memory_reservation) < 0)
		return hr_error_set_status(err, HR_EXIT_USAGE, 0,
					   "--memory-reservation %s: not a size", v);
	if ((v = hr_cli_flag(cli, "cpu-share")))
		r->cpu_shares = strtoull(v, NULL, 10);
	if ((v = hr_cli_flag(cli, "cpu-quota")))
		r->cpu_quota = strtoll(v, NULL, 10);
	if ((v = hr_cli_flag(cli, "cpu-period")) && (u = strtoull(v, NULL, 10)))
		r->cpu_period = u;
	return 0;
}

static int cmd_update(const struct hr_cli *cli, struct hr_error **err)
{
	struct hr_rt_resources r = {0};
	struct hr_rt_state s = {0};
	const char *status = NULL;
	_cleanup_close_ int fd = -1;
	int ret;

	if (update_resources(cli, &r, err) < 0)
		return -1;
	fd = load(cli, true, &s, &status, err);
	if (fd < 0)
		return -1;
	if (strcmp(status, "stopped") == 0)
		ret = hr_error_set(err, 0, "container %s is not running", s.id);
	else
		ret = hr_rt_cgroup_update(s.cgroups_path, &r, err);
	hr_rt_state_free(&s);
	hr_strv_free(r.device_rules);
	hr_strv_free(r.unified);
	return ret;
}

static int cmd_start(const struct hr_cli *cli, struct hr_error **err)
{
	return hr_rt_start(cli, err);
}

static int cmd_pause_only(const struct hr_cli *cli, struct hr_error **err)
{
	return cmd_pause(cli, true, err);
}

static int cmd_resume(const struct hr_cli *cli, struct hr_error **err)
{
	return cmd_pause(cli, false, err);
}

static int cmd_events(const struct hr_cli *cli, struct hr_error **err)
{
	(void)cli;
	return hr_error_set(err, ENOTSUP, "events is not supported by the builtin runtime");
}

static int cmd_spec(const struct hr_cli *cli, struct hr_error **err)
{
	return hr_rt_spec_write(hr_cli_flag(cli, "bundle"), hr_cli_flag_bool(cli, "rootless"), err);
}

static int cmd_features_cli(const struct hr_cli *cli, struct hr_error **err)
{
	(void)cli;
	return cmd_features(err);
}

static const struct {
	const char *name;
	bool needs_id;
	int (*fn)(const struct hr_cli *cli, struct hr_error **err);
} commands[] = {
    {"start", true, cmd_start},
    {"state", true, cmd_state},
    {"kill", true, cmd_kill},
    {"delete", true, cmd_delete},
    {"list", false, cmd_list},
    {"ps", true, cmd_ps},
    {"pause", true, cmd_pause_only},
    {"resume", true, cmd_resume},
    {"events", true, cmd_events},
    {"update", true, cmd_update},
    {"features", false, cmd_features_cli},
    {"spec", false, cmd_spec},
};

int hr_rt_command(const struct hr_cli *cli, int *exit_status, struct hr_error **err)
{
	const char *cmd = cli->command ? cli->command : "";

	*exit_status = 0;
	if (strcmp(cmd, "exec") == 0) {
		if (!hr_cli_id(cli))
			return hr_error_set_status(err, HR_EXIT_USAGE, 0,
						   "exec: container id cannot be empty");
		return hr_rt_exec(cli, exit_status, err);
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(cmd, commands[i].name) != 0)
			continue;
		if (commands[i].needs_id && !hr_cli_id(cli))
			return hr_error_set_status(err, HR_EXIT_USAGE, 0,
						   "%s: container id cannot be empty", cmd);
		return commands[i].fn(cli, err);
	}
	/* checkpoint, restore...: a command runc has that we do not (exit 1, as runc without
	 * criu) */
	return hr_error_set(err, ENOTSUP, "%s is not supported by the builtin runtime", cmd);
}
