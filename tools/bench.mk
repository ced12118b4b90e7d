# tools/bench's helper: startlat runs one VMM and measures start-up time,
# CPU time, KVM exits and RSS from the outside (tools/startlat.c). Built by
# `make` (all); tools/bench itself is a bash script and not part of `make check`.

all: $(B)/tools/startlat

$(B)/tools/startlat: tools/startlat.c
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -o $@ tools/startlat.c
