/* Unit tests for vmm/cli: sizes, disk specs and the option rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/cli.h"

static enum cli_result parse(struct vmm_config *cfg, char *err, int argc, ...)
{
        char *argv[16];
        va_list ap;

        va_start(ap, argc);
        for (int i = 0; i < argc; i++)
                argv[i] = va_arg(ap, char *);
        va_end(ap);
        argv[argc] = NULL;
        return cli_parse(argc, argv, cfg, err, 256);
}

static void size_suffixes_are_powers_of_two(void **state)
{
        uint64_t v;

        (void)state;
        assert_int_equal(cli_parse_size("4096", &v), 0);
        assert_int_equal(v, 4096);
        assert_int_equal(cli_parse_size("64M", &v), 0);
        assert_int_equal(v, 64ULL << 20);
        assert_int_equal(cli_parse_size("2g", &v), 0);
        assert_int_equal(v, 2ULL << 30);
        assert_int_equal(cli_parse_size("512KiB", &v), 0);
        assert_int_equal(v, 512ULL << 10);
        assert_int_equal(cli_parse_size("1TB", &v), 0);
        assert_int_equal(v, 1ULL << 40);
}

static void malformed_size_is_refused(void **state)
{
        uint64_t v = 7;

        (void)state;
        assert_int_equal(cli_parse_size("", &v), -1);
        assert_int_equal(cli_parse_size("M", &v), -1);
        assert_int_equal(cli_parse_size("12Q", &v), -1);
        assert_int_equal(cli_parse_size("-5M", &v), -1);
        assert_int_equal(cli_parse_size("5MX", &v), -1);
        assert_int_equal(cli_parse_size("1.5G", &v), -1);
        assert_int_equal(cli_parse_size("99999999999999999999", &v), -1);
        assert_int_equal(cli_parse_size("17179869184G", &v), -1); /* 2^64 bytes */
        assert_int_equal(v, 7);
}

static void disk_spec_splits_path_ro_and_legacy(void **state)
{
        struct disk_spec d;
        char err[256];

        (void)state;
        assert_int_equal(cli_parse_disk("a.img", &d, err, sizeof(err)), 0);
        assert_string_equal(d.path, "a.img");
        assert_false(d.ro);
        assert_int_equal(cli_parse_disk("dir/b.img,ro", &d, err, sizeof(err)), 0);
        assert_string_equal(d.path, "dir/b.img");
        assert_true(d.ro);
        assert_false(d.legacy);
        assert_int_equal(cli_parse_disk("c.img,legacy,ro", &d, err, sizeof(err)), 0);
        assert_string_equal(d.path, "c.img");
        assert_true(d.ro);
        assert_true(d.legacy);
}

static void disk_spec_with_unknown_option_is_refused(void **state)
{
        struct disk_spec d;
        char err[256];

        (void)state;
        assert_int_equal(cli_parse_disk("a.img,rw", &d, err, sizeof(err)), -1);
        assert_string_equal(err, "--disk 'a.img,rw': unknown option 'rw' (known: ro, legacy, pci, "
                                 "pci-legacy, aio=sync|io_uring, werror=report|stop)");
        assert_int_equal(cli_parse_disk(",ro", &d, err, sizeof(err)), -1);
        assert_string_equal(err, "--disk ',ro': empty file name");
}

static void defaults_apply_without_options(void **state)
{
        struct vmm_config cfg;
        char err[256];

        (void)state;
        assert_int_equal(parse(&cfg, err, 2, "minivmm", "g.bin"), CLI_RUN);
        assert_string_equal(cfg.guest, "g.bin");
        assert_int_equal(cfg.mem, 64ULL << 20);
        assert_int_equal(cfg.ndisks, 0);
        assert_int_equal(cfg.svirtb_mode, SVIRTB_FIRST_DISK);
        assert_string_equal(cfg.append, "");
        assert_false(cfg.trace);
        assert_false(cfg.no_sandbox);
}

static void every_option_is_parsed(void **state)
{
        struct vmm_config cfg;
        char err[256];

        (void)state;
        assert_int_equal(parse(&cfg, err, 11, "minivmm", "--disk", "a.img,ro", "--mem", "128M",
                               "--append", "svirtb_*", "--trace", "--svirtb=none", "--no-sandbox",
                               "g.bin"),
                         CLI_RUN);
        assert_true(cfg.no_sandbox);
        assert_int_equal(cfg.ndisks, 1);
        assert_string_equal(cfg.disks[0].path, "a.img");
        assert_true(cfg.disks[0].ro);
        assert_int_equal(cfg.mem, 128ULL << 20);
        assert_string_equal(cfg.append, "svirtb_*");
        assert_true(cfg.trace);
        assert_int_equal(cfg.svirtb_mode, SVIRTB_NONE);
}

