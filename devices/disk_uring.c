/*
 * disk_uring: the io_uring engine (contract: disk.h, disk_use_uring and
 * disk_run; docs/security.md, "The restricted io_uring"). A batch is
 * submitted at once and waited for; short transfers, EAGAIN and a ring that
 * fails fall back to the synchronous engine (disk_sync.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk.h"
#include "disk_engine.h"

/* The index of the image in the ring's fixed-file table: its only entry. */
#define DISK_RING_FILE 0

/*
 * What the ring may do once enabled (docs/security.md, "The restricted
 * io_uring"): the three operations disk_uring_sqe prepares, only on a fixed
 * file (the table holds the image alone), no other SQE flag than DRAIN, and
 * no register operation at all.
 */
static int disk_uring_restrict(struct io_uring *ring, int fd)
{
        struct io_uring_restriction res[] = {
            {.opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_READV},
            {.opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_WRITEV},
            {.opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_FSYNC},
            {.opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED,
             .sqe_flags = IOSQE_FIXED_FILE | IOSQE_IO_DRAIN},
            {.opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED, .sqe_flags = IOSQE_FIXED_FILE},
        };
        int r = io_uring_register_files(ring, &fd, 1);

        /* Raw register calls: Debian 12's liburing.so (2.3) does not export
         * io_uring_register_restrictions or io_uring_enable_rings. */
        if (r == 0)
                r = io_uring_register((unsigned)ring->ring_fd, IORING_REGISTER_RESTRICTIONS, res,
                                      sizeof(res) / sizeof(res[0]));
        if (r == 0)
                r = io_uring_register((unsigned)ring->ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL,
                                      0);
        return r;
}

/*
 * A second open file description of d's image, for the ring's file table.
 * Not d->fd itself: the ring drops its reference asynchronously after the
 * process ends, and d->fd carries the image's lock, which must go at once.
 * The same file (device and inode) or -errno; O_NONBLOCK only while opening.
 */
static int disk_reopen(const struct disk *d)
{
        struct stat a, b;
        int fd = open(d->path, (d->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        int fl, e;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &a) < 0 || fstat(d->fd, &b) < 0 || a.st_dev != b.st_dev ||
            a.st_ino != b.st_ino) {
                close(fd);
                return -ESTALE;
        }
        fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
                e = -errno;
                close(fd);
                return e;
        }
        return fd;
}

int disk_use_uring(struct disk *d, unsigned entries)
{
        struct io_uring *ring;
        int r, fd = disk_reopen(d);

        if (fd < 0)
                return fd;
        ring = calloc(1, sizeof(*ring));
        if (ring == NULL) {
                close(fd);
                return -ENOMEM;
        }
        /* R_DISABLED (5.10): no SQE runs before the restrictions are in place.
         * SUBMIT_ALL (5.18): a bad SQE does not hold back the ones after it. */
        r = io_uring_queue_init(entries, ring, IORING_SETUP_R_DISABLED | IORING_SETUP_SUBMIT_ALL);
        if (r == -EINVAL)
                r = io_uring_queue_init(entries, ring, IORING_SETUP_R_DISABLED);
        if (r < 0) {
                free(ring);
                close(fd);
                return r;
        }
        r = disk_uring_restrict(ring, fd);
        close(fd); /* the ring holds its own reference */
        if (r < 0) {
                io_uring_queue_exit(ring);
                free(ring);
                return r;
        }
        d->ring = ring;
        d->engine = &disk_uring_engine;
        d->ring_failed = false;
        return 0;
}

/*
 * Trims op to the image and decides whether it needs the kernel at all:
 * false when op->res is already final (nothing inside the image, a write to
 * a read-only disk, too many iovecs, a sticky write-back error).
 */
