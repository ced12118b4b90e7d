/*
 * test_virtio_batch: the fast I/O path of the virtio stack, without KVM:
 * EVENT_IDX (avail_event published when the device goes idle, used_event
 * deciding the interrupt), batching (every available chain per
 * notification, rounds in vmmio_notify_queue, one interrupt per batch),
 * zero-copy vectored transfers over several guest regions, the io_uring
 * backend with the same outcomes as the synchronous one, and the device's
 * counters. Requests are built in fake guest RAM (vfake.h) on a temp file.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/disk.h"
#include "devices/disk_engine.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_mmio.h"
#include "devices/virtq.h"
#include "vblkfx.h"

#define HDR     0x8000ULL  /* 16 bytes per request slot */
#define STAT    0xc000ULL  /* 1 byte per request slot */
#define DATA    0x20000ULL /* 512 bytes per request slot */
#define TABLES  0x60000ULL /* indirect tables, 0x800 bytes each */
#define QN      VBFX_QN
#define SECTORS 4096u
#define W       VRING_DESC_F_WRITE
#define NEXT    VRING_DESC_F_NEXT

static const uint64_t FEATS =
    VIRTIO_FEAT_VERSION_1 | VIRTIO_FEAT_INDIRECT_DESC | VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);

/* Chains the endless driver still adds (endless_driver_notify). */
static unsigned extra;

/* Original byte at offset off of the image. */
static uint8_t pattern(uint64_t off)
{
        return ti_byte(SECTORS, off);
}

static void bring_up(struct vbfx *x, uint64_t features)
{
        vbfx_up(x, "batch", false, features);
}

static int setup(void **state)
{
        struct vbfx *x = calloc(1, sizeof(*x));

        if (x == NULL || vbfx_setup(x, "batch", SECTORS) < 0)
                return -1;
        *state = x;
        return 0;
}

static int teardown(void **state)
{
        vbfx_teardown(*state);
        free(*state);
        return 0;
}

/* --- requests --------------------------------------------------------------- */

/* Writes a direct chain at the next descriptors and publishes it (no kick). */
static uint16_t publish(struct vbfx *x, const struct seg *s, unsigned n)
{
        return vbfx_publish(x, s, n);
}

static void put_hdr(struct vbfx *x, unsigned slot, uint32_t type, uint64_t sector)
{
        vf_put(&x->f, HDR + 16 * slot, type, 4);
        vf_put(&x->f, HDR + 16 * slot + 4, 0, 4);
        vf_put(&x->f, HDR + 16 * slot + 8, sector, 8);
        vf_put(&x->f, STAT + slot, 0xee, 1);
}

/* A one-sector read of sector into slot's data buffer. */
static uint16_t publish_read(struct vbfx *x, unsigned slot, uint64_t sector)
{
        struct seg s[3] = {
            {HDR + 16 * slot, 16, 0}, {DATA + 512 * slot, 512, W}, {STAT + slot, 1, W}};

        put_hdr(x, slot, VIRTIO_BLK_T_IN, sector);
        return publish(x, s, 3);
}

static uint8_t status_of(struct vbfx *x, unsigned slot)
{
        return (uint8_t)vf_get(&x->f, STAT + slot, 1);
}

static void assert_sector_in_ram(struct vbfx *x, uint64_t gpa, uint64_t sector)
{
        const uint8_t *p = vf_ptr(&x->f, gpa, 512);

        for (unsigned i = 0; i < 512; i++)
                assert_int_equal(p[i], pattern(sector * 512 + i));
}

static uint16_t avail_event(struct vbfx *x)
{
        return (uint16_t)vf_get(&x->f, x->r.used + 4 + 8ULL * QN, 2);
}

static void set_used_event(struct vbfx *x, uint16_t v)
{
        vf_put(&x->f, x->r.avail + 4 + 2ULL * QN, v, 2);
}

/* --- EVENT_IDX -------------------------------------------------------------- */

