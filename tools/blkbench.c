/*
 * blkbench: the host-side cost of minivmm's virtio-blk request path, without
 * KVM. A fake guest RAM (an anonymous mapping registered in gmem) holds a
 * split ring that this program fills as a driver would: per batch, QD
 * chains of header, one data buffer and status byte. The real transport,
 * virtqueue, virtio-blk and disk backend then serve the batch
 * (vmmio_notify_queue, as the I/O thread calls it) on a real file in the
 * page cache. Side by side, in the same run, the same bytes are moved with
 * raw preadv/pwritev: same file, same offsets, same buffers and iovec shapes,
 * one call per request. Each workload runs REPS times, alternating the two,
 * and the medians are reported with their ratio.
 *
 *   build/tools/blkbench [--file PATH] [--size MIB] [--reps N] [--qd N] [--aio sync|io_uring|both]
 *
 * Exit status 0 when the 64 KiB read row of the synchronous backend reaches
 * at least 80% of raw preadv throughput, 1 otherwise, 2 for bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "devices/disk.h"
#include "devices/gmem.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_mmio.h"

#define RAM_SIZE  (64ULL << 20)
#define QSIZE     256u
#define RING_GPA  0x10000ULL /* desc 4 KiB, avail, used page-aligned after it */
#define HDR_GPA   0x20000ULL /* 16 bytes per slot */
#define STAT_GPA  0x28000ULL /* 1 byte per slot */
#define DATA_GPA  0x100000ULL
#define MAX_QD    64u
#define MAX_BS    (1u << 20)
#define MAX_REPS  31u
#define THRESHOLD 0.80

struct bench {
        const char *path;
        uint64_t file_size;
        unsigned reps, qd;
        uint8_t *ram;
        struct gmem gm;
        int raw_fd;
        uint64_t *offs; /* per request, reused by every workload */
};

/* One device instance: disk, virtio-blk, transport, and the driver's ring state. */
struct dev {
        struct disk disk;
        struct vblk *blk;
        struct vmmio t;
        uint64_t desc, avail, used;
        uint16_t avail_idx, used_seen;
        unsigned irqs;
};

struct result {
        double dev_s, raw_s; /* medians */
        uint64_t reqs, bytes;
};

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what)
{
        fprintf(stderr, "blkbench: %s: %s\n", what, strerror(errno));
        exit(2);
}

/* --- the fake driver ------------------------------------------------------- */

