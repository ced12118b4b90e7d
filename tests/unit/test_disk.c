/*
 * test_disk: the block backend (devices/disk.h).
 *
 * Each test works on real temporary files under /tmp (mkstemp): opening
 * (errors and their one-line messages, locking), clamped reads and writes,
 * read-only refusal, and the rule that the image never grows.
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
#include <sys/uio.h>
#include <unistd.h>

#include <cmocka.h>
#include <liburing.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "devices/disk.h"

#define IMG_SIZE 4096u

struct fixture {
        char path[64];
        char dir[64];
        char err[256];
};

static uint8_t pattern(uint64_t off)
{
        return (uint8_t)(off * 7u + 3u);
}

/* Writes size bytes of pattern() into a new temp file; returns its path in f->path. */
static int make_image(struct fixture *f, size_t size)
{
        uint8_t buf[IMG_SIZE];
        size_t i;
        int fd;

        snprintf(f->path, sizeof(f->path), "/tmp/minivmm-disk-XXXXXX");
        fd = mkstemp(f->path);
        if (fd < 0)
                return -1;
        for (i = 0; i < size && i < sizeof(buf); i++)
                buf[i] = pattern(i);
        if (size > sizeof(buf) || write(fd, buf, size) != (ssize_t)size) {
                close(fd);
                return -1;
        }
        close(fd);
        return 0;
}

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));

        if (f == NULL || make_image(f, IMG_SIZE) < 0)
                return -1;
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;

        unlink(f->path);
        if (f->dir[0])
                rmdir(f->dir);
        free(f);
        return 0;
}

/* The file's bytes and size as another process would see them. */
static void read_file(const char *path, uint8_t *buf, size_t len, off_t *size)
{
        struct stat st;
        int fd = open(path, O_RDONLY);

        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, &st), 0);
        *size = st.st_size;
        assert_int_equal(pread(fd, buf, len, 0), (ssize_t)len);
        close(fd);
}

static void assert_file_is_pattern_except(const char *path, uint64_t from, const uint8_t *data,
                                          size_t len)
{
        uint8_t buf[IMG_SIZE];
        off_t size;
        uint64_t i;

        read_file(path, buf, sizeof(buf), &size);
        assert_int_equal(size, IMG_SIZE);
        for (i = 0; i < IMG_SIZE; i++) {
                if (i >= from && i - from < len)
                        assert_int_equal(buf[i], data[i - from]);
                else
                        assert_int_equal(buf[i], pattern(i));
        }
}

static void open_reports_size_path_and_mode(void **state)
{
        struct fixture *f = *state;
        struct disk d;

        assert_int_equal(disk_open(&d, f->path, false, f->err, sizeof(f->err)), 0);
        assert_true(d.fd >= 0);
        assert_int_equal(d.size, IMG_SIZE);
        assert_false(d.ro);
        assert_string_equal(d.path, f->path);
        disk_close(&d);
        assert_int_equal(d.fd, -1);
}

static void readonly_disk_is_opened_without_write_access(void **state)
{
        struct fixture *f = *state;
        struct disk ro, rw;

        assert_int_equal(disk_open(&ro, f->path, true, f->err, sizeof(f->err)), 0);
        assert_true(ro.ro);
        assert_int_equal(fcntl(ro.fd, F_GETFL) & O_ACCMODE, O_RDONLY);
        assert_true(fcntl(ro.fd, F_GETFD) & FD_CLOEXEC);
        assert_false(fcntl(ro.fd, F_GETFL) & O_NONBLOCK);
        disk_close(&ro);
        assert_int_equal(disk_open(&rw, f->path, false, f->err, sizeof(f->err)), 0);
        assert_int_equal(fcntl(rw.fd, F_GETFL) & O_ACCMODE, O_RDWR);
        assert_true(fcntl(rw.fd, F_GETFD) & FD_CLOEXEC);
        disk_close(&rw);
}

static void open_missing_file_fails_with_enoent_naming_the_path(void **state)
{
        struct fixture *f = *state;
        char want[300];
        struct disk d;

        unlink(f->path);
        snprintf(want, sizeof(want), "disk image '%s': No such file or directory", f->path);
        assert_int_equal(disk_open(&d, f->path, false, f->err, sizeof(f->err)), -ENOENT);
        assert_string_equal(f->err, want);
        assert_int_equal(d.fd, -1);
        assert_int_equal(disk_open(&d, f->path, true, f->err, sizeof(f->err)), -ENOENT);
        assert_string_equal(f->err, want);
}

