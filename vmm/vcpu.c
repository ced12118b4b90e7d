/* vcpu: see vcpu.h. */
#include "vcpu.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>

#include "devices/trace.h"
#include "fail.h"

/* How often the loop wakes to look for a halted vCPU. */
#define VCPU_HALT_POLL_US 50000
#define RFLAGS_IF         (1ULL << 9)

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

/* After a timer kick: a vCPU halted with IF clear will never wake. */
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

static void vcpu_on_timer(int sig)
{
        (void)sig; /* its only job is to make KVM_RUN return EINTR */
}

void vcpu_prepare(void)
{
        struct sigaction sa = {.sa_handler = vcpu_on_timer, .sa_flags = SA_RESTART};
        struct itimerval it = {
            .it_interval = {0, VCPU_HALT_POLL_US},
            .it_value = {0, VCPU_HALT_POLL_US},
        };

        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGALRM, &sa, NULL) < 0 || setitimer(ITIMER_REAL, &it, NULL) < 0)
                fail(FAIL_INTERNAL, "halt-detection timer: %s", strerror(errno));
}

static void vcpu_stop_timer(void)
{
        struct itimerval off = {{0, 0}, {0, 0}};

        setitimer(ITIMER_REAL, &off, NULL);
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
        vcpu_stop_timer();
        return vm->exit_status;
}
