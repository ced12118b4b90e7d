/*
 * hd_virtio: the hostile cases for virtio-blk over virtio-mmio, written once
 * against guest/hostile/hd.h; rules from docs/virtio-rules.md (M, Q, B and
 * "Past bugs in other VMMs"), outcomes listed in docs/security.md.
 *
 * The cases drive the registers and a ring of their own, so they can write
 * what no driver would. The ring uses the legacy layout (used ring on the
 * next page), so one ring serves version 1 (QueuePFN) and version 2 (three
 * addresses). Features: INDIRECT_DESC, FLUSH, BLK_SIZE, SEG_MAX, RO as
 * offered (VERSION_1 in version 2); never EVENT_IDX, so used_event and
 * avail_event stay out of play. Completions are polled (bounded): under KVM
 * the device may finish a request after the notify returns.
 */
#include <string.h>

#include "guest/hostile/hd.h"
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

/* Features a hostile driver accepts when offered (never EVENT_IDX). */
#define SUPPORTED                                                                                  \
        (VIO_BIT(VIO_F_INDIRECT_DESC) | VIO_BIT(VBLK_F_FLUSH) | VIO_BIT(VBLK_F_BLK_SIZE) |         \
         VIO_BIT(VBLK_F_SEG_MAX) | VIO_BIT(VBLK_F_RO) | VIO_BIT(VIO_F_VERSION_1))

/* The hostile ring. */
static struct {
        uint16_t num;
        uint64_t base, desc, avail, used;
        volatile struct gvq_avail *a;
        volatile struct gvq_used *u;
        uint16_t avail_idx; /* the next avail.idx to publish */
        uint16_t seen;      /* used elements checked */
} hr;

/* --- guest RAM ------------------------------------------------------------------- */

static uint8_t *mem(struct hd *h, uint64_t gpa, uint64_t len)
{
        return hd_ptr(h, gpa, len);
}

static void fill(struct hd *h, uint64_t gpa, uint64_t len)
{
        memset(mem(h, gpa, len), HD_FILL, len);
}

/* --- registers and features ------------------------------------------------------ */

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
        uint64_t f;

        hd_wr(h, VIO_DEVICE_FEATURES_SEL, 0);
        f = hd_rd(h, VIO_DEVICE_FEATURES);
        hd_wr(h, VIO_DEVICE_FEATURES_SEL, 1);
        return f | (uint64_t)hd_rd(h, VIO_DEVICE_FEATURES) << 32;
}

static uint64_t feats(struct hd *h)
{
        return offered(h) & SUPPORTED;
}

