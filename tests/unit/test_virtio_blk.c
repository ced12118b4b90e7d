/*
 * test_virtio_blk: the virtio block device (devices/virtio_blk.h) behind the
 * virtio-mmio transport, end to end: a temp file is the disk, requests are
 * built in fake guest RAM (vfake.h) and submitted with a QueueNotify through
 * vmmio_access(), as a Linux-like driver would (v2, and v1 once). Each test
 * names the rule of docs/virtio-rules.md it checks and asserts exact
 * outcomes: status byte, used element, bytes in RAM and in the file.
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
#include "vblkfx.h"

#define RING      VBFX_RING
#define TABLE     0x6000ULL /* indirect tables */
#define HDR       0x8000ULL /* request headers */
#define STAT      0x9000ULL /* status bytes */
#define DATA      0x20000ULL
#define QN        VBFX_QN
#define SECTORS   64u
#define DISK_SIZE (SECTORS * 512u)

#define W VRING_DESC_F_WRITE

static const uint64_t FEATS = VIRTIO_FEAT_VERSION_1 | VIRTIO_FEAT_INDIRECT_DESC |
                              VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) | VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) |
                              VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX);
/* What the device offers: FEATS and EVENT_IDX, which these tests' driver declines. */
static const uint64_t OFFERED = FEATS | VIRTIO_FEAT_EVENT_IDX;
static const char TEST_ID[] = "test-serial";

static char trace_out[8192];

/* Original byte at offset off of the image. */
static uint8_t pattern(uint64_t off)
{
        return ti_byte(SECTORS, off);
}

/* An image of size bytes (a test image cut short) at a new path; 0 or -1. */
static int make_image(char *path, size_t len, uint64_t size)
{
        return ti_make(path, len, "vblk", (size + 511) / 512) < 0 ? -1
                                                                  : truncate(path, (off_t)size);
}

/* Binds device and transport to the open disk and runs the v2 (or v1) init. */
static void bring_up(struct vbfx *x, bool legacy)
{
        vbfx_up(x, TEST_ID, legacy, legacy ? FEATS & ~VIRTIO_FEAT_VERSION_1 : FEATS);
}

static int open_disk(struct vbfx *x, bool ro)
{
        char err[256];

        return disk_open(&x->disk, x->path, ro, err, sizeof(err));
}

static int setup(void **state)
{
        struct vbfx *x = calloc(1, sizeof(*x));

        if (x == NULL || vbfx_setup(x, "vblk", SECTORS) < 0)
                return -1;
        trace_enabled = ti_trace_wanted();
        bring_up(x, false);
        *state = x;
        return 0;
}

static int teardown(void **state)
{
        struct vbfx *x = *state;

        vbfx_teardown(x);
        free(x);
        trace_enabled = ti_trace_wanted();
        return 0;
}

/* Reopens the image read-only and starts over. */
static void make_read_only(struct vbfx *x)
{
        disk_close(&x->disk);
        assert_int_equal(open_disk(x, true), 0);
        bring_up(x, false);
}

/* --- building and submitting requests ----------------------------------- */

static void put_hdr(struct vbfx *x, uint64_t gpa, uint32_t type, uint64_t sector)
{
        vf_put(&x->f, gpa, type, 4);
        vf_put(&x->f, gpa + 4, 0xdeadbeef, 4); /* reserved/ioprio: ignored */
        vf_put(&x->f, gpa + 8, sector, 8);
}

/* Writes the chain at the next free descriptors, publishes and kicks; returns the head. */
static uint16_t submit(struct vbfx *x, const struct seg *s, unsigned n)
{
        uint16_t head = vbfx_publish(x, s, n);

        vf_kick(&x->t, 0);
        return head;
}

static uint8_t ram8(struct vbfx *x, uint64_t gpa)
{
        return *vf_ptr(&x->f, gpa, 1);
}

static uint32_t rd_status(struct vbfx *x)
{
        return vf_rd(&x->t, VIRTIO_MMIO_STATUS);
}

/*
 * The assert_* helpers below report at the caller's line, so a failure names
 * the test, not the helper (the lab's failure reasons depend on it).
 */
#define FAIL_AT(...)                                                                               \
        do {                                                                                       \
                print_error(__VA_ARGS__);                                                          \
                print_error("\n");                                                                 \
                _fail(file, line);                                                                 \
        } while (0)
/* The last used element is {head, len}, and the status byte at st is status. */
#define assert_done(x, head, len, st, status)                                                      \
        assert_done_at(x, head, len, st, status, __FILE__, __LINE__)
static void assert_done_at(struct vbfx *x, uint16_t head, uint32_t len, uint64_t st, uint8_t status,
                           const char *file, int line)
{
        uint16_t idx = vf_used_idx(&x->f, &x->r);
        uint8_t got = ram8(x, st);
        uint8_t dev = rd_status(x) & (VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_NEEDS_RESET);

        _assert_true(idx > 0, "used.idx > 0", file, line);
        vf_assert_used_at(&x->f, &x->r, (uint16_t)(idx - 1), head, len, file, line);
        _assert_int_equal(got, status, file, line);
        /* Errors in requests never break the device. */
        _assert_int_equal(dev, VIRTIO_STATUS_DRIVER_OK, file, line);
}

