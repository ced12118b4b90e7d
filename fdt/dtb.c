/* dtb: see dtb.h. Each helper returns 0 or a negative libfdt error. */
#include "dtb.h"

#include <libfdt.h>
#include <stdio.h>

/* Appends (addr, size) as two 64-bit cells pairs. */
static int dtb_reg(void *fdt, const uint64_t *base, const uint64_t *size, unsigned n)
{
        fdt64_t cells[2 * DTB_MAX_MEM];

        for (unsigned i = 0; i < n; i++) {
                cells[2 * i] = cpu_to_fdt64(base[i]);
                cells[2 * i + 1] = cpu_to_fdt64(size[i]);
        }
        return fdt_property(fdt, "reg", cells, (int)(n * 2 * sizeof(fdt64_t)));
}

static int dtb_memory(void *fdt, const struct dtb_machine *m)
{
        char name[32];
        int err;

        snprintf(name, sizeof(name), "memory@%llx", (unsigned long long)m->mem_base[0]);
        if ((err = fdt_begin_node(fdt, name)) ||
            (err = fdt_property_string(fdt, "device_type", "memory")) ||
            (err = dtb_reg(fdt, m->mem_base, m->mem_size, m->nmem)))
                return err;
        return fdt_end_node(fdt);
}

static int dtb_svirtb(void *fdt, const struct dtb_machine *m)
{
        char name[32];
        int err;

        snprintf(name, sizeof(name), "svirtb@%llx", (unsigned long long)m->svirtb_base);
        if ((err = fdt_begin_node(fdt, name)) ||
            (err = fdt_property_string(fdt, "compatible", "minivmm,svirtb")) ||
            (err = dtb_reg(fdt, &m->svirtb_base, &m->svirtb_size, 1)))
                return err;
        if (m->svirtb_ro && (err = fdt_property(fdt, "read-only", NULL, 0)))
                return err;
        return fdt_end_node(fdt);
}

static int dtb_ioapic(void *fdt)
{
        char name[32];
        uint64_t base = DTB_IOAPIC_BASE, size = 0x1000;
        int err;

        snprintf(name, sizeof(name), "ioapic@%llx", DTB_IOAPIC_BASE);
        if ((err = fdt_begin_node(fdt, name)) ||
            (err = fdt_property_string(fdt, "compatible", "intel,ce4100-ioapic")) ||
            (err = dtb_reg(fdt, &base, &size, 1)) ||
            (err = fdt_property(fdt, "interrupt-controller", NULL, 0)) ||
            (err = fdt_property_u32(fdt, "#interrupt-cells", 2)) ||
            (err = fdt_property_u32(fdt, "phandle", DTB_IOAPIC_PHANDLE)))
                return err;
        return fdt_end_node(fdt);
}

static int dtb_virtio(void *fdt, const struct dtb_virtio *v)
{
        char name[40];
        fdt32_t irq[2] = {cpu_to_fdt32(v->gsi), cpu_to_fdt32(DTB_IRQ_LEVEL_HIGH)};
        int err;

        snprintf(name, sizeof(name), "virtio_mmio@%llx", (unsigned long long)v->base);
        if ((err = fdt_begin_node(fdt, name)) ||
            (err = fdt_property_string(fdt, "compatible", "virtio,mmio")) ||
            (err = dtb_reg(fdt, &v->base, &v->size, 1)) ||
            (err = fdt_property(fdt, "interrupts", irq, sizeof(irq))) ||
            (err = fdt_property_u32(fdt, "interrupt-parent", DTB_IOAPIC_PHANDLE)))
                return err;
        return fdt_end_node(fdt);
}

/* One ranges entry: PCI space code, the window, identity-mapped. */
static void dtb_pci_range(fdt32_t *c, uint32_t space, uint32_t base, uint32_t size)
{
        const uint32_t v[7] = {space, 0, base, 0, base, 0, size};

        for (unsigned i = 0; i < 7; i++)
                c[i] = cpu_to_fdt32(v[i]);
}

