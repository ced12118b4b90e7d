/*
 * vfake: a fake machine for the virtio unit tests, header-only (every
 * tests/unit/test_*.c is its own binary).
 *
 * Guest RAM is malloc'd buffers registered in a struct gmem: "ram" at 0
 * (1 MiB), "b" right after it in guest space but a separate host buffer, and
 * "high" above 4 GiB. VF_MMIO_GPA lies in the MMIO hole: no RAM there.
 * Rings are built in fake RAM in little-endian, at the legacy-compatible
 * layout (vring_init), and the transport is driven only through
 * vmmio_access(), register by register, as a driver would (v2 and v1).
 */
#ifndef MINIVMM_TESTS_VFAKE_H
#define MINIVMM_TESTS_VFAKE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/gmem.h"
#include "devices/trace.h"
#include "devices/virtio.h"
#include "devices/virtio_mmio.h"
#include "testimage.h"

#define VF_RAM_GPA   0x0ULL
#define VF_RAM_SIZE  0x100000ULL
#define VF_B_GPA     (VF_RAM_GPA + VF_RAM_SIZE) /* adjacent in guest space only */
#define VF_B_SIZE    0x10000ULL
#define VF_RAM_END   (VF_B_GPA + VF_B_SIZE)
#define VF_HIGH_GPA  0x100000000ULL
#define VF_HIGH_SIZE 0x10000ULL
#define VF_MMIO_GPA  0xd0000000ULL /* where a virtio-mmio device would sit */
#define VF_FILL      0x5a          /* untouched guest RAM */

struct vfake {
        struct gmem gm;
        uint8_t *ram, *b, *high;
        bool irq_level;
        unsigned irq_changes;
};

static inline int vf_setup(struct vfake *f)
{
        memset(f, 0, sizeof(*f));
        f->ram = malloc(VF_RAM_SIZE);
        f->b = malloc(VF_B_SIZE);
        f->high = malloc(VF_HIGH_SIZE);
        if (f->ram == NULL || f->b == NULL || f->high == NULL)
                return -1;
        memset(f->ram, VF_FILL, VF_RAM_SIZE);
        memset(f->b, VF_FILL, VF_B_SIZE);
        memset(f->high, VF_FILL, VF_HIGH_SIZE);
        gmem_init(&f->gm);
        if (gmem_add(&f->gm, VF_RAM_GPA, VF_RAM_SIZE, f->ram) ||
            gmem_add(&f->gm, VF_B_GPA, VF_B_SIZE, f->b) ||
            gmem_add(&f->gm, VF_HIGH_GPA, VF_HIGH_SIZE, f->high))
                return -1;
        return 0;
}

static inline void vf_teardown(struct vfake *f)
{
        free(f->ram);
        free(f->b);
        free(f->high);
}

/* Host view of guest RAM, for the test's own reads and writes. */
static inline uint8_t *vf_ptr(struct vfake *f, uint64_t gpa, uint64_t len)
{
        uint8_t *p = gmem_ptr(&f->gm, gpa, len);

        assert_non_null(p);
        return p;
}

