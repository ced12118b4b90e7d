/*
 * disk_engine: what the engines behind disk_run share (contract: disk.h).
 * Only disk.c, disk_sync.c and disk_uring.c include this; devices see
 * disk.h alone.
 *
 * An engine executes a batch of disk_ops and sets each res, with the rules
 * of disk_run: clamping to the image, sticky write-back errors, a FLUSH
 * covering every write before it. It never allocates or frees (it runs on
 * the I/O thread under the sandbox); close releases what the engine set up
 * before the sandbox.
 */
#ifndef MINIVMM_DISK_ENGINE_H
#define MINIVMM_DISK_ENGINE_H

#include "disk.h"

struct disk_engine {
        const char *name;
        void (*run)(struct disk *d, struct disk_op *ops, unsigned n);
        void (*close)(struct disk *d); /* NULL: nothing to release */
};

extern const struct disk_engine disk_sync_engine;  /* disk_sync.c: the default */
extern const struct disk_engine disk_uring_engine; /* disk_uring.c: disk_use_uring */

/* disk_sync.c: one operation, synchronously (what disk_readv/_writev/_flush return). */
ssize_t disk_sync_op(struct disk *d, const struct disk_op *op);
/* disk_sync.c: ops[0, n) in order, one by one. */
void disk_sync_run(struct disk *d, struct disk_op *ops, unsigned n);

/* disk.c: records the first failed write or sync (e: a positive errno), reports it once. */
void disk_set_werr(struct disk *d, int e);
/* disk.c: how many of len bytes at off lie inside the disk (0 when off >= size). */
size_t disk_clamp(const struct disk *d, uint64_t off, size_t len);
/*
 * disk.c: copies iov into v, trimmed to the bytes the image holds at off;
 * returns how many entries v has and their total in *n.
 */
unsigned disk_trim(const struct disk *d, uint64_t off, const struct iovec *iov, unsigned iovcnt,
                   struct iovec *v, size_t *n);
/* disk.c: drops the first done bytes of v[*i, cnt). */
void disk_advance(struct iovec *v, unsigned *i, unsigned cnt, size_t done);

#endif
