/*
 * TODO(lab): vblk_read_header() -- B1: the request header (struct
 * virtio_blk_outhdr: le32 type, le32 reserved, le64 sector) is the first 16
 * readable bytes of the chain r->c, which the driver may split over several
 * descriptors. Copy it once into a local, then set r->type and r->sector.
 * Return false, with r->err = VBLK_E_HEADER, when the chain has fewer than
 * 16 readable bytes: vblk_dispatch() answers IOERR then.
 * Helpers above: vblk_readable() describes a byte range of the readable
 * segments, vblk_walk() calls a function on each piece of it, and
 * vblk_piece_copy_in() copies pieces out of guest memory (gmem_read);
 * le32_get() and le64_get() (devices/le.h) decode little-endian fields.
 * The data lengths of a request are r->c->read_len - 16 readable bytes and
 * r->c->write_len - 1 writable bytes (the last writable byte is the status).
 *
 * Not implemented yet: the header is not read, so every request has an
 * unknown type and gets UNSUPP.
 */
static bool vblk_read_header(const struct gmem *gm, struct vblk_req *r)
{
        (void)gm;
        /* The helpers to use; these lines only keep -Werror quiet until then. */
        (void)vblk_readable;
        (void)vblk_walk;
        (void)vblk_piece_copy_in;
        VBLK_TODO(r);
        return true;
}
