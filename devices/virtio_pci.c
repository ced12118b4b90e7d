/*
 * virtio_pci: the virtio-pci layouts over the virtio-mmio register model
 * (contract: virtio_pci.h; layout: docs/virtio-pci.md). Each PCI register
 * is read from the model's state or written through vmmio_access() at the
 * matching virtio-mmio offset, so every rule and trace of virtio_mmio.c
 * applies unchanged (docs/virtio-rules.md).
 */
#include "virtio_pci.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "le.h"
#include "trace.h"

/* --- the register model ---------------------------------------------------- */

static uint32_t vpci_reg_read(struct vpci *v, uint32_t reg)
{
        uint8_t b[4];

        vmmio_access(&v->m, reg, b, 4, false);
        return le32_get(b);
}

static void vpci_reg_write(struct vpci *v, uint32_t reg, uint32_t val)
{
        uint8_t b[4];

        le32_put(b, val);
        vmmio_access(&v->m, reg, b, 4, true);
}

static void vpci_set_irq(void *opaque, bool level)
{
        struct vpci *v = opaque;

        pci_set_intx(v->host, v->dev, level);
}

static void vpci_model_init(struct vpci *v, bool legacy)
{
        if (v->m.line)
                pci_set_intx(v->host, v->dev, false);
        vmmio_init(&v->m, v->m.gm, v->m.ops, v->m.dev, legacy, vpci_set_irq, v);
        snprintf(v->m.name, sizeof(v->m.name), "virtio-pci@00:%02x.0", v->dev & 0x1fu);
}

/*
 * A transitional device follows the interface its driver uses: switching is
 * a reset, allowed only while Status reads 0 (both drivers begin with one).
 */
static bool vpci_mode(struct vpci *v, bool legacy)
{
        if (v->m.legacy == legacy)
                return true;
        if (vpci_reg_read(v, VIRTIO_MMIO_STATUS) != 0) {
                TRACE("%s: %s interface ignored while the %s driver runs", v->m.name,
                      legacy ? "legacy" : "modern", legacy ? "modern" : "legacy");
                return false;
        }
        TRACE("%s: now %s", v->m.name, legacy ? "legacy" : "modern");
        vpci_model_init(v, legacy);
        return true;
}

/* §4.1.4.5: reading the ISR acknowledges it; the INTx line follows. */
static uint32_t vpci_isr_read(struct vpci *v)
{
        uint32_t bits = v->m.interrupt_status;

        if (bits != 0)
                vpci_reg_write(v, VIRTIO_MMIO_INTERRUPT_ACK, bits);
        return bits & 0xffu;
}

static const struct vmmio_queue *vpci_sel_queue(const struct vpci *v)
{
        return v->m.queue_sel < v->m.nq ? &v->m.q[v->m.queue_sel] : NULL;
}

/* Device config through the model's config space (M10 bounds there). */
static void vpci_config(struct vpci *v, uint32_t off, uint8_t *data, uint32_t len, bool is_write)
{
        vmmio_access(&v->m, VIRTIO_MMIO_CONFIG + (uint64_t)off, data, len, is_write);
}

static void vpci_put(uint8_t *data, uint32_t len, uint64_t val)
{
        for (uint32_t i = 0; i < len; i++)
                data[i] = (uint8_t)(val >> (8 * (i % 8)));
}

static uint64_t vpci_get(const uint8_t *data, uint32_t len)
{
        uint64_t val = 0;

        for (uint32_t i = 0; i < len && i < 8; i++)
                val |= (uint64_t)data[i] << (8 * i);
        return val;
}

/* An access the transport does not serve: reads 0, writes nothing, traced. */
static void vpci_ignore(const struct vpci *v, const char *where, uint64_t off, uint8_t *data,
                        uint32_t len, bool is_write)
{
        TRACE("%s: ignored %u-byte %s %s at 0x%" PRIx64, v->m.name, len, where,
              is_write ? "write" : "read", off);
        if (!is_write)
                memset(data, 0, len);
}

