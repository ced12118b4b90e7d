# The guest's pure parsers (no guest state, no I/O) are unit-tested on the
# host: their sources are linked into the test binary by the generic rule.
# bootinfo.c (the FDT reader) needs only libfdt, which the host has too.
$(B)/unit/test_guest_cmdline: guest/cmdline.c guest/bench_opts.c
$(B)/unit/test_guest_bootinfo: guest/bootinfo.c
