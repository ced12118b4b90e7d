/*
 * hd_virtio: the hostile cases for virtio-blk over virtio-mmio, as data
 * (SCRIPT, guest/hostile/hd_script.h); rules from docs/virtio-rules.md (M, Q,
 * B, "Past bugs in other VMMs"); each case's driver and outcome: its row of
 * docs/security.md. The cases drive the registers and a ring of their own,
 * in the legacy layout (used ring on the next page) so that it serves version
 * 1 (QueuePFN) and 2 (three addresses). Features as offered, never EVENT_IDX
 * (used_event and avail_event stay out of play). Completions are polled,
 * bounded: under KVM the device may finish after the notify returns.
 */
#include <string.h>

#include "guest/hostile/hd_script.h"
#include "guest/virtio_blk_drv.h"
#include "tools/testdisk.h"

#define QN       256u
#define BIG_LEN  0x1100000u /* 17 MiB: 241 of them pass 4 GiB */
#define WAIT_MAX 1000000u   /* polls of used.idx before a completion counts as missing */
#define SETTLE   4096u      /* polls of used.idx before "nothing was processed" holds */
#define ACK_DRV  (VIO_S_ACKNOWLEDGE | VIO_S_DRIVER)
#define FULL_OK  (ACK_DRV | VIO_S_FEATURES_OK | VIO_S_DRIVER_OK)
#define NSPANS   4

#define R 0u
#define W VQD_DESC_F_WRITE
#define N VQD_DESC_F_NEXT
#define I VQD_DESC_F_INDIRECT

/* The device's reasons, as the enum vq_err table words them. */
#define NOT_RAM "buffer not in guest RAM"
#define LOOP    "descriptor loop"
#define BEYOND  "sectors beyond the disk"
#define NOT_512 "data not a multiple of 512 bytes"
#define SHORT   "header shorter than 16 readable bytes"
#define ZERO    "zero-length descriptor"
#define FAR     "avail index moved more than the queue size"
#define OVERLAP "used ring overlaps the descriptor table or avail ring"
#define BAD_NUM "queue size not a power of 2 within QueueNumMax"
#define IND_LEN "indirect table length not a non-zero multiple of 16"
#define IND_OUT "indirect table not in guest RAM"
#define IND_NXT "next beyond the indirect table"
#define DESC_NR "descriptor table not in guest RAM"

/* Features a hostile driver accepts when offered (never EVENT_IDX). */
#define SUPPORTED                                                                                  \
        (VIO_BIT(VIO_F_INDIRECT_DESC) | VIO_BIT(VBLK_F_FLUSH) | VIO_BIT(VBLK_F_BLK_SIZE) |         \
         VIO_BIT(VBLK_F_SEG_MAX) | VIO_BIT(VBLK_F_RO) | VIO_BIT(VIO_F_VERSION_1))

/* The hostile ring: QN entries at h->ring in the legacy layout. */
static struct {
        volatile struct gvq_avail *a;
        volatile struct gvq_used *u;
        uint64_t desc, avail, used;
        uint16_t avail_idx; /* the next avail.idx to publish */
        uint16_t seen;      /* used elements checked */
} hr;

/* --- guest RAM and registers ------------------------------------------------------ */

static uint8_t *mem(struct hd *h, uint64_t gpa, uint64_t len)
{
        return hd_ptr(h, gpa, len);
}

static void fill(struct hd *h, uint64_t gpa, uint64_t len)
{
        memset(mem(h, gpa, len), HD_FILL, len);
}

static uint32_t st(struct hd *h)
{
        return hd_rd(h, VIO_STATUS);
}

static uint32_t live_status(struct hd *h)
{
        return h->legacy ? ACK_DRV | VIO_S_DRIVER_OK : FULL_OK;
}

static uint64_t offered(struct hd *h)
{
        uint64_t f = 0;

        for (uint32_t w = 0; w < 2; w++) {
                hd_wr(h, VIO_DEVICE_FEATURES_SEL, w);
                f |= (uint64_t)hd_rd(h, VIO_DEVICE_FEATURES) << 32 * w;
        }
        return f;
}

/* Reset, ACKNOWLEDGE, DRIVER, then features f (v1: and no more, §4.2.4). */
static void negotiate(struct hd *h, uint64_t f)
{
        hd_wr(h, VIO_STATUS, 0);
        hd_wr(h, VIO_STATUS, VIO_S_ACKNOWLEDGE);
        hd_wr(h, VIO_STATUS, ACK_DRV);
        if (h->legacy)
                hd_wr(h, VIO_GUEST_PAGE_SIZE, HD_PAGE);
        for (uint32_t w = 0; w < 2; w++) {
                hd_wr(h, VIO_DRIVER_FEATURES_SEL, w);
                hd_wr(h, VIO_DRIVER_FEATURES, (uint32_t)(f >> 32 * w));
        }
}

static int check_live(struct hd *h)
{
        HD_EXPECT(st(h) == live_status(h), "Status 0x%x, want 0x%x", st(h), live_status(h));
        return HD_PASS;
}

/* --- the hostile ring -------------------------------------------------------------- */

static void desc_in(struct hd *h, uint64_t table, uint32_t i, uint64_t addr, uint32_t len,
                    uint32_t flags, uint32_t next)
{
        struct gvq_desc *d = (struct gvq_desc *)mem(h, table + 16ULL * i, 16);

        *d = (struct gvq_desc){addr, len, (uint16_t)flags, (uint16_t)next};
}

static void publish(uint16_t head)
{
        hr.a->ring[hr.avail_idx % QN] = head;
        hr.a->idx = ++hr.avail_idx;
}

/* Publishes head (unless it is -1), snapshots RAM for the canary, notifies. */
static void send(struct hd *h, int head)
{
        if (head >= 0)
                publish((uint16_t)head);
        hd_snap(h);
        hd_wr(h, VIO_QUEUE_NOTIFY, 0);
}

/* Watch used.idx a while: the I/O thread may serve a kick after it returned. */
static void settle(void)
{
        for (uint32_t k = 0; k < SETTLE && hr.u->idx == hr.seen; k++)
                ;
}

static void put_hdr(struct hd *h, uint64_t gpa, uint32_t type, uint64_t sector)
{
        struct gblk_hdr hd = {type, 0, sector};

        memcpy(mem(h, gpa, sizeof(hd)), &hd, sizeof(hd));
}

/* Header, data, status at head..head+2. */
static void req3(struct hd *h, uint16_t head, uint32_t type, uint64_t sector, uint64_t data,
                 uint32_t len, uint32_t dflags)
{
        put_hdr(h, h->hdr, type, sector);
        desc_in(h, hr.desc, head, h->hdr, 16, R | N, head + 1u);
        desc_in(h, hr.desc, head + 1u, data, len, dflags | N, head + 2u);
        desc_in(h, hr.desc, head + 2u, h->stat, 1, W, 0);
}

/* --- outcomes ------------------------------------------------------------------------ */

/* The next used element is {head, len} (polled; NEEDS_RESET ends the wait). */
static int next_used(struct hd *h, uint16_t head, uint32_t len)
{
        struct gvq_used_elem e;

        for (uint32_t k = 0; k < WAIT_MAX && hr.u->idx == hr.seen; k++)
                if (k % 64 == 63 && (st(h) & VIO_S_NEEDS_RESET))
                        break;
        HD_EXPECT(hr.u->idx != hr.seen, "nothing came back (Status 0x%x)", st(h));
        e = hr.u->ring[hr.seen % QN];
        HD_EXPECT(e.id == head && e.len == len, "used element %u is {%u, %u}, want {%u, %u}",
                  hr.seen, e.id, e.len, head, len);
        hr.seen++;
        return HD_PASS;
}

