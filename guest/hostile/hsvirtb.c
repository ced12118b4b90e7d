/*
 * hsvirtb: the hostile cases for svirtb (docs/svirtb.md, "Errors and
 * reset" and "Access model"), through raw register writes and ring entries
 * the driver would never build. Same names and outcomes as
 * tests/unit/test_hostile_svirtb.c. Registers are read from the device's
 * page (no exit); every write exits and is applied before the guest resumes.
 */
#include <string.h>

#include "tools/testdisk.h"

#include "console.h"
#include "guest.h"
#include "hostile/hostile.h"
#include "svirtb_drv.h"
#include "test.h"

#define PAGE  4096u
#define QS    8u
#define KNOWN HOSTILE_KNOWN
#define FILL  0xee
#define HOLE  0xd0000000ULL
#define LAPIC 0xfee00000ULL

static struct gsvb_entry ring_mem[SVB_QUEUE_MAX] __attribute__((aligned(PAGE)));
static uint8_t buf[PAGE] __attribute__((aligned(PAGE)));
static uint8_t buf2[PAGE] __attribute__((aligned(PAGE)));
static uint8_t buf3[PAGE] __attribute__((aligned(PAGE)));

static uint64_t base;  /* the register page */
static uint64_t ring;  /* the ring as last given to the device */
static uint32_t qsize; /* queue_size as last given */

/* --- registers --------------------------------------------------------------- */

static uint32_t reg(uint32_t off)
{
        barrier();
        return mmio_read32(base + off);
}

static void wr(uint32_t off, uint32_t v)
{
        barrier();
        mmio_write32(base + off, v);
        barrier();
}

static uint64_t ram_end(void)
{
        return boot_low_ram_end(&genv.boot);
}

/* The six registers as the page shows them. */
static int check_regs(uint32_t status, uint32_t qs, uint64_t r, uint32_t head, uint32_t tail)
{
        uint32_t v[6], want[6] = {status, qs, (uint32_t)(r >> 32), (uint32_t)r, head, tail};
        static const char *const names[6] = {"status",        "queue_size", "queue_addr_hi",
                                             "queue_addr_lo", "queue_head", "queue_tail"};

        for (unsigned k = 0; k < 6; k++)
                v[k] = reg(4 * k);
        for (unsigned k = 0; k < 6; k++)
                EXPECT(v[k] == want[k], "%s 0x%x, want 0x%x", names[k], v[k], want[k]);
        return TEST_PASS;
}

/* The spec's initialization; the status read back after READY. */
static uint32_t init(uint64_t r, uint32_t qs)
{
        wr(SVB_REG_STATUS, SVB_RESET);
        wr(SVB_REG_STATUS, SVB_DRIVER_OK);
        wr(SVB_REG_QUEUE_ADDR_HI, (uint32_t)(r >> 32));
        wr(SVB_REG_QUEUE_ADDR_LO, (uint32_t)r);
        wr(SVB_REG_QUEUE_SIZE, qs);
        wr(SVB_REG_STATUS, SVB_READY);
        ring = r;
        qsize = qs;
        return reg(SVB_REG_STATUS);
}

static int init_ok(void)
{
        memset(ring_mem, 0, QS * sizeof(ring_mem[0]));
        EXPECT(init(gpa_of(ring_mem), QS) == SVB_READY, "READY refused: status 0x%x",
               reg(SVB_REG_STATUS));
        return check_regs(SVB_READY, QS, gpa_of(ring_mem), 0, 0);
}

static void entry(uint32_t i, uint64_t addr, uint64_t size, uint64_t sector, uint32_t cmd)
{
        volatile struct gsvb_entry *e = (volatile struct gsvb_entry *)(uintptr_t)ring + i;

        e->addr = addr;
        e->size = size;
        e->sector = sector;
        e->cmd = cmd;
        e->pad = 0;
}

