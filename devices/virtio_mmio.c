/*
 * virtio_mmio: the virtio-mmio transport (contract: virtio_mmio.h; protocol:
 * virtio 1.2 §4.2 and §3.1, register offsets from linux/virtio_mmio.h).
 *
 * Every register access is looked up in one table that says which versions
 * have the register and whether it reads, writes or both (M11). A write is
 * then either applied or ignored with a reason, and both are traced.
 */
#include "virtio_mmio.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "le.h"
#include "trace.h"

#define VMMIO_R  1u /* readable */
#define VMMIO_W  2u /* writable */
#define VMMIO_V1 4u /* present in version 1 */
#define VMMIO_V2 8u /* present in version 2 */
#define VMMIO_RO (VMMIO_R | VMMIO_V1 | VMMIO_V2)
#define VMMIO_WO (VMMIO_W | VMMIO_V1 | VMMIO_V2)

#define VMMIO_DRIVER_BITS                                                                          \
        (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |            \
         VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FAILED)

struct vmmio_reg {
        uint16_t off;
        uint8_t mode;
        const char *name;
};

/* The register map (virtio 1.2 §4.2.2 and §4.2.4). */
static const struct vmmio_reg vmmio_regs[] = {
    {VIRTIO_MMIO_MAGIC_VALUE, VMMIO_RO, "MagicValue"},
    {VIRTIO_MMIO_VERSION, VMMIO_RO, "Version"},
    {VIRTIO_MMIO_DEVICE_ID, VMMIO_RO, "DeviceID"},
    {VIRTIO_MMIO_VENDOR_ID, VMMIO_RO, "VendorID"},
    {VIRTIO_MMIO_DEVICE_FEATURES, VMMIO_RO, "DeviceFeatures"},
    {VIRTIO_MMIO_DEVICE_FEATURES_SEL, VMMIO_WO, "DeviceFeaturesSel"},
    {VIRTIO_MMIO_DRIVER_FEATURES, VMMIO_WO, "DriverFeatures"},
    {VIRTIO_MMIO_DRIVER_FEATURES_SEL, VMMIO_WO, "DriverFeaturesSel"},
    {VIRTIO_MMIO_GUEST_PAGE_SIZE, VMMIO_W | VMMIO_V1, "GuestPageSize"},
    {VIRTIO_MMIO_QUEUE_SEL, VMMIO_WO, "QueueSel"},
    {VIRTIO_MMIO_QUEUE_NUM_MAX, VMMIO_RO, "QueueNumMax"},
    {VIRTIO_MMIO_QUEUE_NUM, VMMIO_WO, "QueueNum"},
    {VIRTIO_MMIO_QUEUE_ALIGN, VMMIO_W | VMMIO_V1, "QueueAlign"},
    {VIRTIO_MMIO_QUEUE_PFN, VMMIO_R | VMMIO_W | VMMIO_V1, "QueuePFN"},
    {VIRTIO_MMIO_QUEUE_READY, VMMIO_R | VMMIO_W | VMMIO_V2, "QueueReady"},
    {VIRTIO_MMIO_QUEUE_NOTIFY, VMMIO_WO, "QueueNotify"},
    {VIRTIO_MMIO_INTERRUPT_STATUS, VMMIO_RO, "InterruptStatus"},
    {VIRTIO_MMIO_INTERRUPT_ACK, VMMIO_WO, "InterruptACK"},
    {VIRTIO_MMIO_STATUS, VMMIO_R | VMMIO_W | VMMIO_V1 | VMMIO_V2, "Status"},
    {VIRTIO_MMIO_QUEUE_DESC_LOW, VMMIO_W | VMMIO_V2, "QueueDescLow"},
    {VIRTIO_MMIO_QUEUE_DESC_HIGH, VMMIO_W | VMMIO_V2, "QueueDescHigh"},
    {VIRTIO_MMIO_QUEUE_AVAIL_LOW, VMMIO_W | VMMIO_V2, "QueueDriverLow"},
    {VIRTIO_MMIO_QUEUE_AVAIL_HIGH, VMMIO_W | VMMIO_V2, "QueueDriverHigh"},
    {VIRTIO_MMIO_QUEUE_USED_LOW, VMMIO_W | VMMIO_V2, "QueueDeviceLow"},
    {VIRTIO_MMIO_QUEUE_USED_HIGH, VMMIO_W | VMMIO_V2, "QueueDeviceHigh"},
    {VIRTIO_MMIO_SHM_SEL, VMMIO_W | VMMIO_V2, "SHMSel"},
    {VIRTIO_MMIO_SHM_LEN_LOW, VMMIO_R | VMMIO_V2, "SHMLenLow"},
    {VIRTIO_MMIO_SHM_LEN_HIGH, VMMIO_R | VMMIO_V2, "SHMLenHigh"},
    {VIRTIO_MMIO_SHM_BASE_LOW, VMMIO_R | VMMIO_V2, "SHMBaseLow"},
    {VIRTIO_MMIO_SHM_BASE_HIGH, VMMIO_R | VMMIO_V2, "SHMBaseHigh"},
    {VIRTIO_MMIO_CONFIG_GENERATION, VMMIO_R | VMMIO_V2, "ConfigGeneration"},
};

