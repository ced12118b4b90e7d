/*
 * The test guest's view of the machine minivmm builds (boot contract):
 * the flat binary is loaded at 0x100000 and entered at its first byte in
 * 64-bit mode with 0-4 GiB identity mapped, CS 0x08, data 0x10, interrupts
 * off, RSP = 0x100000 and RDI = the FDT's guest-physical address (RSI = 0).
 * The console is port 0x3f8; a 32-bit write to port 0x501 ends the VM with
 * that value as minivmm's exit status.
 */
#ifndef GUEST_GUEST_H
#define GUEST_GUEST_H

#include <stdint.h>

#define GUEST_LOAD_ADDR  0x100000ULL
#define GUEST_STACK_TOP  0x100000ULL
#define GUEST_COM1       0x3f8
#define GUEST_EXIT_PORT  0x501
#define GUEST_MMIO_START 0xc0000000ULL /* 3-4 GiB: no RAM, uncached */
#define GUEST_4G         0x100000000ULL

/* Exit statuses of the guest (and so of minivmm). */
#define GUEST_EXIT_PASS      0 /* every test that ran passed, at least one ran */
#define GUEST_EXIT_FAIL      1 /* a test failed, a selection matched nothing, or none ran */
#define GUEST_EXIT_SETUP     2 /* the boot contract was broken: bad FDT, no RAM, overlap */
#define GUEST_EXIT_EXCEPTION 3 /* CPU exception or stack smashing */

static inline void outb(uint16_t port, uint8_t v)
{
        __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
        __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

/* Orders memory accesses for the compiler; the device runs synchronously
 * inside our trapped writes, so no CPU fence is needed. */
static inline void barrier(void)
{
        __asm__ volatile("" : : : "memory");
}

static inline uint32_t mmio_read32(uint64_t addr)
{
        return *(volatile uint32_t *)(uintptr_t)addr;
}

static inline void mmio_write32(uint64_t addr, uint32_t v)
{
        *(volatile uint32_t *)(uintptr_t)addr = v;
}

static inline uint64_t gpa_of(const void *p)
{
        return (uint64_t)(uintptr_t)p;
}

/* Ends the VM with status code (port 0x501); never returns. */
__attribute__((noreturn)) void guest_exit(uint32_t code);

/* Linker symbols (guest.ld). */
extern char __image_start[], __image_end[], __bss_start[], __bss_end[];

/* CPU state at entry, recorded by entry.S before it touches anything. */
struct entry_state {
        uint64_t rsp, rdi, rsi, rflags, cr0, cr4;
        uint16_t cs, ds, ss, es;
};
extern struct entry_state entry_state;

void idt_init(void);

#endif
