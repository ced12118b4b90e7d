/*
 * disk_sync: the synchronous engine (contract: disk.h, disk_engine.h):
 * pread/pwrite, preadv/pwritev and fdatasync, one operation after the other.
 * Short transfers and EINTR are retried, and every loop makes progress or
 * returns. The default engine of every disk, and the io_uring engine's
 * fallback.
 */
#include <errno.h>
#include <unistd.h>

#include "disk.h"
#include "disk_engine.h"

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

ssize_t disk_sync_op(struct disk *d, const struct disk_op *op)
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

void disk_sync_run(struct disk *d, struct disk_op *ops, unsigned n)
{
        for (unsigned i = 0; i < n; i++)
                ops[i].res = disk_sync_op(d, &ops[i]);
}

const struct disk_engine disk_sync_engine = {
    .name = "sync",
    .run = disk_sync_run,
    .close = NULL,
};
