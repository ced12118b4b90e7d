/*
 * cmdline: pure parsers for words of the guest's command line, shared by
 * the PVH boot path and the benchmark (and built on the host by
 * tests/unit/test_guest_cmdline.c): no I/O, no guest state.
 */
#ifndef GUEST_CMDLINE_H
#define GUEST_CMDLINE_H

#include <stdbool.h>
#include <stdint.h>

#define VMMIO_PARAM "virtio_mmio.device="

/*
 * A number at *s: "0x"/"0X" hex, a leading 0 octal, else decimal (C's base
 * 0, as Linux's memparse and %lli read it), then, if suffixes, one of
 * k K m M g G (times 2^10, 2^20, 2^30). Advances *s past it. False when no
 * digit is there or the value overflows 64 bits.
 */
bool cmdline_number(const char **s, uint64_t *v, bool suffixes);

/*
 * One word "virtio_mmio.device=SIZE@BASE:IRQ[:ID]", the syntax Linux's
 * virtio_mmio driver reads and QEMU's microvm appends for each device when
 * it has no ACPI (e.g. "virtio_mmio.device=512@0xfeb00e00:12"): SIZE with
 * an optional K/M/G suffix, BASE in C notation, IRQ decimal, ID ignored.
 * 1 and the three values when it is one; 0 when the word is something
 * else; -1 when it starts like one but is malformed (or SIZE is 0, or
 * BASE + SIZE overflows).
 */
int cmdline_virtio_mmio(const char *word, uint64_t *size, uint64_t *base, uint32_t *irq);

#endif
