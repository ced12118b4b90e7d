/*
 * trace: the --trace switch. Devices describe every register access, every
 * decoded ring entry and every reason they reset; the text goes to stderr
 * only when tracing is on, so calls cost a branch otherwise.
 */
#ifndef MINIVMM_TRACE_H
#define MINIVMM_TRACE_H

#include <stdbool.h>

#include <stdio.h>

extern bool trace_enabled;

/* Where the lines go: stderr while NULL (tests point it at a memory stream). */
extern FILE *trace_sink;

void trace_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define TRACE(...)                                                                                 \
        do {                                                                                       \
                if (trace_enabled)                                                                 \
                        trace_printf(__VA_ARGS__);                                                 \
        } while (0)

#endif
