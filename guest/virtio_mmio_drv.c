/* virtio_mmio_drv: the driver side of the virtio-mmio transport (virtio 1.2 §4.2). */
#include <string.h>

#include "console.h"
#include "guest.h"
#include "irq.h"
#include "pci_drv.h"
#include "virtio_mmio_drv.h"

#define RESET_READS      1000   /* Status reads while waiting for a reset to finish */
#define CONFIG_RETRIES   16     /* config reads while ConfigGeneration moves */
#define POLL_SPINS       16     /* used->idx checks between two Status reads */
#define POLL_ROUNDS      100000 /* Status reads (exits) before polling gives up */
#define IRQ_WATCHDOG_MS  10000
#define LOW32(v)         ((uint32_t)(v))
#define HIGH32(v)        ((uint32_t)((uint64_t)(v) >> 32))
#define VIO_F_LEGACY_MAX 0xffffffffULL /* version 1 has one 32-bit feature word */

static const char *const names[] = {
    [VIO_OK] = "OK",
    [VIO_ERR_NOT_A_VIRTIO_DEVICE] = "NotAVirtIODevice",
    [VIO_ERR_INVALID_VERSION] = "InvalidVersion",
    [VIO_ERR_NO_DEVICE] = "NoDevice",
    [VIO_ERR_INCOMPATIBLE_DEVICE_TYPE] = "IncompatibleDeviceType",
    [VIO_ERR_FEATURE_NEGOTIATION_FAILED] = "FeatureNegotiationFailed",
    [VIO_ERR_QUEUE_NOT_AVAILABLE] = "VirtqueueNotAvailable",
    [VIO_ERR_QUEUE_IN_USE] = "VirtqueueInUse",
    [VIO_ERR_QUEUE_MEMORY] = "VirtqueueMemory",
    [VIO_ERR_RESET_FAILED] = "ResetFailed",
    [VIO_ERR_STATUS] = "StatusNotAccepted",
    [VIO_ERR_NEEDS_RESET] = "DeviceNeedsReset",
    [VIO_ERR_CONFIG_UNSTABLE] = "ConfigUnstable",
    [VIO_ERR_QUEUE_FULL] = "QueueFull",
    [VIO_ERR_BAD_CHAIN] = "BadChain",
    [VIO_ERR_BAD_USED] = "BadUsedElement",
    [VIO_ERR_USED_OVERRUN] = "UsedIndexOverrun",
    [VIO_ERR_TIMEOUT] = "Timeout",
    [VIO_ERR_NO_INTERRUPT] = "NoInterrupt",
    [VIO_ERR_IRQ_SETUP] = "InterruptSetup",
    [VIO_ERR_NOT_LIVE] = "NotLive",
};

const char *gvio_err_name(enum gvio_err e)
{
        if ((unsigned)e < sizeof(names) / sizeof(names[0]) && names[e])
                return names[e];
        return "UnknownError";
}

const char *gvio_strerror(const struct gvio_dev *d, char *buf, size_t len)
{
        const struct gvio_error *e = &d->err;
        const char *n = gvio_err_name(e->code);

        switch (e->code) {
        case VIO_ERR_NOT_A_VIRTIO_DEVICE:
                snprintf(buf, len, "%s(magic 0x%lx)", n, e->value);
                break;
        case VIO_ERR_INVALID_VERSION:
        case VIO_ERR_INCOMPATIBLE_DEVICE_TYPE:
        case VIO_ERR_QUEUE_NOT_AVAILABLE:
        case VIO_ERR_QUEUE_IN_USE:
        case VIO_ERR_QUEUE_FULL:
        case VIO_ERR_BAD_USED:
                snprintf(buf, len, "%s(%lu)", n, e->value);
                break;
        case VIO_ERR_FEATURE_NEGOTIATION_FAILED:
                snprintf(buf, len, "%s{offered 0x%lx, accepted 0x%lx}", n, e->offered, e->accepted);
                break;
        case VIO_ERR_RESET_FAILED:
        case VIO_ERR_STATUS:
        case VIO_ERR_NEEDS_RESET:
                snprintf(buf, len, "%s(status 0x%lx)", n, e->value);
                break;
        case VIO_ERR_NO_INTERRUPT:
                snprintf(buf, len, "%s(InterruptStatus 0x%lx)", n, e->value);
                break;
        case VIO_ERR_TIMEOUT:
                snprintf(buf, len, "%s(queue %lu)", n, e->value);
                break;
        default:
                snprintf(buf, len, "%s", n);
                break;
        }
        return buf;
}

