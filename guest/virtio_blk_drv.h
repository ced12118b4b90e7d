/*
 * virtio_blk_drv: the guest's virtio-blk driver (virtio 1.2 §5.2) on the
 * virtio-mmio transport, one request queue (queue 0).
 *
 * A request is a chain: the 16-byte header (device-readable), the data
 * buffers (device-writable for IN and GET_ID, readable otherwise), then the
 * one status byte (device-writable). The caller owns each struct gblk_req
 * until it completes, so any number of requests may be in flight, up to
 * what the ring holds (three descriptors or more each, or one with an
 * indirect table). gblk_io() is the synchronous shortcut.
 *
 * Returns VIO_OK or an enum gvio_err; the request's own outcome is its status
 * byte (VBLK_S_*) and the used length the device reported.
 */
#ifndef GUEST_VIRTIO_BLK_DRV_H
#define GUEST_VIRTIO_BLK_DRV_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio_mmio_drv.h"
#include "virtq_drv.h"

/* Request types and status values (§5.2.6). */
#define VBLK_T_IN     0u
#define VBLK_T_OUT    1u
#define VBLK_T_FLUSH  4u
#define VBLK_T_GET_ID 8u
#define VBLK_S_OK     0u
#define VBLK_S_IOERR  1u
#define VBLK_S_UNSUPP 2u

/* Feature bits (§5.2.3). */
#define VBLK_F_SEG_MAX  2
#define VBLK_F_RO       5
#define VBLK_F_BLK_SIZE 6
#define VBLK_F_FLUSH    9

/* Config space offsets (§5.2.4). */
#define VBLK_CFG_CAPACITY 0x00
#define VBLK_CFG_SEG_MAX  0x0c
#define VBLK_CFG_BLK_SIZE 0x14

#define VBLK_SECTOR   512u
#define VBLK_ID_BYTES 20u
#define VBLK_MAX_SEGS 16u /* data buffers in one request */

/* What this driver accepts when the device offers it. */
#define VBLK_SUPPORTED                                                                             \
        (VIO_BIT(VBLK_F_SEG_MAX) | VIO_BIT(VBLK_F_RO) | VIO_BIT(VBLK_F_BLK_SIZE) |                 \
         VIO_BIT(VBLK_F_FLUSH) | VIO_BIT(VIO_F_INDIRECT_DESC) | VIO_BIT(VIO_F_EVENT_IDX))

struct gblk_hdr {
        uint32_t type;
        uint32_t reserved;
        uint64_t sector;
};

struct gblk_req {
        struct gblk_hdr hdr; /* device-readable */
        uint8_t status;      /* device-writable; 0xff until the device writes it */
        bool done;
        uint16_t head;
        uint32_t used_len;
        /* An indirect table of at least nseg + 2 entries, or NULL for a
         * chain of ring descriptors. */
        struct gvq_desc *indirect;
};

struct gblk {
        struct gvio_dev io;
        struct vqd q;
        uint64_t capacity; /* 512-byte sectors */
        uint32_t seg_max;  /* 0 unless SEG_MAX was negotiated */
        uint32_t blk_size; /* 0 unless BLK_SIZE was negotiated */
        bool ro;           /* RO offered */
};

/* Probes the region at base for a virtio-blk device (gvio_probe). */
int gblk_probe(struct gblk *b, uint64_t base);
/*
 * Initializes the probed device with queue 0 of up to qsize entries in
 * ring_mem (page-aligned, gvq_mem_size bytes), accepting VBLK_SUPPORTED, and
 * reads the config. Completion is by interrupt if gvio_irq_setup() ran.
 */
int gblk_init(struct gblk *b, void *ring_mem, size_t ring_size, uint16_t qsize);
/* The same with the features to accept and to force given (tests). */
int gblk_init_features(struct gblk *b, void *ring_mem, size_t ring_size, uint16_t qsize,
                       uint64_t supported, uint64_t force);

/* Adds request r (type, sector, nseg data buffers) to the ring; no notify. */
int gblk_submit(struct gblk *b, struct gblk_req *r, uint32_t type, uint64_t sector,
                const struct gvq_buf *data, unsigned nseg);
/* Notifies the device of everything submitted. */
void gblk_kick(struct gblk *b);
/* Collects every used element waiting (marks their requests done). */
int gblk_reap(struct gblk *b);
/* Waits until r is done. */
int gblk_wait(struct gblk *b, struct gblk_req *r);
/* submit + kick + wait for one request. */
int gblk_do(struct gblk *b, struct gblk_req *r, uint32_t type, uint64_t sector,
            const struct gvq_buf *data, unsigned nseg);
/* One contiguous buffer of len bytes; *status gets the status byte. */
int gblk_io(struct gblk *b, uint32_t type, uint64_t sector, void *buf, uint32_t len,
            uint8_t *status);

#endif
