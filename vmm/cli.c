/* cli: see cli.h. */
#include "cli.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MINIVMM_VERSION "0.1.0"

static const char usage[] =
    "usage: minivmm [options] GUEST\n"
    "Runs the flat 64-bit binary GUEST (loaded at 0x100000, see docs/boot.md) under KVM.\n"
    "\n"
    "  --disk FILE[,ro][,legacy|pci|pci-legacy][,aio=sync|io_uring][,werror=report|stop]\n"
    "                       adds a virtio-blk disk (virtio-mmio version 2, or 1 with\n"
    "                       legacy; virtio-pci transitional with pci, legacy-only with\n"
    "                       pci-legacy); ro opens the image read-only; aio=io_uring submits\n"
    "                       each batch of requests at once; after a failed write or\n"
    "                       flush of the image, werror=report (default) fails every\n"
    "                       later write and FLUSH with IOERR, werror=stop stops the\n"
    "                       guest with exit status 1 (repeatable, up to 8)\n"
    "  --svirtb FILE[,ro]|none\n"
    "                       the svirtb device's image (default: the first --disk)\n"
    "  --mem SIZE           guest RAM, e.g. 64M, 1G (default 64M; suffixes K M G T)\n"
    "  --append STRING      the guest's command line (/chosen/bootargs)\n"
    "  --io thread|vcpu     where virtio requests run: an I/O thread woken by ioeventfds\n"
    "                       with irqfd interrupts (default), or the vCPU thread on each\n"
    "                       QueueNotify exit\n"
    "  --stats              print counters (exits, notifications, interrupts, requests,\n"
    "                       bytes, CPU time, peak RSS) to stderr at exit, one per line\n"
    "  --trace              print every device register access and ring entry to stderr\n"
    "  --no-sandbox         do not install the seccomp filter (for debugging;\n"
    "                       docs/security.md)\n"
    "  -h, --help           this text\n"
    "  --version            the version\n"
    "\n"
    "Exit status: the value the guest writes to port 0x501; 0 when it halts with\n"
    "interrupts off; 2 for bad input; 1 when the VMM or the guest CPU fails.\n";

int cli_parse_size(const char *s, uint64_t *out)
{
        uint64_t v = 0, mult = 1;
        const char *p = s;

        if (!isdigit((unsigned char)*p))
                return -1;
        for (; isdigit((unsigned char)*p); p++) {
                if (__builtin_mul_overflow(v, 10, &v) ||
                    __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v))
                        return -1;
        }
        switch (toupper((unsigned char)*p)) {
        case '\0':
                break;
        case 'K':
                mult = 1ULL << 10;
                break;
        case 'M':
                mult = 1ULL << 20;
                break;
        case 'G':
                mult = 1ULL << 30;
                break;
        case 'T':
                mult = 1ULL << 40;
                break;
        default:
                return -1;
        }
        if (*p) {
                p++;
                /* Allow "M", "MB" and "MiB", all powers of two. */
                if (strcmp(p, "") && strcmp(p, "B") && strcmp(p, "iB"))
                        return -1;
        }
        if (__builtin_mul_overflow(v, mult, &v))
                return -1;
        *out = v;
        return 0;
}

int cli_parse_disk(const char *arg, struct disk_spec *spec, char *err, size_t errlen)
{
        size_t len = strcspn(arg, ",");

        spec->ro = false;
        spec->legacy = false;
        spec->pci = false;
        spec->aio = DISK_AIO_SYNC;
        spec->werror = DISK_WERROR_REPORT;
        if (len == 0) {
                snprintf(err, errlen, "--disk '%s': empty file name", arg);
                return -1;
        }
        if (len >= sizeof(spec->path)) {
                snprintf(err, errlen, "--disk: file name longer than %zu bytes",
                         sizeof(spec->path) - 1);
                return -1;
        }
        /* The path is the part before the first comma; options follow. */
        memcpy(spec->path, arg, len);
        spec->path[len] = '\0';
        for (const char *opt = arg + len; *opt == ',';) {
                size_t n = strcspn(++opt, ",");
                if (n == 2 && !strncmp(opt, "ro", 2)) {
                        spec->ro = true;
                } else if (n == 6 && !strncmp(opt, "legacy", 6)) {
                        spec->legacy = true;
                } else if (n == 3 && !strncmp(opt, "pci", 3)) {
                        spec->pci = true;
                } else if (n == 10 && !strncmp(opt, "pci-legacy", 10)) {
                        spec->pci = spec->legacy = true;
                } else if (n == 8 && !strncmp(opt, "aio=sync", 8)) {
                        spec->aio = DISK_AIO_SYNC;
                } else if (n == 12 && !strncmp(opt, "aio=io_uring", 12)) {
                        spec->aio = DISK_AIO_IO_URING;
                } else if (n == 13 && !strncmp(opt, "werror=report", 13)) {
                        spec->werror = DISK_WERROR_REPORT;
                } else if (n == 11 && !strncmp(opt, "werror=stop", 11)) {
                        spec->werror = DISK_WERROR_STOP;
                } else if (n >= 7 && !strncmp(opt, "werror=", 7)) {
                        snprintf(err, errlen,
                                 "--disk '%s': unknown werror '%.*s' (known: report, stop)", arg,
                                 (int)(n - 7), opt + 7);
                        return -1;
                } else if (n >= 4 && !strncmp(opt, "aio=", 4)) {
                        snprintf(err, errlen,
                                 "--disk '%s': unknown aio '%.*s' (known: sync, io_uring)", arg,
                                 (int)(n - 4), opt + 4);
                        return -1;
                } else {
                        snprintf(err, errlen,
                                 "--disk '%s': unknown option '%.*s' (known: ro, legacy, pci, "
                                 "pci-legacy, aio=sync|io_uring, werror=report|stop)",
                                 arg, (int)n, opt);
                        return -1;
                }
                opt += n;
        }
        return 0;
}

