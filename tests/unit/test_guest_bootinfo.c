/*
 * The guest's FDT reader (guest/bootinfo.c), built on the host: the tree
 * minivmm builds (fdt/dtb.c) and hand-made trees for every other shape and
 * error it must read or refuse, each with the exact boot_info or the exact
 * one-line reason. docs/boot.md describes the tree.
 */
#include <libfdt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fdt/dtb.h"
#include "guest/bootinfo.h"

static uint8_t fdt[16384] __attribute__((aligned(8)));
static struct boot_info bi;
static char err[160];

#define FDT_OK(call) assert_int_equal((call), 0)

/* --- a small sequential-write builder ------------------------------------ */
static void tree_begin(void)
{
        FDT_OK(fdt_create(fdt, sizeof(fdt)));
        FDT_OK(fdt_finish_reservemap(fdt));
        FDT_OK(fdt_begin_node(fdt, ""));
}

static void tree_end(void)
{
        FDT_OK(fdt_end_node(fdt));
        FDT_OK(fdt_finish(fdt));
}

static void cells(const char *name, const uint32_t *v, int n)
{
        fdt32_t c[16];

        for (int i = 0; i < n; i++)
                c[i] = cpu_to_fdt32(v[i]);
        FDT_OK(fdt_property(fdt, name, c, n * 4));
}

#define CELLS(name, ...)                                                                           \
        do {                                                                                       \
                static const uint32_t v_[] = {__VA_ARGS__};                                        \
                cells(name, v_, (int)(sizeof(v_) / sizeof(v_[0])));                                \
        } while (0)

static void root_cells(uint32_t ac, uint32_t sc)
{
        FDT_OK(fdt_property_u32(fdt, "#address-cells", ac));
        FDT_OK(fdt_property_u32(fdt, "#size-cells", sc));
}

/* /memory@0 with 64 MiB (2 + 1 cells). */
static void memory_node(void)
{
        FDT_OK(fdt_begin_node(fdt, "memory@0"));
        FDT_OK(fdt_property_string(fdt, "device_type", "memory"));
        CELLS("reg", 0, 0, 64 << 20);
        FDT_OK(fdt_end_node(fdt));
}

static void ioapic_node(const char *name, uint32_t phandle)
{
        FDT_OK(fdt_begin_node(fdt, name));
        FDT_OK(fdt_property_string(fdt, "compatible", "intel,ce4100-ioapic"));
        CELLS("reg", 0, 0xfec00000, 0x1000);
        FDT_OK(fdt_property(fdt, "interrupt-controller", NULL, 0));
        FDT_OK(fdt_property_u32(fdt, "#interrupt-cells", 2));
        FDT_OK(fdt_property_u32(fdt, "phandle", phandle));
        FDT_OK(fdt_end_node(fdt));
}

/* A virtio,mmio node at base (2 + 1 cells), interrupts <gsi 1>; parent 0: none. */
static void virtio_node(uint32_t base, uint32_t gsi, uint32_t parent)
{
        char name[32];

        snprintf(name, sizeof(name), "virtio_mmio@%x", base);
        FDT_OK(fdt_begin_node(fdt, name));
        FDT_OK(fdt_property_string(fdt, "compatible", "virtio,mmio"));
        {
                uint32_t reg[] = {0, base, 0x1000};

                cells("reg", reg, 3);
        }
        {
                uint32_t irq[] = {gsi, 1};

                cells("interrupts", irq, 2);
        }
        if (parent)
                FDT_OK(fdt_property_u32(fdt, "interrupt-parent", parent));
        FDT_OK(fdt_end_node(fdt));
}

static int read_tree(void)
{
        memset(&bi, 0xa5, sizeof(bi));
        memset(err, 0, sizeof(err));
        return boot_info_read(&bi, fdt, err, sizeof(err));
}

static void expect_error(const char *want)
{
        assert_int_equal(read_tree(), -1);
        assert_string_equal(err, want);
}

