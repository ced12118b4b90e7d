/* Unit tests for fdt/dtb: the tree the guest is told about, read back with libfdt. */
#include <libfdt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fdt/dtb.h"

static uint8_t buf[0x10000];

static struct dtb_machine machine(void)
{
        return (struct dtb_machine){
            .mem_base = {0},
            .mem_size = {64ULL << 20},
            .nmem = 1,
            .bootargs = "svirtb_handshake bench=x",
            .svirtb = true,
            .svirtb_base = 0xcafe0000,
            .svirtb_size = 0x1000,
            .self_base = (64ULL << 20) - 0x10000,
            .self_size = 0x10000,
        };
}

static uint64_t cell64(const void *p, int i)
{
        return fdt64_ld((const fdt64_t *)p + i); /* properties are only 4-byte aligned */
}

static void tree_has_memory_chosen_and_svirtb(void **state)
{
        struct dtb_machine m = machine();
        const void *p;
        int len, node;

        (void)state;
        assert_int_equal(dtb_build(buf, sizeof(buf), &m), 0);
        assert_int_equal(fdt_check_header(buf), 0);

        node = fdt_path_offset(buf, "/chosen");
        assert_true(node >= 0);
        assert_string_equal(fdt_getprop(buf, node, "bootargs", NULL), "svirtb_handshake bench=x");

        node = fdt_path_offset(buf, "/memory@0");
        assert_true(node >= 0);
        assert_string_equal(fdt_getprop(buf, node, "device_type", NULL), "memory");
        p = fdt_getprop(buf, node, "reg", &len);
        assert_int_equal(len, 16);
        assert_int_equal(cell64(p, 0), 0);
        assert_int_equal(cell64(p, 1), 64ULL << 20);

        node = fdt_node_offset_by_compatible(buf, -1, "minivmm,svirtb");
        assert_int_equal(node, fdt_path_offset(buf, "/svirtb@cafe0000"));
        p = fdt_getprop(buf, node, "reg", &len);
        assert_int_equal(len, 16);
        assert_int_equal(cell64(p, 0), 0xcafe0000);
        assert_int_equal(cell64(p, 1), 0x1000);
        assert_null(fdt_getprop(buf, node, "read-only", NULL));

        p = fdt_getprop(buf, 0, "#address-cells", &len);
        assert_int_equal(len, 4);
        assert_int_equal(fdt32_to_cpu(*(const fdt32_t *)p), 2);
}

static void readonly_disk_adds_read_only_property(void **state)
{
        struct dtb_machine m = machine();
        int len = -1;

        (void)state;
        m.svirtb_ro = true;
        assert_int_equal(dtb_build(buf, sizeof(buf), &m), 0);
        int node = fdt_path_offset(buf, "/svirtb@cafe0000");
        assert_non_null(fdt_getprop(buf, node, "read-only", &len));
        assert_int_equal(len, 0);
}

static void no_svirtb_means_no_node(void **state)
{
        struct dtb_machine m = machine();

        (void)state;
        m.svirtb = false;
        assert_int_equal(dtb_build(buf, sizeof(buf), &m), 0);
        assert_int_equal(fdt_node_offset_by_compatible(buf, -1, "minivmm,svirtb"),
                         -FDT_ERR_NOTFOUND);
}

static void ram_above_hole_is_second_reg_pair(void **state)
{
        struct dtb_machine m = machine();
        const void *p;
        int len;

        (void)state;
        m.mem_size[0] = 0xc0000000;
        m.mem_base[1] = 0x100000000;
        m.mem_size[1] = 0x40000000;
        m.nmem = 2;
        assert_int_equal(dtb_build(buf, sizeof(buf), &m), 0);
        p = fdt_getprop(buf, fdt_path_offset(buf, "/memory@0"), "reg", &len);
        assert_int_equal(len, 32);
        assert_int_equal(cell64(p, 1), 0xc0000000);
        assert_int_equal(cell64(p, 2), 0x100000000);
        assert_int_equal(cell64(p, 3), 0x40000000);
}

static void tree_reserves_its_own_placement(void **state)
{
        struct dtb_machine m = machine();
        uint64_t addr, size;

        (void)state;
        assert_int_equal(dtb_build(buf, sizeof(buf), &m), 0);
        assert_int_equal(fdt_num_mem_rsv(buf), 1);
        assert_int_equal(fdt_get_mem_rsv(buf, 0, &addr, &size), 0);
        assert_int_equal(addr, m.self_base);
        assert_int_equal(size, m.self_size);
}

