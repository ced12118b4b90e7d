/*
 * driver personas: real drivers' register sequences and request layouts
 * (docs/virtio-mmio.md, "Real drivers"; the same sequences as
 * tests/unit/test_drivers.c), run against the first virtio disk from inside
 * a guest, under minivmm and under QEMU. Selected by name (driver_uboot_old)
 * or with driver=NAME (driver=uboot runs both U-Boot personas).
 *
 * Each persona: the driver's init sequence on the version the device has
 * (a driver that does not support it skips), a write of two sectors, a
 * read-back compared byte by byte, a flush where the driver sends one, then
 * the original bytes written back so the image stays a pristine test image.
 * Memory: the scratch area after the image (no .bss: zeroing it is slow
 * here). Completions are polled, with a bound.
 */
#include <string.h>

#include "tools/testdisk.h"

#include "console.h"
#include "guest.h"
#include "pci_drv.h"
#include "test.h"
#include "tests/tests.h"
#include "virtio_mmio_drv.h"

#define P_PAGE    4096u
#define P_SECTOR  124u /* two sectors no other test writes; restored afterwards */
#define P_BYTES   (2 * TD_SECTOR)
#define P_POLL    20000000u
#define T_IN      0u
#define T_OUT     1u
#define T_FLUSH   4u
#define T_GET_ID  8u
#define D_NEXT    1u
#define D_WRITE   2u
#define D_INDIR   4u
#define F_RO      5
#define F_FLUSH   9
#define F_SEG_MAX 2
#define F_BLKSZ   6
#define F_SIZEMAX 1

/* One persona's run: device, ring and buffers in the scratch area. */
struct pr {
        uint64_t base;
        bool legacy;
        uint16_t num;
        uint8_t *desc, *avail, *used; /* the three areas */
        uint8_t *hdr, *stat, *table, *data;
        uint16_t avail_idx, next_desc;
        bool indirect, event_idx;
};

static struct pr P;

static uint32_t rd(uint32_t off)
{
        return mmio_read32(P.base + off);
}

static void wr(uint32_t off, uint32_t v)
{
        mmio_write32(P.base + off, v);
}

static void status_add(uint32_t bits) /* read-modify-write, as most drivers do */
{
        wr(VIO_STATUS, rd(VIO_STATUS) | bits);
}

static uint64_t dev_features(bool hi_first)
{
        uint64_t lo, hi;

        wr(VIO_DEVICE_FEATURES_SEL, hi_first ? 1 : 0);
        if (hi_first)
                hi = rd(VIO_DEVICE_FEATURES);
        else
                lo = rd(VIO_DEVICE_FEATURES);
        wr(VIO_DEVICE_FEATURES_SEL, hi_first ? 0 : 1);
        if (hi_first)
                lo = rd(VIO_DEVICE_FEATURES);
        else
                hi = rd(VIO_DEVICE_FEATURES);
        return lo | hi << 32;
}

static void drv_features(uint64_t f, bool hi_first)
{
        for (int k = 0; k < 2; k++) {
                uint32_t sel = hi_first ? 1u - (uint32_t)k : (uint32_t)k;

                wr(VIO_DRIVER_FEATURES_SEL, sel);
                wr(VIO_DRIVER_FEATURES, (uint32_t)(f >> (32 * sel)));
        }
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
        return (v + a - 1) & ~(a - 1);
}

static void *scratch(uint64_t off)
{
        return (void *)(uintptr_t)(align_up(gpa_of(__image_end), P_PAGE) + off);
}

/*
 * Legacy layout (page-aligned used ring) for num entries, up to 1024 (QEMU's
 * QueueNumMax) in 8 pages; apart: the three areas pages apart, as drivers
 * with separate allocations place them.
 */