/* --- the tree minivmm builds ---------------------------------------------- */
static void vmm_tree_is_read_whole(void **state)
{
        struct dtb_machine m = {
            .mem_base = {0, 1ULL << 32},
            .mem_size = {3ULL << 30, 1ULL << 30},
            .nmem = 2,
            .bootargs = "svirtb_handshake complete=irq",
            .svirtb = true,
            .svirtb_base = 0xcafe0000,
            .svirtb_size = 0x1000,
            .svirtb_ro = true,
            .virtio = {{0xd0000000, 0x1000, 5}, {0xd0001000, 0x1000, 6}, {0xd0002000, 0x1000, 7}},
            .nvirtio = 3,
            .self_base = (uint64_t)(uintptr_t)fdt,
            .self_size = sizeof(fdt),
        };

        (void)state;
        FDT_OK(dtb_build(fdt, sizeof(fdt), &m));
        assert_int_equal(read_tree(), 0);
        assert_int_equal(bi.fdt_addr, (uint64_t)(uintptr_t)fdt);
        assert_int_equal(bi.fdt_size, fdt_totalsize(fdt));
        assert_true(bi.fdt_reserved);
        assert_int_equal(bi.nram, 2);
        assert_int_equal(bi.ram[0].base, 0);
        assert_int_equal(bi.ram[0].size, 3ULL << 30);
        assert_int_equal(bi.ram[1].base, 1ULL << 32);
        assert_int_equal(bi.ram[1].size, 1ULL << 30);
        assert_true(bi.has_bootargs);
        assert_string_equal(bi.bootargs, "svirtb_handshake complete=irq");
        assert_true(bi.has_svirtb);
        assert_int_equal(bi.svirtb_base, 0xcafe0000);
        assert_int_equal(bi.svirtb_size, 0x1000);
        assert_true(bi.svirtb_ro);
        assert_int_equal(bi.nvirtio, 3);
        for (unsigned i = 0; i < 3; i++) {
                assert_int_equal(bi.virtio[i].base, 0xd0000000 + 0x1000 * i);
                assert_int_equal(bi.virtio[i].size, 0x1000);
                assert_true(bi.virtio[i].has_irq);
                assert_int_equal(bi.virtio[i].gsi, 5 + i);
                assert_int_equal(bi.virtio[i].sense, DTB_IRQ_LEVEL_HIGH);
                assert_int_equal(bi.virtio[i].ioapic_base, DTB_IOAPIC_BASE);
        }
        assert_false(bi.pvh);
        assert_false(bi.has_pci);
        assert_int_equal(boot_low_ram_end(&bi), 3ULL << 30);
        assert_int_equal(boot_ram_total(&bi), 4ULL << 30);
}

/* The same walk finds the PCI host (compatible "minivmm,pci-cf8"), which main()
 * used to look up with a second libfdt walk. */
static void vmm_tree_with_pci_host(void **state)
{
        struct dtb_machine m = {
            .mem_base = {0},
            .mem_size = {64 << 20},
            .nmem = 1,
            .bootargs = "",
            .pci = {{1, 10}},
            .npci = 1,
            .pci_io_base = 0x1000,
            .pci_io_size = 0x1000,
            .pci_mem_base = 0xe0000000,
            .pci_mem_size = 0x100000,
            .self_base = (uint64_t)(uintptr_t)fdt,
            .self_size = sizeof(fdt),
        };

        (void)state;
        FDT_OK(dtb_build(fdt, sizeof(fdt), &m));
        assert_true(fdt_node_offset_by_compatible(fdt, -1, "minivmm,pci-cf8") >= 0);
        assert_int_equal(read_tree(), 0);
        assert_true(bi.has_pci);
        assert_int_equal(bi.nvirtio, 0);
}

static void vmm_tree_without_devices_or_bootargs(void **state)
{
        struct dtb_machine m = {
            .mem_base = {0},
            .mem_size = {64ULL << 20},
            .nmem = 1,
            .bootargs = NULL,
            .self_base = 1ULL << 40,
            .self_size = 0x1000,
        };

        (void)state;
        FDT_OK(dtb_build(fdt, sizeof(fdt), &m));
        assert_int_equal(read_tree(), 0);
        assert_false(bi.fdt_reserved); /* the reservation does not cover where it lies */
        assert_int_equal(bi.nram, 1);
        assert_false(bi.has_svirtb);
        assert_false(bi.svirtb_ro);
        assert_int_equal(bi.nvirtio, 0);
        assert_string_equal(bi.bootargs, "");
}

