/*
 * vu_dev: message semantics and the queue (contract: vu_dev.h; protocol:
 * vhost-user.rst, "Front-end message types", "Ring states"; summary and
 * the refusals in docs/vhost-user.md).
 */
#include "vu_dev.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/trace.h"

#define VU_QUEUES 1u
/*
 * Largest queue accepted: QEMU's virtio-mmio reports 1024 as QueueNumMax
 * whatever the device's queue-size, and Linux takes it (docs/vhost-user.md).
 * The virtq code handles any power of 2 up to VQ_SIZE_MAX; the device
 * model batches at most VBLK_BATCH_MAX requests at a time either way.
 */
#define VU_QUEUE_MAX 1024u

static void vu_close(int *fd)
{
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

static void vu_signal(int fd)
{
        uint64_t one = 1;

        if (fd >= 0)
                (void)!write(fd, &one, sizeof(one)); /* a full eventfd already signals */
}

/* vq_irq_fn: used buffers published and the driver wants to hear it. */
static void vu_irq(void *opaque, struct virtq *vq)
{
        struct vu_dev *d = opaque;

        (void)vq;
        vu_signal(d->ring.call);
}

/* vq_fail_fn: the driver broke its ring; there is no NEEDS_RESET here, only the err eventfd. */
static void vu_fail(void *opaque, struct virtq *vq, enum vq_err why)
{
        struct vu_dev *d = opaque;

        fprintf(stderr, "minivmm-vhost-user-blk: queue %u stopped: %s\n", vq->index,
                vq_err_name(why));
        vu_signal(d->ring.err);
}

void vu_dev_init(struct vu_dev *d, struct vblk *blk)
{
        memset(d, 0, sizeof(*d));
        d->blk = blk;
        d->written_base = blk->stats.bytes_written;
        gmem_init(&d->gm);
        d->backend_req = -1;
        d->ring.kick = d->ring.call = d->ring.err = -1;
        vq_init(&d->ring.vq, &d->gm, 0, vu_irq, vu_fail, d);
}

uint64_t vu_dev_features(const struct vu_dev *d)
{
        /* The transport bits this code implements only (M13), as virtio-mmio offers them. */
        uint64_t f =
            vblk_ops.features(d->blk) & ~(VIRTIO_FEAT_TRANSPORT_RANGE & ~VIRTIO_FEAT_TRANSPORT_OK);

        return f | VIRTIO_BIT(VU_F_PROTOCOL_FEATURES);
}

uint64_t vu_dev_protocol_features(void)
{
        return VIRTIO_BIT(VU_PROTOCOL_F_MQ) | VIRTIO_BIT(VU_PROTOCOL_F_REPLY_ACK) |
               VIRTIO_BIT(VU_PROTOCOL_F_BACKEND_REQ) | VIRTIO_BIT(VU_PROTOCOL_F_CONFIG);
}

/* --- the queue's states ---------------------------------------------------- */

static void vu_ring_stop(struct vu_ring *r)
{
        if (!r->running)
                return;
        r->base = r->vq.last_avail; /* nothing is in flight between kicks */
        vq_reset(&r->vq);
        r->running = false;
        TRACE("vhost-user: queue 0 stopped at avail index %u", r->base);
}

/* Starts or stops the queue after a state change; an error closes the connection. */
static const char *vu_ring_update(struct vu_dev *d)
{
        struct vu_ring *r = &d->ring;
        struct vq_layout l = {.num = r->num};
        bool want = r->started && r->enabled && r->addr_set && r->kick >= 0;
        enum vq_err why;

        if (!want) {
                vu_ring_stop(r);
                return NULL;
        }
        if (r->running)
                return NULL;
        if (gmem_uva_to_gpa(&d->gm, r->desc_uva, 16ull * r->num, &l.desc) ||
            gmem_uva_to_gpa(&d->gm, r->avail_uva, 6 + 2ull * r->num, &l.avail) ||
            gmem_uva_to_gpa(&d->gm, r->used_uva, 6 + 8ull * r->num, &l.used))
                return "ring address outside every memory region";
        if (vq_enable(&r->vq, &l, VU_QUEUE_MAX, d->features, &why) != 0)
                return vq_err_name(why);
        if (vq_set_base(&r->vq, r->base) != 0) {
                vq_reset(&r->vq);
                return "used ring unreadable";
        }
        r->running = true;
        return NULL;
}

/* --- memory ---------------------------------------------------------------- */

static void vu_unmap(struct vu_map *maps)
{
        for (unsigned i = 0; i < VU_MAX_REGIONS; i++) {
                if (maps[i].base != NULL)
                        munmap(maps[i].base, maps[i].len);
                maps[i].base = NULL;
        }
}

/* Maps region i of m into gm and maps[i]; the descriptor stays open (the caller closes it). */
static const char *vu_map_region(const struct vu_region *reg, int fd, struct gmem *gm,
                                 struct vu_map *map)
{
        long page = sysconf(_SC_PAGESIZE);
        uint64_t delta, len;
        struct stat st;
        void *p;

        if (page <= 0)
                page = 4096;
        delta = reg->mmap_offset % (uint64_t)page;
        if (reg->size == 0 || __builtin_add_overflow(reg->size, delta, &len) ||
            reg->mmap_offset > INT64_MAX || len > SIZE_MAX)
                return "memory region size or offset out of range";
        /* Past the end of the file a mapping faults (SIGBUS): the region must lie inside it. */
        if (fstat(fd, &st) != 0 || st.st_size < 0 || reg->mmap_offset > (uint64_t)st.st_size ||
            reg->size > (uint64_t)st.st_size - reg->mmap_offset)
                return "memory region larger than its file";
        p = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                 (off_t)(reg->mmap_offset - delta));
        if (p == MAP_FAILED)
                return "memory region could not be mapped";
        map->base = p;
        map->len = len;
        if (gmem_add_uva(gm, reg->gpa, reg->size, (uint8_t *)p + delta, reg->uva) != 0)
                return "memory regions overlap or wrap";
        return NULL;
}

