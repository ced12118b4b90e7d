/*
 * test_svirtb: the Simple VirtIO Block device (devices/svirtb.h, contract
 * docs/svirtb.md).
 *
 * Fake machine: three malloc'd RAM regions registered in a struct gmem
 * (A and B adjacent in guest space, C above 4 GiB), a malloc'd register page,
 * and a real temp file as the disk. Ring entries are built in fake RAM in
 * little-endian. Every test names the rule it checks and asserts exact
 * outcomes: registers in the device and in the page, bytes in RAM and file.
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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/svirtb.h"
#include "devices/trace.h"
#include "testimage.h"

#define A_GPA  0x0ULL
#define A_SIZE 0x40000ULL
#define B_GPA  (A_GPA + A_SIZE) /* adjacent to A in guest space, separate host buffer */
#define B_SIZE 0x10000ULL
#define B_END  (B_GPA + B_SIZE)
#define C_GPA  0x100000000ULL /* above 4 GiB: needs queue_addr_hi */
#define C_SIZE 0x2000ULL

#define RING 0x1000ULL
#define BUF  0x10000ULL
#define BUF2 0x12000ULL
#define BUF3 0x14000ULL

#define FILL         0x5a /* what untouched guest RAM holds */
#define DISK_SECTORS 16u
#define DISK_SIZE    (DISK_SECTORS * SVIRTB_SECTOR)

struct fixture {
        struct gmem gm;
        uint8_t *a, *b, *c;
        uint8_t *page;
        struct disk disk;
        struct svirtb s;
        char path[4096];   /* in ti_tmpdir() */
        const void *param; /* the test's initial state: run_ring_case's case */
};

/* The original byte at offset off of the disk image (tools/testdisk.h's layout). */
static uint8_t pattern(uint64_t off)
{
        return ti_byte(DISK_SECTORS, off);
}

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));
        char err[256];

        if (f == NULL)
                return -1;
        f->param = *state;
        f->a = malloc(A_SIZE);
        f->b = malloc(B_SIZE);
        f->c = malloc(C_SIZE);
        f->page = malloc(SVIRTB_PAGE_SIZE);
        if (!f->a || !f->b || !f->c || !f->page ||
            ti_make(f->path, sizeof(f->path), "svirtb", DISK_SECTORS) < 0)
                return -1;
        memset(f->a, FILL, A_SIZE);
        memset(f->b, FILL, B_SIZE);
        memset(f->c, FILL, C_SIZE);
        memset(f->page, 0xcc, SVIRTB_PAGE_SIZE); /* init must clear it */
        gmem_init(&f->gm);
        if (gmem_add(&f->gm, A_GPA, A_SIZE, f->a) || gmem_add(&f->gm, B_GPA, B_SIZE, f->b) ||
            gmem_add(&f->gm, C_GPA, C_SIZE, f->c))
                return -1;
        if (disk_open(&f->disk, f->path, false, err, sizeof(err)) < 0)
                return -1;
        svirtb_init(&f->s, f->page, &f->gm, &f->disk);
        trace_enabled = false;
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;

        disk_close(&f->disk);
        unlink(f->path);
        free(f->a);
        free(f->b);
        free(f->c);
        free(f->page);
        free(f);
        trace_enabled = false;
        return 0;
}

/* --- helpers ------------------------------------------------------------ */

static void put_le32(uint8_t *p, uint32_t v)
{
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
        for (int i = 0; i < 8; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Host view of guest RAM for the test's own checks. */
static uint8_t *ram(struct fixture *f, uint64_t gpa, uint64_t len)
{
        uint8_t *p = gmem_ptr(&f->gm, gpa, len);

        assert_non_null(p);
        return p;
}

/* Builds ring entry idx in fake RAM, little-endian, with a non-zero pad. */
static void put_entry(struct fixture *f, uint64_t ring, uint32_t idx, uint64_t addr, uint64_t size,
                      uint64_t sector, uint32_t cmd)
{
        uint8_t *e = ram(f, ring + (uint64_t)idx * SVIRTB_ENTRY_SIZE, SVIRTB_ENTRY_SIZE);

        put_le64(e, addr);
        put_le64(e + 8, size);
        put_le64(e + 16, sector);
        put_le32(e + 24, cmd);
        put_le32(e + 28, 0xdeadbeef);
}

static void wr(struct fixture *f, uint64_t off, uint32_t v)
{
        uint8_t data[4];

        put_le32(data, v);
        svirtb_mmio_write(&f->s, off, data, 4);
}

static uint32_t reg(struct fixture *f, uint64_t off)
{
        return get_le32(f->page + off);
}

/*
 * The checks below report the line of the test that called them (AT), not
 * their own, and a wrong status names the device's last reset_reason: a
 * failure points at the test's own expectation and at what reset the device
 * (docs/lab/svirtb.md, "Errors and reset").
 */
#define AT __FILE__, __LINE__

static void expect_eq_at(uint64_t got, uint64_t want, const char *what, const char *file, int line)
{
        if (got != want) {
                print_error("ERROR: %s is %#llx, want %#llx\n", what, (unsigned long long)got,
                            (unsigned long long)want);
                _fail(file, line);
        }
}

static void expect_status_at(struct fixture *f, uint32_t status, const char *file, int line)
{
        if (f->s.status != status) {
                print_error("ERROR: status is %#x, want %#x (last reset_reason: %s)\n", f->s.status,
                            status, f->s.reset_reason != NULL ? f->s.reset_reason : "none");
                _fail(file, line);
        }
}

/* The page holds exactly the device state (svirtb.md, Access model). */
#define assert_page_mirrors_state(f) page_mirrors_state_at(f, AT)
static void page_mirrors_state_at(struct fixture *f, const char *file, int line)
{
        expect_eq_at(reg(f, SVIRTB_REG_STATUS), f->s.status, "the page's status", file, line);
        expect_eq_at(reg(f, SVIRTB_REG_QUEUE_SIZE), f->s.queue_size, "the page's queue_size", file,
                     line);
        expect_eq_at(reg(f, SVIRTB_REG_QUEUE_ADDR_HI), f->s.queue_addr_hi,
                     "the page's queue_addr_hi", file, line);
        expect_eq_at(reg(f, SVIRTB_REG_QUEUE_ADDR_LO), f->s.queue_addr_lo,
                     "the page's queue_addr_lo", file, line);
        expect_eq_at(reg(f, SVIRTB_REG_QUEUE_HEAD), f->s.head, "the page's queue_head", file, line);
        expect_eq_at(reg(f, SVIRTB_REG_QUEUE_TAIL), f->s.tail, "the page's queue_tail", file, line);
}

#define assert_regs(f, status, qs, hi, lo, head, tail)                                             \
        regs_at(f, status, qs, hi, lo, head, tail, AT)
static void regs_at(struct fixture *f, uint32_t status, uint32_t qs, uint32_t hi, uint32_t lo,
                    uint32_t head, uint32_t tail, const char *file, int line)
{
        expect_status_at(f, status, file, line);
        expect_eq_at(f->s.queue_size, qs, "queue_size", file, line);
        expect_eq_at(f->s.queue_addr_hi, hi, "queue_addr_hi", file, line);
        expect_eq_at(f->s.queue_addr_lo, lo, "queue_addr_lo", file, line);
        expect_eq_at(f->s.head, head, "queue_head", file, line);
        expect_eq_at(f->s.tail, tail, "queue_tail", file, line);
        page_mirrors_state_at(f, file, line);
}

#define assert_status(f, status) status_at(f, status, AT)
static void status_at(struct fixture *f, uint32_t status, const char *file, int line)
{
        expect_status_at(f, status, file, line);
        expect_eq_at(reg(f, SVIRTB_REG_STATUS), status, "the page's status", file, line);
}

/* queue_size, queue_addr_hi, queue_addr_lo, in that order. */
static void write_queue_regs(struct fixture *f, uint32_t qs, uint32_t hi, uint32_t lo)
{
        wr(f, SVIRTB_REG_QUEUE_SIZE, qs);
        wr(f, SVIRTB_REG_QUEUE_ADDR_HI, hi);
        wr(f, SVIRTB_REG_QUEUE_ADDR_LO, lo);
}

static void configure(struct fixture *f, uint64_t ring, uint32_t qs)
{
        wr(f, SVIRTB_REG_STATUS, SVIRTB_DRIVER_OK);
        wr(f, SVIRTB_REG_QUEUE_ADDR_HI, (uint32_t)(ring >> 32));
        wr(f, SVIRTB_REG_QUEUE_ADDR_LO, (uint32_t)ring);
        wr(f, SVIRTB_REG_QUEUE_SIZE, qs);
}

/* The driver's initialization sequence (svirtb.md, Initialization). */
#define bring_up(f, ring, qs) bring_up_at(f, ring, qs, AT)
static void bring_up_at(struct fixture *f, uint64_t ring, uint32_t qs, const char *file, int line)
{
        status_at(f, SVIRTB_MAGIC, file, line);
        configure(f, ring, qs);
        status_at(f, SVIRTB_DRIVER_OK, file, line);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_READY);
        regs_at(f, SVIRTB_READY, qs, (uint32_t)(ring >> 32), (uint32_t)ring, 0, 0, file, line);
}

static void assert_ram_is(struct fixture *f, uint64_t gpa, uint64_t len, uint8_t v)
{
        uint8_t *p = ram(f, gpa, len);

        for (uint64_t i = 0; i < len; i++)
                assert_int_equal(p[i], v);
}

/* Guest RAM at gpa holds disk bytes [off, off + len) of the original image. */
static void assert_ram_is_disk(struct fixture *f, uint64_t gpa, uint64_t off, uint64_t len)
{
        uint8_t *p = ram(f, gpa, len);

        for (uint64_t i = 0; i < len; i++)
                assert_int_equal(p[i], pattern(off + i));
}

/* The file still has its size and its original bytes except [from, from + len) = data. */
static void assert_disk_is_original_except(struct fixture *f, uint64_t from, const uint8_t *data,
                                           uint64_t len)
{
        uint8_t buf[DISK_SIZE];
        struct stat st;
        int fd = open(f->path, O_RDONLY);

        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(st.st_size, DISK_SIZE);
        assert_int_equal(pread(fd, buf, sizeof(buf), 0), DISK_SIZE);
        close(fd);
        for (uint64_t i = 0; i < DISK_SIZE; i++) {
                if (i >= from && i - from < len)
                        assert_int_equal(buf[i], data[i - from]);
                else
                        assert_int_equal(buf[i], pattern(i));
        }
}

static void reopen_disk_readonly(struct fixture *f)
{
        char err[256];

        disk_close(&f->disk);
        assert_int_equal(disk_open(&f->disk, f->path, true, err, sizeof(err)), 0);
}

/* Puts the device in RESET through a bad READY (queue_size 0). */
static void enter_error_state(struct fixture *f)
{
        configure(f, RING, 0);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_READY);
        assert_status(f, SVIRTB_RESET);
}

