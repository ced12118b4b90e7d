/*
 * virtio tests: virtio-mmio block devices (found only through the FDT's
 * "virtio,mmio" nodes) through the guest drivers: transport (v1 and v2),
 * split virtqueue, virtio-blk requests, interrupts.
 *
 * Every test starts from probe + init of the devices it uses, so it does not
 * depend on what ran before it. complete=irq makes every test wait for
 * completions by interrupt; virtio_interrupt_completion always does.
 * Data is checked against the test disk layout (tools/testdisk.h): write
 * tests write only the TD_VSEC_* sectors, on the first virtio disk (which
 * also backs svirtb), and never on a disk that is not a test image.
 */
#include <string.h>

#include "tools/testdisk.h"

#include "console.h"
#include "guest.h"
#include "irq.h"
#include "pci_drv.h"
#include "test.h"
#include "tests/tests.h"
#include "virtio_blk_drv.h"

#define PAGE          4096u
#define RING_BYTES    (3 * PAGE) /* gvq_mem_size(256) = 10246 */
#define QSIZE         256u
#define QSIZE_WRAP    8u  /* virtio_ring_wrap: fewer slots than requests */
#define QSIZE_FLIGHT  16u /* virtio_many_in_flight */
#define VENDOR_MINIVM 0x4d564d4du
#define VIO_SLOT_BASE 0xd0000000ULL /* minivmm's virtio-mmio slots, 4 KiB apart */
#define FILL          0xee          /* what buffers hold before the device writes them */

#define BUF_BYTES (24 * TD_SECTOR)
#define ITABLE_N  (VBLK_MAX_SEGS + 2)

/*
 * Rings, data buffers, indirect tables and the driver instances live in the
 * RAM right after the image (scratch_init), not in .bss: zeroing .bss at boot
 * costs about 0.5 s per MiB here, and only the instances of the devices
 * present need zeroing. svirtb_high_buffer uses RAM halfway to the FDT,
 * far above this.
 */
static uint8_t *ring_mem[BOOT_MAX_VIRTIO];
static uint8_t *buf_a, *buf_b;
static struct gvq_desc (*itables)[ITABLE_N];
static char scratch_problem[96];
static struct gblk_req reqs[TD_VN_WRAP > QSIZE_FLIGHT ? TD_VN_WRAP : QSIZE_FLIGHT];
static struct gblk *vb; /* boot.nvirtio of them, zeroed by scratch_init */
static char ebuf[160];

_Static_assert(TD_VN_WRAP *TD_SECTOR <= BUF_BYTES && QSIZE_FLIGHT * TD_SECTOR <= BUF_BYTES,
               "buffers too small");

static uint64_t align_page(uint64_t v)
{
        return (v + PAGE - 1) & ~(uint64_t)(PAGE - 1);
}

/* Places the scratch areas after the image; false if they do not fit below
 * the FDT in RAM. */
static bool scratch_init(void)
{
        uint64_t start = align_page(gpa_of(__image_end)), p = start;

        buf_a = (uint8_t *)(uintptr_t)p;
        p += BUF_BYTES;
        buf_b = (uint8_t *)(uintptr_t)p;
        p += BUF_BYTES;
        itables = (struct gvq_desc(*)[ITABLE_N])(uintptr_t)p;
        p = align_page(p + QSIZE_FLIGHT * sizeof(itables[0]));
        for (unsigned i = 0; i < genv.boot.nvirtio; i++, p += RING_BYTES)
                ring_mem[i] = (uint8_t *)(uintptr_t)p;
        vb = (struct gblk *)(uintptr_t)p;
        p += genv.boot.nvirtio * sizeof(vb[0]);
        if (p > genv.boot.fdt_addr || !boot_in_ram(&genv.boot, start, p - start)) {
                snprintf(scratch_problem, sizeof(scratch_problem),
                         "no RAM for rings and buffers at [0x%lx, 0x%lx)", start, p);
                return false;
        }
        memset(vb, 0, genv.boot.nvirtio * sizeof(vb[0]));
        return true;
}

/* The features the tests accept: the driver's, without EVENT_IDX under
 * event_idx=off (so both ring notification schemes can be tested on one
 * device). */
static uint64_t supported(void)
{
        return genv.no_event_idx ? VBLK_SUPPORTED & ~VIO_BIT(VIO_F_EVENT_IDX) : VBLK_SUPPORTED;
}

/* Text for error e of device i, with the values the transport recorded. */
static const char *err_text(unsigned i, int e)
{
        if ((int)vb[i].io.err.code == e)
                return gvio_strerror(&vb[i].io, ebuf, sizeof(ebuf));
        return gvio_err_name((enum gvio_err)e);
}

/* A request's status byte by name (VIRTIO 1.2 §5.2.6). */
static const char *status_name(uint8_t st)
{
        switch (st) {
        case VBLK_S_OK:
                return "OK (0)";
        case VBLK_S_IOERR:
                return "IOERR (1)";
        case VBLK_S_UNSUPP:
                return "UNSUPP (2)";
        }
        return "not a status (neither 0, 1 nor 2)";
}

static uint32_t status_of(unsigned i)
{
        return gvio_read(&vb[i].io, VIO_STATUS);
}

/* A driver call on device i that must succeed. */
#define DRV_OK(i, call)                                                                            \
        do {                                                                                       \
                int e_ = (call);                                                                   \
                if (e_)                                                                            \
                        return test_fail("virtio-blk%u: %s: %s (status 0x%x)", (i), #call,         \
                                         err_text((i), e_), status_of(i));                         \
        } while (0)

/* Probe + init of device i with a ring of up to qsize entries, completion
 * by interrupt when irq. */
static int vsetup_mode(unsigned i, uint16_t qsize, bool irq)
{
        const struct boot_virtio *v = &genv.boot.virtio[i];
        struct gblk *b = &vb[i];
        int e;

        EXPECT(!scratch_problem[0], "%s", scratch_problem);
        gvio_irq_off(&b->io);
        e = gblk_probe(b, v->base);
        EXPECT(!e, "virtio-blk%u: probe at 0x%lx: %s", i, v->base, err_text(i, e));
        if (irq) {
                EXPECT(v->has_irq, "virtio-blk%u: no usable interrupt in the FDT: %s", i,
                       v->irq_problem);
                e = gvio_irq_setup(&b->io, v->ioapic_base, v->gsi, v->sense,
                                   (uint8_t)(IRQ_VECTOR_DEVICE + i));
                EXPECT(!e, "virtio-blk%u: cannot route GSI %u (sense %u) at IOAPIC 0x%lx", i,
                       v->gsi, v->sense, v->ioapic_base);
        }
        DRV_OK(i, gblk_init_features(b, ring_mem[i], RING_BYTES, qsize, supported(), 0));
        return TEST_PASS;
}

static int vsetup(unsigned i, uint16_t qsize)
{
        return vsetup_mode(i, qsize, genv.virtio_irq);
}

static int need_image(unsigned i)
{
        const struct vdisk *d = &genv.vdisk[i];

        EXPECT(d->ok && d->test_image, "virtio-blk%u: %s", i, d->problem);
        return TEST_PASS;
}