/* --- shapes other loaders produce ------------------------------------------ */
static void memory_found_by_device_type_and_one_cell_sizes(void **state)
{
        (void)state;
        tree_begin();
        root_cells(1, 1);
        FDT_OK(fdt_begin_node(fdt, "ram@100000"));
        FDT_OK(fdt_property_string(fdt, "device_type", "memory"));
        CELLS("reg", 0, 0x8000000, 0x10000000, 0x1000000);
        FDT_OK(fdt_end_node(fdt));
        FDT_OK(fdt_begin_node(fdt, "chosen"));
        FDT_OK(fdt_property_string(fdt, "bootargs", "a b"));
        FDT_OK(fdt_end_node(fdt));
        FDT_OK(fdt_begin_node(fdt, "disk"));
        FDT_OK(fdt_property(fdt, "compatible", "foo,bar\0minivmm,svirtb", 23));
        CELLS("reg", 0xcafe0000, 0x1000);
        FDT_OK(fdt_end_node(fdt));
        tree_end();
        assert_int_equal(read_tree(), 0);
        assert_int_equal(bi.nram, 2);
        assert_int_equal(bi.ram[0].base, 0);
        assert_int_equal(bi.ram[0].size, 0x8000000);
        assert_int_equal(bi.ram[1].base, 0x10000000);
        assert_int_equal(bi.ram[1].size, 0x1000000);
        assert_string_equal(bi.bootargs, "a b");
        assert_true(bi.has_svirtb);
        assert_int_equal(bi.svirtb_base, 0xcafe0000);
        assert_int_equal(bi.svirtb_size, 0x1000);
        assert_false(bi.svirtb_ro);
}

static void root_cells_default_to_2_and_1(void **state)
{
        (void)state;
        tree_begin();
        memory_node();
        tree_end();
        assert_int_equal(read_tree(), 0);
        assert_int_equal(bi.nram, 1);
        assert_int_equal(bi.ram[0].size, 64 << 20);
}

/* interrupt-parent on the root applies to every node below it; the IOAPIC
 * may come after the devices and sit in a bus with one-cell addresses. */
static void interrupt_parent_inherited_and_ioapic_in_a_bus(void **state)
{
        (void)state;
        tree_begin();
        root_cells(2, 1);
        FDT_OK(fdt_property_u32(fdt, "interrupt-parent", 9));
        memory_node();
        virtio_node(0xd0000000, 12, 0);
        virtio_node(0xd0001000, 13, 0);
        FDT_OK(fdt_begin_node(fdt, "soc"));
        root_cells(1, 1);
        FDT_OK(fdt_begin_node(fdt, "interrupt-controller@fec01000"));
        FDT_OK(fdt_property(fdt, "compatible", "x,y\0intel,ce4100-ioapic", 24));
        CELLS("reg", 0xfec01000, 0x1000);
        FDT_OK(fdt_property(fdt, "interrupt-controller", NULL, 0));
        FDT_OK(fdt_property_u32(fdt, "#interrupt-cells", 2));
        FDT_OK(fdt_property_u32(fdt, "linux,phandle", 9));
        FDT_OK(fdt_end_node(fdt));
        FDT_OK(fdt_end_node(fdt));
        tree_end();
        assert_int_equal(read_tree(), 0);
        assert_int_equal(bi.nvirtio, 2);
        for (unsigned i = 0; i < 2; i++) {
                assert_true(bi.virtio[i].has_irq);
                assert_int_equal(bi.virtio[i].gsi, 12 + i);
                assert_int_equal(bi.virtio[i].sense, 1);
                assert_int_equal(bi.virtio[i].ioapic_base, 0xfec01000);
        }
}

