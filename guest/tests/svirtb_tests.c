/*
 * svirtb tests: the device contract (docs/svirtb.md) through the guest
 * driver and, where a test must break the protocol on purpose, through raw
 * register writes. Every test starts from reset + init, so it does not
 * depend on what ran before it, and leaves the device usable.
 * Data is checked against the test disk layout (tools/testdisk.h); tests
 * write only the sectors that layout lists, and never write to a disk whose
 * sector 0 is not a test image.
 */
#include <string.h>

#include "tools/testdisk.h"

#include "console.h"
#include "guest.h"
#include "svirtb_drv.h"
#include "test.h"
#include "tests/tests.h"

#define PAGE 4096u

/* Rings and data buffers: page-aligned, in .bss, far below the FDT. */
/* In .noinit (guest.ld): the tests write what they later read, and
 * zeroing 160 KiB at every boot would cost about 80 ms. */
static struct gsvb_entry ring_mem[SVB_QUEUE_MAX] __attribute__((aligned(PAGE), section(".noinit")));
static uint8_t buf_a[4 * PAGE] __attribute__((aligned(PAGE), section(".noinit")));
static uint8_t buf_b[4 * PAGE] __attribute__((aligned(PAGE), section(".noinit")));

#define DEV (&genv.dev)

/* A driver call that must succeed. */
#define IO_OK(call)                                                                                \
        do {                                                                                       \
                int e_ = (call);                                                                   \
                if (e_)                                                                            \
                        return test_fail("%s: %s (status 0x%x)", #call, gsvb_strerror(e_),         \
                                         gsvb_status(DEV));                                        \
        } while (0)

static uint32_t reg(uint32_t off)
{
        return gsvb_reg_read(DEV, off);
}

static void reg_write(uint32_t off, uint32_t v)
{
        gsvb_reg_write(DEV, off, v);
}

static int need_test_disk(void)
{
        EXPECT(genv.disk_ok, "%s", genv.disk_problem);
        return TEST_PASS;
}

/* Write tests call this first: never write to a disk that is not a test image. */
static int may_write(void)
{
        EXPECT(genv.disk_ok, "refusing to write: %s", genv.disk_problem);
        return TEST_PASS;
}

/* Reset, then the spec's initialization with a ring of qs entries at ring_mem
 * whose slots hold harmless zero entries (a 0-byte read). */
static int setup(uint32_t qs)
{
        int e;

        memset(ring_mem, 0, (qs < 64 ? qs : 64) * sizeof(ring_mem[0]));
        e = gsvb_reset(DEV);
        EXPECT(!e, "reset: %s (status 0x%x)", gsvb_strerror(e), gsvb_status(DEV));
        e = gsvb_init(DEV, gpa_of(ring_mem), qs);
        EXPECT(!e, "init with queue_size %u: %s (status 0x%x)", qs, gsvb_strerror(e),
               gsvb_status(DEV));
        return TEST_PASS;
}

/* The device is READY with every entry consumed: tail == head == the driver's head. */
static int check_ready(const char *when)
{
        uint32_t st = reg(SVB_REG_STATUS), head = reg(SVB_REG_QUEUE_HEAD);
        uint32_t tail = reg(SVB_REG_QUEUE_TAIL);

        EXPECT(st == SVB_READY, "%s: status 0x%x, want READY", when, st);
        EXPECT(head == DEV->head && tail == head, "%s: head %u tail %u, want both %u", when, head,
               tail, DEV->head);
        return TEST_PASS;
}

static int check_status(uint32_t want, const char *when)
{
        uint32_t st = reg(SVB_REG_STATUS);

        EXPECT(st == want, "%s: status 0x%x, want 0x%x", when, st, want);
        return TEST_PASS;
}

static void fill_written(uint8_t *p, uint64_t s)
{
        for (uint32_t i = 0; i < TD_SECTOR; i++)
                p[i] = td_write_byte(s, i);
}

/* p holds the original bytes of sector s. */
static int check_orig(const uint8_t *p, uint64_t s)
{
        for (uint32_t i = 0; i < TD_SECTOR; i++) {
                uint8_t want = td_orig_byte(s, genv.disk_sectors, i);

                EXPECT(p[i] == want, "sector %lu byte %u: got 0x%02x, want original 0x%02x", s, i,
                       p[i], want);
        }
        return TEST_PASS;
}

/* p holds what the write tests write to sector s. */
static int check_written(const uint8_t *p, uint64_t s)
{
        for (uint32_t i = 0; i < TD_SECTOR; i++) {
                uint8_t want = td_write_byte(s, i);

                EXPECT(p[i] == want, "sector %lu byte %u: got 0x%02x, want written 0x%02x", s, i,
                       p[i], want);
        }
        return TEST_PASS;
}

