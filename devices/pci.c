/*
 * pci: the host bridge and configuration space (contract: pci.h; layout:
 * docs/virtio-pci.md). Every guest-controlled value is bounded before use:
 * the latch by its fields, offsets by PCI_CFG_SIZE, BAR addresses by the
 * windows; loops run over at most 32 functions of 6 BARs.
 */
#include "pci.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "le.h"
#include "trace.h"

static void pci_put16(uint8_t *p, uint16_t v)
{
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
}

static void pci_ones(uint8_t *data, uint32_t len)
{
        memset(data, 0xff, len);
}

static bool pci_is_pow2(uint32_t v)
{
        return v != 0 && (v & (v - 1)) == 0;
}

static uint16_t pci_command(const struct pci_func *f)
{
        return le16_get(&f->cfg[PCI_COMMAND]);
}

/* --- INTx ----------------------------------------------------------------- */

static void pci_update_intx(struct pci_host *h, unsigned dev)
{
        struct pci_func *f = &h->fn[dev];
        bool line = f->intx_pending && !(pci_command(f) & PCI_CMD_INTX_DISABLE);

        if (line == f->intx_line)
                return;
        f->intx_line = line;
        if (h->set_irq != NULL)
                h->set_irq(h->irq_opaque, dev, line);
}

void pci_set_intx(struct pci_host *h, unsigned dev, bool level)
{
        if (dev >= PCI_MAX_DEVS || !h->fn[dev].present)
                return;
        h->fn[dev].intx_pending = level;
        pci_update_intx(h, dev);
}

/* --- BAR decoding ----------------------------------------------------------- */

static bool pci_bar_enabled(const struct pci_func *f, const struct pci_bar *b)
{
        return b->size != 0 && (pci_command(f) & (b->io ? PCI_CMD_IO : PCI_CMD_MEM));
}

static bool pci_ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
        return a < b + blen && b < a + alen; /* all below 2^33: no wrap */
}

/* Why BAR (dev, i) may not map where it is now, or NULL. */
static const char *pci_bar_refusal(const struct pci_host *h, unsigned dev, unsigned i)
{
        const struct pci_bar *b = &h->fn[dev].bar[i];
        const struct pci_window *w = b->io ? &h->io : &h->mem;

        if (b->addr < w->base || b->size > w->size || b->addr - w->base > w->size - b->size)
                return b->io ? "outside the PCI I/O window" : "outside the PCI memory window";
        for (unsigned d = 0; d < PCI_MAX_DEVS; d++) {
                for (unsigned j = 0; j < PCI_NBARS; j++) {
                        const struct pci_bar *o = &h->fn[d].bar[j];

                        if ((d == dev && j == i) || !o->mapped || o->io != b->io)
                                continue;
                        if (pci_ranges_overlap(b->addr, b->size, o->addr, o->size))
                                return "overlaps another mapped BAR";
                }
        }
        return NULL;
}

/*
 * was_at: where the BAR decoded before this change (a mapping is traced only
 * when it moves); moved: the guest just programmed this BAR or its command
 * register, so a refusal is traced even for the same reason as before.
 */
static void pci_try_map(struct pci_host *h, unsigned dev, unsigned i, int64_t was_at, bool moved)
{
        struct pci_func *f = &h->fn[dev];
        struct pci_bar *b = &f->bar[i];
        const char *why;

        if (b->mapped || !pci_bar_enabled(f, b))
                return;
        why = pci_bar_refusal(h, dev, i);
        if (why == NULL) {
                b->mapped = true;
                b->refused = NULL;
                if (was_at != b->addr)
                        TRACE("pci 00:%02x.0 %s: BAR%u %s [0x%" PRIx32 ", +0x%" PRIx32 ") mapped",
                              dev, f->name, i, b->io ? "io" : "mem", b->addr, b->size);
                return;
        }
        if (moved || b->refused != why)
                TRACE("pci 00:%02x.0 %s: BAR%u %s [0x%" PRIx32 ", +0x%" PRIx32 ") refused: %s", dev,
                      f->name, i, b->io ? "io" : "mem", b->addr, b->size, why);
        b->refused = why;
}