/* Write tests call this first: never write to a disk that is not a test image. */
static int may_write(unsigned i)
{
        const struct vdisk *d = &genv.vdisk[i];

        EXPECT(d->ok && d->test_image, "refusing to write virtio-blk%u: %s", i, d->problem);
        EXPECT(!d->ro, "refusing to write virtio-blk%u: read-only", i);
        return TEST_PASS;
}

static void fill_written(uint8_t *p, uint64_t s)
{
        for (uint32_t k = 0; k < TD_SECTOR; k++)
                p[k] = td_write_byte(s, k);
}

/* p holds the original bytes of sector s of disk i. */
static int check_orig(unsigned i, const uint8_t *p, uint64_t s)
{
        for (uint32_t k = 0; k < TD_SECTOR; k++) {
                uint8_t want = td_orig_byte(s, genv.vdisk[i].sectors, k);

                EXPECT(p[k] == want,
                       "virtio-blk%u sector %lu byte %u: got 0x%02x, want original 0x%02x", i, s, k,
                       p[k], want);
        }
        return TEST_PASS;
}

/* p holds what the write tests write to sector s. */
static int check_written(unsigned i, const uint8_t *p, uint64_t s)
{
        for (uint32_t k = 0; k < TD_SECTOR; k++) {
                uint8_t want = td_write_byte(s, k);

                EXPECT(p[k] == want,
                       "virtio-blk%u sector %lu byte %u: got 0x%02x, want written 0x%02x", i, s, k,
                       p[k], want);
        }
        return TEST_PASS;
}

static int check_fill(const uint8_t *p, size_t n, const char *what)
{
        for (size_t k = 0; k < n; k++)
                EXPECT(p[k] == FILL, "%s: byte %lu is 0x%02x, want untouched 0x%02x", what, k, p[k],
                       FILL);
        return TEST_PASS;
}

/* A completed request: status want and used.len len (B9). */
static int check_req(unsigned i, const struct gblk_req *r, uint8_t want, uint32_t len,
                     const char *what)
{
        EXPECT(r->done, "virtio-blk%u: %s: not completed", i, what);
        EXPECT(r->status == want, "virtio-blk%u: %s: status %u, want %u", i, what, r->status, want);
        EXPECT(r->used_len == len, "virtio-blk%u: %s: used.len %u, want %u", i, what, r->used_len,
               len);
        return TEST_PASS;
}

/* One request on device i with one data buffer; status and used.len checked. */
static int io_one(unsigned i, uint32_t type, uint64_t s, void *buf, uint32_t len, uint8_t want,
                  uint32_t want_len, const char *what)
{
        struct gblk_req r = {0};
        struct gvq_buf d = {buf, len, false};

        DRV_OK(i, gblk_do(&vb[i], &r, type, s, &d, len ? 1 : 0));
        return check_req(i, &r, want, want_len, what);
}

/* Reads n sectors at s of disk i into buf_b and checks them original. */
static int read_check_orig(unsigned i, uint64_t s, uint32_t n)
{
        memset(buf_b, FILL, n * TD_SECTOR);
        TRY(io_one(i, VBLK_T_IN, s, buf_b, n * TD_SECTOR, VBLK_S_OK, n * TD_SECTOR + 1, "read"));
        for (uint32_t k = 0; k < n; k++)
                TRY(check_orig(i, buf_b + k * TD_SECTOR, s + k));
        return TEST_PASS;
}

/* Reads n sectors at s of disk i into buf_b and checks them written. */
static int read_check_written(unsigned i, uint64_t s, uint32_t n)
{
        memset(buf_b, FILL, n * TD_SECTOR);
        TRY(io_one(i, VBLK_T_IN, s, buf_b, n * TD_SECTOR, VBLK_S_OK, n * TD_SECTOR + 1, "read"));
        for (uint32_t k = 0; k < n; k++)
                TRY(check_written(i, buf_b + k * TD_SECTOR, s + k));
        return TEST_PASS;
}

/* Writes the write pattern to n sectors at s of disk i in one request. */
static int write_pattern(unsigned i, uint64_t s, uint32_t n)
{
        for (uint32_t k = 0; k < n; k++)
                fill_written(buf_a + k * TD_SECTOR, s + k);
        return io_one(i, VBLK_T_OUT, s, buf_a, n * TD_SECTOR, VBLK_S_OK, 1, "write");
}

static uint64_t le64(const uint8_t *p)
{
        uint64_t v = 0;

        for (int k = 7; k >= 0; k--)
                v = (v << 8) | p[k];
        return v;
}

/* Boot-time probe of every virtio device (polling): fills genv.vdisk. */
void virtio_probe_disks(void)
{
        if (genv.boot.nvirtio && !scratch_init()) {
                for (unsigned i = 0; i < genv.boot.nvirtio; i++)
                        snprintf(genv.vdisk[i].problem, sizeof(genv.vdisk[i].problem), "%s",
                                 scratch_problem);
                return;
        }
        for (unsigned i = 0; i < genv.boot.nvirtio; i++) {
                struct vdisk *d = &genv.vdisk[i];
                struct gblk *b = &vb[i];
                uint8_t st = 0xff;
                uint64_t n;
                int e;

                e = gblk_probe(b, genv.boot.virtio[i].base);
                if (!e)
                        e = gblk_init_features(b, ring_mem[i], RING_BYTES, QSIZE, supported(), 0);
                if (!e)
                        e = gblk_io(b, VBLK_T_IN, 0, buf_b, TD_SECTOR, &st);
                if (e || st != VBLK_S_OK) {
                        if (e)
                                snprintf(d->problem, sizeof(d->problem),
                                         "boot probe at 0x%lx failed: %s", genv.boot.virtio[i].base,
                                         err_text(i, e));
                        else
                                snprintf(d->problem, sizeof(d->problem),
                                         "boot probe at 0x%lx failed: reading sector 0 "
                                         "returned status %s",
                                         genv.boot.virtio[i].base, status_name(st));
                        gvio_reset(&b->io);
                        continue;
                }
                d->ok = true;
                d->version = b->io.version;
                d->capacity = b->capacity;
                d->ro = b->ro;
                n = le64(buf_b + 16);
                if (memcmp(buf_b, TD_MAGIC, 8) != 0)
                        snprintf(d->problem, sizeof(d->problem),
                                 "sector 0 lacks \"" TD_MAGIC "\": not a minivmm test disk");
                else if (le64(buf_b + 8) != 0 || n < TD_MIN_SECTORS || n != b->capacity)
                        snprintf(d->problem, sizeof(d->problem),
                                 "sector 0 header is bad (sector %lu, %lu sectors, capacity %lu)",
                                 le64(buf_b + 8), n, b->capacity);
                else {
                        d->test_image = true;
                        d->sectors = n;
                }
                gvio_reset(&b->io);
        }
}

/* The vendor ID the device reports: minivmm's own on virtio-mmio, the PCI vendor on PCI. */
static uint32_t vendor_of(unsigned i)
{
        return gpci_is(genv.boot.virtio[i].base) ? GPCI_VENDOR_VIRTIO : VENDOR_MINIVM;
}

