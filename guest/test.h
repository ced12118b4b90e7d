/*
 * The guest's test framework: a static table of tests (guest/tests/tests.c),
 * each with a requirement the runner checks before running it, and the
 * environment every test reads (boot info, the svirtb driver, the disk).
 * A test returns TEST_PASS, or test_fail()/test_skip() with a reason.
 */
#ifndef GUEST_TEST_H
#define GUEST_TEST_H

#include <stdbool.h>
#include <stdint.h>

#include "bootinfo.h"
#include "svirtb_drv.h"

enum test_result {
        TEST_PASS = 0,
        TEST_FAIL = 1,
        TEST_SKIP = 2,
};

enum test_req {
        REQ_NONE,      /* always runs */
        REQ_SVIRTB,    /* an svirtb device in the FDT */
        REQ_SVIRTB_RW, /* ... that is writable */
        REQ_SVIRTB_RO, /* ... that is read-only */
        REQ_HIGH_RAM,  /* a second RAM range above 4 GiB */
        REQ_VIRTIO,    /* a virtio-mmio device in the FDT */
        REQ_VIRTIO_RW, /* ... the first of which is writable (no VIRTIO_BLK_F_RO) */
        REQ_VIRTIO_RO, /* ... one of which is read-only */
};

struct test {
        const char *name;
        int (*fn)(void);
        enum test_req req;
};

extern const struct test tests[];
extern const unsigned ntests;

/* What the boot-time probe learnt about virtio-blk device i (FDT order). */
struct vdisk {
        bool ok;          /* initialized and sector 0 read */
        bool test_image;  /* sector 0 holds a test image of `capacity` sectors */
        bool ro;          /* VIRTIO_BLK_F_RO offered */
        uint32_t version; /* virtio-mmio version */
        uint64_t capacity;
        uint64_t sectors;  /* N from sector 0, when test_image */
        char problem[128]; /* why !ok or !test_image */
};

struct guest_env {
        struct boot_info boot;
        struct svb dev;                      /* the driver instance every svirtb test uses */
        bool disk_read;                      /* svirtb read sector 0 */
        bool disk_ok;                        /* sector 0 holds a test image (tools/testdisk.h) */
        uint64_t disk_sectors;               /* N from sector 0, when disk_ok */
        char disk_problem[128];              /* why !disk_ok */
        struct vdisk vdisk[BOOT_MAX_VIRTIO]; /* boot.nvirtio of them */
        bool virtio_irq;                     /* complete=irq: virtio tests wait for interrupts */
        bool hold;                           /* hold=1: spin after the summary, never exit */
        bool no_event_idx;                   /* event_idx=off: never negotiate EVENT_IDX */
        const char *bench;                   /* bench=...: run the benchmark, not the tests */
        bool survey;                         /* survey=1: list and read the disks, no tests */
};

extern struct guest_env genv;

/* Record the reason and return TEST_FAIL / TEST_SKIP. */
__attribute__((format(printf, 1, 2))) int test_fail(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) int test_skip(const char *fmt, ...);

#define EXPECT(cond, ...)                                                                          \
        do {                                                                                       \
                if (!(cond))                                                                       \
                        return test_fail(__VA_ARGS__);                                             \
        } while (0)

#define TRY(call)                                                                                  \
        do {                                                                                       \
                int r_ = (call);                                                                   \
                if (r_ != TEST_PASS)                                                               \
                        return r_;                                                                 \
        } while (0)

#endif