static int fail(struct gvio_dev *d, enum gvio_err code, uint64_t value)
{
        d->err.code = code;
        d->err.value = value;
        d->err.offered = 0;
        d->err.accepted = 0;
        return code;
}

/* A PCI device's registers go through their virtio-pci twins (pci_drv.h). */
uint32_t gvio_read(const struct gvio_dev *d, uint32_t off)
{
        if (gpci_is(d->base))
                return gpci_vio_read(d->base, off);
        return mmio_read32(d->base + off);
}

void gvio_write(const struct gvio_dev *d, uint32_t off, uint32_t v)
{
        if (gpci_is(d->base))
                gpci_vio_write(d->base, off, v);
        else
                mmio_write32(d->base + off, v);
}

int gvio_probe(struct gvio_dev *d, uint64_t base, uint32_t want_id)
{
        uint32_t v;

        memset(d, 0, sizeof(*d));
        d->base = base;
        v = gvio_read(d, VIO_MAGIC_VALUE);
        if (v != VIO_MAGIC)
                return fail(d, VIO_ERR_NOT_A_VIRTIO_DEVICE, v);
        v = gvio_read(d, VIO_VERSION);
        if (v != 1 && v != 2)
                return fail(d, VIO_ERR_INVALID_VERSION, v);
        d->version = v;
        v = gvio_read(d, VIO_DEVICE_ID);
        d->device_id = v;
        /* §4.2.3.1.1: DeviceID 0 is a placeholder; stop there. */
        if (v == 0)
                return fail(d, VIO_ERR_NO_DEVICE, 0);
        if (v != want_id)
                return fail(d, VIO_ERR_INCOMPATIBLE_DEVICE_TYPE, v);
        d->vendor_id = gvio_read(d, VIO_VENDOR_ID);
        return VIO_OK;
}

int gvio_reset(struct gvio_dev *d)
{
        uint32_t st = 0;

        d->live = false;
        gvio_write(d, VIO_STATUS, 0);
        /* §2.1.2: the reset is complete when Status reads 0. */
        for (int i = 0; i < RESET_READS; i++) {
                st = gvio_read(d, VIO_STATUS);
                if (st == 0)
                        return VIO_OK;
        }
        return fail(d, VIO_ERR_RESET_FAILED, st);
}

void gvio_set_failed(struct gvio_dev *d)
{
        d->live = false;
        gvio_write(d, VIO_STATUS, gvio_read(d, VIO_STATUS) | VIO_S_FAILED);
}

/* Sets status bit and checks it reads back, with no NEEDS_RESET. */
static int add_status(struct gvio_dev *d, uint32_t bit)
{
        uint32_t st = gvio_read(d, VIO_STATUS);

        gvio_write(d, VIO_STATUS, st | bit);
        st = gvio_read(d, VIO_STATUS);
        if (st & VIO_S_NEEDS_RESET)
                return fail(d, VIO_ERR_NEEDS_RESET, st);
        if (!(st & bit))
                return fail(d, VIO_ERR_STATUS, st);
        return VIO_OK;
}

static uint64_t read_features(struct gvio_dev *d)
{
        uint64_t f;

        gvio_write(d, VIO_DEVICE_FEATURES_SEL, 0);
        f = gvio_read(d, VIO_DEVICE_FEATURES);
        gvio_write(d, VIO_DEVICE_FEATURES_SEL, 1);
        f |= (uint64_t)gvio_read(d, VIO_DEVICE_FEATURES) << 32;
        return f;
}

static void write_features(struct gvio_dev *d, uint64_t f)
{
        gvio_write(d, VIO_DRIVER_FEATURES_SEL, 0);
        gvio_write(d, VIO_DRIVER_FEATURES, LOW32(f));
        gvio_write(d, VIO_DRIVER_FEATURES_SEL, 1);
        gvio_write(d, VIO_DRIVER_FEATURES, HIGH32(f));
}

/* §3.1.1 steps 4-6 (§4.2.4 for version 1: no FEATURES_OK). */
static int negotiate(struct gvio_dev *d, uint64_t supported, uint64_t force)
{
        uint64_t want;
        uint32_t st;

        d->offered = read_features(d);
        if (d->version == 2)
                supported |= VIO_BIT(VIO_F_VERSION_1);
        else
                supported &= VIO_F_LEGACY_MAX;
        want = (d->offered & supported) | force;
        if (d->version == 2 && !(want & VIO_BIT(VIO_F_VERSION_1)))
                goto refused; /* a version 2 device must offer VERSION_1 (§6.1) */
        write_features(d, want);
        d->negotiated = want;
        if (d->version == 1)
                return VIO_OK;
        gvio_write(d, VIO_STATUS, gvio_read(d, VIO_STATUS) | VIO_S_FEATURES_OK);
        st = gvio_read(d, VIO_STATUS);
        if (st & VIO_S_FEATURES_OK)
                return VIO_OK;
refused:
        d->negotiated = 0;
        fail(d, VIO_ERR_FEATURE_NEGOTIATION_FAILED, 0);
        d->err.offered = d->offered;
        d->err.accepted = want;
        return VIO_ERR_FEATURE_NEGOTIATION_FAILED;
}

