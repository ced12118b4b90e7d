/* bootinfo: the FDT, read once through libfdt. */
#include <libfdt.h>

#include "bootinfo.h"
#include "console.h"

static uint64_t read_cells(const fdt32_t *p, int n)
{
        uint64_t v = 0;

        for (int i = 0; i < n; i++)
                v = (v << 32) | fdt32_to_cpu(p[i]);
        return v;
}

/* A node's #address-cells / #size-cells, or dflt when absent. */
static int cells(const void *fdt, int node, const char *name, int dflt)
{
        const fdt32_t *p;
        int len;

        p = fdt_getprop(fdt, node, name, &len);
        if (!p || len != 4)
                return dflt;
        return (int)fdt32_to_cpu(*p);
}

static int read_memory(struct boot_info *bi, const void *fdt, int ac, int sc, char *err,
                       size_t errlen)
{
        const fdt32_t *reg;
        int node, len, entry;

        node = fdt_path_offset(fdt, "/memory");
        if (node < 0)
                node = fdt_node_offset_by_prop_value(fdt, -1, "device_type", "memory",
                                                     sizeof("memory"));
        if (node < 0) {
                snprintf(err, errlen, "no /memory node: %s", fdt_strerror(node));
                return -1;
        }
        reg = fdt_getprop(fdt, node, "reg", &len);
        entry = (ac + sc) * 4;
        if (!reg || len <= 0 || len % entry) {
                snprintf(err, errlen, "/memory has no valid reg (length %d)", reg ? len : -1);
                return -1;
        }
        for (int off = 0; off < len; off += entry) {
                if (bi->nram == BOOT_MAX_RAM) {
                        snprintf(err, errlen, "/memory has more than %d ranges", BOOT_MAX_RAM);
                        return -1;
                }
                bi->ram[bi->nram].base = read_cells(reg + off / 4, ac);
                bi->ram[bi->nram].size = read_cells(reg + off / 4 + ac, sc);
                bi->nram++;
        }
        return 0;
}

static void read_chosen(struct boot_info *bi, const void *fdt)
{
        const char *args;
        int node, len;

        node = fdt_path_offset(fdt, "/chosen");
        if (node < 0)
                return;
        args = fdt_getprop(fdt, node, "bootargs", &len);
        if (!args || len <= 0)
                return;
        bi->has_bootargs = true;
        if (len > BOOT_BOOTARGS_MAX)
                len = BOOT_BOOTARGS_MAX;
        memcpy(bi->bootargs, args, (size_t)len);
        bi->bootargs[len - 1] = '\0';
}

static int read_svirtb(struct boot_info *bi, const void *fdt, int ac, int sc, char *err,
                       size_t errlen)
{
        const fdt32_t *reg;
        int node, len;

        node = fdt_node_offset_by_compatible(fdt, -1, "minivmm,svirtb");
        if (node < 0)
                return 0;
        reg = fdt_getprop(fdt, node, "reg", &len);
        if (!reg || len < (ac + sc) * 4) {
                snprintf(err, errlen, "svirtb node has no valid reg");
                return -1;
        }
        bi->has_svirtb = true;
        bi->svirtb_base = read_cells(reg, ac);
        bi->svirtb_size = read_cells(reg + ac, sc);
        bi->svirtb_ro = fdt_getprop(fdt, node, "read-only", &len) != NULL;
        return 0;
}

/* A node's interrupt-parent phandle, inherited from its ancestors (DT spec
 * §2.4.1); 0 when there is none. */
static uint32_t interrupt_parent(const void *fdt, int node)
{
        const fdt32_t *p;
        int len;

        for (; node >= 0; node = fdt_parent_offset(fdt, node)) {
                p = fdt_getprop(fdt, node, "interrupt-parent", &len);
                if (p && len == 4)
                        return fdt32_to_cpu(*p);
        }
        return 0;
}

/* One interrupt controller, resolved once: every libfdt call costs
 * milliseconds under the instruction emulator, lookups by phandle and
 * parent walks most. */
