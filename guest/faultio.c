/* faultio: see faultio.h. */
#include "faultio.h"

#include <string.h>

#include "console.h"
#include "guest.h"
#include "test.h"
#include "virtio_blk_drv.h"

#define FIO_PAGE     4096u
#define FIO_QSIZE    8u
#define FIO_MAX_SECT 128u /* 64 KiB per request */

static uint8_t fio_ring[2 * FIO_PAGE] __attribute__((section(".noinit"), aligned(FIO_PAGE)));
static uint8_t fio_buf[FIO_MAX_SECT * VBLK_SECTOR]
    __attribute__((section(".noinit"), aligned(FIO_PAGE)));
static struct gblk fio_dev __attribute__((section(".noinit")));

_Static_assert(sizeof(fio_ring) >= FIO_PAGE * 2, "ring area too small for 8 entries");

static const char *fio_status(uint8_t s)
{
        return s == VBLK_S_OK ? "OK" : s == VBLK_S_IOERR ? "IOERR" : "UNSUPP";
}

/* Decimal digits at *p; false when there are none. */
static bool fio_num(const char **p, uint64_t *v)
{
        const char *s = *p;

        *v = 0;
        if (*s < '0' || *s > '9')
                return false;
        while (*s >= '0' && *s <= '9')
                *v = *v * 10 + (uint64_t)(*s++ - '0');
        *p = s;
        return true;
}

