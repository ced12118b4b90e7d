/*
 * gmem: guest-physical ranges to host memory (contract: gmem.h).
 *
 * A range is accepted only when it lies entirely inside one region:
 * base <= gpa && gpa + len <= base + size. The test is written as
 * offset/length comparisons so no sum can wrap, whatever gpa and len are.
 */
#include "gmem.h"

#include <errno.h>
#include <string.h>

void gmem_init(struct gmem *gm)
{
        memset(gm, 0, sizeof(*gm));
}

/* Half-open ranges [a, a_end) and [b, b_end) share at least one address. */
static bool gmem_ranges_overlap(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end)
{
        return a < b_end && b < a_end;
}

static int gmem_add_region(struct gmem *gm, uint64_t gpa, uint64_t size, void *host, bool has_uva,
                           uint64_t uva)
{
        struct gmem_region *r;
        uint64_t end, uva_end = 0;
        unsigned i;

        if (size == 0 || host == NULL)
                return -EINVAL;
        if (__builtin_add_overflow(gpa, size, &end))
                return -EINVAL;
        if (has_uva && __builtin_add_overflow(uva, size, &uva_end))
                return -EINVAL;
        for (i = 0; i < gm->nregions; i++) {
                r = &gm->regions[i];
                /* Existing regions were checked the same way: r->gpa + r->size fits. */
                if (gmem_ranges_overlap(gpa, end, r->gpa, r->gpa + r->size))
                        return -EINVAL;
                if (has_uva && r->has_uva &&
                    gmem_ranges_overlap(uva, uva_end, r->uva, r->uva + r->size))
                        return -EINVAL;
        }
        if (gm->nregions >= GMEM_MAX_REGIONS)
                return -ENOSPC;
        r = &gm->regions[gm->nregions++];
        r->gpa = gpa;
        r->size = size;
        r->host = host;
        r->has_uva = has_uva;
        r->uva = has_uva ? uva : 0;
        return 0;
}

int gmem_add(struct gmem *gm, uint64_t gpa, uint64_t size, void *host)
{
        return gmem_add_region(gm, gpa, size, host, false, 0);
}

int gmem_add_uva(struct gmem *gm, uint64_t gpa, uint64_t size, void *host, uint64_t uva)
{
        return gmem_add_region(gm, gpa, size, host, true, uva);
}

/* [base, base + size) holds all of [addr, addr + len); no sum can wrap. */
static bool gmem_range_inside(uint64_t base, uint64_t size, uint64_t addr, uint64_t len)
{
        uint64_t off;

        if (addr < base)
                return false;
        off = addr - base;
        /* off <= size first, so size - off cannot wrap. */
        return off <= size && len <= size - off;
}

int gmem_uva_to_gpa(const struct gmem *gm, uint64_t uva, uint64_t len, uint64_t *gpa)
{
        const struct gmem_region *r;
        unsigned i;

        for (i = 0; i < gm->nregions && i < GMEM_MAX_REGIONS; i++) {
                r = &gm->regions[i];
                if (r->has_uva && gmem_range_inside(r->uva, r->size, uva, len)) {
                        *gpa = r->gpa + (uva - r->uva); /* < r->gpa + r->size: fits */
                        return 0;
                }
        }
        return -EFAULT;
}

/* The region holding all of [gpa, gpa + len), or NULL. */
static const struct gmem_region *gmem_find(const struct gmem *gm, uint64_t gpa, uint64_t len)
{
        const struct gmem_region *r;
        unsigned i;

        for (i = 0; i < gm->nregions && i < GMEM_MAX_REGIONS; i++) {
                r = &gm->regions[i];
                if (gmem_range_inside(r->gpa, r->size, gpa, len))
                        return r;
        }
        return NULL;
}

bool gmem_contains(const struct gmem *gm, uint64_t gpa, uint64_t len)
{
        return gmem_find(gm, gpa, len) != NULL;
}

void *gmem_ptr(const struct gmem *gm, uint64_t gpa, uint64_t len)
{
        const struct gmem_region *r = gmem_find(gm, gpa, len);

        if (r == NULL)
                return NULL;
        return r->host + (gpa - r->gpa);
}

int gmem_read(const struct gmem *gm, uint64_t gpa, void *dst, uint64_t len)
{
        const void *src = gmem_ptr(gm, gpa, len);

        if (src == NULL)
                return -EFAULT;
        /* len fits size_t: it is at most the size of one host mapping. */
        if (len > 0)
                memcpy(dst, src, (size_t)len);
        return 0;
}

int gmem_write(const struct gmem *gm, uint64_t gpa, const void *src, uint64_t len)
{
        void *dst = gmem_ptr(gm, gpa, len);

        if (dst == NULL)
                return -EFAULT;
        if (len > 0)
                memcpy(dst, src, (size_t)len);
        return 0;
}
