/*
 * vslot: where virtio-mmio devices live in the machine. Device i gets the
 * 4 KiB slot at VSLOT_BASE + i * 0x1000 on the MMIO bus and GSI
 * VSLOT_FIRST_GSI + i on the in-kernel IOAPIC; the transport's level line is
 * driven with KVM_IRQ_LINE. The device model and the transport stay unaware
 * of KVM: this is the only glue between them and the VM.
 */
#ifndef MINIVMM_VSLOT_H
#define MINIVMM_VSLOT_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio_mmio.h"
#include "vm.h"

#define VSLOT_BASE      0xd0000000ULL
#define VSLOT_SIZE      0x1000ULL
#define VSLOT_FIRST_GSI 5u
#define VSLOT_MAX       8u

struct vslot {
        struct vmmio transport;
        struct kvm *kvm;
        uint64_t base;
        uint32_t gsi;
};

/* Puts a device in slot index; dies (status 1) if the slot is taken. */
void vslot_add(struct vslot *s, unsigned index, struct vm *vm, const struct virtio_dev_ops *ops,
               void *dev, bool legacy);

#endif