enum {
        OPT_DISK = 256,
        OPT_SVIRTB,
        OPT_MEM,
        OPT_APPEND,
        OPT_TRACE,
        OPT_NO_SANDBOX,
        OPT_VERSION,
        OPT_IO,
        OPT_STATS
};

/* clang-format off */
static const struct option options[] = {
        {"disk",       required_argument, NULL, OPT_DISK},
        {"svirtb",     required_argument, NULL, OPT_SVIRTB},
        {"mem",        required_argument, NULL, OPT_MEM},
        {"append",     required_argument, NULL, OPT_APPEND},
        {"trace",      no_argument,       NULL, OPT_TRACE},
        {"no-sandbox", no_argument,       NULL, OPT_NO_SANDBOX},
        {"io",         required_argument, NULL, OPT_IO},
        {"stats",      no_argument,       NULL, OPT_STATS},
        {"help",       no_argument,       NULL, 'h'},
        {"version",    no_argument,       NULL, OPT_VERSION},
        {NULL,         0,                 NULL, 0},
};
/* clang-format on */

static enum cli_result cli_option(int c, const char *arg, struct vmm_config *cfg, char *err,
                                  size_t errlen)
{
        switch (c) {
        case OPT_DISK:
                if (cfg->ndisks == CLI_MAX_DISKS) {
                        snprintf(err, errlen, "--disk: at most %d disks", CLI_MAX_DISKS);
                        return CLI_ERROR;
                }
                if (cli_parse_disk(arg, &cfg->disks[cfg->ndisks], err, errlen))
                        return CLI_ERROR;
                cfg->ndisks++;
                return CLI_RUN;
        case OPT_SVIRTB:
                if (!strcmp(arg, "none")) {
                        cfg->svirtb_mode = SVIRTB_NONE;
                        return CLI_RUN;
                }
                if (cli_parse_disk(arg, &cfg->svirtb, err, errlen))
                        return CLI_ERROR;
                if (cfg->svirtb.aio != DISK_AIO_SYNC) {
                        snprintf(err, errlen, "--svirtb '%s': aio= is a --disk option", arg);
                        return CLI_ERROR;
                }
                if (cfg->svirtb.legacy || cfg->svirtb.pci) {
                        snprintf(err, errlen, "--svirtb '%s': %s is a --disk option", arg,
                                 cfg->svirtb.pci ? "pci" : "legacy");
                        return CLI_ERROR;
                }
                if (cfg->svirtb.werror != DISK_WERROR_REPORT) {
                        snprintf(err, errlen, "--svirtb '%s': werror= is a --disk option", arg);
                        return CLI_ERROR;
                }
                cfg->svirtb_mode = SVIRTB_OWN_FILE;
                return CLI_RUN;
        case OPT_MEM:
                if (cli_parse_size(arg, &cfg->mem)) {
                        snprintf(err, errlen, "--mem '%s': not a size (examples: 64M, 1G)", arg);
                        return CLI_ERROR;
                }
                if (cfg->mem < CLI_MIN_MEM || cfg->mem > CLI_MAX_MEM || cfg->mem % 4096) {
                        snprintf(err, errlen,
                                 "--mem '%s': must be a multiple of 4 KiB between 2M and 256G",
                                 arg);
                        return CLI_ERROR;
                }
                return CLI_RUN;
        case OPT_APPEND:
                cfg->append = arg;
                return CLI_RUN;
        case OPT_TRACE:
                cfg->trace = true;
                return CLI_RUN;
        case OPT_NO_SANDBOX:
                cfg->no_sandbox = true;
                return CLI_RUN;
        case OPT_IO:
                if (!strcmp(arg, "thread")) {
                        cfg->io = IO_THREAD;
                } else if (!strcmp(arg, "vcpu")) {
                        cfg->io = IO_VCPU;
                } else {
                        snprintf(err, errlen, "--io '%s': expected thread or vcpu", arg);
                        return CLI_ERROR;
                }
                return CLI_RUN;
        case OPT_STATS:
                cfg->stats = true;
                return CLI_RUN;
        case 'h':
                fputs(usage, stdout);
                return CLI_EXIT_OK;
        case OPT_VERSION:
                printf("minivmm %s\n", MINIVMM_VERSION);
                return CLI_EXIT_OK;
        default:
                return CLI_ERROR;
        }
}

enum cli_result cli_parse(int argc, char **argv, struct vmm_config *cfg, char *err, size_t errlen)
{
        int c;

        memset(cfg, 0, sizeof(*cfg));
        cfg->mem = CLI_DEFAULT_MEM;
        cfg->append = "";
        opterr = 0;
        optind = 1;
        while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
                if (c == '?' || c == ':') {
                        const char *what = optind > 1 ? argv[optind - 1] : "?";
                        snprintf(err, errlen,
                                 c == ':' ? "option '%s' needs a value"
                                          : "unknown option '%s' (see --help)",
                                 what);
                        return CLI_ERROR;
                }
                enum cli_result r = cli_option(c, optarg, cfg, err, errlen);
                if (r != CLI_RUN)
                        return r;
        }
        if (optind == argc) {
                snprintf(err, errlen, "no GUEST binary given (see --help)");
                return CLI_ERROR;
        }
        if (optind + 1 < argc) {
                snprintf(err, errlen, "unexpected argument '%s' after GUEST '%s'", argv[optind + 1],
                         argv[optind]);
                return CLI_ERROR;
        }
        cfg->guest = argv[optind];
        return CLI_RUN;
}
