/*
 * sandbox: once the machine is built, minivmm needs only a handful of system
 * calls: KVM_RUN and a few vCPU/VM ioctls, pread/pwrite/fdatasync on the
 * images it already opened, write to stdout and stderr, its halt watch
 * (clock_nanosleep, clock_gettime, tgkill), and exit; the I/O thread adds
 * epoll_wait, read and write on its eventfds, futex (the device mutexes)
 * and io_uring_enter; --stats adds getrusage. sandbox_enter() installs a
 * seccomp filter (libseccomp) that allows exactly those, for every thread.
 * Any other call is trapped: minivmm prints the system call number and
 * exits with status 1 (nothing the guest can do reaches a forbidden call;
 * a bug in minivmm could). docs/security.md lists the allow-list with a
 * reason for each entry.
 */
#ifndef MINIVMM_SANDBOX_H
#define MINIVMM_SANDBOX_H

#include <stddef.h>

/*
 * What a program may call once sandboxed: plain system calls, ioctls by
 * request number, plus (always) tgkill to its own process and mmap without
 * PROT_EXEC. who names the program in the one line a refused call prints.
 */
struct sandbox_policy {
        const char *who;
        const int *syscalls;
        size_t nsyscalls;
        const unsigned long *ioctls;
        size_t nioctls;
};

/*
 * Installs p's filter for every thread (TSYNC) and a SIGSYS handler that
 * prints "WHO: sandbox: forbidden system call N refused; ..." and exits with
 * status 1. 0, or a negative errno when the filter could not be installed.
 * It is the one installer: minivmm-vhost-user-blk (vhost/vu_sandbox.c) uses
 * it with its own list.
 */
int sandbox_install(const struct sandbox_policy *p);

/* minivmm's own policy (the lists above sandbox_enter in sandbox.c). */
int sandbox_enter(void);

#endif
