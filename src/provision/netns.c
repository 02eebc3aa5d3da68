/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Provision's network-namespace step (include/hardrun/provision.h): enter
 * a netns the rules judged made for this container or its pod, and write
 * the net.* sysctls they allowed there.  Runs last in provision, since it
 * changes this process (setns) and the runtime is exec'd from here.
 *
 * Undo: the netns is not hardrun's to delete (the CNI or podman made it),
 * and it holds no process of the container yet, but a pod's sandbox may
 * already live in it.  So undo means: every sysctl written here gets back
 * the value it had when provision read it, and this process returns to the
 * network namespace it came from.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/nsinfo.h"
#include "hardrun/provision.h"
#include "hardrun/util.h"

#define PORT_START "net.ipv4.ip_unprivileged_port_start"

void hr_netns_plan_clear(struct hr_netns_plan *np)
{
	for (size_t i = 0; i < np->n; i++)
		free(np->key[i]), free(np->value[i]);
	free(np->path);
	memset(np, 0, sizeof(*np));
}

void hr_netns_done_clear(struct hr_netns_done *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->key[i]), free(d->old[i]);
	if (d->home >= 0)
		close(d->home);
	memset(d, 0, sizeof(*d));
	d->home = -1;
}

static char *sysctl_file(const char *key)
{
	char *file = hr_xasprintf("/proc/sys/%s", key);

	for (char *c = file + 10; *c; c++)
		if (*c == '.')
			*c = '/';
	return file;
}

/* Write key (its earlier value into *old when old is not NULL). */
static int write_sysctl(const char *key, const char *value, char **old, struct hr_error **err)
{
	_cleanup_free_ char *file = sysctl_file(key);
	_cleanup_free_ char *text = hr_xasprintf("%s\n", value);
	_cleanup_close_ int fd = open(file, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	char buf[256];
	ssize_t n;

	if (fd < 0)
		return hr_error_set(err, errno, "sysctl %s in the container's network namespace",
				    key);
	if (old) {
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		if (n < 0)
			return hr_error_set(err, errno, "read sysctl %s", key);
		buf[n] = 0;
		buf[strcspn(buf, "\n")] = 0;
		*old = hr_xstrdup(buf);
	}
	if (pwrite(fd, text, strlen(text), 0) != (ssize_t)strlen(text))
		return hr_error_set(err, errno ? errno : EIO,
				    "sysctl %s in the container's network namespace", key);
	return 0;
}

/* The value as the netns's owner (the initial user namespace) reads it. */
static char *host_value(const char *key, const char *v, uint32_t start)
{
	unsigned long lo = 0, hi = 0;

	if (strcmp(key, "net.ipv4.ping_group_range") == 0 && sscanf(v, "%lu %lu", &lo, &hi) == 2)
		return hr_xasprintf("%lu %lu", start + lo, start + hi);
	return hr_xstrdup(v);
}

static int write_one(struct hr_netns_done *d, const char *key, const char *value,
		     struct hr_error **err)
{
	char *old = NULL;

	if (write_sysctl(key, value, &old, err) < 0) {
		free(old);
		return -1;
	}
	d->key[d->n] = hr_xstrdup(key);
	d->old[d->n++] = old;
	return 0;
}

int hr_provision_netns(const struct hr_netns_plan *np, uint32_t start, struct hr_netns_done *d,
		       struct hr_error **err)
{
	_cleanup_close_ int fd = -1;

	if (!np->path)
		return 0;
	d->home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (d->home < 0)
		return hr_error_set(err, errno, "open this process's network namespace");
	fd = hr_ns_open(np->path, err);
	if (fd < 0)
		return -1;
	if (setns(fd, CLONE_NEWNET) < 0)
		return hr_error_set(err, errno, "enter network namespace %s", np->path);
	d->entered = true;
	for (size_t i = 0; i < np->n; i++) {
		_cleanup_free_ char *v = np->shift ? host_value(np->key[i], np->value[i], start)
						   : hr_xstrdup(np->value[i]);
		if (write_one(d, np->key[i], v, err) < 0)
			return -1;
	}
	if (np->low_ports && write_one(d, PORT_START, "0", err) < 0)
		return -1;
	return 0;
}

void hr_provision_netns_undo(struct hr_netns_done *d)
{
	/* Latest first: a key written twice ends at its first earlier value. */
	for (size_t i = d->n; i-- > 0;)
		write_sysctl(d->key[i], d->old[i], NULL, NULL);
	if (d->entered && d->home >= 0)
		setns(d->home, CLONE_NEWNET);
	hr_netns_done_clear(d);
}
