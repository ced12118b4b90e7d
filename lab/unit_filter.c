/*
 * unit_filter: linked into every CMocka unit test binary (lab/lab.mk). It
 * defines _cmocka_run_group_tests(), the function cmocka_run_group_tests()
 * expands to, so the binary's own definition is the one its main() calls;
 * it then hands over to CMocka's (the next definition, in libcmocka):
 *   UNIT_TEST_FILTER=NAME   runs only the test NAME ('*' and '?' match as in
 *                           a shell pattern); lab/grade runs each test alone
 *   UNIT_TEST_LIST=1        prints the name of every test, one a line, and
 *                           runs none; lab/grade lists the tests this way
 *   UNIT_TEST_TRACE=1       the device's trace (devices/trace.h) is on, as with
 *                           --trace; lab/grade reruns a failed test so, to
 *                           name the stub it met
 * Without these variables the binary behaves exactly as without this file.
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "devices/trace.h"

typedef int (*run_group_fn)(const char *group_name, const struct CMUnitTest *const tests,
                            const size_t num_tests, CMFixtureFunction group_setup,
                            CMFixtureFunction group_teardown);

int _cmocka_run_group_tests(const char *group_name, const struct CMUnitTest *const tests,
                            const size_t num_tests, CMFixtureFunction group_setup,
                            CMFixtureFunction group_teardown)
{
        const char *list = getenv("UNIT_TEST_LIST");
        const char *pattern = getenv("UNIT_TEST_FILTER");
        run_group_fn next;

        if (list != NULL && list[0] != '\0') {
                for (size_t i = 0; i < num_tests; i++) {
                        if (tests[i].name != NULL)
                                printf("%s\n", tests[i].name);
                }
                return fflush(stdout) == 0 ? 0 : 1;
        }
        if (pattern != NULL && pattern[0] != '\0')
                cmocka_set_test_filter(pattern);
        if (getenv("UNIT_TEST_TRACE") != NULL && getenv("UNIT_TEST_TRACE")[0] != '\0')
                trace_enabled = true;
        /* ISO C has no object-to-function pointer conversion; POSIX dlsym needs one. */
        *(void **)&next = dlsym(RTLD_NEXT, "_cmocka_run_group_tests");
        if (next == NULL) {
                fprintf(stderr, "unit_filter: no _cmocka_run_group_tests in libcmocka\n");
                return 1;
        }
        return next(group_name, tests, num_tests, group_setup, group_teardown);
}