/* Legacy virtio-pci has no QueueNum: the ring is as large as the device says (§4.1.4.8). */
static int need_sizable_queue(unsigned i)
{
        if (gpci_is(genv.boot.virtio[i].base) && genv.vdisk[i].version == 1)
                return test_skip("legacy virtio-pci: the queue size is the device's, not chosen");
        return TEST_PASS;
}

int test_virtio_identify(void)
{
        /* Bits a device must never offer without implementing them (M13). */
        static const uint64_t never =
            VIO_BIT(33) /* ACCESS_PLATFORM */ | VIO_BIT(34) /* RING_PACKED */ |
            VIO_BIT(38) /* NOTIFICATION_DATA */ | VIO_BIT(40) /* RING_RESET */;

        for (unsigned i = 0; i < genv.boot.nvirtio; i++) {
                struct gvio_dev *d = &vb[i].io;
                uint32_t v;
                bool v1_offered;

                TRY(need_image(i));
                TRY(vsetup(i, QSIZE));
                v = gvio_read(d, VIO_MAGIC_VALUE);
                EXPECT(v == VIO_MAGIC, "virtio-blk%u: magic 0x%x", i, v);
                v = gvio_read(d, VIO_VERSION);
                EXPECT(v == 1 || v == 2, "virtio-blk%u: version %u", i, v);
                v = gvio_read(d, VIO_DEVICE_ID);
                EXPECT(v == VIO_ID_BLOCK, "virtio-blk%u: device ID %u, want 2", i, v);
                v = gvio_read(d, VIO_VENDOR_ID);
                /* minivmm's vendor ID and M13 are minivmm's rules; under a PVH
                 * boot (QEMU) the device is someone else's. */
                EXPECT(genv.boot.pvh || v == vendor_of(i), "virtio-blk%u: vendor 0x%x, want 0x%x",
                       i, v, vendor_of(i));
                printf("virtio-blk%u: version %u, capacity %lu sectors, ro %d, features 0x%lx\n", i,
                       d->version, vb[i].capacity, vb[i].ro, d->offered);
                v1_offered = (d->offered & VIO_BIT(VIO_F_VERSION_1)) != 0;
                EXPECT(v1_offered == (d->version == 2),
                       "virtio-blk%u: version %u but VERSION_1 %soffered (features 0x%lx)", i,
                       d->version, v1_offered ? "" : "not ", d->offered);
                EXPECT(d->version == 2 || d->offered >> 32 == 0,
                       "virtio-blk%u: legacy device offers bits above 31 (features 0x%lx)", i,
                       d->offered);
                EXPECT(genv.boot.pvh || !(d->offered & never),
                       "virtio-blk%u: offers unimplementable features 0x%lx", i,
                       d->offered & never);
                EXPECT(vb[i].capacity == genv.vdisk[i].sectors,
                       "virtio-blk%u: capacity %lu, but sector 0 says %lu sectors", i,
                       vb[i].capacity, genv.vdisk[i].sectors);
                EXPECT(vb[i].capacity == genv.vdisk[i].capacity,
                       "virtio-blk%u: capacity %lu, %lu at boot", i, vb[i].capacity,
                       genv.vdisk[i].capacity);
                if (d->negotiated & VIO_BIT(VBLK_F_SEG_MAX))
                        EXPECT(vb[i].seg_max >= 1 && vb[i].seg_max <= vb[i].q.num - 2u,
                               "virtio-blk%u: seg_max %u not in 1..%u (B11)", i, vb[i].seg_max,
                               vb[i].q.num - 2u);
                if (d->negotiated & VIO_BIT(VBLK_F_BLK_SIZE))
                        EXPECT(vb[i].blk_size >= 512 && !(vb[i].blk_size & (vb[i].blk_size - 1)),
                               "virtio-blk%u: blk_size %u", i, vb[i].blk_size);
                TRY(read_check_orig(i, 0, 1));
        }
        return TEST_PASS;
}

int test_virtio_read_single(void)
{
        uint64_t last;

        TRY(need_image(0));
        TRY(vsetup(0, QSIZE));
        last = genv.vdisk[0].sectors - 1;
        TRY(read_check_orig(0, 0, 1));
        TRY(read_check_orig(0, 3, 1));
        TRY(read_check_orig(0, last, 1));
        return TEST_PASS;
}

int test_virtio_write_read_single(void)
{
        TRY(may_write(0));
        TRY(vsetup(0, QSIZE));
        TRY(write_pattern(0, TD_VSEC_SINGLE, TD_VN_SINGLE));
        TRY(read_check_written(0, TD_VSEC_SINGLE, TD_VN_SINGLE));
        /* The next sector is in no write list: the write did not spill. */
        return read_check_orig(0, TD_VSEC_SINGLE + TD_VN_SINGLE, 1);
}

int test_virtio_multi_sector(void)
{
        TRY(may_write(0));
        TRY(vsetup(0, QSIZE));
        TRY(write_pattern(0, TD_VSEC_MULTI, TD_VN_MULTI));
        TRY(read_check_written(0, TD_VSEC_MULTI, TD_VN_MULTI));
        return read_check_orig(0, TD_VSEC_MULTI + TD_VN_MULTI, 1);
}

/* Pieces of TD_VN_SPLIT sectors at offsets in a buffer, with gaps between. */
struct piece {
        uint32_t off; /* in the buffer */
        uint32_t len;
};

int test_virtio_data_split_descriptors(void)
{
        /* Write as 512 + 256 + 256, read back as 256 + 512 + 256 (crossing the
         * sector boundary), each piece 1 KiB from the last. */
        static const struct piece wr[] = {{0, 512}, {1024, 256}, {2048, 256}};
        static const struct piece rd[] = {{0, 256}, {1024, 512}, {2048, 256}};
        struct gvq_buf d[3];
        struct gblk_req r = {0};
        uint8_t data[TD_VN_SPLIT * TD_SECTOR];
        uint32_t at;

        _Static_assert(TD_VN_SPLIT * TD_SECTOR == 1024, "split pieces assume 2 sectors");
        TRY(may_write(0));
        TRY(vsetup(0, QSIZE));
        for (uint32_t k = 0; k < TD_VN_SPLIT; k++)
                fill_written(data + k * TD_SECTOR, TD_VSEC_SPLIT + k);
        memset(buf_a, FILL, 3 * 1024);
        at = 0;
        for (int k = 0; k < 3; k++) {
                memcpy(buf_a + wr[k].off, data + at, wr[k].len);
                d[k] = (struct gvq_buf){buf_a + wr[k].off, wr[k].len, false};
                at += wr[k].len;
        }
        DRV_OK(0, gblk_do(&vb[0], &r, VBLK_T_OUT, TD_VSEC_SPLIT, d, 3));
        TRY(check_req(0, &r, VBLK_S_OK, 1, "split write"));

        memset(buf_b, FILL, 3 * 1024);
        for (int k = 0; k < 3; k++)
                d[k] = (struct gvq_buf){buf_b + rd[k].off, rd[k].len, false};
        DRV_OK(0, gblk_do(&vb[0], &r, VBLK_T_IN, TD_VSEC_SPLIT, d, 3));
        TRY(check_req(0, &r, VBLK_S_OK, TD_VN_SPLIT * TD_SECTOR + 1, "split read"));
        at = 0;
        for (int k = 0; k < 3; k++) {
                for (uint32_t j = 0; j < rd[k].len; j++, at++)
                        EXPECT(
                            buf_b[rd[k].off + j] == data[at],
                            "split read piece %d byte %u (disk byte %u): got 0x%02x, want 0x%02x",
                            k, j, at, buf_b[rd[k].off + j], data[at]);
                TRY(check_fill(buf_b + rd[k].off + rd[k].len, 1024 - rd[k].len,
                               "gap after a read piece"));
        }
        return read_check_written(0, TD_VSEC_SPLIT, TD_VN_SPLIT);
}

