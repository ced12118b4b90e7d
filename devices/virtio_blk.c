/*
 * virtio_blk: the virtio block device (contract: virtio_blk.h; protocol:
 * virtio 1.2 §5.2, layouts from linux/virtio_blk.h).
 *
 * A request is a chain the virtqueue already validated: every segment is in
 * guest RAM, readable ones first, less than 4 GiB in all. Here only its
 * meaning is checked: a 16-byte header at the start of the readable bytes,
 * a status byte at the very end of the writable ones, the data in between
 * (B1-B3). The header is copied once into a local; data goes straight
 * between the image and guest RAM: each piece of guest memory becomes one
 * iovec, and one vectored disk operation moves the whole request (no bounce
 * buffer). Every request is served into the batch; the batch's operations
 * go to the disk together (vblk_batch_run), then its requests complete in
 * order.
 */
#include "virtio_blk.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "le.h"
#include "trace.h"
#include "virtq.h"

#define VBLK_HDR_SIZE 16u

/* Config offsets (virtio 1.2 §5.2.4). */
#define VBLK_CFG_CAPACITY 0x00
#define VBLK_CFG_SEG_MAX  0x0c
#define VBLK_CFG_BLK_SIZE 0x14

/* One request being served. */
struct vblk_req {
        const struct vq_chain *c;
        uint32_t type;
        uint64_t sector;
        uint64_t bytes;    /* data bytes, for the trace */
        enum vblk_err err; /* why it failed (VBLK_E_NONE) */
        const char *stub;  /* with VBLK_E_TODO: the function not written yet */
        int op;            /* its disk operation in the batch, or -1 */
};

/* The lab's stubs: r fails because the calling function is not written yet. */
#define VBLK_TODO(r) ((r)->err = VBLK_E_TODO, (r)->stub = __func__)

const char *vblk_err_name(enum vblk_err e)
{
        static const char *const words[VBLK_ERR_COUNT] = {VBLK_ERRORS(ERRTAB_WORDS)};

        return errtab_name(words, VBLK_ERR_COUNT, (unsigned)e);
}

/* A byte range [skip, skip + len) of some of a chain's segments. */
struct vblk_area {
        const struct vq_seg *segs;
        unsigned nsegs;
        uint64_t skip;
        uint64_t len;
};

/* Called on each piece of an area: gpa, len, and pos (bytes of the area before it). */
typedef int (*vblk_piece_fn)(void *ctx, uint64_t gpa, uint64_t len, uint64_t pos);

struct vblk_io {
        const struct gmem *gm;
        uint8_t *buf;      /* host buffer of copies (header, id) */
        struct iovec *iov; /* iovecs gathered by vblk_piece_iov, at most VQ_CHAIN_MAX */
        unsigned niov;
};

/* --- areas of a chain ---------------------------------------------------- */

static struct vblk_area vblk_readable(const struct vq_chain *c, uint64_t skip, uint64_t len)
{
        return (struct vblk_area){c->segs, c->nreadable, skip, len};
}

static struct vblk_area vblk_writable(const struct vq_chain *c, uint64_t len)
{
        return (struct vblk_area){c->segs + c->nreadable, c->nsegs - c->nreadable, 0, len};
}

/* Calls fn on each piece of the area in order; at most nsegs calls. */
static int vblk_walk(const struct vblk_area *a, vblk_piece_fn fn, void *ctx)
{
        uint64_t skip = a->skip, left = a->len, pos = 0, n, len, gpa;
        unsigned i;
        int r;

        for (i = 0; i < a->nsegs && left > 0; i++) {
                len = a->segs[i].len;
                if (skip >= len) {
                        skip -= len;
                        continue;
                }
                gpa = a->segs[i].gpa + skip; /* inside the segment: no wrap */
                len -= skip;
                skip = 0;
                n = len < left ? len : left;
                r = fn(ctx, gpa, n, pos);
                if (r < 0)
                        return r;
                pos += n;
                left -= n;
        }
        return left == 0 ? 0 : -EFAULT;
}

static int vblk_piece_copy_in(void *ctx, uint64_t gpa, uint64_t len, uint64_t pos)
{
        struct vblk_io *io = ctx;

        return gmem_read(io->gm, gpa, io->buf + pos, len);
}

