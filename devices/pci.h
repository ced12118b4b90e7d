/*
 * pci: a PCI host bridge with configuration mechanism #1 (PCI Local Bus 3.0
 * §3.2.2.3.2; docs/virtio-pci.md), one bus, and the BARs of its functions.
 *
 * Port 0xcf8 is a 32-bit address latch (only aligned 4-byte accesses reach
 * it); ports 0xcfc-0xcff are a window on the 4-byte configuration register
 * the latch names, in 1, 2 or 4-byte accesses that stay inside it. Bus 0
 * only, function 0 of each device only; an absent function, another bus, a
 * disabled latch or reserved latch bits read all ones and take no writes.
 * Offsets from 256 (extended space, unreachable through 0xcf8) read all ones.
 *
 * A function is a 256-byte header the owner fills (IDs, class, capabilities)
 * plus up to six BARs, each an I/O or a 32-bit memory range of a power-of-2
 * size. The bridge implements the command register's enables, BAR sizing
 * (write all ones, read the size mask back) and relocation. A BAR is decoded
 * ("mapped") only while its enable bit is set, it lies wholly inside the
 * bridge's window for its kind, and it overlaps no BAR already mapped; any
 * other placement (RAM, another device, the svirtb page, the virtio-mmio
 * slots, past 4 GiB or 64 KiB of ports: all outside the windows) is refused,
 * traced, and kept in pci_bar.refused. When a BAR stops decoding, BARs it
 * used to shadow are tried again. pci_mmio()/pci_pio() deliver an access to
 * the one mapped BAR holding it whole.
 *
 * A function may serve a dword-aligned part of its own configuration space
 * (pci_hook_cfg), e.g. a data register whose access does something, and reach
 * its BARs by offset whether they decode or not (pci_bar_window): what the
 * virtio PCI_CFG capability needs (VIRTIO 1.2 §4.1.4.9).
 *
 * INTx: a function's owner sets its pending level (pci_set_intx); the line
 * the bridge drives is that level unless the command register's Interrupt
 * Disable bit is set, and the status register shows the pending level.
 * Nothing here knows KVM; the owner serializes every call.
 */
#ifndef MINIVMM_PCI_H
#define MINIVMM_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_CFG_ADDR      0xcf8u /* the 32-bit latch */
#define PCI_CFG_DATA      0xcfcu /* to 0xcff */
#define PCI_CFG_PORTS     8u     /* 0xcf8-0xcff */
#define PCI_CFG_SIZE      256u
#define PCI_CFG_EXT_SIZE  4096u /* PCIe extended space: reads all ones here */
#define PCI_MAX_DEVS      32u
#define PCI_NBARS         6u
#define PCI_ENABLE_BIT    0x80000000u
#define PCI_LATCH_RESERVE 0x7f000000u

/* Header offsets and bits (PCI Local Bus 3.0 §6.1, §6.2). */
#define PCI_VENDOR_ID      0x00
#define PCI_DEVICE_ID      0x02
#define PCI_COMMAND        0x04
#define PCI_STATUS         0x06
#define PCI_REVISION       0x08
#define PCI_CLASS_PROG     0x09
#define PCI_HEADER_TYPE    0x0e
#define PCI_BAR0           0x10
#define PCI_SUBSYS_VENDOR  0x2c
#define PCI_SUBSYS_ID      0x2e
#define PCI_CAP_PTR        0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN  0x3d

#define PCI_CMD_IO           0x0001u
#define PCI_CMD_MEM          0x0002u
#define PCI_CMD_MASTER       0x0004u
#define PCI_CMD_INTX_DISABLE 0x0400u
#define PCI_STATUS_INTX      0x0008u
#define PCI_STATUS_CAP_LIST  0x0010u
#define PCI_BAR_IO           0x1u /* bit 0 of an I/O BAR */

struct pci_window {
        uint64_t base, size; /* [base, base + size); size 0: no BAR of that kind maps */
};

/* An access inside BAR bar at offset off; reads fill data (len bytes). */
typedef void (*pci_bar_fn)(void *opaque, unsigned bar, uint64_t off, uint8_t *data, uint32_t len,
                           bool is_write);
/*
 * A configuration access the function serves itself: off inside its hooked
 * range, len 1, 2 or 4 inside one dword; reads fill data.
 */
typedef void (*pci_cfg_fn)(void *opaque, uint32_t off, uint8_t *data, uint32_t len, bool is_write);
/* The bridge's INTx line for a function changed. */
typedef void (*pci_irq_fn)(void *opaque, unsigned dev, bool level);

