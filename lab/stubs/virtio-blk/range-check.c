/*
 * TODO(lab): vblk_range_ok() -- B3: a transfer of len data bytes starting
 * at r->sector is valid only in whole 512-byte sectors and only inside the
 * disk (b->capacity sectors). Return true, or false with r->err set to
 * VBLK_E_LEN or VBLK_E_RANGE (enum vblk_err in devices/virtio_blk.h; its
 * words show up in the --trace line of the request).
 * Hint: r->sector comes from the guest and can be anything up to 2^64 - 1;
 * compare sector counts without computing anything that can wrap.
 *
 * Not implemented yet: every range is refused.
 */
static bool vblk_range_ok(const struct vblk *b, struct vblk_req *r, uint64_t len)
{
        (void)b;
        (void)len;
        VBLK_TODO(r);
        return false;
}
