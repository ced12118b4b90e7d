/*
 * vcpu: the run loop. Enters the guest with KVM_RUN and dispatches each exit:
 * port I/O to vm->pio, MMIO to vm->mmio, and anything else to one clear error
 * naming the exit reason, the suberror and the guest RIP (exit status 1).
 * A guest halted with interrupts off can never run again; a watch thread
 * interrupts KVM_RUN when the vCPU thread stops using CPU, so the loop
 * notices and ends the VM with status 0.
 */
#ifndef MINIVMM_VCPU_H
#define MINIVMM_VCPU_H

#include "vm.h"

/* Starts the halt watch; call once, on the thread that will call vcpu_run, before the sandbox. */
void vcpu_prepare(void);
/* Runs until the VM stops; returns minivmm's exit status. */
int vcpu_run(struct vm *vm);

#endif
