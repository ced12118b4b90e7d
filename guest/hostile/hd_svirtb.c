/*
 * hd_svirtb: the hostile cases for svirtb (docs/svirtb.md, "Errors and
 * reset" and "Access model"), written once against guest/hostile/hd.h:
 * raw register writes and ring entries the driver would never build.
 * Registers are read from the device's page; every write is applied before
 * the writer goes on. Outcomes are listed in docs/security.md.
 */
#include <string.h>

#include "guest/hostile/hd.h"
#include "guest/svirtb_drv.h"
#include "tools/testdisk.h"

#define QS       8u
#define ENTRY    32u
#define RD       SVB_CMD_READ
#define NOT_RAM  "buffer not in guest RAM"
#define OVERFLOW "sector * 512 + size overflows"

static uint64_t ring;  /* the ring as last given to the device */
static uint32_t qsize; /* queue_size as last given */

static uint64_t buf(struct hd *h, unsigned k)
{
        return h->data + k * HD_PAGE;
}

/* The six registers as the page shows them, and nothing past them. */
static int check_regs(struct hd *h, uint32_t status, uint32_t qs, uint64_t r, uint32_t head,
                      uint32_t tail)
{
        static const char *const names[6] = {"status",        "queue_size", "queue_addr_hi",
                                             "queue_addr_lo", "queue_head", "queue_tail"};
        const uint32_t want[6] = {status, qs, (uint32_t)(r >> 32), (uint32_t)r, head, tail};

        for (unsigned k = 0; k < 6; k++)
                HD_EXPECT(hd_rd(h, 4 * k) == want[k], "%s 0x%x, want 0x%x", names[k],
                          hd_rd(h, 4 * k), want[k]);
        for (uint32_t off = 24; off < HD_PAGE; off += 4)
                HD_EXPECT(hd_rd(h, off) == 0, "page offset 0x%x: 0x%x", off, hd_rd(h, off));
        return HD_PASS;
}

/* The spec's initialization; the status read back after READY. */
static uint32_t init(struct hd *h, uint64_t r, uint32_t qs)
{
        hd_wr(h, SVB_REG_STATUS, SVB_RESET);
        hd_wr(h, SVB_REG_STATUS, SVB_DRIVER_OK);
        hd_wr(h, SVB_REG_QUEUE_ADDR_HI, (uint32_t)(r >> 32));
        hd_wr(h, SVB_REG_QUEUE_ADDR_LO, (uint32_t)r);
        hd_wr(h, SVB_REG_QUEUE_SIZE, qs);
        hd_wr(h, SVB_REG_STATUS, SVB_READY);
        ring = r;
        qsize = qs;
        return hd_rd(h, SVB_REG_STATUS);
}

/* init() at r with qs zeroed entries is accepted (want READY) or refused. */
static int init_is(struct hd *h, uint64_t r, uint32_t qs, uint32_t want)
{
        if (want == SVB_READY)
                memset(hd_ptr(h, r, (uint64_t)qs * ENTRY), 0, (uint64_t)qs * ENTRY);
        hd_snap(h);
        HD_EXPECT(init(h, r, qs) == want, "ring 0x%lx, queue_size %u: status 0x%x", r, qs,
                  hd_rd(h, SVB_REG_STATUS));
        return want == SVB_READY ? check_regs(h, SVB_READY, qs, r, 0, 0) : HD_PASS;
}

static int start(struct hd *h)
{
        return init_is(h, h->ring, QS, SVB_READY);
}

static void entry(struct hd *h, uint32_t i, uint64_t addr, uint64_t size, uint64_t sector,
                  uint32_t cmd)
{
        struct gsvb_entry *e = hd_ptr(h, ring + (uint64_t)i * ENTRY, ENTRY);

        *e = (struct gsvb_entry){addr, size, sector, cmd, 0};
}

/* Snapshot, then the doorbell. */
static void doorbell(struct hd *h, uint32_t head)
{
        hd_snap(h);
        hd_wr(h, SVB_REG_QUEUE_HEAD, head);
}

/* Errors and reset: status RESET, the tail at the bad entry, nothing
 * written into guest RAM; why: the device's reason. */
static int check_reset(struct hd *h, uint32_t head, uint32_t tail, const char *why)
{
        HD_TRY(check_regs(h, SVB_RESET, qsize, ring, head, tail));
        HD_TRY(hd_expect_why(h, why));
        return hd_canary(h, NULL, 0);
}