/* --- register state machine ---------------------------------------------- */

static void init_shows_magic_and_zeroed_page(void **state)
{
        struct fixture *f = *state;

        assert_regs(f, SVIRTB_MAGIC, 0, 0, 0, 0, 0);
        assert_memory_equal(f->page, "virt", 4); /* MAGIC is "virt" in little-endian */
        for (unsigned i = 4 * SVIRTB_NREGS; i < SVIRTB_PAGE_SIZE; i++)
                assert_int_equal(f->page[i], 0);
        assert_null(f->s.reset_reason);
}

static void driver_ok_from_magic_is_accepted(void **state)
{
        struct fixture *f = *state;

        wr(f, SVIRTB_REG_STATUS, SVIRTB_DRIVER_OK);
        assert_regs(f, SVIRTB_DRIVER_OK, 0, 0, 0, 0, 0);
}

static void other_status_values_from_magic_are_ignored(void **state)
{
        struct fixture *f = *state;
        const uint32_t values[] = {SVIRTB_READY, SVIRTB_MAGIC, 3, 0x100, 0xffffffffu};

        for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
                wr(f, SVIRTB_REG_STATUS, values[i]);
                assert_regs(f, SVIRTB_MAGIC, 0, 0, 0, 0, 0);
        }
}

static void magic_written_by_driver_is_always_ignored(void **state)
{
        struct fixture *f = *state;

        wr(f, SVIRTB_REG_STATUS, SVIRTB_MAGIC);
        assert_status(f, SVIRTB_MAGIC);
        configure(f, RING, 4);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_MAGIC);
        assert_regs(f, SVIRTB_DRIVER_OK, 4, 0, RING, 0, 0);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_READY);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_MAGIC);
        assert_regs(f, SVIRTB_READY, 4, 0, RING, 0, 0);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_RESET);
        enter_error_state(f);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_MAGIC);
        assert_status(f, SVIRTB_RESET);
}

static void driver_ok_while_driver_ok_keeps_queue_registers(void **state)
{
        struct fixture *f = *state;

        configure(f, RING, 8);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_DRIVER_OK);
        assert_regs(f, SVIRTB_DRIVER_OK, 8, 0, RING, 0, 0);
}

static void unknown_status_value_in_driver_ok_is_ignored(void **state)
{
        struct fixture *f = *state;

        configure(f, RING, 8);
        wr(f, SVIRTB_REG_STATUS, 3);
        wr(f, SVIRTB_REG_STATUS, 0x80000001u);
        assert_regs(f, SVIRTB_DRIVER_OK, 8, 0, RING, 0, 0);
}

static void queue_regs_written_in_driver_ok_are_stored(void **state)
{
        struct fixture *f = *state;

        wr(f, SVIRTB_REG_STATUS, SVIRTB_DRIVER_OK);
        wr(f, SVIRTB_REG_QUEUE_SIZE, 0xffffffffu); /* any value until READY validates it */
        wr(f, SVIRTB_REG_QUEUE_ADDR_HI, 0x12345678);
        wr(f, SVIRTB_REG_QUEUE_ADDR_LO, 0x9abcdef0);
        assert_regs(f, SVIRTB_DRIVER_OK, 0xffffffffu, 0x12345678, 0x9abcdef0, 0, 0);
        wr(f, SVIRTB_REG_QUEUE_SIZE, 16); /* last write wins */
        assert_regs(f, SVIRTB_DRIVER_OK, 16, 0x12345678, 0x9abcdef0, 0, 0);
}

static void queue_regs_ignored_before_driver_ok(void **state)
{
        struct fixture *f = *state;

        write_queue_regs(f, 8, 1, RING);
        assert_regs(f, SVIRTB_MAGIC, 0, 0, 0, 0, 0);
}

