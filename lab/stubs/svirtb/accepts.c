/*
 * TODO(lab): svirtb_accepts() -- does a driver write of v to register off
 * mean anything in the current state? (docs/lab/svirtb.md, "Initialization" and
 * "Errors and reset".) svirtb_mmio_write() has already dropped writes of
 * the wrong width or alignment; it traces your answer ("write" or "ignored
 * write") and calls svirtb_apply() only when you return true. An ignored
 * write changes nothing at all.
 * Hint: draw the status state machine first (MAGIC, DRIVER_OK, READY,
 * RESET): which status values may be written in each state, when the queue
 * registers may change, when a doorbell counts, and who owns queue_tail.
 *
 * Not implemented yet: every write is ignored.
 */
static bool svirtb_accepts(const struct svirtb *s, uint64_t off, uint32_t v)
{
        (void)s;
        (void)off;
        (void)v;
        return false;
}
