/* console: see console.h. */
#include "console.h"

#include <stdio.h>
#include <string.h>

#define UART_THR           0
#define UART_LSR           5
#define UART_LSR_THRE_TEMT 0x60

static void console_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
        (void)opaque;
        if (is_write) {
                if (offset == UART_THR)
                        putchar(data[0]);
                return;
        }
        memset(data, 0, len);
        if (offset == UART_LSR)
                data[0] = UART_LSR_THRE_TEMT;
}

int console_register(struct bus *pio)
{
        return bus_register(pio, CONSOLE_PORT, 8, "console", console_io, NULL);
}