/* Nothing else came back; only used.idx, the last n elements, ok[] changed. */
static int canary(struct hd *h, unsigned n, const struct hd_span *ok, unsigned nok)
{
        struct hd_span s[NSPANS + 2] = {{hr.used + 2, 2}};
        unsigned k = 1;

        HD_EXPECT(hr.u->idx == hr.seen, "used.idx %u, want %u", hr.u->idx, hr.seen);
        for (unsigned i = 0; i < n; i++)
                s[k++] = (struct hd_span){hr.used + 4 + 8u * ((uint16_t)(hr.seen - n + i) % QN), 8};
        for (unsigned i = 0; i < nok; i++)
                s[k++] = ok[i];
        return hd_canary(h, s, n + nok > 0 ? k : 0);
}

/* Q11: the chain came back with used.len 0 for why, the device stays live. */
static int rejected(struct hd *h, uint16_t head, const char *why)
{
        HD_TRY(next_used(h, head, 0));
        HD_TRY(check_live(h));
        HD_TRY(hd_expect_why(h, why));
        return canary(h, 1, NULL, 0);
}

/* {head, len} came back, status at sgpa; [stat, sgpa] and data may change. */
static int done_at(struct hd *h, unsigned nused, uint16_t head, uint32_t len, uint64_t sgpa,
                   uint8_t status, uint64_t data, uint64_t dlen)
{
        struct hd_span ok[2] = {{h->stat, sgpa + 1 - h->stat}, {data, dlen}};
        uint8_t got;

        HD_TRY(next_used(h, head, len));
        got = *(volatile uint8_t *)mem(h, sgpa, 1);
        HD_EXPECT(got == status, "status byte %u, want %u", got, status);
        HD_TRY(check_live(h));
        return canary(h, nused, ok, 2);
}

/* A request at head..head+2 into h->data (dlen bytes; unless placed, sent
 * here) fails with status: used.len counts every writable byte, the data
 * read zero (§2.7.8.2). */
static int fail3(struct hd *h, uint16_t head, uint32_t type, uint64_t sector, uint32_t dlen,
                 uint8_t status, const char *why, bool placed)
{
        if (!placed) {
                fill(h, h->data, dlen);
                req3(h, head, type, sector, h->data, dlen, W);
                send(h, head);
        }
        HD_TRY(done_at(h, 1, head, dlen + 1, h->stat, status, h->data, dlen));
        HD_TRY(hd_expect_why(h, why));
        return hd_expect_bytes(h, h->data, dlen, 0, "data");
}

/* M7: NEEDS_RESET, with a config interrupt iff irq (irq < 0: no NEEDS_RESET);
 * nothing consumed or written. */
static int needs_reset(struct hd *h, int irq, const char *why)
{
        uint32_t s, is;

        for (uint32_t k = 0; irq >= 0 && k < WAIT_MAX / 64 && !(st(h) & VIO_S_NEEDS_RESET); k++)
                ;
        settle();
        s = st(h);
        HD_EXPECT(!!(s & VIO_S_NEEDS_RESET) == (irq >= 0), "Status 0x%x: NEEDS_RESET %s", s,
                  irq >= 0 ? "missing" : "set");
        if (irq >= 0) {
                is = hd_rd(h, VIO_INTERRUPT_STATUS);
                HD_EXPECT(!!(is & VIO_INT_CONFIG) == irq, "InterruptStatus 0x%x", is);
                HD_TRY(hd_expect_why(h, why));
        }
        return canary(h, 0, NULL, 0);
}

/* --- set-up ---------------------------------------------------------------------------- */

/* A fresh ring at h->ring; up to FEATURES_OK (v2) or features written (v1). */
static int begin(struct hd *h, uint64_t f)
{
        hr.desc = h->ring;
        hr.avail = h->ring + 16u * QN;
        hr.used = h->ring + 2 * HD_PAGE; /* the page after the avail ring */
        memset(mem(h, h->ring, 3 * HD_PAGE), 0, 3 * HD_PAGE);
        hr.a = (volatile struct gvq_avail *)mem(h, hr.avail, 6 + 2u * QN);
        hr.u = (volatile struct gvq_used *)mem(h, hr.used, 6 + 8u * QN);
        hr.avail_idx = hr.seen = 0;
        negotiate(h, f);
        if (!h->legacy)
                hd_wr(h, VIO_STATUS, ACK_DRV | VIO_S_FEATURES_OK);
        HD_EXPECT(st(h) == (live_status(h) & ~VIO_S_DRIVER_OK), "negotiated: Status 0x%x", st(h));
        return HD_PASS;
}

/* Queue 0: QueueNum num at the legacy PFN of gpa d (v1); at d, a, u (v2). */
static void queue_at(struct hd *h, uint32_t num, uint64_t d, uint64_t a, uint64_t u)
{
        const uint32_t v2[6][2] = {
            {VIO_QUEUE_DESC_LOW, (uint32_t)d},   {VIO_QUEUE_DESC_HIGH, (uint32_t)(d >> 32)},
            {VIO_QUEUE_DRIVER_LOW, (uint32_t)a}, {VIO_QUEUE_DRIVER_HIGH, (uint32_t)(a >> 32)},
            {VIO_QUEUE_DEVICE_LOW, (uint32_t)u}, {VIO_QUEUE_DEVICE_HIGH, (uint32_t)(u >> 32)}};

        hd_wr(h, VIO_QUEUE_SEL, 0);
        hd_wr(h, VIO_QUEUE_NUM, num);
        if (h->legacy) {
                hd_wr(h, VIO_QUEUE_ALIGN, HD_PAGE);
                hd_wr(h, VIO_QUEUE_PFN, (uint32_t)(d / HD_PAGE));
                return;
        }
        for (unsigned k = 0; k < 6; k++)
                hd_wr(h, v2[k][0], v2[k][1]);
        hd_wr(h, VIO_QUEUE_READY, 1);
}

/* QueueReady (v2) or QueuePFN (v1) of the selected queue: 0 when it is off. */
static uint32_t queue_on(struct hd *h)
{
        return hd_rd(h, h->legacy ? VIO_QUEUE_PFN : VIO_QUEUE_READY);
}

/* The whole initialization with features f and the ring at h->ring. */
static int up_with(struct hd *h, uint64_t f)
{
        HD_TRY(begin(h, f));
        queue_at(h, QN, hr.desc, hr.avail, hr.used);
        hd_wr(h, VIO_STATUS, live_status(h));
        return check_live(h);
}

static int start(struct hd *h)
{
        return up_with(h, offered(h) & SUPPORTED);
}

/* A valid read of sector s into buf at head..head+2. */
static int valid_read(struct hd *h, uint16_t head, uint64_t s, uint64_t buf)
{
        fill(h, buf, TD_SECTOR);
        *mem(h, h->stat, 1) = 0xff;
        req3(h, head, VBLK_T_IN, s, buf, TD_SECTOR, W);
        send(h, head);
        HD_TRY(done_at(h, 1, head, TD_SECTOR + 1, h->stat, VBLK_S_OK, buf, TD_SECTOR));
        return hd_expect_sector(h, buf, s);
}

