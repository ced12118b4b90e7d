/*
 * svirtb_drv: the guest's driver for the Simple VirtIO Block device
 * (contract: docs/svirtb.md). The register values are written out here
 * from the contract rather than taken from devices/svirtb.h, so the guest
 * checks the device against the document, not against itself.
 *
 * Registers are read directly (no exit) and written through traps; the
 * device processes a doorbell synchronously, so right after the queue_head
 * write returns every entry is done and tail == head.
 *
 * Ring discipline: head and tail are slot indices modulo queue_size and the
 * ring is empty when head == tail, so at most queue_size - 1 entries may be
 * outstanding. The driver fills only the free slots between head and tail
 * and splits a larger batch over several doorbells; queue_size 1 leaves no
 * usable slot and every transfer fails with SVB_E_RING_TOO_SMALL.
 *
 * Every function returns 0 or one of enum gsvb_err; nothing here prints.
 * After SVB_E_DEVICE_RESET (or any doorbell error) the driver is no longer
 * live: gsvb_reset() then gsvb_init() bring it back.
 */
#ifndef GUEST_SVIRTB_DRV_H
#define GUEST_SVIRTB_DRV_H

#include <stdbool.h>
#include <stdint.h>

#define SVB_BASE 0xcafe0000ULL

#define SVB_REG_STATUS        0x00
#define SVB_REG_QUEUE_SIZE    0x04
#define SVB_REG_QUEUE_ADDR_HI 0x08
#define SVB_REG_QUEUE_ADDR_LO 0x0c
#define SVB_REG_QUEUE_HEAD    0x10
#define SVB_REG_QUEUE_TAIL    0x14

#define SVB_MAGIC     0x74726976u /* "virt" */
#define SVB_DRIVER_OK 0u
#define SVB_READY     1u
#define SVB_RESET     2u

#define SVB_CMD_READ  0u
#define SVB_CMD_WRITE 1u

#define SVB_QUEUE_MAX 4096u
#define SVB_SECTOR    512u

/* One ring entry, 32 bytes apart (svirtb.md: "Ring"). */
struct gsvb_entry {
        uint64_t addr;
        uint64_t size;
        uint64_t sector;
        uint32_t cmd;
        uint32_t pad;
};

enum gsvb_err {
        SVB_OK = 0,
        SVB_E_NO_MAGIC,       /* status was not MAGIC (init) or did not become MAGIC (reset) */
        SVB_E_DRIVER_OK,      /* DRIVER_OK did not read back */
        SVB_E_REJECTED,       /* READY read back RESET: the device refused the queue */
        SVB_E_NOT_READY,      /* READY did not read back / status not READY for I/O */
        SVB_E_NOT_LIVE,       /* transfer before a successful gsvb_init() */
        SVB_E_RING_TOO_SMALL, /* queue_size < 2: no slot may be outstanding */
        SVB_E_BAD_TAIL,       /* tail register not below queue_size */
        SVB_E_DEVICE_RESET,   /* after a doorbell the device was in RESET */
        SVB_E_NOT_CONSUMED,   /* after a doorbell tail != head */
};

/* One transfer: size bytes between guest memory at buf and the disk at
 * byte offset sector * 512. buf is a guest-physical address (identity map). */
struct gsvb_io {
        uint64_t sector;
        void *buf;
        uint64_t size;
};

struct svb {
        uint64_t base;           /* register block */
        struct gsvb_entry *ring; /* queue_size entries, at its guest-physical address */
        uint32_t queue_size;
        uint32_t head;      /* next free slot: the last value written to queue_head */
        bool live;          /* READY read back and no doorbell error since */
        uint32_t doorbells; /* queue_head writes so far (for tests) */
};

const char *gsvb_strerror(int err);

uint32_t gsvb_reg_read(const struct svb *d, uint32_t off);
void gsvb_reg_write(const struct svb *d, uint32_t off, uint32_t v);
static inline uint32_t gsvb_status(const struct svb *d)
{
        return gsvb_reg_read(d, SVB_REG_STATUS);
}

/* Binds d to the register block at base; touches no register. */
void gsvb_bind(struct svb *d, uint64_t base);
/* Writes RESET (valid from any state) and checks the status reads MAGIC. */
int gsvb_reset(struct svb *d);
/*
 * The spec's initialization: status must be MAGIC; DRIVER_OK; the queue
 * registers; READY. ring_gpa and queue_size go to the device unchecked (the
 * device validates them); on success the driver owns queue_size entries at
 * ring_gpa, which must then be writable guest memory.
 */
int gsvb_init(struct svb *d, uint64_t ring_gpa, uint32_t queue_size);

/* n transfers with command cmd (not checked: tests send bad ones), in order,
 * in as few doorbells as the free slots allow. */
int gsvb_submit(struct svb *d, uint32_t cmd, const struct gsvb_io *ios, uint32_t n);
int gsvb_read(struct svb *d, uint64_t sector, void *buf, uint64_t size);
int gsvb_write(struct svb *d, uint64_t sector, const void *buf, uint64_t size);
int gsvb_read_many(struct svb *d, const struct gsvb_io *ios, uint32_t n);
int gsvb_write_many(struct svb *d, const struct gsvb_io *ios, uint32_t n);

#endif
