/* exitdev: see exitdev.h. */
#include "exitdev.h"

#include <string.h>

static void exitdev_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
        struct vm *vm = opaque;
        uint32_t v = 0;

        (void)offset;
        if (!is_write) {
                memset(data, 0xff, len);
                return;
        }
        memcpy(&v, data, len < sizeof(v) ? len : sizeof(v));
        vm->stopped = true;
        vm->exit_status = v > 255 ? 255 : (int)v;
}

int exitdev_register(struct bus *pio, struct vm *vm)
{
        return bus_register(pio, EXITDEV_PORT, 4, "exit", exitdev_io, vm);
}
