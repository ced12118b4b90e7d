/* vu_sandbox: see vu_sandbox.h. */
#include "vu_sandbox.h"

#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

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

/* SIGSYS: a call outside the allow-list. Async-signal-safe: write and exit only. */
static void vu_sandbox_on_sigsys(int sig, siginfo_t *info, void *ctx)
{
        static const char a[] = "minivmm-vhost-user-blk: sandbox: forbidden system call ";
        static const char b[] = " refused; rerun with --no-sandbox to debug\n";
        char buf[160], digits[12];
        size_t n = 0, k = 0;
        unsigned v = (unsigned)info->si_syscall;

        (void)sig;
        (void)ctx;
        do
                digits[k++] = (char)('0' + v % 10);
        while ((v /= 10) != 0 && k < sizeof(digits));
        memcpy(buf, a, sizeof(a) - 1);
        n = sizeof(a) - 1;
        while (k)
                buf[n++] = digits[--k];
        memcpy(buf + n, b, sizeof(b) - 1);
        n += sizeof(b) - 1;
        (void)!write(STDERR_FILENO, buf, n);
        syscall(SYS_exit_group, 1);
}

static int vu_sandbox_rules(scmp_filter_ctx ctx)
{
        int err;

        for (size_t i = 0; i < sizeof(vu_sandbox_syscalls) / sizeof(vu_sandbox_syscalls[0]); i++)
                if ((err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, vu_sandbox_syscalls[i], 0)))
                        return err;
        /* Signals (abort's raise) only to this process. */
        if ((err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                                    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()))))
                return err;
        /* The front end's memory and malloc's, never executable. */
        return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
                                SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
}

int vu_sandbox_enter(void)
{
        struct sigaction sa = {.sa_sigaction = vu_sandbox_on_sigsys, .sa_flags = SA_SIGINFO};
        scmp_filter_ctx ctx;
        int err;

        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGSYS, &sa, NULL) < 0)
                return -errno;
        if ((ctx = seccomp_init(SCMP_ACT_TRAP)) == NULL)
                return -ENOMEM;
        err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
        if (!err)
                err = vu_sandbox_rules(ctx);
        if (!err)
                err = seccomp_load(ctx);
        seccomp_release(ctx);
        return err;
}