/* After every case: Status 0, no interrupt, a new start and read, image intact. */
static int recover(struct hd *h)
{
        hd_wr(h, VIO_STATUS, 0);
        HD_EXPECT(st(h) == 0, "Status 0x%x after reset", st(h));
        HD_EXPECT(hd_rd(h, VIO_INTERRUPT_STATUS) == 0, "reset: an interrupt pending");
        HD_TRY(start(h));
        HD_TRY(valid_read(h, 0, HD_KNOWN, h->data));
        return hd_expect_pristine(h);
}

/* The device's own ops (hd_script.h). */
// clang-format off
enum {
        OP_HDR = HD_OP_DEV, OP_DESC, OP_CYCLE, OP_ITABLE, OP_REQ3, OP_KICK, OP_AVAIL, OP_STIS,
        OP_BEGIN, OP_QUEUE, OP_DRIVER_OK, OP_UP, OP_NEG, OP_QAT, OP_PENDING, OP_REJ, OP_FAIL3,
        OP_DONE, OP_NEXTUSED, OP_READ, OP_NRESET, OP_QREFUSED, OP_UNTOUCHED, OP_LIVE,
        OP_E8, OP_EID, OP_QON, OP_CANARY, OP_EOFF0, OP_KEEP,
};
// clang-format on

/* OP_KEEP's register sets: 0 svirtb's page (hd_svirtb_peek), 1 these. */
static const uint32_t ro_regs[8] = {
    VIO_MAGIC_VALUE,     VIO_VERSION,       VIO_DEVICE_ID,        VIO_VENDOR_ID,
    VIO_DEVICE_FEATURES, VIO_QUEUE_NUM_MAX, VIO_INTERRUPT_STATUS, VIO_CONFIG_GENERATION,
};
static uint32_t kept[8];

static unsigned keep_read(struct hd *h, unsigned set, uint32_t v[8])
{
        for (unsigned k = 0; set == 1 && k < 8; k++)
                v[k] = hd_rd(h, ro_regs[k]);
        return set == 1 ? 8 : hd_svirtb_peek(h, v);
}

static int step(struct hd *h, const struct hd_step *s)
{
        uint32_t now[8];
        unsigned n;
        uint64_t a = hd_value(h, s->a), b = hd_value(h, s->b), v;
        uint32_t live = s->fl ? live_status(h) : 0; /* OP_STIS: on top of live_status() */

        switch (s->op) {
        case OP_HDR:
                put_hdr(h, a, s->n, b);
                break;
        case OP_DESC:
                desc_in(h, b, s->i, a, s->n, s->fl, s->j);
                break;
        case OP_CYCLE:
                for (uint32_t i = 0; i < QN; i++)
                        desc_in(h, hr.desc, i, a, s->n, s->fl, (i + 1) % QN);
                break;
        case OP_ITABLE: /* a valid three-entry IN request of sector KNOWN in the table at a */
                put_hdr(h, h->hdr, VBLK_T_IN, HD_KNOWN);
                fill(h, h->data, TD_SECTOR);
                desc_in(h, a, 0, h->hdr, 16, R | N, 1);
                desc_in(h, a, 1, h->data, TD_SECTOR, W | N, 2);
                desc_in(h, a, 2, h->stat, 1, W, 0);
                break;
        case OP_REQ3:
                req3(h, s->i, s->n, b, a, s->m, s->fl);
                break;
        case OP_KICK: /* fl: 1 publish head i, 2 snapshot RAM, 4 notify */
                if (s->fl & 1)
                        publish(s->i);
                if (s->fl & 2)
                        hd_snap(h);
                if (s->fl & 4)
                        hd_wr(h, VIO_QUEUE_NOTIFY, 0);
                break;
        case OP_AVAIL:
                hr.a->idx = (uint16_t)(hr.avail_idx + s->n);
                break;
        case OP_STIS: /* Status write a reads back as b */
                hd_wr(h, VIO_STATUS, live + (uint32_t)a);
                HD_EXPECT(st(h) == live + (uint32_t)b, "Status 0x%x written: 0x%x, want 0x%x",
                          live + (uint32_t)a, st(h), live + (uint32_t)b);
                break;
        case OP_BEGIN:
                return begin(h, (offered(h) & SUPPORTED));
        case OP_QUEUE:
                queue_at(h, QN, hr.desc, hr.avail, hr.used);
                break;
        case OP_DRIVER_OK:
                hd_wr(h, VIO_STATUS, live_status(h));
                break;
        case OP_UP:
                return up_with(h, ((s->fl ? (offered(h) & SUPPORTED) : 0) | a) &
                                      ~b); /* fl: on top of feats() */
        case OP_NEG:
                negotiate(h, (offered(h) & SUPPORTED) | a);
                break;
        case OP_QAT:
                queue_at(h, s->n, a, b, hd_value(h, s->c));
                break;
        case OP_PENDING: /* a read of KNOWN at head 0..2, published, not notified; snapshot */
                fill(h, h->data, TD_SECTOR);
                req3(h, 0, VBLK_T_IN, HD_KNOWN, h->data, TD_SECTOR, W);
                publish(0);
                hd_snap(h);
                break;
        case OP_REJ:
                return rejected(h, s->i, s->why);
        case OP_FAIL3:
                return fail3(h, s->i, s->n, b, s->m, (uint8_t)s->fl, s->why, s->j);
        case OP_DONE:
                return done_at(h, s->j, s->i, s->n, b, (uint8_t)s->fl, a, s->m);
        case OP_NEXTUSED:
                return next_used(h, s->i, s->n);
        case OP_READ:
                return valid_read(h, s->i, b, a);
        case OP_NRESET:
                return needs_reset(h, s->fl, s->why);
        case OP_QREFUSED: /* no interrupt: DRIVER_OK was not set */
                HD_EXPECT(queue_on(h) == 0, "queue on (0x%x)", queue_on(h));
                return needs_reset(h, false, s->why);
        case OP_UNTOUCHED:
                return needs_reset(h, -1, NULL);
        case OP_LIVE:
                return check_live(h);
        case OP_E8:
                HD_EXPECT(*mem(h, a, 1) == s->n, "byte at 0x%lx: %u, want %u", a, *mem(h, a, 1),
                          s->n);
                break;
        case OP_EID:
                HD_EXPECT(memcmp(mem(h, h->data, h->id_len), h->id, h->id_len) == 0,
                          "id starts with 0x%02x", *mem(h, h->data, 1));
                break;
        case OP_QON:
                v = a >> s->m;
                HD_EXPECT(queue_on(h) == v, "QueueReady/QueuePFN 0x%x, want 0x%lx", queue_on(h), v);
                break;
        case OP_CANARY:
                return canary(h, s->j, (const struct hd_span[2]){{h->stat, 1}, {a, s->m}}, 2);
        case OP_KEEP: /* fl 0: record register set n; 1: it reads as recorded */
                n = keep_read(h, s->n, s->fl ? now : kept);
                for (unsigned k = 0; s->fl && k < n; k++)
                        HD_EXPECT(now[k] == kept[k], "register %u of set %u: 0x%x, was 0x%x", k,
                                  s->n, now[k], kept[k]);
                break;
        case OP_EOFF0:
                v = offered(h);
                HD_EXPECT(!(v & a), "bits 0x%lx offered (0x%lx)", a, v);
                break;
        }
        return HD_PASS;
}

const struct hd_device hd_virtio = {start, recover, step};

