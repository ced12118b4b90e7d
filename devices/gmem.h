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
 *
 * A region may also carry the address the same bytes have in another
 * process (a vhost-user front end's virtual address, docs/vhost-user.md):
 * the front end names ring areas by that address, and gmem_uva_to_gpa()
 * turns such a range into guest-physical under the same rule, so every
 * later access is still checked by gpa. Those ranges must not overlap or
 * wrap either.
 */
#ifndef MINIVMM_GMEM_H
#define MINIVMM_GMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* vhost-user front ends send up to 8 regions (docs/vhost-user.md). */
#define GMEM_MAX_REGIONS 8

struct gmem_region {
        uint64_t gpa;
        uint64_t size;
        uint8_t *host;
        bool has_uva; /* uva is meaningful (added by gmem_add_uva) */
        uint64_t uva; /* the front end's address of gpa */
};

struct gmem {
        struct gmem_region regions[GMEM_MAX_REGIONS];
        unsigned nregions;
};

void gmem_init(struct gmem *gm);
/* 0, or -EINVAL (size 0, gpa + size overflows, overlap), -ENOSPC (table full). */
int gmem_add(struct gmem *gm, uint64_t gpa, uint64_t size, void *host);
/*
 * gmem_add, plus the front end's address of gpa: -EINVAL also when
 * uva + size overflows or [uva, uva + size) overlaps another region's.
 */
int gmem_add_uva(struct gmem *gm, uint64_t gpa, uint64_t size, void *host, uint64_t uva);
/*
 * The guest-physical address of front-end range [uva, uva + len) when it
 * lies entirely inside one region that has a uva: 0, else -EFAULT.
 */
int gmem_uva_to_gpa(const struct gmem *gm, uint64_t uva, uint64_t len, uint64_t *gpa);
/* True when [gpa, gpa + len) lies entirely inside one region. */
bool gmem_contains(const struct gmem *gm, uint64_t gpa, uint64_t len);
/* Host pointer for [gpa, gpa + len), or NULL when the range is refused. */
void *gmem_ptr(const struct gmem *gm, uint64_t gpa, uint64_t len);
/* Copies between guest and host; 0, or -EFAULT (nothing copied) when refused. */
int gmem_read(const struct gmem *gm, uint64_t gpa, void *dst, uint64_t len);
int gmem_write(const struct gmem *gm, uint64_t gpa, const void *src, uint64_t len);

#endif