static int vblk_piece_copy_out(void *ctx, uint64_t gpa, uint64_t len, uint64_t pos)
{
        struct vblk_io *io = ctx;

        return gmem_write(io->gm, gpa, io->buf + pos, len);
}

static int vblk_piece_zero(void *ctx, uint64_t gpa, uint64_t len, uint64_t pos)
{
        struct vblk_io *io = ctx;
        uint8_t *p = gmem_ptr(io->gm, gpa, len);

        (void)pos;
        if (p == NULL)
                return -EFAULT;
        memset(p, 0, (size_t)len);
        return 0;
}

/*
 * §2.7.8.2: the device must have written at least used.len bytes from the
 * start of the writable area. used.len is always every writable byte, as
 * QEMU reports it, so the bytes a request did not fill are written with
 * zeros: the data of a failed IN, GET_ID's room past the 20 id bytes.
 */
static void vblk_zero(const struct gmem *gm, const struct vblk_area *a)
{
        struct vblk_io io = {.gm = gm};

        (void)vblk_walk(a, vblk_piece_zero, &io); /* the chain is in RAM: cannot fail */
}

/*
 * Zero-copy: a piece of guest memory becomes an iovec for preadv/pwritev,
 * merged with the previous one when the two are contiguous in the host.
 * An area has at most VQ_CHAIN_MAX pieces, so io->iov never overflows.
 */
static int vblk_piece_iov(void *ctx, uint64_t gpa, uint64_t len, uint64_t pos)
{
        struct vblk_io *io = ctx;
        uint8_t *p = gmem_ptr(io->gm, gpa, len);
        struct iovec *prev = io->niov ? &io->iov[io->niov - 1] : NULL;

        (void)pos;
        if (p == NULL)
                return -EFAULT;
        if (prev != NULL && (uint8_t *)prev->iov_base + prev->iov_len == p) {
                prev->iov_len += (size_t)len; /* the chain is < 4 GiB: no overflow */
                return 0;
        }
        io->iov[io->niov++] = (struct iovec){p, (size_t)len};
        return 0;
}

/* --- the batch ------------------------------------------------------------ */

/*
 * §5.2.6.2: FLUSH is offered (and CONFIG_WCE never is), so when the driver
 * did not negotiate FLUSH every write must be stable before it completes.
 * U-Boot never negotiates it; a legacy driver may not have written its
 * features yet (§3.1.2): both get write-through, one FLUSH behind each
 * batch's writes (vblk_batch_run).
 */
static bool vblk_write_through(const struct vblk *b, const struct virtq *vq)
{
        return !b->disk->ro && !(vq->features & VIRTIO_BIT(VIRTIO_BLK_F_FLUSH));
}

/* Room for one more request of up to VQ_CHAIN_MAX pieces. */
static bool vblk_batch_has_room(const struct vblk *b)
{
        const struct vblk_batch *q = &b->batch;

        return q->nreq < VBLK_BATCH_MAX && VBLK_BATCH_IOV - q->niov >= VQ_CHAIN_MAX;
}

/* Queues r's disk operation over the niov iovecs gathered at q->iov[niov..]. */
static void vblk_batch_add(struct vblk *b, struct vblk_req *r, enum disk_op_kind kind, uint64_t off,
                           unsigned niov)
{
        struct vblk_batch *q = &b->batch;

        r->op = (int)q->nops;
        q->ops[q->nops++] =
            (struct disk_op){.kind = kind, .off = off, .iov = q->iov + q->niov, .iovcnt = niov};
        q->niov += niov;
}

/* --- requests ------------------------------------------------------------ */

/* LAB(virtio-blk) BEGIN range-check */
/* B3: whole sectors inside the disk, overflow-safe. */
static bool vblk_range_ok(const struct vblk *b, struct vblk_req *r, uint64_t len)
{
        uint64_t nsect = len / VBLK_SECTOR;

        if (len % VBLK_SECTOR != 0) {
                r->err = VBLK_E_LEN;
                return false;
        }
        if (r->sector > b->capacity || nsect > b->capacity - r->sector) {
                r->err = VBLK_E_RANGE;
                return false;
        }
        return true;
}
/* LAB(virtio-blk) END range-check */

