/*
 * PVH entry: how QEMU (-M microvm -kernel guest.elf) and other PVH loaders
 * start this guest. The ELF note below (XEN_ELFNOTE_PHYS32_ENTRY, type 18,
 * name "Xen") names pvh_entry32; the loader enters it in 32-bit protected
 * mode with paging off, flat CS/DS/ES/SS, interrupts off and EBX = the
 * guest-physical address of struct hvm_start_info (Xen's
 * arch-x86/hvm/start_info.h: cmdline_paddr at offset 24, memmap_paddr at
 * 40, memmap_entries at 48, from version 1).
 *
 * The stub first copies start_info, the command line and the memory map
 * into .pvhdata (inside the image, never zeroed): the loader's copies may
 * sit where the stack and .bss go. It then builds what minivmm hands a
 * guest (docs/boot.md): an identity map of 0-4 GiB with 2 MiB pages, the
 * top GiB (the MMIO hole) uncached, a GDT with 0x08 = 64-bit code and
 * 0x10 = data, CR0/CR4/EFER as minivmm sets them, RSP = 0x100000, and
 * jumps to _start, the same 64-bit path minivmm enters at the image's
 * first byte, with RDI = 0 (no device tree) and RSI = the hvm_start_info
 * address (minivmm passes RSI = 0). main() tells the two apart by that.
 */
        .set START_INFO_BYTES, 56
        .set SI_VERSION,       4
        .set SI_CMDLINE,       24
        .set SI_MEMMAP,        40
        .set SI_MEMMAP_N,      48
        .set PVH_CMDLINE_MAX,  1024 /* guest/pvh.h */
        .set PVH_MEMMAP_MAX,   16
        .set MEMMAP_ENTRY,     24

        .set CR0_BOOT,  0x80050033  /* PE MP ET NE WP AM PG, as minivmm */
        .set CR4_BOOT,  0x620       /* PAE OSFXSR OSXMMEXCPT */
        .set MSR_EFER,  0xc0000080
        .set EFER_LME,  0x100
        .set PTE_P_RW,  0x3
        .set PDE_LARGE, 0x83        /* present, writable, 2 MiB page */
        .set PDE_UC,    0x18        /* PWT PCD: the MMIO hole */
        .set STACK_TOP, 0x100000

        .section .pvhnote, "a", @note
        .balign 4
        .long   4                   /* namesz: "Xen\0" */
        .long   8                   /* descsz: a 64-bit address, as Linux writes it */
        .long   18                  /* XEN_ELFNOTE_PHYS32_ENTRY */
        .asciz  "Xen"
        .balign 4
        .quad   pvh_entry32
        .balign 4

        .section .text.pvh, "ax"
        .code32
        .globl pvh_entry32
pvh_entry32:
        cli
        cld
        /* start_info itself (EBX stays untouched to the end). */
        movl    %ebx, %esi
        movl    $pvh_start_info, %edi
        movl    $START_INFO_BYTES, %ecx
        rep movsb
        /* The command line, NUL-terminated, if below 4 GiB. */
        movb    $0, pvh_cmdline
        movl    SI_CMDLINE(%ebx), %esi
        cmpl    $0, SI_CMDLINE+4(%ebx)
        jne     2f
        testl   %esi, %esi
        jz      2f
        movl    $pvh_cmdline, %edi
        movl    $PVH_CMDLINE_MAX-1, %ecx
1:      lodsb
        stosb
        testb   %al, %al
        jz      2f
        decl    %ecx
        jnz     1b
        movb    $0, (%edi)
2:
        /* The memory map (version >= 1), at most PVH_MEMMAP_MAX entries. */
        movl    $0, pvh_memmap_n
        cmpl    $1, SI_VERSION(%ebx)
        jb      3f
        cmpl    $0, SI_MEMMAP+4(%ebx)
        jne     3f
        movl    SI_MEMMAP(%ebx), %esi
        testl   %esi, %esi
        jz      3f
        movl    SI_MEMMAP_N(%ebx), %ecx
        cmpl    $PVH_MEMMAP_MAX, %ecx
        jbe     4f
        movl    $PVH_MEMMAP_MAX, %ecx
