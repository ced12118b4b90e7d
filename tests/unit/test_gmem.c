/*
 * test_gmem: the guest-memory accessor (devices/gmem.h).
 *
 * Regions are malloc'd host buffers at chosen guest-physical addresses; each
 * test names the rule it checks and asserts exact results: return codes,
 * host pointers, and bytes in the buffers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "devices/gmem.h"

#define A_GPA  0x1000ULL
#define A_SIZE 0x2000ULL
#define B_GPA  (A_GPA + A_SIZE) /* adjacent to A in guest space, separate on the host */
#define B_SIZE 0x1000ULL

struct fixture {
        struct gmem gm;
        uint8_t *a;
        uint8_t *b;
};

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));

        if (f == NULL)
                return -1;
        f->a = malloc(A_SIZE);
        f->b = malloc(B_SIZE);
        if (f->a == NULL || f->b == NULL)
                return -1;
        memset(f->a, 0xaa, A_SIZE);
        memset(f->b, 0xbb, B_SIZE);
        gmem_init(&f->gm);
        if (gmem_add(&f->gm, A_GPA, A_SIZE, f->a) != 0 ||
            gmem_add(&f->gm, B_GPA, B_SIZE, f->b) != 0)
                return -1;
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;

        free(f->a);
        free(f->b);
        free(f);
        return 0;
}

static void init_leaves_an_empty_table(void **state)
{
        struct gmem gm;

        (void)state;
        memset(&gm, 0x5a, sizeof(gm));
        gmem_init(&gm);
        assert_int_equal(gm.nregions, 0);
        assert_false(gmem_contains(&gm, 0, 0));
        assert_false(gmem_contains(&gm, 0x1000, 1));
        assert_null(gmem_ptr(&gm, 0, 1));
}

static void add_records_the_region(void **state)
{
        struct fixture *f = *state;

        assert_int_equal(f->gm.nregions, 2);
        assert_int_equal(f->gm.regions[0].gpa, A_GPA);
        assert_int_equal(f->gm.regions[0].size, A_SIZE);
        assert_ptr_equal(f->gm.regions[0].host, f->a);
        assert_int_equal(f->gm.regions[1].gpa, B_GPA);
        assert_ptr_equal(f->gm.regions[1].host, f->b);
}

static void add_zero_size_is_refused(void **state)
{
        struct fixture *f = *state;
        uint8_t buf[16];

        assert_int_equal(gmem_add(&f->gm, 0x100000, 0, buf), -EINVAL);
        assert_int_equal(f->gm.nregions, 2);
}

static void add_region_whose_end_overflows_is_refused(void **state)
{
        struct fixture *f = *state;
        uint8_t buf[16];

        assert_int_equal(gmem_add(&f->gm, UINT64_MAX - 10, 100, buf), -EINVAL);
        /* Ending exactly at 2^64 also wraps gpa + size. */
        assert_int_equal(gmem_add(&f->gm, UINT64_MAX - 15, 16, buf), -EINVAL);
        assert_int_equal(f->gm.nregions, 2);
        /* One byte lower fits. */
        assert_int_equal(gmem_add(&f->gm, UINT64_MAX - 16, 16, buf), 0);
        assert_true(gmem_contains(&f->gm, UINT64_MAX - 16, 16));
        assert_false(gmem_contains(&f->gm, UINT64_MAX - 16, 17));
}

static void add_null_host_is_refused(void **state)
{
        struct fixture *f = *state;

        assert_int_equal(gmem_add(&f->gm, 0x100000, 0x1000, NULL), -EINVAL);
        assert_int_equal(f->gm.nregions, 2);
}

static void add_overlapping_region_is_refused(void **state)
{
        struct fixture *f = *state;
        static const struct {
                uint64_t gpa, size;
        } cases[] = {
            {A_GPA, A_SIZE},             /* identical */
            {A_GPA + 0x10, 0x10},        /* inside */
            {A_GPA - 0x10, 0x11},        /* straddles A's start by one byte */
            {B_GPA + B_SIZE - 1, 0x100}, /* straddles B's end by one byte */
            {0, 0x100000},               /* contains both */
            {A_GPA + A_SIZE - 1, 2},     /* last byte of A and first of B */
        };
        uint8_t buf[16];
        size_t i;

        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                assert_int_equal(gmem_add(&f->gm, cases[i].gpa, cases[i].size, buf), -EINVAL);
        assert_int_equal(f->gm.nregions, 2);
}