/* The file holds its original bytes in [from, to). */
#define assert_file_original(...) assert_file_original_at(__VA_ARGS__, __FILE__, __LINE__)
static void assert_file_original_at(struct vbfx *x, uint64_t from, uint64_t to, const char *file,
                                    int line)
{
        uint8_t *buf = malloc(DISK_SIZE);
        int fd = open(x->path, O_RDONLY);

        _assert_true(buf != NULL, "buf", file, line);
        _assert_true(fd >= 0, "fd >= 0", file, line);
        _assert_int_equal(pread(fd, buf, DISK_SIZE, 0), DISK_SIZE, file, line);
        for (uint64_t i = from; i < to; i++)
                if (buf[i] != pattern(i))
                        FAIL_AT("file byte %llu changed", (unsigned long long)i);
        close(fd);
        free(buf);
}

#define assert_file_bytes(...) assert_file_bytes_at(__VA_ARGS__, __FILE__, __LINE__)
static void assert_file_bytes_at(struct vbfx *x, uint64_t off, const uint8_t *want, size_t len,
                                 const char *file, int line)
{
        uint8_t *buf = malloc(len);
        int fd = open(x->path, O_RDONLY);

        _assert_true(buf != NULL, "buf", file, line);
        _assert_true(fd >= 0, "fd >= 0", file, line);
        _assert_int_equal(pread(fd, buf, len, (off_t)off), (ssize_t)len, file, line);
        _assert_memory_equal(buf, want, len, file, line);
        close(fd);
        free(buf);
}

/* Guest RAM [gpa, gpa + len) holds the image's bytes from off. */
#define assert_ram_is_disk(...) assert_ram_is_disk_at(__VA_ARGS__, __FILE__, __LINE__)
static void assert_ram_is_disk_at(struct vbfx *x, uint64_t gpa, uint64_t off, uint64_t len,
                                  const char *file, int line)
{
        const uint8_t *p = vf_ptr(&x->f, gpa, len);

        for (uint64_t i = 0; i < len; i++)
                if (p[i] != pattern(off + i))
                        FAIL_AT("RAM byte 0x%llx differs", (unsigned long long)(gpa + i));
}

/* Every byte of [gpa, gpa + len) is VF_FILL (never written) or, for
 * assert_ram_zero, 0 (§2.7.8.2: writable bytes a failed request did not fill
 * read zero, used.len covers them). */
#define assert_ram_fill(x, gpa, len)                                                               \
        assert_ram_bytes_at(x, gpa, len, VF_FILL, "written", __FILE__, __LINE__)
#define assert_ram_zero(x, gpa, len)                                                               \
        assert_ram_bytes_at(x, gpa, len, 0, "not zeroed", __FILE__, __LINE__)
static void assert_ram_bytes_at(struct vbfx *x, uint64_t gpa, uint64_t len, uint8_t b,
                                const char *what, const char *file, int line)
{
        const uint8_t *p = vf_ptr(&x->f, gpa, len);

        for (uint64_t i = 0; i < len; i++)
                if (p[i] != b)
                        FAIL_AT("RAM byte 0x%llx %s", (unsigned long long)(gpa + i), what);
}

static void fill_ram(struct vbfx *x, uint64_t gpa, uint8_t v, uint64_t len)
{
        memset(vf_ptr(&x->f, gpa, len), v, len);
}

/* The three-descriptor requests a Linux driver sends. */
static uint16_t simple(struct vbfx *x, uint32_t type, uint64_t sector, uint32_t len,
                       uint16_t dflags)
{
        put_hdr(x, HDR, type, sector);
        if (len == 0) {
                struct seg s[] = {{HDR, 16, 0}, {STAT, 1, W}};

                return submit(x, s, 2);
        }
        struct seg s[] = {{HDR, 16, 0}, {DATA, len, dflags}, {STAT, 1, W}};

        return submit(x, s, 3);
}

/* DISCARD and WRITE_ZEROES of n sectors at sector (one segment, §5.2.6) are
 * UNSUPP (not offered, or a read-only disk) and change nothing. */
#define assert_discards_unsupp(...) assert_discards_unsupp_at(__VA_ARGS__, __FILE__, __LINE__)
static void assert_discards_unsupp_at(struct vbfx *x, uint64_t sector, uint32_t n, const char *file,
                                      int line)
{
        static const uint32_t types[] = {VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_T_WRITE_ZEROES};

        vf_put(&x->f, DATA, sector, 8);
        vf_put(&x->f, DATA + 8, n, 4);
        vf_put(&x->f, DATA + 12, 0, 4); /* flags */
        for (unsigned i = 0; i < 2; i++)
                assert_done_at(x, simple(x, types[i], 0, 16, 0), 1, STAT, VIRTIO_BLK_S_UNSUPP, file,
                               line);
        assert_file_original_at(x, 0, DISK_SIZE, file, line);
}

