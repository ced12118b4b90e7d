/*
 * test_hostile_svirtb: a hostile driver against svirtb (devices/svirtb.h,
 * contract docs/svirtb.md, "Errors and reset" and "Access model").
 * docs/security.md lists the cases with their expected outcomes and
 * guest/hostile/ runs the same cases, under the same names, under KVM.
 *
 * Fake machine: RAM regions A and B (adjacent in guest space, separate host
 * buffers; RAM ends at B_END) and C above 4 GiB, a register page, and a temp
 * image laid out as tools/testdisk.h says. Each case asserts the exact
 * outcome (status RESET or not, head and tail as the page shows them,
 * ignored writes), snapshots all of fake RAM before the doorbell and checks
 * that nothing outside the buffers a read may fill changed, then recovers:
 * RESET, a new initialization and a read of a known sector. The image must
 * be byte-identical at the end of every case.
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

#include "devices/svirtb.h"
#include "devices/trace.h"
#include "testimage.h"
#include "tools/testdisk.h"

#define A_GPA  0x0ULL
#define A_SIZE 0x40000ULL
#define B_GPA  (A_GPA + A_SIZE)
#define B_SIZE 0x10000ULL
#define B_END  (B_GPA + B_SIZE) /* the end of RAM below 4 GiB */
#define C_GPA  0x100000000ULL
#define C_SIZE 0x2000ULL

#define RING    0x1000ULL
#define BIGRING 0x10000ULL /* 4096 entries: 128 KiB */
#define BUF     0x8000ULL
#define BUF2    0x9000ULL
#define BUF3    0xa000ULL
#define FILL    0x5a
#define SECTORS 256u
#define KNOWN   5u
#define QS      8u
#define HOLE    0xd0000000ULL
#define LAPIC   0xfee00000ULL

struct fx {
        struct gmem gm;
        uint8_t *a, *b, *c, *page;
        uint8_t *snap_a, *snap_b, *snap_c;
        struct disk disk;
        struct svirtb s;
        char path[4096]; /* in ti_tmpdir() */
        uint64_t ring;
        uint32_t qs;
};

/* --- the image ----------------------------------------------------------- */

static void assert_image_pristine(struct fx *x)
{
        ti_assert_pristine(x->disk.fd, SECTORS); /* the file itself was unlinked at setup */
}

static uint8_t *ram(struct fx *x, uint64_t gpa, uint64_t len)
{
        uint8_t *p = gmem_ptr(&x->gm, gpa, len);

        assert_non_null(p);
        return p;
}

static void assert_ram_is_sector(struct fx *x, uint64_t gpa, uint64_t s, uint64_t n)
{
        ti_assert_sectors(ram(x, gpa, n), gpa, SECTORS, s, n);
}

/* --- canary ---------------------------------------------------------------- */

static void snap(struct fx *x)
{
        memcpy(x->snap_a, x->a, A_SIZE);
        memcpy(x->snap_b, x->b, B_SIZE);
        memcpy(x->snap_c, x->c, C_SIZE);
}

static void check_region(uint64_t base, const uint8_t *now, const uint8_t *before, uint64_t size,
                         uint64_t ok_gpa, uint64_t ok_len)
{
        for (uint64_t i = 0; i < size; i++)
                if (now[i] != before[i] && !(base + i >= ok_gpa && base + i - ok_gpa < ok_len))
                        fail_msg("guest RAM 0x%llx changed: 0x%02x -> 0x%02x",
                                 (unsigned long long)(base + i), before[i], now[i]);
}

/* Nothing in fake RAM changed since snap() but [ok_gpa, ok_gpa + ok_len). */
static void assert_canary(struct fx *x, uint64_t ok_gpa, uint64_t ok_len)
{
        check_region(A_GPA, x->a, x->snap_a, A_SIZE, ok_gpa, ok_len);
        check_region(B_GPA, x->b, x->snap_b, B_SIZE, ok_gpa, ok_len);
        check_region(C_GPA, x->c, x->snap_c, C_SIZE, ok_gpa, ok_len);
}