/* A read of sector s into b at slot `slot`, which must be the tail: done. */
static int valid_read(struct hd *h, uint32_t slot, uint64_t s, uint64_t b)
{
        uint32_t head = (slot + 1) % qsize;
        struct hd_span ok = {b, TD_SECTOR};

        HD_EXPECT(hd_rd(h, SVB_REG_QUEUE_TAIL) == slot, "tail %u", hd_rd(h, SVB_REG_QUEUE_TAIL));
        memset(hd_ptr(h, b, TD_SECTOR), HD_FILL, TD_SECTOR);
        entry(h, slot, b, TD_SECTOR, s, SVB_CMD_READ);
        doorbell(h, head);
        HD_TRY(check_regs(h, SVB_READY, qsize, ring, head, head));
        HD_TRY(hd_canary(h, &ok, 1));
        return hd_expect_sector(h, b, s);
}

/* The tail moves to `to` over zeroed (0-byte read) entries. */
static int advance(struct hd *h, uint32_t to)
{
        doorbell(h, to);
        HD_TRY(check_regs(h, SVB_READY, qsize, ring, to, to));
        return hd_canary(h, NULL, 0);
}

/* After every case: RESET reads MAGIC with the queue forgotten; a new
 * initialization and a read of a known sector; the image unchanged. */
static int recover(struct hd *h)
{
        hd_wr(h, SVB_REG_STATUS, SVB_RESET);
        HD_TRY(check_regs(h, SVB_MAGIC, 0, 0, 0, 0));
        HD_TRY(start(h));
        HD_TRY(valid_read(h, 0, HD_KNOWN, buf(h, 2)));
        return hd_expect_pristine(h);
}

const struct hd_device hd_svirtb = {start, recover};

/* Entries the device must refuse: {addr, size, sector, cmd}, keep bytes at
 * addr it must not write (0: none), and its reason. */
struct bad {
        uint64_t addr, size, sector;
        uint32_t cmd;
        uint64_t keep;
        const char *why;
};

/* Each entry at the tail in turn puts the device in RESET with the tail on
 * it, nothing written; a recovery between two. */
static int bad_entries(struct hd *h, const struct bad *b, unsigned n)
{
        for (unsigned k = 0; k < n; k++) {
                uint32_t tail, head;

                if (k > 0)
                        HD_TRY(recover(h));
                tail = hd_rd(h, SVB_REG_QUEUE_TAIL);
                head = (tail + 1) % qsize;
                if (b[k].keep)
                        memset(hd_ptr(h, b[k].addr, b[k].keep), HD_FILL, b[k].keep);
                entry(h, tail, b[k].addr, b[k].size, b[k].sector, b[k].cmd);
                doorbell(h, head);
                HD_TRY(check_reset(h, head, tail, b[k].why));
                if (b[k].keep)
                        HD_TRY(hd_expect_fill(h, b[k].addr, b[k].keep, "buffer"));
        }
        return HD_PASS;
}

#define BAD_ENTRIES(name, ...)                                                                     \
        int name(struct hd *h)                                                                     \
        {                                                                                          \
                const struct bad b[] = {__VA_ARGS__};                                              \
                return bad_entries(h, b, sizeof(b) / sizeof(b[0]));                                \
        }

/* === entries ============================================================= */

/* A buffer in the MMIO hole (a device window, the LAPIC page). */
BAD_ENTRIES(hostile_svirtb_buf_outside_ram, {HD_HOLE, TD_SECTOR, HD_KNOWN, RD, 0, NOT_RAM},
            {HD_LAPIC, TD_SECTOR, HD_KNOWN, RD, 0, NOT_RAM})

/* CVE-2024-3446: a read aimed at the device's own register page. */
BAD_ENTRIES(hostile_svirtb_buf_at_own_regs, {h->regs, TD_SECTOR, HD_KNOWN, RD, 0, NOT_RAM})

/* A buffer ending exactly at the end of RAM is valid (under KVM the FDT
 * there was copied at boot, so a read may overwrite it). */
int hostile_svirtb_buf_at_ram_end(struct hd *h)
{
        HD_TRY(valid_read(h, 0, HD_KNOWN, h->ram_end - TD_SECTOR));
        return valid_read(h, 1, HD_KNOWN + 1, (h->high_end ? h->high_end : h->ram_end) - TD_SECTOR);
}

