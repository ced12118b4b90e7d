/* cmdline: pure parsers for command-line words (see cmdline.h). */
#include "cmdline.h"

static int digit_value(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return 99;
}

bool cmdline_number(const char **s, uint64_t *v, bool suffixes)
{
        const char *p = *s;
        unsigned base = 10, shift = 0;
        uint64_t n = 0;
        bool any = false;

        if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && digit_value(p[2]) < 16) {
                base = 16;
                p += 2;
        } else if (p[0] == '0') {
                base = 8;
        }
        for (; digit_value(*p) < (int)base; p++) {
                unsigned d = (unsigned)digit_value(*p);

                if (n > (UINT64_MAX - d) / base)
                        return false;
                n = n * base + d;
                any = true;
        }
        if (!any)
                return false;
        if (suffixes) {
                switch (*p) {
                case 'k':
                case 'K':
                        shift = 10;
                        break;
                case 'm':
                case 'M':
                        shift = 20;
                        break;
                case 'g':
                case 'G':
                        shift = 30;
                        break;
                }
                if (shift) {
                        if (n > UINT64_MAX >> shift)
                                return false;
                        n <<= shift;
                        p++;
                }
        }
        *v = n;
        *s = p;
        return true;
}

int cmdline_virtio_mmio(const char *word, uint64_t *size, uint64_t *base, uint32_t *irq)
{
        const char *prefix = VMMIO_PARAM, *p = word;
        uint64_t sz, b, i = 0, id;

        for (; *prefix; prefix++, p++) {
                if (*p != *prefix)
                        return 0;
        }
        if (!cmdline_number(&p, &sz, true) || sz == 0 || *p++ != '@')
                return -1;
        if (!cmdline_number(&p, &b, false) || *p++ != ':' || b > UINT64_MAX - sz)
                return -1;
        /* IRQ: decimal, as %u reads it. */
        if (*p < '0' || *p > '9')
                return -1;
        for (; *p >= '0' && *p <= '9'; p++) {
                i = i * 10 + (uint64_t)(*p - '0');
                if (i > UINT32_MAX)
                        return -1;
        }
        if (*p == ':') {
                p++;
                if (!cmdline_number(&p, &id, false))
                        return -1;
        }
        if (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n')
                return -1;
        *size = sz;
        *base = b;
        *irq = (uint32_t)i;
        return 1;
}