struct pci_bar {
        uint32_t size;       /* power of 2; 0: not implemented (reads 0, takes no writes) */
        bool io;             /* I/O space; else 32-bit non-prefetchable memory */
        uint32_t addr;       /* base as programmed (low bits masked by the size) */
        bool mapped;         /* decoded now */
        const char *refused; /* why it is not mapped while enabled, or NULL */
};

struct pci_func {
        bool present;
        const char *name;
        uint8_t cfg[PCI_CFG_SIZE];   /* the header and capabilities, little-endian */
        uint8_t wmask[PCI_CFG_SIZE]; /* bits a config write may change (command, BARs apart) */
        struct pci_bar bar[PCI_NBARS];
        pci_bar_fn access;
        void *opaque;                /* of access and cfg_hook */
        pci_cfg_fn cfg_hook;         /* serves [hook_off, hook_off + hook_len) */
        uint32_t hook_off, hook_len; /* dword-aligned, inside PCI_CFG_SIZE */
        bool intx_pending;           /* the owner's level */
        bool intx_line;              /* what the bridge drives */
};

struct pci_host {
        uint32_t latch; /* port 0xcf8 */
        struct pci_window io, mem;
        struct pci_func fn[PCI_MAX_DEVS];
        pci_irq_fn set_irq;
        void *irq_opaque;
};

/*
 * An empty bus whose BARs may map only inside io and mem; the host bridge
 * (vendor, device) is put at 00:00.0. set_irq may be NULL.
 */
void pci_init(struct pci_host *h, const struct pci_window *io, const struct pci_window *mem,
              uint16_t vendor, uint16_t device, pci_irq_fn set_irq, void *irq_opaque);
/*
 * Claims device number dev (1..31) with its IDs and class; the caller then
 * adds BARs (pci_add_bar) and capabilities to fn->cfg. NULL when dev is out of
 * range or taken.
 */
struct pci_func *pci_add(struct pci_host *h, unsigned dev, const char *name, uint16_t vendor,
                         uint16_t device, uint32_t class_rev, pci_bar_fn access, void *opaque);
/* Declares BAR bar of size bytes (a power of 2, >= 16 for memory, >= 4 for I/O). 0 or -EINVAL. */
int pci_add_bar(struct pci_func *f, unsigned bar, uint32_t size, bool io);

/*
 * Config accesses of f inside [off, off + len) go to fn (with f's opaque)
 * instead of the header bytes. off and len multiples of 4, off >= 0x40 (past
 * the standard header), off + len <= 256; 0 or -EINVAL.
 */
int pci_hook_cfg(struct pci_func *f, uint32_t off, uint32_t len, pci_cfg_fn fn);
/*
 * An access of len bytes at offset off inside BAR bar of dev, delivered to
 * the function whether the BAR decodes or not. NULL when done; otherwise why
 * not ("no such BAR", "past the BAR's end"), and nothing was done (data is
 * left as it was).
 */
const char *pci_bar_window(struct pci_host *h, unsigned dev, unsigned bar, uint64_t off,
                           uint8_t *data, uint32_t len, bool is_write);

/* One access to ports 0xcf8-0xcff; port is the offset from 0xcf8. */
void pci_cfg_io(struct pci_host *h, uint32_t port, uint8_t *data, uint32_t len, bool is_write);
/*
 * Configuration register access of dev at off (len 1, 2 or 4, not crossing a
 * 4-byte boundary): what mechanism #1 and an ECAM window would both call.
 * Anything else, an absent function or off >= 256 reads all ones.
 */
void pci_cfg_access(struct pci_host *h, unsigned dev, uint32_t off, uint8_t *data, uint32_t len,
                    bool is_write);
/*
 * An access at addr in memory or I/O space: delivered to the mapped BAR
 * holding it whole; false (nothing done) when none does.
 */
bool pci_mmio(struct pci_host *h, uint64_t addr, uint8_t *data, uint32_t len, bool is_write);
bool pci_pio(struct pci_host *h, uint64_t port, uint8_t *data, uint32_t len, bool is_write);
/* Programs a BAR and the command register as firmware would (the VMM, at boot). */
void pci_place_bar(struct pci_host *h, unsigned dev, unsigned bar, uint32_t addr);
void pci_set_command(struct pci_host *h, unsigned dev, uint16_t cmd);
/* The owner's INTx level for dev. */
void pci_set_intx(struct pci_host *h, unsigned dev, bool level);

#endif
