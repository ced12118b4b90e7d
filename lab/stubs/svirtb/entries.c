/*
 * TODO(lab): svirtb_doorbell() -- the driver wrote queue_head = head while
 * READY (docs/lab/svirtb.md, "Ring", "Processing" and "Errors and reset").
 * Consume the entries from tail up to head, in order and modulo queue_size,
 * before returning; afterwards tail == head. For each entry:
 *  - read it once with svirtb_fetch() (it decodes and traces the entry) and
 *    validate your local copy, never guest memory again;
 *  - the buffer must lie inside guest RAM: gmem_ptr() gives a host pointer
 *    for a whole guest range or NULL;
 *  - move the bytes with disk_read() / disk_write() at byte offset
 *    sector * 512 (disk.h: short counts past the end, -EROFS on a read-only
 *    disk, other negative values are host errors).
 * On any error: svirtb_fail() (status RESET, with a reason for --trace) and
 * stop, leaving tail at the entry that failed. A bad head is an error too.
 * Hint: every guest value can be hostile; check arithmetic for overflow
 * (__builtin_mul_overflow, __builtin_add_overflow) and bound every loop.
 *
 * Not implemented yet: a doorbell puts the device in RESET.
 */
static void svirtb_doorbell(struct svirtb *s, uint32_t head)
{
        (void)head;
        (void)svirtb_fetch; /* the helper to use; this line only keeps -Werror quiet until then */
        svirtb_fail(s, "svirtb_doorbell: not implemented (TODO(lab))",
                    "svirtb_doorbell: not implemented (TODO(lab))");
}