/* --- interrupt problems stay with the device (only irq tests need them) ---- */
static void interrupt_problems_are_kept_per_device(void **state)
{
        (void)state;
        tree_begin();
        root_cells(2, 1);
        memory_node();
        FDT_OK(fdt_begin_node(fdt, "uart@3f8"));
        FDT_OK(fdt_property_u32(fdt, "phandle", 4));
        FDT_OK(fdt_end_node(fdt));
        FDT_OK(fdt_begin_node(fdt, "ioapic@fec00000"));
        FDT_OK(fdt_property_string(fdt, "compatible", "intel,ce4100-ioapic"));
        CELLS("reg", 0, 0xfec00000, 0x1000);
        FDT_OK(fdt_property_u32(fdt, "#interrupt-cells", 2));
        FDT_OK(fdt_property_u32(fdt, "phandle", 5));
        FDT_OK(fdt_end_node(fdt));
        ioapic_node("ioapic@fec10000", 6);
        virtio_node(0xd0000000, 5, 0); /* no interrupt-parent anywhere */
        virtio_node(0xd0001000, 6, 4); /* a parent that is no IOAPIC */
        virtio_node(0xd0002000, 7, 7); /* a phandle nobody has */
        virtio_node(0xd0003000, 8, 5); /* an IOAPIC that is no interrupt-controller */
        virtio_node(0xd0004000, 9, 6); /* a good one */
        FDT_OK(fdt_begin_node(fdt, "virtio_mmio@d0005000"));
        FDT_OK(fdt_property_string(fdt, "compatible", "virtio,mmio"));
        CELLS("reg", 0, 0xd0005000, 0x1000);
        CELLS("interrupts", 10);
        FDT_OK(fdt_property_u32(fdt, "interrupt-parent", 6));
        FDT_OK(fdt_end_node(fdt));
        tree_end();
        assert_int_equal(read_tree(), 0);
        assert_int_equal(bi.nvirtio, 6);
        assert_string_equal(bi.virtio[0].irq_problem, "no interrupt-parent");
        assert_string_equal(bi.virtio[1].irq_problem,
                            "interrupt parent uart@3f8 is not an intel,ce4100-ioapic");
        assert_string_equal(bi.virtio[2].irq_problem, "interrupt-parent <7>: FDT_ERR_NOTFOUND");
        assert_string_equal(bi.virtio[3].irq_problem,
                            "IOAPIC is no interrupt-controller with #interrupt-cells 2");
        assert_true(bi.virtio[4].has_irq);
        assert_int_equal(bi.virtio[4].ioapic_base, 0xfec00000);
        assert_string_equal(bi.virtio[5].irq_problem, "interrupts is 4 bytes, want 2 cells");
        for (unsigned i = 0; i < 6; i++) {
                assert_int_equal(bi.virtio[i].base, 0xd0000000 + 0x1000 * i);
                if (i != 4)
                        assert_false(bi.virtio[i].has_irq);
        }
}

static void long_bootargs_are_cut_to_the_buffer(void **state)
{
        static char args[BOOT_BOOTARGS_MAX + 100];

        (void)state;
        memset(args, 'x', sizeof(args) - 1);
        args[sizeof(args) - 1] = '\0';
        tree_begin();
        memory_node();
        FDT_OK(fdt_begin_node(fdt, "chosen"));
        FDT_OK(fdt_property_string(fdt, "bootargs", args));
        FDT_OK(fdt_end_node(fdt));
        tree_end();
        assert_int_equal(read_tree(), 0);
        assert_true(bi.has_bootargs);
        assert_int_equal(strlen(bi.bootargs), BOOT_BOOTARGS_MAX - 1);
}

/* Nodes end children first; "first" and the device order are document order. */
static void nested_nodes_keep_document_order(void **state)
{
        (void)state;
        tree_begin();
        memory_node();
        ioapic_node("ioapic@fec00000", 1);
        FDT_OK(fdt_begin_node(fdt, "virtio_mmio@d0000000"));
        FDT_OK(fdt_property_string(fdt, "compatible", "virtio,mmio"));
        CELLS("reg", 0, 0xd0000000, 0x1000);
        FDT_OK(fdt_property_u32(fdt, "interrupt-parent", 1));
        CELLS("interrupts", 5, 1);
        FDT_OK(fdt_begin_node(fdt, "svirtb@cafe0000"));
        FDT_OK(fdt_property_string(fdt, "compatible", "minivmm,svirtb"));
        CELLS("reg", 0, 0xcafe0000, 0x1000);
        virtio_node(0xd0001000, 6, 0); /* inherits interrupt-parent 1 */
        FDT_OK(fdt_end_node(fdt));
        FDT_OK(fdt_end_node(fdt));
        FDT_OK(fdt_begin_node(fdt, "svirtb@cafe1000"));
        FDT_OK(fdt_property_string(fdt, "compatible", "minivmm,svirtb"));
        CELLS("reg", 0, 0xcafe1000, 0x1000);
        FDT_OK(fdt_end_node(fdt));
        virtio_node(0xd0002000, 7, 1);
        tree_end();
        assert_int_equal(read_tree(), 0);
        assert_int_equal(bi.svirtb_base, 0xcafe0000);
        assert_int_equal(bi.nvirtio, 3);
        for (unsigned i = 0; i < 3; i++) {
                assert_int_equal(bi.virtio[i].base, 0xd0000000 + 0x1000 * i);
                assert_int_equal(bi.virtio[i].gsi, 5 + i);
                assert_true(bi.virtio[i].has_irq);
        }
}

