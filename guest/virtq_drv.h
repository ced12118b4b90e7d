/*
 * virtq_drv: the driver side of a split virtqueue (virtio 1.2 §2.7).
 *
 * The caller gives each queue page-aligned memory; gvq_layout() lays the
 * rings out as the legacy interface requires (§2.7.2, also valid for
 * version 2): descriptor table at the start, avail ring right after its
 * 16 * num bytes, used ring at the next 4096-byte boundary. gvq_mem_size()
 * says how much that takes.
 *
 * Free descriptors form a list threaded through a shadow of each
 * descriptor's next field kept here, so the driver never trusts the table in
 * shared memory to find its own free slots. A chain is a list of buffers,
 * device-readable ones first; with VIRTIO_F_INDIRECT_DESC negotiated it may
 * instead live in a caller-supplied indirect table and take one ring slot.
 *
 * Ordering (§2.7.13): ring entry, then a release fence, then avail->idx; a
 * full fence before reading used->flags to decide on notifying; used->idx
 * read before an acquire fence, then the used element. On x86 stores are
 * not reordered with stores nor loads with loads, so release and acquire
 * cost only a compiler barrier; the full fence is a locked instruction.
 *
 * VIRTIO_RING_F_EVENT_IDX (§2.7.7.2, §2.7.10), when the caller sets
 * q->event_idx before gvq_layout: avail->flags stays 0; the driver keeps
 * used_event (after the avail ring) at the next used index it wants an
 * interrupt for (the index it will consume next), or one behind it (never)
 * for a polling driver, and notifies only when gvq_need_event() says the
 * device's avail_event (after the used ring) lies among the entries added
 * since the last notification.
 */
#ifndef GUEST_VIRTQ_DRV_H
#define GUEST_VIRTQ_DRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio_err.h"

#define VQD_MAX 256u /* the largest ring this driver builds */

#define VQD_DESC_F_NEXT          1u
#define VQD_DESC_F_WRITE         2u
#define VQD_DESC_F_INDIRECT      4u
#define VQD_AVAIL_F_NO_INTERRUPT 1u
#define VQD_USED_F_NO_NOTIFY     1u

struct gvq_desc {
        uint64_t addr;
        uint32_t len;
        uint16_t flags;
        uint16_t next;
};

struct gvq_avail {
        uint16_t flags;
        uint16_t idx;
        uint16_t ring[]; /* then used_event */
};

struct gvq_used_elem {
        uint32_t id;
        uint32_t len;
};

struct gvq_used {
        uint16_t flags;
        uint16_t idx;
        struct gvq_used_elem ring[]; /* then avail_event */
};

/* One buffer of a chain; write: the device writes it. */
struct gvq_buf {
        const void *addr;
        uint32_t len;
        bool write;
};

struct vqd {
        /* Set by gvq_init. */
        uint16_t index; /* the queue's number in the device */
        uint16_t want;  /* the ring size asked for (rounded down to QueueNumMax) */
        void *mem;
        size_t mem_size;
        /* Set by gvq_layout. */
        uint16_t num;
        struct gvq_desc *desc;
        struct gvq_avail *avail;
        struct gvq_used *used;
        bool indirect;       /* VIRTIO_F_INDIRECT_DESC negotiated */
        bool no_interrupt;   /* avail->flags NO_INTERRUPT (polling driver) */
        bool event_idx;      /* VIRTIO_RING_F_EVENT_IDX negotiated (set before gvq_layout) */
        uint16_t kicked_idx; /* avail_idx at the last notification decision (EVENT_IDX) */
        uint16_t free_head;
        uint16_t num_free;
        uint16_t avail_idx;        /* the next avail->idx to publish */
        uint16_t last_used;        /* used elements consumed so far (mod 2^16) */
        uint16_t in_flight;        /* chains added and not yet returned */
        uint16_t next[VQD_MAX];    /* shadow of desc[i].next */
        uint16_t chain_n[VQD_MAX]; /* descriptors of the chain headed here, 0 when free */
        void *cookie[VQD_MAX];     /* the caller's token for the chain headed here */
        uint32_t added, completed; /* statistics for tests */
        uint32_t notifies;         /* notifications gvq_needs_notify() asked for */
};

/*
 * vring_need_event (§2.7.10): true when event, the index the other side
 * asked to be told about, lies in [old, new_idx): the entries published
 * since the last notification. All arithmetic is mod 2^16.
 */
static inline bool gvq_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
        return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

/* The EVENT_IDX words: used_event after the avail ring (driver-written),
 * avail_event after the used ring (device-written). */
static inline volatile uint16_t *gvq_used_event(const struct vqd *q)
{
        return (volatile uint16_t *)&q->avail->ring[q->num];
}

static inline volatile uint16_t *gvq_avail_event(const struct vqd *q)
{
        return (volatile uint16_t *)&q->used->ring[q->num];
}

/* Bytes of ring memory a queue of num entries needs. */
size_t gvq_mem_size(uint16_t num);
/* Binds q to queue index with its memory; asks for a ring of want entries. */
void gvq_init(struct vqd *q, uint16_t index, void *mem, size_t mem_size, uint16_t want);
/* Lays out a ring of num entries (a power of 2) in q's memory and empties it. */
int gvq_layout(struct vqd *q, uint16_t num, bool indirect, bool no_interrupt);

/*
 * Adds a chain of n buffers (device-readable first) and publishes it in the
 * avail ring. indirect: a table of at least n descriptors to use instead of
 * ring descriptors (only when q->indirect), else NULL. *head receives the
 * chain's head descriptor; cookie is returned with its used element.
 */
int gvq_add(struct vqd *q, const struct gvq_buf *bufs, unsigned n, struct gvq_desc *indirect,
            void *cookie, uint16_t *head);
/* After gvq_add: whether the device wants a notification (§2.7.10); with
 * EVENT_IDX it also records the entries added so far as notified. */
bool gvq_needs_notify(struct vqd *q);
/* With EVENT_IDX: sets used_event to the next used index the driver will
 * consume (or one behind it when no_interrupt), then a full fence, so a
 * later check of used->idx and the device's check of used_event cannot both
 * miss each other (§2.7.7.2). No-op without EVENT_IDX. */
void gvq_arm_used_event(struct vqd *q);
/* A used element is waiting. */
bool gvq_has_used(const struct vqd *q);
/*
 * Takes one used element: *cookie and *len of the chain it returns, whose
 * descriptors go back to the free list. VIO_OK, VIO_ERR_TIMEOUT when none
 * is waiting (not an error for pollers), or VIO_ERR_BAD_USED /
 * VIO_ERR_USED_OVERRUN when the device broke the ring.
 */
int gvq_get_used(struct vqd *q, void **cookie, uint32_t *len, uint16_t *head);

#endif