static bool disk_uring_prepare(struct disk *d, struct disk_op *op)
{
        struct iovec v[DISK_IOV_MAX];
        unsigned cnt;

        op->late = false;
        if (op->kind != DISK_OP_READ && d->werr) {
                op->res = -d->werr;
                return false;
        }
        if (op->kind == DISK_OP_FLUSH)
                return true;
        if (op->kind == DISK_OP_WRITE && d->ro) {
                op->res = -EROFS;
                return false;
        }
        if (op->iovcnt > DISK_IOV_MAX) {
                op->res = -EINVAL;
                return false;
        }
        cnt = disk_trim(d, op->off, op->iov, op->iovcnt, v, &op->want);
        memcpy(op->iov, v, cnt * sizeof(v[0]));
        op->iovcnt = cnt;
        if (op->want == 0) {
                op->res = 0;
                return false;
        }
        return true;
}

/* Every SQE names the image by its fixed-file index (the ring allows nothing else). */
static void disk_uring_sqe(struct io_uring_sqe *sqe, struct disk_op *op)
{
        if (op->kind == DISK_OP_READ) {
                io_uring_prep_readv(sqe, DISK_RING_FILE, op->iov, op->iovcnt, op->off);
        } else if (op->kind == DISK_OP_WRITE) {
                io_uring_prep_writev(sqe, DISK_RING_FILE, op->iov, op->iovcnt, op->off);
        } else {
                io_uring_prep_fsync(sqe, DISK_RING_FILE, IORING_FSYNC_DATASYNC);
                sqe->flags |= IOSQE_IO_DRAIN; /* after everything submitted before it */
        }
        sqe->flags |= IOSQE_FIXED_FILE;
        io_uring_sqe_set_data(sqe, op);
}

/* A completion: short transfers inside the image and EAGAIN are finished here. */
static void disk_uring_done(struct disk *d, struct disk_op *op, int res)
{
        struct iovec v[DISK_IOV_MAX];
        unsigned i = 0;
        ssize_t more;

        if (op->kind == DISK_OP_FLUSH) {
                /* Not supported by the ring, or interrupted: fdatasync instead. */
                if (res == -EINVAL || res == -EINTR || res == -EAGAIN) {
                        op->res = disk_flush(d);
                        return;
                }
                if (res < 0)
                        disk_set_werr(d, -res);
                op->res = res < 0 ? -d->werr : res;
                return;
        }
        if (res == -EAGAIN || res == -EINTR) {
                op->late = true;
                op->res = disk_sync_op(d, op);
                return;
        }
        if (res < 0 && op->kind == DISK_OP_WRITE) {
                disk_set_werr(d, -res);
                op->res = -d->werr;
                return;
        }
        if (res <= 0 || (size_t)res >= op->want) {
                op->res = res;
                return;
        }
        /* Short: the rest now, synchronously (a FLUSH behind it is redone, disk_uring_order). */
        op->late = true;
        memcpy(v, op->iov, op->iovcnt * sizeof(v[0]));
        disk_advance(v, &i, op->iovcnt, (size_t)res);
        if (op->kind == DISK_OP_READ)
                more = disk_readv(d, op->off + (uint64_t)res, v + i, op->iovcnt - i);
        else
                more = disk_writev(d, op->off + (uint64_t)res, v + i, op->iovcnt - i);
        op->res = more < 0 ? more : res + more;
}

/*
 * The order the guest was promised, restored after a chunk's completions:
 * a FLUSH covers every write before it, so one behind a write that finished
 * synchronously (after the ring's fsync may already have run) is repeated
 * now; and once a write or FLUSH failed, the ones after it fail too (sticky
 * errors), even if the kernel ran them.
 */
static void disk_uring_order(struct disk *d, struct disk_op *ops, unsigned from, unsigned to)
{
        bool late = false, failed = false;

        for (unsigned k = from; k < to; k++) {
                struct disk_op *op = &ops[k];

                if (op->kind == DISK_OP_READ)
                        continue;
                if (failed) {
                        op->res = -d->werr;
                        continue;
                }
                if (op->kind == DISK_OP_FLUSH && late && op->res == 0)
                        op->res = disk_flush(d);
                if (op->kind == DISK_OP_WRITE && op->late)
                        late = true;
                failed = op->res < 0 && d->werr != 0;
        }
}

