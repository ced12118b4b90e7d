/*
 * hd_fake: the part of the hostile suite's unit back end (guest/hostile/hd.h)
 * both test_hostile_virtio and test_hostile_svirtb share: fake guest RAM
 * (tests/unit/vfake.h) with a snapshot for the canary, a temp image laid out
 * as tools/testdisk.h says, failures reported through CMocka. Each test file
 * adds the device: hd_rd, hd_wr, hd_raw, hd_expect_why, hd_svirtb_peek.
 */
#ifndef MINIVMM_TESTS_HD_FAKE_H
#define MINIVMM_TESTS_HD_FAKE_H

#include "devices/disk.h"
#include "guest/hostile/hd.h"
#include "vfake.h"

#define HD_SECTORS 256u /* the image, as tests/suites/hostile.sh makes it */

/* The first member of each test file's fixture (h.be points at it). */
struct hd_fake {
        struct hd h;
        struct vfake f;
        uint8_t *snap[3]; /* ram, b, high as hd_snap saw them */
        struct disk disk;
        char path[4096];           /* in ti_tmpdir() */
        char trace[8192];          /* --trace of the last notify with a virtio-blk line */
        const char *const *reason; /* the device's reason for its last error, or NULL */
        uint8_t *big;              /* hd_big's buffer */
};

/* Fake RAM, an unlinked image opened as k->disk; the scratch areas of k->h
 * (ring at ring). -1 on failure. */
int hd_fake_setup(struct hd_fake *k, uint64_t ring);
void hd_fake_teardown(struct hd_fake *k);
/* Case fn on device d (hd_run); HD_SKIP skips the CMocka test. */
void hd_fake_run(struct hd_fake *k, const struct hd_device *d, int (*fn)(struct hd *));
/* t_NAME, the CMocka test of case NAME on device d. */
#define HD_FAKE_TEST(d, name)                                                                      \
        static void t_##name(void **state)                                                         \
        {                                                                                          \
                hd_fake_run(*state, &(d), name);                                                   \
        }

#endif
