/*
 * vslot: where virtio-mmio devices live in the machine. Device i gets the
 * 4 KiB slot at VSLOT_BASE + i * 0x1000 on the MMIO bus and GSI
 * VSLOT_FIRST_GSI + i on the in-kernel IOAPIC. The device model and the
 * transport stay unaware of KVM and threads: this is the only glue between
 * them and the VM.
 *
 * Two ways to run a slot:
 *  - vCPU mode (iothread NULL): QueueNotify exits to the vCPU thread, which
 *    serves the requests inside the exit; the level line is driven with
 *    KVM_IRQ_LINE, high exactly while InterruptStatus != 0.
 *  - thread mode: each queue's QueueNotify (a 4-byte write of the queue
 *    index at base + 0x50) is a KVM_IOEVENTFD: it never leaves the kernel,
 *    and the I/O thread serves the queue. The line is a KVM_IRQFD with a
 *    resample fd: the transport raising it signals the irqfd (KVM asserts
 *    the GSI); KVM itself lowers it at the guest's EOI and signals the
 *    resample fd, and the I/O thread asserts it again if InterruptStatus is
 *    still non-zero. The transport's own line (vmmio.line) still follows
 *    InterruptStatus exactly; what the IOAPIC sees stays high from a raise
 *    until the guest's EOI, when it is re-evaluated. The IOAPIC delivers a
 *    level interrupt again only after that EOI (Remote IRR), so the guest
 *    sees an interrupt exactly when InterruptStatus became non-zero since
 *    its last EOI, as with KVM_IRQ_LINE. The one difference: an interrupt
 *    never delivered (its IOAPIC entry masked) and acknowledged by polling
 *    stays asserted until the entry is unmasked, and is then delivered once
 *    with InterruptStatus 0.
 * Every register access and every notification holds the slot's mutex, so
 * the two threads never touch the transport or the device at once.
 */
#ifndef MINIVMM_VSLOT_H
#define MINIVMM_VSLOT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio_mmio.h"
#include "iothread.h"
#include "vm.h"

#define VSLOT_BASE      0xd0000000ULL
#define VSLOT_SIZE      0x1000ULL
#define VSLOT_FIRST_GSI 5u
#define VSLOT_MAX       8u /* >= CLI_MAX_DISKS: checked in main.c */

/* What the slot saw, for --stats (updated under the slot's mutex). */
struct vslot_stats {
        uint64_t notify_exits;   /* QueueNotify writes that exited to the vCPU thread */
        uint64_t notify_wakeups; /* I/O thread wakeups on a queue's ioeventfd */
        uint64_t notify_writes;  /* guest QueueNotify writes those wakeups absorbed */
        uint64_t interrupts;     /* the line raised: KVM_IRQ_LINE 1, or an irqfd signal */
        uint64_t irq_reasserts;  /* irqfd signalled again after an EOI (resample) */
};

struct vslot;

/* The I/O thread's handle on one queue's ioeventfd. */
struct vslot_queue {
        struct vslot *slot;
        uint32_t index;
        int fd;
        bool resignalled; /* fd holds one write of our own (a pass yielded), not the guest's */
};

struct vslot {
        struct vmmio transport;
        struct kvm *kvm;
        uint64_t base;
        uint32_t gsi;
        pthread_mutex_t lock; /* the transport and its device */
        bool threaded;
        struct vslot_queue queues[VMMIO_MAX_QUEUES];
        int irq_fd, resample_fd; /* thread mode; -1 otherwise */
        struct vslot_stats stats;
};

/*
 * Puts a device in slot index, in thread mode when io is not NULL (its
 * eventfds are added to io, which is not started yet). Dies (status 1) if
 * the slot is taken or KVM refuses.
 */
void vslot_add(struct vslot *s, unsigned index, struct vm *vm, const struct virtio_dev_ops *ops,
               void *dev, bool legacy, struct iothread *io);

#endif