static void queue_regs_ignored_while_ready(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, 8);
        write_queue_regs(f, 4096, 1, 0x2000);
        assert_regs(f, SVIRTB_READY, 8, 0, RING, 0, 0);
}

static void queue_regs_ignored_in_reset(void **state)
{
        struct fixture *f = *state;

        enter_error_state(f);
        write_queue_regs(f, 8, 1, 0x2000);
        assert_regs(f, SVIRTB_RESET, 0, 0, RING, 0, 0);
}

static void ready_with_valid_ring_enters_ready_with_head_and_tail_zero(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, 8);
        assert_null(f->s.reset_reason);
}

static void ready_with_queue_size_zero_enters_reset(void **state)
{
        struct fixture *f = *state;

        configure(f, RING, 0);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_READY);
        assert_regs(f, SVIRTB_RESET, 0, 0, RING, 0, 0);
        assert_non_null(f->s.reset_reason);
}

static void ready_with_queue_size_above_4096_enters_reset(void **state)
{
        struct fixture *f = *state;

        configure(f, RING, SVIRTB_QUEUE_MAX + 1); /* 4097 x 32 bytes still fits in RAM A */
        wr(f, SVIRTB_REG_STATUS, SVIRTB_READY);
        assert_regs(f, SVIRTB_RESET, 4097, 0, RING, 0, 0);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_RESET);
        configure(f, RING, 0xffffffffu);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_READY);
        assert_status(f, SVIRTB_RESET);
}

static void ready_with_queue_size_4096_is_accepted(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, SVIRTB_QUEUE_MAX);
}

static void ready_with_ring_outside_ram_enters_reset(void **state)
{
        struct fixture *f = *state;

        configure(f, 0x80000000ULL, 8);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_READY);
        assert_regs(f, SVIRTB_RESET, 8, 0, 0x80000000u, 0, 0);
}

static void ring_exactly_at_end_of_ram_is_accepted(void **state)
{
        struct fixture *f = *state;
        uint64_t ring = B_END - 2 * SVIRTB_ENTRY_SIZE;

        bring_up(f, ring, 2);
        put_entry(f, ring, 0, BUF, 512, 1, SVIRTB_CMD_READ);
        put_entry(f, ring, 1, BUF2, 512, 2, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 1);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 0); /* slot 1, the last 32 bytes of RAM */
        assert_regs(f, SVIRTB_READY, 2, 0, (uint32_t)ring, 0, 0);
        assert_ram_is_disk(f, BUF, 512, 512);
        assert_ram_is_disk(f, BUF2, 1024, 512);
}

static void ring_one_byte_past_ram_enters_reset(void **state)
{
        struct fixture *f = *state;
        uint64_t ring = B_END - 8 * SVIRTB_ENTRY_SIZE + 1;

        configure(f, ring, 8);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_READY);
        assert_regs(f, SVIRTB_RESET, 8, 0, (uint32_t)ring, 0, 0);
}

static void ring_spanning_two_regions_enters_reset(void **state)
{
        struct fixture *f = *state;
        uint64_t ring = B_GPA - 4 * SVIRTB_ENTRY_SIZE; /* half in A, half in B */

        configure(f, ring, 8);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_READY);
        assert_regs(f, SVIRTB_RESET, 8, 0, (uint32_t)ring, 0, 0);
}

static void ring_in_second_region_above_4g_works(void **state)
{
        struct fixture *f = *state;
        uint64_t ring = C_GPA + 0x100;

        bring_up(f, ring, 4);
        assert_int_equal(reg(f, SVIRTB_REG_QUEUE_ADDR_HI), 1);
        put_entry(f, ring, 0, C_GPA + 0x1000, 512, 3, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 1);
        assert_regs(f, SVIRTB_READY, 4, 1, 0x100, 1, 1);
        assert_ram_is_disk(f, C_GPA + 0x1000, 3 * 512, 512);
        assert_ram_is(f, C_GPA + 0x1200, 0x100, FILL);
}

static void ring_address_uses_queue_addr_hi(void **state)
{
        struct fixture *f = *state;

        /* lo alone would be a valid ring in A; hi = 2 puts it at 8 GiB + RING. */
        wr(f, SVIRTB_REG_STATUS, SVIRTB_DRIVER_OK);
        wr(f, SVIRTB_REG_QUEUE_ADDR_HI, 2);
        wr(f, SVIRTB_REG_QUEUE_ADDR_LO, RING);
        wr(f, SVIRTB_REG_QUEUE_SIZE, 8);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_READY);
        assert_regs(f, SVIRTB_RESET, 8, 2, RING, 0, 0);
}

static void status_writes_in_ready_other_than_reset_are_ignored(void **state)
{
        struct fixture *f = *state;
        const uint32_t values[] = {SVIRTB_DRIVER_OK, SVIRTB_READY, SVIRTB_MAGIC, 3, 0xffffffffu};

        bring_up(f, RING, 8);
        put_entry(f, RING, 0, BUF, 16, 0, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 1);
        for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
                wr(f, SVIRTB_REG_STATUS, values[i]);
                /* READY again does not re-validate nor clear head and tail */
                assert_regs(f, SVIRTB_READY, 8, 0, RING, 1, 1);
        }
}

static void status_writes_in_reset_other_than_reset_are_ignored(void **state)
{
        struct fixture *f = *state;
        const uint32_t values[] = {SVIRTB_DRIVER_OK, SVIRTB_READY, SVIRTB_MAGIC, 3, 0xffffffffu};

        enter_error_state(f);
        for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
                wr(f, SVIRTB_REG_STATUS, values[i]);
                assert_regs(f, SVIRTB_RESET, 0, 0, RING, 0, 0);
        }
}

static void reset_from_any_state_returns_to_magic(void **state)
{
        struct fixture *f = *state;

        /* from MAGIC */
        wr(f, SVIRTB_REG_STATUS, SVIRTB_RESET);
        assert_regs(f, SVIRTB_MAGIC, 0, 0, 0, 0, 0);
        /* from DRIVER_OK with queue registers set */
        configure(f, C_GPA, 8);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_RESET);
        assert_regs(f, SVIRTB_MAGIC, 0, 0, 0, 0, 0);
        /* from READY with head and tail moved */
        bring_up(f, RING, 8);
        put_entry(f, RING, 0, BUF, 16, 0, SVIRTB_CMD_READ);
        put_entry(f, RING, 1, BUF, 16, 0, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 2);
        assert_regs(f, SVIRTB_READY, 8, 0, RING, 2, 2);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_RESET);
        assert_regs(f, SVIRTB_MAGIC, 0, 0, 0, 0, 0);
        /* from the error state, with tail stuck mid-ring */
        bring_up(f, RING, 8);
        put_entry(f, RING, 0, BUF, 16, 0, SVIRTB_CMD_READ);
        put_entry(f, RING, 1, BUF, 16, 0, 7);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 3);
        assert_regs(f, SVIRTB_RESET, 8, 0, RING, 3, 1);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_RESET);
        assert_regs(f, SVIRTB_MAGIC, 0, 0, 0, 0, 0);
}

static void reset_keeps_reset_reason(void **state)
{
        struct fixture *f = *state;
        const char *reason;

        enter_error_state(f);
        reason = f->s.reset_reason;
        assert_non_null(reason);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_RESET);
        assert_status(f, SVIRTB_MAGIC);
        assert_ptr_equal(f->s.reset_reason, reason);
}

