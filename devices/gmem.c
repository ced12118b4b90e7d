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

int gmem_add(struct gmem *gm, uint64_t gpa, uint64_t size, void *host)
{
        struct gmem_region *r;
        uint64_t end;
        unsigned i;

        if (size == 0 || host == NULL)
                return -EINVAL;
        if (__builtin_add_overflow(gpa, size, &end))
                return -EINVAL;
        for (i = 0; i < gm->nregions; i++) {
                r = &gm->regions[i];
                /* Existing regions were checked the same way: r->gpa + r->size fits. */
                if (gmem_ranges_overlap(gpa, end, r->gpa, r->gpa + r->size))
                        return -EINVAL;
        }
        if (gm->nregions >= GMEM_MAX_REGIONS)
                return -ENOSPC;
        r = &gm->regions[gm->nregions++];
        r->gpa = gpa;
        r->size = size;
        r->host = host;
        return 0;
}

/* The region holding all of [gpa, gpa + len), or NULL. */
static const struct gmem_region *gmem_find(const struct gmem *gm, uint64_t gpa, uint64_t len)
{
        const struct gmem_region *r;
        uint64_t off;
        unsigned i;

        for (i = 0; i < gm->nregions && i < GMEM_MAX_REGIONS; i++) {
                r = &gm->regions[i];
                if (gpa < r->gpa)
                        continue;
                off = gpa - r->gpa;
                /* off <= size first, so size - off cannot wrap. */
                if (off <= r->size && len <= r->size - off)
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
