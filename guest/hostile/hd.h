/*
 * hd: the hostile-driver interface. Every hostile case (docs/security.md) is
 * written once, in hd_virtio.c or hd_svirtb.c, as one function against this
 * interface, and runs on two back ends:
 *   - guest/hostile/hd_guest.c: the freestanding guest under KVM
 *     (guest/hostile.bin, tests/suites/hostile.sh), real RAM and registers;
 *   - tests/unit/hd_fake.c with test_hostile_*.c: the device models alone
 *     (CMocka, ASan/UBSan), fake guest memory (tests/unit/vfake.h).
 * Case code is freestanding C: only what guest/libc.c provides.
 *
 * A case writes structures into guest RAM (hd_ptr), touches registers
 * (hd_rd/hd_wr/hd_raw), checks the device's exact answer and ends with a
 * recovery. Checks go through HD_EXPECT; outcomes a back end can see deeper
 * (the device's reason for a rejection, a snapshot of all of RAM) go through
 * hd_expect_why and hd_canary, so each back end has one place for them.
 */
#ifndef GUEST_HOSTILE_HD_H
#define GUEST_HOSTILE_HD_H

#include <stdbool.h>
#include <stdint.h>

enum { HD_PASS = 0, HD_FAIL = 1, HD_SKIP = 2 }; /* as guest/test.h's TEST_* */

#define HD_FILL        0xeeu /* what a case puts in a buffer the device must not write */
#define HD_KNOWN       5u    /* the sector every recovery reads */
#define HD_HOLE        0xc0000000ULL
#define HD_LAPIC       0xfee00000ULL
#define HD_SVIRTB_PAGE 0xcafe0000ULL
#define HD_PAGE        4096u

struct hd {
        /* The device under test. */
        uint64_t regs;     /* guest-physical address of its registers */
        bool legacy;       /* virtio-mmio version 1 */
        uint64_t sectors;  /* the test image's size (tools/testdisk.h) */
        const uint8_t *id; /* what a GET_ID answer starts with ... */
        unsigned id_len;   /* ... for this many bytes */
        /* Guest RAM. */
        uint64_t ram_end;  /* the end of the RAM below 4 GiB */
        uint64_t high_end; /* the end of RAM above 4 GiB, or 0 */
        /* Scratch areas, page aligned: ring and ring2 3 pages (svirtb: ring
         * 4096 entries), table 2 pages, table2, hdr and stat 1 page, data
         * data_size bytes (at least 257 sectors and 3 pages). */
        uint64_t ring, ring2, table, table2, hdr, stat, data, data_size;
        void *be; /* the back end's own */
};

/* A byte range of guest RAM the device may change. */
struct hd_span {
        uint64_t gpa, len;
};

/* --- what each back end implements (hd_check.c has defaults, marked *) ------ */

/* Host view of [gpa, gpa + len) of guest RAM; every case area is in RAM. */
void *hd_ptr(struct hd *h, uint64_t gpa, uint64_t len);
/* 32-bit register access at offset off of the device under test. */
uint32_t hd_rd(struct hd *h, uint32_t off);
void hd_wr(struct hd *h, uint32_t off, uint32_t v);
/* One access of len bytes at off (any width and alignment); HD_SKIP when
 * this back end cannot make it (a guest: not 1, 2, 4 or 8 bytes inside the
 * register page). A read puts the bytes read in *v. */
int hd_raw(struct hd *h, uint64_t off, unsigned len, bool write, uint64_t *v);
/* Canary: hd_snap records all of guest RAM, hd_canary checks that nothing
 * outside ok[0..n) changed since (a guest: no-op, it has no second copy). */
void hd_snap(struct hd *h);                                        /* * */
int hd_canary(struct hd *h, const struct hd_span *ok, unsigned n); /* * */
/* The device's own reason for its last rejection (virtio: the chain given
 * back with used.len 0, or DEVICE_NEEDS_RESET; svirtb: RESET) is why. A
 * guest cannot see it: HD_PASS. */
int hd_expect_why(struct hd *h, const char *why); /* * */
/* The disk image still holds its original bytes (a guest: the recovery's
 * read of HD_KNOWN shows it). */
int hd_expect_pristine(struct hd *h); /* * */
/* A buffer of len bytes at a guest-physical address above everything else
 * (17 MiB), or 0; hd_big_done checks no byte of it changed and frees it. */
uint64_t hd_big(struct hd *h, uint64_t len);
int hd_big_done(struct hd *h); /* * */
/* Reads of svirtb's six registers from the page it maps: how many (6 in a
 * guest; the unit tests of virtio have no svirtb: 0). */
unsigned hd_svirtb_peek(struct hd *h, uint32_t v[6]); /* * */

/* Records why the case failed at file:line; returns HD_FAIL (the unit back
 * end does not return). */
__attribute__((format(printf, 3, 4))) int hd_fail(const char *file, int line, const char *fmt, ...);
int hd_skip(const char *why);

#define HD_EXPECT(cond, ...)                                                                       \
        do {                                                                                       \
                if (!(cond))                                                                       \
                        return hd_fail(__FILE__, __LINE__, __VA_ARGS__);                           \
        } while (0)

