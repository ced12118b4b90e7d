/*
 * The hostile suite's test table, in run order (the names are those of the
 * unit tests in tests/unit/test_hostile_*.c), and the boot-time virtio probe
 * the runner (guest/main.c) calls.
 */
#include "hostile/hostile.h"
#include "test.h"
#include "tests/tests.h"

#define V(name)                                                                                    \
        {                                                                                          \
#name, name, REQ_VIRTIO                                                            \
        }
#define S(name)                                                                                    \
        {                                                                                          \
#name, name, REQ_SVIRTB                                                            \
        }

const struct test tests[] = {
    V(hostile_chain_loop),
    V(hostile_chain_ring_loop_huge_len),
    V(hostile_next_out_of_range),
    V(hostile_zero_len_desc),
    V(hostile_huge_len_near_ram_end),
    V(hostile_buf_at_ram_end),
    V(hostile_buf_past_ram_end),
    V(hostile_buf_in_mmio_hole),
    V(hostile_buf_at_own_registers),
    V(hostile_buf_at_svirtb_page),
    V(hostile_readable_after_writable),
    V(hostile_status_missing),
    V(hostile_status_oversized),
    V(hostile_header_split),
    V(hostile_header_short),
    V(hostile_header_oversized),
    V(hostile_data_not_sector_multiple),
    V(hostile_sector_overflow),
    V(hostile_sector_range_past_end),
    V(hostile_in_larger_than_disk),
    V(hostile_out_with_writable_data),
    V(hostile_get_id_huge_buffer),
    V(hostile_unknown_type),
    V(hostile_chain_4gib_total),
    V(hostile_indirect_nested),
    V(hostile_indirect_with_next),
    V(hostile_indirect_len_not_multiple),
    V(hostile_indirect_zero_len),
    V(hostile_indirect_too_long),
    V(hostile_indirect_next_beyond_table),
    V(hostile_indirect_loop),
    V(hostile_indirect_table_outside_ram),
    V(hostile_indirect_not_negotiated),
    V(hostile_avail_idx_far_ahead),
    V(hostile_avail_idx_backwards),
    V(hostile_head_out_of_range),
    V(hostile_duplicate_heads),
    V(hostile_rekick_without_new_entries),
    V(hostile_malformed_then_valid),
    V(hostile_queue_size_zero),
    V(hostile_queue_size_not_pow2),
    V(hostile_queue_size_above_max),
    V(hostile_queue_regs_after_driver_ok),
    V(hostile_queue_restart_after_driver_ok),
    V(hostile_ring_outside_ram),
    V(hostile_ring_overlap),
    V(hostile_ring_misaligned),
    V(hostile_status_out_of_order),
    V(hostile_features_not_offered),
    V(hostile_features_after_driver_ok),
    V(hostile_reg_bad_width),
    V(hostile_readonly_regs_written),
    V(hostile_config_edge),
    V(hostile_queue_sel_out_of_range),
    V(hostile_queue_notify_out_of_range),
    V(hostile_notify_before_driver_ok),
    V(hostile_stale_chains_after_reset),
    V(hostile_status_failed_stops_queue),
    S(hostile_svirtb_buf_outside_ram),
    S(hostile_svirtb_buf_at_own_regs),
    S(hostile_svirtb_buf_at_ram_end),
    S(hostile_svirtb_buf_past_ram_end),
    S(hostile_svirtb_huge_size),
    S(hostile_svirtb_bad_cmd),
    S(hostile_svirtb_sector_overflow),
    S(hostile_svirtb_zero_size_outside_ram),
    S(hostile_svirtb_read_past_disk_end),
    S(hostile_svirtb_error_midway),
    S(hostile_svirtb_head_out_of_range),
    S(hostile_svirtb_queue_size_zero),
    S(hostile_svirtb_queue_size_above_max),
    S(hostile_svirtb_ring_outside_ram),
    S(hostile_svirtb_ring_past_ram_end),
    S(hostile_svirtb_regs_while_ready),
    S(hostile_svirtb_doorbell_before_ready),
    S(hostile_svirtb_bad_width),
    S(hostile_svirtb_status_garbage),
};

const unsigned ntests = sizeof(tests) / sizeof(tests[0]);

/* The runner's boot-time probe (guest/tests/virtio_tests.c in guest.bin). */
void virtio_probe_disks(void)
{
        hv_probe_disks();
}