/* p[0..n) all still hold v. */
static int check_fill(const uint8_t *p, size_t n, uint8_t v, const char *what)
{
        for (size_t i = 0; i < n; i++)
                EXPECT(p[i] == v, "%s: byte %lu is 0x%02x, want untouched 0x%02x", what, i, p[i],
                       v);
        return TEST_PASS;
}

/* Reads sector s into buf_b and checks it is original. */
static int read_check_orig(uint64_t s)
{
        memset(buf_b, 0xee, TD_SECTOR);
        IO_OK(gsvb_read(DEV, s, buf_b, TD_SECTOR));
        return check_orig(buf_b, s);
}

/* After the device went to RESET: reset, init and a read that works. */
static int recover(uint64_t s)
{
        TRY(setup(16));
        TRY(read_check_orig(s));
        return check_ready("after recovery");
}

int test_svirtb_handshake(void)
{
        uint64_t ring = gpa_of(ring_mem);

        reg_write(SVB_REG_STATUS, SVB_RESET);
        TRY(check_status(SVB_MAGIC, "after RESET (want MAGIC)"));
        reg_write(SVB_REG_STATUS, SVB_DRIVER_OK);
        TRY(check_status(SVB_DRIVER_OK, "after DRIVER_OK"));
        reg_write(SVB_REG_QUEUE_ADDR_HI, (uint32_t)(ring >> 32));
        reg_write(SVB_REG_QUEUE_ADDR_LO, (uint32_t)ring);
        reg_write(SVB_REG_QUEUE_SIZE, 16);
        EXPECT(reg(SVB_REG_QUEUE_ADDR_HI) == (uint32_t)(ring >> 32) &&
                   reg(SVB_REG_QUEUE_ADDR_LO) == (uint32_t)ring,
               "queue_addr reads 0x%x:%08x, want 0x%lx", reg(SVB_REG_QUEUE_ADDR_HI),
               reg(SVB_REG_QUEUE_ADDR_LO), ring);
        EXPECT(reg(SVB_REG_QUEUE_SIZE) == 16, "queue_size reads %u, want 16",
               reg(SVB_REG_QUEUE_SIZE));
        reg_write(SVB_REG_STATUS, SVB_READY);
        TRY(check_status(SVB_READY, "after READY"));
        EXPECT(reg(SVB_REG_QUEUE_HEAD) == 0 && reg(SVB_REG_QUEUE_TAIL) == 0,
               "head %u tail %u after READY, want 0 0", reg(SVB_REG_QUEUE_HEAD),
               reg(SVB_REG_QUEUE_TAIL));
        /* The same through the driver. */
        TRY(setup(16));
        EXPECT(DEV->live && DEV->head == 0, "driver not live after init");
        return check_ready("after driver init");
}

int test_svirtb_read_single(void)
{
        TRY(need_test_disk());
        TRY(setup(16));
        TRY(read_check_orig(0));
        TRY(read_check_orig(3));
        TRY(read_check_orig(genv.disk_sectors - 1));
        return check_ready("after 3 reads");
}

int test_svirtb_write_read_single(void)
{
        const uint64_t s = TD_SEC_SINGLE;

        TRY(may_write());
        TRY(setup(16));
        fill_written(buf_a, s);
        IO_OK(gsvb_write(DEV, s, buf_a, TD_SECTOR));
        TRY(check_ready("after the write"));
        memset(buf_b, 0xee, TD_SECTOR);
        IO_OK(gsvb_read(DEV, s, buf_b, TD_SECTOR));
        TRY(check_written(buf_b, s));
        /* The write did not spill into its neighbours. */
        if (!td_is_written(s - 1))
                TRY(read_check_orig(s - 1));
        if (!td_is_written(s + 1))
                TRY(read_check_orig(s + 1));
        return check_ready("after the reads");
}

