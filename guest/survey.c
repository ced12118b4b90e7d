/* survey: see survey.h. */
#include "survey.h"

#include <stdbool.h>
#include <string.h>

#include "console.h"
#include "guest.h"
#include "pci_drv.h"
#include "svirtb_drv.h"
#include "test.h"
#include "virtio_blk_drv.h"

#define SURVEY_SECTORS 8u /* how far the devices are compared */
#define SURVEY_BYTES   (SURVEY_SECTORS * VBLK_SECTOR)
#define SURVEY_QSIZE   8u
#define SURVEY_RING    (3 * 4096u) /* gvq_mem_size(8) with a legacy 4 KiB alignment */
#define MAX_DEVS       (1 + BOOT_MAX_VIRTIO)

/* What was read through one device. */
struct seen {
        char name[16];
        uint32_t bytes;  /* of its first SURVEY_BYTES that were read */
        char serial[21]; /* "" for svirtb, which has none */
        bool ok;
        uint8_t *data; /* SURVEY_BYTES */
};

static uint8_t ring_mem[SURVEY_RING] __attribute__((aligned(4096)));
static struct gsvb_entry gsvb_ring[SURVEY_QSIZE] __attribute__((aligned(4096)));
static uint8_t data[MAX_DEVS][SURVEY_BYTES] __attribute__((aligned(4096)));
static uint8_t id[VBLK_ID_BYTES] __attribute__((aligned(64)));
static struct seen seen[MAX_DEVS];
static unsigned nseen;

static bool is_print(uint8_t c)
{
        return c >= 0x20 && c < 0x7f;
}

/* hexdump -C style: 16 bytes a line, a run of equal lines shown as '*'. */
static void survey_hexdump(const uint8_t *p, uint32_t len)
{
        bool starred = false;

        for (uint32_t off = 0; off < len; off += 16) {
                if (off && memcmp(p + off, p + off - 16, 16) == 0) {
                        if (!starred)
                                printf("*\n");
                        starred = true;
                        continue;
                }
                starred = false;
                printf("%08x ", off);
                for (unsigned i = 0; i < 16; i++)
                        printf("%s%02x", i == 8 ? "  " : " ", p[off + i]);
                printf("  |");
                for (unsigned i = 0; i < 16; i++)
                        printf("%c", is_print(p[off + i]) ? p[off + i] : '.');
                printf("|\n");
        }
        printf("%08x\n", len);
}

static struct seen *survey_add(const char *name)
{
        struct seen *s = &seen[nseen];

        memset(s, 0, sizeof(*s));
        snprintf(s->name, sizeof(s->name), "%s", name);
        s->data = data[nseen++];
        return s;
}

static void survey_svirtb(void)
{
        const struct boot_info *b = &genv.boot;
        struct seen *s = survey_add("svirtb");
        struct svb d;
        int err;

        printf("svirtb at 0x%lx: %s\n", b->svirtb_base, b->svirtb_ro ? "read-only" : "writable");
        gsvb_bind(&d, b->svirtb_base);
        err = gsvb_reset(&d);
        if (!err)
                err = gsvb_init(&d, gpa_of(gsvb_ring), SURVEY_QSIZE);
        if (!err)
                err = gsvb_read(&d, 0, s->data, SURVEY_BYTES);
        if (err) {
                printf("  reading sectors 0-%u failed: %s\n", SURVEY_SECTORS - 1,
                       gsvb_strerror(err));
                return;
        }
        s->ok = true;
        s->bytes = SURVEY_BYTES; /* svirtb leaves bytes past the disk untouched */
        gsvb_reset(&d);
}

