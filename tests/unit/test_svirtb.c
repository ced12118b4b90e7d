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
        char path[4096]; /* in ti_tmpdir() */
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

        wr(f, SVIRTB_REG_QUEUE_SIZE, 8);
        wr(f, SVIRTB_REG_QUEUE_ADDR_HI, 1);
        wr(f, SVIRTB_REG_QUEUE_ADDR_LO, RING);
        assert_regs(f, SVIRTB_MAGIC, 0, 0, 0, 0, 0);
}

static void queue_regs_ignored_while_ready(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, 8);
        wr(f, SVIRTB_REG_QUEUE_SIZE, 4096);
        wr(f, SVIRTB_REG_QUEUE_ADDR_HI, 1);
        wr(f, SVIRTB_REG_QUEUE_ADDR_LO, 0x2000);
        assert_regs(f, SVIRTB_READY, 8, 0, RING, 0, 0);
}

static void queue_regs_ignored_in_reset(void **state)
{
        struct fixture *f = *state;

        enter_error_state(f);
        wr(f, SVIRTB_REG_QUEUE_SIZE, 8);
        wr(f, SVIRTB_REG_QUEUE_ADDR_HI, 1);
        wr(f, SVIRTB_REG_QUEUE_ADDR_LO, 0x2000);
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

static void unaligned_write_is_ignored(void **state)
{
        struct fixture *f = *state;
        const uint8_t ready[8] = {1, 0, 0, 0, 1, 0, 0, 0};

        configure(f, RING, 8);
        svirtb_mmio_write(&f->s, 1, ready, 4);
        svirtb_mmio_write(&f->s, 2, ready, 4);
        svirtb_mmio_write(&f->s, 3, ready, 4);
        svirtb_mmio_write(&f->s, 0x11, ready, 4);
        assert_regs(f, SVIRTB_DRIVER_OK, 8, 0, RING, 0, 0);
}

static void non_four_byte_write_is_ignored(void **state)
{
        struct fixture *f = *state;
        const uint8_t ready[8] = {1, 0, 0, 0, 1, 0, 0, 0};

        configure(f, RING, 8);
        svirtb_mmio_write(&f->s, 0, ready, 1);
        svirtb_mmio_write(&f->s, 0, ready, 2);
        svirtb_mmio_write(&f->s, 0, ready, 8);
        svirtb_mmio_write(&f->s, 0, ready, 0);
        svirtb_mmio_write(&f->s, 4, ready, 3);
        assert_regs(f, SVIRTB_DRIVER_OK, 8, 0, RING, 0, 0);
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

static void doorbell_after_error_is_ignored(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, 8);
        put_entry(f, RING, 0, BUF, 512, 0, 9);
        put_entry(f, RING, 1, BUF2, 512, 0, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 1);
        assert_regs(f, SVIRTB_RESET, 8, 0, RING, 1, 0);
        put_entry(f, RING, 0, BUF, 512, 0, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 2);
        assert_regs(f, SVIRTB_RESET, 8, 0, RING, 1, 0);
        assert_ram_is(f, BUF, 512, FILL);
        assert_ram_is(f, BUF2, 512, FILL);
}

static void read_entry_copies_sector_into_guest_buffer(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, 8);
        put_entry(f, RING, 0, BUF + 1, 1024, 3, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 1);
        assert_regs(f, SVIRTB_READY, 8, 0, RING, 1, 1);
        assert_ram_is(f, BUF, 1, FILL);
        assert_ram_is_disk(f, BUF + 1, 3 * 512, 1024);
        assert_ram_is(f, BUF + 1 + 1024, 1, FILL);
        assert_disk_is_original_except(f, 0, NULL, 0);
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

static void batch_is_processed_in_order(void **state)
{
        struct fixture *f = *state;
        uint8_t *x = ram(f, BUF, 512), *y = ram(f, BUF3, 512);

        memset(x, 'X', 512);
        memset(y, 'Y', 512);
        bring_up(f, RING, 8);
        /* write X, read it back, then overwrite with Y: order is observable */
        put_entry(f, RING, 0, BUF, 512, 4, SVIRTB_CMD_WRITE);
        put_entry(f, RING, 1, BUF2, 512, 4, SVIRTB_CMD_READ);
        put_entry(f, RING, 2, BUF3, 512, 4, SVIRTB_CMD_WRITE);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 3);
        assert_regs(f, SVIRTB_READY, 8, 0, RING, 3, 3);
        assert_ram_is(f, BUF2, 512, 'X');
        assert_disk_is_original_except(f, 4 * 512, y, 512);
}

