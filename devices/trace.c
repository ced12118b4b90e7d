/* trace: see trace.h. */
#include "trace.h"

#include <stdarg.h>
#include <stdio.h>

bool trace_enabled;
FILE *trace_sink;

void trace_printf(const char *fmt, ...)
{
        FILE *f = trace_sink != NULL ? trace_sink : stderr;
        va_list ap;

        va_start(ap, fmt);
        vfprintf(f, fmt, ap);
        va_end(ap);
        fputc('\n', f);
}
