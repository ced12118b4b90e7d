/*
 * TODO(lab): svirtb_reset() -- back to the state a driver finds at power-on
 * (docs/lab/svirtb.md, "Errors and reset"): status MAGIC, the queue forgotten, head
 * and tail 0, and the page rewritten so the guest sees it. Keep reset_reason
 * (why the device last entered RESET): the unit tests read it after a reset.
 * Called by svirtb_init() and by your svirtb_apply() when the driver writes
 * RESET. Hint: svirtb_mirror() copies the six registers into the page.
 *
 * Not implemented yet: the device stays in RESET, so every driver stops at
 * its first step ("status is not MAGIC").
 */
void svirtb_reset(struct svirtb *s)
{
        svirtb_fail(s, "svirtb_reset: not implemented (TODO(lab))",
                    "svirtb_reset: not implemented (TODO(lab))");
        svirtb_mirror(s);
}