static void event_idx_is_offered_and_negotiated(void **state)
{
        struct vbfx *x = *state;

        bring_up(x, FEATS | VIRTIO_FEAT_EVENT_IDX);
        assert_true(vf_device_features(&x->t) & VIRTIO_FEAT_EVENT_IDX);
        assert_int_equal(x->b.negotiated, FEATS | VIRTIO_FEAT_EVENT_IDX);
        assert_int_equal(x->t.q[0].vq.features & VIRTIO_FEAT_EVENT_IDX, VIRTIO_FEAT_EVENT_IDX);
}

static void avail_event_is_published_when_the_device_goes_idle(void **state)
{
        struct vbfx *x = *state;

        bring_up(x, FEATS | VIRTIO_FEAT_EVENT_IDX);
        vf_put(&x->f, x->r.used + 4 + 8ULL * QN, 0xbeef, 2);
        for (unsigned i = 0; i < 3; i++)
                publish_read(x, i, i);
        vf_kick(&x->t, 0);
        assert_int_equal(vf_used_idx(&x->f, &x->r), 3);
        /* The driver kicks again only for a chain past the three consumed. */
        assert_int_equal(avail_event(x), 3);
        for (unsigned i = 0; i < 3; i++) {
                assert_int_equal(status_of(x, i), VIRTIO_BLK_S_OK);
                assert_sector_in_ram(x, DATA + 512 * i, i);
        }
}

