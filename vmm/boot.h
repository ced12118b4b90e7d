/*
 * boot: the boot contract of docs/boot.md. Loads a flat binary at 0x100000
 * and starts the vCPU in 64-bit long mode with an identity map of 0-4 GiB,
 * a flat GDT, interrupts off, RSP at 0x100000 and RDI pointing at the device
 * tree, which lies in the top BOOT_FDT_MAX bytes of low RAM.
 *
 * Low RAM below the guest is laid out as:
 *   0x1000 GDT   0x2000 PML4   0x3000 PDPT   0x4000-0x7fff page directories
 *   0xf0000-0xfffff stack (64 KiB, grows down from 0x100000)
 * Page 0 is left alone (guests that keep FS base 0 read a stack canary there).
 */
#ifndef MINIVMM_BOOT_H
#define MINIVMM_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "devices/gmem.h"

#define BOOT_GUEST_ADDR 0x100000ULL
#define BOOT_STACK_TOP  0x100000ULL
#define BOOT_FDT_MAX    0x10000ULL

struct boot_image {
        const char *path;
        uint8_t *data;
        size_t size;
};

/* Reads the guest file; dies with status 2 naming the problem. */
void boot_read_image(struct boot_image *img, const char *path);
/* Where the device tree goes for a low RAM of low_size bytes. */
uint64_t boot_fdt_addr(uint64_t low_size);
/* Dies with status 2 when the image does not fit between 0x100000 and the tree. */
void boot_check_fit(const struct boot_image *img, uint64_t low_size, uint64_t mem);
/* Copies the image into RAM and writes the GDT and page tables. */
void boot_load(const struct boot_image *img, const struct gmem *gm);
/* Puts the vCPU in long mode at the guest's entry with RDI = fdt_gpa. */
void boot_set_cpu(int vcpu_fd, uint64_t fdt_gpa);

#endif
