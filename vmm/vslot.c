/* vslot: see vslot.h. */
#include "vslot.h"

#include "fail.h"

static void vslot_set_irq(void *opaque, bool level)
{
        struct vslot *s = opaque;

        kvm_irq_line(s->kvm, s->gsi, level);
}

static void vslot_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
        struct vslot *s = opaque;

        vmmio_access(&s->transport, offset, data, len, is_write);
}

void vslot_add(struct vslot *s, unsigned index, struct vm *vm, const struct virtio_dev_ops *ops,
               void *dev, bool legacy)
{
        if (index >= VSLOT_MAX)
                fail(FAIL_INTERNAL, "virtio slot %u: at most %u devices", index, VSLOT_MAX);
        s->kvm = &vm->kvm;
        s->base = VSLOT_BASE + index * VSLOT_SIZE;
        s->gsi = VSLOT_FIRST_GSI + index;
        vmmio_init(&s->transport, &vm->gm, ops, dev, legacy, vslot_set_irq, s);
        s->transport.id = index;
        if (bus_register(&vm->mmio, s->base, VSLOT_SIZE, ops->name, vslot_io, s))
                fail(FAIL_INTERNAL, "virtio slot %u at 0x%llx: MMIO region taken", index,
                     (unsigned long long)s->base);
}
