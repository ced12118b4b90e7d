# The bare-metal test guest: a flat binary loaded at 0x100000 and entered at
# its first byte in 64-bit mode (boot contract: guest/guest.h). Included by the
# top Makefile; objects go under build/guest/.

GUEST_CC     ?= gcc
GUEST_LD     := ld
GUEST_OBJCOPY := objcopy
GUEST_LIBFDT := /usr/lib/x86_64-linux-gnu/libfdt.a

# The guest runs under KVM's instruction emulator: general registers only
# (no SSE), no CET endbr64, no stack protector of our own. Loop idioms are not
# turned into memset/memcpy calls, so libc.c cannot recurse into itself.
GUEST_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -O2 -g -ffreestanding -fno-pic -fno-pie \
	-mno-red-zone -mgeneral-regs-only -fno-asynchronous-unwind-tables \
	-fno-stack-protector -fcf-protection=none -fno-tree-loop-distribute-patterns \
	-nostdlib -I. -Iguest -MMD -MP

# Both binaries share the entry, runner, console, FDT reading and drivers;
# guest.bin adds the tests of guest/tests/, hostile.bin (docs/security.md)
# the hostile cases of guest/hostile/ instead.
GUEST_COMMON_SRCS := $(sort $(wildcard guest/*.c guest/*.S))
GUEST_SRCS := $(GUEST_COMMON_SRCS) $(sort $(wildcard guest/tests/*.c))
GUEST_OBJS := $(patsubst %,$(B)/%.o,$(basename $(GUEST_SRCS)))
HOSTILE_SRCS := $(GUEST_COMMON_SRCS) $(sort $(wildcard guest/hostile/*.c))
HOSTILE_OBJS := $(patsubst %,$(B)/%.o,$(basename $(HOSTILE_SRCS)))

guest/guest.bin: guest/guest.elf
	$(GUEST_OBJCOPY) -O binary $< $@

guest/guest.elf: $(GUEST_OBJS) guest/guest.ld
	$(GUEST_LD) -nostdlib -static -no-pie --build-id=none -z noexecstack \
		-T guest/guest.ld -o $@ $(GUEST_OBJS) $(GUEST_LIBFDT)

guest/hostile.bin: guest/hostile.elf
	$(GUEST_OBJCOPY) -O binary $< $@

guest/hostile.elf: $(HOSTILE_OBJS) guest/guest.ld
	$(GUEST_LD) -nostdlib -static -no-pie --build-id=none -z noexecstack \
		-T guest/guest.ld -o $@ $(HOSTILE_OBJS) $(GUEST_LIBFDT)

.PHONY: clean-hostile
clean: clean-hostile
clean-hostile:
	rm -f guest/hostile.bin guest/hostile.elf

$(B)/guest/%.o: guest/%.c
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -c -o $@ $<

$(B)/guest/%.o: guest/%.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -c -o $@ $<