int test_svirtb_batch_write_read(void)
{
        struct gsvb_io ios[TD_N_BATCH];
        uint32_t db;

        TRY(may_write());
        TRY(setup(16));
        for (uint32_t i = 0; i < TD_N_BATCH; i++) {
                ios[i] = (struct gsvb_io){TD_SEC_BATCH + i, buf_a + i * TD_SECTOR, TD_SECTOR};
                fill_written(ios[i].buf, ios[i].sector);
        }
        db = DEV->doorbells;
        IO_OK(gsvb_write_many(DEV, ios, TD_N_BATCH));
        EXPECT(DEV->doorbells == db + 1, "%u writes took %u doorbells, want 1", TD_N_BATCH,
               DEV->doorbells - db);
        EXPECT(reg(SVB_REG_QUEUE_HEAD) == TD_N_BATCH, "head %u after the writes, want %u",
               reg(SVB_REG_QUEUE_HEAD), TD_N_BATCH);
        TRY(check_ready("after the writes"));

        memset(buf_b, 0xee, TD_N_BATCH * TD_SECTOR);
        for (uint32_t i = 0; i < TD_N_BATCH; i++)
                ios[i].buf = buf_b + i * TD_SECTOR;
        db = DEV->doorbells;
        IO_OK(gsvb_read_many(DEV, ios, TD_N_BATCH));
        EXPECT(DEV->doorbells == db + 1, "%u reads took %u doorbells, want 1", TD_N_BATCH,
               DEV->doorbells - db);
        TRY(check_ready("after the reads"));
        for (uint32_t i = 0; i < TD_N_BATCH; i++)
                TRY(check_written(ios[i].buf, ios[i].sector));
        return TEST_PASS;
}

int test_svirtb_ring_wrap(void)
{
        const uint32_t qs = 4;
        struct gsvb_io ios[TD_N_WRAP];
        uint32_t prev = 0, wraps = 0, db, head, tail;

        TRY(may_write());
        TRY(setup(qs));
        /* Writes in doorbells of 3, 2, 3, 2 entries: head walks 3, 1, 0, 2. */
        for (uint32_t i = 0, k = 0; i < TD_N_WRAP; k++) {
                uint32_t chunk = k % 2 ? 2 : qs - 1;

                if (chunk > TD_N_WRAP - i)
                        chunk = TD_N_WRAP - i;
                for (uint32_t j = 0; j < chunk; j++) {
                        ios[j] = (struct gsvb_io){TD_SEC_WRAP + i + j, buf_a + (i + j) * TD_SECTOR,
                                                  TD_SECTOR};
                        fill_written(ios[j].buf, ios[j].sector);
                }
                db = DEV->doorbells;
                IO_OK(gsvb_write_many(DEV, ios, chunk));
                EXPECT(DEV->doorbells == db + 1, "%u writes took %u doorbells, want 1", chunk,
                       DEV->doorbells - db);
                head = reg(SVB_REG_QUEUE_HEAD);
                tail = reg(SVB_REG_QUEUE_TAIL);
                EXPECT(head < qs && tail < qs, "head %u tail %u, not below queue_size %u", head,
                       tail, qs);
                EXPECT(head == (prev + chunk) % qs && tail == head,
                       "after %u more entries from %u: head %u tail %u, want both %u", chunk, prev,
                       head, tail, (prev + chunk) % qs);
                if (head < prev)
                        wraps++;
                prev = head;
                i += chunk;
        }
        EXPECT(wraps >= 1, "head never wrapped past 0");

        /* One call for all reads: the driver splits it, qs - 1 entries per doorbell. */
        memset(buf_b, 0xee, TD_N_WRAP * TD_SECTOR);
        for (uint32_t i = 0; i < TD_N_WRAP; i++)
                ios[i] = (struct gsvb_io){TD_SEC_WRAP + i, buf_b + i * TD_SECTOR, TD_SECTOR};
        db = DEV->doorbells;
        IO_OK(gsvb_read_many(DEV, ios, TD_N_WRAP));
        EXPECT(DEV->doorbells - db == (TD_N_WRAP + qs - 2) / (qs - 1),
               "%u reads took %u doorbells, want %u", TD_N_WRAP, DEV->doorbells - db,
               (TD_N_WRAP + qs - 2) / (qs - 1));
        head = reg(SVB_REG_QUEUE_HEAD);
        EXPECT(head == (prev + TD_N_WRAP) % qs, "head %u after the reads, want %u", head,
               (prev + TD_N_WRAP) % qs);
        TRY(check_ready("after the reads"));
        for (uint32_t i = 0; i < TD_N_WRAP; i++)
                TRY(check_written(ios[i].buf, ios[i].sector));
        return TEST_PASS;
}