int test_virtio_indirect_request(void)
{
        struct gblk *b = &vb[0];
        struct gblk_req r = {0};
        struct gvq_buf d[2];
        uint16_t free_before;

        TRY(may_write(0));
        TRY(vsetup(0, QSIZE));
        if (!(b->io.offered & VIO_BIT(VIO_F_INDIRECT_DESC)))
                return test_skip("the device does not offer VIRTIO_F_INDIRECT_DESC");
        EXPECT(b->q.indirect, "INDIRECT_DESC offered but not negotiated");
        for (uint32_t k = 0; k < TD_VN_INDIRECT; k++)
                fill_written(buf_a + k * TD_SECTOR, TD_VSEC_INDIRECT + k);
        /* Header, two data descriptors, status: four entries in the table,
         * one descriptor in the ring. */
        for (uint32_t k = 0; k < TD_VN_INDIRECT; k++)
                d[k] = (struct gvq_buf){buf_a + k * TD_SECTOR, TD_SECTOR, false};
        r.indirect = itables[0];
        free_before = b->q.num_free;
        DRV_OK(0, gblk_submit(b, &r, VBLK_T_OUT, TD_VSEC_INDIRECT, d, TD_VN_INDIRECT));
        EXPECT(b->q.num_free == free_before - 1, "indirect chain took %u ring descriptors",
               free_before - b->q.num_free);
        gblk_kick(b);
        DRV_OK(0, gblk_wait(b, &r));
        TRY(check_req(0, &r, VBLK_S_OK, 1, "indirect write"));
        EXPECT(b->q.num_free == free_before, "descriptors not returned: %u free, want %u",
               b->q.num_free, free_before);

        memset(buf_b, FILL, TD_VN_INDIRECT * TD_SECTOR);
        d[0] = (struct gvq_buf){buf_b, TD_VN_INDIRECT * TD_SECTOR, false};
        r = (struct gblk_req){.indirect = itables[1]};
        DRV_OK(0, gblk_do(b, &r, VBLK_T_IN, TD_VSEC_INDIRECT, d, 1));
        TRY(check_req(0, &r, VBLK_S_OK, TD_VN_INDIRECT * TD_SECTOR + 1, "indirect read"));
        for (uint32_t k = 0; k < TD_VN_INDIRECT; k++)
                TRY(check_written(0, buf_b + k * TD_SECTOR, TD_VSEC_INDIRECT + k));
        return TEST_PASS;
}

int test_virtio_flush(void)
{
        TRY(vsetup(0, QSIZE));
        if (!(vb[0].io.offered & VIO_BIT(VBLK_F_FLUSH)))
                return test_skip("the device does not offer VIRTIO_BLK_F_FLUSH");
        return io_one(0, VBLK_T_FLUSH, 0, NULL, 0, VBLK_S_OK, 1, "flush");
}

static int get_id(unsigned i, uint8_t id[VBLK_ID_BYTES])
{
        struct gblk_req r = {0};
        struct gvq_buf d = {id, VBLK_ID_BYTES, true};
        uint32_t n = 0;

        memset(id, FILL, VBLK_ID_BYTES);
        DRV_OK(i, gblk_do(&vb[i], &r, VBLK_T_GET_ID, 0, &d, 1));
        EXPECT(r.status == VBLK_S_OK, "virtio-blk%u: GET_ID status %u", i, r.status);
        EXPECT(r.used_len >= 1 && r.used_len <= VBLK_ID_BYTES + 1,
               "virtio-blk%u: GET_ID used.len %u, want 1..21 (B6, B9)", i, r.used_len);
        if (genv.boot.pvh && id[0] == 0)
                return test_skip("virtio-blk%u: empty id (a QEMU drive without serial=)", i);
        while (n < VBLK_ID_BYTES && id[n] != 0) {
                EXPECT(id[n] >= 0x20 && id[n] < 0x7f, "virtio-blk%u: id byte %u is 0x%02x", i, n,
                       id[n]);
                n++;
        }
        EXPECT(n > 0, "virtio-blk%u: empty id", i);
        for (uint32_t k = n; k < VBLK_ID_BYTES; k++)
                EXPECT(id[k] == 0, "virtio-blk%u: id byte %u is 0x%02x after the NUL, want 0", i, k,
                       id[k]);
        return TEST_PASS;
}

int test_virtio_get_id(void)
{
        uint8_t a[VBLK_ID_BYTES], b[VBLK_ID_BYTES];
        char s[VBLK_ID_BYTES + 1];

        for (unsigned i = 0; i < genv.boot.nvirtio; i++) {
                TRY(vsetup(i, QSIZE));
                TRY(get_id(i, a));
                TRY(get_id(i, b));
                memcpy(s, a, VBLK_ID_BYTES);
                s[VBLK_ID_BYTES] = '\0';
                printf("virtio-blk%u id: %s\n", i, s);
                EXPECT(memcmp(a, b, VBLK_ID_BYTES) == 0,
                       "virtio-blk%u: id changed between requests", i);
        }
        return TEST_PASS;
}

int test_virtio_readonly_refuses_write(void)
{
        unsigned i = 0;

        while (i < genv.boot.nvirtio && !genv.vdisk[i].ro)
                i++;
        if (i == genv.boot.nvirtio) {
                /* A disk whose boot probe failed may be the read-only one. */
                for (i = 0; i < genv.boot.nvirtio; i++) {
                        if (!genv.vdisk[i].ok)
                                return test_fail("%s", genv.vdisk[i].problem);
                }
                return test_skip("no read-only virtio disk");
        }
        TRY(need_image(i));
        TRY(vsetup(i, QSIZE));
        EXPECT(vb[i].io.negotiated & VIO_BIT(VBLK_F_RO), "virtio-blk%u: RO not negotiated", i);
        fill_written(buf_a, TD_VSEC_RO);
        TRY(io_one(i, VBLK_T_OUT, TD_VSEC_RO, buf_a, TD_SECTOR, VBLK_S_IOERR, 1,
                   "write to a read-only disk"));
        return read_check_orig(i, TD_VSEC_RO, 1);
}

/*
 * Submits n requests (one sector each at s + k, buffer buf + k * 512) in
 * batches of as many as the ring holds, one notify per batch; checks each.
 * *batches receives the number of notifies.
 */
