/*
 * gen_corpus: writes the seed corpus of the fuzz targets (formats in the
 * comments of tests/fuzz/fuzz_*.c) into DIR/<target>/: a few valid
 * requests and register sequences the fuzzer then mutates. The files are
 * committed; `make fuzz-corpus` regenerates them.
 *
 *   gen_corpus DIR
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#define MAXLEN 8192

struct seed {
        uint8_t b[MAXLEN];
        size_t n;
};

static void put(struct seed *s, uint64_t v, unsigned bytes)
{
        for (unsigned i = 0; i < bytes; i++)
                s->b[s->n++] = (uint8_t)(v >> (8 * i));
}

/* v at byte offset off of a RAM image that starts at ram in the seed. */
static void poke(struct seed *s, size_t ram, size_t off, uint64_t v, unsigned bytes)
{
        for (unsigned i = 0; i < bytes; i++)
                s->b[ram + off + i] = (uint8_t)(v >> (8 * i));
}

static void save(const char *dir, const char *target, const char *name, const struct seed *s)
{
        char path[512];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, target);
        if (mkdir(path, 0755) < 0 && errno != EEXIST) {
                perror(path);
                exit(1);
        }
        snprintf(path, sizeof(path), "%s/%s/%s", dir, target, name);
        f = fopen(path, "wb");
        if (f == NULL || fwrite(s->b, 1, s->n, f) != s->n || fclose(f) != 0) {
                perror(path);
                exit(1);
        }
}

/* --- requests in RAM -------------------------------------------------------- */

/* A small ring of 4 at desc/avail/used; requests use HDR, DATA, STAT. */
#define DESC  0x000
#define AVAIL 0x040
#define USED  0x080
#define ITAB  0x180
#define HDR   0x100
#define DATA  0x200
#define STAT  0x700
#define RAMN  0x710

static void desc(struct seed *s, size_t ram, size_t table, unsigned i, uint64_t addr, uint32_t len,
                 uint16_t flags, uint16_t next)
{
        poke(s, ram, table + 16 * i, addr, 8);
        poke(s, ram, table + 16 * i + 8, len, 4);
        poke(s, ram, table + 16 * i + 12, flags, 2);
        poke(s, ram, table + 16 * i + 14, next, 2);
}

/* Header at hdr, data (len, flags) at DATA + 0x200 * k, status at STAT + k. */
static void request(struct seed *s, size_t ram, size_t table, unsigned first, unsigned k,
                    uint32_t type, uint64_t sector, uint32_t len, uint16_t dflags)
{
        size_t hdr = HDR + 16 * k;

        poke(s, ram, hdr, type, 4);
        poke(s, ram, hdr + 8, sector, 8);
        desc(s, ram, table, first, hdr, 16, VRING_DESC_F_NEXT, (uint16_t)(first + 1));
        if (len) {
                desc(s, ram, table, first + 1, DATA + 0x200 * k, len,
                     (uint16_t)(dflags | VRING_DESC_F_NEXT), (uint16_t)(first + 2));
                first++;
        }
        desc(s, ram, table, first + 1, STAT + k, 1, VRING_DESC_F_WRITE, 0);
}

static void avail(struct seed *s, size_t ram, size_t at, const uint16_t *heads, unsigned n)
{
        for (unsigned i = 0; i < n; i++)
                poke(s, ram, at + 4 + 2 * i, heads[i], 2);
        poke(s, ram, at + 2, n, 2);
}

/* --- fuzz_virtio_blk ------------------------------------------------------------ */

/* Rings of 8 for virtio_blk: desc 0, avail 0x80, used 0xa0 (v2); v1 at 0x800. */
#define BAVAIL 0x080
#define BUSED  0x0a0
#define BRAMN  0x900

/* flags, log2 num 3, desc, avail, used, one kick; returns where RAM starts. */
static size_t blk_head(struct seed *s, uint8_t flags, uint16_t d, uint16_t a, uint16_t u)
{
        s->n = 0;
        put(s, flags, 1);
        put(s, 3, 1); /* 8 entries */
        put(s, d, 2);
        put(s, a, 2);
        put(s, u, 2);
        put(s, 0, 1); /* one kick */
        memset(s->b + s->n, 0, BRAMN);
        s->n += BRAMN;
        return s->n - BRAMN;
}