int test_svirtb_ring_wrap_read(void)
{
        /* The ring_wrap walk with reads only, so read-only disks cover it
         * too: 10 reads on a 3-entry ring, in doorbells of 2 and 1 entries.
         * After each doorbell the buffers are checked and then overwritten:
         * a device that consumed a slot twice, or a slot past the ring (a
         * canary read sits there), would write them again. */
        const uint32_t qs = 3, n = 10;
        uint8_t *canary = buf_a;
        uint32_t prev = 0, wraps = 0, head, tail, db;

        TRY(need_test_disk());
        TRY(setup(qs));
        memset(canary, 0x77, TD_SECTOR);
        ring_mem[qs] = (struct gsvb_entry){gpa_of(canary), TD_SECTOR, 0, SVB_CMD_READ, 0};
        memset(buf_b, 0xee, n * TD_SECTOR);
        for (uint32_t i = 0, k = 0; i < n; k++) {
                uint32_t chunk = k % 2 ? 1 : qs - 1;
                struct gsvb_io ios[2];

                if (chunk > n - i)
                        chunk = n - i;
                for (uint32_t j = 0; j < chunk; j++)
                        ios[j] = (struct gsvb_io){i + j, buf_b + (i + j) * TD_SECTOR, TD_SECTOR};
                db = DEV->doorbells;
                IO_OK(gsvb_read_many(DEV, ios, chunk));
                EXPECT(DEV->doorbells == db + 1, "%u reads took %u doorbells, want 1", chunk,
                       DEV->doorbells - db);
                head = reg(SVB_REG_QUEUE_HEAD);
                tail = reg(SVB_REG_QUEUE_TAIL);
                EXPECT(head == (prev + chunk) % qs && tail == head,
                       "after %u more entries from %u: head %u tail %u, want both %u", chunk, prev,
                       head, tail, (prev + chunk) % qs);
                for (uint32_t j = 0; j < chunk; j++) {
                        TRY(check_orig(ios[j].buf, ios[j].sector));
                        memset(ios[j].buf, 0x77, TD_SECTOR);
                }
                if (head < prev)
                        wraps++;
                prev = head;
                i += chunk;
        }
        EXPECT(wraps >= 2, "head wrapped past 0 only %u times", wraps);
        TRY(check_fill(buf_b, n * TD_SECTOR, 0x77, "buffers of consumed entries"));
        TRY(check_fill(canary, TD_SECTOR, 0x77, "buffer of the entry past the ring"));
        return check_ready("after the reads");
}

int test_svirtb_page_span(void)
{
        const uint64_t size = TD_N_SPAN * TD_SECTOR;
        /* 300 bytes before the page boundary, the rest after; 700 for the read. */
        uint8_t *w = buf_a + PAGE - 300, *r = buf_b + 2 * PAGE - 700;

        TRY(may_write());
        TRY(setup(16));
        for (uint32_t s = 0; s < TD_N_SPAN; s++)
                fill_written(w + s * TD_SECTOR, TD_SEC_SPAN + s);
        IO_OK(gsvb_write(DEV, TD_SEC_SPAN, w, size));
        memset(buf_b, 0x5c, sizeof(buf_b));
        IO_OK(gsvb_read(DEV, TD_SEC_SPAN, r, size));
        TRY(check_ready("after the transfers"));
        for (uint32_t s = 0; s < TD_N_SPAN; s++)
                TRY(check_written(r + s * TD_SECTOR, TD_SEC_SPAN + s));
        TRY(check_fill(r - 64, 64, 0x5c, "bytes before the read buffer"));
        return check_fill(r + size, 64, 0x5c, "bytes after the read buffer");
}

int test_svirtb_read_past_end(void)
{
        uint64_t n;

        TRY(need_test_disk());
        TRY(setup(16));
        n = genv.disk_sectors;
        /* Half inside the disk: only the last sector is copied. */
        memset(buf_a, 0xa5, 2048);
        IO_OK(gsvb_read(DEV, n - 1, buf_a, 1024));
        TRY(check_orig(buf_a, n - 1));
        TRY(check_fill(buf_a + 512, 2048 - 512, 0xa5, "read at sector N-1, past the end"));
        /* Entirely past the end, and far past it: nothing is copied. */
        memset(buf_a, 0xa5, 2048);
        IO_OK(gsvb_read(DEV, n, buf_a, 1024));
        TRY(check_fill(buf_a, 2048, 0xa5, "read at sector N"));
        IO_OK(gsvb_read(DEV, 1ULL << 40, buf_a, 1024));
        TRY(check_fill(buf_a, 2048, 0xa5, "read at sector 2^40"));
        return check_ready("after the reads");
}

int test_svirtb_write_past_end_ignored(void)
{
        uint64_t n;

        TRY(may_write());
        TRY(setup(16));
        n = genv.disk_sectors;
        fill_written(buf_a, n);
        IO_OK(gsvb_write(DEV, n, buf_a, TD_SECTOR));
        TRY(check_ready("after writing sector N"));
        /* The image did not grow, and its last sector is intact. */
        memset(buf_b, 0xa5, TD_SECTOR);
        IO_OK(gsvb_read(DEV, n, buf_b, TD_SECTOR));
        TRY(check_fill(buf_b, TD_SECTOR, 0xa5, "read at sector N after a write there"));
        TRY(read_check_orig(n - 1));
        return check_ready("after the reads");
}