/*
 * After a change to dev's BARs or command register: its BARs are decided
 * again, then every enabled BAR not mapped (perhaps shadowed until now).
 */
static void pci_remap(struct pci_host *h, unsigned dev)
{
        struct pci_func *f = &h->fn[dev];
        int64_t was_at[PCI_NBARS];

        for (unsigned i = 0; i < PCI_NBARS; i++) {
                was_at[i] = f->bar[i].mapped ? (int64_t)f->bar[i].addr : -1;
                f->bar[i].mapped = false;
                if (!pci_bar_enabled(f, &f->bar[i]))
                        f->bar[i].refused = NULL;
        }
        for (unsigned i = 0; i < PCI_NBARS; i++)
                pci_try_map(h, dev, i, was_at[i], true);
        for (unsigned d = 0; d < PCI_MAX_DEVS; d++)
                for (unsigned i = 0; i < PCI_NBARS; i++)
                        if (h->fn[d].present)
                                pci_try_map(h, d, i, -1, false);
}

static uint32_t pci_bar_value(const struct pci_bar *b)
{
        if (b->size == 0)
                return 0;
        return b->addr | (b->io ? PCI_BAR_IO : 0);
}

/* Sizing falls out of the mask: all ones reads back ~(size - 1) | type. */
static void pci_bar_write(struct pci_host *h, unsigned dev, unsigned i, uint32_t v)
{
        struct pci_bar *b = &h->fn[dev].bar[i];

        if (b->size == 0)
                return;
        b->addr = v & ~(b->size - 1);
        pci_remap(h, dev);
}

/* --- setup -------------------------------------------------------------------- */

static struct pci_func *pci_claim(struct pci_host *h, unsigned dev, const char *name,
                                  uint16_t vendor, uint16_t device, uint32_t class_rev)
{
        struct pci_func *f;

        if (dev >= PCI_MAX_DEVS || h->fn[dev].present)
                return NULL;
        f = &h->fn[dev];
        memset(f, 0, sizeof(*f));
        f->present = true;
        f->name = name;
        pci_put16(&f->cfg[PCI_VENDOR_ID], vendor);
        pci_put16(&f->cfg[PCI_DEVICE_ID], device);
        le32_put(&f->cfg[PCI_REVISION], class_rev);
        f->wmask[PCI_INTERRUPT_LINE] = 0xff;
        return f;
}

void pci_init(struct pci_host *h, const struct pci_window *io, const struct pci_window *mem,
              uint16_t vendor, uint16_t device, pci_irq_fn set_irq, void *irq_opaque)
{
        memset(h, 0, sizeof(*h));
        h->io = *io;
        h->mem = *mem;
        h->set_irq = set_irq;
        h->irq_opaque = irq_opaque;
        /* Class 06 00 00: host bridge (PCI Code and ID Assignment §D). */
        pci_claim(h, 0, "host-bridge", vendor, device, 0x06000000u);
}

struct pci_func *pci_add(struct pci_host *h, unsigned dev, const char *name, uint16_t vendor,
                         uint16_t device, uint32_t class_rev, pci_bar_fn access, void *opaque)
{
        struct pci_func *f;

        if (dev == 0)
                return NULL;
        f = pci_claim(h, dev, name, vendor, device, class_rev);
        if (f == NULL)
                return NULL;
        f->access = access;
        f->opaque = opaque;
        f->cfg[PCI_INTERRUPT_PIN] = 1; /* INTA# */
        return f;
}

int pci_add_bar(struct pci_func *f, unsigned bar, uint32_t size, bool io)
{
        if (bar >= PCI_NBARS || !pci_is_pow2(size) || size < (io ? 4u : 16u) || (io && size > 256u))
                return -EINVAL;
        f->bar[bar] = (struct pci_bar){.size = size, .io = io};
        return 0;
}

