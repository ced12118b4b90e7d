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

/* virtio_tests.c: virtio-mmio block devices, through the guest drivers. */
void virtio_probe_disks(void);
int test_virtio_identify(void);
int test_virtio_read_single(void);
int test_virtio_write_read_single(void);
int test_virtio_multi_sector(void);
int test_virtio_data_split_descriptors(void);
int test_virtio_indirect_request(void);
int test_virtio_flush(void);
int test_virtio_get_id(void);
int test_virtio_readonly_refuses_write(void);
int test_virtio_ring_wrap(void);
int test_virtio_reset_reinit(void);
int test_virtio_unknown_type_unsupp(void);
int test_virtio_interrupt_completion(void);
int test_virtio_two_disks(void);
int test_virtio_feature_negotiation_refused(void);
int test_virtio_queue_not_available(void);
int test_virtio_probe_errors(void);
int test_virtio_many_in_flight(void);
int test_virtio_read_past_end(void);
int test_virtio_event_idx(void);
int test_virtio_event_idx_driver(void);

/* pci_tests.c: the PCI_CFG window, hostile moves of a PCI disk's BARs (docs/virtio-pci.md). */
int test_pci_cfg_window(void);
int test_pci_bars_hostile(void);

/* Real drivers' sequences (guest/tests/driver_tests.c, docs/virtio-mmio.md). */
int test_driver_uboot_old(void);
int test_driver_uboot_new(void);
int test_driver_rcore_011(void);
int test_driver_rcore_012(void);
int test_driver_linux(void);
int test_driver_tock(void);
int test_driver_veridian(void);

#endif
