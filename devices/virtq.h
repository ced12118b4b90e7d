/*
 * virtq: the device side of one split virtqueue (virtio 1.2 §2.7).
 *
 * A transport binds a queue to guest memory and two callbacks (vq_init), then
 * enables it at addresses the driver chose (vq_enable validates them: Q1) and
 * resets it (vq_reset: Q12). A device pops validated chains (vq_pop), pushes
 * used elements (vq_push) and asks for an interrupt (vq_signal_used: Q10).
 * Every guest access goes through gmem; every loop is bounded by the queue
 * size or VQ_CHAIN_MAX; nothing allocates.
 *
 * Error policy (Q11):
 *  - a broken ring (avail index more than N ahead, head >= N, a head already
 *    in flight) is fatal: the queue stops and the fail callback asks the
 *    transport for DEVICE_NEEDS_RESET;
 *  - a malformed chain behind a valid head (bad next, loop, zero length,
 *    buffer outside RAM, readable after writable, > 4 GiB, bad indirect
 *    table, too many segments) is consumed and returned with used.len 0,
 *    then the next chain is tried.
 * Not thread-safe: one caller at a time per queue.
 */
#ifndef MINIVMM_VIRTQ_H
#define MINIVMM_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>

#include "gmem.h"

#define VQ_SIZE_MAX  32768u /* largest split queue (virtio 1.2 §2.7) */
#define VQ_CHAIN_MAX 256u   /* segments per chain, and entries per indirect table (Q8) */

/* One buffer of a chain, already checked to lie entirely in guest RAM. */
struct vq_seg {
        uint64_t gpa;
        uint32_t len; /* >= 1 */
        bool writable;
};

/* A chain as the device sees it: readable segments first, then writable. */
struct vq_chain {
        uint16_t head;
        unsigned nsegs;
        unsigned nreadable; /* segs[0, nreadable) readable, the rest writable */
        uint64_t read_len;  /* sum of readable lengths */
        uint64_t write_len; /* sum of writable lengths; read_len + write_len < 4 GiB */
        struct vq_seg segs[VQ_CHAIN_MAX];
};

struct virtq;
/* Used elements were published and the driver asked to hear about it. */
typedef void (*vq_irq_fn)(void *opaque, struct virtq *vq);
/* The queue is broken beyond repair; why is a static string. */
typedef void (*vq_fail_fn)(void *opaque, struct virtq *vq, const char *why);

struct virtq {
        /* Bound once by vq_init. */
        const struct gmem *gm;
        unsigned index;
        vq_irq_fn irq;
        vq_fail_fn fail;
        void *opaque;
        /* Set by vq_enable, cleared by vq_reset. */
        bool ready;
        bool broken; /* stopped after a fatal error until vq_reset */
        uint16_t num;
        uint64_t desc, avail, used; /* guest-physical addresses of the three areas */
        uint64_t features;          /* negotiated, as of this notification (vq_set_features) */
        uint16_t last_avail;        /* next avail entry to consume */
        uint16_t shadow_avail;      /* avail->idx as last read */
        uint16_t used_idx;          /* next used entry to fill */
        uint16_t signalled_used;    /* used_idx when the driver was last considered */
        unsigned inflight;          /* heads popped and not yet pushed (Q4) */
        const char *rejected;       /* why the last malformed chain was returned, or NULL */
        uint64_t inflight_map[VQ_SIZE_MAX / 64];
};

/* Where the driver put the three areas (v2 registers, or derived from the v1 PFN). */
struct vq_layout {
        uint32_t num;
        uint64_t desc, avail, used;
};

enum vq_pop_result {
        VQ_POP_EMPTY,   /* nothing available */
        VQ_POP_CHAIN,   /* *chain filled; push its head exactly once */
        VQ_POP_STOPPED, /* queue not ready or broken: stop processing */
};

void vq_init(struct virtq *vq, const struct gmem *gm, unsigned index, vq_irq_fn irq,
             vq_fail_fn fail, void *opaque);
/* Forgets everything but the vq_init binding (Q12). */
void vq_reset(struct virtq *vq);
/*
 * Validates the layout against max (Q1) and makes the queue ready with fresh
 * indices; 0, or -EINVAL with *why set and the queue left not ready.
 */
int vq_enable(struct virtq *vq, const struct vq_layout *l, uint16_t max, uint64_t features,
              const char **why);
/*
 * The negotiated features, read again at each notification: a legacy driver
 * may use a queue before it writes its features (§3.1.2). The ring looks at
 * INDIRECT_DESC and EVENT_IDX; the device at its own bits.
 */
void vq_set_features(struct virtq *vq, uint64_t features);
/* Ready and not broken. */
bool vq_live(const struct virtq *vq);
/* The next valid chain (Q2-Q8, Q11). */
enum vq_pop_result vq_pop(struct virtq *vq, struct vq_chain *c);
/* Publishes {head, len} (Q9); 0, or -EINVAL when head is not in flight. */
int vq_push(struct virtq *vq, uint16_t head, uint32_t len);
/*
 * After a batch, before the device goes idle: with EVENT_IDX, publishes
 * avail_event = the next entry to consume, so the driver kicks again only
 * for a chain past everything consumed (none while the device is busy);
 * then reads avail->idx once more. True when chains are waiting: the caller
 * must pop again, since the driver may not kick for them. False when
 * nothing waits or the queue is stopped.
 */
bool vq_enable_notify(struct virtq *vq);
/* Interrupts the driver if something was pushed and the driver wants it (Q10). */
void vq_signal_used(struct virtq *vq);
/* Stops the queue and reports why (a device's unrecoverable error). */
void vq_fail(struct virtq *vq, const char *why);
/*
 * A ready queue with nothing in flight continues from avail index last_avail
 * and the used index its used ring holds (vhost-user's SET_VRING_BASE, after
 * vq_enable); 0, or -EINVAL.
 */
int vq_set_base(struct virtq *vq, uint16_t last_avail);
/* The EVENT_IDX rule: true iff moving from old to new_idx crosses event. */
bool vq_need_event(uint16_t event, uint16_t new_idx, uint16_t old);

#endif