/* Submits every queued SQE (one io_uring_enter that also waits, normally); how many went. */
static unsigned disk_uring_submit(struct disk *d, unsigned queued)
{
        unsigned submitted = 0, tries;
        int r;

        /* Bounded: a ring that keeps refusing is given up (disk_uring_chunk). */
        for (tries = 0; submitted < queued && tries < 64; tries++) {
                if (submitted == 0)
                        r = io_uring_submit_and_wait(d->ring, queued);
                else
                        r = io_uring_submit(d->ring);
                if (r == -EINTR || r == -EAGAIN || r == -EBUSY)
                        continue;
                if (r <= 0)
                        break;
                submitted += (unsigned)r;
        }
        return submitted;
}

/*
 * Reaps n completions; false when the ring fails. A signal interrupting the
 * wait is retried without a bound: submitted I/O on a file always completes,
 * and giving up early would leave it landing in guest memory later.
 */
static bool disk_uring_reap(struct disk *d, unsigned n)
{
        struct io_uring_cqe *cqe;
        int r;

        while (n > 0) {
                r = io_uring_wait_cqe(d->ring, &cqe);
                if (r == -EINTR || r == -EAGAIN)
                        continue;
                if (r < 0)
                        return false;
                disk_uring_done(d, io_uring_cqe_get_data(cqe), cqe->res);
                io_uring_cqe_seen(d->ring, cqe);
                n--;
        }
        return true;
}

/*
 * A ring that failed is left alone (closed by disk_close): no free() or
 * munmap here, on the I/O thread under the sandbox. One line says so.
 */
static void disk_uring_fail(struct disk *d)
{
        d->ring_failed = true;
        fprintf(stderr,
                "minivmm: disk image '%s': aio=io_uring failed; continuing with synchronous I/O\n",
                d->path);
}

/* Submits ops[from, n) as far as the ring has room, and waits; returns where it stopped. */
static unsigned disk_uring_chunk(struct disk *d, struct disk_op *ops, unsigned from, unsigned n)
{
        unsigned i, queued = 0, submitted;

        for (i = from; i < n; i++) {
                struct io_uring_sqe *sqe;

                if (!disk_uring_prepare(d, &ops[i]))
                        continue;
                sqe = io_uring_get_sqe(d->ring);
                if (sqe == NULL)
                        break; /* ring full: the rest goes in the next chunk */
                disk_uring_sqe(sqe, &ops[i]);
                queued++;
        }
        if (queued == 0 && i == from && i < n) {
                ops[i].res = disk_sync_op(d, &ops[i]); /* a ring with no room at all */
                return i + 1;
        }
        submitted = disk_uring_submit(d, queued);
        if (disk_uring_reap(d, submitted) && submitted == queued) {
                disk_uring_order(d, ops, from, i);
                return i;
        }
        /* The ring is unusable: redo this chunk synchronously (idempotent), in order. */
        disk_uring_fail(d);
        for (unsigned k = from; k < i; k++)
                ops[k].res = disk_sync_op(d, &ops[k]);
        return i;
}
static void disk_uring_run(struct disk *d, struct disk_op *ops, unsigned n)
{
        unsigned i = 0;

        while (i < n && !d->ring_failed)
                i = disk_uring_chunk(d, ops, i, n);
        if (i < n)
                disk_sync_run(d, ops + i, n - i);
}

static void disk_uring_close(struct disk *d)
{
        if (d->ring == NULL)
                return;
        io_uring_queue_exit(d->ring);
        free(d->ring);
        d->ring = NULL;
}

const struct disk_engine disk_uring_engine = {
    .name = "io_uring",
    .run = disk_uring_run,
    .close = disk_uring_close,
};