#define HD_TRY(call)                                                                               \
        do {                                                                                       \
                int r_ = (call);                                                                   \
                if (r_ != HD_PASS)                                                                 \
                        return r_;                                                                 \
        } while (0)

/* --- shared checks (hd_check.c) -------------------------------------------- */

/* Every byte of [gpa, gpa + len) is b (HD_FILL: untouched; 0: §2.7.8.2, bytes
 * under used.len a request had nothing to put in read zero). */
int hd_expect_bytes(struct hd *h, uint64_t gpa, uint64_t len, uint8_t b, const char *what);
int hd_expect_sector(struct hd *h, uint64_t gpa, uint64_t s);

/* --- the cases, in run order ---------------------------------------------------- */

/* Three virtio cases a line, two svirtb ones. */
// clang-format off
#define HD_VIRTIO_CASES(X) \
        X(hostile_chain_loop) X(hostile_chain_ring_loop_huge_len) X(hostile_next_out_of_range) \
        X(hostile_zero_len_desc) X(hostile_huge_len_near_ram_end) X(hostile_buf_at_ram_end) \
        X(hostile_buf_past_ram_end) X(hostile_buf_in_mmio_hole) X(hostile_buf_at_own_registers) \
        X(hostile_buf_at_svirtb_page) X(hostile_readable_after_writable) X(hostile_status_missing) \
        X(hostile_status_oversized) X(hostile_header_split) X(hostile_header_short) \
        X(hostile_header_oversized) X(hostile_data_not_sector_multiple) X(hostile_sector_overflow) \
        X(hostile_sector_range_past_end) X(hostile_in_larger_than_disk) X(hostile_out_with_writable_data) \
        X(hostile_get_id_huge_buffer) X(hostile_unknown_type) X(hostile_chain_4gib_total) \
        X(hostile_indirect_nested) X(hostile_indirect_with_next) X(hostile_indirect_len_not_multiple) \
        X(hostile_indirect_zero_len) X(hostile_indirect_too_long) X(hostile_indirect_next_beyond_table) \
        X(hostile_indirect_loop) X(hostile_indirect_table_outside_ram) X(hostile_indirect_not_negotiated) \
        X(hostile_avail_idx_far_ahead) X(hostile_avail_idx_backwards) X(hostile_head_out_of_range) \
        X(hostile_duplicate_heads) X(hostile_rekick_without_new_entries) X(hostile_malformed_then_valid) \
        X(hostile_queue_size_zero) X(hostile_queue_size_not_pow2) X(hostile_queue_size_above_max) \
        X(hostile_queue_regs_after_driver_ok) X(hostile_queue_restart_after_driver_ok) X(hostile_ring_outside_ram) \
        X(hostile_ring_overlap) X(hostile_ring_misaligned) X(hostile_status_out_of_order) \
        X(hostile_features_not_offered) X(hostile_features_after_driver_ok) X(hostile_reg_bad_width) \
        X(hostile_readonly_regs_written) X(hostile_config_edge) X(hostile_queue_sel_out_of_range) \
        X(hostile_queue_notify_out_of_range) X(hostile_notify_before_driver_ok) X(hostile_stale_chains_after_reset) \
        X(hostile_status_failed_stops_queue)

#define HD_SVIRTB_CASES(X) \
        X(hostile_svirtb_buf_outside_ram) X(hostile_svirtb_buf_at_own_regs) \
        X(hostile_svirtb_buf_at_ram_end) X(hostile_svirtb_buf_past_ram_end) \
        X(hostile_svirtb_huge_size) X(hostile_svirtb_bad_cmd) \
        X(hostile_svirtb_sector_overflow) X(hostile_svirtb_zero_size_outside_ram) \
        X(hostile_svirtb_read_past_disk_end) X(hostile_svirtb_error_midway) \
        X(hostile_svirtb_head_out_of_range) X(hostile_svirtb_queue_size_zero) \
        X(hostile_svirtb_queue_size_above_max) X(hostile_svirtb_ring_outside_ram) \
        X(hostile_svirtb_ring_past_ram_end) X(hostile_svirtb_regs_while_ready) \
        X(hostile_svirtb_doorbell_before_ready) X(hostile_svirtb_bad_width) \
        X(hostile_svirtb_status_garbage)
// clang-format on

/* A case returns HD_PASS, HD_FAIL or HD_SKIP. hd_run: the device's start
 * (initialized), the case, then the recovery every case ends with (a reset,
 * a new initialization, a read of HD_KNOWN; the image unchanged). */
#define HD_DECLARE(name) int name(struct hd *h);
HD_VIRTIO_CASES(HD_DECLARE)
HD_SVIRTB_CASES(HD_DECLARE)
#undef HD_DECLARE
struct hd_step;
struct hd_device {
        int (*start)(struct hd *h);
        int (*recover)(struct hd *h);
        int (*step)(struct hd *h, const struct hd_step *s); /* its own ops (hd_script.h) */
};
extern const struct hd_device hd_virtio, hd_svirtb;
int hd_run(struct hd *h, const struct hd_device *d, int (*fn)(struct hd *));

#endif
