/*
 * test_hostile_virtio: a hostile driver against virtio-blk over virtio-mmio
 * (devices/virtio_mmio.h, virtq.h, virtio_blk.h). Each case comes from
 * docs/virtio-rules.md (rules M, Q, B and its section "Past bugs in
 * other VMMs"); docs/security.md lists them with their expected outcomes and
 * guest/hostile/ runs the same cases, under the same names, under KVM.
 *
 * Every case runs three times: on a version 2 and on a legacy (version 1)
 * transport over a synchronous disk, and on version 2 over an io_uring disk
 * (requests batched per notify), each over a temp image laid out as
 * tools/testdisk.h says. It
 * asserts the exact outcome (used element, status byte, DEVICE_NEEDS_RESET,
 * ignored write), snapshots all of fake guest RAM before the kick and checks
 * afterwards that no byte outside the places the device may write changed,
 * then resets the device, initializes it again and reads a known sector
 * (recover). The image must be byte-identical at the end of every case.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/disk.h"
#include "devices/trace.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_mmio.h"
#include "testimage.h"
#include "tools/testdisk.h"
#include "vfake.h"

#define RING     0x1000ULL  /* desc 0x1000, avail 0x2000, used 0x3000 (256 entries) */
#define RING2    0x10000ULL /* where a hostile driver moves the queue */
#define TABLE    0x6000ULL  /* indirect tables, up to 257 entries */
#define TABLE2   0x8000ULL
#define HDR      0x9000ULL /* request headers */
#define STAT     0xa000ULL /* status bytes (a 4 KiB status buffer fits) */
#define DATA     0x20000ULL
#define DATA2    0x60000ULL
#define QN       256u
#define SECTORS  256u /* image size, as hostile.sh makes it */
#define KNOWN    5u   /* the sector every recovery reads */
#define BIG_GPA  0x200000000ULL
#define BIG_SIZE 0x1100000ULL /* 17 MiB: 241 of them pass 4 GiB */
#define SVIRTB   0xcafe0000ULL
#define LAPIC    0xfee00000ULL
#define HOLE     0xc0000000ULL

#define R 0
#define W VRING_DESC_F_WRITE
#define N VRING_DESC_F_NEXT
#define I VRING_DESC_F_INDIRECT

static const uint64_t FEATS = VIRTIO_FEAT_VERSION_1 | VIRTIO_FEAT_INDIRECT_DESC |
                              VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) | VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) |
                              VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX);
static const char SERIAL[] = "hostile-serial";

static bool legacy;       /* the group being run */
static bool uring;        /* ... on an io_uring disk */
static bool uring_failed; /* the kernel refused io_uring: synchronous instead */

struct fx {
        struct vfake f;
        struct disk disk;
        struct vblk b;
        struct vmmio t;
        struct vf_ring r;
        char path[4096]; /* in ti_tmpdir() */
        uint8_t *snap_ram, *snap_b, *snap_high;
        uint16_t seen;    /* used elements the test has checked */
        char trace[8192]; /* the device's --trace lines of the last kick */
};

/* Byte ranges of guest RAM the device may change in one step. */
#define MAX_SPANS 24
struct allow {
        struct {
                uint64_t gpa, len;
        } s[MAX_SPANS];
        unsigned n;
};

/* --- the image ----------------------------------------------------------- */

/* The image still holds its original bytes. */
static void assert_image_pristine(struct fx *x)
{
        ti_assert_pristine(x->disk.fd, SECTORS); /* the file itself was unlinked at setup */
}

/* Guest RAM at gpa holds sectors from s on (n bytes). */
static void assert_ram_is_sector(struct fx *x, uint64_t gpa, uint64_t s, uint64_t n)
{
        ti_assert_sectors(vf_ptr(&x->f, gpa, n), gpa, SECTORS, s, n);
}

/* --- canary: nothing outside the allowed spans changes -------------------- */

static void snap(struct fx *x)
{
        memcpy(x->snap_ram, x->f.ram, VF_RAM_SIZE);
        memcpy(x->snap_b, x->f.b, VF_B_SIZE);
        memcpy(x->snap_high, x->f.high, VF_HIGH_SIZE);
}

static void allow(struct allow *a, uint64_t gpa, uint64_t len)
{
        assert_true(a->n < MAX_SPANS);
        a->s[a->n].gpa = gpa;
        a->s[a->n].len = len;
        a->n++;
}

static bool allowed(const struct allow *a, uint64_t gpa)
{
        for (unsigned i = 0; a != NULL && i < a->n; i++)
                if (gpa >= a->s[i].gpa && gpa - a->s[i].gpa < a->s[i].len)
                        return true;
        return false;
}

static void check_region(const struct allow *a, uint64_t base, const uint8_t *now,
                         const uint8_t *before, uint64_t size)
{
        for (uint64_t i = 0; i < size; i++)
                if (now[i] != before[i] && !allowed(a, base + i))
                        fail_msg("guest RAM 0x%llx changed: 0x%02x -> 0x%02x",
                                 (unsigned long long)(base + i), before[i], now[i]);
}

/* Every byte of fake RAM is as snap() saw it, except inside a's spans. */
static void assert_canary(struct fx *x, const struct allow *a)
{
        check_region(a, VF_RAM_GPA, x->f.ram, x->snap_ram, VF_RAM_SIZE);
        check_region(a, VF_B_GPA, x->f.b, x->snap_b, VF_B_SIZE);
        check_region(a, VF_HIGH_GPA, x->f.high, x->snap_high, VF_HIGH_SIZE);
}

/* The used index and the next count used elements of the ring. */
static void allow_used(struct fx *x, struct allow *a, unsigned count)
{
        allow(a, x->r.used + 2, 2);
        for (unsigned k = 0; k < count; k++)
                allow(a, x->r.used + 4 + 8ULL * ((x->seen + k) % x->r.num), 8);
}

/* --- the device, driven like a (hostile) driver --------------------------- */

static uint32_t st(struct fx *x)
{
        return vf_rd(&x->t, VIRTIO_MMIO_STATUS);
}

static uint32_t live_status(void)
{
        return legacy ? (VF_DRV | VIRTIO_STATUS_DRIVER_OK) : VF_DRIVER_OK;
}

static uint64_t feats(void)
{
        return legacy ? FEATS & ~VIRTIO_FEAT_VERSION_1 : FEATS;
}

/* Reset, then the whole init with queue 0 at RING and features f. */
static void init_with(struct fx *x, uint64_t f)
{
        vf_ring_at(&x->f, &x->r, RING, QN, 4096);
        x->seen = 0;
        if (legacy)
                vf_v1_init(&x->t, &x->r, f & ~VIRTIO_FEAT_VERSION_1);
        else
                vf_v2_init(&x->t, &x->r, f);
        assert_int_equal(st(x), live_status());
}

