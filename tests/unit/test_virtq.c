/*
 * test_virtq: the split virtqueue (devices/virtq.h), driven directly: rings
 * built in fake guest RAM (vfake.h), the queue enabled with vq_enable, chains
 * popped and pushed, callbacks counted. Each test names the rule of
 * docs/virtio-rules.md it checks and asserts exact outcomes: pop
 * results, segments, used elements and index, irq/fail callback counts.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/trace.h"
#include "devices/virtq.h"
#include "vfake.h"

#define RING  0x1000ULL
#define TABLE 0x8000ULL /* indirect tables */
#define BUF   0x10000ULL
#define N     8u
#define MAX   256u  /* QueueNumMax for the layout tests */
#define BIG   1024u /* QueueNumMax for the others */

/* A huge region that is reserved but never mapped: only its bounds are used. */
#define HUGE_GPA  0x200000000ULL
#define HUGE_SIZE 0x200000000ULL /* 8 GiB */

struct fx {
        struct vfake f;
        struct virtq vq;
        struct vf_ring r;
        struct vq_chain c;
        unsigned irqs, fails;
        enum vq_err why;
        void *huge;
        const void *param; /* the test's initial state: run_chain_case's case */
};

static void on_irq(void *opaque, struct virtq *vq)
{
        struct fx *x = opaque;

        assert_ptr_equal(vq, &x->vq);
        x->irqs++;
}

static void on_fail(void *opaque, struct virtq *vq, enum vq_err why)
{
        struct fx *x = opaque;

        assert_ptr_equal(vq, &x->vq);
        x->fails++;
        x->why = why;
}