static void write_features(struct hd *h, uint64_t f)
{
        hd_wr(h, VIO_DRIVER_FEATURES_SEL, 0);
        hd_wr(h, VIO_DRIVER_FEATURES, (uint32_t)f);
        hd_wr(h, VIO_DRIVER_FEATURES_SEL, 1);
        hd_wr(h, VIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
}

/* Reset, ACKNOWLEDGE, DRIVER, then features f (v1: and no more, §4.2.4). */
static void negotiate(struct hd *h, uint64_t f)
{
        hd_wr(h, VIO_STATUS, 0);
        hd_wr(h, VIO_STATUS, VIO_S_ACKNOWLEDGE);
        hd_wr(h, VIO_STATUS, ACK_DRV);
        if (h->legacy)
                hd_wr(h, VIO_GUEST_PAGE_SIZE, HD_PAGE);
        write_features(h, f);
}

static int check_live(struct hd *h)
{
        HD_EXPECT(st(h) == live_status(h), "Status 0x%x, want 0x%x", st(h), live_status(h));
        return HD_PASS;
}

/* --- the hostile ring -------------------------------------------------------------- */

static void ring_at(struct hd *h, uint64_t base, uint16_t num)
{
        hr.num = num;
        hr.base = hr.desc = base;
        hr.avail = base + 16u * num;
        hr.used = (hr.avail + 6 + 2u * num + HD_PAGE - 1) & ~(uint64_t)(HD_PAGE - 1);
        memset(mem(h, hr.desc, 16u * num), 0, 16u * num);
        memset(mem(h, hr.avail, 6 + 2u * num), 0, 6 + 2u * num);
        memset(mem(h, hr.used, 6 + 8u * num), 0, 6 + 8u * num);
        hr.a = (volatile struct gvq_avail *)mem(h, hr.avail, 6 + 2u * num);
        hr.u = (volatile struct gvq_used *)mem(h, hr.used, 6 + 8u * num);
        hr.avail_idx = 0;
        hr.seen = 0;
}

static void desc_in(struct hd *h, uint64_t table, uint32_t i, uint64_t addr, uint32_t len,
                    uint32_t flags, uint32_t next)
{
        struct gvq_desc *d = (struct gvq_desc *)mem(h, table + 16ULL * i, 16);

        *d = (struct gvq_desc){addr, len, (uint16_t)flags, (uint16_t)next};
}

static void desc(struct hd *h, uint32_t i, uint64_t addr, uint32_t len, uint32_t flags,
                 uint32_t next)
{
        desc_in(h, hr.desc, i, addr, len, flags, next);
}

static void set_avail_idx(uint16_t idx)
{
        hr.a->idx = idx;
}

static void publish(uint16_t head)
{
        hr.a->ring[hr.avail_idx % hr.num] = head;
        hr.avail_idx++;
        set_avail_idx(hr.avail_idx);
}

static void kick(struct hd *h)
{
        hd_wr(h, VIO_QUEUE_NOTIFY, 0);
}

/* Snapshots RAM for the canary, then notifies. */
static void snap_kick(struct hd *h)
{
        hd_snap(h);
        kick(h);
}

static void send(struct hd *h, uint16_t head)
{
        publish(head);
        snap_kick(h);
}

static uint16_t used_idx(void)
{
        return hr.u->idx;
}

/* Polls until used.idx is want (from hr.seen on, mod 2^16) or the device
 * needs a reset (bounded). */
static void wait_used(struct hd *h, uint16_t want)
{
        uint16_t n = (uint16_t)(want - hr.seen);

        for (uint32_t k = 0; k < WAIT_MAX && (uint16_t)(used_idx() - hr.seen) < n; k++)
                if (k % 64 == 63 && (st(h) & VIO_S_NEEDS_RESET))
                        return;
}

/* Before concluding that nothing was processed, watch used.idx a while
 * (memory reads only): the I/O thread may serve a kick after it returned. */
static void settle(void)
{
        for (uint32_t k = 0; k < SETTLE && used_idx() == hr.seen; k++)
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
        desc(h, head, h->hdr, 16, R | N, head + 1u);
        desc(h, head + 1u, data, len, dflags | N, head + 2u);
        desc(h, head + 2u, h->stat, 1, W, 0);
}

/* --- outcomes ------------------------------------------------------------------------ */

/* The next used element is {head, len}. */
static int next_used(struct hd *h, uint16_t head, uint32_t len)
{
        struct gvq_used_elem e;

        wait_used(h, (uint16_t)(hr.seen + 1));
        HD_EXPECT(used_idx() != hr.seen, "nothing came back (Status 0x%x)", st(h));
        e = hr.u->ring[hr.seen % hr.num];
        HD_EXPECT(e.id == head && e.len == len, "used element %u is {%u, %u}, want {%u, %u}",
                  hr.seen, e.id, e.len, head, len);
        hr.seen++;
        return HD_PASS;
}

/* Only the used index, the last n used elements and ok[] changed. */
static int canary(struct hd *h, unsigned n, const struct hd_span *ok, unsigned nok)
{
        struct hd_span s[NSPANS + 2];
        unsigned k = 0;

        s[k++] = (struct hd_span){hr.used + 2, 2};
        for (unsigned i = 0; i < n; i++)
                s[k++] =
                    (struct hd_span){hr.used + 4 + 8u * ((uint16_t)(hr.seen - n + i) % hr.num), 8};
        for (unsigned i = 0; i < nok; i++)
                s[k++] = ok[i];
        return hd_canary(h, s, k);
}

/* Q11: the chain came back with used.len 0, the device goes on and wrote
 * nothing but the used element; why: the device's reason. */
static int rejected(struct hd *h, uint16_t head, const char *why)
{
        HD_TRY(next_used(h, head, 0));
        HD_EXPECT(used_idx() == hr.seen, "used.idx %u, want %u", used_idx(), hr.seen);
        HD_TRY(check_live(h));
        HD_TRY(hd_expect_why(h, why));
        return canary(h, 1, NULL, 0);
}

/* A completed request: {head, len}, status byte at sgpa; only the last
 * nused used elements, [stat, sgpa] and [data, data + dlen) changed. */
static int done_at(struct hd *h, unsigned nused, uint16_t head, uint32_t len, uint64_t sgpa,
                   uint8_t status, uint64_t data, uint64_t dlen)
{
        struct hd_span ok[2] = {{h->stat, sgpa + 1 - h->stat}, {data, dlen}};
        uint8_t got;

        HD_TRY(next_used(h, head, len));
        HD_EXPECT(used_idx() == hr.seen, "used.idx %u, want %u", used_idx(), hr.seen);
        got = *(volatile uint8_t *)mem(h, sgpa, 1);
        HD_EXPECT(got == status, "status byte %u, want %u", got, status);
        HD_TRY(check_live(h));
        return canary(h, nused, ok, 2);
}

static int done(struct hd *h, uint16_t head, uint32_t len, uint8_t status, uint64_t data,
                uint64_t dlen)
{
        return done_at(h, 1, head, len, h->stat, status, data, dlen);
}

/* A failed request with dlen writable data bytes: used.len counts every
 * writable byte and the data read zero (§2.7.8.2); why: the device's reason. */
static int failed(struct hd *h, uint16_t head, uint8_t status, uint64_t dlen, const char *why)
{
        HD_TRY(done(h, head, (uint32_t)dlen + 1, status, h->data, dlen));
        HD_TRY(hd_expect_why(h, why));
        return hd_expect_zero(h, h->data, dlen, "data");
}

/* M7: DEVICE_NEEDS_RESET, nothing consumed or written; a config interrupt
 * only when DRIVER_OK was set before the error. */
static int needs_reset(struct hd *h, bool config_irq, const char *why)
{
        uint32_t s, is;

        for (uint32_t k = 0; k < WAIT_MAX / 64 && !(st(h) & VIO_S_NEEDS_RESET); k++)
                ;
        settle();
        s = st(h);
        is = hd_rd(h, VIO_INTERRUPT_STATUS);
        HD_EXPECT(s & VIO_S_NEEDS_RESET, "Status 0x%x without NEEDS_RESET", s);
        HD_EXPECT(!!(is & VIO_INT_CONFIG) == config_irq, "InterruptStatus 0x%x", is);
        HD_EXPECT(used_idx() == hr.seen, "used.idx %u, want %u", used_idx(), hr.seen);
        HD_TRY(hd_expect_why(h, why));
        return hd_canary(h, NULL, 0);
}

/* Nothing processed or written, and no NEEDS_RESET. */
static int untouched(struct hd *h)
{
        settle();
        HD_EXPECT(!(st(h) & VIO_S_NEEDS_RESET), "Status 0x%x: NEEDS_RESET", st(h));
        HD_EXPECT(used_idx() == hr.seen, "used.idx %u, want %u", used_idx(), hr.seen);
        return hd_canary(h, NULL, 0);
}

/* --- set-up ---------------------------------------------------------------------------- */

/* Up to FEATURES_OK (v2) or DRIVER with features written (v1), the ring laid
 * out at h->ring. */
static int begin(struct hd *h, uint64_t f)
{
        ring_at(h, h->ring, QN);
        negotiate(h, f);
        if (!h->legacy)
                hd_wr(h, VIO_STATUS, ACK_DRV | VIO_S_FEATURES_OK);
        HD_EXPECT(st(h) == (live_status(h) & ~VIO_S_DRIVER_OK), "negotiated: Status 0x%x", st(h));
        return HD_PASS;
}

static void queue_v2(struct hd *h, uint32_t num, uint64_t d, uint64_t a, uint64_t u)
{
        hd_wr(h, VIO_QUEUE_SEL, 0);
        hd_wr(h, VIO_QUEUE_NUM, num);
        hd_wr(h, VIO_QUEUE_DESC_LOW, (uint32_t)d);
        hd_wr(h, VIO_QUEUE_DESC_HIGH, (uint32_t)(d >> 32));
        hd_wr(h, VIO_QUEUE_DRIVER_LOW, (uint32_t)a);
        hd_wr(h, VIO_QUEUE_DRIVER_HIGH, (uint32_t)(a >> 32));
        hd_wr(h, VIO_QUEUE_DEVICE_LOW, (uint32_t)u);
        hd_wr(h, VIO_QUEUE_DEVICE_HIGH, (uint32_t)(u >> 32));
        hd_wr(h, VIO_QUEUE_READY, 1);
}

static void queue_v1(struct hd *h, uint32_t num, uint32_t pfn)
{
        hd_wr(h, VIO_QUEUE_SEL, 0);
        hd_wr(h, VIO_QUEUE_NUM, num);
        hd_wr(h, VIO_QUEUE_ALIGN, HD_PAGE);
        hd_wr(h, VIO_QUEUE_PFN, pfn);
}

/* Queue 0 with QueueNum num at the hostile ring as laid out. */
static void queue_num_here(struct hd *h, uint32_t num)
{
        if (h->legacy)
                queue_v1(h, num, (uint32_t)(hr.base / HD_PAGE));
        else
                queue_v2(h, num, hr.desc, hr.avail, hr.used);
}

/* QueueReady (v2) or QueuePFN (v1) of queue 0: 0 when the queue is off. */
static uint32_t queue_on(struct hd *h)
{
        hd_wr(h, VIO_QUEUE_SEL, 0);
        return hd_rd(h, h->legacy ? VIO_QUEUE_PFN : VIO_QUEUE_READY);
}

static void driver_ok(struct hd *h)
{
        hd_wr(h, VIO_STATUS, live_status(h));
}

/* The whole initialization with features f and the ring at h->ring. */
static int up_with(struct hd *h, uint64_t f)
{
        HD_TRY(begin(h, f));
        queue_num_here(h, hr.num);
        driver_ok(h);
        return check_live(h);
}

static int start(struct hd *h)
{
        return up_with(h, feats(h));
}

/* A valid read of sector s into buf at head..head+2. */
static int valid_read(struct hd *h, uint16_t head, uint64_t s, uint64_t buf)
{
        fill(h, buf, TD_SECTOR);
        *mem(h, h->stat, 1) = 0xff;
        req3(h, head, VBLK_T_IN, s, buf, TD_SECTOR, W);
        send(h, head);
        HD_TRY(done(h, head, TD_SECTOR + 1, VBLK_S_OK, buf, TD_SECTOR));
        return hd_expect_sector(h, buf, s);
}

/* After every case: Status 0 reads 0 with no interrupt pending; a full
 * initialization and a valid read; the image unchanged. */
static int recover(struct hd *h)
{
        hd_wr(h, VIO_STATUS, 0);
        HD_EXPECT(st(h) == 0, "Status 0x%x after reset", st(h));
        HD_EXPECT(hd_rd(h, VIO_INTERRUPT_STATUS) == 0, "reset: an interrupt pending");
        HD_TRY(start(h));
        HD_TRY(valid_read(h, 0, HD_KNOWN, h->data));
        return hd_expect_pristine(h);
}

const struct hd_device hd_virtio = {start, recover};

/* A request at head..head+2 reading KNOWN into data of len bytes (flags
 * dflags) is given back with used.len 0 for why; data untouched. */
static int reject3(struct hd *h, uint16_t head, uint64_t data, uint32_t len, uint32_t dflags,
                   const char *why)
{
        req3(h, head, VBLK_T_IN, HD_KNOWN, data, len, dflags);
        send(h, head);
        return rejected(h, head, why);
}

/* A read of KNOWN into h->data at head 0..2, published, not notified; RAM
 * snapshotted. */
static void pending_read(struct hd *h)
{
        fill(h, h->data, TD_SECTOR);
        req3(h, 0, VBLK_T_IN, HD_KNOWN, h->data, TD_SECTOR, W);
        publish(0);
        hd_snap(h);
}

/* That read came back done, with the sector's bytes. */
static int read_done(struct hd *h)
{
        HD_TRY(done(h, 0, TD_SECTOR + 1, VBLK_S_OK, h->data, TD_SECTOR));
        return hd_expect_sector(h, h->data, HD_KNOWN);
}

/* A read of KNOWN into h->data at head..head+2 whose status descriptor is
 * {stat, len, flags}: given back with used.len 0 for why, nothing written. */
static int bad_status(struct hd *h, uint16_t head, uint32_t len, uint32_t flags, const char *why)
{
        fill(h, h->data, TD_SECTOR);
        *mem(h, h->stat, 1) = HD_FILL;
        req3(h, head, VBLK_T_IN, HD_KNOWN, h->data, TD_SECTOR, W);
        desc(h, head + 2u, h->stat, len, flags, 0);
        send(h, head);
        HD_TRY(rejected(h, head, why));
        HD_TRY(hd_expect_fill(h, h->data, TD_SECTOR, "data"));
        return hd_expect_fill(h, h->stat, 1, "status");
}

/* A request at head..head+2 into h->data (dlen bytes, filled first) fails
 * with status and used.len dlen + 1. */
static int fail3(struct hd *h, uint16_t head, uint32_t type, uint64_t sector, uint32_t dlen,
                 uint8_t status, const char *why)
{
        fill(h, h->data, dlen);
        req3(h, head, type, sector, h->data, dlen, W);
        send(h, head);
        return failed(h, head, status, dlen, why);
}

/* === chains (Q5-Q7) ====================================================== */

/* A descriptor whose next is itself, then two pointing at each other. */
int hostile_chain_loop(struct hd *h)
{
        put_hdr(h, h->hdr, VBLK_T_IN, HD_KNOWN);
        desc(h, 0, h->hdr, 16, R | N, 0);
        send(h, 0);
        HD_TRY(rejected(h, 0, "descriptor loop"));
        desc(h, 1, h->hdr, 16, R | N, 2);
        desc(h, 2, h->hdr, 16, R | N, 1);
        send(h, 1);
        return rejected(h, 1, "descriptor loop");
}

/* All N descriptors in one cycle: lengths valid, then 0xffffffff each. */
int hostile_chain_ring_loop_huge_len(struct hd *h)
{
        put_hdr(h, h->hdr, VBLK_T_IN, HD_KNOWN);
        for (uint32_t i = 0; i < QN; i++)
                desc(h, i, h->hdr, 16, R | N, (i + 1) % QN);
        send(h, 7);
        HD_TRY(rejected(h, 7, "descriptor loop"));
        fill(h, h->data, TD_SECTOR);
        for (uint32_t i = 0; i < QN; i++)
                desc(h, i, h->data, 0xffffffffu, W | N, (i + 1) % QN);
        send(h, 0);
        HD_TRY(rejected(h, 0, "buffer not in guest RAM"));
        return hd_expect_fill(h, h->data, TD_SECTOR, "data");
}

int hostile_next_out_of_range(struct hd *h)
{
        put_hdr(h, h->hdr, VBLK_T_IN, HD_KNOWN);
        desc(h, 0, h->hdr, 16, R | N, QN);
        send(h, 0);
        HD_TRY(rejected(h, 0, "next >= queue size"));
        desc(h, 1, h->hdr, 16, R | N, 0xffff);
        send(h, 1);
        return rejected(h, 1, "next >= queue size");
}

/* A zero-length data descriptor, then a zero-length status descriptor. */
int hostile_zero_len_desc(struct hd *h)
{
        HD_TRY(reject3(h, 0, h->data, 0, W, "zero-length descriptor"));
        return bad_status(h, 3, 0, W, "zero-length descriptor");
}

/* CVE-2016-7422: a huge length near the end of RAM; an address that wraps. */
int hostile_huge_len_near_ram_end(struct hd *h)
{
        HD_TRY(reject3(h, 0, h->ram_end - 16, 0xffffffffu, W, "buffer not in guest RAM"));
        return reject3(h, 3, 0xfffffffffffff000ULL, 0x2000, W, "buffer not in guest RAM");
}

/* Q6: a buffer ending exactly at the end of RAM is valid (under KVM the
 * FDT there was copied at boot, so a read may overwrite it). */
int hostile_buf_at_ram_end(struct hd *h)
{
        HD_TRY(valid_read(h, 0, HD_KNOWN, h->ram_end - TD_SECTOR));
        return valid_read(h, 3, HD_KNOWN + 1, (h->high_end ? h->high_end : h->ram_end) - TD_SECTOR);
}

/* Q6: one byte further is not, and nothing of it is written. */
int hostile_buf_past_ram_end(struct hd *h)
{
        const uint64_t ends[2] = {h->ram_end, h->high_end};

        for (unsigned k = 0; k < 2 && ends[k]; k++) {
                uint64_t last = ends[k] - TD_SECTOR + 1;

                fill(h, last, TD_SECTOR - 1);
                HD_TRY(
                    reject3(h, (uint16_t)(3 * k), last, TD_SECTOR, W, "buffer not in guest RAM"));
                HD_TRY(hd_expect_fill(h, last, TD_SECTOR - 1, "the RAM below the end"));
        }
        return HD_PASS;
}

/* CVE-2021-3748: buffers in the MMIO hole (its start, the LAPIC page). */
int hostile_buf_in_mmio_hole(struct hd *h)
{
        HD_TRY(reject3(h, 0, HD_HOLE, TD_SECTOR, W, "buffer not in guest RAM"));
        return reject3(h, 3, HD_LAPIC, TD_SECTOR, W, "buffer not in guest RAM");
}

/* CVE-2024-3446: the data buffer on the device's own registers, then the
 * status byte on its Status register: refused, no re-entry, Status kept. */
int hostile_buf_at_own_registers(struct hd *h)
{
        HD_TRY(reject3(h, 0, h->regs, TD_SECTOR, W, "buffer not in guest RAM"));
        put_hdr(h, h->hdr, VBLK_T_FLUSH, 0);
        desc(h, 3, h->hdr, 16, R | N, 4);
        desc(h, 4, h->regs + VIO_STATUS, 1, W, 0);
        send(h, 3);
        HD_TRY(rejected(h, 3, "buffer not in guest RAM"));
        HD_EXPECT(hd_rd(h, VIO_MAGIC_VALUE) == VIO_MAGIC, "MagicValue changed");
        return HD_PASS;
}

/* A READ aimed at svirtb's register page: refused, its registers unchanged. */
int hostile_buf_at_svirtb_page(struct hd *h)
{
        uint32_t before[6], after[6];
        unsigned n = hd_svirtb_peek(h, before);

        HD_TRY(reject3(h, 0, HD_SVIRTB_PAGE, TD_SECTOR, W, "buffer not in guest RAM"));
        hd_svirtb_peek(h, after);
        for (unsigned k = 0; k < n; k++)
                HD_EXPECT(after[k] == before[k], "svirtb register %u: 0x%x", k, after[k]);
        return HD_PASS;
}

/* Q7: the status byte in a readable descriptor after a writable one. */
int hostile_readable_after_writable(struct hd *h)
{
        return bad_status(h, 0, 1, R, "readable descriptor after a writable one");
}

/* B2: no writable byte at all: FLUSH with a header only, OUT without status
 * (whose data must then not reach the image). The device gives them back
 * itself (no virtqueue reason). */
int hostile_status_missing(struct hd *h)
{
        put_hdr(h, h->hdr, VBLK_T_FLUSH, 0);
        desc(h, 0, h->hdr, 16, R, 0);
        send(h, 0);
        HD_TRY(rejected(h, 0, NULL));
        memset(mem(h, h->data, TD_SECTOR), 0x33, TD_SECTOR);
        put_hdr(h, h->hdr, VBLK_T_OUT, HD_KNOWN);
        desc(h, 1, h->hdr, 16, R | N, 2);
        desc(h, 2, h->data, TD_SECTOR, R, 0);
        send(h, 1);
        return rejected(h, 1, NULL); /* the recovery checks the image */
}

/* OpenBSD vmd: a 4 KiB status buffer: IOERR in its last byte, zeros before
 * it and in the data (used.len is every writable byte, §2.7.8.2). */
int hostile_status_oversized(struct hd *h)
{
        fill(h, h->data, TD_SECTOR);
        fill(h, h->stat, HD_PAGE);
        req3(h, 0, VBLK_T_IN, HD_KNOWN, h->data, TD_SECTOR, W);
        desc(h, 2, h->stat, HD_PAGE, W, 0);
        send(h, 0);
        HD_TRY(done_at(h, 1, 0, TD_SECTOR + HD_PAGE, h->stat + HD_PAGE - 1, VBLK_S_IOERR, h->data,
                       TD_SECTOR));
        HD_TRY(hd_expect_zero(h, h->stat, HD_PAGE - 1, "status buffer"));
        return hd_expect_zero(h, h->data, TD_SECTOR, "data");
}

/* B1: the header in three pieces (1 + 7 + 8 bytes) still works. */
int hostile_header_split(struct hd *h)
{
        uint8_t *p = mem(h, h->hdr, 0x100);

        put_hdr(h, h->hdr + 0xc0, VBLK_T_IN, HD_KNOWN);
        memcpy(p, p + 0xc0, 1);
        memcpy(p + 0x40, p + 0xc1, 7);
        memcpy(p + 0x80, p + 0xc8, 8);
        fill(h, h->data, TD_SECTOR);
        *mem(h, h->stat, 1) = 0xff;
        desc(h, 0, h->hdr, 1, R | N, 1);
        desc(h, 1, h->hdr + 0x40, 7, R | N, 2);
        desc(h, 2, h->hdr + 0x80, 8, R | N, 3);
        desc(h, 3, h->data, TD_SECTOR, W | N, 4);
        desc(h, 4, h->stat, 1, W, 0);
        send(h, 0);
        return read_done(h);
}

/* B1: 8 header bytes, then 15 with data: IOERR, data untouched. */
int hostile_header_short(struct hd *h)
{
        put_hdr(h, h->hdr, VBLK_T_IN, HD_KNOWN);
        desc(h, 0, h->hdr, 8, R | N, 1);
        desc(h, 1, h->stat, 1, W, 0);
        send(h, 0);
        HD_TRY(failed(h, 0, VBLK_S_IOERR, 0, "header shorter than 16 readable bytes"));
        fill(h, h->data, TD_SECTOR);
        req3(h, 2, VBLK_T_IN, HD_KNOWN, h->data, TD_SECTOR, W);
        desc(h, 2, h->hdr, 15, R | N, 3);
        send(h, 2);
        return failed(h, 2, VBLK_S_IOERR, TD_SECTOR, "header shorter than 16 readable bytes");
}

/* OpenBSD vmd: a 4 KiB header descriptor: readable data for an IN, IOERR. */
int hostile_header_oversized(struct hd *h)
{
        fill(h, h->data, TD_SECTOR);
        req3(h, 0, VBLK_T_IN, HD_KNOWN, h->data, TD_SECTOR, W);
        desc(h, 0, h->hdr, HD_PAGE, R | N, 1);
        send(h, 0);
        return failed(h, 0, VBLK_S_IOERR, TD_SECTOR, "IN with readable data");
}

/* B3: 100 and 513 data bytes. */
int hostile_data_not_sector_multiple(struct hd *h)
{
        fill(h, h->data, 1024);
        HD_TRY(fail3(h, 0, VBLK_T_IN, HD_KNOWN, 100, VBLK_S_IOERR,
                     "data not a multiple of 512 bytes"));
        HD_TRY(fail3(h, 3, VBLK_T_IN, HD_KNOWN, 513, VBLK_S_IOERR,
                     "data not a multiple of 512 bytes"));
        return hd_expect_fill(h, h->data + 513, 1024 - 513, "data");
}

/* B3: sectors whose byte offset overflows 64 bits. */
int hostile_sector_overflow(struct hd *h)
{
        static const uint64_t sectors[] = {~0ULL, 1ULL << 55, 1ULL << 63, ~0ULL / 512 + 1};

        for (unsigned k = 0; k < 4; k++)
                HD_TRY(fail3(h, (uint16_t)(3 * k), VBLK_T_IN, sectors[k], TD_SECTOR, VBLK_S_IOERR,
                             "sectors beyond the disk"));
        return HD_PASS;
}

/* B3: two sectors at the last one, one at the capacity; the last one alone reads. */
int hostile_sector_range_past_end(struct hd *h)
{
        HD_TRY(
            fail3(h, 0, VBLK_T_IN, h->sectors - 1, 1024, VBLK_S_IOERR, "sectors beyond the disk"));
        HD_TRY(
            fail3(h, 3, VBLK_T_IN, h->sectors, TD_SECTOR, VBLK_S_IOERR, "sectors beyond the disk"));
        return valid_read(h, 6, h->sectors - 1, h->data);
}

/* CVE-2023-3180: an IN larger than the disk copies nothing of it (zeros). */
int hostile_in_larger_than_disk(struct hd *h)
{
        uint64_t len = (h->sectors + 1) * TD_SECTOR;

        HD_EXPECT(len <= h->data_size, "disk of %lu sectors: too large for this test", h->sectors);
        return fail3(h, 0, VBLK_T_IN, 0, (uint32_t)len, VBLK_S_IOERR, "sectors beyond the disk");
}

/* B3: an OUT whose data is device-writable: IOERR, image unchanged, buffer zeroed. */
int hostile_out_with_writable_data(struct hd *h)
{
        return fail3(h, 0, VBLK_T_OUT, HD_KNOWN, TD_SECTOR, VBLK_S_IOERR, NULL);
}

/* B6, CVE-2023-3180: GET_ID into 4 KiB writes the 20 id bytes, then zeros to
 * the end of the buffer (used.len 4097, §2.7.8.2), nothing past it. */
int hostile_get_id_huge_buffer(struct hd *h)
{
        fill(h, h->data, HD_PAGE + 16);
        req3(h, 0, VBLK_T_GET_ID, 0, h->data, HD_PAGE, W);
        send(h, 0);
        HD_TRY(done(h, 0, HD_PAGE + 1, VBLK_S_OK, h->data, HD_PAGE));
        HD_EXPECT(memcmp(mem(h, h->data, h->id_len), h->id, h->id_len) == 0,
                  "id starts with 0x%02x", *mem(h, h->data, 1));
        HD_TRY(hd_expect_zero(h, h->data + VBLK_ID_BYTES, HD_PAGE - VBLK_ID_BYTES,
                              "the buffer past 20 bytes"));
        return hd_expect_fill(h, h->data + HD_PAGE, 16, "past the buffer");
}

/* B7, B8: unknown types and unoffered DISCARD / WRITE_ZEROES are UNSUPP. */
int hostile_unknown_type(struct hd *h)
{
        static const uint32_t types[] = {0xffffffffu, 11 /* DISCARD */, 13 /* WRITE_ZEROES */, 2};

        for (unsigned k = 0; k < 4; k++)
                HD_TRY(fail3(h, (uint16_t)(3 * k), types[k], HD_KNOWN, TD_SECTOR, VBLK_S_UNSUPP,
                             NULL));
        return HD_PASS;
}

/* Firecracker: a chain claiming 4 GiB and more (254 x 17 MiB through one
 * indirect table) is refused, with nothing allocated or written. */
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
        desc(h, 0, h->table, 256 * 16, I, 0);
        send(h, 0);
        HD_TRY(rejected(h, 0, "chain of 4 GiB or more"));
        HD_TRY(hd_expect_fill(h, big, TD_SECTOR, "the start of the big buffer"));
        HD_TRY(
            hd_expect_fill(h, big + BIG_LEN - TD_SECTOR, TD_SECTOR, "the end of the big buffer"));
        return hd_big_done(h);
}

