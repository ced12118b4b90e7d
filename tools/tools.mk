# tools/tools.mk: host-side tools beyond mkdisk.
# blkbench: the virtio-blk request path against raw preadv (docs/performance.md).
# Built by `make check` (CHECK_DEPS) so it never rots; run by hand, never by check.

$(B)/tools/blkbench: tools/blkbench.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -o $@ tools/blkbench.c $(LIB_OBJS) $(LDLIBS)

CHECK_DEPS += $(B)/tools/blkbench
