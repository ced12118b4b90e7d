/*
 * virtq: the device side of one split virtqueue (virtio 1.2 §2.7).
 *
 * A transport binds a queue to guest memory and two callbacks (vq_init), then
 * enables it at addresses the driver chose (vq_enable validates them: Q1) and
 * resets it (vq_reset: Q12). A device pops validated chains with
 * vq_pop_or_arm until it answers anything but VQ_POP_CHAIN, pushes used
 * elements (vq_push) and asks for an interrupt (vq_signal_used: Q10).
 * Every guest access goes through gmem; every loop is bounded by the queue
 * size or VQ_CHAIN_MAX; nothing allocates.
 *
 * A pass (docs/virtio-rules.md, "One pass per kick"): the calls of
 * vq_pop_or_arm up to the one that answers anything but VQ_POP_CHAIN. A pass
 * consumes at most num avail entries (chains served or rejected); then it
 * ends with VQ_POP_YIELD, and vq_yielded tells the transport to serve the
 * queue again later (a guest adding chains as fast as they are served cannot
 * keep one call going forever). With the vCPU stopped (a QueueNotify exit)
 * at most num entries can wait, so one pass drains the ring.
 *
 * Errors are enum vq_err values, named by vq_err_name (the trace's words).
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

#include "errtab.h"
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

/*
 * Every way a queue refuses something, one table: the enum and the words the
 * trace prints. Q1: vq_enable refuses a layout; Q11 fatal: the queue stops
 * and the transport sets DEVICE_NEEDS_RESET; Q11 chain: the chain is
 * returned with used.len 0 (vq->rejected).
 */
#define VQ_ERRORS(X)                                                                               \
        X(VQ_OK, "no error")                                                                       \
        X(VQ_E_SIZE, "queue size not a power of 2 within QueueNumMax")                             \
        X(VQ_E_ALIGN, "ring misaligned (desc 16, avail 2, used 4)")                                \
        X(VQ_E_DESC_RAM, "descriptor table not in guest RAM")                                      \
        X(VQ_E_AVAIL_RAM, "avail ring not in guest RAM")                                           \
        X(VQ_E_USED_RAM, "used ring not in guest RAM")                                             \
        X(VQ_E_USED_OVERLAP, "used ring overlaps the descriptor table or avail ring")              \
        X(VQ_E_HOST_ALIGN, "ring misaligned in host memory")                                       \
        X(VQ_E_AVAIL_UNREADABLE, "avail ring unreadable")                                          \
        X(VQ_E_AVAIL_IDX, "avail index moved more than the queue size")                            \
        X(VQ_E_USED_UNWRITABLE, "used ring unwritable")                                            \
        X(VQ_E_HEAD_RANGE, "head index >= queue size")                                             \
        X(VQ_E_HEAD_INFLIGHT, "head already in flight")                                            \
        X(VQ_E_DEVICE_RESET, "device needs reset")                                                 \
        X(VQ_E_ZERO_LEN, "zero-length descriptor")                                                 \
        X(VQ_E_BUF_RAM, "buffer not in guest RAM")                                                 \
        X(VQ_E_READ_AFTER_WRITE, "readable descriptor after a writable one")                       \
        X(VQ_E_CHAIN_4G, "chain of 4 GiB or more")                                                 \
        X(VQ_E_SEGS, "more than 256 segments")                                                     \
        X(VQ_E_INDIRECT_OFF, "indirect descriptor not negotiated")                                 \
        X(VQ_E_INDIRECT_NESTED, "indirect descriptor inside an indirect table")                    \
        X(VQ_E_INDIRECT_NEXT, "indirect descriptor with NEXT")                                     \
        X(VQ_E_INDIRECT_LEN, "indirect table length not a non-zero multiple of 16")                \
        X(VQ_E_INDIRECT_LONG, "indirect table longer than 256 entries")                            \
        X(VQ_E_INDIRECT_RAM, "indirect table not in guest RAM")                                    \
        X(VQ_E_INDIRECT_LOOP, "loop in indirect table")                                            \
        X(VQ_E_LOOP, "descriptor loop")                                                            \
        X(VQ_E_DESC_UNREADABLE, "descriptor unreadable")                                           \
        X(VQ_E_INDIRECT_NEXT_RANGE, "next beyond the indirect table")                              \
        X(VQ_E_NEXT_RANGE, "next >= queue size")