static void doorbell(uint32_t head)
{
        wr(SVB_REG_QUEUE_HEAD, head);
}

/* Errors and reset: status RESET with tail at the bad entry. */
static int check_reset(uint32_t head, uint32_t tail)
{
        return check_regs(SVB_RESET, qsize, ring, head, tail);
}

static int check_fill(const uint8_t *p, uint64_t n, const char *what)
{
        for (uint64_t k = 0; k < n; k++)
                EXPECT(p[k] == FILL, "%s: byte %lu written (0x%02x)", what, k, p[k]);
        return TEST_PASS;
}

static int check_sector(const uint8_t *p, uint64_t s)
{
        for (uint32_t k = 0; k < TD_SECTOR; k++) {
                uint8_t want = td_orig_byte(s, genv.disk_sectors, k);

                EXPECT(p[k] == want, "sector %lu byte %u: 0x%02x, want 0x%02x", s, k, p[k], want);
        }
        return TEST_PASS;
}

/* A read of sector s into b at slot `slot`, which must be the tail: done. */
static int valid_read(uint32_t slot, uint64_t s, uint8_t *b)
{
        uint32_t head = (slot + 1) % qsize;

        EXPECT(reg(SVB_REG_QUEUE_TAIL) == slot, "tail %u, want %u", reg(SVB_REG_QUEUE_TAIL), slot);
        memset(b, FILL, TD_SECTOR);
        entry(slot, gpa_of(b), TD_SECTOR, s, SVB_CMD_READ);
        doorbell(head);
        TRY(check_regs(SVB_READY, qsize, ring, head, head));
        return check_sector(b, s);
}

/* The tail moves to `to` over zeroed (0-byte read) entries. */
static int advance(uint32_t to)
{
        doorbell(to);
        return check_regs(SVB_READY, qsize, ring, to, to);
}

/* After every case: RESET reads MAGIC with the queue forgotten; the
 * ordinary driver then initializes the device and reads a known sector. */
static int recover(void)
{
        int e;

        wr(SVB_REG_STATUS, SVB_RESET);
        TRY(check_regs(SVB_MAGIC, 0, 0, 0, 0));
        e = gsvb_init(&genv.dev, gpa_of(ring_mem), QS);
        EXPECT(!e, "recovery: init: %s", gsvb_strerror(e));
        memset(buf3, FILL, TD_SECTOR);
        e = gsvb_read(&genv.dev, KNOWN, buf3, TD_SECTOR);
        EXPECT(!e, "recovery: read: %s", gsvb_strerror(e));
        return check_sector(buf3, KNOWN);
}

static int start(void)
{
        EXPECT(genv.disk_ok, "%s", genv.disk_problem);
        base = genv.boot.svirtb_base;
        return init_ok();
}

/* === entries ================================================================== */

int hostile_svirtb_buf_outside_ram(void)
{
        TRY(start());
        entry(0, HOLE, TD_SECTOR, KNOWN, SVB_CMD_READ);
        doorbell(1);
        TRY(check_reset(1, 0));
        TRY(start());
        entry(0, LAPIC, TD_SECTOR, KNOWN, SVB_CMD_READ);
        doorbell(1);
        TRY(check_reset(1, 0));
        return recover();
}

int hostile_svirtb_buf_at_own_regs(void)
{
        TRY(start());
        entry(0, base, TD_SECTOR, KNOWN, SVB_CMD_READ);
        doorbell(1);
        TRY(check_reset(1, 0));
        return recover();
}

/* The FDT (top 64 KiB) was copied at boot: a read may overwrite it. */
int hostile_svirtb_buf_at_ram_end(void)
{
        TRY(start());
        TRY(valid_read(0, KNOWN, (uint8_t *)(uintptr_t)(ram_end() - TD_SECTOR)));
        TRY(valid_read(1, KNOWN + 1, (uint8_t *)(uintptr_t)(ram_end() - TD_SECTOR)));
        return recover();
}