static void survey_virtio(unsigned i)
{
        const struct boot_virtio *v = &genv.boot.virtio[i];
        struct gblk blk;
        uint64_t n;
        uint8_t st = 0xff;
        char name[16], where[32];
        struct seen *s;
        int err;

        snprintf(name, sizeof(name), "virtio-blk%u", i);
        s = survey_add(name);
        memset(&blk, 0, sizeof(blk));
        err = gblk_probe(&blk, v->base);
        if (!err)
                err = gblk_init(&blk, ring_mem, sizeof(ring_mem), SURVEY_QSIZE);
        if (err) {
                if (gpci_is(v->base))
                        printf("%s at %s: not usable: %s\n", name,
                               gpci_describe(v->base, where, sizeof(where)),
                               gvio_err_name((enum gvio_err)err));
                else
                        printf("%s at 0x%lx: not usable: %s\n", name, v->base,
                               gvio_err_name((enum gvio_err)err));
                gvio_reset(&blk.io);
                return;
        }
        if (gpci_is(v->base))
                printf("%s at %s: virtio-pci, %lu sectors of 512 bytes, %s", name,
                       gpci_describe(v->base, where, sizeof(where)), blk.capacity,
                       blk.ro ? "read-only" : "writable");
        else
                printf("%s at 0x%lx: virtio-mmio version %u, %lu sectors of 512 bytes, %s", name,
                       v->base, blk.io.version, blk.capacity, blk.ro ? "read-only" : "writable");
        memset(id, 0, sizeof(id));
        if (gblk_io(&blk, VBLK_T_GET_ID, 0, id, sizeof(id), &st) == 0 && st == VBLK_S_OK) {
                for (unsigned k = 0; k < VBLK_ID_BYTES && id[k]; k++)
                        s->serial[k] = is_print(id[k]) ? (char)id[k] : '?';
                printf(", serial %s\n", s->serial[0] ? s->serial : "(empty)");
        } else {
                printf(", no serial (GET_ID status %u)\n", st);
        }
        n = blk.capacity < SURVEY_SECTORS ? blk.capacity : SURVEY_SECTORS;
        st = 0xff;
        if (n) {
                err = gblk_io(&blk, VBLK_T_IN, 0, s->data, (uint32_t)(n * VBLK_SECTOR), &st);
                if (err || st != VBLK_S_OK) {
                        printf("  reading sectors 0-%lu failed: %s (request status %u)\n", n - 1,
                               err ? gvio_err_name((enum gvio_err)err) : "OK", st);
                        gvio_reset(&blk.io);
                        return;
                }
        }
        s->ok = true;
        s->bytes = (uint32_t)(n * VBLK_SECTOR);
        gvio_reset(&blk.io);
}

/* Compares every device with the ones before it; dumps sector 0 of each new content. */
static bool survey_compare(void)
{
        bool good = true;

        for (unsigned i = 0; i < nseen; i++) {
                struct seen *a = &seen[i];
                int same = -1;

                if (!a->ok) {
                        good = false;
                        continue;
                }
                for (unsigned j = 0; j < i && same < 0; j++) {
                        struct seen *b = &seen[j];
                        uint32_t n = a->bytes < b->bytes ? a->bytes : b->bytes;

                        if (!b->ok || n == 0)
                                continue;
                        if (memcmp(a->data, b->data, n) == 0) {
                                printf("%s and %s agree on their first %u bytes\n", b->name,
                                       a->name, n);
                                same = (int)j;
                        } else if (a->serial[0] &&
                                   memcmp(a->serial, b->serial, sizeof(a->serial)) == 0) {
                                printf("%s and %s have the same serial (the same image) but "
                                       "differ in their first %u bytes\n",
                                       b->name, a->name, n);
                                good = false;
                        }
                }
                if (same < 0 && a->bytes) {
                        printf("sector 0 through %s:\n", a->name);
                        survey_hexdump(a->data, a->bytes < VBLK_SECTOR ? a->bytes : VBLK_SECTOR);
                }
        }
        return good;
}

int survey_main(void)
{
        bool good;

        printf("minivmm guest: no disk holds a test image: listing the disks, reading only\n");
        nseen = 0;
        if (genv.boot.has_svirtb)
                survey_svirtb();
        for (unsigned i = 0; i < genv.boot.nvirtio; i++)
                survey_virtio(i);
        good = survey_compare();
        printf("minivmm guest: to run the test suite, make a test image with\n"
               "  build/tools/mkdisk make FILE 2048   (installed: minivmm-mkdisk)\n"
               "and boot with --disk FILE\n");
        printf("survey: %u device%s, %s\n", nseen, nseen == 1 ? "" : "s",
               good ? "all read" : "a device failed");
        return good ? GUEST_EXIT_PASS : GUEST_EXIT_FAIL;
}
