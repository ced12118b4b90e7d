/*
 * hd_check: the checks on guest RAM every hostile case shares (hd.h), and
 * the defaults of the checks only a back end with a second view of the
 * machine can make (weak: the unit back end replaces them).
 */
#include <string.h>

#include "guest/hostile/hd_script.h"
#include "tools/testdisk.h"

int hd_expect_bytes(struct hd *h, uint64_t gpa, uint64_t len, uint8_t b, const char *what)
{
        const uint8_t *p = (const uint8_t *)hd_ptr(h, gpa, len);
        uint64_t k = 0;

        /* eight at a time where aligned: the guest CPU is slow under KVM's emulator */
        for (; k + 8 <= len && ((uintptr_t)(p + k) & 7) == 0; k += 8)
                if (*(const uint64_t *)(p + k) != 0x0101010101010101ULL * b)
                        break;
        for (; k < len; k++)
                HD_EXPECT(p[k] == b, "%s: byte %lu is 0x%02x, want 0x%02x", what, k, p[k], b);
        return HD_PASS;
}

int hd_expect_sector(struct hd *h, uint64_t gpa, uint64_t s)
{
        const uint8_t *p = (const uint8_t *)hd_ptr(h, gpa, TD_SECTOR);

        for (uint32_t k = 0; k < TD_SECTOR; k++) {
                uint8_t want = td_orig_byte(s, h->sectors, k);

                HD_EXPECT(p[k] == want, "sector %lu byte %u: 0x%02x, want 0x%02x", s, k, p[k],
                          want);
        }
        return HD_PASS;
}

uint64_t hd_value(struct hd *h, hd_val v)
{
        const uint64_t at[] = {0,          h->hdr,      h->data,
                               h->stat,    h->table,    h->table2,
                               h->ring,    h->ring2,    h->regs,
                               h->ram_end, h->high_end, h->high_end ? h->high_end : h->ram_end,
                               h->sectors};

        return at[(unsigned)(v >> 64)] + (uint64_t)v;
}

/* One step of an op every device knows, or of the device's own. */
static int step(struct hd *h, const struct hd_device *d, const struct hd_step *s)
{
        uint64_t a = hd_value(h, s->a), off = hd_value(h, s->b), v = a;

        switch (s->op) {
        case HD_OP_SET:
                memset(hd_ptr(h, a, s->n), (int)s->fl, s->n);
                break;
        case HD_OP_EBYTES:
                return hd_expect_bytes(h, a, s->n, (uint8_t)s->fl, s->why);
        case HD_OP_ESECTOR:
                return hd_expect_sector(h, a, off);
        case HD_OP_SNAP:
                hd_snap(h);
                break;
        case HD_OP_WR:
                hd_wr(h, s->i, (uint32_t)(a >> s->m));
                break;
        case HD_OP_RDEQ:
                HD_EXPECT(hd_rd(h, s->i) == (uint32_t)a, "register 0x%x: 0x%x, want 0x%x", s->i,
                          hd_rd(h, s->i), (uint32_t)a);
                break;
        case HD_OP_RAWW:
                hd_raw(h, off, s->n, true, &v);
                break;
        case HD_OP_RAWR:
                if (hd_raw(h, off, s->n, false, &v) == HD_SKIP)
                        break; /* an access this back end cannot make */
                HD_EXPECT(v == a, "%u bytes at 0x%lx: 0x%lx, want 0x%lx", s->n, off, v, a);
                break;
        case HD_OP_SKIP:
                return hd_skip(s->why);
        case HD_OP_RECOVER:
                return d->recover(h);
        default:
                if (s->op >= HD_OP_DEV)
                        return d->step(h, s);
        }
        return HD_PASS;
}

int hd_play(struct hd *h, const struct hd_device *d, const struct hd_step *s)
{
        for (; s->op != HD_OP_END; s++) {
                if ((s->op == HD_OP_IFV1 && !h->legacy) || (s->op == HD_OP_IFV2 && h->legacy) ||
                    (s->op == HD_OP_IFHIGH && !h->high_end))
                        s += s->n;
                else
                        HD_TRY(step(h, d, s));
        }
        return HD_PASS;
}

int hd_run(struct hd *h, const struct hd_device *d, int (*fn)(struct hd *))
{
        HD_TRY(d->start(h));
        HD_TRY(fn(h));
        return d->recover(h);
}

__attribute__((weak)) void hd_snap(struct hd *h)
{
        (void)h;
}

__attribute__((weak)) int hd_canary(struct hd *h, const struct hd_span *ok, unsigned n)
{
        (void)h, (void)ok, (void)n;
        return HD_PASS;
}

__attribute__((weak)) int hd_expect_why(struct hd *h, const char *why)
{
        (void)h, (void)why;
        return HD_PASS;
}

__attribute__((weak)) int hd_expect_pristine(struct hd *h)
{
        (void)h;
        return HD_PASS;
}

__attribute__((weak)) int hd_big_done(struct hd *h)
{
        (void)h;
        return HD_PASS;
}

__attribute__((weak)) unsigned hd_svirtb_peek(struct hd *h, uint32_t v[6])
{
        (void)h, (void)v;
        return 0;
}
