/*
 * console: the write side of a 16550 UART at I/O port 0x3f8, enough for a
 * guest to print. Bytes written to THR (0x3f8) go to stdout; the line status
 * register (0x3fd) always reads 0x60 (transmitter empty); other registers
 * read 0 and ignore writes.
 */
#ifndef MINIVMM_CONSOLE_H
#define MINIVMM_CONSOLE_H

#include "bus.h"

#define CONSOLE_PORT 0x3f8

int console_register(struct bus *pio);

#endif