static int batched(unsigned i, uint32_t type, uint64_t s, uint8_t *buf, uint32_t n,
                   uint32_t *batches)
{
        struct gblk *b = &vb[i];
        uint32_t done = 0, len = type == VBLK_T_IN ? TD_SECTOR + 1 : 1;

        *batches = 0;
        while (done < n) {
                uint32_t first = done, k;

                for (k = done; k < n; k++) {
                        struct gvq_buf d = {buf + k * TD_SECTOR, TD_SECTOR, false};
                        int e;

                        reqs[k] = (struct gblk_req){0};
                        e = gblk_submit(b, &reqs[k], type, s + k, &d, 1);
                        if (e == VIO_ERR_QUEUE_FULL && k > first)
                                break;
                        DRV_OK(i, e);
                }
                gblk_kick(b);
                (*batches)++;
                for (uint32_t j = first; j < k; j++) {
                        DRV_OK(i, gblk_wait(b, &reqs[j]));
                        TRY(check_req(i, &reqs[j], VBLK_S_OK, len, "batched request"));
                }
                done = k;
        }
        return TEST_PASS;
}

int test_virtio_ring_wrap(void)
{
        struct gblk *b = &vb[0];
        uint32_t wb, rb;

        TRY(may_write(0));
        TRY(need_sizable_queue(0));
        TRY(vsetup(0, QSIZE_WRAP));
        EXPECT(b->q.num == QSIZE_WRAP, "queue size %u, want %u", b->q.num, QSIZE_WRAP);
        for (uint32_t k = 0; k < TD_VN_WRAP; k++)
                fill_written(buf_a + k * TD_SECTOR, TD_VSEC_WRAP + k);
        TRY(batched(0, VBLK_T_OUT, TD_VSEC_WRAP, buf_a, TD_VN_WRAP, &wb));
        memset(buf_b, FILL, TD_VN_WRAP * TD_SECTOR);
        TRY(batched(0, VBLK_T_IN, TD_VSEC_WRAP, buf_b, TD_VN_WRAP, &rb));
        for (uint32_t k = 0; k < TD_VN_WRAP; k++)
                TRY(check_written(0, buf_b + k * TD_SECTOR, TD_VSEC_WRAP + k));
        /* 2 * TD_VN_WRAP chains went through an 8-entry ring: its indices
         * wrapped several times, with more than one request per notify. */
        EXPECT(b->q.avail_idx == 2 * TD_VN_WRAP && b->q.last_used == 2 * TD_VN_WRAP,
               "avail idx %u, used idx %u, want %u", b->q.avail_idx, b->q.last_used,
               2 * TD_VN_WRAP);
        EXPECT(wb > 1 && wb < TD_VN_WRAP && rb == wb,
               "%u write and %u read notifies for %u requests", wb, rb, TD_VN_WRAP);
        return TEST_PASS;
}

int test_virtio_reset_reinit(void)
{
        struct gblk *b = &vb[0];
        struct gvio_dev *d = &b->io;
        uint16_t used_idx;
        uint32_t v;

        TRY(need_image(0));
        TRY(vsetup(0, QSIZE));
        TRY(read_check_orig(0, 3, 1));
        used_idx = b->q.used->idx;
        DRV_OK(0, gvio_reset(d));
        v = gvio_read(d, VIO_STATUS);
        EXPECT(v == 0, "Status 0x%x after reset, want 0", v);
        gvio_write(d, VIO_QUEUE_SEL, 0);
        if (d->version == 2) {
                v = gvio_read(d, VIO_QUEUE_READY);
                EXPECT(v == 0, "QueueReady %u after reset, want 0 (M3)", v);
        } else {
                v = gvio_read(d, VIO_QUEUE_PFN);
                EXPECT(v == 0, "QueuePFN 0x%x after reset, want 0 (M3)", v);
        }
        v = gvio_read(d, VIO_INTERRUPT_STATUS);
        EXPECT(v == 0, "InterruptStatus 0x%x after reset, want 0 (M3)", v);
        /* A notify after reset processes nothing (Q12). */
        gvio_write(d, VIO_QUEUE_NOTIFY, 0);
        EXPECT(b->q.used->idx == used_idx, "used idx moved from %u to %u after reset", used_idx,
               b->q.used->idx);
        v = gvio_read(d, VIO_STATUS);
        EXPECT(v == 0, "Status 0x%x after a notify on a reset device, want 0", v);

        DRV_OK(0, gblk_init_features(b, ring_mem[0], RING_BYTES, QSIZE, supported(), 0));
        EXPECT(b->q.avail_idx == 0 && b->q.last_used == 0, "ring indices not restarted");
        TRY(read_check_orig(0, 3, 1));
        return read_check_orig(0, genv.vdisk[0].sectors - 1, 1);
}

int test_virtio_unknown_type_unsupp(void)
{
        TRY(vsetup(0, QSIZE));
        return io_one(0, 99, 0, NULL, 0, VBLK_S_UNSUPP, 1, "request type 99");
}

int test_virtio_interrupt_completion(void)
{
        struct gblk *b = &vb[0];
        const struct boot_virtio *v = &genv.boot.virtio[0];
        uint8_t vec = IRQ_VECTOR_DEVICE;
        uint32_t st, rte, taken;
        bool rw = !genv.vdisk[0].ro;

        /* Under firmware (QEMU q35) the guest is not told where INTx goes. */
        if (gpci_is(v->base) && !v->has_irq)
                return test_skip("%s", v->irq_problem);
        if (rw)
                TRY(may_write(0));
        else
                TRY(need_image(0));
        TRY(vsetup_mode(0, QSIZE, true));
        taken = irq_count(vec);
        if (rw) {
                /* Two requests in flight, one notify. */
                for (uint32_t k = 0; k < TD_VN_IRQ; k++) {
                        struct gvq_buf d = {buf_a + k * TD_SECTOR, TD_SECTOR, false};

                        fill_written(buf_a + k * TD_SECTOR, TD_VSEC_IRQ + k);
                        reqs[k] = (struct gblk_req){0};
                        DRV_OK(0, gblk_submit(b, &reqs[k], VBLK_T_OUT, TD_VSEC_IRQ + k, &d, 1));
                }
                gblk_kick(b);
                for (uint32_t k = 0; k < TD_VN_IRQ; k++) {
                        DRV_OK(0, gblk_wait(b, &reqs[k]));
                        TRY(check_req(0, &reqs[k], VBLK_S_OK, 1, "write"));
                }
                TRY(read_check_written(0, TD_VSEC_IRQ, TD_VN_IRQ));
        } else {
                TRY(read_check_orig(0, TD_VSEC_IRQ, TD_VN_IRQ));
        }
        EXPECT(b->io.irq_used > 0 && irq_count(vec) > taken,
               "no interrupt handled (handler ran %u times, vector 0x%x taken %u times)",
               b->io.irq_calls, vec, irq_count(vec) - taken);
        EXPECT(b->io.irq_bits == VIO_INT_USED, "handler saw InterruptStatus bits 0x%x, want 0x1",
               b->io.irq_bits);
        st = gvio_read(&b->io, VIO_INTERRUPT_STATUS);
        EXPECT(st == 0, "InterruptStatus 0x%x after the handler acknowledged it (M2)", st);
        rte = ioapic_read(v->ioapic_base, 0x10 + 2 * v->gsi);
        EXPECT((rte & 0xff) == vec && !(rte & IOAPIC_RTE_MASKED),
               "IOAPIC entry %u reads 0x%x: not vector 0x%x, unmasked", v->gsi, rte, vec);
        /* Not the device's business, and seen on kvm_pvm hosts: the vector
         * was still in the LAPIC's IRR (not ISR) inside the handler, so its
         * EOI reached no IOAPIC entry and the interrupt comes once more. */
        if (rte & IOAPIC_RTE_REMOTE_IRR)
                printf("# IOAPIC entry %u reads 0x%x after the handler's EOI: Remote IRR still "
                       "set (host LAPIC quirk, not checked)\n",
                       v->gsi, rte);
        EXPECT(irq_unclaimed() == 0, "%u interrupts on vectors with no handler", irq_unclaimed());
        gvio_irq_off(&b->io);
        return TEST_PASS;
}

