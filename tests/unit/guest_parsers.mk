# The guest's pure parsers (no guest state, no I/O) are unit-tested on the
# host: their sources are linked into the test binary by the generic rule.
$(B)/unit/test_guest_cmdline: guest/cmdline.c guest/bench_opts.c
