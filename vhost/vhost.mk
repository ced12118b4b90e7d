# minivmm-vhost-user-blk (vhost/, docs/vhost-user.md): the second program,
# minivmm's virtio-blk device model served over the vhost-user protocol.
# Its unit tests (tests/unit/test_vhost_*.c) link the sanitized vhost objects.

VHOST_SRCS     := $(filter-out vhost/vu_main.c,$(sort $(wildcard vhost/*.c)))
VHOST_OBJS     := $(VHOST_SRCS:%.c=$(B)/host/%.o)
VHOST_SAN_OBJS := $(VHOST_SRCS:%.c=$(B)/san/%.o)

all: minivmm-vhost-user-blk

minivmm-vhost-user-blk: $(B)/host/vhost/vu_main.o $(VHOST_OBJS) $(LIB_OBJS)
	$(CC) $(HOST_CFLAGS) -o $@ $^ $(LDLIBS)

$(filter $(B)/unit/test_vhost_%,$(UNIT_BINS)): $(VHOST_SAN_OBJS)

CHECK_DEPS += minivmm-vhost-user-blk

# The message-parser fuzzer (tests/fuzz/fuzz_vhost_msg.c), run by tests/suites/fuzz.sh.
$(B)/fuzz/fuzz_vhost_msg: tests/fuzz/fuzz_vhost_msg.c tests/fuzz/fuzz.h $(FUZZ_DEV_SRCS) \
		vhost/vu_msg.c vhost/vu_dev.c $(wildcard devices/*.h vhost/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_DEV_SRCS) vhost/vu_msg.c vhost/vu_dev.c $(LDLIBS)

FUZZ_BINS  += $(B)/fuzz/fuzz_vhost_msg
CHECK_DEPS += $(B)/fuzz/fuzz_vhost_msg
