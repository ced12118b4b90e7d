/* Boot contract tests: what minivmm promises at the guest's first instruction. */
#include "console.h"
#include "guest.h"
#include "test.h"
#include "tests/tests.h"

#define CR0_PE     (1ULL << 0)
#define CR0_PG     (1ULL << 31)
#define CR4_PAE    (1ULL << 5)
#define RFLAGS_IF  (1ULL << 9)
#define FDT_WINDOW (2ULL << 20) /* "top of low RAM": the FDT ends in its last 2 MiB */

int test_boot_entry_state(void)
{
        const struct entry_state *e = &entry_state;

        EXPECT(e->rsp == GUEST_STACK_TOP, "RSP at entry 0x%lx, want 0x%llx", e->rsp,
               GUEST_STACK_TOP);
        if (genv.boot.pvh) {
                /* The PVH stub (pvh_entry.S) hands _start the same state, with
                 * RDI = 0 and RSI = hvm_start_info instead of an FDT. */
                EXPECT(e->rdi == 0, "RDI 0x%lx after the PVH stub, want 0", e->rdi);
                EXPECT(e->rsi == genv.boot.pvh_info && e->rsi != 0,
                       "RSI 0x%lx is not hvm_start_info", e->rsi);
        } else {
                EXPECT(e->rsi == 0, "RSI at entry 0x%lx, want 0", e->rsi);
                EXPECT(e->rdi == genv.boot.fdt_addr, "RDI 0x%lx is not the FDT", e->rdi);
        }
        EXPECT(!(e->rflags & RFLAGS_IF), "interrupts enabled at entry (RFLAGS 0x%lx)", e->rflags);
        EXPECT(e->cs == 0x08, "CS 0x%x, want 0x08", e->cs);
        EXPECT(e->ds == 0x10 && e->es == 0x10 && e->ss == 0x10,
               "DS/ES/SS 0x%x/0x%x/0x%x, want 0x10", e->ds, e->es, e->ss);
        EXPECT((e->cr0 & (CR0_PE | CR0_PG)) == (CR0_PE | CR0_PG), "CR0 0x%lx lacks PE|PG", e->cr0);
        EXPECT(e->cr4 & CR4_PAE, "CR4 0x%lx lacks PAE", e->cr4);
        return TEST_PASS;
}

int test_boot_fdt_layout(void)
{
        const struct boot_info *b = &genv.boot;
        uint64_t low = boot_low_ram_end(b), fdt_end = b->fdt_addr + b->fdt_size;

        if (b->pvh)
                return test_skip("booted through PVH: no device tree");

        EXPECT(b->nram >= 1 && b->ram[0].base == 0, "first /memory range starts at 0x%lx, want 0",
               b->nram ? b->ram[0].base : 0);
        EXPECT(low <= GUEST_MMIO_START, "low RAM ends at 0x%lx, inside the MMIO hole", low);
        for (unsigned i = 1; i < b->nram; i++)
                EXPECT(b->ram[i].base >= GUEST_4G, "/memory range %u at 0x%lx, want >= 4 GiB", i,
                       b->ram[i].base);
        EXPECT(b->fdt_addr >= gpa_of(__image_end) && fdt_end <= low,
               "FDT [0x%lx, 0x%lx) not between the image end 0x%lx and low RAM end 0x%lx",
               b->fdt_addr, fdt_end, gpa_of(__image_end), low);
        EXPECT(low - fdt_end < FDT_WINDOW, "FDT ends at 0x%lx, not at the top of RAM (0x%lx)",
               fdt_end, low);
        EXPECT(b->fdt_reserved, "FDT [0x%lx, 0x%lx) is not in the memory reservation block",
               b->fdt_addr, fdt_end);
        if (b->has_svirtb) {
                EXPECT(b->svirtb_base == SVB_BASE, "svirtb reg base 0x%lx, want 0x%llx",
                       b->svirtb_base, SVB_BASE);
                EXPECT(b->svirtb_size == 0x1000, "svirtb reg size 0x%lx, want 0x1000",
                       b->svirtb_size);
        }
        return TEST_PASS;
}
