/* stats: see stats.h. */
#include "stats.h"

#include <inttypes.h>
#include <sys/resource.h>

static uint64_t stats_us(struct timeval tv)
{
        return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

void stats_print(FILE *out, const struct vmm_stats *st)
{
        struct rusage ru = {0};
        const struct {
                const char *name;
                uint64_t v;
        } lines[] = {
            {"exits", st->exits.total},
            {"exits_io", st->exits.io},
            {"exits_mmio", st->exits.mmio},
            {"exits_hlt", st->exits.hlt},
            {"exits_intr", st->exits.intr},
            {"notify_exits", st->notify_exits},
            {"notify_wakeups", st->notify_wakeups},
            {"notify_writes", st->notify_writes},
            {"notifications", st->notify_exits + st->notify_wakeups},
            {"interrupts", st->interrupts},
            {"irq_reasserts", st->irq_reasserts},
            {"requests", st->requests},
            {"bytes_read", st->bytes_read},
            {"bytes_written", st->bytes_written},
        };

        getrusage(RUSAGE_SELF, &ru);
        fprintf(out, "stats: io_mode=%s\n", st->io_mode);
        for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
                fprintf(out, "stats: %s=%" PRIu64 "\n", lines[i].name, lines[i].v);
        fprintf(out, "stats: cpu_user_us=%" PRIu64 "\n", stats_us(ru.ru_utime));
        fprintf(out, "stats: cpu_sys_us=%" PRIu64 "\n", stats_us(ru.ru_stime));
        if (st->io_thread)
                fprintf(out, "stats: io_cpu_us=%" PRIu64 "\n", st->io_cpu_us);
        fprintf(out, "stats: maxrss_kb=%ld\n", ru.ru_maxrss);
        fprintf(out, "stats: guest_ram_kb=%" PRIu64 "\n", st->guest_ram >> 10);
        fflush(out);
}
