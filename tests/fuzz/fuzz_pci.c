/*
 * fuzz_pci: configuration space and BAR accesses to a PCI bus with two
 * virtio-blk functions (devices/pci.c, devices/virtio_pci.c and all they
 * call): device 1 transitional or legacy, device 2 legacy.
 *
 * Input:
 *   u8  flags: bit 0 device 1 transitional, bits 1-2 disk (RW, RO, io_uring),
 *       bit 3 trace on
 *   u16 n, then n bytes: LOW RAM from address 0
 *   then operations, until the input ends (at most FUZZ_OPS):
 *     u8 op: op & 7 picks the kind, WIDTHS[(op >> 3) & 7] the width, bit 6 a write
 *     0 ports 0xcf8-0xcff: u8 port (& 7), u32 value
 *     1 the latch (a 32-bit write to 0xcf8): u32 value
 *     2 I/O space: u16 port offset from the I/O window (& 0xff), u32 value
 *     3 memory space: u32 offset from the memory window (& 0x1ffff), u64 value
 *     4 RAM poke: u16 offset in LOW RAM (& 0xfff8), u64 value stored there
 *     5 configuration register: u8 device (& 31), u16 offset (& 0x1fff), u32 value
 *     6 a BAR placed: u8 device (& 3), u8 BAR (% 6), u32 address
 *     7 the PCI_CFG window of device 1 (VIRTIO 1.2 §4.1.4.9), when it has one:
 *       u8 bar, u8 length, u32 offset written to the capability, then an
 *       access of the width (4 at most) at pci_cfg_data + (u8 & 3), u32 value
 * Checked after every operation: mapped BARs lie inside their window and
 * overlap no other; each INTx line is the pending level unless Interrupt
 * Disable is set, and pending exactly while the ISR is non-zero; nothing is
 * in flight between accesses; reads fill exactly len bytes; a read through a
 * window whose fields are bad reads all ones; the read-only image never
 * changes.
 */
#include <inttypes.h>

#include "tests/fuzz/fuzz.h"

#include "devices/le.h"
#include "devices/pci.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_pci.h"
#include "vmm/pcihost.h"

#define FUZZ_OPS 4096

static const uint32_t WIDTHS[8] = {4, 1, 2, 8, 3, 16, 0, 4};

static struct pci_host host;
static struct vblk blk[2];
static struct vpci vp[2];
static bool line[PCI_MAX_DEVS];

static void set_irq(void *opaque, unsigned dev, bool level)
{
        (void)opaque;
        if (dev >= PCI_MAX_DEVS || level == line[dev])
                fuzz_fail("set_irq(%u, %d) without a change", dev, level);
        line[dev] = level;
}

static void check_bars(void)
{
        for (unsigned d = 0; d < PCI_MAX_DEVS; d++) {
                for (unsigned i = 0; i < PCI_NBARS; i++) {
                        const struct pci_bar *b = &host.fn[d].bar[i];
                        const struct pci_window *w = b->io ? &host.io : &host.mem;

                        if (!b->mapped)
                                continue;
                        if (b->addr < w->base || (uint64_t)b->addr + b->size > w->base + w->size)
                                fuzz_fail("00:%02x BAR%u at 0x%x mapped outside its window", d, i,
                                          b->addr);
                        for (unsigned e = 0; e < PCI_MAX_DEVS; e++) {
                                for (unsigned j = 0; j < PCI_NBARS; j++) {
                                        const struct pci_bar *o = &host.fn[e].bar[j];

                                        if ((e == d && j == i) || !o->mapped || o->io != b->io)
                                                continue;
                                        if ((uint64_t)b->addr < (uint64_t)o->addr + o->size &&
                                            (uint64_t)o->addr < (uint64_t)b->addr + b->size)
                                                fuzz_fail("mapped BARs overlap");
                                }
                        }
                }
        }
}

static void check(void)
{
        check_bars();
        for (unsigned k = 0; k < 2; k++) {
                const struct vpci *v = &vp[k];
                const struct pci_func *f = &host.fn[v->dev];
                bool disabled = (f->cfg[PCI_COMMAND + 1] << 8 & PCI_CMD_INTX_DISABLE) != 0;

                if (f->intx_pending != (v->m.interrupt_status != 0))
                        fuzz_fail("00:%02x pending %d with ISR 0x%x", v->dev, f->intx_pending,
                                  v->m.interrupt_status);
                if (line[v->dev] != (f->intx_pending && !disabled))
                        fuzz_fail("00:%02x line %d, pending %d", v->dev, line[v->dev],
                                  f->intx_pending);
                for (unsigned i = 0; i < v->m.nq; i++)
                        if (v->m.q[i].vq.inflight != 0)
                                fuzz_fail("00:%02x queue %u: in flight between accesses", v->dev,
                                          i);
        }
}

enum kind { K_CFG_PORT, K_PIO, K_MMIO, K_CFG };

static void access_op(enum kind k, unsigned dev, uint64_t addr, uint32_t len, bool is_write,
                      uint64_t v)
{
        uint8_t buf[32];

        memset(buf, 0xa5, sizeof(buf));
        for (uint32_t i = 0; i < len && i < 16; i++)
                buf[i] = (uint8_t)(v >> (8 * (i % 8)));
        switch (k) {
        case K_CFG_PORT:
                pci_cfg_io(&host, (uint32_t)addr, buf, len, is_write);
                break;
        case K_PIO:
                pci_pio(&host, addr, buf, len, is_write);
                break;
        case K_MMIO:
                pci_mmio(&host, addr, buf, len, is_write);
                break;
        case K_CFG:
                pci_cfg_access(&host, dev, (uint32_t)addr, buf, len, is_write);
                break;
        }
        for (uint32_t i = len; i < sizeof(buf); i++)
                if (buf[i] != 0xa5)
                        fuzz_fail("a %u-byte access at 0x%" PRIx64 " wrote byte %u", len, addr, i);
}

