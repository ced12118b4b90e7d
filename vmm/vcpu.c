/* vcpu: see vcpu.h. */
#include "vcpu.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "devices/trace.h"
#include "fail.h"

/*
 * The halt watch's period: VCPU_HALT_POLL_NS while the vCPU thread sleeps
 * (one kick a period, as the old 20 Hz timer), doubling up to
 * VCPU_HALT_POLL_MAX_NS while it runs. The thread counts as asleep (in KVM:
 * halted, or starved by the host, where a kick is harmless) when it used
 * less than a quarter of the period.
 */
#define VCPU_HALT_POLL_NS     50000000L
#define VCPU_HALT_POLL_MAX_NS 400000000L
#define RFLAGS_IF             (1ULL << 9)

static const char *vcpu_exit_name(uint32_t reason)
{
        static const char *const names[] = {
            [KVM_EXIT_UNKNOWN] = "UNKNOWN",
            [KVM_EXIT_EXCEPTION] = "EXCEPTION",
            [KVM_EXIT_IO] = "IO",
            [KVM_EXIT_HYPERCALL] = "HYPERCALL",
            [KVM_EXIT_DEBUG] = "DEBUG",
            [KVM_EXIT_HLT] = "HLT",
            [KVM_EXIT_MMIO] = "MMIO",
            [KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
            [KVM_EXIT_SHUTDOWN] = "SHUTDOWN (triple fault)",
            [KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
            [KVM_EXIT_INTR] = "INTR",
            [KVM_EXIT_SET_TPR] = "SET_TPR",
            [KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
            [KVM_EXIT_NMI] = "NMI",
            [KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
            [KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
        };

        if (reason < sizeof(names) / sizeof(names[0]) && names[reason])
                return names[reason];
        return "(unnamed)";
}

static uint64_t vcpu_rip(struct vm *vm, uint64_t *rflags)
{
        struct kvm_regs regs;

        if (ioctl(vm->kvm.vcpu_fd, KVM_GET_REGS, &regs) < 0)
                fail(FAIL_INTERNAL, "KVM_GET_REGS: %s", strerror(errno));
        if (rflags)
                *rflags = regs.rflags;
        return regs.rip;
}

static void vcpu_io(struct vm *vm)
{
        struct kvm_run *run = vm->kvm.run;
        uint8_t *data = (uint8_t *)run + run->io.data_offset;
        bool is_write = run->io.direction == KVM_EXIT_IO_OUT;

        /* A string instruction (rep outsb) delivers count items back to back. */
        for (uint32_t i = 0; i < run->io.count && !vm->stopped; i++, data += run->io.size) {
                if (!bus_dispatch(&vm->pio, run->io.port, data, run->io.size, is_write)) {
                        if (!is_write)
                                memset(data, 0xff, run->io.size);
                        TRACE("port: unclaimed %u-byte %s at 0x%x", run->io.size,
                              is_write ? "write" : "read", run->io.port);
                }
        }
}

static void vcpu_mmio(struct vm *vm)
{
        struct kvm_run *run = vm->kvm.run;
        uint32_t len = run->mmio.len <= sizeof(run->mmio.data) ? run->mmio.len : 8;

        if (!bus_dispatch(&vm->mmio, run->mmio.phys_addr, run->mmio.data, len,
                          run->mmio.is_write)) {
                if (!run->mmio.is_write)
                        memset(run->mmio.data, 0xff, len);
                TRACE("mmio: unclaimed %u-byte %s at 0x%llx", len,
                      run->mmio.is_write ? "write" : "read",
                      (unsigned long long)run->mmio.phys_addr);
        }
}

/* A halt with IF clear can never end: the guest is done (status 0). */
static void vcpu_stop_if_dead(struct vm *vm, uint64_t rip, uint64_t rflags)
{
        if (rflags & RFLAGS_IF)
                return;
        fprintf(stderr, "minivmm: guest halted with interrupts off at RIP 0x%llx; stopping\n",
                (unsigned long long)rip);
        vm->stopped = true;
        vm->exit_status = 0;
}

/* After a kick of the halt watch: a vCPU halted with IF clear will never wake. */
static void vcpu_check_halted(struct vm *vm)
{
        struct kvm_mp_state mp;
        uint64_t rflags, rip;

        if (ioctl(vm->kvm.vcpu_fd, KVM_GET_MP_STATE, &mp) < 0)
                fail(FAIL_INTERNAL, "KVM_GET_MP_STATE: %s", strerror(errno));
        if (mp.mp_state != KVM_MP_STATE_HALTED)
                return;
        rip = vcpu_rip(vm, &rflags);
        vcpu_stop_if_dead(vm, rip, rflags);
}

static void vcpu_internal_error(struct vm *vm)
{
        struct kvm_run *run = vm->kvm.run;
        char bytes[64] = "";
        size_t off = 0;

        /* Emulation failures may carry the bytes KVM fetched at RIP. */
        if (run->emulation_failure.suberror == KVM_INTERNAL_ERROR_EMULATION &&
            run->emulation_failure.ndata >= 3 &&
            (run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
                unsigned n = run->emulation_failure.insn_size;
                off = (size_t)snprintf(bytes, sizeof(bytes), "; instruction bytes");
                for (unsigned i = 0; i < n && i < 8; i++)
                        off += (size_t)snprintf(bytes + off, sizeof(bytes) - off, " %02x",
                                                run->emulation_failure.insn_bytes[i]);
        }
        fail(FAIL_INTERNAL,
             "guest stopped: KVM exit INTERNAL_ERROR, suberror %u%s, at guest RIP 0x%llx%s",
             run->internal.suberror,
             run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION
                 ? " (instruction emulation failed)"
                 : "",
             (unsigned long long)vcpu_rip(vm, NULL), bytes);
}

static void vcpu_on_kick(int sig)
{
        (void)sig; /* its only job is to make KVM_RUN return EINTR */
}

static pthread_t vcpu_thread;
static clockid_t vcpu_cpu_clock;
static atomic_bool vcpu_watch_off;
static sem_t vcpu_watch_started;

static int64_t vcpu_cpu_ns(void)
{
        struct timespec ts;

        if (clock_gettime(vcpu_cpu_clock, &ts) < 0)
                return -1;
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * The halt watch. With the in-kernel irqchip a hlt never reaches user space
 * and KVM has no exit that says "halted with interrupts off"; only the vCPU
 * thread can ask (KVM_GET_MP_STATE, KVM_GET_REGS), so KVM_RUN must be
 * interrupted. This thread interrupts it (SIGALRM to the vCPU thread) only
 * when the vCPU thread slept through most of the last period: a guest that
 * runs or polls is never interrupted (and the watch itself wakes ever less
 * often), a halted one is found within a period after the one it halted in
 * (docs/performance.md, "Boot").
 */
static void *vcpu_halt_watch(void *arg)
{
        int64_t period = VCPU_HALT_POLL_NS, last = vcpu_cpu_ns(), now;

        (void)arg;
        sem_post(&vcpu_watch_started); /* its start-up calls are done (vcpu_prepare) */
        for (;;) {
                struct timespec ts = {period / 1000000000, period % 1000000000};

                clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL); /* every signal blocked */
                now = vcpu_cpu_ns();
                if (now < 0 || last < 0 || now - last < period / 4) {
                        if (!atomic_load(&vcpu_watch_off))
                                pthread_kill(vcpu_thread, SIGALRM);
                        period = VCPU_HALT_POLL_NS;
                } else if (period < VCPU_HALT_POLL_MAX_NS) {
                        period *= 2;
                }
                last = now;
        }
        return NULL;
}

void vcpu_prepare(void)
{
        struct sigaction sa = {.sa_handler = vcpu_on_kick, .sa_flags = SA_RESTART};
        sigset_t all, old;
        pthread_t t;
        int err;

        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGALRM, &sa, NULL) < 0)
                fail(FAIL_INTERNAL, "halt detection: %s", strerror(errno));
        vcpu_thread = pthread_self(); /* vcpu_run runs on this thread */
        err = pthread_getcpuclockid(vcpu_thread, &vcpu_cpu_clock);
        if (err)
                fail(FAIL_INTERNAL, "halt detection: %s", strerror(err));
        sigfillset(&all);
        sigdelset(&all, SIGSYS); /* the sandbox's report of a forbidden call must run */
        sem_init(&vcpu_watch_started, 0, 0);
        pthread_sigmask(SIG_SETMASK, &all, &old); /* the watch inherits the mask */
        err = pthread_create(&t, NULL, vcpu_halt_watch, NULL);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (err)
                fail(FAIL_INTERNAL, "halt detection: %s", strerror(err));
        pthread_detach(t); /* it sleeps; the process's exit ends it */
        /* A seccomp filter installed next must not meet glibc's thread start-up calls. */
        while (sem_wait(&vcpu_watch_started) < 0 && errno == EINTR)
                ;
}

static void vcpu_stop_watch(void)
{
        atomic_store(&vcpu_watch_off, true);
}

int vcpu_run(struct vm *vm)
{
        struct kvm_run *run = vm->kvm.run;

        while (!vm->stopped) {
                vm->exits.total++;
                if (ioctl(vm->kvm.vcpu_fd, KVM_RUN, 0) < 0) {
                        if (errno == EINTR || errno == EAGAIN) {
                                vm->exits.intr++;
                                vcpu_check_halted(vm);
                                continue;
                        }
                        fail(FAIL_INTERNAL, "KVM_RUN: %s", strerror(errno));
                }
                switch (run->exit_reason) {
                case KVM_EXIT_IO:
                        vm->exits.io++;
                        vcpu_io(vm);
                        break;
                case KVM_EXIT_MMIO:
                        vm->exits.mmio++;
                        vcpu_mmio(vm);
                        break;
                case KVM_EXIT_INTR:
                        vm->exits.intr++;
                        vcpu_check_halted(vm);
                        break;
                case KVM_EXIT_HLT: {
                        vm->exits.hlt++;
                        uint64_t rflags, rip = vcpu_rip(vm, &rflags);
                        vcpu_stop_if_dead(vm, rip, rflags);
                        break;
                }
                case KVM_EXIT_INTERNAL_ERROR:
                        vcpu_internal_error(vm);
                        break;
                case KVM_EXIT_FAIL_ENTRY:
                        fail(FAIL_INTERNAL,
                             "guest stopped: KVM exit FAIL_ENTRY, hardware reason 0x%llx, at guest "
                             "RIP 0x%llx",
                             (unsigned long long)run->fail_entry.hardware_entry_failure_reason,
                             (unsigned long long)vcpu_rip(vm, NULL));
                default:
                        fail(FAIL_INTERNAL, "guest stopped: KVM exit %s (%u), at guest RIP 0x%llx",
                             vcpu_exit_name(run->exit_reason), run->exit_reason,
                             (unsigned long long)vcpu_rip(vm, NULL));
                }
        }
        vcpu_stop_watch();
        return vm->exit_status;
}
