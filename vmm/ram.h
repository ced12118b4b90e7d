/*
 * ram: guest RAM and its layout. RAM starts at guest-physical 0 and stops at
 * the MMIO hole (0xc0000000); what does not fit below the hole continues at
 * 4 GiB. Each part is one anonymous host mapping, one KVM memory slot and one
 * gmem region, so devices see exactly what the guest sees.
 */
#ifndef MINIVMM_RAM_H
#define MINIVMM_RAM_H

#include <stdint.h>

#include "devices/gmem.h"
#include "kvm.h"

#define RAM_HOLE_START 0xc0000000ULL
#define RAM_HIGH_START 0x100000000ULL

struct ram {
        uint64_t size;
        uint8_t *low;
        uint64_t low_size; /* at gpa 0 */
        uint8_t *high;
        uint64_t high_size; /* at RAM_HIGH_START, 0 when all RAM fits below the hole */
};

/* Splits size into the two parts without allocating (used before KVM is opened). */
void ram_layout(struct ram *r, uint64_t size);
/* Allocates the parts, maps them into the VM and adds them to gm. */
void ram_create(struct ram *r, struct kvm *k, struct gmem *gm);

#endif