/* LAB(virtio-blk) BEGIN parse */
/* B1: the 16 header bytes, gathered once from the readable segments. */
static bool vblk_read_header(const struct gmem *gm, struct vblk_req *r)
{
        uint8_t hdr[VBLK_HDR_SIZE];
        struct vblk_io io = {.gm = gm, .buf = hdr};
        struct vblk_area a = vblk_readable(r->c, 0, VBLK_HDR_SIZE);

        if (r->c->read_len < VBLK_HDR_SIZE || vblk_walk(&a, vblk_piece_copy_in, &io) < 0) {
                r->err = VBLK_E_HEADER;
                return false;
        }
        r->type = le32_get(hdr);
        r->sector = (uint64_t)le32_get(hdr + 8) | (uint64_t)le32_get(hdr + 12) << 32;
        return true;
}

/* Readable bytes beyond the header, writable bytes before the status byte. */
static uint64_t vblk_out_len(const struct vq_chain *c)
{
        return c->read_len - VBLK_HDR_SIZE;
}

static uint64_t vblk_in_len(const struct vq_chain *c)
{
        return c->write_len - 1;
}
/* LAB(virtio-blk) END parse */

/*
 * The data of a checked IN or OUT, straight between image and guest RAM:
 * the area's iovecs become one operation of the batch. OK, unless the data
 * is not in guest RAM; a failed operation turns it into IOERR later
 * (vblk_batch_run).
 */
static uint8_t vblk_transfer(struct vblk *b, const struct gmem *gm, struct vblk_req *r,
                             const struct vblk_area *a, enum disk_op_kind kind)
{
        /* Room: vblk_batch_has_room before the chain was popped. */
        struct vblk_io io = {.gm = gm, .iov = b->batch.iov + b->batch.niov};

        if (vblk_walk(a, vblk_piece_iov, &io) < 0) {
                r->err = VBLK_E_BUF_RAM;
                return VIRTIO_BLK_S_IOERR;
        }
        /* checked: sector <= capacity < 2^55 */
        vblk_batch_add(b, r, kind, r->sector * VBLK_SECTOR, io.niov);
        return VIRTIO_BLK_S_OK;
}

/* LAB(virtio-blk) BEGIN execute */
static uint8_t vblk_do_in(struct vblk *b, const struct gmem *gm, struct vblk_req *r)
{
        struct vblk_area a = vblk_writable(r->c, vblk_in_len(r->c));

        r->bytes = a.len;
        if (vblk_out_len(r->c) != 0) {
                r->err = VBLK_E_IN_DATA; /* B3 */
                return VIRTIO_BLK_S_IOERR;
        }
        if (!vblk_range_ok(b, r, a.len))
                return VIRTIO_BLK_S_IOERR;
        return vblk_transfer(b, gm, r, &a, DISK_OP_READ);
}

static uint8_t vblk_do_out(struct vblk *b, const struct gmem *gm, struct vblk_req *r)
{
        struct vblk_area a = vblk_readable(r->c, VBLK_HDR_SIZE, vblk_out_len(r->c));

        r->bytes = a.len;
        if (b->disk->ro) {
                r->err = VBLK_E_RO; /* B4: nothing written */
                return VIRTIO_BLK_S_IOERR;
        }
        if (vblk_in_len(r->c) != 0) {
                r->err = VBLK_E_OUT_DATA; /* B3 */
                return VIRTIO_BLK_S_IOERR;
        }
        if (!vblk_range_ok(b, r, a.len))
                return VIRTIO_BLK_S_IOERR;
        return vblk_transfer(b, gm, r, &a, DISK_OP_WRITE);
}

/*
 * B5: every completed write is durable before OK. Data in a FLUSH is
 * ignored, as QEMU does (§5.2.6.1: the driver only SHOULD NOT send it).
 */
static uint8_t vblk_do_flush(struct vblk *b, struct vblk_req *r)
{
        if (b->disk->ro)
                return VIRTIO_BLK_S_OK; /* nothing was ever written */
        /* Behind every write queued before it (disk_run); IOERR if it fails. */
        vblk_batch_add(b, r, DISK_OP_FLUSH, 0, 0);
        return VIRTIO_BLK_S_OK;
}

