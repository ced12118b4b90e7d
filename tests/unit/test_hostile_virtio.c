/*
 * test_hostile_virtio: the hostile cases of guest/hostile/hd_virtio.c (listed
 * with their outcomes in docs/security.md) against virtio-blk over
 * virtio-mmio alone (devices/virtio_mmio.h, virtq.h, virtio_blk.h): the unit
 * back end of guest/hostile/hd.h, on fake guest memory (hd_fake.h).
 *
 * Every case runs three times: on a version 2 and on a legacy (version 1)
 * transport over a synchronous disk, and on version 2 over an io_uring disk
 * (requests batched per notify). Beyond what a guest sees, each case here
 * checks that no byte of fake RAM outside the places the device may write
 * changed, that the image is byte-identical, and the device's own reason for
 * a chain given back with used.len 0 (vq->rejected) or DEVICE_NEEDS_RESET
 * (reset_reason). Reasons of failed requests are the lab's wording
 * (lab/stubs/virtio-blk): not asserted.
 */
#include "devices/trace.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_mmio.h"
#include "hd_fake.h"

/* The three variants: which transport and disk each run of the cases uses. */
enum variant { V2, LEGACY, V2_URING, NVARIANTS };
static const char *const variant_names[NVARIANTS] = {"v2", "legacy", "v2, io_uring disk"};
static bool uring_failed; /* the kernel refused io_uring: synchronous instead */

struct fx {
        struct hd_fake k;
        struct vblk b;
        struct vmmio t;
        uint32_t notify; /* the queue a notify names, for kick_fn */
};

static struct fx *fx(struct hd *h)
{
        return h->be;
}

static void kick_fn(void *arg)
{
        struct fx *x = arg;

        vf_kick(&x->t, x->notify);
}

uint32_t hd_rd(struct hd *h, uint32_t off)
{
        return vf_rd(&fx(h)->t, off);
}

/* A notify runs with --trace on, its lines kept for hd_fail when they hold a
 * virtio-blk line; the queue's last rejection is cleared first, so
 * hd_expect_why sees this notify's. */
void hd_wr(struct hd *h, uint32_t off, uint32_t v)
{
        struct fx *x = fx(h);
        bool traced = trace_enabled; /* UNIT_TEST_TRACE (lab/unit_filter.c) */
        char t[sizeof(x->k.trace)];

        if (off != VIRTIO_MMIO_QUEUE_NOTIFY) {
                vf_wr(&x->t, off, v);
                return;
        }
        x->t.q[0].vq.rejected = VQ_OK;
        x->notify = v;
        vf_capture_trace(t, sizeof(t), kick_fn, x);
        trace_enabled = traced;
        if (strstr(t, "virtio-blk: ") != NULL)
                memcpy(x->k.trace, t, sizeof(t));
}

/* One access of len (1..16) bytes at off through the bus's entry point:
 * nothing past len touched, bytes 8.. of a read 0. */
int hd_raw(struct hd *h, uint64_t off, unsigned len, bool write, uint64_t *v)
{
        uint8_t d[17];

        assert_true(len >= 1 && len <= 16);
        memset(d, 0xee, sizeof(d));
        if (write)
                memcpy(d, v, len < 8 ? len : 8);
        vmmio_access(&fx(h)->t, off, d, len, write);
        for (uint32_t i = len; i < sizeof(d); i++)
                HD_EXPECT(d[i] == 0xee, "byte %u past a %u-byte access written", i, len);
        if (write)
                return HD_PASS;
        for (uint32_t i = 8; i < len; i++)
                HD_EXPECT(d[i] == 0, "byte %u of a %u-byte read: 0x%02x", i, len, d[i]);
        *v = 0;
        memcpy(v, d, len < 8 ? len : 8);
        if (len < 8)
                *v &= (1ULL << (8 * len)) - 1;
        return HD_PASS;
}

/* DEVICE_NEEDS_RESET: the transport's reason; otherwise the virtqueue's for
 * the chain the last notify gave back (why NULL: none, the device gave it
 * back itself); a failed request's reason (why, no rejection) is not seen.
 * The shared cases name a reason by its words, which come from the one
 * enum vq_err table (vq_err_name): the device's enum is compared through it. */