static void multiple_doorbells_continue_from_tail(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, 8);
        put_entry(f, RING, 0, BUF, 512, 1, SVIRTB_CMD_READ);
        put_entry(f, RING, 1, BUF2, 512, 2, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 2);
        assert_regs(f, SVIRTB_READY, 8, 0, RING, 2, 2);
        /* Slot 0 rewritten: it must not be consumed again. */
        memset(ram(f, BUF, 512), FILL, 512);
        put_entry(f, RING, 2, BUF3, 512, 3, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 3);
        assert_regs(f, SVIRTB_READY, 8, 0, RING, 3, 3);
        assert_ram_is(f, BUF, 512, FILL);
        assert_ram_is_disk(f, BUF2, 2 * 512, 512);
        assert_ram_is_disk(f, BUF3, 3 * 512, 512);
}

static void ring_wraps_modulo_queue_size(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, 4);
        for (uint32_t i = 0; i < 3; i++)
                put_entry(f, RING, i, BUF + i * 512, 512, i, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 3);
        assert_regs(f, SVIRTB_READY, 4, 0, RING, 3, 3);
        /* slots 3, 0, 1 with new buffers: head wraps to 2 */
        put_entry(f, RING, 3, BUF2, 512, 10, SVIRTB_CMD_READ);
        put_entry(f, RING, 0, BUF2 + 512, 512, 11, SVIRTB_CMD_READ);
        put_entry(f, RING, 1, BUF2 + 1024, 512, 12, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 2);
        assert_regs(f, SVIRTB_READY, 4, 0, RING, 2, 2);
        assert_ram_is_disk(f, BUF2, 10 * 512, 3 * 512);
        assert_ram_is(f, BUF2 + 3 * 512, 512, FILL);
        /* never past slot 3: the 32 bytes after the ring were not read as an entry */
        assert_ram_is(f, RING + 4 * SVIRTB_ENTRY_SIZE, SVIRTB_ENTRY_SIZE, FILL);
}

static void ring_holds_queue_size_minus_one_entries_per_doorbell(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, 4);
        for (uint32_t i = 0; i < 4; i++)
                put_entry(f, RING, i, BUF + i * 512, 512, i, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 3);
        assert_regs(f, SVIRTB_READY, 4, 0, RING, 3, 3);
        assert_ram_is_disk(f, BUF, 0, 3 * 512);
        assert_ram_is(f, BUF + 3 * 512, 512, FILL); /* slot 3 not consumed */
}

static void doorbell_with_head_equal_to_tail_does_nothing(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, 4);
        put_entry(f, RING, 0, BUF, 512, 0, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 0);
        assert_regs(f, SVIRTB_READY, 4, 0, RING, 0, 0);
        assert_ram_is(f, BUF, 512, FILL);
}

static void queue_size_one_accepts_only_empty_doorbells(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, 1);
        put_entry(f, RING, 0, BUF, 512, 0, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 0);
        assert_regs(f, SVIRTB_READY, 1, 0, RING, 0, 0);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 1);
        assert_regs(f, SVIRTB_RESET, 1, 0, RING, 0, 0);
        assert_ram_is(f, BUF, 512, FILL);
}

static void head_not_below_queue_size_enters_reset(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, 8);
        /* a valid doorbell first: the device works until the bad head */
        put_entry(f, RING, 0, BUF, 512, 0, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 1);
        assert_regs(f, SVIRTB_READY, 8, 0, RING, 1, 1);
        put_entry(f, RING, 1, BUF + 512, 512, 1, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 8);
        /* nothing consumed, and the bad index is not stored */
        assert_regs(f, SVIRTB_RESET, 8, 0, RING, 1, 1);
        assert_ram_is_disk(f, BUF, 0, 512);
        assert_ram_is(f, BUF + 512, 512, FILL);
        assert_non_null(f->s.reset_reason);
}

static void huge_head_enters_reset(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, 8);
        put_entry(f, RING, 0, BUF, 512, 0, SVIRTB_CMD_READ);
        put_entry(f, RING, 1, BUF + 512, 512, 1, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 2);
        assert_regs(f, SVIRTB_READY, 8, 0, RING, 2, 2);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 0xffffffffu);
        assert_regs(f, SVIRTB_RESET, 8, 0, RING, 2, 2);
        assert_ram_is_disk(f, BUF, 0, 1024);
}

