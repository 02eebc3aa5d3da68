/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The builtin runtime's state directory: ids that cannot escape the root,
 * exclusive creation, state.json round trip, and live status from the pid
 * and its start time (a recycled pid reads as stopped).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hardrun/cli.h"
#include "src/runtime/rt.h"
#include "tap.h"

static struct hr_cli cli_for(const char *root, const char *id, char **args)
{
	struct hr_cli cli;

	memset(&cli, 0, sizeof(cli));
	cli.root = root;
	args[0] = (char *)id;
	args[1] = NULL;
	cli.args = args;
	cli.n_args = id ? 1 : 0;
	return cli;
}

static void test_ids(const char *root)
{
	static const char *bad[] = {"../x", "a/b", "..", ".", "", "x y", "a:b"};
	char *args[2];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct hr_cli cli = cli_for(root, bad[i], args);
		struct hr_error *err = NULL;
		int fd = hr_rt_state_dir(&cli, bad[i], true, true, &err);
		ok(fd < 0 && err, "id \"%s\" is refused", bad[i]);
		hr_error_clear(&err);
		ok(hr_rt_state_remove(&cli, bad[i], &err) < 0, "state removal refuses \"%s\" too",
		   bad[i]);
		hr_error_clear(&err);
	}
}

static void test_roundtrip(const char *root)
{
	char *args[2];
	struct hr_cli cli = cli_for(root, "c-1", args);
	struct hr_error *err = NULL;
	struct hr_rt_state s = {.id = "c-1",
				.bundle = "/b",
				.rootfs = "/b/rootfs",
				.created = "2026-01-01T00:00:00Z",
				.status = "running",
				.pid = getpid(),
				.cgroups_path = "hardrun/c-1"};
	struct hr_rt_state r = {0};
	int fd = hr_rt_state_dir(&cli, "c-1", true, true, &err);

	ok(fd >= 0, "state directory created%s%s", err ? ": " : "", err ? err->msg : "");
	if (fd < 0)
		return;
	ok(hr_rt_state_dir(&cli, "c-1", true, true, &err) < 0 && err &&
	       strstr(err->msg, "already exists"),
	   "a second create of the same id is refused");
	hr_error_clear(&err);
	ok(hr_rt_pid_starttime(getpid(), &s.starttime) == 0, "our start time");
	ok(hr_rt_state_write(fd, &s, &err) == 0, "state.json written");
	ok(hr_rt_state_read(fd, "c-1", &r, &err) == 0, "state.json read back");
	is_str(r.id, "c-1", "id");
	is_str(r.bundle, "/b", "bundle");
	is_str(r.cgroups_path, "hardrun/c-1", "cgroups path kept");
	ok(r.pid == getpid() && r.starttime == s.starttime, "pid and start time kept");
	is_str(hr_rt_state_status(fd, &r), "running", "live pid, no exec.fifo: running");
	fixture(mkfifoat(fd, "exec.fifo", 0622) == 0, "exec.fifo");
	is_str(hr_rt_state_status(fd, &r), "created", "exec.fifo present: created");
	r.starttime++;
	is_str(hr_rt_state_status(fd, &r), "stopped", "same pid, other start time: stopped");
	hr_rt_state_free(&r);
	close(fd);
	ok(hr_rt_state_remove(&cli, "c-1", &err) == 0, "state removed");
	ok(hr_rt_state_dir(&cli, "c-1", false, false, &err) < 0, "and gone");
	hr_error_clear(&err);
}

int main(void)
{
	char root[] = "/tmp/hr-test-state.XXXXXX";

	if (!mkdtemp(root)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_ids(root);
	test_roundtrip(root);
	rmdir(root);
	return tap_done();
}