struct irq_parent {
        uint32_t phandle; /* 0: nothing resolved yet */
        bool ok;
        uint64_t base;
        char problem[80];
};

/* Node names an IOAPIC usually has (DT spec §2.2.2 generic names). */
static bool ioapic_name(const void *fdt, int node)
{
        const char *n = fdt_get_name(fdt, node, NULL);

        return n && (memcmp(n, "ioapic", 6) == 0 || memcmp(n, "interrupt-controller", 20) == 0);
}

/*
 * The intel,ce4100-ioapic node whose phandle is phandle, and its parent, in
 * one walk (lookups by phandle and fdt_parent_offset each walk the tree
 * again). by_name: look only at nodes named like an IOAPIC, which spares a
 * property search per node. -FDT_ERR_NOTFOUND if there is none.
 */
static int find_ioapic(const void *fdt, uint32_t phandle, bool by_name, int *parent)
{
        int up[8], depth = 0;

        for (int n = 0; n >= 0 && depth >= 0; n = fdt_next_node(fdt, n, &depth)) {
                if (depth < 8)
                        up[depth] = n;
                if (by_name && !ioapic_name(fdt, n))
                        continue;
                if (fdt_node_check_compatible(fdt, n, "intel,ce4100-ioapic") == 0 &&
                    fdt_get_phandle(fdt, n) == phandle) {
                        *parent = depth > 0 && depth <= 8 ? up[depth - 1] : -1;
                        return n;
                }
        }
        return -FDT_ERR_NOTFOUND;
}

static void resolve_ioapic(struct irq_parent *ip, const void *fdt, uint32_t phandle)
{
        const fdt32_t *reg;
        int node, up, len, pac, psc;

        ip->phandle = phandle;
        ip->ok = false;
        node = find_ioapic(fdt, phandle, true, &up);
        if (node < 0)
                node = find_ioapic(fdt, phandle, false, &up);
        if (node < 0) {
                node = fdt_node_offset_by_phandle(fdt, phandle);
                if (node < 0)
                        snprintf(ip->problem, sizeof(ip->problem), "interrupt-parent <%u>: %s",
                                 phandle, fdt_strerror(node));
                else
                        snprintf(ip->problem, sizeof(ip->problem),
                                 "interrupt parent %s is not an intel,ce4100-ioapic",
                                 fdt_get_name(fdt, node, NULL));
                return;
        }
        if (!fdt_getprop(fdt, node, "interrupt-controller", &len) ||
            cells(fdt, node, "#interrupt-cells", -1) != 2) {
                snprintf(ip->problem, sizeof(ip->problem),
                         "IOAPIC is no interrupt-controller with #interrupt-cells 2");
                return;
        }
        pac = cells(fdt, up, "#address-cells", 2);
        psc = cells(fdt, up, "#size-cells", 1);
        reg = fdt_getprop(fdt, node, "reg", &len);
        if (up < 0 || pac < 1 || pac > 2 || psc < 1 || psc > 2 || !reg || len < (pac + psc) * 4) {
                snprintf(ip->problem, sizeof(ip->problem), "IOAPIC node has no valid reg");
                return;
        }
        ip->base = read_cells(reg, pac);
        ip->ok = true;
}

/* Resolves v's interrupts through its parent IOAPIC; a problem is kept in
 * v->irq_problem (only interrupt-driven tests need this). */
static void read_virtio_irq(struct boot_virtio *v, struct irq_parent *ip, const void *fdt, int node)
{
        const fdt32_t *irq;
        uint32_t phandle = interrupt_parent(fdt, node);
        int len;

        if (!phandle) {
                snprintf(v->irq_problem, sizeof(v->irq_problem), "no interrupt-parent");
                return;
        }
        if (phandle != ip->phandle)
                resolve_ioapic(ip, fdt, phandle);
        if (!ip->ok) {
                snprintf(v->irq_problem, sizeof(v->irq_problem), "%s", ip->problem);
                return;
        }
        irq = fdt_getprop(fdt, node, "interrupts", &len);
        if (!irq || len != 8) {
                snprintf(v->irq_problem, sizeof(v->irq_problem),
                         "interrupts is %d bytes, want 2 cells", irq ? len : -1);
                return;
        }
        v->gsi = fdt32_to_cpu(irq[0]);
        v->sense = fdt32_to_cpu(irq[1]);
        v->ioapic_base = ip->base;
        v->has_irq = true;
}

