/*
 * virtq: the device side of a split virtqueue (contract: virtq.h; layout:
 * virtio 1.2 §2.7, linux/virtio_ring.h).
 *
 * Guest memory is reached only through gmem. Ring indices are loaded and
 * stored atomically through gmem_ptr (their alignment is checked at enable);
 * descriptors and ring entries are copied once into locals with gmem_read,
 * and only the copies are looked at (Q5: no double fetch).
 */
#include "virtq.h"

#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "le.h"
#include "trace.h"
#include "virtio.h"

#define VQ_DESC_SIZE 16u

/* One descriptor, decoded from its 16 little-endian bytes. */
struct vq_desc {
        uint64_t addr;
        uint32_t len;
        uint16_t flags;
        uint16_t next;
};

/* Area sizes (virtio 1.2 §2.7): the event fields are always part of the rings. */
static uint64_t vq_desc_size(uint32_t num)
{
        return (uint64_t)num * VQ_DESC_SIZE;
}

static uint64_t vq_avail_size(uint32_t num)
{
        return 6 + 2 * (uint64_t)num;
}

static uint64_t vq_used_size(uint32_t num)
{
        return 6 + 8 * (uint64_t)num;
}

/* Atomic 16-bit ring fields; enable checked that they are in RAM and aligned. */
static bool vq_load16(const struct virtq *vq, uint64_t gpa, uint16_t *v)
{
        uint16_t *p = gmem_ptr(vq->gm, gpa, sizeof(*p));

        if (p == NULL)
                return false;
        *v = le16toh(__atomic_load_n(p, __ATOMIC_ACQUIRE));
        return true;
}

static bool vq_store16(const struct virtq *vq, uint64_t gpa, uint16_t v)
{
        uint16_t *p = gmem_ptr(vq->gm, gpa, sizeof(*p));

        if (p == NULL)
                return false;
        __atomic_store_n(p, htole16(v), __ATOMIC_RELEASE);
        return true;
}

void vq_init(struct virtq *vq, const struct gmem *gm, unsigned index, vq_irq_fn irq,
             vq_fail_fn fail, void *opaque)
{
        *vq = (struct virtq){.gm = gm, .index = index, .irq = irq, .fail = fail, .opaque = opaque};
}

/* Q12: indices, addresses and in-flight heads are all forgotten. */
void vq_reset(struct virtq *vq)
{
        vq_init(vq, vq->gm, vq->index, vq->irq, vq->fail, vq->opaque);
}

bool vq_live(const struct virtq *vq)
{
        return vq->ready && !vq->broken;
}

const char *vq_err_name(enum vq_err e)
{
        static const char *const words[VQ_ERR_COUNT] = {VQ_ERRORS(ERRTAB_WORDS)};

        return errtab_name(words, VQ_ERR_COUNT, (unsigned)e);
}

void vq_fail(struct virtq *vq, enum vq_err why)
{
        if (vq->broken)
                return;
        vq->broken = true;
        TRACE("virtq %u: stopped: %s", vq->index, vq_err_name(why));
        if (vq->fail != NULL)
                vq->fail(vq->opaque, vq, why);
}

/* [a, a + alen) and [b, b + blen) share a byte; both are inside RAM, so no sum wraps. */
static bool vq_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
        return a < b + blen && b < a + alen;
}

static bool vq_host_aligned(const struct gmem *gm, uint64_t gpa, uint64_t len, uintptr_t align)
{
        return ((uintptr_t)gmem_ptr(gm, gpa, len) & (align - 1)) == 0;
}

/* Q1: size, alignment, placement in RAM; VQ_OK when the layout is usable. */
static enum vq_err vq_check_layout(const struct gmem *gm, const struct vq_layout *l, uint16_t max)
{
        uint32_t n = l->num;