static uint16_t pow2_floor(uint32_t v)
{
        uint32_t p = 1;

        while (p * 2 <= v && p * 2 <= VQD_MAX)
                p *= 2;
        return (uint16_t)p;
}

/* §4.2.3.2 (version 2) and §4.2.4 (version 1, legacy layout). */
static int setup_queue(struct gvio_dev *d, struct vqd *q)
{
        uint32_t max, want;
        uint64_t desc, avail, used;
        int e;

        gvio_write(d, VIO_QUEUE_SEL, q->index);
        if (d->version == 2 && gvio_read(d, VIO_QUEUE_READY) != 0)
                return fail(d, VIO_ERR_QUEUE_IN_USE, q->index);
        if (d->version == 1 && gvio_read(d, VIO_QUEUE_PFN) != 0)
                return fail(d, VIO_ERR_QUEUE_IN_USE, q->index);
        max = gvio_read(d, VIO_QUEUE_NUM_MAX);
        if (max == 0)
                return fail(d, VIO_ERR_QUEUE_NOT_AVAILABLE, q->index);
        want = q->want ? q->want : VQD_MAX;
        if (want > max || (d->version == 1 && gpci_is(d->base)))
                want = max; /* legacy virtio-pci: the size is the device's (§4.1.4.8) */
        if (want > VQD_MAX && gpci_is(d->base))
                return fail(d, VIO_ERR_QUEUE_MEMORY, q->index);
        q->event_idx = (d->negotiated & VIO_BIT(VIO_F_EVENT_IDX)) != 0;
        e = gvq_layout(q, pow2_floor(want), d->negotiated & VIO_BIT(VIO_F_INDIRECT_DESC),
                       q->no_interrupt);
        if (e)
                return fail(d, (enum gvio_err)e, q->index);
        desc = gpa_of(q->desc);
        avail = gpa_of(q->avail);
        used = gpa_of(q->used);
        gvio_write(d, VIO_QUEUE_NUM, q->num);
        if (d->version == 1) {
                if (desc % VIO_PAGE || desc / VIO_PAGE > 0xffffffffULL)
                        return fail(d, VIO_ERR_QUEUE_MEMORY, q->index);
                gvio_write(d, VIO_QUEUE_ALIGN, VIO_PAGE);
                gvio_write(d, VIO_QUEUE_PFN, (uint32_t)(desc / VIO_PAGE));
                return VIO_OK;
        }
        gvio_write(d, VIO_QUEUE_DESC_LOW, LOW32(desc));
        gvio_write(d, VIO_QUEUE_DESC_HIGH, HIGH32(desc));
        gvio_write(d, VIO_QUEUE_DRIVER_LOW, LOW32(avail));
        gvio_write(d, VIO_QUEUE_DRIVER_HIGH, HIGH32(avail));
        gvio_write(d, VIO_QUEUE_DEVICE_LOW, LOW32(used));
        gvio_write(d, VIO_QUEUE_DEVICE_HIGH, HIGH32(used));
        gvio_write(d, VIO_QUEUE_READY, 1);
        if (gvio_read(d, VIO_QUEUE_READY) != 1)
                return fail(d, VIO_ERR_STATUS, gvio_read(d, VIO_STATUS));
        return VIO_OK;
}

int gvio_init(struct gvio_dev *d, uint64_t supported, uint64_t force, struct vqd *const *qs,
              unsigned nq)
{
        int e;

        d->negotiated = 0;
        e = gvio_reset(d);
        if (e)
                return e;
        e = add_status(d, VIO_S_ACKNOWLEDGE);
        if (!e)
                e = add_status(d, VIO_S_DRIVER);
        if (!e)
                e = negotiate(d, supported, force);
        if (!e && d->version == 1)
                gvio_write(d, VIO_GUEST_PAGE_SIZE, VIO_PAGE);
        for (unsigned i = 0; !e && i < nq; i++)
                e = setup_queue(d, qs[i]);
        if (!e)
                e = add_status(d, VIO_S_DRIVER_OK);
        if (e) {
                gvio_set_failed(d);
                return e;
        }
        d->live = true;
        return VIO_OK;
}

