/* svirtb_drv: the svirtb driver (contract in svirtb_drv.h and docs/svirtb.md). */
#include <stddef.h>

#include "svirtb_drv.h"
#include "guest.h"

static const char *const gsvb_errs[] = {
    [SVB_OK] = "ok",
    [SVB_E_NO_MAGIC] = "status is not MAGIC",
    [SVB_E_DRIVER_OK] = "DRIVER_OK did not read back",
    [SVB_E_REJECTED] = "device rejected the queue (READY read back RESET)",
    [SVB_E_NOT_READY] = "status is not READY",
    [SVB_E_NOT_LIVE] = "driver not initialized",
    [SVB_E_RING_TOO_SMALL] = "queue_size < 2 leaves no usable slot",
    [SVB_E_BAD_TAIL] = "queue_tail not below queue_size",
    [SVB_E_DEVICE_RESET] = "device went to RESET after the doorbell",
    [SVB_E_NOT_CONSUMED] = "queue_tail != queue_head after the doorbell",
};

const char *gsvb_strerror(int err)
{
        if (err < 0 || err >= (int)(sizeof(gsvb_errs) / sizeof(gsvb_errs[0])) || !gsvb_errs[err])
                return "unknown error";
        return gsvb_errs[err];
}

uint32_t gsvb_reg_read(const struct svb *d, uint32_t off)
{
        return mmio_read32(d->base + off);
}

void gsvb_reg_write(const struct svb *d, uint32_t off, uint32_t v)
{
        /* Entries and buffers must be in memory before the trap that lets the
         * device look at them, and re-read after it. */
        barrier();
        mmio_write32(d->base + off, v);
        barrier();
}

void gsvb_bind(struct svb *d, uint64_t base)
{
        d->base = base;
        d->ring = NULL;
        d->queue_size = 0;
        d->head = 0;
        d->live = false;
        d->doorbells = 0;
}

int gsvb_reset(struct svb *d)
{
        d->live = false;
        d->head = 0;
        gsvb_reg_write(d, SVB_REG_STATUS, SVB_RESET);
        return gsvb_status(d) == SVB_MAGIC ? SVB_OK : SVB_E_NO_MAGIC;
}

int gsvb_init(struct svb *d, uint64_t ring_gpa, uint32_t queue_size)
{
        uint32_t st;

        d->live = false;
        d->head = 0;
        if (gsvb_status(d) != SVB_MAGIC)
                return SVB_E_NO_MAGIC;
        gsvb_reg_write(d, SVB_REG_STATUS, SVB_DRIVER_OK);
        if (gsvb_status(d) != SVB_DRIVER_OK)
                return SVB_E_DRIVER_OK;
        gsvb_reg_write(d, SVB_REG_QUEUE_ADDR_HI, (uint32_t)(ring_gpa >> 32));
        gsvb_reg_write(d, SVB_REG_QUEUE_ADDR_LO, (uint32_t)ring_gpa);
        gsvb_reg_write(d, SVB_REG_QUEUE_SIZE, queue_size);
        gsvb_reg_write(d, SVB_REG_STATUS, SVB_READY);
        st = gsvb_status(d);
        if (st == SVB_RESET)
                return SVB_E_REJECTED;
        if (st != SVB_READY)
                return SVB_E_NOT_READY;
        d->ring = (struct gsvb_entry *)(uintptr_t)ring_gpa;
        d->queue_size = queue_size;
        d->head = gsvb_reg_read(d, SVB_REG_QUEUE_HEAD);
        d->live = true;
        return SVB_OK;
}

/* Rings the doorbell for the entries filled up to new_head and checks the
 * device consumed them all. */
static int gsvb_doorbell(struct svb *d, uint32_t new_head)
{
        uint32_t st;

        d->head = new_head;
        d->doorbells++;
        gsvb_reg_write(d, SVB_REG_QUEUE_HEAD, new_head);
        st = gsvb_status(d);
        if (st != SVB_READY) {
                d->live = false;
                return st == SVB_RESET ? SVB_E_DEVICE_RESET : SVB_E_NOT_READY;
        }
        if (gsvb_reg_read(d, SVB_REG_QUEUE_TAIL) != new_head) {
                d->live = false;
                return SVB_E_NOT_CONSUMED;
        }
        return SVB_OK;
}

int gsvb_submit(struct svb *d, uint32_t cmd, const struct gsvb_io *ios, uint32_t n)
{
        uint32_t done = 0;

        if (!d->live)
                return SVB_E_NOT_LIVE;
        if (d->queue_size < 2)
                return SVB_E_RING_TOO_SMALL;
        while (done < n) {
                uint32_t qs = d->queue_size, tail, room, head;
                int err;

                if (gsvb_status(d) != SVB_READY)
                        return SVB_E_NOT_READY;
                tail = gsvb_reg_read(d, SVB_REG_QUEUE_TAIL);
                if (tail >= qs)
                        return SVB_E_BAD_TAIL;
                /* Free slots: head .. tail - 2 (one slot stays empty, or head == tail is
                 * ambiguous). */
                room = (tail + qs - d->head - 1) % qs;
                if (room == 0)
                        return SVB_E_NOT_CONSUMED;
                head = d->head;
                for (; room && done < n; room--, done++) {
                        struct gsvb_entry *e = &d->ring[head];

                        e->addr = gpa_of(ios[done].buf);
                        e->size = ios[done].size;
                        e->sector = ios[done].sector;
                        e->cmd = cmd;
                        e->pad = 0;
                        head = (head + 1) % qs;
                }
                err = gsvb_doorbell(d, head);
                if (err)
                        return err;
        }
        return SVB_OK;
}

int gsvb_read_many(struct svb *d, const struct gsvb_io *ios, uint32_t n)
{
        return gsvb_submit(d, SVB_CMD_READ, ios, n);
}

int gsvb_write_many(struct svb *d, const struct gsvb_io *ios, uint32_t n)
{
        return gsvb_submit(d, SVB_CMD_WRITE, ios, n);
}

int gsvb_read(struct svb *d, uint64_t sector, void *buf, uint64_t size)
{
        struct gsvb_io io = {sector, buf, size};

        return gsvb_submit(d, SVB_CMD_READ, &io, 1);
}

int gsvb_write(struct svb *d, uint64_t sector, const void *buf, uint64_t size)
{
        struct gsvb_io io = {sector, (void *)(uintptr_t)buf, size};

        return gsvb_submit(d, SVB_CMD_WRITE, &io, 1);
}
