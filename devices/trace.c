/* trace: see trace.h. */
#include "trace.h"

#include <stdarg.h>
#include <stdio.h>

bool trace_enabled;

void trace_printf(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}