static void open_directory_fails_as_is_a_directory(void **state)
{
        struct fixture *f = *state;
        char want[300];
        struct disk d;

        snprintf(f->dir, sizeof(f->dir), "/tmp/minivmm-dir-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(want, sizeof(want), "disk image '%s': is a directory", f->dir);
        assert_int_equal(disk_open(&d, f->dir, true, f->err, sizeof(f->err)), -EISDIR);
        assert_string_equal(f->err, want);
        assert_int_equal(d.fd, -1);
        assert_int_equal(disk_open(&d, f->dir, false, f->err, sizeof(f->err)), -EISDIR);
        assert_string_equal(f->err, want);
}

static void open_character_device_is_refused(void **state)
{
        struct fixture *f = *state;
        struct disk d;

        assert_int_equal(disk_open(&d, "/dev/null", true, f->err, sizeof(f->err)), -EINVAL);
        assert_string_equal(
            f->err,
            "disk image '/dev/null': not a regular file or block device (a character device)");
        assert_int_equal(d.fd, -1);
}

static void open_fifo_is_refused_without_blocking(void **state)
{
        struct fixture *f = *state;
        char want[300];
        struct disk d;

        unlink(f->path);
        assert_int_equal(mkfifo(f->path, 0600), 0);
        /* With no writer a blocking open would hang here forever. */
        assert_int_equal(disk_open(&d, f->path, true, f->err, sizeof(f->err)), -EINVAL);
        snprintf(want, sizeof(want), "disk image '%s': not a regular file or block device (a FIFO)",
                 f->path);
        assert_string_equal(f->err, want);
        assert_true(disk_open(&d, f->path, false, f->err, sizeof(f->err)) < 0);
        assert_int_equal(d.fd, -1);
}

static void open_socket_is_refused(void **state)
{
        struct fixture *f = *state;
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        char want[300];
        struct disk d;
        int s = socket(AF_UNIX, SOCK_STREAM, 0);

        assert_true(s >= 0);
        unlink(f->path);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
        assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(disk_open(&d, f->path, false, f->err, sizeof(f->err)), -EINVAL);
        snprintf(want, sizeof(want),
                 "disk image '%s': not a regular file or block device (a socket)", f->path);
        assert_string_equal(f->err, want);
        assert_int_equal(d.fd, -1);
        close(s);
}

static void open_empty_image_fails(void **state)
{
        struct fixture *f = *state;
        char want[300];
        struct disk d;

        assert_int_equal(truncate(f->path, 0), 0);
        snprintf(want, sizeof(want), "disk image '%s': empty image", f->path);
        assert_int_equal(disk_open(&d, f->path, false, f->err, sizeof(f->err)), -EINVAL);
        assert_string_equal(f->err, want);
        assert_int_equal(d.fd, -1);
}

static void open_unreadable_image_fails_with_eacces(void **state)
{
        struct fixture *f = *state;
        char want[300];
        struct disk d;

        if (geteuid() == 0)
                skip(); /* root ignores file permissions */
        assert_int_equal(chmod(f->path, 0), 0);
        snprintf(want, sizeof(want), "disk image '%s': Permission denied", f->path);
        assert_int_equal(disk_open(&d, f->path, true, f->err, sizeof(f->err)), -EACCES);
        assert_string_equal(f->err, want);
}

static void second_writable_open_of_same_image_is_busy(void **state)
{
        struct fixture *f = *state;
        char want[300];
        struct disk a, b;

        assert_int_equal(disk_open(&a, f->path, false, f->err, sizeof(f->err)), 0);
        snprintf(want, sizeof(want), "disk image '%s': in use by another process (locked)",
                 f->path);
        assert_int_equal(disk_open(&b, f->path, false, f->err, sizeof(f->err)), -EBUSY);
        assert_string_equal(f->err, want);
        assert_int_equal(b.fd, -1);
        disk_close(&a);
}

static void readonly_open_while_writable_open_is_busy(void **state)
{
        struct fixture *f = *state;
        struct disk a, b;

        assert_int_equal(disk_open(&a, f->path, false, f->err, sizeof(f->err)), 0);
        assert_int_equal(disk_open(&b, f->path, true, f->err, sizeof(f->err)), -EBUSY);
        disk_close(&a);
}

static void writable_open_while_readonly_open_is_busy(void **state)
{
        struct fixture *f = *state;
        struct disk a, b;

        assert_int_equal(disk_open(&a, f->path, true, f->err, sizeof(f->err)), 0);
        assert_int_equal(disk_open(&b, f->path, false, f->err, sizeof(f->err)), -EBUSY);
        disk_close(&a);
}

static void two_readonly_opens_share_the_image(void **state)
{
        struct fixture *f = *state;
        uint8_t x = 0, y = 0;
        struct disk a, b;

        assert_int_equal(disk_open(&a, f->path, true, f->err, sizeof(f->err)), 0);
        assert_int_equal(disk_open(&b, f->path, true, f->err, sizeof(f->err)), 0);
        assert_int_equal(disk_read(&a, 100, &x, 1), 1);
        assert_int_equal(disk_read(&b, 100, &y, 1), 1);
        assert_int_equal(x, pattern(100));
        assert_int_equal(y, pattern(100));
        disk_close(&a);
        disk_close(&b);
}

static void close_releases_the_lock(void **state)
{
        struct fixture *f = *state;
        struct disk a, b;

        assert_int_equal(disk_open(&a, f->path, false, f->err, sizeof(f->err)), 0);
        disk_close(&a);
        assert_int_equal(disk_open(&b, f->path, false, f->err, sizeof(f->err)), 0);
        disk_close(&b);
        disk_close(&b); /* twice is harmless */
        assert_int_equal(b.fd, -1);
}

static void error_message_is_truncated_to_errlen(void **state)
{
        struct fixture *f = *state;
        struct disk d;
        char err[12];

        unlink(f->path);
        memset(err, 'x', sizeof(err));
        assert_int_equal(disk_open(&d, f->path, false, err, sizeof(err)), -ENOENT);
        assert_string_equal(err, "disk image ");
        /* No buffer at all is allowed too. */
        assert_int_equal(disk_open(&d, f->path, false, NULL, 0), -ENOENT);
}

static void read_inside_image_returns_all_bytes(void **state)
{
        struct fixture *f = *state;
        uint8_t buf[512];
        struct disk d;
        size_t i;

        assert_int_equal(disk_open(&d, f->path, true, f->err, sizeof(f->err)), 0);
        assert_int_equal(disk_read(&d, 1000, buf, sizeof(buf)), 512);
        for (i = 0; i < sizeof(buf); i++)
                assert_int_equal(buf[i], pattern(1000 + i));
        disk_close(&d);
}

static void read_past_end_is_clamped_and_rest_of_buffer_untouched(void **state)
{
        struct fixture *f = *state;
        uint8_t buf[1024];
        struct disk d;
        size_t i;

        memset(buf, 0xee, sizeof(buf));
        assert_int_equal(disk_open(&d, f->path, true, f->err, sizeof(f->err)), 0);
        assert_int_equal(disk_read(&d, IMG_SIZE - 100, buf, sizeof(buf)), 100);
        for (i = 0; i < 100; i++)
                assert_int_equal(buf[i], pattern(IMG_SIZE - 100 + i));
        for (; i < sizeof(buf); i++)
                assert_int_equal(buf[i], 0xee);
        disk_close(&d);
}

static void read_of_image_shrunk_underneath_returns_what_exists(void **state)
{
        struct fixture *f = *state;
        uint8_t buf[256];
        struct disk d;
        size_t i;

        memset(buf, 0xee, sizeof(buf));
        assert_int_equal(disk_open(&d, f->path, true, f->err, sizeof(f->err)), 0);
        /* Another process truncates the file: the size fixed at open is now stale. */
        assert_int_equal(truncate(f->path, 1000), 0);
        assert_int_equal(disk_read(&d, 900, buf, sizeof(buf)), 100);
        for (i = 0; i < 100; i++)
                assert_int_equal(buf[i], pattern(900 + i));
        for (; i < sizeof(buf); i++)
                assert_int_equal(buf[i], 0xee);
        disk_close(&d);
}

static void read_at_or_beyond_end_returns_zero(void **state)
{
        struct fixture *f = *state;
        uint8_t buf[16];
        struct disk d;
        size_t i;

        memset(buf, 0xee, sizeof(buf));
        assert_int_equal(disk_open(&d, f->path, true, f->err, sizeof(f->err)), 0);
        assert_int_equal(disk_read(&d, IMG_SIZE, buf, sizeof(buf)), 0);
        assert_int_equal(disk_read(&d, IMG_SIZE + 1, buf, sizeof(buf)), 0);
        assert_int_equal(disk_read(&d, UINT64_MAX, buf, sizeof(buf)), 0);
        assert_int_equal(disk_read(&d, 0, buf, 0), 0);
        for (i = 0; i < sizeof(buf); i++)
                assert_int_equal(buf[i], 0xee);
        disk_close(&d);
}

static void write_inside_image_reaches_the_file(void **state)
{
        struct fixture *f = *state;
        struct disk d;

        assert_int_equal(disk_open(&d, f->path, false, f->err, sizeof(f->err)), 0);
        assert_int_equal(disk_write(&d, 512, "hello", 5), 5);
        assert_int_equal(disk_flush(&d), 0);
        disk_close(&d);
        assert_file_is_pattern_except(f->path, 512, (const uint8_t *)"hello", 5);
}

static void write_past_end_is_clamped_and_image_never_grows(void **state)
{
        struct fixture *f = *state;
        uint8_t buf[64];
        struct disk d;

        memset(buf, 0x42, sizeof(buf));
        assert_int_equal(disk_open(&d, f->path, false, f->err, sizeof(f->err)), 0);
        assert_int_equal(disk_write(&d, IMG_SIZE - 10, buf, sizeof(buf)), 10);
        disk_close(&d);
        assert_file_is_pattern_except(f->path, IMG_SIZE - 10, buf, 10);
}

static void write_at_or_beyond_end_returns_zero_and_image_never_grows(void **state)
{
        struct fixture *f = *state;
        struct disk d;

        assert_int_equal(disk_open(&d, f->path, false, f->err, sizeof(f->err)), 0);
        assert_int_equal(disk_write(&d, IMG_SIZE, "abc", 3), 0);
        assert_int_equal(disk_write(&d, IMG_SIZE + 4096, "abc", 3), 0);
        assert_int_equal(disk_write(&d, UINT64_MAX - 1, "abc", 3), 0);
        disk_close(&d);
        assert_file_is_pattern_except(f->path, 0, NULL, 0);
}

static void write_to_readonly_disk_returns_erofs_and_changes_nothing(void **state)
{
        struct fixture *f = *state;
        struct disk d;

        assert_int_equal(disk_open(&d, f->path, true, f->err, sizeof(f->err)), 0);
        assert_int_equal(disk_write(&d, 0, "abc", 3), -EROFS);
        assert_int_equal(disk_write(&d, IMG_SIZE, "abc", 3), -EROFS);
        disk_close(&d);
        assert_file_is_pattern_except(f->path, 0, NULL, 0);
}

static void host_io_error_is_returned_as_negative_errno(void **state)
{
        struct fixture *f = *state;
        struct disk d;
        uint8_t buf[4];
        int wfd;

        assert_int_equal(disk_open(&d, f->path, false, f->err, sizeof(f->err)), 0);
        /* Swap in a descriptor that cannot be written: pwrite fails with EBADF. */
        wfd = d.fd;
        d.fd = open(f->path, O_RDONLY);
        assert_true(d.fd >= 0);
        assert_int_equal(disk_write(&d, 0, "abc", 3), -EBADF);
        close(d.fd);
        /* A directory descriptor cannot be read: pread fails with EISDIR. */
        d.fd = open("/tmp", O_RDONLY | O_DIRECTORY);
        assert_true(d.fd >= 0);
        assert_int_equal(disk_read(&d, 0, buf, sizeof(buf)), -EISDIR);
        close(d.fd);
        d.fd = wfd;
        disk_close(&d);
        assert_file_is_pattern_except(f->path, 0, NULL, 0);
}

static void flush_succeeds_on_open_disk(void **state)
{
        struct fixture *f = *state;
        struct disk d;

        assert_int_equal(disk_open(&d, f->path, false, f->err, sizeof(f->err)), 0);
        assert_int_equal(disk_flush(&d), 0);
        disk_close(&d);
}

/* --- vectored transfers and batches --------------------------------------- */

static void readv_fills_the_buffers_in_order(void **state)
{
        struct fixture *f = *state;
        uint8_t a[100], b[1], c[411];
        struct iovec iov[4] = {{a, sizeof(a)}, {b, 0}, {b, sizeof(b)}, {c, sizeof(c)}};
        struct disk d;
        size_t i;

        assert_int_equal(disk_open(&d, f->path, true, f->err, sizeof(f->err)), 0);
        assert_int_equal(disk_readv(&d, 700, iov, 4), 512);
        for (i = 0; i < sizeof(a); i++)
                assert_int_equal(a[i], pattern(700 + i));
        assert_int_equal(b[0], pattern(800));
        for (i = 0; i < sizeof(c); i++)
                assert_int_equal(c[i], pattern(801 + i));
        /* The caller's iovecs are left as they were. */
        assert_ptr_equal(iov[3].iov_base, c);
        assert_int_equal(iov[3].iov_len, sizeof(c));
        disk_close(&d);
}

static void readv_past_end_is_clamped_across_buffers(void **state)
{
        struct fixture *f = *state;
        uint8_t a[60], b[60];
        struct iovec iov[2] = {{a, sizeof(a)}, {b, sizeof(b)}};
        struct disk d;
        size_t i;

        memset(a, 0xee, sizeof(a));
        memset(b, 0xee, sizeof(b));
        assert_int_equal(disk_open(&d, f->path, true, f->err, sizeof(f->err)), 0);
        assert_int_equal(disk_readv(&d, IMG_SIZE - 70, iov, 2), 70);
        for (i = 0; i < sizeof(a); i++)
                assert_int_equal(a[i], pattern(IMG_SIZE - 70 + i));
        for (i = 0; i < 10; i++)
                assert_int_equal(b[i], pattern(IMG_SIZE - 10 + i));
        for (; i < sizeof(b); i++)
                assert_int_equal(b[i], 0xee);
        assert_int_equal(disk_readv(&d, IMG_SIZE, iov, 2), 0);
        assert_int_equal(disk_readv(&d, UINT64_MAX, iov, 2), 0);
        disk_close(&d);
}

static void writev_past_end_is_clamped_and_image_never_grows(void **state)
{
        struct fixture *f = *state;
        uint8_t a[8], b[64], want[18];
        struct iovec iov[2] = {{a, sizeof(a)}, {b, sizeof(b)}};
        struct disk d;

        memset(a, 0x11, sizeof(a));
        memset(b, 0x22, sizeof(b));
        memcpy(want, a, 8);
        memcpy(want + 8, b, 10);
        assert_int_equal(disk_open(&d, f->path, false, f->err, sizeof(f->err)), 0);
        assert_int_equal(disk_writev(&d, IMG_SIZE - 18, iov, 2), 18);
        assert_int_equal(disk_writev(&d, IMG_SIZE, iov, 2), 0);
        disk_close(&d);
        assert_file_is_pattern_except(f->path, IMG_SIZE - 18, want, sizeof(want));
}

static void writev_to_readonly_disk_and_too_many_iovecs_are_refused(void **state)
{
        struct fixture *f = *state;
        static struct iovec many[DISK_IOV_MAX + 1];
        uint8_t x = 0x55;
        struct iovec one = {&x, 1};
        struct disk d;

        for (unsigned i = 0; i <= DISK_IOV_MAX; i++)
                many[i] = one;
        assert_int_equal(disk_open(&d, f->path, true, f->err, sizeof(f->err)), 0);
        assert_int_equal(disk_writev(&d, 0, &one, 1), -EROFS);
        assert_int_equal(disk_readv(&d, 0, many, DISK_IOV_MAX + 1), -EINVAL);
        assert_int_equal(disk_readv(&d, 0, many, DISK_IOV_MAX), DISK_IOV_MAX);
        assert_int_equal(x, pattern(DISK_IOV_MAX - 1)); /* every iovec was the same byte */
        disk_close(&d);
        assert_file_is_pattern_except(f->path, 0, NULL, 0);
}

/* A batch as virtio-blk submits one: write, read of the same bytes, flush, clamped read. */
static void run_batch(struct disk *d, bool expect_ro)
{
        uint8_t w[512], r[512], tail[64];
        struct iovec wi = {w, sizeof(w)}, ri = {r, sizeof(r)},
                     ti[2] = {{tail, 32}, {tail + 32, 32}};
        struct disk_op ops[4] = {
            {.kind = DISK_OP_WRITE, .off = 1024, .iov = &wi, .iovcnt = 1},
            {.kind = DISK_OP_FLUSH},
            {.kind = DISK_OP_READ, .off = 2048, .iov = &ri, .iovcnt = 1},
            {.kind = DISK_OP_READ, .off = IMG_SIZE - 40, .iov = ti, .iovcnt = 2},
        };

        memset(w, 0x77, sizeof(w));
        memset(tail, 0xee, sizeof(tail));
        disk_run(d, ops, 4);
        assert_int_equal(ops[0].res, expect_ro ? -EROFS : 512);
        assert_int_equal(ops[1].res, 0);
        assert_int_equal(ops[2].res, 512);
        for (size_t i = 0; i < sizeof(r); i++)
                assert_int_equal(r[i], pattern(2048 + i));
        assert_int_equal(ops[3].res, 40);
        for (size_t i = 0; i < 40; i++)
                assert_int_equal(tail[i], pattern(IMG_SIZE - 40 + i));
        assert_int_equal(tail[40], 0xee);
}

static void run_executes_a_batch_synchronously(void **state)
{
        struct fixture *f = *state;
        uint8_t w[512];
        struct disk d;

        memset(w, 0x77, sizeof(w));
        assert_int_equal(disk_open(&d, f->path, false, f->err, sizeof(f->err)), 0);
        assert_null(d.ring);
        run_batch(&d, false);
        disk_close(&d);
        assert_file_is_pattern_except(f->path, 1024, w, sizeof(w));
}

/* 0, or skips the test when this kernel refuses io_uring. */
static void use_uring_or_skip(struct disk *d, unsigned entries)
{
        int r = disk_use_uring(d, entries);

        if (r == -ENOSYS || r == -EPERM) {
                disk_close(d);
                skip();
        }
        assert_int_equal(r, 0);
        assert_non_null(d->ring);
}

static void uring_batch_has_the_same_outcome(void **state)
{
        struct fixture *f = *state;
        uint8_t w[512];
        struct disk d;

        memset(w, 0x77, sizeof(w));
        assert_int_equal(disk_open(&d, f->path, false, f->err, sizeof(f->err)), 0);
        use_uring_or_skip(&d, 8);
        run_batch(&d, false);
        assert_non_null(d.ring); /* still in use: nothing failed */
        disk_close(&d);
        assert_null(d.ring);
        assert_file_is_pattern_except(f->path, 1024, w, sizeof(w));
}

static void uring_batch_on_readonly_disk_refuses_the_write(void **state)
{
        struct fixture *f = *state;
        struct disk d;

        assert_int_equal(disk_open(&d, f->path, true, f->err, sizeof(f->err)), 0);
        use_uring_or_skip(&d, 8);
        run_batch(&d, true);
        disk_close(&d);
        assert_file_is_pattern_except(f->path, 0, NULL, 0);
}

static void uring_batch_larger_than_the_ring_runs_in_chunks(void **state)
{
        struct fixture *f = *state;
        uint8_t buf[16][256];
        struct iovec iov[16];
        struct disk_op ops[16];
        struct disk d;

        assert_int_equal(disk_open(&d, f->path, false, f->err, sizeof(f->err)), 0);
        use_uring_or_skip(&d, 4);
        for (unsigned i = 0; i < 16; i++) {
                memset(buf[i], 0xee, sizeof(buf[i]));
                iov[i] = (struct iovec){buf[i], sizeof(buf[i])};
                ops[i] = (struct disk_op){
                    .kind = DISK_OP_READ, .off = 256 * i, .iov = &iov[i], .iovcnt = 1};
        }
        disk_run(&d, ops, 16);
        for (unsigned i = 0; i < 16; i++) {
                assert_int_equal(ops[i].res, 256);
                for (unsigned k = 0; k < 256; k++)
                        assert_int_equal(buf[i][k], pattern(256 * i + k));
        }
        disk_close(&d);
}

/* --- faults: sticky write-back errors, the restricted ring ----------------- */

/*
 * Writes at or beyond limit fail with EFBIG (RLIMIT_FSIZE, SIGXFSZ ignored),
 * for this process and its io_uring workers alike; 0 restores no limit.
 */
static void limit_file_size(rlim_t limit)
{
        struct rlimit rl = {limit ? limit : RLIM_INFINITY, RLIM_INFINITY};

        signal(SIGXFSZ, limit ? SIG_IGN : SIG_DFL);
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

static int werr_calls;
static void count_werr(const struct disk *d)
{
        (void)d;
        werr_calls++;
}

/* Once a write failed, later writes and flushes fail without touching the file; reads work. */
static void failed_write_makes_writes_and_flushes_fail_until_close(void **state)
{
        struct fixture *f = *state;
        uint8_t w[512], r[512];
        struct iovec wi = {w, sizeof(w)};
        struct disk d;

        memset(w, 0x55, sizeof(w));
        assert_int_equal(disk_open(&d, f->path, false, f->err, sizeof(f->err)), 0);
        d.on_werr = count_werr;
        werr_calls = 0;
        assert_int_equal(disk_flush(&d), 0);
        limit_file_size(2048);
        assert_int_equal(disk_write(&d, 3072, w, sizeof(w)), -EFBIG);
        limit_file_size(0);
        assert_int_equal(d.werr, EFBIG);
        assert_int_equal(werr_calls, 1);
        /* The kernel would take these now: the disk refuses them. */
        assert_int_equal(disk_write(&d, 0, w, sizeof(w)), -EFBIG);
        assert_int_equal(disk_writev(&d, 512, &wi, 1), -EFBIG);
        assert_int_equal(disk_flush(&d), -EFBIG);
        assert_int_equal(disk_read(&d, 1024, r, sizeof(r)), (ssize_t)sizeof(r));
        for (size_t i = 0; i < sizeof(r); i++)
                assert_int_equal(r[i], pattern(1024 + i));
        assert_int_equal(werr_calls, 1); /* reported once */
        disk_close(&d);
        assert_file_is_pattern_except(f->path, 0, NULL, 0);
        /* A new open (a restarted VMM) starts clean. */
        assert_int_equal(disk_open(&d, f->path, false, f->err, sizeof(f->err)), 0);
        assert_int_equal(d.werr, 0);
        assert_int_equal(disk_write(&d, 0, w, sizeof(w)), (ssize_t)sizeof(w));
        disk_close(&d);
}

/*
 * In one batch: a write that succeeds, one that fails, then a FLUSH and a
 * write the kernel would both accept: both fail, in both backends.
 */
static void batch_after_failed_write(struct disk *d)
{
        uint8_t a[512], b[512], c[512], r[512];
        struct iovec ai = {a, sizeof(a)}, bi = {b, sizeof(b)}, ci = {c, sizeof(c)},
                     ri = {r, sizeof(r)};
        struct disk_op ops[5] = {
            {.kind = DISK_OP_WRITE, .off = 0, .iov = &ai, .iovcnt = 1},
            {.kind = DISK_OP_WRITE, .off = 3072, .iov = &bi, .iovcnt = 1},
            {.kind = DISK_OP_FLUSH},
            {.kind = DISK_OP_WRITE, .off = 512, .iov = &ci, .iovcnt = 1},
            {.kind = DISK_OP_READ, .off = 1024, .iov = &ri, .iovcnt = 1},
        };
        struct disk_op again[2] = {
            {.kind = DISK_OP_FLUSH},
            {.kind = DISK_OP_WRITE, .off = 512, .iov = &ci, .iovcnt = 1},
        };

        memset(a, 0x11, sizeof(a));
        memset(b, 0x22, sizeof(b));
        memset(c, 0x33, sizeof(c));
        limit_file_size(2048);
        disk_run(d, ops, 5);
        limit_file_size(0);
        assert_int_equal(ops[0].res, 512);
        assert_int_equal(ops[1].res, -EFBIG);
        assert_int_equal(ops[2].res, -EFBIG);
        assert_int_equal(ops[3].res, -EFBIG);
        assert_int_equal(ops[4].res, 512);
        assert_int_equal(d->werr, EFBIG);
        disk_run(d, again, 2); /* a later batch: refused before the kernel */
        assert_int_equal(again[0].res, -EFBIG);
        assert_int_equal(again[1].res, -EFBIG);
}

static void failed_write_in_a_batch_fails_later_writes_and_flushes(void **state)
{
        struct fixture *f = *state;
        struct disk d;

        assert_int_equal(disk_open(&d, f->path, false, f->err, sizeof(f->err)), 0);
        d.on_werr = count_werr;
        batch_after_failed_write(&d);
        disk_close(&d);
}

static void failed_write_in_a_uring_batch_fails_later_writes_and_flushes(void **state)
{
        struct fixture *f = *state;
        struct disk d;

        assert_int_equal(disk_open(&d, f->path, false, f->err, sizeof(f->err)), 0);
        d.on_werr = count_werr;
        use_uring_or_skip(&d, 8);
        batch_after_failed_write(&d);
        assert_false(d.ring_failed); /* an I/O error is not a ring failure */
        disk_close(&d);
}

/* One SQE through the disk's own ring; its completion's res. */
static int ring_submit_one(struct disk *d, void (*prep)(struct io_uring_sqe *, void *), void *arg)
{
        struct io_uring_sqe *sqe = io_uring_get_sqe(d->ring);
        struct io_uring_cqe *cqe;
        int res;

        assert_non_null(sqe);
        prep(sqe, arg);
        assert_int_equal(io_uring_submit(d->ring), 1);
        assert_int_equal(io_uring_wait_cqe(d->ring, &cqe), 0);
        res = cqe->res;
        io_uring_cqe_seen(d->ring, cqe);
        return res;
}

static void prep_openat(struct io_uring_sqe *sqe, void *arg)
{
        io_uring_prep_openat(sqe, AT_FDCWD, arg, O_RDONLY, 0);
}

static void prep_read_other_fd(struct io_uring_sqe *sqe, void *arg)
{
        static char buf[16];

        io_uring_prep_read(sqe, *(int *)arg, buf, sizeof(buf), 0);
}

static void prep_read_fixed_other_index(struct io_uring_sqe *sqe, void *arg)
{
        static char buf[16];

        (void)arg;
        io_uring_prep_read(sqe, 1, buf, sizeof(buf), 0);
        sqe->flags |= IOSQE_FIXED_FILE;
}

static void prep_readv_other_fd(struct io_uring_sqe *sqe, void *arg)
{
        static char buf[16];
        static struct iovec iov = {buf, sizeof(buf)};

        io_uring_prep_readv(sqe, *(int *)arg, &iov, 1, 0);
}

static void prep_readv_image(struct io_uring_sqe *sqe, void *arg)
{
        static struct iovec iov;

        iov = (struct iovec){arg, 16};
        io_uring_prep_readv(sqe, 0, &iov, 1, 0); /* fixed file 0: the image */
        sqe->flags |= IOSQE_FIXED_FILE;
}

/*
 * The ring serves READV/WRITEV/FSYNC on the image and nothing else:
 * OPENAT, a READ or READV of another descriptor, another fixed-file index,
 * and new registrations are refused with EACCES (docs/security.md).
 */
static void uring_refuses_other_ops_and_other_files(void **state)
{
        struct fixture *f = *state;
        char got[16];
        struct disk d;
        int other = open("/etc/hostname", O_RDONLY);

        assert_true(other >= 0);
        assert_int_equal(disk_open(&d, f->path, false, f->err, sizeof(f->err)), 0);
        use_uring_or_skip(&d, 8);
        assert_int_equal(ring_submit_one(&d, prep_openat, "/etc/hostname"), -EACCES);
        assert_int_equal(ring_submit_one(&d, prep_read_other_fd, &other), -EACCES);
        assert_int_equal(ring_submit_one(&d, prep_readv_other_fd, &other), -EACCES);
        assert_true(ring_submit_one(&d, prep_read_fixed_other_index, NULL) < 0);
        assert_int_equal(io_uring_register_files(d.ring, &other, 1), -EACCES);
        assert_int_equal(ring_submit_one(&d, prep_readv_image, got), 16);
        for (size_t i = 0; i < sizeof(got); i++)
                assert_int_equal((uint8_t)got[i], pattern(i));
        close(other);
        disk_close(&d);
}

/* The ring holds its own file: closing the disk releases the image's lock at once. */
static void uring_disk_close_releases_the_lock_at_once(void **state)
{
        struct fixture *f = *state;
        struct disk d, e;

        assert_int_equal(disk_open(&d, f->path, false, f->err, sizeof(f->err)), 0);
        use_uring_or_skip(&d, 8);
        disk_close(&d);
        assert_int_equal(disk_open(&e, f->path, false, f->err, sizeof(f->err)), 0);
        disk_close(&e);
}

static void serial_is_stable_per_image_and_differs_between_images(void **state)
{
        struct fixture *f = *state;
        struct fixture other;
        char a[DISK_SERIAL_LEN], b[DISK_SERIAL_LEN], c[DISK_SERIAL_LEN];
        struct disk d;

        assert_int_equal(disk_open(&d, f->path, true, f->err, sizeof(f->err)), 0);
        assert_int_equal(disk_serial(&d, a), 0);
        disk_close(&d);
        assert_int_equal(disk_open(&d, f->path, false, f->err, sizeof(f->err)), 0);
        assert_int_equal(disk_serial(&d, b), 0);
        assert_true(disk_is_file(&d, f->path));
        disk_close(&d);
        assert_memory_equal(a, b, DISK_SERIAL_LEN);
        assert_memory_equal(a, "mvmm", 4);
        for (int i = 4; i < DISK_SERIAL_LEN; i++)
                assert_non_null(strchr("0123456789abcdef", a[i]));

        assert_int_equal(make_image(&other, IMG_SIZE), 0);
        assert_int_equal(disk_open(&d, other.path, true, f->err, sizeof(f->err)), 0);
        assert_int_equal(disk_serial(&d, c), 0);
        assert_false(disk_is_file(&d, f->path));
        disk_close(&d);
        unlink(other.path);
        assert_memory_not_equal(a, c, DISK_SERIAL_LEN);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
            T(open_reports_size_path_and_mode),
            T(readonly_disk_is_opened_without_write_access),
            T(open_missing_file_fails_with_enoent_naming_the_path),
            T(open_directory_fails_as_is_a_directory),
            T(open_character_device_is_refused),
            T(open_fifo_is_refused_without_blocking),
            T(open_socket_is_refused),
            T(open_empty_image_fails),
            T(open_unreadable_image_fails_with_eacces),
            T(second_writable_open_of_same_image_is_busy),
            T(readonly_open_while_writable_open_is_busy),
            T(writable_open_while_readonly_open_is_busy),
            T(two_readonly_opens_share_the_image),
            T(close_releases_the_lock),
            T(error_message_is_truncated_to_errlen),
            T(read_inside_image_returns_all_bytes),
            T(read_past_end_is_clamped_and_rest_of_buffer_untouched),
            T(read_of_image_shrunk_underneath_returns_what_exists),
            T(read_at_or_beyond_end_returns_zero),
            T(write_inside_image_reaches_the_file),
            T(write_past_end_is_clamped_and_image_never_grows),
            T(write_at_or_beyond_end_returns_zero_and_image_never_grows),
            T(write_to_readonly_disk_returns_erofs_and_changes_nothing),
            T(host_io_error_is_returned_as_negative_errno),
            T(flush_succeeds_on_open_disk),
            T(serial_is_stable_per_image_and_differs_between_images),
            T(readv_fills_the_buffers_in_order),
            T(readv_past_end_is_clamped_across_buffers),
            T(writev_past_end_is_clamped_and_image_never_grows),
            T(writev_to_readonly_disk_and_too_many_iovecs_are_refused),
            T(run_executes_a_batch_synchronously),
            T(uring_batch_has_the_same_outcome),
            T(uring_batch_on_readonly_disk_refuses_the_write),
            T(uring_batch_larger_than_the_ring_runs_in_chunks),
            T(failed_write_makes_writes_and_flushes_fail_until_close),
            T(failed_write_in_a_batch_fails_later_writes_and_flushes),
            T(failed_write_in_a_uring_batch_fails_later_writes_and_flushes),
            T(uring_refuses_other_ops_and_other_files),
            T(uring_disk_close_releases_the_lock_at_once),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
