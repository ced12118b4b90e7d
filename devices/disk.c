/*
 * disk: an image file or block device as a fixed-size array of bytes
 * (contract: disk.h). This file: open, lock, the shared byte arithmetic
 * (clamping, trimming iovecs), sticky write-back errors, close and serials;
 * the engines that move the bytes are disk_sync.c and disk_uring.c behind
 * struct disk_engine (disk_engine.h).
 *
 * The size is read once at open; every transfer is clamped to it, so the
 * image never grows. Errors at open are one line naming the path and the
 * problem.
 */
#include "disk.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk_engine.h"

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
        d->engine = &disk_sync_engine;
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
void disk_set_werr(struct disk *d, int e)
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
size_t disk_clamp(const struct disk *d, uint64_t off, size_t len)
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

/* --- vectored transfers ------------------------------------------------- */

/*
 * Copies iov into v, trimmed to the bytes the image holds at off; returns
 * how many entries v has and their total in *n.
 */
unsigned disk_trim(const struct disk *d, uint64_t off, const struct iovec *iov, unsigned iovcnt,
                   struct iovec *v, size_t *n)
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
void disk_advance(struct iovec *v, unsigned *i, unsigned cnt, size_t done)
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

void disk_run(struct disk *d, struct disk_op *ops, unsigned n)
{
        d->engine->run(d, ops, n);
}

void disk_close(struct disk *d)
{
        if (d->engine != NULL && d->engine->close != NULL)
                d->engine->close(d);
        d->engine = &disk_sync_engine;
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