static const struct vmmio_reg *vmmio_find_reg(uint64_t off)
{
        size_t i;

        for (i = 0; i < sizeof(vmmio_regs) / sizeof(vmmio_regs[0]); i++)
                if (vmmio_regs[i].off == off)
                        return &vmmio_regs[i];
        return NULL;
}

static bool vmmio_is_pow2(uint32_t v)
{
        return v != 0 && (v & (v - 1)) == 0;
}

/* QueueAlign, GuestPageSize: *reg = v when v is a power of 2, else why. */
static const char *vmmio_set_pow2(uint32_t *reg, uint32_t v, const char *why)
{
        if (!vmmio_is_pow2(v))
                return why;
        *reg = v;
        return NULL;
}

/* --- interrupts (M2) ------------------------------------------------------ */

static void vmmio_update_irq(struct vmmio *t)
{
        bool level = t->interrupt_status != 0;

        if (level == t->line)
                return;
        t->line = level;
        if (t->set_irq != NULL)
                t->set_irq(t->irq_opaque, level);
}

/* Q10: InterruptStatus first, then the line. */
static void vmmio_raise(struct vmmio *t, uint32_t bits)
{
        t->interrupt_status |= bits;
        vmmio_update_irq(t);
}

static void vmmio_vq_irq(void *opaque, struct virtq *vq)
{
        (void)vq;
        vmmio_raise(opaque, VIRTIO_MMIO_INT_VRING);
}

static void vmmio_vq_fail(void *opaque, struct virtq *vq, enum vq_err why)
{
        (void)vq;
        vmmio_needs_reset(opaque, why);
}

void vmmio_needs_reset(struct vmmio *t, enum vq_err why)
{
        unsigned i;

        if (t->needs_reset)
                return;
        t->needs_reset = true;
        t->reset_reason = why;
        TRACE("%s: DEVICE_NEEDS_RESET: %s", t->name, vq_err_name(why));
        /* M7: stop every queue; vq_fail re-enters here and returns at once. */
        for (i = 0; i < t->nq; i++)
                vq_fail(&t->q[i].vq, VQ_E_DEVICE_RESET);
        if (t->status & VIRTIO_STATUS_DRIVER_OK)
                vmmio_raise(t, VIRTIO_MMIO_INT_CONFIG);
}

void vmmio_config_changed(struct vmmio *t)
{
        t->config_generation++;
        if (t->status & VIRTIO_STATUS_DRIVER_OK)
                vmmio_raise(t, VIRTIO_MMIO_INT_CONFIG);
}

/* --- reset and init (M3) ------------------------------------------------- */

static void vmmio_queue_clear(struct vmmio_queue *q)
{
        q->num = q->max;
        q->desc = q->driver = q->device = 0;
        q->align = VMMIO_PAGE_SIZE;
        q->pfn = 0;
        vq_reset(&q->vq);
}