/* The device's steps (hd_script.h has the shared ones). */
#define AVAIL_            AT(RING, 16 * QN)
#define USED_             AT(RING, 2 * HD_PAGE)
#define HDR(A, type, SEC) S(OP_HDR, .a = A, .n = (type), .b = SEC)
#define T(TB, i_, A, len, f, nx)                                                                   \
        S(OP_DESC, .b = TB, .i = (i_), .a = A, .n = (len), .fl = (f), .j = (nx))
#define D(i_, A, len, f, nx)                                                                       \
        S(OP_DESC, .b = V(RING), .i = (i_), .a = A, .n = (len), .fl = (f), .j = (nx))
#define CYCLE(A, len, f) S(OP_CYCLE, .a = A, .n = (len), .fl = (f))
#define ITABLE(TB)       S(OP_ITABLE, .a = TB)
#define REQ3(hd, type, SEC, A, len, f)                                                             \
        S(OP_REQ3, .i = (hd), .n = (type), .b = SEC, .a = A, .m = (len), .fl = (f))
#define PUBLISH(hd)          S(OP_KICK, .i = (hd), .fl = 1)
#define SNAPKICK             S(OP_KICK, .fl = 6)
#define KICK                 S(OP_KICK, .fl = 4)
#define SEND(hd)             S(OP_KICK, .i = (hd), .fl = 7)
#define AVAIL(d)             S(OP_AVAIL, .n = (uint32_t)(d))
#define STIS(w, want)        S(OP_STIS, .a = K(w), .b = K(want))
#define STIS_LIVE(w, want)   S(OP_STIS, .a = K(w), .b = K(want), .fl = 1)
#define BEGIN                S0(OP_BEGIN)
#define QUEUE                S0(OP_QUEUE)
#define DRIVER_OK            S0(OP_DRIVER_OK)
#define UP_FEATS_BUT(clr)    S(OP_UP, .fl = 1, .b = K(clr))
#define UP_BUT(f, clr)       S(OP_UP, .a = K(f), .b = K(clr))
#define NEG(bits)            S(OP_NEG, .a = K(bits)) /* feats() and bits */
#define QAT(num, D_, A_, U_) S(OP_QAT, .n = (num), .a = D_, .b = A_, .c = U_)
#define PENDING              S0(OP_PENDING)
#define REJ(hd, why_)        S(OP_REJ, .i = (hd), .why = (why_))
#define FAIL3(hd, type, SEC, dlen, status, why_)                                                   \
        S(OP_FAIL3, .i = (hd), .n = (type), .b = SEC, .m = (dlen), .fl = (status), .why = (why_))
#define FAILED(hd, status, dlen, why_)                                                             \
        S(OP_FAIL3, .i = (hd), .j = 1, .fl = (status), .m = (dlen), .why = (why_))
#define DONEAT(hd, nused, len, SG, status, A, dlen)                                                \
        S(OP_DONE, .i = (hd), .j = (nused), .n = (len), .b = SG, .fl = (status), .a = A,           \
          .m = (dlen))
#define DONE(hd, len, status, A, dlen) DONEAT(hd, 1, len, V(STAT), status, A, dlen)
#define NEXTUSED(hd, len)              S(OP_NEXTUSED, .i = (hd), .n = (len))
#define READ(hd, SEC, A)               S(OP_READ, .i = (hd), .b = SEC, .a = A)
#define NRESET(irq, why_)              S(OP_NRESET, .fl = (irq), .why = (why_))
#define QREFUSED(why_)                 S(OP_QREFUSED, .why = (why_))
#define UNTOUCHED                      S0(OP_UNTOUCHED)
#define LIVE                           S0(OP_LIVE)
#define E8(A, byte)                    S(OP_E8, .a = A, .n = (byte))
#define EID                            S0(OP_EID)
#define QON(A)                         S(OP_QON, .a = A)
#define QONS(A, sh)                    S(OP_QON, .a = A, .m = (sh))
#define CANARY(nused, A, dlen)         S(OP_CANARY, .j = (nused), .a = A, .m = (dlen))
#define EOFF0(bits)                    S(OP_EOFF0, .a = K(bits))
#define KEEP(set, check)               S(OP_KEEP, .n = (set), .fl = (check))

/* Composite steps used by many cases. */
#define KNOWN                    K(HD_KNOWN)
#define REJ3(hd, A, len, f, why) REQ3(hd, VBLK_T_IN, KNOWN, A, len, f), SEND(hd), REJ(hd, why)
#define EDATA                    EFILL(V(DATA), TD_SECTOR, "data")
/* Head hd is the indirect descriptor {TB, len, f}: rejected, data untouched. */
#define IND(hd, TB, len, f, why) D(hd, TB, len, f, (hd) + 1), SEND(hd), REJ(hd, why), EDATA
/* A read of KNOWN whose status descriptor is {stat, len, f}: rejected, nothing written. */
#define BADSTAT(hd, len, f, why)                                                                   \
        FILL(V(DATA), TD_SECTOR), FILL(V(STAT), 1),                                                \
            REQ3(hd, VBLK_T_IN, KNOWN, V(DATA), TD_SECTOR, W), D((hd) + 2, V(STAT), len, f, 0),    \
            SEND(hd), REJ(hd, why), EDATA, EFILL(V(STAT), 1, "status")
/* PENDING's request came back done, with the sector's bytes. */
#define READDONE DONE(0, TD_SECTOR + 1, VBLK_S_OK, V(DATA), TD_SECTOR), ESECTOR(V(DATA), KNOWN)
/* QueueNum num: refused; DRIVER_OK and a kick then process nothing. */
#define BADQ(num)                                                                                  \
        BEGIN, SNAP, QAT(num, V(RING), AVAIL_, USED_), QREFUSED(BAD_NUM), PENDING, DRIVER_OK,      \
            KICK, NRESET(0, BAD_NUM), EDATA, RECOVER
#define SCRIPT(name, ...) HD_SCRIPT(hd_virtio, name, __VA_ARGS__)

/* === chains (Q5-Q7) ====================================================== */

/* A descriptor whose next is itself, then two pointing at each other. */
SCRIPT(hostile_chain_loop, HDR(V(HDR), VBLK_T_IN, KNOWN), D(0, V(HDR), 16, R | N, 0), SEND(0),
       REJ(0, LOOP), D(1, V(HDR), 16, R | N, 2), D(2, V(HDR), 16, R | N, 1), SEND(1), REJ(1, LOOP))
/* All N descriptors in one cycle: lengths valid, then 0xffffffff each. */
SCRIPT(hostile_chain_ring_loop_huge_len, HDR(V(HDR), VBLK_T_IN, KNOWN), CYCLE(V(HDR), 16, R | N),
       SEND(7), REJ(7, LOOP), FILL(V(DATA), TD_SECTOR), CYCLE(V(DATA), 0xffffffffu, W | N), SEND(0),
       REJ(0, NOT_RAM), EDATA)
SCRIPT(hostile_next_out_of_range, HDR(V(HDR), VBLK_T_IN, KNOWN), D(0, V(HDR), 16, R | N, QN),
       SEND(0), REJ(0, "next >= queue size"), D(1, V(HDR), 16, R | N, 0xffff), SEND(1),
       REJ(1, "next >= queue size"))
