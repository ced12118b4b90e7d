/*
 * svirtb: the Simple VirtIO Block device (contract: svirtb.h and
 * docs/svirtb.md, the protocol spec cited below as "svirtb.md").
 *
 * Every guest write goes through svirtb_mmio_write(): it is either accepted
 * (traced, applied, then all six registers mirrored into the page) or ignored
 * (traced, page untouched), so the page always equals the device state.
 * A doorbell consumes at most queue_size - 1 entries, each read once from
 * guest memory into a local copy before it is validated and acted on. Any
 * error puts the device in RESET; nothing here trusts a guest value.
 */
#include "svirtb.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "le.h"
#include "trace.h"

static const char *svirtb_status_name(uint32_t v)
{
        switch (v) {
        case SVIRTB_MAGIC:
                return "MAGIC";
        case SVIRTB_DRIVER_OK:
                return "DRIVER_OK";
        case SVIRTB_READY:
                return "READY";
        case SVIRTB_RESET:
                return "RESET";
        default:
                return "unknown";
        }
}

static const char *svirtb_reg_name(uint64_t off)
{
        static const char *const names[SVIRTB_NREGS] = {
            "status", "queue_size", "queue_addr_hi", "queue_addr_lo", "queue_head", "queue_tail",
        };

        return off / 4 < SVIRTB_NREGS ? names[off / 4] : "?";
}

static uint64_t svirtb_ring_addr(const struct svirtb *s)
{
        return (uint64_t)s->queue_addr_hi << 32 | s->queue_addr_lo;
}

/* Writes the six registers into the guest-visible page (svirtb.md, Access model). */
static void svirtb_mirror(struct svirtb *s)
{
        const uint32_t regs[SVIRTB_NREGS] = {
            s->status, s->queue_size, s->queue_addr_hi, s->queue_addr_lo, s->head, s->tail,
        };
        unsigned i;

        for (i = 0; i < SVIRTB_NREGS; i++)
                le32_put(s->page + 4 * i, regs[i]);
}

/*
 * Error state (svirtb.md, Errors and reset): status RESET until the driver
 * writes RESET. reason is a static string kept for the VMM; the formatted
 * details, with the offending values, go to the trace.
 */