static void virtio_nodes_point_at_the_ioapic(void **state)
{
        struct dtb_machine m = machine();
        const fdt32_t *irq;
        const void *p;
        int len, node, ioapic;

        (void)state;
        m.nvirtio = 2;
        m.virtio[0] = (struct dtb_virtio){0xd0000000, 0x1000, 5};
        m.virtio[1] = (struct dtb_virtio){0xd0001000, 0x1000, 6};
        assert_int_equal(dtb_build(buf, sizeof(buf), &m), 0);

        ioapic = fdt_path_offset(buf, "/ioapic@fec00000");
        assert_true(ioapic >= 0);
        assert_int_equal(fdt_get_phandle(buf, ioapic), DTB_IOAPIC_PHANDLE);
        assert_non_null(fdt_getprop(buf, ioapic, "interrupt-controller", NULL));

        node = fdt_path_offset(buf, "/virtio_mmio@d0001000");
        assert_true(node >= 0);
        assert_string_equal(fdt_getprop(buf, node, "compatible", NULL), "virtio,mmio");
        p = fdt_getprop(buf, node, "reg", &len);
        assert_int_equal(len, 16);
        assert_int_equal(cell64(p, 0), 0xd0001000);
        irq = fdt_getprop(buf, node, "interrupts", &len);
        assert_int_equal(len, 8);
        assert_int_equal(fdt32_to_cpu(irq[0]), 6);
        assert_int_equal(fdt32_to_cpu(irq[1]), DTB_IRQ_LEVEL_HIGH);
        irq = fdt_getprop(buf, node, "interrupt-parent", &len);
        assert_int_equal(fdt32_to_cpu(irq[0]), DTB_IOAPIC_PHANDLE);
        assert_int_equal(fdt_node_offset_by_phandle(buf, fdt32_to_cpu(irq[0])), ioapic);

        /* In the order given: the guest numbers disks by it. */
        assert_true(fdt_path_offset(buf, "/virtio_mmio@d0000000") < node);
}

/* /pci: the windows in ranges, each device's INTA# mapped to its GSI (docs/virtio-pci.md). */
static void pci_node_lists_windows_and_interrupts(void **state)
{
        struct dtb_machine m = machine();
        const fdt32_t *c;
        int len, node;
        static const uint32_t ranges[14] = {
            0x01000000, 0, 0xc000,     0, 0xc000,     0, 0x4000,
            0x02000000, 0, 0xe0000000, 0, 0xe0000000, 0, 0x10000000};
        static const uint32_t map[14] = {1 << 11, 0, 0, 1, DTB_IOAPIC_PHANDLE, 16, 1,
                                         3 << 11, 0, 0, 1, DTB_IOAPIC_PHANDLE, 18, 1};

        (void)state;
        assert_int_equal(dtb_build(buf, sizeof(buf), &m), 0);
        assert_true(fdt_path_offset(buf, "/pci") < 0); /* no PCI disk, no node */
        m.npci = 2;
        m.pci[0] = (struct dtb_pci_dev){1, 16};
        m.pci[1] = (struct dtb_pci_dev){3, 18};
        m.pci_io_base = 0xc000;
        m.pci_io_size = 0x4000;
        m.pci_mem_base = 0xe0000000;
        m.pci_mem_size = 0x10000000;
        assert_int_equal(dtb_build(buf, sizeof(buf), &m), 0);
        node = fdt_path_offset(buf, "/pci");
        assert_true(node >= 0);
        assert_string_equal(fdt_getprop(buf, node, "compatible", NULL), "minivmm,pci-cf8");
        assert_string_equal(fdt_getprop(buf, node, "device_type", NULL), "pci");
        c = fdt_getprop(buf, node, "ranges", &len);
        assert_int_equal(len, sizeof(ranges));
        for (unsigned i = 0; i < 14; i++)
                assert_int_equal(fdt32_to_cpu(c[i]), ranges[i]);
        c = fdt_getprop(buf, node, "interrupt-map", &len);
        assert_int_equal(len, sizeof(map));
        for (unsigned i = 0; i < 14; i++)
                assert_int_equal(fdt32_to_cpu(c[i]), map[i]);
        c = fdt_getprop(buf, node, "interrupt-map-mask", &len);
        assert_int_equal(len, 16);
        assert_int_equal(fdt32_to_cpu(c[0]), 0xf800);
        assert_int_equal(fdt32_to_cpu(c[3]), 7);
        m.npci = DTB_MAX_VIRTIO + 1;
        assert_int_equal(dtb_build(buf, sizeof(buf), &m), -FDT_ERR_BADVALUE);
}

static void too_small_buffer_reports_nospace(void **state)
{
        struct dtb_machine m = machine();
        uint8_t small[128];

        (void)state;
        assert_int_equal(dtb_build(small, sizeof(small), &m), -FDT_ERR_NOSPACE);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(tree_has_memory_chosen_and_svirtb),
            cmocka_unit_test(readonly_disk_adds_read_only_property),
            cmocka_unit_test(no_svirtb_means_no_node),
            cmocka_unit_test(ram_above_hole_is_second_reg_pair),
            cmocka_unit_test(tree_reserves_its_own_placement),
            cmocka_unit_test(virtio_nodes_point_at_the_ioapic),
            cmocka_unit_test(pci_node_lists_windows_and_interrupts),
            cmocka_unit_test(too_small_buffer_reports_nospace),
        };
        return cmocka_run_group_tests_name("dtb", tests, NULL, NULL);
}
