# minivmm: `make run` boots the guest on a demo disk, `make check` runs every test.
# Both first run tools/install-deps, which installs what a fresh Debian 12 lacks.

CC       ?= gcc
CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Werror
HOST_CFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -I. -MMD -MP $(CFLAGS)
LDLIBS   := -lfdt -lseccomp -luring -lpthread
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

B := build

LIB_SRCS  := $(sort $(filter-out vmm/main.c,$(wildcard vmm/*.c)) $(wildcard devices/*.c) $(wildcard fdt/*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(B)/host/%.o)
SAN_OBJS  := $(LIB_SRCS:%.c=$(B)/san/%.o)
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/unit/%)

.PHONY: all deps run check check-run unit e2e format clean
.DEFAULT_GOAL := all

all: minivmm guest/guest.bin $(B)/tools/mkdisk

deps:
	@tools/install-deps $(if $(wildcard lab/LAB),lab)

# --- the VMM -------------------------------------------------------------
minivmm: $(B)/host/vmm/main.o $(LIB_OBJS)
	$(CC) $(HOST_CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/host/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -c -o $@ $<

# The same sources with ASan and UBSan, for the unit tests and a sanitized VMM.
$(B)/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(SAN) -c -o $@ $<

$(B)/minivmm-san: $(B)/san/vmm/main.o $(SAN_OBJS)
	$(CC) $(HOST_CFLAGS) $(SAN) -o $@ $^ $(LDLIBS)

# --- tools ---------------------------------------------------------------
$(B)/tools/mkdisk: tools/mkdisk.c tools/testdisk.h
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -o $@ tools/mkdisk.c

images/demo.img: | $(B)/tools/mkdisk
	$(B)/tools/mkdisk make $@ 2048

images/demo-ro.img: | $(B)/tools/mkdisk
	$(B)/tools/mkdisk make $@ 512

# --- the guest -----------------------------------------------------------
include guest/guest.mk

# Other parts of the tree add their rules in fragments; each may add targets
# that `make check` must build to CHECK_DEPS.
CHECK_DEPS :=
include $(filter-out guest/guest.mk,$(sort $(wildcard */*.mk tests/*/*.mk)))

# --- tests ---------------------------------------------------------------
$(B)/unit/%: tests/unit/%.c $(SAN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(SAN) -o $@ $(filter %.c %.o,$^) $(LDLIBS) -lcmocka

unit: $(UNIT_BINS)

E2E_GUESTS := $(patsubst tests/e2e/guests/%.S,$(B)/e2e/%.bin,$(wildcard tests/e2e/guests/*.S))

$(B)/e2e/%.bin: tests/e2e/guests/%.S
	@mkdir -p $(dir $@)
	$(CC) -c -o $(B)/e2e/$*.o $<
	objcopy -O binary -j .text $(B)/e2e/$*.o $@

e2e: minivmm $(B)/minivmm-san guest/guest.bin $(B)/tools/mkdisk $(E2E_GUESTS)

run: deps
	@$(MAKE) --no-print-directory all images/demo.img images/demo-ro.img
	./minivmm --disk images/demo.img --disk images/demo-ro.img,ro,legacy guest/guest.bin

# A student tree (lab/LAB, made by `make lab`) checks what applies to its lab.
check: deps
	@if [ -f lab/LAB ]; then lab/check; else \
		$(MAKE) --no-print-directory unit e2e $(CHECK_DEPS) && tests/check.sh; fi

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(B) minivmm guest/guest.bin guest/guest.elf tests/e2e/work

-include $(shell find $(B) -name '*.d' 2>/dev/null)
