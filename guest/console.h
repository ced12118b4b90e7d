/*
 * console: output on COM1 (port 0x3f8, one outb per byte, no LSR polling)
 * and a small formatter: %d %i %u %x %X %p %s %c %%, flags '-' and '0', a
 * width (digits or '*'), and the length modifiers l, ll and z.
 */
#ifndef GUEST_CONSOLE_H
#define GUEST_CONSOLE_H

#include <stdarg.h>
#include <stddef.h>

void console_putc(char c);
void console_write(const char *s, size_t len);

__attribute__((format(printf, 1, 2))) int printf(const char *fmt, ...);
__attribute__((format(printf, 3, 4))) int snprintf(char *buf, size_t size, const char *fmt, ...);
__attribute__((format(printf, 3, 0))) int vsnprintf(char *buf, size_t size, const char *fmt,
                                                    va_list ap);

#endif
