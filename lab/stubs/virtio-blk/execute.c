/*
 * TODO(lab): serve one request whose header vblk_read_header() decoded.
 * Each function returns the status byte (VIRTIO_BLK_S_OK, _IOERR, _UNSUPP)
 * and, when it fails, sets r->err (enum vblk_err, devices/virtio_blk.h) for
 * the trace. vblk_handle() writes the status byte and reports used.len
 * (B9). Set r->bytes to the data length, for the trace.
 * Rules B3-B9 in docs/lab/virtio-blk.md; what a driver expects in
 * docs/virtio-mmio.md, "Requests" and "What a driver sees on each error".
 *  - IN: the data is every writable byte before the status byte, read from
 *    the image into guest memory; OUT: every readable byte after the
 *    header, written to the image. Describe the data with vblk_writable() or
 *    vblk_readable(), check it, then let vblk_transfer() move it: it queues
 *    the transfer in the batch and answers OK (the batch turns that into
 *    IOERR if the disk fails); return what it answers.
 *    A read-only disk (b->disk->ro) refuses OUT before touching the image.
 *  - FLUSH: any data in it is ignored. Writes may still wait in b->batch:
 *    queue a DISK_OP_FLUSH behind them with vblk_batch_add(b, r,
 *    DISK_OP_FLUSH, 0, 0) and answer OK (nothing to flush on a read-only
 *    disk).
 *  - GET_ID: at most 20 bytes of b->id into the writable data, whatever
 *    its size (vblk_walk() with vblk_piece_copy_out()).
 * Check everything before any byte moves: data in the right direction
 * only, and vblk_range_ok() for IN and OUT.
 *
 * Not implemented yet: each answers UNSUPP.
 */
static uint8_t vblk_do_in(struct vblk *b, const struct gmem *gm, struct vblk_req *r)
{
        (void)b;
        (void)gm;
        /* The helpers to use; these lines only keep -Werror quiet until then. */
        (void)vblk_range_ok;
        (void)vblk_writable;
        (void)vblk_transfer;
        VBLK_TODO(r);
        return VIRTIO_BLK_S_UNSUPP;
}

static uint8_t vblk_do_out(struct vblk *b, const struct gmem *gm, struct vblk_req *r)
{
        (void)b;
        (void)gm;
        VBLK_TODO(r);
        return VIRTIO_BLK_S_UNSUPP;
}

static uint8_t vblk_do_flush(struct vblk *b, struct vblk_req *r)
{
        (void)b;
        (void)vblk_batch_add;
        VBLK_TODO(r);
        return VIRTIO_BLK_S_UNSUPP;
}

static uint8_t vblk_do_get_id(struct vblk *b, const struct gmem *gm, struct vblk_req *r)
{
        (void)b;
        (void)gm;
        (void)vblk_piece_copy_out;
        VBLK_TODO(r);
        return VIRTIO_BLK_S_UNSUPP;
}
