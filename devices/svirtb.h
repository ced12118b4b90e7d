/*
 * svirtb: the Simple VirtIO Block device (contract: docs/svirtb.md).
 *
 * Six little-endian 32-bit registers at the start of one 4 KiB page that the
 * guest reads directly (the VMM maps it read-only into the guest) and writes
 * through traps: svirtb_mmio_write() applies a write and mirrors the new
 * register values into the page before the guest resumes. A doorbell
 * (queue_head) is processed synchronously inside that call.
 * Every error puts the device, not the VMM, in RESET; nothing here exits,
 * asserts or loops more than queue_size times per doorbell.
 * Guest memory is reached only through gmem, the image only through disk.
 */
#ifndef MINIVMM_SVIRTB_H
#define MINIVMM_SVIRTB_H

#include <stdint.h>

#include "disk.h"
#include "gmem.h"

#define SVIRTB_BASE      0xcafe0000ULL
#define SVIRTB_PAGE_SIZE 0x1000u

/* Register offsets. */
#define SVIRTB_REG_STATUS        0x00
#define SVIRTB_REG_QUEUE_SIZE    0x04
#define SVIRTB_REG_QUEUE_ADDR_HI 0x08
#define SVIRTB_REG_QUEUE_ADDR_LO 0x0c
#define SVIRTB_REG_QUEUE_HEAD    0x10
#define SVIRTB_REG_QUEUE_TAIL    0x14
#define SVIRTB_NREGS             6

/* Status values. */
#define SVIRTB_MAGIC     0x74726976u
#define SVIRTB_DRIVER_OK 0u
#define SVIRTB_READY     1u
#define SVIRTB_RESET     2u

#define SVIRTB_CMD_READ   0u
#define SVIRTB_CMD_WRITE  1u
#define SVIRTB_ENTRY_SIZE 32u
#define SVIRTB_QUEUE_MAX  4096u
#define SVIRTB_SECTOR     512u

/* One ring entry as it lies in guest memory (little-endian, 32 bytes). */
struct svirtb_entry {
        uint64_t addr;
        uint64_t size;
        uint64_t sector;
        uint32_t cmd;
        uint32_t pad;
};

struct svirtb {
        uint8_t *page; /* the guest-visible register page, SVIRTB_PAGE_SIZE bytes */
        const struct gmem *gm;
        struct disk *disk;
        /* Device state; the page mirrors it. */
        uint32_t status;
        uint32_t queue_size;
        uint32_t queue_addr_hi;
        uint32_t queue_addr_lo;
        uint32_t head;
        uint32_t tail;
        const char *reset_reason; /* why the device last entered RESET, or NULL */
};

/* Binds the device to its page, memory and disk, and resets it (status MAGIC). */
void svirtb_init(struct svirtb *s, void *page, const struct gmem *gm, struct disk *disk);
/* Back to MAGIC: queue forgotten, head = tail = 0, page rewritten. */
void svirtb_reset(struct svirtb *s);
/* A guest write of len bytes at offset into the page. Only aligned 32-bit
 * writes to the six registers mean anything; others are ignored (traced). */
void svirtb_mmio_write(struct svirtb *s, uint64_t offset, const uint8_t *data, uint32_t len);
/* A guest read that exited anyway: served from the page (zeros past it). */
void svirtb_mmio_read(struct svirtb *s, uint64_t offset, uint8_t *data, uint32_t len);

#endif