static int dtb_pci(void *fdt, const struct dtb_machine *m)
{
        fdt32_t ranges[14], mask[4], map[DTB_MAX_VIRTIO * 7];
        const uint32_t mask_v[4] = {0xf800, 0, 0, 7}, bus[2] = {0, 0};
        fdt32_t bus_range[2] = {cpu_to_fdt32(bus[0]), cpu_to_fdt32(bus[1])};
        int err;

        dtb_pci_range(ranges, 0x01000000, m->pci_io_base, m->pci_io_size);
        dtb_pci_range(ranges + 7, 0x02000000, m->pci_mem_base, m->pci_mem_size);
        for (unsigned i = 0; i < 4; i++)
                mask[i] = cpu_to_fdt32(mask_v[i]);
        for (unsigned i = 0; i < m->npci; i++) {
                const uint32_t e[7] = {
                    m->pci[i].dev << 11, 0, 0, 1, DTB_IOAPIC_PHANDLE, m->pci[i].gsi,
                    DTB_IRQ_LEVEL_HIGH};

                for (unsigned j = 0; j < 7; j++)
                        map[7 * i + j] = cpu_to_fdt32(e[j]);
        }
        if ((err = fdt_begin_node(fdt, "pci")) ||
            (err = fdt_property_string(fdt, "compatible", "minivmm,pci-cf8")) ||
            (err = fdt_property_string(fdt, "device_type", "pci")) ||
            (err = fdt_property_u32(fdt, "#address-cells", 3)) ||
            (err = fdt_property_u32(fdt, "#size-cells", 2)) ||
            (err = fdt_property_u32(fdt, "#interrupt-cells", 1)) ||
            (err = fdt_property(fdt, "bus-range", bus_range, sizeof(bus_range))) ||
            (err = fdt_property(fdt, "ranges", ranges, sizeof(ranges))) ||
            (err = fdt_property(fdt, "interrupt-map-mask", mask, sizeof(mask))) ||
            (err = fdt_property(fdt, "interrupt-map", map, sizeof(map[0]) * 7 * m->npci)))
                return err;
        return fdt_end_node(fdt);
}

int dtb_build(void *buf, size_t size, const struct dtb_machine *m)
{
        int err;

        if (m->nmem == 0 || m->nmem > DTB_MAX_MEM || m->nvirtio > DTB_MAX_VIRTIO ||
            m->npci > DTB_MAX_VIRTIO)
                return -FDT_ERR_BADVALUE;
        if ((err = fdt_create(buf, (int)size)) ||
            (err = fdt_add_reservemap_entry(buf, m->self_base, m->self_size)) ||
            (err = fdt_finish_reservemap(buf)) || (err = fdt_begin_node(buf, "")) ||
            (err = fdt_property_u32(buf, "#address-cells", 2)) ||
            (err = fdt_property_u32(buf, "#size-cells", 2)) ||
            (err = fdt_property_string(buf, "compatible", "minivmm,virt")) ||
            (err = fdt_property_string(buf, "model", "minivmm")))
                return err;
        if ((err = fdt_begin_node(buf, "chosen")) ||
            (err = fdt_property_string(buf, "bootargs", m->bootargs ? m->bootargs : "")) ||
            (err = fdt_end_node(buf)))
                return err;
        if ((err = dtb_memory(buf, m)))
                return err;
        if (m->svirtb && (err = dtb_svirtb(buf, m)))
                return err;
        if ((err = dtb_ioapic(buf)))
                return err;
        for (unsigned i = 0; i < m->nvirtio; i++) {
                if ((err = dtb_virtio(buf, &m->virtio[i])))
                        return err;
        }
        if (m->npci && (err = dtb_pci(buf, m)))
                return err;
        if ((err = fdt_end_node(buf)))
                return err;
        return fdt_finish(buf);
}
