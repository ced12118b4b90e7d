/*
 * The few C library functions the guest and Debian's libfdt.a call, plus
 * __stack_chk_fail for libfdt's stack protector (its canary is the word at
 * %fs:0x28, guest-physical 0x28 with FS base 0, which nothing here touches).
 * Copies use rep movsb/stosb: one emulated instruction instead of a loop.
 */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "guest.h"

void *memcpy(void *dst, const void *src, size_t n)
{
        void *d = dst;

        __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
        return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
        unsigned char *d = dst;
        const unsigned char *s = src;

        if (d <= s || d >= s + n)
                return memcpy(dst, src, n);
        while (n--)
                d[n] = s[n];
        return dst;
}

void *memset(void *dst, int c, size_t n)
{
        void *d = dst;

        __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
        return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
        const unsigned char *x = a, *y = b;

        for (size_t i = 0; i < n; i++) {
                if (x[i] != y[i])
                        return x[i] < y[i] ? -1 : 1;
        }
        return 0;
}

void *memchr(const void *p, int c, size_t n)
{
        const unsigned char *s = p;

        for (size_t i = 0; i < n; i++) {
                if (s[i] == (unsigned char)c)
                        return (void *)(s + i);
        }
        return NULL;
}

size_t strlen(const char *s)
{
        size_t n = 0;

        while (s[n])
                n++;
        return n;
}

size_t strnlen(const char *s, size_t max)
{
        size_t n = 0;

        while (n < max && s[n])
                n++;
        return n;
}

char *strchr(const char *s, int c)
{
        for (;; s++) {
                if (*s == (char)c)
                        return (char *)s;
                if (!*s)
                        return NULL;
        }
}

char *strrchr(const char *s, int c)
{
        const char *last = NULL;

        for (;; s++) {
                if (*s == (char)c)
                        last = s;
                if (!*s)
                        return (char *)last;
        }
}

static int digit_value(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'Z')
                return c - 'A' + 10;
        return 99;
}

unsigned long strtoul(const char *restrict s, char **restrict end, int base)
{
        const char *p = s;
        unsigned long v = 0;
        int neg = 0, any = 0, overflow = 0;

        while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
                p++;
        if (*p == '+' || *p == '-')
                neg = *p++ == '-';
        if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
            digit_value(p[2]) < 16) {
                p += 2;
                base = 16;
        } else if (base == 0) {
                base = p[0] == '0' ? 8 : 10;
        }
        if (base < 2 || base > 36) {
                if (end)
                        *end = (char *)s;
                return 0;
        }
        for (; digit_value(*p) < base; p++) {
                unsigned long d = (unsigned long)digit_value(*p);

                if (v > (ULONG_MAX - d) / (unsigned long)base)
                        overflow = 1;
                v = v * (unsigned long)base + d;
                any = 1;
        }
        if (end)
                *end = (char *)(any ? p : s);
        if (overflow)
                return ULONG_MAX;
        return neg ? -v : v;
}

__attribute__((noreturn)) void __stack_chk_fail(void);

void __stack_chk_fail(void)
{
        printf("guest: stack smashing detected\n");
        guest_exit(GUEST_EXIT_EXCEPTION);
}
