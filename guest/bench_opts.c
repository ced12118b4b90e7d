/* bench_opts: the bench=SPEC parser (see bench.h). */
#include <stddef.h>

#include "bench.h"
#include "cmdline.h"

static const char *const workloads[] = {
    [BENCH_RANDREAD] = "randread",
    [BENCH_RANDWRITE] = "randwrite",
    [BENCH_SEQREAD] = "seqread",
    [BENCH_SEQWRITE] = "seqwrite",
};

const char *bench_workload_name(enum bench_workload w)
{
        return (unsigned)w < sizeof(workloads) / sizeof(workloads[0]) ? workloads[w] : "?";
}

/* Does [s, end) spell word exactly? */
static bool spells(const char *s, const char *end, const char *word)
{
        for (; s < end; s++, word++) {
                if (*word != *s)
                        return false;
        }
        return *word == '\0';
}

static bool at_end(char c)
{
        return c == '\0' || c == ',' || c == ' ' || c == '\t' || c == '\n';
}

/* A number that fills [*s, end of item): true and *v. */
static bool item_number(const char *s, uint64_t *v, bool suffixes)
{
        return cmdline_number(&s, v, suffixes) && at_end(*s);
}

const char *bench_parse(const char *spec, struct bench_opts *o)
{
        const char *p = spec, *e;
        uint64_t v;
        unsigned w;

        *o = (struct bench_opts){
            .workload = BENCH_RANDREAD, .bs = 4096, .qd = 1, .n = 1000, .complete = -1, .seed = 1};
        for (e = p; !at_end(*e); e++)
                ;
        for (w = 0; w < sizeof(workloads) / sizeof(workloads[0]); w++) {
                if (spells(p, e, workloads[w]))
                        break;
        }
        if (w == sizeof(workloads) / sizeof(workloads[0]))
                return "unknown workload (randread, randwrite, seqread, seqwrite)";
        o->workload = (enum bench_workload)w;
        p = e;
        while (*p == ',') {
                const char *key = ++p, *eq = p, *val;

                while (!at_end(*eq) && *eq != '=')
                        eq++;
                if (*eq != '=')
                        return "expected KEY=VALUE after a comma";
                val = eq + 1;
                for (e = val; !at_end(*e); e++)
                        ;
                if (spells(key, eq, "bs")) {
                        if (!item_number(val, &v, true) || v % 512 || v < BENCH_BS_MIN ||
                            v > BENCH_BS_MAX)
                                return "bs must be a multiple of 512 from 512 to 4m";
                        o->bs = (uint32_t)v;
                } else if (spells(key, eq, "qd")) {
                        if (!item_number(val, &v, false) || v < 1 || v > BENCH_QD_MAX)
                                return "qd must be 1 to 256";
                        o->qd = (uint32_t)v;
                } else if (spells(key, eq, "n")) {
                        if (!item_number(val, &v, true) || v > 0xffffffffull)
                                return "n must be 0 to 4294967295";
                        o->n = v;
                } else if (spells(key, eq, "complete")) {
                        if (spells(val, e, "poll"))
                                o->complete = 0;
                        else if (spells(val, e, "irq"))
                                o->complete = 1;
                        else
                                return "complete must be poll or irq";
                } else if (spells(key, eq, "scratch")) {
                        if (spells(val, e, "1"))
                                o->scratch = true;
                        else if (spells(val, e, "0"))
                                o->scratch = false;
                        else
                                return "scratch must be 0 or 1";
                } else if (spells(key, eq, "disk")) {
                        if (!item_number(val, &v, false) || v >= BENCH_DISK_MAX)
                                return "disk must be 0 to 7";
                        o->disk = (uint32_t)v;
                } else if (spells(key, eq, "seed")) {
                        if (!item_number(val, &v, false))
                                return "seed must be a number";
                        o->seed = v;
                } else {
                        return "unknown key (bs, qd, n, complete, scratch, disk, seed)";
                }
                p = e;
        }
        if (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n')
                return "trailing characters";
        return NULL;
}