static int ring_place(uint32_t num, bool apart)
{
        uint64_t used_off = align_up(16ULL * num + 6 + 2ULL * num, P_PAGE);

        EXPECT(num >= 1 && num <= 1024 && (num & (num - 1)) == 0, "QueueNumMax %u", num);
        P.num = (uint16_t)num;
        P.desc = scratch(0);
        P.avail = apart ? scratch(5 * P_PAGE) : P.desc + 16ULL * num;
        P.used = apart ? scratch(6 * P_PAGE) : P.desc + used_off;
        memset(P.desc, 0, 8 * P_PAGE);
        P.hdr = scratch(8 * P_PAGE);
        P.stat = P.hdr + 64;
        P.table = P.hdr + 128;
        P.data = scratch(9 * P_PAGE);
        P.avail_idx = P.next_desc = 0;
        return TEST_PASS;
}

static void queue_v2(void)
{
        wr(VIO_QUEUE_NUM, P.num);
        wr(VIO_QUEUE_DESC_LOW, (uint32_t)gpa_of(P.desc));
        wr(VIO_QUEUE_DESC_HIGH, (uint32_t)(gpa_of(P.desc) >> 32));
        wr(VIO_QUEUE_DRIVER_LOW, (uint32_t)gpa_of(P.avail));
        wr(VIO_QUEUE_DRIVER_HIGH, (uint32_t)(gpa_of(P.avail) >> 32));
        wr(VIO_QUEUE_DEVICE_LOW, (uint32_t)gpa_of(P.used));
        wr(VIO_QUEUE_DEVICE_HIGH, (uint32_t)(gpa_of(P.used) >> 32));
        wr(VIO_QUEUE_READY, 1);
}

static void queue_v1(void)
{
        wr(VIO_QUEUE_NUM, P.num);
        wr(VIO_QUEUE_ALIGN, P_PAGE);
        wr(VIO_QUEUE_PFN, (uint32_t)(gpa_of(P.desc) / P_PAGE));
}

/* Queue 0, not yet set up, at QueueNumMax entries in one block (v1 or v2). */
static int queue_at_max(void)
{
        wr(VIO_QUEUE_SEL, 0);
        EXPECT(rd(P.legacy ? VIO_QUEUE_PFN : VIO_QUEUE_READY) == 0, "queue already set up");
        TRY(ring_place(rd(VIO_QUEUE_NUM_MAX), false));
        if (P.legacy)
                queue_v1();
        else
                queue_v2();
        return TEST_PASS;
}

static void put16(uint8_t *p, uint16_t v)
{
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
}

static uint16_t get16(const volatile uint8_t *p)
{
        return (uint16_t)(p[0] | p[1] << 8);
}

static void put_desc(uint8_t *table, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
                     uint16_t next)
{
        uint8_t *d = table + 16u * i;

        for (int k = 0; k < 8; k++)
                d[k] = (uint8_t)(addr >> (8 * k));
        for (int k = 0; k < 4; k++)
                d[8 + k] = (uint8_t)(len >> (8 * k));
        put16(d + 12, flags);
        put16(d + 14, next);
}

/* One request in the persona's shape, polled to completion; 0 or a test failure. */
static int request(uint32_t type, uint64_t sector, uint32_t len)
{
        uint16_t head = P.next_desc, old = P.avail_idx, ev;
        uint16_t dflags = (type == T_IN || type == T_GET_ID) ? D_WRITE : 0;
        uint8_t *t = P.indirect ? P.table : P.desc;
        uint16_t b = P.indirect ? 0 : head, n = len ? 3 : 2;

        memset(P.hdr, 0, 16);
        P.hdr[0] = (uint8_t)type;
        for (int k = 0; k < 8; k++)
                P.hdr[8 + k] = (uint8_t)(sector >> (8 * k));
        *P.stat = 0xff;
        put_desc(t, b, gpa_of(P.hdr), 16, D_NEXT, (uint16_t)((b + 1) % (P.indirect ? 3 : P.num)));
        if (len)
                put_desc(t, (uint16_t)((b + 1) % (P.indirect ? 3 : P.num)), gpa_of(P.data), len,
                         dflags | D_NEXT, (uint16_t)((b + 2) % (P.indirect ? 3 : P.num)));
        put_desc(t, (uint16_t)((b + n - 1) % (P.indirect ? 3 : P.num)), gpa_of(P.stat), 1, D_WRITE,
                 0);
        if (P.indirect)
                put_desc(P.desc, head, gpa_of(P.table), 16u * n, D_INDIR, 0);
        P.next_desc = (uint16_t)((head + (P.indirect ? 1 : n)) % P.num);
        put16(P.avail + 4 + 2u * (P.avail_idx % P.num), head);
        barrier();
        P.avail_idx++;
        put16(P.avail + 2, P.avail_idx);
        barrier();
        ev = get16(P.used + 4 + 8u * P.num);
        if (!P.event_idx || (uint16_t)(P.avail_idx - ev - 1) < (uint16_t)(P.avail_idx - old))
                wr(VIO_QUEUE_NOTIFY, 0);
        for (uint32_t k = 0; get16(P.used + 2) != P.avail_idx; k++)
                EXPECT(k < P_POLL, "type %u: no completion (used.idx %u, avail.idx %u)", type,
                       get16(P.used + 2), P.avail_idx);
        barrier();
        EXPECT(*(volatile uint8_t *)P.stat == 0, "type %u: status %u", type, *P.stat);
        EXPECT(!(rd(VIO_STATUS) & VIO_S_NEEDS_RESET), "DEVICE_NEEDS_RESET after type %u", type);
        return TEST_PASS;
}

