/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The builtin runtime's `spec`: runc 1.1.5's example document (rootless
 * and not), and a write that never goes through an existing config.json or
 * a symlink by that name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hardrun/json.h"
#include "src/runtime/rt.h"
#include "tap.h"

static struct hr_json *parse(bool rootless, unsigned uid, unsigned gid)
{
	char *text = hr_rt_spec_text(rootless, uid, gid);
	struct hr_error *err = NULL;
	struct hr_json *j = hr_json_parse(text, strlen(text), NULL, &err);

	ok(j != NULL, "%s text parses as JSON", rootless ? "rootless" : "default");
	hr_error_clear(&err);
	free(text);
	return j;
}

/* the namespace types, joined with ',' */
static void ns_list(const struct hr_json *j, char *out, size_t size)
{
	const struct hr_json *ns = hr_json_get_path(j, "linux/namespaces");

	out[0] = 0;
	for (size_t i = 0; ns && i < ns->arr.len; i++) {
		const char *t = hr_json_as_string(hr_json_get(ns->arr.items[i], "type"));
		snprintf(out + strlen(out), size - strlen(out), "%s%s", i ? "," : "", t ? t : "?");
	}
}

static const struct hr_json *mount_at(const struct hr_json *j, const char *dest)
{
	const struct hr_json *m = hr_json_get(j, "mounts");

	for (size_t i = 0; m && i < m->arr.len; i++) {
		const char *d = hr_json_as_string(hr_json_get(m->arr.items[i], "destination"));
		if (d && !strcmp(d, dest))
			return m->arr.items[i];
	}
	return NULL;
}

static void test_text(void)
{
	struct hr_json *d = parse(false, 1234, 5678), *r = parse(true, 1234, 5678);
	char ns[128];
	int64_t v = -1;

	if (!d || !r)
		goto out;
	ns_list(d, ns, sizeof(ns));
	is_str(ns, "pid,network,ipc,uts,mount", "default: runc's namespaces, in its order");
	ns_list(r, ns, sizeof(ns));
	is_str(ns, "pid,ipc,uts,mount,user", "rootless: a user namespace, no network one");
	ok(hr_json_get_path(d, "linux/resources/devices") != NULL &&
	       hr_json_get_path(r, "linux/resources") == NULL,
	   "the device rule only in the default document");
	ok(hr_json_as_int64(
	       hr_json_get(hr_json_get_path(r, "linux/uidMappings")->arr.items[0], "hostID"), &v) &&
	       v == 1234,
	   "rootless: the caller's euid is mapped to root");
	ok(hr_json_get_path(d, "linux/uidMappings") == NULL, "default: no mappings");
	is_str(hr_json_as_string(hr_json_get(mount_at(r, "/sys"), "type")), "none",
	       "rootless: /sys is a bind");
	ok(hr_json_get(mount_at(r, "/dev/pts"), "options")->arr.len == 5 &&
	       hr_json_get(mount_at(d, "/dev/pts"), "options")->arr.len == 6,
	   "devpts' gid=5 only in the default document");
out:
	hr_json_free(d);
	hr_json_free(r);
}

static void test_write(const char *dir)
{
	char path[512], target[512], buf[16] = "";
	struct hr_error *err = NULL;
	struct stat st;
	int fd;

	umask(022);
	ok(hr_rt_spec_write(dir, false, &err) == 0, "spec writes into an empty bundle");
	snprintf(path, sizeof(path), "%s/config.json", dir);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644, "mode 0666 less the umask");
	/* an existing file: refused with runc's words, left as it was */
	fd = open(path, O_WRONLY | O_TRUNC);
	ok(fd >= 0 && write(fd, "mine", 4) == 4, "the caller's own config.json");
	close(fd);
	ok(hr_rt_spec_write(dir, true, &err) < 0 && err &&
	       strstr(err->msg, "File config.json exists. Remove it first"),
	   "an existing config.json is refused");
	hr_error_clear(&err);
	fd = open(path, O_RDONLY);
	ok(fd >= 0 && read(fd, buf, sizeof(buf)) == 4 && !memcmp(buf, "mine", 4),
	   "and left untouched");
	close(fd);
	unlink(path);
	/* a dangling symlink: never written through (runc creates its target) */
	snprintf(target, sizeof(target), "%s/elsewhere", dir);
	ok(symlink(target, path) == 0, "config.json -> a missing file");
	ok(hr_rt_spec_write(dir, false, &err) < 0 && err, "a config.json symlink is refused");
	hr_error_clear(&err);
	ok(access(target, F_OK) < 0 && errno == ENOENT, "its target was not created");
	unlink(path);
	snprintf(path, sizeof(path), "%s/missing", dir);
	ok(hr_rt_spec_write(path, false, &err) < 0 && err && strstr(err->msg, "chdir "),
	   "a missing bundle is refused, naming it");
	hr_error_clear(&err);
}

int main(void)
{
	char dir[] = "/tmp/hr-test-spec.XXXXXX";

	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_text();
	test_write(dir);
	rmdir(dir);
	return tap_done();
}