static void mem_out_of_range_is_refused(void **state)
{
        struct vmm_config cfg;
        char err[256];

        (void)state;
        assert_int_equal(parse(&cfg, err, 4, "minivmm", "--mem", "1M", "g.bin"), CLI_ERROR);
        assert_string_equal(err, "--mem '1M': must be a multiple of 4 KiB between 2M and 256G");
        assert_int_equal(parse(&cfg, err, 4, "minivmm", "--mem", "4097K", "g.bin"), CLI_ERROR);
        assert_int_equal(parse(&cfg, err, 4, "minivmm", "--mem", "257G", "g.bin"), CLI_ERROR);
        assert_int_equal(parse(&cfg, err, 4, "minivmm", "--mem", "12Q", "g.bin"), CLI_ERROR);
        assert_string_equal(err, "--mem '12Q': not a size (examples: 64M, 1G)");
}

static void missing_or_extra_guest_is_refused(void **state)
{
        struct vmm_config cfg;
        char err[256];

        (void)state;
        assert_int_equal(parse(&cfg, err, 1, "minivmm"), CLI_ERROR);
        assert_string_equal(err, "no GUEST binary given (see --help)");
        assert_int_equal(parse(&cfg, err, 3, "minivmm", "a.bin", "b.bin"), CLI_ERROR);
        assert_string_equal(err, "unexpected argument 'b.bin' after GUEST 'a.bin'");
}

static void unknown_option_is_named(void **state)
{
        struct vmm_config cfg;
        char err[256];

        (void)state;
        assert_int_equal(parse(&cfg, err, 3, "minivmm", "--frob", "g.bin"), CLI_ERROR);
        assert_string_equal(err, "unknown option '--frob' (see --help)");
        assert_int_equal(parse(&cfg, err, 3, "minivmm", "g.bin", "--mem"), CLI_ERROR);
        assert_string_equal(err, "option '--mem' needs a value");
}

static void too_many_disks_are_refused(void **state)
{
        struct vmm_config cfg;
        char err[256];
        char *argv[2 * (CLI_MAX_DISKS + 1) + 3];
        int n = 0;

        (void)state;
        argv[n++] = "minivmm";
        for (int i = 0; i <= CLI_MAX_DISKS; i++) {
                argv[n++] = "--disk";
                argv[n++] = "d.img";
        }
        argv[n++] = "g.bin";
        argv[n] = NULL;
        assert_int_equal(cli_parse(n, argv, &cfg, err, sizeof(err)), CLI_ERROR);
        assert_string_equal(err, "--disk: at most 8 disks");
}

static void disk_spec_aio_selects_the_backend(void **state)
{
        struct disk_spec d;
        char err[256];

        (void)state;
        assert_int_equal(cli_parse_disk("a.img", &d, err, sizeof(err)), 0);
        assert_int_equal(d.aio, DISK_AIO_SYNC);
        assert_int_equal(cli_parse_disk("a.img,aio=io_uring", &d, err, sizeof(err)), 0);
        assert_string_equal(d.path, "a.img");
        assert_int_equal(d.aio, DISK_AIO_IO_URING);
        assert_false(d.ro);
        assert_int_equal(cli_parse_disk("b.img,ro,aio=io_uring,legacy", &d, err, sizeof(err)), 0);
        assert_true(d.ro && d.legacy);
        assert_int_equal(d.aio, DISK_AIO_IO_URING);
        assert_int_equal(cli_parse_disk("c.img,aio=io_uring,aio=sync", &d, err, sizeof(err)), 0);
        assert_int_equal(d.aio, DISK_AIO_SYNC); /* the last one wins */
}

static void disk_spec_with_unknown_aio_is_refused(void **state)
{
        struct disk_spec d;
        char err[256];

        (void)state;
        assert_int_equal(cli_parse_disk("a.img,aio=posix", &d, err, sizeof(err)), -1);
        assert_string_equal(err, "--disk 'a.img,aio=posix': unknown aio 'posix' (known: sync, "
                                 "io_uring)");
        assert_int_equal(cli_parse_disk("a.img,aio=", &d, err, sizeof(err)), -1);
        assert_string_equal(err, "--disk 'a.img,aio=': unknown aio '' (known: sync, io_uring)");
        assert_int_equal(cli_parse_disk("a.img,aio=io_uringx", &d, err, sizeof(err)), -1);
        assert_int_equal(cli_parse_disk("a.img,aio", &d, err, sizeof(err)), -1);
        assert_string_equal(err,
                            "--disk 'a.img,aio': unknown option 'aio' (known: ro, legacy, pci, "
                            "pci-legacy, aio=sync|io_uring, werror=report|stop)");
}

static void disk_spec_werror_selects_the_policy(void **state)
{
        struct disk_spec d;
        char err[256];

        (void)state;
        assert_int_equal(cli_parse_disk("a.img", &d, err, sizeof(err)), 0);
        assert_int_equal(d.werror, DISK_WERROR_REPORT); /* the default */
        assert_int_equal(cli_parse_disk("a.img,werror=stop,aio=io_uring", &d, err, sizeof(err)), 0);
        assert_int_equal(d.werror, DISK_WERROR_STOP);
        assert_int_equal(d.aio, DISK_AIO_IO_URING);
        assert_int_equal(cli_parse_disk("a.img,werror=stop,werror=report", &d, err, sizeof(err)),
                         0);
        assert_int_equal(d.werror, DISK_WERROR_REPORT);
        assert_int_equal(cli_parse_disk("a.img,werror=ignore", &d, err, sizeof(err)), -1);
        assert_string_equal(err,
                            "--disk 'a.img,werror=ignore': unknown werror 'ignore' (known: report, "
                            "stop)");
        assert_int_equal(cli_parse_disk("a.img,werror", &d, err, sizeof(err)), -1);
}