static void size_zero_entry_is_a_noop(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, 8);
        put_entry(f, RING, 0, BUF, 0, 2, SVIRTB_CMD_READ);
        put_entry(f, RING, 1, BUF, 0, 2, SVIRTB_CMD_WRITE);
        put_entry(f, RING, 2, BUF, 0, 1000000, SVIRTB_CMD_READ); /* far past the end */
        wr(f, SVIRTB_REG_QUEUE_HEAD, 3);
        assert_regs(f, SVIRTB_READY, 8, 0, RING, 3, 3);
        assert_ram_is(f, BUF, 16, FILL);
        assert_disk_is_original_except(f, 0, NULL, 0);
}

static void size_zero_entry_outside_ram_enters_reset(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, 8);
        put_entry(f, RING, 0, 0x80000000ULL, 0, 0, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 1);
        assert_regs(f, SVIRTB_RESET, 8, 0, RING, 1, 0);
}

static void size_zero_entry_at_end_of_ram_is_accepted(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, 8);
        put_entry(f, RING, 0, B_END, 0, 0, SVIRTB_CMD_READ);
        put_entry(f, RING, 1, B_END + 1, 0, 0, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 2);
        assert_regs(f, SVIRTB_RESET, 8, 0, RING, 2, 1); /* entry 0 fine, entry 1 outside */
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

static void bad_cmd_enters_reset_and_stops_consuming(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, 8);
        put_entry(f, RING, 0, BUF, 512, 1, SVIRTB_CMD_READ);
        put_entry(f, RING, 1, BUF2, 512, 2, 2);
        put_entry(f, RING, 2, BUF3, 512, 3, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 3);
        assert_regs(f, SVIRTB_RESET, 8, 0, RING, 3, 1); /* tail at the failed entry */
        assert_ram_is_disk(f, BUF, 512, 512);           /* entry 0 done */
        assert_ram_is(f, BUF2, 512, FILL);
        assert_ram_is(f, BUF3, 512, FILL); /* entry 2 not consumed */
}

static void cmd_with_high_bits_set_is_not_a_read(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, 8);
        put_entry(f, RING, 0, BUF, 512, 1, 0x100);
        put_entry(f, RING, 1, BUF, 512, 1, 0x80000001u);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 1);
        assert_regs(f, SVIRTB_RESET, 8, 0, RING, 1, 0);
        assert_ram_is(f, BUF, 512, FILL);
}

static void sector_overflow_enters_reset(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, 8);
        put_entry(f, RING, 0, BUF, 512, 1ULL << 55, SVIRTB_CMD_READ); /* * 512 = 2^64 */
        wr(f, SVIRTB_REG_QUEUE_HEAD, 1);
        assert_regs(f, SVIRTB_RESET, 8, 0, RING, 1, 0);
        assert_ram_is(f, BUF, 512, FILL);
}

static void sector_plus_size_overflow_enters_reset(void **state)
{
        struct fixture *f = *state;
        uint64_t last = UINT64_MAX / 512; /* * 512 = 2^64 - 512 */

        bring_up(f, RING, 8);
        /* 511 bytes end at 2^64 - 1: no overflow, simply past the end of the disk */
        put_entry(f, RING, 0, BUF, 511, last, SVIRTB_CMD_READ);
        put_entry(f, RING, 1, BUF2, 512, last, SVIRTB_CMD_WRITE);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 2);
        assert_regs(f, SVIRTB_RESET, 8, 0, RING, 2, 1);
        assert_ram_is(f, BUF, 511, FILL);
        assert_disk_is_original_except(f, 0, NULL, 0);
}

static void entry_buffer_outside_ram_enters_reset(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, 8);
        put_entry(f, RING, 0, 0x80000000ULL, 512, 0, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 1);
        assert_regs(f, SVIRTB_RESET, 8, 0, RING, 1, 0);
}

static void entry_buffer_one_byte_past_ram_enters_reset(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, 8);
        put_entry(f, RING, 0, B_END - 511, 512, 0, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 1);
        assert_regs(f, SVIRTB_RESET, 8, 0, RING, 1, 0);
        assert_ram_is(f, B_END - 511, 511, FILL); /* nothing partially copied */
}

