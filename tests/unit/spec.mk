# test_virtio_spec interposes on the disk backend to log every flush against
# the used ring (durability, VIRTIO 1.2 §5.2.6.2): the device's calls to
# disk_run and the backend's fdatasync go through the test's wrappers.
$(B)/unit/test_virtio_spec: LDLIBS += -Wl,--wrap=disk_run -Wl,--wrap=fdatasync