/* B6: at most 20 bytes, whatever the buffer size (vblk_handle zeroes the rest). */
static uint8_t vblk_do_get_id(struct vblk *b, const struct gmem *gm, struct vblk_req *r)
{
        uint64_t room = vblk_in_len(r->c);
        struct vblk_io io = {.gm = gm, .buf = b->id};
        struct vblk_area a = vblk_writable(r->c, room < VBLK_ID_BYTES ? room : VBLK_ID_BYTES);

        r->bytes = a.len;
        if (vblk_out_len(r->c) != 0) {
                r->err = VBLK_E_GET_ID_DATA;
                return VIRTIO_BLK_S_IOERR;
        }
        if (vblk_walk(&a, vblk_piece_copy_out, &io) < 0) {
                r->err = VBLK_E_ID_RAM;
                return VIRTIO_BLK_S_IOERR;
        }
        return VIRTIO_BLK_S_OK;
}
/* LAB(virtio-blk) END execute */

static const char *vblk_type_name(uint32_t type)
{
        switch (type) {
        case VIRTIO_BLK_T_IN:
                return "IN";
        case VIRTIO_BLK_T_OUT:
                return "OUT";
        case VIRTIO_BLK_T_FLUSH:
                return "FLUSH";
        case VIRTIO_BLK_T_GET_ID:
                return "GET_ID";
        case VIRTIO_BLK_T_DISCARD:
                return "DISCARD";
        case VIRTIO_BLK_T_WRITE_ZEROES:
                return "WRITE_ZEROES";
        default:
                return "unknown";
        }
}

static const char *vblk_status_name(uint8_t s)
{
        if (s == VIRTIO_BLK_S_OK)
                return "OK";
        return s == VIRTIO_BLK_S_IOERR ? "IOERR" : "UNSUPP";
}

static uint8_t vblk_dispatch(struct vblk *b, const struct gmem *gm, struct vblk_req *r)
{
        if (!vblk_read_header(gm, r))
                return VIRTIO_BLK_S_IOERR;
        switch (r->type) {
        case VIRTIO_BLK_T_IN:
                return vblk_do_in(b, gm, r);
        case VIRTIO_BLK_T_OUT:
                return vblk_do_out(b, gm, r);
        case VIRTIO_BLK_T_FLUSH:
                return vblk_do_flush(b, r);
        case VIRTIO_BLK_T_GET_ID:
                return vblk_do_get_id(b, gm, r);
        default:
                /* B8; B7: DISCARD and WRITE_ZEROES are not offered. */
                return VIRTIO_BLK_S_UNSUPP;
        }
}

/*
 * §2.7.8.2, B9: used.len is every writable byte, so the writable data bytes
 * a request did not fill are zeroed: all of them when it failed, none of a
 * successful IN (or of one whose read fails later: vblk_complete), those
 * past the 20 id bytes of a GET_ID, all of a FLUSH's.
 */
static void vblk_fill_rest(const struct gmem *gm, const struct vblk_req *r, uint8_t status)
{
        uint64_t room = r->c->write_len - 1, filled = 0; /* vblk_handle: write_len >= 1 */
        struct vblk_area a;

        if (status == VIRTIO_BLK_S_OK && r->type == VIRTIO_BLK_T_IN)
                filled = room;
        else if (status == VIRTIO_BLK_S_OK && r->type == VIRTIO_BLK_T_GET_ID)
                filled = room < VBLK_ID_BYTES ? room : VBLK_ID_BYTES;
        a = vblk_writable(r->c, room);
        a.skip = filled;
        a.len = room - filled;
        vblk_zero(gm, &a);
}

/*
 * Serves one chain into the batch (room: vblk_batch_has_room): its status
 * now, and its disk operation queued when it has one. B2: a chain without a
 * writable byte has no status byte and completes with used.len 0.
 */
static void vblk_handle(struct vblk *b, const struct gmem *gm, const struct vq_chain *c)
{
        struct vblk_req r = {.c = c, .type = UINT32_MAX, .op = -1};
        struct vblk_inflight *f = &b->batch.req[b->batch.nreq++];
        const struct vq_seg *last;

        b->stats.requests++;
        *f = (struct vblk_inflight){.head = c->head, .op = -1};
        if (c->nsegs == 0 || c->write_len == 0) {
                TRACE("virtio-blk: head %u: no writable status byte, used.len 0", c->head);
                return;
        }
        /* B2: the last byte of the last (writable, len >= 1) segment; in RAM. */
        last = &c->segs[c->nsegs - 1];
        f->status = vblk_dispatch(b, gm, &r);
        vblk_fill_rest(gm, &r, f->status);
        f->has_status = true;
        f->status_gpa = last->gpa + last->len - 1;
        f->used = (uint32_t)c->write_len; /* B9: the chain is < 4 GiB */
        f->type = r.type;
        f->sector = r.sector;
        f->bytes = r.bytes;
        f->err = r.err;
        f->stub = r.stub;
        f->op = r.op;
}