/* === indirect tables (Q8) ================================================== */

/* A valid three-entry IN request of sector KNOWN in the table at t. */
static void itable(struct hd *h, uint64_t t)
{
        put_hdr(h, h->hdr, VBLK_T_IN, HD_KNOWN);
        fill(h, h->data, TD_SECTOR);
        desc_in(h, t, 0, h->hdr, 16, R | N, 1);
        desc_in(h, t, 1, h->data, TD_SECTOR, W | N, 2);
        desc_in(h, t, 2, h->stat, 1, W, 0);
}

/* Head `head` is the indirect descriptor {t, len, flags}: rejected for why,
 * the data untouched. */
static int indirect(struct hd *h, uint16_t head, uint64_t t, uint32_t len, uint32_t flags,
                    const char *why)
{
        desc(h, head, t, len, flags, head + 1u);
        send(h, head);
        HD_TRY(rejected(h, head, why));
        return hd_expect_fill(h, h->data, TD_SECTOR, "data");
}

int hostile_indirect_nested(struct hd *h)
{
        itable(h, h->table2);
        desc_in(h, h->table, 0, h->table2, 48, I, 0);
        return indirect(h, 0, h->table, 16, I, "indirect descriptor inside an indirect table");
}

int hostile_indirect_with_next(struct hd *h)
{
        itable(h, h->table);
        desc(h, 1, h->stat, 1, W, 0);
        return indirect(h, 0, h->table, 48, I | N, "indirect descriptor with NEXT");
}

