/*
 * Unit tests for devices/pci: configuration mechanism #1 through ports
 * 0xcf8-0xcff, absent functions, BAR sizing, relocation, enabling, and every
 * placement the bridge must refuse (docs/virtio-pci.md), on the machine's own
 * windows (vmm/pcihost.h).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/pci.h"
#include "vmm/pcihost.h"

struct hits {
        int calls;
        unsigned bar;
        uint64_t off;
        uint32_t len;
        bool is_write;
        int irq_calls;
        unsigned irq_dev;
        bool irq_level;
};

static void record(void *opaque, unsigned bar, uint64_t off, uint8_t *data, uint32_t len,
                   bool is_write)
{
        struct hits *h = opaque;

        h->calls++;
        h->bar = bar;
        h->off = off;
        h->len = len;
        h->is_write = is_write;
        if (!is_write)
                memset(data, 0x5a, len);
}

static void record_irq(void *opaque, unsigned dev, bool level)
{
        struct hits *h = opaque;

        h->irq_calls++;
        h->irq_dev = dev;
        h->irq_level = level;
}

static struct pci_host host;
static struct hits hits;

/* The machine's bus: the bridge, device 1 (I/O BAR0 64 B, memory BAR1 16 KiB), device 2 (BAR1). */
static int setup(void **state)
{
        const struct pci_window io = {PCIHOST_IO_BASE, PCIHOST_IO_SIZE};
        const struct pci_window mem = {PCIHOST_MEM_BASE, PCIHOST_MEM_SIZE};
        struct pci_func *f;

        (void)state;
        memset(&hits, 0, sizeof(hits));
        pci_init(&host, &io, &mem, PCIHOST_BRIDGE_VENDOR, PCIHOST_BRIDGE_DEVICE, record_irq, &hits);
        f = pci_add(&host, 1, "disk1", 0x1af4, 0x1001, 0x01000000, record, &hits);
        assert_non_null(f);
        assert_int_equal(pci_add_bar(f, 0, 64, true), 0);
        assert_int_equal(pci_add_bar(f, 1, 0x4000, false), 0);
        f = pci_add(&host, 2, "disk2", 0x1af4, 0x1001, 0x01000000, record, &hits);
        assert_non_null(f);
        assert_int_equal(pci_add_bar(f, 1, 0x4000, false), 0);
        return 0;
}

static void latch(uint32_t v)
{
        uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

        pci_cfg_io(&host, 0, b, 4, true);
}

static uint32_t cfg_addr(unsigned dev, uint32_t reg)
{
        return PCI_ENABLE_BIT | dev << 11 | (reg & 0xfc);
}

/* A read of len bytes at port 0xcf8 + port, little-endian. */
static uint32_t in(uint32_t port, uint32_t len)
{
        uint8_t b[4] = {0};
        uint32_t v = 0;

        pci_cfg_io(&host, port, b, len, false);
        for (uint32_t i = 0; i < len; i++)
                v |= (uint32_t)b[i] << (8 * i);
        return v;
}

static void out(uint32_t port, uint32_t len, uint32_t v)
{
        uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

        pci_cfg_io(&host, port, b, len, true);
}

static uint32_t cfg_read32(unsigned dev, uint32_t reg)
{
        latch(cfg_addr(dev, reg));
        return in(4, 4);
}

static void cfg_write32(unsigned dev, uint32_t reg, uint32_t v)
{
        latch(cfg_addr(dev, reg));
        out(4, 4, v);
}

static void host_bridge_answers_at_00_00_0(void **state)
{
        (void)state;
        assert_int_equal(cfg_read32(0, PCI_VENDOR_ID),
                         PCIHOST_BRIDGE_DEVICE << 16 | PCIHOST_BRIDGE_VENDOR);
        assert_int_equal(cfg_read32(0, PCI_REVISION), 0x06000000);
        assert_int_equal(cfg_read32(1, PCI_VENDOR_ID), 0x10011af4);
        assert_int_equal(cfg_read32(1, PCI_REVISION), 0x01000000);
        /* INTA# on the disks; the interrupt line register is the firmware's. */
        assert_int_equal(cfg_read32(1, PCI_INTERRUPT_LINE) >> 8 & 0xff, 1);
        cfg_write32(1, PCI_INTERRUPT_LINE, 0xffffff10);
        assert_int_equal(cfg_read32(1, PCI_INTERRUPT_LINE), 0x0110);
}