int hostile_svirtb_buf_past_ram_end(void)
{
        uint8_t *last = (uint8_t *)(uintptr_t)(ram_end() - TD_SECTOR + 1);

        TRY(start());
        memset(last, FILL, TD_SECTOR - 1);
        entry(0, gpa_of(last), TD_SECTOR, KNOWN, SVB_CMD_READ);
        doorbell(1);
        TRY(check_reset(1, 0));
        TRY(check_fill(last, TD_SECTOR - 1, "the RAM below the end"));
        return recover();
}

int hostile_svirtb_huge_size(void)
{
        const struct {
                uint64_t addr, size;
        } bad[] = {
            {gpa_of(buf), ~0ULL}, {ram_end() - 16, 0xffffffffULL}, {0xfffffffffffff000ULL, 0x2000}};

        for (unsigned k = 0; k < 3; k++) {
                TRY(start());
                entry(0, bad[k].addr, bad[k].size, 0, SVB_CMD_READ);
                doorbell(1);
                TRY(check_reset(1, 0));
        }
        return recover();
}

int hostile_svirtb_bad_cmd(void)
{
        static const uint32_t cmds[] = {2, 0xffffffffu};

        for (unsigned k = 0; k < 2; k++) {
                TRY(start());
                memset(buf, FILL, TD_SECTOR);
                entry(0, gpa_of(buf), TD_SECTOR, KNOWN, cmds[k]);
                doorbell(1);
                TRY(check_reset(1, 0));
                TRY(check_fill(buf, TD_SECTOR, "buffer"));
        }
        return recover();
}

int hostile_svirtb_sector_overflow(void)
{
        static const struct {
                uint64_t sector, size;
        } bad[] = {{1ULL << 55, TD_SECTOR}, {(1ULL << 55) - 1, 1024}, {~0ULL, TD_SECTOR}};

        for (unsigned k = 0; k < 3; k++) {
                TRY(start());
                memset(buf, FILL, 1024);
                entry(0, gpa_of(buf), bad[k].size, bad[k].sector, SVB_CMD_READ);
                doorbell(1);
                TRY(check_reset(1, 0));
                TRY(check_fill(buf, 1024, "buffer"));
        }
        return recover();
}

int hostile_svirtb_zero_size_outside_ram(void)
{
        TRY(start());
        entry(0, HOLE, 0, KNOWN, SVB_CMD_READ);
        doorbell(1);
        TRY(check_reset(1, 0));
        return recover();
}

int hostile_svirtb_read_past_disk_end(void)
{
        uint64_t n = genv.disk_sectors;

        TRY(start());
        memset(buf, FILL, PAGE);
        entry(0, gpa_of(buf), PAGE, n - 1, SVB_CMD_READ);
        doorbell(1);
        TRY(check_regs(SVB_READY, QS, ring, 1, 1));
        TRY(check_sector(buf, n - 1));
        TRY(check_fill(buf + TD_SECTOR, PAGE - TD_SECTOR, "the buffer past the disk's end"));
        memset(buf2, FILL, TD_SECTOR);
        entry(1, gpa_of(buf2), TD_SECTOR, 1ULL << 40, SVB_CMD_READ);
        doorbell(2);
        TRY(check_regs(SVB_READY, QS, ring, 2, 2));
        TRY(check_fill(buf2, TD_SECTOR, "a buffer for sectors beyond the disk"));
        return recover();
}