int test_virtio_two_disks(void)
{
        struct gblk_req r[2];
        unsigned w;

        if (genv.boot.nvirtio < 2)
                return test_skip("fewer than 2 virtio devices");
        for (unsigned i = 0; i < 2; i++) {
                TRY(need_image(i));
                TRY(vsetup(i, QSIZE));
        }
        /* Sector 0 of both, in flight together: each names its own size. */
        for (unsigned i = 0; i < 2; i++) {
                struct gvq_buf d = {buf_b + i * TD_SECTOR, TD_SECTOR, false};

                memset(buf_b + i * TD_SECTOR, FILL, TD_SECTOR);
                r[i] = (struct gblk_req){0};
                DRV_OK(i, gblk_submit(&vb[i], &r[i], VBLK_T_IN, 0, &d, 1));
        }
        for (unsigned i = 0; i < 2; i++)
                gblk_kick(&vb[i]);
        for (unsigned i = 0; i < 2; i++) {
                DRV_OK(i, gblk_wait(&vb[i], &r[i]));
                TRY(check_req(i, &r[i], VBLK_S_OK, TD_SECTOR + 1, "read of sector 0"));
                TRY(check_orig(i, buf_b + i * TD_SECTOR, 0));
                EXPECT(le64(buf_b + i * TD_SECTOR + 16) == vb[i].capacity,
                       "virtio-blk%u: capacity %lu, sector 0 says %lu", i, vb[i].capacity,
                       le64(buf_b + i * TD_SECTOR + 16));
        }
        for (w = 0; w < genv.boot.nvirtio && genv.vdisk[w].ro; w++)
                ;
        if (w == genv.boot.nvirtio) {
                printf("# virtio_two_disks: no writable disk, nothing written\n");
                return TEST_PASS;
        }
        TRY(may_write(w));
        if (w >= 2)
                TRY(vsetup(w, QSIZE));
        TRY(write_pattern(w, TD_VSEC_TWO, TD_VN_TWO));
        TRY(read_check_written(w, TD_VSEC_TWO, TD_VN_TWO));
        /* The other disk still answers with its own data. */
        return read_check_orig(w == 0 ? 1 : 0, 0, 1);
}

int test_virtio_feature_negotiation_refused(void)
{
        /* EVENT_IDX (when the device does not offer it) and bit 40. */
        static const unsigned bits[] = {VIO_F_EVENT_IDX, 40};
        struct gblk *b = &vb[0];
        unsigned tried = 0;

        for (unsigned k = 0; k < sizeof(bits) / sizeof(bits[0]); k++) {
                uint64_t bit = VIO_BIT(bits[k]);
                uint32_t st;
                int e;

                gvio_irq_off(&b->io);
                DRV_OK(0, gblk_probe(b, genv.boot.virtio[0].base));
                if (b->io.version == 1)
                        return test_skip("version 1 (legacy) has no FEATURES_OK to refuse");
                e = gblk_init_features(b, ring_mem[0], RING_BYTES, QSIZE, supported(), bit);
                if (b->io.offered & bit)
                        continue; /* offered: nothing to refuse; init already done */
                tried++;
                st = status_of(0);
                EXPECT(e == VIO_ERR_FEATURE_NEGOTIATION_FAILED,
                       "asking for bit %u: %s, want FeatureNegotiationFailed (status 0x%x)",
                       bits[k], e ? err_text(0, e) : "init succeeded", st);
                printf("# bit %u: %s\n", bits[k], err_text(0, e));
                EXPECT(b->io.err.offered == b->io.offered && (b->io.err.accepted & bit),
                       "error values offered 0x%lx accepted 0x%lx", b->io.err.offered,
                       b->io.err.accepted);
                EXPECT(!(st & VIO_S_FEATURES_OK), "FEATURES_OK reads back set (status 0x%x, M6)",
                       st);
                EXPECT(st & VIO_S_FAILED, "driver did not leave FAILED (status 0x%x)", st);
                EXPECT(!(st & VIO_S_DRIVER_OK), "DRIVER_OK set (status 0x%x)", st);
        }
        if (!tried)
                return test_skip("the device offers every bit this test would ask for");
        /* The device recovers with a reset and a proper negotiation. */
        TRY(vsetup(0, QSIZE));
        return read_check_orig(0, 0, 1);
}

int test_virtio_queue_not_available(void)
{
        struct gblk *b = &vb[0];
        struct vqd q1;
        struct vqd *qs[2] = {&b->q, &q1};
        uint32_t st, v;
        int e;

        gvio_irq_off(&b->io);
        DRV_OK(0, gblk_probe(b, genv.boot.virtio[0].base));
        gvq_init(&b->q, 0, ring_mem[0], RING_BYTES, QSIZE);
        b->q.no_interrupt = true;
        gvq_init(&q1, 1, NULL, 0, QSIZE);
        e = gvio_init(&b->io, supported(), 0, qs, 2);
        st = status_of(0);
        EXPECT(e == VIO_ERR_QUEUE_NOT_AVAILABLE && b->io.err.value == 1,
               "setting up queues 0 and 1: %s, want VirtqueueNotAvailable(1) (status 0x%x)",
               e ? err_text(0, e) : "succeeded", st);
        printf("# %s\n", err_text(0, e));
        EXPECT(st & VIO_S_FAILED, "driver did not leave FAILED (status 0x%x)", st);
        EXPECT(!(st & VIO_S_DRIVER_OK), "DRIVER_OK set (status 0x%x)", st);
        /* Out-of-range selectors read QueueNumMax 0 (M9). */
        static const uint32_t sels[] = {1, 0xffff, 0xffffffffu};
        for (unsigned k = 0; k < sizeof(sels) / sizeof(sels[0]); k++) {
                gvio_write(&b->io, VIO_QUEUE_SEL, sels[k]);
                v = gvio_read(&b->io, VIO_QUEUE_NUM_MAX);
                EXPECT(v == 0, "QueueSel 0x%x: QueueNumMax %u, want 0 (M9)", sels[k], v);
        }
        TRY(vsetup(0, QSIZE));
        return read_check_orig(0, 0, 1);
}