static void absent_functions_read_all_ones(void **state)
{
        (void)state;
        assert_int_equal(cfg_read32(3, PCI_VENDOR_ID), 0xffffffff);
        assert_int_equal(cfg_read32(31, PCI_VENDOR_ID), 0xffffffff);
        /* Function 1 of a present device, bus 1, reserved latch bits. */
        latch(cfg_addr(1, 0) | 1 << 8);
        assert_int_equal(in(4, 4), 0xffffffff);
        latch(cfg_addr(1, 0) | 1 << 16);
        assert_int_equal(in(4, 4), 0xffffffff);
        latch(cfg_addr(1, 0) | 1 << 24);
        assert_int_equal(in(4, 4), 0xffffffff);
        /* The enable bit clear. */
        latch(cfg_addr(1, 0) & ~PCI_ENABLE_BIT);
        assert_int_equal(in(4, 4), 0xffffffff);
        /* Writes there change nothing. */
        latch(cfg_addr(3, PCI_COMMAND));
        out(4, 4, 0xffffffff);
        assert_int_equal(cfg_read32(3, PCI_COMMAND), 0xffffffff);
}

static void latch_takes_aligned_32_bit_accesses_only(void **state)
{
        (void)state;
        latch(0x80000810);
        assert_int_equal(in(0, 4), 0x80000810);
        out(0, 1, 0);
        out(1, 2, 0);
        out(2, 2, 0);
        out(3, 1, 0);
        assert_int_equal(in(0, 4), 0x80000810);
        assert_int_equal(in(0, 2), 0xffff);
        assert_int_equal(in(3, 1), 0xff);
        /* A 4-byte access at 0xcfa would straddle into the data window: refused. */
        out(2, 4, 0);
        assert_int_equal(in(0, 4), 0x80000810);
        /* Past 0xcff. */
        assert_int_equal(in(7, 2), 0xffff);
        assert_int_equal(in(8, 1), 0xff);
}

static void data_window_takes_1_2_4_bytes_inside_the_dword(void **state)
{
        (void)state;
        latch(cfg_addr(1, PCI_VENDOR_ID));
        assert_int_equal(in(4, 1), 0xf4);
        assert_int_equal(in(5, 1), 0x1a);
        assert_int_equal(in(6, 1), 0x01);
        assert_int_equal(in(7, 1), 0x10);
        assert_int_equal(in(4, 2), 0x1af4);
        assert_int_equal(in(6, 2), 0x1001);
        assert_int_equal(in(5, 2), 0x011a); /* unaligned, still inside the dword */
        assert_int_equal(in(5, 4), 0xffffffff);
        assert_int_equal(in(7, 2), 0xffff);
        assert_int_equal(in(6, 4), 0xffffffff);
        assert_int_equal(in(4, 3), 0xffffff);
}

static void offsets_past_256_and_4096_read_all_ones(void **state)
{
        uint8_t b[4];

        (void)state;
        pci_cfg_access(&host, 1, 0x100, b, 4, false);
        assert_int_equal(b[0] & b[1] & b[2] & b[3], 0xff);
        pci_cfg_access(&host, 1, 0xffc, b, 4, false);
        assert_int_equal(b[0] & b[1] & b[2] & b[3], 0xff);
        pci_cfg_access(&host, 1, 0x1000, b, 4, false);
        assert_int_equal(b[0] & b[1] & b[2] & b[3], 0xff);
        pci_cfg_access(&host, 1, UINT32_MAX, b, 1, false);
        assert_int_equal(b[0], 0xff);
        memset(b, 0, sizeof(b));
        pci_cfg_access(&host, 1, 0x13c, b, 4, true); /* not the interrupt line */
        assert_int_equal(cfg_read32(1, PCI_INTERRUPT_LINE), 0x0100);
        pci_cfg_access(&host, 1, 0x3e, b, 4, false); /* crosses the dword */
        assert_int_equal(b[0] & b[1] & b[2] & b[3], 0xff);
        pci_cfg_access(&host, 99, 0, b, 4, false);
        assert_int_equal(b[0] & b[1] & b[2] & b[3], 0xff);
}