int hostile_indirect_len_not_multiple(struct hd *h)
{
        static const char why[] = "indirect table length not a non-zero multiple of 16";

        itable(h, h->table);
        HD_TRY(indirect(h, 0, h->table, 40, I, why));
        return indirect(h, 1, h->table, 8, I, why);
}

/* CVE-2016-6490: a zero-length table, then a zero-length entry in a table. */
int hostile_indirect_zero_len(struct hd *h)
{
        itable(h, h->table);
        HD_TRY(
            indirect(h, 0, h->table, 0, I, "indirect table length not a non-zero multiple of 16"));
        desc_in(h, h->table, 1, h->data, 0, W | N, 2);
        return indirect(h, 1, h->table, 48, I, "zero-length descriptor");
}

/* More than 256 entries (the cap, QueueNumMax) in one table. */
int hostile_indirect_too_long(struct hd *h)
{
        itable(h, h->table);
        return indirect(h, 0, h->table, 257 * 16, I, "indirect table longer than 256 entries");
}

int hostile_indirect_next_beyond_table(struct hd *h)
{
        itable(h, h->table);
        desc_in(h, h->table, 1, h->data, TD_SECTOR, W | N, 3);
        HD_TRY(indirect(h, 0, h->table, 48, I, "next beyond the indirect table"));
        desc_in(h, h->table, 1, h->data, TD_SECTOR, W | N, 0xffff);
        return indirect(h, 1, h->table, 48, I, "next beyond the indirect table");
}

