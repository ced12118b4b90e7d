/*
 * vm: everything one virtual machine owns, wired together by main.c and run
 * by vcpu.c. Devices reach the VM only through the buses they registered on.
 */
#ifndef MINIVMM_VM_H
#define MINIVMM_VM_H

#include <stdbool.h>

#include "bus.h"
#include "devices/gmem.h"
#include "kvm.h"
#include "ram.h"

/* Returns of KVM_RUN to the vCPU thread, by exit reason (--stats). */
struct vm_exits {
        uint64_t total;
        uint64_t io, mmio, hlt;
        uint64_t intr; /* KVM_RUN interrupted (EINTR, KVM_EXIT_INTR): the halt watch (vcpu.c) */
        /* Any other exit reason stops the VMM (vcpu.h). */
};

struct vm {
        struct kvm kvm;
        struct ram ram;
        struct gmem gm;
        struct bus mmio;
        struct bus pio;
        bool stopped;    /* set by the exit device or a halt with interrupts off */
        int exit_status; /* minivmm's exit status once stopped */
        struct vm_exits exits;
};

#endif
