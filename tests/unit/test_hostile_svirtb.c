/*
 * test_hostile_svirtb: the hostile cases of guest/hostile/hd_svirtb.c
 * (listed with their outcomes in docs/security.md) against svirtb alone
 * (devices/svirtb.h, contract docs/svirtb.md): the unit back end of
 * guest/hostile/hd.h, on fake guest memory (hd_fake.h), registers read from
 * the device's page. Beyond what a guest sees, each case checks that no byte
 * of fake RAM outside the buffers a read may fill changed, that the image is
 * byte-identical, and that the device recorded a reason each time it
 * entered RESET (its wording is the lab's, lab/stubs/svirtb: not asserted).
 */
#include "devices/svirtb.h"
#include "devices/trace.h"
#include "hd_fake.h"

struct fx {
        struct hd_fake k;
        struct svirtb s;
        uint8_t *page;
};

static struct fx *fx(struct hd *h)
{
        return h->be;
}

/* A register as the guest reads it: from the page. */
uint32_t hd_rd(struct hd *h, uint32_t off)
{
        const uint8_t *p = fx(h)->page + off;

        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void hd_wr(struct hd *h, uint32_t off, uint32_t v)
{
        uint64_t w = v;

        hd_raw(h, off, 4, true, &w);
}

/* Writes only, as the device's exits are (its reads never exit). */
int hd_raw(struct hd *h, uint64_t off, unsigned len, bool write, uint64_t *v)
{
        uint8_t d[8];

        if (!write || len > sizeof(d))
                return HD_SKIP;
        for (unsigned i = 0; i < sizeof(d); i++)
                d[i] = (uint8_t)(*v >> (8 * i));
        svirtb_mmio_write(&fx(h)->s, off, d, len);
        return HD_PASS;
}

int hd_expect_why(struct hd *h, const char *why)
{
        struct fx *x = fx(h);

        HD_EXPECT(x->s.status == SVIRTB_RESET && x->s.reset_reason != NULL,
                  "status %u, reason %s; want RESET for \"%s\"", x->s.status,
                  x->s.reset_reason ? x->s.reset_reason : "(none)", why);
        return HD_PASS;
}

static int setup(void **state)
{
        struct fx *x = calloc(1, sizeof(*x));

        if (x == NULL || hd_fake_setup(&x->k, 0x10000) < 0)
                return -1;
        x->page = malloc(SVIRTB_PAGE_SIZE);
        if (x->page == NULL)
                return -1;
        x->k.h.regs = SVIRTB_BASE;
        x->k.reason = &x->s.reset_reason;
        svirtb_init(&x->s, x->page, &x->k.f.gm, &x->k.disk);
        *state = x;
        return 0;
}

static int teardown(void **state)
{
        struct fx *x = *state;

        hd_fake_teardown(&x->k);
        free(x->page);
        free(x);
        return 0;
}

/* The bus's entry point with no data (no guest can make it): ignored. */
static int hostile_svirtb_write_without_data(struct hd *h)
{
        svirtb_mmio_write(&fx(h)->s, SVIRTB_REG_QUEUE_HEAD, NULL, 4);
        HD_EXPECT(
            hd_rd(h, SVIRTB_REG_STATUS) == SVIRTB_READY && hd_rd(h, SVIRTB_REG_QUEUE_HEAD) == 0,
            "status %u, head %u", hd_rd(h, SVIRTB_REG_STATUS), hd_rd(h, SVIRTB_REG_QUEUE_HEAD));
        return HD_PASS;
}

#define RUN(name) HD_FAKE_TEST(hd_svirtb, name)
HD_SVIRTB_CASES(RUN)
RUN(hostile_svirtb_write_without_data)

#define ROW(name) {#name, t_##name, setup, teardown, NULL},

int main(void)
{
        const struct CMUnitTest tests[] = {HD_SVIRTB_CASES(ROW)
                                               ROW(hostile_svirtb_write_without_data)};

        cmocka_set_test_filter(getenv("UNIT_TEST_FILTER"));
        return cmocka_run_group_tests_name("hostile svirtb", tests, NULL, NULL);
}
