/*
 * fuzz_virtio_mmio: sequences of register accesses to a virtio-blk device
 * on the virtio-mmio transport (devices/virtio_mmio.c and all it calls).
 *
 * Input:
 *   u8  flags: bit 0 legacy, bits 1-2 disk (RW, RO, io_uring), bit 3 trace on
 *   u16 n, then n bytes: LOW RAM from address 0
 *   then operations, until the input ends (at most FUZZ_OPS):
 *     u8 op: op & 3 = 0 read, 1 write, 2 RAM poke, 3 aligned 32-bit write;
 *            for 0 and 1 the width is WIDTHS[(op >> 2) & 7]
 *     read/write:   u16 offset (& 0x1fff: past the region too), u64 value
 *     RAM poke:     u16 offset in LOW RAM (& 0xfff8), u64 value stored there
 *     32-bit write: u8 register index (offset = 4 * index), u32 value
 * Checked after every operation: the interrupt line is high exactly while
 * InterruptStatus is non-zero (and set_irq is called only on a change),
 * nothing is in flight between accesses, reads fill exactly len bytes, the
 * read-only image never changes.
 */
#include "tests/fuzz/fuzz.h"

#include "devices/virtio_blk.h"
#include "devices/virtio_mmio.h"

#define FUZZ_OPS 4096

static const uint32_t WIDTHS[8] = {4, 1, 2, 8, 3, 16, 0, 4};

static struct vblk blk;
static struct vmmio t;
static bool line;

static void set_irq(void *opaque, bool level)
{
        (void)opaque;
        if (level == line)
                fuzz_fail("set_irq(%d) without a change", level);
        line = level;
}

static void check(void)
{
        if (line != (t.interrupt_status != 0))
                fuzz_fail("line %d with InterruptStatus 0x%x", line, t.interrupt_status);
        for (unsigned i = 0; i < t.nq; i++)
                if (t.q[i].vq.inflight != 0)
                        fuzz_fail("queue %u: %u in flight between accesses", i, t.q[i].vq.inflight);
        if (t.queue_sel < t.nq && t.q[t.queue_sel].vq.ready && t.q[t.queue_sel].vq.num == 0)
                fuzz_fail("a ready queue of size 0");
}

static void access_op(uint32_t off, uint32_t len, bool is_write, uint64_t v)
{
        uint8_t buf[32];

        memset(buf, 0xa5, sizeof(buf));
        for (uint32_t i = 0; i < len && i < 16; i++)
                buf[i] = (uint8_t)(v >> (8 * (i % 8)));
        vmmio_access(&t, off, buf, len, is_write);
        for (uint32_t i = len; i < sizeof(buf); i++)
                if (buf[i] != 0xa5)
                        fuzz_fail("a %u-byte access at 0x%x wrote byte %u", len, off, i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fin in = {data, size};
        uint8_t flags = fin_u8(&in);
        struct disk *d = fuzz_pick_disk((flags >> 1) & 3);

        fuzz_fill_ram(&in, fin_u16(&in));
        fuzz_reset_disks();
        fuzz_trace((flags & 0x08) != 0);
        if (vblk_init(&blk, d, "fuzz") < 0)
                fuzz_fail("vblk_init");
        line = false;
        vmmio_init(&t, &fm.gm, &vblk_ops, &blk, flags & 1, set_irq, NULL);
        for (unsigned n = 0; n < FUZZ_OPS && in.n > 0; n++) {
                uint8_t op = fin_u8(&in);
                uint32_t off;
                uint64_t v;

                switch (op & 3) {
                case 0:
                case 1:
                        off = fin_u16(&in) & 0x1fff;
                        v = fin_u64(&in);
                        access_op(off, WIDTHS[(op >> 2) & 7], op & 1, v);
                        break;
                case 2:
                        fuzz_poke_ram(&in);
                        break;
                default:
                        off = 4u * fin_u8(&in);
                        access_op(off, 4, true, fin_u32(&in));
                        break;
                }
                check();
        }
        fuzz_check_ro_image();
        trace_enabled = false;
        return 0;
}
