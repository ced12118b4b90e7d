/*
 * jsoncheck: validates a JSON file strictly (RFC 8259: one value, UTF-8, no
 * trailing commas, no control characters in strings, no leading zeros, no
 * duplicate keys in an object) and, with --tests, lists the "tests" array of
 * a grade.json report, one line per element:
 *   name<TAB>kind<TAB>score<TAB>max_score<TAB>status<TAB>result
 * Exit status 0 when valid (and, with --tests, when every element has those
 * fields with the right types); 1 with one line on stderr otherwise.
 * For tests/suites/lab.sh, where python may be absent.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64
#define MAX_STR   4096

struct parser {
        const char *p, *end, *start;
        const char *file;
        char err[160];
        /* --tests: where we are */
        bool list;
        int depth;
        bool in_tests;   /* inside the top-level "tests" array */
        bool in_element; /* inside one of its objects */
        /* fields of the current element */
        char name[MAX_STR], kind[64], status[64], result[64];
        long long score, max_score;
        unsigned have;
        unsigned elements;
};

enum { F_NAME = 1, F_KIND = 2, F_SCORE = 4, F_MAX = 8, F_STATUS = 16, F_RESULT = 32, F_ALL = 63 };

static bool fail(struct parser *ps, const char *msg)
{
        if (ps->err[0] == '\0') {
                unsigned line = 1, col = 1;

                for (const char *q = ps->start; q < ps->p && q < ps->end; q++) {
                        if (*q == '\n') {
                                line++;
                                col = 1;
                        } else {
                                col++;
                        }
                }
                snprintf(ps->err, sizeof(ps->err), "%s:%u:%u: %s", ps->file, line, col, msg);
        }
        return false;
}