static void used_event_decides_the_one_interrupt_of_a_batch(void **state)
{
        struct vbfx *x = *state;

        bring_up(x, FEATS | VIRTIO_FEAT_EVENT_IDX);
        set_used_event(x, 7); /* interrupt once used.idx passes 7: at the 8th completion */
        for (unsigned i = 0; i < 4; i++)
                publish_read(x, i, i);
        vf_kick(&x->t, 0);
        assert_int_equal(vf_used_idx(&x->f, &x->r), 4);
        assert_int_equal(x->f.irq_changes, 0);
        for (unsigned i = 4; i < 8; i++)
                publish_read(x, i, i);
        vf_kick(&x->t, 0);
        assert_int_equal(vf_used_idx(&x->f, &x->r), 8);
        assert_int_equal(x->f.irq_changes, 1);
        assert_true(x->f.irq_level);
        assert_int_equal(vf_rd(&x->t, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
}

static void without_event_idx_a_batch_interrupts_once(void **state)
{
        struct vbfx *x = *state;

        bring_up(x, FEATS);
        for (unsigned i = 0; i < 16; i++)
                publish_read(x, i, 100 + i);
        vf_kick(&x->t, 0);
        assert_int_equal(vf_used_idx(&x->f, &x->r), 16);
        assert_int_equal(x->f.irq_changes, 1); /* one raise for sixteen completions */
        vf_wr(&x->t, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
        assert_false(x->f.irq_level);
        /* NO_INTERRUPT: the next batch raises nothing. */
        vf_put(&x->f, x->r.avail, VRING_AVAIL_F_NO_INTERRUPT, 2);
        publish_read(x, 16, 116);
        vf_kick(&x->t, 0);
        assert_int_equal(vf_used_idx(&x->f, &x->r), 17);
        assert_int_equal(x->f.irq_changes, 2);
        assert_false(x->f.irq_level);
        for (unsigned i = 0; i < 17; i++)
                assert_sector_in_ram(x, DATA + 512 * i, 100 + i);
}

static void vq_pop_or_arm_rearms_before_it_reports_empty(void **state)
{
        struct vbfx *x = *state;
        struct virtq *vq = &x->t.q[0].vq;
        struct vq_chain *c = malloc(sizeof(*c));

        assert_non_null(c);
        bring_up(x, FEATS | VIRTIO_FEAT_EVENT_IDX);
        publish_read(x, 0, 0);
        publish_read(x, 1, 1);
        assert_int_equal(vq_pop_or_arm(vq, c), VQ_POP_CHAIN);
        assert_int_equal(avail_event(x), 0); /* busy: not armed yet */
        assert_int_equal(vq_pop_or_arm(vq, c), VQ_POP_CHAIN);
        assert_int_equal(vq_pop_or_arm(vq, c), VQ_POP_EMPTY);
        assert_int_equal(avail_event(x), 2); /* armed for the next entry */
        assert_false(vq_yielded(vq));
        publish_read(x, 2, 2); /* added after the device looked: seen at once */
        assert_int_equal(vq_pop_or_arm(vq, c), VQ_POP_CHAIN);
        vq_fail(vq, VQ_E_DEVICE_RESET);
        assert_int_equal(vq_pop_or_arm(vq, c), VQ_POP_STOPPED); /* a stopped queue has nothing */
        free(c);
}

static void without_event_idx_pop_or_arm_leaves_the_used_ring_alone(void **state)
{
        struct vbfx *x = *state;
        struct virtq *vq = &x->t.q[0].vq;
        struct vq_chain *c = malloc(sizeof(*c));

        assert_non_null(c);
        bring_up(x, FEATS);
        vf_put(&x->f, x->r.used + 4 + 8ULL * QN, 0xbeef, 2);
        assert_int_equal(vq_pop_or_arm(vq, c), VQ_POP_EMPTY);
        publish_read(x, 0, 0);
        assert_int_equal(vq_pop_or_arm(vq, c), VQ_POP_CHAIN);
        assert_int_equal(vq_pop_or_arm(vq, c), VQ_POP_EMPTY);
        assert_int_equal(avail_event(x), 0xbeef);
        free(c);
}

/* --- one pass per kick, bounded (virtq.h, vmmio_notify_queue) ------------------- */

/*
 * A device that serves each chain at once, while the driver, on another CPU,
 * publishes a new chain for each one served as long as extra lasts.
 */
static void endless_driver_notify(void *dev, struct virtq *vq)
{
        struct vbfx *x = (struct vbfx *)((char *)dev - offsetof(struct vbfx, b));
        struct vq_chain *c = malloc(sizeof(*c));

        assert_non_null(c);
        while (vq_pop_or_arm(vq, c) == VQ_POP_CHAIN) {
                assert_int_equal(vq_push(vq, c->head, 1), 0);
                if (extra > 0) {
                        extra--;
                        publish_read(x, 0, 0);
                }
        }
        vq_signal_used(vq);
        free(c);
}

static void a_pass_yields_after_num_entries_and_the_transport_reports_it(void **state)
{
        struct vbfx *x = *state;
        struct virtio_dev_ops ops = vblk_ops;

        ops.notify = endless_driver_notify;
        assert_int_equal(vblk_init(&x->b, &x->disk, "batch"), 0);
        vmmio_init(&x->t, &x->f.gm, &ops, &x->b, false, vf_set_irq, &x->f);
        vf_ring_at(&x->f, &x->r, VBFX_RING, QN, 4096);
        vf_v2_init(&x->t, &x->r, FEATS);
        extra = QN + 5;
        publish_read(x, 0, 0);
        assert_true(vmmio_notify_queue(&x->t, 0)); /* the budget is spent, one chain waits */
        assert_true(vq_yielded(&x->t.q[0].vq));
        assert_int_equal(vf_used_idx(&x->f, &x->r), QN);
        assert_false(vmmio_notify_queue(&x->t, 0)); /* the 1 waiting + the last 5 added */
        assert_int_equal(vf_used_idx(&x->f, &x->r), QN + 6);
        assert_int_equal(extra, 0);
        assert_false(vmmio_notify_queue(&x->t, 0)); /* nothing waits */
        assert_false(vmmio_notify_queue(&x->t, 1)); /* no such queue (M9) */
        assert_int_equal(vf_used_idx(&x->f, &x->r), QN + 6);
}

static void notify_of_a_queue_not_live_is_ignored(void **state)
{
        struct vbfx *x = *state;

        assert_int_equal(vblk_init(&x->b, &x->disk, "batch"), 0);
        vmmio_init(&x->t, &x->f.gm, &vblk_ops, &x->b, false, vf_set_irq, &x->f);
        vf_ring_at(&x->f, &x->r, VBFX_RING, QN, 4096);
        publish_read(x, 0, 0);
        assert_false(vmmio_notify_queue(&x->t, 0)); /* before DRIVER_OK (M4) */
        assert_int_equal(vf_used_idx(&x->f, &x->r), 0);
        assert_int_equal(x->b.stats.requests, 0);
}

/* --- zero copy ----------------------------------------------------------------- */

/* One read over three regions, two of them adjacent in guest space but not in the host. */
static void read_over_several_regions_lands_in_every_segment(void **state)
{
        struct vbfx *x = *state;
        struct seg s[6] = {
            {HDR, 16, 0},
            {VF_B_GPA - 512, 512, W}, /* the end of "ram"... */
            {VF_B_GPA, 1024, W},      /* ...then "b": contiguous gpa, separate host buffer */
            {VF_HIGH_GPA + 512, 256, W},
            {VF_HIGH_GPA + 768, 256, W}, /* contiguous in the host too: merged */
            {STAT, 1, W},
        };
        uint8_t *p;

        bring_up(x, FEATS);
        put_hdr(x, 0, VIRTIO_BLK_T_IN, 10);
        publish(x, s, 6);
        vf_kick(&x->t, 0);
        assert_int_equal(status_of(x, 0), VIRTIO_BLK_S_OK);
        vf_assert_used(&x->f, &x->r, 0, 0, 2048 + 1);
        assert_sector_in_ram(x, VF_B_GPA - 512, 10);
        assert_sector_in_ram(x, VF_B_GPA, 11);
        assert_sector_in_ram(x, VF_B_GPA + 512, 12);
        assert_sector_in_ram(x, VF_HIGH_GPA + 512, 13);
        p = vf_ptr(&x->f, VF_HIGH_GPA + 511, 1); /* untouched around it */
        assert_int_equal(p[0], VF_FILL);
        assert_int_equal(vf_get(&x->f, VF_HIGH_GPA + 1024, 1), VF_FILL);
        assert_int_equal(x->b.stats.bytes_read, 2048);
}

static void write_over_several_segments_reaches_the_file_in_order(void **state)
{
        struct vbfx *x = *state;
        struct seg s[4] = {{HDR, 16, 0}, {DATA, 512, 0}, {VF_HIGH_GPA, 512, 0}, {STAT, 1, W}};
        uint8_t got[1024];
        int fd;

        bring_up(x, FEATS);
        memset(vf_ptr(&x->f, DATA, 512), 0xa1, 512);
        memset(vf_ptr(&x->f, VF_HIGH_GPA, 512), 0xb2, 512);
        put_hdr(x, 0, VIRTIO_BLK_T_OUT, 20);
        publish(x, s, 4);
        vf_kick(&x->t, 0);
        assert_int_equal(status_of(x, 0), VIRTIO_BLK_S_OK);
        vf_assert_used(&x->f, &x->r, 0, 0, 1);
        fd = open(x->path, O_RDONLY);
        assert_true(fd >= 0);
        assert_int_equal(pread(fd, got, sizeof(got), 20 * 512), sizeof(got));
        close(fd);
        for (unsigned i = 0; i < 512; i++) {
                assert_int_equal(got[i], 0xa1);
                assert_int_equal(got[512 + i], 0xb2);
        }
        assert_int_equal(x->b.stats.bytes_written, 1024);
}

/* --- io_uring --------------------------------------------------------------------- */

static void use_uring_or_skip(struct vbfx *x)
{
        int r = disk_use_uring(&x->disk, 16);

        if (r == -ENOSYS || r == -EPERM)
                skip();
        assert_int_equal(r, 0);
}

/*
 * The same mixed batch on either backend: a write, a flush, reads (one
 * into a buffer the write did not touch), an out-of-range read, GET_ID.
 */
static void mixed_batch(struct vbfx *x)
{
        struct seg wr[3] = {{HDR + 16, 16, 0}, {DATA + 512, 512, 0}, {STAT + 1, 1, W}};
        struct seg fl[2] = {{HDR + 32, 16, 0}, {STAT + 2, 1, W}};
        struct seg id[3] = {{HDR + 64, 16, 0}, {DATA + 2048, 20, W}, {STAT + 4, 1, W}};
        uint8_t got[512];
        int fd;

        bring_up(x, FEATS);
        memset(vf_ptr(&x->f, DATA + 512, 512), 0x5c, 512);
        publish_read(x, 0, 7);
        put_hdr(x, 1, VIRTIO_BLK_T_OUT, 30);
        publish(x, wr, 3);
        put_hdr(x, 2, VIRTIO_BLK_T_FLUSH, 0);
        publish(x, fl, 2);
        publish_read(x, 3, SECTORS); /* one past the end: IOERR */
        put_hdr(x, 4, VIRTIO_BLK_T_GET_ID, 0);
        publish(x, id, 3);
        for (unsigned i = 5; i < 40; i++)
                publish_read(x, i, 1000 + i);
        vf_kick(&x->t, 0);
        assert_int_equal(vf_used_idx(&x->f, &x->r), 40);
        assert_int_equal(x->f.irq_changes, 1);
        assert_int_equal(status_of(x, 0), VIRTIO_BLK_S_OK);
        assert_sector_in_ram(x, DATA, 7);
        assert_int_equal(status_of(x, 1), VIRTIO_BLK_S_OK);
        assert_int_equal(status_of(x, 2), VIRTIO_BLK_S_OK);
        assert_int_equal(status_of(x, 3), VIRTIO_BLK_S_IOERR);
        assert_int_equal(status_of(x, 4), VIRTIO_BLK_S_OK);
        assert_memory_equal(vf_ptr(&x->f, DATA + 2048, 5), "batch", 5);
        for (unsigned i = 5; i < 40; i++) {
                assert_int_equal(status_of(x, i), VIRTIO_BLK_S_OK);
                assert_sector_in_ram(x, DATA + 512 * i, 1000 + i);
        }
        /* used.len of each head, whatever order they completed in. */
        for (uint16_t k = 0; k < 40; k++) {
                uint32_t head, len, want;

                vf_used_elem(&x->f, &x->r, k, &head, &len);
                switch (head) {
                case 3: /* the write */
                case 6: /* the flush */
                        want = 1;
                        break;
                case 11: /* GET_ID: 20 id bytes + status */
                        want = 21;
                        break;
                default: /* reads; the bad one too (§2.7.8.2: zeros, then IOERR) */
                        want = 513;
                }
                assert_int_equal(len, want);
        }
        fd = open(x->path, O_RDONLY);
        assert_true(fd >= 0);
        assert_int_equal(pread(fd, got, sizeof(got), 30 * 512), sizeof(got));
        close(fd);
        for (unsigned i = 0; i < sizeof(got); i++)
                assert_int_equal(got[i], 0x5c);
        assert_int_equal(x->b.stats.requests, 40);
        assert_int_equal(x->b.stats.bytes_read, 36 * 512);
        assert_int_equal(x->b.stats.bytes_written, 512);
}

static void synchronous_disk_serves_a_mixed_batch(void **state)
{
        mixed_batch(*state);
}

/* The synchronous engine, counting what the device hands it. */
static unsigned engine_calls, engine_ops;

static void counting_run(struct disk *d, struct disk_op *ops, unsigned n)
{
        engine_calls++;
        engine_ops += n;
        disk_sync_engine.run(d, ops, n);
}

static const struct disk_engine counting_engine = {.name = "counting", .run = counting_run};

/* One disk-op path: a pass's requests reach the disk in one disk_run, one op each that needs one.
 */
static void a_pass_reaches_the_disk_in_one_disk_run(void **state)
{
        struct vbfx *x = *state;

        engine_calls = engine_ops = 0;
        x->disk.engine = &counting_engine;
        mixed_batch(x);
        x->disk.engine = &disk_sync_engine;
        assert_int_equal(engine_calls, 1);
        /* 40 requests: the out-of-range read and the GET_ID need no disk. */
        assert_int_equal(engine_ops, 38);
}

static void io_uring_disk_serves_the_same_batch_alike(void **state)
{
        struct vbfx *x = *state;

        use_uring_or_skip(x);
        mixed_batch(x);
        assert_non_null(x->disk.ring); /* no fallback happened */
        assert_int_equal(x->b.batch.nreq, 0);
}

/* Requests of 100 segments each (indirect tables): the iovec pool fills and splits the batch. */
static void io_uring_batch_larger_than_the_iovec_pool_is_split(void **state)
{
        struct vbfx *x = *state;
        const unsigned nreq = 30, nseg = 100;
        uint8_t *file = malloc(SECTORS * 512u);
        int fd;

        assert_non_null(file);
        use_uring_or_skip(x);
        bring_up(x, FEATS);
        /* Every other 512 bytes: no two segments merge into one iovec. */
        for (unsigned j = 0; j < nseg; j++)
                memset(vf_ptr(&x->f, DATA + 1024 * j, 512), (int)(j + 1), 512);
        for (unsigned k = 0; k < nreq; k++) {
                uint64_t table = TABLES + 0x800ULL * k;
                struct seg s = {table, 16 * (nseg + 2), VRING_DESC_F_INDIRECT};

                put_hdr(x, k, VIRTIO_BLK_T_OUT, (uint64_t)k * nseg);
                vf_desc(&x->f, table, 0, HDR + 16 * k, 16, NEXT, 1);
                for (unsigned j = 0; j < nseg; j++)
                        vf_desc(&x->f, table, 1 + j, DATA + 1024 * j, 512, NEXT, (uint16_t)(2 + j));
                vf_desc(&x->f, table, nseg + 1, STAT + k, 1, W, 0);
                publish(x, &s, 1);
        }
        vf_kick(&x->t, 0);
        assert_int_equal(vf_used_idx(&x->f, &x->r), nreq);
        for (unsigned k = 0; k < nreq; k++)
                assert_int_equal(status_of(x, k), VIRTIO_BLK_S_OK);
        fd = open(x->path, O_RDONLY);
        assert_true(fd >= 0);
        assert_int_equal(pread(fd, file, SECTORS * 512u, 0), SECTORS * 512);
        close(fd);
        for (unsigned k = 0; k < nreq; k++)
                for (unsigned j = 0; j < nseg; j++)
                        assert_int_equal(file[((uint64_t)k * nseg + j) * 512 + 17], j + 1);
        assert_int_equal(file[(uint64_t)nreq * nseg * 512], pattern((uint64_t)nreq * nseg * 512));
        assert_int_equal(x->b.stats.bytes_written, (uint64_t)nreq * nseg * 512);
        free(file);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
            T(event_idx_is_offered_and_negotiated),
            T(avail_event_is_published_when_the_device_goes_idle),
            T(used_event_decides_the_one_interrupt_of_a_batch),
            T(without_event_idx_a_batch_interrupts_once),
            T(vq_pop_or_arm_rearms_before_it_reports_empty),
            T(without_event_idx_pop_or_arm_leaves_the_used_ring_alone),
            T(a_pass_yields_after_num_entries_and_the_transport_reports_it),
            T(notify_of_a_queue_not_live_is_ignored),
            T(read_over_several_regions_lands_in_every_segment),
            T(write_over_several_segments_reaches_the_file_in_order),
            T(synchronous_disk_serves_a_mixed_batch),
            T(a_pass_reaches_the_disk_in_one_disk_run),
            T(io_uring_disk_serves_the_same_batch_alike),
            T(io_uring_batch_larger_than_the_iovec_pool_is_split),
        };
        return cmocka_run_group_tests_name("virtio_batch", tests, NULL, NULL);
}
