/*
 * hvirtio: the hostile cases for virtio-blk over virtio-mmio (device 0),
 * driving the registers and a ring of its own directly, so it can write
 * what no driver would. Same names and outcomes as
 * tests/unit/test_hostile_virtio.c; rules from docs/virtio-rules.md.
 *
 * The ring uses the legacy layout (used ring on the next page), so one ring
 * serves version 1 (QueuePFN) and version 2 (three addresses). Features:
 * INDIRECT_DESC, FLUSH, BLK_SIZE, SEG_MAX, RO as offered (VERSION_1 in
 * version 2); never EVENT_IDX, so used_event/avail_event stay out of play.
 * Completions are polled (bounded) since the device may finish a request
 * after the notify returns.
 */
#include <string.h>

#include "tools/testdisk.h"

#include "console.h"
#include "guest.h"
#include "hostile/hostile.h"
#include "test.h"
#include "virtio_blk_drv.h"

#define PAGE      4096u
#define QN        256u
#define KNOWN     HOSTILE_KNOWN
#define FILL      0xee
#define HOLE      0xc0000000ULL
#define LAPIC     0xfee00000ULL
#define SVIRTB    0xcafe0000ULL
#define BIG_GPA   0x1000000ULL /* 16 MiB */
#define BIG_LEN   0x1100000u   /* 17 MiB: 241 of them pass 4 GiB */
#define WAIT_MAX  1000000u     /* polls of used->idx before a completion counts as missing */
#define SETTLE    4096u        /* polls of used->idx before "nothing was processed" holds */
#define DATA_SIZE (40 * PAGE)  /* an IN one sector larger than a 256-sector disk fits */

#define R 0u
#define W VQD_DESC_F_WRITE
#define N VQD_DESC_F_NEXT
#define I VQD_DESC_F_INDIRECT

/* Features a hostile driver accepts when offered (never EVENT_IDX). */
#define HV_SUPPORTED                                                                               \
        (VIO_BIT(VIO_F_INDIRECT_DESC) | VIO_BIT(VBLK_F_FLUSH) | VIO_BIT(VBLK_F_BLK_SIZE) |         \
         VIO_BIT(VBLK_F_SEG_MAX) | VIO_BIT(VBLK_F_RO) | VIO_BIT(VIO_F_VERSION_1))

/* Requests, tables and buffers; .bss is zeroed at boot. */
static uint8_t ring_a[3 * PAGE] __attribute__((aligned(PAGE)));
static uint8_t ring_b[3 * PAGE] __attribute__((aligned(PAGE)));
static struct gvq_desc table[272] __attribute__((aligned(PAGE))); /* 257 entries fit */
static struct gvq_desc table2[16] __attribute__((aligned(64)));
static uint8_t hdr[PAGE] __attribute__((aligned(PAGE)));
static uint8_t stat[PAGE] __attribute__((aligned(PAGE)));
static uint8_t data[DATA_SIZE] __attribute__((aligned(PAGE)));
static uint8_t rbuf[TD_SECTOR] __attribute__((aligned(64)));
static struct gblk drv; /* the ordinary driver, for recovery and the boot probe */

/* The device and the hostile ring. */
static struct gvio_dev dev;
static struct {
        uint16_t num;
        struct gvq_desc *desc;
        struct gvq_avail *avail;
        struct gvq_used *used;
        uint64_t base;
        uint16_t avail_idx; /* the next avail->idx to publish */
        uint16_t seen;      /* used elements checked */
} hr;

/* --- registers ----------------------------------------------------------- */

static uint32_t rd(uint32_t off)
{
        barrier();
        return gvio_read(&dev, off);
}

static void wr(uint32_t off, uint32_t v)
{
        barrier();
        gvio_write(&dev, off, v);
        barrier();
}

static bool legacy(void)
{
        return dev.version == 1;
}

static uint32_t live_status(void)
{
        return legacy() ? VIO_S_ACKNOWLEDGE | VIO_S_DRIVER | VIO_S_DRIVER_OK
                        : VIO_S_ACKNOWLEDGE | VIO_S_DRIVER | VIO_S_FEATURES_OK | VIO_S_DRIVER_OK;
}

static uint64_t offered(void)
{
        uint64_t f;

        wr(VIO_DEVICE_FEATURES_SEL, 0);
        f = rd(VIO_DEVICE_FEATURES);
        wr(VIO_DEVICE_FEATURES_SEL, 1);
        return f | (uint64_t)rd(VIO_DEVICE_FEATURES) << 32;
}

/* What this suite negotiates by default. */
static uint64_t feats(void)
{
        return offered() & HV_SUPPORTED;
}

static uint64_t capacity(void)
{
        return genv.vdisk[0].sectors;
}

/* --- the hostile ring ------------------------------------------------------- */

static void ring_at(uint8_t *mem, uint16_t num)
{
        uint64_t avail_end;

        hr.num = num;
        hr.base = gpa_of(mem);
        hr.desc = (struct gvq_desc *)mem;
        hr.avail = (struct gvq_avail *)(mem + 16u * num);
        avail_end = gpa_of(hr.avail) + 6 + 2u * num;
        hr.used = (struct gvq_used *)(uintptr_t)((avail_end + PAGE - 1) & ~(uint64_t)(PAGE - 1));
        memset(hr.desc, 0, 16u * num);
        memset(hr.avail, 0, 6 + 2u * num);
        memset(hr.used, 0, 6 + 8u * num);
        hr.avail_idx = 0;
        hr.seen = 0;
}

static void desc_in(struct gvq_desc *t, uint32_t i, uint64_t addr, uint32_t len, uint32_t flags,
                    uint32_t next)
{
        t[i].addr = addr;
        t[i].len = len;
        t[i].flags = (uint16_t)flags;
        t[i].next = (uint16_t)next;
}

static void desc(uint32_t i, uint64_t addr, uint32_t len, uint32_t flags, uint32_t next)
{
        desc_in(hr.desc, i, addr, len, flags, next);
}

static void set_avail_idx(uint16_t idx)
{
        barrier();
        *(volatile uint16_t *)&hr.avail->idx = idx;
}

static void publish(uint16_t head)
{
        hr.avail->ring[hr.avail_idx % hr.num] = head;
        hr.avail_idx++;
        set_avail_idx(hr.avail_idx);
}

static void kick(void)
{
        wr(VIO_QUEUE_NOTIFY, 0);
}

static void send(uint16_t head)
{
        publish(head);
        kick();
}

static uint16_t used_idx(void)
{
        barrier();
        return *(volatile uint16_t *)&hr.used->idx;
}

/* Polls until used->idx is at least want (from hr.seen on, mod 2^16) or the
 * device needs a reset (bounded). */
static void wait_used(uint16_t want)
{
        uint16_t n = (uint16_t)(want - hr.seen);

        for (uint32_t k = 0; k < WAIT_MAX && (uint16_t)(used_idx() - hr.seen) < n; k++) {
                if (k % 64 == 63 && (rd(VIO_STATUS) & VIO_S_NEEDS_RESET))
                        return;
        }
}

static void put_hdr(uint8_t *p, uint32_t type, uint64_t sector)
{
        struct gblk_hdr h = {type, 0, sector};

        memcpy(p, &h, sizeof(h));
}

/* Header, data, status at head..head+2. */
static void req3(uint16_t head, uint32_t type, uint64_t sector, uint64_t dat, uint32_t len,
                 uint32_t dflags)
{
        put_hdr(hdr, type, sector);
        desc(head, gpa_of(hdr), 16, R | N, head + 1u);
        desc(head + 1u, dat, len, dflags | N, head + 2u);
        desc(head + 2u, gpa_of(stat), 1, W, 0);
}

/* --- outcomes ------------------------------------------------------------------ */