/* A zero-length data descriptor, then a zero-length status descriptor. */
SCRIPT(hostile_zero_len_desc, REJ3(0, V(DATA), 0, W, ZERO), BADSTAT(3, 0, W, ZERO))
/* CVE-2016-7422: a huge length near the end of RAM; an address that wraps. */
SCRIPT(hostile_huge_len_near_ram_end, REJ3(0, BACK(RAM_END, 16), 0xffffffffu, W, NOT_RAM),
       REJ3(3, K(0xfffffffffffff000ULL), 0x2000, W, NOT_RAM))
/* Q6: a buffer ending at the end of RAM is valid (KVM: the FDT was copied). */
SCRIPT(hostile_buf_at_ram_end, READ(0, KNOWN, BACK(RAM_END, TD_SECTOR)),
       READ(3, K(HD_KNOWN + 1), BACK(TOP, TD_SECTOR)))
/* Q6: one byte further is not, and nothing of it is written. */
#define PAST_END(hd, END)                                                                          \
        FILL(BACK(END, TD_SECTOR - 1), TD_SECTOR - 1),                                             \
            REJ3(hd, BACK(END, TD_SECTOR - 1), TD_SECTOR, W, NOT_RAM),                             \
            EFILL(BACK(END, TD_SECTOR - 1), TD_SECTOR - 1, "the RAM below the end")
SCRIPT(hostile_buf_past_ram_end, PAST_END(0, RAM_END), IFHIGH(5), PAST_END(3, HIGH_END))
/* CVE-2021-3748: buffers in the MMIO hole (its start, the LAPIC page). */
SCRIPT(hostile_buf_in_mmio_hole, REJ3(0, K(HD_HOLE), TD_SECTOR, W, NOT_RAM),
       REJ3(3, K(HD_LAPIC), TD_SECTOR, W, NOT_RAM))
/* CVE-2024-3446: data, then the status byte, on the device's own registers. */
SCRIPT(hostile_buf_at_own_registers, REJ3(0, V(REGS), TD_SECTOR, W, NOT_RAM),
       HDR(V(HDR), VBLK_T_FLUSH, K(0)), D(3, V(HDR), 16, R | N, 4),
       D(4, AT(REGS, VIO_STATUS), 1, W, 0), SEND(3), REJ(3, NOT_RAM),
       RDEQ(VIO_MAGIC_VALUE, K(VIO_MAGIC)))
/* A READ aimed at svirtb's register page: refused, its registers unchanged. */
SCRIPT(hostile_buf_at_svirtb_page, KEEP(0, 0), REJ3(0, K(HD_SVIRTB_PAGE), TD_SECTOR, W, NOT_RAM),
       KEEP(0, 1))
/* Q7: the status byte in a readable descriptor after a writable one. */
SCRIPT(hostile_readable_after_writable,
       BADSTAT(0, 1, R, "readable descriptor after a writable one"))
/* B2: no writable byte: FLUSH, OUT (the recovery checks the image); no reason. */
SCRIPT(hostile_status_missing, HDR(V(HDR), VBLK_T_FLUSH, K(0)), D(0, V(HDR), 16, R, 0), SEND(0),
       REJ(0, NULL), SET(V(DATA), TD_SECTOR, 0x33), HDR(V(HDR), VBLK_T_OUT, KNOWN),
       D(1, V(HDR), 16, R | N, 2), D(2, V(DATA), TD_SECTOR, R, 0), SEND(1), REJ(1, NULL))
/* OpenBSD vmd: a 4 KiB status buffer: IOERR in its last byte, zeros before. */
SCRIPT(hostile_status_oversized, FILL(V(DATA), TD_SECTOR), FILL(V(STAT), HD_PAGE),
       REQ3(0, VBLK_T_IN, KNOWN, V(DATA), TD_SECTOR, W), D(2, V(STAT), HD_PAGE, W, 0), SEND(0),
       DONEAT(0, 1, TD_SECTOR + HD_PAGE, AT(STAT, HD_PAGE - 1), VBLK_S_IOERR, V(DATA), TD_SECTOR),
       EZERO(V(STAT), HD_PAGE - 1, "status buffer"), EZERO(V(DATA), TD_SECTOR, "data"))
/* B1: the header in three pieces (1 + 7 + 8 bytes) still works: header copies
 * placed so that bytes 0, 1..7 and 8..15 start the three pieces. */
SCRIPT(hostile_header_split, HDR(V(HDR), VBLK_T_IN, KNOWN), HDR(AT(HDR, 0x3f), VBLK_T_IN, KNOWN),
       HDR(AT(HDR, 0x78), VBLK_T_IN, KNOWN), FILL(V(DATA), TD_SECTOR), SET(V(STAT), 1, 0xff),
       D(0, V(HDR), 1, R | N, 1), D(1, AT(HDR, 0x40), 7, R | N, 2),
       D(2, AT(HDR, 0x80), 8, R | N, 3), D(3, V(DATA), TD_SECTOR, W | N, 4), D(4, V(STAT), 1, W, 0),
       SEND(0), READDONE)
/* B1: 8 header bytes, then 15 with data: IOERR, data untouched. */
SCRIPT(hostile_header_short, HDR(V(HDR), VBLK_T_IN, KNOWN), D(0, V(HDR), 8, R | N, 1),
       D(1, V(STAT), 1, W, 0), SEND(0), FAILED(0, VBLK_S_IOERR, 0, SHORT), FILL(V(DATA), TD_SECTOR),
       REQ3(2, VBLK_T_IN, KNOWN, V(DATA), TD_SECTOR, W), D(2, V(HDR), 15, R | N, 3), SEND(2),
       FAILED(2, VBLK_S_IOERR, TD_SECTOR, SHORT))
/* OpenBSD vmd: a 4 KiB header descriptor: readable data for an IN, IOERR. */
SCRIPT(hostile_header_oversized, FILL(V(DATA), TD_SECTOR),
       REQ3(0, VBLK_T_IN, KNOWN, V(DATA), TD_SECTOR, W), D(0, V(HDR), HD_PAGE, R | N, 1), SEND(0),
       FAILED(0, VBLK_S_IOERR, TD_SECTOR, "IN with readable data"))
/* B3: 100 and 513 data bytes. */
SCRIPT(hostile_data_not_sector_multiple, FILL(V(DATA), 1024),
       FAIL3(0, VBLK_T_IN, KNOWN, 100, VBLK_S_IOERR, NOT_512),
       FAIL3(3, VBLK_T_IN, KNOWN, 513, VBLK_S_IOERR, NOT_512),
       EFILL(AT(DATA, 513), 1024 - 513, "data"))
/* B3: sectors whose byte offset overflows 64 bits. */
SCRIPT(hostile_sector_overflow, FAIL3(0, VBLK_T_IN, K(~0ULL), TD_SECTOR, VBLK_S_IOERR, BEYOND),
       FAIL3(3, VBLK_T_IN, K(1ULL << 55), TD_SECTOR, VBLK_S_IOERR, BEYOND),
       FAIL3(6, VBLK_T_IN, K(1ULL << 63), TD_SECTOR, VBLK_S_IOERR, BEYOND),
       FAIL3(9, VBLK_T_IN, K(~0ULL / 512 + 1), TD_SECTOR, VBLK_S_IOERR, BEYOND))
/* B3: two sectors at the last one, one at the capacity; the last one alone reads. */
SCRIPT(hostile_sector_range_past_end,
       FAIL3(0, VBLK_T_IN, AT(SECTORS, -1), 1024, VBLK_S_IOERR, BEYOND),
       FAIL3(3, VBLK_T_IN, V(SECTORS), TD_SECTOR, VBLK_S_IOERR, BEYOND),
       READ(6, AT(SECTORS, -1), V(DATA)))
