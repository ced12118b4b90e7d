/*
 * test_virtio_mmio: the virtio-mmio transport (devices/virtio_mmio.h), v2 and
 * v1, with a fake device behind it (two queues of 16 and 8 entries, a 12-byte
 * config space, features chosen per test) whose notify pops every chain and
 * returns it with a fixed used.len. The transport is driven only through
 * vmmio_access(), as a driver would (vfake.h). Each test names the rule of
 * docs/virtio-rules.md it checks and asserts exact register values,
 * interrupt line levels, used rings and device callbacks.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/trace.h"
#include "devices/virtio_mmio.h"
#include "vfake.h"
#include "vfake_ops.h"

#define RING     0x1000ULL
#define RING2    0x6000ULL
#define BUF      0x10000ULL
#define QN       16u
#define FAKE_ID  42u
#define CFG_SIZE 12u
#define REPLY    7u /* used.len the fake device returns */

#define F_DEV_BIT0 VIRTIO_BIT(0)
#define F_DEV_BIT5 VIRTIO_BIT(5)

/* The fake device. */
struct fdev {
        uint64_t features;
        uint8_t config[CFG_SIZE];
        unsigned notifies, resets, activates;
        uint64_t activated_with;
        unsigned last_queue;
        unsigned chains;
};

static uint64_t fdev_features(void *dev)
{
        return ((struct fdev *)dev)->features;
}

static void fdev_config_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
        struct fdev *d = dev;

        assert_true(off <= CFG_SIZE && len <= CFG_SIZE - off);
        memcpy(buf, d->config + off, len);
}

static unsigned fdev_num_queues(void *dev)
{
        (void)dev;
        return 2;
}

static uint16_t fdev_queue_max(void *dev, unsigned q)
{
        (void)dev;
        return q == 0 ? QN : 8;
}

static void fdev_notify(void *dev, struct virtq *vq)
{
        struct fdev *d = dev;
        struct vq_chain *c = malloc(sizeof(*c));
        unsigned n;

        assert_non_null(c);
        d->notifies++;
        d->last_queue = vq->index;
        for (n = 0; n < vq->num && vq_pop_or_arm(vq, c) == VQ_POP_CHAIN; n++) {
                d->chains++;
                assert_int_equal(vq_push(vq, c->head, REPLY), 0);
        }
        vq_signal_used(vq);
        free(c);
}

static void fdev_reset(void *dev)
{
        ((struct fdev *)dev)->resets++;
}

static void fdev_activate(void *dev, uint64_t negotiated)
{
        struct fdev *d = dev;

        d->activates++;
        d->activated_with = negotiated;
}

VF_DEV_OPS(fdev_ops, fdev, "fake", FAKE_ID, CFG_SIZE);

struct fx {
        struct vfake f;
        struct fdev d;
        struct vmmio t;
        struct vf_ring r;
};

static void fx_bind(struct fx *x, bool legacy)
{
        vmmio_init(&x->t, &x->f.gm, &fdev_ops, &x->d, legacy, vf_set_irq, &x->f);
}

static int setup(void **state)
{
        struct fx *x = calloc(1, sizeof(*x));
        unsigned i;

        if (x == NULL || vf_setup(&x->f) < 0)
                return -1;
        x->d.features = VIRTIO_FEAT_VERSION_1 | VIRTIO_FEAT_INDIRECT_DESC | F_DEV_BIT0;
        for (i = 0; i < CFG_SIZE; i++)
                x->d.config[i] = (uint8_t)(0xa0 + i);
        fx_bind(x, false);
        vf_ring_at(&x->f, &x->r, RING, QN, 4096);
        trace_enabled = false;
        *state = x;
        return 0;
}

static int teardown(void **state)
{
        struct fx *x = *state;

        vf_teardown(&x->f);
        free(x);
        trace_enabled = false;
        return 0;
}

static uint32_t rd(struct fx *x, uint64_t off)
{
        return vf_rd(&x->t, off);
}

static void wr(struct fx *x, uint64_t off, uint32_t v)
{
        vf_wr(&x->t, off, v);
}

static const uint64_t FEATS = VIRTIO_FEAT_VERSION_1 | F_DEV_BIT0;

static void init_v2(struct fx *x)
{
        vf_v2_init(&x->t, &x->r, FEATS);
}

/* One writable 1-byte buffer as chain head, published (not kicked). */
static void add_chain(struct fx *x, struct vf_ring *r, uint16_t head)
{
        vf_desc(&x->f, r->desc, head, BUF + 0x100 * head, 1, VRING_DESC_F_WRITE, 0);
        vf_publish(&x->f, r, head);
}

static void kick(struct fx *x, uint32_t q)
{
        vf_kick(&x->t, q);
}

static void assert_line(struct fx *x, bool level, unsigned changes)
{
        assert_int_equal(x->f.irq_level, level);
        assert_int_equal(x->f.irq_changes, changes);
        assert_int_equal(x->t.line, level);
}

/* --- M1 ------------------------------------------------------------------ */

