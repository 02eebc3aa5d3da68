#ifndef HARDRUN_AUDIT_H
#define HARDRUN_AUDIT_H

#include "hardrun/error.h"
#include "hardrun/rules.h"

struct hr_cli;
struct hr_policy;
struct hr_json;

/*
 * Audit record for one decision: the container's id, the orchestrator's
 * names (pod, namespace, image from annotations), profile, verdict and every
 * finding.  Written to the policy's audit log unless disabled.
 */
int hr_audit_decision(const struct hr_cli *cli, const struct hr_policy *policy,
		      const struct hr_json *spec, const char *profile,
		      const struct hr_findings *findings, const char *error, struct hr_error **err);

#endif
