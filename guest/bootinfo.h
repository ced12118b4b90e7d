/*
 * bootinfo: what the guest learns from the FDT minivmm passes in RDI, read
 * once at boot through libfdt and copied out, so later tests need not trust
 * the FDT's memory (it sits at the top of low RAM).
 */
#ifndef GUEST_BOOTINFO_H
#define GUEST_BOOTINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BOOT_MAX_RAM      4
#define BOOT_BOOTARGS_MAX 1024
#define BOOT_MAX_VIRTIO   8

struct ram_range {
        uint64_t base;
        uint64_t size;
};

/* One "virtio,mmio" node, with its interrupt resolved through the
 * interrupt-parent phandle to an "intel,ce4100-ioapic" node. */
struct boot_virtio {
        uint64_t base;
        uint64_t size;
        bool has_irq;   /* the interrupt description below is usable */
        uint32_t gsi;   /* first cell of interrupts */
        uint32_t sense; /* second cell, as Linux reads it: 0 edge falling, 1 level high, 2 level
                           low, 3 edge rising */
        uint64_t ioapic_base; /* reg of the interrupt parent */
        char irq_problem[80]; /* why !has_irq */
};

struct boot_info {
        uint64_t fdt_addr;
        uint32_t fdt_size;
        bool fdt_reserved; /* the FDT lies inside a memory reservation block entry */
        struct ram_range ram[BOOT_MAX_RAM];
        unsigned nram;
        bool has_bootargs;
        char bootargs[BOOT_BOOTARGS_MAX]; /* "" when absent */
        bool has_svirtb;
        uint64_t svirtb_base;
        uint64_t svirtb_size;
        bool svirtb_ro;
        struct boot_virtio virtio[BOOT_MAX_VIRTIO]; /* in FDT order */
        unsigned nvirtio;
        /* Some node is compatible with "minivmm,pci-cf8" (docs/virtio-pci.md):
         * minivmm's PCI host, found by the one walk of the tree. */
        bool has_pci;
        /* Booted through the PVH entry (guest/pvh.c: QEMU), not by minivmm:
         * no FDT; fdt_addr is then the end of usable low RAM, fdt_size 0. */
        bool pvh;
        uint64_t pvh_info; /* guest-physical address of hvm_start_info */
};

/* Fills bi from the FDT at fdt. 0, or -1 with a one-line reason in err. */
int boot_info_read(struct boot_info *bi, const void *fdt, char *err, size_t errlen);
/* End of the RAM range that starts at 0 (0 if none). */
uint64_t boot_low_ram_end(const struct boot_info *bi);
/* Sum of all RAM ranges. */
uint64_t boot_ram_total(const struct boot_info *bi);
/* True when [addr, addr + len) lies inside one RAM range. */
bool boot_in_ram(const struct boot_info *bi, uint64_t addr, uint64_t len);

#endif