/*
 * Write-through (§5.2.6.2): one FLUSH behind the batch's writes, drained
 * after them (disk_run), so they are stable before any of them is published
 * in the used ring. Its index in ops, or -1 when none is needed.
 */
static int vblk_batch_sync(struct vblk *b)
{
        struct vblk_batch *q = &b->batch;
        bool writes = false;

        for (unsigned i = 0; i < q->nops; i++)
                writes |= q->ops[i].kind == DISK_OP_WRITE;
        if (!b->write_through || !writes)
                return -1;
        q->ops[q->nops] = (struct disk_op){.kind = DISK_OP_FLUSH}; /* ops has room for it */
        return (int)q->nops++;
}

/* Zeros the guest buffers of a failed READ (§2.7.8.2, as vblk_fill_rest). */
static void vblk_op_zero(const struct disk_op *op)
{
        for (unsigned i = 0; i < op->iovcnt; i++)
                memset(op->iov[i].iov_base, 0, op->iov[i].iov_len);
}

/* The final status of f: its disk operation, if any, decides between OK and IOERR. */
static void vblk_settle(struct vblk_inflight *f, const struct disk_op *op, bool stable)
{
        if (op == NULL)
                return;
        if (op->kind == DISK_OP_FLUSH ? op->res < 0 : op->res != (ssize_t)f->bytes) {
                f->status = VIRTIO_BLK_S_IOERR;
                f->err = op->kind == DISK_OP_READ    ? VBLK_E_READ
                         : op->kind == DISK_OP_WRITE ? VBLK_E_WRITE
                                                     : VBLK_E_FLUSH;
        } else if (op->kind == DISK_OP_WRITE && !stable) {
                f->status = VIRTIO_BLK_S_IOERR;
                f->err = VBLK_E_UNSTABLE;
        }
        if (f->status != VIRTIO_BLK_S_OK && op->kind == DISK_OP_READ)
                vblk_op_zero(op);
}

/*
 * The end of a request: the status byte, the counters, the trace. Returns
 * used.len: every writable byte (B9, §2.7.8.2), or 0 when there is no status
 * byte or it cannot be written.
 */
static uint32_t vblk_finish(struct vblk *b, const struct gmem *gm, const struct vblk_inflight *f)
{
        const char *why = vblk_err_name(f->err);

        if (!f->has_status || gmem_write(gm, f->status_gpa, &f->status, 1) < 0)
                return 0;
        if (f->err != VBLK_E_NONE)
                b->last_err = f->err;
        if (f->status == VIRTIO_BLK_S_OK && f->type == VIRTIO_BLK_T_IN)
                b->stats.bytes_read += f->bytes;
        else if (f->status == VIRTIO_BLK_S_OK && f->type == VIRTIO_BLK_T_OUT)
                b->stats.bytes_written += f->bytes;
        TRACE("virtio-blk: %s sector %" PRIu64 ", %" PRIu64 " bytes -> %s%s%s%s%s",
              vblk_type_name(f->type), f->sector, f->bytes, vblk_status_name(f->status),
              *why ? ": " : "", f->stub ? f->stub : "", f->stub ? ": " : "", why);
        return f->used;
}

/*
 * The one path of every request: the batch's disk operations, with the
 * write-through FLUSH behind them, go to the disk in one disk_run; then the
 * requests complete in the order they were served.
 */
static void vblk_batch_run(struct vblk *b, struct virtq *vq)
{
        struct vblk_batch *q = &b->batch;
        int sync = vblk_batch_sync(b);
        bool stable;

        if (q->nops > 0)
                disk_run(b->disk, q->ops, q->nops);
        stable = sync < 0 || q->ops[sync].res >= 0;
        for (unsigned i = 0; i < q->nreq; i++) {
                struct vblk_inflight *f = &q->req[i];

                vblk_settle(f, f->op >= 0 ? &q->ops[f->op] : NULL, stable);
                vq_push(vq, f->head, vblk_finish(b, vq->gm, f));
        }
        q->nreq = q->nops = q->niov = 0;
}

