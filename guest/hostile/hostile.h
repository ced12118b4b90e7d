/*
 * The hostile guest suite (guest/hostile.bin): the same runner, console,
 * FDT reading and drivers as guest/guest.bin, with these tests instead of
 * guest/tests/. Each test writes malformed structures into real guest
 * memory, or registers, and checks the device's exact answer; then it
 * resets the device, initializes it again through the ordinary driver and
 * reads a known sector, comparing it with tools/testdisk.h (the VMM is
 * still running since the guest goes on). Names match the unit tests of
 * tests/unit/test_hostile_*.c one to one; docs/security.md lists them.
 *
 * Nothing here writes to the disk: every request is a read or one the
 * device must refuse, so the image stays pristine (tests/suites/hostile.sh
 * checks it).
 */
#ifndef GUEST_HOSTILE_HOSTILE_H
#define GUEST_HOSTILE_HOSTILE_H

#include <stdint.h>

#define HOSTILE_KNOWN 5u /* the sector every recovery reads */

/* hvirtio.c: virtio-blk over virtio-mmio, device 0. */
void hv_probe_disks(void);
int hostile_chain_loop(void);
int hostile_chain_ring_loop_huge_len(void);
int hostile_next_out_of_range(void);
int hostile_zero_len_desc(void);
int hostile_huge_len_near_ram_end(void);
int hostile_buf_at_ram_end(void);
int hostile_buf_past_ram_end(void);
int hostile_buf_in_mmio_hole(void);
int hostile_buf_at_own_registers(void);
int hostile_buf_at_svirtb_page(void);
int hostile_readable_after_writable(void);
int hostile_status_missing(void);
int hostile_status_oversized(void);
int hostile_header_split(void);
int hostile_header_short(void);
int hostile_header_oversized(void);
int hostile_data_not_sector_multiple(void);
int hostile_sector_overflow(void);
int hostile_sector_range_past_end(void);
int hostile_in_larger_than_disk(void);
int hostile_out_with_writable_data(void);
int hostile_get_id_huge_buffer(void);
int hostile_unknown_type(void);
int hostile_chain_4gib_total(void);
int hostile_indirect_nested(void);
int hostile_indirect_with_next(void);
int hostile_indirect_len_not_multiple(void);
int hostile_indirect_zero_len(void);
int hostile_indirect_too_long(void);
int hostile_indirect_next_beyond_table(void);
int hostile_indirect_loop(void);
int hostile_indirect_table_outside_ram(void);
int hostile_indirect_not_negotiated(void);
int hostile_avail_idx_far_ahead(void);
int hostile_avail_idx_backwards(void);
int hostile_head_out_of_range(void);
int hostile_duplicate_heads(void);
int hostile_rekick_without_new_entries(void);
int hostile_malformed_then_valid(void);
int hostile_queue_size_zero(void);
int hostile_queue_size_not_pow2(void);
int hostile_queue_size_above_max(void);
int hostile_queue_regs_after_driver_ok(void);
int hostile_queue_restart_after_driver_ok(void);
int hostile_ring_outside_ram(void);
int hostile_ring_overlap(void);
int hostile_ring_misaligned(void);
int hostile_status_out_of_order(void);
int hostile_features_not_offered(void);
int hostile_features_after_driver_ok(void);
int hostile_reg_bad_width(void);
int hostile_readonly_regs_written(void);
int hostile_config_edge(void);
int hostile_queue_sel_out_of_range(void);
int hostile_queue_notify_out_of_range(void);
int hostile_notify_before_driver_ok(void);
int hostile_stale_chains_after_reset(void);
int hostile_status_failed_stops_queue(void);

/* hsvirtb.c: svirtb. */
int hostile_svirtb_buf_outside_ram(void);
int hostile_svirtb_buf_at_own_regs(void);
int hostile_svirtb_buf_at_ram_end(void);
int hostile_svirtb_buf_past_ram_end(void);
int hostile_svirtb_huge_size(void);
int hostile_svirtb_bad_cmd(void);
int hostile_svirtb_sector_overflow(void);
int hostile_svirtb_zero_size_outside_ram(void);
int hostile_svirtb_read_past_disk_end(void);
int hostile_svirtb_error_midway(void);
int hostile_svirtb_head_out_of_range(void);
int hostile_svirtb_queue_size_zero(void);
int hostile_svirtb_queue_size_above_max(void);
int hostile_svirtb_ring_outside_ram(void);
int hostile_svirtb_ring_past_ram_end(void);
int hostile_svirtb_regs_while_ready(void);
int hostile_svirtb_doorbell_before_ready(void);
int hostile_svirtb_bad_width(void);
int hostile_svirtb_status_garbage(void);

#endif
