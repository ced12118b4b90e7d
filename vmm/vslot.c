/* vslot: see vslot.h. */
#include "vslot.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/trace.h"
#include "fail.h"

static void vslot_signal(int fd)
{
        uint64_t one = 1;

        /* An eventfd write fails only if the counter would overflow 2^64 - 2. */
        while (write(fd, &one, sizeof(one)) < 0 && errno == EINTR)
                ;
}

/* The transport's level changed (called with the slot's mutex held). */
static void vslot_set_irq(void *opaque, bool level)
{
        struct vslot *s = opaque;

        if (level)
                s->stats.interrupts++;
        if (!s->threaded)
                kvm_irq_line(s->kvm, s->gsi, level);
        else if (level)
                vslot_signal(s->irq_fd);
        /* thread mode, low: KVM lowers the GSI at the guest's EOI (resample). */
}

/* vCPU thread: a register access that exited. */
static void vslot_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
        struct vslot *s = opaque;

        pthread_mutex_lock(&s->lock);
        if (is_write && offset == VIRTIO_MMIO_QUEUE_NOTIFY)
                s->stats.notify_exits++;
        vmmio_access(&s->transport, offset, data, len, is_write);
        pthread_mutex_unlock(&s->lock);
}

/*
 * I/O thread: a queue's ioeventfd fired (count writes). A pass that yielded
 * (virtq.h) signals the ioeventfd again: the queue is served once more on a
 * later turn of the I/O thread, after the other ready sources, with no kick
 * from the driver.
 */
static void vslot_on_notify(void *opaque, uint64_t count)
{
        struct vslot_queue *q = opaque;
        struct vslot *s = q->slot;

        uint64_t guest = count - (q->resignalled ? 1 : 0); /* --stats counts the guest's */

        pthread_mutex_lock(&s->lock);
        if (guest > 0) {
                s->stats.notify_wakeups++;
                s->stats.notify_writes += guest;
        }
        TRACE("%s: QueueNotify <- %u (ioeventfd, %llu writes%s)", s->transport.name, q->index,
              (unsigned long long)guest, q->resignalled ? ", and a pass to resume" : "");
        q->resignalled = vmmio_notify_queue(&s->transport, q->index);
        if (q->resignalled)
                vslot_signal(q->fd);
        pthread_mutex_unlock(&s->lock);
}

/* I/O thread: the guest's EOI lowered the GSI; raise it again if still wanted. */
static void vslot_on_resample(void *opaque, uint64_t count)
{
        struct vslot *s = opaque;

        (void)count;
        pthread_mutex_lock(&s->lock);
        if (s->transport.line) {
                s->stats.irq_reasserts++;
                vslot_signal(s->irq_fd);
        }
        pthread_mutex_unlock(&s->lock);
}

static int vslot_eventfd(unsigned index)
{
        int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

        if (fd < 0)
                fail(FAIL_INTERNAL, "virtio slot %u: eventfd: %s", index, strerror(errno));
        return fd;
}

static void vslot_watch(struct iothread *io, unsigned index, int fd, iothread_fn fn, void *opaque)
{
        int err = iothread_add(io, fd, fn, opaque);

        if (err)
                fail(FAIL_INTERNAL, "virtio slot %u: I/O thread: %s", index, strerror(-err));
}

static void vslot_thread_mode(struct vslot *s, unsigned index, struct iothread *io)
{
        static const struct {
                int cap;
                const char *name;
        } caps[] = {{KVM_CAP_IOEVENTFD, "IOEVENTFD"},
                    {KVM_CAP_IRQFD, "IRQFD"},
                    {KVM_CAP_IRQFD_RESAMPLE, "IRQFD_RESAMPLE"}};

        for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
                if (!kvm_has_cap(s->kvm, caps[i].cap))
                        fail(FAIL_INTERNAL, "--io=thread: KVM lacks KVM_CAP_%s (use --io=vcpu)",
                             caps[i].name);
        }
        s->threaded = true;
        for (uint32_t q = 0; q < s->transport.nq; q++) {
                struct vslot_queue *vq = &s->queues[q];

                vq->fd = vslot_eventfd(index);
                kvm_ioeventfd(s->kvm, s->base + VIRTIO_MMIO_QUEUE_NOTIFY, 4, q, vq->fd);
                vslot_watch(io, index, vq->fd, vslot_on_notify, vq);
        }
        s->irq_fd = vslot_eventfd(index);
        s->resample_fd = vslot_eventfd(index);
        kvm_irqfd_resample(s->kvm, s->gsi, s->irq_fd, s->resample_fd);
        vslot_watch(io, index, s->resample_fd, vslot_on_resample, s);
}

void vslot_add(struct vslot *s, unsigned index, struct vm *vm, const struct virtio_dev_ops *ops,
               void *dev, bool legacy, struct iothread *io)
{
        if (index >= VSLOT_MAX)
                fail(FAIL_INTERNAL, "virtio slot %u: at most %u devices", index, VSLOT_MAX);
        memset(&s->stats, 0, sizeof(s->stats));
        s->kvm = &vm->kvm;
        s->base = VSLOT_BASE + index * VSLOT_SIZE;
        s->gsi = VSLOT_FIRST_GSI + index;
        s->threaded = false;
        s->irq_fd = s->resample_fd = -1;
        pthread_mutex_init(&s->lock, NULL);
        vmmio_init(&s->transport, &vm->gm, ops, dev, legacy, vslot_set_irq, s);
        snprintf(s->transport.name, sizeof(s->transport.name), "virtio-mmio@%u", index);
        for (uint32_t q = 0; q < VMMIO_MAX_QUEUES; q++)
                s->queues[q] = (struct vslot_queue){s, q, -1, false};
        if (io != NULL)
                vslot_thread_mode(s, index, io);
        if (bus_register(&vm->mmio, s->base, VSLOT_SIZE, ops->name, vslot_io, s))
                fail(FAIL_INTERNAL, "virtio slot %u at 0x%llx: MMIO region taken", index,
                     (unsigned long long)s->base);
}
