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

struct vm {
        struct kvm kvm;
        struct ram ram;
        struct gmem gm;
        struct bus mmio;
        struct bus pio;
        bool stopped;    /* set by the exit device or a halt with interrupts off */
        int exit_status; /* minivmm's exit status once stopped */
};

#endif