/* CVE-2023-3180: an IN larger than the disk copies nothing of it (zeros). */
int hostile_in_larger_than_disk(struct hd *h)
{
        uint64_t len = (h->sectors + 1) * TD_SECTOR;
        HD_EXPECT(len <= h->data_size, "disk of %lu sectors: too large for this test", h->sectors);
        return fail3(h, 0, VBLK_T_IN, 0, (uint32_t)len, VBLK_S_IOERR, BEYOND, false);
}

/* B3: an OUT whose data is device-writable: IOERR, image unchanged, buffer zeroed. */
SCRIPT(hostile_out_with_writable_data, FAIL3(0, VBLK_T_OUT, KNOWN, TD_SECTOR, VBLK_S_IOERR, NULL))
/* B6, CVE-2023-3180: GET_ID into 4 KiB writes the 20 id bytes, then zeros to
 * the end of the buffer (used.len 4097, §2.7.8.2), nothing past it. */
SCRIPT(hostile_get_id_huge_buffer, FILL(V(DATA), HD_PAGE + 16),
       REQ3(0, VBLK_T_GET_ID, K(0), V(DATA), HD_PAGE, W), SEND(0),
       DONE(0, HD_PAGE + 1, VBLK_S_OK, V(DATA), HD_PAGE), EID,
       EZERO(AT(DATA, VBLK_ID_BYTES), HD_PAGE - VBLK_ID_BYTES, "the buffer past 20 bytes"),
       EFILL(AT(DATA, HD_PAGE), 16, "past the buffer"))
/* B7, B8: unknown types and unoffered DISCARD (11) / WRITE_ZEROES (13) are UNSUPP. */
SCRIPT(hostile_unknown_type, FAIL3(0, 0xffffffffu, KNOWN, TD_SECTOR, VBLK_S_UNSUPP, NULL),
       FAIL3(3, 11, KNOWN, TD_SECTOR, VBLK_S_UNSUPP, NULL),
       FAIL3(6, 13, KNOWN, TD_SECTOR, VBLK_S_UNSUPP, NULL),
       FAIL3(9, 2, KNOWN, TD_SECTOR, VBLK_S_UNSUPP, NULL))
/* Firecracker: 254 x 17 MiB through one indirect table: nothing allocated. */
int hostile_chain_4gib_total(struct hd *h)
{
        uint64_t big = hd_big(h, BIG_LEN);
        HD_EXPECT(big != 0, "no room for a 17 MiB buffer");
        fill(h, big, TD_SECTOR);
        fill(h, big + BIG_LEN - TD_SECTOR, TD_SECTOR);
        put_hdr(h, h->hdr, VBLK_T_IN, 0);
        desc_in(h, h->table, 0, h->hdr, 16, R | N, 1);
        for (uint32_t i = 1; i < 255; i++)
                desc_in(h, h->table, i, big, BIG_LEN, W | N, i + 1);
        desc_in(h, h->table, 255, h->stat, 1, W, 0);
        desc_in(h, hr.desc, 0, h->table, 256 * 16, I, 0);
        send(h, 0);
        HD_TRY(rejected(h, 0, "chain of 4 GiB or more"));
        HD_TRY(hd_expect_bytes(h, big, TD_SECTOR, HD_FILL, "the start of the big buffer"));
        HD_TRY(hd_expect_bytes(h, big + BIG_LEN - TD_SECTOR, TD_SECTOR, HD_FILL,
                               "the end of the big buffer"));
        return hd_big_done(h);
}

/* === indirect tables (Q8) ================================================== */

SCRIPT(hostile_indirect_nested, ITABLE(V(TABLE2)), T(V(TABLE), 0, V(TABLE2), 48, I, 0),
       IND(0, V(TABLE), 16, I, "indirect descriptor inside an indirect table"))
SCRIPT(hostile_indirect_with_next, ITABLE(V(TABLE)), D(1, V(STAT), 1, W, 0),
       IND(0, V(TABLE), 48, I | N, "indirect descriptor with NEXT"))
SCRIPT(hostile_indirect_len_not_multiple, ITABLE(V(TABLE)), IND(0, V(TABLE), 40, I, IND_LEN),
       IND(1, V(TABLE), 8, I, IND_LEN))
/* CVE-2016-6490: a zero-length table, then a zero-length entry in a table. */
SCRIPT(hostile_indirect_zero_len, ITABLE(V(TABLE)), IND(0, V(TABLE), 0, I, IND_LEN),
       T(V(TABLE), 1, V(DATA), 0, W | N, 2), IND(1, V(TABLE), 48, I, ZERO))
/* More than 256 entries (the cap, QueueNumMax) in one table. */
SCRIPT(hostile_indirect_too_long, ITABLE(V(TABLE)),
       IND(0, V(TABLE), 257 * 16, I, "indirect table longer than 256 entries"))
SCRIPT(hostile_indirect_next_beyond_table, ITABLE(V(TABLE)),
       T(V(TABLE), 1, V(DATA), TD_SECTOR, W | N, 3), IND(0, V(TABLE), 48, I, IND_NXT),
       T(V(TABLE), 1, V(DATA), TD_SECTOR, W | N, 0xffff), IND(1, V(TABLE), 48, I, IND_NXT))
SCRIPT(hostile_indirect_loop, ITABLE(V(TABLE)), T(V(TABLE), 1, V(HDR), 16, R | N, 0),
       IND(0, V(TABLE), 48, I, "loop in indirect table"))
/* A table on the device's registers, then one running past the end of RAM. */
SCRIPT(hostile_indirect_table_outside_ram, FILL(V(DATA), TD_SECTOR),
       IND(0, V(REGS), 48, I, IND_OUT), ITABLE(V(TABLE)),
       T(BACK(RAM_END, 32), 0, V(HDR), 16, R | N, 1),
       T(BACK(RAM_END, 32), 1, V(DATA), TD_SECTOR, W | N, 2),
       IND(1, BACK(RAM_END, 32), 48, I, IND_OUT))
/* Q8: INDIRECT without VIRTIO_F_INDIRECT_DESC negotiated. */
SCRIPT(hostile_indirect_not_negotiated, UP_FEATS_BUT(VIO_BIT(VIO_F_INDIRECT_DESC)),
       ITABLE(V(TABLE)), IND(0, V(TABLE), 48, I, "indirect descriptor not negotiated"))

/* === the avail ring (Q2-Q4, Q11) ============================================= */

/* vm-virtio, Firecracker: avail.idx N + 1 and 0x8000 ahead; a second kick. */
#define AHEAD(d)                                                                                   \
        READ(0, KNOWN, V(DATA)), AVAIL(d), SNAPKICK, NRESET(1, FAR), KICK, NRESET(1, FAR), RECOVER
SCRIPT(hostile_avail_idx_far_ahead, AHEAD(QN + 1), AHEAD(0x8000))
/* avail.idx moving backwards is (u16) far ahead. */
SCRIPT(hostile_avail_idx_backwards, READ(0, KNOWN, V(DATA)), READ(3, K(HD_KNOWN + 1), V(DATA)),
       AVAIL(-1), SNAPKICK, NRESET(1, FAR))
/* Q3: heads N and 0xffff. */
SCRIPT(hostile_head_out_of_range, SEND(QN), NRESET(1, "head index >= queue size"), RECOVER,
       SEND(0xffff), NRESET(1, "head index >= queue size"), RECOVER)
