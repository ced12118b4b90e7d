# The hostile suite (docs/security.md): the cases of guest/hostile/hd_*.c run
# in the guest (tests/suites/hostile.sh; make check builds the guest and both
# VMMs it runs) and in the unit tests, whose back end is tests/unit/hd_fake.c.
CHECK_DEPS += guest/hostile.bin minivmm $(B)/minivmm-san $(B)/tools/mkdisk

HD_UNIT_OBJS := $(B)/san/guest/hostile/hd_check.o $(B)/san/tests/unit/hd_fake.o
$(B)/unit/test_hostile_virtio: $(B)/san/guest/hostile/hd_virtio.o $(HD_UNIT_OBJS)
$(B)/unit/test_hostile_svirtb: $(B)/san/guest/hostile/hd_svirtb.o $(HD_UNIT_OBJS)
