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
