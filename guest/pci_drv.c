/* pci_drv: PCI enumeration and the virtio-pci transport (contract: pci_drv.h). */
#include <stddef.h>

#include "console.h"
#include "guest.h"
#include "pci_drv.h"
#include "virtio_mmio_drv.h"

#define CFG_ADDR      0xcf8
#define CFG_DATA      0xcfc
#define CFG_ENABLE    0x80000000u
#define GPCI_DEVS     32u
#define VENDOR_VIRTIO GPCI_VENDOR_VIRTIO
#define ID_LEGACY_BLK 0x1001u /* transitional (§4.1.2.3) */
#define ID_MODERN_BLK 0x1042u /* 0x1040 + device type 2 (§4.1.2.1) */
#define GPCI_QUEUES   8u
#define GUEST_4G      0x100000000ULL

/* Header (PCI Local Bus 3.0 §6.1). */
#define P_COMMAND  0x04
#define P_BAR0     0x10
#define P_SUBSYS   0x2c
#define P_CAP_PTR  0x34
#define P_INT_LINE 0x3c
#define CMD_ENABLE 0x0007u /* I/O, memory, bus master */
#define STATUS_CAP 0x0010u

/* Legacy registers in BAR0 (§4.1.4.8). */
#define L_HOST_FEATURES  0x00
#define L_GUEST_FEATURES 0x04
#define L_QUEUE_PFN      0x08
#define L_QUEUE_SIZE     0x0c
#define L_QUEUE_SEL      0x0e
#define L_QUEUE_NOTIFY   0x10
#define L_STATUS         0x12
#define L_ISR            0x13
#define L_CONFIG         0x14

/* Capabilities (§4.1.4) and the common configuration (§4.1.4.3). */
#define CAP_VENDOR 0x09
#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR    3
#define CAP_DEVICE 4
#define C_DFSELECT 0x00
#define C_DF       0x04
#define C_GFSELECT 0x08
#define C_GF       0x0c
#define C_STATUS   0x14
#define C_CFGGEN   0x15
#define C_Q_SELECT 0x16
#define C_Q_SIZE   0x18
#define C_Q_ENABLE 0x1c
#define C_Q_NOFF   0x1e
#define C_Q_DESC   0x20
#define C_Q_DRIVER 0x28
#define C_Q_DEVICE 0x30

struct gpci_fn {
        bool modern;
        uint16_t io;                          /* legacy BAR0 */
        uint64_t common, notify, isr, device; /* modern structures */
        uint32_t mult;                        /* notify_off_multiplier */
        uint16_t noff[GPCI_QUEUES];           /* queue_notify_off of each queue */
        uint32_t device_id;                   /* the virtio device type */
        uint32_t dfsel, gfsel, qsel;          /* selectors the translation keeps */
};

static struct gpci_fn fns[GPCI_DEVS];

static inline uint8_t inb(uint16_t port)
{
        uint8_t v;

        __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
        return v;
}

static inline uint16_t inw(uint16_t port)
{
        uint16_t v;

        __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
        return v;
}

static inline uint32_t inl(uint16_t port)
{
        uint32_t v;

        __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
        return v;
}

