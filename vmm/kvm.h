/*
 * kvm: the thin layer over /dev/kvm. Opens it, checks the API version and the
 * capabilities minivmm uses, creates the VM with the in-kernel irqchip,
 * registers memory slots and creates the one vCPU with the host's supported
 * CPUID. Failures to reach /dev/kvm are input errors (exit 2); a KVM call that
 * fails afterwards is an internal error (exit 1). Nothing here knows devices.
 */
#ifndef MINIVMM_KVM_H
#define MINIVMM_KVM_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kvm {
        int sys_fd;
        int vm_fd;
        int vcpu_fd;
        struct kvm_run *run;
        size_t run_size;
        unsigned next_slot;
};

void kvm_open(struct kvm *k, const char *path);
void kvm_create_vm(struct kvm *k);
/* Maps host memory at gpa; readonly slots make guest writes exit as MMIO. */
void kvm_map(struct kvm *k, uint64_t gpa, uint64_t size, void *host, bool readonly);
void kvm_create_vcpu(struct kvm *k);
/* Drives a GSI of the in-kernel irqchip to level (1 = asserted). */
void kvm_irq_line(struct kvm *k, uint32_t gsi, bool level);
/* Whether the VM has capability cap (KVM_CAP_*). */
bool kvm_has_cap(struct kvm *k, int cap);
/* Guest writes of len bytes equal to datamatch at gpa signal fd instead of exiting. */
void kvm_ioeventfd(struct kvm *k, uint64_t gpa, uint32_t len, uint64_t datamatch, int fd);
/*
 * A signal on fd asserts gsi (level); KVM lowers it at the guest's EOI for
 * that GSI and then signals resample_fd, so the VMM can assert it again if
 * the device still wants an interrupt.
 */
void kvm_irqfd_resample(struct kvm *k, uint32_t gsi, int fd, int resample_fd);

#endif