static void put(struct bench *b, uint64_t gpa, uint64_t v, unsigned bytes)
{
        uint8_t *p = gmem_ptr(&b->gm, gpa, bytes);

        for (unsigned i = 0; i < bytes; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get16(struct bench *b, uint64_t gpa)
{
        uint8_t *p = gmem_ptr(&b->gm, gpa, 2);

        return (uint16_t)(p[0] | p[1] << 8);
}

static void reg(struct dev *d, uint64_t off, uint32_t v)
{
        uint8_t data[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

        vmmio_access(&d->t, off, data, 4, true);
}

static void on_irq(void *opaque, bool level)
{
        struct dev *d = opaque;

        d->irqs += level;
}

/* Descriptors: slot i is chain 3i -> 3i+1 -> 3i+2 (header, data, status). */
static void dev_fill_descs(struct bench *b, struct dev *d, uint32_t bs, bool write)
{
        for (unsigned i = 0; i < b->qd; i++) {
                uint64_t t = d->desc + 16ULL * 3 * i;

                put(b, t, HDR_GPA + 16 * i, 8);
                put(b, t + 8, 16, 4);
                put(b, t + 12, VRING_DESC_F_NEXT, 2);
                put(b, t + 14, 3 * i + 1, 2);
                put(b, t + 16, DATA_GPA + (uint64_t)bs * i, 8);
                put(b, t + 24, bs, 4);
                put(b, t + 28, VRING_DESC_F_NEXT | (write ? 0 : VRING_DESC_F_WRITE), 2);
                put(b, t + 30, 3 * i + 2, 2);
                put(b, t + 32, STAT_GPA + i, 8);
                put(b, t + 40, 1, 4);
                put(b, t + 44, VRING_DESC_F_WRITE, 2);
                put(b, t + 46, 0, 2);
                put(b, HDR_GPA + 16 * i, write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, 4);
        }
}

/*
 * flush: negotiate FLUSH (a write-back driver, as Linux); without it every
 * batch of writes is made stable before it completes (VIRTIO 1.2 §5.2.6.2).
 */
static void dev_open(struct bench *b, struct dev *d, bool uring, bool flush)
{
        char err[256];
        uint64_t feats = VIRTIO_FEAT_VERSION_1 | VIRTIO_FEAT_EVENT_IDX |
                         (flush ? VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) : 0);

        memset(d, 0, sizeof(*d));
        if (disk_open(&d->disk, b->path, false, err, sizeof(err))) {
                fprintf(stderr, "blkbench: %s\n", err);
                exit(2);
        }
        if (uring && disk_use_uring(&d->disk, VBLK_BATCH_MAX)) {
                fprintf(stderr, "blkbench: io_uring refused by this kernel\n");
                exit(2);
        }
        d->blk = calloc(1, sizeof(*d->blk));
        if (d->blk == NULL || vblk_init(d->blk, &d->disk, "blkbench"))
                die("vblk_init");
        vmmio_init(&d->t, &b->gm, &vblk_ops, d->blk, false, on_irq, d);
        d->desc = RING_GPA;
        d->avail = RING_GPA + 16ULL * QSIZE;
        d->used = (d->avail + 6 + 2ULL * QSIZE + 4095) & ~4095ULL;
        memset(b->ram + RING_GPA, 0, 0x8000);
        /* virtio 1.2 §3.1.1, version 2. */
        reg(d, VIRTIO_MMIO_STATUS, 0);
        reg(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
        reg(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
        reg(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
        reg(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)feats);
        reg(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
        reg(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(feats >> 32));
        reg(d, VIRTIO_MMIO_STATUS,
            VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
        reg(d, VIRTIO_MMIO_QUEUE_SEL, 0);
        reg(d, VIRTIO_MMIO_QUEUE_NUM, QSIZE);
        reg(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)d->desc);
        reg(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
        reg(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)d->avail);
        reg(d, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0);
        reg(d, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)d->used);
        reg(d, VIRTIO_MMIO_QUEUE_USED_HIGH, 0);
        reg(d, VIRTIO_MMIO_QUEUE_READY, 1);
        reg(d, VIRTIO_MMIO_STATUS,
            VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
                VIRTIO_STATUS_DRIVER_OK);
        if (!d->t.q[0].vq.ready) {
                fprintf(stderr, "blkbench: the device refused the queue\n");
                exit(2);
        }
}

static void dev_close(struct dev *d)
{
        disk_close(&d->disk);
        free(d->blk);
}

/* Requests [first, first + n) of b->offs, one batch: fill, notify (timed), reap. */
static double dev_batch(struct bench *b, struct dev *d, unsigned first, unsigned n)
{
        double t0, t1;

        for (unsigned i = 0; i < n; i++) {
                put(b, HDR_GPA + 16 * i + 8, b->offs[first + i] / 512, 8);
                put(b, d->avail + 4 + 2ULL * (d->avail_idx % QSIZE), 3 * i, 2);
                d->avail_idx++;
        }
        /* used_event: one interrupt when the whole batch is done. */
        put(b, d->avail + 4 + 2ULL * QSIZE, (uint16_t)(d->used_seen + n - 1), 2);
        __atomic_thread_fence(__ATOMIC_RELEASE);
        put(b, d->avail + 2, d->avail_idx, 2);
        t0 = now();
        while (vmmio_notify_queue(&d->t, 0))
                ;
        t1 = now();
        if (get16(b, d->used + 2) != d->avail_idx) {
                fprintf(stderr, "blkbench: the device left requests unserved\n");
                exit(2);
        }
        for (unsigned i = 0; i < n; i++) {
                if (b->ram[STAT_GPA + i] != VIRTIO_BLK_S_OK) {
                        fprintf(stderr, "blkbench: request failed (status %u)\n",
                                b->ram[STAT_GPA + i]);
                        exit(2);
                }
        }
        d->used_seen = d->avail_idx;
        reg(d, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
        return t1 - t0;
}

/* The same requests with one preadv/pwritev each, into the same guest buffers. */
static double raw_batch(struct bench *b, uint32_t bs, bool write, unsigned first, unsigned n)
{
        double t0 = now();

        for (unsigned i = 0; i < n; i++) {
                struct iovec iov = {b->ram + DATA_GPA + (uint64_t)bs * i, bs};
                ssize_t r = write ? pwritev(b->raw_fd, &iov, 1, (off_t)b->offs[first + i])
                                  : preadv(b->raw_fd, &iov, 1, (off_t)b->offs[first + i]);

                if (r != (ssize_t)bs)
                        die(write ? "pwritev" : "preadv");
        }
        return now() - t0;
}

/* --- workloads ---------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
        qsort(v, n, sizeof(v[0]), cmp_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Random bs-aligned offsets inside the file (a fixed seed: every run the same). */
static void make_offsets(struct bench *b, uint32_t bs, unsigned nreq)
{
        uint64_t slots = b->file_size / bs, x = 0x9e3779b97f4a7c15ULL;

        for (unsigned i = 0; i < nreq; i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                b->offs[i] = (x % slots) * bs;
        }
}

static struct result workload(struct bench *b, uint32_t bs, bool write, bool uring, bool flush,
                              unsigned nreq)
{
        double dev_t[MAX_REPS], raw_t[MAX_REPS];
        struct result res = {.reqs = nreq, .bytes = (uint64_t)nreq * bs};
        struct dev d;

        make_offsets(b, bs, nreq);
        dev_open(b, &d, uring, flush);
        dev_fill_descs(b, &d, bs, write);
        for (unsigned r = 0; r < b->reps; r++) {
                dev_t[r] = raw_t[r] = 0;
                /* Alternating: device then raw in even repetitions, raw first in odd ones. */
                for (int pass = 0; pass < 2; pass++) {
                        bool dev_pass = (pass == 0) == (r % 2 == 0);

                        for (unsigned i = 0; i < nreq; i += b->qd) {
                                unsigned n = nreq - i < b->qd ? nreq - i : b->qd;

                                if (dev_pass)
                                        dev_t[r] += dev_batch(b, &d, i, n);
                                else
                                        raw_t[r] += raw_batch(b, bs, write, i, n);
                        }
                }
        }
        dev_close(&d);
        res.dev_s = median(dev_t, b->reps);
        res.raw_s = median(raw_t, b->reps);
        return res;
}

static void print_row(const char *name, const char *backend, const struct result *r)
{
        double dev_gbs = (double)r->bytes / r->dev_s / 1e9,
               raw_gbs = (double)r->bytes / r->raw_s / 1e9;

        printf("%-15s %-9s %12.0f %9.2f %12.0f %9.2f %7.1f%%\n", name, backend,
               (double)r->reqs / r->dev_s, dev_gbs, (double)r->reqs / r->raw_s, raw_gbs,
               100.0 * dev_gbs / raw_gbs);
}

/* The file: created (or reused) at the size asked, then read once so it sits in the page cache. */
static void prepare_file(struct bench *b)
{
        uint8_t *buf = malloc(MAX_BS);
        int fd = open(b->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

        if (fd < 0 || buf == NULL)
                die(b->path);
        for (unsigned i = 0; i < MAX_BS; i++)
                buf[i] = (uint8_t)(i * 13 + 7);
        if (ftruncate(fd, (off_t)b->file_size) < 0)
                die("ftruncate");
        for (uint64_t off = 0; off < b->file_size; off += MAX_BS) {
                if (pwrite(fd, buf, MAX_BS, (off_t)off) != (ssize_t)MAX_BS)
                        die("pwrite");
        }
        for (uint64_t off = 0; off < b->file_size; off += MAX_BS) {
                if (pread(fd, buf, MAX_BS, (off_t)off) != (ssize_t)MAX_BS)
                        die("pread (warming)");
        }
        free(buf);
        b->raw_fd = fd;
}

static void usage(void)
{
        fprintf(stderr, "usage: blkbench [--file PATH] [--size MIB] [--reps N] [--qd N] "
                        "[--aio sync|io_uring|both]\n");
        exit(2);
}

int main(int argc, char **argv)
{
        static const struct {
                const char *name;
                uint32_t bs;
                bool write;
                bool flush; /* FLUSH negotiated (write-back) */
                unsigned nreq;
        } rows[] = {
            {"read 4KiB", 4096, false, true, 200000},
            {"read 64KiB", 65536, false, true, 40000},
            {"write 4KiB", 4096, true, true, 200000},
            {"write 64KiB", 65536, true, true, 40000},
            {"write 4KiB nofl", 4096, true, false, 20000}, /* one fdatasync per batch */
        };
        struct bench b = {
            .path = "/tmp/minivmm-blkbench.img", .file_size = 512ULL << 20, .reps = 7, .qd = 32};
        const char *aio = "both";
        double ratio64 = 0;
        unsigned maxreq = 0;

        for (int i = 1; i < argc; i++) {
                const char *v = i + 1 < argc ? argv[i + 1] : NULL;

                if (v == NULL)
                        usage();
                if (!strcmp(argv[i], "--file"))
                        b.path = v;
                else if (!strcmp(argv[i], "--size"))
                        b.file_size = strtoull(v, NULL, 10) << 20;
                else if (!strcmp(argv[i], "--reps"))
                        b.reps = (unsigned)strtoul(v, NULL, 10);
                else if (!strcmp(argv[i], "--qd"))
                        b.qd = (unsigned)strtoul(v, NULL, 10);
                else if (!strcmp(argv[i], "--aio"))
                        aio = v;
                else
                        usage();
                i++;
        }
        if (b.reps == 0 || b.reps > MAX_REPS || b.qd == 0 || b.qd > MAX_QD ||
            b.file_size < (64ULL << 20) ||
            (strcmp(aio, "sync") && strcmp(aio, "io_uring") && strcmp(aio, "both")))
                usage();
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
                maxreq = rows[i].nreq > maxreq ? rows[i].nreq : maxreq;
        b.offs = calloc(maxreq, sizeof(b.offs[0]));
        b.ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (b.offs == NULL || b.ram == MAP_FAILED)
                die("memory");
        gmem_init(&b.gm);
        if (gmem_add(&b.gm, 0, RAM_SIZE, b.ram))
                die("gmem_add");
        prepare_file(&b);
        printf("blkbench: %s, %" PRIu64 " MiB in the page cache; QD %u (one notify per batch); "
               "median of %u repetitions\n",
               b.path, b.file_size >> 20, b.qd, b.reps);
        printf("%-15s %-9s %12s %9s %12s %9s %8s\n", "workload", "backend", "device req/s",
               "dev GB/s", "preadv req/s", "raw GB/s", "ratio");
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                for (int u = 0; u < 2; u++) {
                        struct result r;

                        if ((u == 0 && !strcmp(aio, "io_uring")) ||
                            (u == 1 && !strcmp(aio, "sync")))
                                continue;
                        r = workload(&b, rows[i].bs, rows[i].write, u == 1, rows[i].flush,
                                     rows[i].nreq);
                        print_row(rows[i].name, u ? "io_uring" : "sync", &r);
                        if (u == 0 && rows[i].bs == 65536 && !rows[i].write)
                                ratio64 = r.raw_s / r.dev_s;
                }
        }
        close(b.raw_fd);
        if (strcmp(aio, "io_uring") == 0)
                return 0;
        printf("acceptance: 64 KiB reads through the request path at %.1f%% of raw preadv "
               "(needs >= %.0f%%): %s\n",
               100.0 * ratio64, 100.0 * THRESHOLD, ratio64 >= THRESHOLD ? "pass" : "FAIL");
        return ratio64 >= THRESHOLD ? 0 : 1;
}