static void svirtb_fail(struct svirtb *s, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void svirtb_fail(struct svirtb *s, const char *reason, const char *fmt, ...)
{
        char details[192];
        va_list ap;

        s->status = SVIRTB_RESET;
        s->reset_reason = reason;
        if (!trace_enabled)
                return;
        va_start(ap, fmt);
        vsnprintf(details, sizeof(details), fmt, ap);
        va_end(ap);
        TRACE("svirtb: RESET: %s", details);
}

/* LAB(svirtb) BEGIN reset */
void svirtb_reset(struct svirtb *s)
{
        s->status = SVIRTB_MAGIC;
        s->queue_size = 0;
        s->queue_addr_hi = 0;
        s->queue_addr_lo = 0;
        s->head = 0;
        s->tail = 0;
        svirtb_mirror(s);
}
/* LAB(svirtb) END reset */

void svirtb_init(struct svirtb *s, void *page, const struct gmem *gm, struct disk *disk)
{
        s->page = page;
        s->gm = gm;
        s->disk = disk;
        s->reset_reason = NULL;
        memset(s->page, 0, SVIRTB_PAGE_SIZE);
        svirtb_reset(s);
}

/* Decodes the 32 little-endian bytes of one ring entry (svirtb.md, Ring). */
static void svirtb_decode(const uint8_t raw[SVIRTB_ENTRY_SIZE], struct svirtb_entry *e)
{
        e->addr = le64_get(raw);
        e->size = le64_get(raw + 8);
        e->sector = le64_get(raw + 16);
        e->cmd = le32_get(raw + 24);
        e->pad = le32_get(raw + 28);
}

static const char *svirtb_cmd_name(uint32_t cmd)
{
        if (cmd == SVIRTB_CMD_READ)
                return "read";
        if (cmd == SVIRTB_CMD_WRITE)
                return "write";
        return "invalid";
}

/* Reads ring slot idx once into e and traces it; 0 or -EFAULT (device in RESET). */
static int svirtb_fetch(struct svirtb *s, uint32_t idx, struct svirtb_entry *e)
{
        uint8_t raw[SVIRTB_ENTRY_SIZE];
        uint64_t gpa;

        /* idx < queue_size <= 4096, so idx * 32 cannot overflow. */
        if (__builtin_add_overflow(svirtb_ring_addr(s), (uint64_t)idx * SVIRTB_ENTRY_SIZE, &gpa) ||
            gmem_read(s->gm, gpa, raw, sizeof(raw)) < 0) {
                svirtb_fail(s, "ring entry not in guest RAM",
                            "entry %" PRIu32 ": slot not readable in guest RAM", idx);
                return -EFAULT;
        }
        svirtb_decode(raw, e);
        TRACE("svirtb: entry %" PRIu32 ": cmd=%" PRIu32 " (%s) sector=%" PRIu64 " size=%" PRIu64
              " addr=0x%" PRIx64,
              idx, e->cmd, svirtb_cmd_name(e->cmd), e->sector, e->size, e->addr);
        return 0;
}

/* LAB(svirtb) BEGIN entries */
static int svirtb_do_read(struct svirtb *s, uint32_t idx, uint64_t off, void *buf, uint64_t size)
{
        /* size fits size_t: gmem accepted it as one host buffer. */
        ssize_t n = disk_read(s->disk, off, buf, (size_t)size);

        if (n < 0) {
                svirtb_fail(s, "disk read error", "entry %" PRIu32 ": disk read failed: %s", idx,
                            strerror((int)-n));
                return (int)n;
        }
        /* Past the end: only existing bytes, the rest untouched (svirtb.md, Processing). */
        if ((uint64_t)n < size)
                TRACE("svirtb: entry %" PRIu32 ": read %zd of %" PRIu64 " bytes (end of disk)", idx,
                      n, size);
        return 0;
}

static int svirtb_do_write(struct svirtb *s, uint32_t idx, uint64_t off, const void *buf,
                           uint64_t size)
{
        ssize_t n = disk_write(s->disk, off, buf, (size_t)size);

        /* A read-only disk changes nothing and is not an error (svirtb.md, Processing). */
        if (n == -EROFS) {
                TRACE("svirtb: entry %" PRIu32 ": write ignored (read-only disk)", idx);
                return 0;
        }
        if (n < 0) {
                svirtb_fail(s, "disk write error", "entry %" PRIu32 ": disk write failed: %s", idx,
                            strerror((int)-n));
                return (int)n;
        }
        /* The image never grows: only bytes inside the disk are written. */
        if ((uint64_t)n < size)
                TRACE("svirtb: entry %" PRIu32 ": wrote %zd of %" PRIu64 " bytes (end of disk)",
                      idx, n, size);
        return 0;
}

/*
 * Validates the local copy of an entry and performs it; 0, or a negative
 * code with the device in RESET (svirtb.md, Errors and reset).
 */
static int svirtb_do_entry(struct svirtb *s, uint32_t idx)
{
        struct svirtb_entry e;
        uint64_t off, end;
        void *buf;

        if (svirtb_fetch(s, idx, &e) < 0)
                return -EFAULT;
        if (e.cmd != SVIRTB_CMD_READ && e.cmd != SVIRTB_CMD_WRITE) {
                svirtb_fail(s, "bad command",
                            "entry %" PRIu32 ": cmd %" PRIu32 " is neither read (0) nor write (1)",
                            idx, e.cmd);
                return -EINVAL;
        }
        if (__builtin_mul_overflow(e.sector, (uint64_t)SVIRTB_SECTOR, &off) ||
            __builtin_add_overflow(off, e.size, &end)) {
                svirtb_fail(s, "sector * 512 + size overflows",
                            "entry %" PRIu32 ": sector %" PRIu64 " * 512 + size %" PRIu64
                            " overflows 64 bits",
                            idx, e.sector, e.size);
                return -EINVAL;
        }
        /* The whole buffer inside one region of guest RAM, even when size is 0. */
        buf = gmem_ptr(s->gm, e.addr, e.size);
        if (buf == NULL) {
                svirtb_fail(s, "buffer not in guest RAM",
                            "entry %" PRIu32 ": buffer 0x%" PRIx64 " + %" PRIu64
                            " bytes not inside guest RAM",
                            idx, e.addr, e.size);
                return -EFAULT;
        }
        if (e.size == 0)
                return 0;
        if (e.cmd == SVIRTB_CMD_READ)
                return svirtb_do_read(s, idx, off, buf, e.size);
        return svirtb_do_write(s, idx, off, buf, e.size);
}

/*
 * Doorbell (svirtb.md, Processing): consume tail..head-1 modulo queue_size,
 * synchronously; on error tail stays at the failed entry.
 */
static void svirtb_doorbell(struct svirtb *s, uint32_t head)
{
        uint32_t n;

        if (head >= s->queue_size) {
                svirtb_fail(s, "queue_head not below queue_size",
                            "queue_head %" PRIu32 " not below queue_size %" PRIu32, head,
                            s->queue_size);
                return;
        }
        s->head = head;
        /* tail < queue_size while READY, so this takes at most queue_size - 1 steps. */
        for (n = 0; n < s->queue_size && s->tail != s->head; n++) {
                if (svirtb_do_entry(s, s->tail) < 0)
                        return;
                s->tail = (s->tail + 1) % s->queue_size;
        }
}
/* LAB(svirtb) END entries */

/* LAB(svirtb) BEGIN ready */
/* READY written in DRIVER_OK: validate the ring (svirtb.md, Initialization). */
static void svirtb_make_ready(struct svirtb *s)
{
        uint64_t ring = svirtb_ring_addr(s);

        if (s->queue_size == 0 || s->queue_size > SVIRTB_QUEUE_MAX) {
                svirtb_fail(s, "queue_size out of range", "queue_size %" PRIu32 " not in 1..%u",
                            s->queue_size, SVIRTB_QUEUE_MAX);
                return;
        }
        if (!gmem_contains(s->gm, ring, (uint64_t)s->queue_size * SVIRTB_ENTRY_SIZE)) {
                svirtb_fail(s, "ring not in guest RAM",
                            "ring 0x%" PRIx64 " + %" PRIu32 " x 32 bytes not inside guest RAM",
                            ring, s->queue_size);
                return;
        }
        s->status = SVIRTB_READY;
        s->head = 0;
        s->tail = 0;
        TRACE("svirtb: READY: ring at 0x%" PRIx64 ", %" PRIu32 " entries", ring, s->queue_size);
}
/* LAB(svirtb) END ready */

/* LAB(svirtb) BEGIN accepts */
/* Whether a status write means anything in the current state. */
static bool svirtb_status_accepts(const struct svirtb *s, uint32_t v)
{
        if (v == SVIRTB_RESET)
                return true; /* from any state (svirtb.md, Errors and reset) */
        if (s->status == SVIRTB_MAGIC)
                return v == SVIRTB_DRIVER_OK;
        if (s->status == SVIRTB_DRIVER_OK)
                return v == SVIRTB_DRIVER_OK || v == SVIRTB_READY;
        return false; /* READY and RESET only leave through a RESET write */
}

static bool svirtb_accepts(const struct svirtb *s, uint64_t off, uint32_t v)
{
        switch (off) {
        case SVIRTB_REG_STATUS:
                return svirtb_status_accepts(s, v);
        case SVIRTB_REG_QUEUE_SIZE:
        case SVIRTB_REG_QUEUE_ADDR_HI:
        case SVIRTB_REG_QUEUE_ADDR_LO:
                /* Queue registers only between DRIVER_OK and READY. */
                return s->status == SVIRTB_DRIVER_OK;
        case SVIRTB_REG_QUEUE_HEAD:
                return s->status == SVIRTB_READY; /* no doorbell before READY */
        default:
                return false; /* queue_tail is device-owned */
        }
}
/* LAB(svirtb) END accepts */

static void svirtb_trace_write(const struct svirtb *s, uint64_t off, uint32_t v, bool accepted)
{
        const char *verb = accepted ? "write" : "ignored write";
        char why[48] = "";

        if (!trace_enabled)
                return;
        if (!accepted && off == SVIRTB_REG_QUEUE_TAIL)
                snprintf(why, sizeof(why), " (device-owned)");
        else if (!accepted)
                snprintf(why, sizeof(why), " (status %s)", svirtb_status_name(s->status));
        if (off == SVIRTB_REG_STATUS)
                TRACE("svirtb: %s status <- 0x%08" PRIx32 " (%s)%s", verb, v, svirtb_status_name(v),
                      why);
        else if (off == SVIRTB_REG_QUEUE_ADDR_HI || off == SVIRTB_REG_QUEUE_ADDR_LO)
                TRACE("svirtb: %s %s <- 0x%08" PRIx32 "%s", verb, svirtb_reg_name(off), v, why);
        else
                TRACE("svirtb: %s %s <- %" PRIu32 "%s", verb, svirtb_reg_name(off), v, why);
}

/* LAB(svirtb) BEGIN apply */
static void svirtb_apply(struct svirtb *s, uint64_t off, uint32_t v)
{
        switch (off) {
        case SVIRTB_REG_STATUS:
                if (v == SVIRTB_RESET) {
                        TRACE("svirtb: reset by driver: back to MAGIC, queue forgotten");
                        svirtb_reset(s);
                } else if (v == SVIRTB_READY) {
                        svirtb_make_ready(s);
                } else {
                        s->status = v; /* DRIVER_OK */
                }
                break;
        case SVIRTB_REG_QUEUE_SIZE:
                s->queue_size = v;
                break;
        case SVIRTB_REG_QUEUE_ADDR_HI:
                s->queue_addr_hi = v;
                break;
        case SVIRTB_REG_QUEUE_ADDR_LO:
                s->queue_addr_lo = v;
                break;
        case SVIRTB_REG_QUEUE_HEAD:
                svirtb_doorbell(s, v);
                break;
        }
}
/* LAB(svirtb) END apply */

void svirtb_mmio_write(struct svirtb *s, uint64_t offset, const uint8_t *data, uint32_t len)
{
        bool accepted;
        uint32_t v;

        /* Only aligned 32-bit writes to the six registers (svirtb.md, Access model). */
        if (data == NULL || len != 4 || offset % 4 != 0 || offset > SVIRTB_REG_QUEUE_TAIL) {
                TRACE("svirtb: ignored %" PRIu32 "-byte write at 0x%" PRIx64, len, offset);
                return;
        }
        v = le32_get(data);
        accepted = svirtb_accepts(s, offset, v);
        svirtb_trace_write(s, offset, v, accepted);
        if (!accepted)
                return;
        svirtb_apply(s, offset, v);
        svirtb_mirror(s);
}

void svirtb_mmio_read(struct svirtb *s, uint64_t offset, uint8_t *data, uint32_t len)
{
        uint32_t i;

        for (i = 0; i < len; i++) {
                /* Bytes outside the page read as 0; offset + i never computed. */
                if (offset < SVIRTB_PAGE_SIZE && i < SVIRTB_PAGE_SIZE - offset)
                        data[i] = s->page[offset + i];
                else
                        data[i] = 0;
        }
}
