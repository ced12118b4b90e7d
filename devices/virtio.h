/*
 * virtio: what every virtio device model and every virtio transport share.
 *
 * A device (virtio-blk, ...) implements struct virtio_dev_ops and never sees
 * registers; a transport (virtio-mmio today) implements the registers, the
 * status state machine and feature negotiation once, and calls the device
 * only through this table. The device reaches its driver only through the
 * virtqueues it is handed (virtq.h): vq_pop/vq_push for requests,
 * vq_signal_used for "used buffer" interrupts, vq_fail for DEVICE_NEEDS_RESET.
 * Constants come from Linux's uapi headers; the masks below are 64-bit.
 */
#ifndef MINIVMM_VIRTIO_H
#define MINIVMM_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#define VIRTIO_BIT(b) (1ULL << (b))

/* Device status bits (virtio 1.2 §2.1), from linux/virtio_config.h. */
#define VIRTIO_STATUS_ACKNOWLEDGE VIRTIO_CONFIG_S_ACKNOWLEDGE
#define VIRTIO_STATUS_DRIVER      VIRTIO_CONFIG_S_DRIVER
#define VIRTIO_STATUS_DRIVER_OK   VIRTIO_CONFIG_S_DRIVER_OK
#define VIRTIO_STATUS_FEATURES_OK VIRTIO_CONFIG_S_FEATURES_OK
#define VIRTIO_STATUS_NEEDS_RESET VIRTIO_CONFIG_S_NEEDS_RESET
#define VIRTIO_STATUS_FAILED      VIRTIO_CONFIG_S_FAILED

/* Transport and ring feature bits this code base implements (M13). */
#define VIRTIO_FEAT_INDIRECT_DESC VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC)
#define VIRTIO_FEAT_EVENT_IDX     VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX)
#define VIRTIO_FEAT_VERSION_1     VIRTIO_BIT(VIRTIO_F_VERSION_1)

/*
 * Bits 24..41 belong to the transport and the ring (virtio 1.2 §6). A
 * transport offers only those of them listed in VIRTIO_FEAT_TRANSPORT_OK,
 * whatever a device claims: RING_PACKED, NOTIFICATION_DATA, RING_RESET,
 * ACCESS_PLATFORM... are never offered (M13). EVENT_IDX is implemented by
 * virtq.c (used_event, avail_event) and offered by virtio-blk.
 */
#define VIRTIO_FEAT_TRANSPORT_RANGE (((1ULL << 42) - 1) & ~((1ULL << 24) - 1))
#define VIRTIO_FEAT_TRANSPORT_OK                                                                   \
        (VIRTIO_FEAT_INDIRECT_DESC | VIRTIO_FEAT_EVENT_IDX | VIRTIO_FEAT_VERSION_1)

struct virtq;

/*
 * One device model. dev is the device's own state, passed back untouched.
 * Called only from the transport, one call at a time (the transport's caller
 * serializes). Every guest-controlled value reaching the device is already
 * bounded: config_read gets off + len <= config_size, notify gets a live queue.
 */
struct virtio_dev_ops {
        const char *name;   /* for traces: "virtio-blk" */
        uint32_t device_id; /* VIRTIO_ID_* */
        /* Every feature the device implements, VERSION_1 included (the transport
         * drops it in legacy mode). */
        uint64_t (*features)(void *dev);
        uint32_t config_size; /* bytes of device config space */
        void (*config_read)(void *dev, uint32_t off, void *buf, uint32_t len);
        /* Optional; NULL means the config space is read-only (writes ignored). */
        void (*config_write)(void *dev, uint32_t off, const void *buf, uint32_t len);
        unsigned (*num_queues)(void *dev);
        uint16_t (*queue_max)(void *dev, unsigned q); /* QueueNumMax, a power of 2 */
        /* The driver kicked a live queue: one pass (virtq.h): pop with
         * vq_pop_or_arm until it answers anything but VQ_POP_CHAIN, push the
         * used elements, then vq_signal_used(). Bounded by the pass's budget;
         * the transport calls again when the pass yielded (vq_yielded). */
        void (*notify)(void *dev, struct virtq *vq);
        /* Status 0 was written: forget everything negotiated. */
        void (*reset)(void *dev);
        /* DRIVER_OK was accepted with these negotiated features. */
        void (*activate)(void *dev, uint64_t negotiated);
};

#endif