static void read_only_registers_keep_their_values(void **state)
{
        (void)state;
        cfg_write32(1, PCI_VENDOR_ID, 0);
        cfg_write32(1, PCI_REVISION, 0);
        cfg_write32(1, PCI_SUBSYS_VENDOR, 0x12345678);
        assert_int_equal(cfg_read32(1, PCI_VENDOR_ID), 0x10011af4);
        assert_int_equal(cfg_read32(1, PCI_REVISION), 0x01000000);
        assert_int_equal(cfg_read32(1, PCI_SUBSYS_VENDOR), 0);
        /* Command keeps its implemented bits only; status is read-only. */
        cfg_write32(1, PCI_COMMAND, 0xffffffff);
        assert_int_equal(cfg_read32(1, PCI_COMMAND),
                         PCI_CMD_IO | PCI_CMD_MEM | PCI_CMD_MASTER | PCI_CMD_INTX_DISABLE);
}

static void bar_sizing_reads_back_the_size_mask(void **state)
{
        (void)state;
        cfg_write32(1, PCI_BAR0, 0xffffffff);
        assert_int_equal(cfg_read32(1, PCI_BAR0), 0xffffffc1);
        cfg_write32(1, PCI_BAR0 + 4, 0xffffffff);
        assert_int_equal(cfg_read32(1, PCI_BAR0 + 4), 0xffffc000);
        /* Unimplemented BARs read 0 whatever is written. */
        cfg_write32(1, PCI_BAR0 + 8, 0xffffffff);
        assert_int_equal(cfg_read32(1, PCI_BAR0 + 8), 0);
        cfg_write32(2, PCI_BAR0, 0xffffffff);
        assert_int_equal(cfg_read32(2, PCI_BAR0), 0);
        /* Low bits are masked by the size. */
        cfg_write32(1, PCI_BAR0 + 4, 0xe0001234);
        assert_int_equal(cfg_read32(1, PCI_BAR0 + 4), 0xe0000000);
        /* Byte writes merge into the BAR. */
        latch(cfg_addr(1, PCI_BAR0 + 4));
        out(7, 1, 0xe1);
        assert_int_equal(cfg_read32(1, PCI_BAR0 + 4), 0xe1000000);
}

static void bar_decodes_only_while_enabled(void **state)
{
        uint8_t d[4] = {0};

        (void)state;
        cfg_write32(1, PCI_BAR0, PCIHOST_IO_BASE);
        cfg_write32(1, PCI_BAR0 + 4, PCIHOST_MEM_BASE);
        assert_false(pci_pio(&host, PCIHOST_IO_BASE, d, 1, false));
        assert_false(pci_mmio(&host, PCIHOST_MEM_BASE, d, 4, false));
        cfg_write32(1, PCI_COMMAND, PCI_CMD_IO);
        assert_true(pci_pio(&host, PCIHOST_IO_BASE + 0x12, d, 1, true));
        assert_int_equal(hits.bar, 0);
        assert_int_equal(hits.off, 0x12);
        assert_false(pci_mmio(&host, PCIHOST_MEM_BASE, d, 4, false));
        cfg_write32(1, PCI_COMMAND, PCI_CMD_IO | PCI_CMD_MEM);
        assert_true(pci_mmio(&host, PCIHOST_MEM_BASE + 0x3ffc, d, 4, false));
        assert_int_equal(hits.bar, 1);
        assert_int_equal(hits.off, 0x3ffc);
        assert_int_equal(d[0], 0x5a);
        /* Straddling the end, or past it: nobody's. */
        assert_false(pci_mmio(&host, PCIHOST_MEM_BASE + 0x3ffe, d, 4, false));
        assert_false(pci_pio(&host, PCIHOST_IO_BASE + 0x40, d, 1, false));
        assert_false(pci_mmio(&host, PCIHOST_MEM_BASE, d, 0, false));
        assert_false(pci_mmio(&host, PCIHOST_MEM_BASE, d, 16, false));
        assert_int_equal(hits.calls, 2);
        cfg_write32(1, PCI_COMMAND, 0);
        assert_false(pci_pio(&host, PCIHOST_IO_BASE, d, 1, false));
        assert_false(host.fn[1].bar[0].mapped);
        assert_null(host.fn[1].bar[0].refused);
}

static void relocated_bar_decodes_at_its_new_place(void **state)
{
        uint8_t d[4] = {0};

        (void)state;
        cfg_write32(1, PCI_BAR0 + 4, PCIHOST_MEM_BASE);
        cfg_write32(1, PCI_COMMAND, PCI_CMD_MEM);
        cfg_write32(1, PCI_BAR0 + 4, PCIHOST_MEM_BASE + 0x100000);
        assert_false(pci_mmio(&host, PCIHOST_MEM_BASE, d, 4, false));
        assert_true(pci_mmio(&host, PCIHOST_MEM_BASE + 0x100004, d, 4, false));
        assert_int_equal(hits.off, 4);
        /* The last page of the window is fine. */
        cfg_write32(1, PCI_BAR0 + 4, PCIHOST_MEM_BASE + PCIHOST_MEM_SIZE - 0x4000);
        assert_true(host.fn[1].bar[1].mapped);
}