static void svirtb_reset_call_forgets_the_queue(void **state)
{
        struct fixture *f = *state;

        bring_up(f, C_GPA, 8);
        put_entry(f, C_GPA, 0, BUF, 16, 0, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 1);
        svirtb_reset(&f->s);
        assert_regs(f, SVIRTB_MAGIC, 0, 0, 0, 0, 0);
}

static void device_can_be_reinitialized_after_error(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, 8);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 8); /* error */
        assert_status(f, SVIRTB_RESET);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_RESET);
        bring_up(f, RING + 0x100, 4);
        put_entry(f, RING + 0x100, 0, BUF, 512, 5, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 1);
        assert_regs(f, SVIRTB_READY, 4, 0, RING + 0x100, 1, 1);
        assert_ram_is_disk(f, BUF, 5 * 512, 512);
}

static void queue_tail_write_is_ignored(void **state)
{
        struct fixture *f = *state;

        wr(f, SVIRTB_REG_QUEUE_TAIL, 3);
        assert_regs(f, SVIRTB_MAGIC, 0, 0, 0, 0, 0);
        configure(f, RING, 8);
        wr(f, SVIRTB_REG_QUEUE_TAIL, 3);
        assert_regs(f, SVIRTB_DRIVER_OK, 8, 0, RING, 0, 0);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_READY);
        wr(f, SVIRTB_REG_QUEUE_TAIL, 3);
        assert_regs(f, SVIRTB_READY, 8, 0, RING, 0, 0);
}

/* Writes of READY (1) at w[k].off, w[k].len bytes, in DRIVER_OK: all ignored. */
struct raw {
        uint64_t off;
        size_t len;
};
static void assert_raw_writes_ignored(struct fixture *f, const struct raw *w, size_t n)
{
        const uint8_t ready[8] = {1, 0, 0, 0, 1, 0, 0, 0};

        configure(f, RING, 8);
        for (size_t k = 0; k < n; k++)
                svirtb_mmio_write(&f->s, w[k].off, ready, w[k].len);
        assert_regs(f, SVIRTB_DRIVER_OK, 8, 0, RING, 0, 0);
}

static void unaligned_write_is_ignored(void **state)
{
        static const struct raw w[] = {{1, 4}, {2, 4}, {3, 4}, {0x11, 4}};

        assert_raw_writes_ignored(*state, w, sizeof(w) / sizeof(w[0]));
}

static void non_four_byte_write_is_ignored(void **state)
{
        static const struct raw w[] = {{0, 1}, {0, 2}, {0, 8}, {0, 0}, {4, 3}};

        assert_raw_writes_ignored(*state, w, sizeof(w) / sizeof(w[0]));
}

static void write_past_the_registers_is_ignored(void **state)
{
        struct fixture *f = *state;
        const uint64_t offsets[] = {0x18, 0x1c, 0xffc, 0x1000, 0xfffffffcULL, UINT64_MAX - 3};
        uint8_t before[SVIRTB_PAGE_SIZE];

        configure(f, RING, 8);
        memcpy(before, f->page, sizeof(before));
        for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++)
                wr(f, offsets[i], SVIRTB_READY);
        assert_regs(f, SVIRTB_DRIVER_OK, 8, 0, RING, 0, 0);
        assert_memory_equal(f->page, before, sizeof(before));
}

static void write_without_data_is_ignored(void **state)
{
        struct fixture *f = *state;

        svirtb_mmio_write(&f->s, SVIRTB_REG_STATUS, NULL, 4);
        assert_regs(f, SVIRTB_MAGIC, 0, 0, 0, 0, 0);
}

static void ignored_writes_leave_page_unchanged(void **state)
{
        struct fixture *f = *state;
        uint8_t before[SVIRTB_PAGE_SIZE];
        const uint8_t v[4] = {1, 0, 0, 0};

        bring_up(f, RING, 8);
        memcpy(before, f->page, sizeof(before));
        wr(f, SVIRTB_REG_STATUS, SVIRTB_DRIVER_OK);
        wr(f, SVIRTB_REG_QUEUE_SIZE, 2);
        wr(f, SVIRTB_REG_QUEUE_ADDR_LO, 0);
        wr(f, SVIRTB_REG_QUEUE_TAIL, 5);
        svirtb_mmio_write(&f->s, 0x10, v, 2);
        svirtb_mmio_write(&f->s, 0x12, v, 4);
        assert_memory_equal(f->page, before, sizeof(before));
}

static void page_mirrors_state_after_every_write(void **state)
{
        struct fixture *f = *state;
        const struct {
                uint64_t off;
                uint32_t v;
        } seq[] = {
            {SVIRTB_REG_STATUS, SVIRTB_DRIVER_OK},
            {SVIRTB_REG_QUEUE_ADDR_HI, 0},
            {SVIRTB_REG_QUEUE_ADDR_LO, RING},
            {SVIRTB_REG_QUEUE_SIZE, 4},
            {SVIRTB_REG_STATUS, SVIRTB_READY},
            {SVIRTB_REG_QUEUE_HEAD, 2},
            {SVIRTB_REG_QUEUE_HEAD, 3},
            {SVIRTB_REG_QUEUE_HEAD, 1},
            {SVIRTB_REG_QUEUE_HEAD, 4},
            {SVIRTB_REG_STATUS, SVIRTB_RESET},
            {SVIRTB_REG_STATUS, SVIRTB_DRIVER_OK},
        };

        for (uint32_t i = 0; i < 4; i++)
                put_entry(f, RING, i, BUF + i * 512, 512, i, SVIRTB_CMD_READ);
        for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
                wr(f, seq[i].off, seq[i].v);
                assert_page_mirrors_state(f);
                if (seq[i].off == SVIRTB_REG_QUEUE_HEAD && f->s.status == SVIRTB_READY)
                        assert_int_equal(reg(f, SVIRTB_REG_QUEUE_TAIL), seq[i].v);
        }
        assert_regs(f, SVIRTB_DRIVER_OK, 0, 0, 0, 0, 0);
}

static void mmio_read_returns_page_bytes_and_zeros_past_page(void **state)
{
        struct fixture *f = *state;
        uint8_t out[8];

        configure(f, RING, 8);
        svirtb_mmio_read(&f->s, SVIRTB_REG_QUEUE_SIZE, out, 4);
        assert_int_equal(get_le32(out), 8);
        svirtb_mmio_read(&f->s, SVIRTB_REG_QUEUE_ADDR_LO, out, 2);
        assert_int_equal(out[0] | out[1] << 8, RING & 0xffff);
        f->page[SVIRTB_PAGE_SIZE - 2] = 0x11;
        f->page[SVIRTB_PAGE_SIZE - 1] = 0x22;
        memset(out, 0xff, sizeof(out));
        svirtb_mmio_read(&f->s, SVIRTB_PAGE_SIZE - 2, out, 4);
        assert_memory_equal(out, "\x11\x22\0\0", 4);
        memset(out, 0xff, sizeof(out));
        svirtb_mmio_read(&f->s, SVIRTB_PAGE_SIZE, out, 4);
        assert_memory_equal(out, "\0\0\0\0", 4);
        memset(out, 0xff, sizeof(out));
        svirtb_mmio_read(&f->s, UINT64_MAX - 1, out, 8);
        assert_memory_equal(out, "\0\0\0\0\0\0\0\0", 8);
}

/* --- ring walking ---------------------------------------------------------- */