static int read_virtio(struct boot_info *bi, const void *fdt, int ac, int sc, char *err,
                       size_t errlen)
{
        struct irq_parent ip = {0};
        const fdt32_t *reg;
        int node, len;

        for (node = fdt_node_offset_by_compatible(fdt, -1, "virtio,mmio"); node >= 0;
             node = fdt_node_offset_by_compatible(fdt, node, "virtio,mmio")) {
                struct boot_virtio *v;

                if (bi->nvirtio == BOOT_MAX_VIRTIO) {
                        snprintf(err, errlen, "more than %d virtio,mmio nodes", BOOT_MAX_VIRTIO);
                        return -1;
                }
                reg = fdt_getprop(fdt, node, "reg", &len);
                if (!reg || len < (ac + sc) * 4) {
                        snprintf(err, errlen, "virtio,mmio node %s has no valid reg",
                                 fdt_get_name(fdt, node, NULL));
                        return -1;
                }
                v = &bi->virtio[bi->nvirtio++];
                v->base = read_cells(reg, ac);
                v->size = read_cells(reg + ac, sc);
                read_virtio_irq(v, &ip, fdt, node);
        }
        return 0;
}

int boot_info_read(struct boot_info *bi, const void *fdt, char *err, size_t errlen)
{
        int r, ac, sc;

        memset(bi, 0, sizeof(*bi));
        bi->fdt_addr = (uint64_t)(uintptr_t)fdt;
        r = fdt_check_header(fdt);
        if (r) {
                snprintf(err, errlen, "bad FDT at %p: %s", fdt, fdt_strerror(r));
                return -1;
        }
        bi->fdt_size = fdt_totalsize(fdt);
        for (int i = 0; i < fdt_num_mem_rsv(fdt); i++) {
                uint64_t a, s;

                if (fdt_get_mem_rsv(fdt, i, &a, &s) == 0 && a <= bi->fdt_addr &&
                    bi->fdt_addr + bi->fdt_size <= a + s)
                        bi->fdt_reserved = true;
        }
        ac = cells(fdt, 0, "#address-cells", 2);
        sc = cells(fdt, 0, "#size-cells", 1);
        if (ac < 1 || ac > 2 || sc < 1 || sc > 2) {
                snprintf(err, errlen, "unsupported root #address-cells %d / #size-cells %d", ac,
                         sc);
                return -1;
        }
        if (read_memory(bi, fdt, ac, sc, err, errlen))
                return -1;
        read_chosen(bi, fdt);
        if (read_svirtb(bi, fdt, ac, sc, err, errlen))
                return -1;
        return read_virtio(bi, fdt, ac, sc, err, errlen);
}

uint64_t boot_low_ram_end(const struct boot_info *bi)
{
        for (unsigned i = 0; i < bi->nram; i++) {
                if (bi->ram[i].base == 0)
                        return bi->ram[i].size;
        }
        return 0;
}

uint64_t boot_ram_total(const struct boot_info *bi)
{
        uint64_t t = 0;

        for (unsigned i = 0; i < bi->nram; i++)
                t += bi->ram[i].size;
        return t;
}

bool boot_in_ram(const struct boot_info *bi, uint64_t addr, uint64_t len)
{
        for (unsigned i = 0; i < bi->nram; i++) {
                const struct ram_range *r = &bi->ram[i];

                if (addr >= r->base && addr - r->base <= r->size &&
                    len <= r->size - (addr - r->base))
                        return true;
        }
        return false;
}
