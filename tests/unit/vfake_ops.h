/*
 * vfake_ops: the struct virtio_dev_ops of a unit test's fake device
 * (devices/virtio.h), header-only. A test names its callbacks PREFIX_features,
 * PREFIX_config_read, PREFIX_num_queues, PREFIX_queue_max, PREFIX_notify,
 * PREFIX_reset and PREFIX_activate, and VF_DEV_OPS(var, PREFIX, name, id,
 * config size) defines the table, so no test writes it out again.
 */
#ifndef MINIVMM_TESTS_VFAKE_OPS_H
#define MINIVMM_TESTS_VFAKE_OPS_H

#include "devices/virtio.h"

#define VF_DEV_OPS(var, prefix, dev_name, id, cfg_size)                                            \
        static const struct virtio_dev_ops var = {                                                 \
            .name = (dev_name),                                                                    \
            .device_id = (id),                                                                     \
            .features = prefix##_features,                                                         \
            .config_size = (cfg_size),                                                             \
            .config_read = prefix##_config_read,                                                   \
            .num_queues = prefix##_num_queues,                                                     \
            .queue_max = prefix##_queue_max,                                                       \
            .notify = prefix##_notify,                                                             \
            .reset = prefix##_reset,                                                               \
            .activate = prefix##_activate,                                                         \
        }

#endif