/* --- trees the guest refuses, each with its one-line reason ---------------- */
static void deeper_than_16_levels_is_refused(void **state)
{
        (void)state;
        tree_begin();
        memory_node();
        for (int i = 0; i < 16; i++)
                FDT_OK(fdt_begin_node(fdt, "bus"));
        for (int i = 0; i < 16; i++)
                FDT_OK(fdt_end_node(fdt));
        tree_end();
        expect_error("FDT nested deeper than 16 levels");
}

static void broken_structure_is_refused(void **state)
{
        char want[64];
        int node;

        (void)state;
        tree_begin();
        memory_node();
        FDT_OK(fdt_begin_node(fdt, "chosen"));
        FDT_OK(fdt_end_node(fdt));
        tree_end();
        FDT_OK(fdt_pack(fdt));
        node = fdt_path_offset(fdt, "/chosen");
        assert_true(node > 0);
        /* The node's FDT_BEGIN_NODE tag becomes a tag that does not exist. */
        *(fdt32_t *)((char *)fdt + fdt_off_dt_struct(fdt) + node) = cpu_to_fdt32(0x7);
        snprintf(want, sizeof(want), "bad FDT structure at offset %d", node);
        expect_error(want);
}

/* A tree with /chosen { bootargs }; the offset of that property in the structure block. */
static int tree_with_one_property(void)
{
        int node, prop;

        tree_begin();
        memory_node();
        FDT_OK(fdt_begin_node(fdt, "chosen"));
        FDT_OK(fdt_property_string(fdt, "bootargs", "x"));
        FDT_OK(fdt_end_node(fdt));
        tree_end();
        FDT_OK(fdt_pack(fdt));
        node = fdt_path_offset(fdt, "/chosen");
        assert_true(node > 0);
        prop = fdt_first_property_offset(fdt, node);
        assert_true(prop > node);
        return prop;
}

/* Cell i of the token at offset off of the structure block. */
static fdt32_t *token_cell(int off, int i)
{
        return (fdt32_t *)((char *)fdt + fdt_off_dt_struct(fdt) + off) + i;
}

/* Builds tree_with_one_property() (the same tree, offsets and sizes every
 * time), sets cell `cell` of that property's token (1: len, 2: nameoff) to
 * value, and expects the walk to stop at the property. */
static void expect_refused_at_property(int cell, uint32_t value)
{
        char want[64];
        int prop = tree_with_one_property();

        *token_cell(prop, cell) = cpu_to_fdt32(value);
        snprintf(want, sizeof(want), "bad FDT structure at offset %d", prop);
        expect_error(want);
}

/* The tokenizer's bounds: a value that would run past the structure block,
 * and a name offset outside the strings block, stop the walk there. */
static void property_past_the_block_is_refused(void **state)
{
        int prop;

        (void)state;
        prop = tree_with_one_property();
        expect_refused_at_property(1, 0xfffffff0);
        /* 1 byte too long: the token's header is 12 bytes */
        expect_refused_at_property(1, fdt_size_dt_struct(fdt) - (uint32_t)prop - 11);
}

static void name_outside_the_strings_is_refused(void **state)
{
        (void)state;
        tree_with_one_property();
        expect_refused_at_property(2, fdt_size_dt_strings(fdt));
}