static void doorbell_before_ready_is_ignored(void **state)
{
        struct fixture *f = *state;

        configure(f, RING, 8);
        put_entry(f, RING, 0, BUF, 512, 0, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 1);
        assert_regs(f, SVIRTB_DRIVER_OK, 8, 0, RING, 0, 0);
        assert_ram_is(f, BUF, 512, FILL);
        /* Going READY afterwards starts from an empty ring. */
        wr(f, SVIRTB_REG_STATUS, SVIRTB_READY);
        assert_regs(f, SVIRTB_READY, 8, 0, RING, 0, 0);
        assert_ram_is(f, BUF, 512, FILL);
}

static void doorbell_in_magic_is_ignored(void **state)
{
        struct fixture *f = *state;

        wr(f, SVIRTB_REG_QUEUE_HEAD, 1);
        assert_regs(f, SVIRTB_MAGIC, 0, 0, 0, 0, 0);
}

static void write_entry_copies_guest_buffer_to_disk(void **state)
{
        struct fixture *f = *state;
        uint8_t *buf = ram(f, BUF, 1024);

        for (int i = 0; i < 1024; i++)
                buf[i] = (uint8_t)(i ^ 0x3c);
        bring_up(f, RING, 8);
        put_entry(f, RING, 0, BUF, 1024, 6, SVIRTB_CMD_WRITE);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 1);
        assert_regs(f, SVIRTB_READY, 8, 0, RING, 1, 1);
        assert_disk_is_original_except(f, 6 * 512, buf, 1024);
}

static void entry_pad_is_ignored(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, 8);
        put_entry(f, RING, 0, BUF, 512, 1, SVIRTB_CMD_READ);
        put_le32(ram(f, RING + 28, 4), 0xffffffffu);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 1);
        assert_regs(f, SVIRTB_READY, 8, 0, RING, 1, 1);
        assert_ram_is_disk(f, BUF, 512, 512);
}

static void entry_fields_are_little_endian(void **state)
{
        struct fixture *f = *state;
        uint8_t *e = ram(f, RING, SVIRTB_ENTRY_SIZE);

        bring_up(f, RING, 8);
        memset(e, 0, SVIRTB_ENTRY_SIZE);
        e[1] = 0x01; /* addr = 0x10100 */
        e[2] = 0x01;
        e[8 + 1] = 2; /* size = 0x200 */
        e[16] = 7;    /* sector = 7 */
        wr(f, SVIRTB_REG_QUEUE_HEAD, 1);
        assert_regs(f, SVIRTB_READY, 8, 0, RING, 1, 1);
        assert_ram_is_disk(f, 0x10100, 7 * 512, 512);
}

/* --- errors (svirtb.md, Errors and reset) ------------------------------------- */

static void host_io_error_enters_reset(void **state)
{
        struct fixture *f = *state;
        int rw_fd = f->disk.fd;

        /* A descriptor that cannot be written: the disk write fails with EBADF. */
        f->disk.fd = open(f->path, O_RDONLY);
        assert_true(f->disk.fd >= 0);
        bring_up(f, RING, 8);
        put_entry(f, RING, 0, BUF, 512, 0, SVIRTB_CMD_READ);
        put_entry(f, RING, 1, BUF2, 512, 0, SVIRTB_CMD_WRITE);
        put_entry(f, RING, 2, BUF3, 512, 0, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 3);
        assert_regs(f, SVIRTB_RESET, 8, 0, RING, 3, 1);
        assert_ram_is_disk(f, BUF, 0, 512);
        assert_ram_is(f, BUF3, 512, FILL);
        close(f->disk.fd);
        /* A directory descriptor cannot be read: the disk read fails with EISDIR. */
        f->disk.fd = open("/tmp", O_RDONLY | O_DIRECTORY);
        assert_true(f->disk.fd >= 0);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_RESET);
        bring_up(f, RING, 8);
        put_entry(f, RING, 0, BUF3, 512, 0, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 1);
        assert_regs(f, SVIRTB_RESET, 8, 0, RING, 1, 0);
        close(f->disk.fd);
        f->disk.fd = rw_fd;
        assert_disk_is_original_except(f, 0, NULL, 0);
}

/* --- past the end, read-only (svirtb.md, Processing) ------------------------ */

/* --- ring walking, errors, past the end, as data ----------------------------- */

/*
 * A ring case: steps on the ring at RING, run in order by run_ring_case. Its
 * register checks report the line of the case's row (AT_ROW) with the
 * device's last reset_reason, as the checks above do for a test's line.
 */
struct rstep {
        char k;
        uint32_t v;
        uint64_t a, b, c, d;
};

struct ring_case {
        int line;
        struct rstep s[16];
};

// clang-format off
#define UP(qs)                      {'U', qs, 0, 0, 0, 0} /* bring_up(f, RING, qs) */
#define E(slot, addr, size, sec, cmd) {'e', cmd, slot, addr, size, sec} /* put_entry */
#define BELL(head)                  {'b', head, 0, 0, 0, 0} /* queue_head = head */
#define REGS(st, head, tail)        {'g', st, head, tail, 0, 0} /* assert_regs, RING, qs */
#define RAM(gpa, len, byte)         {'m', byte, gpa, len, 0, 0} /* assert_ram_is */
#define DISK(gpa, off, len)         {'k', 0, gpa, off, len, 0} /* assert_ram_is_disk */
#define ORIG                        {'o', 0, 0, 0, 0, 0} /* the disk is original */
#define ORIG_BUT(from, gpa, len)    {'o', 0, from, gpa, len, 0} /* but [from, +len) = RAM at gpa */
#define SET(gpa, len, byte)         {'s', byte, gpa, len, 0, 0}
#define RO                          {'R', 0, 0, 0, 0, 0} /* reopen_disk_readonly */
#define REASON                      {'w', 0, 0, 0, 0, 0} /* a reset_reason was recorded */
// clang-format on
#define RING_CASE(name, ...) static const struct ring_case name = {__LINE__, {__VA_ARGS__}};
#define RD                   SVIRTB_CMD_READ
#define WRT                  SVIRTB_CMD_WRITE

static void run_ring_case(void **state)
{
        struct fixture *f = *state;
        const struct ring_case *c = f->param;
        uint32_t qs = 0;

        for (const struct rstep *s = c->s; s->k != 0; s++) {
                if (s->k == 'U')
                        bring_up_at(f, RING, qs = s->v, __FILE__, c->line);
                else if (s->k == 'e')
                        put_entry(f, RING, (uint32_t)s->a, s->b, s->c, s->d, s->v);
                else if (s->k == 'b')
                        wr(f, SVIRTB_REG_QUEUE_HEAD, s->v);
                else if (s->k == 'g')
                        regs_at(f, s->v, qs, 0, RING, (uint32_t)s->a, (uint32_t)s->b, __FILE__,
                                c->line);
                else if (s->k == 'm')
                        assert_ram_is(f, s->a, s->b, (uint8_t)s->v);
                else if (s->k == 'k')
                        assert_ram_is_disk(f, s->a, s->b, s->c);
                else if (s->k == 'o')
                        assert_disk_is_original_except(f, s->a, s->c ? ram(f, s->b, s->c) : NULL,
                                                       s->c);
                else if (s->k == 's')
                        memset(ram(f, s->a, s->b), (int)s->v, s->b);
                else if (s->k == 'R')
                        reopen_disk_readonly(f);
                else
                        assert_non_null(f->s.reset_reason);
        }
}