/* Whether the window's fields name a BAR range the device serves (docs/virtio-pci.md). */
static bool window_ok(uint8_t bar, uint32_t off, uint32_t n)
{
        const struct pci_func *f = &host.fn[vp[0].dev];

        return (n == 1 || n == 2 || n == 4) && off % n == 0 && bar < PCI_NBARS &&
               f->bar[bar].size != 0 && (uint64_t)off + n <= f->bar[bar].size;
}

static void window_op(struct fin *in, uint32_t w, bool wr)
{
        uint8_t bar = fin_u8(in), n = fin_u8(in), sub, buf[4];
        uint32_t off = fin_u32(in), at = vp[0].cfg_cap, v;

        sub = fin_u8(in) & 3;
        v = fin_u32(in);
        if (at == 0)
                return;
        pci_cfg_access(&host, vp[0].dev, at + VIRTIO_PCI_CAP_BAR, &bar, 1, true);
        le32_put(buf, off);
        pci_cfg_access(&host, vp[0].dev, at + VIRTIO_PCI_CAP_OFFSET, buf, 4, true);
        le32_put(buf, n);
        pci_cfg_access(&host, vp[0].dev, at + VIRTIO_PCI_CAP_LENGTH, buf, 4, true);
        if (w > 4)
                w = 4;
        access_op(K_CFG, vp[0].dev, at + VPCI_CFG_DATA + sub, w, wr, v);
        if (wr || w == 0 || sub + w > 4 || window_ok(bar, off, n))
                return;
        memset(buf, 0, sizeof(buf));
        pci_cfg_access(&host, vp[0].dev, at + VPCI_CFG_DATA, buf, 4, false);
        if (le32_get(buf) != 0xffffffffu)
                fuzz_fail("window BAR%u 0x%x, %u bytes: refused read gave 0x%x", bar, off, n,
                          le32_get(buf));
}

static void machine(uint8_t flags)
{
        const struct pci_window io = {PCIHOST_IO_BASE, PCIHOST_IO_SIZE};
        const struct pci_window mem = {PCIHOST_MEM_BASE, PCIHOST_MEM_SIZE};
        struct disk *d = fuzz_pick_disk((flags >> 1) & 3);

        memset(line, 0, sizeof(line));
        pci_init(&host, &io, &mem, PCIHOST_BRIDGE_VENDOR, PCIHOST_BRIDGE_DEVICE, set_irq, NULL);
        for (unsigned k = 0; k < 2; k++) {
                if (vblk_init(&blk[k], d, "fuzz") < 0 ||
                    vpci_init(&vp[k], &host, 1 + k, &fm.gm, &vblk_ops, &blk[k],
                              k == 0 && (flags & 1)) < 0)
                        fuzz_fail("vpci_init");
                pci_place_bar(&host, 1 + k, VPCI_LEGACY_BAR, PCIHOST_IO_BASE + 0x40 * k);
                pci_place_bar(&host, 1 + k, VPCI_MODERN_BAR, PCIHOST_MEM_BASE + 0x4000 * k);
                pci_set_command(&host, 1 + k, PCI_CMD_IO | PCI_CMD_MEM | PCI_CMD_MASTER);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fin in = {data, size};
        uint8_t flags = fin_u8(&in);

        fuzz_fill_ram(&in, fin_u16(&in));
        fuzz_reset_disks();
        fuzz_trace((flags & 0x08) != 0);
        machine(flags);
        for (unsigned n = 0; n < FUZZ_OPS && in.n > 0; n++) {
                uint8_t op = fin_u8(&in);
                uint32_t w = WIDTHS[(op >> 3) & 7];
                bool wr = (op & 0x40) != 0;
                uint64_t a, v;
                unsigned dev;

                switch (op & 7) {
                case 0:
                        a = fin_u8(&in) & 7;
                        access_op(K_CFG_PORT, 0, a, w, wr, fin_u32(&in));
                        break;
                case 1:
                        access_op(K_CFG_PORT, 0, 0, 4, true, fin_u32(&in));
                        break;
                case 2:
                        a = PCIHOST_IO_BASE + (fin_u16(&in) & 0xff);
                        access_op(K_PIO, 0, a, w, wr, fin_u32(&in));
                        break;
                case 3:
                        a = PCIHOST_MEM_BASE + (fin_u32(&in) & 0x1ffff);
                        access_op(K_MMIO, 0, a, w, wr, fin_u64(&in));
                        break;
                case 4:
                        a = fin_u16(&in) & 0xfff8;
                        v = fin_u64(&in);
                        memcpy(fm.low + a, &v, 8);
                        break;
                case 5:
                        dev = fin_u8(&in) & 31;
                        a = fin_u16(&in) & 0x1fff;
                        access_op(K_CFG, dev, a, w, wr, fin_u32(&in));
                        break;
                case 7:
                        window_op(&in, w, wr);
                        break;
                default:
                        dev = fin_u8(&in) & 3;
                        a = fin_u8(&in) % PCI_NBARS;
                        pci_place_bar(&host, dev, (unsigned)a, fin_u32(&in));
                        break;
                }
                check();
        }
        fuzz_check_ro_image();
        trace_enabled = false;
        return 0;
}