/* One byte further is not, and the RAM below the end stays untouched. */
BAD_ENTRIES(hostile_svirtb_buf_past_ram_end,
            {h->ram_end - TD_SECTOR + 1, TD_SECTOR, HD_KNOWN, RD, TD_SECTOR - 1, NOT_RAM})

/* Sizes that overflow: 2^64 - 1, 0xffffffff near the end of RAM, and an
 * address whose buffer wraps around 2^64. */
BAD_ENTRIES(hostile_svirtb_huge_size, {h->data, ~0ULL, 0, RD, 0, NOT_RAM},
            {h->ram_end - 16, 0xffffffffULL, 0, RD, 0, NOT_RAM},
            {0xfffffffffffff000ULL, 0x2000, 0, RD, 0, NOT_RAM})

/* cmd neither 0 nor 1. */
BAD_ENTRIES(hostile_svirtb_bad_cmd, {h->data, TD_SECTOR, HD_KNOWN, 2, TD_SECTOR, "bad command"},
            {h->data, TD_SECTOR, HD_KNOWN, 0xffffffffu, TD_SECTOR, "bad command"})

/* sector * 512 overflows; sector * 512 + size overflows. */
BAD_ENTRIES(hostile_svirtb_sector_overflow, {h->data, TD_SECTOR, 1ULL << 55, RD, 1024, OVERFLOW},
            {h->data, 1024, (1ULL << 55) - 1, RD, 1024, OVERFLOW},
            {h->data, TD_SECTOR, ~0ULL, RD, 1024, OVERFLOW})

/* A zero-size buffer still has to be in RAM. */
BAD_ENTRIES(hostile_svirtb_zero_size_outside_ram, {HD_HOLE, 0, HD_KNOWN, RD, 0, NOT_RAM})

/* A read running past the end of the disk copies only what exists and
 * leaves the rest of the buffer untouched (svirtb.md, Processing). */
int hostile_svirtb_read_past_disk_end(struct hd *h)
{
        struct hd_span ok = {buf(h, 0), TD_SECTOR};

        memset(hd_ptr(h, buf(h, 0), 2 * HD_PAGE), HD_FILL, 2 * HD_PAGE);
        entry(h, 0, buf(h, 0), HD_PAGE, h->sectors - 1, SVB_CMD_READ);
        doorbell(h, 1);
        HD_TRY(check_regs(h, SVB_READY, QS, ring, 1, 1));
        HD_TRY(hd_canary(h, &ok, 1));
        HD_TRY(hd_expect_sector(h, buf(h, 0), h->sectors - 1));
        HD_TRY(hd_expect_fill(h, buf(h, 0) + TD_SECTOR, HD_PAGE - TD_SECTOR,
                              "the buffer past the disk's end"));
        entry(h, 1, buf(h, 1), TD_SECTOR, 1ULL << 40, SVB_CMD_READ);
        doorbell(h, 2);
        HD_TRY(check_regs(h, SVB_READY, QS, ring, 2, 2));
        HD_TRY(hd_canary(h, NULL, 0));
        return hd_expect_fill(h, buf(h, 1), TD_SECTOR, "a buffer for sectors beyond the disk");
}

/* Three entries, the second bad: the first is done, the third never; in
 * RESET a doorbell is ignored. */
int hostile_svirtb_error_midway(struct hd *h)
{
        struct hd_span ok = {buf(h, 0), TD_SECTOR};

        memset(hd_ptr(h, buf(h, 0), 3 * HD_PAGE), HD_FILL, 3 * HD_PAGE);
        entry(h, 0, buf(h, 0), TD_SECTOR, HD_KNOWN, SVB_CMD_READ);
        entry(h, 1, buf(h, 1), TD_SECTOR, HD_KNOWN, 7);
        entry(h, 2, buf(h, 2), TD_SECTOR, HD_KNOWN + 1, SVB_CMD_READ);
        doorbell(h, 3);
        HD_TRY(check_regs(h, SVB_RESET, QS, ring, 3, 1));
        HD_TRY(hd_expect_why(h, "bad command"));
        HD_TRY(hd_canary(h, &ok, 1));
        HD_TRY(hd_expect_sector(h, buf(h, 0), HD_KNOWN));
        HD_TRY(hd_expect_fill(h, buf(h, 1), 2 * HD_PAGE,
                              "the bad entry's and the next one's buffers"));
        doorbell(h, 3);
        return check_reset(h, 3, 1, "bad command");
}

