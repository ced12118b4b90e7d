/*
 * unit_filter.h: force-included (-include) into every CMocka unit test
 * (UNIT_CFLAGS, lab/lab.mk), ahead of the test's own includes. It includes
 * <cmocka.h> and points CMocka's public cmocka_run_group_tests() and
 * cmocka_run_group_tests_name() macros at unit_filter_run_group()
 * (lab/unit_filter.c), which then sees each group's tests: CMocka 1.1.5 has
 * no public call that lists them without running them. The test's own
 * #include <cmocka.h> comes later and changes nothing (include guard).
 */
#ifndef UNIT_FILTER_H
#define UNIT_FILTER_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* Lists the group's tests (UNIT_TEST_LIST) or runs them, as CMocka's macros do. */
int unit_filter_run_group(const char *group_name, const struct CMUnitTest *tests, size_t n,
                          CMFixtureFunction group_setup, CMFixtureFunction group_teardown);

#undef cmocka_run_group_tests
#define cmocka_run_group_tests(group_tests, group_setup, group_teardown)                           \
        unit_filter_run_group(#group_tests, group_tests,                                           \
                              sizeof(group_tests) / sizeof((group_tests)[0]), group_setup,         \
                              group_teardown)
#undef cmocka_run_group_tests_name
#define cmocka_run_group_tests_name(group_name, group_tests, group_setup, group_teardown)          \
        unit_filter_run_group(group_name, group_tests,                                             \
                              sizeof(group_tests) / sizeof((group_tests)[0]), group_setup,         \
                              group_teardown)

#endif