/* A simple() request comes back with used.len ulen and status byte status. */
#define assert_request(x, type, sector, len, dflags, ulen, status)                                 \
        assert_done_at(x, simple(x, type, sector, len, dflags), ulen, STAT, status, __FILE__,      \
                       __LINE__)

/* --- B1 ------------------------------------------------------------------ */

static void b1_header_split_over_descriptors(void **state)
{
        struct vbfx *x = *state;
        struct seg s[] = {
            {HDR, 5, 0},  {HDR + 0x100, 11, 0}, {DATA, 512, W}, {DATA + 0x1000, 512, W},
            {STAT, 1, W},
        };
        uint16_t head;

        /* The header's 16 bytes: 5 at HDR, 11 at HDR + 0x100. */
        put_hdr(x, HDR + 0x200, VIRTIO_BLK_T_IN, 3);
        memcpy(vf_ptr(&x->f, HDR, 5), vf_ptr(&x->f, HDR + 0x200, 5), 5);
        memcpy(vf_ptr(&x->f, HDR + 0x100, 11), vf_ptr(&x->f, HDR + 0x205, 11), 11);
        head = submit(x, s, 5);
        assert_done(x, head, 1025, STAT, VIRTIO_BLK_S_OK);
        assert_ram_is_disk(x, DATA, 3 * 512, 512);
        assert_ram_is_disk(x, DATA + 0x1000, 4 * 512, 512);
}

static void b1_short_header_is_ioerr(void **state)
{
        struct vbfx *x = *state;
        struct seg s[] = {{HDR, 8, 0}, {STAT, 1, W}};
        uint16_t head;

        put_hdr(x, HDR, VIRTIO_BLK_T_FLUSH, 0);
        head = submit(x, s, 2);
        assert_done(x, head, 1, STAT, VIRTIO_BLK_S_IOERR);
}

/* Past bug (OpenBSD vmd): guest-sized header and status buffers. */
static void b1_oversized_header_or_status_descriptor_is_bounded(void **state)
{
        struct vbfx *x = *state;
        struct seg in[] = {{HDR, 4096, 0}, {DATA, 512, W}, {STAT, 1, W}};
        struct seg out[] = {{HDR, 16, 0}, {DATA, 512, 0}, {STAT, 4096, W}};
        uint16_t head;

        put_hdr(x, HDR, VIRTIO_BLK_T_IN, 0);
        head = submit(x, in, 3);
        assert_done(x, head, 513, STAT, VIRTIO_BLK_S_IOERR);
        assert_ram_zero(x, DATA, 512);
        fill_ram(x, STAT, VF_FILL, 4096);
        put_hdr(x, HDR, VIRTIO_BLK_T_OUT, 0);
        head = submit(x, out, 3);
        assert_done(x, head, 4096, STAT + 4095, VIRTIO_BLK_S_IOERR);
        assert_ram_zero(x, STAT, 4095);
        assert_ram_fill(x, STAT + 4096, 16);
        assert_file_original(x, 0, DISK_SIZE);
}

/* --- B2 ------------------------------------------------------------------ */

static void b2_status_is_the_last_writable_byte(void **state)
{
        struct vbfx *x = *state;
        struct seg s[] = {{HDR, 16, 0}, {DATA, 513, W}};
        uint16_t head;

        put_hdr(x, HDR, VIRTIO_BLK_T_IN, 9);
        head = submit(x, s, 2);
        assert_done(x, head, 513, DATA + 512, VIRTIO_BLK_S_OK);
        assert_ram_is_disk(x, DATA, 9 * 512, 512);
        assert_int_equal(ram8(x, DATA + 513), VF_FILL);
}

static void b2_no_writable_descriptor_returns_len_0(void **state)
{
        struct vbfx *x = *state;
        struct seg s[] = {{HDR, 16, 0}, {DATA, 512, 0}};
        uint16_t head;

        fill_ram(x, DATA, 0x11, 512);
        put_hdr(x, HDR, VIRTIO_BLK_T_OUT, 0);
        head = submit(x, s, 2);
        assert_int_equal(vf_used_idx(&x->f, &x->r), 1);
        vf_assert_used(&x->f, &x->r, 0, head, 0);
        assert_file_original(x, 0, DISK_SIZE);
        assert_int_equal(rd_status(x), VF_DRIVER_OK);
}

/* --- B3 ------------------------------------------------------------------ */

static void b3_in_reads_sectors_into_ram(void **state)
{
        struct vbfx *x = *state;
        struct seg s[] = {
            {HDR, 16, 0},           {DATA, 512, W}, {DATA + 0x2000, 2048, W},
            {VF_HIGH_GPA, 1536, W}, {STAT, 1, W},
        };
        uint16_t head;

        put_hdr(x, HDR, VIRTIO_BLK_T_IN, 5);
        head = submit(x, s, 5);
        assert_done(x, head, 4097, STAT, VIRTIO_BLK_S_OK);
        assert_ram_is_disk(x, DATA, 5 * 512, 512);
        assert_ram_is_disk(x, DATA + 0x2000, 6 * 512, 2048);
        assert_ram_is_disk(x, VF_HIGH_GPA, 10 * 512, 1536);
        assert_ram_fill(x, DATA + 512, 0x2000 - 512);
        assert_ram_fill(x, VF_HIGH_GPA + 1536, 512);
}

