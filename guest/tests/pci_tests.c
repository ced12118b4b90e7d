/*
 * pci_tests: the PCI layer as a guest sees it. pci_cfg_window (minivmm and
 * QEMU): the PCI_CFG capability's window in configuration space reads and
 * writes what the BARs do (VIRTIO 1.2 §4.1.4.9). pci_bars_hostile (minivmm
 * only): what a guest may do to the PCI layer under minivmm
 * (docs/virtio-pci.md "Refused"): BARs moved over RAM, over the svirtb page,
 * over the virtio-mmio slots, past 4 GiB, an I/O BAR over the console and the
 * configuration ports, and notifications at offsets no queue has (on the
 * modern area's unused words, and a queue index past the last). Each move
 * must leave RAM, the other devices and the VMM as they were; the disk must
 * then work again at its own place and read what it read before.
 */
#include <string.h>

#include "console.h"
#include "guest.h"
#include "pci_drv.h"
#include "test.h"
#include "tests/tests.h"
#include "virtio_blk_drv.h"

#define PAGE        4096u
#define BAR0        0x10
#define BAR1        0x14
#define COMMAND     0x04
#define BAR1_SIZE   0x4000u /* minivmm's modern BAR (docs/virtio-pci.md) */
#define KNOWN       3u      /* a sector no write test touches */
#define SVIRTB_BASE 0xcafe0000ULL
#define VMMIO_BASE  0xd0000000ULL
#define CAP_COMMON  1 /* cfg_type values (§4.1.4) */
#define CAP_DEVICE  4
#define CAP_PCI_CFG 5
#define C_DFSELECT  0x00 /* common configuration fields (§4.1.4.3) */
#define C_DF        0x04
#define C_NUMQ      0x12
#define C_Q_SELECT  0x16
#define C_Q_SIZE    0x18

static uint8_t ram_probe[BAR1_SIZE] __attribute__((aligned(BAR1_SIZE)));
static uint8_t ring[3 * PAGE] __attribute__((aligned(PAGE)));
static uint8_t before[512], after[512];

/* The first PCI virtio disk of version min_version or more, or -1. */
static int first_pci(uint32_t min_version)
{
        for (unsigned i = 0; i < genv.boot.nvirtio; i++)
                if (gpci_is(genv.boot.virtio[i].base) && genv.vdisk[i].ok &&
                    genv.vdisk[i].version >= min_version)
                        return (int)i;
        return -1;
}

/* --- the PCI_CFG window (§4.1.4.9) ----------------------------------------------- */

struct window {
        unsigned dev, at; /* the function, its PCI_CFG capability */
};

/* Aims the window at len bytes at off in BAR bar (bar is the one writable byte of its dword). */
static void window_aim(const struct window *w, uint32_t bar, uint32_t off, uint32_t len)
{
        uint32_t v = gpci_cfg_read32(w->dev, w->at + 4);

        gpci_cfg_write32(w->dev, w->at + 4, (v & ~0xffu) | bar);
        gpci_cfg_write32(w->dev, w->at + 8, off);
        gpci_cfg_write32(w->dev, w->at + 12, len);
}

static uint32_t window_read(const struct window *w, uint32_t bar, uint32_t off, uint32_t len)
{
        uint32_t v;

        window_aim(w, bar, off, len);
        v = gpci_cfg_read32(w->dev, w->at + 16);
        return len == 4 ? v : v & ((1u << (8 * len)) - 1);
}

/* Where the structure of capability type lies: its BAR and offset, and its address. */
static int cap_place(unsigned dev, unsigned type, uint32_t *bar, uint32_t *off, uint64_t *addr)
{
        unsigned at = gpci_find_cap(dev, type);

        EXPECT(at != 0, "00:%02x.0 has no capability of type %u", dev, type);
        *bar = gpci_cfg_read32(dev, at + 4) & 0xff;
        *off = gpci_cfg_read32(dev, at + 8);
        EXPECT(*bar < 6 && gpci_bar_address(dev, *bar) != 0, "type %u in BAR %u, unplaced", type,
               *bar);
        *addr = gpci_bar_address(dev, *bar) + *off;
        return TEST_PASS;
}