/* === registers ============================================================ */

/* queue_head not below queue_size. */
int hostile_svirtb_head_out_of_range(struct hd *h)
{
        static const uint32_t heads[] = {QS, 0xffffffffu};

        for (unsigned k = 0; k < 2; k++) {
                uint32_t head = hd_rd(h, SVB_REG_QUEUE_HEAD);

                memset(hd_ptr(h, buf(h, 0), TD_SECTOR), HD_FILL, TD_SECTOR);
                entry(h, head, buf(h, 0), TD_SECTOR, HD_KNOWN, SVB_CMD_READ);
                doorbell(h, heads[k]);
                HD_TRY(check_reset(h, head, head, "queue_head not below queue_size"));
                HD_TRY(hd_expect_fill(h, buf(h, 0), TD_SECTOR, "buffer"));
                HD_TRY(recover(h));
        }
        return HD_PASS;
}

/* READY refused (status RESET) for a queue_size of 0; no doorbell in RESET. */
int hostile_svirtb_queue_size_zero(struct hd *h)
{
        HD_TRY(init_is(h, h->ring, 0, SVB_RESET));
        HD_TRY(check_reset(h, 0, 0, "queue_size out of range"));
        hd_wr(h, SVB_REG_QUEUE_HEAD, 0);
        return check_reset(h, 0, 0, "queue_size out of range");
}

/* 4097 and 0xffffffff are refused; 4096 is the largest accepted. */
int hostile_svirtb_queue_size_above_max(struct hd *h)
{
        static const uint32_t sizes[] = {SVB_QUEUE_MAX + 1, 0xffffffffu};

        for (unsigned k = 0; k < 2; k++) {
                HD_TRY(init_is(h, h->ring, sizes[k], SVB_RESET));
                HD_TRY(check_reset(h, 0, 0, "queue_size out of range"));
                HD_TRY(recover(h));
        }
        HD_TRY(init_is(h, h->ring, SVB_QUEUE_MAX, SVB_READY));
        HD_TRY(advance(h, SVB_QUEUE_MAX - 1));
        return valid_read(h, SVB_QUEUE_MAX - 1, HD_KNOWN, buf(h, 0));
}

/* A ring in the MMIO hole, on the register page, and above all RAM. */
int hostile_svirtb_ring_outside_ram(struct hd *h)
{
        const uint64_t rings[] = {HD_HOLE, h->regs, 0xffffffff00000000ULL};

        for (unsigned k = 0; k < 3; k++) {
                HD_TRY(init_is(h, rings[k], QS, SVB_RESET));
                HD_TRY(check_reset(h, 0, 0, "ring not in guest RAM"));
                HD_TRY(recover(h));
        }
        return HD_PASS;
}

/* A ring ending one entry past the end of RAM is refused; one ending
 * exactly there works (under KVM: in the FDT's area, copied at boot). */
int hostile_svirtb_ring_past_ram_end(struct hd *h)
{
        HD_TRY(init_is(h, h->ram_end - (QS - 1) * ENTRY, QS, SVB_RESET));
        HD_TRY(check_reset(h, 0, 0, "ring not in guest RAM"));
        HD_TRY(recover(h));
        HD_TRY(init_is(h, h->ram_end - QS * ENTRY, QS, SVB_READY));
        HD_TRY(advance(h, QS - 1));
        return valid_read(h, QS - 1, HD_KNOWN, buf(h, 0));
}

/* Queue registers and status writes are ignored while READY. */
int hostile_svirtb_regs_while_ready(struct hd *h)
{
        hd_snap(h);
        hd_wr(h, SVB_REG_QUEUE_SIZE, 1);
        hd_wr(h, SVB_REG_QUEUE_ADDR_HI, 1);
        hd_wr(h, SVB_REG_QUEUE_ADDR_LO, (uint32_t)HD_HOLE);
        hd_wr(h, SVB_REG_STATUS, SVB_DRIVER_OK);
        hd_wr(h, SVB_REG_STATUS, SVB_READY);
        hd_wr(h, SVB_REG_QUEUE_TAIL, 5);
        HD_TRY(check_regs(h, SVB_READY, QS, h->ring, 0, 0));
        HD_TRY(hd_canary(h, NULL, 0));
        return valid_read(h, 0, HD_KNOWN, buf(h, 0));
}

