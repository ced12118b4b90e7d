/*
 * virtio_mmio_drv: the guest's driver side of the virtio-mmio transport
 * (virtio 1.2 §4.2), version 2 and version 1 (legacy, §4.2.4).
 *
 * Register offsets and bits are written out here from the specification
 * rather than taken from devices/, so the guest checks the device against
 * the document and not against itself.
 *
 * Every function returns VIO_OK or one of enum gvio_err and never prints;
 * the details of the last error (a version, a device ID, offered and
 * accepted features, a queue index) stay in the device's struct gvio_error,
 * and gvio_strerror() turns them into a line like
 * "FeatureNegotiationFailed{offered 0x..., accepted 0x...}".
 */
#ifndef GUEST_VIRTIO_MMIO_DRV_H
#define GUEST_VIRTIO_MMIO_DRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtq_drv.h"

#define VIO_REGION_SIZE 0x1000u
#define VIO_MAGIC       0x74726976u /* "virt" */

/* Registers (§4.2.2); all 32-bit. */
#define VIO_MAGIC_VALUE         0x000
#define VIO_VERSION             0x004
#define VIO_DEVICE_ID           0x008
#define VIO_VENDOR_ID           0x00c
#define VIO_DEVICE_FEATURES     0x010
#define VIO_DEVICE_FEATURES_SEL 0x014
#define VIO_DRIVER_FEATURES     0x020
#define VIO_DRIVER_FEATURES_SEL 0x024
#define VIO_GUEST_PAGE_SIZE     0x028 /* v1 only */
#define VIO_QUEUE_SEL           0x030
#define VIO_QUEUE_NUM_MAX       0x034
#define VIO_QUEUE_NUM           0x038
#define VIO_QUEUE_ALIGN         0x03c /* v1 only */
#define VIO_QUEUE_PFN           0x040 /* v1 only */
#define VIO_QUEUE_READY         0x044 /* v2 only */
#define VIO_QUEUE_NOTIFY        0x050
#define VIO_INTERRUPT_STATUS    0x060
#define VIO_INTERRUPT_ACK       0x064
#define VIO_STATUS              0x070
#define VIO_QUEUE_DESC_LOW      0x080 /* v2 only, to 0x0a4 */
#define VIO_QUEUE_DESC_HIGH     0x084
#define VIO_QUEUE_DRIVER_LOW    0x090
#define VIO_QUEUE_DRIVER_HIGH   0x094
#define VIO_QUEUE_DEVICE_LOW    0x0a0
#define VIO_QUEUE_DEVICE_HIGH   0x0a4
#define VIO_CONFIG_GENERATION   0x0fc /* v2 only */
#define VIO_CONFIG              0x100

/* Device status bits (§2.1). */
#define VIO_S_ACKNOWLEDGE 0x01u
#define VIO_S_DRIVER      0x02u
#define VIO_S_DRIVER_OK   0x04u
#define VIO_S_FEATURES_OK 0x08u
#define VIO_S_NEEDS_RESET 0x40u
#define VIO_S_FAILED      0x80u

/* InterruptStatus bits (§4.2.2). */
#define VIO_INT_USED   0x1u
#define VIO_INT_CONFIG 0x2u

/* Transport and ring feature bits (§6). */
#define VIO_F_INDIRECT_DESC 28
#define VIO_F_EVENT_IDX     29
#define VIO_F_VERSION_1     32
#define VIO_BIT(b)          (1ULL << (b))

/* Device IDs (§5). */
#define VIO_ID_NET   1u
#define VIO_ID_BLOCK 2u

/* The legacy layout (and the one this driver also uses in version 2). */
#define VIO_PAGE 4096u

struct gvio_dev {
        uint64_t base;
        uint32_t version; /* 1 or 2, from probe */
        uint32_t device_id;
        uint32_t vendor_id;
        uint64_t offered;    /* DeviceFeatures, both words */
        uint64_t negotiated; /* what FEATURES_OK accepted (v1: what was written) */
        bool live;           /* DRIVER_OK set and not reset since */
        struct gvio_error err;
        /* Completion by interrupt (gvio_irq_setup), else by polling. */
        bool use_irq;
        uint8_t vector;
        uint64_t ioapic;
        uint32_t gsi;
        volatile uint32_t irq_calls; /* handler runs */
        volatile uint32_t irq_used;  /* ... that saw the used-buffer bit */
        volatile uint32_t irq_bits;  /* every InterruptStatus bit the handler acknowledged */
        uint32_t irq_mark;           /* irq_used at the last notify */
};

/* The last error of d with its values, e.g. "InvalidVersion(0)"; returns buf. */
const char *gvio_strerror(const struct gvio_dev *d, char *buf, size_t len);

uint32_t gvio_read(const struct gvio_dev *d, uint32_t off);
void gvio_write(const struct gvio_dev *d, uint32_t off, uint32_t v);

/*
 * Reads the identification registers of the region at base into d: magic,
 * version (1 or 2), then the device ID, which must be want_id. Reads only.
 */
int gvio_probe(struct gvio_dev *d, uint64_t base, uint32_t want_id);

/*
 * The initialization sequence (§3.1.1, §4.2.3): reset, ACKNOWLEDGE, DRIVER,
 * both DeviceFeatures words, DriverFeatures = offered & supported (plus
 * VERSION_1 in version 2, which requires it) | force (force: bits requested
 * whether offered or not, for tests), FEATURES_OK and its read-back (v2), each
 * of the nq queues (gvq_init'ed by the caller with their index and memory),
 * DRIVER_OK. On any failure after ACKNOWLEDGE the device is left FAILED.
 */
int gvio_init(struct gvio_dev *d, uint64_t supported, uint64_t force, struct vqd *const *qs,
              unsigned nq);

/* Status = 0, then checks Status reads 0. */
int gvio_reset(struct gvio_dev *d);
/* Sets FAILED (keeping the other bits). */
void gvio_set_failed(struct gvio_dev *d);

/* Reads len bytes of device config at off (1, 2 and 4-byte accesses), in
 * version 2 until ConfigGeneration is the same before and after (§4.2.2). */
int gvio_config_read(struct gvio_dev *d, uint32_t off, void *buf, uint32_t len);

/* Tells the device queue q has new buffers (QueueNotify = q->index),
 * unless the device asked not to be notified. */
void gvio_notify(struct gvio_dev *d, struct vqd *q);
/* Reads InterruptStatus and acknowledges every bit set; returns them. */
uint32_t gvio_ack_interrupt(const struct gvio_dev *d);

/*
 * Completion by interrupt from now on: the handler for vector reads
 * InterruptStatus, acknowledges it and counts; the IOAPIC at ioapic routes
 * gsi (with sense, the second cell of the FDT specifier) to vector.
 * Call after gvio_probe. gvio_irq_off() masks the entry and goes back to
 * polling.
 */
int gvio_irq_setup(struct gvio_dev *d, uint64_t ioapic, uint32_t gsi, uint32_t sense,
                   uint8_t vector);
void gvio_irq_off(struct gvio_dev *d);

/*
 * Waits until q has a used element: by polling used->idx (checking Status
 * for NEEDS_RESET now and then, giving up after a bounded number of
 * rounds), or with interrupts: until the handler has seen a used-buffer
 * interrupt since the last notify (sti; hlt; LAPIC timer watchdog).
 */
int gvio_wait(struct gvio_dev *d, struct vqd *q);

#endif