static uint8_t pattern(uint32_t i)
{
        return (uint8_t)(i * 29u + 11u);
}

/* Write, read back, flush if the driver does, restore: the persona's I/O. */
static int persona_io(bool flush)
{
        uint64_t n = genv.vdisk[0].sectors;

        for (uint32_t i = 0; i < P_BYTES; i++)
                P.data[i] = pattern(i);
        TRY(request(T_OUT, P_SECTOR, P_BYTES));
        memset(P.data, 0xee, P_BYTES);
        TRY(request(T_IN, P_SECTOR, P_BYTES));
        for (uint32_t i = 0; i < P_BYTES; i++)
                EXPECT(P.data[i] == pattern(i), "read back byte %u: 0x%02x", i, P.data[i]);
        if (flush)
                TRY(request(T_FLUSH, 0, 0));
        for (uint32_t i = 0; i < P_BYTES; i++)
                P.data[i] = td_orig_byte(P_SECTOR + i / TD_SECTOR, n, i % TD_SECTOR);
        TRY(request(T_OUT, P_SECTOR, P_BYTES));
        if (flush)
                TRY(request(T_FLUSH, 0, 0));
        wr(VIO_STATUS, 0);
        return TEST_PASS;
}

/* The first virtio disk, a writable test image; its version. */
static int persona_start(void)
{
        const struct vdisk *v = &genv.vdisk[0];

        if (!v->test_image || v->sectors <= P_SECTOR + 2)
                return test_skip("the first virtio disk is not a test image");
        if (gpci_is(genv.boot.virtio[0].base))
                return test_skip(
                    "the first virtio disk is on PCI: personas are virtio-mmio drivers");
        if (align_up(gpa_of(__image_end), P_PAGE) + 11 * P_PAGE > genv.boot.fdt_addr)
                return test_fail("no room for the persona's rings below the FDT");
        P = (struct pr){.base = genv.boot.virtio[0].base, .legacy = v->version == 1};
        printf("persona: virtio-mmio version %u\n", v->version);
        EXPECT(rd(VIO_MAGIC_VALUE) == VIO_MAGIC, "magic 0x%x", rd(VIO_MAGIC_VALUE));
        EXPECT(rd(VIO_DEVICE_ID) == VIO_ID_BLOCK, "device id %u", rd(VIO_DEVICE_ID));
        return TEST_PASS;
}

static int expect_status(uint32_t want)
{
        EXPECT(rd(VIO_STATUS) == want, "Status 0x%x, want 0x%x", rd(VIO_STATUS), want);
        return TEST_PASS;
}

