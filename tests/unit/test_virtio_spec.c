/*
 * test_virtio_spec: one test per VIRTIO 1.2 requirement that real drivers
 * showed minivmm breaking (docs/virtio-mmio.md, "Real drivers"), each named
 * after its section, each failing on the device as it was before.
 *
 * The durability tests interpose on the disk (linked with
 * -Wl,--wrap=disk_run,--wrap=fdatasync, tests/unit/spec.mk): every batch
 * the device hands the backend and every fdatasync is logged together with
 * the used index at that moment, so a write published before it was made
 * stable fails the test, on the synchronous and the io_uring backend.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vdrv.h"

#define RING 0x1000ULL
#define QN   16u
#define W    VRING_DESC_F_WRITE

static const uint64_t F_FLUSH = VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);

/* --- the interposed backend ------------------------------------------------ */

struct synclog {
        unsigned writes;         /* WRITE ops run */
        unsigned flushes;        /* FLUSH ops run (fdatasync or IORING_OP_FSYNC) */
        unsigned fdatasyncs;     /* fdatasync calls */
        unsigned writes_at_sync; /* writes run when the last flush completed */
        int used_at_sync;        /* used.idx when the last flush completed (-1: none) */
        bool fail_flush;         /* make every FLUSH op fail with EIO */
};

static struct synclog lg;
static struct vdrv *cur; /* whose used ring the log looks at */

void __real_disk_run(struct disk *d, struct disk_op *ops, unsigned n);
int __real_fdatasync(int fd);

void __wrap_disk_run(struct disk *d, struct disk_op *ops, unsigned n)
{
        __real_disk_run(d, ops, n);
        for (unsigned i = 0; i < n; i++) {
                if (ops[i].kind == DISK_OP_WRITE)
                        lg.writes++;
                if (ops[i].kind != DISK_OP_FLUSH)
                        continue;
                lg.flushes++;
                lg.writes_at_sync = lg.writes;
                lg.used_at_sync = cur ? vf_used_idx(&cur->f, &cur->r) : -1;
                if (lg.fail_flush)
                        ops[i].res = -EIO;
        }
}

int __wrap_fdatasync(int fd)
{
        lg.fdatasyncs++;
        return __real_fdatasync(fd);
}

/* --- fixtures ---------------------------------------------------------------- */

static bool uring_refused;

static int setup_with(void **state, bool legacy, bool uring)
{
        struct vdrv *x = calloc(1, sizeof(*x));

        if (x == NULL)
                return -1;
        if (vd_setup(x, legacy, uring) < 0) {
                if (!uring)
                        return -1;
                uring_refused = true; /* the kernel refused io_uring: such tests skip */
                vd_teardown(x);
                if (vd_setup(x, legacy, false) < 0)
                        return -1;
        }
        memset(&lg, 0, sizeof(lg));
        lg.used_at_sync = -1;
        cur = x;
        *state = x;
        return 0;
}

static int setup_v2(void **state)
{
        return setup_with(state, false, false);
}

static int setup_v1(void **state)
{
        return setup_with(state, true, false);
}

static int setup_uring(void **state)
{
        return setup_with(state, false, true);
}

static int teardown(void **state)
{
        struct vdrv *x = *state;

        cur = NULL;
        vd_teardown(x);
        free(x);
        return 0;
}

/* v2 the way the spec orders it, with features f and queue 0 of QN at RING. */
static void up_v2(struct vdrv *x, uint64_t f)
{
        vf_ring_at(&x->f, &x->r, RING, QN, 4096);
        vf_v2_init(&x->t, &x->r, f);
}

/* --- §3.1.1: the order rules bind the driver (fix 1) ------------------------ */

/*
 * VIRTIO 1.2 §3.1.1 tells the driver in which order to set Status bits; the
 * device keeps what is written (§2.1). U-Boot before v2026.07 resets, then
 * writes DRIVER without ACKNOWLEDGE: FEATURES_OK must stick and the disk work.
 */