int hostile_svirtb_error_midway(void)
{
        TRY(start());
        memset(buf, FILL, TD_SECTOR);
        memset(buf2, FILL, TD_SECTOR);
        memset(buf3, FILL, TD_SECTOR);
        entry(0, gpa_of(buf), TD_SECTOR, KNOWN, SVB_CMD_READ);
        entry(1, gpa_of(buf2), TD_SECTOR, KNOWN, 7);
        entry(2, gpa_of(buf3), TD_SECTOR, KNOWN + 1, SVB_CMD_READ);
        doorbell(3);
        TRY(check_reset(3, 1));
        TRY(check_sector(buf, KNOWN));
        TRY(check_fill(buf2, TD_SECTOR, "the bad entry's buffer"));
        TRY(check_fill(buf3, TD_SECTOR, "the entry after the bad one"));
        doorbell(3);
        TRY(check_reset(3, 1));
        TRY(check_fill(buf3, TD_SECTOR, "the entry after the bad one"));
        return recover();
}

/* === registers ================================================================= */

int hostile_svirtb_head_out_of_range(void)
{
        static const uint32_t heads[] = {QS, 0xffffffffu};

        for (unsigned k = 0; k < 2; k++) {
                TRY(start());
                memset(buf, FILL, TD_SECTOR);
                entry(0, gpa_of(buf), TD_SECTOR, KNOWN, SVB_CMD_READ);
                doorbell(heads[k]);
                TRY(check_reset(0, 0));
                TRY(check_fill(buf, TD_SECTOR, "buffer"));
        }
        return recover();
}

int hostile_svirtb_queue_size_zero(void)
{
        TRY(start());
        EXPECT(init(gpa_of(ring_mem), 0) == SVB_RESET, "status 0x%x", reg(SVB_REG_STATUS));
        TRY(check_reset(0, 0));
        doorbell(0);
        TRY(check_reset(0, 0));
        return recover();
}

int hostile_svirtb_queue_size_above_max(void)
{
        static const uint32_t sizes[] = {SVB_QUEUE_MAX + 1, 0xffffffffu};

        for (unsigned k = 0; k < 2; k++) {
                TRY(start());
                EXPECT(init(gpa_of(ring_mem), sizes[k]) == SVB_RESET, "queue_size %u: status 0x%x",
                       sizes[k], reg(SVB_REG_STATUS));
                TRY(check_reset(0, 0));
        }
        TRY(start());
        memset(ring_mem, 0, sizeof(ring_mem));
        EXPECT(init(gpa_of(ring_mem), SVB_QUEUE_MAX) == SVB_READY, "queue_size %u: status 0x%x",
               SVB_QUEUE_MAX, reg(SVB_REG_STATUS));
        TRY(advance(SVB_QUEUE_MAX - 1));
        TRY(valid_read(SVB_QUEUE_MAX - 1, KNOWN, buf));
        return recover();
}

int hostile_svirtb_ring_outside_ram(void)
{
        uint64_t rings[3];

        TRY(start()); /* sets base, which rings[1] needs */
        rings[0] = HOLE;
        rings[1] = base;
        rings[2] = 0xffffffff00000000ULL;
        for (unsigned k = 0; k < 3; k++) {
                TRY(start());
                EXPECT(init(rings[k], QS) == SVB_RESET, "ring 0x%lx: status 0x%x", rings[k],
                       reg(SVB_REG_STATUS));
                TRY(check_reset(0, 0));
        }
        return recover();
}

/* The last entries of the ring lie in the FDT's area (copied at boot). */
int hostile_svirtb_ring_past_ram_end(void)
{
        TRY(start());
        EXPECT(init(ram_end() - (QS - 1) * 32, QS) == SVB_RESET, "status 0x%x",
               reg(SVB_REG_STATUS));
        TRY(check_reset(0, 0));
        TRY(start());
        memset((void *)(uintptr_t)(ram_end() - QS * 32), 0, QS * 32);
        EXPECT(init(ram_end() - QS * 32, QS) == SVB_READY, "ring at the end: status 0x%x",
               reg(SVB_REG_STATUS));
        TRY(advance(QS - 1));
        TRY(valid_read(QS - 1, KNOWN, buf));
        return recover();
}