/* A register of natural width w (0: none) at off, through rd and wr; other widths ignored. */
static void vpci_reg_access(struct vpci *v, const char *where, uint64_t off, uint32_t w,
                            uint8_t *data, uint32_t len, bool is_write,
                            uint32_t (*rd)(struct vpci *, uint64_t),
                            void (*wr)(struct vpci *, uint64_t, uint32_t))
{
        if (w == 0 || w != len)
                vpci_ignore(v, where, off, data, len, is_write);
        else if (is_write)
                wr(v, off, (uint32_t)vpci_get(data, len));
        else
                vpci_put(data, len, rd(v, off));
}

/* --- legacy registers (§4.1.4.8) ------------------------------------------ */

static uint32_t vpci_legacy_width(uint64_t off)
{
        switch (off) {
        case VIRTIO_PCI_HOST_FEATURES:
        case VIRTIO_PCI_GUEST_FEATURES:
        case VIRTIO_PCI_QUEUE_PFN:
                return 4;
        case VIRTIO_PCI_QUEUE_NUM:
        case VIRTIO_PCI_QUEUE_SEL:
        case VIRTIO_PCI_QUEUE_NOTIFY:
                return 2;
        case VIRTIO_PCI_STATUS:
        case VIRTIO_PCI_ISR:
                return 1;
        default:
                return 0;
        }
}

static uint32_t vpci_legacy_read(struct vpci *v, uint64_t off)
{
        switch (off) {
        case VIRTIO_PCI_HOST_FEATURES:
                return (uint32_t)v->m.offered;
        case VIRTIO_PCI_GUEST_FEATURES:
                return (uint32_t)v->m.driver_features;
        case VIRTIO_PCI_QUEUE_PFN:
                return vpci_reg_read(v, VIRTIO_MMIO_QUEUE_PFN);
        case VIRTIO_PCI_QUEUE_NUM:
                return vpci_reg_read(v, VIRTIO_MMIO_QUEUE_NUM_MAX);
        case VIRTIO_PCI_QUEUE_SEL:
                return v->m.queue_sel & 0xffffu;
        case VIRTIO_PCI_STATUS:
                return vpci_reg_read(v, VIRTIO_MMIO_STATUS);
        case VIRTIO_PCI_ISR:
                return vpci_isr_read(v);
        default: /* QUEUE_NOTIFY */
                return 0;
        }
}

