/* virtq_drv: the driver side of a split virtqueue (virtio 1.2 §2.7). */
#include <string.h>

#include "guest.h"
#include "virtq_drv.h"

#define VQD_ALIGN 4096u

static size_t align_up(size_t v, size_t a)
{
        return (v + a - 1) & ~(a - 1);
}

static size_t avail_off(uint16_t num)
{
        return 16u * (size_t)num;
}

static size_t used_off(uint16_t num)
{
        /* avail: flags, idx, ring[num], used_event */
        return align_up(avail_off(num) + 6u + 2u * (size_t)num, VQD_ALIGN);
}

size_t gvq_mem_size(uint16_t num)
{
        /* used: flags, idx, ring[num], avail_event */
        return used_off(num) + 6u + 8u * (size_t)num;
}

void gvq_init(struct vqd *q, uint16_t index, void *mem, size_t mem_size, uint16_t want)
{
        memset(q, 0, sizeof(*q));
        q->index = index;
        q->mem = mem;
        q->mem_size = mem_size;
        q->want = want;
}

int gvq_layout(struct vqd *q, uint16_t num, bool indirect, bool no_interrupt)
{
        uint8_t *m = q->mem;

        if (num == 0 || num > VQD_MAX || (num & (num - 1)) != 0)
                return VIO_ERR_QUEUE_MEMORY;
        if (!m || (uintptr_t)m % VQD_ALIGN != 0 || q->mem_size < gvq_mem_size(num))
                return VIO_ERR_QUEUE_MEMORY;
        q->num = num;
        q->desc = (struct gvq_desc *)m;
        q->avail = (struct gvq_avail *)(m + avail_off(num));
        q->used = (struct gvq_used *)(m + used_off(num));
        q->indirect = indirect;
        q->no_interrupt = no_interrupt;
        /* Descriptors and ring entries are written before they are published;
         * only the indices and flags must start out known. */
        /* With EVENT_IDX the flags must stay 0: used_event does the job (§2.7.10). */
        q->avail->flags = no_interrupt && !q->event_idx ? VQD_AVAIL_F_NO_INTERRUPT : 0;
        q->avail->idx = 0;
        q->used->flags = 0;
        q->used->idx = 0;
        *gvq_used_event(q) = no_interrupt ? 0xffffu : 0;
        *gvq_avail_event(q) = 0;
        q->kicked_idx = 0;
        for (uint16_t i = 0; i < num; i++) {
                q->next[i] = (uint16_t)(i + 1);
                q->chain_n[i] = 0;
                q->cookie[i] = NULL;
        }
        q->free_head = 0;
        q->num_free = num;
        q->avail_idx = 0;
        q->last_used = 0;
        q->in_flight = 0;
        return VIO_OK;
}

static void fill_desc(struct gvq_desc *d, const struct gvq_buf *b, uint16_t next, bool last)
{
        d->addr = gpa_of(b->addr);
        d->len = b->len;
        d->flags = (uint16_t)((b->write ? VQD_DESC_F_WRITE : 0) | (last ? 0 : VQD_DESC_F_NEXT));
        d->next = last ? 0 : next;
}

int gvq_add(struct vqd *q, const struct gvq_buf *bufs, unsigned n, struct gvq_desc *indirect,
            void *cookie, uint16_t *head)
{
        uint16_t h, i, last = 0;
        unsigned need = indirect ? 1 : n;

        if (!q->num || n == 0 || (indirect && (!q->indirect || n > 0xffffu / 16)))
                return VIO_ERR_BAD_CHAIN;
        if (need > q->num_free)
                return VIO_ERR_QUEUE_FULL;
        h = q->free_head;
        if (indirect) {
                for (unsigned k = 0; k < n; k++)
                        fill_desc(&indirect[k], &bufs[k], (uint16_t)(k + 1), k + 1 == n);
                q->desc[h].addr = gpa_of(indirect);
                q->desc[h].len = (uint32_t)(n * sizeof(struct gvq_desc));
                q->desc[h].flags = VQD_DESC_F_INDIRECT;
                q->desc[h].next = 0;
                last = h;
        } else {
                i = h;
                for (unsigned k = 0; k < n; k++) {
                        fill_desc(&q->desc[i], &bufs[k], q->next[i], k + 1 == n);
                        last = i;
                        i = q->next[i];
                }
        }
        /* The chain keeps its shadow links; the free list continues after it. */
        q->free_head = q->next[last];
        q->num_free = (uint16_t)(q->num_free - need);
        q->chain_n[h] = (uint16_t)need;
        q->cookie[h] = cookie;
        q->in_flight++;
        q->added++;

        q->avail->ring[q->avail_idx & (q->num - 1)] = h;
        /* The entry before the index that publishes it (§2.7.13.3.1). */
        __atomic_thread_fence(__ATOMIC_RELEASE);
        q->avail_idx++;
        *(volatile uint16_t *)&q->avail->idx = q->avail_idx;
        if (head)
                *head = h;
        return VIO_OK;
}

bool gvq_needs_notify(struct vqd *q)
{
        uint16_t old = q->kicked_idx;
        bool need;

        /* avail->idx must be visible before used->flags or avail_event is
         * read (§2.7.10). */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (q->event_idx) {
                q->kicked_idx = q->avail_idx;
                need = gvq_need_event(*gvq_avail_event(q), q->avail_idx, old);
        } else {
                need = !(*(volatile uint16_t *)&q->used->flags & VQD_USED_F_NO_NOTIFY);
        }
        if (need)
                q->notifies++;
        return need;
}

void gvq_arm_used_event(struct vqd *q)
{
        if (!q->event_idx)
                return;
        if (q->no_interrupt) {
                *gvq_used_event(q) = (uint16_t)(q->last_used - 1);
                return;
        }
        *gvq_used_event(q) = q->last_used;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

bool gvq_has_used(const struct vqd *q)
{
        return q->num && *(volatile uint16_t *)&q->used->idx != q->last_used;
}

int gvq_get_used(struct vqd *q, void **cookie, uint32_t *len, uint16_t *head)
{
        uint16_t idx, id, last;
        struct gvq_used_elem e;

        if (!q->num)
                return VIO_ERR_NOT_LIVE;
        idx = *(volatile uint16_t *)&q->used->idx;
        if (idx == q->last_used)
                return VIO_ERR_TIMEOUT;
        if ((uint16_t)(idx - q->last_used) > q->in_flight)
                return VIO_ERR_USED_OVERRUN;
        /* The element is read only after the index that published it. */
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        e = *(volatile struct gvq_used_elem *)&q->used->ring[q->last_used & (q->num - 1)];
        if (e.id >= q->num || q->chain_n[e.id] == 0)
                return VIO_ERR_BAD_USED;
        id = (uint16_t)e.id;
        last = id;
        for (uint16_t k = 1; k < q->chain_n[id]; k++)
                last = q->next[last];
        q->next[last] = q->free_head;
        q->free_head = id;
        q->num_free = (uint16_t)(q->num_free + q->chain_n[id]);
        q->chain_n[id] = 0;
        if (cookie)
                *cookie = q->cookie[id];
        if (len)
                *len = e.len;
        if (head)
                *head = id;
        q->cookie[id] = NULL;
        q->last_used++;
        q->in_flight--;
        q->completed++;
        gvq_arm_used_event(q);
        return VIO_OK;
}