/* U-Boot (old: DRIVER right after the reset; new: ACKNOWLEDGE first). */
static int uboot(bool new_release)
{
        uint32_t want;

        TRY(persona_start());
        if (P.legacy)
                wr(VIO_GUEST_PAGE_SIZE, P_PAGE);
        status_add(VIO_S_ACKNOWLEDGE);
        wr(VIO_STATUS, 0);
        if (new_release)
                status_add(VIO_S_ACKNOWLEDGE);
        status_add(VIO_S_DRIVER);
        drv_features(dev_features(true) & VIO_BIT(VIO_F_VERSION_1), true);
        if (!P.legacy) {
                status_add(VIO_S_FEATURES_OK);
                EXPECT(rd(VIO_STATUS) & VIO_S_FEATURES_OK, "device refuses features: 0x%x",
                       rd(VIO_STATUS));
        }
        TRY(queue_at_max());
        status_add(VIO_S_DRIVER_OK);
        want = (new_release ? VIO_S_ACKNOWLEDGE : 0) | VIO_S_DRIVER | VIO_S_DRIVER_OK |
               (P.legacy ? 0 : VIO_S_FEATURES_OK);
        TRY(expect_status(want));
        return persona_io(false);
}

int test_driver_uboot_old(void)
{
        return uboot(false);
}

int test_driver_uboot_new(void)
{
        return uboot(true);
}

/* rcore virtio-drivers (0.11: no VERSION_1; 0.12: VERSION_1 accepted). */
static int rcore(bool r012)
{
        uint64_t sup = VIO_BIT(F_RO) | VIO_BIT(F_FLUSH) | VIO_BIT(VIO_F_INDIRECT_DESC) |
                       VIO_BIT(VIO_F_EVENT_IDX) | (r012 ? VIO_BIT(VIO_F_VERSION_1) : 0);
        uint64_t neg;

        TRY(persona_start());
        wr(VIO_STATUS, 0);
        wr(VIO_STATUS, VIO_S_ACKNOWLEDGE | VIO_S_DRIVER);
        neg = dev_features(false) & sup;
        drv_features(neg, false);
        wr(VIO_STATUS, VIO_S_ACKNOWLEDGE | VIO_S_DRIVER | VIO_S_FEATURES_OK);
        if (P.legacy)
                wr(VIO_GUEST_PAGE_SIZE, P_PAGE);
        wr(VIO_QUEUE_SEL, 0);
        EXPECT(rd(VIO_QUEUE_NUM_MAX) >= 16, "QueueNumMax %u", rd(VIO_QUEUE_NUM_MAX));
        TRY(ring_place(16, !P.legacy));
        if (P.legacy)
                queue_v1();
        else
                queue_v2();
        wr(VIO_STATUS, VIO_S_ACKNOWLEDGE | VIO_S_DRIVER | VIO_S_FEATURES_OK | VIO_S_DRIVER_OK);
        TRY(expect_status(VIO_S_ACKNOWLEDGE | VIO_S_DRIVER | VIO_S_FEATURES_OK | VIO_S_DRIVER_OK));
        P.indirect = neg & VIO_BIT(VIO_F_INDIRECT_DESC);
        P.event_idx = neg & VIO_BIT(VIO_F_EVENT_IDX);
        return persona_io(neg & VIO_BIT(F_FLUSH));
}

int test_driver_rcore_011(void)
{
        return rcore(false);
}

int test_driver_rcore_012(void)
{
        return rcore(true);
}