/* A doorbell in MAGIC or DRIVER_OK is ignored: no entry is read. */
int hostile_svirtb_doorbell_before_ready(struct hd *h)
{
        memset(hd_ptr(h, buf(h, 0), TD_SECTOR), HD_FILL, TD_SECTOR);
        entry(h, 0, buf(h, 0), TD_SECTOR, HD_KNOWN, SVB_CMD_READ);
        hd_wr(h, SVB_REG_STATUS, SVB_RESET);
        doorbell(h, 1);
        HD_TRY(check_regs(h, SVB_MAGIC, 0, 0, 0, 0));
        hd_wr(h, SVB_REG_STATUS, SVB_DRIVER_OK);
        hd_wr(h, SVB_REG_QUEUE_ADDR_HI, (uint32_t)(h->ring >> 32));
        hd_wr(h, SVB_REG_QUEUE_ADDR_LO, (uint32_t)h->ring);
        hd_wr(h, SVB_REG_QUEUE_SIZE, QS);
        doorbell(h, 1);
        HD_TRY(check_regs(h, SVB_DRIVER_OK, QS, h->ring, 0, 0));
        HD_TRY(hd_canary(h, NULL, 0));
        return hd_expect_fill(h, buf(h, 0), TD_SECTOR, "buffer");
}

/* Access model: only aligned 32-bit writes to the six registers count. */
int hostile_svirtb_bad_width(struct hd *h)
{
        static const struct {
                uint64_t off;
                uint32_t len, v;
        } w[] = {
            {SVB_REG_QUEUE_HEAD, 1, 1},
            {SVB_REG_QUEUE_HEAD, 2, 1},
            {SVB_REG_QUEUE_HEAD, 8, 1},
            {SVB_REG_QUEUE_HEAD + 1, 4, 1},
            {SVB_REG_STATUS, 1, SVB_RESET},
            {SVB_REG_STATUS + 2, 4, SVB_RESET},
            {0x18, 4, 1},
            {HD_PAGE - 4, 4, 1},
            {HD_PAGE, 4, 1},
            {~0ULL - 3, 4, 1},
        };
        struct hd_span ok = {buf(h, 0), TD_SECTOR};

        memset(hd_ptr(h, buf(h, 0), TD_SECTOR), HD_FILL, TD_SECTOR);
        entry(h, 0, buf(h, 0), TD_SECTOR, HD_KNOWN, SVB_CMD_READ);
        hd_snap(h);
        for (unsigned k = 0; k < sizeof(w) / sizeof(w[0]); k++) {
                uint64_t v = w[k].v;

                hd_raw(h, w[k].off, w[k].len, true, &v);
        }
        HD_TRY(check_regs(h, SVB_READY, QS, h->ring, 0, 0));
        HD_TRY(hd_canary(h, NULL, 0));
        HD_TRY(hd_expect_fill(h, buf(h, 0), TD_SECTOR, "buffer"));
        doorbell(h, 1);
        HD_TRY(check_regs(h, SVB_READY, QS, h->ring, 1, 1));
        HD_TRY(hd_canary(h, &ok, 1));
        return hd_expect_sector(h, buf(h, 0), HD_KNOWN);
}

/* Status values that mean nothing in the current state are ignored. */
int hostile_svirtb_status_garbage(struct hd *h)
{
        static const uint32_t w[][4] = {
            {SVB_RESET, 7, SVB_READY /* from MAGIC */, SVB_MAGIC},
            {SVB_DRIVER_OK, SVB_MAGIC, 0xffffffffu, 0xffffffffu},
        };

        hd_snap(h);
        for (unsigned k = 0; k < 4; k++)
                hd_wr(h, SVB_REG_STATUS, w[0][k]);
        HD_TRY(check_regs(h, SVB_MAGIC, 0, 0, 0, 0));
        for (unsigned k = 0; k < 4; k++)
                hd_wr(h, SVB_REG_STATUS, w[1][k]);
        HD_TRY(check_regs(h, SVB_DRIVER_OK, 0, 0, 0, 0));
        HD_TRY(start(h));
        hd_wr(h, SVB_REG_STATUS, SVB_DRIVER_OK);
        hd_wr(h, SVB_REG_STATUS, 3);
        HD_TRY(check_regs(h, SVB_READY, QS, h->ring, 0, 0));
        return hd_canary(h, NULL, 0);
}
