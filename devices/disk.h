/*
 * disk: the block backend shared by every disk device (svirtb, virtio-blk).
 *
 * An image file opened once, with its size fixed at open. Reads and writes are
 * clamped to the image: a transfer that runs past the end moves only the bytes
 * inside it and reports how many; nothing ever grows the image. A read-only
 * disk refuses writes with -EROFS and is never opened for writing.
 * Writable images hold an exclusive lock (flock) so two VMMs cannot share one;
 * read-only images hold a shared lock.
 * Offsets are byte offsets; the callers compute them with overflow checks.
 */
#ifndef MINIVMM_DISK_H
#define MINIVMM_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct disk {
        int fd;
        uint64_t size;
        bool ro;
        const char *path;
};

/*
 * Opens path. On failure returns a negative errno-style code and writes one
 * line (no newline) naming the path and the problem into err:
 * missing, not readable, a directory, not a regular file or block device,
 * empty, locked by another process.
 */
int disk_open(struct disk *d, const char *path, bool ro, char *err, size_t errlen);
/* Bytes read (short or 0 past the end), or -errno. Retries short I/O and EINTR. */
ssize_t disk_read(struct disk *d, uint64_t off, void *buf, size_t len);
/* Bytes written (short or 0 past the end), -EROFS on a read-only disk, or -errno. */
ssize_t disk_write(struct disk *d, uint64_t off, const void *buf, size_t len);
/* Makes written data durable (fdatasync); 0 or -errno. */
int disk_flush(struct disk *d);
void disk_close(struct disk *d);

#define DISK_SERIAL_LEN 20
/*
 * A serial number for the image: "mvmm" and 16 hex digits of a hash of the
 * file's device and inode, so the same image gives the same serial on every
 * run and two images give different ones. 0, or -errno from fstat.
 */
int disk_serial(const struct disk *d, char out[DISK_SERIAL_LEN]);
/* True when path names the file d has open (same device and inode). */
bool disk_is_file(const struct disk *d, const char *path);

#endif
