/* Unit tests for vmm/bus: registration rules and dispatch. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/bus.h"

struct hit {
        int calls;
        uint64_t offset;
        uint32_t len;
        bool is_write;
};

static void record(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
        struct hit *h = opaque;

        h->calls++;
        h->offset = offset;
        h->len = len;
        h->is_write = is_write;
        if (!is_write)
                memset(data, 0xab, len);
}

static void overlapping_region_is_refused(void **state)
{
        struct bus b;
        struct hit h = {0};

        (void)state;
        bus_init(&b);
        assert_int_equal(bus_register(&b, 0x1000, 0x100, "a", record, &h), 0);
        assert_int_equal(bus_register(&b, 0x10ff, 0x10, "b", record, &h), -EEXIST);
        assert_int_equal(bus_register(&b, 0x0f00, 0x101, "c", record, &h), -EEXIST);
        assert_int_equal(bus_register(&b, 0x0800, 0x1000, "d", record, &h), -EEXIST);
        assert_int_equal(bus_register(&b, 0x1040, 0x10, "e", record, &h), -EEXIST);
        assert_int_equal(b.n, 1);
}

static void adjacent_regions_are_accepted(void **state)
{
        struct bus b;
        struct hit h = {0};

        (void)state;
        bus_init(&b);
        assert_int_equal(bus_register(&b, 0x1000, 0x100, "a", record, &h), 0);
        assert_int_equal(bus_register(&b, 0x1100, 0x100, "b", record, &h), 0);
        assert_int_equal(bus_register(&b, 0x0f00, 0x100, "c", record, &h), 0);
        assert_int_equal(b.n, 3);
}

static void empty_or_wrapping_region_is_refused(void **state)
{
        struct bus b;

        (void)state;
        bus_init(&b);
        assert_int_equal(bus_register(&b, 0x1000, 0, "zero", record, NULL), -EINVAL);
        assert_int_equal(bus_register(&b, UINT64_MAX, 2, "wrap", record, NULL), -EINVAL);
        assert_int_equal(bus_register(&b, UINT64_MAX, 1, "last byte", record, NULL), 0);
}

static void regions_are_kept_sorted(void **state)
{
        struct bus b;

        (void)state;
        bus_init(&b);
        assert_int_equal(bus_register(&b, 0x3000, 0x10, "c", record, NULL), 0);
        assert_int_equal(bus_register(&b, 0x1000, 0x10, "a", record, NULL), 0);
        assert_int_equal(bus_register(&b, 0x2000, 0x10, "b", record, NULL), 0);
        assert_int_equal(b.regions[0].base, 0x1000);
        assert_int_equal(b.regions[1].base, 0x2000);
        assert_int_equal(b.regions[2].base, 0x3000);
}

static void full_bus_refuses_more(void **state)
{
        struct bus b;

        (void)state;
        bus_init(&b);
        for (unsigned i = 0; i < BUS_MAX_REGIONS; i++)
                assert_int_equal(bus_register(&b, i * 0x10, 0x10, "r", record, NULL), 0);
        assert_int_equal(bus_register(&b, 0x10000, 0x10, "one more", record, NULL), -ENOSPC);
}

static void dispatch_passes_offset_inside_region(void **state)
{
        struct bus b;
        struct hit a = {0}, c = {0};
        uint8_t data[4] = {1, 2, 3, 4};

        (void)state;
        bus_init(&b);
        assert_int_equal(bus_register(&b, 0xd0000000, 0x1000, "a", record, &a), 0);
        assert_int_equal(bus_register(&b, 0xcafe0000, 0x1000, "c", record, &c), 0);
        assert_true(bus_dispatch(&b, 0xcafe0010, data, 4, true));
        assert_int_equal(c.calls, 1);
        assert_int_equal(c.offset, 0x10);
        assert_int_equal(c.len, 4);
        assert_true(c.is_write);
        assert_int_equal(a.calls, 0);
        assert_true(bus_dispatch(&b, 0xd0000ffc, data, 4, false));
        assert_int_equal(a.offset, 0xffc);
        assert_false(a.is_write);
        assert_int_equal(data[0], 0xab);
}

static void access_straddling_region_end_is_unclaimed(void **state)
{
        struct bus b;
        struct hit h = {0};
        uint8_t data[8] = {0};

        (void)state;
        bus_init(&b);
        assert_int_equal(bus_register(&b, 0x1000, 0x100, "a", record, &h), 0);
        assert_false(bus_dispatch(&b, 0x10fe, data, 4, true));
        assert_false(bus_dispatch(&b, 0x0fff, data, 2, true));
        assert_false(bus_dispatch(&b, 0x1100, data, 1, true));
        assert_false(bus_dispatch(&b, UINT64_MAX, data, 8, true));
        assert_true(bus_dispatch(&b, 0x10fc, data, 4, true));
        assert_int_equal(h.calls, 1);
}

static void lookup_on_empty_bus_finds_nothing(void **state)
{
        struct bus b;
        uint8_t d = 0;

        (void)state;
        bus_init(&b);
        assert_null(bus_find(&b, 0, 1));
        assert_false(bus_dispatch(&b, 0x3f8, &d, 1, true));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(overlapping_region_is_refused),
            cmocka_unit_test(adjacent_regions_are_accepted),
            cmocka_unit_test(empty_or_wrapping_region_is_refused),
            cmocka_unit_test(regions_are_kept_sorted),
            cmocka_unit_test(full_bus_refuses_more),
            cmocka_unit_test(dispatch_passes_offset_inside_region),
            cmocka_unit_test(access_straddling_region_end_is_unclaimed),
            cmocka_unit_test(lookup_on_empty_bus_finds_nothing),
        };
        return cmocka_run_group_tests_name("bus", tests, NULL, NULL);
}
