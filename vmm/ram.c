/* ram: see ram.h. */
#include "ram.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "fail.h"

void ram_layout(struct ram *r, uint64_t size)
{
        memset(r, 0, sizeof(*r));
        r->size = size;
        r->low_size = size < RAM_HOLE_START ? size : RAM_HOLE_START;
        r->high_size = size - r->low_size;
}

static uint8_t *ram_alloc(uint64_t size)
{
        void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

        if (p == MAP_FAILED)
                fail(FAIL_INTERNAL, "cannot allocate %llu bytes of guest RAM: %s",
                     (unsigned long long)size, strerror(errno));
        return p;
}

static void ram_add(struct kvm *k, struct gmem *gm, uint64_t gpa, uint64_t size, uint8_t *host)
{
        kvm_map(k, gpa, size, host, false);
        if (gmem_add(gm, gpa, size, host))
                fail(FAIL_INTERNAL, "guest memory table refused RAM at 0x%llx",
                     (unsigned long long)gpa);
}

void ram_create(struct ram *r, struct kvm *k, struct gmem *gm)
{
        r->low = ram_alloc(r->low_size);
        ram_add(k, gm, 0, r->low_size, r->low);
        if (r->high_size) {
                r->high = ram_alloc(r->high_size);
                ram_add(k, gm, RAM_HIGH_START, r->high_size, r->high);
        }
}