        if (n == 0 || n > max || n > VQ_SIZE_MAX || (n & (n - 1)) != 0)
                return VQ_E_SIZE;
        if (l->desc % 16 != 0 || l->avail % 2 != 0 || l->used % 4 != 0)
                return VQ_E_ALIGN;
        if (!gmem_contains(gm, l->desc, vq_desc_size(n)))
                return VQ_E_DESC_RAM;
        if (!gmem_contains(gm, l->avail, vq_avail_size(n)))
                return VQ_E_AVAIL_RAM;
        if (!gmem_contains(gm, l->used, vq_used_size(n)))
                return VQ_E_USED_RAM;
        /* Q7: the device writes the used ring, never the driver's areas. */
        if (vq_overlap(l->used, vq_used_size(n), l->desc, vq_desc_size(n)) ||
            vq_overlap(l->used, vq_used_size(n), l->avail, vq_avail_size(n)))
                return VQ_E_USED_OVERLAP;
        /* Always true for page-aligned RAM mappings; atomics need it. */
        if (!vq_host_aligned(gm, l->avail, vq_avail_size(n), 2) ||
            !vq_host_aligned(gm, l->used, vq_used_size(n), 4))
                return VQ_E_HOST_ALIGN;
        return VQ_OK;
}

int vq_enable(struct virtq *vq, const struct vq_layout *l, uint16_t max, uint64_t features,
              enum vq_err *why)
{
        enum vq_err err = vq_check_layout(vq->gm, l, max);

        vq_reset(vq);
        if (err != VQ_OK) {
                TRACE("virtq %u: not enabled: %s (num %" PRIu32 ", desc 0x%" PRIx64
                      ", avail 0x%" PRIx64 ", used 0x%" PRIx64 ")",
                      vq->index, vq_err_name(err), l->num, l->desc, l->avail, l->used);
                if (why != NULL)
                        *why = err;
                return -EINVAL;
        }
        vq->num = (uint16_t)l->num; /* <= VQ_SIZE_MAX */
        vq->desc = l->desc;
        vq->avail = l->avail;
        vq->used = l->used;
        vq->features = features;
        vq->ready = true;
        TRACE("virtq %u: enabled: num %u, desc 0x%" PRIx64 ", avail 0x%" PRIx64 ", used 0x%" PRIx64
              "%s",
              vq->index, vq->num, vq->desc, vq->avail, vq->used,
              (vq->features & VIRTIO_FEAT_INDIRECT_DESC) ? ", indirect" : "");
        return 0;
}

void vq_set_features(struct virtq *vq, uint64_t features)
{
        vq->features = features;
}

/* --- in-flight heads (Q4) ------------------------------------------------ */

static bool vq_inflight(const struct virtq *vq, uint16_t head)
{
        return (vq->inflight_map[head / 64] >> (head % 64)) & 1;
}

static void vq_set_inflight(struct virtq *vq, uint16_t head, bool on)
{
        uint64_t bit = 1ULL << (head % 64);

        if (on) {
                vq->inflight_map[head / 64] |= bit;
                vq->inflight++;
        } else {
                vq->inflight_map[head / 64] &= ~bit;
                vq->inflight--;
        }
}

/* --- the avail ring (Q2, Q3) --------------------------------------------- */

/* Reads avail->idx once (acquire, Q2); false when the driver is broken. */
static bool vq_refresh_avail(struct virtq *vq)
{
        uint16_t idx;

        if (!vq_load16(vq, vq->avail + 2, &idx)) {
                vq_fail(vq, VQ_E_AVAIL_UNREADABLE);
                return false;
        }
        __atomic_thread_fence(__ATOMIC_ACQUIRE); /* Q2: idx before the entries */
        if ((uint16_t)(idx - vq->last_avail) > vq->num) {
                TRACE("virtq %u: avail idx %u is more than %u ahead of %u", vq->index, idx, vq->num,
                      vq->last_avail);
                vq_fail(vq, VQ_E_AVAIL_IDX);
                return false;
        }
        vq->shadow_avail = idx;
        return true;
}

/* EVENT_IDX: tell the driver to kick for anything past last_avail, then look again. */
static bool vq_publish_avail_event(struct virtq *vq)
{
        if (!(vq->features & VIRTIO_FEAT_EVENT_IDX))
                return true;
        if (!vq_store16(vq, vq->used + 4 + 8 * (uint64_t)vq->num, vq->last_avail)) {
                vq_fail(vq, VQ_E_USED_UNWRITABLE);
                return false;
        }
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        return vq_refresh_avail(vq);
}

