/*
 * Exception handling: an IDT for vectors 0-31 whose handlers print what
 * happened and end the VM with GUEST_EXIT_EXCEPTION, so a guest crash shows
 * up as a message and an exit status instead of a triple fault. Vectors
 * 32-255 are external interrupts, sent to irq_dispatch() (irq.c) by the
 * stubs in entry.S.
 */
#include <stdint.h>

#include "console.h"
#include "guest.h"

/* The frame entry.S builds: our pushes, then the CPU's (with a 0 error code
 * pushed by the stub when the CPU pushes none). */
struct exc_frame {
        uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
        uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
        uint64_t vector, error;
        uint64_t rip, cs, rflags, rsp, ss;
};

/* A 64-bit gate as the two quadwords the CPU reads (SDM Vol. 3, 6.14.1):
 * built whole, two stores a vector instead of seven field stores. */
struct idt_gate {
        uint64_t lo; /* offset 15:0, selector, IST, type, offset 31:16 */
        uint64_t hi; /* offset 63:32, reserved */
};

struct idt_ptr {
        uint16_t limit;
        uint64_t base;
} __attribute__((packed));

#define IDT_VECTORS   32   /* exceptions */
#define IDT_ENTRIES   256  /* exceptions and interrupts */
#define IDT_INTR_GATE 0x8e /* present, DPL 0, 64-bit interrupt gate */
#define IRQ_STUB_SIZE 16   /* entry.S: the interrupt stubs' spacing */

extern const uint64_t isr_table[IDT_VECTORS];
extern const char irq_stubs[];
__attribute__((noreturn)) void exception_handler(const struct exc_frame *f);

static struct idt_gate idt[IDT_ENTRIES] __attribute__((aligned(16)));
static int in_exception;

static const char *const exc_names[IDT_VECTORS] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS",
    "#NP", "#SS", "#GP", "#PF", "res", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
    "res", "res", "res", "res", "res", "res", "#HV", "#VC", "#SX", "res",
};

static int has_error_code(uint64_t v)
{
        return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
}

/* The gate of handler address a (SDM Vol. 3, 6.14.1). */
static struct idt_gate idt_gate(uint64_t a, uint16_t cs)
{
        return (struct idt_gate){
            (a & 0xffff) | (uint64_t)cs << 16 | (uint64_t)IDT_INTR_GATE << 40 |
                (a >> 16 & 0xffff) << 48,
            a >> 32,
        };
}

void idt_init(void)
{
        const uint64_t stubs = (uint64_t)(uintptr_t)irq_stubs;
        const unsigned nstubs = IDT_ENTRIES - IDT_VECTORS;
        struct idt_gate g;
        struct idt_ptr p;
        uint16_t cs;

        __asm__ volatile("mov %%cs, %0" : "=r"(cs));
        for (int i = 0; i < IDT_VECTORS; i++)
                idt[i] = idt_gate(isr_table[i], cs);
        /* The stubs are IRQ_STUB_SIZE apart: unless they cross a 64 KiB line,
         * only offset 15:0 (the gate's low bits) changes from one to the next,
         * so each gate is the previous one plus IRQ_STUB_SIZE (the emulator
         * runs every instruction, docs/performance.md "Boot"). */
        g = idt_gate(stubs, cs);
        if ((stubs & 0xffff) + (uint64_t)(nstubs - 1) * IRQ_STUB_SIZE <= 0xffff) {
                for (unsigned i = 0; i < nstubs; i++, g.lo += IRQ_STUB_SIZE)
                        idt[IDT_VECTORS + i] = g;
        } else {
                for (unsigned i = 0; i < nstubs; i++)
                        idt[IDT_VECTORS + i] = idt_gate(stubs + i * IRQ_STUB_SIZE, cs);
        }
        p.limit = sizeof(idt) - 1;
        p.base = (uint64_t)(uintptr_t)idt;
        __asm__ volatile("lidt %0" : : "m"(p));
}

void exception_handler(const struct exc_frame *f)
{
        uint64_t cr2;

        /* A fault while reporting a fault: stop at once. */
        if (in_exception++)
                guest_exit(GUEST_EXIT_EXCEPTION);
        printf("guest: exception %lu at RIP 0x%lx (%s)", f->vector, f->rip,
               exc_names[f->vector % IDT_VECTORS]);
        if (has_error_code(f->vector))
                printf(", error code 0x%lx", f->error);
        if (f->vector == 14) {
                __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
                printf(", CR2 0x%lx", cr2);
        }
        printf("\n");
        printf("guest:  rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", f->rax, f->rbx, f->rcx,
               f->rdx);
        printf("guest:  rsi %016lx rdi %016lx rbp %016lx rsp %016lx\n", f->rsi, f->rdi, f->rbp,
               f->rsp);
        printf("guest:  r8  %016lx r9  %016lx r10 %016lx r11 %016lx\n", f->r8, f->r9, f->r10,
               f->r11);
        printf("guest:  r12 %016lx r13 %016lx r14 %016lx r15 %016lx\n", f->r12, f->r13, f->r14,
               f->r15);
        printf("guest:  cs %lx ss %lx rflags %lx\n", f->cs, f->ss, f->rflags);
        guest_exit(GUEST_EXIT_EXCEPTION);
}