static void m1_identity_registers_v2(void **state)
{
        struct fx *x = *state;

        assert_int_equal(rd(x, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
        assert_int_equal(rd(x, VIRTIO_MMIO_VERSION), 2);
        assert_int_equal(rd(x, VIRTIO_MMIO_DEVICE_ID), FAKE_ID);
        assert_int_equal(rd(x, VIRTIO_MMIO_VENDOR_ID), 0x4d564d4d);
        assert_int_equal(rd(x, VIRTIO_MMIO_STATUS), 0);
        assert_int_equal(rd(x, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
        assert_line(x, false, 0);
}

static void m1_identity_registers_v1(void **state)
{
        struct fx *x = *state;

        fx_bind(x, true);
        assert_int_equal(rd(x, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
        assert_int_equal(rd(x, VIRTIO_MMIO_VERSION), 1);
        assert_int_equal(rd(x, VIRTIO_MMIO_DEVICE_ID), FAKE_ID);
        assert_int_equal(rd(x, VIRTIO_MMIO_VENDOR_ID), 0x4d564d4d);
}

/* --- M2 ------------------------------------------------------------------ */

static void m2_used_buffer_interrupt_stays_until_acked(void **state)
{
        struct fx *x = *state;

        init_v2(x);
        add_chain(x, &x->r, 0);
        kick(x, 0);
        assert_int_equal(x->d.chains, 1);
        assert_int_equal(vf_used_idx(&x->f, &x->r), 1);
        vf_assert_used(&x->f, &x->r, 0, 0, REPLY);
        assert_int_equal(rd(x, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
        assert_line(x, true, 1);
        assert_int_equal(rd(x, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
        wr(x, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG); /* not the set bit */
        assert_int_equal(rd(x, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
        assert_line(x, true, 1);
        wr(x, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
        assert_int_equal(rd(x, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
        assert_line(x, false, 2);
        /* A second completion raises it again. */
        add_chain(x, &x->r, 1);
        kick(x, 0);
        assert_line(x, true, 3);
}

static void m2_line_is_high_while_any_bit_is_set(void **state)
{
        struct fx *x = *state;

        init_v2(x);
        vmmio_config_changed(&x->t);
        assert_line(x, true, 1);
        add_chain(x, &x->r, 0);
        kick(x, 0);
        assert_int_equal(rd(x, VIRTIO_MMIO_INTERRUPT_STATUS), 3);
        assert_line(x, true, 1); /* no second edge */
        wr(x, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
        assert_int_equal(rd(x, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
        assert_line(x, true, 1);
        wr(x, VIRTIO_MMIO_INTERRUPT_ACK, 0xffffffff);
        assert_int_equal(rd(x, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
        assert_line(x, false, 2);
}

static void m2_no_interrupt_when_driver_suppresses_it(void **state)
{
        struct fx *x = *state;

        init_v2(x);
        vf_put(&x->f, x->r.avail, VRING_AVAIL_F_NO_INTERRUPT, 2);
        add_chain(x, &x->r, 0);
        kick(x, 0);
        assert_int_equal(vf_used_idx(&x->f, &x->r), 1);
        assert_int_equal(rd(x, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
        assert_line(x, false, 0);
}

/* --- M3 ------------------------------------------------------------------ */

static void m3_status_zero_resets_queues_and_interrupts(void **state)
{
        struct fx *x = *state;
        unsigned resets;

        init_v2(x);
        add_chain(x, &x->r, 0);
        kick(x, 0);
        vmmio_config_changed(&x->t);
        wr(x, VIRTIO_MMIO_QUEUE_SEL, 1);
        resets = x->d.resets;
        wr(x, VIRTIO_MMIO_STATUS, 0);
        assert_int_equal(x->d.resets, resets + 1);
        assert_int_equal(rd(x, VIRTIO_MMIO_STATUS), 0);
        assert_int_equal(rd(x, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
        assert_line(x, false, 2);
        /* QueueSel back to 0, queue 0 off and its indices forgotten. */
        assert_int_equal(rd(x, VIRTIO_MMIO_QUEUE_NUM_MAX), QN);
        assert_int_equal(rd(x, VIRTIO_MMIO_QUEUE_READY), 0);
        assert_int_equal(x->t.q[0].vq.last_avail, 0);
        assert_int_equal(x->t.q[0].vq.used_idx, 0);
        /* No queue is touched after the reset. */
        add_chain(x, &x->r, 1);
        kick(x, 0);
        assert_int_equal(x->d.notifies, 1);
        assert_int_equal(vf_used_idx(&x->f, &x->r), 1);
}

static void m3_reset_forgets_driver_features(void **state)
{
        struct fx *x = *state;

        init_v2(x);
        wr(x, VIRTIO_MMIO_STATUS, 0);
        wr(x, VIRTIO_MMIO_STATUS, VF_ACK);
        wr(x, VIRTIO_MMIO_STATUS, VF_DRV);
        /* Without rewriting features, nothing is negotiated. */
        assert_int_equal(x->t.driver_features, 0);
        wr(x, VIRTIO_MMIO_STATUS, VF_FEAT_OK);
        assert_int_equal(rd(x, VIRTIO_MMIO_STATUS), VF_FEAT_OK);
        assert_int_equal(vmmio_negotiated(&x->t), 0);
}

/* Past bug "stale chains after reset": ready again without addresses, kick. */
static void q12_ready_without_addresses_after_reset_processes_nothing(void **state)
{
        struct fx *x = *state;

        init_v2(x);
        add_chain(x, &x->r, 0);
        add_chain(x, &x->r, 1);
        wr(x, VIRTIO_MMIO_STATUS, 0);
        assert_int_equal(vf_v2_negotiate(&x->t, FEATS), VF_FEAT_OK);
        wr(x, VIRTIO_MMIO_QUEUE_SEL, 0);
        wr(x, VIRTIO_MMIO_QUEUE_READY, 1);
        assert_int_equal(rd(x, VIRTIO_MMIO_QUEUE_READY), 0);
        assert_int_equal(rd(x, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET,
                         VIRTIO_STATUS_NEEDS_RESET);
        wr(x, VIRTIO_MMIO_STATUS, VF_DRIVER_OK);
        kick(x, 0);
        assert_int_equal(x->d.notifies, 0);
        assert_int_equal(vf_used_idx(&x->f, &x->r), 0);
}

static void m3_legacy_reset_clears_pfn_keeps_guest_page_size(void **state)
{
        struct fx *x = *state;
        struct vf_ring hr;

        fx_bind(x, true);
        vf_v1_init(&x->t, &x->r, F_DEV_BIT0);
        assert_int_equal(rd(x, VIRTIO_MMIO_QUEUE_PFN), RING / 4096);
        /* Linux writes GuestPageSize once, before its first reset. */
        wr(x, VIRTIO_MMIO_GUEST_PAGE_SIZE, 0x10000);
        wr(x, VIRTIO_MMIO_STATUS, 0);
        assert_int_equal(rd(x, VIRTIO_MMIO_QUEUE_PFN), 0);
        assert_int_equal(x->t.guest_page_size, 0x10000);
        /* A ring at PFN 1 of 64 KiB pages. */
        vf_ring_at(&x->f, &hr, 0x10000, QN, 4096);
        wr(x, VIRTIO_MMIO_STATUS, VF_ACK);
        wr(x, VIRTIO_MMIO_STATUS, VF_DRV);
        vf_v1_queue(&x->t, 0, &hr, 0x10000, 4096);
        assert_int_equal(rd(x, VIRTIO_MMIO_QUEUE_PFN), 1);
        vf_desc(&x->f, hr.desc, 0, BUF + 0x8000, 1, VRING_DESC_F_WRITE, 0);
        vf_publish(&x->f, &hr, 0);
        kick(x, 0);
        assert_int_equal(vf_used_idx(&x->f, &hr), 1);
}

/* Past bug (vm-virtio): QueueNum 0, ready, kick. */
static void q1_queue_size_0_is_refused_at_ready(void **state)
{
        struct fx *x = *state;

        assert_int_equal(vf_v2_negotiate(&x->t, FEATS), VF_FEAT_OK);
        x->r.num = 0;
        vf_v2_queue(&x->t, 0, &x->r);
        assert_int_equal(rd(x, VIRTIO_MMIO_QUEUE_READY), 0);
        assert_int_equal(x->t.reset_reason, VQ_E_SIZE);
        wr(x, VIRTIO_MMIO_STATUS, VF_DRIVER_OK);
        kick(x, 0);
        assert_int_equal(x->d.notifies, 0);
        assert_int_equal(rd(x, VIRTIO_MMIO_STATUS), VF_DRIVER_OK | VIRTIO_STATUS_NEEDS_RESET);
}

/* --- M4 ------------------------------------------------------------------ */

static void m4_notify_before_driver_ok_is_ignored(void **state)
{
        struct fx *x = *state;

        assert_int_equal(vf_v2_negotiate(&x->t, FEATS), VF_FEAT_OK);
        vf_v2_queue(&x->t, 0, &x->r);
        assert_int_equal(rd(x, VIRTIO_MMIO_QUEUE_READY), 1);
        add_chain(x, &x->r, 0);
        kick(x, 0);
        assert_int_equal(x->d.notifies, 0);
        wr(x, VIRTIO_MMIO_STATUS, VF_DRIVER_OK);
        assert_int_equal(x->d.activates, 1);
        assert_int_equal(x->d.activated_with, FEATS);
        kick(x, 0);
        assert_int_equal(x->d.notifies, 1);
        assert_int_equal(vf_used_idx(&x->f, &x->r), 1);
}

static void m4_notify_of_a_queue_never_made_ready_is_ignored(void **state)
{
        struct fx *x = *state;

        init_v2(x);
        kick(x, 1);
        assert_int_equal(x->d.notifies, 0);
}

static void m4_legacy_queue_is_live_once_pfn_is_set(void **state)
{
        struct fx *x = *state;

        fx_bind(x, true);
        wr(x, VIRTIO_MMIO_STATUS, VF_ACK);
        wr(x, VIRTIO_MMIO_STATUS, VF_DRV);
        add_chain(x, &x->r, 0);
        kick(x, 0);
        assert_int_equal(x->d.notifies, 0);
        vf_v1_queue(&x->t, 0, &x->r, 4096, 4096);
        kick(x, 0);
        assert_int_equal(x->d.notifies, 1);
        assert_int_equal(vf_used_idx(&x->f, &x->r), 1);
        wr(x, VIRTIO_MMIO_QUEUE_PFN, 0);
        add_chain(x, &x->r, 1);
        kick(x, 0);
        assert_int_equal(x->d.notifies, 1);
}

static void m4_failed_status_stops_processing(void **state)
{
        struct fx *x = *state;

        init_v2(x);
        wr(x, VIRTIO_MMIO_STATUS, VF_DRIVER_OK | VIRTIO_STATUS_FAILED);
        assert_int_equal(rd(x, VIRTIO_MMIO_STATUS), VF_DRIVER_OK | VIRTIO_STATUS_FAILED);
        add_chain(x, &x->r, 0);
        kick(x, 0);
        assert_int_equal(x->d.notifies, 0);
}

/* --- M5 ------------------------------------------------------------------ */

static void m5_config_generation_moves_when_config_changes(void **state)
{
        struct fx *x = *state;
        uint32_t g = rd(x, VIRTIO_MMIO_CONFIG_GENERATION);

        assert_int_equal(rd(x, VIRTIO_MMIO_CONFIG_GENERATION), g);
        vmmio_config_changed(&x->t); /* before DRIVER_OK: no interrupt */
        assert_int_equal(rd(x, VIRTIO_MMIO_CONFIG_GENERATION), g + 1);
        assert_line(x, false, 0);
        init_v2(x);
        assert_int_equal(rd(x, VIRTIO_MMIO_CONFIG_GENERATION), g + 1); /* reset keeps it */
        vmmio_config_changed(&x->t);
        assert_int_equal(rd(x, VIRTIO_MMIO_CONFIG_GENERATION), g + 2);
        assert_int_equal(rd(x, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
        assert_line(x, true, 1);
}

static void m5_config_generation_is_absent_in_legacy(void **state)
{
        struct fx *x = *state;

        fx_bind(x, true);
        vmmio_config_changed(&x->t);
        assert_int_equal(rd(x, VIRTIO_MMIO_CONFIG_GENERATION), 0);
}

/* --- M6 ------------------------------------------------------------------ */

static void m6_features_ok_refused_for_an_unoffered_bit(void **state)
{
        struct fx *x = *state;

        assert_int_equal(vf_v2_negotiate(&x->t, FEATS | F_DEV_BIT5), VF_DRV);
        /* DRIVER_OK cannot follow a refused FEATURES_OK. */
        wr(x, VIRTIO_MMIO_STATUS, VF_DRIVER_OK);
        assert_int_equal(rd(x, VIRTIO_MMIO_STATUS), VF_DRV);
        assert_int_equal(x->d.activates, 0);
}

/*
 * §6.1 lets a device refuse a driver without VERSION_1; QEMU serves it, and
 * rcore virtio-drivers before 0.12 is such a driver: FEATURES_OK sticks.
 */
static void m6_features_ok_accepted_without_version_1_as_qemu(void **state)
{
        struct fx *x = *state;

        assert_int_equal(vf_v2_negotiate(&x->t, F_DEV_BIT0), VF_FEAT_OK);
        assert_int_equal(vmmio_negotiated(&x->t), F_DEV_BIT0);
}

static void m6_features_ok_accepted_for_a_subset(void **state)
{
        struct fx *x = *state;

        assert_int_equal(vf_device_features(&x->t),
                         VIRTIO_FEAT_VERSION_1 | VIRTIO_FEAT_INDIRECT_DESC | F_DEV_BIT0);
        assert_int_equal(vf_v2_negotiate(&x->t, VIRTIO_FEAT_VERSION_1), VF_FEAT_OK);
        assert_int_equal(vmmio_negotiated(&x->t), VIRTIO_FEAT_VERSION_1);
        /* Combined with DRIVER_OK in one write, as some drivers do. */
        wr(x, VIRTIO_MMIO_STATUS, 0);
        wr(x, VIRTIO_MMIO_STATUS, VF_ACK);
        wr(x, VIRTIO_MMIO_STATUS, VF_DRV);
        vf_write_features(&x->t, FEATS);
        wr(x, VIRTIO_MMIO_STATUS, VF_DRIVER_OK);
        assert_int_equal(rd(x, VIRTIO_MMIO_STATUS), VF_DRIVER_OK);
}

/* §3.1.1 orders the driver only: features count whenever written before FEATURES_OK. */
static void m6_driver_features_count_until_features_ok(void **state)
{
        struct fx *x = *state;

        vf_write_features(&x->t, FEATS); /* before DRIVER */
        assert_int_equal(x->t.driver_features, FEATS);
        wr(x, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_DRIVER); /* U-Boot before v2026.07 */
        vf_write_features(&x->t, VIRTIO_FEAT_VERSION_1);
        assert_int_equal(x->t.driver_features, VIRTIO_FEAT_VERSION_1);
        assert_int_equal(vf_v2_negotiate(&x->t, FEATS), VF_FEAT_OK);
        vf_write_features(&x->t, FEATS | F_DEV_BIT5 | VIRTIO_FEAT_INDIRECT_DESC); /* after */
        assert_int_equal(x->t.driver_features, FEATS);
}

static void m6_driver_features_beyond_bit_63_are_refused(void **state)
{
        struct fx *x = *state;

        wr(x, VIRTIO_MMIO_STATUS, VF_ACK);
        wr(x, VIRTIO_MMIO_STATUS, VF_DRV);
        vf_write_features(&x->t, FEATS);
        wr(x, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 2);
        wr(x, VIRTIO_MMIO_DRIVER_FEATURES, 1);
        wr(x, VIRTIO_MMIO_STATUS, VF_FEAT_OK);
        assert_int_equal(rd(x, VIRTIO_MMIO_STATUS), VF_DRV);
        /* Device features beyond bit 63 read as 0. */
        wr(x, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
        assert_int_equal(rd(x, VIRTIO_MMIO_DEVICE_FEATURES), 0);
}

/*
 * v1 has no FEATURES_OK step (§4.2.4) but rcore writes it there: the bit is
 * stored, and the DRIVER_OK that follows activates the device.
 */
static void m6_legacy_takes_features_as_written_and_stores_features_ok(void **state)
{
        struct fx *x = *state;

        fx_bind(x, true);
        wr(x, VIRTIO_MMIO_STATUS, VF_ACK);
        wr(x, VIRTIO_MMIO_STATUS, VF_DRV);
        vf_write_features(&x->t, F_DEV_BIT0 | VIRTIO_FEAT_INDIRECT_DESC | F_DEV_BIT5);
        wr(x, VIRTIO_MMIO_STATUS, VF_FEAT_OK);
        assert_int_equal(rd(x, VIRTIO_MMIO_STATUS), VF_FEAT_OK);
        wr(x, VIRTIO_MMIO_STATUS, VF_DRIVER_OK);
        assert_int_equal(rd(x, VIRTIO_MMIO_STATUS), VF_DRIVER_OK);
        assert_int_equal(x->d.activates, 1);
        /* Restricted to what was offered. */
        assert_int_equal(x->d.activated_with, F_DEV_BIT0 | VIRTIO_FEAT_INDIRECT_DESC);
}

/* --- M7 ------------------------------------------------------------------ */

static void m7_broken_ring_sets_needs_reset_and_config_interrupt(void **state)
{
        struct fx *x = *state;

        init_v2(x);
        vf_set_avail_idx(&x->f, &x->r, QN + 1);
        kick(x, 0);
        assert_int_equal(x->d.notifies, 1);
        assert_int_equal(rd(x, VIRTIO_MMIO_STATUS), VF_DRIVER_OK | VIRTIO_STATUS_NEEDS_RESET);
        assert_int_equal(x->t.reset_reason, VQ_E_AVAIL_IDX);
        assert_int_equal(rd(x, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
        assert_line(x, true, 1);
        /* Processing stopped: later kicks do nothing. */
        kick(x, 0);
        assert_int_equal(x->d.notifies, 1);
        /* The driver resets and starts over. */
        wr(x, VIRTIO_MMIO_STATUS, 0);
        assert_int_equal(rd(x, VIRTIO_MMIO_STATUS), 0);
        assert_line(x, false, 2);
        vf_ring_at(&x->f, &x->r, RING, QN, 4096);
        init_v2(x);
        add_chain(x, &x->r, 0);
        kick(x, 0);
        assert_int_equal(vf_used_idx(&x->f, &x->r), 1);
}

static void m7_needs_reset_before_driver_ok_raises_no_interrupt(void **state)
{
        struct fx *x = *state;

        assert_int_equal(vf_v2_negotiate(&x->t, FEATS), VF_FEAT_OK);
        x->r.num = 3;
        vf_v2_queue(&x->t, 0, &x->r);
        assert_int_equal(rd(x, VIRTIO_MMIO_QUEUE_READY), 0);
        assert_int_equal(rd(x, VIRTIO_MMIO_STATUS), VF_FEAT_OK | VIRTIO_STATUS_NEEDS_RESET);
        assert_int_equal(rd(x, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
        assert_line(x, false, 0);
}

static void m7_only_the_device_sets_needs_reset(void **state)
{
        struct fx *x = *state;

        wr(x, VIRTIO_MMIO_STATUS, VF_ACK | VIRTIO_STATUS_NEEDS_RESET);
        assert_int_equal(rd(x, VIRTIO_MMIO_STATUS), VF_ACK);
        init_v2(x);
        vmmio_needs_reset(&x->t, VQ_E_AVAIL_UNREADABLE);
        assert_int_equal(rd(x, VIRTIO_MMIO_STATUS), VF_DRIVER_OK | VIRTIO_STATUS_NEEDS_RESET);
        /* The driver cannot clear it but by a reset. */
        wr(x, VIRTIO_MMIO_STATUS, VF_DRIVER_OK);
        assert_int_equal(rd(x, VIRTIO_MMIO_STATUS), VF_DRIVER_OK | VIRTIO_STATUS_NEEDS_RESET);
        vmmio_needs_reset(&x->t, VQ_E_USED_UNWRITABLE); /* once only */
        assert_int_equal(x->t.reset_reason, VQ_E_AVAIL_UNREADABLE);
        assert_line(x, true, 1);
}

/* --- M8 ------------------------------------------------------------------ */

/* Past bug (Firecracker): queue registers rewritten after activation, then a kick. */
static void m8_queue_registers_are_locked_after_driver_ok(void **state)
{
        struct fx *x = *state;
        const uint32_t nums[] = {0, 0x8000, 3};
        struct vf_ring other;
        size_t i;

        init_v2(x);
        vf_ring_at(&x->f, &other, RING2, QN, 4096);
        for (i = 0; i < 3; i++) {
                wr(x, VIRTIO_MMIO_QUEUE_NUM, nums[i]);
                other.num = (uint16_t)nums[i];
                vf_v2_queue(&x->t, 0, &other);
        }
        assert_int_equal(x->t.q[0].num, QN);
        assert_int_equal(x->t.q[0].desc, RING);
        add_chain(x, &x->r, 0);
        add_chain(x, &other, 0);
        kick(x, 0);
        assert_int_equal(vf_used_idx(&x->f, &x->r), 1);
        assert_int_equal(vf_used_idx(&x->f, &other), 0);
        assert_int_equal(rd(x, VIRTIO_MMIO_STATUS), VF_DRIVER_OK);
}

/*
 * §3.1.1 orders the driver, not the device: as in QEMU, a queue set up
 * before FEATURES_OK (U-Boot before v2026.07: Status 0x02) is taken, and
 * runs once DRIVER_OK is written.
 */
static void m8_queue_registers_are_taken_before_features_ok(void **state)
{
        struct fx *x = *state;

        wr(x, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_DRIVER);
        vf_v2_queue(&x->t, 0, &x->r);
        assert_int_equal(rd(x, VIRTIO_MMIO_QUEUE_READY), 1);
        assert_int_equal(x->t.q[0].desc, RING);
        wr(x, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
        add_chain(x, &x->r, 0);
        kick(x, 0);
        assert_int_equal(vf_used_idx(&x->f, &x->r), 1);
}

static void m8_queue_registers_are_locked_while_ready(void **state)
{
        struct fx *x = *state;

        assert_int_equal(vf_v2_negotiate(&x->t, FEATS), VF_FEAT_OK);
        vf_v2_queue(&x->t, 0, &x->r);
        wr(x, VIRTIO_MMIO_QUEUE_NUM, 4);
        wr(x, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)RING2);
        assert_int_equal(x->t.q[0].vq.num, QN);
        assert_int_equal(x->t.q[0].vq.desc, RING);
        /* Stopped first, it may be set up again (still before DRIVER_OK). */
        wr(x, VIRTIO_MMIO_QUEUE_READY, 0);
        wr(x, VIRTIO_MMIO_QUEUE_NUM, 4);
        wr(x, VIRTIO_MMIO_QUEUE_READY, 1);
        assert_int_equal(x->t.q[0].vq.num, 4);
}

/* --- M9 ------------------------------------------------------------------ */

static void m9_queue_sel_out_of_range_reads_zero_and_ignores_writes(void **state)
{
        struct fx *x = *state;
        const uint32_t sels[] = {2, 0xffff, 0xffffffff};
        size_t i;

        assert_int_equal(vf_v2_negotiate(&x->t, FEATS), VF_FEAT_OK);
        for (i = 0; i < 3; i++) {
                wr(x, VIRTIO_MMIO_QUEUE_SEL, sels[i]);
                assert_int_equal(rd(x, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
                wr(x, VIRTIO_MMIO_QUEUE_NUM, 4);
                wr(x, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)RING2);
                wr(x, VIRTIO_MMIO_QUEUE_READY, 1);
                assert_int_equal(rd(x, VIRTIO_MMIO_QUEUE_READY), 0);
        }
        for (i = 0; i < 2; i++) {
                assert_int_equal(x->t.q[i].num, fdev_queue_max(NULL, (unsigned)i));
                assert_int_equal(x->t.q[i].desc, 0);
                assert_false(x->t.q[i].vq.ready);
        }
        wr(x, VIRTIO_MMIO_QUEUE_SEL, 1);
        assert_int_equal(rd(x, VIRTIO_MMIO_QUEUE_NUM_MAX), 8);
        assert_int_equal(rd(x, VIRTIO_MMIO_STATUS), VF_FEAT_OK);
}

/* Past bug (CVE-2011-2512): QueueNotify with an out-of-range index. */
static void m9_queue_notify_out_of_range_is_ignored(void **state)
{
        struct fx *x = *state;

        init_v2(x);
        add_chain(x, &x->r, 0);
        kick(x, 2);
        kick(x, 0xffff);
        kick(x, 0xffffffff);
        assert_int_equal(x->d.notifies, 0);
        assert_int_equal(rd(x, VIRTIO_MMIO_STATUS), VF_DRIVER_OK);
        kick(x, 0);
        assert_int_equal(x->d.notifies, 1);
}

/* --- M10 ----------------------------------------------------------------- */

/* Reads len bytes at off into a 16-byte buffer pre-filled with 0xee. */
static void raw_read(struct fx *x, uint64_t off, uint32_t len, uint8_t out[16])
{
        memset(out, 0xee, 16);
        vmmio_access(&x->t, off, out, len, false);
}

static void assert_zeros_then_untouched(const uint8_t b[16], uint32_t len)
{
        for (uint32_t i = 0; i < 16; i++)
                assert_int_equal(b[i], i < len ? 0 : 0xee);
}

static void m10_registers_take_only_aligned_32_bit_accesses(void **state)
{
        struct fx *x = *state;
        uint8_t b[16], two[2] = {VF_ACK, 0};
        uint8_t eight[8] = {VF_ACK, 0, 0, 0, 0, 0, 0, 0};

        raw_read(x, VIRTIO_MMIO_MAGIC_VALUE, 1, b);
        assert_zeros_then_untouched(b, 1);
        raw_read(x, VIRTIO_MMIO_MAGIC_VALUE, 2, b);
        assert_zeros_then_untouched(b, 2);
        raw_read(x, VIRTIO_MMIO_MAGIC_VALUE, 8, b);
        assert_zeros_then_untouched(b, 8);
        raw_read(x, VIRTIO_MMIO_MAGIC_VALUE + 1, 4, b);
        assert_zeros_then_untouched(b, 4);
        vmmio_access(&x->t, VIRTIO_MMIO_STATUS, two, 2, true);
        vmmio_access(&x->t, VIRTIO_MMIO_STATUS, eight, 8, true);
        vmmio_access(&x->t, VIRTIO_MMIO_STATUS + 2, eight, 4, true);
        assert_int_equal(rd(x, VIRTIO_MMIO_STATUS), 0);
        raw_read(x, VIRTIO_MMIO_MAGIC_VALUE, 4, b);
        assert_int_equal(b[0], 'v');
        assert_int_equal(b[3], 't');
        assert_int_equal(b[4], 0xee);
}

/* Past bug (kvmtool): config accesses across the end of the config space. */
static void m10_config_access_is_bounded_by_its_size(void **state)
{
        struct fx *x = *state;
        const uint64_t cfg = VIRTIO_MMIO_CONFIG;
        uint8_t b[16];

        raw_read(x, cfg + 8, 4, b);
        assert_int_equal(b[0], 0xa8);
        assert_int_equal(b[3], 0xab);
        assert_int_equal(b[4], 0xee);
        raw_read(x, cfg + CFG_SIZE - 1, 1, b);
        assert_int_equal(b[0], 0xab);
        raw_read(x, cfg + 2, 2, b);
        assert_int_equal(b[0], 0xa2);
        assert_int_equal(b[1], 0xa3);
        raw_read(x, cfg, 8, b); /* 8 bytes inside: served whole */
        assert_int_equal(b[7], 0xa7);
        assert_int_equal(b[8], 0xee);
        raw_read(x, cfg + CFG_SIZE - 1, 4, b); /* size - 1 with width 4 */
        assert_zeros_then_untouched(b, 4);
        raw_read(x, cfg + 8, 8, b);
        assert_zeros_then_untouched(b, 8);
        raw_read(x, cfg + 1, 3, b); /* odd width */
        assert_zeros_then_untouched(b, 3);
        raw_read(x, cfg + CFG_SIZE, 1, b);
        assert_zeros_then_untouched(b, 1);
        raw_read(x, 0xfff, 1, b);
        assert_zeros_then_untouched(b, 1);
        raw_read(x, 0xffc, 8, b); /* past the region */
        assert_zeros_then_untouched(b, 8);
        raw_read(x, VMMIO_REGION_SIZE, 4, b);
        assert_zeros_then_untouched(b, 4);
        raw_read(x, UINT64_MAX - 1, 4, b); /* offset + len wraps */
        assert_zeros_then_untouched(b, 4);
}

static void m10_config_writes_are_ignored_when_read_only(void **state)
{
        struct fx *x = *state;
        uint8_t v[4] = {1, 2, 3, 4}, b[16];

        vmmio_access(&x->t, VIRTIO_MMIO_CONFIG, v, 4, true);
        vmmio_access(&x->t, 0xffe, v, 4, true);
        raw_read(x, VIRTIO_MMIO_CONFIG, 4, b);
        assert_int_equal(b[0], 0xa0);
        assert_int_equal(x->d.config[0], 0xa0);
}

/* --- M11 ----------------------------------------------------------------- */

static void m11_write_only_registers_read_zero(void **state)
{
        struct fx *x = *state;
        const uint64_t regs[] = {
            VIRTIO_MMIO_DEVICE_FEATURES_SEL,
            VIRTIO_MMIO_DRIVER_FEATURES,
            VIRTIO_MMIO_DRIVER_FEATURES_SEL,
            VIRTIO_MMIO_QUEUE_SEL,
            VIRTIO_MMIO_QUEUE_NUM,
            VIRTIO_MMIO_QUEUE_NOTIFY,
            VIRTIO_MMIO_INTERRUPT_ACK,
            VIRTIO_MMIO_QUEUE_DESC_LOW,
            VIRTIO_MMIO_QUEUE_DESC_HIGH,
            VIRTIO_MMIO_QUEUE_AVAIL_LOW,
            VIRTIO_MMIO_QUEUE_AVAIL_HIGH,
            VIRTIO_MMIO_QUEUE_USED_LOW,
            VIRTIO_MMIO_QUEUE_USED_HIGH,
            VIRTIO_MMIO_SHM_SEL,
            0x018,
            0x0f0,
        };
        size_t i;

        init_v2(x);
        for (i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
                assert_int_equal(rd(x, regs[i]), 0);
        /* SHM regions: none, length -1 (§4.2.2). */
        assert_int_equal(rd(x, VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff);
        assert_int_equal(rd(x, VIRTIO_MMIO_SHM_LEN_HIGH), 0xffffffff);
}

static void m11_read_only_registers_ignore_writes(void **state)
{
        struct fx *x = *state;

        init_v2(x);
        add_chain(x, &x->r, 0);
        kick(x, 0);
        wr(x, VIRTIO_MMIO_MAGIC_VALUE, 0);
        wr(x, VIRTIO_MMIO_VERSION, 1);
        wr(x, VIRTIO_MMIO_DEVICE_ID, 0);
        wr(x, VIRTIO_MMIO_VENDOR_ID, 0);
        wr(x, VIRTIO_MMIO_DEVICE_FEATURES, 0);
        wr(x, VIRTIO_MMIO_QUEUE_NUM_MAX, 1);
        wr(x, VIRTIO_MMIO_INTERRUPT_STATUS, 0);
        wr(x, VIRTIO_MMIO_CONFIG_GENERATION, 9);
        wr(x, 0x0f0, 1);
        assert_int_equal(rd(x, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
        assert_int_equal(rd(x, VIRTIO_MMIO_VERSION), 2);
        assert_int_equal(rd(x, VIRTIO_MMIO_DEVICE_ID), FAKE_ID);
        assert_int_equal(rd(x, VIRTIO_MMIO_QUEUE_NUM_MAX), QN);
        assert_int_equal(rd(x, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
        assert_int_equal(rd(x, VIRTIO_MMIO_CONFIG_GENERATION), 0);
        assert_line(x, true, 1);
}

static void m11_legacy_registers_are_ignored_in_v2(void **state)
{
        struct fx *x = *state;

        assert_int_equal(vf_v2_negotiate(&x->t, FEATS), VF_FEAT_OK);
        wr(x, VIRTIO_MMIO_GUEST_PAGE_SIZE, 0x10000);
        wr(x, VIRTIO_MMIO_QUEUE_ALIGN, 64);
        wr(x, VIRTIO_MMIO_QUEUE_PFN, (uint32_t)(RING / 4096));
        assert_int_equal(x->t.guest_page_size, 4096);
        assert_int_equal(x->t.q[0].align, 4096);
        assert_int_equal(rd(x, VIRTIO_MMIO_QUEUE_PFN), 0);
        assert_int_equal(rd(x, VIRTIO_MMIO_QUEUE_READY), 0);
        assert_false(x->t.q[0].vq.ready);
}

static void m11_modern_registers_are_ignored_in_v1(void **state)
{
        struct fx *x = *state;

        fx_bind(x, true);
        wr(x, VIRTIO_MMIO_STATUS, VF_ACK);
        wr(x, VIRTIO_MMIO_STATUS, VF_DRV);
        vf_v2_queue(&x->t, 0, &x->r); /* QueueNum counts, the rest does not */
        assert_int_equal(rd(x, VIRTIO_MMIO_QUEUE_READY), 0);
        assert_int_equal(rd(x, VIRTIO_MMIO_QUEUE_PFN), 0);
        assert_false(x->t.q[0].vq.ready);
        assert_int_equal(x->t.q[0].desc, 0);
        assert_int_equal(rd(x, VIRTIO_MMIO_SHM_LEN_LOW), 0);
        add_chain(x, &x->r, 0);
        kick(x, 0);
        assert_int_equal(x->d.notifies, 0);
}

/* --- M12 ----------------------------------------------------------------- */

static void m12_queue_ready_zero_stops_the_queue(void **state)
{
        struct fx *x = *state;

        init_v2(x);
        add_chain(x, &x->r, 0);
        kick(x, 0);
        wr(x, VIRTIO_MMIO_QUEUE_READY, 0);
        assert_int_equal(rd(x, VIRTIO_MMIO_QUEUE_READY), 0);
        add_chain(x, &x->r, 1);
        kick(x, 0);
        assert_int_equal(x->d.notifies, 1);
        assert_int_equal(vf_used_idx(&x->f, &x->r), 1);
        /* After DRIVER_OK it cannot be restarted without a reset (M8). */
        wr(x, VIRTIO_MMIO_QUEUE_READY, 1);
        assert_int_equal(rd(x, VIRTIO_MMIO_QUEUE_READY), 0);
}

/* --- M13 ----------------------------------------------------------------- */

static void m13_transport_never_offers_unimplemented_ring_features(void **state)
{
        struct fx *x = *state;
        uint64_t bogus = VIRTIO_BIT(VIRTIO_F_NOTIFY_ON_EMPTY) | VIRTIO_BIT(VIRTIO_F_ANY_LAYOUT) |
                         VIRTIO_BIT(VIRTIO_F_ACCESS_PLATFORM) | VIRTIO_BIT(VIRTIO_F_RING_PACKED) |
                         VIRTIO_BIT(VIRTIO_F_IN_ORDER) | VIRTIO_BIT(VIRTIO_F_ORDER_PLATFORM) |
                         VIRTIO_BIT(VIRTIO_F_SR_IOV) | VIRTIO_BIT(38) /* NOTIFICATION_DATA */ |
                         VIRTIO_BIT(39) | VIRTIO_BIT(VIRTIO_F_RING_RESET) | VIRTIO_BIT(41);

        x->d.features = bogus | F_DEV_BIT0 | VIRTIO_FEAT_VERSION_1 | VIRTIO_FEAT_INDIRECT_DESC;
        fx_bind(x, false);
        assert_int_equal(vf_device_features(&x->t),
                         F_DEV_BIT0 | VIRTIO_FEAT_VERSION_1 | VIRTIO_FEAT_INDIRECT_DESC);
        /* Accepting one of them is refused. */
        assert_int_equal(vf_v2_negotiate(&x->t, FEATS | VIRTIO_BIT(VIRTIO_F_RING_PACKED)), VF_DRV);
}

static void m13_legacy_does_not_offer_version_1(void **state)
{
        struct fx *x = *state;

        fx_bind(x, true);
        assert_int_equal(vf_device_features(&x->t), VIRTIO_FEAT_INDIRECT_DESC | F_DEV_BIT0);
}

/* --- state machine, layouts, trace --------------------------------------- */

/*
 * §2.1, §3.1.1: the order rules bind the driver; the device keeps Status as
 * written, as QEMU does (U-Boot before v2026.07 writes DRIVER without
 * ACKNOWLEDGE). Only reserved bits and NEEDS_RESET are the device's own.
 */
static void status_keeps_what_the_driver_writes_in_any_order(void **state)
{
        struct fx *x = *state;

        wr(x, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_DRIVER); /* without ACKNOWLEDGE */
        assert_int_equal(rd(x, VIRTIO_MMIO_STATUS), VIRTIO_STATUS_DRIVER);
        wr(x, VIRTIO_MMIO_STATUS, VF_ACK);
        wr(x, VIRTIO_MMIO_STATUS, VF_DRV);
        wr(x, VIRTIO_MMIO_STATUS, VF_ACK); /* clearing DRIVER */
        assert_int_equal(rd(x, VIRTIO_MMIO_STATUS), VF_ACK);
        wr(x, VIRTIO_MMIO_STATUS, VF_DRV | 0x10 | VIRTIO_STATUS_NEEDS_RESET); /* not the driver's */
        assert_int_equal(rd(x, VIRTIO_MMIO_STATUS), VF_DRV);
        assert_int_equal(x->d.activates, 0);
        wr(x, VIRTIO_MMIO_STATUS, VF_DRV | VIRTIO_STATUS_DRIVER_OK); /* skipping FEATURES_OK */
        assert_int_equal(rd(x, VIRTIO_MMIO_STATUS), VF_DRV | VIRTIO_STATUS_DRIVER_OK);
        assert_int_equal(x->d.activates, 1);
        wr(x, VIRTIO_MMIO_STATUS, VF_DRV | VIRTIO_STATUS_FAILED);
        assert_int_equal(rd(x, VIRTIO_MMIO_STATUS), VF_DRV | VIRTIO_STATUS_FAILED);
}

static void v1_legacy_layout_follows_page_size_and_queue_align(void **state)
{
        struct fx *x = *state;
        struct vf_ring r;

        fx_bind(x, true);
        wr(x, VIRTIO_MMIO_STATUS, VF_ACK);
        wr(x, VIRTIO_MMIO_STATUS, VF_DRV);
        /* A ring above 4 GiB, used ring aligned to 64 bytes only. */
        vf_ring_at(&x->f, &r, VF_HIGH_GPA, QN, 64);
        assert_int_equal(r.used, VF_HIGH_GPA + 16 * QN + 64);
        vf_v1_queue(&x->t, 0, &r, 4096, 64);
        assert_int_equal(x->t.q[0].vq.used, r.used);
        assert_int_equal(x->t.q[0].vq.avail, r.avail);
        vf_desc(&x->f, r.desc, 0, BUF, 1, VRING_DESC_F_WRITE, 0);
        vf_publish(&x->f, &r, 0);
        wr(x, VIRTIO_MMIO_STATUS, VF_DRV | VIRTIO_STATUS_DRIVER_OK);
        kick(x, 0);
        assert_int_equal(vf_used_idx(&x->f, &r), 1);
        vf_assert_used(&x->f, &r, 0, 0, REPLY);
        assert_line(x, true, 1);
}

static void v1_bad_pfn_or_align_is_refused(void **state)
{
        struct fx *x = *state;

        fx_bind(x, true);
        wr(x, VIRTIO_MMIO_STATUS, VF_ACK);
        wr(x, VIRTIO_MMIO_STATUS, VF_DRV);
        wr(x, VIRTIO_MMIO_QUEUE_ALIGN, 3); /* not a power of 2: ignored */
        assert_int_equal(x->t.q[0].align, 4096);
        wr(x, VIRTIO_MMIO_GUEST_PAGE_SIZE, 0);
        assert_int_equal(x->t.guest_page_size, 4096);
        wr(x, VIRTIO_MMIO_QUEUE_PFN, 0xffffffff); /* far beyond RAM */
        assert_int_equal(rd(x, VIRTIO_MMIO_QUEUE_PFN), 0);
        assert_int_equal(rd(x, VIRTIO_MMIO_STATUS), VF_DRV | VIRTIO_STATUS_NEEDS_RESET);
}

static void v2_queue_above_4gib_uses_high_halves(void **state)
{
        struct fx *x = *state;
        struct vf_ring r;

        vf_ring_at(&x->f, &r, VF_HIGH_GPA + 0x1000, QN, 4);
        vf_v2_init(&x->t, &r, FEATS);
        vf_desc(&x->f, r.desc, 3, BUF, 1, VRING_DESC_F_WRITE, 0);
        vf_publish(&x->f, &r, 3);
        kick(x, 0);
        vf_assert_used(&x->f, &r, 0, 3, REPLY);
}

static char trace_out[16384];

static void traced_session(void *arg)
{
        struct fx *x = arg;

        init_v2(x);
        wr(x, VIRTIO_MMIO_QUEUE_NUM, 0);
        (void)rd(x, VIRTIO_MMIO_QUEUE_NUM_MAX);
        vf_set_avail_idx(&x->f, &x->r, 0x8000);
        kick(x, 0);
}

static void trace_decodes_register_accesses(void **state)
{
        struct fx *x = *state;

        vf_capture_trace(trace_out, sizeof(trace_out), traced_session, x);
        assert_non_null(strstr(trace_out, "virtio-mmio@0: write Status <- 0x0000000f "
                                          "(ACKNOWLEDGE DRIVER FEATURES_OK DRIVER_OK)"));
        assert_non_null(strstr(trace_out, "virtio-mmio@0: read QueueNumMax -> 0x00000010"));
        assert_non_null(strstr(trace_out, "virtio-mmio@0: ignored write QueueNum <- 0x00000000 "
                                          "(after DRIVER_OK or FAILED)"));
        assert_non_null(strstr(trace_out, "virtio-mmio@0: DEVICE_NEEDS_RESET: avail index moved "
                                          "more than the queue size"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
            T(m1_identity_registers_v2),
            T(m1_identity_registers_v1),
            T(m2_used_buffer_interrupt_stays_until_acked),
            T(m2_line_is_high_while_any_bit_is_set),
            T(m2_no_interrupt_when_driver_suppresses_it),
            T(m3_status_zero_resets_queues_and_interrupts),
            T(m3_reset_forgets_driver_features),
            T(m3_legacy_reset_clears_pfn_keeps_guest_page_size),
            T(q12_ready_without_addresses_after_reset_processes_nothing),
            T(q1_queue_size_0_is_refused_at_ready),
            T(m4_notify_before_driver_ok_is_ignored),
            T(m4_notify_of_a_queue_never_made_ready_is_ignored),
            T(m4_legacy_queue_is_live_once_pfn_is_set),
            T(m4_failed_status_stops_processing),
            T(m5_config_generation_moves_when_config_changes),
            T(m5_config_generation_is_absent_in_legacy),
            T(m6_features_ok_refused_for_an_unoffered_bit),
            T(m6_features_ok_accepted_without_version_1_as_qemu),
            T(m6_features_ok_accepted_for_a_subset),
            T(m6_driver_features_count_until_features_ok),
            T(m6_driver_features_beyond_bit_63_are_refused),
            T(m6_legacy_takes_features_as_written_and_stores_features_ok),
            T(m7_broken_ring_sets_needs_reset_and_config_interrupt),
            T(m7_needs_reset_before_driver_ok_raises_no_interrupt),
            T(m7_only_the_device_sets_needs_reset),
            T(m8_queue_registers_are_locked_after_driver_ok),
            T(m8_queue_registers_are_taken_before_features_ok),
            T(m8_queue_registers_are_locked_while_ready),
            T(m9_queue_sel_out_of_range_reads_zero_and_ignores_writes),
            T(m9_queue_notify_out_of_range_is_ignored),
            T(m10_registers_take_only_aligned_32_bit_accesses),
            T(m10_config_access_is_bounded_by_its_size),
            T(m10_config_writes_are_ignored_when_read_only),
            T(m11_write_only_registers_read_zero),
            T(m11_read_only_registers_ignore_writes),
            T(m11_legacy_registers_are_ignored_in_v2),
            T(m11_modern_registers_are_ignored_in_v1),
            T(m12_queue_ready_zero_stops_the_queue),
            T(m13_transport_never_offers_unimplemented_ring_features),
            T(m13_legacy_does_not_offer_version_1),
            T(status_keeps_what_the_driver_writes_in_any_order),
            T(v1_legacy_layout_follows_page_size_and_queue_align),
            T(v1_bad_pfn_or_align_is_refused),
            T(v2_queue_above_4gib_uses_high_halves),
            T(trace_decodes_register_accesses),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
