/* Spins forever with interrupts off: a VMM that stays up until it is killed. */
        .code64
        cli
1:      jmp 1b
