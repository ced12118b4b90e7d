/*
 * test_drivers: real drivers' register sequences and request layouts,
 * replayed against devices/ on fake guest memory, one test per driver and
 * transport version. Each sequence is the one docs/virtio-mmio.md ("Real
 * drivers") writes down from the driver's source: Status values in the
 * driver's order (read-modify-write where the driver does that), feature
 * words in the driver's order, the driver's queue size and ring placement,
 * its request shape (direct descriptors or one indirect table), its kick
 * policy (EVENT_IDX where negotiated). Each test then does what the issue
 * asks of a persona: a write, a read-back compared byte by byte, a flush
 * where the driver sends one, and checks the image.
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

static const uint64_t V1 = VIRTIO_FEAT_VERSION_1;
static const uint64_t F_FLUSH = VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);
static const uint64_t F_RO = VIRTIO_BIT(VIRTIO_BLK_F_RO);
static const uint64_t F_SEG_MAX = VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX);
static const uint64_t F_BLK_SIZE = VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE);
static const uint64_t F_SIZE_MAX = VIRTIO_BIT(VIRTIO_BLK_F_SIZE_MAX);

/* How a driver sends requests once the device is up. */
struct io_style {
        bool indirect;  /* every multi-buffer request through one indirect table */
        bool event_idx; /* kicks only when avail_event says so */
        bool flush;     /* sends FLUSH after writing */
        bool get_id;    /* asks GET_ID with a 20-byte buffer */
};

/* --- register helpers in the drivers' idioms ----------------------------- */

static void status_add(struct vdrv *x, uint32_t bits) /* read-modify-write */
{
        vd_wr(x, VIRTIO_MMIO_STATUS, vd_rd(x, VIRTIO_MMIO_STATUS) | bits);
}