4:      movl    %ecx, pvh_memmap_n
        imull   $MEMMAP_ENTRY, %ecx
        movl    $pvh_memmap, %edi
        rep movsb
3:
        /* PML4 and PDPT zeroed; PML4[0] -> PDPT; PDPT[0..3] -> the four PDs. */
        movl    $pvh_pml4, %edi
        xorl    %eax, %eax
        movl    $2048, %ecx
        rep stosl
        movl    $pvh_pdpt + PTE_P_RW, pvh_pml4
        movl    $pvh_pd + PTE_P_RW, pvh_pdpt
        movl    $pvh_pd + 0x1000 + PTE_P_RW, pvh_pdpt + 8
        movl    $pvh_pd + 0x2000 + PTE_P_RW, pvh_pdpt + 16
        movl    $pvh_pd + 0x3000 + PTE_P_RW, pvh_pdpt + 24
        /* 2048 PD entries: 2 MiB page k at k << 21; from 3 GiB (k >= 1536) uncached. */
        movl    $pvh_pd, %edi
        xorl    %ecx, %ecx
5:      movl    %ecx, %eax
        shll    $21, %eax
        orl     $PDE_LARGE, %eax
        cmpl    $1536, %ecx
        jb      6f
        orl     $PDE_UC, %eax
6:      movl    %eax, (%edi)
        movl    $0, 4(%edi)
        addl    $8, %edi
        incl    %ecx
        cmpl    $2048, %ecx
        jb      5b

        lgdt    pvh_gdt_desc
        movw    $0x10, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        movw    %ax, %fs
        movw    %ax, %gs
        movl    $CR4_BOOT, %eax
        movl    %eax, %cr4
        movl    $pvh_pml4, %eax
        movl    %eax, %cr3
        movl    $MSR_EFER, %ecx
        rdmsr
        orl     $EFER_LME, %eax
        wrmsr
        movl    $CR0_BOOT, %eax
        movl    %eax, %cr0
        ljmp    $0x08, $pvh_entry64

        .code64
pvh_entry64:
        movw    $0x10, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        movw    %ax, %fs
        movw    %ax, %gs
        movq    $STACK_TOP, %rsp
        movl    %ebx, %esi              /* zero-extends: RSI = hvm_start_info */
        xorl    %edi, %edi              /* RDI = 0: no device tree */
        xorl    %eax, %eax
        xorl    %ebx, %ebx
        xorl    %ecx, %ecx
        xorl    %edx, %edx
        xorl    %ebp, %ebp
        pushq   $0x2                    /* RFLAGS as minivmm leaves it */
        popfq
        jmp     _start

        .section .rodata
        .balign 8
pvh_gdt:
        .quad   0
        .quad   0x00af9a000000ffff      /* 0x08: 64-bit code, DPL 0 */
        .quad   0x00cf92000000ffff      /* 0x10: flat data */
pvh_gdt_end:
        .balign 8
pvh_gdt_desc:
        .word   pvh_gdt_end - pvh_gdt - 1
        .long   pvh_gdt

/*
 * Boot-time storage outside .bss (which _start zeroes): NOLOAD, so neither
 * guest.bin nor the ELF's file image grows; minivmm never uses it.
 */
        .section .pvhdata, "aw", @nobits
        .balign 4096
pvh_pml4:
        .skip   4096
pvh_pdpt:
        .skip   4096
pvh_pd:
        .skip   4 * 4096
        .globl pvh_start_info, pvh_cmdline, pvh_memmap, pvh_memmap_n
        .balign 8
pvh_start_info:
        .skip   START_INFO_BYTES
pvh_memmap:
        .skip   PVH_MEMMAP_MAX * MEMMAP_ENTRY
pvh_memmap_n:
        .skip   4
pvh_cmdline:
        .skip   PVH_CMDLINE_MAX

        .section .note.GNU-stack, "", @progbits