static const char *vu_set_mem_table(struct vu_dev *d, struct vu_msg *m)
{
        struct vu_map maps[VU_MAX_REGIONS] = {{0}};
        struct gmem gm;
        const char *why = NULL;
        bool was_running = d->ring.running;
        unsigned i;

        gmem_init(&gm);
        for (i = 0; i < m->p.mem.nregions && why == NULL; i++)
                why = vu_map_region(&m->p.mem.regions[i], m->fds[i], &gm, &maps[i]);
        if (why != NULL) {
                vu_unmap(maps);
                return why;
        }
        vu_ring_stop(&d->ring);
        vu_unmap(d->maps);
        memcpy(d->maps, maps, sizeof(maps));
        d->gm = gm; /* the virtq keeps pointing at d->gm */
        for (i = 0; i < d->gm.nregions; i++)
                TRACE("vhost-user: region %u: gpa 0x%" PRIx64 " size 0x%" PRIx64
                      " front-end 0x%" PRIx64,
                      i, d->gm.regions[i].gpa, d->gm.regions[i].size, d->gm.regions[i].uva);
        return was_running ? vu_ring_update(d) : NULL;
}

/* --- messages -------------------------------------------------------------- */

static const char *vu_set_vring_addr(struct vu_dev *d, const struct vu_vring_addr *a)
{
        struct vu_ring *r = &d->ring;
        uint64_t n = r->num ? r->num : 1, gpa;

        if (a->flags != 0)
                return "ring logging asked for (not offered)";
        if (r->running)
                return "ring addresses changed while the queue runs";
        if (gmem_uva_to_gpa(&d->gm, a->desc, 16 * n, &gpa) ||
            gmem_uva_to_gpa(&d->gm, a->avail, 6 + 2 * n, &gpa) ||
            gmem_uva_to_gpa(&d->gm, a->used, 6 + 8 * n, &gpa))
                return "ring address outside every memory region";
        r->desc_uva = a->desc;
        r->avail_uva = a->avail;
        r->used_uva = a->used;
        r->addr_set = true;
        return NULL;
}

