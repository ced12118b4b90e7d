/*
 * pvh: the guest's view of a PVH boot (guest/pvh_entry.S saved it): QEMU's
 * microvm with no device tree. boot_info_from_pvh() fills the same struct
 * boot_info the FDT path fills:
 *   - RAM from the hvm_start_info memory map (type 1 entries): the range
 *     holding the image becomes low RAM starting at 0, ranges at 4 GiB and
 *     above are kept; with no usable map, PVH_DEFAULT_RAM of low RAM;
 *   - bootargs: the whole command line;
 *   - virtio-mmio devices from its "virtio_mmio.device=SIZE@BASE:IRQ" words,
 *     the IRQ being a GSI of the IOAPIC at 0xfec00000 (GSIs 24-47 on the
 *     second one QEMU's microvm can add at 0xfec10000), level-triggered,
 *     active high, as QEMU's virtio-mmio drives its line.
 */
#ifndef GUEST_PVH_H
#define GUEST_PVH_H

#include <stddef.h>
#include <stdint.h>

#include "bootinfo.h"

#define PVH_CMDLINE_MAX 1024 /* as pvh_entry.S */
#define PVH_MEMMAP_MAX  16
#define PVH_START_MAGIC 0x336ec578u /* XEN_HVM_START_MAGIC_VALUE */
#define PVH_DEFAULT_RAM (16ULL << 20)
#define PVH_IOAPIC0     0xfec00000ULL
#define PVH_IOAPIC1     0xfec10000ULL
#define PVH_IOAPIC_PINS 24u
#define PVH_MEMMAP_RAM  1u

/* 0, or -1 with a one-line reason in err. start_info: RSI at entry. */
int boot_info_from_pvh(struct boot_info *bi, uint64_t start_info, char *err, size_t errlen);

#endif