int hostile_indirect_loop(struct hd *h)
{
        itable(h, h->table);
        desc_in(h, h->table, 1, h->hdr, 16, R | N, 0);
        return indirect(h, 0, h->table, 48, I, "loop in indirect table");
}

/* A table on the device's registers, then one running past the end of RAM. */
int hostile_indirect_table_outside_ram(struct hd *h)
{
        uint64_t t = h->ram_end - 32;

        fill(h, h->data, TD_SECTOR);
        HD_TRY(indirect(h, 0, h->regs, 48, I, "indirect table not in guest RAM"));
        itable(h, h->table);
        desc_in(h, t, 0, h->hdr, 16, R | N, 1);
        desc_in(h, t, 1, h->data, TD_SECTOR, W | N, 2);
        return indirect(h, 1, t, 48, I, "indirect table not in guest RAM");
}

/* Q8: INDIRECT without VIRTIO_F_INDIRECT_DESC negotiated. */
int hostile_indirect_not_negotiated(struct hd *h)
{
        HD_TRY(up_with(h, feats(h) & ~VIO_BIT(VIO_F_INDIRECT_DESC)));
        itable(h, h->table);
        return indirect(h, 0, h->table, 48, I, "indirect descriptor not negotiated");
}

/* === the avail ring (Q2-Q4, Q11) ============================================= */

/* vm-virtio, Firecracker: avail.idx N + 1 and 0x8000 ahead; a second kick
 * of the stopped queue still does nothing. */
int hostile_avail_idx_far_ahead(struct hd *h)
{
        static const uint16_t ahead[] = {QN + 1, 0x8000};

        for (unsigned k = 0; k < 2; k++) {
                HD_TRY(valid_read(h, 0, HD_KNOWN, h->data));
                set_avail_idx((uint16_t)(hr.avail_idx + ahead[k]));
                snap_kick(h);
                HD_TRY(needs_reset(h, true, "avail index moved more than the queue size"));
                kick(h);
                HD_TRY(needs_reset(h, true, "avail index moved more than the queue size"));
                HD_TRY(recover(h));
        }
        return HD_PASS;
}

/* avail.idx moving backwards is (u16) far ahead. */
int hostile_avail_idx_backwards(struct hd *h)
{
        HD_TRY(valid_read(h, 0, HD_KNOWN, h->data));
        HD_TRY(valid_read(h, 3, HD_KNOWN + 1, h->data));
        set_avail_idx(1);
        snap_kick(h);
        return needs_reset(h, true, "avail index moved more than the queue size");
}

/* Q3: heads N and 0xffff. */
int hostile_head_out_of_range(struct hd *h)
{
        static const uint16_t heads[] = {QN, 0xffff};

        for (unsigned k = 0; k < 2; k++) {
                send(h, heads[k]);
                HD_TRY(needs_reset(h, true, "head index >= queue size"));
                HD_TRY(recover(h));
        }
        return HD_PASS;
}