/* SET_VRING_KICK, _CALL, _ERR: the descriptor (or none) replaces the old one. */
static const char *vu_set_vring_file(struct vu_dev *d, struct vu_msg *m)
{
        struct vu_ring *r = &d->ring;
        int fd = (m->p.u64 & VU_VRING_NOFD) ? -1 : m->fds[0];
        int *slot = m->hdr.request == VU_SET_VRING_KICK   ? &r->kick
                    : m->hdr.request == VU_SET_VRING_CALL ? &r->call
                                                          : &r->err;

        if (m->hdr.request == VU_SET_VRING_KICK && fd < 0)
                return "kick without a descriptor (polling is not offered)";
        vu_close(slot);
        *slot = fd;
        m->nfds = 0; /* taken */
        if (m->hdr.request != VU_SET_VRING_KICK)
                return NULL;
        r->started = true;
        /* Without protocol features a ring is enabled as it starts. */
        if (!(d->features & VIRTIO_BIT(VU_F_PROTOCOL_FEATURES)))
                r->enabled = true;
        return vu_ring_update(d);
}

static void vu_get_config(struct vu_dev *d, const struct vu_config *c, struct vu_msg *reply)
{
        uint32_t have = vblk_ops.config_size, off = c->offset, size = c->size, n = 0;

        reply->p.config = *c;
        memset(reply->p.config.data, 0, sizeof(reply->p.config.data));
        /* Bytes past the device's config read 0, whatever offset and size (<= 256) ask for. */
        if (off < have)
                n = size < have - off ? size : have - off;
        if (n > 0)
                vblk_ops.config_read(d->blk, off, reply->p.config.data, n);
        reply->hdr.size = VU_CONFIG_HDR + size;
}

static void vu_reply_u64(struct vu_msg *reply, uint64_t v)
{
        reply->p.u64 = v;
        reply->hdr.size = 8;
}

static const char *vu_handle_msg(struct vu_dev *d, struct vu_msg *m, struct vu_msg *reply,
                                 bool *has_reply, uint64_t *status)
{
        struct vu_ring *r = &d->ring;
        uint64_t v = m->p.u64;

        switch (m->hdr.request) {
        case VU_GET_FEATURES:
                vu_reply_u64(reply, vu_dev_features(d));
                *has_reply = true;
                return NULL;
        case VU_SET_FEATURES:
                if (v & ~vu_dev_features(d))
                        return "features not offered";
                d->features = v;
                d->features_set = true;
                vblk_ops.activate(d->blk, v & ~VIRTIO_BIT(VU_F_PROTOCOL_FEATURES));
                if (r->running)
                        vq_set_features(&r->vq, v);
                return NULL;
        case VU_SET_OWNER:
                return NULL;
        case VU_RESET_OWNER:
                vu_dev_drop(d);
                return NULL;
        case VU_SET_MEM_TABLE:
                return vu_set_mem_table(d, m);
        case VU_GET_PROTOCOL_FEATURES:
                vu_reply_u64(reply, vu_dev_protocol_features());
                *has_reply = true;
                return NULL;
        case VU_SET_PROTOCOL_FEATURES:
                if (v & ~vu_dev_protocol_features())
                        return "protocol features not offered";
                d->protocol = v;
                return NULL;
        case VU_GET_QUEUE_NUM:
                vu_reply_u64(reply, VU_QUEUES);
                *has_reply = true;
                return NULL;
        case VU_SET_BACKEND_REQ_FD:
                /* Accepted and kept open; this backend sends nothing on it. */
                vu_close(&d->backend_req);
                d->backend_req = m->fds[0];
                m->nfds = 0;
                return NULL;
        case VU_GET_CONFIG:
                vu_get_config(d, &m->p.config, reply);
                *has_reply = true;
                return NULL;
        case VU_SET_CONFIG:
                fprintf(stderr, "minivmm-vhost-user-blk: SET_CONFIG refused: the block "
                                "device's config space is read-only\n");
                *status = 1;
                return NULL;
        default:
                break;
        }
        /* Ring messages: the index first (bits 0-7 for the file ones, checked by vu_msg). */
        if ((m->hdr.request == VU_SET_VRING_KICK || m->hdr.request == VU_SET_VRING_CALL ||
             m->hdr.request == VU_SET_VRING_ERR)
                ? (v & VU_VRING_IDX_MASK) >= VU_QUEUES
                : m->p.state.index >= VU_QUEUES)
                return "ring index beyond the one queue";
        switch (m->hdr.request) {
        case VU_SET_VRING_NUM:
                if (r->running)
                        return "queue size changed while the queue runs";
                if (m->p.state.num == 0 || m->p.state.num > VU_QUEUE_MAX ||
                    (m->p.state.num & (m->p.state.num - 1)) != 0)
                        return "queue size not a power of 2 up to 1024";
                r->num = m->p.state.num;
                return NULL;
        case VU_SET_VRING_ADDR:
                return vu_set_vring_addr(d, &m->p.addr);
        case VU_SET_VRING_BASE:
                if (r->running)
                        return "ring base changed while the queue runs";
                if (m->p.state.num > 0xffff)
                        return "ring base above 65535";
                r->base = (uint16_t)m->p.state.num;
                return NULL;
        case VU_GET_VRING_BASE:
                vu_ring_stop(r);
                r->started = false;
                vu_close(&r->kick);
                reply->p.state.index = 0;
                reply->p.state.num = r->base;
                reply->hdr.size = sizeof(reply->p.state);
                *has_reply = true;
                return NULL;
        case VU_SET_VRING_KICK:
        case VU_SET_VRING_CALL:
        case VU_SET_VRING_ERR:
                return vu_set_vring_file(d, m);
        case VU_SET_VRING_ENABLE:
                if (m->p.state.num > 1)
                        return "enable value not 0 or 1";
                r->enabled = m->p.state.num == 1;
                return vu_ring_update(d);
        default:
                return "request not served by this backend";
        }
}