/* Q4: one batch a pass (docs/performance.md): the first is in flight when
 * the second is read; the snapshot after it: nothing else may be written. */
SCRIPT(hostile_duplicate_heads, REQ3(0, VBLK_T_GET_ID, K(0), V(DATA), VBLK_ID_BYTES, W), PUBLISH(0),
       SEND(0), NEXTUSED(0, VBLK_ID_BYTES + 1), E8(V(STAT), VBLK_S_OK), SNAP,
       NRESET(1, "head already in flight"), RECOVER)
/* CVE-2016-5403: kicks without new entries process nothing again. */
SCRIPT(hostile_rekick_without_new_entries, READ(0, KNOWN, V(DATA)), SNAP, KICK, KICK, KICK,
       UNTOUCHED)
/* Q11: a malformed chain does not stall the valid one behind it. */
SCRIPT(hostile_malformed_then_valid, HDR(AT(HDR, 0x100), VBLK_T_IN, KNOWN),
       D(9, AT(HDR, 0x100), 16, R | N, 0x4000), PUBLISH(9), PENDING, KICK, NEXTUSED(9, 0),
       DONEAT(0, 2, TD_SECTOR + 1, V(STAT), VBLK_S_OK, V(DATA), TD_SECTOR), ESECTOR(V(DATA), KNOWN))

/* === queue set-up (M8, Q1, Q12) ============================================== */

/* vm-virtio: QueueNum 0. */
SCRIPT(hostile_queue_size_zero, BADQ(0))
SCRIPT(hostile_queue_size_not_pow2, BADQ(3), BADQ(255))
SCRIPT(hostile_queue_size_above_max, BADQ(512), BADQ(0x8000), BADQ(0xffffffffu))
/* Firecracker 2026: QueueNum and addresses after DRIVER_OK are ignored. */
SCRIPT(hostile_queue_regs_after_driver_ok, WR(VIO_QUEUE_NUM, K(0)), WR(VIO_QUEUE_NUM, K(0x8000)),
       WR(VIO_QUEUE_NUM, K(3)), FILL(V(RING2), 3 * HD_PAGE), IFV1(3), WR(VIO_QUEUE_ALIGN, K(16)),
       WRS(VIO_QUEUE_PFN, V(RING2), 12), QONS(V(RING), 12), IFV2(2),
       QAT(4, V(RING2), AT(RING2, HD_PAGE), AT(RING2, 2 * HD_PAGE)), QON(K(1)), LIVE,
       READ(0, KNOWN, V(DATA)), READ(3, K(HD_KNOWN + 1), V(DATA)),
       READ(6, K(HD_KNOWN + 2), V(DATA)), READ(9, K(HD_KNOWN + 3), V(DATA)),
       EFILL(V(RING2), 3 * HD_PAGE, "the new ring"))
/* M12: a queue stopped after DRIVER_OK stays off until a reset. */
SCRIPT(hostile_queue_restart_after_driver_ok, IFV1(1), WR(VIO_QUEUE_PFN, K(0)), IFV2(1),
       WR(VIO_QUEUE_READY, K(0)), QON(K(0)), IFV1(1), WRS(VIO_QUEUE_PFN, V(RING), 12), IFV2(1),
       WR(VIO_QUEUE_READY, K(1)), QON(K(0)), PENDING, KICK, UNTOUCHED, LIVE, EDATA)
/* Q1: a ring on the registers; one past the end of RAM (v2: used ring only). */
SCRIPT(hostile_ring_outside_ram, BEGIN, SNAP, QAT(QN, V(REGS), AVAIL_, USED_), QREFUSED(DESC_NR),
       RECOVER, BEGIN, SNAP, IFV1(2), QAT(QN, BACK(RAM_END, HD_PAGE), K(0), K(0)),
       QREFUSED("avail ring not in guest RAM"), IFV2(2),
       QAT(QN, V(RING), AVAIL_, BACK(RAM_END, 0x100)), QREFUSED("used ring not in guest RAM"),
       RECOVER)
/* Q1, Q7: the used ring on the descriptor table, then on the avail ring. */
SCRIPT(hostile_ring_overlap, IFV1(1), SKIP("the legacy layout cannot overlap"), BEGIN, SNAP,
       QAT(QN, V(RING), AVAIL_, AT(RING, 0x100)), QREFUSED(OVERLAP), RECOVER, BEGIN, SNAP,
       QAT(QN, V(RING), AVAIL_, AVAIL_), QREFUSED(OVERLAP), RECOVER)
/* Q1: descriptor table misaligned (legacy: through GuestPageSize 2). */
SCRIPT(hostile_ring_misaligned, BEGIN, SNAP, IFV1(4), WR(VIO_GUEST_PAGE_SIZE, K(2)),
       WR(VIO_QUEUE_SEL, K(0)), WR(VIO_QUEUE_NUM, K(QN)), WRS(VIO_QUEUE_PFN, AT(RING, 8), 1),
       IFV2(1), QAT(QN, AT(RING, 8), AVAIL_, USED_),
       QREFUSED("ring misaligned (desc 16, avail 2, used 4)"))
/* §3.1.1 binds the driver: bits out of order are kept as QEMU keeps them
 * (docs/virtio-mmio.md), reserved ones dropped; no queue runs. */
#define SAME(v) STIS(v, v)
SCRIPT(hostile_status_out_of_order, WR(VIO_STATUS, K(0)), SNAP,
       SAME(VIO_S_ACKNOWLEDGE | VIO_S_DRIVER_OK), SAME(VIO_S_ACKNOWLEDGE | VIO_S_FEATURES_OK),
       SAME(VIO_S_DRIVER), SAME(VIO_S_ACKNOWLEDGE), SAME(ACK_DRV),
       SAME(VIO_S_ACKNOWLEDGE) /* DRIVER taken back */, STIS(ACK_DRV | 0x130, ACK_DRV),
       SAME(ACK_DRV | VIO_S_DRIVER_OK) /* v1 order, v2 early */,
       SAME(FULL_OK) /* FEATURES_OK in v1 */, UNTOUCHED)
/* M6, M13: bits not offered (DISCARD, RING_PACKED, 40, word 2): v2 refuses
 * FEATURES_OK; v1 drops them (all of word 0 but EVENT_IDX: DISCARD UNSUPP). */
#define NOT_OFFERED(bit)                                                                           \
        NEG(VIO_BIT(bit)), STIS(ACK_DRV | VIO_S_FEATURES_OK, ACK_DRV), STIS(FULL_OK, ACK_DRV)
SCRIPT(hostile_features_not_offered, EOFF0(VIO_BIT(13) | VIO_BIT(34) | VIO_BIT(40)), IFV1(6),
       UP_BUT(0xffffffffu, VIO_BIT(VIO_F_EVENT_IDX)), REQ3(0, 11, KNOWN, V(DATA), 16, R), SEND(0),
       DONE(0, 1, VBLK_S_UNSUPP, K(0), 0), READ(3, KNOWN, V(DATA)), RECOVER, IFV2(13),
       NOT_OFFERED(13), NOT_OFFERED(34), NOT_OFFERED(40), NEG(0), WR(VIO_DRIVER_FEATURES_SEL, K(2)),
       WR(VIO_DRIVER_FEATURES, K(1)), STIS(ACK_DRV | VIO_S_FEATURES_OK, ACK_DRV))