/* Q4: the same head twice in one kick. Every request of a pass goes into one
 * batch (docs/performance.md), so the first is still in flight when the second
 * is read: the first completes, the second is a broken ring (NEEDS_RESET). */
int hostile_duplicate_heads(struct hd *h)
{
        req3(h, 0, VBLK_T_GET_ID, 0, h->data, VBLK_ID_BYTES, W);
        publish(0);
        send(h, 0);
        HD_TRY(next_used(h, 0, VBLK_ID_BYTES + 1));
        HD_EXPECT(*mem(h, h->stat, 1) == VBLK_S_OK, "status byte %u", *mem(h, h->stat, 1));
        hd_snap(h); /* the first request's bytes are written: nothing else may be */
        HD_TRY(needs_reset(h, true, "head already in flight"));
        return recover(h);
}

/* CVE-2016-5403: kicks without new entries process nothing again. */
int hostile_rekick_without_new_entries(struct hd *h)
{
        HD_TRY(valid_read(h, 0, HD_KNOWN, h->data));
        hd_snap(h);
        for (int k = 0; k < 3; k++)
                kick(h);
        return untouched(h);
}

/* A malformed chain does not stall the queue: the valid one behind it, in
 * the same kick, completes. */
int hostile_malformed_then_valid(struct hd *h)
{
        put_hdr(h, h->hdr + 0x100, VBLK_T_IN, HD_KNOWN);
        desc(h, 9, h->hdr + 0x100, 16, R | N, 0x4000);
        publish(9);
        pending_read(h);
        kick(h);
        HD_TRY(next_used(h, 9, 0));
        HD_TRY(done_at(h, 2, 0, TD_SECTOR + 1, h->stat, VBLK_S_OK, h->data, TD_SECTOR));
        return hd_expect_sector(h, h->data, HD_KNOWN);
}

/* === queue set-up (M8, Q1, Q12) ============================================== */

/* Queue 0 made ready after begin(): refused with NEEDS_RESET for why (no
 * interrupt: DRIVER_OK was not set). */
static int queue_refused(struct hd *h, const char *why)
{
        HD_EXPECT(queue_on(h) == 0, "queue on (0x%x)", queue_on(h));
        return needs_reset(h, false, why);
}

/* Queue 0 made ready with QueueNum num: refused; DRIVER_OK and a kick then
 * process nothing. */
static int bad_queue_num(struct hd *h, uint32_t num)
{
        HD_TRY(begin(h, feats(h)));
        hd_snap(h);
        queue_num_here(h, num);
        HD_TRY(queue_refused(h, "queue size not a power of 2 within QueueNumMax"));
        pending_read(h);
        driver_ok(h);
        kick(h);
        HD_TRY(needs_reset(h, false, "queue size not a power of 2 within QueueNumMax"));
        HD_TRY(hd_expect_fill(h, h->data, TD_SECTOR, "data"));
        return recover(h);
}

/* vm-virtio: QueueNum 0. */
int hostile_queue_size_zero(struct hd *h)
{
        return bad_queue_num(h, 0);
}

int hostile_queue_size_not_pow2(struct hd *h)
{
        HD_TRY(bad_queue_num(h, 3));
        return bad_queue_num(h, 255);
}

int hostile_queue_size_above_max(struct hd *h)
{
        HD_TRY(bad_queue_num(h, 512));
        HD_TRY(bad_queue_num(h, 0x8000));
        return bad_queue_num(h, 0xffffffffu);
}

/* Firecracker 2026: QueueNum 0 / 0x8000 / 3 and new addresses after
 * DRIVER_OK are ignored; the queue keeps working where it was. */
int hostile_queue_regs_after_driver_ok(struct hd *h)
{
        static const uint32_t nums[] = {0, 0x8000, 3};

        for (unsigned k = 0; k < 3; k++)
                hd_wr(h, VIO_QUEUE_NUM, nums[k]);
        fill(h, h->ring2, 3 * HD_PAGE);
        if (h->legacy) {
                hd_wr(h, VIO_QUEUE_ALIGN, 16);
                hd_wr(h, VIO_QUEUE_PFN, (uint32_t)(h->ring2 / HD_PAGE));
                HD_EXPECT(queue_on(h) == hr.base / HD_PAGE, "QueuePFN 0x%x", queue_on(h));
        } else {
                queue_v2(h, 4, h->ring2, h->ring2 + HD_PAGE, h->ring2 + 2 * HD_PAGE);
                HD_EXPECT(queue_on(h) == 1, "QueueReady %u", queue_on(h));
        }
        HD_TRY(check_live(h));
        for (uint16_t k = 0; k < 4; k++) /* past num 3 or 4 */
                HD_TRY(valid_read(h, (uint16_t)(3 * k), HD_KNOWN + k, h->data));
        return hd_expect_fill(h, h->ring2, 3 * HD_PAGE, "the new ring");
}

/* M12: the queue stopped after DRIVER_OK cannot be restarted without a
 * reset; a kick then processes nothing. */
int hostile_queue_restart_after_driver_ok(struct hd *h)
{
        hd_wr(h, h->legacy ? VIO_QUEUE_PFN : VIO_QUEUE_READY, 0);
        HD_EXPECT(queue_on(h) == 0, "queue still on after it was stopped");
        hd_wr(h, h->legacy ? VIO_QUEUE_PFN : VIO_QUEUE_READY,
              h->legacy ? (uint32_t)(hr.base / HD_PAGE) : 1);
        HD_EXPECT(queue_on(h) == 0, "queue restarted after DRIVER_OK");
        pending_read(h);
        kick(h);
        HD_TRY(untouched(h));
        HD_TRY(check_live(h));
        return hd_expect_fill(h, h->data, TD_SECTOR, "data");
}

/* Q1: a ring on the device's registers; a ring running past the end of RAM. */
int hostile_ring_outside_ram(struct hd *h)
{
        static const char *const why[2][2] = {
            {"descriptor table not in guest RAM", "used ring not in guest RAM"},
            {"descriptor table not in guest RAM", "avail ring not in guest RAM"}};

        for (int k = 0; k < 2; k++) {
                HD_TRY(begin(h, feats(h)));
                hd_snap(h);
                if (h->legacy)
                        queue_v1(h, QN,
                                 (uint32_t)((k == 0 ? h->regs : h->ram_end - HD_PAGE) / HD_PAGE));
                else if (k == 0)
                        queue_v2(h, QN, h->regs, hr.avail, hr.used);
                else
                        queue_v2(h, QN, hr.desc, hr.avail, h->ram_end - 0x100);
                HD_TRY(queue_refused(h, why[h->legacy][k]));
                HD_TRY(recover(h));
        }
        return HD_PASS;
}

/* Q1, Q7: the used ring on the descriptor table, then on the avail ring
 * (version 2 only: the legacy layout cannot overlap). */
int hostile_ring_overlap(struct hd *h)
{
        if (h->legacy)
                return hd_skip("the legacy layout cannot overlap");
        for (int k = 0; k < 2; k++) {
                HD_TRY(begin(h, feats(h)));
                hd_snap(h);
                queue_v2(h, QN, hr.desc, hr.avail, k == 0 ? hr.desc + 0x100 : hr.avail);
                HD_TRY(queue_refused(h, "used ring overlaps the descriptor table or avail ring"));
                HD_TRY(recover(h));
        }
        return HD_PASS;
}

/* Q1: descriptor table off its 16-byte alignment (legacy: GuestPageSize 2;
 * the recovery writes 4096 again). */