int test_svirtb_readonly_write_ignored(void)
{
        const uint64_t s = TD_SEC_RO;

        TRY(may_write());
        TRY(setup(16));
        TRY(read_check_orig(s));
        fill_written(buf_a, s);
        IO_OK(gsvb_write(DEV, s, buf_a, TD_SECTOR));
        TRY(check_ready("after the write"));
        TRY(read_check_orig(s));
        return check_ready("after the read");
}

int test_svirtb_high_buffer(void)
{
        /* Halfway between the image and the FDT: RAM the guest and the
         * device both reach by the same (identity-mapped) address. */
        uint64_t lo = gpa_of(__image_end), hi = genv.boot.fdt_addr;
        uint8_t *p = (uint8_t *)(uintptr_t)((lo + (hi - lo) / 2) & ~(uint64_t)(PAGE - 1));

        TRY(need_test_disk());
        if ((uint64_t)(uintptr_t)p < lo + PAGE || (uint64_t)(uintptr_t)p + 2 * PAGE > hi)
                return test_skip("no free RAM between the image and the FDT");
        TRY(setup(16));
        memset(p, 0xee, 2 * PAGE);
        IO_OK(gsvb_read(DEV, 5, p + PAGE - 100, TD_SECTOR));
        TRY(check_orig(p + PAGE - 100, 5));
        TRY(check_fill(p, PAGE - 100, 0xee, "bytes before the buffer"));
        TRY(check_fill(p + PAGE - 100 + TD_SECTOR, PAGE + 100 - TD_SECTOR, 0xee,
                       "bytes after the buffer"));
        return check_ready("after the read");
}

int test_svirtb_reset_reinit(void)
{
        static const struct {
                uint32_t off;
                const char *name;
        } regs[] = {
            {SVB_REG_QUEUE_SIZE, "queue_size"},       {SVB_REG_QUEUE_ADDR_HI, "queue_addr_hi"},
            {SVB_REG_QUEUE_ADDR_LO, "queue_addr_lo"}, {SVB_REG_QUEUE_HEAD, "queue_head"},
            {SVB_REG_QUEUE_TAIL, "queue_tail"},
        };

        TRY(need_test_disk());
        TRY(setup(16));
        TRY(read_check_orig(1));
        TRY(read_check_orig(2));
        reg_write(SVB_REG_STATUS, SVB_RESET);
        TRY(check_status(SVB_MAGIC, "after RESET from READY"));
        for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
                EXPECT(reg(regs[i].off) == 0, "%s reads 0x%x after RESET, want 0", regs[i].name,
                       reg(regs[i].off));
        /* RESET from DRIVER_OK, and from MAGIC. */
        reg_write(SVB_REG_STATUS, SVB_DRIVER_OK);
        TRY(check_status(SVB_DRIVER_OK, "after DRIVER_OK"));
        reg_write(SVB_REG_STATUS, SVB_RESET);
        TRY(check_status(SVB_MAGIC, "after RESET from DRIVER_OK"));
        reg_write(SVB_REG_STATUS, SVB_RESET);
        TRY(check_status(SVB_MAGIC, "after RESET from MAGIC"));
        /* The driver's own reset + init, and a read. */
        IO_OK(gsvb_init(DEV, gpa_of(ring_mem), 16));
        TRY(read_check_orig(3));
        return check_ready("after reinit and a read");
}

int test_svirtb_queue_regs_locked(void)
{
        uint64_t ring = gpa_of(ring_mem);

        TRY(need_test_disk());
        TRY(setup(8));
        TRY(read_check_orig(4));
        reg_write(SVB_REG_QUEUE_SIZE, 16);
        reg_write(SVB_REG_QUEUE_ADDR_HI, 1);
        reg_write(SVB_REG_QUEUE_ADDR_LO, 0x1000);
        TRY(check_status(SVB_READY, "after queue register writes while READY"));
        EXPECT(reg(SVB_REG_QUEUE_SIZE) == 8, "queue_size reads %u, want 8 (ignored while READY)",
               reg(SVB_REG_QUEUE_SIZE));
        EXPECT(reg(SVB_REG_QUEUE_ADDR_HI) == (uint32_t)(ring >> 32) &&
                   reg(SVB_REG_QUEUE_ADDR_LO) == (uint32_t)ring,
               "queue_addr reads 0x%x:%08x, want 0x%lx", reg(SVB_REG_QUEUE_ADDR_HI),
               reg(SVB_REG_QUEUE_ADDR_LO), ring);
        /* The device still uses the old ring. */
        for (int i = 0; i < 9; i++)
                TRY(read_check_orig(4 + i));
        return check_ready("after the reads");
}

