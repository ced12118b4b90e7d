/*
 * Entry stub: the first bytes of guest.bin. Records the entry state for the
 * boot tests, sets the stack, prints "minivmm guest: up", zeroes .bss
 * (PVH entry only: minivmm's RAM starts zeroed), loads the exception IDT
 * and calls
 * main(fdt); main's return value becomes the VM's exit status.
 * Exception stubs for vectors 0-31 build one frame layout (struct
 * exc_frame in idt.c) and call exception_handler(), which never returns.
 * Interrupt stubs for vectors 32-255 (IRQ_STUB_SIZE bytes apart from
 * irq_stubs) save the caller-saved registers, call irq_dispatch(vector) on
 * a 16-byte aligned stack and return with iretq.
 */
        .set ENTRY_RSP,    0
        .set ENTRY_RDI,    8
        .set ENTRY_RSI,    16
        .set ENTRY_RFLAGS, 24
        .set ENTRY_CR0,    32
        .set ENTRY_CR4,    40
        .set ENTRY_CS,     48
        .set ENTRY_DS,     50
        .set ENTRY_SS,     52
        .set ENTRY_ES,     54

        .section .text.entry, "ax"
        .code64
        .globl _start
_start:
        movq    %rsp, entry_state+ENTRY_RSP(%rip)
        movq    %rdi, entry_state+ENTRY_RDI(%rip)
        movq    %rsi, entry_state+ENTRY_RSI(%rip)
        movw    %cs, entry_state+ENTRY_CS(%rip)
        movw    %ds, entry_state+ENTRY_DS(%rip)
        movw    %ss, entry_state+ENTRY_SS(%rip)
        movw    %es, entry_state+ENTRY_ES(%rip)
        movq    %cr0, %rax
        movq    %rax, entry_state+ENTRY_CR0(%rip)
        movq    %cr4, %rax
        movq    %rax, entry_state+ENTRY_CR4(%rip)
        movq    $__stack_top, %rsp
        pushfq
        popq    %rax
        movq    %rax, entry_state+ENTRY_RFLAGS(%rip)

        cld
        movq    %rdi, %rbx              /* the FDT, kept in a callee-saved register */
        /* One line at once, before any other work: tools/bench measures
         * start-up to the guest's first console byte (and a line-buffered
         * console delivers it at the newline). */
        leaq    boot_banner(%rip), %rsi
        movw    $0x3f8, %dx
1:      lodsb
        testb   %al, %al
        jz      2f
        outb    %al, %dx
        jmp     1b
2:
        /* .bss (400 KiB, about 10 ms of emulated rep stosq): minivmm's RAM
         * starts zeroed (docs/boot.md), so only the PVH entry (RSI =
         * hvm_start_info, another loader's RAM) clears it. */
        cmpq    $0, entry_state+ENTRY_RSI(%rip)
        je      3f
        leaq    __bss_start(%rip), %rdi
        leaq    __bss_end(%rip), %rcx
        subq    %rdi, %rcx
        shrq    $3, %rcx                /* guest.ld: .bss is whole quadwords */
        xorl    %eax, %eax
        rep stosq                       /* interpreted: 8 bytes an iteration, not 1 */
3:
        call    idt_init
        movq    %rbx, %rdi
        call    main
        movl    %eax, %edi
        call    guest_exit

        .text
        .globl guest_exit
guest_exit:
        movl    %edi, %eax
        movw    $0x501, %dx
        outl    %eax, %dx
1:      cli
        hlt
        jmp     1b

/* Vectors where the CPU pushes an error code: 8, 10-14, 17, 21, 29, 30. */
        .macro ISR_NOERR n
isr\n:
        pushq   $0
        pushq   $\n
        jmp     isr_common
        .endm

        .macro ISR_ERR n
isr\n:
        pushq   $\n
        jmp     isr_common
        .endm

        .irp n, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
        ISR_NOERR \n
        .endr
        .irp n, 8,10,11,12,13,14,17,21,29,30
        ISR_ERR \n
        .endr

isr_common:
        pushq   %rax
        pushq   %rbx
        pushq   %rcx
        pushq   %rdx
        pushq   %rsi
        pushq   %rdi
        pushq   %rbp
        pushq   %r8
        pushq   %r9
        pushq   %r10
        pushq   %r11
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        movq    %rsp, %rdi
        andq    $-16, %rsp
        cld
        call    exception_handler
1:      cli
        hlt
        jmp     1b

/* Vectors 32-255: push the vector, then the common path. */
        .set IRQ_STUB_SIZE, 16
        .balign IRQ_STUB_SIZE
        .globl irq_stubs
irq_stubs:
        .set vec, 32
        .rept 224
        .balign IRQ_STUB_SIZE
        pushq   $vec
        jmp     irq_common
        .set vec, vec + 1
        .endr

irq_common:
        pushq   %rax
        pushq   %rcx
        pushq   %rdx
        pushq   %rsi
        pushq   %rdi
        pushq   %r8
        pushq   %r9
        pushq   %r10
        pushq   %r11
        pushq   %rbx
        movq    72+8(%rsp), %rdi        /* the vector, above the ten saved registers */
        movq    %rsp, %rbx
        andq    $-16, %rsp
        cld
        call    irq_dispatch
        movq    %rbx, %rsp
        popq    %rbx
        popq    %r11
        popq    %r10
        popq    %r9
        popq    %r8
        popq    %rdi
        popq    %rsi
        popq    %rdx
        popq    %rcx
        popq    %rax
        addq    $8, %rsp                /* the vector */
        iretq

        .section .rodata
boot_banner:
        .asciz  "minivmm guest: up\n"
        .balign 8
        .globl isr_table
isr_table:
        .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .quad   isr\n
        .endr

        .data
        .balign 8
        .globl entry_state
entry_state:
        .fill   56, 1, 0

        .section .note.GNU-stack, "", @progbits
