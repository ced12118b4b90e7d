/*
 * bus: an address space of registered regions, used twice: once for MMIO
 * (guest-physical addresses) and once for port I/O.
 *
 * Regions are [base, base + len), kept sorted by base; registration refuses an
 * empty or wrapping region and any overlap. A lookup finds the region that
 * holds the whole access and hands its handler the offset inside the region.
 * An access that no region holds is reported to the caller, which decides
 * what the guest sees. Nothing here knows KVM or any device.
 */
#ifndef MINIVMM_BUS_H
#define MINIVMM_BUS_H

#include <stdbool.h>
#include <stdint.h>

#define BUS_MAX_REGIONS 32

typedef void (*bus_handler_fn)(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
                               bool is_write);

struct bus_region {
        uint64_t base;
        uint64_t len;
        const char *name;
        bus_handler_fn handler;
        void *opaque;
};

struct bus {
        struct bus_region regions[BUS_MAX_REGIONS];
        unsigned n;
};

void bus_init(struct bus *b);
/* 0, or -EINVAL (len 0 or base + len wraps), -EEXIST (overlap), -ENOSPC (full). */
int bus_register(struct bus *b, uint64_t base, uint64_t len, const char *name,
                 bus_handler_fn handler, void *opaque);
/* The region holding [addr, addr + len), or NULL. */
const struct bus_region *bus_find(const struct bus *b, uint64_t addr, uint32_t len);
/* Calls the handler of the region holding the access; false when none does. */
bool bus_dispatch(const struct bus *b, uint64_t addr, uint8_t *data, uint32_t len, bool is_write);

#endif