int test_svirtb_doorbell_before_ready(void)
{
        uint64_t ring = gpa_of(ring_mem);

        TRY(need_test_disk());
        /* Slot 0 holds a real read: if a doorbell were processed, buf_a changes. */
        memset(buf_a, 0xa5, TD_SECTOR);
        ring_mem[0] = (struct gsvb_entry){gpa_of(buf_a), TD_SECTOR, 7, SVB_CMD_READ, 0};
        reg_write(SVB_REG_STATUS, SVB_RESET);
        TRY(check_status(SVB_MAGIC, "after RESET"));
        reg_write(SVB_REG_QUEUE_HEAD, 1);
        TRY(check_status(SVB_MAGIC, "after a doorbell in MAGIC"));
        EXPECT(reg(SVB_REG_QUEUE_HEAD) == 0 && reg(SVB_REG_QUEUE_TAIL) == 0,
               "doorbell in MAGIC: head %u tail %u, want 0 0", reg(SVB_REG_QUEUE_HEAD),
               reg(SVB_REG_QUEUE_TAIL));
        reg_write(SVB_REG_STATUS, SVB_DRIVER_OK);
        reg_write(SVB_REG_QUEUE_ADDR_HI, (uint32_t)(ring >> 32));
        reg_write(SVB_REG_QUEUE_ADDR_LO, (uint32_t)ring);
        reg_write(SVB_REG_QUEUE_SIZE, 8);
        reg_write(SVB_REG_QUEUE_HEAD, 1);
        TRY(check_status(SVB_DRIVER_OK, "after a doorbell in DRIVER_OK"));
        EXPECT(reg(SVB_REG_QUEUE_HEAD) == 0 && reg(SVB_REG_QUEUE_TAIL) == 0,
               "doorbell in DRIVER_OK: head %u tail %u, want 0 0", reg(SVB_REG_QUEUE_HEAD),
               reg(SVB_REG_QUEUE_TAIL));
        TRY(check_fill(buf_a, TD_SECTOR, 0xa5, "buffer of an entry rung before READY"));
        reg_write(SVB_REG_STATUS, SVB_READY);
        TRY(check_status(SVB_READY, "after READY"));
        EXPECT(reg(SVB_REG_QUEUE_HEAD) == 0 && reg(SVB_REG_QUEUE_TAIL) == 0,
               "after READY: head %u tail %u, want 0 0", reg(SVB_REG_QUEUE_HEAD),
               reg(SVB_REG_QUEUE_TAIL));
        TRY(check_fill(buf_a, TD_SECTOR, 0xa5, "buffer of an entry rung before READY"));
        return recover(7);
}

int test_svirtb_queue_size_limits(void)
{
        struct gsvb_io ios[3];
        uint32_t db;
        int e;

        TRY(need_test_disk());
        /* 1 is a valid size for the device, but leaves the driver no slot. */
        TRY(setup(1));
        e = gsvb_read(DEV, 0, buf_b, TD_SECTOR);
        EXPECT(e == SVB_E_RING_TOO_SMALL, "read with queue_size 1: %s, want \"%s\"",
               gsvb_strerror(e), gsvb_strerror(SVB_E_RING_TOO_SMALL));
        /* 2: one entry per doorbell. */
        TRY(setup(2));
        memset(buf_b, 0xee, 3 * TD_SECTOR);
        for (uint32_t i = 0; i < 3; i++)
                ios[i] = (struct gsvb_io){8 + i, buf_b + i * TD_SECTOR, TD_SECTOR};
        db = DEV->doorbells;
        IO_OK(gsvb_read_many(DEV, ios, 3));
        EXPECT(DEV->doorbells == db + 3, "3 reads with queue_size 2 took %u doorbells, want 3",
               DEV->doorbells - db);
        for (uint32_t i = 0; i < 3; i++)
                TRY(check_orig(ios[i].buf, ios[i].sector));
        TRY(check_ready("queue_size 2"));
        /* 4096, the largest. */
        TRY(setup(SVB_QUEUE_MAX));
        memset(buf_b, 0xee, 3 * TD_SECTOR);
        for (uint32_t i = 0; i < 3; i++)
                ios[i] = (struct gsvb_io){11 + i, buf_b + i * TD_SECTOR, TD_SECTOR};
        IO_OK(gsvb_read_many(DEV, ios, 3));
        for (uint32_t i = 0; i < 3; i++)
                TRY(check_orig(ios[i].buf, ios[i].sector));
        return check_ready("queue_size 4096");
}