static void add_adjacent_regions_is_accepted(void **state)
{
        struct fixture *f = *state;
        uint8_t before[0x10], after[0x10];

        assert_int_equal(gmem_add(&f->gm, A_GPA - 0x10, 0x10, before), 0);
        assert_int_equal(gmem_add(&f->gm, B_GPA + B_SIZE, 0x10, after), 0);
        assert_int_equal(f->gm.nregions, 4);
}

static void add_beyond_table_size_fails_with_enospc(void **state)
{
        struct fixture *f = *state;
        uint8_t buf[GMEM_MAX_REGIONS + 1][16];
        unsigned i;

        for (i = f->gm.nregions; i < GMEM_MAX_REGIONS; i++)
                assert_int_equal(gmem_add(&f->gm, 0x100000ULL * (i + 1), 16, buf[i]), 0);
        assert_int_equal(f->gm.nregions, GMEM_MAX_REGIONS);
        assert_int_equal(gmem_add(&f->gm, 0x10000000, 16, buf[GMEM_MAX_REGIONS]), -ENOSPC);
        assert_int_equal(f->gm.nregions, GMEM_MAX_REGIONS);
        assert_false(gmem_contains(&f->gm, 0x10000000, 1));
}

/* --- front-end addresses (vhost-user) --------------------------------------- */

#define U_GPA  0x100000ULL
#define U_SIZE 0x1000ULL
#define U_UVA  0x7f0000000000ULL

static void uva_region_translates_to_gpa(void **state)
{
        struct fixture *f = *state;
        uint8_t buf[U_SIZE];
        uint64_t gpa = 0;

        assert_int_equal(gmem_add_uva(&f->gm, U_GPA, U_SIZE, buf, U_UVA), 0);
        assert_int_equal(gmem_uva_to_gpa(&f->gm, U_UVA + 0x10, 0x20, &gpa), 0);
        assert_int_equal(gpa, U_GPA + 0x10);
        assert_ptr_equal(gmem_ptr(&f->gm, gpa, 0x20), buf + 0x10);
        /* The whole region, and a zero-length range at its end. */
        assert_int_equal(gmem_uva_to_gpa(&f->gm, U_UVA, U_SIZE, &gpa), 0);
        assert_int_equal(gpa, U_GPA);
        assert_int_equal(gmem_uva_to_gpa(&f->gm, U_UVA + U_SIZE, 0, &gpa), 0);
        assert_int_equal(gpa, U_GPA + U_SIZE);
}

static void uva_outside_every_region_is_refused(void **state)
{
        struct fixture *f = *state;
        uint8_t buf[U_SIZE];
        uint64_t gpa = 0x1234;

        assert_int_equal(gmem_add_uva(&f->gm, U_GPA, U_SIZE, buf, U_UVA), 0);
        assert_int_equal(gmem_uva_to_gpa(&f->gm, U_UVA - 1, 1, &gpa), -EFAULT);
        assert_int_equal(gmem_uva_to_gpa(&f->gm, U_UVA + U_SIZE - 1, 2, &gpa), -EFAULT);
        assert_int_equal(gmem_uva_to_gpa(&f->gm, U_UVA + 1, UINT64_MAX, &gpa), -EFAULT);
        assert_int_equal(gmem_uva_to_gpa(&f->gm, UINT64_MAX, 2, &gpa), -EFAULT);
        assert_int_equal(gpa, 0x1234); /* untouched on refusal */
        /* Regions added without a uva (A and B) are never matched by a front-end address. */
        assert_int_equal(gmem_uva_to_gpa(&f->gm, A_GPA, 1, &gpa), -EFAULT);
}

static void uva_whose_end_overflows_is_refused(void **state)
{
        struct fixture *f = *state;
        uint8_t buf[16];

        assert_int_equal(gmem_add_uva(&f->gm, U_GPA, 16, buf, UINT64_MAX - 8), -EINVAL);
        assert_int_equal(f->gm.nregions, 2);
        /* Ending exactly at 2^64 is refused too: the end is not representable. */
        assert_int_equal(gmem_add_uva(&f->gm, U_GPA, 16, buf, UINT64_MAX - 15), -EINVAL);
        assert_int_equal(gmem_add_uva(&f->gm, U_GPA, 16, buf, UINT64_MAX - 16), 0);
}