/* Ring walking. */
RING_CASE(doorbell_after_error_is_ignored, UP(8), E(0, BUF, 512, 0, 9), E(1, BUF2, 512, 0, RD),
          BELL(1), REGS(SVIRTB_RESET, 1, 0), E(0, BUF, 512, 0, RD), BELL(2),
          REGS(SVIRTB_RESET, 1, 0), RAM(BUF, 512, FILL), RAM(BUF2, 512, FILL))
RING_CASE(read_entry_copies_sector_into_guest_buffer, UP(8), E(0, BUF + 1, 1024, 3, RD), BELL(1),
          REGS(SVIRTB_READY, 1, 1), RAM(BUF, 1, FILL), DISK(BUF + 1, 3 * 512, 1024),
          RAM(BUF + 1 + 1024, 1, FILL), ORIG)
/* Write X, read it back, then overwrite with Y: the order is observable. */
RING_CASE(batch_is_processed_in_order, SET(BUF, 512, 'X'), SET(BUF3, 512, 'Y'), UP(8),
          E(0, BUF, 512, 4, WRT), E(1, BUF2, 512, 4, RD), E(2, BUF3, 512, 4, WRT), BELL(3),
          REGS(SVIRTB_READY, 3, 3), RAM(BUF2, 512, 'X'), ORIG_BUT(4 * 512, BUF3, 512))
/* Slot 0 rewritten after the first doorbell: it must not be consumed again. */
RING_CASE(multiple_doorbells_continue_from_tail, UP(8), E(0, BUF, 512, 1, RD),
          E(1, BUF2, 512, 2, RD), BELL(2), REGS(SVIRTB_READY, 2, 2), SET(BUF, 512, FILL),
          E(2, BUF3, 512, 3, RD), BELL(3), REGS(SVIRTB_READY, 3, 3), RAM(BUF, 512, FILL),
          DISK(BUF2, 2 * 512, 512), DISK(BUF3, 3 * 512, 512))
/* Slots 3, 0, 1 with new buffers: head wraps to 2; never past slot 3 (the 32
 * bytes after the ring were not read as an entry). */
RING_CASE(ring_wraps_modulo_queue_size, UP(4), E(0, BUF, 512, 0, RD), E(1, BUF + 512, 512, 1, RD),
          E(2, BUF + 1024, 512, 2, RD), BELL(3), REGS(SVIRTB_READY, 3, 3), E(3, BUF2, 512, 10, RD),
          E(0, BUF2 + 512, 512, 11, RD), E(1, BUF2 + 1024, 512, 12, RD), BELL(2),
          REGS(SVIRTB_READY, 2, 2), DISK(BUF2, 10 * 512, 3 * 512), RAM(BUF2 + 3 * 512, 512, FILL),
          RAM(RING + 4 * SVIRTB_ENTRY_SIZE, SVIRTB_ENTRY_SIZE, FILL))
/* Slot 3 not consumed. */
RING_CASE(ring_holds_queue_size_minus_one_entries_per_doorbell, UP(4), E(0, BUF, 512, 0, RD),
          E(1, BUF + 512, 512, 1, RD), E(2, BUF + 1024, 512, 2, RD), E(3, BUF + 1536, 512, 3, RD),
          BELL(3), REGS(SVIRTB_READY, 3, 3), DISK(BUF, 0, 3 * 512), RAM(BUF + 3 * 512, 512, FILL))
RING_CASE(doorbell_with_head_equal_to_tail_does_nothing, UP(4), E(0, BUF, 512, 0, RD), BELL(0),
          REGS(SVIRTB_READY, 0, 0), RAM(BUF, 512, FILL))
RING_CASE(queue_size_one_accepts_only_empty_doorbells, UP(1), E(0, BUF, 512, 0, RD), BELL(0),
          REGS(SVIRTB_READY, 0, 0), BELL(1), REGS(SVIRTB_RESET, 0, 0), RAM(BUF, 512, FILL))
/* A valid doorbell first: the device works until the bad head; then nothing
 * is consumed and the bad index is not stored. */
RING_CASE(head_not_below_queue_size_enters_reset, UP(8), E(0, BUF, 512, 0, RD), BELL(1),
          REGS(SVIRTB_READY, 1, 1), E(1, BUF + 512, 512, 1, RD), BELL(8), REGS(SVIRTB_RESET, 1, 1),
          DISK(BUF, 0, 512), RAM(BUF + 512, 512, FILL), REASON)
RING_CASE(huge_head_enters_reset, UP(8), E(0, BUF, 512, 0, RD), E(1, BUF + 512, 512, 1, RD),
          BELL(2), REGS(SVIRTB_READY, 2, 2), BELL(0xffffffffu), REGS(SVIRTB_RESET, 2, 2),
          DISK(BUF, 0, 1024))
/* The third far past the end of the disk. */
RING_CASE(size_zero_entry_is_a_noop, UP(8), E(0, BUF, 0, 2, RD), E(1, BUF, 0, 2, WRT),
          E(2, BUF, 0, 1000000, RD), BELL(3), REGS(SVIRTB_READY, 3, 3), RAM(BUF, 16, FILL), ORIG)
RING_CASE(size_zero_entry_outside_ram_enters_reset, UP(8), E(0, 0x80000000ULL, 0, 0, RD), BELL(1),
          REGS(SVIRTB_RESET, 1, 0))
/* Entry 0 fine, entry 1 outside. */
RING_CASE(size_zero_entry_at_end_of_ram_is_accepted, UP(8), E(0, B_END, 0, 0, RD),
          E(1, B_END + 1, 0, 0, RD), BELL(2), REGS(SVIRTB_RESET, 2, 1))

/* Errors (svirtb.md, Errors and reset): the tail at the failed entry, entry 0
 * done, entry 2 not consumed. */
RING_CASE(bad_cmd_enters_reset_and_stops_consuming, UP(8), E(0, BUF, 512, 1, RD),
          E(1, BUF2, 512, 2, 2), E(2, BUF3, 512, 3, RD), BELL(3), REGS(SVIRTB_RESET, 3, 1),
          DISK(BUF, 512, 512), RAM(BUF2, 512, FILL), RAM(BUF3, 512, FILL))
RING_CASE(cmd_with_high_bits_set_is_not_a_read, UP(8), E(0, BUF, 512, 1, 0x100),
          E(1, BUF, 512, 1, 0x80000001u), BELL(1), REGS(SVIRTB_RESET, 1, 0), RAM(BUF, 512, FILL))
/* 2^55 * 512 = 2^64. */
RING_CASE(sector_overflow_enters_reset, UP(8), E(0, BUF, 512, 1ULL << 55, RD), BELL(1),
          REGS(SVIRTB_RESET, 1, 0), RAM(BUF, 512, FILL))
/* (2^64 - 1) / 512 * 512 = 2^64 - 512: 511 bytes end at 2^64 - 1, no
 * overflow, simply past the end of the disk; 512 bytes overflow. */
RING_CASE(sector_plus_size_overflow_enters_reset, UP(8), E(0, BUF, 511, UINT64_MAX / 512, RD),
          E(1, BUF2, 512, UINT64_MAX / 512, WRT), BELL(2), REGS(SVIRTB_RESET, 2, 1),
          RAM(BUF, 511, FILL), ORIG)
