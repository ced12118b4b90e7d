#!/bin/bash
# check: runs every unit test binary (CMocka), the end-to-end suite and every
# script suite under tests/suites/, then prints one total line. Exit 0 only
# when nothing failed.
set -u
cd "$(dirname "$0")/.."

pass=0
fail=0
skip=0

count() { # the number on the last line of $1 matching the sed expression $2, or 0
        local n
        n=$(printf '%s\n' "$1" | sed -n "$2" | tail -n 1)
        echo "${n:-0}"
}

units=(build/unit/test_*)
if [ ! -x "${units[0]}" ]; then
        echo "check: no unit test binaries under build/unit (run make unit)"
        fail=$((fail + 1))
fi
for t in "${units[@]}"; do
        [ -x "$t" ] || continue
        out=$("$t" 2>&1)
        rc=$?
        printf '%s\n' "$out"
        p=$(count "$out" 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p')
        f=$(count "$out" 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p')
        s=$(count "$out" 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p')
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
                echo "check: $t exited with status $rc (crash or sanitizer report)"
                f=1
        fi
        pass=$((pass + p))
        fail=$((fail + f))
        skip=$((skip + s))
done

# Script suites: the end-to-end tests, then every tests/suites/*.sh. Each
# prints its own lines and ends with "NAME: N passed, M failed[, K skipped]".
for suite in tests/e2e/run.sh tests/suites/*.sh; do
        [ -x "$suite" ] || continue
        out=$("$suite" 2>&1)
        rc=$?
        printf '%s\n' "$out"
        last=$(printf '%s\n' "$out" | tail -n 1)
        if [[ "$last" =~ ^[a-z0-9_-]+:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)?$ ]]; then
                pass=$((pass + BASH_REMATCH[1]))
                fail=$((fail + BASH_REMATCH[2]))
                skip=$((skip + ${BASH_REMATCH[4]:-0}))
                if [ "$rc" -ne 0 ] && [ "${BASH_REMATCH[2]}" -eq 0 ]; then
                        echo "check: $suite exited with status $rc"
                        fail=$((fail + 1))
                fi
        else
                echo "check: $suite did not finish (status $rc)"
                fail=$((fail + 1))
        fi
done

if [ "$skip" -gt 0 ]; then
        echo "check: $pass passed, $fail failed, $skip skipped"
else
        echo "check: $pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