int hostile_svirtb_regs_while_ready(void)
{
        TRY(start());
        wr(SVB_REG_QUEUE_SIZE, 1);
        wr(SVB_REG_QUEUE_ADDR_HI, 1);
        wr(SVB_REG_QUEUE_ADDR_LO, (uint32_t)HOLE);
        wr(SVB_REG_STATUS, SVB_DRIVER_OK);
        wr(SVB_REG_STATUS, SVB_READY);
        wr(SVB_REG_QUEUE_TAIL, 5);
        TRY(check_regs(SVB_READY, QS, gpa_of(ring_mem), 0, 0));
        TRY(valid_read(0, KNOWN, buf));
        return recover();
}

int hostile_svirtb_doorbell_before_ready(void)
{
        TRY(start());
        memset(buf, FILL, TD_SECTOR);
        entry(0, gpa_of(buf), TD_SECTOR, KNOWN, SVB_CMD_READ);
        wr(SVB_REG_STATUS, SVB_RESET);
        doorbell(1);
        TRY(check_regs(SVB_MAGIC, 0, 0, 0, 0));
        wr(SVB_REG_STATUS, SVB_DRIVER_OK);
        wr(SVB_REG_QUEUE_ADDR_HI, 0);
        wr(SVB_REG_QUEUE_ADDR_LO, (uint32_t)gpa_of(ring_mem));
        wr(SVB_REG_QUEUE_SIZE, QS);
        doorbell(1);
        TRY(check_regs(SVB_DRIVER_OK, QS, gpa_of(ring_mem), 0, 0));
        TRY(check_fill(buf, TD_SECTOR, "buffer"));
        return recover();
}

int hostile_svirtb_bad_width(void)
{
        uintptr_t b = (uintptr_t)base;

        TRY(start());
        memset(buf, FILL, TD_SECTOR);
        entry(0, gpa_of(buf), TD_SECTOR, KNOWN, SVB_CMD_READ);
        barrier();
        *(volatile uint8_t *)(b + SVB_REG_QUEUE_HEAD) = 1;
        *(volatile uint16_t *)(b + SVB_REG_QUEUE_HEAD) = 1;
        *(volatile uint64_t *)(b + SVB_REG_QUEUE_HEAD) = 1;
        *(volatile uint32_t *)(b + SVB_REG_QUEUE_HEAD + 1) = 1;
        *(volatile uint8_t *)(b + SVB_REG_STATUS) = SVB_RESET;
        *(volatile uint32_t *)(b + SVB_REG_STATUS + 2) = SVB_RESET;
        *(volatile uint32_t *)(b + 0x18) = 1;
        *(volatile uint32_t *)(b + PAGE - 4) = 1;
        barrier();
        TRY(check_regs(SVB_READY, QS, gpa_of(ring_mem), 0, 0));
        TRY(check_fill(buf, TD_SECTOR, "buffer"));
        doorbell(1);
        TRY(check_regs(SVB_READY, QS, gpa_of(ring_mem), 1, 1));
        TRY(check_sector(buf, KNOWN));
        return recover();
}

int hostile_svirtb_status_garbage(void)
{
        TRY(start());
        wr(SVB_REG_STATUS, SVB_RESET);
        wr(SVB_REG_STATUS, 7);
        wr(SVB_REG_STATUS, SVB_READY);
        wr(SVB_REG_STATUS, SVB_MAGIC);
        TRY(check_regs(SVB_MAGIC, 0, 0, 0, 0));
        wr(SVB_REG_STATUS, SVB_DRIVER_OK);
        wr(SVB_REG_STATUS, SVB_MAGIC);
        wr(SVB_REG_STATUS, 0xffffffffu);
        TRY(check_regs(SVB_DRIVER_OK, 0, 0, 0, 0));
        TRY(init_ok());
        wr(SVB_REG_STATUS, SVB_DRIVER_OK);
        wr(SVB_REG_STATUS, 3);
        TRY(check_regs(SVB_READY, QS, gpa_of(ring_mem), 0, 0));
        return recover();
}