void vmmio_reset(struct vmmio *t)
{
        unsigned i;

        t->status = 0;
        t->needs_reset = false;
        t->reset_reason = VQ_OK;
        t->dev_features_sel = t->drv_features_sel = 0;
        t->driver_features = 0;
        t->driver_features_beyond_64 = false;
        t->queue_sel = 0;
        for (i = 0; i < t->nq; i++)
                vmmio_queue_clear(&t->q[i]);
        t->interrupt_status = 0;
        vmmio_update_irq(t);
        t->ops->reset(t->dev);
}

/* M13: only implemented transport bits; VERSION_1 only in version 2. */
static uint64_t vmmio_offer(uint64_t dev_features, bool legacy)
{
        uint64_t f = dev_features & ~(VIRTIO_FEAT_TRANSPORT_RANGE & ~VIRTIO_FEAT_TRANSPORT_OK);

        return legacy ? f & ~VIRTIO_FEAT_VERSION_1 : f;
}

void vmmio_init(struct vmmio *t, const struct gmem *gm, const struct virtio_dev_ops *ops, void *dev,
                bool legacy, void (*set_irq)(void *opaque, bool level), void *irq_opaque)
{
        unsigned i, nq;
        uint16_t max;

        *t = (struct vmmio){.name = "virtio-mmio@0",
                            .gm = gm,
                            .ops = ops,
                            .dev = dev,
                            .legacy = legacy,
                            .set_irq = set_irq,
                            .irq_opaque = irq_opaque};
        nq = ops->num_queues(dev);
        t->nq = nq < VMMIO_MAX_QUEUES ? nq : VMMIO_MAX_QUEUES;
        t->offered = vmmio_offer(ops->features(dev), legacy);
        t->guest_page_size = VMMIO_PAGE_SIZE;
        for (i = 0; i < t->nq; i++) {
                max = ops->queue_max(dev, i);
                t->q[i].max = max < VQ_SIZE_MAX ? max : VQ_SIZE_MAX;
                vq_init(&t->q[i].vq, gm, i, vmmio_vq_irq, vmmio_vq_fail, t);
        }
        vmmio_reset(t);
}

uint64_t vmmio_negotiated(const struct vmmio *t)
{
        return t->driver_features & t->offered;
}

/* --- feature negotiation and status (M6, §3.1) -------------------------- */

/*
 * The driver's order rules (§3.1.1) bind the driver, not the device: like
 * QEMU, the device takes DriverFeatures at any time until the features are
 * fixed, at FEATURES_OK (v2) or DRIVER_OK (v1). U-Boot before v2026.07
 * writes them with DRIVER but without ACKNOWLEDGE (docs/virtio-mmio.md).
 */
static const char *vmmio_write_driver_features(struct vmmio *t, uint32_t v)
{
        uint32_t end = t->legacy ? VIRTIO_STATUS_DRIVER_OK : VIRTIO_STATUS_FEATURES_OK;

        if (t->status & end)
                return t->legacy ? "after DRIVER_OK" : "after FEATURES_OK";
        if (t->drv_features_sel == 0)
                t->driver_features = (t->driver_features & ~0xffffffffULL) | v;
        else if (t->drv_features_sel == 1)
                t->driver_features = (t->driver_features & 0xffffffffULL) | (uint64_t)v << 32;
        else if (v != 0)
                t->driver_features_beyond_64 = true; /* nothing offered there */
        return NULL;
}

/*
 * M6, §2.2.1: a subset of the offer. VERSION_1 is not required in version 2:
 * §6.1 lets a device refuse a driver without it, and QEMU serves one (rcore
 * virtio-drivers before 0.12 never accepts it); the rings are the same.
 */
static bool vmmio_features_acceptable(const struct vmmio *t)
{
        return (t->driver_features & ~t->offered) == 0 && !t->driver_features_beyond_64;
}

/*
 * §2.1, §3.1: Status keeps what the driver wrote, in any order, as QEMU's
 * does: the ordering rules are the driver's (§3.1.1), and U-Boot and rcore
 * break them (docs/virtio-mmio.md). Only what the device owns is its own:
 * NEEDS_RESET and the reserved bits are dropped, FEATURES_OK is refused for
 * features outside the offer (§2.2.2) and then takes DRIVER_OK with it.
 * Legacy devices store FEATURES_OK too (rcore writes it there): it means
 * nothing in version 1 (§4.2.4).
 */