int pci_hook_cfg(struct pci_func *f, uint32_t off, uint32_t len, pci_cfg_fn fn)
{
        if (fn == NULL || off % 4 != 0 || len % 4 != 0 || len == 0 || off < 0x40 ||
            off > PCI_CFG_SIZE || len > PCI_CFG_SIZE - off)
                return -EINVAL;
        f->cfg_hook = fn;
        f->hook_off = off;
        f->hook_len = len;
        return 0;
}

/* --- configuration space ---------------------------------------------------------- */

static uint32_t pci_cfg_dword(const struct pci_func *f, uint32_t reg)
{
        uint16_t status;

        if (reg >= PCI_BAR0 && reg < PCI_BAR0 + 4 * PCI_NBARS)
                return pci_bar_value(&f->bar[(reg - PCI_BAR0) / 4]);
        if (reg == PCI_COMMAND) {
                status = (f->intx_pending ? PCI_STATUS_INTX : 0) |
                         (f->cfg[PCI_CAP_PTR] ? PCI_STATUS_CAP_LIST : 0);
                return pci_command(f) | (uint32_t)status << 16;
        }
        return le32_get(&f->cfg[reg]);
}

static void pci_cfg_write(struct pci_host *h, unsigned dev, uint32_t reg, uint32_t v, uint32_t mask)
{
        struct pci_func *f = &h->fn[dev];
        uint32_t old = pci_cfg_dword(f, reg);
        uint16_t cmd;

        if (reg >= PCI_BAR0 && reg < PCI_BAR0 + 4 * PCI_NBARS) {
                pci_bar_write(h, dev, (reg - PCI_BAR0) / 4, (old & ~mask) | (v & mask));
                return;
        }
        if (reg == PCI_COMMAND) {
                /* Only the enables and Interrupt Disable; status bits are read-only here. */
                if ((mask & 0xffffu) == 0)
                        return;
                cmd = (uint16_t)((old & ~mask) | (v & mask));
                cmd &= PCI_CMD_IO | PCI_CMD_MEM | PCI_CMD_MASTER | PCI_CMD_INTX_DISABLE;
                pci_put16(&f->cfg[PCI_COMMAND], cmd);
                TRACE("pci 00:%02x.0 %s: command <- 0x%04x", dev, f->name, cmd);
                pci_remap(h, dev);
                pci_update_intx(h, dev);
                return;
        }
        for (unsigned i = 0; i < 4; i++) {
                uint8_t m = (uint8_t)(mask >> (8 * i)) & f->wmask[reg + i];

                f->cfg[reg + i] = (uint8_t)((f->cfg[reg + i] & ~m) | ((v >> (8 * i)) & m));
        }
}

void pci_cfg_access(struct pci_host *h, unsigned dev, uint32_t off, uint8_t *data, uint32_t len,
                    bool is_write)
{
        uint32_t reg = off & ~3u, shift = (off & 3u) * 8, v = 0, mask;
        struct pci_func *f;

        if (data == NULL)
                return;
        if ((len != 1 && len != 2 && len != 4) || (off & 3u) + len > 4 || dev >= PCI_MAX_DEVS ||
            !h->fn[dev].present || off >= PCI_CFG_SIZE) {
                /* Enumeration reads absent functions all the time: only misuse is traced. */
                if (dev < PCI_MAX_DEVS && h->fn[dev].present)
                        TRACE("pci 00:%02x.0: %u-byte config %s at 0x%" PRIx32
                              " ignored (bad offset or width)",
                              dev, len, is_write ? "write" : "read", off);
                if (!is_write)
                        pci_ones(data, len);
                return;
        }
        f = &h->fn[dev];
        if (f->cfg_hook != NULL && reg >= f->hook_off && reg - f->hook_off < f->hook_len) {
                f->cfg_hook(f->opaque, off, data, len,
                            is_write); /* whole: the range is dword-aligned */
                return;
        }
        mask = len == 4 ? 0xffffffffu : ((1u << (8 * len)) - 1) << shift;
        if (is_write) {
                for (uint32_t i = 0; i < len; i++)
                        v |= (uint32_t)data[i] << (8 * i);
                pci_cfg_write(h, dev, reg, v << shift, mask);
                return;
        }
        v = pci_cfg_dword(f, reg) >> shift;
        for (uint32_t i = 0; i < len; i++)
                data[i] = (uint8_t)(v >> (8 * i));
}

