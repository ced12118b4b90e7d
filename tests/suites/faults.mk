# The fault-injection suite (tests/suites/faults.sh): make check builds the
# LD_PRELOAD shim it injects faults with, and the VMM and guest it runs.
$(B)/faults/faultshim.so: tests/suites/faultshim.c devices/disk.h
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -fPIC -shared -o $@ $< -ldl

$(B)/faults/faultcheck: tests/suites/faultcheck.c guest/faultio.h
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -o $@ $<

CHECK_DEPS += $(B)/faults/faultcheck $(B)/faults/faultshim.so minivmm guest/guest.bin $(B)/tools/mkdisk
