# Turn a Docker-format seccomp profile (containers/common's
# /usr/share/containers/seccomp.json) into the OCI linux.seccomp object the
# daemon would send to runc on amd64 for a container with Docker's default
# capabilities -- the same resolution moby does for includes/excludes.
def caps: ["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW",
  "CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT",
  "CAP_KILL","CAP_AUDIT_WRITE"];
def has($c): caps | index($c) != null;
def wanted:
  ((.includes.arches // []) as $a | ($a | length) == 0 or ($a | index("amd64")) != null)
  and ((.excludes.arches // []) | index("amd64") | not)
  and ((.includes.caps // []) | all(has(.)))
  and ((.excludes.caps // []) | any(has(.)) | not);
{
  defaultAction: .defaultAction,
  defaultErrnoRet: (.defaultErrnoRet // 1),
  architectures: (.archMap[] | select(.architecture == "SCMP_ARCH_X86_64")
                  | [.architecture] + .subArchitectures),
  syscalls: [.syscalls[] | select(wanted)
             | {names, action} + (if .errnoRet then {errnoRet} else {} end)
               + (if .args then {args} else {} end)]
}
