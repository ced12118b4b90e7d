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
 *
 * Vectored transfers (disk_readv, disk_writev) take iovecs over the caller's
 * memory (guest RAM: no bounce buffer) with the same clamping. disk_run()
 * executes a batch of operations through the disk's engine: synchronous
 * (disk_sync.c, the default: one by one) or io_uring (disk_uring.c, after
 * disk_use_uring: the whole batch submitted at once). A device calls
 * disk_run and nothing else to move data; it never looks at the engine.
 *
 * Write-back errors are sticky (docs/security.md, "Faults"): once a write or
 * a sync of the image fails in the kernel, every later write and flush of it
 * fails with that error, without touching the file, until the disk is
 * closed; reads keep working. The first such error is reported once: through
 * on_werr when set (the VMM's werror= policy), else as one line on stderr.
 */
#ifndef MINIVMM_DISK_H
#define MINIVMM_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct disk_engine;

struct disk {
        int fd;
        uint64_t size;
        bool ro;
        const char *path;
        const struct disk_engine *engine; /* how disk_run moves bytes (disk_engine.h) */
        struct io_uring *ring;            /* the io_uring engine's ring; NULL: synchronous */
        bool ring_failed;                 /* the ring failed once: synchronous from then on */
        int werr;                         /* the first write-back error (errno), 0 while none */
        /* Called once, on the I/O path, when werr is first set; NULL: one line on stderr. */
        void (*on_werr)(const struct disk *d);
};

/* Most iovecs one vectored transfer takes (IOV_MAX). */
#define DISK_IOV_MAX 1024u

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
/*
 * preadv/pwritev of iovcnt (<= DISK_IOV_MAX, else -EINVAL) buffers, filled in
 * order; the same clamping, short-count and error rules as disk_read and
 * disk_write. The iovecs themselves are not modified.
 */
ssize_t disk_readv(struct disk *d, uint64_t off, const struct iovec *iov, unsigned iovcnt);
ssize_t disk_writev(struct disk *d, uint64_t off, const struct iovec *iov, unsigned iovcnt);

enum disk_op_kind { DISK_OP_READ, DISK_OP_WRITE, DISK_OP_FLUSH };

struct disk_op {
        enum disk_op_kind kind;
        uint64_t off;      /* READ, WRITE */
        struct iovec *iov; /* READ, WRITE; may be trimmed to the image (clamping) */
        unsigned iovcnt;   /* <= DISK_IOV_MAX */
        ssize_t res;       /* set by disk_run: what disk_readv/_writev/_flush return */
        size_t want;       /* disk_run's own: bytes inside the image */
        bool late;         /* disk_run's own: finished synchronously after its completion */
};

/*
 * Sets up an io_uring of entries slots for d (0, or -errno when the kernel
 * refuses: the disk then stays synchronous). Called before the sandbox.
 * The ring is restricted (docs/security.md, "The restricted io_uring"): it
 * is created disabled, d's file is its only (fixed) file, and only READV,
 * WRITEV and FSYNC on that fixed file are allowed before it is enabled;
 * anything else submitted to it completes with -EACCES.
 */
int disk_use_uring(struct disk *d, unsigned entries);
/*
 * Executes ops[0, n) and sets each res. With io_uring: submitted together,
 * as few io_uring_enter calls as the ring allows, and waited for; a FLUSH
 * (IORING_OP_FSYNC, DATASYNC) is drained: it starts only after every op
 * before it completed, so it covers them. Without: in order, one by one.
 * Short transfers inside the image are completed synchronously; a FLUSH
 * behind such a write in the same batch is then repeated (fdatasync) so that
 * it covers the rest too. A ring that fails is not used again (the batch is
 * redone synchronously); nothing here allocates or frees memory, so this
 * runs under the sandbox. Write-back errors are sticky (above): a write or
 * FLUSH after a failed one in the batch fails too.
 */
void disk_run(struct disk *d, struct disk_op *ops, unsigned n);
/* Closes the image (and its io_uring). */
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
