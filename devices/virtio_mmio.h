/*
 * virtio_mmio: the virtio-mmio transport (virtio 1.2 §4.2), version 2
 * (modern) or version 1 (legacy, §4.2.4), for any device implementing
 * struct virtio_dev_ops.
 *
 * One 0x1000-byte region per device: registers below 0x100, the device's
 * config space from 0x100. vmmio_access() takes every guest access in the
 * region: registers answer aligned 32-bit accesses only, config space 1, 2, 4
 * or 8 bytes inside its size; anything else reads 0 and writes nothing
 * (M10, M11). A QueueNotify is processed synchronously, inside that call, by
 * the device's notify op (M4); an ioeventfd delivers the same notification
 * through vmmio_notify_queue(). Nothing here knows KVM or threads: callers
 * serialize every call on one transport (vslot holds a mutex).
 *
 * Interrupts: the transport owns InterruptStatus and one level-triggered
 * line. set_irq(irq_opaque, level) is called each time the level changes,
 * and only then: high exactly while InterruptStatus != 0 (M2). The line is
 * low after init (no call).
 *
 * Errors never stop the VMM: an unrecoverable driver error sets
 * DEVICE_NEEDS_RESET (0x40), raises a config-change interrupt if DRIVER_OK,
 * and stops all queue processing until the driver writes Status = 0 (M7).
 * Status = 0 resets everything except GuestPageSize (legacy drivers write it
 * once, before their first reset) and ConfigGeneration (M3).
 */
#ifndef MINIVMM_VIRTIO_MMIO_H
#define MINIVMM_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/virtio_mmio.h>

#include "gmem.h"
#include "virtio.h"
#include "virtq.h"

#define VMMIO_REGION_SIZE 0x1000u
#define VMMIO_MAGIC       0x74726976u /* "virt" */
/* minivmm's own vendor: "MMVM" read as a little-endian word. */
#define VMMIO_VENDOR_ID  0x4d564d4du
#define VMMIO_MAX_QUEUES 8u
#define VMMIO_PAGE_SIZE  4096u /* GuestPageSize and QueueAlign until written (v1) */

/* Per-queue registers as the driver wrote them, and the queue itself. */
struct vmmio_queue {
        uint16_t max;                  /* QueueNumMax */
        uint32_t num;                  /* QueueNum; QueueNumMax after reset */
        uint64_t desc, driver, device; /* v2 QueueDesc/QueueDriver/QueueDevice */
        uint32_t align, pfn;           /* v1 QueueAlign, QueuePFN */
        struct virtq vq;
};

struct vmmio {
        char name[24]; /* names it in traces: "virtio-mmio@0" unless its owner sets it */
        const struct gmem *gm;
        const struct virtio_dev_ops *ops;
        void *dev;
        bool legacy;
        void (*set_irq)(void *opaque, bool level);
        void *irq_opaque;
        bool line;        /* the level last given to set_irq */
        unsigned nq;      /* queues, at most VMMIO_MAX_QUEUES */
        uint64_t offered; /* DeviceFeatures */
        /* Driver-visible state, cleared by Status = 0. */
        uint32_t status; /* bits the driver set; NEEDS_RESET is kept apart */
        bool needs_reset;
        enum vq_err reset_reason; /* why DEVICE_NEEDS_RESET was set; VQ_OK while not */
        uint32_t dev_features_sel, drv_features_sel;
        uint64_t driver_features;
        bool driver_features_beyond_64; /* non-zero DriverFeatures with sel >= 2 */
        uint32_t queue_sel;
        uint32_t interrupt_status;
        /* Kept across Status = 0. */
        uint32_t guest_page_size; /* v1 */
        uint32_t config_generation;
        struct vmmio_queue q[VMMIO_MAX_QUEUES];
};

/*
 * Binds the transport to guest memory, a device and an interrupt line, and
 * resets it. legacy selects version 1. The device's queues beyond
 * VMMIO_MAX_QUEUES are not exposed.
 */
void vmmio_init(struct vmmio *t, const struct gmem *gm, const struct virtio_dev_ops *ops, void *dev,
                bool legacy, void (*set_irq)(void *opaque, bool level), void *irq_opaque);
/* A guest access of len bytes at offset into the region (data: len bytes). */
void vmmio_access(struct vmmio *t, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
/*
 * QueueNotify of queue q, as an ioeventfd delivers it (the register write
 * never reaches the VMM): ignored unless q is live (M4, M9). The device's
 * notify op runs one pass over the queue (virtq.h: it pops until
 * vq_pop_or_arm answers anything but a chain). True when the pass yielded
 * (vq_yielded): chains may still wait and the driver will not kick for
 * them, so the caller must call again later (vslot re-signals the
 * ioeventfd, so other queues are served in between).
 */
bool vmmio_notify_queue(struct vmmio *t, uint32_t q);
/* What Status = 0 does; also for a VMM-initiated reset. */
void vmmio_reset(struct vmmio *t);
/*
 * M7: DEVICE_NEEDS_RESET, for why: a queue's fatal error or a layout
 * vq_enable refused (enum vq_err; traced by name, kept in reset_reason).
 */
void vmmio_needs_reset(struct vmmio *t, enum vq_err why);
/* M5: the device config changed: ConfigGeneration moves, config interrupt if DRIVER_OK. */
void vmmio_config_changed(struct vmmio *t);
/* The features both sides agreed on (valid once FEATURES_OK, or DRIVER in v1). */
uint64_t vmmio_negotiated(const struct vmmio *t);

#endif
