/*
 * disk: an image file or block device as a fixed-size array of bytes
 * (contract: disk.h).
 *
 * The size is read once at open; every transfer is clamped to it, so the
 * image never grows. Short pread/pwrite and EINTR are retried, and every
 * loop makes progress or returns. Errors at open are one line naming the
 * path and the problem.
 */
#include "disk.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <liburing.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static void disk_set_err(char *err, size_t errlen, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void disk_set_err(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
        char what[128];
        va_list ap;

        if (err == NULL || errlen == 0)
                return;
        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        snprintf(err, errlen, "disk image '%s': %s", path, what);
}

/* Size of a regular file or block device; 0 or -errno. */
static int disk_get_size(int fd, const struct stat *st, uint64_t *size)
{
        if (S_ISBLK(st->st_mode))
                return ioctl(fd, BLKGETSIZE64, size) < 0 ? -errno : 0;
        *size = (uint64_t)st->st_size;
        return 0;
}

/*
 * The type is checked before open() (a FIFO, socket or character device is
 * never opened: opening one can block or have side effects) and again on the
 * open file. O_NONBLOCK keeps open() from hanging should the path change in
 * between; it is cleared once the file is known to be a regular file or disk.
 */
static int disk_open_fd(const char *path, bool ro, char *err, size_t errlen)
{
        int flags = (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
        struct stat st;
        int fd, e;

        if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
                if (S_ISDIR(st.st_mode)) {
                        disk_set_err(err, errlen, path, "is a directory");
                        return -EISDIR;
                }
                disk_set_err(err, errlen, path, "not a regular file or block device (%s)",
                             S_ISFIFO(st.st_mode)   ? "a FIFO"
                             : S_ISSOCK(st.st_mode) ? "a socket"
                             : S_ISCHR(st.st_mode)  ? "a character device"
                                                    : "another kind of file");
                return -EINVAL;
        }
        fd = open(path, flags);
        if (fd >= 0)
                return fd;
        e = errno;
        if (e == EISDIR)
                disk_set_err(err, errlen, path, "is a directory");
        else
                disk_set_err(err, errlen, path, "%s", strerror(e));
        return -e;
}

static int disk_check_type(int fd, const char *path, uint64_t *size, char *err, size_t errlen)
{
        struct stat st;
        int ret;

        if (fstat(fd, &st) < 0) {
                ret = -errno;
                disk_set_err(err, errlen, path, "%s", strerror(-ret));
                return ret;
        }
        if (S_ISDIR(st.st_mode)) {
                disk_set_err(err, errlen, path, "is a directory");
                return -EISDIR;
        }
        if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
                disk_set_err(err, errlen, path, "not a regular file or block device");
                return -EINVAL;
        }
        ret = disk_get_size(fd, &st, size);
        if (ret < 0) {
                disk_set_err(err, errlen, path, "cannot get size: %s", strerror(-ret));
                return ret;
        }
        if (*size == 0) {
                disk_set_err(err, errlen, path, "empty image");
                return -EINVAL;
        }
        return 0;
}

