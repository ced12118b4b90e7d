/* vu_sandbox: see vu_sandbox.h. */
#include "vu_sandbox.h"

#include <seccomp.h>

#include "vmm/sandbox.h"

static const int vu_sandbox_syscalls[] = {
    SCMP_SYS(accept4),
    SCMP_SYS(accept),
    SCMP_SYS(recvmsg),
    SCMP_SYS(recvfrom),
    SCMP_SYS(sendto),
    SCMP_SYS(sendmsg),
    SCMP_SYS(setsockopt),
    SCMP_SYS(poll),
    SCMP_SYS(ppoll),
    SCMP_SYS(read),
    SCMP_SYS(write),
    SCMP_SYS(writev),
    SCMP_SYS(close),
    SCMP_SYS(munmap),
    SCMP_SYS(pread64),
    SCMP_SYS(pwrite64),
    SCMP_SYS(preadv),
    SCMP_SYS(pwritev),
    SCMP_SYS(fdatasync),
    SCMP_SYS(io_uring_enter),
    SCMP_SYS(fstat),
    SCMP_SYS(newfstatat),
    SCMP_SYS(brk),
    SCMP_SYS(madvise),
    SCMP_SYS(futex),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(getpid),
    SCMP_SYS(gettid),
    SCMP_SYS(sigaltstack),
    SCMP_SYS(getrusage),
    SCMP_SYS(clock_gettime),
};

int vu_sandbox_enter(void)
{
        static const struct sandbox_policy p = {
            .who = "minivmm-vhost-user-blk",
            .syscalls = vu_sandbox_syscalls,
            .nsyscalls = sizeof(vu_sandbox_syscalls) / sizeof(vu_sandbox_syscalls[0]),
        };

        return sandbox_install(&p);
}
