/* Halts with interrupts off: minivmm must stop with status 0 and a note. */
        .code64
        cli
        hlt
        jmp . - 2