static void b3_out_writes_sectors_to_the_image(void **state)
{
        struct vbfx *x = *state;
        uint8_t want[1024];

        for (unsigned i = 0; i < sizeof(want); i++)
                want[i] = (uint8_t)(i ^ 0xa5);
        memcpy(vf_ptr(&x->f, DATA, sizeof(want)), want, sizeof(want));
        assert_request(x, VIRTIO_BLK_T_OUT, 7, 1024, 0, 1, VIRTIO_BLK_S_OK);
        assert_file_bytes(x, 7 * 512, want, sizeof(want));
        assert_file_original(x, 0, 7 * 512);
        assert_file_original(x, 9 * 512, DISK_SIZE);
}

static void b3_data_not_a_multiple_of_512_is_ioerr(void **state)
{
        struct vbfx *x = *state;

        assert_request(x, VIRTIO_BLK_T_IN, 0, 100, W, 101, VIRTIO_BLK_S_IOERR);
        assert_ram_zero(x, DATA, 100);
        assert_ram_fill(x, DATA + 100, 16);
        assert_request(x, VIRTIO_BLK_T_OUT, 0, 513, 0, 1, VIRTIO_BLK_S_IOERR);
        assert_file_original(x, 0, DISK_SIZE);
}

static void b3_sector_range_overflow_is_ioerr(void **state)
{
        struct vbfx *x = *state;
        const struct {
                uint64_t sector;
                uint32_t len;
                uint8_t status;
        } cases[] = {
            {SECTORS - 1, 512, VIRTIO_BLK_S_OK},
            {SECTORS, 0, VIRTIO_BLK_S_OK},
            {SECTORS, 512, VIRTIO_BLK_S_IOERR},
            {SECTORS - 1, 1024, VIRTIO_BLK_S_IOERR},
            {SECTORS + 1, 0, VIRTIO_BLK_S_IOERR},
            {UINT64_MAX, 512, VIRTIO_BLK_S_IOERR},
            {UINT64_MAX / 512 + 1, 512, VIRTIO_BLK_S_IOERR}, /* sector * 512 wraps to 0 */
            {1ULL << 55, 512, VIRTIO_BLK_S_IOERR},
        };
        size_t i;

        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                x->b.last_err = VBLK_E_NONE;
                assert_request(x, VIRTIO_BLK_T_IN, cases[i].sector, cases[i].len, W,
                               cases[i].len + 1, cases[i].status);
                fill_ram(x, DATA, 0x77, 512);
                assert_request(x, VIRTIO_BLK_T_OUT, cases[i].sector, cases[i].len, 0, 1,
                               cases[i].status);
                assert_int_equal(x->b.last_err,
                                 cases[i].status == VIRTIO_BLK_S_OK ? VBLK_E_NONE : VBLK_E_RANGE);
        }
        /* Only the last sector was rewritten, by the first case. */
        assert_file_original(x, 0, (SECTORS - 1) * 512);
}

/* Past bug (CVE-2023-3180): a read larger than what the disk holds: no disk byte, zeros. */
static void b3_in_larger_than_the_disk_is_ioerr_and_ram_zeroed(void **state)
{
        struct vbfx *x = *state;

        assert_request(x, VIRTIO_BLK_T_IN, SECTORS - 2, 0x10000, W, 0x10001, VIRTIO_BLK_S_IOERR);
        assert_ram_zero(x, DATA, 0x10000);
}

static void b3_in_data_must_be_writable(void **state)
{
        struct vbfx *x = *state;

        assert_request(x, VIRTIO_BLK_T_IN, 0, 512, 0, 1, VIRTIO_BLK_S_IOERR);
        assert_ram_fill(x, DATA, 512);
}

static void b3_out_data_must_be_readable(void **state)
{
        struct vbfx *x = *state;

        assert_request(x, VIRTIO_BLK_T_OUT, 0, 512, W, 513, VIRTIO_BLK_S_IOERR);
        assert_ram_zero(x, DATA, 512);
        assert_file_original(x, 0, DISK_SIZE);
}

static void b3_partial_last_sector_is_not_exposed(void **state)
{
        struct vbfx *x = *state;
        struct disk d;
        struct vblk b;
        char path[4096], err[256];

        assert_int_equal(make_image(path, sizeof(path), 3 * 512 + 100), 0);
        assert_int_equal(disk_open(&d, path, true, err, sizeof(err)), 0);
        assert_int_equal(vblk_init(&b, &d, NULL), 0);
        assert_int_equal(b.capacity, 3);
        disk_close(&d);
        unlink(path);
        (void)x;
}

