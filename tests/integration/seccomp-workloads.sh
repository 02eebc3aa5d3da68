#!/bin/bash
# Real workloads (threads, fork/exec, epoll, sockets, busybox, the host's
# Python, Perl, Node.js, Java, Go) under the default seccomp profile; the
# checks live beside the seccomp benchmark that shares its probe.
# hr-control: yes
exec bash "$(dirname "$0")/../../bench/seccomp/workloads.sh" "$@"