/* Init with a ring the device must refuse: READY reads back RESET. */
static int expect_rejected(uint64_t ring, uint32_t qs, const char *what)
{
        int e;

        e = gsvb_reset(DEV);
        EXPECT(!e, "reset: %s (status 0x%x)", gsvb_strerror(e), gsvb_status(DEV));
        e = gsvb_init(DEV, ring, qs);
        EXPECT(e == SVB_E_REJECTED, "ring 0x%lx, queue_size %u (%s): init says \"%s\", want \"%s\"",
               ring, qs, what, gsvb_strerror(e), gsvb_strerror(SVB_E_REJECTED));
        return check_status(SVB_RESET, what);
}

int test_svirtb_bad_ring_address(void)
{
        const struct boot_info *b = &genv.boot;
        uint64_t low = boot_low_ram_end(b);

        TRY(need_test_disk());
        TRY(expect_rejected(low, 4, "ring at the end of low RAM"));
        TRY(expect_rejected(low - 64, 4, "ring straddling the end of low RAM"));
        TRY(expect_rejected(SVB_BASE, 4, "ring on the svirtb page"));
        TRY(expect_rejected(GUEST_MMIO_START + 0x1000, 4, "ring in the MMIO hole"));
        if (!boot_in_ram(b, 1ULL << 40, 128))
                TRY(expect_rejected(1ULL << 40, 4, "ring at 1 TiB"));
        for (unsigned i = 0; i < b->nram; i++) {
                if (b->ram[i].base >= GUEST_4G)
                        TRY(expect_rejected(b->ram[i].base + b->ram[i].size - 64, 4,
                                            "ring straddling the end of high RAM"));
        }
        TRY(expect_rejected(~0ULL - 63, 4, "ring wrapping past 2^64"));
        return recover(1);
}

/* One read entry the device must refuse: RESET after the doorbell. */
static int expect_entry_reset(uint32_t cmd, uint64_t sector, uint64_t addr, uint64_t size,
                              const char *what)
{
        struct gsvb_io io = {sector, (void *)(uintptr_t)addr, size};
        int e;

        TRY(setup(8));
        e = gsvb_submit(DEV, cmd, &io, 1);
        EXPECT(e == SVB_E_DEVICE_RESET, "%s: \"%s\", want \"%s\"", what, gsvb_strerror(e),
               gsvb_strerror(SVB_E_DEVICE_RESET));
        return check_status(SVB_RESET, what);
}

int test_svirtb_bad_entry_address(void)
{
        const struct boot_info *b = &genv.boot;
        uint64_t low = boot_low_ram_end(b);
        struct gsvb_io ios[2];
        int e;

        TRY(need_test_disk());
        TRY(expect_entry_reset(SVB_CMD_READ, 0, low - 256, 512, "buffer crossing the end of RAM"));
        TRY(expect_entry_reset(SVB_CMD_READ, 0, low, 512, "buffer at the end of RAM"));
        TRY(expect_entry_reset(SVB_CMD_READ, 0, SVB_BASE, 512, "buffer on the svirtb page"));
        TRY(expect_entry_reset(SVB_CMD_READ, 0, ~0ULL - 255, 512, "buffer wrapping past 2^64"));
        TRY(expect_entry_reset(SVB_CMD_READ, 0, gpa_of(buf_b), ~0ULL - 255,
                               "buffer of size 2^64 - 256"));
        /* Entries are consumed in order: the good one before the bad one is done. */
        TRY(setup(8));
        memset(buf_a, 0xee, TD_SECTOR);
        ios[0] = (struct gsvb_io){2, buf_a, TD_SECTOR};
        ios[1] = (struct gsvb_io){0, (void *)(uintptr_t)(low - 256), 512};
        e = gsvb_read_many(DEV, ios, 2);
        EXPECT(e == SVB_E_DEVICE_RESET, "good entry then bad entry: \"%s\", want \"%s\"",
               gsvb_strerror(e), gsvb_strerror(SVB_E_DEVICE_RESET));
        TRY(check_status(SVB_RESET, "good entry then bad entry"));
        TRY(check_orig(buf_a, 2));
        return recover(1);
}

int test_svirtb_bad_queue_size(void)
{
        TRY(need_test_disk());
        TRY(expect_rejected(gpa_of(ring_mem), 0, "queue_size 0"));
        TRY(expect_rejected(gpa_of(ring_mem), SVB_QUEUE_MAX + 1, "queue_size 4097"));
        TRY(expect_rejected(gpa_of(ring_mem), 0x80000000u, "queue_size 2^31"));
        TRY(expect_rejected(gpa_of(ring_mem), 0xffffffffu, "queue_size 2^32 - 1"));
        return recover(1);
}

int test_svirtb_bad_command(void)
{
        /* Aimed at a write-test sector with its write pattern, so even a
         * device that took the command for a write leaves the layout intact. */
        const uint64_t s = TD_SEC_SINGLE;

        TRY(need_test_disk());
        fill_written(buf_a, s);
        TRY(expect_entry_reset(2, s, gpa_of(buf_a), TD_SECTOR, "command 2"));
        TRY(expect_entry_reset(0xffffffffu, s, gpa_of(buf_a), TD_SECTOR, "command 0xffffffff"));
        TRY(check_written(buf_a, s));
        return recover(1);
}

