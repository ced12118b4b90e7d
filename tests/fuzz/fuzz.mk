# libFuzzer targets for the device models (tests/fuzz/, docs/security.md):
# the device sources built again with clang -fsanitize=fuzzer,address,undefined.
# `make fuzz FUZZ_SECONDS=N` runs each target for N seconds after its seed
# corpus; make check runs tests/suites/fuzz.sh, 20 s each. `make fuzz-corpus`
# rewrites the seeds in tests/fuzz/corpus/ (committed).

FUZZ_CC      ?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := virtio_blk virtio_mmio svirtb pci
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(B)/fuzz/fuzz_%)
# trace.c is replaced by tests/fuzz/fuzz.h (the trace is formatted, not printed).
FUZZ_DEV_SRCS = $(filter-out devices/trace.c,$(sort $(wildcard devices/*.c)))
FUZZ_CFLAGS  := -std=gnu11 $(WARN) -D_GNU_SOURCE -I. -g -O2 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer

$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_DEV_SRCS) $(wildcard devices/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_DEV_SRCS) $(LDLIBS)

$(B)/fuzz/gen_corpus: tests/fuzz/gen_corpus.c
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -o $@ $<

.PHONY: fuzz fuzz-corpus
fuzz: deps
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_WORK=$(B)/fuzz/work tests/suites/fuzz.sh

fuzz-corpus: $(B)/fuzz/gen_corpus
	$(B)/fuzz/gen_corpus tests/fuzz/corpus

CHECK_DEPS += $(FUZZ_BINS)
