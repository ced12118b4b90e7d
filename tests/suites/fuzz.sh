#!/bin/bash
# fuzz: the libFuzzer targets of tests/fuzz/ (docs/security.md). Each target
# first runs every input of its committed corpus (seeds and regression
# inputs) once, then fuzzes for FUZZ_SECONDS seconds (default 20) from it;
# new inputs go to a scratch directory (FUZZ_WORK, default a temp dir that is
# removed), never into the committed corpus. A target passes when neither
# run finds a crash, a sanitizer report, a broken invariant or a timeout.
# TAP through tests/lib.sh: one line per target with its executions and
# coverage. `make fuzz FUZZ_SECONDS=N` runs this script
# with FUZZ_WORK=build/fuzz/work (kept: the corpus grows across runs).
. "$(dirname "$0")/../lib.sh"

SECS=${FUZZ_SECONDS:-20}
TARGETS="virtio_blk virtio_mmio svirtb pci"
tap_begin fuzz
if [ -n "${FUZZ_WORK:-}" ]; then
        W=$FUZZ_WORK
        mkdir -p "$W"
else
        tap_tmpdir
fi
# Symbolized reports when llvm-symbolizer is installed (llvm-14).
for s in /usr/lib/llvm-14/bin/llvm-symbolizer /usr/bin/llvm-symbolizer; do
        if [ -x "$s" ]; then
                export ASAN_SYMBOLIZER_PATH=$s
                break
        fi
done

# The reason a libFuzzer log shows a failure, in one line.
why() {
        grep -m 1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|invariant broken|SUMMARY' "$1" ||
                tail -n 1 "$1"
}

for t in $TARGETS; do
        bin=build/fuzz/fuzz_$t
        corpus=tests/fuzz/corpus/$t
        new=$W/$t-corpus
        if [ ! -x "$bin" ]; then
                not_ok "$t" "$bin is missing (make check builds it)"
                continue
        fi
        mkdir -p "$new"
        rm -f "$W/$t"-crash-* "$W/$t"-leak-* "$W/$t"-timeout-* "$W/$t"-oom-*
        if ! "$bin" -runs=0 -timeout=10 -artifact_prefix="$W/$t-" "$corpus" >"$W/$t-seeds.log" 2>&1; then
                not_ok "$t" "an input of $corpus fails: $(why "$W/$t-seeds.log")"
                continue
        fi
        "$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
                -print_final_stats=1 -artifact_prefix="$W/$t-" "$new" "$corpus" >"$W/$t.log" 2>&1
        rc=$?
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$W/$t.log" | tail -n 1)
        cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$W/$t.log" | tail -n 1)
        artifacts=$(ls "$W/$t"-crash-* "$W/$t"-leak-* "$W/$t"-timeout-* "$W/$t"-oom-* 2>/dev/null)
        if [ "$rc" -ne 0 ] || [ -n "$artifacts" ]; then
                not_ok "$t" "status $rc after ${execs:-?} runs: $(why "$W/$t.log"); input: ${artifacts:-none}"
                # Kept for a regression test: build/fuzz/failures/ (or FUZZ_WORK).
                if [ -z "${FUZZ_WORK:-}" ]; then
                        mkdir -p build/fuzz/failures
                        cp "$W/$t.log" $artifacts build/fuzz/failures/ 2>/dev/null
                fi
        else
                ok "$t: ${SECS} s, ${execs:-?} runs, ${cov:-no coverage line}, corpus $(ls "$new" | wc -l) new inputs"
        fi
done
tap_end
