/* Every guest test; the table in tests.c lists them with their requirements. */
#ifndef GUEST_TESTS_TESTS_H
#define GUEST_TESTS_TESTS_H

/* boot_tests.c: the boot contract (entry state, FDT). */
int test_boot_entry_state(void);
int test_boot_fdt_layout(void);

/* svirtb_tests.c: the svirtb device, through the guest driver. */
int test_svirtb_handshake(void);
int test_svirtb_read_single(void);
int test_svirtb_write_read_single(void);
int test_svirtb_batch_write_read(void);
int test_svirtb_ring_wrap(void);
int test_svirtb_ring_wrap_read(void);
int test_svirtb_page_span(void);
int test_svirtb_read_past_end(void);
int test_svirtb_write_past_end_ignored(void);
int test_svirtb_readonly_write_ignored(void);
int test_svirtb_high_buffer(void);
int test_svirtb_reset_reinit(void);
int test_svirtb_queue_regs_locked(void);
int test_svirtb_doorbell_before_ready(void);
int test_svirtb_queue_size_limits(void);
int test_svirtb_bad_ring_address(void);
int test_svirtb_bad_entry_address(void);
int test_svirtb_bad_queue_size(void);
int test_svirtb_bad_command(void);
int test_svirtb_sector_overflow(void);
int test_svirtb_bad_head(void);
int test_svirtb_ignored_writes(void);
int test_svirtb_high_ram(void);

#endif