/* §2.7.8.2: bytes under used.len a request had nothing to put in read zero. */
static int check_zero(const uint8_t *p, uint64_t n, const char *what)
{
        uint64_t k = 0;

        for (; k + 8 <= n && (gpa_of(p + k) & 7) == 0; k += 8)
                if (*(const uint64_t *)(p + k) != 0)
                        break;
        for (; k < n; k++)
                EXPECT(p[k] == 0, "%s: byte %lu not zeroed (0x%02x)", what, k, p[k]);
        return TEST_PASS;
}

static int check_fill(const uint8_t *p, uint64_t n, const char *what)
{
        uint64_t k = 0;

        /* Eight bytes at a time where aligned: the guest CPU is slow here. */
        for (; k + 8 <= n && (gpa_of(p + k) & 7) == 0; k += 8)
                if (*(const uint64_t *)(p + k) != 0xeeeeeeeeeeeeeeeeULL)
                        break;
        for (; k < n; k++)
                EXPECT(p[k] == FILL, "%s: byte %lu written (0x%02x)", what, k, p[k]);
        return TEST_PASS;
}

static int check_sector(const uint8_t *p, uint64_t s)
{
        for (uint32_t k = 0; k < TD_SECTOR; k++) {
                uint8_t want = td_orig_byte(s, capacity(), k);

                EXPECT(p[k] == want, "sector %lu byte %u: 0x%02x, want 0x%02x", s, k, p[k], want);
        }
        return TEST_PASS;
}

static int check_live(void)
{
        uint32_t s = rd(VIO_STATUS);

        EXPECT(s == live_status(), "Status 0x%x, want 0x%x", s, live_status());
        return TEST_PASS;
}

/* The next used element is {head, len}. */
static int check_next_used(uint16_t head, uint32_t len)
{
        struct gvq_used_elem e;

        wait_used((uint16_t)(hr.seen + 1));
        EXPECT(used_idx() != hr.seen, "used.idx %u: nothing came back (status 0x%x)", used_idx(),
               rd(VIO_STATUS));
        e = *(volatile struct gvq_used_elem *)&hr.used->ring[hr.seen % hr.num];
        EXPECT(e.id == head && e.len == len, "used element %u is {%u, %u}, want {%u, %u}", hr.seen,
               e.id, e.len, head, len);
        hr.seen++;
        return TEST_PASS;
}

/* Q11: the chain came back with used.len 0 and the device goes on. */
static int check_rejected(uint16_t head)
{
        TRY(check_next_used(head, 0));
        EXPECT(used_idx() == hr.seen, "used.idx %u, want %u", used_idx(), hr.seen);
        return check_live();
}

/* A completed request: {head, len}, status byte *st. */
static int check_done(uint16_t head, uint32_t len, const uint8_t *st, uint8_t status)
{
        TRY(check_next_used(head, len));
        EXPECT(used_idx() == hr.seen, "used.idx %u, want %u", used_idx(), hr.seen);
        EXPECT(*(volatile const uint8_t *)st == status, "status byte %u, want %u", *st, status);
        return check_live();
}

/*
 * With the I/O thread (minivmm's default) a kick is served after the notify
 * returns: before concluding that nothing was processed, watch used->idx a
 * while (memory reads only, no exits). With --io vcpu the kick was served
 * inside the notify and this only confirms it.
 */
static void settle(void)
{
        for (uint32_t k = 0; k < SETTLE && used_idx() == hr.seen; k++)
                ;
}

/* M7: DEVICE_NEEDS_RESET, nothing consumed; a config interrupt only when
 * DRIVER_OK was set before the error. */
static int check_needs_reset(bool config_irq)
{
        uint32_t s, is;

        for (uint32_t k = 0; k < WAIT_MAX / 64; k++) {
                if (rd(VIO_STATUS) & VIO_S_NEEDS_RESET)
                        break;
        }
        settle();
        s = rd(VIO_STATUS);
        is = rd(VIO_INTERRUPT_STATUS);
        EXPECT(s & VIO_S_NEEDS_RESET, "Status 0x%x without NEEDS_RESET", s);
        EXPECT(!!(is & VIO_INT_CONFIG) == config_irq, "InterruptStatus 0x%x, config bit want %d",
               is, config_irq);
        EXPECT(used_idx() == hr.seen, "used.idx %u, want %u: something was processed", used_idx(),
               hr.seen);
        return TEST_PASS;
}

/* Nothing processed and no NEEDS_RESET. */
static int check_untouched(void)
{
        uint32_t s;

        settle();
        s = rd(VIO_STATUS);

        EXPECT(!(s & VIO_S_NEEDS_RESET), "Status 0x%x: NEEDS_RESET", s);
        EXPECT(used_idx() == hr.seen, "used.idx %u, want %u: something was processed", used_idx(),
               hr.seen);
        return TEST_PASS;
}

/* --- set-up -------------------------------------------------------------------- */