enum vq_err { VQ_ERRORS(ERRTAB_ENUM) VQ_ERR_COUNT };
/* The trace's words for e ("descriptor loop"). */
const char *vq_err_name(enum vq_err e);

struct virtq;
/* Used elements were published and the driver asked to hear about it. */
typedef void (*vq_irq_fn)(void *opaque, struct virtq *vq);
/* The queue is broken beyond repair (a Q11 fatal error, or VQ_E_DEVICE_RESET). */
typedef void (*vq_fail_fn)(void *opaque, struct virtq *vq, enum vq_err why);

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
        enum vq_err rejected;       /* why the last malformed chain was returned, or VQ_OK */
        bool in_pass;               /* a pass is going on (vq_pop_or_arm) */
        bool yielded;               /* the last pass ended with VQ_POP_YIELD */
        uint32_t pass_left;         /* avail entries this pass may still consume */
        uint64_t inflight_map[VQ_SIZE_MAX / 64];
};

/* Where the driver put the three areas (v2 registers, or derived from the v1 PFN). */
struct vq_layout {
        uint32_t num;
        uint64_t desc, avail, used;
};

enum vq_pop_result {
        VQ_POP_EMPTY,   /* nothing available, notifications re-armed: the driver kicks next */
        VQ_POP_CHAIN,   /* *chain filled; push its head exactly once */
        VQ_POP_STOPPED, /* queue not ready or broken: stop processing */
        VQ_POP_YIELD,   /* the pass used its budget; more may wait (vq_yielded) */
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
              enum vq_err *why);
/*
 * The negotiated features, read again at each notification: a legacy driver
 * may use a queue before it writes its features (§3.1.2). The ring looks at
 * INDIRECT_DESC and EVENT_IDX; the device at its own bits.
 */
void vq_set_features(struct virtq *vq, uint64_t features);
/* Ready and not broken. */
bool vq_live(const struct virtq *vq);
/*
 * The next valid chain (Q2-Q8, Q11), as Firecracker's
 * pop_or_enable_notification: when nothing is available it re-arms the
 * driver's kicks (EVENT_IDX: publishes avail_event = the next entry to
 * consume; without it the driver always kicks) and reads avail->idx once
 * more, so a chain added meanwhile is popped, not stranded; only then does
 * it answer VQ_POP_EMPTY. Malformed chains are returned (used.len 0) on the
 * way. VQ_POP_YIELD ends a pass that consumed num entries (above).
 */
enum vq_pop_result vq_pop_or_arm(struct virtq *vq, struct vq_chain *c);
/* The last pass ended with VQ_POP_YIELD: the queue must be served again without a kick. */
bool vq_yielded(const struct virtq *vq);
/* Publishes {head, len} (Q9); 0, or -EINVAL when head is not in flight. */
int vq_push(struct virtq *vq, uint16_t head, uint32_t len);
/* Interrupts the driver if something was pushed and the driver wants it (Q10). */
void vq_signal_used(struct virtq *vq);
/* Stops the queue and reports why (a device's unrecoverable error). */
void vq_fail(struct virtq *vq, enum vq_err why);
/*
 * A ready queue with nothing in flight continues from avail index last_avail
 * and the used index its used ring holds (vhost-user's SET_VRING_BASE, after
 * vq_enable); 0, or -EINVAL.
 */
int vq_set_base(struct virtq *vq, uint16_t last_avail);
/* The EVENT_IDX rule: true iff moving from old to new_idx crosses event. */
bool vq_need_event(uint16_t event, uint16_t new_idx, uint16_t old);

#endif