const char *vu_dev_handle(struct vu_dev *d, struct vu_msg *m, struct vu_msg *reply, bool *has_reply)
{
        uint64_t status = 0;
        const char *why;
        unsigned i;

        *has_reply = false;
        memset(&reply->hdr, 0, sizeof(reply->hdr));
        why = vu_handle_msg(d, m, reply, has_reply, &status);
        /* Descriptors not taken above: closed now (SET_MEM_TABLE's are mapped or refused). */
        for (i = 0; i < m->nfds && i < VU_MAX_FDS; i++)
                vu_close(&m->fds[i]);
        m->nfds = 0;
        if (why != NULL)
                return why;
        if (!*has_reply && (m->hdr.flags & VU_FLAG_NEED_REPLY) &&
            (d->protocol & VIRTIO_BIT(VU_PROTOCOL_F_REPLY_ACK))) {
                vu_reply_u64(reply, status);
                *has_reply = true;
        }
        if (*has_reply) {
                reply->hdr.request = m->hdr.request;
                reply->hdr.flags = VU_FLAG_VERSION | VU_FLAG_REPLY;
        }
        return NULL;
}

int vu_dev_kick_fd(const struct vu_dev *d)
{
        return d->ring.running ? d->ring.kick : -1;
}

bool vu_dev_kick(struct vu_dev *d)
{
        struct virtq *vq = &d->ring.vq;

        if (!d->ring.running)
                return false;
        d->kicks++;
        vq_set_features(vq, d->features);
        /* One pass (docs/virtio-rules.md, "One pass per kick"): it re-arms the
         * kicks itself; one that yielded is served again before the next poll. */
        vblk_ops.notify(d->blk, vq);
        return vq_live(vq) && vq_yielded(vq);
}

void vu_dev_drop(struct vu_dev *d)
{
        struct vblk *blk = d->blk;
        int err;

        vu_ring_stop(&d->ring);
        vu_close(&d->ring.kick);
        vu_close(&d->ring.call);
        vu_close(&d->ring.err);
        vu_close(&d->backend_req);
        vu_unmap(d->maps);
        /* Everything acknowledged is durable once the front end is gone. */
        if (blk->stats.bytes_written != d->written_base && (err = disk_flush(blk->disk)) != 0)
                fprintf(stderr, "minivmm-vhost-user-blk: flush of '%s' failed: %s\n",
                        blk->disk->path, strerror(-err));
        vblk_ops.reset(blk);
        vu_dev_init(d, blk);
}