/* --- the device, driven like a (hostile) driver ---------------------------- */

static void wr_len(struct fx *x, uint64_t off, uint32_t len, uint64_t v)
{
        uint8_t d[8];

        for (unsigned i = 0; i < sizeof(d); i++)
                d[i] = (uint8_t)(v >> (8 * i));
        svirtb_mmio_write(&x->s, off, d, len);
}

static void wr(struct fx *x, uint64_t off, uint32_t v)
{
        wr_len(x, off, 4, v);
}

/* A register as the guest reads it: from the page. */
static uint32_t reg(struct fx *x, uint64_t off)
{
        const uint8_t *p = x->page + off;

        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The six registers as the page shows them. */
static void assert_regs(struct fx *x, uint32_t status, uint32_t qs, uint64_t ring, uint32_t head,
                        uint32_t tail)
{
        assert_int_equal(reg(x, SVIRTB_REG_STATUS), status);
        assert_int_equal(reg(x, SVIRTB_REG_QUEUE_SIZE), qs);
        assert_int_equal(reg(x, SVIRTB_REG_QUEUE_ADDR_HI), (uint32_t)(ring >> 32));
        assert_int_equal(reg(x, SVIRTB_REG_QUEUE_ADDR_LO), (uint32_t)ring);
        assert_int_equal(reg(x, SVIRTB_REG_QUEUE_HEAD), head);
        assert_int_equal(reg(x, SVIRTB_REG_QUEUE_TAIL), tail);
        /* Nothing past the registers in the page. */
        for (unsigned i = 4 * SVIRTB_NREGS; i < SVIRTB_PAGE_SIZE; i++)
                assert_int_equal(x->page[i], 0);
}

/* The status read back is want; if not, the message names the last reset_reason. */
static void expect_status(struct fx *x, uint32_t want)
{
        if (reg(x, SVIRTB_REG_STATUS) != want)
                print_error("ERROR: status is %#x, want %#x (last reset_reason: %s)\n",
                            reg(x, SVIRTB_REG_STATUS), want,
                            x->s.reset_reason != NULL ? x->s.reset_reason : "none");
        assert_int_equal(reg(x, SVIRTB_REG_STATUS), want);
}

/* The spec's initialization; returns the status read back after READY. */
static uint32_t init(struct fx *x, uint64_t ring, uint32_t qs)
{
        wr(x, SVIRTB_REG_STATUS, SVIRTB_RESET);
        expect_status(x, SVIRTB_MAGIC);
        wr(x, SVIRTB_REG_STATUS, SVIRTB_DRIVER_OK);
        expect_status(x, SVIRTB_DRIVER_OK);
        wr(x, SVIRTB_REG_QUEUE_ADDR_HI, (uint32_t)(ring >> 32));
        wr(x, SVIRTB_REG_QUEUE_ADDR_LO, (uint32_t)ring);
        wr(x, SVIRTB_REG_QUEUE_SIZE, qs);
        wr(x, SVIRTB_REG_STATUS, SVIRTB_READY);
        x->ring = ring;
        x->qs = qs;
        return reg(x, SVIRTB_REG_STATUS);
}

static void init_ok(struct fx *x)
{
        memset(ram(x, RING, QS * SVIRTB_ENTRY_SIZE), 0, QS * SVIRTB_ENTRY_SIZE);
        assert_int_equal(init(x, RING, QS), SVIRTB_READY);
        assert_regs(x, SVIRTB_READY, QS, RING, 0, 0);
}

static void put64(uint8_t *p, uint64_t v)
{
        for (unsigned i = 0; i < 8; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

/* Ring slot i of the current ring. */
static void entry(struct fx *x, uint32_t i, uint64_t addr, uint64_t size, uint64_t sector,
                  uint32_t cmd)
{
        uint8_t *e = ram(x, x->ring + (uint64_t)i * SVIRTB_ENTRY_SIZE, SVIRTB_ENTRY_SIZE);

        put64(e, addr);
        put64(e + 8, size);
        put64(e + 16, sector);
        put64(e + 24, cmd); /* cmd, then pad 0 */
}

/* Snapshot, then the doorbell. */
static void doorbell(struct fx *x, uint32_t head)
{
        snap(x);
        wr(x, SVIRTB_REG_QUEUE_HEAD, head);
}

/* svirtb.md, Errors and reset: status RESET, tail stopped at the bad entry,
 * nothing written into guest RAM. */
static void assert_reset(struct fx *x, uint32_t head, uint32_t tail)
{
        assert_regs(x, SVIRTB_RESET, x->qs, x->ring, head, tail);
        assert_int_equal(x->s.status, SVIRTB_RESET);
        assert_canary(x, 0, 0);
}

/* A read of sector s into buf at ring slot `slot`, the device's tail: done. */
static void valid_read(struct fx *x, uint32_t slot, uint64_t s, uint64_t buf)
{
        uint32_t head = (slot + 1) % x->qs;

        assert_int_equal(reg(x, SVIRTB_REG_QUEUE_TAIL), slot);
        memset(ram(x, buf, TD_SECTOR), FILL, TD_SECTOR);
        entry(x, slot, buf, TD_SECTOR, s, SVIRTB_CMD_READ);
        doorbell(x, head);
        assert_regs(x, SVIRTB_READY, x->qs, x->ring, head, head);
        assert_canary(x, buf, TD_SECTOR);
        assert_ram_is_sector(x, buf, s, TD_SECTOR);
}

/* Moves the tail to slot `to` over the zeroed (0-byte read) entries before it. */
static void advance(struct fx *x, uint32_t to)
{
        doorbell(x, to);
        assert_regs(x, SVIRTB_READY, x->qs, x->ring, to, to);
        assert_canary(x, 0, 0);
}

/* After every case: RESET, init, a valid read; the image unchanged. */
static void recover(struct fx *x)
{
        wr(x, SVIRTB_REG_STATUS, SVIRTB_RESET);
        assert_regs(x, SVIRTB_MAGIC, 0, 0, 0, 0);
        init_ok(x);
        valid_read(x, 0, KNOWN, BUF);
        assert_image_pristine(x);
}

/* --- fixture ---------------------------------------------------------------- */

static int setup(void **state)
{
        struct fx *x = calloc(1, sizeof(*x));
        char err[256];

        if (x == NULL)
                return -1;
        x->a = malloc(A_SIZE);
        x->b = malloc(B_SIZE);
        x->c = malloc(C_SIZE);
        x->snap_a = malloc(A_SIZE);
        x->snap_b = malloc(B_SIZE);
        x->snap_c = malloc(C_SIZE);
        x->page = malloc(SVIRTB_PAGE_SIZE);
        if (!x->a || !x->b || !x->c || !x->snap_a || !x->snap_b || !x->snap_c || !x->page)
                return -1;
        memset(x->a, FILL, A_SIZE);
        memset(x->b, FILL, B_SIZE);
        memset(x->c, FILL, C_SIZE);
        gmem_init(&x->gm);
        if (gmem_add(&x->gm, A_GPA, A_SIZE, x->a) || gmem_add(&x->gm, B_GPA, B_SIZE, x->b) ||
            gmem_add(&x->gm, C_GPA, C_SIZE, x->c))
                return -1;
        if (ti_make(x->path, sizeof(x->path), "hsvirtb", SECTORS) < 0 ||
            disk_open(&x->disk, x->path, false, err, sizeof(err)) < 0)
                return -1;
        unlink(x->path); /* nothing left behind, even if the test is killed */
        trace_enabled = ti_trace_wanted(); /* lab/grade reruns a failure with it on */
        svirtb_init(&x->s, x->page, &x->gm, &x->disk);
        *state = x;
        init_ok(x);
        return 0;
}

static int teardown(void **state)
{
        struct fx *x = *state;

        disk_close(&x->disk);
        unlink(x->path);
        free(x->a);
        free(x->b);
        free(x->c);
        free(x->snap_a);
        free(x->snap_b);
        free(x->snap_c);
        free(x->page);
        free(x);
        return 0;
}

/* === entries ================================================================ */

/* A buffer in the MMIO hole (a device window, the LAPIC page). */
static void hostile_svirtb_buf_outside_ram(void **state)
{
        struct fx *x = *state;

        entry(x, 0, HOLE, TD_SECTOR, KNOWN, SVIRTB_CMD_READ);
        doorbell(x, 1);
        assert_reset(x, 1, 0);
        recover(x);
        entry(x, 1, LAPIC, TD_SECTOR, KNOWN, SVIRTB_CMD_READ);
        doorbell(x, 2);
        assert_reset(x, 2, 1);
        recover(x);
}

/* CVE-2024-3446: a read aimed at the device's own register page. */
static void hostile_svirtb_buf_at_own_regs(void **state)
{
        struct fx *x = *state;

        entry(x, 0, SVIRTB_BASE, TD_SECTOR, KNOWN, SVIRTB_CMD_READ);
        doorbell(x, 1);
        assert_reset(x, 1, 0);
        recover(x);
}

/* A buffer ending exactly at the end of RAM is valid. */
static void hostile_svirtb_buf_at_ram_end(void **state)
{
        struct fx *x = *state;

        valid_read(x, 0, KNOWN, B_END - TD_SECTOR);
        valid_read(x, 1, KNOWN + 1, C_GPA + C_SIZE - TD_SECTOR);
        recover(x);
}

/* One byte further is not. */
static void hostile_svirtb_buf_past_ram_end(void **state)
{
        struct fx *x = *state;

        entry(x, 0, B_END - TD_SECTOR + 1, TD_SECTOR, KNOWN, SVIRTB_CMD_READ);
        doorbell(x, 1);
        assert_reset(x, 1, 0);
        recover(x);
}

/* Sizes that overflow: 2^64 - 1, 0xffffffff near the end of RAM, and an
 * address whose buffer wraps around 2^64. */
static void hostile_svirtb_huge_size(void **state)
{
        static const struct {
                uint64_t addr, size;
        } bad[] = {{BUF, UINT64_MAX}, {B_END - 16, 0xffffffffULL}, {0xfffffffffffff000ULL, 0x2000}};
        struct fx *x = *state;

        for (unsigned k = 0; k < 3; k++) {
                entry(x, 1, bad[k].addr, bad[k].size, 0, SVIRTB_CMD_READ);
                doorbell(x, 2);
                assert_reset(x, 2, 1);
                recover(x);
        }
}

/* cmd neither 0 nor 1. */
static void hostile_svirtb_bad_cmd(void **state)
{
        static const uint32_t cmds[] = {2, 0xffffffffu};
        struct fx *x = *state;

        for (unsigned k = 0; k < 2; k++) {
                entry(x, 1, BUF, TD_SECTOR, KNOWN, cmds[k]);
                doorbell(x, 2);
                assert_reset(x, 2, 1);
                recover(x);
        }
}

/* sector * 512 overflows; sector * 512 + size overflows. */
static void hostile_svirtb_sector_overflow(void **state)
{
        static const struct {
                uint64_t sector, size;
        } bad[] = {{1ULL << 55, TD_SECTOR}, {(1ULL << 55) - 1, 1024}, {UINT64_MAX, TD_SECTOR}};
        struct fx *x = *state;

        for (unsigned k = 0; k < 3; k++) {
                entry(x, 1, BUF, bad[k].size, bad[k].sector, SVIRTB_CMD_READ);
                doorbell(x, 2);
                assert_reset(x, 2, 1);
                recover(x);
        }
}

/* A zero-size buffer still has to be in RAM. */
static void hostile_svirtb_zero_size_outside_ram(void **state)
{
        struct fx *x = *state;

        entry(x, 1, HOLE, 0, KNOWN, SVIRTB_CMD_READ);
        doorbell(x, 2);
        assert_reset(x, 2, 1);
        recover(x);
}

/* A read running past the end of the disk copies only what exists and
 * leaves the rest of the buffer untouched (svirtb.md, Processing). */
static void hostile_svirtb_read_past_disk_end(void **state)
{
        struct fx *x = *state;

        memset(ram(x, BUF, 4096), FILL, 4096);
        entry(x, 1, BUF, 4096, SECTORS - 1, SVIRTB_CMD_READ);
        doorbell(x, 2);
        assert_regs(x, SVIRTB_READY, QS, RING, 2, 2);
        assert_canary(x, BUF, TD_SECTOR);
        assert_ram_is_sector(x, BUF, SECTORS - 1, TD_SECTOR);
        entry(x, 2, BUF2, TD_SECTOR, 1ULL << 40, SVIRTB_CMD_READ);
        doorbell(x, 3);
        assert_regs(x, SVIRTB_READY, QS, RING, 3, 3);
        assert_canary(x, 0, 0);
        recover(x);
}

/* Three entries, the second bad: the first is done, the third never. */
static void hostile_svirtb_error_midway(void **state)
{
        struct fx *x = *state;

        memset(ram(x, BUF, TD_SECTOR), FILL, TD_SECTOR);
        entry(x, 0, BUF, TD_SECTOR, KNOWN, SVIRTB_CMD_READ);
        entry(x, 1, BUF2, TD_SECTOR, KNOWN, 7);
        entry(x, 2, BUF3, TD_SECTOR, KNOWN + 1, SVIRTB_CMD_READ);
        doorbell(x, 3);
        assert_regs(x, SVIRTB_RESET, QS, RING, 3, 1);
        assert_canary(x, BUF, TD_SECTOR);
        assert_ram_is_sector(x, BUF, KNOWN, TD_SECTOR);
        /* In RESET a doorbell is ignored. */
        doorbell(x, 3);
        assert_reset(x, 3, 1);
        recover(x);
}

/* === registers ============================================================== */

/* queue_head not below queue_size. */
static void hostile_svirtb_head_out_of_range(void **state)
{
        static const uint32_t heads[] = {QS, 0xffffffffu};
        struct fx *x = *state;

        for (unsigned k = 0; k < 2; k++) {
                uint32_t head = reg(x, SVIRTB_REG_QUEUE_HEAD);

                entry(x, head, BUF, TD_SECTOR, KNOWN, SVIRTB_CMD_READ);
                doorbell(x, heads[k]);
                assert_reset(x, head, head);
                recover(x);
        }
}

/* READY refused (status RESET) for a queue_size of 0. */
static void hostile_svirtb_queue_size_zero(void **state)
{
        struct fx *x = *state;

        snap(x);
        assert_int_equal(init(x, RING, 0), SVIRTB_RESET);
        assert_reset(x, 0, 0);
        wr(x, SVIRTB_REG_QUEUE_HEAD, 0); /* no doorbell in RESET */
        assert_reset(x, 0, 0);
        recover(x);
}

/* 4097 and 0xffffffff are refused; 4096 is the largest accepted. */
static void hostile_svirtb_queue_size_above_max(void **state)
{
        static const uint32_t sizes[] = {SVIRTB_QUEUE_MAX + 1, 0xffffffffu};
        struct fx *x = *state;

        for (unsigned k = 0; k < 2; k++) {
                snap(x);
                assert_int_equal(init(x, BIGRING, sizes[k]), SVIRTB_RESET);
                assert_reset(x, 0, 0);
                recover(x);
        }
        memset(ram(x, BIGRING, SVIRTB_QUEUE_MAX * 32), 0, SVIRTB_QUEUE_MAX * 32);
        assert_int_equal(init(x, BIGRING, SVIRTB_QUEUE_MAX), SVIRTB_READY);
        advance(x, SVIRTB_QUEUE_MAX - 1);
        valid_read(x, SVIRTB_QUEUE_MAX - 1, KNOWN, BUF);
        recover(x);
}

/* A ring in the MMIO hole, on the register page, and above all RAM. */
static void hostile_svirtb_ring_outside_ram(void **state)
{
        static const uint64_t rings[] = {HOLE, SVIRTB_BASE, 0xffffffff00000000ULL};
        struct fx *x = *state;

        for (unsigned k = 0; k < 3; k++) {
                snap(x);
                assert_int_equal(init(x, rings[k], QS), SVIRTB_RESET);
                assert_reset(x, 0, 0);
                recover(x);
        }
}

/* A ring ending one entry past the end of RAM is refused; one ending
 * exactly there works. */
static void hostile_svirtb_ring_past_ram_end(void **state)
{
        struct fx *x = *state;

        snap(x);
        assert_int_equal(init(x, B_END - (QS - 1) * 32, QS), SVIRTB_RESET);
        assert_reset(x, 0, 0);
        recover(x);
        memset(ram(x, B_END - QS * 32, QS * 32), 0, QS * 32);
        assert_int_equal(init(x, B_END - QS * 32, QS), SVIRTB_READY);
        advance(x, QS - 1);
        valid_read(x, QS - 1, KNOWN, BUF);
        recover(x);
}

/* Queue registers and status writes are ignored while READY. */
static void hostile_svirtb_regs_while_ready(void **state)
{
        struct fx *x = *state;

        snap(x);
        wr(x, SVIRTB_REG_QUEUE_SIZE, 1);
        wr(x, SVIRTB_REG_QUEUE_ADDR_HI, 1);
        wr(x, SVIRTB_REG_QUEUE_ADDR_LO, (uint32_t)HOLE);
        wr(x, SVIRTB_REG_STATUS, SVIRTB_DRIVER_OK);
        wr(x, SVIRTB_REG_STATUS, SVIRTB_READY);
        wr(x, SVIRTB_REG_QUEUE_TAIL, 5);
        assert_regs(x, SVIRTB_READY, QS, RING, 0, 0);
        assert_canary(x, 0, 0);
        valid_read(x, 0, KNOWN, BUF);
        recover(x);
}

/* A doorbell in MAGIC or DRIVER_OK is ignored: no entry is read. */
static void hostile_svirtb_doorbell_before_ready(void **state)
{
        struct fx *x = *state;

        entry(x, 0, BUF, TD_SECTOR, KNOWN, SVIRTB_CMD_READ);
        memset(ram(x, BUF, TD_SECTOR), FILL, TD_SECTOR);
        wr(x, SVIRTB_REG_STATUS, SVIRTB_RESET);
        doorbell(x, 1);
        assert_regs(x, SVIRTB_MAGIC, 0, 0, 0, 0);
        wr(x, SVIRTB_REG_STATUS, SVIRTB_DRIVER_OK);
        wr(x, SVIRTB_REG_QUEUE_ADDR_HI, 0);
        wr(x, SVIRTB_REG_QUEUE_ADDR_LO, (uint32_t)RING);
        wr(x, SVIRTB_REG_QUEUE_SIZE, QS);
        doorbell(x, 1);
        assert_regs(x, SVIRTB_DRIVER_OK, QS, RING, 0, 0);
        assert_canary(x, 0, 0);
        recover(x);
}

/* Access model: only aligned 32-bit writes to the six registers count. */
static void hostile_svirtb_bad_width(void **state)
{
        struct fx *x = *state;

        memset(ram(x, BUF, TD_SECTOR), FILL, TD_SECTOR);
        entry(x, 0, BUF, TD_SECTOR, KNOWN, SVIRTB_CMD_READ);
        snap(x);
        wr_len(x, SVIRTB_REG_QUEUE_HEAD, 1, 1);
        wr_len(x, SVIRTB_REG_QUEUE_HEAD, 2, 1);
        wr_len(x, SVIRTB_REG_QUEUE_HEAD, 8, 1);
        wr_len(x, SVIRTB_REG_QUEUE_HEAD + 1, 4, 1);
        wr_len(x, SVIRTB_REG_STATUS, 1, SVIRTB_RESET);
        wr_len(x, SVIRTB_REG_STATUS + 2, 4, SVIRTB_RESET);
        wr(x, 0x18, 1);
        wr(x, SVIRTB_PAGE_SIZE - 4, 1);
        wr(x, SVIRTB_PAGE_SIZE, 1);
        wr(x, UINT64_MAX - 3, 1);
        svirtb_mmio_write(&x->s, SVIRTB_REG_QUEUE_HEAD, NULL, 4);
        assert_regs(x, SVIRTB_READY, QS, RING, 0, 0);
        assert_canary(x, 0, 0);
        doorbell(x, 1);
        assert_regs(x, SVIRTB_READY, QS, RING, 1, 1);
        assert_canary(x, BUF, TD_SECTOR);
        assert_ram_is_sector(x, BUF, KNOWN, TD_SECTOR);
        recover(x);
}

/* Status values that mean nothing in the current state are ignored. */
static void hostile_svirtb_status_garbage(void **state)
{
        struct fx *x = *state;

        wr(x, SVIRTB_REG_STATUS, SVIRTB_RESET);
        snap(x);
        wr(x, SVIRTB_REG_STATUS, 7);
        wr(x, SVIRTB_REG_STATUS, SVIRTB_READY); /* READY from MAGIC */
        wr(x, SVIRTB_REG_STATUS, SVIRTB_MAGIC);
        assert_regs(x, SVIRTB_MAGIC, 0, 0, 0, 0);
        wr(x, SVIRTB_REG_STATUS, SVIRTB_DRIVER_OK);
        wr(x, SVIRTB_REG_STATUS, SVIRTB_MAGIC);
        wr(x, SVIRTB_REG_STATUS, 0xffffffffu);
        assert_regs(x, SVIRTB_DRIVER_OK, 0, 0, 0, 0);
        init_ok(x);
        wr(x, SVIRTB_REG_STATUS, SVIRTB_DRIVER_OK);
        wr(x, SVIRTB_REG_STATUS, 3);
        assert_regs(x, SVIRTB_READY, QS, RING, 0, 0);
        assert_canary(x, 0, 0);
        recover(x);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
            T(hostile_svirtb_buf_outside_ram),
            T(hostile_svirtb_buf_at_own_regs),
            T(hostile_svirtb_buf_at_ram_end),
            T(hostile_svirtb_buf_past_ram_end),
            T(hostile_svirtb_huge_size),
            T(hostile_svirtb_bad_cmd),
            T(hostile_svirtb_sector_overflow),
            T(hostile_svirtb_zero_size_outside_ram),
            T(hostile_svirtb_read_past_disk_end),
            T(hostile_svirtb_error_midway),
            T(hostile_svirtb_head_out_of_range),
            T(hostile_svirtb_queue_size_zero),
            T(hostile_svirtb_queue_size_above_max),
            T(hostile_svirtb_ring_outside_ram),
            T(hostile_svirtb_ring_past_ram_end),
            T(hostile_svirtb_regs_while_ready),
            T(hostile_svirtb_doorbell_before_ready),
            T(hostile_svirtb_bad_width),
            T(hostile_svirtb_status_garbage),
        };

        cmocka_set_test_filter(getenv("UNIT_TEST_FILTER"));
        return cmocka_run_group_tests_name("hostile svirtb", tests, NULL, NULL);
}
