#!/bin/bash
# check: runs every unit test binary (CMocka), the end-to-end suite and every
# script suite under tests/suites/, then prints one total line. Exit 0 only
# when nothing failed.
#
# The parts are independent, so they run side by side, CHECK_JOBS at a time
# (default: the number of CPUs), the longest first; each part's output is
# kept and printed whole, in the usual order, once everything has finished.
set -u
cd "$(dirname "$0")/.."

pass=0
fail=0
skip=0
JOBS=${CHECK_JOBS:-$(nproc 2>/dev/null || echo 2)}
[[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || JOBS=2
OUT=$(mktemp -d /tmp/minivmm-check.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

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

# The unit tests run as one part (a few seconds in all); each suite is a part.
# Slowest first, so the long ones do not start last.
suites=(tests/e2e/run.sh tests/suites/*.sh)
order=(tests/suites/lab.sh tests/suites/fuzz.sh)
run_part() { # INDEX COMMAND...: output to $OUT/INDEX.out, status to $OUT/INDEX.rc
        local i=$1
        shift
        "$@" >"$OUT/$i.out" 2>&1 </dev/null
        echo $? >"$OUT/$i.rc"
}
run_units() {
        local t
        for t in "${units[@]}"; do
                [ -x "$t" ] || continue
                "$t" >"$OUT/unit.$(basename "$t").out" 2>&1
                echo $? >"$OUT/unit.$(basename "$t").rc"
        done
}

start_part() { # INDEX: starts suite INDEX (or the unit tests for "units") in the background
        while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
                wait -n
        done
        if [ "$1" = units ]; then
                run_units &
        else
                run_part "$1" "${suites[$1]}" &
        fi
}

started=()
for s in "${order[@]}"; do
        for i in "${!suites[@]}"; do
                if [ "${suites[$i]}" = "$s" ] && [ -x "$s" ]; then
                        start_part "$i"
                        started[$i]=1
                fi
        done
done
start_part units
for i in "${!suites[@]}"; do
        [ -n "${started[$i]:-}" ] || [ ! -x "${suites[$i]}" ] || start_part "$i"
done
wait

for t in "${units[@]}"; do
        [ -x "$t" ] || continue
        out=$(cat "$OUT/unit.$(basename "$t").out")
        rc=$(cat "$OUT/unit.$(basename "$t").rc")
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
for i in "${!suites[@]}"; do
        suite=${suites[$i]}
        [ -x "$suite" ] || continue
        out=$(cat "$OUT/$i.out")
        rc=$(cat "$OUT/$i.rc")
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