/* Exclusive for a writable image, shared for a read-only one (disk.h). */
static int disk_lock(int fd, bool ro, const char *path, char *err, size_t errlen)
{
        int ret;

        if (flock(fd, (ro ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0)
                return 0;
        ret = -errno;
        if (ret == -EWOULDBLOCK) {
                disk_set_err(err, errlen, path, "in use by another process (locked)");
                return -EBUSY;
        }
        disk_set_err(err, errlen, path, "cannot lock: %s", strerror(-ret));
        return ret;
}

static int disk_clear_nonblock(int fd, const char *path, char *err, size_t errlen)
{
        int fl = fcntl(fd, F_GETFL);
        int ret;

        if (fl >= 0 && fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == 0)
                return 0;
        ret = -errno;
        disk_set_err(err, errlen, path, "%s", strerror(-ret));
        return ret;
}

int disk_open(struct disk *d, const char *path, bool ro, char *err, size_t errlen)
{
        uint64_t size = 0;
        int fd, ret;

        d->fd = -1;
        d->size = 0;
        d->ro = ro;
        d->path = path;
        d->ring = NULL;
        d->ring_failed = false;
        d->werr = 0;
        d->on_werr = NULL;
        fd = disk_open_fd(path, ro, err, errlen);
        if (fd < 0)
                return fd;
        ret = disk_check_type(fd, path, &size, err, errlen);
        if (ret == 0)
                ret = disk_clear_nonblock(fd, path, err, errlen);
        if (ret == 0)
                ret = disk_lock(fd, ro, path, err, errlen);
        if (ret < 0) {
                close(fd);
                return ret;
        }
        d->fd = fd;
        d->size = size;
        return 0;
}

/* --- sticky write-back errors (disk.h) ------------------------------------ */

/* Records the first failed write or sync; e is a positive errno. */
static void disk_set_werr(struct disk *d, int e)
{
        if (d->werr != 0)
                return;
        d->werr = e > 0 ? e : EIO;
        if (d->on_werr != NULL) {
                d->on_werr(d);
                return;
        }
        /* stderr is unbuffered: one write, no allocation (safe on the I/O thread). */
        fprintf(stderr,
                "minivmm: disk image '%s': write-back error: %s (errno %d); every later write "
                "and FLUSH of this image fails\n",
                d->path, strerror(d->werr), d->werr);
}

/* How many of len bytes at off lie inside the disk (0 when off >= size). */
static size_t disk_clamp(const struct disk *d, uint64_t off, size_t len)
{
        uint64_t avail;

        if (off >= d->size)
                return 0;
        avail = d->size - off;
        if (len > avail)
                len = (size_t)avail;
        /* The result must fit the ssize_t the callers return. */
        if (len > (size_t)SSIZE_MAX)
                len = (size_t)SSIZE_MAX;
        return len;
}

ssize_t disk_read(struct disk *d, uint64_t off, void *buf, size_t len)
{
        size_t n = disk_clamp(d, off, len);
        size_t done = 0;
        ssize_t r;

        while (done < n) {
                /* off + done <= d->size: no overflow, and fits off_t for real files. */
                r = pread(d->fd, (uint8_t *)buf + done, n - done, (off_t)(off + done));
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -errno;
                if (r == 0)
                        break; /* the file shrank under us: report what we have */
                done += (size_t)r;
        }
        return (ssize_t)done;
}

ssize_t disk_write(struct disk *d, uint64_t off, const void *buf, size_t len)
{
        size_t n, done = 0;
        ssize_t r;

        if (d->ro)
                return -EROFS;
        if (d->werr)
                return -d->werr;
        n = disk_clamp(d, off, len);
        while (done < n) {
                r = pwrite(d->fd, (const uint8_t *)buf + done, n - done, (off_t)(off + done));
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0) {
                        disk_set_werr(d, r < 0 ? errno : EIO); /* r == 0: no progress, never spin */
                        return -d->werr;
                }
                done += (size_t)r;
        }
        return (ssize_t)done;
}

int disk_flush(struct disk *d)
{
        int r;

        if (d->werr)
                return -d->werr;
        do {
                r = fdatasync(d->fd);
        } while (r < 0 && errno == EINTR); /* a signal is not a write-back error */
        if (r < 0) {
                disk_set_werr(d, errno);
                return -d->werr;
        }
        return 0;
}

/* --- vectored transfers ------------------------------------------------- */

/*
 * Copies iov into v, trimmed to the bytes the image holds at off; returns
 * how many entries v has and their total in *n.
 */
static unsigned disk_trim(const struct disk *d, uint64_t off, const struct iovec *iov,
                          unsigned iovcnt, struct iovec *v, size_t *n)
{
        size_t total = 0, left;
        unsigned i, cnt = 0;

        for (i = 0; i < iovcnt; i++) {
                if (__builtin_add_overflow(total, iov[i].iov_len, &total))
                        total = SIZE_MAX;
        }
        left = *n = disk_clamp(d, off, total);
        for (i = 0; i < iovcnt && left > 0; i++) {
                if (iov[i].iov_len == 0)
                        continue;
                v[cnt] = iov[i];
                if (v[cnt].iov_len > left)
                        v[cnt].iov_len = left;
                left -= v[cnt].iov_len;
                cnt++;
        }
        return cnt;
}

/* Drops the first done bytes of v[*i, cnt). */
static void disk_advance(struct iovec *v, unsigned *i, unsigned cnt, size_t done)
{
        while (done > 0 && *i < cnt) {
                if (done >= v[*i].iov_len) {
                        done -= v[*i].iov_len;
                        (*i)++;
                        continue;
                }
                v[*i].iov_base = (uint8_t *)v[*i].iov_base + done;
                v[*i].iov_len -= done;
                done = 0;
        }
}

static ssize_t disk_rw_v(struct disk *d, uint64_t off, const struct iovec *iov, unsigned iovcnt,
                         bool write)
{
        struct iovec v[DISK_IOV_MAX];
        unsigned i = 0, cnt;
        size_t n, done = 0;
        ssize_t r;

        if (write && d->ro)
                return -EROFS;
        if (write && d->werr)
                return -d->werr;
        if (iovcnt > DISK_IOV_MAX)
                return -EINVAL;
        cnt = disk_trim(d, off, iov, iovcnt, v, &n);
        while (done < n && i < cnt) {
                /* off + done <= d->size, as in disk_read. */
                if (write)
                        r = pwritev(d->fd, v + i, (int)(cnt - i), (off_t)(off + done));
                else
                        r = preadv(d->fd, v + i, (int)(cnt - i), (off_t)(off + done));
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0 && write) {
                        disk_set_werr(d, r < 0 ? errno : EIO); /* r == 0: no progress, never spin */
                        return -d->werr;
                }
                if (r < 0)
                        return -errno;
                if (r == 0)
                        break; /* the file shrank under us */
                done += (size_t)r;
                disk_advance(v, &i, cnt, (size_t)r);
        }
        return (ssize_t)done;
}