static inline void outw(uint16_t port, uint16_t v)
{
        __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t rd8(uint64_t a)
{
        return *(volatile uint8_t *)(uintptr_t)a;
}

static inline uint16_t rd16(uint64_t a)
{
        return *(volatile uint16_t *)(uintptr_t)a;
}

static inline void wr8(uint64_t a, uint8_t v)
{
        *(volatile uint8_t *)(uintptr_t)a = v;
}

static inline void wr16(uint64_t a, uint16_t v)
{
        *(volatile uint16_t *)(uintptr_t)a = v;
}

uint32_t gpci_cfg_read32(unsigned dev, unsigned off)
{
        outl(CFG_ADDR, CFG_ENABLE | (dev & 31u) << 11 | (off & 0xfcu));
        return inl(CFG_DATA);
}

void gpci_cfg_write32(unsigned dev, unsigned off, uint32_t v)
{
        outl(CFG_ADDR, CFG_ENABLE | (dev & 31u) << 11 | (off & 0xfcu));
        outl(CFG_DATA, v);
}

static struct gpci_fn *fn_of(uint64_t base)
{
        return &fns[base & (GPCI_DEVS - 1)];
}

uint64_t gpci_bar_address(unsigned dev, unsigned bar)
{
        uint32_t lo = gpci_cfg_read32(dev, P_BAR0 + 4 * bar);
        uint64_t a;

        if (lo & 1)
                return lo & ~3u;
        a = lo & ~0xfu;
        if ((lo & 6) == 4 && bar < 5)
                a |= (uint64_t)gpci_cfg_read32(dev, P_BAR0 + 4 * (bar + 1)) << 32;
        return a;
}

unsigned gpci_find_cap(unsigned dev, unsigned type)
{
        unsigned at, n;

        if (!((gpci_cfg_read32(dev, P_COMMAND) >> 16) & STATUS_CAP))
                return 0;
        at = gpci_cfg_read32(dev, P_CAP_PTR) & 0xfc;
        for (n = 0; at >= 0x40 && n < 48; n++) { /* a bounded walk: 48 caps fill 192 bytes */
                uint32_t h = gpci_cfg_read32(dev, at);

                if ((h & 0xff) == CAP_VENDOR && h >> 24 == type)
                        return at;
                at = (h >> 8) & 0xfc;
        }
        return 0;
}

/* The four modern structures, from the vendor capabilities; false when one is missing. */
static bool find_caps(unsigned dev, struct gpci_fn *f)
{
        uint64_t *where[] = {[CAP_COMMON] = &f->common,
                             [CAP_NOTIFY] = &f->notify,
                             [CAP_ISR] = &f->isr,
                             [CAP_DEVICE] = &f->device};

        for (unsigned type = CAP_COMMON; type <= CAP_DEVICE; type++) {
                unsigned at = gpci_find_cap(dev, type), bar;
                uint64_t base;

                if (at == 0)
                        return false;
                bar = gpci_cfg_read32(dev, at + 4) & 0xff;
                base = bar < 6 ? gpci_bar_address(dev, bar) : 0;
                if (base == 0 || base + gpci_cfg_read32(dev, at + 8) >= GUEST_4G)
                        return false; /* not placed, or not identity-mapped */
                *where[type] = base + gpci_cfg_read32(dev, at + 8);
                if (type == CAP_NOTIFY)
                        f->mult = gpci_cfg_read32(dev, at + 16);
        }
        return true;
}

static bool probe_fn(unsigned dev, struct gpci_fn *f)
{
        uint32_t id = gpci_cfg_read32(dev, 0);
        uint16_t did = (uint16_t)(id >> 16);

        if ((id & 0xffff) != VENDOR_VIRTIO || (did != ID_LEGACY_BLK && did != ID_MODERN_BLK))
                return false;
        *f = (struct gpci_fn){0};
        f->device_id = did >= 0x1040 ? did - 0x1040u : gpci_cfg_read32(dev, P_SUBSYS) >> 16;
        gpci_cfg_write32(dev, P_COMMAND, CMD_ENABLE);
        f->modern = find_caps(dev, f);
        if (f->modern)
                return true;
        if (did != ID_LEGACY_BLK || !(gpci_cfg_read32(dev, P_BAR0) & 1))
                return false; /* neither interface is usable */
        f->io = (uint16_t)gpci_bar_address(dev, 0);
        return f->io != 0;
}

unsigned gpci_scan(struct boot_info *bi, bool with_irq)
{
        unsigned added = 0;

        for (unsigned dev = 0; dev < GPCI_DEVS && bi->nvirtio < BOOT_MAX_VIRTIO; dev++) {
                struct boot_virtio *v;

                if (!probe_fn(dev, &fns[dev]))
                        continue;
                v = &bi->virtio[bi->nvirtio++];
                *v = (struct boot_virtio){.base = GPCI_BASE(dev)};
                if (with_irq) {
                        v->has_irq = true;
                        v->gsi = gpci_cfg_read32(dev, P_INT_LINE) & 0xff;
                        v->sense = 1; /* level, active high */
                        v->ioapic_base = GPCI_IOAPIC;
                } else {
                        snprintf(v->irq_problem, sizeof(v->irq_problem),
                                 "INTx routing of PCI 00:%02x.0 is the firmware's", dev);
                }
                added++;
        }
        return added;
}

uint64_t gpci_notify_base(uint64_t base)
{
        return fn_of(base)->modern ? fn_of(base)->notify : 0;
}

const char *gpci_describe(uint64_t base, char *buf, unsigned len)
{
        snprintf(buf, len, "pci 00:%02x.0 %s", (unsigned)(base & (GPCI_DEVS - 1)),
                 fn_of(base)->modern ? "modern" : "legacy");
        return buf;
}

/* --- the translation ---------------------------------------------------------- */

static uint32_t legacy_read(struct gpci_fn *f, uint32_t off)
{
        switch (off) {
        case VIO_DEVICE_FEATURES:
                return f->dfsel == 0 ? inl(f->io + L_HOST_FEATURES) : 0;
        case VIO_QUEUE_NUM_MAX:
                return inw(f->io + L_QUEUE_SIZE);
        case VIO_QUEUE_PFN:
                return inl(f->io + L_QUEUE_PFN);
        case VIO_INTERRUPT_STATUS:
                return inb(f->io + L_ISR);
        case VIO_STATUS:
                return inb(f->io + L_STATUS);
        default:
                return 0;
        }
}

static void legacy_write(struct gpci_fn *f, uint32_t off, uint32_t v)
{
        switch (off) {
        case VIO_DEVICE_FEATURES_SEL:
                f->dfsel = v;
                return;
        case VIO_DRIVER_FEATURES_SEL:
                f->gfsel = v;
                return;
        case VIO_DRIVER_FEATURES:
                if (f->gfsel == 0)
                        outl(f->io + L_GUEST_FEATURES, v);
                return;
        case VIO_QUEUE_SEL:
                outw(f->io + L_QUEUE_SEL, (uint16_t)v);
                return;
        case VIO_QUEUE_PFN:
                outl(f->io + L_QUEUE_PFN, v);
                return;
        case VIO_QUEUE_NOTIFY:
                outw(f->io + L_QUEUE_NOTIFY, (uint16_t)v);
                return;
        case VIO_STATUS:
                outb(f->io + L_STATUS, (uint8_t)v);
                return;
        default: /* GuestPageSize, QueueAlign, QueueNum: fixed; InterruptACK: the ISR read */
                return;
        }
}

static uint32_t modern_read(struct gpci_fn *f, uint32_t off)
{
        switch (off) {
        case VIO_DEVICE_FEATURES:
                return mmio_read32(f->common + C_DF);
        case VIO_QUEUE_NUM_MAX:
                return rd16(f->common + C_Q_SIZE); /* the maximum until written */
        case VIO_QUEUE_READY:
                return rd16(f->common + C_Q_ENABLE);
        case VIO_INTERRUPT_STATUS:
                return rd8(f->isr);
        case VIO_STATUS:
                return rd8(f->common + C_STATUS);
        case VIO_CONFIG_GENERATION:
                return rd8(f->common + C_CFGGEN);
        default:
                return 0;
        }
}

static void modern_write(struct gpci_fn *f, uint32_t off, uint32_t v)
{
        static const struct {
                uint32_t vio, common;
        } direct32[] = {
            {VIO_DEVICE_FEATURES_SEL, C_DFSELECT},
            {VIO_DRIVER_FEATURES_SEL, C_GFSELECT},
            {VIO_DRIVER_FEATURES, C_GF},
            {VIO_QUEUE_DESC_LOW, C_Q_DESC},
            {VIO_QUEUE_DESC_HIGH, C_Q_DESC + 4},
            {VIO_QUEUE_DRIVER_LOW, C_Q_DRIVER},
            {VIO_QUEUE_DRIVER_HIGH, C_Q_DRIVER + 4},
            {VIO_QUEUE_DEVICE_LOW, C_Q_DEVICE},
            {VIO_QUEUE_DEVICE_HIGH, C_Q_DEVICE + 4},
        };

        for (size_t i = 0; i < sizeof(direct32) / sizeof(direct32[0]); i++) {
                if (direct32[i].vio == off) {
                        mmio_write32(f->common + direct32[i].common, v);
                        return;
                }
        }
        switch (off) {
        case VIO_QUEUE_SEL:
                f->qsel = v;
                wr16(f->common + C_Q_SELECT, (uint16_t)v);
                return;
        case VIO_QUEUE_NUM:
                wr16(f->common + C_Q_SIZE, (uint16_t)v);
                return;
        case VIO_QUEUE_READY:
                if (v != 0 && f->qsel < GPCI_QUEUES)
                        f->noff[f->qsel] = rd16(f->common + C_Q_NOFF);
                wr16(f->common + C_Q_ENABLE, (uint16_t)v);
                return;
        case VIO_QUEUE_NOTIFY:
                /* §4.1.4.4: queue v at notify + queue_notify_off * multiplier. */
                if (v < GPCI_QUEUES)
                        wr16(f->notify + (uint64_t)f->noff[v] * f->mult, (uint16_t)v);
                return;
        case VIO_STATUS:
                wr8(f->common + C_STATUS, (uint8_t)v);
                return;
        default: /* InterruptACK: reading the ISR acknowledged it */
                return;
        }
}

uint32_t gpci_vio_read(uint64_t base, uint32_t off)
{
        struct gpci_fn *f = fn_of(base);

        switch (off) {
        case VIO_MAGIC_VALUE:
                return VIO_MAGIC;
        case VIO_VERSION:
                return f->modern ? 2 : 1;
        case VIO_DEVICE_ID:
                return f->device_id;
        case VIO_VENDOR_ID:
                return VENDOR_VIRTIO;
        default:
                return f->modern ? modern_read(f, off) : legacy_read(f, off);
        }
}

void gpci_vio_write(uint64_t base, uint32_t off, uint32_t v)
{
        struct gpci_fn *f = fn_of(base);

        if (f->modern)
                modern_write(f, off, v);
        else
                legacy_write(f, off, v);
}

uint8_t gpci_config_read8(uint64_t base, uint32_t off)
{
        struct gpci_fn *f = fn_of(base);

        return f->modern ? rd8(f->device + off) : inb((uint16_t)(f->io + L_CONFIG + off));
}

uint32_t gpci_config_read32(uint64_t base, uint32_t off)
{
        struct gpci_fn *f = fn_of(base);

        return f->modern ? mmio_read32(f->device + off) : inl((uint16_t)(f->io + L_CONFIG + off));
}
