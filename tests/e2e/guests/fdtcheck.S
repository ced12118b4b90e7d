/* Exits 0 when RDI points at a device tree (magic 0xd00dfeed, big-endian)
 * that lies in the top 64 KiB of RAM and RSP is 0x100000; 1 otherwise. */
        .code64
        mov $0x501, %dx
        mov $1, %eax
        cmpl $0xedfe0dd0, (%rdi)
        jne 1f
        cmp $0x100000, %rsp
        jne 1f
        test %rsi, %rsi
        jnz 1f
        xor %eax, %eax
1:      out %eax, %dx
        hlt