int test_pci_cfg_window(void)
{
        int i = first_pci(2);
        struct window w;
        uint32_t cb, co, db, dof, got, want;
        uint64_t common, device;

        if (i < 0)
                return test_skip("no modern virtio-pci disk");
        w.dev = (unsigned)(genv.boot.virtio[i].base & 31);
        w.at = gpci_find_cap(w.dev, CAP_PCI_CFG);
        EXPECT(w.at != 0, "00:%02x.0 has no PCI_CFG capability (§4.1.4.9: the device MUST)", w.dev);
        TRY(cap_place(w.dev, CAP_COMMON, &cb, &co, &common));
        TRY(cap_place(w.dev, CAP_DEVICE, &db, &dof, &device));
        /* The device config: capacity, both halves, as the BAR reads it and as probed. */
        for (uint32_t k = 0; k < 8; k += 4) {
                got = window_read(&w, db, dof + k, 4);
                want = mmio_read32(device + k);
                EXPECT(got == want, "capacity[%u] through the window 0x%x, through the BAR 0x%x", k,
                       got, want);
                EXPECT(got == (uint32_t)(genv.vdisk[i].capacity >> (8 * k)),
                       "capacity[%u] 0x%x, probed %lu sectors", k, got, genv.vdisk[i].capacity);
        }
        /* Common configuration: 16 and 32-bit fields. */
        got = window_read(&w, cb, co + C_NUMQ, 2);
        want = *(volatile uint16_t *)(uintptr_t)(common + C_NUMQ);
        EXPECT(got == want && got >= 1, "num_queues %u through the window, %u through the BAR", got,
               want);
        *(volatile uint16_t *)(uintptr_t)(common + C_Q_SELECT) = 0;
        got = window_read(&w, cb, co + C_Q_SIZE, 2);
        want = *(volatile uint16_t *)(uintptr_t)(common + C_Q_SIZE);
        EXPECT(got == want && got != 0, "queue 0 size %u through the window, %u through the BAR",
               got, want);
        mmio_write32(common + C_DFSELECT, 0);
        got = window_read(&w, cb, co + C_DF, 4);
        EXPECT(got == mmio_read32(common + C_DF), "device_feature[0] 0x%x, 0x%x through the BAR",
               got, mmio_read32(common + C_DF));
        /* A write through the window: device_feature_select 1 selects VERSION_1's word. */
        window_aim(&w, cb, co + C_DFSELECT, 4);
        gpci_cfg_write32(w.dev, w.at + 16, 1);
        got = mmio_read32(common + C_DFSELECT);
        want = mmio_read32(common + C_DF);
        mmio_write32(common + C_DFSELECT, 0);
        EXPECT(got == 1, "device_feature_select reads %u after 1 went through the window", got);
        EXPECT(want & 1, "device_feature[1] 0x%x lacks VERSION_1", want);
        /* minivmm refuses a bad length with all ones (docs/virtio-pci.md); QEMU differs. */
        if (!genv.boot.pvh) {
                got = window_read(&w, cb, co + C_DF, 3);
                EXPECT(gpci_cfg_read32(w.dev, w.at + 16) == 0xffffffffu,
                       "a 3-byte window read gave 0x%x", got);
        }
        window_aim(&w, cb, 0, 0);
        return TEST_PASS;
}

/* --- moving BARs --------------------------------------------------------------------- */

static int read_known(struct gblk *b, uint64_t base, uint8_t *buf)
{
        uint8_t st = 0xff;

        EXPECT(gblk_probe(b, base) == VIO_OK, "probe failed");
        EXPECT(gblk_init(b, ring, sizeof(ring), 8) == VIO_OK, "init failed");
        EXPECT(gblk_io(b, VBLK_T_IN, KNOWN, buf, 512, &st) == VIO_OK && st == VBLK_S_OK,
               "reading sector %u: status %u", KNOWN, st);
        return TEST_PASS;
}

/* BAR1 at addr: the register holds it, nothing there answers as the device. */
static int move_bar1(unsigned dev, uint32_t addr)
{
        gpci_cfg_write32(dev, BAR1, addr);
        EXPECT(gpci_cfg_read32(dev, BAR1) == (addr & ~(BAR1_SIZE - 1)),
               "BAR1 reads 0x%x after 0x%x was written", gpci_cfg_read32(dev, BAR1), addr);
        return TEST_PASS;
}