/*
 * Q2/Q3/Q4: the next head; VQ_POP_EMPTY once re-armed (vq_pop_or_arm),
 * VQ_POP_YIELD when the pass has no budget left, or VQ_POP_STOPPED (queue
 * failed). Emptiness is checked first, so a pass that consumed exactly its
 * budget and left nothing still ends armed and EMPTY.
 */
static enum vq_pop_result vq_next_head(struct virtq *vq, uint16_t *head)
{
        uint8_t raw[2];
        uint64_t gpa;

        if (vq->last_avail == vq->shadow_avail) {
                if (!vq_refresh_avail(vq))
                        return VQ_POP_STOPPED;
                if (vq->last_avail == vq->shadow_avail && !vq_publish_avail_event(vq))
                        return VQ_POP_STOPPED;
                if (vq->last_avail == vq->shadow_avail)
                        return VQ_POP_EMPTY;
        }
        if (vq->pass_left == 0)
                return VQ_POP_YIELD;
        vq->pass_left--;
        gpa = vq->avail + 4 + 2 * (uint64_t)(vq->last_avail & (vq->num - 1));
        if (gmem_read(vq->gm, gpa, raw, sizeof(raw)) < 0) {
                vq_fail(vq, VQ_E_AVAIL_UNREADABLE);
                return VQ_POP_STOPPED;
        }
        vq->last_avail++;
        *head = le16_get(raw);
        if (*head >= vq->num) {
                TRACE("virtq %u: head %u >= queue size %u", vq->index, *head, vq->num);
                vq_fail(vq, VQ_E_HEAD_RANGE);
                return VQ_POP_STOPPED;
        }
        if (vq_inflight(vq, *head)) {
                TRACE("virtq %u: head %u is already in flight", vq->index, *head);
                vq_fail(vq, VQ_E_HEAD_INFLIGHT);
                return VQ_POP_STOPPED;
        }
        return VQ_POP_CHAIN;
}

/* --- walking a chain (Q5-Q8) --------------------------------------------- */

/* Q5: the one fetch of descriptor i of table; the caller keeps i < entries. */
static bool vq_read_desc(const struct virtq *vq, uint64_t table, uint32_t i, struct vq_desc *d)
{
        uint8_t raw[VQ_DESC_SIZE];

        /* table + 16 * i lies inside a table already checked to be in RAM. */
        if (gmem_read(vq->gm, table + (uint64_t)i * VQ_DESC_SIZE, raw, sizeof(raw)) < 0)
                return false;
        d->addr = le64_get(raw);
        d->len = le32_get(raw + 8);
        d->flags = le16_get(raw + 12);
        d->next = le16_get(raw + 14);
        return true;
}

/* Q5-Q7: appends one buffer; VQ_OK, or why the chain is malformed. */
static enum vq_err vq_add_seg(struct vq_chain *c, const struct gmem *gm, const struct vq_desc *d)
{
        bool writable = (d->flags & VRING_DESC_F_WRITE) != 0;
        struct vq_seg *s;

        if (d->len == 0)
                return VQ_E_ZERO_LEN; /* Q5 */
        if (!gmem_contains(gm, d->addr, d->len))
                return VQ_E_BUF_RAM; /* Q6: overflow-safe, RAM only */
        if (!writable && c->nsegs > c->nreadable)
                return VQ_E_READ_AFTER_WRITE; /* Q7 */
        /* Q5: each len < 2^32 and the sum so far < 2^32, so this cannot wrap. */
        if (c->read_len + c->write_len + d->len > UINT32_MAX)
                return VQ_E_CHAIN_4G;
        if (c->nsegs >= VQ_CHAIN_MAX)
                return VQ_E_SEGS;
        s = &c->segs[c->nsegs++];
        s->gpa = d->addr;
        s->len = d->len;
        s->writable = writable;
        if (writable) {
                c->write_len += d->len;
        } else {
                c->read_len += d->len;
                c->nreadable++;
        }
        return VQ_OK;
}

