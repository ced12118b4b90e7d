/* pvh: boot information from a PVH start (see pvh.h). */
#include <string.h>

#include "cmdline.h"
#include "console.h"
#include "guest.h"
#include "irq.h"
#include "pvh.h"

struct pvh_memmap_entry {
        uint64_t addr;
        uint64_t size;
        uint32_t type;
        uint32_t reserved;
};

/* Saved by pvh_entry.S before anything else ran. */
extern uint8_t pvh_start_info[56];
extern struct pvh_memmap_entry pvh_memmap[PVH_MEMMAP_MAX];
extern uint32_t pvh_memmap_n;
extern char pvh_cmdline[PVH_CMDLINE_MAX];

static uint32_t rd32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int read_ram(struct boot_info *bi)
{
        uint64_t image = gpa_of(__image_start);

        for (uint32_t i = 0; i < pvh_memmap_n && i < PVH_MEMMAP_MAX; i++) {
                const struct pvh_memmap_entry *m = &pvh_memmap[i];
                uint64_t end = m->addr + m->size;

                if (m->type != PVH_MEMMAP_RAM || end < m->addr || bi->nram == BOOT_MAX_RAM)
                        continue;
                if (m->addr <= image && image < end) {
                        /* Below the image there is only firmware and our stack,
                         * all RAM under QEMU: count low RAM from 0. */
                        bi->ram[bi->nram++] =
                            (struct ram_range){0, end < GUEST_MMIO_START ? end : GUEST_MMIO_START};
                } else if (m->addr >= GUEST_4G) {
                        bi->ram[bi->nram++] = (struct ram_range){m->addr, m->size};
                }
        }
        if (bi->nram && bi->ram[0].base != 0) {
                /* Keep the low range first, as the FDT path does. */
                for (unsigned i = 1; i < bi->nram; i++) {
                        if (bi->ram[i].base == 0) {
                                struct ram_range t = bi->ram[0];

                                bi->ram[0] = bi->ram[i];
                                bi->ram[i] = t;
                        }
                }
        }
        if (!bi->nram || bi->ram[0].base != 0) {
                bi->nram = 0;
                bi->ram[bi->nram++] = (struct ram_range){0, PVH_DEFAULT_RAM};
        }
        return 0;
}

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int read_virtio(struct boot_info *bi, char *err, size_t errlen)
{
        const char *p = bi->bootargs;

        while (*p) {
                uint64_t size, base;
                uint32_t irq;
                int r;

                while (is_space(*p))
                        p++;
                if (!*p)
                        break;
                r = cmdline_virtio_mmio(p, &size, &base, &irq);
                if (r < 0) {
                        const char *e = p;

                        while (*e && !is_space(*e))
                                e++;
                        snprintf(err, errlen, "malformed %.*s", (int)(e - p), p);
                        return -1;
                }
                if (r > 0) {
                        struct boot_virtio *v;

                        if (bi->nvirtio == BOOT_MAX_VIRTIO) {
                                snprintf(err, errlen, "more than %d " VMMIO_PARAM " entries",
                                         BOOT_MAX_VIRTIO);
                                return -1;
                        }
                        v = &bi->virtio[bi->nvirtio++];
                        memset(v, 0, sizeof(*v));
                        v->base = base;
                        v->size = size;
                        if (irq < 2 * PVH_IOAPIC_PINS) {
                                v->has_irq = true;
                                v->ioapic_base = irq < PVH_IOAPIC_PINS ? PVH_IOAPIC0 : PVH_IOAPIC1;
                                v->gsi = irq % PVH_IOAPIC_PINS;
                                v->sense = IOAPIC_SENSE_LEVEL_HIGH;
                        } else {
                                snprintf(v->irq_problem, sizeof(v->irq_problem),
                                         "IRQ %u is beyond the two IOAPICs", irq);
                        }
                }
                while (*p && !is_space(*p))
                        p++;
        }
        return 0;
}

int boot_info_from_pvh(struct boot_info *bi, uint64_t start_info, char *err, size_t errlen)
{
        uint32_t magic = rd32(pvh_start_info);

        memset(bi, 0, sizeof(*bi));
        bi->pvh = true;
        bi->pvh_info = start_info;
        if (magic != PVH_START_MAGIC) {
                snprintf(err, errlen,
                         "PVH start: hvm_start_info at 0x%lx has magic 0x%x, want 0x%x", start_info,
                         magic, PVH_START_MAGIC);
                return -1;
        }
        read_ram(bi);
        /* No FDT: its address stands for the end of the RAM the guest may use. */
        bi->fdt_addr = bi->ram[0].size;
        bi->fdt_size = 0;
        memcpy(bi->bootargs, pvh_cmdline,
               PVH_CMDLINE_MAX < BOOT_BOOTARGS_MAX ? PVH_CMDLINE_MAX : BOOT_BOOTARGS_MAX);
        bi->bootargs[BOOT_BOOTARGS_MAX - 1] = '\0';
        bi->has_bootargs = bi->bootargs[0] != '\0';
        return read_virtio(bi, err, errlen);
}