static void uva_overlapping_another_region_is_refused(void **state)
{
        struct fixture *f = *state;
        uint8_t buf[2][U_SIZE];

        assert_int_equal(gmem_add_uva(&f->gm, U_GPA, U_SIZE, buf[0], U_UVA), 0);
        /* Different gpa, front-end range sharing its last byte with the first. */
        assert_int_equal(gmem_add_uva(&f->gm, 2 * U_GPA, U_SIZE, buf[1], U_UVA + U_SIZE - 1),
                         -EINVAL);
        assert_int_equal(gmem_add_uva(&f->gm, 2 * U_GPA, U_SIZE, buf[1], U_UVA - U_SIZE + 1),
                         -EINVAL);
        assert_int_equal(f->gm.nregions, 3);
        /* Adjacent front-end ranges are fine. */
        assert_int_equal(gmem_add_uva(&f->gm, 2 * U_GPA, U_SIZE, buf[1], U_UVA + U_SIZE), 0);
        /* Same uva rule does not apply to a gpa overlap: that is refused as before. */
        assert_int_equal(gmem_add_uva(&f->gm, U_GPA + 1, 1, buf[1], 0x1000), -EINVAL);
}

static void whole_region_is_contained(void **state)
{
        struct fixture *f = *state;

        assert_true(gmem_contains(&f->gm, A_GPA, A_SIZE));
        assert_true(gmem_contains(&f->gm, B_GPA, B_SIZE));
        assert_true(gmem_contains(&f->gm, A_GPA + A_SIZE - 1, 1));
}

static void range_one_byte_past_region_end_is_refused(void **state)
{
        struct fixture *f = *state;

        assert_false(gmem_contains(&f->gm, B_GPA, B_SIZE + 1));
        assert_false(gmem_contains(&f->gm, B_GPA + B_SIZE, 1));
        assert_null(gmem_ptr(&f->gm, B_GPA + 1, B_SIZE));
}

static void range_starting_before_region_is_refused(void **state)
{
        struct fixture *f = *state;

        assert_false(gmem_contains(&f->gm, A_GPA - 1, 1));
        assert_false(gmem_contains(&f->gm, A_GPA - 1, 2));
        assert_false(gmem_contains(&f->gm, 0, A_GPA + 1));
}

static void range_whose_end_overflows_is_refused(void **state)
{
        struct fixture *f = *state;

        assert_false(gmem_contains(&f->gm, A_GPA + 1, UINT64_MAX));
        assert_false(gmem_contains(&f->gm, A_GPA, UINT64_MAX));
        assert_false(gmem_contains(&f->gm, UINT64_MAX, 2));
        assert_false(gmem_contains(&f->gm, UINT64_MAX, UINT64_MAX));
        assert_null(gmem_ptr(&f->gm, A_GPA + 0x10, UINT64_MAX - 0x8));
}

static void range_spanning_two_adjacent_regions_is_refused(void **state)
{
        struct fixture *f = *state;

        /* Contiguous in guest space, not on the host: one region per access. */
        assert_false(gmem_contains(&f->gm, B_GPA - 1, 2));
        assert_false(gmem_contains(&f->gm, A_GPA, A_SIZE + B_SIZE));
        assert_null(gmem_ptr(&f->gm, B_GPA - 4, 8));
}

static void zero_length_is_accepted_inside_and_at_end_only(void **state)
{
        struct fixture *f = *state;

        assert_true(gmem_contains(&f->gm, A_GPA, 0));
        assert_true(gmem_contains(&f->gm, A_GPA + 5, 0));
        assert_true(gmem_contains(&f->gm, B_GPA + B_SIZE, 0)); /* at the end */
        assert_false(gmem_contains(&f->gm, B_GPA + B_SIZE + 1, 0));
        assert_false(gmem_contains(&f->gm, A_GPA - 1, 0));
        assert_false(gmem_contains(&f->gm, UINT64_MAX, 0));
        assert_ptr_equal(gmem_ptr(&f->gm, A_GPA + 5, 0), f->a + 5);
}

static void ptr_points_into_the_right_host_buffer(void **state)
{
        struct fixture *f = *state;

        assert_ptr_equal(gmem_ptr(&f->gm, A_GPA, 1), f->a);
        assert_ptr_equal(gmem_ptr(&f->gm, A_GPA + 0x123, 0x10), f->a + 0x123);
        assert_ptr_equal(gmem_ptr(&f->gm, B_GPA, B_SIZE), f->b);
        assert_ptr_equal(gmem_ptr(&f->gm, B_GPA + B_SIZE - 1, 1), f->b + B_SIZE - 1);
        assert_null(gmem_ptr(&f->gm, 0, 1));
}

