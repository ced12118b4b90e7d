/*
 * The guest's pure parsers, built on the host (tests/unit/guest_parsers.mk
 * links their sources in): numbers and "virtio_mmio.device=" words
 * (guest/cmdline.c, what the PVH boot reads from QEMU's command line),
 * bench=SPEC (guest/bench_opts.c), and vring_need_event
 * (guest/virtq_drv.h, §2.7.10).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "guest/bench.h"
#include "guest/cmdline.h"
#include "guest/virtq_drv.h"

static void number_bases_and_suffixes(void **state)
{
        static const struct {
                const char *s;
                bool suffixes;
                uint64_t v;
                size_t used;
        } ok[] = {
            {"512", true, 512, 3},       {"0x200", false, 0x200, 5},
            {"0X1f", false, 0x1f, 4},    {"010", false, 8, 3},
            {"0", false, 0, 1},          {"4k", true, 4096, 2},
            {"4K", true, 4096, 2},       {"1m", true, 1 << 20, 2},
            {"2G", true, 2ULL << 30, 2}, {"4k", false, 4, 1},
            {"12@0x1", true, 12, 2},     {"18446744073709551615", false, UINT64_MAX, 20},
            {"0x", false, 0, 1}, /* "0" then 'x' */
        };
        static const struct {
                const char *s;
                bool suffixes;
        } bad[] = {{"", false},
                   {"x1", false},
                   {"18446744073709551616", false},
                   {"17179869184G", true},
                   {"-1", false}};

        (void)state;
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                const char *p = ok[i].s;
                uint64_t v = 99;

                assert_true(cmdline_number(&p, &v, ok[i].suffixes));
                assert_int_equal(v, ok[i].v);
                assert_int_equal(p - ok[i].s, ok[i].used);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                const char *p = bad[i].s;
                uint64_t v = 99;

                assert_false(cmdline_number(&p, &v, bad[i].suffixes));
                assert_ptr_equal(p, bad[i].s);
        }
}

static void virtio_mmio_words(void **state)
{
        uint64_t size, base;
        uint32_t irq;

        (void)state;
        /* What QEMU's microvm appends with acpi=off. */
        assert_int_equal(
            cmdline_virtio_mmio("virtio_mmio.device=512@0xfeb00e00:12", &size, &base, &irq), 1);
        assert_int_equal(size, 512);
        assert_int_equal(base, 0xfeb00e00);
        assert_int_equal(irq, 12);
        /* Suffix, optional id, and the word ends at a space. */
        assert_int_equal(
            cmdline_virtio_mmio("virtio_mmio.device=4K@0xd0000000:5:3 x", &size, &base, &irq), 1);
        assert_int_equal(size, 4096);
        assert_int_equal(base, 0xd0000000);
        assert_int_equal(irq, 5);
        /* Other words. */
        assert_int_equal(cmdline_virtio_mmio("virtio_*", &size, &base, &irq), 0);
        assert_int_equal(cmdline_virtio_mmio("virtio_mmio.dev=1@2:3", &size, &base, &irq), 0);
        assert_int_equal(cmdline_virtio_mmio("complete=irq", &size, &base, &irq), 0);
        /* Malformed ones. */
        static const char *const bad[] = {
            "virtio_mmio.device=",
            "virtio_mmio.device=512",
            "virtio_mmio.device=512@",
            "virtio_mmio.device=512@0xfeb00e00",
            "virtio_mmio.device=512@0xfeb00e00:",
            "virtio_mmio.device=512@0xfeb00e00:x",
            "virtio_mmio.device=0@0xfeb00e00:12",
            "virtio_mmio.device=512@0xfeb00e00:12junk",
            "virtio_mmio.device=512@0xfeb00e00:4294967296",
            "virtio_mmio.device=512@0xffffffffffffffff:1",
            "virtio_mmio.device=512@0xfeb00e00:12:",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(cmdline_virtio_mmio(bad[i], &size, &base, &irq), -1);
}

static void bench_spec_defaults_and_keys(void **state)
{
        struct bench_opts o;

        (void)state;
        assert_null(bench_parse("randread", &o));
        assert_int_equal(o.workload, BENCH_RANDREAD);
        assert_int_equal(o.bs, 4096);
        assert_int_equal(o.qd, 1);
        assert_int_equal(o.n, 1000);
        assert_int_equal(o.complete, -1);
        assert_false(o.scratch);
        assert_int_equal(o.disk, 0);
        assert_int_equal(o.seed, 1);

        assert_null(
            bench_parse("seqwrite,bs=1m,qd=32,n=20000,complete=irq,scratch=1,disk=1,seed=7", &o));
        assert_int_equal(o.workload, BENCH_SEQWRITE);
        assert_true(bench_is_write(o.workload));
        assert_false(bench_is_random(o.workload));
        assert_int_equal(o.bs, 1 << 20);
        assert_int_equal(o.qd, 32);
        assert_int_equal(o.n, 20000);
        assert_int_equal(o.complete, 1);
        assert_true(o.scratch);
        assert_int_equal(o.disk, 1);
        assert_int_equal(o.seed, 7);

        /* The word may end at a space; later keys win. */
        assert_null(bench_parse("randwrite,bs=512,bs=4m,n=0,complete=poll virtio_*", &o));
        assert_int_equal(o.bs, 4 << 20);
        assert_int_equal(o.n, 0);
        assert_int_equal(o.complete, 0);
        assert_string_equal(bench_workload_name(BENCH_SEQREAD), "seqread");
}

static void bench_spec_errors(void **state)
{
        static const char *const bad[] = {
            "",
            "random",
            "randreads",
            "randread,",
            "randread,bs",
            "randread,bs=1000",
            "randread,bs=256",
            "randread,bs=8m",
            "randread,bs=4x",
            "randread,qd=0",
            "randread,qd=257",
            "randread,n=4294967296",
            "randread,n=-1",
            "randread,complete=maybe",
            "randread,scratch=yes",
            "randread,disk=8",
            "randread,seed=x",
            "randread,depth=4",
            "randread;qd=4",
        };
        struct bench_opts o;

        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_non_null(bench_parse(bad[i], &o));
}

static void need_event_window(void **state)
{
        (void)state;
        /* event in [old, new): notify. */
        assert_true(gvq_need_event(0, 1, 0));
        assert_true(gvq_need_event(4, 5, 4));
        assert_true(gvq_need_event(3, 10, 2));
        assert_false(gvq_need_event(0, 3, 1));
        assert_false(gvq_need_event(4, 4, 3));
        assert_false(gvq_need_event(10, 10, 2));
        assert_false(gvq_need_event(5, 5, 5)); /* nothing new */
        /* Across the 16-bit wrap. */
        assert_true(gvq_need_event(0xffff, 1, 0xfffe));
        assert_true(gvq_need_event(0, 1, 0xfffe));
        assert_false(gvq_need_event(1, 1, 0xfffe));
        assert_false(gvq_need_event(0xfffd, 1, 0xfffe));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(number_bases_and_suffixes),
            cmocka_unit_test(virtio_mmio_words),
            cmocka_unit_test(bench_spec_defaults_and_keys),
            cmocka_unit_test(bench_spec_errors),
            cmocka_unit_test(need_event_window),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
