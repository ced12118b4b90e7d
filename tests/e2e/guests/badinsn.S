/* cmpxchg16b is not emulated on these hosts (docs/platform.md): minivmm must
 * report an emulation failure with the RIP, not hang. */
        .code64
        mov $0xf0000, %rsp
        cmpxchg16b (%rsp)
        hlt
