/*
 * gmem: the one way device code reaches guest memory.
 *
 * Guest RAM is a short list of non-overlapping regions, each a range of
 * guest-physical addresses backed by one contiguous host mapping. Every
 * access names a guest range (gpa, len); the accessor refuses any range that
 * is not entirely inside one region, with overflow-safe arithmetic, so a
 * device can never compute a host pointer outside guest RAM.
 * Within one region the host memory is contiguous: a range accepted by
 * gmem_ptr() may be used as one host buffer of len bytes.
 * A zero-length range is accepted when its address lies in a region or at
 * its end (the same rule: base <= gpa && gpa + len <= base + size).
 * No KVM here: the VMM fills the table, unit tests fill it with malloc'd
 * buffers.
 */
#ifndef MINIVMM_GMEM_H
#define MINIVMM_GMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GMEM_MAX_REGIONS 4

struct gmem_region {
        uint64_t gpa;
        uint64_t size;
        uint8_t *host;
};

struct gmem {
        struct gmem_region regions[GMEM_MAX_REGIONS];
        unsigned nregions;
};

void gmem_init(struct gmem *gm);
/* 0, or -EINVAL (size 0, gpa + size overflows, overlap), -ENOSPC (table full). */
int gmem_add(struct gmem *gm, uint64_t gpa, uint64_t size, void *host);
/* True when [gpa, gpa + len) lies entirely inside one region. */
bool gmem_contains(const struct gmem *gm, uint64_t gpa, uint64_t len);
/* Host pointer for [gpa, gpa + len), or NULL when the range is refused. */
void *gmem_ptr(const struct gmem *gm, uint64_t gpa, uint64_t len);
/* Copies between guest and host; 0, or -EFAULT (nothing copied) when refused. */
int gmem_read(const struct gmem *gm, uint64_t gpa, void *dst, uint64_t len);
int gmem_write(const struct gmem *gm, uint64_t gpa, const void *src, uint64_t len);

#endif
