/*
 * TODO(lab): vblk_range_ok() -- B3: a transfer of len data bytes starting
 * at r->sector is valid only in whole 512-byte sectors and only inside the
 * disk (b->capacity sectors). Return true, or false with r->why set (it
 * shows up in the --trace line of the request).
 * Hint: r->sector comes from the guest and can be anything up to 2^64 - 1;
 * compare sector counts without computing anything that can wrap.
 *
 * Not implemented yet: every range is refused.
 */
static bool vblk_range_ok(const struct vblk *b, struct vblk_req *r, uint64_t len)
{
        (void)b;
        (void)len;
        r->why = "vblk_range_ok: not implemented (TODO(lab))";
        return false;
}