static void vblk_init_rejects_an_image_smaller_than_a_sector(void **state)
{
        struct disk d;
        struct vblk b;
        char path[4096], err[256];

        (void)state;
        assert_int_equal(make_image(path, sizeof(path), 511), 0);
        assert_int_equal(disk_open(&d, path, true, err, sizeof(err)), 0);
        assert_int_equal(vblk_init(&b, &d, NULL), -EINVAL);
        assert_int_equal(vblk_init(&b, NULL, NULL), -EINVAL);
        disk_close(&d);
        unlink(path);
}

/* --- B4 ------------------------------------------------------------------ */

static void ro_write(void *arg)
{
        struct vbfx *x = arg;

        simple(x, VIRTIO_BLK_T_OUT, 2, 1024, 0);
}

static void b4_readonly_offers_ro_and_out_is_ioerr_with_file_unchanged(void **state)
{
        struct vbfx *x = *state;
        uint16_t head;

        make_read_only(x);
        assert_int_equal(vf_device_features(&x->t), OFFERED | VIRTIO_BIT(VIRTIO_BLK_F_RO));
        fill_ram(x, DATA, 0x33, 1024);
        head = x->next_head;
        vf_capture_trace(trace_out, sizeof(trace_out), ro_write, x);
        assert_done(x, head, 1, STAT, VIRTIO_BLK_S_IOERR);
        assert_int_equal(x->b.last_err, VBLK_E_RO);
        /* Refused before the image is touched. */
        assert_non_null(strstr(trace_out, "OUT sector 2, 1024 bytes -> IOERR: read-only disk"));
        assert_file_original(x, 0, DISK_SIZE);
        /* Reads and flushes still work. */
        assert_request(x, VIRTIO_BLK_T_IN, 2, 1024, W, 1025, VIRTIO_BLK_S_OK);
        assert_ram_is_disk(x, DATA, 1024, 1024);
        assert_request(x, VIRTIO_BLK_T_FLUSH, 0, 0, 0, 1, VIRTIO_BLK_S_OK);
}

static void b4_readonly_discard_and_write_zeroes_change_nothing(void **state)
{
        struct vbfx *x = *state;

        make_read_only(x);
        assert_discards_unsupp(x, 0, 4);
}

/* --- B5 ------------------------------------------------------------------ */

static void b5_flush_is_ok_after_writes(void **state)
{
        struct vbfx *x = *state;
        uint8_t want[512];

        memset(want, 0xc3, sizeof(want));
        memcpy(vf_ptr(&x->f, DATA, 512), want, 512);
        assert_request(x, VIRTIO_BLK_T_OUT, 1, 512, 0, 1, VIRTIO_BLK_S_OK);
        assert_request(x, VIRTIO_BLK_T_FLUSH, 0, 0, 0, 1, VIRTIO_BLK_S_OK);
        assert_file_bytes(x, 512, want, 512);
}

static void b5_flush_error_is_ioerr(void **state)
{
        struct vbfx *x = *state;
        int fd = x->disk.fd;
        uint16_t head;

        x->disk.fd = dup(fd);
        close(x->disk.fd); /* fdatasync now fails with EBADF */
        head = simple(x, VIRTIO_BLK_T_FLUSH, 0, 0, 0);
        x->disk.fd = fd;
        assert_done(x, head, 1, STAT, VIRTIO_BLK_S_IOERR);
        assert_int_equal(x->b.last_err, VBLK_E_FLUSH);
}

/*
 * A FLUSH carrying data is served as QEMU serves it (§5.2.6.1 only says the
 * driver SHOULD NOT send it): OK, the data ignored, writable bytes zeroed.
 */
static void b5_flush_with_data_is_ok_as_qemu(void **state)
{
        struct vbfx *x = *state;

        assert_request(x, VIRTIO_BLK_T_FLUSH, 0, 512, 0, 1, VIRTIO_BLK_S_OK);
        assert_request(x, VIRTIO_BLK_T_FLUSH, 0, 512, W, 513, VIRTIO_BLK_S_OK);
        assert_ram_zero(x, DATA, 512);
        assert_file_original(x, 0, DISK_SIZE);
}

/* --- B6 ------------------------------------------------------------------ */

static void b6_get_id_is_20_bytes_nul_padded(void **state)
{
        struct vbfx *x = *state;

        assert_request(x, VIRTIO_BLK_T_GET_ID, 0, VBLK_ID_BYTES, W, 21, VIRTIO_BLK_S_OK);
        assert_memory_equal(vf_ptr(&x->f, DATA, 20), "test-serial\0\0\0\0\0\0\0\0\0", 20);
}

/*
 * Past bug (CVE-2023-3180): GET_ID with a 4 KiB buffer reads 20 id bytes;
 * §2.7.8.2: used.len 4097 as QEMU reports, so the rest is written with zeros.
 */
