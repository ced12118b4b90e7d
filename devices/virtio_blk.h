/*
 * virtio_blk: the virtio block device (virtio 1.2 §5.2) on any virtio
 * transport, through vblk_ops.
 *
 * One request queue of VBLK_QUEUE_MAX entries. Requests IN, OUT, FLUSH and
 * GET_ID; every other type is UNSUPP (DISCARD and WRITE_ZEROES are not
 * offered). Data moves directly between the image and guest RAM: the
 * request's guest buffers become iovecs for one preadv/pwritev (no bounce
 * buffer). Each notify is one pass over the queue (virtq.h) and interrupts
 * at most once for it. Every request goes through one path: it is served
 * into the batch (its status known, or its disk operation queued), the
 * batch's operations go to the disk in one disk_run call (whatever engine
 * the disk has), and then every request of the batch completes in order, so
 * nothing is in flight between notify calls. Offered: VERSION_1, RO (read-only image), FLUSH,
 * BLK_SIZE, SEG_MAX, INDIRECT_DESC, EVENT_IDX; nothing else (M13). A malformed request gets IOERR
 * when it has a status byte and used.len 0 when it has none (B2); nothing a guest sends stops the
 * VMM.
 */
#ifndef MINIVMM_VIRTIO_BLK_H
#define MINIVMM_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/virtio_blk.h>

#include "disk.h"
#include "errtab.h"
#include "virtio.h"

#define VBLK_SECTOR      512u
#define VBLK_QUEUE_MAX   256u
#define VBLK_ID_BYTES    VIRTIO_BLK_ID_BYTES /* 20 */
#define VBLK_CONFIG_SIZE 0x24u               /* capacity .. num_queues; unused fields read 0 */
#define VBLK_BATCH_MAX   VBLK_QUEUE_MAX      /* requests per batch (one disk_run) */
#define VBLK_BATCH_IOV   2048u               /* iovecs per batch */

/*
 * Why a request failed: the enum the tests assert, and the words --trace
 * prints after the status ("-> IOERR: sectors beyond the disk").
 */
#define VBLK_ERRORS(X)                                                                             \
        X(VBLK_E_NONE, "")                                                                         \
        X(VBLK_E_HEADER, "header shorter than 16 readable bytes")                                  \
        X(VBLK_E_LEN, "data not a multiple of 512 bytes")                                          \
        X(VBLK_E_RANGE, "sectors beyond the disk")                                                 \
        X(VBLK_E_IN_DATA, "IN with readable data")                                                 \
        X(VBLK_E_OUT_DATA, "OUT with writable data")                                               \
        X(VBLK_E_GET_ID_DATA, "GET_ID with readable data")                                         \
        X(VBLK_E_RO, "read-only disk")                                                             \
        X(VBLK_E_BUF_RAM, "buffer not in guest RAM")                                               \
        X(VBLK_E_ID_RAM, "id not writable")                                                        \
        X(VBLK_E_READ, "image read failed")                                                        \
        X(VBLK_E_WRITE, "image write failed")                                                      \
        X(VBLK_E_FLUSH, "fdatasync failed")                                                        \
        X(VBLK_E_UNSTABLE, "fdatasync after the write failed")                                     \
        X(VBLK_E_TODO, "not implemented (TODO(lab))")

enum vblk_err { VBLK_ERRORS(ERRTAB_ENUM) VBLK_ERR_COUNT };

/* What the device did, for --stats. */
struct vblk_stats {
        uint64_t requests;      /* chains served (every status, used.len 0 ones too) */
        uint64_t bytes_read;    /* image -> guest, requests that ended OK */
        uint64_t bytes_written; /* guest -> image, requests that ended OK */
};

/* A request served into the batch: what its completion needs. */
struct vblk_inflight {
        uint16_t head;
        bool has_status;   /* false: no writable status byte, used.len 0 (B2) */
        uint8_t status;    /* as served; a failed disk operation makes it IOERR */
        enum vblk_err err; /* why it failed, VBLK_E_NONE while it did not */
        const char *stub;  /* VBLK_E_TODO: the lab's unwritten function */
        int op;            /* its operation in ops, or -1 */
        uint64_t status_gpa;
        uint32_t type, used;
        uint64_t sector, bytes;
};

/*
 * The requests of one batch and the disk operations they queued, run by one
 * disk_run (empty between notify calls).
 */
struct vblk_batch {
        unsigned nreq, nops, niov;
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
        enum vblk_err last_err; /* why the last failed request failed (VBLK_E_NONE: none yet) */
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
/* The trace's words for a request's failure ("sectors beyond the disk"). */
const char *vblk_err_name(enum vblk_err e);

#endif
