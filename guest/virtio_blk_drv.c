/* virtio_blk_drv: virtio-blk requests over virtio-mmio (virtio 1.2 §5.2). */
#include <string.h>

#include "virtio_blk_drv.h"

int vblk_probe(struct vblk *b, uint64_t base)
{
        memset(b, 0, sizeof(*b));
        return vio_probe(&b->io, base, VIO_ID_BLOCK);
}

static int read_config(struct vblk *b)
{
        int e;

        e = vio_config_read(&b->io, VBLK_CFG_CAPACITY, &b->capacity, 8);
        if (!e && (b->io.negotiated & VIO_BIT(VBLK_F_SEG_MAX)))
                e = vio_config_read(&b->io, VBLK_CFG_SEG_MAX, &b->seg_max, 4);
        if (!e && (b->io.negotiated & VIO_BIT(VBLK_F_BLK_SIZE)))
                e = vio_config_read(&b->io, VBLK_CFG_BLK_SIZE, &b->blk_size, 4);
        b->ro = (b->io.offered & VIO_BIT(VBLK_F_RO)) != 0;
        return e;
}

int vblk_init_features(struct vblk *b, void *ring_mem, size_t ring_size, uint16_t qsize,
                       uint64_t supported, uint64_t force)
{
        struct vqd *qs[1] = {&b->q};
        int e;

        b->capacity = 0;
        b->seg_max = 0;
        b->blk_size = 0;
        vqd_init(&b->q, 0, ring_mem, ring_size, qsize);
        /* A polling driver asks for no interrupts (§2.7.7). */
        b->q.no_interrupt = !b->io.use_irq;
        e = vio_init(&b->io, supported, force, qs, 1);
        if (e)
                return e;
        return read_config(b);
}

int vblk_init(struct vblk *b, void *ring_mem, size_t ring_size, uint16_t qsize)
{
        return vblk_init_features(b, ring_mem, ring_size, qsize, VBLK_SUPPORTED, 0);
}

static bool device_writes_data(uint32_t type)
{
        return type == VBLK_T_IN || type == VBLK_T_GET_ID;
}

int vblk_submit(struct vblk *b, struct vblk_req *r, uint32_t type, uint64_t sector,
                const struct vqd_buf *data, unsigned nseg)
{
        struct vqd_buf bufs[VBLK_MAX_SEGS + 2];
        bool w = device_writes_data(type);

        if (!b->io.live)
                return VIO_ERR_NOT_LIVE;
        if (nseg > VBLK_MAX_SEGS || (b->seg_max && nseg > b->seg_max))
                return VIO_ERR_BAD_CHAIN;
        r->hdr.type = type;
        r->hdr.reserved = 0;
        r->hdr.sector = sector;
        r->status = 0xff;
        r->done = false;
        r->used_len = 0;
        bufs[0] = (struct vqd_buf){&r->hdr, sizeof(r->hdr), false};
        for (unsigned i = 0; i < nseg; i++)
                bufs[1 + i] = (struct vqd_buf){data[i].addr, data[i].len, w};
        bufs[1 + nseg] = (struct vqd_buf){&r->status, 1, true};
        return vqd_add(&b->q, bufs, nseg + 2, r->indirect, r, &r->head);
}

void vblk_kick(struct vblk *b)
{
        vio_notify(&b->io, &b->q);
}

int vblk_reap(struct vblk *b)
{
        while (vqd_has_used(&b->q)) {
                void *cookie;
                uint32_t len;
                struct vblk_req *r;
                int e = vqd_get_used(&b->q, &cookie, &len, NULL);

                if (e)
                        return e;
                r = cookie;
                /* The status byte is read only after the used element (the
                 * acquire fence in vqd_get_used). */
                r->used_len = len;
                r->done = true;
        }
        return VIO_OK;
}

int vblk_wait(struct vblk *b, struct vblk_req *r)
{
        int e;

        while (!r->done) {
                e = vio_wait(&b->io, &b->q);
                if (!e)
                        e = vblk_reap(b);
                if (e)
                        return e;
        }
        return VIO_OK;
}

int vblk_do(struct vblk *b, struct vblk_req *r, uint32_t type, uint64_t sector,
            const struct vqd_buf *data, unsigned nseg)
{
        int e = vblk_submit(b, r, type, sector, data, nseg);

        if (e)
                return e;
        vblk_kick(b);
        return vblk_wait(b, r);
}

int vblk_io(struct vblk *b, uint32_t type, uint64_t sector, void *buf, uint32_t len,
            uint8_t *status)
{
        struct vblk_req r = {0};
        struct vqd_buf d = {buf, len, false};
        int e = vblk_do(b, &r, type, sector, &d, len ? 1 : 0);

        if (status)
                *status = r.status;
        return e;
}
