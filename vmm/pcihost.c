/* pcihost: see pcihost.h. */
#include "pcihost.h"

#include <string.h>

#include "devices/trace.h"
#include "fail.h"

/* INTA# of device dev is level-triggered on its GSI (KVM_IRQ_LINE). */
static void pcihost_set_irq(void *opaque, unsigned dev, bool level)
{
        struct pcihost *p = opaque;

        if (dev >= 1 && dev <= PCIHOST_MAX_DISKS)
                kvm_irq_line(p->kvm, PCIHOST_GSI(dev - 1), level);
}

static void pcihost_cfg_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
                           bool is_write)
{
        struct pcihost *p = opaque;

        pci_cfg_io(&p->bus, (uint32_t)offset, data, len, is_write);
}

/* An access in a window that no BAR decodes: all ones, like an unclaimed port. */
static void pcihost_unclaimed(const char *space, uint64_t addr, uint8_t *data, uint32_t len,
                              bool is_write)
{
        if (!is_write)
                memset(data, 0xff, len);
        TRACE("pci: %u-byte %s at %s 0x%llx: no BAR decodes it", len, is_write ? "write" : "read",
              space, (unsigned long long)addr);
}

static void pcihost_pio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
        struct pcihost *p = opaque;
        uint64_t port = PCIHOST_IO_BASE + offset;

        if (!pci_pio(&p->bus, port, data, len, is_write))
                pcihost_unclaimed("port", port, data, len, is_write);
}

static void pcihost_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
        struct pcihost *p = opaque;
        uint64_t addr = PCIHOST_MEM_BASE + offset;

        if (!pci_mmio(&p->bus, addr, data, len, is_write))
                pcihost_unclaimed("address", addr, data, len, is_write);
}

void pcihost_init(struct pcihost *p, struct vm *vm)
{
        const struct pci_window io = {PCIHOST_IO_BASE, PCIHOST_IO_SIZE};
        const struct pci_window mem = {PCIHOST_MEM_BASE, PCIHOST_MEM_SIZE};

        p->kvm = &vm->kvm;
        pci_init(&p->bus, &io, &mem, PCIHOST_BRIDGE_VENDOR, PCIHOST_BRIDGE_DEVICE, pcihost_set_irq,
                 p);
        if (bus_register(&vm->pio, PCI_CFG_ADDR, PCI_CFG_PORTS, "pci-config", pcihost_cfg_io, p) ||
            bus_register(&vm->pio, PCIHOST_IO_BASE, PCIHOST_IO_SIZE, "pci-io", pcihost_pio, p) ||
            bus_register(&vm->mmio, PCIHOST_MEM_BASE, PCIHOST_MEM_SIZE, "pci-mem", pcihost_mmio, p))
                fail(FAIL_INTERNAL, "PCI: its ports or windows are taken");
        p->on = true;
}

void pcihost_add_disk(struct pcihost *p, unsigned i, struct vm *vm,
                      const struct virtio_dev_ops *ops, void *dev, bool legacy)
{
        uint8_t line;

        if (!p->on)
                pcihost_init(p, vm);
        if (i >= PCIHOST_MAX_DISKS ||
            vpci_init(&p->disk[i], &p->bus, i + 1, &vm->gm, ops, dev, !legacy))
                fail(FAIL_INTERNAL, "PCI disk %u: no room on the bus", i);
        /* What firmware does before the guest runs: place, enable, route. */
        pci_place_bar(&p->bus, i + 1, VPCI_LEGACY_BAR, PCIHOST_IO_BAR(i));
        if (!legacy)
                pci_place_bar(&p->bus, i + 1, VPCI_MODERN_BAR, PCIHOST_MEM_BAR(i));
        pci_set_command(&p->bus, i + 1, PCI_CMD_IO | PCI_CMD_MEM | PCI_CMD_MASTER);
        line = (uint8_t)PCIHOST_GSI(i);
        pci_cfg_access(&p->bus, i + 1, PCI_INTERRUPT_LINE, &line, 1, true);
}