int hostile_ring_misaligned(struct hd *h)
{
        HD_TRY(begin(h, feats(h)));
        hd_snap(h);
        if (h->legacy) {
                hd_wr(h, VIO_GUEST_PAGE_SIZE, 2);
                hd_wr(h, VIO_QUEUE_SEL, 0);
                hd_wr(h, VIO_QUEUE_NUM, QN);
                hd_wr(h, VIO_QUEUE_PFN, (uint32_t)((hr.base + 8) / 2));
        } else {
                queue_v2(h, QN, hr.desc + 8, hr.avail, hr.used);
        }
        return queue_refused(h, "ring misaligned (desc 16, avail 2, used 4)");
}

/* Status write w reads back as want. */
static int status_is(struct hd *h, uint32_t w, uint32_t want)
{
        hd_wr(h, VIO_STATUS, w);
        HD_EXPECT(st(h) == want, "Status 0x%x written: 0x%x, want 0x%x", w, st(h), want);
        return HD_PASS;
}

/* §3.1.1 binds the driver: status bits out of order or taken back are kept
 * as written, as QEMU keeps them (U-Boot and rcore rely on it,
 * docs/virtio-mmio.md); reserved bits are dropped. No queue runs and guest
 * RAM is untouched. */
int hostile_status_out_of_order(struct hd *h)
{
        static const uint32_t w[][2] = {
            {VIO_S_ACKNOWLEDGE | VIO_S_DRIVER_OK, VIO_S_ACKNOWLEDGE | VIO_S_DRIVER_OK},
            {VIO_S_ACKNOWLEDGE | VIO_S_FEATURES_OK, VIO_S_ACKNOWLEDGE | VIO_S_FEATURES_OK},
            {VIO_S_DRIVER, VIO_S_DRIVER},
            {VIO_S_ACKNOWLEDGE, VIO_S_ACKNOWLEDGE},
            {ACK_DRV, ACK_DRV},
            {VIO_S_ACKNOWLEDGE, VIO_S_ACKNOWLEDGE}, /* DRIVER taken back */
            {ACK_DRV | 0x100 | 0x30, ACK_DRV},
            {ACK_DRV | VIO_S_DRIVER_OK, ACK_DRV | VIO_S_DRIVER_OK}, /* v1 order, v2 early */
            {FULL_OK, FULL_OK},                                     /* FEATURES_OK in v1 */
        };

        hd_wr(h, VIO_STATUS, 0);
        hd_snap(h);
        for (unsigned k = 0; k < sizeof(w) / sizeof(w[0]); k++)
                HD_TRY(status_is(h, w[k][0], w[k][1]));
        return untouched(h);
}

/* M6, M13: a driver asking for bits the device did not offer (DISCARD,
 * RING_PACKED, bit 40, a word beyond 64 bits). v2: FEATURES_OK does not
 * stick. v1 has no FEATURES_OK: the bits are dropped, so DISCARD stays UNSUPP. */
int hostile_features_not_offered(struct hd *h)
{
        static const unsigned bits[] = {13 /* DISCARD */, 34 /* RING_PACKED */, 40};
        uint64_t off = offered(h);

        for (unsigned k = 0; k < 3; k++)
                HD_EXPECT(!(off & VIO_BIT(bits[k])), "bit %u offered (0x%lx)", bits[k], off);
        if (h->legacy) {
                /* Every bit of the one word but EVENT_IDX (offered, and it
                 * moves avail_event). */
                HD_TRY(up_with(h, 0xffffffffu & ~VIO_BIT(VIO_F_EVENT_IDX)));
                req3(h, 0, 11 /* DISCARD */, HD_KNOWN, h->data, 16, R);
                send(h, 0);
                HD_TRY(done(h, 0, 1, VBLK_S_UNSUPP, 0, 0));
                HD_TRY(valid_read(h, 3, HD_KNOWN, h->data));
                return recover(h);
        }
        for (unsigned k = 0; k < 3; k++) {
                negotiate(h, feats(h) | VIO_BIT(bits[k]));
                HD_TRY(status_is(h, ACK_DRV | VIO_S_FEATURES_OK, ACK_DRV));
                HD_TRY(status_is(h, FULL_OK, ACK_DRV));
        }
        negotiate(h, feats(h));
        hd_wr(h, VIO_DRIVER_FEATURES_SEL, 2);
        hd_wr(h, VIO_DRIVER_FEATURES, 1);
        return status_is(h, ACK_DRV | VIO_S_FEATURES_OK, ACK_DRV);
}

/* M6: DriverFeatures written after FEATURES_OK (v2) or DRIVER_OK (v1) are
 * ignored: INDIRECT_DESC stays negotiated. */
int hostile_features_after_driver_ok(struct hd *h)
{
        if (!h->legacy) {
                HD_TRY(begin(h, feats(h)));
                write_features(h, 0);
                queue_num_here(h, hr.num);
                driver_ok(h);
        }
        hd_wr(h, VIO_DRIVER_FEATURES_SEL, 0);
        hd_wr(h, VIO_DRIVER_FEATURES, 0);
        HD_TRY(check_live(h));
        itable(h, h->table);
        *mem(h, h->stat, 1) = 0xff;
        desc(h, 0, h->table, 48, I, 0);
        send(h, 0);
        return read_done(h);
}

/* Register accesses {off, len}; reads must give want (~0: the capacity).
 * Those a back end cannot make are left out. */
struct access {
        uint32_t off, len;
        uint64_t want;
};

static int reads(struct hd *h, const struct access *a, unsigned n)
{
        for (unsigned k = 0; k < n; k++) {
                uint64_t want = a[k].want == ~0ULL ? h->sectors : a[k].want, v = 0;

                if (hd_raw(h, a[k].off, a[k].len, false, &v) == HD_SKIP)
                        continue;
                HD_EXPECT(v == want, "%u bytes at 0x%x: 0x%lx", a[k].len, a[k].off, v);
        }
        return HD_PASS;
}

static void writes(struct hd *h, const struct access *a, unsigned n)
{
        for (unsigned k = 0; k < n; k++) {
                uint64_t v = a[k].want;

                hd_raw(h, a[k].off, a[k].len, true, &v);
        }
}

/* M10: 1, 2, 8-byte and unaligned register accesses do nothing and read 0. */
int hostile_reg_bad_width(struct hd *h)
{
        static const struct access w[] = {
            {VIO_STATUS, 1, 0},           {VIO_STATUS, 2, 0},       {VIO_STATUS + 1, 4, 0},
            {VIO_STATUS, 8, 0},           {VIO_QUEUE_NOTIFY, 1, 0}, {VIO_QUEUE_NOTIFY, 2, 0},
            {VIO_QUEUE_NOTIFY + 2, 4, 0},
        };
        static const struct access r[] = {
            {VIO_MAGIC_VALUE, 1, 0}, {VIO_MAGIC_VALUE, 2, 0}, {VIO_MAGIC_VALUE + 2, 4, 0},
            {VIO_MAGIC_VALUE, 8, 0}, {VIO_STATUS, 2, 0},
        };

        pending_read(h);
        writes(h, w, sizeof(w) / sizeof(w[0]));
        HD_TRY(reads(h, r, sizeof(r) / sizeof(r[0])));
        HD_TRY(check_live(h));
        HD_TRY(untouched(h));
        kick(h);
        return read_done(h);
}

