/*
 * virtio_pci: the virtio-pci transport (VIRTIO 1.2 §4.1), legacy and modern,
 * for any device implementing struct virtio_dev_ops, as one function on a
 * devices/pci.c bus. Layout and limits: docs/virtio-pci.md.
 *
 * The transport is a register layout only: every register maps onto the
 * virtio-mmio register model (struct vmmio, virtio_mmio.h), which keeps the
 * status machine, feature negotiation, queue setup, notification and error
 * rules (docs/virtio-rules.md) in one place. Legacy virtio-pci (§4.1.4.8) is
 * virtio-mmio version 1 with a 4096-byte page and alignment and the queue
 * size fixed at its maximum; modern virtio-pci (§4.1.4.3) is version 2.
 *
 *  - legacy only (modern = false): device ID 0x1001, revision 0, I/O BAR0
 *    with the legacy registers and the device config from 0x14 (no MSI-X);
 *  - transitional (modern = true): the same, plus the vendor capabilities
 *    COMMON_CFG, NOTIFY_CFG, ISR_CFG and DEVICE_CFG in memory BAR1, and
 *    PCI_CFG (§4.1.4.9): a window in configuration space on any BAR of the
 *    function, strict about its fields (docs/virtio-pci.md). The
 *    register model runs in the mode of the interface the driver touched
 *    last while Status read 0 (modern after init); an access through the
 *    other interface with Status != 0 is ignored (reads 0), and traced.
 *
 * Register accesses answer their natural width only (64-bit queue addresses
 * also as two 32-bit halves); config space 1, 2, 4 or 8 bytes inside its
 * size; anything else reads 0 and writes nothing. Reading the ISR returns it
 * and clears it (§4.1.4.5). The interrupt is INTx: high exactly while the
 * ISR is non-zero, through pci_set_intx(). MSI-X vectors read NO_VECTOR.
 * Callers serialize every call, as for vmmio.
 */
#ifndef MINIVMM_VIRTIO_PCI_H
#define MINIVMM_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/virtio_pci.h>

#include "gmem.h"
#include "pci.h"
#include "virtio.h"
#include "virtio_mmio.h"

#define VPCI_VENDOR          0x1af4u
#define VPCI_DEVICE_LEGACY   0x1000u /* + device type - 1 for the legacy IDs (§4.1.2.3) */
#define VPCI_LEGACY_BAR      0
#define VPCI_LEGACY_BAR_SIZE 64u /* 0x14 of registers + config */
#define VPCI_MODERN_BAR      1
#define VPCI_MODERN_BAR_SIZE 0x4000u

/* Legacy registers in BAR0 (§4.1.4.8): VIRTIO_PCI_HOST_FEATURES .. VIRTIO_PCI_ISR,
 * linux/virtio_pci.h; the device config follows at 0x14 (no MSI-X). */
#define VPCI_L_CONFIG 0x14u

/* Where each capability's structure lives in BAR1 (§4.1.4). */
#define VPCI_COMMON_OFF  0x0000u
#define VPCI_COMMON_LEN  0x38u /* to queue_device; no notify_data, no queue_reset */
#define VPCI_ISR_OFF     0x1000u
#define VPCI_ISR_LEN     4u
#define VPCI_DEVICE_OFF  0x2000u
#define VPCI_NOTIFY_OFF  0x3000u
#define VPCI_NOTIFY_MULT 4u /* queue q at VPCI_NOTIFY_OFF + 4 q */
#define VPCI_CAP_FIRST   0x40u
#define VPCI_CFG_DATA    16u /* pci_cfg_data inside the PCI_CFG capability */
#define VPCI_CFG_CAP_LEN 20u
#define VPCI_WINDOW_FAIL 0xffu /* each byte a refused window read gives */
#define VPCI_NO_VECTOR   0xffffu

struct vpci {
        struct vmmio m; /* the register model */
        struct pci_host *host;
        unsigned dev;    /* PCI device number */
        bool modern;     /* the capabilities and BAR1 exist (transitional) */
        uint8_t cfg_cap; /* config offset of the PCI_CFG capability; 0: none */
};

/*
 * Adds the device as PCI device dev of host (BARs declared, not placed).
 * 0, or -EINVAL when the slot is taken or out of range.
 */
int vpci_init(struct vpci *v, struct pci_host *host, unsigned dev, const struct gmem *gm,
              const struct virtio_dev_ops *ops, void *devp, bool modern);
/* What an ioeventfd or a test delivers: queue q was notified (vmmio_notify_queue). */
bool vpci_notify_queue(struct vpci *v, uint32_t q);

#endif