static void gen_blk(const char *dir)
{
        static const uint16_t h0[] = {0}, h01[] = {0, 3};
        struct seed s;
        size_t r;

        r = blk_head(&s, 0, DESC, BAVAIL, BUSED);
        request(&s, r, DESC, 0, 0, VIRTIO_BLK_T_IN, 1, 512, VRING_DESC_F_WRITE);
        avail(&s, r, BAVAIL, h0, 1);
        save(dir, "virtio_blk", "in", &s);

        r = blk_head(&s, 0, DESC, BAVAIL, BUSED);
        request(&s, r, DESC, 0, 0, VIRTIO_BLK_T_OUT, 2, 512, 0);
        avail(&s, r, BAVAIL, h0, 1);
        save(dir, "virtio_blk", "out", &s);

        r = blk_head(&s, 0, DESC, BAVAIL, BUSED);
        request(&s, r, DESC, 0, 0, VIRTIO_BLK_T_FLUSH, 0, 0, 0);
        request(&s, r, DESC, 2, 1, VIRTIO_BLK_T_GET_ID, 0, 20, VRING_DESC_F_WRITE);
        avail(&s, r, BAVAIL, (const uint16_t[]){0, 2}, 2);
        save(dir, "virtio_blk", "flush-get-id", &s);

        r = blk_head(&s, 0, DESC, BAVAIL, BUSED);
        request(&s, r, ITAB, 0, 0, VIRTIO_BLK_T_IN, 3, 512, VRING_DESC_F_WRITE);
        desc(&s, r, DESC, 0, ITAB, 48, VRING_DESC_F_INDIRECT, 0);
        avail(&s, r, BAVAIL, h0, 1);
        save(dir, "virtio_blk", "indirect", &s);

        /* Legacy: GuestPageSize 1 << 11, PFN 1 (desc at 0x800), QueueAlign 4. */
        r = blk_head(&s, 1, 11, 0, 2);
        request(&s, r, 0x800, 0, 0, VIRTIO_BLK_T_IN, 1, 512, VRING_DESC_F_WRITE);
        avail(&s, r, 0x800 + 128, h0, 1);
        save(dir, "virtio_blk", "legacy-in", &s);

        /* io_uring disk: a write and a read in one batch; EVENT_IDX taken. */
        r = blk_head(&s, 4 | 0x10, DESC, BAVAIL, BUSED);
        request(&s, r, DESC, 0, 0, VIRTIO_BLK_T_OUT, 4, 512, 0);
        request(&s, r, DESC, 3, 1, VIRTIO_BLK_T_IN, 4, 512, VRING_DESC_F_WRITE);
        avail(&s, r, BAVAIL, h01, 2);
        save(dir, "virtio_blk", "uring-batch", &s);

        /* Read-only disk, trace on: the OUT is refused. */
        r = blk_head(&s, 2 | 0x20, DESC, BAVAIL, BUSED);
        request(&s, r, DESC, 0, 0, VIRTIO_BLK_T_OUT, 2, 512, 0);
        avail(&s, r, BAVAIL, h0, 1);
        save(dir, "virtio_blk", "ro-out-traced", &s);

        /* A loop and a request behind it. */
        r = blk_head(&s, 0, DESC, BAVAIL, BUSED);
        desc(&s, r, DESC, 0, HDR, 16, VRING_DESC_F_NEXT, 0);
        request(&s, r, DESC, 1, 0, VIRTIO_BLK_T_IN, 5, 512, VRING_DESC_F_WRITE);
        avail(&s, r, BAVAIL, (const uint16_t[]){0, 1}, 2);
        save(dir, "virtio_blk", "loop-then-valid", &s);
}

/* --- fuzz_virtio_mmio ----------------------------------------------------------- */