/*
 * Q8: whether an INDIRECT descriptor may be followed; VQ_OK when it may.
 * §2.7.5.3.2: the device MUST handle zero or more direct descriptors
 * followed by a single indirect one, so direct buffers may come first.
 */
static enum vq_err vq_check_indirect(const struct virtq *vq, const struct vq_desc *d, bool in_table)
{
        if (!(vq->features & VIRTIO_FEAT_INDIRECT_DESC))
                return VQ_E_INDIRECT_OFF;
        if (in_table)
                return VQ_E_INDIRECT_NESTED;
        if (d->flags & VRING_DESC_F_NEXT)
                return VQ_E_INDIRECT_NEXT;
        if (d->len == 0 || d->len % VQ_DESC_SIZE != 0)
                return VQ_E_INDIRECT_LEN;
        if (d->len / VQ_DESC_SIZE > VQ_CHAIN_MAX)
                return VQ_E_INDIRECT_LONG;
        if (!gmem_contains(vq->gm, d->addr, d->len))
                return VQ_E_INDIRECT_RAM;
        return VQ_OK;
}

/* Where the walk reads descriptors from: the ring's table or one indirect table. */
struct vq_walk {
        uint64_t table;
        uint32_t entries;
        uint32_t steps; /* descriptors read from this table */
        bool indirect;
};

/*
 * Fills c with the chain at head; VQ_OK, or why it is malformed. At most
 * num + VQ_CHAIN_MAX descriptors are read: each table is left after as many
 * steps as it has entries (Q5: a longer walk is a loop).
 */
static enum vq_err vq_walk_chain(const struct virtq *vq, uint16_t head, struct vq_chain *c)
{
        struct vq_walk w = {.table = vq->desc, .entries = vq->num};
        uint32_t idx = head;
        enum vq_err why;
        struct vq_desc d;

        c->head = head;
        c->nsegs = c->nreadable = 0;
        c->read_len = c->write_len = 0;
        for (;;) {
                if (w.steps++ >= w.entries)
                        return w.indirect ? VQ_E_INDIRECT_LOOP : VQ_E_LOOP;
                if (!vq_read_desc(vq, w.table, idx, &d))
                        return VQ_E_DESC_UNREADABLE;
                if (d.flags & VRING_DESC_F_INDIRECT) {
                        why = vq_check_indirect(vq, &d, w.indirect);
                        if (why != VQ_OK)
                                return why;
                        w = (struct vq_walk){d.addr, d.len / VQ_DESC_SIZE, 0, true};
                        idx = 0;
                        continue;
                }
                why = vq_add_seg(c, vq->gm, &d);
                if (why != VQ_OK)
                        return why;
                if (!(d.flags & VRING_DESC_F_NEXT))
                        return VQ_OK;
                if (d.next >= w.entries)
                        return w.indirect ? VQ_E_INDIRECT_NEXT_RANGE : VQ_E_NEXT_RANGE;
                idx = d.next;
        }
}

static void vq_trace_chain(const struct virtq *vq, const struct vq_chain *c)
{
        char line[768];
        size_t n;
        unsigned i;

        if (!trace_enabled)
                return;
        n = (size_t)snprintf(line, sizeof(line), "virtq %u: head %u:", vq->index, c->head);
        for (i = 0; i < c->nsegs && n < sizeof(line); i++)
                n += (size_t)snprintf(line + n, sizeof(line) - n, "%s [%u] 0x%" PRIx64 " len %u %c",
                                      i ? "," : "", i, c->segs[i].gpa, c->segs[i].len,
                                      c->segs[i].writable ? 'W' : 'R');
        TRACE("%s%s", line, n >= sizeof(line) ? "..." : "");
}

/* --- the used ring (Q9) -------------------------------------------------- */

static void vq_publish_used(struct virtq *vq, uint16_t head, uint32_t len)
{
        uint8_t elem[8];
        uint64_t gpa = vq->used + 4 + 8 * (uint64_t)(vq->used_idx & (vq->num - 1));

        le32_put(elem, head);
        le32_put(elem + 4, len);
        if (gmem_write(vq->gm, gpa, elem, sizeof(elem)) < 0) {
                vq_fail(vq, VQ_E_USED_UNWRITABLE);
                return;
        }
        __atomic_thread_fence(__ATOMIC_RELEASE); /* Q9: element before index */
        vq->used_idx++;
        if (!vq_store16(vq, vq->used + 2, vq->used_idx))
                vq_fail(vq, VQ_E_USED_UNWRITABLE);
}

