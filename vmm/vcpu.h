/*
 * vcpu: the run loop. Enters the guest with KVM_RUN and dispatches each exit:
 * port I/O to vm->pio, MMIO to vm->mmio, and anything else to one clear error
 * naming the exit reason, the suberror and the guest RIP (exit status 1).
 * A guest halted with interrupts off can never run again; a periodic timer
 * signal lets the loop notice and end the VM with status 0.
 */
#ifndef MINIVMM_VCPU_H
#define MINIVMM_VCPU_H

#include "vm.h"

/* Installs the halt-detection timer; call once before vcpu_run (and before the sandbox). */
void vcpu_prepare(void);
/* Runs until the VM stops; returns minivmm's exit status. */
int vcpu_run(struct vm *vm);

#endif