static void read_copies_bytes_from_second_region(void **state)
{
        struct fixture *f = *state;
        uint8_t dst[8];

        memcpy(f->b + 0x20, "abcdefgh", 8);
        assert_int_equal(gmem_read(&f->gm, B_GPA + 0x20, dst, 8), 0);
        assert_memory_equal(dst, "abcdefgh", 8);
}

static void write_copies_bytes_into_first_region(void **state)
{
        struct fixture *f = *state;

        assert_int_equal(gmem_write(&f->gm, A_GPA + A_SIZE - 4, "wxyz", 4), 0);
        assert_memory_equal(f->a + A_SIZE - 4, "wxyz", 4);
        assert_int_equal(f->a[A_SIZE - 5], 0xaa);
        assert_int_equal(f->b[0], 0xbb);
}

static void refused_read_copies_nothing(void **state)
{
        struct fixture *f = *state;
        uint8_t dst[8];

        memset(dst, 0x11, sizeof(dst));
        assert_int_equal(gmem_read(&f->gm, B_GPA - 4, dst, 8), -EFAULT);
        assert_int_equal(gmem_read(&f->gm, UINT64_MAX - 3, dst, 8), -EFAULT);
        for (size_t i = 0; i < sizeof(dst); i++)
                assert_int_equal(dst[i], 0x11);
}

static void refused_write_changes_nothing(void **state)
{
        struct fixture *f = *state;
        size_t i;

        assert_int_equal(gmem_write(&f->gm, B_GPA - 4, "12345678", 8), -EFAULT);
        assert_int_equal(gmem_write(&f->gm, B_GPA + B_SIZE - 4, "12345678", 8), -EFAULT);
        for (i = 0; i < A_SIZE; i++)
                assert_int_equal(f->a[i], 0xaa);
        for (i = 0; i < B_SIZE; i++)
                assert_int_equal(f->b[i], 0xbb);
}

static void zero_length_read_and_write_succeed_without_copying(void **state)
{
        struct fixture *f = *state;
        uint8_t dst = 0x33;

        assert_int_equal(gmem_read(&f->gm, B_GPA + B_SIZE, &dst, 0), 0);
        assert_int_equal(gmem_write(&f->gm, A_GPA, "z", 0), 0);
        assert_int_equal(dst, 0x33);
        assert_int_equal(f->a[0], 0xaa);
        assert_int_equal(gmem_read(&f->gm, 0, &dst, 0), -EFAULT);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(init_leaves_an_empty_table),
            cmocka_unit_test_setup_teardown(add_records_the_region, setup, teardown),
            cmocka_unit_test_setup_teardown(add_zero_size_is_refused, setup, teardown),
            cmocka_unit_test_setup_teardown(add_region_whose_end_overflows_is_refused, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(add_null_host_is_refused, setup, teardown),
            cmocka_unit_test_setup_teardown(add_overlapping_region_is_refused, setup, teardown),
            cmocka_unit_test_setup_teardown(add_adjacent_regions_is_accepted, setup, teardown),
            cmocka_unit_test_setup_teardown(add_beyond_table_size_fails_with_enospc, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(uva_region_translates_to_gpa, setup, teardown),
            cmocka_unit_test_setup_teardown(uva_outside_every_region_is_refused, setup, teardown),
            cmocka_unit_test_setup_teardown(uva_whose_end_overflows_is_refused, setup, teardown),
            cmocka_unit_test_setup_teardown(uva_overlapping_another_region_is_refused, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(whole_region_is_contained, setup, teardown),
            cmocka_unit_test_setup_teardown(range_one_byte_past_region_end_is_refused, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(range_starting_before_region_is_refused, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(range_whose_end_overflows_is_refused, setup, teardown),
            cmocka_unit_test_setup_teardown(range_spanning_two_adjacent_regions_is_refused, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(zero_length_is_accepted_inside_and_at_end_only, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(ptr_points_into_the_right_host_buffer, setup, teardown),
            cmocka_unit_test_setup_teardown(read_copies_bytes_from_second_region, setup, teardown),
            cmocka_unit_test_setup_teardown(write_copies_bytes_into_first_region, setup, teardown),
            cmocka_unit_test_setup_teardown(refused_read_copies_nothing, setup, teardown),
            cmocka_unit_test_setup_teardown(refused_write_changes_nothing, setup, teardown),
            cmocka_unit_test_setup_teardown(zero_length_read_and_write_succeed_without_copying,
                                            setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