static void vpci_legacy_write(struct vpci *v, uint64_t off, uint32_t val)
{
        switch (off) {
        case VIRTIO_PCI_GUEST_FEATURES:
                vpci_reg_write(v, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
                vpci_reg_write(v, VIRTIO_MMIO_DRIVER_FEATURES, val);
                return;
        case VIRTIO_PCI_QUEUE_PFN:
                vpci_reg_write(v, VIRTIO_MMIO_QUEUE_PFN, val);
                return;
        case VIRTIO_PCI_QUEUE_SEL:
                vpci_reg_write(v, VIRTIO_MMIO_QUEUE_SEL, val);
                return;
        case VIRTIO_PCI_QUEUE_NOTIFY:
                vpci_reg_write(v, VIRTIO_MMIO_QUEUE_NOTIFY, val);
                return;
        case VIRTIO_PCI_STATUS:
                vpci_reg_write(v, VIRTIO_MMIO_STATUS, val);
                return;
        default: /* HOST_FEATURES, QUEUE_NUM, ISR: read-only */
                TRACE("%s: ignored write to read-only legacy register 0x%" PRIx64, v->m.name, off);
                return;
        }
}

static void vpci_legacy_access(struct vpci *v, uint64_t off, uint8_t *data, uint32_t len,
                               bool is_write)
{
        if (!vpci_mode(v, true)) {
                if (!is_write)
                        memset(data, 0, len);
                return;
        }
        if (off >= VPCI_L_CONFIG) {
                vpci_config(v, (uint32_t)(off - VPCI_L_CONFIG), data, len, is_write);
                return;
        }
        vpci_reg_access(v, "legacy", off, vpci_legacy_width(off), data, len, is_write,
                        vpci_legacy_read, vpci_legacy_write);
}

/* --- modern common configuration (§4.1.4.3) -------------------------------- */

static uint32_t vpci_common_width(uint64_t off)
{
        switch (off) {
        case VIRTIO_PCI_COMMON_STATUS:
        case VIRTIO_PCI_COMMON_CFGGENERATION:
                return 1;
        case VIRTIO_PCI_COMMON_MSIX:
        case VIRTIO_PCI_COMMON_NUMQ:
        case VIRTIO_PCI_COMMON_Q_SELECT:
        case VIRTIO_PCI_COMMON_Q_SIZE:
        case VIRTIO_PCI_COMMON_Q_MSIX:
        case VIRTIO_PCI_COMMON_Q_ENABLE:
        case VIRTIO_PCI_COMMON_Q_NOFF:
                return 2;
        default:
                return off < VPCI_COMMON_LEN && off % 4 == 0 ? 4 : 0;
        }
}

/* The virtio-mmio twin of a queue address half at off (0x20..0x37). */
static uint32_t vpci_addr_reg(uint64_t off)
{
        static const uint32_t regs[] = {
            VIRTIO_MMIO_QUEUE_DESC_LOW,   VIRTIO_MMIO_QUEUE_DESC_HIGH, VIRTIO_MMIO_QUEUE_AVAIL_LOW,
            VIRTIO_MMIO_QUEUE_AVAIL_HIGH, VIRTIO_MMIO_QUEUE_USED_LOW,  VIRTIO_MMIO_QUEUE_USED_HIGH,
        };

        return regs[(off - VIRTIO_PCI_COMMON_Q_DESCLO) / 4];
}

static uint32_t vpci_addr_read(const struct vpci *v, uint64_t off)
{
        const struct vmmio_queue *q = vpci_sel_queue(v);
        uint64_t idx = (off - VIRTIO_PCI_COMMON_Q_DESCLO) / 4, a;

        if (q == NULL)
                return 0;
        a = idx < 2 ? q->desc : idx < 4 ? q->driver : q->device;
        return (uint32_t)(a >> (32 * (idx % 2)));
}

static uint32_t vpci_common_read(struct vpci *v, uint64_t off)
{
        const struct vmmio_queue *q = vpci_sel_queue(v);

        switch (off) {
        case VIRTIO_PCI_COMMON_DFSELECT:
                return v->m.dev_features_sel;
        case VIRTIO_PCI_COMMON_DF:
                return vpci_reg_read(v, VIRTIO_MMIO_DEVICE_FEATURES);
        case VIRTIO_PCI_COMMON_GFSELECT:
                return v->m.drv_features_sel;
        case VIRTIO_PCI_COMMON_GF:
                if (v->m.drv_features_sel > 1)
                        return 0;
                return (uint32_t)(v->m.driver_features >> (32 * v->m.drv_features_sel));
        case VIRTIO_PCI_COMMON_MSIX:
        case VIRTIO_PCI_COMMON_Q_MSIX:
                return VPCI_NO_VECTOR;
        case VIRTIO_PCI_COMMON_NUMQ:
                return v->m.nq;
        case VIRTIO_PCI_COMMON_STATUS:
                return vpci_reg_read(v, VIRTIO_MMIO_STATUS);
        case VIRTIO_PCI_COMMON_CFGGENERATION:
                return vpci_reg_read(v, VIRTIO_MMIO_CONFIG_GENERATION) & 0xffu;
        case VIRTIO_PCI_COMMON_Q_SELECT:
                return v->m.queue_sel & 0xffffu;
        case VIRTIO_PCI_COMMON_Q_SIZE:
                return q ? q->num & 0xffffu : 0; /* 0: no such queue */
        case VIRTIO_PCI_COMMON_Q_ENABLE:
                return vpci_reg_read(v, VIRTIO_MMIO_QUEUE_READY);
        case VIRTIO_PCI_COMMON_Q_NOFF:
                return q ? v->m.queue_sel : 0;
        default:
                return vpci_addr_read(v, off);
        }
}

static void vpci_common_write(struct vpci *v, uint64_t off, uint32_t val)
{
        switch (off) {
        case VIRTIO_PCI_COMMON_DFSELECT:
                vpci_reg_write(v, VIRTIO_MMIO_DEVICE_FEATURES_SEL, val);
                return;
        case VIRTIO_PCI_COMMON_GFSELECT:
                vpci_reg_write(v, VIRTIO_MMIO_DRIVER_FEATURES_SEL, val);
                return;
        case VIRTIO_PCI_COMMON_GF:
                vpci_reg_write(v, VIRTIO_MMIO_DRIVER_FEATURES, val);
                return;
        case VIRTIO_PCI_COMMON_STATUS:
                vpci_reg_write(v, VIRTIO_MMIO_STATUS, val);
                return;
        case VIRTIO_PCI_COMMON_Q_SELECT:
                vpci_reg_write(v, VIRTIO_MMIO_QUEUE_SEL, val);
                return;
        case VIRTIO_PCI_COMMON_Q_SIZE:
                vpci_reg_write(v, VIRTIO_MMIO_QUEUE_NUM, val);
                return;
        case VIRTIO_PCI_COMMON_Q_ENABLE:
                vpci_reg_write(v, VIRTIO_MMIO_QUEUE_READY, val);
                return;
        case VIRTIO_PCI_COMMON_DF:
        case VIRTIO_PCI_COMMON_MSIX:
        case VIRTIO_PCI_COMMON_NUMQ:
        case VIRTIO_PCI_COMMON_CFGGENERATION:
        case VIRTIO_PCI_COMMON_Q_MSIX:
        case VIRTIO_PCI_COMMON_Q_NOFF:
                /* Read-only, or MSI-X, which is not implemented: vectors stay NO_VECTOR. */
                TRACE("%s: ignored write 0x%" PRIx32 " to common 0x%" PRIx64, v->m.name, val, off);
                return;
        default:
                vpci_reg_write(v, vpci_addr_reg(off), val);
                return;
        }
}

static void vpci_common_access(struct vpci *v, uint64_t off, uint8_t *data, uint32_t len,
                               bool is_write)
{
        uint32_t w = vpci_common_width(off);

        /* A 64-bit queue address in one access: its two halves in order. */
        if (len == 8 && w == 4 && off >= VIRTIO_PCI_COMMON_Q_DESCLO && off % 8 == 0) {
                vpci_common_access(v, off, data, 4, is_write);
                vpci_common_access(v, off + 4, data + 4, 4, is_write);
                return;
        }
        vpci_reg_access(v, "common", off, w, data, len, is_write, vpci_common_read,
                        vpci_common_write);
}

/* --- BAR1: the four structures, one 4 KiB page each ---------------------------- */

static void vpci_notify_access(struct vpci *v, uint64_t off, uint8_t *data, uint32_t len,
                               bool is_write)
{
        /* §4.1.4.4: the address names the queue; the value written is not looked at. */
        if (!is_write) {
                memset(data, 0, len);
                return;
        }
        if (off % VPCI_NOTIFY_MULT != 0 || (len != 2 && len != 4)) {
                TRACE("%s: ignored %u-byte notify at 0x%" PRIx64, v->m.name, len, off);
                return;
        }
        vpci_reg_write(v, VIRTIO_MMIO_QUEUE_NOTIFY, (uint32_t)(off / VPCI_NOTIFY_MULT));
}

static void vpci_modern_access(struct vpci *v, uint64_t off, uint8_t *data, uint32_t len,
                               bool is_write)
{
        uint64_t page = off / 0x1000, in = off % 0x1000;

        if (!vpci_mode(v, false) || len > 0x1000 - in) {
                if (!is_write)
                        memset(data, 0, len);
                return;
        }
        switch (page * 0x1000) {
        case VPCI_COMMON_OFF:
                vpci_common_access(v, in, data, len, is_write);
                return;
        case VPCI_ISR_OFF:
                if (!is_write && in == 0 && len == 1) {
                        data[0] = (uint8_t)vpci_isr_read(v);
                        return;
                }
                break;
        case VPCI_DEVICE_OFF:
                vpci_config(v, (uint32_t)in, data, len, is_write);
                return;
        case VPCI_NOTIFY_OFF:
                vpci_notify_access(v, in, data, len, is_write);
                return;
        default:
                break;
        }
        vpci_ignore(v, "BAR1", off, data, len, is_write);
}

static void vpci_bar_access(void *opaque, unsigned bar, uint64_t off, uint8_t *data, uint32_t len,
                            bool is_write)
{
        struct vpci *v = opaque;

        if (bar == VPCI_LEGACY_BAR)
                vpci_legacy_access(v, off, data, len, is_write);
        else if (bar == VPCI_MODERN_BAR && v->modern)
                vpci_modern_access(v, off, data, len, is_write);
        else if (!is_write)
                memset(data, 0, len);
}

bool vpci_notify_queue(struct vpci *v, uint32_t q)
{
        return vmmio_notify_queue(&v->m, q);
}

/* --- configuration space: IDs and the vendor capabilities (§4.1.2, §4.1.4) ------- */

/*
 * §4.1.4.9: pci_cfg_data is a window on BAR cap.bar, cap.length bytes at
 * cap.offset: a write stores the driver's bytes, then writes the first
 * cap.length of them there; a read reads cap.length bytes into it first. A
 * length other than 1, 2 or 4, an offset not a multiple of it, a BAR the
 * function lacks or a range past its end: no access, reads VPCI_WINDOW_FAIL.
 */
static void vpci_cfg_window(void *opaque, uint32_t off, uint8_t *data, uint32_t len, bool is_write)
{
        struct vpci *v = opaque;
        uint8_t *cap = &v->host->fn[v->dev].cfg[v->cfg_cap], *win = cap + VPCI_CFG_DATA;
        uint32_t bar = cap[VIRTIO_PCI_CAP_BAR], at = le32_get(&cap[VIRTIO_PCI_CAP_OFFSET]);
        uint32_t n = le32_get(&cap[VIRTIO_PCI_CAP_LENGTH]), in = off - (v->cfg_cap + VPCI_CFG_DATA);
        const char *why = NULL;

        if (is_write)
                memcpy(win + in, data, len);
        if (n != 1 && n != 2 && n != 4)
                why = "length not 1, 2 or 4";
        else if (at % n != 0)
                why = "offset not a multiple of the length";
        else
                why = pci_bar_window(v->host, v->dev, bar, at, win, n, is_write);
        if (why != NULL) {
                TRACE("%s: PCI_CFG %s of %" PRIu32 " bytes at BAR%" PRIu32 " 0x%" PRIx32
                      " refused: %s",
                      v->m.name, is_write ? "write" : "read", n, bar, at, why);
                if (!is_write)
                        memset(data, VPCI_WINDOW_FAIL, len);
                return;
        }
        if (!is_write)
                memcpy(data, win + in, len);
}

static uint8_t vpci_add_cap(uint8_t *cfg, uint8_t at, bool last, uint8_t type, uint32_t off,
                            uint32_t len)
{
        uint8_t cap_len = type == VIRTIO_PCI_CAP_NOTIFY_CFG ? 20
                          : type == VIRTIO_PCI_CAP_PCI_CFG  ? VPCI_CFG_CAP_LEN
                                                            : 16;

        cfg[at + VIRTIO_PCI_CAP_VNDR] = 0x09; /* vendor-specific */
        cfg[at + VIRTIO_PCI_CAP_NEXT] = last ? 0 : (uint8_t)(at + cap_len);
        cfg[at + VIRTIO_PCI_CAP_LEN] = cap_len;
        cfg[at + VIRTIO_PCI_CAP_CFG_TYPE] = type;
        cfg[at + VIRTIO_PCI_CAP_BAR] = VPCI_MODERN_BAR;
        le32_put(&cfg[at + VIRTIO_PCI_CAP_OFFSET], off);
        le32_put(&cfg[at + VIRTIO_PCI_CAP_LENGTH], len);
        if (type == VIRTIO_PCI_CAP_NOTIFY_CFG)
                le32_put(&cfg[at + VIRTIO_PCI_NOTIFY_CAP_MULT], VPCI_NOTIFY_MULT);
        return (uint8_t)(at + cap_len);
}

static void vpci_add_caps(struct vpci *v, struct pci_func *f)
{
        uint8_t at = VPCI_CAP_FIRST;

        f->cfg[PCI_CAP_PTR] = VPCI_CAP_FIRST;
        at = vpci_add_cap(f->cfg, at, false, VIRTIO_PCI_CAP_COMMON_CFG, VPCI_COMMON_OFF,
                          VPCI_COMMON_LEN);
        at = vpci_add_cap(f->cfg, at, false, VIRTIO_PCI_CAP_NOTIFY_CFG, VPCI_NOTIFY_OFF,
                          VPCI_NOTIFY_MULT * v->m.nq);
        at = vpci_add_cap(f->cfg, at, false, VIRTIO_PCI_CAP_ISR_CFG, VPCI_ISR_OFF, VPCI_ISR_LEN);
        at = vpci_add_cap(f->cfg, at, false, VIRTIO_PCI_CAP_DEVICE_CFG, VPCI_DEVICE_OFF,
                          v->m.ops->config_size);
        /* PCI_CFG: closed (length 0) until the driver writes bar, offset and length. */
        v->cfg_cap = at;
        vpci_add_cap(f->cfg, at, true, VIRTIO_PCI_CAP_PCI_CFG, 0, 0);
        memset(&f->wmask[at + VIRTIO_PCI_CAP_BAR], 0xff, 1);
        memset(&f->wmask[at + VIRTIO_PCI_CAP_OFFSET], 0xff, 8); /* offset and length */
        pci_hook_cfg(f, at + VPCI_CFG_DATA, 4, vpci_cfg_window);
}

int vpci_init(struct vpci *v, struct pci_host *host, unsigned dev, const struct gmem *gm,
              const struct virtio_dev_ops *ops, void *devp, bool modern)
{
        struct pci_func *f;

        memset(v, 0, sizeof(*v));
        if (ops->config_size > VPCI_LEGACY_BAR_SIZE - VPCI_L_CONFIG)
                return -EINVAL; /* the legacy BAR holds the whole config (and BAR1's page does) */
        v->host = host;
        v->dev = dev;
        v->modern = modern;
        /* §4.1.2.1: transitional IDs, revision 0; class 01 00 00 (storage), as QEMU's. */
        f = pci_add(host, dev, ops->name, VPCI_VENDOR,
                    (uint16_t)(VPCI_DEVICE_LEGACY + ops->device_id - 1), 0x01000000u,
                    vpci_bar_access, v);
        if (f == NULL)
                return -EINVAL;
        f->cfg[PCI_SUBSYS_VENDOR] = (uint8_t)VPCI_VENDOR;
        f->cfg[PCI_SUBSYS_VENDOR + 1] = (uint8_t)(VPCI_VENDOR >> 8);
        f->cfg[PCI_SUBSYS_ID] = (uint8_t)ops->device_id;
        f->cfg[PCI_SUBSYS_ID + 1] = (uint8_t)(ops->device_id >> 8);
        pci_add_bar(f, VPCI_LEGACY_BAR, VPCI_LEGACY_BAR_SIZE, true);
        v->m.gm = gm; /* what vpci_model_init hands vmmio_init */
        v->m.ops = ops;
        v->m.dev = devp;
        vpci_model_init(v, !modern);
        if (modern) {
                pci_add_bar(f, VPCI_MODERN_BAR, VPCI_MODERN_BAR_SIZE, false);
                vpci_add_caps(v, f);
        }
        return 0;
}
