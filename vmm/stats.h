/*
 * stats: what --stats prints on stderr when the guest stops, one counter a
 * line as "stats: NAME=VALUE" (tools/bench parses them):
 *   io_mode              thread or vcpu
 *   exits                returns of KVM_RUN to the vCPU thread, of every kind:
 *   exits_io, exits_mmio, exits_hlt, exits_intr (the halt watch, vcpu.c)
 *   notify_exits         QueueNotify writes that exited to the vCPU thread
 *   notify_wakeups       I/O thread wakeups on a QueueNotify ioeventfd
 *   notify_writes        guest QueueNotify writes those wakeups absorbed
 *   notifications        notify_exits + notify_wakeups
 *   interrupts           virtio interrupt lines raised (irqfd or KVM_IRQ_LINE)
 *   irq_reasserts        irqfd raised again after an EOI (resample)
 *   requests             virtio-blk requests served
 *   bytes_read, bytes_written   data moved by those requests (OK ones)
 *   cpu_user_us, cpu_sys_us     host CPU time of the whole VMM process
 *   io_cpu_us            the I/O thread's own share of it, user and system
 *                        together (the kernel splits the two by tick sampling);
 *                        thread mode only: the line is absent with --io vcpu
 *   maxrss_kb            its peak resident set (ru_maxrss), guest RAM it touched included
 *   guest_ram_kb         guest RAM size, to subtract
 * Counters are summed over every virtio-blk device.
 */
#ifndef MINIVMM_STATS_H
#define MINIVMM_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "vm.h"

struct vmm_stats {
        const char *io_mode;
        struct vm_exits exits;
        uint64_t notify_exits, notify_wakeups, notify_writes;
        uint64_t interrupts, irq_reasserts;
        uint64_t requests, bytes_read, bytes_written;
        uint64_t guest_ram;
        bool io_thread; /* io_cpu_us means something */
        uint64_t io_cpu_us;
};

/* Prints st and this process's getrusage(RUSAGE_SELF) to out. */
void stats_print(FILE *out, const struct vmm_stats *st);

#endif