static void w32(struct seed *s, uint32_t off, uint32_t v)
{
        put(s, 3, 1);
        put(s, off / 4, 1);
        put(s, v, 4);
}

static void acc(struct seed *s, unsigned width_idx, bool wr, uint16_t off, uint64_t v)
{
        put(s, (width_idx << 2) | (wr ? 1 : 0), 1);
        put(s, off, 2);
        put(s, v, 8);
}

/* flags and a RAM image with one IN request; returns where RAM starts. */
static size_t mmio_head(struct seed *s, uint8_t flags, size_t ring)
{
        size_t r;

        s->n = 0;
        put(s, flags, 1);
        put(s, RAMN, 2);
        r = s->n;
        memset(s->b + s->n, 0, RAMN);
        s->n += RAMN;
        request(s, r, ring, 0, 0, VIRTIO_BLK_T_IN, 1, 512, VRING_DESC_F_WRITE);
        avail(s, r, ring + 64, (const uint16_t[]){0}, 1);
        return r;
}

static void mmio_v2_init(struct seed *s)
{
        w32(s, VIRTIO_MMIO_STATUS, 1);
        w32(s, VIRTIO_MMIO_STATUS, 3);
        w32(s, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
        w32(s, VIRTIO_MMIO_DRIVER_FEATURES, 1u << VIRTIO_RING_F_INDIRECT_DESC);
        w32(s, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
        w32(s, VIRTIO_MMIO_DRIVER_FEATURES, 1);
        w32(s, VIRTIO_MMIO_STATUS, 0xb);
        w32(s, VIRTIO_MMIO_QUEUE_SEL, 0);
        w32(s, VIRTIO_MMIO_QUEUE_NUM, 4);
        w32(s, VIRTIO_MMIO_QUEUE_DESC_LOW, DESC);
        w32(s, VIRTIO_MMIO_QUEUE_AVAIL_LOW, AVAIL);
        w32(s, VIRTIO_MMIO_QUEUE_USED_LOW, USED);
        w32(s, VIRTIO_MMIO_QUEUE_READY, 1);
        w32(s, VIRTIO_MMIO_STATUS, 0xf);
}

static void gen_mmio(const char *dir)
{
        struct seed s;

        mmio_head(&s, 0, DESC);
        mmio_v2_init(&s);
        w32(&s, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
        acc(&s, 0, false, VIRTIO_MMIO_INTERRUPT_STATUS, 0);
        w32(&s, VIRTIO_MMIO_INTERRUPT_ACK, 1);
        acc(&s, 3, false, VIRTIO_MMIO_CONFIG, 0);
        save(dir, "virtio_mmio", "v2-init-in", &s);

        /* Legacy: page 64, PFN 1: the ring at 64, used aligned to 4. */
        mmio_head(&s, 1, 64);
        w32(&s, VIRTIO_MMIO_GUEST_PAGE_SIZE, 64);
        w32(&s, VIRTIO_MMIO_STATUS, 1);
        w32(&s, VIRTIO_MMIO_STATUS, 3);
        w32(&s, VIRTIO_MMIO_QUEUE_SEL, 0);
        w32(&s, VIRTIO_MMIO_QUEUE_NUM, 4);
        w32(&s, VIRTIO_MMIO_QUEUE_ALIGN, 4);
        w32(&s, VIRTIO_MMIO_QUEUE_PFN, 1);
        w32(&s, VIRTIO_MMIO_STATUS, 7);
        w32(&s, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
        acc(&s, 0, false, VIRTIO_MMIO_QUEUE_PFN, 0);
        save(dir, "virtio_mmio", "legacy-init-in", &s);

        /* io_uring disk, trace on; widths and offsets at the edges. */
        mmio_head(&s, 4 | 8, DESC);
        mmio_v2_init(&s);
        acc(&s, 1, true, VIRTIO_MMIO_STATUS, 0);
        acc(&s, 2, false, VIRTIO_MMIO_MAGIC_VALUE, 0);
        acc(&s, 4, false, VIRTIO_MMIO_CONFIG + 0x22, 0);
        acc(&s, 5, false, 0xff8, 0);
        acc(&s, 0, true, 0x1000, 0);
        w32(&s, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
        save(dir, "virtio_mmio", "edges-uring-traced", &s);

        /* Queue registers out of range and after DRIVER_OK; a RAM poke. */
        mmio_head(&s, 0, DESC);
        mmio_v2_init(&s);
        w32(&s, VIRTIO_MMIO_QUEUE_SEL, 0xffff);
        w32(&s, VIRTIO_MMIO_QUEUE_NUM, 3);
        w32(&s, VIRTIO_MMIO_QUEUE_SEL, 0);
        w32(&s, VIRTIO_MMIO_QUEUE_NUM, 0);
        w32(&s, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
        put(&s, 2, 1);
        put(&s, AVAIL, 2);
        put(&s, 0x0000000000090000ULL, 8); /* avail idx 9: too far ahead */
        w32(&s, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
        w32(&s, VIRTIO_MMIO_STATUS, 0);
        save(dir, "virtio_mmio", "queue-abuse", &s);
}

/* --- fuzz_svirtb ------------------------------------------------------------------ */

#define SRING 0x100
#define SBUF  0x400

static void sw(struct seed *s, uint32_t reg, uint32_t v)
{
        put(s, 1, 1);
        put(s, reg / 4, 1);
        put(s, v, 4);
}

static size_t svb_head(struct seed *s, uint8_t flags)
{
        size_t r;

        s->n = 0;
        put(s, flags, 1);
        put(s, 0x600, 2);
        r = s->n;
        memset(s->b + s->n, 0, 0x600);
        s->n += 0x600;
        return r;
}

static void entry(struct seed *s, size_t r, unsigned i, uint64_t addr, uint64_t size,
                  uint64_t sector, uint32_t cmd)
{
        poke(s, r, SRING + 32 * i, addr, 8);
        poke(s, r, SRING + 32 * i + 8, size, 8);
        poke(s, r, SRING + 32 * i + 16, sector, 8);
        poke(s, r, SRING + 32 * i + 24, cmd, 4);
}

static void svb_init(struct seed *s, uint32_t qs)
{
        sw(s, 0x00, 0); /* DRIVER_OK */
        sw(s, 0x08, 0);
        sw(s, 0x0c, SRING);
        sw(s, 0x04, qs);
        sw(s, 0x00, 1); /* READY */
}

static void gen_svirtb(const char *dir)
{
        struct seed s;
        size_t r;

        r = svb_head(&s, 0);
        entry(&s, r, 0, SBUF, 512, 1, 0);
        svb_init(&s, 8);
        sw(&s, 0x10, 1);
        save(dir, "svirtb", "read", &s);

        r = svb_head(&s, 0);
        entry(&s, r, 0, SBUF, 512, 3, 1);
        entry(&s, r, 1, SBUF, 1024, 63, 0);
        svb_init(&s, 4);
        sw(&s, 0x10, 2);
        save(dir, "svirtb", "write-read-past-end", &s);

        /* Wrap with queue_size 2, then a bad command, RESET and again. */
        r = svb_head(&s, 2);
        entry(&s, r, 0, SBUF, 512, 0, 0);
        entry(&s, r, 1, SBUF, 512, 1, 5);
        svb_init(&s, 2);
        sw(&s, 0x10, 1);
        sw(&s, 0x10, 0);
        sw(&s, 0x00, 2);
        svb_init(&s, 2);
        sw(&s, 0x10, 1);
        save(dir, "svirtb", "wrap-bad-cmd-traced", &s);

        /* Read-only disk, odd widths and offsets, a poke between doorbells. */
        r = svb_head(&s, 1);
        entry(&s, r, 0, SBUF, 512, 2, 1);
        svb_init(&s, 8);
        put(&s, 0 | (1 << 2), 1); /* 1-byte write */
        put(&s, 0x10, 2);
        put(&s, 1, 4);
        put(&s, 3 | (3 << 2), 1); /* 8-byte read */
        put(&s, 0xffc, 2);
        sw(&s, 0x10, 1);
        put(&s, 2, 1);
        put(&s, SRING + 32 + 8, 2);
        put(&s, 0xffffffffffffffffULL, 8);
        sw(&s, 0x10, 2);
        save(dir, "svirtb", "ro-widths-poke", &s);
}

/* --- fuzz_pci ---------------------------------------------------------------------- */

#define PCI_W  0x40u /* write bit of an operation */
#define PCI_B1 0xe0000000u

/* op kind k with width index wi (0: 4 bytes, 1: 1, 2: 2, 3: 8). */
static void pio(struct seed *s, unsigned wi, bool wr, uint16_t off, uint32_t v)
{
        put(s, 2 | wi << 3 | (wr ? PCI_W : 0), 1);
        put(s, off, 2);
        put(s, v, 4);
}

static void pmem(struct seed *s, unsigned wi, bool wr, uint32_t off, uint64_t v)
{
        put(s, 3 | wi << 3 | (wr ? PCI_W : 0), 1);
        put(s, off, 4);
        put(s, v, 8);
}

static void ppoke(struct seed *s, uint16_t off, uint64_t v)
{
        put(s, 4, 1);
        put(s, off, 2);
        put(s, v, 8);
}

static void pcfg(struct seed *s, unsigned wi, bool wr, uint8_t dev, uint16_t off, uint32_t v)
{
        put(s, 5 | wi << 3 | (wr ? PCI_W : 0), 1);
        put(s, dev, 1);
        put(s, off, 2);
        put(s, v, 4);
}

/* Aims device 1's PCI_CFG window and accesses pci_cfg_data (width index wi). */
static void pwin(struct seed *s, unsigned wi, bool wr, uint8_t bar, uint32_t off, uint8_t len,
                 uint32_t v)
{
        put(s, 7 | wi << 3 | (wr ? PCI_W : 0), 1);
        put(s, bar, 1);
        put(s, len, 1);
        put(s, off, 4);
        put(s, 0, 1);
        put(s, v, 4);
}

static void gen_pci(const char *dir)
{
        struct seed s;
        size_t r;

        /* Legacy: the 256-entry ring at PFN 1, built by pokes; one IN request. */
        s.n = 0;
        put(&s, 0, 1);
        put(&s, RAMN, 2);
        r = s.n;
        memset(s.b + s.n, 0, RAMN);
        s.n += RAMN;
        poke(&s, r, HDR, VIRTIO_BLK_T_IN, 4);
        ppoke(&s, 0x1000, HDR);
        ppoke(&s, 0x1008, 16 | (uint64_t)VRING_DESC_F_NEXT << 32 | 1ULL << 48);
        ppoke(&s, 0x1010, DATA);
        ppoke(&s, 0x1018,
              512 | (uint64_t)(VRING_DESC_F_NEXT | VRING_DESC_F_WRITE) << 32 | 2ULL << 48);
        ppoke(&s, 0x1020, STAT);
        ppoke(&s, 0x1028, 1 | (uint64_t)VRING_DESC_F_WRITE << 32);
        ppoke(&s, 0x2000, 1ULL << 16);
        pio(&s, 1, true, VIRTIO_PCI_STATUS, 0);
        pio(&s, 1, true, VIRTIO_PCI_STATUS, 3);
        pio(&s, 0, false, VIRTIO_PCI_HOST_FEATURES, 0);
        pio(&s, 0, true, VIRTIO_PCI_GUEST_FEATURES, 1u << VIRTIO_BLK_F_FLUSH);
        pio(&s, 2, true, VIRTIO_PCI_QUEUE_SEL, 0);
        pio(&s, 0, true, VIRTIO_PCI_QUEUE_PFN, 1);
        pio(&s, 1, true, VIRTIO_PCI_STATUS, 7);
        pio(&s, 2, true, VIRTIO_PCI_QUEUE_NOTIFY, 0);
        pio(&s, 1, false, VIRTIO_PCI_ISR, 0);
        pio(&s, 0, false, 0x14, 0);
        pcfg(&s, 2, true, 1, 0x04, 0x0400); /* Interrupt Disable */
        save(dir, "pci", "legacy-init-in", &s);

        /* Transitional, modern driver: a 4-entry ring, one IN request, trace on. */
        r = mmio_head(&s, 1 | 8, DESC);
        (void)r;
        pmem(&s, 1, true, VIRTIO_PCI_COMMON_STATUS, 0);
        pmem(&s, 1, true, VIRTIO_PCI_COMMON_STATUS, 3);
        pmem(&s, 0, true, VIRTIO_PCI_COMMON_GFSELECT, 1);
        pmem(&s, 0, true, VIRTIO_PCI_COMMON_GF, 1);
        pmem(&s, 1, true, VIRTIO_PCI_COMMON_STATUS, 0xb);
        pmem(&s, 2, true, VIRTIO_PCI_COMMON_Q_SIZE, 4);
        pmem(&s, 3, true, VIRTIO_PCI_COMMON_Q_DESCLO, DESC);
        pmem(&s, 3, true, VIRTIO_PCI_COMMON_Q_AVAILLO, AVAIL);
        pmem(&s, 3, true, VIRTIO_PCI_COMMON_Q_USEDLO, USED);
        pmem(&s, 2, true, VIRTIO_PCI_COMMON_Q_ENABLE, 1);
        pmem(&s, 1, true, VIRTIO_PCI_COMMON_STATUS, 0xf);
        pmem(&s, 2, true, 0x3000, 0);
        pmem(&s, 1, false, 0x1000, 0);
        pmem(&s, 3, false, 0x2000, 0);
        save(dir, "pci", "modern-init-in", &s);

        /* Config space through the ports: sizing and moving BAR1 of device 1. */
        s.n = 0;
        put(&s, 1, 1);
        put(&s, 0, 2);
        put(&s, 1, 1); /* latch: 00:01.0 BAR1 */
        put(&s, 0x80000814u, 4);
        put(&s, 0 | PCI_W, 1);
        put(&s, 4, 1);
        put(&s, 0xffffffffu, 4);
        put(&s, 0, 1);
        put(&s, 4, 1);
        put(&s, 0, 4);
        put(&s, 0 | PCI_W, 1);
        put(&s, 4, 1);
        put(&s, PCI_B1 + 0x8000, 4);
        put(&s, 6, 1); /* device 2's BAR1 over it */
        put(&s, 2, 1);
        put(&s, 1, 1);
        put(&s, PCI_B1 + 0x8000, 4);
        pmem(&s, 2, false, 0x8000 + VIRTIO_PCI_COMMON_NUMQ, 0);
        save(dir, "pci", "bar-sizing-move", &s);

        /* The PCI_CFG window: config and common fields, a reset, bad fields. */
        s.n = 0;
        put(&s, 1 | 8, 1);
        put(&s, 0, 2);
        pwin(&s, 0, false, 1, 0x2000, 4, 0);
        pwin(&s, 0, false, 1, VIRTIO_PCI_COMMON_NUMQ, 2, 0);
        pwin(&s, 1, true, 1, VIRTIO_PCI_COMMON_STATUS, 1, 0);
        pwin(&s, 0, true, 1, 0x3000, 2, 0);
        pwin(&s, 0, false, 2, 0, 4, 0);
        pwin(&s, 0, false, 1, 0x3ffe, 4, 0);
        pwin(&s, 0, false, 1, 0x4000, 1, 0);
        pwin(&s, 0, false, 1, 0, 3, 0);
        save(dir, "pci", "cfg-window", &s);
}

int main(int argc, char **argv)
{
        if (argc != 2) {
                fprintf(stderr, "usage: gen_corpus DIR\n");
                return 2;
        }
        if (mkdir(argv[1], 0755) < 0 && errno != EEXIST) {
                perror(argv[1]);
                return 1;
        }
        gen_blk(argv[1]);
        gen_mmio(argv[1]);
        gen_svirtb(argv[1]);
        gen_pci(argv[1]);
        return 0;
}
