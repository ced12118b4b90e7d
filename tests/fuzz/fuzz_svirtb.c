/*
 * fuzz_svirtb: register writes and ring entries for svirtb
 * (devices/svirtb.c, contract docs/svirtb.md).
 *
 * Input:
 *   u8  flags: bit 0 read-only disk, bit 1 trace on
 *   u16 n, then n bytes: LOW RAM from address 0 (the ring and buffers)
 *   then operations, until the input ends (at most FUZZ_OPS):
 *     u8 op: op & 3 = 0 register write of width WIDTHS[(op >> 2) & 7],
 *            1 aligned 32-bit register write, 2 RAM poke, 3 read
 *     0: u16 offset (& 0x1fff), u32 value;  1: u8 register (mod 8), u32 value
 *     2: u16 offset in LOW RAM (& 0xfff8), u64 value;  3: u16 offset, width
 * Checked after every operation: the page mirrors the device state, the
 * status is one of MAGIC, DRIVER_OK, READY, RESET, and when READY the ring
 * is in RAM and head and tail are below queue_size; reads fill exactly len
 * bytes. At the end: nothing past the registers in the page was written,
 * the read-only image never changed.
 */
#include "tests/fuzz/fuzz.h"

#include "devices/svirtb.h"

#define FUZZ_OPS 4096

static const uint32_t WIDTHS[8] = {4, 1, 2, 8, 3, 16, 0, 4};

static struct svirtb s;
static uint8_t page[SVIRTB_PAGE_SIZE];

static uint32_t page_reg(unsigned i)
{
        const uint8_t *p = page + 4 * i;

        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void check(void)
{
        const uint32_t regs[SVIRTB_NREGS] = {s.status,        s.queue_size, s.queue_addr_hi,
                                             s.queue_addr_lo, s.head,       s.tail};
        uint64_t ring = (uint64_t)s.queue_addr_hi << 32 | s.queue_addr_lo;

        for (unsigned i = 0; i < SVIRTB_NREGS; i++)
                if (page_reg(i) != regs[i])
                        fuzz_fail("page register %u is 0x%x, device 0x%x", i, page_reg(i), regs[i]);
        switch (s.status) {
        case SVIRTB_MAGIC:
        case SVIRTB_DRIVER_OK:
        case SVIRTB_RESET:
                break;
        case SVIRTB_READY:
                if (s.queue_size == 0 || s.queue_size > SVIRTB_QUEUE_MAX ||
                    s.tail >= s.queue_size || s.head >= s.queue_size ||
                    !gmem_contains(&fm.gm, ring, (uint64_t)s.queue_size * SVIRTB_ENTRY_SIZE))
                        fuzz_fail("READY with size %u, head %u, tail %u, ring 0x%llx", s.queue_size,
                                  s.head, s.tail, (unsigned long long)ring);
                break;
        default:
                fuzz_fail("status 0x%x", s.status);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fin in = {data, size};
        uint8_t flags = fin_u8(&in);
        uint8_t buf[32];

        fuzz_fill_ram(&in, fin_u16(&in));
        fuzz_reset_disks();
        fuzz_trace((flags & 2) != 0);
        svirtb_init(&s, page, &fm.gm, (flags & 1) ? &fm.ro : &fm.rw);
        check();
        for (unsigned n = 0; n < FUZZ_OPS && in.n > 0; n++) {
                uint8_t op = fin_u8(&in);
                uint32_t off, len;
                uint64_t v;

                switch (op & 3) {
                case 0:
                        off = fin_u16(&in) & 0x1fff;
                        v = fin_u32(&in);
                        memcpy(buf, &v, 8);
                        memcpy(buf + 8, &v, 8);
                        svirtb_mmio_write(&s, off, buf, WIDTHS[(op >> 2) & 7]);
                        break;
                case 1:
                        off = 4u * (fin_u8(&in) % 8);
                        v = fin_u32(&in);
                        memcpy(buf, &v, 4);
                        svirtb_mmio_write(&s, off, buf, 4);
                        break;
                case 2:
                        fuzz_poke_ram(&in);
                        break;
                default:
                        off = fin_u16(&in) & 0x1fff;
                        len = WIDTHS[(op >> 2) & 7];
                        memset(buf, 0xa5, sizeof(buf));
                        svirtb_mmio_read(&s, off, buf, len);
                        for (uint32_t i = 0; i < len; i++)
                                if (buf[i] != (off + i < SVIRTB_PAGE_SIZE ? page[off + i] : 0))
                                        fuzz_fail("read of %u bytes at 0x%x: byte %u", len, off, i);
                        for (uint32_t i = len; i < sizeof(buf); i++)
                                if (buf[i] != 0xa5)
                                        fuzz_fail("read of %u bytes wrote byte %u", len, i);
                        break;
                }
                check();
        }
        for (unsigned i = 4 * SVIRTB_NREGS; i < SVIRTB_PAGE_SIZE; i++)
                if (page[i] != 0)
                        fuzz_fail("page byte 0x%x written", i);
        fuzz_check_ro_image();
        trace_enabled = false;
        return 0;
}
