/*
 * irq: external interrupts for the test guest (platform.md, "What works").
 *
 * irq_init() masks the legacy PIC (KVM also routes GSIs below 16 to it, and
 * the BSP's LVT0 is ExtINT after reset, so an unprogrammed PIC would deliver
 * a stray vector) and software-enables the local APIC (SVR = 0x1ff).
 * A device interrupt then takes an IOAPIC redirection entry (ioapic_route)
 * and a handler for its vector (irq_register). The IDT sends vectors 32-255
 * to irq_dispatch(), which runs the handler and then writes the LAPIC EOI,
 * so a level-triggered handler acknowledges its device first.
 *
 * Waiting: with interrupts off, check the condition, then irq_sti_hlt():
 * the one-instruction STI shadow makes "sti; hlt" race-free, an interrupt
 * pending at the sti wakes the hlt. The LAPIC timer is a watchdog so a
 * missing interrupt ends the wait instead of halting for ever.
 */
#ifndef GUEST_IRQ_H
#define GUEST_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#define LAPIC_BASE 0xfee00000ULL

#define IRQ_VECTOR_DEVICE   0x30 /* + device index, for the virtio devices */
#define IRQ_VECTOR_WATCHDOG 0xef
#define IRQ_VECTOR_SPURIOUS 0xff

/* Second cell of an IOAPIC interrupt specifier, as Linux reads it (arch/x86/kernel/devicetree.c).
 */
#define IOAPIC_SENSE_EDGE_RISING  3u
#define IOAPIC_SENSE_LEVEL_LOW    2u
#define IOAPIC_SENSE_LEVEL_HIGH   1u
#define IOAPIC_SENSE_EDGE_FALLING 0u

/* Redirection entry bits (low word). */
#define IOAPIC_RTE_LEVEL      (1u << 15)
#define IOAPIC_RTE_ACTIVE_LOW (1u << 13)
#define IOAPIC_RTE_MASKED     (1u << 16)
#define IOAPIC_RTE_REMOTE_IRR (1u << 14)

typedef void (*irq_handler_fn)(void *arg);

/* Masks the PIC and enables the LAPIC; idempotent. */
void irq_init(void);
/* Runs fn(arg) for vector (32-254). fn NULL unregisters. */
void irq_register(uint8_t vector, irq_handler_fn fn, void *arg);
/* Interrupts taken on vector so far, and those no handler claimed. */
uint32_t irq_count(uint8_t vector);
uint32_t irq_unclaimed(void);

/* IOAPIC redirection entries (index 0x10 + 2 * gsi low, 0x11 + 2 * gsi high). */
uint32_t ioapic_read(uint64_t ioapic, uint32_t index);
void ioapic_write(uint64_t ioapic, uint32_t index, uint32_t v);
/* Number of redirection entries (IOAPIC version register). */
uint32_t ioapic_entries(uint64_t ioapic);
/* Routes gsi to vector on APIC ID 0, fixed delivery, physical destination,
 * with the trigger and polarity of sense; unmasked. -1 if gsi is out of range
 * or sense unknown. */
int ioapic_route(uint64_t ioapic, uint32_t gsi, uint8_t vector, uint32_t sense);
void ioapic_mask(uint64_t ioapic, uint32_t gsi);

void lapic_eoi(void);

/* The watchdog: one-shot LAPIC timer of about ms milliseconds. */
void irq_watchdog_start(uint32_t ms);
bool irq_watchdog_fired(void);
void irq_watchdog_stop(void);

static inline void irq_disable(void)
{
        __asm__ volatile("cli" : : : "memory");
}

/* Interrupts on for exactly the hlt, off again after it. */
static inline void irq_sti_hlt(void)
{
        __asm__ volatile("sti\n\thlt\n\tcli" : : : "memory");
}

#endif