static const char *vmmio_write_status(struct vmmio *t, uint32_t v)
{
        bool start;

        if (v == 0) {
                vmmio_reset(t); /* M3 */
                return NULL;
        }
        v &= VMMIO_DRIVER_BITS; /* NEEDS_RESET and reserved bits are the device's */
        if (!t->legacy && (v & VIRTIO_STATUS_FEATURES_OK) &&
            !(t->status & VIRTIO_STATUS_FEATURES_OK) && !vmmio_features_acceptable(t)) {
                /* M6: refused: FEATURES_OK reads back clear (and DRIVER_OK cannot follow). */
                TRACE("%s: FEATURES_OK refused: driver features 0x%016" PRIx64
                      ", offered 0x%016" PRIx64,
                      t->name, t->driver_features, t->offered);
                v &= ~(uint32_t)(VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
        }
        start = (v & VIRTIO_STATUS_DRIVER_OK) && !(t->status & VIRTIO_STATUS_DRIVER_OK);
        t->status = v;
        if (start)
                t->ops->activate(t->dev, vmmio_negotiated(t));
        return NULL;
}

/* --- queues (M4, M8, M9, M12) -------------------------------------------- */

/* M4: v2 needs QueueReady and DRIVER_OK, v1 a non-zero PFN; never after an error. */
static bool vmmio_queue_live(const struct vmmio *t, const struct vmmio_queue *q)
{
        if (t->needs_reset || (t->status & VIRTIO_STATUS_FAILED) || !vq_live(&q->vq))
                return false;
        return t->legacy ? q->pfn != 0 : (t->status & VIRTIO_STATUS_DRIVER_OK) != 0;
}

/*
 * M8: while the queue is off, before DRIVER_OK, not after FAILED or
 * DEVICE_NEEDS_RESET. Whether FEATURES_OK came first is the driver's
 * business (§3.1.1), as in QEMU: U-Boot before v2026.07 sets its queues up
 * with Status 0x02, rcore before 0.12 without VERSION_1.
 */
static const char *vmmio_queue_locked(const struct vmmio *t, const struct vmmio_queue *q)
{
        if (t->status & (VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FAILED))
                return "after DRIVER_OK or FAILED";
        if (t->needs_reset)
                return "device needs reset";
        if (q->vq.ready)
                return "queue is live";
        return NULL;
}

static void vmmio_enable(struct vmmio *t, struct vmmio_queue *q, const struct vq_layout *l)
{
        enum vq_err why = VQ_OK;

        if (vq_enable(&q->vq, l, q->max, vmmio_negotiated(t), &why) < 0)
                vmmio_needs_reset(t, why); /* Q1 */
}

/* v1 layout (§4.2.4): desc at PFN * page, avail after 16N bytes, used aligned up. */
static void vmmio_enable_legacy(struct vmmio *t, struct vmmio_queue *q, uint32_t pfn)
{
        struct vq_layout l = {.num = q->num};
        uint64_t avail_end;

        /* No wrap: pfn * page < 2^63, 16N and 6 + 2N < 2^37, align <= 2^31. */
        l.desc = (uint64_t)pfn * t->guest_page_size;
        l.avail = l.desc + 16 * (uint64_t)q->num;
        avail_end = l.avail + 6 + 2 * (uint64_t)q->num;
        l.used = (avail_end + q->align - 1) & ~((uint64_t)q->align - 1);
        q->pfn = pfn;
        vmmio_enable(t, q, &l);
        if (!q->vq.ready)
                q->pfn = 0;
}

static void vmmio_enable_modern(struct vmmio *t, struct vmmio_queue *q)
{
        struct vq_layout l = {
            .num = q->num, .desc = q->desc, .avail = q->driver, .used = q->device};

        vmmio_enable(t, q, &l);
}

/* M12, Q12: the queue stops now and forgets its indices. */
static void vmmio_queue_stop(struct vmmio_queue *q)
{
        q->pfn = 0;
        vq_reset(&q->vq);
}

static void vmmio_set_half(uint64_t *reg, uint64_t off, uint32_t v)
{
        if (off % 8 == 0)
                *reg = (*reg & ~0xffffffffULL) | v;
        else
                *reg = (*reg & 0xffffffffULL) | (uint64_t)v << 32;
}

static const char *vmmio_write_queue_reg(struct vmmio *t, struct vmmio_queue *q, uint64_t off,
                                         uint32_t v)
{
        switch (off) {
        case VIRTIO_MMIO_QUEUE_NUM:
                q->num = v; /* checked when the queue is enabled */
                return NULL;
        case VIRTIO_MMIO_QUEUE_ALIGN:
                return vmmio_set_pow2(&q->align, v, "QueueAlign not a power of 2");
        case VIRTIO_MMIO_QUEUE_PFN:
                vmmio_enable_legacy(t, q, v);
                return NULL;
        case VIRTIO_MMIO_QUEUE_READY:
                if (v != 1)
                        return "QueueReady neither 0 nor 1";
                vmmio_enable_modern(t, q);
                return NULL;
        case VIRTIO_MMIO_QUEUE_DESC_LOW:
        case VIRTIO_MMIO_QUEUE_DESC_HIGH:
                vmmio_set_half(&q->desc, off, v);
                return NULL;
        case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
        case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
                vmmio_set_half(&q->driver, off, v);
                return NULL;
        default: /* QUEUE_USED_LOW / HIGH */
                vmmio_set_half(&q->device, off, v);
                return NULL;
        }
}

static const char *vmmio_write_queue(struct vmmio *t, uint64_t off, uint32_t v)
{
        struct vmmio_queue *q;
        const char *why;

        if (t->queue_sel >= t->nq)
                return "QueueSel out of range"; /* M9 */
        q = &t->q[t->queue_sel];
        if (v == 0 && (off == VIRTIO_MMIO_QUEUE_READY || off == VIRTIO_MMIO_QUEUE_PFN)) {
                vmmio_queue_stop(q);
                return NULL;
        }
        why = vmmio_queue_locked(t, q);
        if (why != NULL)
                return why;
        return vmmio_write_queue_reg(t, q, off, v);
}

/*
 * One pass of the device over the queue (virtq.h): it pops until
 * vq_pop_or_arm re-armed the driver's kicks and found nothing, so a chain
 * added meanwhile (from another CPU) is served without a kick. *pending:
 * the pass yielded after its budget, and chains may still wait.
 */
static const char *vmmio_notify(struct vmmio *t, uint32_t v, bool *pending)
{
        struct vmmio_queue *q;

        *pending = false;
        if (v >= t->nq)
                return "no such queue"; /* M9 */
        q = &t->q[v];
        if (!vmmio_queue_live(t, q))
                return "queue not live"; /* M4 */
        /* §3.1.2: a legacy driver may use the queue before it writes its features. */
        vq_set_features(&q->vq, vmmio_negotiated(t));
        t->ops->notify(t->dev, &q->vq);
        *pending = vmmio_queue_live(t, q) && vq_yielded(&q->vq);
        return NULL;
}

bool vmmio_notify_queue(struct vmmio *t, uint32_t q)
{
        bool pending;
        const char *why = vmmio_notify(t, q, &pending);

        if (why != NULL)
                TRACE("%s: notify of queue %" PRIu32 " ignored (%s)", t->name, q, why);
        return pending;
}

/* --- register access ----------------------------------------------------- */

static const char *vmmio_write_reg(struct vmmio *t, uint64_t off, uint32_t v)
{
        switch (off) {
        case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
                t->dev_features_sel = v;
                return NULL;
        case VIRTIO_MMIO_DRIVER_FEATURES:
                return vmmio_write_driver_features(t, v);
        case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
                t->drv_features_sel = v;
                return NULL;
        case VIRTIO_MMIO_GUEST_PAGE_SIZE:
                return vmmio_set_pow2(&t->guest_page_size, v, "GuestPageSize not a power of 2");
        case VIRTIO_MMIO_QUEUE_SEL:
                t->queue_sel = v;
                return NULL;
        case VIRTIO_MMIO_QUEUE_NOTIFY: {
                /* With the vCPU stopped one pass drains the ring (virtq.h): nothing pends. */
                bool pending;
                return vmmio_notify(t, v, &pending);
        }
        case VIRTIO_MMIO_INTERRUPT_ACK:
                t->interrupt_status &= ~v; /* M2 */
                vmmio_update_irq(t);
                return NULL;
        case VIRTIO_MMIO_STATUS:
                return vmmio_write_status(t, v);
        case VIRTIO_MMIO_SHM_SEL:
                return NULL; /* no shared memory regions */
        default:
                return vmmio_write_queue(t, off, v);
        }
}

static uint32_t vmmio_status_value(const struct vmmio *t)
{
        return t->status | (t->needs_reset ? VIRTIO_STATUS_NEEDS_RESET : 0);
}

static uint32_t vmmio_read_queue(const struct vmmio *t, uint64_t off)
{
        const struct vmmio_queue *q;

        if (t->queue_sel >= t->nq)
                return 0; /* M9 */
        q = &t->q[t->queue_sel];
        if (off == VIRTIO_MMIO_QUEUE_NUM_MAX)
                return q->max;
        if (off == VIRTIO_MMIO_QUEUE_PFN)
                return q->pfn;
        return q->vq.ready; /* QueueReady, M12 */
}

static uint32_t vmmio_read_reg(const struct vmmio *t, uint64_t off)
{
        switch (off) {
        case VIRTIO_MMIO_MAGIC_VALUE:
                return VMMIO_MAGIC;
        case VIRTIO_MMIO_VERSION:
                return t->legacy ? 1 : 2;
        case VIRTIO_MMIO_DEVICE_ID:
                return t->ops->device_id;
        case VIRTIO_MMIO_VENDOR_ID:
                return VMMIO_VENDOR_ID;
        case VIRTIO_MMIO_DEVICE_FEATURES:
                if (t->dev_features_sel > 1)
                        return 0;
                return (uint32_t)(t->offered >> (32 * t->dev_features_sel));
        case VIRTIO_MMIO_INTERRUPT_STATUS:
                return t->interrupt_status;
        case VIRTIO_MMIO_STATUS:
                return vmmio_status_value(t);
        case VIRTIO_MMIO_CONFIG_GENERATION:
                return t->config_generation;
        case VIRTIO_MMIO_SHM_LEN_LOW:
        case VIRTIO_MMIO_SHM_LEN_HIGH:
        case VIRTIO_MMIO_SHM_BASE_LOW:
        case VIRTIO_MMIO_SHM_BASE_HIGH:
                return 0xffffffffu; /* §4.2.2: a missing region reads all ones */
        default:
                return vmmio_read_queue(t, off);
        }
}

/* Status bits by name, in the order a driver sets them (§3.1.1). */
static void vmmio_status_names(uint32_t v, char *buf, size_t len)
{
        static const struct {
                uint32_t bit;
                const char *name;
        } names[] = {
            {VIRTIO_STATUS_ACKNOWLEDGE, "ACKNOWLEDGE"}, {VIRTIO_STATUS_DRIVER, "DRIVER"},
            {VIRTIO_STATUS_FEATURES_OK, "FEATURES_OK"}, {VIRTIO_STATUS_DRIVER_OK, "DRIVER_OK"},
            {VIRTIO_STATUS_NEEDS_RESET, "NEEDS_RESET"}, {VIRTIO_STATUS_FAILED, "FAILED"},
        };
        uint32_t known = 0;
        size_t n = 0, i;

        buf[0] = '\0';
        if (v == 0) {
                snprintf(buf, len, "reset");
                return;
        }
        for (i = 0; i < sizeof(names) / sizeof(names[0]) && n < len; i++) {
                known |= names[i].bit;
                if (v & names[i].bit)
                        n +=
                            (size_t)snprintf(buf + n, len - n, "%s%s", n ? " " : "", names[i].name);
        }
        if ((v & ~known) && n < len)
                snprintf(buf + n, len - n, "%s+0x%" PRIx32, n ? " " : "", v & ~known);
}

static void vmmio_trace_write(const struct vmmio *t, const struct vmmio_reg *r, uint32_t v,
                              const char *ignored)
{
        char bits[96];

        if (!trace_enabled)
                return;
        if (ignored != NULL) {
                TRACE("%s: ignored write %s <- 0x%08" PRIx32 " (%s)", t->name, r->name, v, ignored);
                return;
        }
        if (r->off == VIRTIO_MMIO_STATUS) {
                vmmio_status_names(v, bits, sizeof(bits));
                TRACE("%s: write Status <- 0x%08" PRIx32 " (%s), now 0x%02" PRIx32, t->name, v,
                      bits, vmmio_status_value(t));
                return;
        }
        TRACE("%s: write %s <- 0x%08" PRIx32, t->name, r->name, v);
}

/* One aligned 32-bit register access (M10, M11). */
static void vmmio_reg_access(struct vmmio *t, uint64_t off, uint8_t *data, bool is_write)
{
        const struct vmmio_reg *r = vmmio_find_reg(off);
        uint8_t ver = t->legacy ? VMMIO_V1 : VMMIO_V2;
        uint32_t v = 0;

        if (is_write) {
                v = le32_get(data);
                if (r == NULL || !(r->mode & ver) || !(r->mode & VMMIO_W)) {
                        TRACE("%s: ignored write %s <- 0x%08" PRIx32 " (%s)", t->name,
                              r ? r->name : "reserved", v,
                              r == NULL ? "no register" : "read-only or other version");
                        return;
                }
                vmmio_trace_write(t, r, v, vmmio_write_reg(t, off, v));
                return;
        }
        if (r != NULL && (r->mode & ver) && (r->mode & VMMIO_R))
                v = vmmio_read_reg(t, off);
        le32_put(data, v);
        TRACE("%s: read %s -> 0x%08" PRIx32, t->name, r ? r->name : "reserved", v);
}

/* Config space (M10): 1, 2, 4 or 8 bytes, entirely inside config_size. */
static void vmmio_config_access(struct vmmio *t, uint32_t off, uint8_t *data, uint32_t len,
                                bool is_write)
{
        uint32_t size = t->ops->config_size;
        uint64_t v = 0;

        if ((len != 1 && len != 2 && len != 4 && len != 8) || off > size || len > size - off) {
                TRACE("%s: ignored %u-byte config %s at 0x%x (size 0x%x)", t->name, len,
                      is_write ? "write" : "read", off, size);
                if (!is_write)
                        memset(data, 0, len);
                return;
        }
        if (is_write && t->ops->config_write == NULL) {
                TRACE("%s: ignored config write at 0x%x (read-only)", t->name, off);
                return;
        }
        if (is_write)
                t->ops->config_write(t->dev, off, data, len);
        else
                t->ops->config_read(t->dev, off, data, len);
        memcpy(&v, data, len);
        TRACE("%s: %s config[0x%x] (%u bytes) %s 0x%" PRIx64, t->name, is_write ? "write" : "read",
              off, len, is_write ? "<-" : "->", v);
}

void vmmio_access(struct vmmio *t, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
        if (data == NULL || len == 0)
                return;
        /* M10: whole access inside the region, written without offset + len. */
        if (offset >= VMMIO_REGION_SIZE || len > VMMIO_REGION_SIZE - offset) {
                TRACE("%s: ignored %u-byte access at 0x%" PRIx64, t->name, len, offset);
                if (!is_write)
                        memset(data, 0, len);
                return;
        }
        if (offset >= VIRTIO_MMIO_CONFIG) {
                vmmio_config_access(t, (uint32_t)(offset - VIRTIO_MMIO_CONFIG), data, len,
                                    is_write);
                return;
        }
        if (len != 4 || offset % 4 != 0) {
                TRACE("%s: ignored %u-byte register %s at 0x%" PRIx64 " (aligned 32-bit only)",
                      t->name, len, is_write ? "write" : "read", offset);
                if (!is_write)
                        memset(data, 0, len);
                return;
        }
        vmmio_reg_access(t, offset, data, is_write);
}
