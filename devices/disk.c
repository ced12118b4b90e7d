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
#include <stdarg.h>
#include <stdio.h>
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

void disk_close(struct disk *d)
{
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
