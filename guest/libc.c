/*
 * The few C library functions the guest and Debian's libfdt.a call, plus
 * __stack_chk_fail for libfdt's stack protector (its canary is the word at
 * %fs:0x28, guest-physical 0x28 with FS base 0, which nothing here touches).
 * KVM's emulator here runs every iteration of a rep string instruction and
 * every loop turn as separate work (docs/platform.md), so the hot ones move
 * and compare 8 bytes a step: rep movsq/stosq for the bulk, a byte tail.
 */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "guest.h"

/* A word that may alias any object and sit at any address. */
typedef uint64_t __attribute__((may_alias, aligned(1))) word_t;

void *memcpy(void *dst, const void *src, size_t n)
{
        void *d = dst;
        size_t q = n / 8, r = n % 8;

        __asm__ volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(q) : : "memory");
        __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(r) : : "memory");
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
        uint64_t v = 0x0101010101010101ULL * (unsigned char)c;
        size_t q = n / 8, r = n % 8;

        __asm__ volatile("rep stosq" : "+D"(d), "+c"(q) : "a"(v) : "memory");
        __asm__ volatile("rep stosb" : "+D"(d), "+c"(r) : "a"(v) : "memory");
        return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
        const unsigned char *x = a, *y = b;
        size_t i = 0;

        /* Equal words skipped 8 bytes at a time (x86 loads need no alignment). */
        while (n - i >= 8 && *(const word_t *)(x + i) == *(const word_t *)(y + i))
                i += 8;
        for (; i < n; i++) {
                if (x[i] != y[i])
                        return x[i] < y[i] ? -1 : 1;
        }
        return 0;
}

/* Whether some byte of w is zero (the classic test: exact, no false positives). */
static int word_has_zero(uint64_t w)
{
        return ((w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL) != 0;
}

/* Eight bytes a step while at least eight remain; the word holding c is
 * then searched byte by byte. */
void *memchr(const void *p, int c, size_t n)
{
        const unsigned char *s = p;
        const uint64_t pat = 0x0101010101010101ULL * (unsigned char)c;
        size_t i = 0;

        while (n - i >= 8 && !word_has_zero(*(const word_t *)(s + i) ^ pat))
                i += 8;
        for (; i < n; i++) {
                if (s[i] == (unsigned char)c)
                        return (void *)(s + i);
        }
        return NULL;
}

size_t strlen(const char *s)
{
        const char *p = s;
        const word_t *w;

        for (; (uintptr_t)p % 8; p++) {
                if (!*p)
                        return (size_t)(p - s);
        }
        /* An aligned word never crosses a page: reading past the end is safe. */
        for (w = (const word_t *)p; !word_has_zero(*w); w++)
                ;
        for (p = (const char *)w; *p; p++)
                ;
        return (size_t)(p - s);
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
