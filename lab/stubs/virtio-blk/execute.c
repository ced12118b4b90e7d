/*
 * TODO(lab): serve one request whose header vblk_read_header() decoded.
 * Each function returns the status byte (VIRTIO_BLK_S_OK, _IOERR, _UNSUPP)
 * and, when it fails, sets r->why for the trace. vblk_handle() writes the
 * status byte and reports used.len (B9). Set r->bytes to the data length,
 * for the trace.
 * Rules B3-B9 in docs/lab/virtio-blk.md; what a driver expects in
 * docs/virtio-mmio.md, "Requests" and "What a driver sees on each error".
 *  - IN: the data is every writable byte before the status byte, read from
 *    the image into guest memory; OUT: every readable byte after the
 *    header, written to the image. Describe the data with vblk_writable() or
 *    vblk_readable(), check it, then let vblk_transfer() move it (it may
 *    answer VBLK_S_QUEUED on an io_uring disk: return that as it is).
 *    A read-only disk (b->disk->ro) refuses OUT before touching the image.
 *  - FLUSH: any data in it is ignored; disk_flush(). When requests go
 *    through the batch (vblk_batched(b): an io_uring disk, or writes that
 *    must be stable before they complete) writes may still wait in b->batch:
 *    queue a DISK_OP_FLUSH operation behind them there instead (see
 *    vblk_transfer and vblk_batch_run) and answer VBLK_S_QUEUED.
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
        r->why = "vblk_do_in: not implemented (TODO(lab))";
        return VIRTIO_BLK_S_UNSUPP;
}

static uint8_t vblk_do_out(struct vblk *b, const struct gmem *gm, struct vblk_req *r)
{
        (void)b;
        (void)gm;
        r->why = "vblk_do_out: not implemented (TODO(lab))";
        return VIRTIO_BLK_S_UNSUPP;
}

static uint8_t vblk_do_flush(struct vblk *b, struct vblk_req *r)
{
        (void)b;
        r->why = "vblk_do_flush: not implemented (TODO(lab))";
        return VIRTIO_BLK_S_UNSUPP;
}

static uint8_t vblk_do_get_id(struct vblk *b, const struct gmem *gm, struct vblk_req *r)
{
        (void)b;
        (void)gm;
        (void)vblk_piece_copy_out;
        r->why = "vblk_do_get_id: not implemented (TODO(lab))";
        return VIRTIO_BLK_S_UNSUPP;
}