static void skip_ws(struct parser *ps)
{
        while (ps->p < ps->end &&
               (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
                ps->p++;
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static bool hex4(struct parser *ps, unsigned *v)
{
        *v = 0;
        for (int i = 0; i < 4; i++) {
                int h = ps->p < ps->end ? hexval(*ps->p) : -1;

                if (h < 0)
                        return fail(ps, "bad \\u escape");
                *v = *v << 4 | (unsigned)h;
                ps->p++;
        }
        return true;
}

/* Appends code point cp to out (UTF-8), truncating silently at cap. */
static void put_utf8(char *out, size_t cap, size_t *n, unsigned cp)
{
        unsigned char b[4];
        size_t k;

        if (cp < 0x80) {
                b[0] = (unsigned char)cp;
                k = 1;
        } else if (cp < 0x800) {
                b[0] = (unsigned char)(0xc0 | cp >> 6);
                b[1] = (unsigned char)(0x80 | (cp & 0x3f));
                k = 2;
        } else if (cp < 0x10000) {
                b[0] = (unsigned char)(0xe0 | cp >> 12);
                b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
                b[2] = (unsigned char)(0x80 | (cp & 0x3f));
                k = 3;
        } else {
                b[0] = (unsigned char)(0xf0 | cp >> 18);
                b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
                b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
                b[3] = (unsigned char)(0x80 | (cp & 0x3f));
                k = 4;
        }
        if (*n + k < cap) {
                memcpy(out + *n, b, k);
                *n += k;
        }
}

/* One UTF-8 sequence starting at ps->p (a byte >= 0x80): its code point. */
static bool utf8_seq(struct parser *ps, unsigned *cp)
{
        const unsigned char *s = (const unsigned char *)ps->p;
        size_t left = (size_t)(ps->end - ps->p), k;
        unsigned min;

        if (s[0] >= 0xc2 && s[0] <= 0xdf) {
                k = 2;
                *cp = s[0] & 0x1f;
                min = 0x80;
        } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
                k = 3;
                *cp = s[0] & 0x0f;
                min = 0x800;
        } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
                k = 4;
                *cp = s[0] & 0x07;
                min = 0x10000;
        } else {
                return fail(ps, "invalid UTF-8");
        }
        if (left < k)
                return fail(ps, "truncated UTF-8");
        for (size_t i = 1; i < k; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return fail(ps, "invalid UTF-8");
                *cp = *cp << 6 | (s[i] & 0x3f);
        }
        if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
                return fail(ps, "invalid UTF-8 (overlong, surrogate or too large)");
        ps->p += k;
        return true;
}

/* A string; its decoded text (truncated) into out when out != NULL. */
static bool string(struct parser *ps, char *out, size_t cap)
{
        size_t n = 0;
        unsigned cp, lo;

        ps->p++; /* the opening quote */
        for (;;) {
                if (ps->p >= ps->end)
                        return fail(ps, "unterminated string");
                unsigned char c = (unsigned char)*ps->p;

                if (c == '"') {
                        ps->p++;
                        break;
                }
                if (c < 0x20)
                        return fail(ps, "control character in a string");
                if (c == '\\') {
                        ps->p++;
                        if (ps->p >= ps->end)
                                return fail(ps, "unterminated escape");
                        switch (*ps->p++) {
                        case '"':
                                cp = '"';
                                break;
                        case '\\':
                                cp = '\\';
                                break;
                        case '/':
                                cp = '/';
                                break;
                        case 'b':
                                cp = '\b';
                                break;
                        case 'f':
                                cp = '\f';
                                break;
                        case 'n':
                                cp = '\n';
                                break;
                        case 'r':
                                cp = '\r';
                                break;
                        case 't':
                                cp = '\t';
                                break;
                        case 'u':
                                if (!hex4(ps, &cp))
                                        return false;
                                if (cp >= 0xdc00 && cp <= 0xdfff)
                                        return fail(ps, "lone low surrogate");
                                if (cp >= 0xd800 && cp <= 0xdbff) {
                                        if (ps->end - ps->p < 6 || ps->p[0] != '\\' ||
                                            ps->p[1] != 'u')
                                                return fail(ps, "lone high surrogate");
                                        ps->p += 2;
                                        if (!hex4(ps, &lo))
                                                return false;
                                        if (lo < 0xdc00 || lo > 0xdfff)
                                                return fail(ps, "bad surrogate pair");
                                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                                }
                                break;
                        default:
                                ps->p--;
                                return fail(ps, "bad escape");
                        }
                } else if (c >= 0x80) {
                        if (!utf8_seq(ps, &cp))
                                return false;
                } else {
                        cp = c;
                        ps->p++;
                }
                if (out)
                        put_utf8(out, cap, &n, cp);
        }
        if (out)
                out[n] = '\0';
        return true;
}

static bool is_digit(const struct parser *ps)
{
        return ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9';
}

/* A number; its value into *v when it is an integer that fits. */
static bool number(struct parser *ps, long long *v, bool *integer)
{
        const char *s = ps->p;
        char buf[64];

        *integer = true;
        if (ps->p < ps->end && *ps->p == '-')
                ps->p++;
        if (!is_digit(ps))
                return fail(ps, "bad number");
        if (*ps->p == '0') {
                ps->p++;
                if (is_digit(ps))
                        return fail(ps, "leading zero in a number");
        } else {
                while (is_digit(ps))
                        ps->p++;
        }
        if (ps->p < ps->end && *ps->p == '.') {
                *integer = false;
                ps->p++;
                if (!is_digit(ps))
                        return fail(ps, "bad fraction");
                while (is_digit(ps))
                        ps->p++;
        }
        if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
                *integer = false;
                ps->p++;
                if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
                        ps->p++;
                if (!is_digit(ps))
                        return fail(ps, "bad exponent");
                while (is_digit(ps))
                        ps->p++;
        }
        if (*integer) {
                size_t len = (size_t)(ps->p - s);

                if (len >= sizeof(buf)) {
                        *integer = false;
                        return true;
                }
                memcpy(buf, s, len);
                buf[len] = '\0';
                errno = 0;
                *v = strtoll(buf, NULL, 10);
                if (errno)
                        *integer = false;
        }
        return true;
}