static void fio_put_le64(uint8_t *p, uint64_t v)
{
        for (int i = 0; i < 8; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

/* The stamp of sector s in round r (faultio.h), in the first 24 bytes of each sector. */
static void fio_stamp(uint64_t s, uint64_t n, uint64_t round)
{
        for (uint64_t i = 0; i < n; i++) {
                uint8_t *p = fio_buf + i * VBLK_SECTOR;

                memcpy(p, FAULTIO_MAGIC, 8);
                fio_put_le64(p + 8, s + i);
                fio_put_le64(p + 16, round);
        }
}

/* One request; prints its line; false when the driver failed (no status). */
static bool fio_req(uint32_t type, uint64_t s, uint64_t n, uint64_t round, unsigned *errors)
{
        uint8_t status = 0xff;
        int e =
            gblk_io(&fio_dev, type, s, n ? fio_buf : NULL, (uint32_t)(n * VBLK_SECTOR), &status);

        if (type == VBLK_T_FLUSH)
                printf("faultio: f round %lu -> ", round);
        else
                printf("faultio: %c %lu+%lu round %lu -> ", type == VBLK_T_OUT ? 'w' : 'r', s, n,
                       round);
        if (e) {
                printf("driver error %d\n", e);
                (*errors)++;
                return false;
        }
        printf("%s\n", fio_status(status));
        if (status != VBLK_S_OK)
                (*errors)++;
        return true;
}

/* bS:N: an OUT and a FLUSH behind it in one kick (one batch for the device). */
static bool fio_batch(uint64_t s, uint64_t n, uint64_t round, unsigned *errors)
{
        static struct gblk_req w, f;
        struct gvq_buf d = {fio_buf, (uint32_t)(n * VBLK_SECTOR), false};
        int e;

        w = (struct gblk_req){0};
        f = (struct gblk_req){0};
        fio_stamp(s, n, round);
        e = gblk_submit(&fio_dev, &w, VBLK_T_OUT, s, &d, 1);
        if (!e)
                e = gblk_submit(&fio_dev, &f, VBLK_T_FLUSH, 0, NULL, 0);
        if (!e) {
                gblk_kick(&fio_dev);
                e = gblk_wait(&fio_dev, &w);
        }
        if (!e)
                e = gblk_wait(&fio_dev, &f);
        if (e) {
                printf("faultio: b %lu+%lu round %lu -> driver error %d\n", s, n, round, e);
                (*errors)++;
                return false;
        }
        printf("faultio: w %lu+%lu round %lu -> %s\n", s, n, round, fio_status(w.status));
        printf("faultio: f round %lu -> %s\n", round, fio_status(f.status));
        *errors += (w.status != VBLK_S_OK) + (f.status != VBLK_S_OK);
        return true;
}

/* uS:N: INs of S:N until one is not OK (at most FIO_UNTIL_MAX), then its line. */
#define FIO_UNTIL_MAX 1000000u
static bool fio_until(uint64_t s, uint64_t n, uint64_t round, unsigned *errors, unsigned *reqs)
{
        uint8_t status = VBLK_S_OK;
        int e = 0;

        printf("faultio: u %lu+%lu waiting\n", s, n);
        for (unsigned k = 0; k < FIO_UNTIL_MAX && !e && status == VBLK_S_OK; k++) {
                e = gblk_io(&fio_dev, VBLK_T_IN, s, fio_buf, (uint32_t)(n * VBLK_SECTOR), &status);
                (*reqs)++;
        }
        if (e) {
                printf("faultio: r %lu+%lu round %lu -> driver error %d\n", s, n, round, e);
                (*errors)++;
                return false;
        }
        printf("faultio: r %lu+%lu round %lu -> %s\n", s, n, round, fio_status(status));
        *errors += status != VBLK_S_OK;
        return true;
}

static int fio_setup(void)
{
        char eb[120];
        int e;

        if (genv.boot.nvirtio == 0) {
                printf("faultio: no virtio-blk device\n");
                return -1;
        }
        memset(&fio_dev, 0, sizeof(fio_dev));
        e = gblk_probe(&fio_dev, genv.boot.virtio[0].base);
        if (!e)
                e = gblk_init(&fio_dev, fio_ring, sizeof(fio_ring), FIO_QSIZE);
        if (e) {
                printf("faultio: virtio-blk0: %s\n", gvio_strerror(&fio_dev.io, eb, sizeof(eb)));
                return -1;
        }
        return 0;
}

/* Parses "S:N" at *p (N in 1..FIO_MAX_SECT). */
static bool fio_range(const char **p, uint64_t *s, uint64_t *n)
{
        if (!fio_num(p, s) || **p != ':')
                return false;
        (*p)++;
        return fio_num(p, n) && *n >= 1 && *n <= FIO_MAX_SECT;
}

int faultio_main(const char *spec)
{
        const char *p = spec;
        uint64_t round = 1, s, n, r;
        unsigned requests = 0, errors = 0;
        bool ok = true;

        if (fio_setup())
                return GUEST_EXIT_FAIL;
        while (ok && *p) {
                char op = *p++;

                switch (op) {
                case 'w':
                case 'r':
                        ok = fio_range(&p, &s, &n);
                        if (!ok)
                                break;
                        if (op == 'w')
                                fio_stamp(s, n, round);
                        ok = fio_req(op == 'w' ? VBLK_T_OUT : VBLK_T_IN, s, n, round, &errors);
                        requests++;
                        break;
                case 'b':
                        ok = fio_range(&p, &s, &n) && fio_batch(s, n, round, &errors);
                        requests += 2;
                        break;
                case 'u':
                        ok = fio_range(&p, &s, &n) && fio_until(s, n, round, &errors, &requests);
                        break;
                case 'f':
                        ok = fio_req(VBLK_T_FLUSH, 0, 0, round, &errors);
                        requests++;
                        break;
                case 'n':
                        round++;
                        break;
                case 'c':
                        ok = fio_num(&p, &r) && *p++ == ':' && fio_range(&p, &s, &n);
                        for (uint64_t k = 0; ok && k < r; k++, round++) {
                                fio_stamp(s, n, round);
                                ok = fio_req(VBLK_T_OUT, s, n, round, &errors) &&
                                     fio_req(VBLK_T_FLUSH, 0, 0, round, &errors);
                                requests += 2;
                        }
                        break;
                default:
                        ok = false;
                }
                if (ok && *p == ',')
                        p++;
                else if (ok && *p)
                        ok = false;
        }
        if (!ok && *p) {
                printf("faultio: bad spec at '%s'\n", p);
                return GUEST_EXIT_FAIL;
        }
        printf("faultio: done, %u requests, %u not OK\n", requests, errors);
        return errors ? GUEST_EXIT_FAIL : GUEST_EXIT_PASS;
}