int test_virtio_probe_errors(void)
{
        struct gvio_dev d;
        char missing[96] = "";
        unsigned slot = genv.boot.nvirtio > 7 ? genv.boot.nvirtio : 7;
        uint64_t empty = VIO_SLOT_BASE + slot * VIO_REGION_SIZE;
        int e;

        /* svirtb's register page: status reads "virt" after a reset, and its
         * second word (queue_size) 0. */
        if (genv.boot.has_svirtb) {
                e = gsvb_reset(&genv.dev);
                EXPECT(!e, "svirtb reset: %s", gsvb_strerror(e));
                e = gvio_probe(&d, genv.boot.svirtb_base, VIO_ID_BLOCK);
                EXPECT(e == VIO_ERR_INVALID_VERSION && d.err.value == 0,
                       "probe of svirtb at 0x%lx: %s, want InvalidVersion(0)",
                       genv.boot.svirtb_base, gvio_strerror(&d, ebuf, sizeof(ebuf)));
                printf("# svirtb at 0x%lx: %s\n", genv.boot.svirtb_base,
                       gvio_strerror(&d, ebuf, sizeof(ebuf)));
        } else {
                snprintf(missing, sizeof(missing), "no svirtb");
        }
        /* An empty slot: unclaimed MMIO reads all ones (minivmm's slot layout). */
        if (genv.boot.pvh) {
                snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s",
                         missing[0] ? ", " : "", "not minivmm's slot layout");
        } else {
                e = gvio_probe(&d, empty, VIO_ID_BLOCK);
                EXPECT(e == VIO_ERR_NOT_A_VIRTIO_DEVICE && d.err.value == 0xffffffffu,
                       "probe of empty slot 0x%lx: %s, want NotAVirtIODevice(magic 0xffffffff)",
                       empty, gvio_strerror(&d, ebuf, sizeof(ebuf)));
                printf("# empty slot 0x%lx: %s\n", empty, gvio_strerror(&d, ebuf, sizeof(ebuf)));
        }
        /* A block device asked for by a network driver. */
        if (genv.boot.nvirtio) {
                e = gvio_probe(&d, genv.boot.virtio[0].base, VIO_ID_NET);
                EXPECT(e == VIO_ERR_INCOMPATIBLE_DEVICE_TYPE && d.err.value == VIO_ID_BLOCK,
                       "net probe of virtio-blk0: %s, want IncompatibleDeviceType(2)",
                       gvio_strerror(&d, ebuf, sizeof(ebuf)));
                printf("# virtio-blk0 as a net device: %s\n",
                       gvio_strerror(&d, ebuf, sizeof(ebuf)));
        } else {
                snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s",
                         missing[0] ? ", " : "", "no virtio device");
        }
        if (missing[0])
                return test_skip("%s", missing);
        return TEST_PASS;
}

int test_virtio_many_in_flight(void)
{
        struct gblk *b = &vb[0];

        TRY(need_image(0));
        TRY(need_sizable_queue(0));
        TRY(vsetup(0, QSIZE_FLIGHT));
        EXPECT(b->q.num == QSIZE_FLIGHT, "queue size %u, want %u", b->q.num, QSIZE_FLIGHT);
        /* Direct chains take 3 descriptors each, indirect ones 1: fill the ring
         * with reads of sectors 0.., one notify, then complete them all. */
        for (int pass = 0; pass < 2; pass++) {
                bool ind = pass == 1;
                uint32_t n = 0, want = ind ? QSIZE_FLIGHT : QSIZE_FLIGHT / 3;
                int e = VIO_OK;

                if (ind && !b->q.indirect)
                        break;
                memset(buf_b, FILL, QSIZE_FLIGHT * TD_SECTOR);
                for (;;) {
                        struct gvq_buf d = {buf_b + n * TD_SECTOR, TD_SECTOR, false};

                        reqs[n] = (struct gblk_req){.indirect = ind ? itables[n] : NULL};
                        e = gblk_submit(b, &reqs[n], VBLK_T_IN, n, &d, 1);
                        if (e)
                                break;
                        if (++n == QSIZE_FLIGHT)
                                break;
                }
                EXPECT(n == want, "%s: %u requests fit in a %u-entry ring, want %u (then %s)",
                       ind ? "indirect" : "direct", n, QSIZE_FLIGHT, want, gvio_err_name(e));
                EXPECT(b->q.in_flight == n, "%u in flight, want %u", b->q.in_flight, n);
                gblk_kick(b);
                for (uint32_t k = 0; k < n; k++) {
                        DRV_OK(0, gblk_wait(b, &reqs[k]));
                        TRY(check_req(0, &reqs[k], VBLK_S_OK, TD_SECTOR + 1, "read in flight"));
                        TRY(check_orig(0, buf_b + k * TD_SECTOR, k));
                }
                EXPECT(b->q.in_flight == 0 && b->q.num_free == QSIZE_FLIGHT,
                       "after completion: %u in flight, %u free descriptors", b->q.in_flight,
                       b->q.num_free);
        }
        return TEST_PASS;
}

int test_virtio_read_past_end(void)
{
        uint64_t n;
        static const struct {
                uint64_t off; /* from the capacity */
                uint32_t sectors;
        } cases[] = {{0, 1}, {1, 2}, {(uint64_t)-1, 1}};

        TRY(need_image(0));
        TRY(vsetup(0, QSIZE));
        n = vb[0].capacity;
        for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
                uint64_t s = cases[k].off == (uint64_t)-1 ? ~0ULL : n - cases[k].off;
                struct gblk_req r = {0};
                struct gvq_buf d = {buf_b, cases[k].sectors * TD_SECTOR, false};

                DRV_OK(0, gblk_do(&vb[0], &r, VBLK_T_IN, s, &d, 1));
                EXPECT(r.status == VBLK_S_IOERR,
                       "read of %u sectors at %lu (capacity %lu): status %u, want IOERR (B3)",
                       cases[k].sectors, s, n, r.status);
        }
        /* The last sector itself still reads. */
        return read_check_orig(0, n - 1, 1);
}

/* Polls (no interrupts) until used->idx is want; false if the device gave up. */
static bool poll_used_idx(unsigned i, uint16_t want)
{
        struct vqd *q = &vb[i].q;

        for (uint32_t round = 0; round < 1000000; round++) {
                for (int k = 0; k < 64; k++) {
                        if (*(volatile uint16_t *)&q->used->idx == want)
                                return true;
                        barrier();
                }
                if (status_of(i) & VIO_S_NEEDS_RESET)
                        return false;
        }
        return false;
}

/* Submits a read of sector s into buf_b + k sectors; no notify. */
static int submit_read(unsigned i, uint32_t k, uint64_t s)
{
        struct gvq_buf d = {buf_b + k * TD_SECTOR, TD_SECTOR, false};

        reqs[k] = (struct gblk_req){0};
        DRV_OK(i, gblk_submit(&vb[i], &reqs[k], VBLK_T_IN, s, &d, 1));
        return TEST_PASS;
}