static int setup(void **state)
{
        struct fx *x = calloc(1, sizeof(*x));

        if (x == NULL || vf_setup(&x->f) < 0)
                return -1;
        x->param = *state;
        x->huge =
            mmap(NULL, HUGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (x->huge == MAP_FAILED || gmem_add(&x->f.gm, HUGE_GPA, HUGE_SIZE, x->huge) < 0)
                return -1;
        vq_init(&x->vq, &x->f.gm, 0, on_irq, on_fail, x);
        trace_enabled = false;
        *state = x;
        return 0;
}

static int teardown(void **state)
{
        struct fx *x = *state;

        munmap(x->huge, HUGE_SIZE);
        vf_teardown(&x->f);
        free(x);
        trace_enabled = false;
        return 0;
}

/* Ring of num entries at RING, enabled with features. */
static void enable_n(struct fx *x, uint16_t num, uint64_t features)
{
        struct vq_layout l;

        vf_ring_at(&x->f, &x->r, RING, num, 4096);
        l = (struct vq_layout){num, x->r.desc, x->r.avail, x->r.used};
        assert_int_equal(vq_enable(&x->vq, &l, BIG, features, NULL), 0);
        assert_true(vq_live(&x->vq));
}

static void enable(struct fx *x)
{
        enable_n(x, N, VIRTIO_FEAT_INDIRECT_DESC);
}

static void desc(struct fx *x, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
                 uint16_t next)
{
        vf_desc(&x->f, x->r.desc, i, addr, len, flags, next);
}

static enum vq_pop_result pop(struct fx *x)
{
        return vq_pop_or_arm(&x->vq, &x->c);
}

/* head -> readable 16 bytes -> writable 1 byte (a minimal request). */
/* head, published, is popped as a chain (x->c). */
static void assert_popped(struct fx *x, uint16_t head)
{
        vf_publish(&x->f, &x->r, head);
        assert_int_equal(pop(x), VQ_POP_CHAIN);
        assert_int_equal(x->c.head, head);
}

static void simple_chain(struct fx *x, uint16_t head, uint16_t second)
{
        desc(x, head, BUF, 16, VRING_DESC_F_NEXT, second);
        desc(x, second, BUF + 0x1000, 1, VRING_DESC_F_WRITE, 0);
}

/* The published chain is rejected: used {head, 0}, queue still live, no failure. */
static void assert_rejected(struct fx *x, uint16_t head, enum vq_err why)
{
        uint16_t before = vf_used_idx(&x->f, &x->r);

        assert_int_equal(pop(x), VQ_POP_EMPTY);
        assert_int_equal(vf_used_idx(&x->f, &x->r), (uint16_t)(before + 1));
        vf_assert_used(&x->f, &x->r, before, head, 0);
        assert_int_equal(x->fails, 0);
        assert_true(vq_live(&x->vq));
        assert_int_equal(x->vq.inflight, 0);
        assert_int_equal(x->vq.rejected, why);
}

static void assert_fatal(struct fx *x)
{
        assert_int_equal(pop(x), VQ_POP_STOPPED);
        assert_int_equal(x->fails, 1);
        assert_false(vq_live(&x->vq));
        /* Stopped stays stopped, with no second report. */
        assert_int_equal(pop(x), VQ_POP_STOPPED);
        assert_int_equal(x->fails, 1);
}

static int try_layout(struct fx *x, uint32_t num, uint64_t d, uint64_t a, uint64_t u)
{
        struct vq_layout l = {num, d, a, u};
        enum vq_err why = VQ_OK;
        int r = vq_enable(&x->vq, &l, MAX, 0, &why);

        assert_true(r == 0 || why != VQ_OK);
        assert_int_equal(vq_live(&x->vq), r == 0);
        return r;
}

/* --- Q1 ------------------------------------------------------------------- */

static void q1_size_must_be_power_of_two_within_max(void **state)
{
        struct fx *x = *state;
        const uint32_t bad[] = {0, 3, 6, 255, 512, 0x8000, 0x10000, 0xffffffff};
        size_t i;

        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(try_layout(x, bad[i], RING, RING + 0x1000, RING + 0x2000),
                                 -EINVAL);
        assert_int_equal(try_layout(x, 1, RING, RING + 0x1000, RING + 0x2000), 0);
        assert_int_equal(try_layout(x, 256, RING, RING + 0x1000, RING + 0x2000), 0);
        assert_int_equal(x->fails, 0);
}

static void q1_misaligned_areas_are_refused(void **state)
{
        struct fx *x = *state;

        assert_int_equal(try_layout(x, N, RING + 8, RING + 0x1000, RING + 0x2000), -EINVAL);
        assert_int_equal(try_layout(x, N, RING, RING + 0x1001, RING + 0x2000), -EINVAL);
        assert_int_equal(try_layout(x, N, RING, RING + 0x1000, RING + 0x2002), -EINVAL);
        /* The minimum alignments are enough. */
        assert_int_equal(try_layout(x, N, RING + 16, RING + 0x1002, RING + 0x2004), 0);
}

static void q1_areas_must_lie_in_guest_ram(void **state)
{
        struct fx *x = *state;
        const uint64_t end = VF_RAM_END;

        /* Each area one byte past the end of RAM, then exactly at the end. */
        assert_int_equal(try_layout(x, N, end - 16 * N + 16, RING + 0x1000, RING + 0x2000),
                         -EINVAL);
        assert_int_equal(try_layout(x, N, end - 16 * N, RING + 0x1000, RING + 0x2000), 0);
        assert_int_equal(try_layout(x, N, RING, end - (6 + 2 * N) + 2, RING + 0x2000), -EINVAL);
        assert_int_equal(try_layout(x, N, RING, end - (6 + 2 * N), RING + 0x2000), 0);
        assert_int_equal(try_layout(x, N, RING, RING + 0x1000, end - (6 + 8 * N) + 2), -EINVAL);
        assert_int_equal(try_layout(x, N, RING, RING + 0x1000, end - (6 + 8 * N) - 2), 0);
        /* In the MMIO hole, and where address + size wraps. */
        assert_int_equal(try_layout(x, N, VF_MMIO_GPA, RING + 0x1000, RING + 0x2000), -EINVAL);
        assert_int_equal(try_layout(x, N, RING, RING + 0x1000, VF_MMIO_GPA), -EINVAL);
        assert_int_equal(try_layout(x, N, 0xfffffffffffffff0ULL, RING + 0x1000, RING + 0x2000),
                         -EINVAL);
        assert_int_equal(try_layout(x, N, RING, 0xfffffffffffffffeULL, RING + 0x2000), -EINVAL);
        /* Above 4 GiB is fine. */
        assert_int_equal(try_layout(x, N, VF_HIGH_GPA, VF_HIGH_GPA + 0x1000, VF_HIGH_GPA + 0x2000),
                         0);
}

static void q1_used_ring_may_not_overlap_driver_areas(void **state)
{
        struct fx *x = *state;

        /* All three at 0: what a driver that never wrote the addresses gets. */
        assert_int_equal(try_layout(x, N, 0, 0, 0), -EINVAL);
        assert_int_equal(try_layout(x, N, RING, RING + 0x1000, RING + 0x10), -EINVAL);
        assert_int_equal(try_layout(x, N, RING, RING + 0x1000, RING + 0x1000 - 4), -EINVAL);
        /* Adjacent is fine (the v1 layout with a small QueueAlign). */
        assert_int_equal(try_layout(x, N, RING, RING + 16 * N, RING + 16 * N + 6 + 2 * N + 2), 0);
}

/* --- Q2 ------------------------------------------------------------------- */

static void q2_avail_index_exactly_n_ahead_is_served(void **state)
{
        struct fx *x = *state;
        unsigned i;

        enable(x);
        for (i = 0; i < N; i++) {
                desc(x, (uint16_t)i, BUF + 0x100 * i, 1, VRING_DESC_F_WRITE, 0);
                vf_publish(&x->f, &x->r, (uint16_t)i);
        }
        for (i = 0; i < N; i++) {
                assert_int_equal(pop(x), VQ_POP_CHAIN);
                assert_int_equal(x->c.head, i);
        }
        assert_int_equal(pop(x), VQ_POP_EMPTY);
        assert_int_equal(x->fails, 0);
}

static void q2_indices_wrap_at_65536(void **state)
{
        struct fx *x = *state;
        unsigned i;

        enable_n(x, 2, 0);
        desc(x, 0, BUF, 4, VRING_DESC_F_WRITE, 0);
        for (i = 0; i < 70000; i++) {
                vf_publish(&x->f, &x->r, 0);
                assert_int_equal(pop(x), VQ_POP_CHAIN);
                assert_int_equal(vq_push(&x->vq, 0, i & 0xff), 0);
                assert_int_equal(pop(x), VQ_POP_EMPTY); /* the pass ends: a new one per kick */
        }
        assert_int_equal(vf_used_idx(&x->f, &x->r), 70000 & 0xffff);
        vf_assert_used(&x->f, &x->r, (70000 - 1) & 0xffff, 0, (70000 - 1) & 0xff);
        assert_int_equal(pop(x), VQ_POP_EMPTY);
        assert_int_equal(x->fails, 0);
}

/* --- Q3, Q4 ---------------------------------------------------------------- */

/* The simple chain at head 0 published twice, the first one popped. */
static void head_0_twice_one_in_flight(struct fx *x)
{
        enable(x);
        simple_chain(x, 0, 1);
        vf_publish(&x->f, &x->r, 0);
        vf_publish(&x->f, &x->r, 0);
        assert_int_equal(pop(x), VQ_POP_CHAIN);
}

static void q4_head_already_in_flight_is_fatal(void **state)
{
        struct fx *x = *state;

        head_0_twice_one_in_flight(x);
        assert_int_equal(x->vq.inflight, 1);
        assert_fatal(x);
        assert_int_equal(x->why, VQ_E_HEAD_INFLIGHT);
}

/* Past bug: re-kicks without completions never grow the in-flight set. */
static void q4_inflight_never_exceeds_queue_size(void **state)
{
        struct fx *x = *state;
        unsigned i, round;

        enable(x);
        for (i = 0; i < N; i++)
                desc(x, (uint16_t)i, BUF + 0x100 * i, 1, VRING_DESC_F_WRITE, 0);
        for (i = 0; i < N; i++)
                vf_publish(&x->f, &x->r, (uint16_t)i);
        for (round = 0; round < 3; round++)
                while (pop(x) == VQ_POP_CHAIN)
                        assert_true(x->vq.inflight <= N);
        assert_int_equal(x->vq.inflight, N);
        assert_int_equal(x->fails, 0);
        /* Reusing a head the device still owns. */
        vf_publish(&x->f, &x->r, 3);
        assert_fatal(x);
        assert_int_equal(x->vq.inflight, N);
}

static void q4_push_of_a_head_not_in_flight_is_refused(void **state)
{
        struct fx *x = *state;

        enable(x);
        assert_int_equal(vq_push(&x->vq, 0, 1), -EINVAL);
        assert_int_equal(vq_push(&x->vq, N, 1), -EINVAL);
        simple_chain(x, 2, 3);
        vf_publish(&x->f, &x->r, 2);
        assert_int_equal(pop(x), VQ_POP_CHAIN);
        assert_int_equal(vq_push(&x->vq, 2, 1), 0);
        assert_int_equal(vq_push(&x->vq, 2, 1), -EINVAL); /* twice */
        assert_int_equal(vf_used_idx(&x->f, &x->r), 1);
}

/* --- Q5 ------------------------------------------------------------------- */

/* A header (16 readable bytes), 512 data bytes and a status byte at
 * descriptors i0 -> i1 -> i2 of table (the ring's or an indirect one). */
static void request3(struct fx *x, uint64_t table, uint16_t i0, uint16_t i1, uint16_t i2)
{
        vf_desc(&x->f, table, i0, BUF, 16, VRING_DESC_F_NEXT, i1);
        vf_desc(&x->f, table, i1, BUF + 0x100, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, i2);
        vf_desc(&x->f, table, i2, BUF + 0x1000, 1, VRING_DESC_F_WRITE, 0);
}

/* The popped chain is request3's, as segments. */
static void assert_request3(struct fx *x)
{
        assert_int_equal(x->c.nsegs, 3);
        assert_int_equal(x->c.nreadable, 1);
        assert_int_equal(x->c.read_len, 16);
        assert_int_equal(x->c.write_len, 513);
        assert_int_equal(x->c.segs[0].gpa, BUF);
        assert_false(x->c.segs[0].writable);
        assert_int_equal(x->c.segs[1].gpa, BUF + 0x100);
        assert_int_equal(x->c.segs[1].len, 512);
        assert_true(x->c.segs[1].writable);
        assert_int_equal(x->c.segs[2].gpa, BUF + 0x1000);
}

static void q5_valid_chain_is_delivered_as_segments(void **state)
{
        struct fx *x = *state;

        enable(x);
        request3(x, x->r.desc, 5, 2, 7);
        assert_popped(x, 5);
        assert_request3(x);
        assert_int_equal(vq_push(&x->vq, 5, 513), 0);
        vf_assert_used(&x->f, &x->r, 0, 5, 513);
}

static void q5_chain_of_exactly_n_descriptors_is_accepted(void **state)
{
        struct fx *x = *state;
        unsigned i;

        enable(x);
        for (i = 0; i < N; i++)
                desc(x, (uint16_t)i, BUF + 0x10 * i, 0x10,
                     (uint16_t)(i + 1 < N ? VRING_DESC_F_NEXT : 0), (uint16_t)(i + 1));
        vf_publish(&x->f, &x->r, 0);
        assert_int_equal(pop(x), VQ_POP_CHAIN);
        assert_int_equal(x->c.nsegs, N);
}

/* Past bug (no proportional allocation): claimed lengths of 4 GiB only get checked. */
static void q5_chain_of_4gib_is_rejected(void **state)
{
        struct fx *x = *state;

        enable(x);
        desc(x, 0, HUGE_GPA, 0x80000000, VRING_DESC_F_NEXT, 1);
        desc(x, 1, HUGE_GPA + 0x80000000, 0x80000000, VRING_DESC_F_WRITE, 0);
        vf_publish(&x->f, &x->r, 0);
        assert_rejected(x, 0, VQ_E_CHAIN_4G);
        /* One byte less is a valid chain (never touched by the queue). */
        desc(x, 1, HUGE_GPA + 0x80000000, 0x7fffffff, VRING_DESC_F_WRITE, 0);
        vf_publish(&x->f, &x->r, 0);
        assert_int_equal(pop(x), VQ_POP_CHAIN);
        assert_int_equal(x->c.read_len + x->c.write_len, 0xffffffffULL);
}

static void q5_chain_longer_than_256_segments_is_rejected(void **state)
{
        struct fx *x = *state;
        unsigned i;

        enable_n(x, 512, 0);
        for (i = 0; i < 257; i++)
                desc(x, (uint16_t)i, BUF + i, 1, (uint16_t)(i < 256 ? VRING_DESC_F_NEXT : 0),
                     (uint16_t)(i + 1));
        vf_publish(&x->f, &x->r, 0);
        assert_rejected(x, 0, VQ_E_SEGS);
        vf_publish(&x->f, &x->r, 1); /* 256 segments: fine */
        assert_int_equal(pop(x), VQ_POP_CHAIN);
        assert_int_equal(x->c.nsegs, 256);
}

/* --- Q6 ------------------------------------------------------------------- */

static void q6_buffer_ending_exactly_at_ram_end_is_accepted(void **state)
{
        struct fx *x = *state;

        enable(x);
        desc(x, 0, VF_B_GPA + VF_B_SIZE - 0x100, 0x100, VRING_DESC_F_WRITE, 0);
        vf_publish(&x->f, &x->r, 0);
        assert_int_equal(pop(x), VQ_POP_CHAIN);
        assert_int_equal(x->c.segs[0].len, 0x100);
}

/* --- Q7 ------------------------------------------------------------------- */

/* The queue writes the used ring and nothing else. */
static void q7_queue_writes_only_the_used_ring(void **state)
{
        struct fx *x = *state;
        uint8_t *before = malloc(VF_RAM_SIZE);
        uint64_t used_len = 6 + 8 * N;

        assert_non_null(before);
        enable(x);
        simple_chain(x, 0, 1);
        desc(x, 2, BUF, 16, VRING_DESC_F_NEXT, 2); /* a rejected one too */
        vf_publish(&x->f, &x->r, 0);
        vf_publish(&x->f, &x->r, 2);
        memcpy(before, x->f.ram, VF_RAM_SIZE);
        assert_int_equal(pop(x), VQ_POP_CHAIN);
        assert_int_equal(vq_push(&x->vq, 0, 1), 0);
        assert_int_equal(pop(x), VQ_POP_EMPTY);
        vq_signal_used(&x->vq);
        assert_memory_equal(before, x->f.ram, x->r.used);
        assert_memory_equal(before + x->r.used + used_len, x->f.ram + x->r.used + used_len,
                            VF_RAM_SIZE - x->r.used - used_len);
        assert_int_equal(vf_used_idx(&x->f, &x->r), 2);
        free(before);
}

/* --- Q8 ------------------------------------------------------------------- */

static void itab(struct fx *x, uint32_t i, uint64_t addr, uint32_t len, uint16_t flags,
                 uint16_t next)
{
        vf_desc(&x->f, TABLE, i, addr, len, flags, next);
}

static void q8_indirect_chain_is_delivered(void **state)
{
        struct fx *x = *state;

        enable(x);
        request3(x, TABLE, 0, 2, 1);
        desc(x, 4, TABLE, 3 * 16, VRING_DESC_F_INDIRECT, 0);
        assert_popped(x, 4);
        assert_request3(x);
}

static void q8_indirect_table_length_is_checked(void **state)
{
        struct fx *x = *state;
        const uint32_t bad[] = {0, 8, 17, 16 * 256 + 16, 0xfffffff0};
        const enum vq_err why[] = {
            VQ_E_INDIRECT_LEN,  VQ_E_INDIRECT_LEN,  VQ_E_INDIRECT_LEN,
            VQ_E_INDIRECT_LONG, VQ_E_INDIRECT_LONG,
        };
        size_t i;

        enable(x);
        for (i = 0; i < 257; i++)
                itab(x, (uint32_t)i, BUF, 1, VRING_DESC_F_WRITE, 0);
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                desc(x, 0, TABLE, bad[i], VRING_DESC_F_INDIRECT, 0);
                vf_publish(&x->f, &x->r, 0);
                assert_rejected(x, 0, why[i]);
        }
        desc(x, 0, TABLE, 16 * 256, VRING_DESC_F_INDIRECT, 0); /* the cap itself */
        vf_publish(&x->f, &x->r, 0);
        assert_int_equal(pop(x), VQ_POP_CHAIN);
        assert_int_equal(x->c.nsegs, 1);
}

