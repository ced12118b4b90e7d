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

static const struct sandbox_policy sandbox_vmm = {
    .who = "minivmm",
    .syscalls = sandbox_syscalls,
    .nsyscalls = sizeof(sandbox_syscalls) / sizeof(sandbox_syscalls[0]),
    .ioctls = sandbox_ioctls,
    .nioctls = sizeof(sandbox_ioctls) / sizeof(sandbox_ioctls[0]),
};

/* The program the SIGSYS handler names: set once, before the filter. */
static const char *sandbox_who = "minivmm";

static void sandbox_put(char *buf, size_t *n, size_t max, const char *s)
{
        while (*s && *n < max)
                buf[(*n)++] = *s++;
}

static void sandbox_put_dec(char *buf, size_t *n, size_t max, long v)
{
        char tmp[24];
        size_t k = 0;

        do {
                tmp[k++] = (char)('0' + v % 10);
                v /= 10;
        } while (v && k < sizeof(tmp));
        while (k && *n < max)
                buf[(*n)++] = tmp[--k];
}

/* SIGSYS: a call outside the allow-list. Async-signal-safe: write and exit only. */
static void sandbox_on_sigsys(int sig, siginfo_t *info, void *ctx)
{
        char buf[200];
        size_t n = 0;

        (void)sig;
        (void)ctx;
        sandbox_put(buf, &n, sizeof(buf), sandbox_who);
        sandbox_put(buf, &n, sizeof(buf), ": sandbox: forbidden system call ");
        sandbox_put_dec(buf, &n, sizeof(buf), info->si_syscall);
        sandbox_put(buf, &n, sizeof(buf), " refused; rerun with --no-sandbox to debug\n");
        (void)!write(STDERR_FILENO, buf, n);
        /* exit_group itself, not _exit(): sanitizer runtimes wrap _exit with more calls. */
        syscall(SYS_exit_group, 1);
}

static int sandbox_rules(scmp_filter_ctx ctx, const struct sandbox_policy *p)
{
        int err;

        for (size_t i = 0; i < p->nsyscalls; i++) {
                if ((err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, p->syscalls[i], 0)))
                        return err;
        }
        for (size_t i = 0; i < p->nioctls; i++) {
                if ((err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                                            SCMP_A1(SCMP_CMP_EQ, p->ioctls[i]))))
                        return err;
        }
        /* Signals (abort's raise) only to the program's own threads: tgid = this process. */
        if ((err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                                    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()))))
                return err;
        /* Memory for stdio, malloc and (vhost-user) the front end's regions, never executable. */
        return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
                                SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
}

int sandbox_install(const struct sandbox_policy *p)
{
        struct sigaction sa = {.sa_sigaction = sandbox_on_sigsys, .sa_flags = SA_SIGINFO};
        scmp_filter_ctx ctx;
        int err;

        sandbox_who = p->who;
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGSYS, &sa, NULL) < 0)
                return -errno;
        ctx = seccomp_init(SCMP_ACT_TRAP);
        if (!ctx)
                return -ENOMEM;
        err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
        if (!err)
                err = sandbox_rules(ctx, p);
        if (!err)
                err = seccomp_load(ctx);
        seccomp_release(ctx);
        return err;
}

int sandbox_enter(void)
{
        return sandbox_install(&sandbox_vmm);
}