int hd_expect_why(struct hd *h, const char *why)
{
        struct fx *x = fx(h);
        enum vq_err e = x->t.needs_reset ? x->t.reset_reason : x->t.q[0].vq.rejected;
        const char *got = e == VQ_OK ? NULL : vq_err_name(e);

        if (why != NULL && got == NULL && !x->t.needs_reset)
                return HD_PASS;
        HD_EXPECT(got == why || (got != NULL && why != NULL && strcmp(got, why) == 0),
                  "the device's reason: \"%s\", want \"%s\"", got ? got : "(none)",
                  why ? why : "(none)");
        return HD_PASS;
}

/* *state: the variant. */
static int setup(void **state)
{
        static const uint8_t id[VBLK_ID_BYTES] = "hostile-serial";
        enum variant v = *(const enum variant *)*state;
        bool legacy = v == LEGACY;
        struct fx *x = calloc(1, sizeof(*x));

        if (x == NULL || hd_fake_setup(&x->k, 0x1000) < 0)
                return -1;
        if (v == V2_URING && !uring_failed && disk_use_uring(&x->k.disk, 64) < 0) {
                uring_failed = true;
                fprintf(stderr, "io_uring refused by the kernel: the group runs synchronously\n");
        }
        if (vblk_init(&x->b, &x->k.disk, (const char *)id) < 0)
                return -1;
        vmmio_init(&x->t, &x->k.f.gm, &vblk_ops, &x->b, legacy, vf_set_irq, &x->k.f);
        x->k.h.legacy = legacy;
        x->k.h.id = id;
        x->k.h.id_len = VBLK_ID_BYTES;
        *state = x;
        return 0;
}

static int teardown(void **state)
{
        struct fx *x = *state;

        hd_fake_teardown(&x->k);
        free(x);
        return 0;
}

/* Q4 at the virtqueue level (no guest can see it): a head popped again while
 * still in flight (not pushed) stops the queue with NEEDS_RESET. */
static int hostile_duplicate_heads_in_flight(struct hd *h)
{
        struct fx *x = fx(h);
        struct vf_ring r = {h->ring, h->ring + 16 * 256, h->ring + 0x2000, 256, 0};
        static struct vq_chain c;

        vf_desc(&x->k.f, r.desc, 3, h->hdr, 16, VRING_DESC_F_NEXT, 4);
        vf_desc(&x->k.f, r.desc, 4, h->stat, 1, VRING_DESC_F_WRITE, 0);
        vf_publish(&x->k.f, &r, 3);
        vf_publish(&x->k.f, &r, 3);
        assert_int_equal(vq_pop_or_arm(&x->t.q[0].vq, &c), VQ_POP_CHAIN);
        assert_int_equal(c.head, 3);
        assert_int_equal(vq_pop_or_arm(&x->t.q[0].vq, &c), VQ_POP_STOPPED);
        assert_true(vf_rd(&x->t, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
        return hd_expect_why(h, "head already in flight");
}

#define RUN(name) HD_FAKE_TEST(hd_virtio, name)
HD_VIRTIO_CASES(RUN)
RUN(hostile_duplicate_heads_in_flight)

#define ROW(name) {#name, t_##name},
static const struct {
        const char *name;
        CMUnitTestFunction fn;
} cases[] = {HD_VIRTIO_CASES(ROW) ROW(hostile_duplicate_heads_in_flight)};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

int main(void)
{
        static const enum variant variants[NVARIANTS] = {V2, LEGACY, V2_URING};
        static struct CMUnitTest tests[NVARIANTS * NCASES];
        static char names[NVARIANTS * NCASES][96];

        for (unsigned v = 0; v < NVARIANTS; v++) {
                for (unsigned i = 0; i < NCASES; i++) {
                        unsigned k = v * NCASES + i;

                        snprintf(names[k], sizeof(names[k]), "%s [%s]", cases[i].name,
                                 variant_names[v]);
                        tests[k] = (struct CMUnitTest){names[k], cases[i].fn, setup, teardown,
                                                       (void *)&variants[v]};
                }
        }
        cmocka_set_test_filter(getenv("UNIT_TEST_FILTER"));
        return cmocka_run_group_tests_name("hostile virtio-mmio", tests, NULL, NULL);
}