/* Each bad place: not mapped, the reason kept, no access reaches the device. */
static void assert_mem_bar_refused(uint32_t addr, const char *why)
{
        uint8_t d[4] = {0};
        int calls = hits.calls;

        cfg_write32(1, PCI_BAR0 + 4, addr);
        assert_false(host.fn[1].bar[1].mapped);
        assert_non_null(host.fn[1].bar[1].refused);
        assert_string_equal(host.fn[1].bar[1].refused, why);
        /* Nothing else decodes there (an overlapped BAR still does: checked by the caller). */
        if (strcmp(why, "overlaps another mapped BAR") != 0)
                assert_false(pci_mmio(&host, addr, d, 4, false));
        assert_int_equal(hits.calls, calls);
}

static void bar_over_bad_places_is_refused(void **state)
{
        static const char out_mem[] = "outside the PCI memory window";

        (void)state;
        cfg_write32(1, PCI_COMMAND, PCI_CMD_IO | PCI_CMD_MEM);
        assert_mem_bar_refused(0, out_mem);          /* RAM, and unprogrammed */
        assert_mem_bar_refused(0x100000, out_mem);   /* the guest's image */
        assert_mem_bar_refused(0xbfffc000, out_mem); /* the top of low RAM */
        assert_mem_bar_refused(0xcafe0000, out_mem); /* svirtb */
        assert_mem_bar_refused(0xd0000000, out_mem); /* virtio-mmio slots */
        assert_mem_bar_refused(0xfec00000, out_mem); /* IOAPIC */
        assert_mem_bar_refused(0xfee00000, out_mem); /* LAPIC */
        assert_mem_bar_refused(0xffffc000, out_mem); /* the last page below 4 GiB */
        assert_mem_bar_refused(PCIHOST_MEM_BASE - 0x4000, out_mem);
        assert_mem_bar_refused(PCIHOST_MEM_BASE + PCIHOST_MEM_SIZE, out_mem);
        /* Over device 2's mapped BAR. */
        cfg_write32(2, PCI_BAR0 + 4, PCIHOST_MEM_BASE + 0x8000);
        cfg_write32(2, PCI_COMMAND, PCI_CMD_MEM);
        assert_true(host.fn[2].bar[1].mapped);
        assert_mem_bar_refused(PCIHOST_MEM_BASE + 0x8000, "overlaps another mapped BAR");
        assert_true(host.fn[2].bar[1].mapped);
        /* Sizing while decoding is on: the mask lands past the window. */
        assert_mem_bar_refused(0xffffffff, out_mem);
        /* An I/O BAR over the console or the config ports. */
        cfg_write32(1, PCI_BAR0, 0x3c0);
        assert_false(host.fn[1].bar[0].mapped);
        assert_string_equal(host.fn[1].bar[0].refused, "outside the PCI I/O window");
        cfg_write32(1, PCI_BAR0, 0xcc0);
        assert_false(host.fn[1].bar[0].mapped);
        cfg_write32(1, PCI_BAR0, 0xffffffff);
        assert_false(host.fn[1].bar[0].mapped);
        cfg_write32(1, PCI_BAR0, PCIHOST_IO_BASE + PCIHOST_IO_SIZE - 0x40);
        assert_true(host.fn[1].bar[0].mapped);
        assert_null(host.fn[1].bar[0].refused);
}

static void shadowed_bar_maps_once_the_other_moves_away(void **state)
{
        (void)state;
        cfg_write32(2, PCI_BAR0 + 4, PCIHOST_MEM_BASE);
        cfg_write32(2, PCI_COMMAND, PCI_CMD_MEM);
        cfg_write32(1, PCI_BAR0 + 4, PCIHOST_MEM_BASE);
        cfg_write32(1, PCI_COMMAND, PCI_CMD_MEM);
        assert_false(host.fn[1].bar[1].mapped);
        cfg_write32(2, PCI_BAR0 + 4, PCIHOST_MEM_BASE + 0x4000);
        assert_true(host.fn[1].bar[1].mapped);
        assert_true(host.fn[2].bar[1].mapped);
        /* Disabling device 2 and moving it on top again: device 1 keeps its place. */
        cfg_write32(2, PCI_COMMAND, 0);
        cfg_write32(2, PCI_BAR0 + 4, PCIHOST_MEM_BASE);
        cfg_write32(2, PCI_COMMAND, PCI_CMD_MEM);
        assert_true(host.fn[1].bar[1].mapped);
        assert_false(host.fn[2].bar[1].mapped);
}