ssize_t disk_readv(struct disk *d, uint64_t off, const struct iovec *iov, unsigned iovcnt)
{
        return disk_rw_v(d, off, iov, iovcnt, false);
}

ssize_t disk_writev(struct disk *d, uint64_t off, const struct iovec *iov, unsigned iovcnt)
{
        return disk_rw_v(d, off, iov, iovcnt, true);
}

/* --- batches --------------------------------------------------------------- */

static ssize_t disk_op_sync(struct disk *d, const struct disk_op *op)
{
        switch (op->kind) {
        case DISK_OP_READ:
                return disk_readv(d, op->off, op->iov, op->iovcnt);
        case DISK_OP_WRITE:
                return disk_writev(d, op->off, op->iov, op->iovcnt);
        default:
                return disk_flush(d);
        }
}

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

        if (ring == NULL)
                return -ENOMEM;
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
                op->res = disk_op_sync(d, op);
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
                ops[i].res = disk_op_sync(d, &ops[i]); /* a ring with no room at all */
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
                ops[k].res = disk_op_sync(d, &ops[k]);
        return i;
}

void disk_run(struct disk *d, struct disk_op *ops, unsigned n)
{
        unsigned i = 0;

        while (i < n && d->ring != NULL && !d->ring_failed)
                i = disk_uring_chunk(d, ops, i, n);
        for (; i < n; i++)
                ops[i].res = disk_op_sync(d, &ops[i]);
}

void disk_close(struct disk *d)
{
        if (d->ring != NULL) {
                io_uring_queue_exit(d->ring);
                free(d->ring);
                d->ring = NULL;
        }
        if (d->fd >= 0)
                close(d->fd);
        d->fd = -1;
}

/* FNV-1a, 64 bits: a fixed, well-spread hash of the file's identity. */
static uint64_t disk_hash(const void *p, size_t n, uint64_t h)
{
        const uint8_t *b = p;

        for (size_t i = 0; i < n; i++) {
                h ^= b[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}

int disk_serial(const struct disk *d, char out[DISK_SERIAL_LEN])
{
        static const char hex[] = "0123456789abcdef";
        struct stat st;
        uint64_t h = 0xcbf29ce484222325ULL, dev, ino;

        if (fstat(d->fd, &st) < 0)
                return -errno;
        dev = (uint64_t)st.st_dev;
        ino = (uint64_t)st.st_ino;
        h = disk_hash(&dev, sizeof(dev), h);
        h = disk_hash(&ino, sizeof(ino), h);
        memcpy(out, "mvmm", 4);
        for (int i = 0; i < 16; i++)
                out[4 + i] = hex[(h >> (60 - 4 * i)) & 0xf];
        return 0;
}

bool disk_is_file(const struct disk *d, const char *path)
{
        struct stat a, b;

        return fstat(d->fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
               a.st_ino == b.st_ino;
}
