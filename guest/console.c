/* console: COM1 output and the formatter behind printf and snprintf. */
#include <stdint.h>

#include "console.h"
#include "guest.h"

void console_putc(char c)
{
        outb(GUEST_COM1, (uint8_t)c);
}

void console_write(const char *s, size_t len)
{
        for (size_t i = 0; i < len; i++)
                console_putc(s[i]);
}

/* Output sink: a buffer of size bytes (always NUL-terminated when size > 0)
 * or, with buf NULL, the console. len counts every byte produced. */
struct sink {
        char *buf;
        size_t size;
        size_t len;
};

static void sink_put(struct sink *s, char c)
{
        if (!s->buf)
                console_putc(c);
        else if (s->len + 1 < s->size)
                s->buf[s->len] = c;
        s->len++;
}

static void sink_pad(struct sink *s, char c, int n)
{
        while (n-- > 0)
                sink_put(s, c);
}

static void fmt_str(struct sink *s, const char *str, int width, int left)
{
        size_t n = 0;

        if (!str)
                str = "(null)";
        while (str[n])
                n++;
        if (!left)
                sink_pad(s, ' ', width - (int)n);
        for (size_t i = 0; i < n; i++)
                sink_put(s, str[i]);
        if (left)
                sink_pad(s, ' ', width - (int)n);
}

static void fmt_num(struct sink *s, uint64_t v, int neg, unsigned base, int upper, int width,
                    int left, int zero, const char *prefix)
{
        const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
        char tmp[24];
        int n = 0, pad;

        do {
                tmp[n++] = digits[v % base];
                v /= base;
        } while (v);
        pad = width - n - neg;
        for (int i = 0; prefix && prefix[i]; i++)
                pad--;
        if (!left && !zero)
                sink_pad(s, ' ', pad);
        if (neg)
                sink_put(s, '-');
        for (int i = 0; prefix && prefix[i]; i++)
                sink_put(s, prefix[i]);
        if (!left && zero)
                sink_pad(s, '0', pad);
        while (n)
                sink_put(s, tmp[--n]);
        if (left)
                sink_pad(s, ' ', pad);
}

static void format(struct sink *s, const char *fmt, va_list ap)
{
        for (; *fmt; fmt++) {
                int left = 0, zero = 0, width = 0, lng = 0;
                uint64_t u;
                int64_t d;

                if (*fmt != '%') {
                        sink_put(s, *fmt);
                        continue;
                }
                fmt++;
                for (;; fmt++) {
                        if (*fmt == '-')
                                left = 1;
                        else if (*fmt == '0')
                                zero = 1;
                        else
                                break;
                }
                if (*fmt == '*') {
                        width = va_arg(ap, int);
                        fmt++;
                } else {
                        while (*fmt >= '0' && *fmt <= '9')
                                width = width * 10 + (*fmt++ - '0');
                }
                while (*fmt == 'l' || *fmt == 'z') {
                        lng = 1;
                        fmt++;
                }
                switch (*fmt) {
                case 'd':
                case 'i':
                        d = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
                        u = d < 0 ? -(uint64_t)d : (uint64_t)d;
                        fmt_num(s, u, d < 0, 10, 0, width, left, zero, NULL);
                        break;
                case 'u':
                case 'x':
                case 'X':
                        u = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
                        fmt_num(s, u, 0, *fmt == 'u' ? 10 : 16, *fmt == 'X', width, left, zero,
                                NULL);
                        break;
                case 'p':
                        u = (uint64_t)(uintptr_t)va_arg(ap, void *);
                        fmt_num(s, u, 0, 16, 0, width, left, zero, "0x");
                        break;
                case 's':
                        fmt_str(s, va_arg(ap, const char *), width, left);
                        break;
                case 'c':
                        sink_put(s, (char)va_arg(ap, int));
                        break;
                case '%':
                        sink_put(s, '%');
                        break;
                case '\0':
                        return;
                default:
                        sink_put(s, '%');
                        sink_put(s, *fmt);
                        break;
                }
        }
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
        struct sink s = {buf, size, 0};

        format(&s, fmt, ap);
        if (size)
                buf[s.len < size ? s.len : size - 1] = '\0';
        return (int)s.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(buf, size, fmt, ap);
        va_end(ap);
        return n;
}

int printf(const char *fmt, ...)
{
        struct sink s = {NULL, 0, 0};
        va_list ap;

        va_start(ap, fmt);
        format(&s, fmt, ap);
        va_end(ap);
        return (int)s.len;
}