static void b6_get_id_with_a_4k_buffer_copies_20_bytes(void **state)
{
        struct vbfx *x = *state;

        assert_request(x, VIRTIO_BLK_T_GET_ID, 0, 4096, W, 4097, VIRTIO_BLK_S_OK);
        assert_memory_equal(vf_ptr(&x->f, DATA, 11), "test-serial", 11);
        assert_ram_zero(x, DATA + 11, 4096 - 11);
}

static void b6_get_id_into_a_short_buffer_is_truncated(void **state)
{
        struct vbfx *x = *state;

        assert_request(x, VIRTIO_BLK_T_GET_ID, 0, 8, W, 9, VIRTIO_BLK_S_OK);
        assert_memory_equal(vf_ptr(&x->f, DATA, 8), "test-ser", 8);
        assert_int_equal(ram8(x, DATA + 8), VF_FILL);
}

/* A 20-byte serial has no NUL; only 20 bytes are ever read from it. */
static void b6_a_full_20_byte_serial_is_taken_whole(void **state)
{
        struct vbfx *x = *state;
        const char serial[VBLK_ID_BYTES] = {'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j',
                                            'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't'};

        assert_int_equal(vblk_init(&x->b, &x->disk, serial), 0);
        assert_request(x, VIRTIO_BLK_T_GET_ID, 0, 64, W, 65, VIRTIO_BLK_S_OK);
        assert_memory_equal(vf_ptr(&x->f, DATA, 20), serial, 20);
        assert_ram_zero(x, DATA + 20, 44);
}

/* --- B7, B8, B9, B11 -------------------------------------------------------- */

static void b7_discard_and_write_zeroes_are_unsupp_when_not_offered(void **state)
{
        struct vbfx *x = *state;
        uint64_t f = vf_device_features(&x->t);

        assert_false(f & VIRTIO_BIT(VIRTIO_BLK_F_DISCARD));
        assert_false(f & VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES));
        assert_discards_unsupp(x, 1, 2);
}

static void b8_unknown_types_are_unsupp(void **state)
{
        struct vbfx *x = *state;
        const uint32_t types[] = {2, 3, 5, 14, 0x80000000, 0xffffffff};
        size_t i;

        for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
                assert_request(x, types[i], 0, 512, W, 513, VIRTIO_BLK_S_UNSUPP);
        }
        assert_ram_zero(x, DATA, 512);
        assert_file_original(x, 0, DISK_SIZE);
}

/*
 * §2.7.8.2: the device MUST have written at least used.len bytes from the
 * start of the writable area. used.len is every writable byte, as QEMU
 * reports it (docs/virtio-mmio.md), and the device writes all of them:
 * data, zeros where a request had nothing to put, the status byte.
 */
static void b9_used_len_per_type_s2_7_8_2(void **state)
{
        struct vbfx *x = *state;

        assert_done(x, simple(x, VIRTIO_BLK_T_IN, 0, 1024, W), 1025, STAT, VIRTIO_BLK_S_OK);
        assert_done(x, simple(x, VIRTIO_BLK_T_IN, 0, 0, 0), 1, STAT, VIRTIO_BLK_S_OK);
        assert_done(x, simple(x, VIRTIO_BLK_T_OUT, 0, 1024, 0), 1, STAT, VIRTIO_BLK_S_OK);
        assert_done(x, simple(x, VIRTIO_BLK_T_FLUSH, 0, 0, 0), 1, STAT, VIRTIO_BLK_S_OK);
        fill_ram(x, DATA, 0x77, 64);
        assert_done(x, simple(x, VIRTIO_BLK_T_GET_ID, 0, 64, W), 65, STAT, VIRTIO_BLK_S_OK);
        assert_ram_zero(x, DATA + 11, 64 - 11);
        fill_ram(x, DATA, 0x77, 64);
        assert_done(x, simple(x, 99, 0, 64, W), 65, STAT, VIRTIO_BLK_S_UNSUPP);
        assert_ram_zero(x, DATA, 64);
        fill_ram(x, DATA, 0x77, 512);
        assert_done(x, simple(x, VIRTIO_BLK_T_IN, SECTORS, 512, W), 513, STAT, VIRTIO_BLK_S_IOERR);
        assert_ram_zero(x, DATA, 512); /* the status byte is at writable offset 512 */
        assert_int_equal(vf_used_idx(&x->f, &x->r), 7);
}

static uint32_t cfg32(struct vbfx *x, uint32_t off)
{
        return vf_rd(&x->t, VIRTIO_MMIO_CONFIG + off);
}

static void b11_seg_max_is_queue_size_minus_2(void **state)
{
        struct vbfx *x = *state;
        uint8_t b8[8];

        vf_wr(&x->t, VIRTIO_MMIO_QUEUE_SEL, 0);
        assert_int_equal(vf_rd(&x->t, VIRTIO_MMIO_QUEUE_NUM_MAX), QN);
        assert_int_equal(cfg32(x, 0x0c), QN - 2);
        /* The rest of the config: capacity in 512-byte sectors, blk_size 512. */
        assert_int_equal(cfg32(x, 0x00), SECTORS);
        assert_int_equal(cfg32(x, 0x04), 0);
        vmmio_access(&x->t, VIRTIO_MMIO_CONFIG, b8, 8, false);
        assert_int_equal(b8[0], SECTORS);
        assert_int_equal(cfg32(x, 0x08), 0); /* size_max: not offered */
        assert_int_equal(cfg32(x, 0x14), 512);
        assert_int_equal(cfg32(x, 0x20), 0);
        assert_int_equal(cfg32(x, VBLK_CONFIG_SIZE), 0); /* past the end */
}