/* Linux: ACKNOWLEDGE, DRIVER, FEATURES_OK read back, indirect, EVENT_IDX, FLUSH, GET_ID. */
int test_driver_linux(void)
{
        uint64_t neg;
        uint32_t gen;

        TRY(persona_start());
        if (P.legacy)
                wr(VIO_GUEST_PAGE_SIZE, P_PAGE);
        wr(VIO_STATUS, 0);
        status_add(VIO_S_ACKNOWLEDGE);
        status_add(VIO_S_DRIVER);
        neg =
            dev_features(true) & (VIO_BIT(VIO_F_VERSION_1) | VIO_BIT(F_SEG_MAX) | VIO_BIT(F_BLKSZ) |
                                  VIO_BIT(F_FLUSH) | VIO_BIT(F_RO) | VIO_BIT(F_SIZEMAX) |
                                  VIO_BIT(VIO_F_INDIRECT_DESC) | VIO_BIT(VIO_F_EVENT_IDX));
        drv_features(neg, true);
        if (!P.legacy) {
                status_add(VIO_S_FEATURES_OK);
                EXPECT(rd(VIO_STATUS) & VIO_S_FEATURES_OK, "FEATURES_OK refused");
                for (int k = 0;; k++) { /* capacity in a generation loop */
                        EXPECT(k < 100, "ConfigGeneration keeps changing");
                        gen = rd(VIO_CONFIG_GENERATION);
                        (void)rd(VIO_CONFIG);
                        (void)rd(VIO_CONFIG + 4);
                        if (gen == rd(VIO_CONFIG_GENERATION))
                                break;
                }
        }
        TRY(queue_at_max());
        status_add(VIO_S_DRIVER_OK);
        P.indirect = neg & VIO_BIT(VIO_F_INDIRECT_DESC);
        P.event_idx = neg & VIO_BIT(VIO_F_EVENT_IDX);
        TRY(request(T_GET_ID, 0, 20));
        return persona_io(neg & VIO_BIT(F_FLUSH));
}

/* Tock: version 2 only, VERSION_1 required, no block feature accepted, queue of 8 apart. */
int test_driver_tock(void)
{
        TRY(persona_start());
        if (P.legacy)
                return test_skip("Tock drives virtio-mmio version 2 only");
        wr(VIO_STATUS, 0);
        status_add(VIO_S_ACKNOWLEDGE);
        status_add(VIO_S_DRIVER);
        EXPECT(dev_features(false) & VIO_BIT(VIO_F_VERSION_1), "no VERSION_1 offered");
        drv_features(VIO_BIT(VIO_F_VERSION_1), false);
        status_add(VIO_S_FEATURES_OK);
        EXPECT(rd(VIO_STATUS) & VIO_S_FEATURES_OK, "FEATURES_OK refused");
        wr(VIO_QUEUE_SEL, 0);
        EXPECT(rd(VIO_QUEUE_READY) == 0, "queue already set up");
        EXPECT(rd(VIO_QUEUE_NUM_MAX) >= 8, "QueueNumMax %u", rd(VIO_QUEUE_NUM_MAX));
        TRY(ring_place(8, true));
        queue_v2();
        status_add(VIO_S_DRIVER_OK);
        return persona_io(false);
}

/* VeridianOS: ACK|DRIVER at once, feature word 0 only, FEATURES_OK read back on both versions. */
int test_driver_veridian(void)
{
        uint32_t neg;
        uint16_t num;

        TRY(persona_start());
        wr(VIO_STATUS, 0);
        status_add(VIO_S_ACKNOWLEDGE | VIO_S_DRIVER);
        wr(VIO_DEVICE_FEATURES_SEL, 0);
        neg = rd(VIO_DEVICE_FEATURES) &
              (uint32_t)(VIO_BIT(F_SIZEMAX) | VIO_BIT(F_SEG_MAX) | VIO_BIT(F_RO) |
                         VIO_BIT(F_BLKSZ) | VIO_BIT(F_FLUSH));
        wr(VIO_DRIVER_FEATURES_SEL, 0);
        wr(VIO_DRIVER_FEATURES, neg);
        status_add(VIO_S_FEATURES_OK);
        EXPECT(rd(VIO_STATUS) & VIO_S_FEATURES_OK, "FEATURES_OK refused: 0x%x", rd(VIO_STATUS));
        wr(VIO_QUEUE_SEL, 0);
        num = (uint16_t)rd(VIO_QUEUE_NUM_MAX);
        TRY(ring_place(num, false));
        if (P.legacy) {
                wr(VIO_QUEUE_NUM, num);
                wr(VIO_GUEST_PAGE_SIZE, P_PAGE);
                wr(VIO_QUEUE_ALIGN, P_PAGE);
                wr(VIO_QUEUE_PFN, (uint32_t)(gpa_of(P.desc) / P_PAGE));
        } else {
                queue_v2();
        }
        status_add(VIO_S_DRIVER_OK);
        (void)rd(VIO_CONFIG);
        (void)rd(VIO_CONFIG + 4);
        return persona_io(false);
}
