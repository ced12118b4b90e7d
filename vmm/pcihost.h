/*
 * pcihost: where the PCI bus lives in the machine (docs/virtio-pci.md), and
 * the glue between devices/pci.c, devices/virtio_pci.c and the VM. Ports
 * 0xcf8-0xcff and the two BAR windows are regions on the VM's buses; the
 * windows lie in the MMIO hole, clear of the svirtb page (0xcafe0000), the
 * virtio-mmio slots (0xd0000000) and the IOAPIC/LAPIC (0xfec00000 up), so a
 * BAR inside a window can overlap neither RAM nor another device, and
 * pci.c refuses every BAR outside them. PCI disk i is device i + 1 with
 * INTA# on GSI PCIHOST_GSI(i), level-triggered, active high. Its BARs are
 * placed and enabled at boot, as firmware would; the guest may move them.
 * Requests run on the vCPU thread inside the notify exit (--io thread
 * applies to virtio-mmio disks only).
 */
#ifndef MINIVMM_PCIHOST_H
#define MINIVMM_PCIHOST_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/pci.h"
#include "devices/virtio_pci.h"
#include "vm.h"

#define PCIHOST_IO_BASE   0xc000u
#define PCIHOST_IO_SIZE   0x4000u
#define PCIHOST_MEM_BASE  0xe0000000u
#define PCIHOST_MEM_SIZE  0x10000000u
#define PCIHOST_FIRST_GSI 16u /* the virtio-mmio slots use 5..12 */
#define PCIHOST_GSI(i)    (PCIHOST_FIRST_GSI + (i))
/* The host bridge's IDs: those of QEMU's generic host bridge (Red Hat, 0x0008). */
#define PCIHOST_BRIDGE_VENDOR 0x1b36u
#define PCIHOST_BRIDGE_DEVICE 0x0008u

#define PCIHOST_MAX_DISKS 8u
/* Where firmware-style placement puts disk i's BARs. */
#define PCIHOST_IO_BAR(i)  (PCIHOST_IO_BASE + VPCI_LEGACY_BAR_SIZE * (i))
#define PCIHOST_MEM_BAR(i) (PCIHOST_MEM_BASE + VPCI_MODERN_BAR_SIZE * (i))

struct pcihost {
        struct pci_host bus;
        struct vpci disk[PCIHOST_MAX_DISKS];
        struct kvm *kvm;
        bool on; /* the ports and windows are registered */
};

/* Registers 0xcf8-0xcff and the two windows on the VM's buses. Dies (status 1) on a clash. */
void pcihost_init(struct pcihost *p, struct vm *vm);
/* Disk i (its index among --disk) as device i + 1, transitional or legacy-only. */
void pcihost_add_disk(struct pcihost *p, unsigned i, struct vm *vm,
                      const struct virtio_dev_ops *ops, void *dev, bool legacy);

#endif