static inline void vf_put(struct vfake *f, uint64_t gpa, uint64_t v, unsigned bytes)
{
        uint8_t *p = vf_ptr(f, gpa, bytes);

        for (unsigned i = 0; i < bytes; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t vf_get(struct vfake *f, uint64_t gpa, unsigned bytes)
{
        const uint8_t *p = vf_ptr(f, gpa, bytes);
        uint64_t v = 0;

        for (unsigned i = 0; i < bytes; i++)
                v |= (uint64_t)p[i] << (8 * i);
        return v;
}

/* --- rings ---------------------------------------------------------------- */

struct vf_ring {
        uint64_t desc, avail, used;
        uint16_t num;
        uint16_t avail_idx; /* the driver's next avail index */
};

/* vring_init layout at base, used aligned to align; the three areas zeroed. */
static inline void vf_ring_at(struct vfake *f, struct vf_ring *r, uint64_t base, uint16_t num,
                              uint32_t align)
{
        uint64_t avail_end;

        r->num = num;
        r->desc = base;
        r->avail = base + 16ULL * num;
        avail_end = r->avail + 6 + 2ULL * num;
        r->used = (avail_end + align - 1) & ~((uint64_t)align - 1);
        r->avail_idx = 0;
        memset(vf_ptr(f, r->desc, 16ULL * num), 0, 16ULL * num);
        memset(vf_ptr(f, r->avail, 6 + 2ULL * num), 0, 6 + 2ULL * num);
        memset(vf_ptr(f, r->used, 6 + 8ULL * num), 0, 6 + 8ULL * num);
}

/* Descriptor i of the table at gpa (the ring's or an indirect one). */
static inline void vf_desc(struct vfake *f, uint64_t table, uint32_t i, uint64_t addr, uint32_t len,
                           uint16_t flags, uint16_t next)
{
        uint64_t d = table + 16ULL * i;

        vf_put(f, d, addr, 8);
        vf_put(f, d + 8, len, 4);
        vf_put(f, d + 12, flags, 2);
        vf_put(f, d + 14, next, 2);
}

static inline void vf_set_avail_idx(struct vfake *f, struct vf_ring *r, uint16_t idx)
{
        vf_put(f, r->avail + 2, idx, 2);
}

/* Adds head to the avail ring and publishes it (entry, then idx). */
static inline void vf_publish(struct vfake *f, struct vf_ring *r, uint16_t head)
{
        vf_put(f, r->avail + 4 + 2ULL * (r->avail_idx % r->num), head, 2);
        r->avail_idx++;
        vf_set_avail_idx(f, r, r->avail_idx);
}

static inline uint16_t vf_used_idx(struct vfake *f, const struct vf_ring *r)
{
        return (uint16_t)vf_get(f, r->used + 2, 2);
}

/* Used element i (mod num): id and len. */
static inline void vf_used_elem(struct vfake *f, const struct vf_ring *r, uint16_t i, uint32_t *id,
                                uint32_t *len)
{
        uint64_t e = r->used + 4 + 8ULL * (i % r->num);

        *id = (uint32_t)vf_get(f, e, 4);
        *len = (uint32_t)vf_get(f, e + 4, 4);
}

/* Reported at the caller's line: a failure names the test's own expectation. */
#define vf_assert_used(f, r, i, id, len) vf_assert_used_at(f, r, i, id, len, __FILE__, __LINE__)
static inline void vf_assert_used_at(struct vfake *f, const struct vf_ring *r, uint16_t i,
                                     uint32_t id, uint32_t len, const char *file, int line)
{
        uint32_t got_id, got_len;

        vf_used_elem(f, r, i, &got_id, &got_len);
        if (got_id != id || got_len != len) {
                print_error("ERROR: used ring entry %u is {id %u, len %u}, want {id %u, len %u}\n",
                            i, got_id, got_len, id, len);
                _fail(file, line);
        }
}

/* --- the transport, driven like a driver ---------------------------------- */

static inline void vf_set_irq(void *opaque, bool level)
{
        struct vfake *f = opaque;

        /* The contract: called only when the level changes. */
        assert_true(level != f->irq_level);
        f->irq_level = level;
        f->irq_changes++;
}

static inline void vf_wr(struct vmmio *t, uint64_t off, uint32_t v)
{
        uint8_t d[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

        vmmio_access(t, off, d, 4, true);
}

static inline uint32_t vf_rd(struct vmmio *t, uint64_t off)
{
        uint8_t d[4] = {0xee, 0xee, 0xee, 0xee};

        vmmio_access(t, off, d, 4, false);
        return (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
}

#define VF_ACK       VIRTIO_STATUS_ACKNOWLEDGE
#define VF_DRV       (VF_ACK | VIRTIO_STATUS_DRIVER)
#define VF_FEAT_OK   (VF_DRV | VIRTIO_STATUS_FEATURES_OK)
#define VF_DRIVER_OK (VF_FEAT_OK | VIRTIO_STATUS_DRIVER_OK)

static inline void vf_write_features(struct vmmio *t, uint64_t features)
{
        vf_wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
        vf_wr(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
        vf_wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
        vf_wr(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
}

static inline uint64_t vf_device_features(struct vmmio *t)
{
        uint64_t f;

        vf_wr(t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
        f = vf_rd(t, VIRTIO_MMIO_DEVICE_FEATURES);
        vf_wr(t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
        return f | (uint64_t)vf_rd(t, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
}

/* v2 (§4.2.3.2): select, size, three addresses, ready. */
static inline void vf_v2_queue(struct vmmio *t, uint32_t q, const struct vf_ring *r)
{
        vf_wr(t, VIRTIO_MMIO_QUEUE_SEL, q);
        vf_wr(t, VIRTIO_MMIO_QUEUE_NUM, r->num);
        vf_wr(t, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)r->desc);
        vf_wr(t, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(r->desc >> 32));
        vf_wr(t, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)r->avail);
        vf_wr(t, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(r->avail >> 32));
        vf_wr(t, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)r->used);
        vf_wr(t, VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(r->used >> 32));
        vf_wr(t, VIRTIO_MMIO_QUEUE_READY, 1);
}

/* v2 up to FEATURES_OK (§3.1.1); returns the status read back. */
static inline uint32_t vf_v2_negotiate(struct vmmio *t, uint64_t features)
{
        vf_wr(t, VIRTIO_MMIO_STATUS, 0);
        vf_wr(t, VIRTIO_MMIO_STATUS, VF_ACK);
        vf_wr(t, VIRTIO_MMIO_STATUS, VF_DRV);
        vf_write_features(t, features);
        vf_wr(t, VIRTIO_MMIO_STATUS, VF_FEAT_OK);
        return vf_rd(t, VIRTIO_MMIO_STATUS);
}

/* The whole v2 sequence with queue 0 at r. */
static inline void vf_v2_init(struct vmmio *t, const struct vf_ring *r, uint64_t features)
{
        assert_int_equal(vf_v2_negotiate(t, features), VF_FEAT_OK);
        vf_v2_queue(t, 0, r);
        vf_wr(t, VIRTIO_MMIO_STATUS, VF_DRIVER_OK);
        assert_int_equal(vf_rd(t, VIRTIO_MMIO_STATUS), VF_DRIVER_OK);
}

/* v1 (§4.2.4): page size, no FEATURES_OK, QueueNum/QueueAlign/QueuePFN. */
static inline void vf_v1_queue(struct vmmio *t, uint32_t q, const struct vf_ring *r, uint32_t page,
                               uint32_t align)
{
        vf_wr(t, VIRTIO_MMIO_QUEUE_SEL, q);
        vf_wr(t, VIRTIO_MMIO_QUEUE_NUM, r->num);
        vf_wr(t, VIRTIO_MMIO_QUEUE_ALIGN, align);
        vf_wr(t, VIRTIO_MMIO_QUEUE_PFN, (uint32_t)(r->desc / page));
}

static inline void vf_v1_init(struct vmmio *t, const struct vf_ring *r, uint64_t features)
{
        vf_wr(t, VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096); /* Linux: before the first reset */
        vf_wr(t, VIRTIO_MMIO_STATUS, 0);
        vf_wr(t, VIRTIO_MMIO_STATUS, VF_ACK);
        vf_wr(t, VIRTIO_MMIO_STATUS, VF_DRV);
        vf_wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
        vf_wr(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
        vf_v1_queue(t, 0, r, 4096, 4096);
        vf_wr(t, VIRTIO_MMIO_STATUS, VF_DRV | VIRTIO_STATUS_DRIVER_OK);
        assert_int_equal(vf_rd(t, VIRTIO_MMIO_STATUS), VF_DRV | VIRTIO_STATUS_DRIVER_OK);
}

static inline void vf_kick(struct vmmio *t, uint32_t q)
{
        vf_wr(t, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

/* --- trace ------------------------------------------------------------------ */

/*
 * Runs fn(arg) with --trace on, its lines captured into out (NUL-terminated,
 * cut at len - 1 bytes) through trace_sink, not by redirecting stderr: a
 * failed assertion inside fn (a longjmp out of here) leaves stderr alone, so
 * cmocka's message is still seen; trace lines then go to the sink's buffer.
 */
static inline void vf_capture_trace(char *out, size_t len, void (*fn)(void *), void *arg)
{
        static char buf[1 << 16];
        FILE *f = fmemopen(buf, sizeof(buf), "w");
        long n;

        assert_non_null(f);
        trace_sink = f;
        trace_enabled = true;
        fn(arg);
        trace_enabled = false;
        trace_sink = NULL;
        n = ftell(f);
        fclose(f);
        n = n < 0 ? 0 : n > (long)sizeof(buf) ? (long)sizeof(buf) : n;
        if ((size_t)n > len - 1)
                n = (long)(len - 1);
        memcpy(out, buf, (size_t)n);
        out[n] = '\0';
}

#endif