/* One pop of the pass: malformed chains on the way are returned (Q11). */
static enum vq_pop_result vq_pop_chain(struct virtq *vq, struct vq_chain *c)
{
        enum vq_pop_result r;
        enum vq_err why;
        uint16_t head;

        if (!vq_live(vq))
                return VQ_POP_STOPPED;
        /* Bounded: every turn consumes one avail entry of the pass's budget (vq_next_head). */
        for (;;) {
                r = vq_next_head(vq, &head);
                if (r != VQ_POP_CHAIN)
                        return r;
                why = vq_walk_chain(vq, head, c);
                if (why == VQ_OK) {
                        vq_set_inflight(vq, head, true);
                        vq_trace_chain(vq, c);
                        return VQ_POP_CHAIN;
                }
                vq->rejected = why;
                TRACE("virtq %u: head %u rejected (used.len 0): %s", vq->index, head,
                      vq_err_name(why));
                vq_publish_used(vq, head, 0);
                if (!vq_live(vq))
                        return VQ_POP_STOPPED;
        }
}

enum vq_pop_result vq_pop_or_arm(struct virtq *vq, struct vq_chain *c)
{
        enum vq_pop_result r;

        if (!vq->in_pass) {
                vq->in_pass = true;
                vq->yielded = false;
                vq->pass_left = vq->num;
        }
        r = vq_pop_chain(vq, c);
        if (r != VQ_POP_CHAIN) {
                vq->in_pass = false;
                vq->yielded = r == VQ_POP_YIELD;
        }
        return r;
}

bool vq_yielded(const struct virtq *vq)
{
        return vq->yielded;
}

int vq_push(struct virtq *vq, uint16_t head, uint32_t len)
{
        /* Q12: after a reset nothing is in flight, so stale completions are dropped. */
        if (!vq->ready || head >= vq->num || !vq_inflight(vq, head)) {
                TRACE("virtq %u: push of head %u ignored: not in flight", vq->index, head);
                return -EINVAL;
        }
        vq_set_inflight(vq, head, false);
        vq_publish_used(vq, head, len);
        return 0;
}

bool vq_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
        return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

/* Q10: does the driver want an interrupt for used entries old..new? */
static bool vq_wants_interrupt(const struct virtq *vq, uint16_t old, uint16_t new_idx)
{
        uint16_t v;

        __atomic_thread_fence(__ATOMIC_SEQ_CST); /* used->idx visible before we look */
        if (vq->features & VIRTIO_FEAT_EVENT_IDX) {
                if (!vq_load16(vq, vq->avail + 4 + 2 * (uint64_t)vq->num, &v))
                        return true;
                return vq_need_event(v, new_idx, old);
        }
        if (!vq_load16(vq, vq->avail, &v))
                return true;
        return !(v & VRING_AVAIL_F_NO_INTERRUPT);
}

void vq_signal_used(struct virtq *vq)
{
        uint16_t old = vq->signalled_used;

        if (!vq->ready || old == vq->used_idx)
                return;
        vq->signalled_used = vq->used_idx;
        if (!vq_wants_interrupt(vq, old, vq->used_idx)) {
                TRACE("virtq %u: interrupt suppressed by the driver", vq->index);
                return;
        }
        if (vq->irq != NULL)
                vq->irq(vq->opaque, vq);
}

/*
 * vhost-user resumes a ring at the front end's avail index (docs/vhost-user.md,
 * SET_VRING_BASE); the used index is the one the ring in memory holds.
 */
int vq_set_base(struct virtq *vq, uint16_t last_avail)
{
        uint16_t used;

        if (!vq->ready || vq->inflight != 0 || !vq_load16(vq, vq->used + 2, &used))
                return -EINVAL;
        vq->last_avail = vq->shadow_avail = last_avail;
        vq->used_idx = vq->signalled_used = used;
        return 0;
}