static void entry_buffer_exactly_at_end_of_ram_is_accepted(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, 8);
        put_entry(f, RING, 0, B_END - 512, 512, 2, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 1);
        assert_regs(f, SVIRTB_READY, 8, 0, RING, 1, 1);
        assert_ram_is_disk(f, B_END - 512, 2 * 512, 512);
}

static void buffer_spanning_two_regions_is_refused(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, 8);
        put_entry(f, RING, 0, B_GPA - 256, 512, 0, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 1);
        assert_regs(f, SVIRTB_RESET, 8, 0, RING, 1, 0);
        assert_ram_is(f, B_GPA - 256, 256, FILL);
        assert_ram_is(f, B_GPA, 256, FILL);
}

static void entry_buffer_address_overflow_enters_reset(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, 8);
        put_entry(f, RING, 0, UINT64_MAX - 10, 100, 0, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 1);
        assert_regs(f, SVIRTB_RESET, 8, 0, RING, 1, 0);
}

static void huge_entry_size_enters_reset(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, 8);
        put_entry(f, RING, 0, BUF, UINT64_MAX, 0, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 1);
        assert_regs(f, SVIRTB_RESET, 8, 0, RING, 1, 0);
        assert_ram_is(f, BUF, 512, FILL);
}

static void write_entry_with_bad_buffer_changes_nothing_on_disk(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, 8);
        put_entry(f, RING, 0, B_END - 100, 512, 0, SVIRTB_CMD_WRITE);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 1);
        assert_regs(f, SVIRTB_RESET, 8, 0, RING, 1, 0);
        assert_disk_is_original_except(f, 0, NULL, 0);
}

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

static void read_past_end_leaves_rest_of_buffer_untouched(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, 8);
        put_entry(f, RING, 0, BUF, 1024, DISK_SECTORS - 1, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 1);
        assert_regs(f, SVIRTB_READY, 8, 0, RING, 1, 1);
        assert_ram_is_disk(f, BUF, (DISK_SECTORS - 1) * 512, 512);
        assert_ram_is(f, BUF + 512, 512, FILL);
}

static void read_entirely_past_end_leaves_buffer_untouched(void **state)
{
        struct fixture *f = *state;

        bring_up(f, RING, 8);
        put_entry(f, RING, 0, BUF, 512, DISK_SECTORS, SVIRTB_CMD_READ);
        put_entry(f, RING, 1, BUF2, 512, 1ULL << 40, SVIRTB_CMD_READ);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 2);
        assert_regs(f, SVIRTB_READY, 8, 0, RING, 2, 2);
        assert_ram_is(f, BUF, 512, FILL);
        assert_ram_is(f, BUF2, 512, FILL);
}

static void write_past_end_writes_only_bytes_inside_disk(void **state)
{
        struct fixture *f = *state;
        uint8_t *buf = ram(f, BUF, 1024);

        memset(buf, 0x77, 1024);
        bring_up(f, RING, 8);
        put_entry(f, RING, 0, BUF, 1024, DISK_SECTORS - 1, SVIRTB_CMD_WRITE);
        put_entry(f, RING, 1, BUF, 512, DISK_SECTORS + 3, SVIRTB_CMD_WRITE);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 2);
        assert_regs(f, SVIRTB_READY, 8, 0, RING, 2, 2);
        assert_disk_is_original_except(f, (DISK_SECTORS - 1) * 512, buf, 512);
}

static void write_to_readonly_disk_changes_nothing(void **state)
{
        struct fixture *f = *state;

        reopen_disk_readonly(f);
        memset(ram(f, BUF, 512), 0x66, 512);
        bring_up(f, RING, 8);
        put_entry(f, RING, 0, BUF, 512, 2, SVIRTB_CMD_WRITE);
        put_entry(f, RING, 1, BUF2, 512, 2, SVIRTB_CMD_READ); /* processing goes on */
        wr(f, SVIRTB_REG_QUEUE_HEAD, 2);
        assert_regs(f, SVIRTB_READY, 8, 0, RING, 2, 2);
        assert_disk_is_original_except(f, 0, NULL, 0);
        assert_ram_is_disk(f, BUF2, 2 * 512, 512);
}

static void readonly_disk_still_refuses_bad_write_buffer(void **state)
{
        struct fixture *f = *state;

        reopen_disk_readonly(f);
        bring_up(f, RING, 8);
        put_entry(f, RING, 0, 0x80000000ULL, 512, 2, SVIRTB_CMD_WRITE);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 1);
        assert_regs(f, SVIRTB_RESET, 8, 0, RING, 1, 0);
}