static uint64_t features_hi_first(struct vdrv *x)
{
        uint64_t f;

        vd_wr(x, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
        f = (uint64_t)vd_rd(x, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
        vd_wr(x, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
        return f | vd_rd(x, VIRTIO_MMIO_DEVICE_FEATURES);
}

static uint64_t features_lo_first(struct vdrv *x)
{
        uint64_t f;

        vd_wr(x, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
        f = vd_rd(x, VIRTIO_MMIO_DEVICE_FEATURES);
        vd_wr(x, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
        return f | (uint64_t)vd_rd(x, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
}

static void write_features_hi_first(struct vdrv *x, uint64_t f)
{
        vd_wr(x, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
        vd_wr(x, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
        vd_wr(x, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
        vd_wr(x, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
}

static void write_features_lo_first(struct vdrv *x, uint64_t f)
{
        vd_wr(x, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
        vd_wr(x, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
        vd_wr(x, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
        vd_wr(x, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
}

/* v2 queue registers: num, the six address words, ready. */
static void queue_v2(struct vdrv *x)
{
        vd_wr(x, VIRTIO_MMIO_QUEUE_NUM, x->r.num);
        vd_wr(x, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)x->r.desc);
        vd_wr(x, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(x->r.desc >> 32));
        vd_wr(x, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)x->r.avail);
        vd_wr(x, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(x->r.avail >> 32));
        vd_wr(x, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)x->r.used);
        vd_wr(x, VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(x->r.used >> 32));
        vd_wr(x, VIRTIO_MMIO_QUEUE_READY, 1);
}

/* v1 queue registers: num, align, PFN of a page-aligned legacy layout. */
static void queue_v1(struct vdrv *x)
{
        vd_wr(x, VIRTIO_MMIO_QUEUE_NUM, x->r.num);
        vd_wr(x, VIRTIO_MMIO_QUEUE_ALIGN, 4096);
        vd_wr(x, VIRTIO_MMIO_QUEUE_PFN, (uint32_t)(x->r.desc / 4096));
}

/* Areas placed apart, as drivers with separate allocations do (rcore v2, Tock). */
static void ring_apart(struct vdrv *x, uint16_t num, uint64_t desc, uint64_t avail, uint64_t used)
{
        vf_ring_at(&x->f, &x->r, desc, num, 4096);
        x->r.avail = avail;
        x->r.used = used;
        memset(vf_ptr(&x->f, avail, 6 + 2ULL * num), 0, 6 + 2ULL * num);
        memset(vf_ptr(&x->f, used, 6 + 8ULL * num), 0, 6 + 8ULL * num);
}

/* Capacity as two 32-bit reads (v2) or eight byte reads (v1, U-Boot and Linux). */
static uint64_t capacity(struct vdrv *x)
{
        uint64_t c = 0;

        if (!x->legacy)
                return vd_rd(x, VIRTIO_MMIO_CONFIG) | (uint64_t)vd_rd(x, VIRTIO_MMIO_CONFIG + 4)
                                                          << 32;
        for (unsigned i = 0; i < 8; i++) {
                uint8_t b;

                vmmio_access(&x->t, VIRTIO_MMIO_CONFIG + i, &b, 1, false);
                c |= (uint64_t)b << (8 * i);
        }
        return c;
}

/* --- requests --------------------------------------------------------------- */

/* Publishes head and kicks, or with EVENT_IDX only when avail_event asks for it. */
static void submit(struct vdrv *x, uint16_t head, bool event_idx)
{
        uint16_t old = x->r.avail_idx, ev;

        vf_publish(&x->f, &x->r, head);
        ev = (uint16_t)vf_get(&x->f, x->r.used + 4 + 8ULL * x->r.num, 2);
        if (!event_idx || vq_need_event(ev, x->r.avail_idx, old))
                vf_kick(&x->t, 0);
}

/* One request in the driver's shape, waited for; returns used.len. */
static uint32_t request(struct vdrv *x, const struct io_style *s, unsigned slot, uint32_t type,
                        uint64_t sector, uint32_t len)
{
        uint16_t d = (uint16_t)((3 * slot) % x->r.num), want = (uint16_t)(x->r.avail_idx + 1);
        uint32_t id, used;

        if (s->indirect)
                vd_indirect(x, slot, d, type, sector, len);
        else
                vd_direct(x, slot, d, type, sector, len);
        submit(x, d, s->event_idx);
        assert_int_equal(vf_used_idx(&x->f, &x->r), want);
        vf_used_elem(&x->f, &x->r, (uint16_t)(want - 1), &id, &used);
        assert_int_equal(id, d);
        assert_int_equal(*vf_ptr(&x->f, VD_STAT + slot, 1), VIRTIO_BLK_S_OK);
        return used;
}

/* Write sector 9, read it back elsewhere, flush if the driver does, check the image. */
static void persona_io(struct vdrv *x, const struct io_style *s)
{
        uint8_t want[1024];

        assert_int_equal(capacity(x), VD_SECTORS);
        for (unsigned i = 0; i < sizeof(want); i++)
                want[i] = (uint8_t)(i * 13 + 7);
        memcpy(vf_ptr(&x->f, vd_data(0), sizeof(want)), want, sizeof(want));
        assert_int_equal(request(x, s, 0, VIRTIO_BLK_T_OUT, 9, sizeof(want)), 1);
        memset(vf_ptr(&x->f, vd_data(1), sizeof(want)), 0xee, sizeof(want));
        assert_int_equal(request(x, s, 1, VIRTIO_BLK_T_IN, 9, sizeof(want)), sizeof(want) + 1);
        assert_memory_equal(vf_ptr(&x->f, vd_data(1), sizeof(want)), want, sizeof(want));
        if (s->flush)
                assert_int_equal(request(x, s, 2, VIRTIO_BLK_T_FLUSH, 0, 0), 1);
        if (s->get_id) {
                assert_int_equal(request(x, s, 3, VIRTIO_BLK_T_GET_ID, 0, VBLK_ID_BYTES),
                                 VBLK_ID_BYTES + 1);
                assert_memory_equal(vf_ptr(&x->f, vd_data(3), 11), "vdrv-serial", 11);
        }
        vd_assert_image(x, 9, want, sizeof(want));
        assert_false(vd_rd(x, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
}

/* --- U-Boot --------------------------------------------------------------------- */

/*
 * U-Boot, drivers/virtio: probe (v1: GuestPageSize), child bind
 * (ACKNOWLEDGE), child pre-probe: reset, [new: ACKNOWLEDGE], DRIVER, device
 * features hi then lo, driver features hi then lo (blk asks for nothing),
 * v2: FEATURES_OK read back; blk probe: queue 0 at QueueNumMax, page
 * aligned; capacity; post-probe DRIVER_OK. Every Status change is a
 * read-modify-write. Three direct descriptors, polled, no FLUSH.
 */
static void uboot(struct vdrv *x, bool new_release)
{
        static const struct io_style io = {0};
        uint64_t dev, want;
        uint16_t num;

        assert_int_equal(vd_rd(x, VIRTIO_MMIO_MAGIC_VALUE), VMMIO_MAGIC);
        assert_int_equal(vd_rd(x, VIRTIO_MMIO_VERSION), x->legacy ? 1 : 2);
        assert_int_equal(vd_rd(x, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
        (void)vd_rd(x, VIRTIO_MMIO_VENDOR_ID);
        if (x->legacy)
                vd_wr(x, VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096);
        status_add(x, VIRTIO_STATUS_ACKNOWLEDGE); /* child_post_bind */
        vd_wr(x, VIRTIO_MMIO_STATUS, 0);          /* child_pre_probe: reset */
        if (new_release)
                status_add(x, VIRTIO_STATUS_ACKNOWLEDGE);
        status_add(x, VIRTIO_STATUS_DRIVER);
        dev = features_hi_first(x);
        assert_int_equal(!!(dev & V1), !x->legacy);
        want = dev & V1; /* transport bit kept; the blk feature table is empty */
        write_features_hi_first(x, want);
        if (!x->legacy) {
                status_add(x, VIRTIO_STATUS_FEATURES_OK);
                assert_true(vd_rd(x, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
        }
        vd_wr(x, VIRTIO_MMIO_QUEUE_SEL, 0); /* virtio_mmio_setup_vq */
        assert_int_equal(vd_rd(x, x->legacy ? VIRTIO_MMIO_QUEUE_PFN : VIRTIO_MMIO_QUEUE_READY), 0);
        num = (uint16_t)vd_rd(x, VIRTIO_MMIO_QUEUE_NUM_MAX);
        assert_int_equal(num, VBLK_QUEUE_MAX);
        vf_ring_at(&x->f, &x->r, RING, num, 4096);
        if (x->legacy)
                queue_v1(x);
        else
                queue_v2(x);
        status_add(x, VIRTIO_STATUS_DRIVER_OK); /* child_post_probe */
        assert_int_equal(vd_rd(x, VIRTIO_MMIO_STATUS),
                         (new_release ? VIRTIO_STATUS_ACKNOWLEDGE : 0) | VIRTIO_STATUS_DRIVER |
                             (x->legacy ? 0 : VIRTIO_STATUS_FEATURES_OK) | VIRTIO_STATUS_DRIVER_OK);
        persona_io(x, &io);
}

static void uboot_old_v2(void **state)
{
        uboot(*state, false);
}

static void uboot_old_v1(void **state)
{
        uboot(*state, false);
}

static void uboot_new_v2(void **state)
{
        uboot(*state, true);
}

static void uboot_new_v1(void **state)
{
        uboot(*state, true);
}

/* --- rcore virtio-drivers ----------------------------------------------------- */

/*
 * rcore virtio-drivers, src/transport/mod.rs begin_init: reset, ACK|DRIVER,
 * device features lo then hi, driver features lo then hi = offer &
 * (RO | FLUSH | INDIRECT_DESC | EVENT_IDX) [0.12: | VERSION_1],
 * ACK|DRIVER|FEATURES_OK on either version and never read back, then
 * GuestPageSize (v1 only); VirtIOBlk::new: queue 0 of 16 (queue_set: v1
 * QueueNum/QueueAlign/PFN, v2 separate areas + ready); finish_init: all
 * four bits. Requests: header, data, status; indirect and EVENT_IDX as
 * negotiated; FLUSH when negotiated.
 */
static void rcore(struct vdrv *x, bool r012)
{
        static const struct io_style io = {.indirect = true, .event_idx = true, .flush = true};
        uint64_t supported = F_RO | F_FLUSH | VIRTIO_FEAT_INDIRECT_DESC | VIRTIO_FEAT_EVENT_IDX;
        uint64_t dev, neg;

        vd_wr(x, VIRTIO_MMIO_STATUS, 0);
        vd_wr(x, VIRTIO_MMIO_STATUS, VF_DRV);
        dev = features_lo_first(x);
        neg = dev & (r012 ? supported | V1 : supported);
        write_features_lo_first(x, neg);
        vd_wr(x, VIRTIO_MMIO_STATUS, VF_FEAT_OK);
        if (x->legacy)
                vd_wr(x, VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096);
        vd_wr(x, VIRTIO_MMIO_QUEUE_SEL, 0);
        assert_true(vd_rd(x, VIRTIO_MMIO_QUEUE_NUM_MAX) >= 16);
        if (x->legacy) {
                vf_ring_at(&x->f, &x->r, RING, 16, 4096);
                queue_v1(x);
        } else {
                ring_apart(x, 16, RING, RING + 16 * 16, RING + 0x1000);
                queue_v2(x);
        }
        vd_wr(x, VIRTIO_MMIO_STATUS, VF_DRIVER_OK);
        assert_int_equal(vd_rd(x, VIRTIO_MMIO_STATUS), VF_DRIVER_OK);
        assert_int_equal(x->b.negotiated, neg);
        persona_io(x, &io);
}

static void rcore_011_v2(void **state)
{
        rcore(*state, false);
}

static void rcore_011_v1(void **state)
{
        rcore(*state, false);
}

static void rcore_012_v2(void **state)
{
        rcore(*state, true);
}

static void rcore_012_v1(void **state)
{
        rcore(*state, true);
}

/* --- Linux ---------------------------------------------------------------------- */

/*
 * Linux: virtio_mmio probe (magic, version, id, vendor; v1 GuestPageSize),
 * register: reset, ACKNOWLEDGE; probe: DRIVER; features hi then lo,
 * finalize: driver features hi then lo, FEATURES_OK read back; virtblk:
 * config (capacity in a ConfigGeneration loop on v2), queue 0 at
 * QueueNumMax page aligned, DRIVER_OK. Every multi-buffer request in one
 * indirect table, EVENT_IDX, FLUSH (write-back cache), GET_ID into 20 bytes.
 */
static void linux_driver(struct vdrv *x)
{
        static const struct io_style io = {
            .indirect = true, .event_idx = true, .flush = true, .get_id = true};
        uint64_t dev, neg;
        uint32_t gen;

        assert_int_equal(vd_rd(x, VIRTIO_MMIO_MAGIC_VALUE), VMMIO_MAGIC);
        (void)vd_rd(x, VIRTIO_MMIO_VERSION);
        (void)vd_rd(x, VIRTIO_MMIO_DEVICE_ID);
        (void)vd_rd(x, VIRTIO_MMIO_VENDOR_ID);
        if (x->legacy)
                vd_wr(x, VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096);
        vd_wr(x, VIRTIO_MMIO_STATUS, 0);
        status_add(x, VIRTIO_STATUS_ACKNOWLEDGE);
        status_add(x, VIRTIO_STATUS_DRIVER);
        dev = features_hi_first(x);
        neg = dev & (V1 | F_SEG_MAX | F_BLK_SIZE | F_FLUSH | F_RO | F_SIZE_MAX |
                     VIRTIO_FEAT_INDIRECT_DESC | VIRTIO_FEAT_EVENT_IDX);
        write_features_hi_first(x, neg);
        if (!x->legacy) {
                status_add(x, VIRTIO_STATUS_FEATURES_OK);
                assert_true(vd_rd(x, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
                do { /* virtio_cread64: generation before and after */
                        gen = vd_rd(x, VIRTIO_MMIO_CONFIG_GENERATION);
                        (void)capacity(x);
                } while (gen != vd_rd(x, VIRTIO_MMIO_CONFIG_GENERATION));
        }
        assert_int_equal(vd_rd(x, VIRTIO_MMIO_CONFIG + 0x0c), VBLK_QUEUE_MAX - 2); /* seg_max */
        vd_wr(x, VIRTIO_MMIO_QUEUE_SEL, 0);
        assert_int_equal(vd_rd(x, x->legacy ? VIRTIO_MMIO_QUEUE_PFN : VIRTIO_MMIO_QUEUE_READY), 0);
        vf_ring_at(&x->f, &x->r, RING, (uint16_t)vd_rd(x, VIRTIO_MMIO_QUEUE_NUM_MAX), 4096);
        if (x->legacy)
                queue_v1(x);
        else
                queue_v2(x);
        status_add(x, VIRTIO_STATUS_DRIVER_OK);
        assert_int_equal(x->b.negotiated, neg);
        persona_io(x, &io);
        /* Interrupt handler: read InterruptStatus, acknowledge it. */
        vd_wr(x, VIRTIO_MMIO_INTERRUPT_ACK, vd_rd(x, VIRTIO_MMIO_INTERRUPT_STATUS));
        assert_false(x->f.irq_level);
}

static void linux_v2(void **state)
{
        linux_driver(*state);
}

static void linux_v1(void **state)
{
        linux_driver(*state);
}

/* --- Tock ------------------------------------------------------------------------- */

/*
 * Tock, chips/virtio/src/transports/mmio.rs: version 2 only; reset, then
 * ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK each OR-ed in; device
 * features lo then hi; VERSION_1 required and accepted, device bits masked
 * to 0xfff (no block driver: it accepts none); driver features lo then hi;
 * per queue: QueueReady must read 0, QueueNum = min(max, its buffers), three
 * separate areas. Direct chains.
 */
static void tock_v2(void **state)
{
        static const struct io_style io = {0};
        struct vdrv *x = *state;
        uint64_t dev;

        assert_int_equal(vd_rd(x, VIRTIO_MMIO_VERSION), 2);
        vd_wr(x, VIRTIO_MMIO_STATUS, 0);
        status_add(x, VIRTIO_STATUS_ACKNOWLEDGE);
        status_add(x, VIRTIO_STATUS_DRIVER);
        dev = features_lo_first(x);
        assert_true(dev & V1);
        write_features_lo_first(x, V1);
        status_add(x, VIRTIO_STATUS_FEATURES_OK);
        assert_true(vd_rd(x, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
        vd_wr(x, VIRTIO_MMIO_QUEUE_SEL, 0);
        assert_int_equal(vd_rd(x, VIRTIO_MMIO_QUEUE_READY), 0);
        assert_true(vd_rd(x, VIRTIO_MMIO_QUEUE_NUM_MAX) >= 8);
        ring_apart(x, 8, 0x3000, 0x5000, 0x7000);
        queue_v2(x);
        status_add(x, VIRTIO_STATUS_DRIVER_OK);
        assert_int_equal(vd_rd(x, VIRTIO_MMIO_STATUS), VF_DRIVER_OK);
        persona_io(x, &io);
}

/* --- VeridianOS ------------------------------------------------------------------ */

/*
 * VeridianOS, kernel/src/drivers/virtio/mmio.rs: reset, Status |= ACK|DRIVER,
 * device features word 0 only, driver features word 0 only (SIZE_MAX,
 * SEG_MAX, RO, BLK_SIZE, FLUSH: never VERSION_1), Status |= FEATURES_OK and
 * read back on either version; queue 0 at QueueNumMax; v1 GuestPageSize,
 * QueueAlign, PFN; v2 the addresses and ready; DRIVER_OK; capacity as two
 * 32-bit reads. Direct chains (its blk.rs request path was not read here:
 * no FLUSH is replayed).
 */
static void veridian(struct vdrv *x)
{
        static const struct io_style io = {0};
        uint32_t dev, neg;
        uint16_t num;

        assert_int_equal(vd_rd(x, VIRTIO_MMIO_MAGIC_VALUE), VMMIO_MAGIC);
        assert_int_equal(vd_rd(x, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
        vd_wr(x, VIRTIO_MMIO_STATUS, 0);
        status_add(x, VF_DRV);
        vd_wr(x, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
        dev = vd_rd(x, VIRTIO_MMIO_DEVICE_FEATURES);
        neg = dev & (uint32_t)(F_SIZE_MAX | F_SEG_MAX | F_RO | F_BLK_SIZE | F_FLUSH);
        vd_wr(x, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
        vd_wr(x, VIRTIO_MMIO_DRIVER_FEATURES, neg);
        status_add(x, VIRTIO_STATUS_FEATURES_OK);
        assert_true(vd_rd(x, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
        vd_wr(x, VIRTIO_MMIO_QUEUE_SEL, 0);
        num = (uint16_t)vd_rd(x, VIRTIO_MMIO_QUEUE_NUM_MAX);
        vf_ring_at(&x->f, &x->r, RING, num, 4096);
        vd_wr(x, VIRTIO_MMIO_QUEUE_NUM, num);
        if (x->legacy) {
                vd_wr(x, VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096);
                vd_wr(x, VIRTIO_MMIO_QUEUE_ALIGN, 4096);
                vd_wr(x, VIRTIO_MMIO_QUEUE_PFN, (uint32_t)(RING / 4096));
        } else {
                queue_v2(x);
        }
        status_add(x, VIRTIO_STATUS_DRIVER_OK);
        assert_int_equal(vd_rd(x, VIRTIO_MMIO_STATUS), VF_DRIVER_OK);
        assert_int_equal(x->b.negotiated, neg);
        persona_io(x, &io);
}

static void veridian_v2(void **state)
{
        veridian(*state);
}

static void veridian_v1(void **state)
{
        veridian(*state);
}

/* --- fixtures -------------------------------------------------------------------- */

static int setup_with(void **state, bool legacy)
{
        struct vdrv *x = calloc(1, sizeof(*x));

        if (x == NULL || vd_setup(x, legacy, false) < 0)
                return -1;
        *state = x;
        return 0;
}

static int setup_v2(void **state)
{
        return setup_with(state, false);
}

static int setup_v1(void **state)
{
        return setup_with(state, true);
}

static int teardown(void **state)
{
        struct vdrv *x = *state;

        vd_teardown(x);
        free(x);
        return 0;
}

#define T2(name) cmocka_unit_test_setup_teardown(name, setup_v2, teardown)
#define T1(name) cmocka_unit_test_setup_teardown(name, setup_v1, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
            T2(uboot_old_v2), T1(uboot_old_v1), T2(uboot_new_v2), T1(uboot_new_v1),
            T2(rcore_011_v2), T1(rcore_011_v1), T2(rcore_012_v2), T1(rcore_012_v1),
            T2(linux_v2),     T1(linux_v1),     T2(tock_v2),      T2(veridian_v2),
            T1(veridian_v1),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
