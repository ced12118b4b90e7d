/* irq: PIC masking, LAPIC, IOAPIC routing, handlers and the watchdog timer. */
#include <stddef.h>

#include "guest.h"
#include "irq.h"

#define PIC1_DATA 0x21
#define PIC2_DATA 0xa1

#define LAPIC_TPR       0x080
#define LAPIC_EOI       0x0b0
#define LAPIC_SVR       0x0f0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_ICR 0x380
#define LAPIC_TIMER_DCR 0x3e0

#define LAPIC_SVR_ENABLE   0x100u
#define LAPIC_LVT_MASKED   (1u << 16)
#define LAPIC_DCR_DIV128   0xau
#define LAPIC_NS_PER_COUNT 128u /* KVM's APIC bus runs at 1 GHz; divided by 128 */

#define IOAPIC_REGSEL 0x00
#define IOAPIC_WIN    0x10
#define IOAPIC_VER    0x01

static struct {
        irq_handler_fn fn;
        void *arg;
} handlers[256];
static volatile uint32_t counts[256];
static volatile uint32_t unclaimed;
static volatile bool watchdog_fired;
static bool initialized;

void irq_dispatch(uint64_t vector);

static uint32_t lapic_read(uint32_t off)
{
        return mmio_read32(LAPIC_BASE + off);
}

static void lapic_write(uint32_t off, uint32_t v)
{
        mmio_write32(LAPIC_BASE + off, v);
}

static void watchdog_handler(void *arg)
{
        (void)arg;
        watchdog_fired = true;
}

void irq_init(void)
{
        if (initialized)
                return;
        outb(PIC1_DATA, 0xff);
        outb(PIC2_DATA, 0xff);
        lapic_write(LAPIC_TPR, 0);
        lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | IRQ_VECTOR_WATCHDOG);
        lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | IRQ_VECTOR_SPURIOUS);
        irq_register(IRQ_VECTOR_WATCHDOG, watchdog_handler, NULL);
        initialized = true;
}

void irq_register(uint8_t vector, irq_handler_fn fn, void *arg)
{
        handlers[vector].fn = NULL;
        barrier();
        handlers[vector].arg = arg;
        barrier();
        handlers[vector].fn = fn;
}

uint32_t irq_count(uint8_t vector)
{
        return counts[vector];
}

uint32_t irq_unclaimed(void)
{
        return unclaimed;
}

/* Called by the stubs in entry.S with interrupts off. */
void irq_dispatch(uint64_t vector)
{
        uint8_t v = (uint8_t)vector;

        counts[v]++;
        if (v == IRQ_VECTOR_SPURIOUS)
                return; /* a spurious interrupt takes no EOI */
        if (handlers[v].fn)
                handlers[v].fn(handlers[v].arg);
        else
                unclaimed++;
        lapic_eoi();
}

void lapic_eoi(void)
{
        lapic_write(LAPIC_EOI, 0);
}

uint32_t ioapic_read(uint64_t ioapic, uint32_t index)
{
        mmio_write32(ioapic + IOAPIC_REGSEL, index);
        return mmio_read32(ioapic + IOAPIC_WIN);
}

void ioapic_write(uint64_t ioapic, uint32_t index, uint32_t v)
{
        mmio_write32(ioapic + IOAPIC_REGSEL, index);
        mmio_write32(ioapic + IOAPIC_WIN, v);
}

uint32_t ioapic_entries(uint64_t ioapic)
{
        return ((ioapic_read(ioapic, IOAPIC_VER) >> 16) & 0xff) + 1;
}

int ioapic_route(uint64_t ioapic, uint32_t gsi, uint8_t vector, uint32_t sense)
{
        uint32_t lo = vector; /* fixed delivery (0), physical destination (0) */

        if (gsi >= ioapic_entries(ioapic))
                return -1;
        switch (sense) {
        case IOAPIC_SENSE_EDGE_RISING:
                break;
        case IOAPIC_SENSE_LEVEL_LOW:
                lo |= IOAPIC_RTE_LEVEL | IOAPIC_RTE_ACTIVE_LOW;
                break;
        case IOAPIC_SENSE_LEVEL_HIGH:
                lo |= IOAPIC_RTE_LEVEL;
                break;
        case IOAPIC_SENSE_EDGE_FALLING:
                lo |= IOAPIC_RTE_ACTIVE_LOW;
                break;
        default:
                return -1;
        }
        /* Masked while the destination (APIC ID 0) is written, unmasked last. */
        ioapic_write(ioapic, 0x10 + 2 * gsi, IOAPIC_RTE_MASKED | lo);
        ioapic_write(ioapic, 0x11 + 2 * gsi, 0u << 24);
        ioapic_write(ioapic, 0x10 + 2 * gsi, lo);
        return 0;
}

void ioapic_mask(uint64_t ioapic, uint32_t gsi)
{
        uint32_t lo = ioapic_read(ioapic, 0x10 + 2 * gsi);

        ioapic_write(ioapic, 0x10 + 2 * gsi, lo | IOAPIC_RTE_MASKED);
}

void irq_watchdog_start(uint32_t ms)
{
        uint64_t count = (uint64_t)ms * 1000000u / LAPIC_NS_PER_COUNT;

        if (count > 0xffffffffu)
                count = 0xffffffffu;
        watchdog_fired = false;
        lapic_write(LAPIC_TIMER_DCR, LAPIC_DCR_DIV128);
        lapic_write(LAPIC_LVT_TIMER, IRQ_VECTOR_WATCHDOG); /* one-shot, unmasked */
        lapic_write(LAPIC_TIMER_ICR, (uint32_t)count);
}

bool irq_watchdog_fired(void)
{
        return watchdog_fired;
}

void irq_watchdog_stop(void)
{
        lapic_write(LAPIC_TIMER_ICR, 0);
        lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | IRQ_VECTOR_WATCHDOG);
        (void)lapic_read(LAPIC_LVT_TIMER);
}
