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
 * O_NONBLOCK keeps open() from hanging on a FIFO (rejected just after);
 * it is cleared again once the file is known to be a regular file or disk.
 */
static int disk_open_fd(const char *path, bool ro, char *err, size_t errlen)
{
        int flags = (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
        int fd = open(path, flags);
        int e;

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
        n = disk_clamp(d, off, len);
        while (done < n) {
                r = pwrite(d->fd, (const uint8_t *)buf + done, n - done, (off_t)(off + done));
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -errno;
                if (r == 0)
                        return -EIO; /* no progress: never spin */
                done += (size_t)r;
        }
        return (ssize_t)done;
}

int disk_flush(struct disk *d)
{
        return fdatasync(d->fd) < 0 ? -errno : 0;
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
                if (r < 0)
                        return -errno;
                if (r == 0) {
                        if (write)
                                return -EIO; /* no progress: never spin */
                        break;               /* the file shrank under us */
                }
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

int disk_use_uring(struct disk *d, unsigned entries)
{
        struct io_uring *ring = calloc(1, sizeof(*ring));
        int r;

        if (ring == NULL)
                return -ENOMEM;
        /* SUBMIT_ALL (5.18): a bad SQE does not hold back the ones after it. */
        r = io_uring_queue_init(entries, ring, IORING_SETUP_SUBMIT_ALL);
        if (r == -EINVAL)
                r = io_uring_queue_init(entries, ring, 0);
        if (r < 0) {
                free(ring);
                return r;
        }
        d->ring = ring;
        return 0;
}

static void disk_drop_uring(struct disk *d)
{
        if (d->ring == NULL)
                return;
        io_uring_queue_exit(d->ring);
        free(d->ring);
        d->ring = NULL;
}

/*
 * Trims op to the image and decides whether it needs the kernel at all:
 * false when op->res is already final (nothing inside the image, a write to
 * a read-only disk, too many iovecs).
 */
static bool disk_uring_prepare(struct disk *d, struct disk_op *op)
{
        struct iovec v[DISK_IOV_MAX];
        unsigned cnt;

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

static void disk_uring_sqe(struct disk *d, struct io_uring_sqe *sqe, struct disk_op *op)
{
        if (op->kind == DISK_OP_READ) {
                io_uring_prep_readv(sqe, d->fd, op->iov, op->iovcnt, op->off);
        } else if (op->kind == DISK_OP_WRITE) {
                io_uring_prep_writev(sqe, d->fd, op->iov, op->iovcnt, op->off);
        } else {
                io_uring_prep_fsync(sqe, d->fd, IORING_FSYNC_DATASYNC);
                sqe->flags |= IOSQE_IO_DRAIN; /* after everything submitted before it */
        }
        io_uring_sqe_set_data(sqe, op);
}

/* A completion: short transfers inside the image and EAGAIN are finished here. */
static void disk_uring_done(struct disk *d, struct disk_op *op, int res)
{
        struct iovec v[DISK_IOV_MAX];
        unsigned i = 0;
        ssize_t more;

        if (op->kind == DISK_OP_FLUSH) {
                op->res = res == -EINVAL ? disk_flush(d) : res;
                return;
        }
        if (res == -EAGAIN || res == -EINTR) {
                op->res = disk_op_sync(d, op);
                return;
        }
        if (res <= 0 || (size_t)res >= op->want) {
                op->res = res;
                return;
        }
        memcpy(v, op->iov, op->iovcnt * sizeof(v[0]));
        disk_advance(v, &i, op->iovcnt, (size_t)res);
        if (op->kind == DISK_OP_READ)
                more = disk_readv(d, op->off + (uint64_t)res, v + i, op->iovcnt - i);
        else
                more = disk_writev(d, op->off + (uint64_t)res, v + i, op->iovcnt - i);
        op->res = more < 0 ? more : res + more;
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
                disk_uring_sqe(d, sqe, &ops[i]);
                queued++;
        }
        if (queued == 0 && i == from && i < n) {
                ops[i].res = disk_op_sync(d, &ops[i]); /* a ring with no room at all */
                return i + 1;
        }
        submitted = disk_uring_submit(d, queued);
        if (disk_uring_reap(d, submitted) && submitted == queued)
                return i;
        /* The ring is unusable: drop it and redo this chunk synchronously (idempotent). */
        disk_drop_uring(d);
        for (unsigned k = from; k < i; k++)
                ops[k].res = disk_op_sync(d, &ops[k]);
        return i;
}

void disk_run(struct disk *d, struct disk_op *ops, unsigned n)
{
        unsigned i = 0;

        while (i < n && d->ring != NULL)
                i = disk_uring_chunk(d, ops, i, n);
        for (; i < n; i++)
                ops[i].res = disk_op_sync(d, &ops[i]);
}

void disk_close(struct disk *d)
{
        disk_drop_uring(d);
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
