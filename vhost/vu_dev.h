/*
 * vu_dev: one vhost-user connection's device state, behind the messages
 * (docs/vhost-user.md).
 *
 * The device model is devices/virtio_blk.c over devices/virtq.c, as in the
 * VMM; what differs is guest memory, which here is the front end's memory
 * table (SET_MEM_TABLE), mmapped from the descriptors it sends into a gmem
 * whose regions also carry the front end's addresses (the ring addresses of
 * SET_VRING_ADDR are in those).
 *
 * vu_dev_handle() applies one message that vu_msg_check() accepted. It
 * returns NULL, possibly with a reply to send, or a static string naming
 * what the front end got wrong: the caller then prints it, closes the
 * connection and calls vu_dev_drop(). Nothing here touches the disk except
 * vu_dev_kick() (the ring's requests) and vu_dev_drop() (a flush).
 * Descriptors that came with a message are taken (kept or closed) by
 * vu_dev_handle, whatever it returns.
 *
 * One queue (GET_QUEUE_NUM says 1). It is served only while started (a
 * kick descriptor came), enabled (SET_VRING_ENABLE, or implicitly without
 * protocol features) and its addresses known; GET_VRING_BASE stops it.
 */
#ifndef MINIVMM_VU_DEV_H
#define MINIVMM_VU_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/disk.h"
#include "devices/gmem.h"
#include "devices/virtio_blk.h"
#include "devices/virtq.h"
#include "vhost/vu_msg.h"

struct vu_map {
        void *base; /* mmap result, NULL when unused */
        uint64_t len;
};

struct vu_ring {
        int kick, call, err; /* -1 when none */
        bool started;        /* a kick descriptor came (or polling was asked) */
        bool enabled;        /* SET_VRING_ENABLE 1, or no protocol features */
        bool addr_set;
        uint32_t num;
        uint64_t desc_uva, avail_uva, used_uva;
        uint16_t base; /* next avail index while the queue is not running */
        bool running;  /* vq enabled on the current layout */
        struct virtq vq;
};

struct vu_dev {
        struct vblk *blk;
        struct gmem gm;
        struct vu_map maps[VU_MAX_REGIONS];
        uint64_t features; /* acked by SET_FEATURES */
        uint64_t protocol; /* acked by SET_PROTOCOL_FEATURES */
        bool features_set;
        int backend_req; /* SET_BACKEND_REQ_FD's descriptor, or -1 */
        struct vu_ring ring;
        uint64_t kicks;        /* kick notifications served, for --stats */
        uint64_t written_base; /* blk->stats.bytes_written when the connection began */
};

/* Binds a fresh connection state to the device model (vblk_init done). */
void vu_dev_init(struct vu_dev *d, struct vblk *blk);
/* What GET_FEATURES and GET_PROTOCOL_FEATURES answer. */
uint64_t vu_dev_features(const struct vu_dev *d);
uint64_t vu_dev_protocol_features(void);
/*
 * Applies m (vu_msg_check passed). On NULL, *reply is set when an answer
 * is due (header and payload filled, hdr.size the payload size).
 */
const char *vu_dev_handle(struct vu_dev *d, struct vu_msg *m, struct vu_msg *reply,
                          bool *has_reply);
/* The kick descriptor to poll, or -1 when the queue is not running. */
int vu_dev_kick_fd(const struct vu_dev *d);
/*
 * The driver kicked (the eventfd was read): serves the available requests,
 * one pass of at most the queue size; true when requests still wait and the
 * caller must call again (without waiting for a kick).
 */
bool vu_dev_kick(struct vu_dev *d);
/*
 * Forgets the connection: stops the queue, unmaps memory, closes descriptors,
 * and flushes the disk when the connection wrote to it.
 */
void vu_dev_drop(struct vu_dev *d);

#endif