RING_CASE(entry_buffer_outside_ram_enters_reset, UP(8), E(0, 0x80000000ULL, 512, 0, RD), BELL(1),
          REGS(SVIRTB_RESET, 1, 0))
/* Nothing partially copied. */
RING_CASE(entry_buffer_one_byte_past_ram_enters_reset, UP(8), E(0, B_END - 511, 512, 0, RD),
          BELL(1), REGS(SVIRTB_RESET, 1, 0), RAM(B_END - 511, 511, FILL))
RING_CASE(entry_buffer_exactly_at_end_of_ram_is_accepted, UP(8), E(0, B_END - 512, 512, 2, RD),
          BELL(1), REGS(SVIRTB_READY, 1, 1), DISK(B_END - 512, 2 * 512, 512))
RING_CASE(buffer_spanning_two_regions_is_refused, UP(8), E(0, B_GPA - 256, 512, 0, RD), BELL(1),
          REGS(SVIRTB_RESET, 1, 0), RAM(B_GPA - 256, 256, FILL), RAM(B_GPA, 256, FILL))
RING_CASE(entry_buffer_address_overflow_enters_reset, UP(8), E(0, UINT64_MAX - 10, 100, 0, RD),
          BELL(1), REGS(SVIRTB_RESET, 1, 0))
RING_CASE(huge_entry_size_enters_reset, UP(8), E(0, BUF, UINT64_MAX, 0, RD), BELL(1),
          REGS(SVIRTB_RESET, 1, 0), RAM(BUF, 512, FILL))
RING_CASE(write_entry_with_bad_buffer_changes_nothing_on_disk, UP(8),
          E(0, B_END - 100, 512, 0, WRT), BELL(1), REGS(SVIRTB_RESET, 1, 0), ORIG)

/* Past the end, read-only (svirtb.md, Processing). */
RING_CASE(read_past_end_leaves_rest_of_buffer_untouched, UP(8),
          E(0, BUF, 1024, DISK_SECTORS - 1, RD), BELL(1), REGS(SVIRTB_READY, 1, 1),
          DISK(BUF, (DISK_SECTORS - 1) * 512, 512), RAM(BUF + 512, 512, FILL))
RING_CASE(read_entirely_past_end_leaves_buffer_untouched, UP(8), E(0, BUF, 512, DISK_SECTORS, RD),
          E(1, BUF2, 512, 1ULL << 40, RD), BELL(2), REGS(SVIRTB_READY, 2, 2), RAM(BUF, 512, FILL),
          RAM(BUF2, 512, FILL))
RING_CASE(write_past_end_writes_only_bytes_inside_disk, SET(BUF, 1024, 0x77), UP(8),
          E(0, BUF, 1024, DISK_SECTORS - 1, WRT), E(1, BUF, 512, DISK_SECTORS + 3, WRT), BELL(2),
          REGS(SVIRTB_READY, 2, 2), ORIG_BUT((DISK_SECTORS - 1) * 512, BUF, 512))
/* Processing goes on past the refused write. */
RING_CASE(write_to_readonly_disk_changes_nothing, RO, SET(BUF, 512, 0x66), UP(8),
          E(0, BUF, 512, 2, WRT), E(1, BUF2, 512, 2, RD), BELL(2), REGS(SVIRTB_READY, 2, 2), ORIG,
          DISK(BUF2, 2 * 512, 512))
RING_CASE(readonly_disk_still_refuses_bad_write_buffer, RO, UP(8), E(0, 0x80000000ULL, 512, 2, WRT),
          BELL(1), REGS(SVIRTB_RESET, 1, 0))

/* --- trace ------------------------------------------------------------------ */

/* The device's --trace output while fn(f) ran (stderr captured meanwhile: no
 * assertion may fail inside fn, CMocka's message would go there too). */
static const char *traced(struct fixture *f, void (*fn)(struct fixture *f))
{
        static char text[16384];
        FILE *tmp = tmpfile();
        int saved = dup(STDERR_FILENO);
        size_t n;

        assert_non_null(tmp);
        assert_true(saved >= 0);
        fflush(stderr);
        assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
        trace_enabled = true;
        fn(f);
        trace_enabled = false;
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
        rewind(tmp);
        n = fread(text, 1, sizeof(text) - 1, tmp);
        text[n] = '\0';
        fclose(tmp);
        return text;
}

static void writes_entries_and_resets(struct fixture *f)
{
        const uint8_t two[2] = {1, 0};

        configure(f, RING, 8);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_READY);
        wr(f, SVIRTB_REG_QUEUE_SIZE, 8);
        svirtb_mmio_write(&f->s, 3, two, 2);
        wr(f, SVIRTB_REG_QUEUE_TAIL, 1);
        put_entry(f, RING, 0, 0x10000, 1024, DISK_SECTORS - 1, SVIRTB_CMD_READ);
        put_entry(f, RING, 1, BUF, 512, 1, 5);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 2);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_RESET);
}

static void trace_describes_writes_entries_and_resets(void **state)
{
        const char *text = traced(*state, writes_entries_and_resets);

        assert_non_null(strstr(text, "svirtb: write status <- 0x00000000 (DRIVER_OK)\n"));
        assert_non_null(strstr(text, "svirtb: write queue_size <- 8\n"));
        assert_non_null(strstr(text, "svirtb: write queue_addr_lo <- 0x00001000\n"));
        assert_non_null(strstr(text, "svirtb: write status <- 0x00000001 (READY)\n"));
        assert_non_null(strstr(text, "svirtb: ignored write queue_size <- 8 (status READY)\n"));
        assert_non_null(strstr(text, "svirtb: ignored 2-byte write at 0x3\n"));
        assert_non_null(strstr(text, "svirtb: ignored write queue_tail <- 1 (device-owned)\n"));
        assert_non_null(strstr(text, "svirtb: write queue_head <- 2\n"));
        assert_non_null(
            strstr(text, "svirtb: entry 0: cmd=0 (read) sector=15 size=1024 addr=0x10000\n"));
        assert_non_null(strstr(text, "svirtb: entry 0: read 512 of 1024 bytes (end of disk)\n"));
        assert_non_null(strstr(text, "svirtb: entry 1: cmd=5 (invalid)"));
        assert_non_null(strstr(text, "svirtb: RESET: entry 1: cmd 5 is neither read (0) nor "
                                     "write (1)\n"));
        assert_non_null(strstr(text, "svirtb: write status <- 0x00000002 (RESET)\n"));
}

static void readonly_write_and_bad_ring(struct fixture *f)
{
        configure(f, RING, 8);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_READY);
        put_entry(f, RING, 0, BUF, 512, 2, SVIRTB_CMD_WRITE);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 1);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_RESET);
        configure(f, RING, 0);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_READY);
}

static void trace_reports_readonly_write_and_bad_ring(void **state)
{
        const char *text;

        reopen_disk_readonly(*state);
        text = traced(*state, readonly_write_and_bad_ring);
        assert_non_null(strstr(text, "svirtb: entry 0: write ignored (read-only disk)\n"));
        assert_non_null(strstr(text, "svirtb: RESET: queue_size 0 not in 1..4096\n"));
}

/* --- hostile driver --------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return rng_state;
}

/* Mostly plausible, sometimes wild values: small, near limits, or random. */
static uint64_t rnd_pick(uint64_t plausible)
{
        switch (rnd() % 4) {
        case 0:
                return rnd();
        case 1:
                return UINT64_MAX - rnd() % 1024;
        default:
                return plausible;
        }
}