int test_svirtb_sector_overflow(void)
{
        TRY(need_test_disk());
        memset(buf_a, 0xee, 1024);
        TRY(expect_entry_reset(SVB_CMD_READ, ~0ULL / 512, gpa_of(buf_a), 1024,
                               "sector * 512 + size overflows"));
        TRY(expect_entry_reset(SVB_CMD_READ, 1ULL << 55, gpa_of(buf_a), 512,
                               "sector * 512 overflows"));
        TRY(expect_entry_reset(SVB_CMD_READ, ~0ULL, gpa_of(buf_a), 512, "sector 2^64 - 1"));
        TRY(check_fill(buf_a, 1024, 0xee, "buffer of an overflowing read"));
        return recover(1);
}

int test_svirtb_bad_head(void)
{
        static const uint32_t heads[] = {8, 9, 0xffffffffu};

        TRY(need_test_disk());
        for (unsigned i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
                TRY(setup(8));
                reg_write(SVB_REG_QUEUE_HEAD, heads[i]);
                EXPECT(reg(SVB_REG_STATUS) == SVB_RESET,
                       "doorbell with head %u (queue_size 8): status 0x%x, want RESET", heads[i],
                       reg(SVB_REG_STATUS));
        }
        return recover(1);
}

int test_svirtb_high_ram(void)
{
        const struct boot_info *b = &genv.boot;
        const struct ram_range *r = NULL;

        TRY(need_test_disk());
        for (unsigned i = 0; i < b->nram && !r; i++) {
                if (b->ram[i].base >= GUEST_4G)
                        r = &b->ram[i];
        }
        if (!r)
                return test_skip("no RAM above 4 GiB");
        /* A ring above 4 GiB is valid (the guest cannot fill it: only low
         * RAM is mapped, so just the handshake). */
        IO_OK(gsvb_reset(DEV));
        IO_OK(gsvb_init(DEV, r->base, 16));
        EXPECT(reg(SVB_REG_QUEUE_ADDR_HI) == (uint32_t)(r->base >> 32),
               "queue_addr_hi reads 0x%x, want 0x%x", reg(SVB_REG_QUEUE_ADDR_HI),
               (uint32_t)(r->base >> 32));
        /* The device reaches buffers there; one crossing its end is refused. */
        TRY(setup(16));
        IO_OK(gsvb_read(DEV, 5, (void *)(uintptr_t)(r->base + PAGE), TD_SECTOR));
        TRY(check_ready("after a read into high RAM"));
        TRY(expect_entry_reset(SVB_CMD_READ, 5, r->base + r->size - 256, 512,
                               "buffer crossing the end of high RAM"));
        return recover(1);
}

int test_svirtb_ignored_writes(void)
{
        /* Only aligned 32-bit writes to the six registers mean anything
         * (svirtb.md, Access model): each of these would reset the device or
         * move its tail if it were taken. */
        volatile uint8_t *r8 = (volatile uint8_t *)(uintptr_t)DEV->base;
        volatile uint16_t *r16 = (volatile uint16_t *)(uintptr_t)DEV->base;
        volatile uint64_t *r64 = (volatile uint64_t *)(uintptr_t)DEV->base;

        TRY(need_test_disk());
        TRY(setup(8));
        TRY(read_check_orig(1));
        r8[SVB_REG_STATUS] = SVB_RESET;
        TRY(check_status(SVB_READY, "after a 1-byte RESET write"));
        r16[SVB_REG_STATUS / 2] = SVB_RESET;
        TRY(check_status(SVB_READY, "after a 2-byte RESET write"));
        r64[SVB_REG_STATUS / 8] = SVB_RESET;
        TRY(check_status(SVB_READY, "after an 8-byte RESET write"));
        *(volatile uint32_t *)(uintptr_t)(DEV->base + 2) = SVB_RESET << 16;
        TRY(check_status(SVB_READY, "after an unaligned 4-byte write"));
        r8[SVB_REG_QUEUE_HEAD] = 5;
        reg_write(SVB_REG_QUEUE_TAIL, 5);
        reg_write(0x18, SVB_RESET);
        TRY(check_ready("after narrow, tail and out-of-range writes"));
        EXPECT(reg(SVB_REG_QUEUE_HEAD) == 1, "head %u, want 1", reg(SVB_REG_QUEUE_HEAD));
        TRY(read_check_orig(2));
        return check_ready("after a read");
}