/* Up to FEATURES_OK (v2) or DRIVER with features written (v1). */
static void begin(struct fx *x, uint64_t f)
{
        vf_ring_at(&x->f, &x->r, RING, QN, 4096);
        x->seen = 0;
        if (legacy) {
                vf_wr(&x->t, VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096);
                vf_wr(&x->t, VIRTIO_MMIO_STATUS, 0);
                vf_wr(&x->t, VIRTIO_MMIO_STATUS, VF_ACK);
                vf_wr(&x->t, VIRTIO_MMIO_STATUS, VF_DRV);
                vf_wr(&x->t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
                vf_wr(&x->t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
                assert_int_equal(st(x), VF_DRV);
        } else {
                assert_int_equal(vf_v2_negotiate(&x->t, f), VF_FEAT_OK);
        }
}

/* Queue 0 with QueueNum num and the three areas (v2), or QueuePFN pfn (v1). */
static void queue_v2(struct fx *x, uint32_t num, uint64_t desc, uint64_t avail, uint64_t used)
{
        vf_wr(&x->t, VIRTIO_MMIO_QUEUE_SEL, 0);
        vf_wr(&x->t, VIRTIO_MMIO_QUEUE_NUM, num);
        vf_wr(&x->t, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
        vf_wr(&x->t, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
        vf_wr(&x->t, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)avail);
        vf_wr(&x->t, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(avail >> 32));
        vf_wr(&x->t, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used);
        vf_wr(&x->t, VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(used >> 32));
        vf_wr(&x->t, VIRTIO_MMIO_QUEUE_READY, 1);
}

static void queue_v1(struct fx *x, uint32_t num, uint32_t pfn)
{
        vf_wr(&x->t, VIRTIO_MMIO_QUEUE_SEL, 0);
        vf_wr(&x->t, VIRTIO_MMIO_QUEUE_NUM, num);
        vf_wr(&x->t, VIRTIO_MMIO_QUEUE_ALIGN, 4096);
        vf_wr(&x->t, VIRTIO_MMIO_QUEUE_PFN, pfn);
}

/* QueueReady (v2) or QueuePFN (v1) of queue 0: 0 when the queue is off. */
static uint32_t queue_on(struct fx *x)
{
        vf_wr(&x->t, VIRTIO_MMIO_QUEUE_SEL, 0);
        return vf_rd(&x->t, legacy ? VIRTIO_MMIO_QUEUE_PFN : VIRTIO_MMIO_QUEUE_READY);
}

static void driver_ok(struct fx *x)
{
        vf_wr(&x->t, VIRTIO_MMIO_STATUS, live_status());
}

static void put_hdr(struct fx *x, uint64_t gpa, uint32_t type, uint64_t sector)
{
        vf_put(&x->f, gpa, type, 4);
        vf_put(&x->f, gpa + 4, 0, 4);
        vf_put(&x->f, gpa + 8, sector, 8);
}

static void desc(struct fx *x, uint32_t i, uint64_t addr, uint32_t len, uint16_t flags,
                 uint16_t next)
{
        vf_desc(&x->f, x->r.desc, i, addr, len, flags, next);
}

/* A three-descriptor request at head..head+2: header, data, status. */
static void req3(struct fx *x, uint16_t head, uint32_t type, uint64_t sector, uint64_t data,
                 uint32_t len, uint16_t dflags)
{
        put_hdr(x, HDR, type, sector);
        desc(x, head, HDR, 16, R | N, (uint16_t)(head + 1));
        desc(x, head + 1u, data, len, (uint16_t)(dflags | N), (uint16_t)(head + 2));
        desc(x, head + 2u, STAT, 1, W, 0);
}

static void kick_fn(void *arg)
{
        struct fx *x = arg;

        vf_kick(&x->t, 0);
}

/* Kicks queue 0, keeping the device's trace of what it did. */
static void kick(struct fx *x)
{
        vf_capture_trace(x->trace, sizeof(x->trace), kick_fn, x);
}

/* Publishes head, snapshots RAM and kicks. */
static void send(struct fx *x, uint16_t head)
{
        vf_publish(&x->f, &x->r, head);
        snap(x);
        kick(x);
}

/* A failed check on a request quotes the device's trace line for it (a
 * stub's says "not implemented (TODO(lab))"). */
static void print_request_trace(struct fx *x)
{
        const char *line = strstr(x->trace, "virtio-blk: ");

        if (line != NULL)
                print_error("the device's trace: %.*s\n", (int)strcspn(line, "\n"), line);
}

/* The next used element is {head, len}; the device is still live. A wrong
 * one is reported at the caller's line, with the device's trace line. */
#define assert_next_used(x, head, len) next_used_at(x, head, len, __FILE__, __LINE__)
static void next_used_at(struct fx *x, uint16_t head, uint32_t len, const char *file, int line)
{
        uint32_t got_id = 0, got_len = 0;
        bool there = vf_used_idx(&x->f, &x->r) != x->seen;

        if (there)
                vf_used_elem(&x->f, &x->r, x->seen, &got_id, &got_len);
        if (!there || got_id != head || got_len != len) {
                print_error(
                    "ERROR: used ring entry %u is %s{id %u, len %u}, want {id %u, len %u}\n",
                    x->seen, there ? "" : "missing, not ", got_id, got_len, head, len);
                print_request_trace(x);
                _fail(file, line);
        }
        x->seen++;
}

static void assert_used_count(struct fx *x, uint16_t n)
{
        assert_int_equal(vf_used_idx(&x->f, &x->r), n);
}

static void assert_live(struct fx *x)
{
        assert_int_equal(st(x), live_status());
}

/* Q11: the chain came back with used.len 0, the queue goes on, and the
 * device wrote nothing but the used element. */
static void assert_rejected(struct fx *x, uint16_t head)
{
        struct allow a = {.n = 0};

        allow_used(x, &a, 1);
        assert_used_count(x, (uint16_t)(x->seen + 1));
        assert_next_used(x, head, 0);
        assert_live(x);
        assert_canary(x, &a);
}

/* A completed request: {head, len}, status byte at stat, only the used
 * element, the status byte and [data, data + dlen) changed. A wrong answer
 * is reported at the caller's line, with the device's trace line. */
#define assert_completed(x, head, len, stat, status, data, dlen)                                   \
        completed_at(x, head, len, stat, status, data, dlen, __FILE__, __LINE__)
static void completed_at(struct fx *x, uint16_t head, uint32_t len, uint64_t stat, uint8_t status,
                         uint64_t data, uint64_t dlen, const char *file, int line)
{
        struct allow a = {.n = 0};
        uint32_t got_id = 0, got_len = 0;
        uint8_t got = *vf_ptr(&x->f, stat, 1);

        if (vf_used_idx(&x->f, &x->r) == (uint16_t)(x->seen + 1))
                vf_used_elem(&x->f, &x->r, x->seen, &got_id, &got_len);
        if (vf_used_idx(&x->f, &x->r) != (uint16_t)(x->seen + 1) || got_id != head ||
            got_len != len || got != status) {
                print_error("ERROR: request %u: status %u, used {id %u, len %u}; want status %u, "
                            "used {id %u, len %u}\n",
                            head, got, got_id, got_len, status, head, len);
                print_request_trace(x);
                _fail(file, line);
        }
        allow_used(x, &a, 1);
        allow(&a, stat, 1);
        allow(&a, data, dlen);
        assert_used_count(x, (uint16_t)(x->seen + 1));
        next_used_at(x, head, len, file, line);
        assert_int_equal(*vf_ptr(&x->f, stat, 1), status);
        assert_live(x);
        assert_canary(x, &a);
}

/*
 * A failed request with dlen writable data bytes at data: used.len counts
 * every writable byte and the data bytes read zero (§2.7.8.2: the device
 * wrote at least used.len bytes; nothing of the disk reaches the buffer).
 */
static void assert_failed(struct fx *x, uint16_t head, uint8_t status, uint64_t data, uint64_t dlen)
{
        assert_completed(x, head, (uint32_t)dlen + 1, STAT, status, data, dlen);
        for (uint64_t i = 0; i < dlen; i++)
                assert_int_equal(*vf_ptr(&x->f, data + i, 1), 0);
}

/* M7: DEVICE_NEEDS_RESET, nothing consumed, nothing written; the config
 * interrupt only once DRIVER_OK was set. */
static void assert_needs_reset(struct fx *x, bool driver_ok_set)
{
        uint32_t s = st(x);

        assert_true(s & VIRTIO_STATUS_NEEDS_RESET);
        assert_int_equal(vf_rd(&x->t, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG,
                         driver_ok_set ? VIRTIO_MMIO_INT_CONFIG : 0);
        assert_used_count(x, x->seen);
        assert_canary(x, NULL);
}

/* Nothing was processed and nothing written; no NEEDS_RESET either. */
static void assert_untouched(struct fx *x)
{
        assert_false(st(x) & VIRTIO_STATUS_NEEDS_RESET);
        assert_used_count(x, x->seen);
        assert_canary(x, NULL);
}

/* A valid read of sector s into data completes with the image's bytes. */
static void valid_read(struct fx *x, uint16_t head, uint64_t s, uint64_t data)
{
        req3(x, head, VIRTIO_BLK_T_IN, s, data, 512, W);
        memset(vf_ptr(&x->f, STAT, 1), 0xff, 1);
        send(x, head);
        assert_completed(x, head, 513, STAT, VIRTIO_BLK_S_OK, data, 512);
        assert_ram_is_sector(x, data, s, 512);
}

/* After every case: reset, a full init, a valid read; the image unchanged. */
static void recover(struct fx *x)
{
        vf_wr(&x->t, VIRTIO_MMIO_STATUS, 0);
        assert_int_equal(st(x), 0);
        assert_int_equal(vf_rd(&x->t, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
        init_with(x, feats());
        valid_read(x, 0, KNOWN, DATA);
        assert_image_pristine(x);
}

/* One access of len (1..16) bytes at off; a read returns its first (up to 4)
 * bytes, checks bytes 4..len-1 read 0 and that nothing past len was touched. */
static uint32_t raw(struct fx *x, uint64_t off, uint32_t len, bool is_write, uint64_t v)
{
        uint8_t d[17];
        uint32_t r = 0;

        assert_true(len >= 1 && len <= 16);
        memset(d, 0xee, sizeof(d));
        if (is_write)
                memcpy(d, &v, len < 8 ? len : 8);
        vmmio_access(&x->t, off, d, len, is_write);
        for (uint32_t i = len; i < sizeof(d); i++)
                assert_int_equal(d[i], 0xee);
        if (is_write)
                return 0;
        for (uint32_t i = 4; i < len; i++)
                assert_int_equal(d[i], 0);
        for (uint32_t i = 0; i < len && i < 4; i++)
                r |= (uint32_t)d[i] << (8 * i);
        return r;
}

/* --- fixture -------------------------------------------------------------- */

static int setup(void **state)
{
        struct fx *x = calloc(1, sizeof(*x));
        char err[256];

        if (x == NULL || vf_setup(&x->f) < 0 ||
            ti_make(x->path, sizeof(x->path), "hostile", SECTORS) < 0)
                return -1;
        x->snap_ram = malloc(VF_RAM_SIZE);
        x->snap_b = malloc(VF_B_SIZE);
        x->snap_high = malloc(VF_HIGH_SIZE);
        if (!x->snap_ram || !x->snap_b || !x->snap_high)
                return -1;
        if (disk_open(&x->disk, x->path, false, err, sizeof(err)) < 0)
                return -1;
        unlink(x->path); /* nothing left behind, even if the test is killed */
        if (uring && !uring_failed && disk_use_uring(&x->disk, 64) < 0) {
                uring_failed = true;
                fprintf(stderr, "io_uring refused by the kernel: the group runs synchronously\n");
        }
        trace_enabled = ti_trace_wanted(); /* lab/grade reruns a failure with it on */
        if (vblk_init(&x->b, &x->disk, SERIAL) < 0)
                return -1;
        vmmio_init(&x->t, &x->f.gm, &vblk_ops, &x->b, legacy, vf_set_irq, &x->f);
        *state = x;
        init_with(x, feats());
        return 0;
}

static int teardown(void **state)
{
        struct fx *x = *state;

        disk_close(&x->disk);
        unlink(x->path);
        vf_teardown(&x->f);
        free(x->snap_ram);
        free(x->snap_b);
        free(x->snap_high);
        free(x);
        return 0;
}

/* === chains (Q5-Q7) ======================================================= */

/* A descriptor whose next is itself, then two pointing at each other. */
static void hostile_chain_loop(void **state)
{
        struct fx *x = *state;

        put_hdr(x, HDR, VIRTIO_BLK_T_IN, KNOWN);
        desc(x, 0, HDR, 16, R | N, 0);
        send(x, 0);
        assert_rejected(x, 0);
        desc(x, 1, HDR, 16, R | N, 2);
        desc(x, 2, HDR, 16, R | N, 1);
        send(x, 1);
        assert_rejected(x, 1);
        recover(x);
}

/* All N descriptors in one cycle: lengths valid, then 0xffffffff each. */
static void hostile_chain_ring_loop_huge_len(void **state)
{
        struct fx *x = *state;

        put_hdr(x, HDR, VIRTIO_BLK_T_IN, KNOWN);
        for (uint32_t i = 0; i < QN; i++)
                desc(x, i, HDR, 16, R | N, (uint16_t)((i + 1) % QN));
        send(x, 7);
        assert_rejected(x, 7);
        for (uint32_t i = 0; i < QN; i++)
                desc(x, i, DATA, 0xffffffffu, W | N, (uint16_t)((i + 1) % QN));
        send(x, 0);
        assert_rejected(x, 0);
        recover(x);
}

static void hostile_next_out_of_range(void **state)
{
        struct fx *x = *state;

        put_hdr(x, HDR, VIRTIO_BLK_T_IN, KNOWN);
        desc(x, 0, HDR, 16, R | N, QN);
        send(x, 0);
        assert_rejected(x, 0);
        desc(x, 1, HDR, 16, R | N, 0xffff);
        send(x, 1);
        assert_rejected(x, 1);
        recover(x);
}

/* A zero-length data descriptor, then a zero-length status descriptor. */
static void hostile_zero_len_desc(void **state)
{
        struct fx *x = *state;

        req3(x, 0, VIRTIO_BLK_T_IN, KNOWN, DATA, 0, W);
        send(x, 0);
        assert_rejected(x, 0);
        req3(x, 3, VIRTIO_BLK_T_IN, KNOWN, DATA, 512, W);
        desc(x, 5, STAT, 0, W, 0);
        send(x, 3);
        assert_rejected(x, 3);
        recover(x);
}

/* CVE-2016-7422: a huge length near the end of RAM; an address that wraps. */
static void hostile_huge_len_near_ram_end(void **state)
{
        struct fx *x = *state;

        req3(x, 0, VIRTIO_BLK_T_IN, KNOWN, VF_RAM_END - 16, 0xffffffffu, W);
        send(x, 0);
        assert_rejected(x, 0);
        req3(x, 3, VIRTIO_BLK_T_IN, KNOWN, 0xfffffffffffff000ULL, 0x2000, W);
        send(x, 3);
        assert_rejected(x, 3);
        recover(x);
}

/* Q6: a buffer ending exactly at the end of RAM is valid. */
static void hostile_buf_at_ram_end(void **state)
{
        struct fx *x = *state;

        valid_read(x, 0, KNOWN, VF_RAM_END - 512);
        valid_read(x, 3, KNOWN + 1, VF_HIGH_GPA + VF_HIGH_SIZE - 512);
        recover(x);
}

/* Q6: one byte further is not, and nothing of it is written. */
static void hostile_buf_past_ram_end(void **state)
{
        struct fx *x = *state;

        req3(x, 0, VIRTIO_BLK_T_IN, KNOWN, VF_RAM_END - 511, 512, W);
        send(x, 0);
        assert_rejected(x, 0);
        req3(x, 3, VIRTIO_BLK_T_IN, KNOWN, VF_HIGH_GPA + VF_HIGH_SIZE - 511, 512, W);
        send(x, 3);
        assert_rejected(x, 3);
        recover(x);
}

/* CVE-2021-3748: buffers in the MMIO hole (its start, the LAPIC page). */
static void hostile_buf_in_mmio_hole(void **state)
{
        struct fx *x = *state;

        req3(x, 0, VIRTIO_BLK_T_IN, KNOWN, HOLE, 512, W);
        send(x, 0);
        assert_rejected(x, 0);
        req3(x, 3, VIRTIO_BLK_T_IN, KNOWN, LAPIC, 512, W);
        send(x, 3);
        assert_rejected(x, 3);
        recover(x);
}

/* CVE-2024-3446: the data buffer on the device's own registers, then the
 * status byte on its Status register: refused, no re-entry, Status kept. */
static void hostile_buf_at_own_registers(void **state)
{
        struct fx *x = *state;

        req3(x, 0, VIRTIO_BLK_T_IN, KNOWN, VF_MMIO_GPA, 512, W);
        send(x, 0);
        assert_rejected(x, 0);
        put_hdr(x, HDR, VIRTIO_BLK_T_FLUSH, 0);
        desc(x, 3, HDR, 16, R | N, 4);
        desc(x, 4, VF_MMIO_GPA + VIRTIO_MMIO_STATUS, 1, W, 0);
        send(x, 3);
        assert_rejected(x, 3);
        recover(x);
}

/* A READ aimed at svirtb's register page. */
static void hostile_buf_at_svirtb_page(void **state)
{
        struct fx *x = *state;

        req3(x, 0, VIRTIO_BLK_T_IN, KNOWN, SVIRTB, 512, W);
        send(x, 0);
        assert_rejected(x, 0);
        recover(x);
}

/* Q7: the status byte in a readable descriptor after a writable one. */
static void hostile_readable_after_writable(void **state)
{
        struct fx *x = *state;

        req3(x, 0, VIRTIO_BLK_T_IN, KNOWN, DATA, 512, W);
        desc(x, 2, STAT, 1, R, 0);
        send(x, 0);
        assert_rejected(x, 0);
        recover(x);
}

/* B2: no writable byte at all: FLUSH with a header only, OUT without status
 * (whose data must then not reach the image). */
static void hostile_status_missing(void **state)
{
        struct fx *x = *state;

        put_hdr(x, HDR, VIRTIO_BLK_T_FLUSH, 0);
        desc(x, 0, HDR, 16, R, 0);
        send(x, 0);
        assert_rejected(x, 0);
        memset(vf_ptr(&x->f, DATA, 512), 0x33, 512);
        put_hdr(x, HDR, VIRTIO_BLK_T_OUT, KNOWN);
        desc(x, 1, HDR, 16, R | N, 2);
        desc(x, 2, DATA, 512, R, 0);
        send(x, 1);
        assert_rejected(x, 1);
        assert_image_pristine(x);
        recover(x);
}

/*
 * OpenBSD vmd: a 4 KiB status buffer: IOERR in its last byte, zeros before it
 * and in the data (used.len is every writable byte, §2.7.8.2).
 */
static void hostile_status_oversized(void **state)
{
        struct fx *x = *state;
        struct allow a = {.n = 0};

        req3(x, 0, VIRTIO_BLK_T_IN, KNOWN, DATA, 512, W);
        desc(x, 2, STAT, 4096, W, 0);
        send(x, 0);
        allow_used(x, &a, 1);
        allow(&a, STAT, 4096);
        allow(&a, DATA, 512);
        assert_used_count(x, (uint16_t)(x->seen + 1));
        assert_next_used(x, 0, 512 + 4096);
        assert_int_equal(*vf_ptr(&x->f, STAT + 4095, 1), VIRTIO_BLK_S_IOERR);
        for (unsigned i = 0; i < 4095; i++)
                assert_int_equal(*vf_ptr(&x->f, STAT + i, 1), 0);
        assert_live(x);
        assert_canary(x, &a);
        recover(x);
}

/* B1: the header in three pieces (1 + 7 + 8 bytes) still works. */
static void hostile_header_split(void **state)
{
        struct fx *x = *state;

        put_hdr(x, HDR + 0x100, VIRTIO_BLK_T_IN, KNOWN);
        memcpy(vf_ptr(&x->f, HDR, 1), vf_ptr(&x->f, HDR + 0x100, 1), 1);
        memcpy(vf_ptr(&x->f, HDR + 0x40, 7), vf_ptr(&x->f, HDR + 0x101, 7), 7);
        memcpy(vf_ptr(&x->f, HDR + 0x80, 8), vf_ptr(&x->f, HDR + 0x108, 8), 8);
        desc(x, 0, HDR, 1, R | N, 1);
        desc(x, 1, HDR + 0x40, 7, R | N, 2);
        desc(x, 2, HDR + 0x80, 8, R | N, 3);
        desc(x, 3, DATA, 512, W | N, 4);
        desc(x, 4, STAT, 1, W, 0);
        send(x, 0);
        assert_completed(x, 0, 513, STAT, VIRTIO_BLK_S_OK, DATA, 512);
        assert_ram_is_sector(x, DATA, KNOWN, 512);
        recover(x);
}

/* B1: 8 header bytes, then 15 with data: IOERR, data untouched. */
static void hostile_header_short(void **state)
{
        struct fx *x = *state;

        put_hdr(x, HDR, VIRTIO_BLK_T_IN, KNOWN);
        desc(x, 0, HDR, 8, R | N, 1);
        desc(x, 1, STAT, 1, W, 0);
        send(x, 0);
        assert_completed(x, 0, 1, STAT, VIRTIO_BLK_S_IOERR, 0, 0);
        req3(x, 2, VIRTIO_BLK_T_IN, KNOWN, DATA, 512, W);
        desc(x, 2, HDR, 15, R | N, 3);
        send(x, 2);
        assert_failed(x, 2, VIRTIO_BLK_S_IOERR, DATA, 512);
        recover(x);
}

/* OpenBSD vmd: a 4 KiB header descriptor: readable data for an IN, IOERR. */
static void hostile_header_oversized(void **state)
{
        struct fx *x = *state;

        req3(x, 0, VIRTIO_BLK_T_IN, KNOWN, DATA, 512, W);
        desc(x, 0, HDR, 4096, R | N, 1);
        send(x, 0);
        assert_failed(x, 0, VIRTIO_BLK_S_IOERR, DATA, 512);
        recover(x);
}

/* B3: 100 and 513 data bytes. */
static void hostile_data_not_sector_multiple(void **state)
{
        struct fx *x = *state;

        req3(x, 0, VIRTIO_BLK_T_IN, KNOWN, DATA, 100, W);
        send(x, 0);
        assert_failed(x, 0, VIRTIO_BLK_S_IOERR, DATA, 100);
        req3(x, 3, VIRTIO_BLK_T_IN, KNOWN, DATA, 513, W);
        send(x, 3);
        assert_failed(x, 3, VIRTIO_BLK_S_IOERR, DATA, 513);
        recover(x);
}

/* B3: sectors whose byte offset overflows 64 bits. */
static void hostile_sector_overflow(void **state)
{
        static const uint64_t sectors[] = {UINT64_MAX, 1ULL << 55, 1ULL << 63,
                                           UINT64_MAX / 512 + 1};
        struct fx *x = *state;

        for (unsigned k = 0; k < sizeof(sectors) / sizeof(sectors[0]); k++) {
                uint16_t head = (uint16_t)(3 * k);

                req3(x, head, VIRTIO_BLK_T_IN, sectors[k], DATA, 512, W);
                send(x, head);
                assert_failed(x, head, VIRTIO_BLK_S_IOERR, DATA, 512);
        }
        recover(x);
}

/* B3: two sectors at the last one, one at the capacity; the last one alone reads. */
static void hostile_sector_range_past_end(void **state)
{
        struct fx *x = *state;

        req3(x, 0, VIRTIO_BLK_T_IN, SECTORS - 1, DATA, 1024, W);
        send(x, 0);
        assert_failed(x, 0, VIRTIO_BLK_S_IOERR, DATA, 1024);
        req3(x, 3, VIRTIO_BLK_T_IN, SECTORS, DATA, 512, W);
        send(x, 3);
        assert_failed(x, 3, VIRTIO_BLK_S_IOERR, DATA, 512);
        valid_read(x, 6, SECTORS - 1, DATA);
        recover(x);
}

/* CVE-2023-3180: an IN larger than the disk copies nothing of it (zeros). */
static void hostile_in_larger_than_disk(void **state)
{
        struct fx *x = *state;

        req3(x, 0, VIRTIO_BLK_T_IN, 0, DATA, (SECTORS + 1) * 512, W);
        send(x, 0);
        assert_failed(x, 0, VIRTIO_BLK_S_IOERR, DATA, (SECTORS + 1) * 512);
        recover(x);
}

/* B3: an OUT whose data is device-writable: IOERR, image unchanged, buffer zeroed. */
static void hostile_out_with_writable_data(void **state)
{
        struct fx *x = *state;

        memset(vf_ptr(&x->f, DATA, 512), 0x33, 512);
        req3(x, 0, VIRTIO_BLK_T_OUT, KNOWN, DATA, 512, W);
        send(x, 0);
        assert_failed(x, 0, VIRTIO_BLK_S_IOERR, DATA, 512);
        assert_image_pristine(x);
        recover(x);
}

/*
 * B6, CVE-2023-3180: GET_ID into 4 KiB writes 20 id bytes, then zeros to
 * the end of the buffer (used.len 4097, §2.7.8.2), nothing past it.
 */
static void hostile_get_id_huge_buffer(void **state)
{
        struct fx *x = *state;
        uint8_t want[4096] = {0};

        memcpy(want, SERIAL, sizeof(SERIAL) - 1);
        req3(x, 0, VIRTIO_BLK_T_GET_ID, 0, DATA, 4096, W);
        send(x, 0);
        assert_completed(x, 0, 4096 + 1, STAT, VIRTIO_BLK_S_OK, DATA, 4096);
        assert_memory_equal(vf_ptr(&x->f, DATA, 4096), want, 4096);
        recover(x);
}

/* B7, B8: unknown types and unoffered DISCARD / WRITE_ZEROES are UNSUPP. */
static void hostile_unknown_type(void **state)
{
        static const uint32_t types[] = {0xffffffffu, VIRTIO_BLK_T_DISCARD,
                                         VIRTIO_BLK_T_WRITE_ZEROES, 2};
        struct fx *x = *state;

        for (unsigned k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
                uint16_t head = (uint16_t)(3 * k);

                req3(x, head, types[k], KNOWN, DATA, 512, W);
                send(x, head);
                assert_failed(x, head, VIRTIO_BLK_S_UNSUPP, DATA, 512);
        }
        recover(x);
}

/* Firecracker: a chain claiming 4 GiB and more (254 x 17 MiB through one
 * indirect table) is refused, with nothing allocated or written. */
static void hostile_chain_4gib_total(void **state)
{
        struct fx *x = *state;
        uint8_t *big = malloc(BIG_SIZE);
        uint64_t t = TABLE;

        assert_non_null(big);
        memset(big, VF_FILL, BIG_SIZE);
        assert_int_equal(gmem_add(&x->f.gm, BIG_GPA, BIG_SIZE, big), 0);
        put_hdr(x, HDR, VIRTIO_BLK_T_IN, 0);
        vf_desc(&x->f, t, 0, HDR, 16, R | N, 1);
        for (uint32_t i = 1; i < 255; i++)
                vf_desc(&x->f, t, i, BIG_GPA, (uint32_t)BIG_SIZE, W | N, (uint16_t)(i + 1));
        vf_desc(&x->f, t, 255, STAT, 1, W, 0);
        desc(x, 0, t, 256 * 16, I, 0);
        send(x, 0);
        assert_rejected(x, 0);
        for (uint64_t i = 0; i < BIG_SIZE; i++)
                if (big[i] != VF_FILL)
                        fail_msg("big buffer byte 0x%llx written", (unsigned long long)i);
        x->f.gm.nregions--; /* forget the region before freeing it */
        free(big);
        recover(x);
}

/* === indirect tables (Q8) ================================================== */

/* A valid three-entry IN request in the indirect table at t. */
static void itable(struct fx *x, uint64_t t, uint64_t s)
{
        put_hdr(x, HDR, VIRTIO_BLK_T_IN, s);
        vf_desc(&x->f, t, 0, HDR, 16, R | N, 1);
        vf_desc(&x->f, t, 1, DATA, 512, W | N, 2);
        vf_desc(&x->f, t, 2, STAT, 1, W, 0);
}

static void hostile_indirect_nested(void **state)
{
        struct fx *x = *state;

        itable(x, TABLE2, KNOWN);
        vf_desc(&x->f, TABLE, 0, TABLE2, 48, I, 0);
        desc(x, 0, TABLE, 16, I, 0);
        send(x, 0);
        assert_rejected(x, 0);
        recover(x);
}

static void hostile_indirect_with_next(void **state)
{
        struct fx *x = *state;

        itable(x, TABLE, KNOWN);
        desc(x, 0, TABLE, 48, I | N, 1);
        desc(x, 1, STAT, 1, W, 0);
        send(x, 0);
        assert_rejected(x, 0);
        recover(x);
}

static void hostile_indirect_len_not_multiple(void **state)
{
        struct fx *x = *state;

        itable(x, TABLE, KNOWN);
        desc(x, 0, TABLE, 40, I, 0);
        send(x, 0);
        assert_rejected(x, 0);
        desc(x, 1, TABLE, 8, I, 0);
        send(x, 1);
        assert_rejected(x, 1);
        recover(x);
}

/* CVE-2016-6490: a zero-length table, then a zero-length entry in a table. */
static void hostile_indirect_zero_len(void **state)
{
        struct fx *x = *state;

        itable(x, TABLE, KNOWN);
        desc(x, 0, TABLE, 0, I, 0);
        send(x, 0);
        assert_rejected(x, 0);
        vf_desc(&x->f, TABLE, 1, DATA, 0, W | N, 2);
        desc(x, 1, TABLE, 48, I, 0);
        send(x, 1);
        assert_rejected(x, 1);
        recover(x);
}

/* More than 256 entries (the cap, QueueNumMax) in one table. */
static void hostile_indirect_too_long(void **state)
{
        struct fx *x = *state;

        itable(x, TABLE, KNOWN);
        desc(x, 0, TABLE, 257 * 16, I, 0);
        send(x, 0);
        assert_rejected(x, 0);
        recover(x);
}

static void hostile_indirect_next_beyond_table(void **state)
{
        struct fx *x = *state;

        itable(x, TABLE, KNOWN);
        vf_desc(&x->f, TABLE, 1, DATA, 512, W | N, 3);
        desc(x, 0, TABLE, 48, I, 0);
        send(x, 0);
        assert_rejected(x, 0);
        vf_desc(&x->f, TABLE, 1, DATA, 512, W | N, 0xffff);
        desc(x, 1, TABLE, 48, I, 0);
        send(x, 1);
        assert_rejected(x, 1);
        recover(x);
}

static void hostile_indirect_loop(void **state)
{
        struct fx *x = *state;

        put_hdr(x, HDR, VIRTIO_BLK_T_IN, KNOWN);
        vf_desc(&x->f, TABLE, 0, HDR, 16, R | N, 1);
        vf_desc(&x->f, TABLE, 1, HDR, 16, R | N, 0);
        vf_desc(&x->f, TABLE, 2, STAT, 1, W, 0);
        desc(x, 0, TABLE, 48, I, 0);
        send(x, 0);
        assert_rejected(x, 0);
        recover(x);
}

/* A table in the MMIO hole, then one running past the end of RAM. */
static void hostile_indirect_table_outside_ram(void **state)
{
        struct fx *x = *state;

        desc(x, 0, VF_MMIO_GPA, 48, I, 0);
        send(x, 0);
        assert_rejected(x, 0);
        put_hdr(x, HDR, VIRTIO_BLK_T_IN, KNOWN);
        vf_desc(&x->f, VF_RAM_END - 32, 0, HDR, 16, R | N, 1);
        vf_desc(&x->f, VF_RAM_END - 32, 1, DATA, 512, W | N, 2);
        desc(x, 1, VF_RAM_END - 32, 48, I, 0);
        send(x, 1);
        assert_rejected(x, 1);
        recover(x);
}

/* Q8: INDIRECT without VIRTIO_F_INDIRECT_DESC negotiated. */
static void hostile_indirect_not_negotiated(void **state)
{
        struct fx *x = *state;

        init_with(x, feats() & ~VIRTIO_FEAT_INDIRECT_DESC);
        itable(x, TABLE, KNOWN);
        desc(x, 0, TABLE, 48, I, 0);
        send(x, 0);
        assert_rejected(x, 0);
        recover(x);
}

/* === the avail ring (Q2-Q4, Q11) =========================================== */

/* vm-virtio, Firecracker: avail.idx N + 1 and 0x8000 ahead. */
static void hostile_avail_idx_far_ahead(void **state)
{
        static const uint16_t ahead[] = {QN + 1, 0x8000};
        struct fx *x = *state;

        for (unsigned k = 0; k < 2; k++) {
                valid_read(x, 0, KNOWN, DATA);
                vf_set_avail_idx(&x->f, &x->r, (uint16_t)(x->r.avail_idx + ahead[k]));
                snap(x);
                kick(x);
                assert_needs_reset(x, true);
                kick(x); /* stopped: still nothing */
                assert_needs_reset(x, true);
                recover(x);
        }
}

/* avail.idx moving backwards is (u16) far ahead. */
static void hostile_avail_idx_backwards(void **state)
{
        struct fx *x = *state;

        valid_read(x, 0, KNOWN, DATA);
        valid_read(x, 3, KNOWN + 1, DATA);
        vf_set_avail_idx(&x->f, &x->r, 1);
        snap(x);
        kick(x);
        assert_needs_reset(x, true);
        recover(x);
}

/* Q3: heads N and 0xffff. */
static void hostile_head_out_of_range(void **state)
{
        static const uint16_t heads[] = {QN, 0xffff};
        struct fx *x = *state;

        for (unsigned k = 0; k < 2; k++) {
                send(x, heads[k]);
                assert_needs_reset(x, true);
                recover(x);
        }
}

/* Q4: the same head twice in one kick. A GET_ID completes before the next
 * entry is read (no disk I/O to batch), so it is served twice. Then, at the
 * virtqueue level, a head popped again while still in flight (not pushed)
 * stops the queue with NEEDS_RESET. */
static void hostile_duplicate_heads(void **state)
{
        struct fx *x = *state;
        struct allow a = {.n = 0};
        struct vmmio_queue *q = &x->t.q[0];
        static struct vq_chain c;

        req3(x, 0, VIRTIO_BLK_T_GET_ID, 0, DATA, VBLK_ID_BYTES, W);
        vf_publish(&x->f, &x->r, 0);
        vf_publish(&x->f, &x->r, 0);
        snap(x);
        kick(x);
        allow_used(x, &a, 1);
        allow(&a, STAT, 1);
        allow(&a, DATA, VBLK_ID_BYTES);
        /* Served into the batch, still in flight when read again (Q4). */
        assert_used_count(x, 1);
        assert_next_used(x, 0, VBLK_ID_BYTES + 1);
        assert_int_equal(*vf_ptr(&x->f, STAT, 1), VIRTIO_BLK_S_OK);
        assert_canary(x, &a);
        assert_true(st(x) & VIRTIO_STATUS_NEEDS_RESET);
        recover(x);

        req3(x, 3, VIRTIO_BLK_T_IN, KNOWN, DATA, 512, W);
        vf_publish(&x->f, &x->r, 3);
        vf_publish(&x->f, &x->r, 3);
        snap(x);
        assert_int_equal(vq_pop_or_arm(&q->vq, &c), VQ_POP_CHAIN);
        assert_int_equal(c.head, 3);
        assert_int_equal(vq_pop_or_arm(&q->vq, &c), VQ_POP_STOPPED);
        assert_needs_reset(x, true);
        recover(x);
}

/* CVE-2016-5403: kicks without new entries process nothing again. */
static void hostile_rekick_without_new_entries(void **state)
{
        struct fx *x = *state;

        valid_read(x, 0, KNOWN, DATA);
        snap(x);
        for (int k = 0; k < 3; k++)
                kick(x);
        assert_untouched(x);
        recover(x);
}

/* A malformed chain does not stall the queue: the valid one behind it,
 * in the same kick, completes. */
static void hostile_malformed_then_valid(void **state)
{
        struct fx *x = *state;
        struct allow a = {.n = 0};

        put_hdr(x, HDR + 0x100, VIRTIO_BLK_T_IN, KNOWN);
        desc(x, 9, HDR + 0x100, 16, R | N, 0x4000);
        req3(x, 0, VIRTIO_BLK_T_IN, KNOWN, DATA, 512, W);
        vf_publish(&x->f, &x->r, 9);
        vf_publish(&x->f, &x->r, 0);
        snap(x);
        kick(x);
        allow_used(x, &a, 2);
        allow(&a, STAT, 1);
        allow(&a, DATA, 512);
        assert_used_count(x, 2);
        assert_next_used(x, 9, 0);
        assert_next_used(x, 0, 513);
        assert_int_equal(*vf_ptr(&x->f, STAT, 1), VIRTIO_BLK_S_OK);
        assert_ram_is_sector(x, DATA, KNOWN, 512);
        assert_live(x);
        assert_canary(x, &a);
        recover(x);
}

/* === queue set-up (M8, Q1, Q12) ============================================ */

/* Queue 0 made ready with QueueNum num at RING: refused with NEEDS_RESET
 * (no interrupt: DRIVER_OK was not set); DRIVER_OK and a kick then process
 * nothing. */
static void bad_queue_num(struct fx *x, uint32_t num)
{
        begin(x, feats());
        snap(x);
        if (legacy)
                queue_v1(x, num, (uint32_t)(RING / 4096));
        else
                queue_v2(x, num, x->r.desc, x->r.avail, x->r.used);
        assert_int_equal(queue_on(x), 0);
        assert_needs_reset(x, false);
        req3(x, 0, VIRTIO_BLK_T_IN, KNOWN, DATA, 512, W);
        vf_publish(&x->f, &x->r, 0);
        driver_ok(x);
        snap(x);
        kick(x);
        assert_needs_reset(x, false);
        recover(x);
}

/* vm-virtio: QueueNum 0. */
static void hostile_queue_size_zero(void **state)
{
        bad_queue_num(*state, 0);
}

static void hostile_queue_size_not_pow2(void **state)
{
        bad_queue_num(*state, 3);
        bad_queue_num(*state, 255);
}

static void hostile_queue_size_above_max(void **state)
{
        bad_queue_num(*state, 512);
        bad_queue_num(*state, 0x8000);
        bad_queue_num(*state, 0xffffffffu);
}

/* Firecracker 2026: QueueNum 0 / 0x8000 / 3 and new addresses after
 * DRIVER_OK are ignored; the queue keeps working where it was. */
static void hostile_queue_regs_after_driver_ok(void **state)
{
        static const uint32_t nums[] = {0, 0x8000, 3};
        struct fx *x = *state;

        for (unsigned k = 0; k < 3; k++)
                vf_wr(&x->t, VIRTIO_MMIO_QUEUE_NUM, nums[k]);
        if (legacy) {
                vf_wr(&x->t, VIRTIO_MMIO_QUEUE_ALIGN, 16);
                vf_wr(&x->t, VIRTIO_MMIO_QUEUE_PFN, (uint32_t)(RING2 / 4096));
                assert_int_equal(queue_on(x), RING / 4096);
        } else {
                queue_v2(x, 4, RING2, RING2 + 0x1000, RING2 + 0x2000);
                assert_int_equal(queue_on(x), 1);
        }
        assert_live(x);
        for (uint16_t k = 0; k < 4; k++)
                valid_read(x, (uint16_t)(3 * k), KNOWN + k, DATA); /* past num 3 or 4 */
        recover(x);
}

/* M12: the queue stopped after DRIVER_OK cannot be restarted without a
 * reset; a kick then processes nothing. */
static void hostile_queue_restart_after_driver_ok(void **state)
{
        struct fx *x = *state;

        vf_wr(&x->t, legacy ? VIRTIO_MMIO_QUEUE_PFN : VIRTIO_MMIO_QUEUE_READY, 0);
        assert_int_equal(queue_on(x), 0);
        if (legacy)
                vf_wr(&x->t, VIRTIO_MMIO_QUEUE_PFN, (uint32_t)(RING / 4096));
        else
                vf_wr(&x->t, VIRTIO_MMIO_QUEUE_READY, 1);
        assert_int_equal(queue_on(x), 0);
        req3(x, 0, VIRTIO_BLK_T_IN, KNOWN, DATA, 512, W);
        send(x, 0);
        assert_untouched(x);
        assert_live(x);
        recover(x);
}

/* Q1: a ring in the MMIO hole; a ring running past the end of RAM. */
static void hostile_ring_outside_ram(void **state)
{
        struct fx *x = *state;

        for (int k = 0; k < 2; k++) {
                begin(x, feats());
                snap(x);
                if (legacy)
                        queue_v1(x, QN,
                                 (uint32_t)((k == 0 ? VF_MMIO_GPA : VF_RAM_END - 4096) / 4096));
                else if (k == 0)
                        queue_v2(x, QN, VF_MMIO_GPA, x->r.avail, x->r.used);
                else
                        queue_v2(x, QN, x->r.desc, x->r.avail, VF_RAM_END - 0x100);
                assert_int_equal(queue_on(x), 0);
                assert_needs_reset(x, false);
                recover(x);
        }
}

/* Q1, Q7: the used ring on the descriptor table, then on the avail ring
 * (version 2 only: the legacy layout cannot overlap). */
static void hostile_ring_overlap(void **state)
{
        struct fx *x = *state;

        if (legacy)
                skip();
        for (int k = 0; k < 2; k++) {
                begin(x, feats());
                snap(x);
                queue_v2(x, QN, x->r.desc, x->r.avail, k == 0 ? x->r.desc + 0x100 : x->r.avail);
                assert_int_equal(queue_on(x), 0);
                assert_needs_reset(x, false);
                recover(x);
        }
}

/* Q1: descriptor table off its 16-byte alignment (legacy: GuestPageSize 2). */
static void hostile_ring_misaligned(void **state)
{
        struct fx *x = *state;

        begin(x, feats());
        snap(x);
        if (legacy) {
                vf_wr(&x->t, VIRTIO_MMIO_GUEST_PAGE_SIZE, 2);
                vf_wr(&x->t, VIRTIO_MMIO_QUEUE_SEL, 0);
                vf_wr(&x->t, VIRTIO_MMIO_QUEUE_NUM, QN);
                vf_wr(&x->t, VIRTIO_MMIO_QUEUE_PFN, (uint32_t)((RING + 8) / 2));
        } else {
                queue_v2(x, QN, x->r.desc + 8, x->r.avail, x->r.used);
        }
        assert_int_equal(queue_on(x), 0);
        assert_needs_reset(x, false);
        recover(x);
}

/*
 * §3.1.1 binds the driver: status bits out of order or taken back are kept
 * as written, as QEMU keeps them (U-Boot and rcore rely on it,
 * docs/virtio-mmio.md); reserved bits are dropped. No queue runs and guest
 * RAM is untouched.
 */
static void hostile_status_out_of_order(void **state)
{
        struct fx *x = *state;

        vf_wr(&x->t, VIRTIO_MMIO_STATUS, 0);
        snap(x);
        vf_wr(&x->t, VIRTIO_MMIO_STATUS, VF_ACK | VIRTIO_STATUS_DRIVER_OK);
        assert_int_equal(st(x), VF_ACK | VIRTIO_STATUS_DRIVER_OK);
        vf_wr(&x->t, VIRTIO_MMIO_STATUS, VF_ACK | VIRTIO_STATUS_FEATURES_OK);
        assert_int_equal(st(x), VF_ACK | VIRTIO_STATUS_FEATURES_OK);
        vf_wr(&x->t, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_DRIVER);
        assert_int_equal(st(x), VIRTIO_STATUS_DRIVER);
        vf_wr(&x->t, VIRTIO_MMIO_STATUS, VF_ACK);
        vf_wr(&x->t, VIRTIO_MMIO_STATUS, VF_DRV);
        vf_wr(&x->t, VIRTIO_MMIO_STATUS, VF_ACK); /* DRIVER taken back */
        assert_int_equal(st(x), VF_ACK);
        vf_wr(&x->t, VIRTIO_MMIO_STATUS, VF_DRV | 0x100 | 0x30);
        assert_int_equal(st(x), VF_DRV);
        /* DRIVER_OK before FEATURES_OK (v2); FEATURES_OK in v1 (rcore). */
        vf_wr(&x->t, VIRTIO_MMIO_STATUS, VF_DRV | VIRTIO_STATUS_DRIVER_OK);
        assert_int_equal(st(x), VF_DRV | VIRTIO_STATUS_DRIVER_OK);
        vf_wr(&x->t, VIRTIO_MMIO_STATUS, VF_DRIVER_OK);
        assert_int_equal(st(x), VF_DRIVER_OK);
        assert_untouched(x);
        recover(x);
}

/* M6, M13: a driver asking for bits the device did not offer (DISCARD,
 * RING_PACKED, bit 40, a word beyond 64 bits). v2: FEATURES_OK does not
 * stick. v1 has no FEATURES_OK: the bits are dropped, so DISCARD stays UNSUPP. */
static void hostile_features_not_offered(void **state)
{
        static const uint64_t extra[] = {VIRTIO_BIT(VIRTIO_BLK_F_DISCARD),
                                         VIRTIO_BIT(VIRTIO_F_RING_PACKED), VIRTIO_BIT(40)};
        struct fx *x = *state;
        uint64_t offered = vf_device_features(&x->t);

        for (unsigned k = 0; k < 3; k++)
                assert_int_equal(offered & extra[k], 0);
        if (legacy) {
                vf_ring_at(&x->f, &x->r, RING, QN, 4096);
                x->seen = 0;
                /* Every bit but EVENT_IDX (offered, and it moves avail_event). */
                vf_v1_init(&x->t, &x->r, 0xffffffffu & ~(uint32_t)VIRTIO_FEAT_EVENT_IDX);
                req3(x, 0, VIRTIO_BLK_T_DISCARD, KNOWN, DATA, 16, R);
                send(x, 0);
                assert_completed(x, 0, 1, STAT, VIRTIO_BLK_S_UNSUPP, 0, 0);
                valid_read(x, 3, KNOWN, DATA);
                recover(x);
                return;
        }
        for (unsigned k = 0; k < 3; k++) {
                vf_wr(&x->t, VIRTIO_MMIO_STATUS, 0);
                vf_wr(&x->t, VIRTIO_MMIO_STATUS, VF_ACK);
                vf_wr(&x->t, VIRTIO_MMIO_STATUS, VF_DRV);
                vf_write_features(&x->t, FEATS | extra[k]);
                vf_wr(&x->t, VIRTIO_MMIO_STATUS, VF_FEAT_OK);
                assert_int_equal(st(x), VF_DRV);
                vf_wr(&x->t, VIRTIO_MMIO_STATUS, VF_FEAT_OK | VIRTIO_STATUS_DRIVER_OK);
                assert_int_equal(st(x), VF_DRV);
        }
        /* A non-zero word beyond the 64 bits a device can offer. */
        vf_wr(&x->t, VIRTIO_MMIO_STATUS, 0);
        vf_wr(&x->t, VIRTIO_MMIO_STATUS, VF_ACK);
        vf_wr(&x->t, VIRTIO_MMIO_STATUS, VF_DRV);
        vf_write_features(&x->t, FEATS);
        vf_wr(&x->t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 2);
        vf_wr(&x->t, VIRTIO_MMIO_DRIVER_FEATURES, 1);
        vf_wr(&x->t, VIRTIO_MMIO_STATUS, VF_FEAT_OK);
        assert_int_equal(st(x), VF_DRV);
        recover(x);
}

/* M6: DriverFeatures written after FEATURES_OK (v2) or DRIVER_OK (v1)
 * are ignored: INDIRECT_DESC stays negotiated. */
static void hostile_features_after_driver_ok(void **state)
{
        struct fx *x = *state;

        if (legacy) {
                vf_wr(&x->t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
                vf_wr(&x->t, VIRTIO_MMIO_DRIVER_FEATURES, 0);
        } else {
                begin(x, feats());
                vf_wr(&x->t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
                vf_wr(&x->t, VIRTIO_MMIO_DRIVER_FEATURES, 0);
                vf_wr(&x->t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
                vf_wr(&x->t, VIRTIO_MMIO_DRIVER_FEATURES, 0);
                vf_v2_queue(&x->t, 0, &x->r);
                driver_ok(x);
                vf_wr(&x->t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
                vf_wr(&x->t, VIRTIO_MMIO_DRIVER_FEATURES, 0);
        }
        assert_live(x);
        itable(x, TABLE, KNOWN);
        desc(x, 0, TABLE, 48, I, 0);
        memset(vf_ptr(&x->f, STAT, 1), 0xff, 1);
        send(x, 0);
        assert_completed(x, 0, 513, STAT, VIRTIO_BLK_S_OK, DATA, 512);
        assert_ram_is_sector(x, DATA, KNOWN, 512);
        recover(x);
}

/* M10: 1, 2, 8-byte and unaligned register accesses do nothing and read 0. */
static void hostile_reg_bad_width(void **state)
{
        struct fx *x = *state;

        req3(x, 0, VIRTIO_BLK_T_IN, KNOWN, DATA, 512, W);
        vf_publish(&x->f, &x->r, 0);
        snap(x);
        raw(x, VIRTIO_MMIO_STATUS, 1, true, 0);
        raw(x, VIRTIO_MMIO_STATUS, 2, true, 0);
        raw(x, VIRTIO_MMIO_STATUS + 1, 4, true, 0);
        raw(x, VIRTIO_MMIO_STATUS, 8, true, 0);
        raw(x, VIRTIO_MMIO_QUEUE_NOTIFY, 1, true, 0);
        raw(x, VIRTIO_MMIO_QUEUE_NOTIFY, 2, true, 0);
        raw(x, VIRTIO_MMIO_QUEUE_NOTIFY + 2, 4, true, 0);
        assert_int_equal(raw(x, VIRTIO_MMIO_MAGIC_VALUE, 1, false, 0), 0);
        assert_int_equal(raw(x, VIRTIO_MMIO_MAGIC_VALUE, 2, false, 0), 0);
        assert_int_equal(raw(x, VIRTIO_MMIO_MAGIC_VALUE + 2, 4, false, 0), 0);
        assert_int_equal(raw(x, VIRTIO_MMIO_MAGIC_VALUE, 8, false, 0), 0);
        assert_int_equal(raw(x, VIRTIO_MMIO_STATUS, 2, false, 0), 0);
        assert_live(x);
        assert_untouched(x);
        kick(x);
        assert_completed(x, 0, 513, STAT, VIRTIO_BLK_S_OK, DATA, 512);
        recover(x);
}

/* M11: writes to read-only registers change nothing. */
static void hostile_readonly_regs_written(void **state)
{
        static const uint32_t regs[] = {
            VIRTIO_MMIO_MAGIC_VALUE,      VIRTIO_MMIO_VERSION,           VIRTIO_MMIO_DEVICE_ID,
            VIRTIO_MMIO_VENDOR_ID,        VIRTIO_MMIO_DEVICE_FEATURES,   VIRTIO_MMIO_QUEUE_NUM_MAX,
            VIRTIO_MMIO_INTERRUPT_STATUS, VIRTIO_MMIO_CONFIG_GENERATION,
        };
        struct fx *x = *state;
        uint32_t before[sizeof(regs) / sizeof(regs[0])];

        vf_wr(&x->t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
        vf_wr(&x->t, VIRTIO_MMIO_QUEUE_SEL, 0);
        for (unsigned k = 0; k < sizeof(regs) / sizeof(regs[0]); k++)
                before[k] = vf_rd(&x->t, regs[k]);
        assert_int_equal(before[0], VMMIO_MAGIC);
        assert_int_equal(before[1], legacy ? 1 : 2);
        assert_int_equal(before[2], VIRTIO_ID_BLOCK);
        assert_int_equal(before[5], QN);
        assert_int_equal(before[6], 0);
        snap(x);
        for (unsigned k = 0; k < sizeof(regs) / sizeof(regs[0]); k++)
                vf_wr(&x->t, regs[k], k == 6 ? 0xffffffffu : 0);
        for (unsigned k = 0; k < sizeof(regs) / sizeof(regs[0]); k++)
                assert_int_equal(vf_rd(&x->t, regs[k]), before[k]);
        assert_live(x);
        assert_untouched(x);
        recover(x);
}

/* kvmtool, M10: config accesses at and across the edge of its 0x24 bytes
 * and of the region read 0; config writes are ignored. */
static void hostile_config_edge(void **state)
{
        static const struct {
                uint32_t off, len, want;
        } reads[] = {
            {0x100 + 0x23, 4, 0},
            {0x100 + 0x20, 8, 0},
            {0x100 + 0x24, 1, 0},
            {0xfff, 1, 0},
            {0xffc, 4, 0},
            {0xffc, 8, 0},
            {0x100, 3, 0},
            {0x100, 16, 0},
            {0x100 + 0x23, 1, 0},
            {0x100 + 0x14, 4, 512},
            {0x100 + 0x0c, 4, QN - 2},
            {0x100, 8, SECTORS},
        };
        struct fx *x = *state;

        snap(x);
        for (unsigned k = 0; k < sizeof(reads) / sizeof(reads[0]); k++) {
                uint32_t v = raw(x, reads[k].off, reads[k].len, false, 0);

                if (reads[k].len < 4)
                        v &= (1u << (8 * reads[k].len)) - 1;
                if (v != reads[k].want)
                        fail_msg("config read of %u bytes at 0x%x: 0x%x, want 0x%x", reads[k].len,
                                 reads[k].off, v, reads[k].want);
        }
        raw(x, 0x100, 8, true, 0);
        raw(x, 0x100 + 0x14, 4, true, 4096);
        raw(x, 0x100 + 0x23, 4, true, 0xffffffffu);
        assert_int_equal(raw(x, 0x100, 4, false, 0), SECTORS);
        assert_int_equal(raw(x, 0x100 + 0x14, 4, false, 0), 512);
        assert_live(x);
        assert_untouched(x);
        recover(x);
}

/* QEMU CVE-2011-2512, M9: QueueSel 1, 0xffff, 0xffffffff: QueueNumMax reads
 * 0 and the queue registers ignore writes; queue 0 is then set up as usual. */
static void hostile_queue_sel_out_of_range(void **state)
{
        static const uint32_t sels[] = {1, 0xffff, 0xffffffffu};
        struct fx *x = *state;

        begin(x, feats());
        snap(x);
        for (unsigned k = 0; k < 3; k++) {
                vf_wr(&x->t, VIRTIO_MMIO_QUEUE_SEL, sels[k]);
                assert_int_equal(vf_rd(&x->t, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
                vf_wr(&x->t, VIRTIO_MMIO_QUEUE_NUM, 8);
                if (legacy) {
                        vf_wr(&x->t, VIRTIO_MMIO_QUEUE_PFN, (uint32_t)(RING2 / 4096));
                        assert_int_equal(vf_rd(&x->t, VIRTIO_MMIO_QUEUE_PFN), 0);
                } else {
                        vf_wr(&x->t, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)RING2);
                        vf_wr(&x->t, VIRTIO_MMIO_QUEUE_READY, 1);
                        assert_int_equal(vf_rd(&x->t, VIRTIO_MMIO_QUEUE_READY), 0);
                }
        }
        assert_untouched(x);
        vf_wr(&x->t, VIRTIO_MMIO_QUEUE_SEL, 0);
        assert_int_equal(vf_rd(&x->t, VIRTIO_MMIO_QUEUE_NUM_MAX), QN);
        assert_int_equal(queue_on(x), 0);
        if (legacy)
                vf_v1_queue(&x->t, 0, &x->r, 4096, 4096);
        else
                vf_v2_queue(&x->t, 0, &x->r);
        driver_ok(x);
        assert_live(x);
        valid_read(x, 0, KNOWN, DATA);
        recover(x);
}

/* M9: QueueNotify for queues that do not exist processes nothing. */
static void hostile_queue_notify_out_of_range(void **state)
{
        static const uint32_t qs[] = {1, 0xffff, 0x10000, 0xffffffffu};
        struct fx *x = *state;

        req3(x, 0, VIRTIO_BLK_T_IN, KNOWN, DATA, 512, W);
        vf_publish(&x->f, &x->r, 0);
        snap(x);
        for (unsigned k = 0; k < 4; k++)
                vf_kick(&x->t, qs[k]);
        assert_untouched(x);
        assert_live(x);
        kick(x);
        assert_completed(x, 0, 513, STAT, VIRTIO_BLK_S_OK, DATA, 512);
        recover(x);
}

/* M4: before DRIVER_OK a v2 queue is not processed; a v1 queue is live as
 * soon as it has a PFN. */
static void hostile_notify_before_driver_ok(void **state)
{
        struct fx *x = *state;

        begin(x, feats());
        if (legacy)
                vf_v1_queue(&x->t, 0, &x->r, 4096, 4096);
        else
                vf_v2_queue(&x->t, 0, &x->r);
        req3(x, 0, VIRTIO_BLK_T_IN, KNOWN, DATA, 512, W);
        send(x, 0);
        if (legacy) {
                struct allow a = {.n = 0};

                allow_used(x, &a, 1);
                allow(&a, STAT, 1);
                allow(&a, DATA, 512);
                assert_next_used(x, 0, 513);
                if (*vf_ptr(&x->f, STAT, 1) != VIRTIO_BLK_S_OK) { /* the trace names a stub met */
                        print_error("ERROR: request 0: status %u, want 0\n",
                                    *vf_ptr(&x->f, STAT, 1));
                        print_request_trace(x);
                        _fail(__FILE__, __LINE__);
                }
                assert_canary(x, &a);
                snap(x);
                driver_ok(x);
                kick(x);
                assert_untouched(x);
        } else {
                assert_untouched(x);
                driver_ok(x);
                kick(x);
                assert_completed(x, 0, 513, STAT, VIRTIO_BLK_S_OK, DATA, 512);
        }
        assert_ram_is_sector(x, DATA, KNOWN, 512);
        recover(x);
}

/* vm-virtio, Q12: a request left in the ring across a reset is never
 * processed; v2: a queue made ready without addresses (all 0) is refused. */
static void hostile_stale_chains_after_reset(void **state)
{
        struct fx *x = *state;

        req3(x, 0, VIRTIO_BLK_T_IN, KNOWN, DATA, 512, W);
        vf_publish(&x->f, &x->r, 0);
        snap(x);
        vf_wr(&x->t, VIRTIO_MMIO_STATUS, 0);
        kick(x);
        assert_untouched(x);
        vf_wr(&x->t, VIRTIO_MMIO_STATUS, VF_ACK);
        vf_wr(&x->t, VIRTIO_MMIO_STATUS, VF_DRV);
        if (legacy) {
                vf_wr(&x->t, VIRTIO_MMIO_QUEUE_PFN, 0);
                driver_ok(x);
                kick(x);
                assert_untouched(x);
        } else {
                vf_write_features(&x->t, FEATS);
                vf_wr(&x->t, VIRTIO_MMIO_STATUS, VF_FEAT_OK);
                vf_wr(&x->t, VIRTIO_MMIO_QUEUE_SEL, 0);
                vf_wr(&x->t, VIRTIO_MMIO_QUEUE_READY, 1);
                assert_int_equal(queue_on(x), 0);
                assert_needs_reset(x, false);
                driver_ok(x);
                kick(x);
                assert_needs_reset(x, false);
        }
        recover(x);
}

/* §2.1: after the driver sets FAILED nothing is processed. */
static void hostile_status_failed_stops_queue(void **state)
{
        struct fx *x = *state;

        req3(x, 0, VIRTIO_BLK_T_IN, KNOWN, DATA, 512, W);
        vf_publish(&x->f, &x->r, 0);
        snap(x);
        vf_wr(&x->t, VIRTIO_MMIO_STATUS, live_status() | VIRTIO_STATUS_FAILED);
        assert_int_equal(st(x), live_status() | VIRTIO_STATUS_FAILED);
        kick(x);
        assert_untouched(x);
        recover(x);
}

/* --- main ------------------------------------------------------------------- */

/* The three variants: which transport and disk each run of the cases uses. */
enum variant { V2, LEGACY, V2_URING, NVARIANTS };
static const char *const variant_names[NVARIANTS] = {"v2", "legacy", "v2, io_uring disk"};

static int setup_v2(void **state)
{
        legacy = false;
        uring = false;
        return setup(state);
}

static int setup_legacy(void **state)
{
        legacy = true;
        uring = false;
        return setup(state);
}

static int setup_v2_uring(void **state)
{
        legacy = false;
        uring = true;
        return setup(state);
}

#define T(name)                                                                                    \
        {                                                                                          \
#name, name                                                                        \
        }

static const struct {
        const char *name;
        CMUnitTestFunction fn;
} cases[] = {
    T(hostile_chain_loop),
    T(hostile_chain_ring_loop_huge_len),
    T(hostile_next_out_of_range),
    T(hostile_zero_len_desc),
    T(hostile_huge_len_near_ram_end),
    T(hostile_buf_at_ram_end),
    T(hostile_buf_past_ram_end),
    T(hostile_buf_in_mmio_hole),
    T(hostile_buf_at_own_registers),
    T(hostile_buf_at_svirtb_page),
    T(hostile_readable_after_writable),
    T(hostile_status_missing),
    T(hostile_status_oversized),
    T(hostile_header_split),
    T(hostile_header_short),
    T(hostile_header_oversized),
    T(hostile_data_not_sector_multiple),
    T(hostile_sector_overflow),
    T(hostile_sector_range_past_end),
    T(hostile_in_larger_than_disk),
    T(hostile_out_with_writable_data),
    T(hostile_get_id_huge_buffer),
    T(hostile_unknown_type),
    T(hostile_chain_4gib_total),
    T(hostile_indirect_nested),
    T(hostile_indirect_with_next),
    T(hostile_indirect_len_not_multiple),
    T(hostile_indirect_zero_len),
    T(hostile_indirect_too_long),
    T(hostile_indirect_next_beyond_table),
    T(hostile_indirect_loop),
    T(hostile_indirect_table_outside_ram),
    T(hostile_indirect_not_negotiated),
    T(hostile_avail_idx_far_ahead),
    T(hostile_avail_idx_backwards),
    T(hostile_head_out_of_range),
    T(hostile_duplicate_heads),
    T(hostile_rekick_without_new_entries),
    T(hostile_malformed_then_valid),
    T(hostile_queue_size_zero),
    T(hostile_queue_size_not_pow2),
    T(hostile_queue_size_above_max),
    T(hostile_queue_regs_after_driver_ok),
    T(hostile_queue_restart_after_driver_ok),
    T(hostile_ring_outside_ram),
    T(hostile_ring_overlap),
    T(hostile_ring_misaligned),
    T(hostile_status_out_of_order),
    T(hostile_features_not_offered),
    T(hostile_features_after_driver_ok),
    T(hostile_reg_bad_width),
    T(hostile_readonly_regs_written),
    T(hostile_config_edge),
    T(hostile_queue_sel_out_of_range),
    T(hostile_queue_notify_out_of_range),
    T(hostile_notify_before_driver_ok),
    T(hostile_stale_chains_after_reset),
    T(hostile_status_failed_stops_queue),
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

int main(void)
{
        static const CMFixtureFunction setups[NVARIANTS] = {setup_v2, setup_legacy, setup_v2_uring};
        static struct CMUnitTest tests[NVARIANTS * NCASES];
        static char names[NVARIANTS * NCASES][96];

        for (unsigned v = 0; v < NVARIANTS; v++) {
                for (unsigned i = 0; i < NCASES; i++) {
                        unsigned k = v * NCASES + i;

                        snprintf(names[k], sizeof(names[k]), "%s [%s]", cases[i].name,
                                 variant_names[v]);
                        tests[k] =
                            (struct CMUnitTest){names[k], cases[i].fn, setups[v], teardown, NULL};
                }
        }
        cmocka_set_test_filter(getenv("UNIT_TEST_FILTER"));
        return cmocka_run_group_tests_name("hostile virtio-mmio", tests, NULL, NULL);
}
