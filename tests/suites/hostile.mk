# The hostile guest suite (tests/suites/hostile.sh): make check builds the
# guest and both VMMs it runs.
CHECK_DEPS += guest/hostile.bin minivmm $(B)/minivmm-san $(B)/tools/mkdisk
