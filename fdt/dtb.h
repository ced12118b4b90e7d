/*
 * dtb: the flattened device tree that tells the guest what it has, built with
 * libfdt's sequential-write API. Knows the machine description below and
 * nothing of KVM. Layout (root #address-cells = #size-cells = 2):
 *   /chosen/bootargs, /memory@0 (one reg pair per RAM range),
 *   /svirtb@cafe0000 (compatible "minivmm,svirtb", reg, `read-only` when so),
 *   /ioapic@fec00000 (the in-kernel IOAPIC, phandle DTB_IOAPIC_PHANDLE) and one
 *   /virtio_mmio@<base> per virtio device (compatible "virtio,mmio", reg,
 *   interrupts = <gsi 1> (level, active high), interrupt-parent = the IOAPIC).
 * With PCI disks, /pci (docs/virtio-pci.md): compatible "minivmm,pci-cf8"
 * (configuration mechanism #1 at ports 0xcf8-0xcff, bus 0), device_type
 * "pci", ranges for the I/O and the 32-bit memory window, and an
 * interrupt-map from each device's INTA# to <gsi 1> on the IOAPIC.
 * The tree's own placement is listed in its memory reservation block.
 */
#ifndef MINIVMM_DTB_H
#define MINIVMM_DTB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DTB_MAX_MEM        2
#define DTB_MAX_VIRTIO     8
#define DTB_IOAPIC_BASE    0xfec00000ULL
#define DTB_IOAPIC_PHANDLE 1
/*
 * Second interrupt cell for the IOAPIC: level-triggered, active high. Linux's
 * x86 device-tree code (arch/x86/kernel/devicetree.c, since its 2020 fix)
 * reads 0 edge falling, 1 level high, 2 level low, 3 edge rising.
 */
#define DTB_IRQ_LEVEL_HIGH 1

struct dtb_virtio {
        uint64_t base;
        uint64_t size;
        uint32_t gsi;
};

/* A PCI device: its number on bus 0 and the GSI of its INTA#. */
struct dtb_pci_dev {
        uint32_t dev;
        uint32_t gsi;
};

struct dtb_machine {
        uint64_t mem_base[DTB_MAX_MEM];
        uint64_t mem_size[DTB_MAX_MEM];
        unsigned nmem;
        const char *bootargs;
        bool svirtb;
        uint64_t svirtb_base;
        uint64_t svirtb_size;
        bool svirtb_ro;
        struct dtb_virtio virtio[DTB_MAX_VIRTIO];
        unsigned nvirtio;
        struct dtb_pci_dev pci[DTB_MAX_VIRTIO]; /* none: no /pci node */
        unsigned npci;
        uint32_t pci_io_base, pci_io_size, pci_mem_base, pci_mem_size;
        uint64_t self_base; /* where the tree will live in guest memory */
        uint64_t self_size;
};

/* Builds the tree into buf; 0, or a negative libfdt error (-FDT_ERR_NOSPACE when buf is small). */
int dtb_build(void *buf, size_t size, const struct dtb_machine *m);

#endif
