/*
 * cli: the command line, parsed into a config and nothing else (no file is
 * opened here). Errors come back as one line naming the bad input, for the
 * caller to print with exit status 2.
 */
#ifndef MINIVMM_CLI_H
#define MINIVMM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLI_MAX_DISKS   8
#define CLI_DEFAULT_MEM (64ULL << 20)
#define CLI_MIN_MEM     (2ULL << 20)
#define CLI_MAX_MEM     (256ULL << 30)

#define CLI_PATH_MAX 4096

enum disk_aio { DISK_AIO_SYNC, DISK_AIO_IO_URING };

/* After a write-back error (docs/security.md, "Faults"): IOERR from then on, or stop. */
enum disk_werror { DISK_WERROR_REPORT, DISK_WERROR_STOP };

struct disk_spec {
        char path[CLI_PATH_MAX];
        bool ro;
        bool legacy;             /* virtio-mmio version 1 instead of 2; with pci: pci-legacy */
        bool pci;                /* virtio-pci (docs/virtio-pci.md) instead of virtio-mmio */
        enum disk_aio aio;       /* aio=sync (default) or aio=io_uring */
        enum disk_werror werror; /* werror=report (default) or werror=stop */
};

/* Where virtio requests run: an I/O thread fed by ioeventfds (default), or the vCPU thread. */
enum io_mode { IO_THREAD, IO_VCPU };

enum svirtb_mode { SVIRTB_FIRST_DISK, SVIRTB_NONE, SVIRTB_OWN_FILE };

struct vmm_config {
        const char *guest;
        struct disk_spec disks[CLI_MAX_DISKS];
        unsigned ndisks;
        enum svirtb_mode svirtb_mode;
        struct disk_spec svirtb; /* with SVIRTB_OWN_FILE */
        uint64_t mem;
        const char *append;
        bool trace;
        bool no_sandbox;
        enum io_mode io;
        bool stats; /* print counters on stderr at exit */
};

enum cli_result { CLI_RUN, CLI_EXIT_OK, CLI_ERROR };

/* Parses argv; on CLI_ERROR err holds the reason. Help and version print to stdout. */
enum cli_result cli_parse(int argc, char **argv, struct vmm_config *cfg, char *err, size_t errlen);
/* "64M", "1G", "4096", "2MiB": bytes in *out; -1 when malformed or overflowing. */
int cli_parse_size(const char *s, uint64_t *out);
/*
 * "FILE[,ro][,legacy|pci|pci-legacy][,aio=sync|io_uring][,werror=report|stop]": -1 with err
 * set when an option after the comma is unknown.
 */
int cli_parse_disk(const char *arg, struct disk_spec *spec, char *err, size_t errlen);

#endif
