#!/bin/bash
# check: runs every unit test binary (CMocka, with CMOCKA_MESSAGE_OUTPUT=TAP),
# the end-to-end suite and every script suite under tests/suites/ (TAP
# through tests/lib.sh), reads the TAP of each (docs/testing.md) and prints
# one total line, "check: N passed, M failed[, K skipped]". Exit 0 only when
# nothing failed. A part that crashes, bails out, prints no plan or results
# that do not match its plan counts as one failure more, never as passed.
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

# tap_count FILE RC PART: adds the results of the TAP in FILE to pass, fail
# and skip. A test point with a SKIP directive is a skip, whether "ok" or
# "not ok" (CMocka 1.1.5 prints "not ok N # SKIP NAME"); lines that are not
# TAP (diagnostics, a test's own output) are left alone.
tap_count() {
        local file=$1 rc=$2 part=$3 line n=0 plan="" p=0 f=0 s=0 bad=""
        local point='^(not )?ok ([0-9]+)( |$)' directive='[^\\]#[[:space:]]*[Ss][Kk][Ii][Pp]([^A-Za-z]|$)'
        while IFS= read -r line || [ -n "$line" ]; do
                if [[ "$line" =~ $point ]]; then
                        n=$((n + 1))
                        [ "${BASH_REMATCH[2]}" -eq "$n" ] || bad=${bad:-"test point ${BASH_REMATCH[2]} out of sequence"}
                        if [[ "$line" =~ $directive ]]; then
                                s=$((s + 1))
                        elif [[ "$line" == not* ]]; then
                                f=$((f + 1))
                        else
                                p=$((p + 1))
                        fi
                elif [[ "$line" =~ ^1\.\.([0-9]+) ]]; then
                        [ -z "$plan" ] || bad=${bad:-"two plans"}
                        plan=${BASH_REMATCH[1]}
                elif [[ "$line" == "Bail out!"* ]]; then
                        bad=${bad:-"$line"}
                fi
        done <"$file"
        if [ -z "$plan" ]; then
                bad=${bad:-"no plan (it stopped early)"}
        elif [ "$plan" -ne "$n" ]; then
                bad=${bad:-"plan 1..$plan, $n test points"}
        fi
        [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && bad=${bad:-"exit status $rc with no failed test (crash or sanitizer report)"}
        if [ -n "$bad" ]; then
                echo "check: $part: $bad"
                f=$((f + 1))
        fi
        pass=$((pass + p))
        fail=$((fail + f))
        skip=$((skip + s))
}

units=(build/unit/test_*)
if [ ! -x "${units[0]}" ]; then
        echo "check: no unit test binaries under build/unit (run make unit)"
        fail=$((fail + 1))
fi

# The unit tests run as one part (a few seconds in all); each suite is a part.
# Slowest first, so the long ones do not start last (their times: the
# "# time:" lines, docs/testing.md).
suites=(tests/e2e/run.sh tests/suites/*.sh)
order=(tests/suites/lab.sh tests/suites/fuzz.sh tests/suites/linux.sh tests/suites/hostile.sh
        tests/e2e/run.sh tests/suites/qemu.sh)
# part_time FILE START: writes to FILE one TAP comment line with this part's
# wall time since START (EPOCHREALTIME), the CPU seconds (user + system) of
# the processes it waited for, and the load average when it ended. Figures
# to read, never a limit: a part is never failed for being slow.
part_time() {
        local cpu
        # (times in this shell: in a pipe or $(...) it would count a subshell's)
        times >"$1.times"
        cpu=$(awk 'NR == 2 { for (i = 1; i <= NF; i++) { split($i, m, "m"); sub(/s$/, "", m[2]); s += m[1] * 60 + m[2] } }
                END { printf "%.1f", s }' "$1.times")
        awk -v a="$2" -v b="$EPOCHREALTIME" -v cpu="$cpu" -v load="$(cut -d ' ' -f 1 /proc/loadavg)" \
                'BEGIN { printf "wall %.1f s, cpu %s s, load %s\n", b - a, cpu, load }' >"$1"
}
run_part() { # INDEX COMMAND...: output to $OUT/INDEX.out, status to $OUT/INDEX.rc
        local i=$1 t0=$EPOCHREALTIME
        shift
        "$@" >"$OUT/$i.out" 2>&1 </dev/null
        echo $? >"$OUT/$i.rc"
        part_time "$OUT/$i.time" "$t0"
}
run_units() {
        local t t0=$EPOCHREALTIME
        for t in "${units[@]}"; do
                [ -x "$t" ] || continue
                CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$OUT/unit.$(basename "$t").out" 2>&1
                echo $? >"$OUT/unit.$(basename "$t").rc"
        done
        part_time "$OUT/units.time" "$t0"
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

t_check=$EPOCHREALTIME
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
part_time "$OUT/all.time" "$t_check"

for t in "${units[@]}"; do
        [ -x "$t" ] || continue
        echo "# $t"
        sed -e '$a\' "$OUT/unit.$(basename "$t").out"
        tap_count "$OUT/unit.$(basename "$t").out" "$(cat "$OUT/unit.$(basename "$t").rc")" "$t"
done
[ -f "$OUT/units.time" ] && echo "# time: the unit tests: $(cat "$OUT/units.time")"

# Script suites: the end-to-end tests, then every tests/suites/*.sh.
for i in "${!suites[@]}"; do
        [ -x "${suites[$i]}" ] || continue
        echo "# ${suites[$i]}"
        sed -e '$a\' "$OUT/$i.out"
        tap_count "$OUT/$i.out" "$(cat "$OUT/$i.rc")" "${suites[$i]}"
        echo "# time: ${suites[$i]}: $(cat "$OUT/$i.time")"
done
echo "# time: all parts, $JOBS at a time: $(cat "$OUT/all.time")"

if [ "$skip" -gt 0 ]; then
        echo "check: $pass passed, $fail failed, $skip skipped"
else
        echo "check: $pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
