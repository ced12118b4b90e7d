/* Writes 42 to the exit port: minivmm must exit with status 42. */
        .code64
        mov $0x501, %dx
        mov $42, %eax
        out %eax, %dx
        hlt