int test_pci_bars_hostile(void)
{
        int i = first_pci(1);
        struct gblk b;
        unsigned dev;
        uint32_t bar0, bar1, cmd, v;

        if (i < 0)
                return test_skip("no PCI virtio disk");
        if (genv.boot.pvh)
                return test_skip("minivmm's PCI layout only");
        dev = (unsigned)(genv.boot.virtio[i].base & 31);
        bar0 = gpci_cfg_read32(dev, BAR0);
        bar1 = gpci_cfg_read32(dev, BAR1);
        cmd = gpci_cfg_read32(dev, COMMAND) & 0xffff;
        TRY(read_known(&b, genv.boot.virtio[i].base, before));
        /* Notifications of queues that do not exist, while queue 0 is live. */
        if (gpci_notify_base(genv.boot.virtio[i].base)) {
                uint64_t n = gpci_notify_base(genv.boot.virtio[i].base);

                *(volatile uint16_t *)(uintptr_t)(n + 4) = 1;
                *(volatile uint16_t *)(uintptr_t)(n + 2) = 0;
                *(volatile uint16_t *)(uintptr_t)(n + 0xffc) = 1023;
                *(volatile uint8_t *)(uintptr_t)n = 0;
        }
        gvio_write(&b.io, VIO_QUEUE_NOTIFY, 7);
        EXPECT(!(gvio_read(&b.io, VIO_STATUS) & VIO_S_NEEDS_RESET),
               "status 0x%x after notifications of absent queues", gvio_read(&b.io, VIO_STATUS));
        if (bar1 != 0) {
                /* Over RAM: the page stays RAM, reads and writes alike. */
                memset(ram_probe, 0xa5, sizeof(ram_probe));
                TRY(move_bar1(dev, (uint32_t)gpa_of(ram_probe)));
                mmio_write32(gpa_of(ram_probe) + 0x14, 0); /* common device_status, if mapped */
                EXPECT(ram_probe[0] == 0xa5 && ram_probe[0x14] == 0 && ram_probe[0x15] == 0 &&
                           ram_probe[0x18] == 0xa5,
                       "RAM under BAR1 reads %02x %02x %02x", ram_probe[0], ram_probe[0x14],
                       ram_probe[0x18]);
                /* Over svirtb: svirtb is still svirtb. */
                v = genv.boot.has_svirtb ? mmio_read32(SVIRTB_BASE) : 0;
                TRY(move_bar1(dev, (uint32_t)SVIRTB_BASE));
                EXPECT(!genv.boot.has_svirtb || mmio_read32(SVIRTB_BASE) == v,
                       "svirtb's first register changed under BAR1");
                /* Over the virtio-mmio slots, the last page below 4 GiB: not decoded. */
                TRY(move_bar1(dev, (uint32_t)VMMIO_BASE + 0x8000));
                EXPECT(mmio_read32(VMMIO_BASE + 0x8000 + 0x12) == 0xffffffffu,
                       "the device answers over the virtio-mmio slots");
                TRY(move_bar1(dev, 0xffffc000u));
                /* Sizing with decoding on, then back. */
                gpci_cfg_write32(dev, BAR1, 0xffffffffu);
                EXPECT(gpci_cfg_read32(dev, BAR1) == (uint32_t) ~(BAR1_SIZE - 1),
                       "BAR1 sizing reads 0x%x", gpci_cfg_read32(dev, BAR1));
                gpci_cfg_write32(dev, BAR1, bar1);
        }
        /* The I/O BAR over the console and over the configuration ports. */
        gpci_cfg_write32(dev, BAR0, 0x3f8);
        printf("# console still works with BAR0 written over it\n");
        gpci_cfg_write32(dev, BAR0, 0xcf8);
        EXPECT((gpci_cfg_read32(dev, BAR0) & ~0x3fu) == 0xcc0,
               "BAR0 reads 0x%x (config ports lost?)", gpci_cfg_read32(dev, BAR0));
        gpci_cfg_write32(dev, BAR0, bar0);
        gpci_cfg_write32(dev, COMMAND, cmd);
        /* The disk is back where it was, and reads what it read. */
        TRY(read_known(&b, genv.boot.virtio[i].base, after));
        EXPECT(memcmp(before, after, sizeof(before)) == 0, "sector %u reads differently", KNOWN);
        return TEST_PASS;
}