/* --- trace ------------------------------------------------------------------ */

static char *slurp(FILE *fp)
{
        static char text[16384];
        size_t n;

        fflush(fp);
        rewind(fp);
        n = fread(text, 1, sizeof(text) - 1, fp);
        text[n] = '\0';
        return text;
}

static void trace_describes_writes_entries_and_resets(void **state)
{
        struct fixture *f = *state;
        const uint8_t two[2] = {1, 0};
        FILE *tmp = tmpfile();
        int saved = dup(STDERR_FILENO);
        char *text;

        assert_non_null(tmp);
        assert_true(saved >= 0);
        fflush(stderr);
        assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
        trace_enabled = true;

        configure(f, RING, 8);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_READY);
        wr(f, SVIRTB_REG_QUEUE_SIZE, 8);
        svirtb_mmio_write(&f->s, 3, two, 2);
        wr(f, SVIRTB_REG_QUEUE_TAIL, 1);
        put_entry(f, RING, 0, 0x10000, 1024, DISK_SECTORS - 1, SVIRTB_CMD_READ);
        put_entry(f, RING, 1, BUF, 512, 1, 5);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 2);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_RESET);

        trace_enabled = false;
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
        text = slurp(tmp);
        fclose(tmp);

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

static void trace_reports_readonly_write_and_bad_ring(void **state)
{
        struct fixture *f = *state;
        FILE *tmp = tmpfile();
        int saved = dup(STDERR_FILENO);
        char *text;

        assert_non_null(tmp);
        reopen_disk_readonly(f);
        fflush(stderr);
        assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
        trace_enabled = true;

        /* No assertion while stderr is captured: CMocka's message would go there. */
        configure(f, RING, 8);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_READY);
        put_entry(f, RING, 0, BUF, 512, 2, SVIRTB_CMD_WRITE);
        wr(f, SVIRTB_REG_QUEUE_HEAD, 1);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_RESET);
        configure(f, RING, 0);
        wr(f, SVIRTB_REG_STATUS, SVIRTB_READY);

        trace_enabled = false;
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
        text = slurp(tmp);
        fclose(tmp);

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
            T(doorbell_after_error_is_ignored),
            T(read_entry_copies_sector_into_guest_buffer),
            T(write_entry_copies_guest_buffer_to_disk),
            T(batch_is_processed_in_order),
            T(multiple_doorbells_continue_from_tail),
            T(ring_wraps_modulo_queue_size),
            T(ring_holds_queue_size_minus_one_entries_per_doorbell),
            T(doorbell_with_head_equal_to_tail_does_nothing),
            T(queue_size_one_accepts_only_empty_doorbells),
            T(head_not_below_queue_size_enters_reset),
            T(huge_head_enters_reset),
            T(size_zero_entry_is_a_noop),
            T(size_zero_entry_outside_ram_enters_reset),
            T(size_zero_entry_at_end_of_ram_is_accepted),
            T(entry_pad_is_ignored),
            T(entry_fields_are_little_endian),
            /* errors */
            T(bad_cmd_enters_reset_and_stops_consuming),
            T(cmd_with_high_bits_set_is_not_a_read),
            T(sector_overflow_enters_reset),
            T(sector_plus_size_overflow_enters_reset),
            T(entry_buffer_outside_ram_enters_reset),
            T(entry_buffer_one_byte_past_ram_enters_reset),
            T(entry_buffer_exactly_at_end_of_ram_is_accepted),
            T(buffer_spanning_two_regions_is_refused),
            T(entry_buffer_address_overflow_enters_reset),
            T(huge_entry_size_enters_reset),
            T(write_entry_with_bad_buffer_changes_nothing_on_disk),
            T(host_io_error_enters_reset),
            /* past the end, read-only */
            T(read_past_end_leaves_rest_of_buffer_untouched),
            T(read_entirely_past_end_leaves_buffer_untouched),
            T(write_past_end_writes_only_bytes_inside_disk),
            T(write_to_readonly_disk_changes_nothing),
            T(readonly_disk_still_refuses_bad_write_buffer),
            /* trace and hostile driver */
            T(trace_describes_writes_entries_and_resets),
            T(trace_reports_readonly_write_and_bad_ring),
            T(random_hostile_driver_keeps_invariants),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
