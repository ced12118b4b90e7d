/* sandbox: see sandbox.h. */
#include "sandbox.h"

#include <errno.h>
#include <linux/kvm.h>
#include <seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ioctls the run loop and the devices issue after setup. */
static const unsigned long sandbox_ioctls[] = {
    KVM_RUN,          /* enter the guest */
    KVM_GET_REGS,     /* RIP for error messages, IF for halt detection */
    KVM_GET_MP_STATE, /* halt detection */
    KVM_IRQ_LINE,     /* virtio-mmio interrupt line */
};

/*
 * Plain system calls, each with its reason in docs/security.md. The I/O
 * thread adds epoll_wait/epoll_pwait and read (its eventfds; write signals
 * irqfds), io_uring_enter (aio=io_uring) and sigaltstack (its exit, under
 * sanitizers); --stats adds getrusage.
 */
static const int sandbox_syscalls[] = {
    SCMP_SYS(pread64),         SCMP_SYS(pwrite64),      SCMP_SYS(preadv), SCMP_SYS(pwritev),
    SCMP_SYS(fdatasync),       SCMP_SYS(write),         SCMP_SYS(writev), SCMP_SYS(rt_sigreturn),
    SCMP_SYS(clock_nanosleep), SCMP_SYS(clock_gettime), SCMP_SYS(close),  SCMP_SYS(exit),
    SCMP_SYS(exit_group),      SCMP_SYS(brk),           SCMP_SYS(munmap), SCMP_SYS(madvise),
    SCMP_SYS(futex),           SCMP_SYS(getpid),        SCMP_SYS(gettid), SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(epoll_wait),      SCMP_SYS(epoll_pwait),   SCMP_SYS(read),   SCMP_SYS(io_uring_enter),
    SCMP_SYS(sigaltstack),     SCMP_SYS(getrusage),
};

static void sandbox_put_dec(char *buf, size_t *n, long v)
{
        char tmp[24];
        size_t k = 0;

        do {
                tmp[k++] = (char)('0' + v % 10);
                v /= 10;
        } while (v && k < sizeof(tmp));
        while (k)
                buf[(*n)++] = tmp[--k];
}

/* SIGSYS: a call outside the allow-list. Async-signal-safe: write and exit only. */
static void sandbox_on_sigsys(int sig, siginfo_t *info, void *ctx)
{
        static const char a[] = "minivmm: sandbox: forbidden system call ";
        static const char b[] = " refused; rerun with --no-sandbox to debug\n";
        char buf[160];
        size_t n = 0;

        (void)sig;
        (void)ctx;
        memcpy(buf, a, sizeof(a) - 1);
        n += sizeof(a) - 1;
        sandbox_put_dec(buf, &n, info->si_syscall);
        memcpy(buf + n, b, sizeof(b) - 1);
        n += sizeof(b) - 1;
        (void)!write(STDERR_FILENO, buf, n);
        /* exit_group itself, not _exit(): sanitizer runtimes wrap _exit with more calls. */
        syscall(SYS_exit_group, 1);
}

static int sandbox_rules(scmp_filter_ctx ctx)
{
        int err;

        for (size_t i = 0; i < sizeof(sandbox_syscalls) / sizeof(sandbox_syscalls[0]); i++) {
                if ((err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sandbox_syscalls[i], 0)))
                        return err;
        }
        for (size_t i = 0; i < sizeof(sandbox_ioctls) / sizeof(sandbox_ioctls[0]); i++) {
                if ((err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                                            SCMP_A1(SCMP_CMP_EQ, sandbox_ioctls[i]))))
                        return err;
        }
        /* Signals (abort's raise) only to the VMM's own threads: tgid = this process. */
        if ((err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                                    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()))))
                return err;
        /* Memory for stdio and malloc, never executable. */
        return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
                                SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
}

int sandbox_enter(void)
{
        struct sigaction sa = {.sa_sigaction = sandbox_on_sigsys, .sa_flags = SA_SIGINFO};
        scmp_filter_ctx ctx;
        int err;

        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGSYS, &sa, NULL) < 0)
                return -errno;
        ctx = seccomp_init(SCMP_ACT_TRAP);
        if (!ctx)
                return -ENOMEM;
        err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
        if (!err)
                err = sandbox_rules(ctx);
        if (!err)
                err = seccomp_load(ctx);
        seccomp_release(ctx);
        return err;
}