/* --- the ops table ------------------------------------------------------- */

/*
 * One pass (virtq.h): every chain vq_pop_or_arm hands out, served in
 * batches, until it reports the queue empty (and re-armed), stopped, or the
 * pass's budget spent; then at most one interrupt for all of them, as the
 * driver asked (Q10: EVENT_IDX's used_event, or NO_INTERRUPT).
 */
static void vblk_notify(void *dev, struct virtq *vq)
{
        struct vblk *b = dev;
        struct vq_chain c;

        b->write_through = vblk_write_through(b, vq);
        while (vq_pop_or_arm(vq, &c) == VQ_POP_CHAIN) {
                vblk_handle(b, vq->gm, &c);
                if (!vblk_batch_has_room(b))
                        vblk_batch_run(b, vq);
        }
        vblk_batch_run(b, vq);
        vq_signal_used(vq);
}

static uint64_t vblk_features(void *dev)
{
        struct vblk *b = dev;
        uint64_t f = VIRTIO_FEAT_VERSION_1 | VIRTIO_FEAT_INDIRECT_DESC | VIRTIO_FEAT_EVENT_IDX |
                     VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) | VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) |
                     VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX);

        return b->disk->ro ? f | VIRTIO_BIT(VIRTIO_BLK_F_RO) : f;
}

static void vblk_config_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
        struct vblk *b = dev;

        if (off > VBLK_CONFIG_SIZE || len > VBLK_CONFIG_SIZE - off)
                memset(buf, 0, len);
        else
                memcpy(buf, b->config + off, len);
}

/* One request queue (VIRTIO 1.2 §5.2.2). */
static unsigned vblk_num_queues(void *dev)
{
        (void)dev;
        return 1;
}

/* A queue that does not exist has QueueNumMax 0 (docs/virtio-rules.md, M9). */
static uint16_t vblk_queue_max(void *dev, unsigned q)
{
        return q < vblk_num_queues(dev) ? VBLK_QUEUE_MAX : 0;
}

static void vblk_reset(void *dev)
{
        struct vblk *b = dev;

        b->negotiated = 0;
}

static void vblk_activate(void *dev, uint64_t negotiated)
{
        struct vblk *b = dev;

        b->negotiated = negotiated;
        TRACE("virtio-blk: active, features 0x%016" PRIx64 ", %" PRIu64 " sectors", negotiated,
              b->capacity);
}

const struct virtio_dev_ops vblk_ops = {
    .name = "virtio-blk",
    .device_id = VIRTIO_ID_BLOCK,
    .features = vblk_features,
    .config_size = VBLK_CONFIG_SIZE,
    .config_read = vblk_config_read,
    .config_write = NULL,
    .num_queues = vblk_num_queues,
    .queue_max = vblk_queue_max,
    .notify = vblk_notify,
    .reset = vblk_reset,
    .activate = vblk_activate,
};

/* --- init ---------------------------------------------------------------- */

static void vblk_build_config(struct vblk *b)
{
        memset(b->config, 0, sizeof(b->config));
        le32_put(b->config + VBLK_CFG_CAPACITY, (uint32_t)b->capacity);
        le32_put(b->config + VBLK_CFG_CAPACITY + 4, (uint32_t)(b->capacity >> 32));
        le32_put(b->config + VBLK_CFG_SEG_MAX, VBLK_QUEUE_MAX - 2); /* B11 */
        le32_put(b->config + VBLK_CFG_BLK_SIZE, VBLK_SECTOR);
}

int vblk_init(struct vblk *b, struct disk *disk, const char *serial)
{
        memset(b, 0, sizeof(*b));
        if (disk == NULL || disk->size < VBLK_SECTOR)
                return -EINVAL;
        b->disk = disk;
        b->capacity = disk->size / VBLK_SECTOR; /* a partial last sector is not exposed */
        if (serial != NULL)
                memcpy(b->id, serial, strnlen(serial, VBLK_ID_BYTES)); /* B6: NUL-padded */
        vblk_build_config(b);
        return 0;
}
