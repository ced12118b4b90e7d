/*
 * vblkfx: the fixture test_virtio_blk and test_virtio_batch share:
 * virtio-blk (devices/virtio_blk.h) over virtio-mmio on fake guest RAM
 * (vfake.h), backed by a fresh test image (testimage.h, the layout of
 * tools/testdisk.h) in ti_tmpdir(), and a driver that writes chains at the
 * next free descriptors of one queue of VBFX_QN entries at VBFX_RING.
 * Header-only: each test binary includes it.
 */
#ifndef MINIVMM_TESTS_VBLKFX_H
#define MINIVMM_TESTS_VBLKFX_H

#include "devices/disk.h"
#include "devices/virtio_blk.h"
#include "vfake.h"

#define VBFX_RING 0x1000ULL
#define VBFX_QN   256u

struct vbfx {
        struct vfake f;
        struct disk disk;
        struct vblk b;
        struct vmmio t;
        struct vf_ring r;
        char path[4096]; /* in ti_tmpdir() */
        uint16_t next_head;
};

/* One buffer of a request. */
struct seg {
        uint64_t gpa;
        uint32_t len;
        uint16_t flags;
};

/* Fake RAM and a fresh image of n sectors, opened read-write; 0 or -1. */
static inline int vbfx_setup(struct vbfx *x, const char *tag, uint64_t n)
{
        char err[256];

        if (vf_setup(&x->f) < 0 || ti_make(x->path, sizeof(x->path), tag, n) < 0)
                return -1;
        return disk_open(&x->disk, x->path, false, err, sizeof(err));
}

static inline void vbfx_teardown(struct vbfx *x)
{
        disk_close(&x->disk);
        unlink(x->path);
        vf_teardown(&x->f);
}

/* Binds device (serial id) and transport (version 1 when legacy) to the open
 * disk and runs the driver's initialization with features. */
static inline void vbfx_up(struct vbfx *x, const char *id, bool legacy, uint64_t features)
{
        assert_int_equal(vblk_init(&x->b, &x->disk, id), 0);
        vmmio_init(&x->t, &x->f.gm, &vblk_ops, &x->b, legacy, vf_set_irq, &x->f);
        vf_ring_at(&x->f, &x->r, VBFX_RING, VBFX_QN, 4096);
        x->next_head = 0;
        if (legacy)
                vf_v1_init(&x->t, &x->r, features);
        else
                vf_v2_init(&x->t, &x->r, features);
}

/* Writes the chain s[0..n) at the next free descriptors and publishes it (no
 * notify); returns its head. */
static inline uint16_t vbfx_publish(struct vbfx *x, const struct seg *s, unsigned n)
{
        uint16_t head = x->next_head;

        for (unsigned i = 0; i < n; i++) {
                uint16_t idx = (uint16_t)((head + i) % VBFX_QN);

                vf_desc(&x->f, x->r.desc, idx, s[i].gpa, s[i].len,
                        (uint16_t)(s[i].flags | (i + 1 < n ? VRING_DESC_F_NEXT : 0)),
                        (uint16_t)((idx + 1) % VBFX_QN));
        }
        x->next_head = (uint16_t)((head + n) % VBFX_QN);
        vf_publish(&x->f, &x->r, head);
        return head;
}

#endif