static void intx_follows_level_and_interrupt_disable(void **state)
{
        (void)state;
        pci_set_intx(&host, 1, true);
        assert_int_equal(hits.irq_calls, 1);
        assert_int_equal(hits.irq_dev, 1);
        assert_true(hits.irq_level);
        assert_int_equal(cfg_read32(1, PCI_COMMAND) >> 16 & PCI_STATUS_INTX, PCI_STATUS_INTX);
        cfg_write32(1, PCI_COMMAND, PCI_CMD_INTX_DISABLE);
        assert_int_equal(hits.irq_calls, 2);
        assert_false(hits.irq_level);
        /* Status still shows the pending level. */
        assert_int_equal(cfg_read32(1, PCI_COMMAND) >> 16 & PCI_STATUS_INTX, PCI_STATUS_INTX);
        cfg_write32(1, PCI_COMMAND, 0);
        assert_int_equal(hits.irq_calls, 3);
        assert_true(hits.irq_level);
        pci_set_intx(&host, 1, true); /* no change, no call */
        assert_int_equal(hits.irq_calls, 3);
        pci_set_intx(&host, 1, false);
        assert_int_equal(hits.irq_calls, 4);
        assert_false(hits.irq_level);
        pci_set_intx(&host, 7, true); /* absent */
        pci_set_intx(&host, 1000, true);
        assert_int_equal(hits.irq_calls, 4);
}

/* A hook that records its access and answers reads with 0xc3. */
static struct {
        int calls;
        uint32_t off, len;
        bool is_write;
        uint8_t first;
} hooked;

static void hook(void *opaque, uint32_t off, uint8_t *data, uint32_t len, bool is_write)
{
        assert_ptr_equal(opaque, &hits);
        hooked.calls++;
        hooked.off = off;
        hooked.len = len;
        hooked.is_write = is_write;
        hooked.first = data[0];
        if (!is_write)
                memset(data, 0xc3, len);
}

static void hooked_config_range_goes_to_the_function(void **state)
{
        struct pci_func *f = &host.fn[1];
        uint8_t b[4] = {0x11, 0x22, 0x33, 0x44};

        (void)state;
        memset(&hooked, 0, sizeof(hooked));
        /* Not the header, not unaligned, inside 256 bytes, a function to call. */
        assert_int_equal(pci_hook_cfg(f, 0x3c, 4, hook), -EINVAL);
        assert_int_equal(pci_hook_cfg(f, 0x82, 4, hook), -EINVAL);
        assert_int_equal(pci_hook_cfg(f, 0x80, 6, hook), -EINVAL);
        assert_int_equal(pci_hook_cfg(f, 0x80, 0, hook), -EINVAL);
        assert_int_equal(pci_hook_cfg(f, 0xfc, 8, hook), -EINVAL);
        assert_int_equal(pci_hook_cfg(f, 0x80, 4, NULL), -EINVAL);
        assert_int_equal(hooked.calls, 0);
        assert_int_equal(pci_hook_cfg(f, 0x80, 4, hook), 0);
        /* Through the ports: every width inside the dword reaches the hook whole. */
        assert_int_equal(cfg_read32(1, 0x80), 0xc3c3c3c3);
        assert_int_equal(hooked.calls, 1);
        latch(cfg_addr(1, 0x80));
        assert_int_equal(in(7, 1), 0xc3);
        assert_int_equal(hooked.off, 0x83);
        assert_int_equal(hooked.len, 1);
        out(6, 2, 0xbeef);
        assert_int_equal(hooked.calls, 3);
        assert_int_equal(hooked.off, 0x82);
        assert_int_equal(hooked.len, 2);
        assert_true(hooked.is_write);
        assert_int_equal(hooked.first, 0xef);
        /* Next to it, the header bytes as before (read-only here). */
        assert_int_equal(cfg_read32(1, 0x7c), 0);
        cfg_write32(1, 0x84, 0xffffffff);
        assert_int_equal(cfg_read32(1, 0x84), 0);
        assert_int_equal(hooked.calls, 3);
        /* Another function's same offset is its own. */
        pci_cfg_access(&host, 2, 0x80, b, 4, false);
        assert_int_equal(b[0], 0);
        assert_int_equal(hooked.calls, 3);
}

