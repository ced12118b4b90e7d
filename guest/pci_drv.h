/*
 * pci_drv: the guest's PCI enumeration (configuration mechanism #1, ports
 * 0xcf8/0xcfc, bus 0) and its virtio-pci transport (VIRTIO 1.2 §4.1), legacy
 * (I/O BAR0, §4.1.4.8) and modern (vendor capabilities, §4.1.4).
 *
 * A virtio-pci device found by gpci_scan() joins the boot_info virtio list
 * with base = GPCI_BASE(dev), a value no MMIO region has; gvio_read(),
 * gvio_write() and gvio_config_read() (virtio_mmio_drv.c) hand such a base
 * here, and each virtio-mmio register is translated to its virtio-pci twin:
 * version 2 for a device with the four modern capabilities, version 1 (the
 * legacy block) otherwise. Registers with no twin read as the virtio-mmio
 * driver expects (MagicValue, Version) or are dropped (GuestPageSize,
 * QueueAlign and QueueNum in legacy mode, where they are fixed at 4096 and
 * the queue's maximum; InterruptACK, since reading the ISR acknowledges it).
 * Offsets and IDs are written out here from the specification, not taken
 * from devices/.
 */
#ifndef GUEST_PCI_DRV_H
#define GUEST_PCI_DRV_H

#include <stdbool.h>
#include <stdint.h>

#include "bootinfo.h"

#define GPCI_TAG           0xfff0000000000000ULL
#define GPCI_BASE(dev)     (GPCI_TAG | (dev))
#define GPCI_VENDOR_VIRTIO 0x1af4u
#define GPCI_IOAPIC        0xfec00000ULL /* where x86 firmware and minivmm put it */

static inline bool gpci_is(uint64_t base)
{
        return (base & 0xffff000000000000ULL) == GPCI_TAG;
}

/*
 * Appends every virtio-blk function of bus 0 to bi->virtio (while room is
 * left), enabling its I/O, memory and bus-master decoding. with_irq: its
 * INTA# is the IOAPIC pin its Interrupt Line register names (minivmm);
 * otherwise (PVH under QEMU, where firmware routes INTx elsewhere) no
 * interrupt is described. Returns how many were added.
 */
unsigned gpci_scan(struct boot_info *bi, bool with_irq);
/* One 32-bit configuration register of 00:dev.0 (all ones when absent). */
uint32_t gpci_cfg_read32(unsigned dev, unsigned off);
void gpci_cfg_write32(unsigned dev, unsigned off, uint32_t v);
/* Config offset of the first vendor capability of cfg_type type (§4.1.4) of 00:dev.0, or 0. */
unsigned gpci_find_cap(unsigned dev, unsigned type);
/* The address BAR bar of 00:dev.0 decodes (64-bit memory BARs too), or 0. */
uint64_t gpci_bar_address(unsigned dev, unsigned bar);
/* The modern notification area of the device at base (0 for a legacy one). */
uint64_t gpci_notify_base(uint64_t base);
/* "pci 00:01.0 legacy" or "... modern", for listings. */
const char *gpci_describe(uint64_t base, char *buf, unsigned len);

/* The virtio-mmio register off of the device at base, through its virtio-pci twin. */
uint32_t gpci_vio_read(uint64_t base, uint32_t off);
void gpci_vio_write(uint64_t base, uint32_t off, uint32_t v);
/* Byte off of the device config (1 or aligned 4 bytes). */
uint8_t gpci_config_read8(uint64_t base, uint32_t off);
uint32_t gpci_config_read32(uint64_t base, uint32_t off);

#endif