static void random_entry(struct fixture *f, uint64_t ring, uint32_t idx)
{
        put_entry(f, ring, idx, rnd_pick(BUF + rnd() % 0x30000), rnd_pick(rnd() % 2048),
                  rnd_pick(rnd() % (DISK_SECTORS + 4)), (uint32_t)rnd_pick(rnd() % 3));
}

static void random_hostile_driver_keeps_invariants(void **state)
{
        struct fixture *f = *state;
        const uint32_t lens[] = {4, 4, 4, 4, 4, 1, 2, 8};
        uint8_t data[8];
        struct stat st;
        unsigned ready_steps = 0, doorbells_served = 0;

        for (int step = 0; step < 20000; step++) {
                uint64_t off = rnd() % 8 == 0 ? rnd() % 0x20 : (rnd() % SVIRTB_NREGS) * 4;
                uint32_t v = (uint32_t)rnd_pick(rnd() % 8);

                if (off == SVIRTB_REG_QUEUE_ADDR_LO && rnd() % 2)
                        v = (uint32_t)(RING + rnd() % 0x100);
                if (off == SVIRTB_REG_QUEUE_ADDR_HI && rnd() % 4)
                        v = 0;
                if (rnd() % 2)
                        random_entry(f, RING + rnd() % 0x100, (uint32_t)(rnd() % 8));
                if (off == SVIRTB_REG_QUEUE_HEAD && f->s.status == SVIRTB_READY && rnd() % 2) {
                        /* now and then a well-formed entry, which must be served */
                        put_entry(f, (uint64_t)f->s.queue_addr_hi << 32 | f->s.queue_addr_lo,
                                  f->s.tail, BUF, 512, rnd() % DISK_SECTORS, SVIRTB_CMD_READ);
                        v = (f->s.tail + 1) % f->s.queue_size;
                }
                put_le32(data, v);
                put_le32(data + 4, (uint32_t)rnd());
                uint32_t tail = f->s.tail, was = f->s.status;
                svirtb_mmio_write(&f->s, off, data, lens[rnd() % 8]);
                if (was == SVIRTB_READY && f->s.status == SVIRTB_READY && f->s.tail != tail)
                        doorbells_served++;

                assert_page_mirrors_state(f);
                assert_true(f->s.status == SVIRTB_MAGIC || f->s.status <= SVIRTB_RESET);
                if (f->s.status == SVIRTB_READY) {
                        assert_in_range(f->s.queue_size, 1, SVIRTB_QUEUE_MAX);
                        assert_true(f->s.head < f->s.queue_size);
                        assert_int_equal(f->s.tail, f->s.head);
                        ready_steps++;
                }
        }
        /* The walk got past the handshake and had entries served, or it tested
         * only the error state (a doorbell that only resets keeps every
         * invariant above). */
        assert_true(ready_steps > 0);
        assert_true(doorbells_served > 0);
        assert_int_equal(fstat(f->disk.fd, &st), 0);
        assert_int_equal(st.st_size, DISK_SIZE);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
/* A case of the ring table. */
#define R(name)                                                                                    \
        {                                                                                          \
#name, run_ring_case, setup, teardown, (void *)&(name)                             \
        }

int main(void)
{
        const struct CMUnitTest tests[] = {
            /* register state machine */
            T(init_shows_magic_and_zeroed_page),
            T(driver_ok_from_magic_is_accepted),
            T(other_status_values_from_magic_are_ignored),
            T(magic_written_by_driver_is_always_ignored),
            T(driver_ok_while_driver_ok_keeps_queue_registers),
            T(unknown_status_value_in_driver_ok_is_ignored),
            T(queue_regs_written_in_driver_ok_are_stored),
            T(queue_regs_ignored_before_driver_ok),
            T(queue_regs_ignored_while_ready),
            T(queue_regs_ignored_in_reset),
            T(ready_with_valid_ring_enters_ready_with_head_and_tail_zero),
            T(ready_with_queue_size_zero_enters_reset),
            T(ready_with_queue_size_above_4096_enters_reset),
            T(ready_with_queue_size_4096_is_accepted),
            T(ready_with_ring_outside_ram_enters_reset),
            T(ring_exactly_at_end_of_ram_is_accepted),
            T(ring_one_byte_past_ram_enters_reset),
            T(ring_spanning_two_regions_enters_reset),
            T(ring_in_second_region_above_4g_works),
            T(ring_address_uses_queue_addr_hi),
            T(status_writes_in_ready_other_than_reset_are_ignored),
            T(status_writes_in_reset_other_than_reset_are_ignored),
            T(reset_from_any_state_returns_to_magic),
            T(reset_keeps_reset_reason),
            T(svirtb_reset_call_forgets_the_queue),
            T(device_can_be_reinitialized_after_error),
            T(queue_tail_write_is_ignored),
            T(unaligned_write_is_ignored),
            T(non_four_byte_write_is_ignored),
            T(write_past_the_registers_is_ignored),
            T(write_without_data_is_ignored),
            T(ignored_writes_leave_page_unchanged),
            T(page_mirrors_state_after_every_write),
            T(mmio_read_returns_page_bytes_and_zeros_past_page),
            /* ring walking */
            T(doorbell_before_ready_is_ignored),
            T(doorbell_in_magic_is_ignored),
            R(doorbell_after_error_is_ignored),
            R(read_entry_copies_sector_into_guest_buffer),
            T(write_entry_copies_guest_buffer_to_disk),
            R(batch_is_processed_in_order),
            R(multiple_doorbells_continue_from_tail),
            R(ring_wraps_modulo_queue_size),
            R(ring_holds_queue_size_minus_one_entries_per_doorbell),
            R(doorbell_with_head_equal_to_tail_does_nothing),
            R(queue_size_one_accepts_only_empty_doorbells),
            R(head_not_below_queue_size_enters_reset),
            R(huge_head_enters_reset),
            R(size_zero_entry_is_a_noop),
            R(size_zero_entry_outside_ram_enters_reset),
            R(size_zero_entry_at_end_of_ram_is_accepted),
            T(entry_pad_is_ignored),
            T(entry_fields_are_little_endian),
            /* errors */
            R(bad_cmd_enters_reset_and_stops_consuming),
            R(cmd_with_high_bits_set_is_not_a_read),
            R(sector_overflow_enters_reset),
            R(sector_plus_size_overflow_enters_reset),
            R(entry_buffer_outside_ram_enters_reset),
            R(entry_buffer_one_byte_past_ram_enters_reset),
            R(entry_buffer_exactly_at_end_of_ram_is_accepted),
            R(buffer_spanning_two_regions_is_refused),
            R(entry_buffer_address_overflow_enters_reset),
            R(huge_entry_size_enters_reset),
            R(write_entry_with_bad_buffer_changes_nothing_on_disk),
            T(host_io_error_enters_reset),
            /* past the end, read-only */
            R(read_past_end_leaves_rest_of_buffer_untouched),
            R(read_entirely_past_end_leaves_buffer_untouched),
            R(write_past_end_writes_only_bytes_inside_disk),
            R(write_to_readonly_disk_changes_nothing),
            R(readonly_disk_still_refuses_bad_write_buffer),
            /* trace and hostile driver */
            T(trace_describes_writes_entries_and_resets),
            T(trace_reports_readonly_write_and_bad_ring),
            T(random_hostile_driver_keeps_invariants),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
