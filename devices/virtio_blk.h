/*
 * virtio_blk: the virtio block device (virtio 1.2 §5.2) on any virtio
 * transport, through vblk_ops.
 *
 * One request queue of VBLK_QUEUE_MAX entries. Requests IN, OUT, FLUSH and
 * GET_ID; every other type is UNSUPP (DISCARD and WRITE_ZEROES are not
 * offered). Data moves directly between the image and guest RAM: the
 * request's guest buffers become iovecs for one preadv/pwritev (no bounce
 * buffer). Each notify serves every available chain (at most the queue size)
 * and interrupts at most once for the batch. On a synchronous disk each
 * request completes before the next is popped; on an io_uring disk
 * (disk_use_uring) the batch's transfers are submitted together and
 * completed before the notify call returns, so nothing is in flight between
 * calls. Offered: VERSION_1, RO (read-only image), FLUSH, BLK_SIZE, SEG_MAX,
 * INDIRECT_DESC, EVENT_IDX; nothing else (M13).
 * A malformed request gets IOERR when it has a status byte and used.len 0
 * when it has none (B2); nothing a guest sends stops the VMM.
 */
#ifndef MINIVMM_VIRTIO_BLK_H
#define MINIVMM_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/virtio_blk.h>

#include "disk.h"
#include "virtio.h"

#define VBLK_SECTOR      512u
#define VBLK_QUEUE_MAX   256u
#define VBLK_ID_BYTES    VIRTIO_BLK_ID_BYTES /* 20 */
#define VBLK_CONFIG_SIZE 0x24u               /* capacity .. num_queues; unused fields read 0 */
#define VBLK_BATCH_MAX   VBLK_QUEUE_MAX      /* requests per io_uring submission */
#define VBLK_BATCH_IOV   2048u               /* iovecs per io_uring submission */

/* What the device did, for --stats. */
struct vblk_stats {
        uint64_t requests;      /* chains served (every status, used.len 0 ones too) */
        uint64_t bytes_read;    /* image -> guest, requests that ended OK */
        uint64_t bytes_written; /* guest -> image, requests that ended OK */
};

/* A request whose transfer waits in the batch: what its completion needs. */
struct vblk_inflight {
        uint16_t head;
        uint64_t status_gpa;
        uint32_t type, used;
        uint64_t sector, bytes;
};

/*
 * Transfers queued for one io_uring submission, or, while writes go
 * through (FLUSH not negotiated), for one run and one fdatasync on a
 * synchronous disk (empty between notify calls).
 */
struct vblk_batch {
        unsigned n, niov;
        struct disk_op ops[VBLK_BATCH_MAX + 1]; /* + the write-through FLUSH */
        struct vblk_inflight req[VBLK_BATCH_MAX];
        struct iovec iov[VBLK_BATCH_IOV];
};

struct vblk {
        struct disk *disk;
        uint64_t capacity; /* whole 512-byte sectors of the image */
        uint8_t id[VBLK_ID_BYTES];
        uint8_t config[VBLK_CONFIG_SIZE]; /* little-endian image of virtio_blk_config */
        uint64_t negotiated;
        bool write_through; /* this batch: FLUSH not negotiated (§5.2.6.2) */
        struct vblk_stats stats;
        struct vblk_batch batch;
};

extern const struct virtio_dev_ops vblk_ops;

/*
 * Binds the device to an open disk and its GET_ID serial: the bytes of serial
 * up to a NUL or 20 bytes, whichever comes first, NUL-padded to 20 (B6);
 * NULL gives an empty serial. disk_serial() computes a stable one.
 * 0, or -EINVAL when the image holds no whole sector.
 */
int vblk_init(struct vblk *b, struct disk *disk, const char *serial);

#endif