int test_virtio_event_idx(void)
{
        struct gblk *b = &vb[0];
        struct vqd *q = &b->q;
        uint32_t isr, notified;
        uint16_t base;

        TRY(need_image(0));
        TRY(vsetup_mode(0, QSIZE, false));
        if (!(b->io.offered & VIO_BIT(VIO_F_EVENT_IDX)))
                return test_skip("the device does not offer VIRTIO_RING_F_EVENT_IDX");
        if (genv.no_event_idx) {
                EXPECT(!(b->io.negotiated & VIO_BIT(VIO_F_EVENT_IDX)) && !q->event_idx,
                       "EVENT_IDX negotiated despite event_idx=off (features 0x%lx)",
                       b->io.negotiated);
                EXPECT(q->avail->flags == VQD_AVAIL_F_NO_INTERRUPT,
                       "polling without EVENT_IDX: avail flags 0x%x, want NO_INTERRUPT",
                       q->avail->flags);
                printf("# event_idx=off: offered, not negotiated\n");
                return TEST_PASS;
        }
        EXPECT((b->io.negotiated & VIO_BIT(VIO_F_EVENT_IDX)) && q->event_idx,
               "EVENT_IDX offered but not negotiated (features 0x%lx)", b->io.negotiated);
        EXPECT(q->avail->flags == 0, "avail flags 0x%x with EVENT_IDX, want 0 (§2.7.10)",
               q->avail->flags);
        /* One request first: outside used_event a device only SHOULD NOT
         * interrupt (§2.7.10), and QEMU does once after a queue is set up. */
        TRY(read_check_orig(0, 5, 1));
        (void)gvio_ack_interrupt(&b->io);
        base = q->last_used;
        notified = q->notifies;
        /* used_event = base + 3: no interrupt for the first three used
         * entries, one when the device writes the fourth (§2.7.7.2). */
        *gvq_used_event(q) = (uint16_t)(base + 3);
        memset(buf_b, FILL, 4 * TD_SECTOR);
        for (uint32_t k = 0; k < 3; k++)
                TRY(submit_read(0, k, k + 1));
        gblk_kick(b);
        EXPECT(poll_used_idx(0, (uint16_t)(base + 3)),
               "3 reads: used idx %u, want %u (status 0x%x)", q->used->idx, (uint16_t)(base + 3),
               status_of(0));
        isr = gvio_read(&b->io, VIO_INTERRUPT_STATUS);
        EXPECT(!(isr & VIO_INT_USED),
               "InterruptStatus 0x%x after 3 used entries with used_event %u: the device "
               "interrupted before crossing used_event",
               isr, (uint16_t)(base + 3));
        TRY(submit_read(0, 3, 4));
        gblk_kick(b);
        EXPECT(poll_used_idx(0, (uint16_t)(base + 4)), "4th read: used idx %u, want %u",
               q->used->idx, (uint16_t)(base + 4));
        isr = gvio_read(&b->io, VIO_INTERRUPT_STATUS);
        EXPECT(isr & VIO_INT_USED,
               "InterruptStatus 0x%x after the used entry at used_event %u: no interrupt", isr,
               (uint16_t)(base + 3));
        (void)gvio_ack_interrupt(&b->io);
        /* The device caught up after each batch, so each kick notified. */
        EXPECT(q->notifies - notified == 2,
               "%u notifications for 2 kicks after the device caught up", q->notifies - notified);
        DRV_OK(0, gblk_reap(b));
        for (uint32_t k = 0; k < 4; k++) {
                TRY(check_req(0, &reqs[k], VBLK_S_OK, TD_SECTOR + 1, "read"));
                TRY(check_orig(0, buf_b + k * TD_SECTOR, k + 1));
        }
        /* Consuming parks used_event one behind last_used: polling, no interrupts. */
        EXPECT(*gvq_used_event(q) == (uint16_t)(q->last_used - 1),
               "used_event %u after reaping to %u, want %u", *gvq_used_event(q), q->last_used,
               (uint16_t)(q->last_used - 1));
        return TEST_PASS;
}

/* The driver's notification and used_event rules on a ring no device reads. */
int test_virtio_event_idx_driver(void)
{
        static uint8_t mem[2 * PAGE] __attribute__((aligned(PAGE), section(".noinit")));
        static const uint8_t hdr[16];
        static const struct {
                uint16_t avail_event; /* what the "device" asks for */
                uint16_t add;         /* entries added before the kick */
                bool notify;
        } steps[] = {
            {0, 1, true},       /* [0, 1) holds 0 */
            {0, 2, false},      /* [1, 3): the device asked about 0 and has not caught up */
            {4, 1, false},      /* [3, 4) */
            {4, 1, true},       /* [4, 5) */
            {5, 0, false},      /* nothing new: never */
            {0xffff, 3, false}, /* [5, 8) */
        };
        struct vqd q;
        struct gvq_buf buf = {hdr, sizeof(hdr), false};

        gvq_init(&q, 0, mem, sizeof(mem), 8);
        q.event_idx = true;
        EXPECT(gvq_layout(&q, 8, false, false) == VIO_OK, "layout of an 8-entry ring failed");
        EXPECT(q.avail->flags == 0 && *gvq_used_event(&q) == 0,
               "interrupt-driven ring: avail flags 0x%x, used_event %u, want 0 and 0",
               q.avail->flags, *gvq_used_event(&q));
        for (unsigned k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
                uint16_t old = q.avail_idx;
                bool got;

                for (uint16_t j = 0; j < steps[k].add; j++) {
                        uint16_t head;

                        EXPECT(gvq_add(&q, &buf, 1, NULL, NULL, &head) == VIO_OK, "gvq_add failed");
                        /* Hand it straight back, as a device would, to keep slots free. */
                        q.used->ring[q.used->idx & 7] = (struct gvq_used_elem){head, 0};
                        q.used->idx++;
                        EXPECT(gvq_get_used(&q, NULL, NULL, NULL) == VIO_OK, "gvq_get_used failed");
                }
                *gvq_avail_event(&q) = steps[k].avail_event;
                got = gvq_needs_notify(&q);
                EXPECT(got == steps[k].notify,
                       "step %u: avail_event %u, entries [%u, %u): notify %d, want %d", k,
                       steps[k].avail_event, old, q.avail_idx, got, steps[k].notify);
                EXPECT(*gvq_used_event(&q) == q.last_used,
                       "step %u: used_event %u after consuming to %u, want %u", k,
                       *gvq_used_event(&q), q.last_used, q.last_used);
        }
        /* Wrapping: [0xfffe, 1) holds 0xffff. */
        q.avail_idx = q.kicked_idx = 0xfffe;
        q.avail_idx = (uint16_t)(q.avail_idx + 3);
        *gvq_avail_event(&q) = 0xffff;
        EXPECT(gvq_needs_notify(&q), "entries [0xfffe, 1) with avail_event 0xffff: no notify");
        /* A polling ring parks used_event one behind what it consumed. */
        gvq_init(&q, 0, mem, sizeof(mem), 8);
        q.event_idx = true;
        EXPECT(gvq_layout(&q, 8, false, true) == VIO_OK, "layout of a polling ring failed");
        EXPECT(q.avail->flags == 0 && *gvq_used_event(&q) == 0xffff,
               "polling ring: avail flags 0x%x, used_event 0x%x, want 0 and 0xffff", q.avail->flags,
               *gvq_used_event(&q));
        return TEST_PASS;
}
