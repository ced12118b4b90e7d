/*
 * TODO(lab): svirtb_apply() -- carry out a write that svirtb_accepts()
 * allowed. svirtb_mmio_write() mirrors the registers into the page right
 * after you return, so only the device state (struct svirtb) changes here.
 * Hint: the status register drives the state machine (svirtb_reset(),
 * svirtb_make_ready()); the queue registers are simply stored; queue_head
 * is the doorbell (svirtb_doorbell()).
 *
 * Not implemented yet: any accepted write puts the device in RESET.
 */
static void svirtb_apply(struct svirtb *s, uint64_t off, uint32_t v)
{
        (void)off;
        (void)v;
        /* Yours to call; these two lines only keep -Werror quiet until then. */
        (void)svirtb_make_ready;
        (void)svirtb_doorbell;
        svirtb_fail(s, "svirtb_apply: not implemented (TODO(lab))",
                    "svirtb_apply: not implemented (TODO(lab))");
}
