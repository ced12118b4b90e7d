/*
 * vdrv: a virtio-blk device over virtio-mmio on fake guest RAM (vfake.h),
 * backed by a fresh test image, for tests that replay a driver's register
 * sequence and request layouts (test_drivers.c, test_virtio_spec.c).
 * Header-only: each test binary includes it.
 *
 * A request is built in fake RAM as the driver lays it out: a 16-byte
 * header, the data, a 1-byte status, as three direct descriptors or one
 * INDIRECT descriptor to a table of three (docs/virtio-mmio.md, "Real
 * drivers"). Completions are checked with vd_wait().
 */
#ifndef MINIVMM_TESTS_VDRV_H
#define MINIVMM_TESTS_VDRV_H

#include <errno.h>
#include <fcntl.h>

#include "devices/disk.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_mmio.h"
#include "testimage.h"
#include "vfake.h"

#define VD_SECTORS 512u
#define VD_HDR     0x9000ULL  /* request headers, 16 bytes per slot */
#define VD_STAT    0xa000ULL  /* status bytes, 1 per slot */
#define VD_TABLE   0xb000ULL  /* indirect tables, 0x100 bytes per slot */
#define VD_DATA    0x20000ULL /* data, 4 KiB per slot */

struct vdrv {
        struct vfake f;
        struct disk disk;
        struct vblk b;
        struct vmmio t;
        struct vf_ring r;
        char path[4096]; /* under TMPDIR, which lab/grade nests deep */
        bool legacy;
};

/* A device of version 1 (legacy) or 2 on a fresh image; io_uring when asked and allowed. */
static inline int vd_setup(struct vdrv *x, bool legacy, bool uring)
{
        char err[256];

        memset(x, 0, sizeof(*x));
        x->legacy = legacy;
        if (vf_setup(&x->f) < 0) {
                print_error("vdrv: no memory for the fake guest\n");
                return -1;
        }
        if (ti_make(x->path, sizeof(x->path), "vdrv", VD_SECTORS) < 0) {
                print_error("vdrv: cannot make an image in %s: %s\n", ti_tmpdir(), strerror(errno));
                return -1;
        }
        if (disk_open(&x->disk, x->path, false, err, sizeof(err)) < 0) {
                print_error("vdrv: %s\n", err);
                return -1;
        }
        if (uring && disk_use_uring(&x->disk, 16) < 0) {
                print_error("vdrv: io_uring refused\n");
                return -1;
        }
        if (vblk_init(&x->b, &x->disk, "vdrv-serial") < 0) {
                print_error("vdrv: vblk_init failed\n");
                return -1;
        }
        vmmio_init(&x->t, &x->f.gm, &vblk_ops, &x->b, legacy, vf_set_irq, &x->f);
        return 0;
}

static inline void vd_teardown(struct vdrv *x)
{
        disk_close(&x->disk);
        unlink(x->path);
        vf_teardown(&x->f);
}

static inline void vd_wr(struct vdrv *x, uint64_t off, uint32_t v)
{
        vf_wr(&x->t, off, v);
}

static inline uint32_t vd_rd(struct vdrv *x, uint64_t off)
{
        return vf_rd(&x->t, off);
}

/* Request header: type, reserved (ioprio) 0, sector. */
static inline void vd_hdr(struct vdrv *x, unsigned slot, uint32_t type, uint64_t sector)
{
        vf_put(&x->f, VD_HDR + 16ULL * slot, type, 4);
        vf_put(&x->f, VD_HDR + 16ULL * slot + 4, 0, 4);
        vf_put(&x->f, VD_HDR + 16ULL * slot + 8, sector, 8);
        *vf_ptr(&x->f, VD_STAT + slot, 1) = 0xff; /* no status yet */
}

static inline uint64_t vd_data(unsigned slot)
{
        return VD_DATA + 0x1000ULL * slot;
}

/* The data descriptor's flags: device-writable for IN and GET_ID. */
static inline uint16_t vd_dflags(uint32_t type)
{
        return (type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID) ? VRING_DESC_F_WRITE : 0;
}

/*
 * Header, data (len 0: none, as a FLUSH), status as direct descriptors at
 * d, d + 1, d + 2 of the ring; returns the head (d).
 */
static inline uint16_t vd_direct(struct vdrv *x, unsigned slot, uint16_t d, uint32_t type,
                                 uint64_t sector, uint32_t len)
{
        uint16_t s = (uint16_t)(len ? d + 2 : d + 1);

        vd_hdr(x, slot, type, sector);
        vf_desc(&x->f, x->r.desc, d, VD_HDR + 16ULL * slot, 16, VRING_DESC_F_NEXT,
                len ? (uint16_t)(d + 1) : s);
        if (len)
                vf_desc(&x->f, x->r.desc, (uint16_t)(d + 1), vd_data(slot), len,
                        (uint16_t)(vd_dflags(type) | VRING_DESC_F_NEXT), s);
        vf_desc(&x->f, x->r.desc, s, VD_STAT + slot, 1, VRING_DESC_F_WRITE, 0);
        return d;
}

/* The same three buffers in an indirect table, behind ring descriptor d. */
static inline uint16_t vd_indirect(struct vdrv *x, unsigned slot, uint16_t d, uint32_t type,
                                   uint64_t sector, uint32_t len)
{
        uint64_t t = VD_TABLE + 0x100ULL * slot;
        uint16_t n = len ? 3 : 2;

        vd_hdr(x, slot, type, sector);
        vf_desc(&x->f, t, 0, VD_HDR + 16ULL * slot, 16, VRING_DESC_F_NEXT, 1);
        if (len)
                vf_desc(&x->f, t, 1, vd_data(slot), len,
                        (uint16_t)(vd_dflags(type) | VRING_DESC_F_NEXT), 2);
        vf_desc(&x->f, t, (uint16_t)(n - 1), VD_STAT + slot, 1, VRING_DESC_F_WRITE, 0);
        vf_desc(&x->f, x->r.desc, d, t, 16u * n, VRING_DESC_F_INDIRECT, 0);
        return d;
}

/* Publishes head and kicks queue 0. */
static inline void vd_submit(struct vdrv *x, uint16_t head)
{
        vf_publish(&x->f, &x->r, head);
        vf_kick(&x->t, 0);
}

/* The driver's wait: used.idx reached want, the last element is {head, len}, status OK. */
static inline void vd_wait(struct vdrv *x, uint16_t want, uint16_t head, uint32_t len,
                           unsigned slot)
{
        assert_int_equal(vf_used_idx(&x->f, &x->r), want);
        vf_assert_used(&x->f, &x->r, (uint16_t)(want - 1), head, len);
        assert_int_equal(*vf_ptr(&x->f, VD_STAT + slot, 1), VIRTIO_BLK_S_OK);
}

/* Image sector s of the open image equals buf. */
static inline void vd_assert_image(struct vdrv *x, uint64_t s, const uint8_t *buf, size_t len)
{
        uint8_t got[4096];

        assert_true(len <= sizeof(got));
        assert_int_equal(pread(x->disk.fd, got, len, (off_t)(s * TD_SECTOR)), (ssize_t)len);
        assert_memory_equal(got, buf, len);
}

/* The image's original bytes of sector s (as mkdisk made them) are at gpa. */
static inline void vd_assert_original(struct vdrv *x, uint64_t gpa, uint64_t s, uint64_t len)
{
        ti_assert_sectors(vf_ptr(&x->f, gpa, len), gpa, VD_SECTORS, s, len);
}

#endif