/* Mechanism #1: the latch names bus 0, a device, function 0 and a register. */
void pci_cfg_io(struct pci_host *h, uint32_t port, uint8_t *data, uint32_t len, bool is_write)
{
        uint32_t l = h->latch, dport;

        if (data == NULL || len == 0 || port >= PCI_CFG_PORTS || len > PCI_CFG_PORTS - port) {
                if (data != NULL && !is_write)
                        pci_ones(data, len);
                return;
        }
        if (port < 4) {
                /* The latch takes whole, aligned 32-bit accesses only. */
                if (port == 0 && len == 4) {
                        if (is_write)
                                h->latch = le32_get(data);
                        else
                                le32_put(data, h->latch);
                } else if (!is_write) {
                        pci_ones(data, len);
                }
                return;
        }
        dport = port - 4;
        if (!(l & PCI_ENABLE_BIT) || (l & PCI_LATCH_RESERVE) || ((l >> 16) & 0xffu) != 0 ||
            ((l >> 8) & 7u) != 0 || dport + len > 4) {
                if (!is_write)
                        pci_ones(data, len);
                return;
        }
        pci_cfg_access(h, (l >> 11) & 0x1fu, (l & 0xfcu) + dport, data, len, is_write);
}

/* --- BAR dispatch ---------------------------------------------------------------- */

static bool pci_bar_dispatch(struct pci_host *h, bool io, uint64_t addr, uint8_t *data,
                             uint32_t len, bool is_write)
{
        if (data == NULL || len == 0 || len > 8)
                return false;
        for (unsigned d = 0; d < PCI_MAX_DEVS; d++) {
                struct pci_func *f = &h->fn[d];

                for (unsigned i = 0; i < PCI_NBARS && f->present; i++) {
                        const struct pci_bar *b = &f->bar[i];

                        if (!b->mapped || b->io != io || addr < b->addr ||
                            addr - b->addr > b->size - len || len > b->size)
                                continue;
                        if (f->access != NULL)
                                f->access(f->opaque, i, addr - b->addr, data, len, is_write);
                        else if (!is_write)
                                pci_ones(data, len);
                        return true;
                }
        }
        return false;
}

const char *pci_bar_window(struct pci_host *h, unsigned dev, unsigned bar, uint64_t off,
                           uint8_t *data, uint32_t len, bool is_write)
{
        struct pci_func *f = dev < PCI_MAX_DEVS ? &h->fn[dev] : NULL;

        if (f == NULL || !f->present || bar >= PCI_NBARS || f->bar[bar].size == 0)
                return "no such BAR";
        if (data == NULL || len == 0 || len > f->bar[bar].size || off > f->bar[bar].size - len)
                return "past the BAR's end";
        if (f->access != NULL)
                f->access(f->opaque, bar, off, data, len, is_write);
        else if (!is_write)
                pci_ones(data, len);
        return NULL;
}

bool pci_mmio(struct pci_host *h, uint64_t addr, uint8_t *data, uint32_t len, bool is_write)
{
        return pci_bar_dispatch(h, false, addr, data, len, is_write);
}

bool pci_pio(struct pci_host *h, uint64_t port, uint8_t *data, uint32_t len, bool is_write)
{
        return pci_bar_dispatch(h, true, port, data, len, is_write);
}

void pci_place_bar(struct pci_host *h, unsigned dev, unsigned bar, uint32_t addr)
{
        if (dev < PCI_MAX_DEVS && h->fn[dev].present && bar < PCI_NBARS)
                pci_bar_write(h, dev, bar, addr);
}

void pci_set_command(struct pci_host *h, unsigned dev, uint16_t cmd)
{
        uint8_t b[2];

        pci_put16(b, cmd);
        pci_cfg_access(h, dev, PCI_COMMAND, b, 2, true);
}