static void s3_1_1_status_without_acknowledge_is_kept_v2(void **state)
{
        struct vdrv *x = *state;
        uint16_t h;

        vf_ring_at(&x->f, &x->r, RING, QN, 4096);
        vd_wr(x, VIRTIO_MMIO_STATUS, 0);
        vd_wr(x, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_DRIVER);
        vf_write_features(&x->t, VIRTIO_FEAT_VERSION_1);
        vd_wr(x, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
        assert_int_equal(vd_rd(x, VIRTIO_MMIO_STATUS),
                         VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
        vf_v2_queue(&x->t, 0, &x->r);
        vd_wr(x, VIRTIO_MMIO_STATUS,
              VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
        h = vd_direct(x, 0, 0, VIRTIO_BLK_T_IN, 3, 512);
        vd_submit(x, h);
        vd_wait(x, 1, h, 513, 0);
        vd_assert_original(x, vd_data(0), 3, 512);
}

/* The same on a legacy device: the queue PFN written at Status 0x02 must be taken. */
static void s3_1_1_status_without_acknowledge_is_kept_v1(void **state)
{
        struct vdrv *x = *state;
        uint16_t h;

        vf_ring_at(&x->f, &x->r, RING, QN, 4096);
        vd_wr(x, VIRTIO_MMIO_STATUS, 0);
        vd_wr(x, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_DRIVER);
        vf_write_features(&x->t, 0);
        vd_wr(x, VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096);
        vf_v1_queue(&x->t, 0, &x->r, 4096, 4096);
        assert_int_equal(vd_rd(x, VIRTIO_MMIO_QUEUE_PFN), RING / 4096);
        h = vd_direct(x, 0, 0, VIRTIO_BLK_T_IN, 3, 512);
        vd_submit(x, h); /* before DRIVER_OK: a legacy queue runs once its PFN is set */
        vd_wait(x, 1, h, 513, 0);
        vd_wr(x, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
        assert_int_equal(vd_rd(x, VIRTIO_MMIO_STATUS),
                         VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
}

/* --- §5.2.6.2: durability without FLUSH (fix 2) ----------------------------- */

/* Four 4 KiB writes in one kick by a driver that did not negotiate FLUSH. */
static void write_batch(struct vdrv *x, uint64_t features)
{
        uint8_t buf[4096];

        up_v2(x, features);
        for (unsigned k = 0; k < 4; k++) {
                memset(vf_ptr(&x->f, vd_data(k), 4096), 0x40 + (int)k, 4096);
                vf_publish(&x->f, &x->r,
                           vd_direct(x, k, (uint16_t)(3 * k), VIRTIO_BLK_T_OUT, 8 * k, 4096));
        }
        vf_kick(&x->t, 0);
        assert_int_equal(vf_used_idx(&x->f, &x->r), 4);
        for (unsigned k = 0; k < 4; k++) {
                assert_int_equal(*vf_ptr(&x->f, VD_STAT + k, 1), VIRTIO_BLK_S_OK);
                memset(buf, 0x40 + (int)k, sizeof(buf));
                vd_assert_image(x, 8 * k, buf, sizeof(buf));
        }
}

/*
 * VIRTIO 1.2 §5.2.6.2: FLUSH offered, neither FLUSH nor CONFIG_WCE
 * negotiated: the device MUST make each write stable before completing it.
 * One flush for the batch, after all four writes, before any used entry.
 */
static void s5_2_6_2_writes_stable_before_completion_sync(void **state)
{
        struct vdrv *x = *state;

        write_batch(x, VIRTIO_FEAT_VERSION_1);
        assert_int_equal(lg.writes, 4);
        assert_int_equal(lg.flushes, 1);
        assert_int_equal(lg.fdatasyncs, 1); /* per batch, not per request or sector */
        assert_int_equal(lg.writes_at_sync, 4);
        assert_int_equal(lg.used_at_sync, 0);
}

/* The same with aio=io_uring: the flush is an IORING_OP_FSYNC drained behind the writes. */
static void s5_2_6_2_writes_stable_before_completion_io_uring(void **state)
{
        struct vdrv *x = *state;

        if (uring_refused)
                skip();
        assert_non_null(x->disk.ring);
        write_batch(x, VIRTIO_FEAT_VERSION_1);
        assert_int_equal(lg.writes, 4);
        assert_int_equal(lg.flushes, 1);
        assert_int_equal(lg.writes_at_sync, 4);
        assert_int_equal(lg.used_at_sync, 0);
}

/* A write-back driver (FLUSH negotiated) pays nothing: it flushes when it wants. */
static void s5_2_6_2_no_sync_when_flush_is_negotiated(void **state)
{
        struct vdrv *x = *state;

        write_batch(x, VIRTIO_FEAT_VERSION_1 | F_FLUSH);
        assert_int_equal(lg.flushes, 0);
        assert_int_equal(lg.fdatasyncs, 0);
}

/* §5.2.6.2: a write whose flush failed is not stable: it completes IOERR, not OK. */
static void s5_2_6_2_failed_sync_fails_the_writes(void **state)
{
        struct vdrv *x = *state;

        lg.fail_flush = true;
        up_v2(x, VIRTIO_FEAT_VERSION_1);
        vf_publish(&x->f, &x->r, vd_direct(x, 0, 0, VIRTIO_BLK_T_OUT, 1, 512));
        vf_publish(&x->f, &x->r, vd_direct(x, 1, 3, VIRTIO_BLK_T_IN, 2, 512));
        vf_kick(&x->t, 0);
        assert_int_equal(vf_used_idx(&x->f, &x->r), 2);
        assert_int_equal(*vf_ptr(&x->f, VD_STAT + 0, 1), VIRTIO_BLK_S_IOERR);
        assert_int_equal(*vf_ptr(&x->f, VD_STAT + 1, 1), VIRTIO_BLK_S_OK);
        vd_assert_original(x, vd_data(1), 2, 512);
}

/* §3.1.2: a legacy driver that has not written its features yet gets write-through too. */
static void s5_2_6_2_legacy_before_features_is_write_through(void **state)
{
        struct vdrv *x = *state;

        vf_ring_at(&x->f, &x->r, RING, QN, 4096);
        vd_wr(x, VIRTIO_MMIO_STATUS, VF_DRV);
        vf_v1_queue(&x->t, 0, &x->r, 4096, 4096);
        vd_submit(x, vd_direct(x, 0, 0, VIRTIO_BLK_T_OUT, 1, 512));
        assert_int_equal(*vf_ptr(&x->f, VD_STAT, 1), VIRTIO_BLK_S_OK);
        assert_int_equal(lg.flushes, 1);
        assert_int_equal(lg.used_at_sync, 0);
}

/* --- §2.7.5.3.2: direct descriptors, then one indirect (fix 3) ---------------- */

/*
 * VIRTIO 1.2 §2.7.5.3.2: the device MUST handle zero or more direct
 * descriptors followed by a single INDIRECT one. Header direct, then a table
 * holding the data and the status byte: the status byte must be written.
 */
static void s2_7_5_3_2_direct_then_indirect_is_served(void **state)
{
        struct vdrv *x = *state;

        up_v2(x, VIRTIO_FEAT_VERSION_1 | VIRTIO_FEAT_INDIRECT_DESC);
        vd_hdr(x, 0, VIRTIO_BLK_T_IN, 4);
        vf_desc(&x->f, VD_TABLE, 0, vd_data(0), 512, W | VRING_DESC_F_NEXT, 1);
        vf_desc(&x->f, VD_TABLE, 1, VD_STAT, 1, W, 0);
        vf_desc(&x->f, x->r.desc, 0, VD_HDR, 16, VRING_DESC_F_NEXT, 1);
        vf_desc(&x->f, x->r.desc, 1, VD_TABLE, 32, VRING_DESC_F_INDIRECT, 0);
        vd_submit(x, 0);
        vd_wait(x, 1, 0, 513, 0);
        vd_assert_original(x, vd_data(0), 4, 512);
}

/* --- §4.2.4, §2.1.2: legacy Status with FEATURES_OK (fix 4) ------------------ */

/*
 * rcore virtio-drivers writes ACKNOWLEDGE|DRIVER|FEATURES_OK, then adds
 * DRIVER_OK, on legacy devices too. §4.2.4 gives FEATURES_OK no meaning in
 * v1, so the writes stand: the device activates, and §2.1.2 (once
 * DRIVER_OK, DEVICE_NEEDS_RESET MUST come with a configuration change
 * notification) can be kept.
 */
static void s2_1_2_legacy_features_ok_then_needs_reset_notifies(void **state)
{
        struct vdrv *x = *state;

        vf_ring_at(&x->f, &x->r, RING, QN, 4096);
        vd_wr(x, VIRTIO_MMIO_STATUS, 0);
        vd_wr(x, VIRTIO_MMIO_STATUS, VF_DRV);
        vf_write_features(&x->t, VIRTIO_FEAT_INDIRECT_DESC);
        vd_wr(x, VIRTIO_MMIO_STATUS, VF_FEAT_OK);
        vd_wr(x, VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096);
        vf_v1_queue(&x->t, 0, &x->r, 4096, 4096);
        vd_wr(x, VIRTIO_MMIO_STATUS, VF_DRIVER_OK);
        assert_int_equal(vd_rd(x, VIRTIO_MMIO_STATUS), VF_DRIVER_OK);
        assert_int_equal(x->b.negotiated, VIRTIO_FEAT_INDIRECT_DESC); /* activated */
        vf_set_avail_idx(&x->f, &x->r, QN + 1);                       /* a broken ring */
        vf_kick(&x->t, 0);
        assert_true(vd_rd(x, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
        assert_int_equal(vd_rd(x, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
}

/* --- §6.1: a version 2 driver without VERSION_1 (fix 5) ---------------------- */

/*
 * VIRTIO 1.2 §6.1: a device MAY refuse a driver that does not accept
 * VERSION_1; QEMU serves it, and so does minivmm: rcore virtio-drivers
 * before 0.12 never accepts it and never re-reads FEATURES_OK.
 */
static void s6_1_version_2_driver_without_version_1_is_served(void **state)
{
        struct vdrv *x = *state;
        uint16_t h;

        vf_ring_at(&x->f, &x->r, RING, QN, 4096);
        vd_wr(x, VIRTIO_MMIO_STATUS, 0);
        vd_wr(x, VIRTIO_MMIO_STATUS, VF_DRV);
        vf_write_features(&x->t, F_FLUSH);
        vd_wr(x, VIRTIO_MMIO_STATUS, VF_FEAT_OK);
        vf_v2_queue(&x->t, 0, &x->r);
        vd_wr(x, VIRTIO_MMIO_STATUS, VF_DRIVER_OK);
        assert_int_equal(vd_rd(x, VIRTIO_MMIO_STATUS), VF_DRIVER_OK);
        h = vd_direct(x, 0, 0, VIRTIO_BLK_T_IN, 5, 512);
        vd_submit(x, h);
        vd_wait(x, 1, h, 513, 0);
        vd_assert_original(x, vd_data(0), 5, 512);
}

/* --- §3.1.2: legacy features read when a request is served (fix 7) ---------- */

/*
 * VIRTIO 1.2 §3.1.2: a legacy driver may use the device before writing its
 * features. Queue first, INDIRECT_DESC after: an indirect request must be
 * served with the features as they are when it arrives.
 */
static void s3_1_2_legacy_features_written_after_the_queue_count(void **state)
{
        struct vdrv *x = *state;
        uint16_t h;

        vf_ring_at(&x->f, &x->r, RING, QN, 4096);
        vd_wr(x, VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096);
        vd_wr(x, VIRTIO_MMIO_STATUS, VF_DRV);
        vf_v1_queue(&x->t, 0, &x->r, 4096, 4096);
        vf_write_features(&x->t, VIRTIO_FEAT_INDIRECT_DESC);
        h = vd_indirect(x, 0, 0, VIRTIO_BLK_T_IN, 6, 512);
        vd_submit(x, h);
        vd_wait(x, 1, h, 513, 0);
        vd_assert_original(x, vd_data(0), 6, 512);
}

/* --- §4.2.2, §5.2.4: smaller ones (fix 8) ------------------------------------- */

/* VIRTIO 1.2 §4.2.2: a shared memory region that does not exist reads length and base -1. */
static void s4_2_2_missing_shm_region_reads_all_ones(void **state)
{
        struct vdrv *x = *state;

        vd_wr(x, VIRTIO_MMIO_SHM_SEL, 0);
        assert_int_equal(vd_rd(x, VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffffu);
        assert_int_equal(vd_rd(x, VIRTIO_MMIO_SHM_LEN_HIGH), 0xffffffffu);
        assert_int_equal(vd_rd(x, VIRTIO_MMIO_SHM_BASE_LOW), 0xffffffffu);
        assert_int_equal(vd_rd(x, VIRTIO_MMIO_SHM_BASE_HIGH), 0xffffffffu);
}

/*
 * VIRTIO 1.2 §5.2.4 (seg_max) with §2.7.5.3.1: a request of seg_max data
 * segments plus header and status must be served whatever queue size the
 * driver picked: a queue of 4 and one indirect table of seg_max + 2 entries.
 */
static void s5_2_4_seg_max_holds_for_a_small_queue(void **state)
{
        struct vdrv *x = *state;
        uint32_t seg_max = vd_rd(x, VIRTIO_MMIO_CONFIG + 0x0c);
        uint64_t t = 0x40000; /* seg_max + 2 entries of 16 bytes */
        uint32_t i;

        assert_int_equal(seg_max, VBLK_QUEUE_MAX - 2);
        vf_ring_at(&x->f, &x->r, RING, 4, 4096);
        vf_v2_init(&x->t, &x->r, VIRTIO_FEAT_VERSION_1 | VIRTIO_FEAT_INDIRECT_DESC);
        vd_hdr(x, 0, VIRTIO_BLK_T_IN, 0);
        vf_desc(&x->f, t, 0, VD_HDR, 16, VRING_DESC_F_NEXT, 1);
        for (i = 1; i <= seg_max; i++) /* one 512-byte sector each */
                vf_desc(&x->f, t, i, 0x80000 + 512ULL * (i - 1), 512, W | VRING_DESC_F_NEXT,
                        (uint16_t)(i + 1));
        vf_desc(&x->f, t, seg_max + 1, VD_STAT, 1, W, 0);
        vf_desc(&x->f, x->r.desc, 0, t, 16 * (seg_max + 2), VRING_DESC_F_INDIRECT, 0);
        vd_submit(x, 0);
        vd_wait(x, 1, 0, 512 * seg_max + 1, 0);
        vd_assert_original(x, 0x80000, 0, 512ULL * seg_max);
}

#define T2(name) cmocka_unit_test_setup_teardown(name, setup_v2, teardown)
#define T1(name) cmocka_unit_test_setup_teardown(name, setup_v1, teardown)
#define TU(name) cmocka_unit_test_setup_teardown(name, setup_uring, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
            T2(s3_1_1_status_without_acknowledge_is_kept_v2),
            T1(s3_1_1_status_without_acknowledge_is_kept_v1),
            T2(s5_2_6_2_writes_stable_before_completion_sync),
            TU(s5_2_6_2_writes_stable_before_completion_io_uring),
            T2(s5_2_6_2_no_sync_when_flush_is_negotiated),
            T2(s5_2_6_2_failed_sync_fails_the_writes),
            T1(s5_2_6_2_legacy_before_features_is_write_through),
            T2(s2_7_5_3_2_direct_then_indirect_is_served),
            T1(s2_1_2_legacy_features_ok_then_needs_reset_notifies),
            T2(s6_1_version_2_driver_without_version_1_is_served),
            T1(s3_1_2_legacy_features_written_after_the_queue_count),
            T2(s4_2_2_missing_shm_region_reads_all_ones),
            T2(s5_2_4_seg_max_holds_for_a_small_queue),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
