# minivmm: `make run` boots the guest on a demo disk, `make check` runs every test.
# Both first run tools/install-deps, which installs what a fresh Debian 12 lacks.

# GNU make predefines CC as cc, so `CC ?= gcc` would never apply: use gcc
# unless CC came from the command line or the environment.
ifeq ($(origin CC),default)
CC := gcc
endif
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
UNIT_OBJS := $(UNIT_SRCS:tests/unit/%.c=$(B)/unit/obj/%.o)

.PHONY: all deps run check check-run unit e2e format clean install uninstall
.DEFAULT_GOAL := all

# --- build dependencies ----------------------------------------------------
# Each header the build needs, and the Debian package that provides it. A
# build without one stops here with one line, not deep inside the compiler.
# Goals that install the packages first (deps, run, check, fuzz) and goals that
# build nothing skip the check; INCLUDEDIR moves it (tests/suites/usage.sh).
INCLUDEDIR ?= /usr/include
BUILD_DEPS := linux/kvm.h:linux-libc-dev libfdt.h:libfdt-dev cmocka.h:libcmocka-dev \
	seccomp.h:libseccomp-dev liburing.h:liburing-dev
NO_BUILD_GOALS := deps run check fuzz clean format uninstall
ifeq ($(filter $(NO_BUILD_GOALS),$(MAKECMDGOALS)),)
MISSING_PKGS := $(strip $(foreach d,$(BUILD_DEPS),$(if $(wildcard $(INCLUDEDIR)/$(word 1,$(subst :, ,$(d)))),,$(word 2,$(subst :, ,$(d))))))
ifneq ($(MISSING_PKGS),)
$(error missing packages: $(MISSING_PKGS); run `make deps` as root to install them)
endif
endif

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
	@mkdir -p $(dir $@)
	$(B)/tools/mkdisk make $@ 2048

images/demo-ro.img: | $(B)/tools/mkdisk
	@mkdir -p $(dir $@)
	$(B)/tools/mkdisk make $@ 512

# --- the guest -----------------------------------------------------------
include guest/guest.mk

# Other parts of the tree add their rules in fragments; each may add targets
# that `make check` must build to CHECK_DEPS.
CHECK_DEPS :=
include $(filter-out guest/guest.mk,$(sort $(wildcard */*.mk tests/*/*.mk)))

# --- tests ---------------------------------------------------------------
# UNIT_CFLAGS: what lab/lab.mk adds to every unit test's compilation. A test
# is compiled apart from its link (its object in $(B)/unit/obj/): a change to
# one device object relinks the tests, it does not recompile their sources
# (docs/testing.md). Sources that a fragment adds to one test (FILE.c) are
# compiled at its link; the test's own source never is (a dependency file of
# an older build may still name it).
$(UNIT_OBJS): $(B)/unit/obj/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(SAN) $(UNIT_CFLAGS) -c -o $@ $<

$(UNIT_BINS): $(B)/unit/%: $(B)/unit/obj/%.o $(SAN_OBJS)
	$(CC) $(HOST_CFLAGS) $(SAN) $(UNIT_CFLAGS) -o $@ $(filter-out tests/unit/%.c,$(filter %.c %.o,$^)) \
		$(LDLIBS) -lcmocka

unit: $(UNIT_BINS)

E2E_GUESTS := $(patsubst tests/e2e/guests/%.S,$(B)/e2e/%.bin,$(wildcard tests/e2e/guests/*.S))

$(B)/e2e/%.bin: tests/e2e/guests/%.S
	@mkdir -p $(dir $@)
	$(CC) -c -o $(B)/e2e/$*.o $<
	objcopy -O binary -j .text $(B)/e2e/$*.o $@

e2e: minivmm $(B)/minivmm-san guest/guest.bin $(B)/tools/mkdisk $(E2E_GUESTS)

# The guest's write tests change the demo image, so every run starts afresh.
run: deps
	@rm -f images/demo.img images/demo-ro.img
	@$(MAKE) --no-print-directory all images/demo.img images/demo-ro.img
	./minivmm --disk images/demo.img --disk images/demo-ro.img,ro,legacy guest/guest.bin

# A student tree (lab/LAB, made by `make lab`) checks what applies to its lab.
# The build runs one job per CPU unless make was given -j (docs/testing.md).
check: deps
	@if [ -f lab/LAB ]; then lab/check; else \
		$(MAKE) --no-print-directory $(if $(filter -j%,$(MAKEFLAGS)),,-j$$(nproc 2>/dev/null || echo 2)) \
			unit e2e $(CHECK_DEPS) && tests/check.sh; fi

# --- install ---------------------------------------------------------------
# `make install [PREFIX=/usr/local] [DESTDIR=...]`: the VMM, the test guest
# (flat binary and the ELF other loaders boot), the test-image tool as
# minivmm-mkdisk, and the man page.
PREFIX  ?= /usr/local
BINDIR  := $(DESTDIR)$(PREFIX)/bin
DATADIR := $(DESTDIR)$(PREFIX)/share/minivmm
MAN1DIR := $(DESTDIR)$(PREFIX)/share/man/man1

install: all
	install -d $(BINDIR) $(DATADIR) $(MAN1DIR)
	install -m 755 minivmm $(BINDIR)/minivmm
	install -m 755 $(B)/tools/mkdisk $(BINDIR)/minivmm-mkdisk
	install -m 755 minivmm-vhost-user-blk $(BINDIR)/minivmm-vhost-user-blk
	install -m 644 guest/guest.bin guest/guest.elf $(DATADIR)/
	install -m 644 docs/minivmm.1 $(MAN1DIR)/minivmm.1

uninstall:
	rm -f $(BINDIR)/minivmm $(BINDIR)/minivmm-mkdisk $(BINDIR)/minivmm-vhost-user-blk \
		$(MAN1DIR)/minivmm.1 \
		$(DATADIR)/guest.bin $(DATADIR)/guest.elf
	-rmdir $(DATADIR) 2>/dev/null

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(B) minivmm guest/guest.bin guest/guest.elf tests/e2e/work

# Dependency files the compiler wrote (-MMD), found without running a shell.
-include $(wildcard $(B)/*/*.d $(B)/*/*/*.d $(B)/*/*/*/*.d)
