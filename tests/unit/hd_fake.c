/*
 * hd_fake: fake guest memory for the hostile cases (hd_fake.h). Every byte
 * of fake RAM is snapshotted before a notify or a register sequence
 * (hd_snap) and compared afterwards (hd_canary): a device writing anywhere
 * but where the case allows fails the test.
 */
#include "hd_fake.h"

#include "testimage.h"

#define BIG_GPA 0x200000000ULL /* above the other regions */

static struct hd_fake *cur; /* the case running, for hd_fail's trace line */

static struct hd_fake *fake(struct hd *h)
{
        return h->be;
}

int hd_fake_setup(struct hd_fake *k, uint64_t ring)
{
        char err[256];

        memset(k, 0, sizeof(*k));
        if (vf_setup(&k->f) < 0 || ti_make(k->path, sizeof(k->path), "hostile", HD_SECTORS) < 0)
                return -1;
        k->snap[0] = malloc(VF_RAM_SIZE);
        k->snap[1] = malloc(VF_B_SIZE);
        k->snap[2] = malloc(VF_HIGH_SIZE);
        if (!k->snap[0] || !k->snap[1] || !k->snap[2] ||
            disk_open(&k->disk, k->path, false, err, sizeof(err)) < 0)
                return -1;
        unlink(k->path); /* nothing left behind, even if the test is killed */
        trace_enabled = ti_trace_wanted(); /* lab/grade reruns a failure with it on */
        k->h = (struct hd){
            .regs = VF_MMIO_GPA,
            .sectors = HD_SECTORS,
            .ram_end = VF_RAM_END,
            .high_end = VF_HIGH_GPA + VF_HIGH_SIZE,
            .ring = ring,
            .ring2 = 0x10000,
            .table = 0x6000,
            .table2 = 0x8000,
            .hdr = 0x9000,
            .stat = 0xa000,
            .data = 0x40000,
            .data_size = 0x40000,
            .be = k,
        };
        return 0;
}

void hd_fake_teardown(struct hd_fake *k)
{
        disk_close(&k->disk);
        unlink(k->path);
        vf_teardown(&k->f);
        for (unsigned i = 0; i < 3; i++)
                free(k->snap[i]);
        free(k->big);
}

void hd_fake_run(struct hd_fake *k, const struct hd_device *d, int (*fn)(struct hd *))
{
        int r;

        cur = k;
        r = hd_run(&k->h, d, fn);
        if (r == HD_SKIP)
                skip();
        assert_int_equal(r, HD_PASS);
}

void *hd_ptr(struct hd *h, uint64_t gpa, uint64_t len)
{
        return vf_ptr(&fake(h)->f, gpa, len);
}

void hd_snap(struct hd *h)
{
        struct hd_fake *k = fake(h);

        memcpy(k->snap[0], k->f.ram, VF_RAM_SIZE);
        memcpy(k->snap[1], k->f.b, VF_B_SIZE);
        memcpy(k->snap[2], k->f.high, VF_HIGH_SIZE);
}

static bool allowed(uint64_t gpa, const struct hd_span *ok, unsigned n)
{
        for (unsigned i = 0; i < n; i++)
                if (gpa >= ok[i].gpa && gpa - ok[i].gpa < ok[i].len)
                        return true;
        return false;
}

int hd_canary(struct hd *h, const struct hd_span *ok, unsigned n)
{
        struct hd_fake *k = fake(h);
        const uint8_t *now[3] = {k->f.ram, k->f.b, k->f.high};
        const uint64_t base[3] = {VF_RAM_GPA, VF_B_GPA, VF_HIGH_GPA};
        const uint64_t size[3] = {VF_RAM_SIZE, VF_B_SIZE, VF_HIGH_SIZE};

        for (unsigned r = 0; r < 3; r++)
                for (uint64_t i = 0; i < size[r]; i++)
                        HD_EXPECT(now[r][i] == k->snap[r][i] || allowed(base[r] + i, ok, n),
                                  "guest RAM 0x%lx changed: 0x%02x -> 0x%02x", base[r] + i,
                                  k->snap[r][i], now[r][i]);
        return HD_PASS;
}

int hd_expect_pristine(struct hd *h)
{
        ti_assert_pristine(fake(h)->disk.fd, HD_SECTORS); /* the file was unlinked at setup */
        return HD_PASS;
}

uint64_t hd_big(struct hd *h, uint64_t len)
{
        struct hd_fake *k = fake(h);

        k->big = malloc(len);
        if (k->big == NULL || gmem_add(&k->f.gm, BIG_GPA, len, k->big) != 0)
                return 0;
        memset(k->big, HD_FILL, len);
        return BIG_GPA;
}

/* Every byte of the big buffer unchanged; the region forgotten, then freed. */
int hd_big_done(struct hd *h)
{
        struct hd_fake *k = fake(h);
        const struct gmem_region *r = &k->f.gm.regions[k->f.gm.nregions - 1];

        for (uint64_t i = 0; i < r->size; i++)
                HD_EXPECT(k->big[i] == HD_FILL, "big buffer byte 0x%lx written", i);
        k->f.gm.nregions--;
        free(k->big);
        k->big = NULL;
        return HD_PASS;
}

/* The failure at the case's line, with the device's last virtio-blk trace
 * line or its last reason (a lab stub's says "not implemented (TODO(lab))"). */
int hd_fail(const char *file, int line, const char *fmt, ...)
{
        const char *t = cur != NULL ? strstr(cur->trace, "virtio-blk: ") : NULL;
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        print_error("ERROR: %s\n", msg);
        if (t != NULL)
                print_error("the device's trace: %.*s\n", (int)strcspn(t, "\n"), t);
        if (cur != NULL && cur->reason != NULL && *cur->reason != NULL)
                print_error("the device's last reason: %s\n", *cur->reason);
        _fail(file, line);
        return HD_FAIL;
}

int hd_skip(const char *why)
{
        print_message("%s\n", why);
        return HD_SKIP;
}
