/* bus: see bus.h. A sorted array and a binary search; regions are few. */
#include "bus.h"

#include <errno.h>
#include <string.h>

void bus_init(struct bus *b)
{
        memset(b, 0, sizeof(*b));
}

int bus_register(struct bus *b, uint64_t base, uint64_t len, const char *name,
                 bus_handler_fn handler, void *opaque)
{
        uint64_t end;
        unsigned i;

        if (len == 0 || __builtin_add_overflow(base, len - 1, &end))
                return -EINVAL;
        if (b->n == BUS_MAX_REGIONS)
                return -ENOSPC;
        /* Find the insertion point, then check both neighbours. */
        for (i = 0; i < b->n && b->regions[i].base < base; i++)
                ;
        if (i > 0) {
                const struct bus_region *prev = &b->regions[i - 1];
                if (prev->base + (prev->len - 1) >= base)
                        return -EEXIST;
        }
        if (i < b->n && b->regions[i].base <= end)
                return -EEXIST;
        memmove(&b->regions[i + 1], &b->regions[i], (b->n - i) * sizeof(b->regions[0]));
        b->regions[i] = (struct bus_region){base, len, name, handler, opaque};
        b->n++;
        return 0;
}

const struct bus_region *bus_find(const struct bus *b, uint64_t addr, uint32_t len)
{
        unsigned lo = 0, hi = b->n;
        uint64_t last;

        if (len == 0 || __builtin_add_overflow(addr, (uint64_t)len - 1, &last))
                return NULL;
        /* Last region with base <= addr. */
        while (lo < hi) {
                unsigned mid = lo + (hi - lo) / 2;
                if (b->regions[mid].base <= addr)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo == 0)
                return NULL;
        const struct bus_region *r = &b->regions[lo - 1];
        if (last - r->base > r->len - 1)
                return NULL;
        return r;
}

bool bus_dispatch(const struct bus *b, uint64_t addr, uint8_t *data, uint32_t len, bool is_write)
{
        const struct bus_region *r = bus_find(b, addr, len);

        if (!r)
                return false;
        r->handler(r->opaque, addr - r->base, data, len, is_write);
        return true;
}