static bool literal(struct parser *ps, const char *word)
{
        size_t n = strlen(word);

        if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
                return fail(ps, "unexpected character");
        ps->p += n;
        return true;
}

static bool value(struct parser *ps, const char *key);

/* Records field key of the current tests[] element. */
static bool element_field(struct parser *ps, const char *key)
{
        long long v = 0;
        bool integer = false;
        char buf[MAX_STR];
        struct {
                const char *key;
                unsigned bit;
                char *dst;
                size_t cap;
                long long *num;
        } fields[] = {
            {"name", F_NAME, ps->name, sizeof(ps->name), NULL},
            {"kind", F_KIND, ps->kind, sizeof(ps->kind), NULL},
            {"status", F_STATUS, ps->status, sizeof(ps->status), NULL},
            {"result", F_RESULT, ps->result, sizeof(ps->result), NULL},
            {"score", F_SCORE, NULL, 0, &ps->score},
            {"max_score", F_MAX, NULL, 0, &ps->max_score},
        };

        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
                if (strcmp(key, fields[i].key) != 0)
                        continue;
                if (fields[i].dst) {
                        if (ps->p >= ps->end || *ps->p != '"')
                                return fail(ps, "tests[] field is not a string");
                        if (!string(ps, buf, sizeof(buf)))
                                return false;
                        snprintf(fields[i].dst, fields[i].cap, "%s", buf);
                } else {
                        if (!number(ps, &v, &integer))
                                return false;
                        if (!integer || v < 0)
                                return fail(ps, "tests[] score is not a whole number >= 0");
                        *fields[i].num = v;
                }
                ps->have |= fields[i].bit;
                return true;
        }
        return value(ps, key);
}

static bool object(struct parser *ps)
{
        char key[MAX_STR];
        char **keys = NULL; /* this object's keys so far, for the duplicate check */
        unsigned nkeys = 0;
        bool ok = false, element = ps->in_tests && !ps->in_element && ps->depth == 3;

        if (element) {
                ps->in_element = true;
                ps->have = 0;
        }
        ps->p++;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == '}') {
                ps->p++;
                goto done;
        }
        for (;;) {
                char **more;

                skip_ws(ps);
                if (ps->p >= ps->end || *ps->p != '"') {
                        fail(ps, "expected a key");
                        goto out;
                }
                if (!string(ps, key, sizeof(key)))
                        goto out;
                for (unsigned i = 0; i < nkeys; i++) {
                        if (strcmp(keys[i], key) == 0) {
                                fail(ps, "duplicate key");
                                goto out;
                        }
                }
                more = realloc(keys, (nkeys + 1) * sizeof(*keys));
                if (!more || !(more[nkeys] = strdup(key))) {
                        keys = more ? more : keys;
                        fail(ps, "out of memory");
                        goto out;
                }
                keys = more;
                nkeys++;
                skip_ws(ps);
                if (ps->p >= ps->end || *ps->p != ':') {
                        fail(ps, "expected ':'");
                        goto out;
                }
                ps->p++;
                skip_ws(ps);
                if (element ? !element_field(ps, key) : !value(ps, key))
                        goto out;
                skip_ws(ps);
                if (ps->p < ps->end && *ps->p == ',') {
                        ps->p++;
                        continue;
                }
                if (ps->p < ps->end && *ps->p == '}') {
                        ps->p++;
                        break;
                }
                fail(ps, "expected ',' or '}'");
                goto out;
        }