int gvio_config_read(struct gvio_dev *d, uint32_t off, void *buf, uint32_t len)
{
        uint8_t *p = buf;

        for (int tries = 0; tries < CONFIG_RETRIES; tries++) {
                uint32_t gen = d->version == 2 ? gvio_read(d, VIO_CONFIG_GENERATION) : 0;
                uint64_t a = d->base + VIO_CONFIG + off;
                bool pci = gpci_is(d->base);

                for (uint32_t i = 0; i < len;) {
                        if ((off + i) % 4 == 0 && len - i >= 4) {
                                uint32_t w =
                                    pci ? gpci_config_read32(d->base, off + i) : mmio_read32(a + i);

                                memcpy(p + i, &w, 4);
                                i += 4;
                        } else {
                                p[i] = pci ? gpci_config_read8(d->base, off + i)
                                           : *(volatile uint8_t *)(uintptr_t)(a + i);
                                i++;
                        }
                }
                if (d->version != 2 || gvio_read(d, VIO_CONFIG_GENERATION) == gen)
                        return VIO_OK;
        }
        return fail(d, VIO_ERR_CONFIG_UNSTABLE, off);
}

void gvio_notify(struct gvio_dev *d, struct vqd *q)
{
        d->irq_mark = d->irq_used;
        if (gvq_needs_notify(q))
                gvio_write(d, VIO_QUEUE_NOTIFY, q->index);
}

uint32_t gvio_ack_interrupt(const struct gvio_dev *d)
{
        uint32_t bits = gvio_read(d, VIO_INTERRUPT_STATUS);

        if (bits)
                gvio_write(d, VIO_INTERRUPT_ACK, bits);
        return bits;
}

static void irq_handler(void *arg)
{
        struct gvio_dev *d = arg;
        uint32_t bits = gvio_ack_interrupt(d);

        d->irq_calls++;
        d->irq_bits |= bits;
        if (bits & VIO_INT_USED)
                d->irq_used++;
}

int gvio_irq_setup(struct gvio_dev *d, uint64_t ioapic, uint32_t gsi, uint32_t sense,
                   uint8_t vector)
{
        irq_init();
        d->ioapic = ioapic;
        d->gsi = gsi;
        d->vector = vector;
        irq_register(vector, irq_handler, d);
        if (ioapic_route(ioapic, gsi, vector, sense)) {
                irq_register(vector, NULL, NULL);
                return fail(d, VIO_ERR_IRQ_SETUP, gsi);
        }
        d->use_irq = true;
        return VIO_OK;
}

void gvio_irq_off(struct gvio_dev *d)
{
        if (!d->use_irq)
                return;
        ioapic_mask(d->ioapic, d->gsi);
        irq_register(d->vector, NULL, NULL);
        d->use_irq = false;
}

static int wait_poll(struct gvio_dev *d, struct vqd *q)
{
        uint32_t st;

        for (uint32_t round = 0; round < POLL_ROUNDS; round++) {
                for (int i = 0; i < POLL_SPINS; i++) {
                        if (gvq_has_used(q))
                                return VIO_OK;
                        barrier();
                }
                st = gvio_read(d, VIO_STATUS);
                if (st & VIO_S_NEEDS_RESET)
                        return fail(d, VIO_ERR_NEEDS_RESET, st);
        }
        return fail(d, VIO_ERR_TIMEOUT, q->index);
}

static bool irq_done(const struct gvio_dev *d, const struct vqd *q)
{
        return gvq_has_used(q) && d->irq_used != d->irq_mark;
}

static int wait_irq(struct gvio_dev *d, struct vqd *q)
{
        int e = VIO_OK;
        uint32_t st;

        irq_disable();
        if (irq_done(d, q))
                return VIO_OK;
        irq_watchdog_start(IRQ_WATCHDOG_MS);
        while (!irq_done(d, q)) {
                if (d->irq_bits & VIO_INT_CONFIG) {
                        /* M7: a device in trouble raises a config change. */
                        st = gvio_read(d, VIO_STATUS);
                        if (st & VIO_S_NEEDS_RESET) {
                                e = fail(d, VIO_ERR_NEEDS_RESET, st);
                                break;
                        }
                }
                if (irq_watchdog_fired()) {
                        e = fail(d, VIO_ERR_NO_INTERRUPT, gvio_read(d, VIO_INTERRUPT_STATUS));
                        break;
                }
                irq_sti_hlt();
        }
        irq_watchdog_stop();
        return e;
}

int gvio_wait(struct gvio_dev *d, struct vqd *q)
{
        if (!d->live)
                return fail(d, VIO_ERR_NOT_LIVE, 0);
        return d->use_irq ? wait_irq(d, q) : wait_poll(d, q);
}
