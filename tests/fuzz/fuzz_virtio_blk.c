/*
 * fuzz_virtio_blk: the virtio-blk request path (devices/virtio_blk.c through
 * devices/virtq.c) over guest memory and a queue the input shapes.
 *
 * Input:
 *   u8  flags: bit 0 legacy (version 1), bits 1-2 disk (RW, RO, io_uring),
 *       bit 3 drop INDIRECT_DESC, bit 4 take EVENT_IDX, bit 5 trace on,
 *       bit 6 addresses unaligned as given (else rounded down to 16/2/4)
 *   u8  log2 of QueueNum (mod 9: 1..256)
 *   u16 desc, u16 avail, u16 used: the rings' offsets in LOW RAM (v2);
 *       v1: GuestPageSize = 1 << (desc % 13), QueuePFN = avail % 64 + 1,
 *       QueueAlign = 1 << (used % 13)
 *   u8  kicks (mod 4, plus 1)
 *   the rest: LOW RAM from address 0 (rings, descriptors, headers, data)
 * The device is initialized through its registers as a driver would; then
 * the kicks. Checked after each: nothing stays in flight between notify
 * calls, the interrupt line follows InterruptStatus, the images keep their
 * size and a read-only image its bytes.
 */
#include "tests/fuzz/fuzz.h"

#include "devices/virtio_blk.h"
#include "devices/virtio_mmio.h"

static struct vblk blk;
static struct vmmio t;
static bool line;
static uint8_t snap[FUZZ_LOW_SIZE];

static void set_irq(void *opaque, bool level)
{
        (void)opaque;
        if (level == line)
                fuzz_fail("set_irq(%d) without a change", level);
        line = level;
}

static void wr(uint32_t off, uint32_t v)
{
        uint8_t d[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

        vmmio_access(&t, off, d, 4, true);
}

static void check(void)
{
        if (line != (t.interrupt_status != 0))
                fuzz_fail("line %d with InterruptStatus 0x%x", line, t.interrupt_status);
        for (unsigned i = 0; i < t.nq; i++)
                if (t.q[i].vq.inflight != 0)
                        fuzz_fail("queue %u: %u requests in flight between notifies", i,
                                  t.q[i].vq.inflight);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fin in = {data, size};
        uint8_t flags = fin_u8(&in);
        bool legacy = flags & 1;
        uint32_t num = 1u << (fin_u8(&in) % 9);
        uint64_t desc = fin_u16(&in), avail = fin_u16(&in), used = fin_u16(&in);
        unsigned kicks = fin_u8(&in) % 4 + 1;
        struct disk *d = fuzz_pick_disk((flags >> 1) & 3);
        uint64_t f;

        fuzz_fill_ram(&in, in.n);
        fuzz_reset_disks();
        fuzz_trace((flags & 0x20) != 0);
        if (vblk_init(&blk, d, "fuzz") < 0)
                fuzz_fail("vblk_init");
        line = false;
        vmmio_init(&t, &fm.gm, &vblk_ops, &blk, legacy, set_irq, NULL);
        f = vblk_ops.features(&blk);
        if (flags & 0x08)
                f &= ~VIRTIO_FEAT_INDIRECT_DESC;
        if (!(flags & 0x10))
                f &= ~VIRTIO_FEAT_EVENT_IDX;
        wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
        wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
        wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
        wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
        wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
        wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
        if (legacy) {
                wr(VIRTIO_MMIO_QUEUE_SEL, 0);
                wr(VIRTIO_MMIO_QUEUE_NUM, num);
                wr(VIRTIO_MMIO_GUEST_PAGE_SIZE, 1u << (desc % 13));
                wr(VIRTIO_MMIO_QUEUE_ALIGN, 1u << (used % 13));
                wr(VIRTIO_MMIO_QUEUE_PFN, (uint32_t)(avail % 64 + 1));
                wr(VIRTIO_MMIO_STATUS,
                   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
        } else {
                wr(VIRTIO_MMIO_STATUS,
                   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
                if (!(flags & 0x40)) {
                        desc &= ~15ULL;
                        avail &= ~1ULL;
                        used &= ~3ULL;
                }
                wr(VIRTIO_MMIO_QUEUE_SEL, 0);
                wr(VIRTIO_MMIO_QUEUE_NUM, num);
                wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
                wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)avail);
                wr(VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used);
                wr(VIRTIO_MMIO_QUEUE_READY, 1);
                wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                           VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
        }
        check();
        for (unsigned k = 0; k < kicks; k++) {
                wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
                check();
        }
        /* After a reset nothing is processed (Q12): the used ring stays put. */
        wr(VIRTIO_MMIO_STATUS, 0);
        memcpy(snap, fm.low, FUZZ_LOW_SIZE);
        wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
        if (memcmp(snap, fm.low, FUZZ_LOW_SIZE) != 0)
                fuzz_fail("a notify after reset changed guest RAM");
        check();
        if (line)
                fuzz_fail("line high after reset");
        fuzz_check_ro_image();
        trace_enabled = false;
        return 0;
}