done:
        ok = true;
        if (element) {
                ps->in_element = false;
                if ((ps->have & F_ALL) != F_ALL)
                        ok = fail(ps, "a tests[] element lacks name, kind, score, max_score, "
                                      "status or result");
                else if (ps->score > ps->max_score)
                        ok = fail(ps, "a tests[] element has score > max_score");
                else
                        ps->elements++;
                if (ok && ps->list)
                        printf("%s\t%s\t%lld\t%lld\t%s\t%s\n", ps->name, ps->kind, ps->score,
                               ps->max_score, ps->status, ps->result);
        }
out:
        for (unsigned i = 0; i < nkeys; i++)
                free(keys[i]);
        free(keys);
        return ok;
}

static bool array(struct parser *ps, bool tests)
{
        if (tests)
                ps->in_tests = true;
        ps->p++;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ']') {
                ps->p++;
                goto done;
        }
        for (;;) {
                skip_ws(ps);
                if (!value(ps, NULL))
                        return false;
                skip_ws(ps);
                if (ps->p < ps->end && *ps->p == ',') {
                        ps->p++;
                        continue;
                }
                if (ps->p < ps->end && *ps->p == ']') {
                        ps->p++;
                        break;
                }
                return fail(ps, "expected ',' or ']'");
        }
done:
        if (tests)
                ps->in_tests = false;
        return true;
}

/* A value; key is the key it belongs to, when it is an object member. */
static bool value(struct parser *ps, const char *key)
{
        long long v;
        bool integer, ok;

        skip_ws(ps);
        if (ps->p >= ps->end)
                return fail(ps, "unexpected end of input");
        switch (*ps->p) {
        case '{':
        case '[':
                if (++ps->depth > MAX_DEPTH)
                        return fail(ps, "nested too deeply");
                if (*ps->p == '{')
                        ok = object(ps);
                else
                        ok = array(ps, ps->depth == 2 && key && strcmp(key, "tests") == 0);
                ps->depth--;
                return ok;
        case '"':
                return string(ps, NULL, 0);
        case 't':
                return literal(ps, "true");
        case 'f':
                return literal(ps, "false");
        case 'n':
                return literal(ps, "null");
        default:
                return number(ps, &v, &integer);
        }
}

int main(int argc, char **argv)
{
        struct parser *ps;
        char *text = NULL;
        size_t len = 0, cap = 0;
        bool list = argc == 3 && strcmp(argv[1], "--tests") == 0;
        FILE *fp;

        if (!(argc == 2 || list)) {
                fprintf(stderr, "usage: jsoncheck [--tests] FILE\n");
                return 2;
        }
        fp = fopen(argv[argc - 1], "rb");
        if (!fp) {
                fprintf(stderr, "jsoncheck: %s: %s\n", argv[argc - 1], strerror(errno));
                return 1;
        }
        for (;;) {
                if (len == cap) {
                        char *t;

                        cap = cap ? cap * 2 : 65536;
                        t = realloc(text, cap);
                        if (!t) {
                                fprintf(stderr, "jsoncheck: out of memory\n");
                                return 1;
                        }
                        text = t;
                }
                size_t n = fread(text + len, 1, cap - len, fp);

                len += n;
                if (n == 0)
                        break;
        }
        fclose(fp);
        ps = calloc(1, sizeof(*ps));
        if (!ps) {
                fprintf(stderr, "jsoncheck: out of memory\n");
                return 1;
        }
        ps->start = ps->p = text ? text : "";
        ps->end = ps->p + len;
        ps->file = argv[argc - 1];
        ps->list = list;
        if (value(ps, NULL)) {
                skip_ws(ps);
                if (ps->p != ps->end)
                        fail(ps, "text after the value");
        }
        if (!ps->err[0] && list && ps->elements == 0)
                snprintf(ps->err, sizeof(ps->err), "%s: no top-level \"tests\" array with elements",
                         ps->file);
        if (ps->err[0]) {
                fprintf(stderr, "jsoncheck: %s\n", ps->err);
                return 1;
        }
        free(text);
        free(ps);
        return 0;
}
