/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_INSTALL_H
#define HARDRUN_INSTALL_H

#include "hardrun/cli.h"
#include "hardrun/error.h"

/* podman's drop-in that `hardrun install podman` writes as root. */
#define HR_PODMAN_DROPIN "/etc/containers/containers.conf.d/hardrun.conf"

/*
 * `hardrun install docker|containerd|podman [--uninstall] [--config PATH]`:
 * register this binary and one runtime per shipped profile (hardrun,
 * hardrun-restricted, hardrun-untrusted) in the engine's configuration,
 * idempotently, leaving every other setting as it was; --uninstall removes
 * exactly what install adds.  Prints what it changed.  Errors (a file that
 * does not parse, a runtime of ours configured by hand) change nothing.
 */
int hr_install_main(const struct hr_cli *cli, struct hr_error **err);

/*
 * `hardrun doctor`: host readiness (policy and profiles parse, lower
 * runtime, user namespaces and idmapped mounts tried for real, LSMs,
 * Landlock, cgroup layout, engines and whether hardrun is registered) and
 * what will be refused.  Prints a report; fails when any check failed.
 */
int hr_doctor_main(const struct hr_cli *cli, struct hr_error **err);

#endif
