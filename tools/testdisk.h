/*
 * testdisk: the layout of the disk images the guest test suite runs on.
 *
 * Shared by tools/mkdisk (host, makes and checks images) and the guest tests
 * (freestanding): only static inline functions and constants, stdint only.
 *
 * An image of N sectors (N >= TD_MIN_SECTORS) made by `mkdisk make` holds, in
 * every sector s: bytes 0-7 "MVMMDISK", bytes 8-15 le64 s, bytes 16-23 le64 N,
 * and byte i (24 <= i < 512) = td_read_byte(s, i). A guest learns N from
 * sector 0 and can tell every sector apart.
 * The guest's write tests write sector s with td_write_byte(s, i) for every
 * i in 0..511, only in the sectors listed below (inside [TD_WRITE_FIRST,
 * TD_WRITE_END)); every other sector keeps its original bytes.
 */
#ifndef MINIVMM_TESTDISK_H
#define MINIVMM_TESTDISK_H

#include <stdint.h>

#define TD_SECTOR      512u
#define TD_MIN_SECTORS 128u
#define TD_MAGIC       "MVMMDISK"

/* Sectors only read, never written: [0, TD_WRITE_FIRST) and the last one. */
#define TD_WRITE_FIRST 16u
#define TD_WRITE_END   64u

/* Sectors each write test writes (first, count). */
#define TD_SEC_SINGLE 16u /* svirtb_write_read_single */
#define TD_N_SINGLE   1u
#define TD_SEC_BATCH  20u /* svirtb_batch_write_read */
#define TD_N_BATCH    4u
#define TD_SEC_WRAP   32u /* svirtb_ring_wrap */
#define TD_N_WRAP     10u
#define TD_SEC_SPAN   48u /* svirtb_page_span */
#define TD_N_SPAN     2u
#define TD_SEC_RO     60u /* svirtb_readonly_write_ignored: written on a read-only disk */

static inline uint8_t td_read_byte(uint64_t sector, uint32_t i)
{
        return (uint8_t)(sector * 31u + i * 7u + 0x5au);
}

static inline uint8_t td_write_byte(uint64_t sector, uint32_t i)
{
        return (uint8_t)((sector * 13u + i * 3u + 1u) ^ 0xa5u);
}

/* Expected original byte i of sector s of an N-sector image. */
static inline uint8_t td_orig_byte(uint64_t s, uint64_t n, uint32_t i)
{
        static const char magic[8] = {'M', 'V', 'M', 'M', 'D', 'I', 'S', 'K'};

        if (i < 8)
                return (uint8_t)magic[i];
        if (i < 16)
                return (uint8_t)(s >> (8 * (i - 8)));
        if (i < 24)
                return (uint8_t)(n >> (8 * (i - 16)));
        return td_read_byte(s, i);
}

/* Sectors the virtio-blk write tests write, in [TD_VWRITE_FIRST, TD_VWRITE_END). */
#define TD_VWRITE_FIRST  64u
#define TD_VWRITE_END    128u
#define TD_VSEC_SINGLE   64u /* virtio_write_read_single */
#define TD_VN_SINGLE     1u
#define TD_VSEC_MULTI    66u /* virtio_multi_sector: one request of TD_VN_MULTI sectors */
#define TD_VN_MULTI      4u
#define TD_VSEC_SPLIT    72u /* virtio_data_split_descriptors */
#define TD_VN_SPLIT      2u
#define TD_VSEC_INDIRECT 76u /* virtio_indirect_request */
#define TD_VN_INDIRECT   2u
#define TD_VSEC_WRAP     80u /* virtio_ring_wrap: more requests than queue slots */
#define TD_VN_WRAP       20u
#define TD_VSEC_IRQ      104u /* virtio_interrupt_completion */
#define TD_VN_IRQ        2u
#define TD_VSEC_TWO      110u /* virtio_two_disks, on the first writable disk */
#define TD_VN_TWO        1u
#define TD_VSEC_RO       120u /* virtio_readonly_refuses_write: written on a read-only disk */

/* 1 when sector s is one the svirtb write tests write. */
static inline int td_is_written(uint64_t s)
{
        return (s >= TD_SEC_SINGLE && s < TD_SEC_SINGLE + TD_N_SINGLE) ||
               (s >= TD_SEC_BATCH && s < TD_SEC_BATCH + TD_N_BATCH) ||
               (s >= TD_SEC_WRAP && s < TD_SEC_WRAP + TD_N_WRAP) ||
               (s >= TD_SEC_SPAN && s < TD_SEC_SPAN + TD_N_SPAN);
}

/* 1 when sector s is one the virtio-blk write tests write. */
static inline int td_is_written_virtio(uint64_t s)
{
        return (s >= TD_VSEC_SINGLE && s < TD_VSEC_SINGLE + TD_VN_SINGLE) ||
               (s >= TD_VSEC_MULTI && s < TD_VSEC_MULTI + TD_VN_MULTI) ||
               (s >= TD_VSEC_SPLIT && s < TD_VSEC_SPLIT + TD_VN_SPLIT) ||
               (s >= TD_VSEC_INDIRECT && s < TD_VSEC_INDIRECT + TD_VN_INDIRECT) ||
               (s >= TD_VSEC_WRAP && s < TD_VSEC_WRAP + TD_VN_WRAP) ||
               (s >= TD_VSEC_IRQ && s < TD_VSEC_IRQ + TD_VN_IRQ);
}

/* 1 when sector s is one virtio_two_disks writes (only with two virtio disks). */
static inline int td_is_written_two_disks(uint64_t s)
{
        return s >= TD_VSEC_TWO && s < TD_VSEC_TWO + TD_VN_TWO;
}

#endif
