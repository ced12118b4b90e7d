/*
 * hd_svirtb: the hostile cases for svirtb (docs/svirtb.md, "Errors and
 * reset", "Access model") as data (SCRIPT, guest/hostile/hd_script.h): raw
 * register writes and ring entries no driver would build; registers read
 * from the device's page. Outcomes: docs/security.md.
 */
#include <string.h>

#include "guest/hostile/hd_script.h"
#include "guest/svirtb_drv.h"
#include "tools/testdisk.h"

#define QS         8u
#define ENTRY_SIZE 32u
#define RD         SVB_CMD_READ
#define NOT_RAM    "buffer not in guest RAM"
#define OVERFLOW   "sector * 512 + size overflows"

static uint64_t ring;  /* the ring as last given to the device */
static uint32_t qsize; /* queue_size as last given */

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

/* The spec's initialization at r with qs zeroed entries is accepted (want
 * READY) or refused. */
static int init_is(struct hd *h, uint64_t r, uint32_t qs, uint32_t want)
{
        if (want == SVB_READY)
                memset(hd_ptr(h, r, (uint64_t)qs * ENTRY_SIZE), 0, (uint64_t)qs * ENTRY_SIZE);
        hd_snap(h);
        hd_wr(h, SVB_REG_STATUS, SVB_RESET);
        hd_wr(h, SVB_REG_STATUS, SVB_DRIVER_OK);
        hd_wr(h, SVB_REG_QUEUE_ADDR_HI, (uint32_t)(r >> 32));
        hd_wr(h, SVB_REG_QUEUE_ADDR_LO, (uint32_t)r);
        hd_wr(h, SVB_REG_QUEUE_SIZE, qs);
        hd_wr(h, SVB_REG_STATUS, SVB_READY);
        ring = r;
        qsize = qs;
        HD_EXPECT(hd_rd(h, SVB_REG_STATUS) == want, "ring 0x%lx, queue_size %u: status 0x%x", r, qs,
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
        struct gsvb_entry *e = hd_ptr(h, ring + (uint64_t)i * ENTRY_SIZE, ENTRY_SIZE);

        *e = (struct gsvb_entry){addr, size, sector, cmd, 0};
}

/* Snapshot, then the doorbell. */
static void doorbell(struct hd *h, uint32_t head)
{
        hd_snap(h);
        hd_wr(h, SVB_REG_QUEUE_HEAD, head);
}

/* Errors and reset: RESET for why, the tail at the bad entry, nothing written. */
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

/* After every case: RESET reads MAGIC, queue forgotten; a new start and read. */
static int recover(struct hd *h)
{
        hd_wr(h, SVB_REG_STATUS, SVB_RESET);
        HD_TRY(check_regs(h, SVB_MAGIC, 0, 0, 0, 0));
        HD_TRY(start(h));
        HD_TRY(valid_read(h, 0, HD_KNOWN, h->data + 2 * HD_PAGE));
        return hd_expect_pristine(h);
}

// clang-format off
enum {
        OP_ENTRY = HD_OP_DEV, OP_BELL, OP_REGS, OP_RESET, OP_WHY, OP_CANARY, OP_INIT, OP_ADVANCE,
        OP_READ, OP_BAD,
};
// clang-format on

static int step(struct hd *h, const struct hd_step *s)
{
        uint64_t a = hd_value(h, s->a), b = hd_value(h, s->b), c = hd_value(h, s->c);
        struct hd_span ok = {a, s->m};
        uint32_t tail, head;

        switch (s->op) {
        case OP_ENTRY:
                entry(h, s->i, a, c, b, s->n);
                break;
        case OP_BELL:
                doorbell(h, s->n);
                break;
        case OP_REGS:
                return check_regs(h, s->fl, s->n, a, s->i, s->j);
        case OP_RESET:
                return check_reset(h, s->i, s->j, s->why);
        case OP_WHY:
                return hd_expect_why(h, s->why);
        case OP_CANARY: /* nothing but [a, a + m) changed */
                return hd_canary(h, &ok, s->m ? 1 : 0);
        case OP_INIT:
                return init_is(h, a, s->n, s->fl);
        case OP_ADVANCE:
                return advance(h, s->n);
        case OP_READ:
                return valid_read(h, s->i, b, a);
        case OP_BAD: /* the entry at the tail puts the device in RESET, nothing written */
                tail = hd_rd(h, SVB_REG_QUEUE_TAIL);
                head = (tail + 1) % qsize;
                if (s->m) /* a in RAM */
                        memset(hd_ptr(h, a, s->m), HD_FILL, s->m);
                entry(h, tail, a, c, b, s->n);
                doorbell(h, head);
                HD_TRY(check_reset(h, head, tail, s->why));
                return s->m ? hd_expect_bytes(h, a, s->m, HD_FILL, "buffer") : HD_PASS;
        }
        return HD_PASS;
}

const struct hd_device hd_svirtb = {start, recover, step};

#define ENTRY(slot, A, size, SEC, cmd)                                                             \
        S(OP_ENTRY, .i = (slot), .a = A, .c = K(size), .b = SEC, .n = (cmd))
#define BELL(head) S(OP_BELL, .n = (head))
#define REGS(st, qs, R, head, tail)                                                                \
        S(OP_REGS, .fl = (st), .n = (qs), .a = R, .i = (head), .j = (tail))
#define RESET(head, tail, why_) S(OP_RESET, .i = (head), .j = (tail), .why = (why_))
#define WHY(why_)               S(OP_WHY, .why = (why_))
#define CANARY(A, len)          S(OP_CANARY, .a = A, .m = (len))
#define CANARY0                 S(OP_CANARY, .m = 0)
#define INIT(R, qs, want)       S(OP_INIT, .a = R, .n = (qs), .fl = (want))
#define ADVANCE(to)             S(OP_ADVANCE, .n = (to))
#define READ(slot, SEC, A)      S(OP_READ, .i = (slot), .b = SEC, .a = A)
/* An entry {A, size, SEC, cmd} at the tail refused for why; keep bytes at A unwritten. */
#define BAD(A, size, SEC, cmd, keep, why_)                                                         \
        S(OP_BAD, .a = A, .c = K(size), .b = SEC, .n = (cmd), .m = (keep), .why = (why_))
#define KNOWN             K(HD_KNOWN)
#define BUF(k)            AT(DATA, (k)*HD_PAGE)
#define SCRIPT(name, ...) HD_SCRIPT(hd_svirtb, name, __VA_ARGS__)

/* === entries ============================================================= */

/* A buffer in the MMIO hole (a device window, the LAPIC page). */
SCRIPT(hostile_svirtb_buf_outside_ram, BAD(K(HD_HOLE), TD_SECTOR, KNOWN, RD, 0, NOT_RAM), RECOVER,
       BAD(K(HD_LAPIC), TD_SECTOR, KNOWN, RD, 0, NOT_RAM))
/* CVE-2024-3446: a read aimed at the device's own register page. */
SCRIPT(hostile_svirtb_buf_at_own_regs, BAD(V(REGS), TD_SECTOR, KNOWN, RD, 0, NOT_RAM))
/* A buffer ending at the end of RAM is valid (KVM: the FDT there was copied). */
SCRIPT(hostile_svirtb_buf_at_ram_end, READ(0, KNOWN, BACK(RAM_END, TD_SECTOR)),
       READ(1, K(HD_KNOWN + 1), BACK(TOP, TD_SECTOR)))
/* One byte further is not, and the RAM below the end stays untouched. */
SCRIPT(hostile_svirtb_buf_past_ram_end,
       BAD(BACK(RAM_END, TD_SECTOR - 1), TD_SECTOR, KNOWN, RD, TD_SECTOR - 1, NOT_RAM))
/* Sizes that overflow: 2^64 - 1; 0xffffffff near the end of RAM; a wrap. */
SCRIPT(hostile_svirtb_huge_size, BAD(V(DATA), ~0ULL, K(0), RD, 0, NOT_RAM), RECOVER,
       BAD(BACK(RAM_END, 16), 0xffffffffULL, K(0), RD, 0, NOT_RAM), RECOVER,
       BAD(K(0xfffffffffffff000ULL), 0x2000, K(0), RD, 0, NOT_RAM))
/* cmd neither 0 nor 1. */
SCRIPT(hostile_svirtb_bad_cmd, BAD(V(DATA), TD_SECTOR, KNOWN, 2, TD_SECTOR, "bad command"), RECOVER,
       BAD(V(DATA), TD_SECTOR, KNOWN, 0xffffffffu, TD_SECTOR, "bad command"))
/* sector * 512 overflows; sector * 512 + size overflows. */
SCRIPT(hostile_svirtb_sector_overflow, BAD(V(DATA), TD_SECTOR, K(1ULL << 55), RD, 1024, OVERFLOW),
       RECOVER, BAD(V(DATA), 1024, K((1ULL << 55) - 1), RD, 1024, OVERFLOW), RECOVER,
       BAD(V(DATA), TD_SECTOR, K(~0ULL), RD, 1024, OVERFLOW))
/* A zero-size buffer still has to be in RAM. */
SCRIPT(hostile_svirtb_zero_size_outside_ram, BAD(K(HD_HOLE), 0, KNOWN, RD, 0, NOT_RAM))
/* A read past the disk's end copies what exists (svirtb.md, Processing). */
SCRIPT(hostile_svirtb_read_past_disk_end, FILL(BUF(0), 2 * HD_PAGE),
       ENTRY(0, BUF(0), HD_PAGE, AT(SECTORS, -1), RD), BELL(1), REGS(SVB_READY, QS, V(RING), 1, 1),
       CANARY(BUF(0), TD_SECTOR), ESECTOR(BUF(0), AT(SECTORS, -1)),
       EFILL(AT(DATA, TD_SECTOR), HD_PAGE - TD_SECTOR, "the buffer past the disk's end"),
       ENTRY(1, BUF(1), TD_SECTOR, K(1ULL << 40), RD), BELL(2), REGS(SVB_READY, QS, V(RING), 2, 2),
       CANARY0, EFILL(BUF(1), TD_SECTOR, "a buffer for sectors beyond the disk"))
/* The second of three entries bad: the third never runs, nor a doorbell. */
SCRIPT(hostile_svirtb_error_midway, FILL(BUF(0), 3 * HD_PAGE),
       ENTRY(0, BUF(0), TD_SECTOR, KNOWN, RD), ENTRY(1, BUF(1), TD_SECTOR, KNOWN, 7),
       ENTRY(2, BUF(2), TD_SECTOR, K(HD_KNOWN + 1), RD), BELL(3),
       REGS(SVB_RESET, QS, V(RING), 3, 1), WHY("bad command"), CANARY(BUF(0), TD_SECTOR),
       ESECTOR(BUF(0), KNOWN),
       EFILL(BUF(1), 2 * HD_PAGE, "the bad entry's and the next one's buffers"), BELL(3),
       RESET(3, 1, "bad command"))

/* === registers ============================================================ */

/* queue_head not below queue_size (at 0; at 1 after the recovery's read). */
#define HEAD_OUT(at, head)                                                                         \
        FILL(BUF(0), TD_SECTOR), ENTRY(at, BUF(0), TD_SECTOR, KNOWN, RD), BELL(head),              \
            RESET(at, at, "queue_head not below queue_size"), EFILL(BUF(0), TD_SECTOR, "buffer"),  \
            RECOVER
SCRIPT(hostile_svirtb_head_out_of_range, HEAD_OUT(0, QS), HEAD_OUT(1, 0xffffffffu))
/* READY refused (status RESET) for a queue_size of 0; no doorbell in RESET. */
SCRIPT(hostile_svirtb_queue_size_zero, INIT(V(RING), 0, SVB_RESET),
       RESET(0, 0, "queue_size out of range"), WR(SVB_REG_QUEUE_HEAD, K(0)),
       RESET(0, 0, "queue_size out of range"))
/* 4097 and 0xffffffff are refused; 4096 is the largest accepted. */
#define REFUSED(R, qs, why) INIT(R, qs, SVB_RESET), RESET(0, 0, why), RECOVER
SCRIPT(hostile_svirtb_queue_size_above_max,
       REFUSED(V(RING), SVB_QUEUE_MAX + 1, "queue_size out of range"),
       REFUSED(V(RING), 0xffffffffu, "queue_size out of range"),
       INIT(V(RING), SVB_QUEUE_MAX, SVB_READY), ADVANCE(SVB_QUEUE_MAX - 1),
       READ(SVB_QUEUE_MAX - 1, KNOWN, BUF(0)))
/* A ring in the MMIO hole, on the register page, and above all RAM. */
SCRIPT(hostile_svirtb_ring_outside_ram, REFUSED(K(HD_HOLE), QS, "ring not in guest RAM"),
       REFUSED(V(REGS), QS, "ring not in guest RAM"),
       REFUSED(K(0xffffffff00000000ULL), QS, "ring not in guest RAM"))
/* A ring one entry past the end of RAM is refused; one ending there works. */
SCRIPT(hostile_svirtb_ring_past_ram_end,
       REFUSED(BACK(RAM_END, (QS - 1) * ENTRY_SIZE), QS, "ring not in guest RAM"),
       INIT(BACK(RAM_END, QS *ENTRY_SIZE), QS, SVB_READY), ADVANCE(QS - 1),
       READ(QS - 1, KNOWN, BUF(0)))
/* Queue registers and status writes are ignored while READY. */
SCRIPT(hostile_svirtb_regs_while_ready, SNAP, WR(SVB_REG_QUEUE_SIZE, K(1)),
       WR(SVB_REG_QUEUE_ADDR_HI, K(1)), WR(SVB_REG_QUEUE_ADDR_LO, K(HD_HOLE)),
       WR(SVB_REG_STATUS, K(SVB_DRIVER_OK)), WR(SVB_REG_STATUS, K(SVB_READY)),
       WR(SVB_REG_QUEUE_TAIL, K(5)), REGS(SVB_READY, QS, V(RING), 0, 0), CANARY0,
       READ(0, KNOWN, BUF(0)))
/* A doorbell in MAGIC or DRIVER_OK is ignored: no entry is read. */
SCRIPT(hostile_svirtb_doorbell_before_ready, FILL(BUF(0), TD_SECTOR),
       ENTRY(0, BUF(0), TD_SECTOR, KNOWN, RD), WR(SVB_REG_STATUS, K(SVB_RESET)), BELL(1),
       REGS(SVB_MAGIC, 0, K(0), 0, 0), WR(SVB_REG_STATUS, K(SVB_DRIVER_OK)),
       WRS(SVB_REG_QUEUE_ADDR_HI, V(RING), 32), WR(SVB_REG_QUEUE_ADDR_LO, V(RING)),
       WR(SVB_REG_QUEUE_SIZE, K(QS)), BELL(1), REGS(SVB_DRIVER_OK, QS, V(RING), 0, 0), CANARY0,
       EFILL(BUF(0), TD_SECTOR, "buffer"))
/* Access model: only aligned 32-bit writes to the six registers count. */
SCRIPT(hostile_svirtb_bad_width, FILL(BUF(0), TD_SECTOR), ENTRY(0, BUF(0), TD_SECTOR, KNOWN, RD),
       SNAP, RAWW(SVB_REG_QUEUE_HEAD, 1, 1), RAWW(SVB_REG_QUEUE_HEAD, 2, 1),
       RAWW(SVB_REG_QUEUE_HEAD, 8, 1), RAWW(SVB_REG_QUEUE_HEAD + 1, 4, 1),
       RAWW(SVB_REG_STATUS, 1, SVB_RESET), RAWW(SVB_REG_STATUS + 2, 4, SVB_RESET), RAWW(0x18, 4, 1),
       RAWW(HD_PAGE - 4, 4, 1), RAWW(HD_PAGE, 4, 1), RAWW(~0ULL - 3, 4, 1),
       REGS(SVB_READY, QS, V(RING), 0, 0), CANARY0, EFILL(BUF(0), TD_SECTOR, "buffer"), BELL(1),
       REGS(SVB_READY, QS, V(RING), 1, 1), CANARY(BUF(0), TD_SECTOR), ESECTOR(BUF(0), KNOWN))
/* Status values that mean nothing in the current state are ignored. */
SCRIPT(hostile_svirtb_status_garbage, SNAP, WR(SVB_REG_STATUS, K(SVB_RESET)),
       WR(SVB_REG_STATUS, K(7)), WR(SVB_REG_STATUS, K(SVB_READY)) /* from MAGIC */,
       WR(SVB_REG_STATUS, K(SVB_MAGIC)), REGS(SVB_MAGIC, 0, K(0), 0, 0),
       WR(SVB_REG_STATUS, K(SVB_DRIVER_OK)), WR(SVB_REG_STATUS, K(SVB_MAGIC)),
       WR(SVB_REG_STATUS, K(0xffffffffu)), WR(SVB_REG_STATUS, K(0xffffffffu)),
       REGS(SVB_DRIVER_OK, 0, K(0), 0, 0), INIT(V(RING), QS, SVB_READY),
       WR(SVB_REG_STATUS, K(SVB_DRIVER_OK)), WR(SVB_REG_STATUS, K(3)),
       REGS(SVB_READY, QS, V(RING), 0, 0), CANARY0)
