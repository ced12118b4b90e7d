/*
 * unit_filter: linked into every CMocka unit test binary, whose source gets
 * lab/unit_filter.h first (lab/lab.mk). Three variables, read through
 * CMocka's public API (cmocka.h of CMocka 1.1.5):
 *   UNIT_TEST_FILTER=NAME   before main(), cmocka_set_test_filter(NAME): only
 *                           the tests NAME matches run ('*' and '?' as in a
 *                           shell pattern); lab/grade runs each test alone so
 *   UNIT_TEST_TRACE=1       before main(), the device's trace
 *                           (devices/trace.h) is on, as with --trace;
 *                           lab/grade reruns a failed test so, to name the
 *                           stub it met
 *   UNIT_TEST_LIST=1        prints the name of every test, one a line, and
 *                           runs none; lab/grade lists the tests this way
 *                           (names made at run time included)
 * Without them the binary behaves exactly as without this file.
 */
#include "lab/unit_filter.h"

#include <stdio.h>
#include <stdlib.h>

#include "devices/trace.h"

static bool unit_filter_set(const char *name)
{
        const char *v = getenv(name);

        return v != NULL && v[0] != '\0';
}

__attribute__((constructor)) static void unit_filter_init(void)
{
        if (unit_filter_set("UNIT_TEST_FILTER"))
                cmocka_set_test_filter(getenv("UNIT_TEST_FILTER"));
        if (unit_filter_set("UNIT_TEST_TRACE"))
                trace_enabled = true;
}

int unit_filter_run_group(const char *group_name, const struct CMUnitTest *tests, size_t n,
                          CMFixtureFunction group_setup, CMFixtureFunction group_teardown)
{
        if (unit_filter_set("UNIT_TEST_LIST")) {
                for (size_t i = 0; i < n; i++) {
                        if (tests[i].name != NULL)
                                printf("%s\n", tests[i].name);
                }
                return fflush(stdout) == 0 ? 0 : 1;
        }
        /* What cmocka_run_group_tests() expands to in cmocka.h. */
        return _cmocka_run_group_tests(group_name, tests, n, group_setup, group_teardown);
}
