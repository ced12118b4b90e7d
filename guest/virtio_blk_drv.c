/* virtio_blk_drv: virtio-blk requests over virtio-mmio (virtio 1.2 §5.2). */
#include <string.h>

#include "virtio_blk_drv.h"

int gblk_probe(struct gblk *b, uint64_t base)
{
        memset(b, 0, sizeof(*b));
        return gvio_probe(&b->io, base, VIO_ID_BLOCK);
}

static int read_config(struct gblk *b)
{
        int e;

        e = gvio_config_read(&b->io, VBLK_CFG_CAPACITY, &b->capacity, 8);
        if (!e && (b->io.negotiated & VIO_BIT(VBLK_F_SEG_MAX)))
                e = gvio_config_read(&b->io, VBLK_CFG_SEG_MAX, &b->seg_max, 4);
        if (!e && (b->io.negotiated & VIO_BIT(VBLK_F_BLK_SIZE)))
                e = gvio_config_read(&b->io, VBLK_CFG_BLK_SIZE, &b->blk_size, 4);
        b->ro = (b->io.offered & VIO_BIT(VBLK_F_RO)) != 0;
        return e;
}

int gblk_init_features(struct gblk *b, void *ring_mem, size_t ring_size, uint16_t qsize,
                       uint64_t supported, uint64_t force)
{
        struct vqd *qs[1] = {&b->q};
        int e;

        b->capacity = 0;
        b->seg_max = 0;
        b->blk_size = 0;
        gvq_init(&b->q, 0, ring_mem, ring_size, qsize);
        /* A polling driver asks for no interrupts (§2.7.7). */
        b->q.no_interrupt = !b->io.use_irq;
        e = gvio_init(&b->io, supported, force, qs, 1);
        if (e)
                return e;
        return read_config(b);
}

int gblk_init(struct gblk *b, void *ring_mem, size_t ring_size, uint16_t qsize)
{
        return gblk_init_features(b, ring_mem, ring_size, qsize, VBLK_SUPPORTED, 0);
}

static bool device_writes_data(uint32_t type)
{
        return type == VBLK_T_IN || type == VBLK_T_GET_ID;
}

int gblk_submit(struct gblk *b, struct gblk_req *r, uint32_t type, uint64_t sector,
                const struct gvq_buf *data, unsigned nseg)
{
        struct gvq_buf bufs[VBLK_MAX_SEGS + 2];
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
        bufs[0] = (struct gvq_buf){&r->hdr, sizeof(r->hdr), false};
        for (unsigned i = 0; i < nseg; i++)
                bufs[1 + i] = (struct gvq_buf){data[i].addr, data[i].len, w};
        bufs[1 + nseg] = (struct gvq_buf){&r->status, 1, true};
        return gvq_add(&b->q, bufs, nseg + 2, r->indirect, r, &r->head);
}

void gblk_kick(struct gblk *b)
{
        gvio_notify(&b->io, &b->q);
}

int gblk_reap(struct gblk *b)
{
        while (gvq_has_used(&b->q)) {
                void *cookie;
                uint32_t len;
                struct gblk_req *r;
                int e = gvq_get_used(&b->q, &cookie, &len, NULL);

                if (e)
                        return e;
                r = cookie;
                /* The status byte is read only after the used element (the
                 * acquire fence in gvq_get_used). */
                r->used_len = len;
                r->done = true;
        }
        return VIO_OK;
}

int gblk_wait(struct gblk *b, struct gblk_req *r)
{
        int e;

        while (!r->done) {
                e = gvio_wait(&b->io, &b->q);
                if (!e)
                        e = gblk_reap(b);
                if (e)
                        return e;
        }
        return VIO_OK;
}

int gblk_do(struct gblk *b, struct gblk_req *r, uint32_t type, uint64_t sector,
            const struct gvq_buf *data, unsigned nseg)
{
        int e = gblk_submit(b, r, type, sector, data, nseg);

        if (e)
                return e;
        gblk_kick(b);
        return gblk_wait(b, r);
}

int gblk_io(struct gblk *b, uint32_t type, uint64_t sector, void *buf, uint32_t len,
            uint8_t *status)
{
        struct gblk_req r = {0};
        struct gvq_buf d = {buf, len, false};
        int e = gblk_do(b, &r, type, sector, &d, len ? 1 : 0);

        if (status)
                *status = r.status;
        return e;
}