/* Reset, ACKNOWLEDGE, DRIVER, features f (as given), FEATURES_OK (v2). */
static int begin(uint64_t f)
{
        uint32_t s;

        ring_at(ring_a, QN);
        wr(VIO_STATUS, 0);
        EXPECT(rd(VIO_STATUS) == 0, "Status 0x%x after reset", rd(VIO_STATUS));
        wr(VIO_STATUS, VIO_S_ACKNOWLEDGE);
        wr(VIO_STATUS, VIO_S_ACKNOWLEDGE | VIO_S_DRIVER);
        if (legacy())
                wr(VIO_GUEST_PAGE_SIZE, PAGE);
        wr(VIO_DRIVER_FEATURES_SEL, 0);
        wr(VIO_DRIVER_FEATURES, (uint32_t)f);
        wr(VIO_DRIVER_FEATURES_SEL, 1);
        wr(VIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
        if (!legacy())
                wr(VIO_STATUS, VIO_S_ACKNOWLEDGE | VIO_S_DRIVER | VIO_S_FEATURES_OK);
        s = rd(VIO_STATUS);
        EXPECT(s == (live_status() & ~VIO_S_DRIVER_OK), "Status 0x%x after negotiation", s);
        return TEST_PASS;
}

static void queue_v2(uint32_t num, uint64_t d, uint64_t a, uint64_t u)
{
        wr(VIO_QUEUE_SEL, 0);
        wr(VIO_QUEUE_NUM, num);
        wr(VIO_QUEUE_DESC_LOW, (uint32_t)d);
        wr(VIO_QUEUE_DESC_HIGH, (uint32_t)(d >> 32));
        wr(VIO_QUEUE_DRIVER_LOW, (uint32_t)a);
        wr(VIO_QUEUE_DRIVER_HIGH, (uint32_t)(a >> 32));
        wr(VIO_QUEUE_DEVICE_LOW, (uint32_t)u);
        wr(VIO_QUEUE_DEVICE_HIGH, (uint32_t)(u >> 32));
        wr(VIO_QUEUE_READY, 1);
}

static void queue_v1(uint32_t num, uint32_t pfn)
{
        wr(VIO_QUEUE_SEL, 0);
        wr(VIO_QUEUE_NUM, num);
        wr(VIO_QUEUE_ALIGN, PAGE);
        wr(VIO_QUEUE_PFN, pfn);
}

/* Queue 0 at the hostile ring as laid out. */
static void queue_here(void)
{
        if (legacy())
                queue_v1(hr.num, (uint32_t)(hr.base / PAGE));
        else
                queue_v2(hr.num, gpa_of(hr.desc), gpa_of(hr.avail), gpa_of(hr.used));
}

static uint32_t queue_on(void)
{
        wr(VIO_QUEUE_SEL, 0);
        return rd(legacy() ? VIO_QUEUE_PFN : VIO_QUEUE_READY);
}

static void driver_ok(void)
{
        wr(VIO_STATUS, live_status());
}

/* The whole initialization with features f and the ring at ring_a. */
static int up_with(uint64_t f)
{
        TRY(begin(f));
        queue_here();
        driver_ok();
        return check_live();
}

static int up(void)
{
        EXPECT(genv.vdisk[0].ok && genv.vdisk[0].test_image, "virtio-blk0: %s",
               genv.vdisk[0].problem);
        return up_with(feats());
}

/* A valid read of sector s into buf at head..head+2. */
static int valid_read(uint16_t head, uint64_t s, uint8_t *buf)
{
        memset(buf, FILL, TD_SECTOR);
        stat[0] = 0xff;
        req3(head, VBLK_T_IN, s, gpa_of(buf), TD_SECTOR, W);
        send(head);
        TRY(check_done(head, TD_SECTOR + 1, stat, VBLK_S_OK));
        return check_sector(buf, s);
}

/*
 * After every case: Status = 0 must read 0 with no interrupt pending; the
 * ordinary driver then initializes the device and reads a known sector.
 */
static int recover(void)
{
        uint8_t st = 0xff;
        uint32_t v;
        int e;

        wr(VIO_STATUS, 0);
        v = rd(VIO_STATUS);
        EXPECT(v == 0, "Status 0x%x after reset", v);
        v = rd(VIO_INTERRUPT_STATUS);
        EXPECT(v == 0, "InterruptStatus 0x%x after reset", v);
        e = gblk_probe(&drv, dev.base);
        if (!e)
                e = gblk_init(&drv, ring_b, sizeof(ring_b), QN);
        memset(rbuf, FILL, sizeof(rbuf));
        if (!e)
                e = gblk_io(&drv, VBLK_T_IN, KNOWN, rbuf, TD_SECTOR, &st);
        EXPECT(!e, "recovery: the driver failed: %s (status 0x%x)", gvio_err_name((enum gvio_err)e),
               rd(VIO_STATUS));
        EXPECT(st == VBLK_S_OK, "recovery: read status %u", st);
        TRY(check_sector(rbuf, KNOWN));
        gvio_reset(&drv.io);
        return TEST_PASS;
}

/* Every case starts here: device 0 probed, up with the default features. */
static int start(void)
{
        int e = gvio_probe(&dev, genv.boot.virtio[0].base, VIO_ID_BLOCK);

        EXPECT(!e, "probe of virtio-blk0: %s", gvio_err_name((enum gvio_err)e));
        return up();
}

/* Boot-time probe of every device (the runner's requirements read it). */
void hv_probe_disks(void)
{
        for (unsigned i = 0; i < genv.boot.nvirtio && i < BOOT_MAX_VIRTIO; i++) {
                struct vdisk *d = &genv.vdisk[i];
                uint8_t st = 0xff;
                uint64_t n = 0;
                int e;

                e = gblk_probe(&drv, genv.boot.virtio[i].base);
                if (!e)
                        e = gblk_init(&drv, ring_b, sizeof(ring_b), QN);
                if (!e)
                        e = gblk_io(&drv, VBLK_T_IN, 0, rbuf, TD_SECTOR, &st);
                if (e || st != VBLK_S_OK) {
                        snprintf(d->problem, sizeof(d->problem), "boot probe failed: %s (%u)",
                                 gvio_err_name((enum gvio_err)e), st);
                        gvio_reset(&drv.io);
                        continue;
                }
                d->ok = true;
                d->version = drv.io.version;
                d->capacity = drv.capacity;
                d->ro = drv.ro;
                memcpy(&n, rbuf + 16, 8);
                if (memcmp(rbuf, TD_MAGIC, 8) != 0 || n != drv.capacity || n < TD_MIN_SECTORS) {
                        snprintf(d->problem, sizeof(d->problem), "not a test image");
                } else {
                        d->test_image = true;
                        d->sectors = n;
                }
                printf("virtio-blk%u: version %u, capacity %lu sectors, ro %d\n", i, d->version,
                       d->capacity, d->ro);
                gvio_reset(&drv.io);
        }
}

static uint64_t ram_end(void)
{
        return boot_low_ram_end(&genv.boot);
}

/* === chains (Q5-Q7) ===================================================== */

int hostile_chain_loop(void)
{
        TRY(start());
        put_hdr(hdr, VBLK_T_IN, KNOWN);
        desc(0, gpa_of(hdr), 16, R | N, 0);
        send(0);
        TRY(check_rejected(0));
        desc(1, gpa_of(hdr), 16, R | N, 2);
        desc(2, gpa_of(hdr), 16, R | N, 1);
        send(1);
        TRY(check_rejected(1));
        return recover();
}

int hostile_chain_ring_loop_huge_len(void)
{
        TRY(start());
        put_hdr(hdr, VBLK_T_IN, KNOWN);
        for (uint32_t i = 0; i < QN; i++)
                desc(i, gpa_of(hdr), 16, R | N, (i + 1) % QN);
        send(7);
        TRY(check_rejected(7));
        memset(data, FILL, TD_SECTOR);
        for (uint32_t i = 0; i < QN; i++)
                desc(i, gpa_of(data), 0xffffffffu, W | N, (i + 1) % QN);
        send(0);
        TRY(check_rejected(0));
        TRY(check_fill(data, TD_SECTOR, "data"));
        return recover();
}

int hostile_next_out_of_range(void)
{
        TRY(start());
        put_hdr(hdr, VBLK_T_IN, KNOWN);
        desc(0, gpa_of(hdr), 16, R | N, QN);
        send(0);
        TRY(check_rejected(0));
        desc(1, gpa_of(hdr), 16, R | N, 0xffff);
        send(1);
        TRY(check_rejected(1));
        return recover();
}

int hostile_zero_len_desc(void)
{
        TRY(start());
        stat[0] = FILL;
        req3(0, VBLK_T_IN, KNOWN, gpa_of(data), 0, W);
        send(0);
        TRY(check_rejected(0));
        memset(data, FILL, TD_SECTOR);
        req3(3, VBLK_T_IN, KNOWN, gpa_of(data), TD_SECTOR, W);
        desc(5, gpa_of(stat), 0, W, 0);
        send(3);
        TRY(check_rejected(3));
        TRY(check_fill(data, TD_SECTOR, "data"));
        TRY(check_fill(stat, 1, "status"));
        return recover();
}

int hostile_huge_len_near_ram_end(void)
{
        TRY(start());
        req3(0, VBLK_T_IN, KNOWN, ram_end() - 16, 0xffffffffu, W);
        send(0);
        TRY(check_rejected(0));
        req3(3, VBLK_T_IN, KNOWN, 0xfffffffffffff000ULL, 0x2000, W);
        send(3);
        TRY(check_rejected(3));
        return recover();
}

/* The FDT sits in the top 64 KiB of low RAM; boot_info_read copied all of it
 * at boot, so a read may overwrite it. */
int hostile_buf_at_ram_end(void)
{
        uint8_t *end = (uint8_t *)(uintptr_t)(ram_end() - TD_SECTOR);

        TRY(start());
        TRY(valid_read(0, KNOWN, end));
        TRY(valid_read(3, KNOWN + 1, end));
        return recover();
}

int hostile_buf_past_ram_end(void)
{
        uint8_t *last = (uint8_t *)(uintptr_t)(ram_end() - TD_SECTOR + 1);

        TRY(start());
        memset(last, FILL, TD_SECTOR - 1);
        req3(0, VBLK_T_IN, KNOWN, gpa_of(last), TD_SECTOR, W);
        send(0);
        TRY(check_rejected(0));
        TRY(check_fill(last, TD_SECTOR - 1, "the RAM below the end"));
        return recover();
}

int hostile_buf_in_mmio_hole(void)
{
        TRY(start());
        req3(0, VBLK_T_IN, KNOWN, HOLE, TD_SECTOR, W);
        send(0);
        TRY(check_rejected(0));
        req3(3, VBLK_T_IN, KNOWN, LAPIC, TD_SECTOR, W);
        send(3);
        TRY(check_rejected(3));
        return recover();
}

int hostile_buf_at_own_registers(void)
{
        TRY(start());
        req3(0, VBLK_T_IN, KNOWN, dev.base, TD_SECTOR, W);
        send(0);
        TRY(check_rejected(0));
        put_hdr(hdr, VBLK_T_FLUSH, 0);
        desc(3, gpa_of(hdr), 16, R | N, 4);
        desc(4, dev.base + VIO_STATUS, 1, W, 0);
        send(3);
        TRY(check_rejected(3));
        EXPECT(rd(VIO_MAGIC_VALUE) == VIO_MAGIC, "MagicValue 0x%x", rd(VIO_MAGIC_VALUE));
        return recover();
}

int hostile_buf_at_svirtb_page(void)
{
        volatile uint32_t *page = (volatile uint32_t *)(uintptr_t)SVIRTB;
        uint32_t before[6], k;

        TRY(start());
        for (k = 0; k < 6; k++)
                before[k] = page[k];
        req3(0, VBLK_T_IN, KNOWN, SVIRTB, TD_SECTOR, W);
        send(0);
        TRY(check_rejected(0));
        for (k = 0; k < 6; k++)
                EXPECT(page[k] == before[k], "svirtb register %u: 0x%x, was 0x%x", k, page[k],
                       before[k]);
        return recover();
}

int hostile_readable_after_writable(void)
{
        TRY(start());
        memset(data, FILL, TD_SECTOR);
        stat[0] = FILL;
        req3(0, VBLK_T_IN, KNOWN, gpa_of(data), TD_SECTOR, W);
        desc(2, gpa_of(stat), 1, R, 0);
        send(0);
        TRY(check_rejected(0));
        TRY(check_fill(data, TD_SECTOR, "data"));
        TRY(check_fill(stat, 1, "status"));
        return recover();
}

int hostile_status_missing(void)
{
        TRY(start());
        put_hdr(hdr, VBLK_T_FLUSH, 0);
        desc(0, gpa_of(hdr), 16, R, 0);
        send(0);
        TRY(check_rejected(0));
        memset(data, 0x33, TD_SECTOR);
        put_hdr(hdr, VBLK_T_OUT, KNOWN);
        desc(1, gpa_of(hdr), 16, R | N, 2);
        desc(2, gpa_of(data), TD_SECTOR, R, 0);
        send(1);
        TRY(check_rejected(1));
        return recover(); /* it reads KNOWN back: unchanged */
}

int hostile_status_oversized(void)
{
        TRY(start());
        memset(data, FILL, TD_SECTOR);
        memset(stat, FILL, PAGE);
        req3(0, VBLK_T_IN, KNOWN, gpa_of(data), TD_SECTOR, W);
        desc(2, gpa_of(stat), PAGE, W, 0);
        send(0);
        TRY(check_done(0, TD_SECTOR + PAGE, stat + PAGE - 1, VBLK_S_IOERR));
        TRY(check_zero(stat, PAGE - 1, "status buffer"));
        TRY(check_zero(data, TD_SECTOR, "data"));
        return recover();
}

int hostile_header_split(void)
{
        uint8_t h[16];

        TRY(start());
        put_hdr(h, VBLK_T_IN, KNOWN);
        memcpy(hdr, h, 1);
        memcpy(hdr + 0x40, h + 1, 7);
        memcpy(hdr + 0x80, h + 8, 8);
        memset(data, FILL, TD_SECTOR);
        stat[0] = 0xff;
        desc(0, gpa_of(hdr), 1, R | N, 1);
        desc(1, gpa_of(hdr) + 0x40, 7, R | N, 2);
        desc(2, gpa_of(hdr) + 0x80, 8, R | N, 3);
        desc(3, gpa_of(data), TD_SECTOR, W | N, 4);
        desc(4, gpa_of(stat), 1, W, 0);
        send(0);
        TRY(check_done(0, TD_SECTOR + 1, stat, VBLK_S_OK));
        TRY(check_sector(data, KNOWN));
        return recover();
}

int hostile_header_short(void)
{
        TRY(start());
        put_hdr(hdr, VBLK_T_IN, KNOWN);
        desc(0, gpa_of(hdr), 8, R | N, 1);
        desc(1, gpa_of(stat), 1, W, 0);
        send(0);
        TRY(check_done(0, 1, stat, VBLK_S_IOERR));
        memset(data, FILL, TD_SECTOR);
        req3(2, VBLK_T_IN, KNOWN, gpa_of(data), TD_SECTOR, W);
        desc(2, gpa_of(hdr), 15, R | N, 3);
        send(2);
        TRY(check_done(2, TD_SECTOR + 1, stat, VBLK_S_IOERR));
        TRY(check_zero(data, TD_SECTOR, "data"));
        return recover();
}

int hostile_header_oversized(void)
{
        TRY(start());
        memset(data, FILL, TD_SECTOR);
        req3(0, VBLK_T_IN, KNOWN, gpa_of(data), TD_SECTOR, W);
        desc(0, gpa_of(hdr), PAGE, R | N, 1);
        send(0);
        TRY(check_done(0, TD_SECTOR + 1, stat, VBLK_S_IOERR));
        TRY(check_zero(data, TD_SECTOR, "data"));
        return recover();
}

int hostile_data_not_sector_multiple(void)
{
        TRY(start());
        memset(data, FILL, 1024);
        req3(0, VBLK_T_IN, KNOWN, gpa_of(data), 100, W);
        send(0);
        TRY(check_done(0, 101, stat, VBLK_S_IOERR));
        req3(3, VBLK_T_IN, KNOWN, gpa_of(data), 513, W);
        send(3);
        TRY(check_done(3, 514, stat, VBLK_S_IOERR));
        TRY(check_zero(data, 513, "data"));
        TRY(check_fill(data + 513, 1024 - 513, "data"));
        return recover();
}

int hostile_sector_overflow(void)
{
        static const uint64_t sectors[] = {~0ULL, 1ULL << 55, 1ULL << 63, ~0ULL / 512 + 1};

        TRY(start());
        memset(data, FILL, TD_SECTOR);
        for (unsigned k = 0; k < 4; k++) {
                uint16_t head = (uint16_t)(3 * k);

                req3(head, VBLK_T_IN, sectors[k], gpa_of(data), TD_SECTOR, W);
                send(head);
                TRY(check_done(head, TD_SECTOR + 1, stat, VBLK_S_IOERR));
        }
        TRY(check_zero(data, TD_SECTOR, "data"));
        return recover();
}

int hostile_sector_range_past_end(void)
{
        uint64_t n = capacity();

        TRY(start());
        memset(data, FILL, 1024);
        req3(0, VBLK_T_IN, n - 1, gpa_of(data), 1024, W);
        send(0);
        TRY(check_done(0, 1025, stat, VBLK_S_IOERR));
        req3(3, VBLK_T_IN, n, gpa_of(data), TD_SECTOR, W);
        send(3);
        TRY(check_done(3, TD_SECTOR + 1, stat, VBLK_S_IOERR));
        TRY(check_zero(data, 1024, "data"));
        TRY(valid_read(6, n - 1, data));
        return recover();
}

int hostile_in_larger_than_disk(void)
{
        uint64_t len = (capacity() + 1) * TD_SECTOR;

        TRY(start());
        EXPECT(len <= DATA_SIZE, "disk of %lu sectors: too large for this test", capacity());
        memset(data, FILL, len);
        req3(0, VBLK_T_IN, 0, gpa_of(data), (uint32_t)len, W);
        send(0);
        TRY(check_done(0, (uint32_t)len + 1, stat, VBLK_S_IOERR));
        TRY(check_zero(data, len, "data"));
        return recover();
}

int hostile_out_with_writable_data(void)
{
        TRY(start());
        memset(data, FILL, TD_SECTOR);
        req3(0, VBLK_T_OUT, KNOWN, gpa_of(data), TD_SECTOR, W);
        send(0);
        TRY(check_done(0, TD_SECTOR + 1, stat, VBLK_S_IOERR));
        TRY(check_zero(data, TD_SECTOR, "data"));
        return recover(); /* it reads KNOWN back: unchanged */
}

int hostile_get_id_huge_buffer(void)
{
        TRY(start());
        memset(data, FILL, PAGE + 16);
        req3(0, VBLK_T_GET_ID, 0, gpa_of(data), PAGE, W);
        send(0);
        TRY(check_done(0, PAGE + 1, stat, VBLK_S_OK));
        EXPECT(memcmp(data, "mvmm", 4) == 0, "id starts with 0x%02x", data[0]);
        TRY(check_zero(data + VBLK_ID_BYTES, PAGE - VBLK_ID_BYTES, "the buffer past 20 bytes"));
        TRY(check_fill(data + PAGE, 16, "past the buffer"));
        return recover();
}

int hostile_unknown_type(void)
{
        static const uint32_t types[] = {0xffffffffu, 11 /* DISCARD */, 13 /* WRITE_ZEROES */, 2};

        TRY(start());
        memset(data, FILL, TD_SECTOR);
        for (unsigned k = 0; k < 4; k++) {
                uint16_t head = (uint16_t)(3 * k);

                req3(head, types[k], KNOWN, gpa_of(data), TD_SECTOR, W);
                send(head);
                TRY(check_done(head, TD_SECTOR + 1, stat, VBLK_S_UNSUPP));
        }
        TRY(check_zero(data, TD_SECTOR, "data"));
        return recover();
}

/* 254 x 17 MiB through one indirect table; nothing of it is written. */
int hostile_chain_4gib_total(void)
{
        uint8_t *big = (uint8_t *)(uintptr_t)BIG_GPA;

        TRY(start());
        EXPECT(gpa_of(__image_end) <= BIG_GPA && BIG_GPA + BIG_LEN <= genv.boot.fdt_addr,
               "no room for a 17 MiB buffer at 16 MiB (image end 0x%lx, FDT 0x%lx)",
               gpa_of(__image_end), genv.boot.fdt_addr);
        memset(big, FILL, TD_SECTOR);
        memset(big + BIG_LEN - TD_SECTOR, FILL, TD_SECTOR);
        put_hdr(hdr, VBLK_T_IN, 0);
        desc_in(table, 0, gpa_of(hdr), 16, R | N, 1);
        for (uint32_t i = 1; i < 255; i++)
                desc_in(table, i, BIG_GPA, BIG_LEN, W | N, i + 1);
        desc_in(table, 255, gpa_of(stat), 1, W, 0);
        desc(0, gpa_of(table), 256 * 16, I, 0);
        send(0);
        TRY(check_rejected(0));
        TRY(check_fill(big, TD_SECTOR, "the start of the big buffer"));
        TRY(check_fill(big + BIG_LEN - TD_SECTOR, TD_SECTOR, "the end of the big buffer"));
        return recover();
}

/* === indirect tables (Q8) =================================================== */

static void itable(struct gvq_desc *t, uint64_t s)
{
        put_hdr(hdr, VBLK_T_IN, s);
        memset(data, FILL, TD_SECTOR);
        desc_in(t, 0, gpa_of(hdr), 16, R | N, 1);
        desc_in(t, 1, gpa_of(data), TD_SECTOR, W | N, 2);
        desc_in(t, 2, gpa_of(stat), 1, W, 0);
}

int hostile_indirect_nested(void)
{
        TRY(start());
        itable(table2, KNOWN);
        desc_in(table, 0, gpa_of(table2), 48, I, 0);
        desc(0, gpa_of(table), 16, I, 0);
        send(0);
        TRY(check_rejected(0));
        TRY(check_fill(data, TD_SECTOR, "data"));
        return recover();
}

int hostile_indirect_with_next(void)
{
        TRY(start());
        itable(table, KNOWN);
        desc(0, gpa_of(table), 48, I | N, 1);
        desc(1, gpa_of(stat), 1, W, 0);
        send(0);
        TRY(check_rejected(0));
        TRY(check_fill(data, TD_SECTOR, "data"));
        return recover();
}

int hostile_indirect_len_not_multiple(void)
{
        TRY(start());
        itable(table, KNOWN);
        desc(0, gpa_of(table), 40, I, 0);
        send(0);
        TRY(check_rejected(0));
        desc(1, gpa_of(table), 8, I, 0);
        send(1);
        TRY(check_rejected(1));
        TRY(check_fill(data, TD_SECTOR, "data"));
        return recover();
}

int hostile_indirect_zero_len(void)
{
        TRY(start());
        itable(table, KNOWN);
        desc(0, gpa_of(table), 0, I, 0);
        send(0);
        TRY(check_rejected(0));
        desc_in(table, 1, gpa_of(data), 0, W | N, 2);
        desc(1, gpa_of(table), 48, I, 0);
        send(1);
        TRY(check_rejected(1));
        TRY(check_fill(data, TD_SECTOR, "data"));
        return recover();
}

int hostile_indirect_too_long(void)
{
        TRY(start());
        itable(table, KNOWN);
        desc(0, gpa_of(table), 257 * 16, I, 0);
        send(0);
        TRY(check_rejected(0));
        TRY(check_fill(data, TD_SECTOR, "data"));
        return recover();
}

int hostile_indirect_next_beyond_table(void)
{
        TRY(start());
        itable(table, KNOWN);
        desc_in(table, 1, gpa_of(data), TD_SECTOR, W | N, 3);
        desc(0, gpa_of(table), 48, I, 0);
        send(0);
        TRY(check_rejected(0));
        desc_in(table, 1, gpa_of(data), TD_SECTOR, W | N, 0xffff);
        desc(1, gpa_of(table), 48, I, 0);
        send(1);
        TRY(check_rejected(1));
        TRY(check_fill(data, TD_SECTOR, "data"));
        return recover();
}

int hostile_indirect_loop(void)
{
        TRY(start());
        put_hdr(hdr, VBLK_T_IN, KNOWN);
        desc_in(table, 0, gpa_of(hdr), 16, R | N, 1);
        desc_in(table, 1, gpa_of(hdr), 16, R | N, 0);
        desc_in(table, 2, gpa_of(stat), 1, W, 0);
        desc(0, gpa_of(table), 48, I, 0);
        send(0);
        TRY(check_rejected(0));
        return recover();
}

int hostile_indirect_table_outside_ram(void)
{
        struct gvq_desc *t = (struct gvq_desc *)(uintptr_t)(ram_end() - 32);

        TRY(start());
        desc(0, dev.base, 48, I, 0);
        send(0);
        TRY(check_rejected(0));
        put_hdr(hdr, VBLK_T_IN, KNOWN);
        memset(data, FILL, TD_SECTOR);
        desc_in(t, 0, gpa_of(hdr), 16, R | N, 1);
        desc_in(t, 1, gpa_of(data), TD_SECTOR, W | N, 2);
        desc(1, gpa_of(t), 48, I, 0);
        send(1);
        TRY(check_rejected(1));
        TRY(check_fill(data, TD_SECTOR, "data"));
        return recover();
}

int hostile_indirect_not_negotiated(void)
{
        TRY(start());
        TRY(up_with(feats() & ~VIO_BIT(VIO_F_INDIRECT_DESC)));
        itable(table, KNOWN);
        desc(0, gpa_of(table), 48, I, 0);
        send(0);
        TRY(check_rejected(0));
        TRY(check_fill(data, TD_SECTOR, "data"));
        return recover();
}

/* === the avail ring (Q2-Q4, Q11) ============================================ */

int hostile_avail_idx_far_ahead(void)
{
        static const uint16_t ahead[] = {QN + 1, 0x8000};

        for (unsigned k = 0; k < 2; k++) {
                TRY(start());
                TRY(valid_read(0, KNOWN, data));
                set_avail_idx((uint16_t)(hr.avail_idx + ahead[k]));
                kick();
                TRY(check_needs_reset(true));
                kick();
                TRY(check_needs_reset(true));
                TRY(recover());
        }
        return TEST_PASS;
}

int hostile_avail_idx_backwards(void)
{
        TRY(start());
        TRY(valid_read(0, KNOWN, data));
        TRY(valid_read(3, KNOWN + 1, data));
        set_avail_idx(1);
        kick();
        TRY(check_needs_reset(true));
        return recover();
}

int hostile_head_out_of_range(void)
{
        static const uint16_t heads[] = {QN, 0xffff};

        for (unsigned k = 0; k < 2; k++) {
                TRY(start());
                send(heads[k]);
                TRY(check_needs_reset(true));
                TRY(recover());
        }
        return TEST_PASS;
}

/*
 * A GET_ID twice in one kick: the first is served into the batch and still
 * in flight when the second is read (Q4): it completes, then NEEDS_RESET.
 */
int hostile_duplicate_heads(void)
{
        TRY(start());
        req3(0, VBLK_T_GET_ID, 0, gpa_of(data), VBLK_ID_BYTES, W);
        publish(0);
        publish(0);
        kick();
        TRY(check_next_used(0, VBLK_ID_BYTES + 1));
        EXPECT(*(volatile const uint8_t *)stat == VBLK_S_OK, "status byte %u, want %u", *stat,
               VBLK_S_OK);
        TRY(check_needs_reset(true));
        return recover();
}

int hostile_rekick_without_new_entries(void)
{
        TRY(start());
        TRY(valid_read(0, KNOWN, data));
        for (int k = 0; k < 3; k++)
                kick();
        TRY(check_untouched());
        return recover();
}

int hostile_malformed_then_valid(void)
{
        TRY(start());
        put_hdr(hdr + 0x100, VBLK_T_IN, KNOWN);
        desc(9, gpa_of(hdr) + 0x100, 16, R | N, 0x4000);
        memset(data, FILL, TD_SECTOR);
        req3(0, VBLK_T_IN, KNOWN, gpa_of(data), TD_SECTOR, W);
        publish(9);
        publish(0);
        kick();
        TRY(check_next_used(9, 0));
        TRY(check_done(0, TD_SECTOR + 1, stat, VBLK_S_OK));
        TRY(check_sector(data, KNOWN));
        return recover();
}

/* === queue set-up (M8, Q1, Q12) ============================================ */

/* Queue 0 made ready with QueueNum num: refused with NEEDS_RESET (no
 * interrupt: not DRIVER_OK yet); DRIVER_OK and a kick process nothing. */
static int bad_queue_num(uint32_t num)
{
        TRY(start());
        TRY(begin(feats()));
        if (legacy())
                queue_v1(num, (uint32_t)(hr.base / PAGE));
        else
                queue_v2(num, gpa_of(hr.desc), gpa_of(hr.avail), gpa_of(hr.used));
        EXPECT(queue_on() == 0, "QueueNum %u: queue on (0x%x)", num, queue_on());
        TRY(check_needs_reset(false));
        memset(data, FILL, TD_SECTOR);
        req3(0, VBLK_T_IN, KNOWN, gpa_of(data), TD_SECTOR, W);
        publish(0);
        driver_ok();
        kick();
        TRY(check_needs_reset(false));
        TRY(check_fill(data, TD_SECTOR, "data"));
        return recover();
}

int hostile_queue_size_zero(void)
{
        return bad_queue_num(0);
}

int hostile_queue_size_not_pow2(void)
{
        TRY(bad_queue_num(3));
        return bad_queue_num(255);
}

int hostile_queue_size_above_max(void)
{
        TRY(bad_queue_num(512));
        TRY(bad_queue_num(0x8000));
        return bad_queue_num(0xffffffffu);
}

int hostile_queue_regs_after_driver_ok(void)
{
        static const uint32_t nums[] = {0, 0x8000, 3};
        uint64_t b = gpa_of(ring_b);

        TRY(start());
        for (unsigned k = 0; k < 3; k++)
                wr(VIO_QUEUE_NUM, nums[k]);
        memset(ring_b, FILL, sizeof(ring_b));
        if (legacy()) {
                wr(VIO_QUEUE_ALIGN, 16);
                wr(VIO_QUEUE_PFN, (uint32_t)(b / PAGE));
                EXPECT(queue_on() == hr.base / PAGE, "QueuePFN 0x%x", queue_on());
        } else {
                queue_v2(4, b, b + PAGE, b + 2 * PAGE);
                EXPECT(queue_on() == 1, "QueueReady %u", queue_on());
        }
        TRY(check_live());
        for (uint16_t k = 0; k < 4; k++)
                TRY(valid_read((uint16_t)(3 * k), KNOWN + k, data));
        TRY(check_fill(ring_b, sizeof(ring_b), "the new ring"));
        return recover();
}

int hostile_queue_restart_after_driver_ok(void)
{
        TRY(start());
        wr(legacy() ? VIO_QUEUE_PFN : VIO_QUEUE_READY, 0);
        EXPECT(queue_on() == 0, "queue still on after it was stopped");
        if (legacy())
                wr(VIO_QUEUE_PFN, (uint32_t)(hr.base / PAGE));
        else
                wr(VIO_QUEUE_READY, 1);
        EXPECT(queue_on() == 0, "queue restarted after DRIVER_OK");
        memset(data, FILL, TD_SECTOR);
        req3(0, VBLK_T_IN, KNOWN, gpa_of(data), TD_SECTOR, W);
        send(0);
        TRY(check_untouched());
        TRY(check_live());
        TRY(check_fill(data, TD_SECTOR, "data"));
        return recover();
}

int hostile_ring_outside_ram(void)
{
        for (int k = 0; k < 2; k++) {
                TRY(start());
                TRY(begin(feats()));
                if (legacy())
                        queue_v1(QN, (uint32_t)((k == 0 ? dev.base : ram_end() - PAGE) / PAGE));
                else if (k == 0)
                        queue_v2(QN, dev.base, gpa_of(hr.avail), gpa_of(hr.used));
                else
                        queue_v2(QN, gpa_of(hr.desc), gpa_of(hr.avail), ram_end() - 0x100);
                EXPECT(queue_on() == 0, "case %d: queue on", k);
                TRY(check_needs_reset(false));
                TRY(recover());
        }
        return TEST_PASS;
}

int hostile_ring_overlap(void)
{
        TRY(start());
        if (legacy()) {
                TRY(recover());
                return test_skip("the legacy layout cannot overlap");
        }
        for (int k = 0; k < 2; k++) {
                TRY(begin(feats()));
                queue_v2(QN, gpa_of(hr.desc), gpa_of(hr.avail),
                         k == 0 ? gpa_of(hr.desc) + 0x100 : gpa_of(hr.avail));
                EXPECT(queue_on() == 0, "case %d: queue on", k);
                TRY(check_needs_reset(false));
                TRY(recover());
        }
        return TEST_PASS;
}

int hostile_ring_misaligned(void)
{
        TRY(start());
        TRY(begin(feats()));
        if (legacy()) {
                wr(VIO_GUEST_PAGE_SIZE, 2);
                wr(VIO_QUEUE_SEL, 0);
                wr(VIO_QUEUE_NUM, QN);
                wr(VIO_QUEUE_PFN, (uint32_t)((hr.base + 8) / 2));
        } else {
                queue_v2(QN, gpa_of(hr.desc) + 8, gpa_of(hr.avail), gpa_of(hr.used));
        }
        EXPECT(queue_on() == 0, "queue on");
        TRY(check_needs_reset(false));
        return recover(); /* the driver writes GuestPageSize 4096 again (v1) */
}

/* §3.1.1 binds the driver: Status keeps what is written, in any order (QEMU does). */
int hostile_status_out_of_order(void)
{
        const uint32_t drv = VIO_S_ACKNOWLEDGE | VIO_S_DRIVER;

        TRY(start());
        wr(VIO_STATUS, 0);
        wr(VIO_STATUS, VIO_S_ACKNOWLEDGE | VIO_S_DRIVER_OK);
        EXPECT(rd(VIO_STATUS) == (VIO_S_ACKNOWLEDGE | VIO_S_DRIVER_OK), "DRIVER_OK: 0x%x",
               rd(VIO_STATUS));
        wr(VIO_STATUS, VIO_S_DRIVER);
        EXPECT(rd(VIO_STATUS) == VIO_S_DRIVER, "DRIVER alone: Status 0x%x", rd(VIO_STATUS));
        wr(VIO_STATUS, VIO_S_ACKNOWLEDGE);
        wr(VIO_STATUS, drv);
        wr(VIO_STATUS, VIO_S_ACKNOWLEDGE);
        EXPECT(rd(VIO_STATUS) == VIO_S_ACKNOWLEDGE, "DRIVER taken back: Status 0x%x",
               rd(VIO_STATUS));
        wr(VIO_STATUS, drv | 0x100 | 0x30);
        EXPECT(rd(VIO_STATUS) == drv, "reserved bits: Status 0x%x", rd(VIO_STATUS));
        wr(VIO_STATUS, drv | VIO_S_DRIVER_OK | VIO_S_FEATURES_OK);
        EXPECT(rd(VIO_STATUS) == (drv | VIO_S_DRIVER_OK | VIO_S_FEATURES_OK), "all: 0x%x",
               rd(VIO_STATUS));
        TRY(check_untouched());
        return recover();
}

int hostile_features_not_offered(void)
{
        static const unsigned bits[] = {13 /* DISCARD */, 34 /* RING_PACKED */, 40};
        const uint32_t drv = VIO_S_ACKNOWLEDGE | VIO_S_DRIVER;
        uint64_t off;

        TRY(start());
        off = offered();
        for (unsigned k = 0; k < 3; k++)
                EXPECT(!(off & VIO_BIT(bits[k])), "bit %u offered (0x%lx)", bits[k], off);
        if (legacy()) {
                /* Every bit of the one word but EVENT_IDX: the unoffered ones
                 * are dropped, so DISCARD stays UNSUPP. */
                TRY(up_with(0xffffffffu & ~VIO_BIT(VIO_F_EVENT_IDX)));
                memset(data, FILL, TD_SECTOR);
                req3(0, 11 /* DISCARD */, KNOWN, gpa_of(data), 16, R);
                send(0);
                TRY(check_done(0, 1, stat, VBLK_S_UNSUPP));
                TRY(valid_read(3, KNOWN, data));
                return recover();
        }
        for (unsigned k = 0; k < 3; k++) {
                wr(VIO_STATUS, 0);
                wr(VIO_STATUS, VIO_S_ACKNOWLEDGE);
                wr(VIO_STATUS, drv);
                wr(VIO_DRIVER_FEATURES_SEL, 0);
                wr(VIO_DRIVER_FEATURES, (uint32_t)(feats() | VIO_BIT(bits[k])));
                wr(VIO_DRIVER_FEATURES_SEL, 1);
                wr(VIO_DRIVER_FEATURES, (uint32_t)((feats() | VIO_BIT(bits[k])) >> 32));
                wr(VIO_STATUS, drv | VIO_S_FEATURES_OK);
                EXPECT(rd(VIO_STATUS) == drv, "bit %u: Status 0x%x", bits[k], rd(VIO_STATUS));
                wr(VIO_STATUS, drv | VIO_S_FEATURES_OK | VIO_S_DRIVER_OK);
                EXPECT(rd(VIO_STATUS) == drv, "bit %u: Status 0x%x", bits[k], rd(VIO_STATUS));
        }
        wr(VIO_STATUS, 0);
        wr(VIO_STATUS, VIO_S_ACKNOWLEDGE);
        wr(VIO_STATUS, drv);
        wr(VIO_DRIVER_FEATURES_SEL, 2);
        wr(VIO_DRIVER_FEATURES, 1);
        wr(VIO_STATUS, drv | VIO_S_FEATURES_OK);
        EXPECT(rd(VIO_STATUS) == drv, "feature word 2: Status 0x%x", rd(VIO_STATUS));
        return recover();
}

int hostile_features_after_driver_ok(void)
{
        TRY(start());
        if (legacy()) {
                wr(VIO_DRIVER_FEATURES_SEL, 0);
                wr(VIO_DRIVER_FEATURES, 0);
        } else {
                TRY(begin(feats()));
                wr(VIO_DRIVER_FEATURES_SEL, 0);
                wr(VIO_DRIVER_FEATURES, 0);
                wr(VIO_DRIVER_FEATURES_SEL, 1);
                wr(VIO_DRIVER_FEATURES, 0);
                queue_here();
                driver_ok();
                wr(VIO_DRIVER_FEATURES_SEL, 0);
                wr(VIO_DRIVER_FEATURES, 0);
        }
        TRY(check_live());
        itable(table, KNOWN);
        stat[0] = 0xff;
        desc(0, gpa_of(table), 48, I, 0);
        send(0);
        TRY(check_done(0, TD_SECTOR + 1, stat, VBLK_S_OK));
        TRY(check_sector(data, KNOWN));
        return recover();
}

static void wr8(uint32_t off, uint8_t v)
{
        barrier();
        *(volatile uint8_t *)(uintptr_t)(dev.base + off) = v;
}

static void wr16(uint32_t off, uint16_t v)
{
        barrier();
        *(volatile uint16_t *)(uintptr_t)(dev.base + off) = v;
}

static void wr32(uint32_t off, uint32_t v)
{
        barrier();
        *(volatile uint32_t *)(uintptr_t)(dev.base + off) = v;
}

static void wr64(uint32_t off, uint64_t v)
{
        barrier();
        *(volatile uint64_t *)(uintptr_t)(dev.base + off) = v;
}

static uint64_t rdn(uint32_t off, unsigned len)
{
        uintptr_t a = (uintptr_t)(dev.base + off);

        barrier();
        switch (len) {
        case 1:
                return *(volatile uint8_t *)a;
        case 2:
                return *(volatile uint16_t *)a;
        case 4:
                return *(volatile uint32_t *)a;
        default:
                return *(volatile uint64_t *)a;
        }
}

int hostile_reg_bad_width(void)
{
        static const struct {
                uint32_t off, len;
        } reads[] = {{VIO_MAGIC_VALUE, 1},
                     {VIO_MAGIC_VALUE, 2},
                     {VIO_MAGIC_VALUE + 2, 4},
                     {VIO_MAGIC_VALUE, 8},
                     {VIO_STATUS, 2}};

        TRY(start());
        memset(data, FILL, TD_SECTOR);
        req3(0, VBLK_T_IN, KNOWN, gpa_of(data), TD_SECTOR, W);
        publish(0);
        wr8(VIO_STATUS, 0);
        wr16(VIO_STATUS, 0);
        wr32(VIO_STATUS + 1, 0);
        wr64(VIO_STATUS, 0);
        wr8(VIO_QUEUE_NOTIFY, 0);
        wr16(VIO_QUEUE_NOTIFY, 0);
        wr32(VIO_QUEUE_NOTIFY + 2, 0);
        for (unsigned k = 0; k < 5; k++) {
                uint64_t v = rdn(reads[k].off, reads[k].len);

                EXPECT(v == 0, "%u-byte read at 0x%x: 0x%lx, want 0", reads[k].len, reads[k].off,
                       v);
        }
        TRY(check_live());
        TRY(check_untouched());
        TRY(check_fill(data, TD_SECTOR, "data"));
        kick();
        TRY(check_done(0, TD_SECTOR + 1, stat, VBLK_S_OK));
        TRY(check_sector(data, KNOWN));
        return recover();
}

int hostile_readonly_regs_written(void)
{
        static const uint32_t regs[] = {
            VIO_MAGIC_VALUE,     VIO_VERSION,       VIO_DEVICE_ID,        VIO_VENDOR_ID,
            VIO_DEVICE_FEATURES, VIO_QUEUE_NUM_MAX, VIO_INTERRUPT_STATUS, VIO_CONFIG_GENERATION,
        };
        uint32_t before[8];

        TRY(start());
        wr(VIO_DEVICE_FEATURES_SEL, 0);
        wr(VIO_QUEUE_SEL, 0);
        for (unsigned k = 0; k < 8; k++)
                before[k] = rd(regs[k]);
        EXPECT(before[0] == VIO_MAGIC && before[2] == VIO_ID_BLOCK && before[5] == QN &&
                   before[6] == 0,
               "registers before: magic 0x%x, id %u, QueueNumMax %u, InterruptStatus 0x%x",
               before[0], before[2], before[5], before[6]);
        for (unsigned k = 0; k < 8; k++)
                wr(regs[k], k == 6 ? 0xffffffffu : 0);
        for (unsigned k = 0; k < 8; k++)
                EXPECT(rd(regs[k]) == before[k], "register 0x%x: 0x%x after a write, was 0x%x",
                       regs[k], rd(regs[k]), before[k]);
        TRY(check_live());
        TRY(check_untouched());
        return recover();
}

int hostile_config_edge(void)
{
        static const struct {
                uint32_t off, len;
                uint64_t want; /* ~0: the capacity */
        } reads[] = {
            {0x100 + 0x23, 4, 0},   {0x100 + 0x20, 8, 0},
            {0x100 + 0x24, 1, 0},   {0xfff, 1, 0},
            {0xffc, 4, 0},          {0x100 + 0x23, 1, 0},
            {0x100 + 0x14, 4, 512}, {0x100 + 0x0c, 4, QN - 2},
            {0x100, 8, ~0ULL},
        };

        TRY(start());
        for (unsigned k = 0; k < sizeof(reads) / sizeof(reads[0]); k++) {
                uint64_t want = reads[k].want == ~0ULL ? capacity() : reads[k].want;
                uint64_t v = rdn(reads[k].off, reads[k].len);

                EXPECT(v == want, "%u-byte config read at 0x%x: 0x%lx, want 0x%lx", reads[k].len,
                       reads[k].off, v, want);
        }
        wr64(0x100, 0);
        wr32(0x100 + 0x14, 4096);
        wr32(0x100 + 0x23, 0xffffffffu);
        EXPECT(rdn(0x100, 8) == capacity(), "capacity 0x%lx after a write", rdn(0x100, 8));
        EXPECT(rdn(0x114, 4) == 512, "blk_size 0x%lx after a write", rdn(0x114, 4));
        TRY(check_live());
        TRY(check_untouched());
        return recover();
}

int hostile_queue_sel_out_of_range(void)
{
        static const uint32_t sels[] = {1, 0xffff, 0xffffffffu};
        uint64_t b = gpa_of(ring_b);

        TRY(start());
        TRY(begin(feats()));
        for (unsigned k = 0; k < 3; k++) {
                wr(VIO_QUEUE_SEL, sels[k]);
                EXPECT(rd(VIO_QUEUE_NUM_MAX) == 0, "QueueSel 0x%x: QueueNumMax %u", sels[k],
                       rd(VIO_QUEUE_NUM_MAX));
                wr(VIO_QUEUE_NUM, 8);
                if (legacy()) {
                        wr(VIO_QUEUE_PFN, (uint32_t)(b / PAGE));
                        EXPECT(rd(VIO_QUEUE_PFN) == 0, "QueueSel 0x%x: PFN kept", sels[k]);
                } else {
                        wr(VIO_QUEUE_DESC_LOW, (uint32_t)b);
                        wr(VIO_QUEUE_READY, 1);
                        EXPECT(rd(VIO_QUEUE_READY) == 0, "QueueSel 0x%x: ready", sels[k]);
                }
        }
        TRY(check_untouched());
        wr(VIO_QUEUE_SEL, 0);
        EXPECT(rd(VIO_QUEUE_NUM_MAX) == QN, "queue 0: QueueNumMax %u", rd(VIO_QUEUE_NUM_MAX));
        EXPECT(queue_on() == 0, "queue 0 on before its set-up");
        queue_here();
        driver_ok();
        TRY(check_live());
        TRY(valid_read(0, KNOWN, data));
        return recover();
}

int hostile_queue_notify_out_of_range(void)
{
        static const uint32_t qs[] = {1, 0xffff, 0x10000, 0xffffffffu};

        TRY(start());
        memset(data, FILL, TD_SECTOR);
        req3(0, VBLK_T_IN, KNOWN, gpa_of(data), TD_SECTOR, W);
        publish(0);
        for (unsigned k = 0; k < 4; k++)
                wr(VIO_QUEUE_NOTIFY, qs[k]);
        TRY(check_untouched());
        TRY(check_live());
        TRY(check_fill(data, TD_SECTOR, "data"));
        kick();
        TRY(check_done(0, TD_SECTOR + 1, stat, VBLK_S_OK));
        TRY(check_sector(data, KNOWN));
        return recover();
}

int hostile_notify_before_driver_ok(void)
{
        TRY(start());
        TRY(begin(feats()));
        queue_here();
        memset(data, FILL, TD_SECTOR);
        req3(0, VBLK_T_IN, KNOWN, gpa_of(data), TD_SECTOR, W);
        send(0);
        if (legacy()) {
                /* M4: a legacy queue is live once it has a PFN. */
                TRY(check_next_used(0, TD_SECTOR + 1));
                driver_ok();
                kick();
                TRY(check_untouched());
        } else {
                TRY(check_untouched());
                TRY(check_fill(data, TD_SECTOR, "data"));
                driver_ok();
                kick();
                TRY(check_done(0, TD_SECTOR + 1, stat, VBLK_S_OK));
        }
        TRY(check_sector(data, KNOWN));
        return recover();
}

int hostile_stale_chains_after_reset(void)
{
        const uint32_t drv = VIO_S_ACKNOWLEDGE | VIO_S_DRIVER;

        TRY(start());
        memset(data, FILL, TD_SECTOR);
        req3(0, VBLK_T_IN, KNOWN, gpa_of(data), TD_SECTOR, W);
        publish(0);
        wr(VIO_STATUS, 0);
        kick();
        TRY(check_untouched());
        wr(VIO_STATUS, VIO_S_ACKNOWLEDGE);
        wr(VIO_STATUS, drv);
        if (legacy()) {
                wr(VIO_QUEUE_PFN, 0);
                driver_ok();
                kick();
                TRY(check_untouched());
        } else {
                wr(VIO_DRIVER_FEATURES_SEL, 1);
                wr(VIO_DRIVER_FEATURES, 1); /* VERSION_1 */
                wr(VIO_STATUS, drv | VIO_S_FEATURES_OK);
                wr(VIO_QUEUE_SEL, 0);
                wr(VIO_QUEUE_READY, 1); /* no addresses: all 0 */
                EXPECT(queue_on() == 0, "a queue at address 0 went on");
                TRY(check_needs_reset(false));
                driver_ok();
                kick();
                TRY(check_needs_reset(false));
        }
        TRY(check_fill(data, TD_SECTOR, "data"));
        return recover();
}

int hostile_status_failed_stops_queue(void)
{
        TRY(start());
        memset(data, FILL, TD_SECTOR);
        req3(0, VBLK_T_IN, KNOWN, gpa_of(data), TD_SECTOR, W);
        publish(0);
        wr(VIO_STATUS, live_status() | VIO_S_FAILED);
        EXPECT(rd(VIO_STATUS) == (live_status() | VIO_S_FAILED), "Status 0x%x", rd(VIO_STATUS));
        kick();
        TRY(check_untouched());
        TRY(check_fill(data, TD_SECTOR, "data"));
        return recover();
}