/* M11: writes to read-only registers change nothing. */
int hostile_readonly_regs_written(struct hd *h)
{
        static const uint32_t regs[] = {
            VIO_MAGIC_VALUE,     VIO_VERSION,       VIO_DEVICE_ID,        VIO_VENDOR_ID,
            VIO_DEVICE_FEATURES, VIO_QUEUE_NUM_MAX, VIO_INTERRUPT_STATUS, VIO_CONFIG_GENERATION,
        };
        uint32_t before[8];

        hd_wr(h, VIO_DEVICE_FEATURES_SEL, 0);
        hd_wr(h, VIO_QUEUE_SEL, 0);
        for (unsigned k = 0; k < 8; k++)
                before[k] = hd_rd(h, regs[k]);
        HD_EXPECT(before[0] == VIO_MAGIC && before[1] == (h->legacy ? 1u : 2u) &&
                      before[2] == VIO_ID_BLOCK && before[5] == QN && before[6] == 0,
                  "registers before: magic 0x%x, version %u, id %u, QueueNumMax %u, "
                  "InterruptStatus 0x%x",
                  before[0], before[1], before[2], before[5], before[6]);
        hd_snap(h);
        for (unsigned k = 0; k < 8; k++)
                hd_wr(h, regs[k], k == 6 ? 0xffffffffu : 0);
        for (unsigned k = 0; k < 8; k++)
                HD_EXPECT(hd_rd(h, regs[k]) == before[k], "register 0x%x written", regs[k]);
        HD_TRY(check_live(h));
        return untouched(h);
}

/* kvmtool, M10: config accesses at and across the edge of its 0x24 bytes
 * and of the region read 0; config writes are ignored. */
int hostile_config_edge(struct hd *h)
{
        static const struct access r[] = {
            {0x123, 4, 0}, {0x120, 8, 0},   {0x124, 1, 0},      {0xfff, 1, 0},
            {0xffc, 4, 0}, {0xffc, 8, 0},   {0x100, 3, 0},      {0x100, 16, 0},
            {0x123, 1, 0}, {0x114, 4, 512}, {0x10c, 4, QN - 2}, {0x100, 8, ~0ULL},
        };
        static const struct access w[] = {{0x100, 8, 0}, {0x114, 4, 4096}, {0x123, 4, 0xffffffffu}};
        static const struct access after[] = {{0x100, 8, ~0ULL}, {0x114, 4, 512}};

        hd_snap(h);
        HD_TRY(reads(h, r, sizeof(r) / sizeof(r[0])));
        writes(h, w, 3);
        HD_TRY(reads(h, after, 2));
        HD_TRY(check_live(h));
        return untouched(h);
}

/* QEMU CVE-2011-2512, M9: QueueSel 1, 0xffff, 0xffffffff: QueueNumMax reads
 * 0 and the queue registers ignore writes; queue 0 is then set up as usual. */
int hostile_queue_sel_out_of_range(struct hd *h)
{
        static const uint32_t sels[] = {1, 0xffff, 0xffffffffu};

        HD_TRY(begin(h, feats(h)));
        hd_snap(h);
        for (unsigned k = 0; k < 3; k++) {
                hd_wr(h, VIO_QUEUE_SEL, sels[k]);
                HD_EXPECT(hd_rd(h, VIO_QUEUE_NUM_MAX) == 0, "QueueSel 0x%x: QueueNumMax", sels[k]);
                hd_wr(h, VIO_QUEUE_NUM, 8);
                if (h->legacy) {
                        hd_wr(h, VIO_QUEUE_PFN, (uint32_t)(h->ring2 / HD_PAGE));
                } else {
                        hd_wr(h, VIO_QUEUE_DESC_LOW, (uint32_t)h->ring2);
                        hd_wr(h, VIO_QUEUE_READY, 1);
                }
                HD_EXPECT(hd_rd(h, h->legacy ? VIO_QUEUE_PFN : VIO_QUEUE_READY) == 0,
                          "QueueSel 0x%x: the queue took the write", sels[k]);
        }
        HD_TRY(untouched(h));
        hd_wr(h, VIO_QUEUE_SEL, 0);
        HD_EXPECT(hd_rd(h, VIO_QUEUE_NUM_MAX) == QN, "queue 0: QueueNumMax");
        HD_EXPECT(queue_on(h) == 0, "queue 0 on before its set-up");
        queue_num_here(h, hr.num);
        driver_ok(h);
        HD_TRY(check_live(h));
        return valid_read(h, 0, HD_KNOWN, h->data);
}

/* M9: QueueNotify for queues that do not exist processes nothing. */
int hostile_queue_notify_out_of_range(struct hd *h)
{
        static const uint32_t qs[] = {1, 0xffff, 0x10000, 0xffffffffu};

        pending_read(h);
        for (unsigned k = 0; k < 4; k++)
                hd_wr(h, VIO_QUEUE_NOTIFY, qs[k]);
        HD_TRY(untouched(h));
        HD_TRY(check_live(h));
        kick(h);
        return read_done(h);
}

/* M4: before DRIVER_OK a v2 queue is not processed; a v1 queue is live as
 * soon as it has a PFN. */
int hostile_notify_before_driver_ok(struct hd *h)
{
        HD_TRY(begin(h, feats(h)));
        queue_num_here(h, hr.num);
        pending_read(h);
        kick(h);
        if (h->legacy) {
                struct hd_span ok[2] = {{h->stat, 1}, {h->data, TD_SECTOR}};

                HD_TRY(next_used(h, 0, TD_SECTOR + 1));
                /* The status first: a failed request names its reason (and a
                 * lab stub it met) before the canary looks at the bytes. */
                HD_EXPECT(*mem(h, h->stat, 1) == VBLK_S_OK, "request 0: status %u, want 0",
                          *mem(h, h->stat, 1));
                HD_TRY(canary(h, 1, ok, 2));
                driver_ok(h);
                snap_kick(h);
                HD_TRY(untouched(h));
        } else {
                HD_TRY(untouched(h));
                HD_TRY(hd_expect_fill(h, h->data, TD_SECTOR, "data"));
                driver_ok(h);
                kick(h);
                HD_TRY(done(h, 0, TD_SECTOR + 1, VBLK_S_OK, h->data, TD_SECTOR));
        }
        return hd_expect_sector(h, h->data, HD_KNOWN);
}

/* vm-virtio, Q12: a request left in the ring across a reset is never
 * processed; v2: a queue made ready without addresses (all 0) is refused. */
int hostile_stale_chains_after_reset(struct hd *h)
{
        pending_read(h);
        hd_wr(h, VIO_STATUS, 0);
        kick(h);
        HD_TRY(untouched(h));
        if (h->legacy) {
                negotiate(h, feats(h));
                hd_wr(h, VIO_QUEUE_PFN, 0);
                driver_ok(h);
                kick(h);
                HD_TRY(untouched(h));
        } else {
                negotiate(h, feats(h));
                hd_wr(h, VIO_STATUS, ACK_DRV | VIO_S_FEATURES_OK);
                hd_wr(h, VIO_QUEUE_SEL, 0);
                hd_wr(h, VIO_QUEUE_READY, 1); /* no addresses: all 0 */
                HD_TRY(queue_refused(h, "used ring overlaps the descriptor table or avail ring"));
                driver_ok(h);
                kick(h);
                HD_TRY(
                    needs_reset(h, false, "used ring overlaps the descriptor table or avail ring"));
        }
        return hd_expect_fill(h, h->data, TD_SECTOR, "data");
}

/* §2.1: after the driver sets FAILED nothing is processed. */
int hostile_status_failed_stops_queue(struct hd *h)
{
        pending_read(h);
        HD_TRY(status_is(h, live_status(h) | VIO_S_FAILED, live_status(h) | VIO_S_FAILED));
        kick(h);
        HD_TRY(untouched(h));
        return hd_expect_fill(h, h->data, TD_SECTOR, "data");
}