/* M6: DriverFeatures after FEATURES_OK (v1: DRIVER_OK) are ignored. */
#define NO_FEATURES WR(VIO_DRIVER_FEATURES_SEL, K(0)), WR(VIO_DRIVER_FEATURES, K(0))
SCRIPT(hostile_features_after_driver_ok, IFV2(7), BEGIN, NO_FEATURES,
       WR(VIO_DRIVER_FEATURES_SEL, K(1)), WR(VIO_DRIVER_FEATURES, K(0)), QUEUE, DRIVER_OK,
       NO_FEATURES, LIVE, ITABLE(V(TABLE)), SET(V(STAT), 1, 0xff), D(0, V(TABLE), 48, I, 0),
       SEND(0), READDONE)
/* M10: 1, 2, 8-byte and unaligned register accesses do nothing and read 0. */
SCRIPT(hostile_reg_bad_width, PENDING, RAWW(VIO_STATUS, 1, 0), RAWW(VIO_STATUS, 2, 0),
       RAWW(VIO_STATUS + 1, 4, 0), RAWW(VIO_STATUS, 8, 0), RAWW(VIO_QUEUE_NOTIFY, 1, 0),
       RAWW(VIO_QUEUE_NOTIFY, 2, 0), RAWW(VIO_QUEUE_NOTIFY + 2, 4, 0),
       RAWR(VIO_MAGIC_VALUE, 1, K(0)), RAWR(VIO_MAGIC_VALUE, 2, K(0)),
       RAWR(VIO_MAGIC_VALUE + 2, 4, K(0)), RAWR(VIO_MAGIC_VALUE, 8, K(0)),
       RAWR(VIO_STATUS, 2, K(0)), LIVE, UNTOUCHED, KICK, READDONE)
/* M11: writes to read-only registers change nothing. */
#define ZERO_AT(off) WR(off, K(0))
SCRIPT(hostile_readonly_regs_written, WR(VIO_DEVICE_FEATURES_SEL, K(0)), WR(VIO_QUEUE_SEL, K(0)),
       KEEP(1, 0), RDEQ(VIO_MAGIC_VALUE, K(VIO_MAGIC)), IFV1(1), RDEQ(VIO_VERSION, K(1)), IFV2(1),
       RDEQ(VIO_VERSION, K(2)), RDEQ(VIO_DEVICE_ID, K(VIO_ID_BLOCK)),
       RDEQ(VIO_QUEUE_NUM_MAX, K(QN)), RDEQ(VIO_INTERRUPT_STATUS, K(0)), SNAP,
       ZERO_AT(VIO_MAGIC_VALUE), ZERO_AT(VIO_VERSION), ZERO_AT(VIO_DEVICE_ID),
       ZERO_AT(VIO_VENDOR_ID), ZERO_AT(VIO_DEVICE_FEATURES), ZERO_AT(VIO_QUEUE_NUM_MAX),
       WR(VIO_INTERRUPT_STATUS, K(0xffffffffu)), ZERO_AT(VIO_CONFIG_GENERATION), KEEP(1, 1), LIVE,
       UNTOUCHED)
/* kvmtool, M10: config accesses across its 0x24 bytes and the page edge read
 * 0 (blk_size, seg_max, capacity as they are); config writes are ignored. */
SCRIPT(hostile_config_edge, SNAP, RAWR(0x123, 4, K(0)), RAWR(0x120, 8, K(0)), RAWR(0x124, 1, K(0)),
       RAWR(0xfff, 1, K(0)), RAWR(0xffc, 4, K(0)), RAWR(0xffc, 8, K(0)), RAWR(0x100, 3, K(0)),
       RAWR(0x100, 16, K(0)), RAWR(0x123, 1, K(0)), RAWR(0x114, 4, K(512)),
       RAWR(0x10c, 4, K(QN - 2)), RAWR(0x100, 8, V(SECTORS)), RAWW(0x100, 8, 0),
       RAWW(0x114, 4, 4096), RAWW(0x123, 4, 0xffffffffu), RAWR(0x100, 8, V(SECTORS)),
       RAWR(0x114, 4, K(512)), LIVE, UNTOUCHED)
/* QEMU CVE-2011-2512, M9: queues that do not exist: QueueNumMax 0, no writes. */
#define SEL_OUT(sel)                                                                               \
        WR(VIO_QUEUE_SEL, K(sel)), RDEQ(VIO_QUEUE_NUM_MAX, K(0)), WR(VIO_QUEUE_NUM, K(8)),         \
            IFV1(1), WRS(VIO_QUEUE_PFN, V(RING2), 12), IFV2(2), WR(VIO_QUEUE_DESC_LOW, V(RING2)),  \
            WR(VIO_QUEUE_READY, K(1)), QON(K(0))
SCRIPT(hostile_queue_sel_out_of_range, BEGIN, SNAP, SEL_OUT(1), SEL_OUT(0xffff),
       SEL_OUT(0xffffffffu), UNTOUCHED, WR(VIO_QUEUE_SEL, K(0)), RDEQ(VIO_QUEUE_NUM_MAX, K(QN)),
       QON(K(0)), QUEUE, DRIVER_OK, LIVE, READ(0, KNOWN, V(DATA)))
/* M9: QueueNotify for queues that do not exist processes nothing. */
SCRIPT(hostile_queue_notify_out_of_range, PENDING, WR(VIO_QUEUE_NOTIFY, K(1)),
       WR(VIO_QUEUE_NOTIFY, K(0xffff)), WR(VIO_QUEUE_NOTIFY, K(0x10000)),
       WR(VIO_QUEUE_NOTIFY, K(0xffffffffu)), UNTOUCHED, LIVE, KICK, READDONE)
/* M4: before DRIVER_OK a v2 queue is not processed, a v1 queue with a PFN is
 * (its status first: a failed request names its reason before the canary). */
SCRIPT(hostile_notify_before_driver_ok, BEGIN, QUEUE, PENDING, KICK, IFV1(6),
       NEXTUSED(0, TD_SECTOR + 1), E8(V(STAT), VBLK_S_OK), CANARY(1, V(DATA), TD_SECTOR), DRIVER_OK,
       SNAPKICK, UNTOUCHED, IFV2(5), UNTOUCHED, EDATA, DRIVER_OK, KICK,
       DONE(0, TD_SECTOR + 1, VBLK_S_OK, V(DATA), TD_SECTOR), ESECTOR(V(DATA), KNOWN))
/* vm-virtio, Q12: a request left across a reset never runs; v2 addresses 0. */
SCRIPT(hostile_stale_chains_after_reset, PENDING, WR(VIO_STATUS, K(0)), KICK, UNTOUCHED, NEG(0),
       IFV1(4), WR(VIO_QUEUE_PFN, K(0)), DRIVER_OK, KICK, UNTOUCHED, IFV2(6),
       WR(VIO_STATUS, K(ACK_DRV | VIO_S_FEATURES_OK)), WR(VIO_QUEUE_SEL, K(0)),
       WR(VIO_QUEUE_READY, K(1)), QREFUSED(OVERLAP), DRIVER_OK, KICK, IFV2(1), NRESET(0, OVERLAP),
       EDATA)
/* §2.1: after the driver sets FAILED nothing is processed. */
SCRIPT(hostile_status_failed_stops_queue, PENDING, STIS_LIVE(VIO_S_FAILED, VIO_S_FAILED), KICK,
       UNTOUCHED, EDATA)
