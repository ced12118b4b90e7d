/*
 * pci_tests: what a guest may do to the PCI layer under minivmm
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

static uint8_t ram_probe[BAR1_SIZE] __attribute__((aligned(BAR1_SIZE)));
static uint8_t ring[3 * PAGE] __attribute__((aligned(PAGE)));
static uint8_t before[512], after[512];

/* The first PCI virtio disk, or -1. */
static int first_pci(void)
{
        for (unsigned i = 0; i < genv.boot.nvirtio; i++)
                if (gpci_is(genv.boot.virtio[i].base) && genv.vdisk[i].ok)
                        return (int)i;
        return -1;
}

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
        int i = first_pci();
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
