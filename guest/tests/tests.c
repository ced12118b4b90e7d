/* The test table, in run order. Names are used by the e2e scripts. */
#include "test.h"
#include "tests/tests.h"

const struct test tests[] = {
    {"boot_entry_state", test_boot_entry_state, REQ_NONE},
    {"boot_fdt_layout", test_boot_fdt_layout, REQ_NONE},
    {"svirtb_handshake", test_svirtb_handshake, REQ_SVIRTB},
    {"svirtb_read_single", test_svirtb_read_single, REQ_SVIRTB},
    {"svirtb_write_read_single", test_svirtb_write_read_single, REQ_SVIRTB_RW},
    {"svirtb_batch_write_read", test_svirtb_batch_write_read, REQ_SVIRTB_RW},
    {"svirtb_ring_wrap", test_svirtb_ring_wrap, REQ_SVIRTB_RW},
    {"svirtb_ring_wrap_read", test_svirtb_ring_wrap_read, REQ_SVIRTB},
    {"svirtb_page_span", test_svirtb_page_span, REQ_SVIRTB_RW},
    {"svirtb_read_past_end", test_svirtb_read_past_end, REQ_SVIRTB},
    {"svirtb_write_past_end_ignored", test_svirtb_write_past_end_ignored, REQ_SVIRTB_RW},
    {"svirtb_readonly_write_ignored", test_svirtb_readonly_write_ignored, REQ_SVIRTB_RO},
    {"svirtb_high_buffer", test_svirtb_high_buffer, REQ_SVIRTB},
    {"svirtb_reset_reinit", test_svirtb_reset_reinit, REQ_SVIRTB},
    {"svirtb_queue_regs_locked", test_svirtb_queue_regs_locked, REQ_SVIRTB},
    {"svirtb_doorbell_before_ready", test_svirtb_doorbell_before_ready, REQ_SVIRTB},
    {"svirtb_queue_size_limits", test_svirtb_queue_size_limits, REQ_SVIRTB},
    {"svirtb_bad_ring_address", test_svirtb_bad_ring_address, REQ_SVIRTB},
    {"svirtb_bad_entry_address", test_svirtb_bad_entry_address, REQ_SVIRTB},
    {"svirtb_bad_queue_size", test_svirtb_bad_queue_size, REQ_SVIRTB},
    {"svirtb_bad_command", test_svirtb_bad_command, REQ_SVIRTB},
    {"svirtb_sector_overflow", test_svirtb_sector_overflow, REQ_SVIRTB},
    {"svirtb_bad_head", test_svirtb_bad_head, REQ_SVIRTB},
    {"svirtb_ignored_writes", test_svirtb_ignored_writes, REQ_SVIRTB},
    {"svirtb_high_ram", test_svirtb_high_ram, REQ_HIGH_RAM},
};

const unsigned ntests = sizeof(tests) / sizeof(tests[0]);