static void bar_window_reaches_a_bar_by_offset_or_says_why_not(void **state)
{
        uint8_t b[4] = {0x11, 0x22, 0x33, 0x44};

        (void)state;
        /* Not placed, not enabled: the window reaches it all the same. */
        assert_null(pci_bar_window(&host, 1, 0, 60, b, 4, false));
        assert_int_equal(hits.calls, 1);
        assert_int_equal(hits.bar, 0);
        assert_int_equal(hits.off, 60);
        assert_int_equal(hits.len, 4);
        assert_int_equal(b[3], 0x5a);
        assert_null(pci_bar_window(&host, 1, 1, 0x3fff, b, 1, true));
        assert_int_equal(hits.calls, 2);
        assert_true(hits.is_write);
        assert_int_equal(hits.off, 0x3fff);
        /* Refused, with nothing done. */
        memset(b, 0x11, sizeof(b));
        assert_string_equal(pci_bar_window(&host, 1, 0, 61, b, 4, false), "past the BAR's end");
        assert_string_equal(pci_bar_window(&host, 1, 1, 0x4000, b, 1, true), "past the BAR's end");
        assert_string_equal(pci_bar_window(&host, 1, 1, UINT64_MAX - 1, b, 4, false),
                            "past the BAR's end");
        assert_string_equal(pci_bar_window(&host, 1, 0, 0, b, 0, false), "past the BAR's end");
        assert_string_equal(pci_bar_window(&host, 1, 2, 0, b, 1, false), "no such BAR");
        assert_string_equal(pci_bar_window(&host, 1, 6, 0, b, 1, false), "no such BAR");
        assert_string_equal(pci_bar_window(&host, 2, 0, 0, b, 1, false), "no such BAR");
        assert_string_equal(pci_bar_window(&host, 5, 1, 0, b, 1, false), "no such BAR");
        assert_string_equal(pci_bar_window(&host, 32, 1, 0, b, 1, false), "no such BAR");
        assert_int_equal(hits.calls, 2);
        assert_int_equal(b[0], 0x11);
}

static void setup_refuses_bad_arguments(void **state)
{
        struct pci_func *f = &host.fn[1];

        (void)state;
        assert_null(pci_add(&host, 0, "x", 1, 1, 0, record, &hits));
        assert_null(pci_add(&host, 1, "x", 1, 1, 0, record, &hits));
        assert_null(pci_add(&host, 32, "x", 1, 1, 0, record, &hits));
        assert_int_not_equal(pci_add_bar(f, 6, 64, true), 0);
        assert_int_not_equal(pci_add_bar(f, 2, 48, false), 0);
        assert_int_not_equal(pci_add_bar(f, 2, 8, false), 0);
        assert_int_not_equal(pci_add_bar(f, 2, 512, true), 0);
        assert_int_not_equal(pci_add_bar(f, 2, 0, true), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup(host_bridge_answers_at_00_00_0, setup),
            cmocka_unit_test_setup(absent_functions_read_all_ones, setup),
            cmocka_unit_test_setup(latch_takes_aligned_32_bit_accesses_only, setup),
            cmocka_unit_test_setup(data_window_takes_1_2_4_bytes_inside_the_dword, setup),
            cmocka_unit_test_setup(offsets_past_256_and_4096_read_all_ones, setup),
            cmocka_unit_test_setup(read_only_registers_keep_their_values, setup),
            cmocka_unit_test_setup(bar_sizing_reads_back_the_size_mask, setup),
            cmocka_unit_test_setup(bar_decodes_only_while_enabled, setup),
            cmocka_unit_test_setup(relocated_bar_decodes_at_its_new_place, setup),
            cmocka_unit_test_setup(bar_over_bad_places_is_refused, setup),
            cmocka_unit_test_setup(shadowed_bar_maps_once_the_other_moves_away, setup),
            cmocka_unit_test_setup(intx_follows_level_and_interrupt_disable, setup),
            cmocka_unit_test_setup(hooked_config_range_goes_to_the_function, setup),
            cmocka_unit_test_setup(bar_window_reaches_a_bar_by_offset_or_says_why_not, setup),
            cmocka_unit_test_setup(setup_refuses_bad_arguments, setup),
        };
        return cmocka_run_group_tests_name("pci", tests, NULL, NULL);
}