static void bad_header_is_refused(void **state)
{
        char want[96];

        (void)state;
        memset(fdt, 0, 64);
        snprintf(want, sizeof(want), "bad FDT at %p: FDT_ERR_BADMAGIC", (void *)fdt);
        expect_error(want);
}

static void missing_memory_is_refused(void **state)
{
        (void)state;
        tree_begin();
        tree_end();
        expect_error("no /memory node: FDT_ERR_NOTFOUND");
}

static void bad_memory_reg_is_refused(void **state)
{
        (void)state;
        tree_begin();
        FDT_OK(fdt_begin_node(fdt, "memory"));
        CELLS("reg", 0, 0);
        FDT_OK(fdt_end_node(fdt));
        tree_end();
        expect_error("/memory has no valid reg (length 8)");
}

static void too_many_memory_ranges_are_refused(void **state)
{
        (void)state;
        tree_begin();
        root_cells(1, 1);
        FDT_OK(fdt_begin_node(fdt, "memory"));
        CELLS("reg", 0, 1, 2, 1, 4, 1, 6, 1, 8, 1);
        FDT_OK(fdt_end_node(fdt));
        tree_end();
        expect_error("/memory has more than 4 ranges");
}

static void unsupported_root_cells_are_refused(void **state)
{
        (void)state;
        tree_begin();
        root_cells(3, 2);
        memory_node();
        tree_end();
        expect_error("unsupported root #address-cells 3 / #size-cells 2");
}

static void svirtb_without_reg_is_refused(void **state)
{
        (void)state;
        tree_begin();
        memory_node();
        FDT_OK(fdt_begin_node(fdt, "svirtb@cafe0000"));
        FDT_OK(fdt_property_string(fdt, "compatible", "minivmm,svirtb"));
        CELLS("reg", 0xcafe0000);
        FDT_OK(fdt_end_node(fdt));
        tree_end();
        expect_error("svirtb node has no valid reg");
}

static void virtio_without_reg_is_refused(void **state)
{
        (void)state;
        tree_begin();
        memory_node();
        FDT_OK(fdt_begin_node(fdt, "virtio_mmio@d0000000"));
        FDT_OK(fdt_property_string(fdt, "compatible", "virtio,mmio"));
        FDT_OK(fdt_end_node(fdt));
        tree_end();
        expect_error("virtio,mmio node virtio_mmio@d0000000 has no valid reg");
}

static void more_than_8_virtio_nodes_are_refused(void **state)
{
        (void)state;
        tree_begin();
        memory_node();
        ioapic_node("ioapic@fec00000", 1);
        for (uint32_t i = 0; i < 9; i++)
                virtio_node(0xd0000000 + 0x1000 * i, 5 + i, 1);
        tree_end();
        expect_error("more than 8 virtio,mmio nodes");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(vmm_tree_is_read_whole),
            cmocka_unit_test(vmm_tree_without_devices_or_bootargs),
            cmocka_unit_test(vmm_tree_with_pci_host),
            cmocka_unit_test(memory_found_by_device_type_and_one_cell_sizes),
            cmocka_unit_test(root_cells_default_to_2_and_1),
            cmocka_unit_test(interrupt_parent_inherited_and_ioapic_in_a_bus),
            cmocka_unit_test(interrupt_problems_are_kept_per_device),
            cmocka_unit_test(long_bootargs_are_cut_to_the_buffer),
            cmocka_unit_test(nested_nodes_keep_document_order),
            cmocka_unit_test(deeper_than_16_levels_is_refused),
            cmocka_unit_test(broken_structure_is_refused),
            cmocka_unit_test(property_past_the_block_is_refused),
            cmocka_unit_test(name_outside_the_strings_is_refused),
            cmocka_unit_test(bad_header_is_refused),
            cmocka_unit_test(missing_memory_is_refused),
            cmocka_unit_test(bad_memory_reg_is_refused),
            cmocka_unit_test(too_many_memory_ranges_are_refused),
            cmocka_unit_test(unsupported_root_cells_are_refused),
            cmocka_unit_test(svirtb_without_reg_is_refused),
            cmocka_unit_test(virtio_without_reg_is_refused),
            cmocka_unit_test(more_than_8_virtio_nodes_are_refused),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
