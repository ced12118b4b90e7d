/*
 * TODO(lab): svirtb_make_ready() -- the driver wrote READY in DRIVER_OK:
 * validate the ring it configured (docs/lab/svirtb.md, "Initialization"). A valid
 * ring makes the device READY with head and tail 0; an invalid one calls
 * svirtb_fail() with a reason, so the driver reads back RESET.
 * Hint: svirtb_ring_addr() joins the two address halves; gmem_contains()
 * tells whether a whole guest range is RAM. Mind the limits on queue_size.
 *
 * Not implemented yet: READY always fails.
 */
static void svirtb_make_ready(struct svirtb *s)
{
        svirtb_fail(s, "svirtb_make_ready: not implemented (TODO(lab))",
                    "svirtb_make_ready: not implemented (TODO(lab))");
}