static void m13_blk_offers_exactly_implemented_features(void **state)
{
        struct vbfx *x = *state;

        assert_int_equal(vf_device_features(&x->t), OFFERED);
        assert_int_equal(x->b.negotiated, FEATS);
        assert_int_equal(vf_rd(&x->t, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
}

/* --- the request path as a whole ------------------------------------------ */

static void v1_legacy_driver_writes_then_reads(void **state)
{
        struct vbfx *x = *state;
        uint8_t want[512];
        uint16_t head;

        bring_up(x, true);
        assert_int_equal(vf_device_features(&x->t), OFFERED & ~VIRTIO_FEAT_VERSION_1);
        for (unsigned i = 0; i < 512; i++)
                want[i] = (uint8_t)(i * 3);
        memcpy(vf_ptr(&x->f, DATA, 512), want, 512);
        assert_request(x, VIRTIO_BLK_T_OUT, 4, 512, 0, 1, VIRTIO_BLK_S_OK);
        fill_ram(x, DATA, 0, 512);
        head = simple(x, VIRTIO_BLK_T_IN, 4, 512, W);
        vf_assert_used(&x->f, &x->r, 1, head, 513);
        assert_memory_equal(vf_ptr(&x->f, DATA, 512), want, 512);
        assert_file_bytes(x, 4 * 512, want, 512);
}

static void q8_request_through_an_indirect_table(void **state)
{
        struct vbfx *x = *state;
        uint16_t head = x->next_head;

        put_hdr(x, HDR, VIRTIO_BLK_T_IN, 6);
        vf_desc(&x->f, TABLE, 0, HDR, 16, VRING_DESC_F_NEXT, 1);
        vf_desc(&x->f, TABLE, 1, DATA, 512, W | VRING_DESC_F_NEXT, 2);
        vf_desc(&x->f, TABLE, 2, STAT, 1, W, 0);
        vf_desc(&x->f, x->r.desc, head, TABLE, 48, VRING_DESC_F_INDIRECT, 0);
        vf_publish(&x->f, &x->r, head);
        vf_kick(&x->t, 0);
        assert_done(x, head, 513, STAT, VIRTIO_BLK_S_OK);
        assert_ram_is_disk(x, DATA, 6 * 512, 512);
}

/* Past bug "head-only chain stalls queue": a malformed chain, then a valid request. */
static void q11_malformed_chain_then_valid_request_completes(void **state)
{
        struct vbfx *x = *state;
        struct seg bad[] = {{HDR, 16, 0}, {DATA, 0, W}, {STAT, 1, W}};
        uint16_t h1, h2;

        put_hdr(x, HDR, VIRTIO_BLK_T_IN, 0);
        h1 = x->next_head;
        for (unsigned i = 0; i < 3; i++)
                vf_desc(&x->f, x->r.desc, h1 + i, bad[i].gpa, bad[i].len,
                        (uint16_t)(bad[i].flags | (i < 2 ? VRING_DESC_F_NEXT : 0)), h1 + i + 1);
        vf_publish(&x->f, &x->r, h1);
        x->next_head = (uint16_t)(h1 + 3);
        h2 = simple(x, VIRTIO_BLK_T_IN, 1, 512, W);
        assert_int_equal(vf_used_idx(&x->f, &x->r), 2);
        vf_assert_used(&x->f, &x->r, 0, h1, 0);
        vf_assert_used(&x->f, &x->r, 1, h2, 513);
        assert_int_equal(ram8(x, STAT), VIRTIO_BLK_S_OK);
        assert_ram_is_disk(x, DATA, 512, 512);
        assert_int_equal(rd_status(x), VF_DRIVER_OK);
}

/* Past bug: kicks without new requests complete nothing twice. */
static void q4_rekick_without_new_requests_does_nothing(void **state)
{
        struct vbfx *x = *state;

        simple(x, VIRTIO_BLK_T_IN, 0, 512, W);
        vf_kick(&x->t, 0);
        vf_kick(&x->t, 0);
        assert_int_equal(vf_used_idx(&x->f, &x->r), 1);
        assert_int_equal(x->t.q[0].vq.inflight, 0);
}

static void q10_one_interrupt_for_a_batch(void **state)
{
        struct vbfx *x = *state;
        uint16_t heads[3];

        for (unsigned i = 0; i < 3; i++) {
                heads[i] = x->next_head;
                put_hdr(x, HDR + 0x20 * i, VIRTIO_BLK_T_IN, i);
                vf_desc(&x->f, x->r.desc, heads[i], HDR + 0x20 * i, 16, VRING_DESC_F_NEXT,
                        heads[i] + 1);
                vf_desc(&x->f, x->r.desc, heads[i] + 1, DATA + 0x200 * i, 512,
                        W | VRING_DESC_F_NEXT, heads[i] + 2);
                vf_desc(&x->f, x->r.desc, heads[i] + 2, STAT + i, 1, W, 0);
                vf_publish(&x->f, &x->r, heads[i]);
                x->next_head = (uint16_t)(heads[i] + 3);
        }
        vf_kick(&x->t, 0);
        assert_int_equal(vf_used_idx(&x->f, &x->r), 3);
        for (unsigned i = 0; i < 3; i++) {
                vf_assert_used(&x->f, &x->r, (uint16_t)i, heads[i], 513);
                assert_int_equal(ram8(x, STAT + i), VIRTIO_BLK_S_OK);
        }
        assert_ram_is_disk(x, DATA, 0, 3 * 512);
        assert_int_equal(vf_rd(&x->t, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
        assert_int_equal(x->f.irq_changes, 1);
        assert_true(x->f.irq_level);
}

static void q6_request_with_data_in_the_mmio_window_is_rejected(void **state)
{
        struct vbfx *x = *state;
        struct seg s[] = {{HDR, 16, 0}, {VF_MMIO_GPA + VIRTIO_MMIO_STATUS, 512, W}, {STAT, 1, W}};
        uint16_t head;

        put_hdr(x, HDR, VIRTIO_BLK_T_IN, 0);
        head = submit(x, s, 3);
        vf_assert_used(&x->f, &x->r, 0, head, 0);
        assert_int_equal(ram8(x, STAT), VF_FILL);
        assert_int_equal(rd_status(x), VF_DRIVER_OK);
}

static void traced_requests(void *arg)
{
        struct vbfx *x = arg;

        simple(x, VIRTIO_BLK_T_IN, 5, 4096, W);
        simple(x, VIRTIO_BLK_T_OUT, SECTORS, 512, 0);
}

static void trace_decodes_requests(void **state)
{
        struct vbfx *x = *state;

        vf_capture_trace(trace_out, sizeof(trace_out), traced_requests, x);
        assert_non_null(strstr(trace_out, "virtio-blk: IN sector 5, 4096 bytes -> OK"));
        assert_non_null(strstr(trace_out, "virtio-blk: OUT sector 64, 512 bytes -> IOERR: "
                                          "sectors beyond the disk"));
        assert_non_null(strstr(trace_out, "virtio-mmio@0: write QueueNotify <- 0x00000000"));
        assert_non_null(strstr(trace_out, "virtq 0: head 0: [0] 0x8000 len 16 R, [1] 0x20000 "
                                          "len 4096 W, [2] 0x9000 len 1 W"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
            T(b1_header_split_over_descriptors),
            T(b1_short_header_is_ioerr),
            T(b1_oversized_header_or_status_descriptor_is_bounded),
            T(b2_status_is_the_last_writable_byte),
            T(b2_no_writable_descriptor_returns_len_0),
            T(b3_in_reads_sectors_into_ram),
            T(b3_out_writes_sectors_to_the_image),
            T(b3_data_not_a_multiple_of_512_is_ioerr),
            T(b3_sector_range_overflow_is_ioerr),
            T(b3_in_larger_than_the_disk_is_ioerr_and_ram_zeroed),
            T(b3_in_data_must_be_writable),
            T(b3_out_data_must_be_readable),
            T(b3_partial_last_sector_is_not_exposed),
            T(vblk_init_rejects_an_image_smaller_than_a_sector),
            T(b4_readonly_offers_ro_and_out_is_ioerr_with_file_unchanged),
            T(b4_readonly_discard_and_write_zeroes_change_nothing),
            T(b5_flush_is_ok_after_writes),
            T(b5_flush_error_is_ioerr),
            T(b5_flush_with_data_is_ok_as_qemu),
            T(b6_get_id_is_20_bytes_nul_padded),
            T(b6_get_id_with_a_4k_buffer_copies_20_bytes),
            T(b6_get_id_into_a_short_buffer_is_truncated),
            T(b6_a_full_20_byte_serial_is_taken_whole),
            T(b7_discard_and_write_zeroes_are_unsupp_when_not_offered),
            T(b8_unknown_types_are_unsupp),
            T(b9_used_len_per_type_s2_7_8_2),
            T(b11_seg_max_is_queue_size_minus_2),
            T(m13_blk_offers_exactly_implemented_features),
            T(v1_legacy_driver_writes_then_reads),
            T(q8_request_through_an_indirect_table),
            T(q11_malformed_chain_then_valid_request_completes),
            T(q4_rekick_without_new_requests_does_nothing),
            T(q10_one_interrupt_for_a_batch),
            T(q6_request_with_data_in_the_mmio_window_is_rejected),
            T(trace_decodes_requests),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