static void io_mode_and_stats_are_parsed(void **state)
{
        struct vmm_config cfg;
        char err[256];

        (void)state;
        assert_int_equal(parse(&cfg, err, 2, "minivmm", "g.bin"), CLI_RUN);
        assert_int_equal(cfg.io, IO_THREAD); /* the default */
        assert_false(cfg.stats);
        assert_int_equal(parse(&cfg, err, 4, "minivmm", "--io=vcpu", "--stats", "g.bin"), CLI_RUN);
        assert_int_equal(cfg.io, IO_VCPU);
        assert_true(cfg.stats);
        assert_int_equal(parse(&cfg, err, 4, "minivmm", "--io", "thread", "g.bin"), CLI_RUN);
        assert_int_equal(cfg.io, IO_THREAD);
        assert_int_equal(parse(&cfg, err, 3, "minivmm", "--io=fast", "g.bin"), CLI_ERROR);
        assert_string_equal(err, "--io 'fast': expected thread or vcpu");
}

static void svirtb_refuses_aio(void **state)
{
        struct vmm_config cfg;
        char err[256];

        (void)state;
        assert_int_equal(parse(&cfg, err, 4, "minivmm", "--svirtb", "s.img,aio=io_uring", "g.bin"),
                         CLI_ERROR);
        assert_string_equal(err, "--svirtb 's.img,aio=io_uring': aio= is a --disk option");
        assert_int_equal(parse(&cfg, err, 4, "minivmm", "--svirtb", "s.img,aio=sync", "g.bin"),
                         CLI_RUN);
}

/* svirtb has no legacy mode and no werror= policy: refused, not silently ignored. */
static void svirtb_refuses_legacy_and_werror(void **state)
{
        struct vmm_config cfg;
        char err[256];

        (void)state;
        assert_int_equal(parse(&cfg, err, 4, "minivmm", "--svirtb", "s.img,legacy", "g.bin"),
                         CLI_ERROR);
        assert_string_equal(err, "--svirtb 's.img,legacy': legacy is a --disk option");
        assert_int_equal(
            parse(&cfg, err, 4, "minivmm", "--svirtb", "s.img,ro,werror=stop", "g.bin"), CLI_ERROR);
        assert_string_equal(err, "--svirtb 's.img,ro,werror=stop': werror= is a --disk option");
        assert_int_equal(parse(&cfg, err, 4, "minivmm", "--svirtb", "s.img,pci", "g.bin"),
                         CLI_ERROR);
        assert_string_equal(err, "--svirtb 's.img,pci': pci is a --disk option");
}

/* pci: transitional virtio-pci; pci-legacy: legacy-only virtio-pci (docs/virtio-pci.md). */
static void disk_spec_pci_selects_the_transport(void **state)
{
        struct disk_spec d;
        char err[256];

        (void)state;
        assert_int_equal(cli_parse_disk("a.img", &d, err, sizeof(err)), 0);
        assert_false(d.pci);
        assert_int_equal(cli_parse_disk("a.img,pci,ro", &d, err, sizeof(err)), 0);
        assert_true(d.pci && d.ro);
        assert_false(d.legacy);
        assert_int_equal(cli_parse_disk("a.img,pci-legacy", &d, err, sizeof(err)), 0);
        assert_true(d.pci && d.legacy);
        assert_int_equal(cli_parse_disk("a.img,pcie", &d, err, sizeof(err)), -1);
        assert_int_equal(cli_parse_disk("a.img,pci-", &d, err, sizeof(err)), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(size_suffixes_are_powers_of_two),
            cmocka_unit_test(malformed_size_is_refused),
            cmocka_unit_test(disk_spec_splits_path_ro_and_legacy),
            cmocka_unit_test(disk_spec_with_unknown_option_is_refused),
            cmocka_unit_test(disk_spec_pci_selects_the_transport),
            cmocka_unit_test(defaults_apply_without_options),
            cmocka_unit_test(every_option_is_parsed),
            cmocka_unit_test(mem_out_of_range_is_refused),
            cmocka_unit_test(missing_or_extra_guest_is_refused),
            cmocka_unit_test(unknown_option_is_named),
            cmocka_unit_test(too_many_disks_are_refused),
            cmocka_unit_test(disk_spec_aio_selects_the_backend),
            cmocka_unit_test(disk_spec_with_unknown_aio_is_refused),
            cmocka_unit_test(io_mode_and_stats_are_parsed),
            cmocka_unit_test(svirtb_refuses_aio),
            cmocka_unit_test(svirtb_refuses_legacy_and_werror),
            cmocka_unit_test(disk_spec_werror_selects_the_policy),
        };
        return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
