/*
 * virtio_err: the errors of the guest's virtio drivers (transport, virtqueue,
 * virtio-blk), one enum for all three so a test can print any of them. The
 * names follow the initialization error taxonomy drivers commonly use
 * (NotAVirtIODevice, InvalidVersion, IncompatibleDeviceType(id),
 * FeatureNegotiationFailed{offered, accepted}, VirtqueueNotAvailable(index)).
 */
#ifndef GUEST_VIRTIO_ERR_H
#define GUEST_VIRTIO_ERR_H

#include <stdint.h>

enum gvio_err {
        VIO_OK = 0,
        VIO_ERR_NOT_A_VIRTIO_DEVICE,        /* MagicValue is not "virt" (value) */
        VIO_ERR_INVALID_VERSION,            /* Version neither 1 nor 2 (value) */
        VIO_ERR_NO_DEVICE,                  /* DeviceID 0: a placeholder slot */
        VIO_ERR_INCOMPATIBLE_DEVICE_TYPE,   /* DeviceID (value) is not the driver's */
        VIO_ERR_FEATURE_NEGOTIATION_FAILED, /* FEATURES_OK refused (offered, accepted) */
        VIO_ERR_QUEUE_NOT_AVAILABLE,        /* QueueNumMax 0 for queue (value) */
        VIO_ERR_QUEUE_IN_USE,               /* queue (value) already ready / has a PFN */
        VIO_ERR_QUEUE_MEMORY,               /* ring memory too small or misaligned */
        VIO_ERR_RESET_FAILED,               /* Status did not read 0 after reset (value) */
        VIO_ERR_STATUS,                     /* a status bit did not read back (value) */
        VIO_ERR_NEEDS_RESET,                /* the device set DEVICE_NEEDS_RESET (value) */
        VIO_ERR_CONFIG_UNSTABLE,            /* ConfigGeneration kept changing */
        VIO_ERR_QUEUE_FULL,                 /* not enough free descriptors (value: needed) */
        VIO_ERR_BAD_CHAIN,                  /* a chain the driver refuses to build */
        VIO_ERR_BAD_USED,                   /* used element names no chain in flight (value) */
        VIO_ERR_USED_OVERRUN,               /* used->idx ran ahead of what is in flight */
        VIO_ERR_TIMEOUT,                    /* no completion (polling) */
        VIO_ERR_NO_INTERRUPT,               /* no interrupt arrived (watchdog) */
        VIO_ERR_IRQ_SETUP,                  /* no usable interrupt description */
        VIO_ERR_NOT_LIVE,                   /* I/O before a successful init */
};

struct gvio_error {
        enum gvio_err code;
        uint64_t value;    /* version, device ID, queue index, ... */
        uint64_t offered;  /* FEATURE_NEGOTIATION_FAILED */
        uint64_t accepted; /* FEATURE_NEGOTIATION_FAILED */
};

/* "FeatureNegotiationFailed", "VirtqueueNotAvailable", ... */
const char *gvio_err_name(enum gvio_err e);

#endif