/*
 * §2.7.5.3.2: the device MUST handle zero or more direct descriptors
 * followed by a single INDIRECT one: the direct buffers come first.
 */
static void q8_indirect_after_direct_buffers_is_served_s2_7_5_3_2(void **state)
{
        struct fx *x = *state;

        enable(x);
        itab(x, 0, BUF + 0x200, 512, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
        itab(x, 1, BUF, 1, VRING_DESC_F_WRITE, 0);
        desc(x, 0, BUF + 0x100, 16, VRING_DESC_F_NEXT, 1);
        desc(x, 1, TABLE, 32, VRING_DESC_F_INDIRECT, 0);
        assert_popped(x, 0);
        assert_int_equal(x->c.nsegs, 3);
        assert_int_equal(x->c.nreadable, 1);
        assert_int_equal(x->c.segs[0].gpa, BUF + 0x100);
        assert_int_equal(x->c.segs[1].gpa, BUF + 0x200);
        assert_int_equal(x->c.segs[2].gpa, BUF);
        assert_int_equal(x->c.read_len, 16);
        assert_int_equal(x->c.write_len, 513);
        assert_int_equal(x->fails, 0);
}

/* --- Q9, Q10 -------------------------------------------------------------- */

static void q9_push_writes_element_then_index(void **state)
{
        struct fx *x = *state;
        unsigned i;

        enable(x);
        for (i = 0; i < N + 2; i++) {
                simple_chain(x, 6, 1);
                vf_publish(&x->f, &x->r, 6);
                assert_int_equal(pop(x), VQ_POP_CHAIN);
                assert_int_equal(vq_push(&x->vq, 6, 100 + i), 0);
                assert_int_equal(pop(x), VQ_POP_EMPTY); /* the pass ends */
                /* Slot idx % N holds the element, idx counts it. */
                vf_assert_used(&x->f, &x->r, (uint16_t)i, 6, 100 + i);
                assert_int_equal(vf_used_idx(&x->f, &x->r), i + 1);
        }
        assert_int_equal(vf_get(&x->f, x->r.used, 2), 0); /* used->flags untouched */
}

static void push_one(struct fx *x, uint16_t head)
{
        simple_chain(x, head, (uint16_t)(head + 1));
        vf_publish(&x->f, &x->r, head);
        assert_int_equal(pop(x), VQ_POP_CHAIN);
        assert_int_equal(vq_push(&x->vq, head, 1), 0);
}

static void q10_interrupt_unless_no_interrupt_flag(void **state)
{
        struct fx *x = *state;

        enable(x);
        push_one(x, 0);
        vq_signal_used(&x->vq);
        assert_int_equal(x->irqs, 1);
        vf_put(&x->f, x->r.avail, VRING_AVAIL_F_NO_INTERRUPT, 2);
        push_one(x, 0);
        vq_signal_used(&x->vq);
        assert_int_equal(x->irqs, 1);
        vf_put(&x->f, x->r.avail, 0, 2);
        push_one(x, 0);
        vq_signal_used(&x->vq);
        assert_int_equal(x->irqs, 2);
}

static void q10_no_interrupt_without_new_used_elements(void **state)
{
        struct fx *x = *state;

        enable(x);
        vq_signal_used(&x->vq);
        assert_int_equal(x->irqs, 0);
        push_one(x, 0);
        vq_signal_used(&x->vq);
        vq_signal_used(&x->vq);
        assert_int_equal(x->irqs, 1);
}

static void q10_event_idx_formula(void **state)
{
        /* vring_need_event: new - event - 1 < new - old, all mod 2^16. */
        static const struct {
                uint16_t event, now, old;
                bool want;
        } t[] = {
            {0, 1, 0, true},           {1, 1, 0, false},          {1, 2, 0, true},
            {4, 8, 3, true},           {8, 8, 3, false},          {2, 8, 3, false},
            {0xffff, 0, 0xffff, true}, {0xfffe, 2, 0xfff0, true}, {5, 5, 5, false},
        };

        (void)state;
        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
                assert_int_equal(vq_need_event(t[i].event, t[i].now, t[i].old), t[i].want);
}

static void q10_event_idx_uses_used_event(void **state)
{
        struct fx *x = *state;
        uint64_t used_event;

        enable_n(x, N, VIRTIO_FEAT_EVENT_IDX);
        used_event = x->r.avail + 4 + 2 * N;
        vf_put(&x->f, x->r.avail, VRING_AVAIL_F_NO_INTERRUPT, 2); /* ignored with EVENT_IDX */
        vf_put(&x->f, used_event, 0, 2);
        push_one(x, 0); /* used 0 -> 1 crosses 0 */
        vq_signal_used(&x->vq);
        assert_int_equal(x->irqs, 1);
        vf_put(&x->f, used_event, 3, 2);
        push_one(x, 0); /* 1 -> 2 */
        vq_signal_used(&x->vq);
        assert_int_equal(x->irqs, 1);
        push_one(x, 0); /* 2 -> 3 */
        push_one(x, 0); /* 3 -> 4 crosses 3 */
        vq_signal_used(&x->vq);
        assert_int_equal(x->irqs, 2);
}

static void q10_event_idx_publishes_avail_event(void **state)
{
        struct fx *x = *state;
        uint64_t avail_event;

        enable_n(x, N, VIRTIO_FEAT_EVENT_IDX);
        avail_event = x->r.used + 4 + 8 * N;
        vf_put(&x->f, avail_event, 0x1234, 2);
        push_one(x, 0);
        assert_int_equal(pop(x), VQ_POP_EMPTY);
        assert_int_equal(vf_get(&x->f, avail_event, 2), 1);
}

/* --- Q11, Q12 ------------------------------------------------------------- */

/* Past bug "head-only chain stalls queue": the bad chain is consumed, the good one served. */
static void q11_malformed_chain_returns_len_0_and_next_is_served(void **state)
{
        struct fx *x = *state;

        enable(x);
        desc(x, 0, BUF, 0, 0, 0); /* zero length */
        simple_chain(x, 1, 2);
        vf_publish(&x->f, &x->r, 0);
        assert_popped(x, 1);
        vf_assert_used(&x->f, &x->r, 0, 0, 0);
        assert_int_equal(vq_push(&x->vq, 1, 1), 0);
        vf_assert_used(&x->f, &x->r, 1, 1, 1);
        assert_int_equal(vf_used_idx(&x->f, &x->r), 2);
        assert_int_equal(pop(x), VQ_POP_EMPTY);
        /* Never re-parsed: a second look finds nothing new. */
        assert_int_equal(pop(x), VQ_POP_EMPTY);
        assert_int_equal(vf_used_idx(&x->f, &x->r), 2);
}

static void q11_a_full_ring_of_malformed_chains_is_bounded(void **state)
{
        struct fx *x = *state;
        unsigned i;

        enable(x);
        for (i = 0; i < N; i++) {
                desc(x, (uint16_t)i, BUF, 16, VRING_DESC_F_NEXT, (uint16_t)i);
                vf_publish(&x->f, &x->r, (uint16_t)i);
        }
        assert_int_equal(pop(x), VQ_POP_EMPTY);
        assert_int_equal(vf_used_idx(&x->f, &x->r), N);
        for (i = 0; i < N; i++)
                vf_assert_used(&x->f, &x->r, (uint16_t)i, i, 0);
        assert_int_equal(x->fails, 0);
}

static void q12_reset_forgets_indices_and_inflight(void **state)
{
        struct fx *x = *state;

        head_0_twice_one_in_flight(x);
        vq_reset(&x->vq);
        assert_false(vq_live(&x->vq));
        assert_int_equal(pop(x), VQ_POP_STOPPED);
        /* The stale completion is dropped, the ring not touched. */
        assert_int_equal(vq_push(&x->vq, 0, 1), -EINVAL);
        assert_int_equal(vf_used_idx(&x->f, &x->r), 0);
        vq_signal_used(&x->vq);
        assert_int_equal(x->irqs, 0);
        /* Re-enabled on a fresh ring: indices start at 0 again. */
        enable(x);
        assert_int_equal(x->vq.last_avail, 0);
        assert_int_equal(x->vq.used_idx, 0);
        assert_int_equal(x->vq.inflight, 0);
        assert_int_equal(pop(x), VQ_POP_EMPTY);
}

static void q12_failed_layout_leaves_queue_stopped(void **state)
{
        struct fx *x = *state;
        struct vq_layout bad = {N, RING + 1, RING + 0x1000, RING + 0x2000};

        enable(x);
        simple_chain(x, 0, 1);
        vf_publish(&x->f, &x->r, 0);
        assert_int_equal(vq_enable(&x->vq, &bad, MAX, 0, NULL), -EINVAL);
        assert_int_equal(pop(x), VQ_POP_STOPPED);
        assert_int_equal(vf_used_idx(&x->f, &x->r), 0);
}

static void vq_fail_stops_the_queue_once(void **state)
{
        struct fx *x = *state;

        enable(x);
        vq_fail(&x->vq, VQ_E_DEVICE_RESET);
        vq_fail(&x->vq, VQ_E_USED_UNWRITABLE);
        assert_int_equal(x->fails, 1);
        assert_int_equal(x->why, VQ_E_DEVICE_RESET);
        simple_chain(x, 0, 1);
        vf_publish(&x->f, &x->r, 0);
        assert_int_equal(pop(x), VQ_POP_STOPPED);
}

/* --- trace ---------------------------------------------------------------- */

static void traced_pops(void *arg)
{
        struct fx *x = arg;

        desc(x, 0, BUF, 16, VRING_DESC_F_NEXT, 0);
        desc(x, 1, 0x10000, 16, VRING_DESC_F_NEXT, 2);
        desc(x, 2, 0x11000, 1, VRING_DESC_F_WRITE, 0);
        vf_publish(&x->f, &x->r, 0);
        vf_publish(&x->f, &x->r, 1);
        assert_int_equal(pop(x), VQ_POP_CHAIN);
        vf_set_avail_idx(&x->f, &x->r, 100);
        assert_int_equal(pop(x), VQ_POP_STOPPED);
}

static void trace_decodes_chains_and_reasons(void **state)
{
        struct fx *x = *state;
        char out[4096];

        enable(x);
        vf_capture_trace(out, sizeof(out), traced_pops, x);
        assert_non_null(strstr(out, "virtq 0: head 0 rejected (used.len 0): descriptor loop"));
        assert_non_null(strstr(out, "virtq 0: head 1: [0] 0x10000 len 16 R, [1] 0x11000 len 1 W"));
        assert_non_null(
            strstr(out, "virtq 0: stopped: avail index moved more than the queue size"));
}

/* --- broken chains and rings, as data ------------------------------------------ */

/*
 * A case the queue must refuse: descriptors in the ring or the indirect table
 * (at TABLE), then heads published, each rejected (Q11: used {head, 0}, the
 * queue live) or fatal (NEEDS_RESET once, the used ring untouched), with the
 * reason the queue names. The queue of N entries is enabled with features.
 */
struct cstep {
        char kind; /* 'd' ring descriptor, 't' table entry, 'a' avail.idx, 'p' publish,
                      'r' publish and rejected, 'f' fatal */
        uint16_t i;
        uint64_t addr;
        uint32_t len;
        uint16_t flags, next;
        enum vq_err why;
};

struct chain_case {
        uint64_t features;
        struct cstep s[N + 2];
};

#define NX  VRING_DESC_F_NEXT
#define WR  VRING_DESC_F_WRITE
#define IND VRING_DESC_F_INDIRECT
// clang-format off
#define D(i, a, l, f, n)  {'d', i, a, l, f, n, VQ_OK}
#define TB(i, a, l, f, n) {'t', i, a, l, f, n, VQ_OK}
#define AVAIL(idx)        {'a', idx, 0, 0, 0, 0, VQ_OK}
#define PUB(head)         {'p', head, 0, 0, 0, 0, VQ_OK}
#define REJ(head, why)    {'r', head, 0, 0, 0, 0, why}
#define FATAL(why)        {'f', 0, 0, 0, 0, 0, why}
// clang-format on
#define CHAIN(name, feats, ...) static const struct chain_case name = {feats, {__VA_ARGS__}};

static void run_chain_case(void **state)
{
        struct fx *x = *state;
        const struct chain_case *c = x->param;

        enable_n(x, N, c->features);
        for (const struct cstep *s = c->s; s->kind != 0; s++) {
                uint16_t used = vf_used_idx(&x->f, &x->r);

                if (s->kind == 'd' || s->kind == 't')
                        vf_desc(&x->f, s->kind == 't' ? TABLE : x->r.desc, s->i, s->addr, s->len,
                                s->flags, s->next);
                else if (s->kind == 'a')
                        vf_set_avail_idx(&x->f, &x->r, s->i);
                else if (s->kind != 'f')
                        vf_publish(&x->f, &x->r, s->i);
                if (s->kind == 'r')
                        assert_rejected(x, s->i, s->why);
                if (s->kind != 'f')
                        continue;
                assert_fatal(x);
                assert_int_equal(x->why, s->why);
                assert_int_equal(vf_used_idx(&x->f, &x->r), used);
        }
}

#define I_ VIRTIO_FEAT_INDIRECT_DESC
/* Q2: avail.idx N + 1 and 0x8000 ahead, and going backwards. */
CHAIN(q2_avail_index_n_plus_one_ahead_needs_reset, I_, AVAIL(N + 1), FATAL(VQ_E_AVAIL_IDX))
CHAIN(q2_avail_index_0x8000_ahead_needs_reset, I_, AVAIL(0x8000), FATAL(VQ_E_AVAIL_IDX))
CHAIN(q2_avail_index_going_backwards_needs_reset, I_, AVAIL(0xffff), FATAL(VQ_E_AVAIL_IDX))
/* Q3: heads N and 0xffff. */
CHAIN(q3_head_index_out_of_range_is_fatal, I_, PUB(N), FATAL(VQ_E_HEAD_RANGE))
CHAIN(q3_head_0xffff_is_fatal, I_, PUB(0xffff), FATAL(VQ_E_HEAD_RANGE))
/* Q5: loops, next out of range, zero lengths. */
CHAIN(q5_chain_loop_is_rejected, I_, D(0, BUF, 16, NX, 1), D(1, BUF, 16, NX, 0), REJ(0, VQ_E_LOOP))
CHAIN(q5_self_loop_is_rejected, I_, D(3, BUF, 1, NX | WR, 3), REJ(3, VQ_E_LOOP))
/* Past bug: N descriptors pointing at each other with huge lengths. */
#define HUGE_D(i) D(i, HUGE_GPA, 0xffffffff, NX, ((i) + 1) % N)
CHAIN(q5_self_referencing_chain_with_huge_lengths_stops, I_, HUGE_D(0), HUGE_D(1), HUGE_D(2),
      HUGE_D(3), HUGE_D(4), HUGE_D(5), HUGE_D(6), HUGE_D(7), REJ(0, VQ_E_CHAIN_4G))
CHAIN(q5_next_out_of_range_is_rejected, I_, D(0, BUF, 16, NX, N), REJ(0, VQ_E_NEXT_RANGE),
      D(1, BUF, 16, NX, 0xffff), REJ(1, VQ_E_NEXT_RANGE))
/* Past bug: zero-length descriptors, direct (here) and indirect (Q8 below). */
CHAIN(q5_zero_length_descriptor_is_rejected, I_, D(0, BUF, 16, NX, 1),
      D(1, BUF + 0x100, 0, NX | WR, 2), D(2, BUF + 0x200, 1, WR, 0), REJ(0, VQ_E_ZERO_LEN))
/* Q6: one byte past a region's end; a huge length near the top of RAM and
 * address + len wrapping (past bug); the MMIO window, aimed at a device's
 * own registers (past bugs); two regions adjacent in guest space are
 * separate host buffers. */
CHAIN(q6_buffer_one_byte_past_ram_is_rejected, I_, D(0, VF_B_GPA + VF_B_SIZE - 0x100, 0x101, WR, 0),
      REJ(0, VQ_E_BUF_RAM), D(1, VF_HIGH_GPA + VF_HIGH_SIZE - 1, 2, 0, 0), REJ(1, VQ_E_BUF_RAM))
CHAIN(q6_huge_length_near_top_is_rejected, I_, D(0, VF_RAM_END - 0x10, 0xffffffff, WR, 0),
      REJ(0, VQ_E_BUF_RAM), D(1, 0xffffffffffffff00ULL, 0x1000, WR, 0), REJ(1, VQ_E_BUF_RAM))
CHAIN(q6_buffer_in_mmio_window_is_rejected, I_, D(0, BUF, 16, NX, 1),
      D(1, VF_MMIO_GPA + VIRTIO_MMIO_QUEUE_NOTIFY, 4, WR, 0), REJ(0, VQ_E_BUF_RAM),
      D(1, VF_MMIO_GPA + VIRTIO_MMIO_STATUS, 1, WR, 0), REJ(0, VQ_E_BUF_RAM))
CHAIN(q6_buffer_spanning_two_regions_is_rejected, I_, D(0, VF_B_GPA - 8, 16, WR, 0),
      REJ(0, VQ_E_BUF_RAM))
/* Q7 */
CHAIN(q7_readable_after_writable_is_rejected, I_, D(0, BUF, 1, NX | WR, 1),
      D(1, BUF + 0x100, 16, 0, 0), REJ(0, VQ_E_READ_AFTER_WRITE))
/* Q8: indirect tables; a second INDIRECT after an indirect table's direct
 * ones is refused (still a single INDIRECT); a 2-entry table whose next (5)
 * is below N but beyond the table. */
CHAIN(q8_indirect_refused_when_not_negotiated, 0, TB(0, BUF, 1, WR, 0), D(0, TABLE, 16, IND, 0),
      REJ(0, VQ_E_INDIRECT_OFF))
CHAIN(q8_indirect_table_outside_ram_is_rejected, I_, D(0, VF_RAM_END - 16, 32, IND, 0),
      REJ(0, VQ_E_INDIRECT_RAM), D(0, VF_MMIO_GPA, 16, IND, 0), REJ(0, VQ_E_INDIRECT_RAM))
CHAIN(q8_nested_indirect_is_rejected, I_, TB(0, TABLE + 0x100, 16, IND, 0), TB(0x10, BUF, 1, WR, 0),
      D(0, TABLE, 16, IND, 0), REJ(0, VQ_E_INDIRECT_NESTED))
CHAIN(q8_indirect_with_next_is_rejected, I_, TB(0, BUF, 1, WR, 0), D(0, TABLE, 16, IND | NX, 1),
      D(1, BUF + 0x100, 1, WR, 0), REJ(0, VQ_E_INDIRECT_NEXT))
CHAIN(q8_second_indirect_after_direct_buffers_is_rejected, I_, TB(0, BUF, 1, WR, 0),
      D(0, BUF + 0x100, 16, NX, 1), D(1, TABLE, 16, IND | NX, 2), D(2, BUF + 0x200, 1, WR, 0),
      REJ(0, VQ_E_INDIRECT_NEXT))
CHAIN(q8_next_inside_table_is_bounded_by_the_table, I_, TB(0, BUF, 16, NX, 5), TB(1, BUF, 1, WR, 0),
      TB(5, BUF, 1, WR, 0), D(0, TABLE, 32, IND, 0), REJ(0, VQ_E_INDIRECT_NEXT_RANGE))
CHAIN(q8_loop_inside_table_is_rejected, I_, TB(0, BUF, 16, NX, 1), TB(1, BUF, 16, NX, 0),
      D(0, TABLE, 32, IND, 0), REJ(0, VQ_E_INDIRECT_LOOP))
CHAIN(q8_zero_length_descriptor_in_table_is_rejected, I_, TB(0, BUF, 16, NX, 1),
      TB(1, BUF + 0x100, 0, WR, 0), D(0, TABLE, 32, IND, 0), REJ(0, VQ_E_ZERO_LEN))

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
/* A case of the table above. */
#define C(name)                                                                                    \
        {                                                                                          \
#name, run_chain_case, setup, teardown, (void *)&(name)                            \
        }

int main(void)
{
        const struct CMUnitTest tests[] = {
            T(q1_size_must_be_power_of_two_within_max),
            T(q1_misaligned_areas_are_refused),
            T(q1_areas_must_lie_in_guest_ram),
            T(q1_used_ring_may_not_overlap_driver_areas),
            C(q2_avail_index_n_plus_one_ahead_needs_reset),
            C(q2_avail_index_0x8000_ahead_needs_reset),
            C(q2_avail_index_going_backwards_needs_reset),
            T(q2_avail_index_exactly_n_ahead_is_served),
            T(q2_indices_wrap_at_65536),
            C(q3_head_index_out_of_range_is_fatal),
            C(q3_head_0xffff_is_fatal),
            T(q4_head_already_in_flight_is_fatal),
            T(q4_inflight_never_exceeds_queue_size),
            T(q4_push_of_a_head_not_in_flight_is_refused),
            T(q5_valid_chain_is_delivered_as_segments),
            C(q5_chain_loop_is_rejected),
            C(q5_self_loop_is_rejected),
            C(q5_self_referencing_chain_with_huge_lengths_stops),
            T(q5_chain_of_exactly_n_descriptors_is_accepted),
            C(q5_next_out_of_range_is_rejected),
            C(q5_zero_length_descriptor_is_rejected),
            T(q5_chain_of_4gib_is_rejected),
            T(q5_chain_longer_than_256_segments_is_rejected),
            T(q6_buffer_ending_exactly_at_ram_end_is_accepted),
            C(q6_buffer_one_byte_past_ram_is_rejected),
            C(q6_huge_length_near_top_is_rejected),
            C(q6_buffer_in_mmio_window_is_rejected),
            C(q6_buffer_spanning_two_regions_is_rejected),
            C(q7_readable_after_writable_is_rejected),
            T(q7_queue_writes_only_the_used_ring),
            T(q8_indirect_chain_is_delivered),
            C(q8_indirect_refused_when_not_negotiated),
            T(q8_indirect_table_length_is_checked),
            C(q8_indirect_table_outside_ram_is_rejected),
            C(q8_nested_indirect_is_rejected),
            C(q8_indirect_with_next_is_rejected),
            T(q8_indirect_after_direct_buffers_is_served_s2_7_5_3_2),
            C(q8_second_indirect_after_direct_buffers_is_rejected),
            C(q8_next_inside_table_is_bounded_by_the_table),
            C(q8_loop_inside_table_is_rejected),
            C(q8_zero_length_descriptor_in_table_is_rejected),
            T(q9_push_writes_element_then_index),
            T(q10_interrupt_unless_no_interrupt_flag),
            T(q10_no_interrupt_without_new_used_elements),
            T(q10_event_idx_formula),
            T(q10_event_idx_uses_used_event),
            T(q10_event_idx_publishes_avail_event),
            T(q11_malformed_chain_returns_len_0_and_next_is_served),
            T(q11_a_full_ring_of_malformed_chains_is_bounded),
            T(q12_reset_forgets_indices_and_inflight),
            T(q12_failed_layout_leaves_queue_stopped),
            T(vq_fail_stops_the_queue_once),
            T(trace_decodes_chains_and_reasons),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
