#!/bin/bash
# lab: checks the course-lab harness (lab/, docs/lab/) for every lab listed in
# lab/labs. For each lab it makes the student tree (make lab), unpacks the
# tarball and checks that it is complete, clean and free of the removed code,
# builds it with no warning, grades it (0 on every graded test, every guard
# passes, the rest of the project still works), grades the reference tree
# (full marks, valid grade.json with one entry per test), grades a copy of
# the reference with an infinite loop and a crash put into the student's
# code (only the tests that reach them fail; grading finishes), and adds
# hidden tests through GRADE_EXTRA (they run and count).
# One line per check, then "lab: N passed, M failed[, K skipped]".
set -u
cd "$(dirname "$0")/../.." || exit 1
# Builds and grades below run their own make, not as part of a caller's.
unset MAKEFLAGS MFLAGS MAKELEVEL LAB GRADE_EXTRA GRADE_TIMEOUT GRADE_JOBS GRADE_JSON GRADE_VMM
ROOT=$(pwd)
export LC_ALL=C
W=$(mktemp -d /tmp/minivmm-lab.XXXXXX) || exit 1
chmod 755 "$W"
trap 'rm -rf "$W"' EXIT
JC=$ROOT/build/lab/jsoncheck
JOBS=$(nproc 2>/dev/null || echo 2)
# How lab/grade reports a test killed by an illegal instruction (SIGILL), in
# minivmm or in a unit test (where CMocka may catch the signal itself).
CRASH=' FAIL .*(signal 4|Illegal instruction)'

npass=0
nfail=0
nskip=0
ok() {
        echo "ok - $1"
        npass=$((npass + 1))
}
not_ok() {
        echo "not ok - $1: $2"
        nfail=$((nfail + 1))
}
finish() {
        if [ "$nskip" -gt 0 ]; then
                echo "lab: $npass passed, $nfail failed, $nskip skipped"
        else
                echo "lab: $npass passed, $nfail failed"
        fi
        [ "$nfail" -eq 0 ]
        exit
}

labs=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' lab/labs)

# --- the JSON checker itself: it must refuse what is not JSON ------------------
jsoncheck_cases() {
        local bad=0 j
        [ -x "$JC" ] || make --no-print-directory -s build/lab/jsoncheck >/dev/null 2>&1
        if [ ! -x "$JC" ]; then
                not_ok jsoncheck_is_built "$JC missing"
                return
        fi
        printf '{"lab": "x", "tests": [{"name": "a\\"b\\\\\\u00e9", "kind": "unit", "score": 1, "max_score": 2, "status": "passed", "result": "pass", "output": "l1\\nl2"}]}' >"$W/good.json"
        if ! "$JC" --tests "$W/good.json" >"$W/good.tsv" 2>"$W/jc.err" ||
                [ "$(cat "$W/good.tsv")" != "$(printf 'a"b\\\303\251\tunit\t1\t2\tpassed\tpass')" ]; then
                not_ok jsoncheck_accepts_and_lists_json "$(cat "$W/jc.err" "$W/good.tsv")"
                bad=1
        fi
        for j in '{"a": 1,}' '{"a": "x	y"}' '{"a": "\q"}' '{"a": 1, "a": 2}' '[01]' '{"a": tru}' \
                '"\ud800"' '{"a": 1} x' '{"tests": [{"name": "a"}]}' \
                '{"tests": [{"name": "a", "kind": "unit", "score": 3, "max_score": 2, "status": "passed", "result": "pass"}]}'; do
                printf '%s' "$j" >"$W/bad.json"
                if "$JC" --tests "$W/bad.json" >/dev/null 2>&1; then
                        not_ok jsoncheck_refuses_malformed_json "accepted: $j"
                        bad=1
                fi
        done
        printf '"\xff"' >"$W/bad.json"
        if "$JC" "$W/bad.json" 2>/dev/null; then
                not_ok jsoncheck_refuses_malformed_json "accepted a byte 0xff"
                bad=1
        fi
        [ "$bad" -eq 0 ] && ok "jsoncheck accepts JSON and refuses 11 malformed documents"
}

# --- helpers -----------------------------------------------------------------

# The binaries of the unit tests the rubrics of labs "$@" grade.
rubric_bins() {
        local l
        for l in "$@"; do
                awk '$1 == "unit" { sub(/:.*/, "", $2); print $2 }' "lab/rubric-$l.txt"
        done | sort -u
}

# grade_table OUT: the rows of the table lab/grade printed into OUT, as
# "name<TAB>got/max<TAB>RESULT".
grade_table() {
        awk '$1 ~ /^(guest|unit|script)\// { print $1 "\t" $2 "\t" $3 }' "$1"
}

# check_report NAME OUT JSON: the table and grade.json agree, one entry per
# test, names unique; leaves the JSON rows in JSON.tsv. 0 when all holds.
check_report() {
        local name=$1 out=$2 json=$3
        if ! "$JC" --tests "$json" >"$json.tsv" 2>"$json.err"; then
                not_ok "$name" "grade.json is not valid: $(cat "$json.err")"
                return 1
        fi
        grade_table "$out" >"$json.table"
        if [ "$(wc -l <"$json.table")" -ne "$(wc -l <"$json.tsv")" ]; then
                not_ok "$name" "$(wc -l <"$json.table") table rows, $(wc -l <"$json.tsv") JSON entries"
                return 1
        fi
        if ! diff <(awk -F '\t' '{ print $1 "\t" $3 "/" $4 "\t" ($6 == "pass" ? "pass" : $6 == "timeout" ? "TIMEOUT" : $6 == "skip" ? "SKIP" : "FAIL") }' "$json.tsv") \
                "$json.table" >"$json.diff"; then
                not_ok "$name" "table and grade.json disagree: $(head -c 300 "$json.diff")"
                return 1
        fi
        if [ -n "$(cut -f 1 "$json.tsv" | sort | uniq -d)" ]; then
                not_ok "$name" "names listed twice: $(cut -f 1 "$json.tsv" | sort | uniq -d | head -3)"
                return 1
        fi
        return 0
}

# The total line: "total: S/M points; P of N tests passed".
total_of() { grep -E '^total: [0-9]+/[0-9]+ points; [0-9]+ of [0-9]+ tests passed( \([0-9]+ skipped .*\))?$' "$1"; }

# Every test a rubric's patterns cover, listed independently of lab/grade:
# the tests a full run of BINARY (in the reference tree) runs, for
# "unit BINARY:*", and the guest tests of guest/tests/tests.c for
# "guest PREFIX*" (no bin=), as grade.json names them.
expected_names() {
        local rubric=$1 bin prefix
        for bin in $(awk '$1 == "unit" && $2 ~ /:\*$/ { sub(/:.*/, "", $2); print $2 }' "$rubric"); do
                "build/unit/$bin" </dev/null 2>&1 | sed -n 's/^\[ RUN      \] //p' |
                        sed -e 's/ \[/[/g' -e 's/, /,/g' -e 's/ /_/g' -e "s|^|unit/$bin/|"
        done
        for prefix in $(awk '$1 == "guest" && $2 ~ /\*$/ && $4 !~ /bin=/ { sub(/\*$/, "", $2); print $2 }' "$rubric"); do
                sed -n 's/^[[:space:]]*{"\([A-Za-z0-9_]*\)",.*/\1/p' guest/tests/tests.c |
                        grep "^$prefix" | sed 's|^|guest/|'
        done | grep -vxF -f <(awk '$3 == "-" { sub(/:/, "/", $2); print $1 "/" $2 }' "$rubric"; echo '#')
}

# --- one lab -------------------------------------------------------------------

# The project's files, as make lab takes them.
project_files() {
        git ls-files -z --cached --others --exclude-standard | tr '\0' '\n' |
                while IFS= read -r f; do [ -f "$f" ] && echo "$f"; done |
                grep -v -e '^build/' -e '^grade\.json$' | sort
}

lab_cases() {
        local L=$1 i=$2 S=$W/$1 ST stripped earlier t0 rc n
        stripped=$(printf '%s\n' $labs | awk -v n="$L" '$0 == n { f = 1 } f')
        earlier=$(printf '%s\n' $labs | awk -v n="$L" '$0 == n { exit } { print }')
        mkdir -p "$S"

        # make lab
        t0=$SECONDS
        # (into a directory of this run's own: several make check may run at once)
        make --no-print-directory lab LAB="$L" LAB_OUT="$S/out" >"$S/mklab.out" 2>&1
        rc=$?
        echo "# make lab LAB=$L: $((SECONDS - t0)) s"
        if [ "$rc" -ne 0 ] || [ ! -d "$S/out/minivmm-lab-$L" ] || [ ! -f "$S/out/minivmm-lab-$L.tar.gz" ]; then
                not_ok "$L: make lab" "status $rc: $(tail -n 3 "$S/mklab.out")"
                return
        fi
        ok "$L: make lab makes minivmm-lab-$L/ and its tarball"

        # the tarball, unpacked: complete and clean
        tar -xzf "$S/out/minivmm-lab-$L.tar.gz" -C "$S" || {
                not_ok "$L: tarball" "does not unpack"
                return
        }
        ST=$S/minivmm-lab-$L
        project_files >"$S/ref.files"
        (cd "$ST" && find . -type f -printf '%P\n' | sort) >"$S/st.files"
        if ! diff <(printf 'lab/LAB\n' | cat - "$S/ref.files" | sort) "$S/st.files" >"$S/files.diff"; then
                not_ok "$L: student tree holds the project" "$(head -c 300 "$S/files.diff")"
        elif [ -e "$ST/.git" ] || [ -e "$ST/build" ] || [ "$(cat "$ST/lab/LAB")" != "$L" ]; then
                not_ok "$L: student tree holds the project" ".git or build/ present, or lab/LAB is not $L"
        elif grep -rlE --include='*.[ch]' '^/\* LAB\(' "$ST" >"$S/markers"; then
                not_ok "$L: student tree holds the project" "LAB markers left in $(head -3 "$S/markers")"
        else
                ok "$L: the tarball holds every project file and lab/LAB, no .git, no build/, no LAB marker"
        fi
        no_trace_case "$L" "$ST" "$stripped"

        # the student tree builds with no warning (-Werror stays on)
        t0=$SECONDS
        (cd "$ST" && make --no-print-directory -j"$JOBS" all unit) >"$S/build.out" 2>&1
        rc=$?
        echo "# student tree $L: build $((SECONDS - t0)) s"
        if [ "$rc" -ne 0 ]; then
                not_ok "$L: student tree builds" "status $rc: $(grep -m 3 -E ': (fatal )?error:|\*\*\*' "$S/build.out")"
                return
        elif grep -q 'warning:' "$S/build.out"; then
                not_ok "$L: student tree builds" "warnings: $(grep -m 3 'warning:' "$S/build.out")"
        elif ! grep -q -- '-Werror' "$S/build.out"; then
                not_ok "$L: student tree builds" "not built with -Werror"
        else
                ok "$L: the student tree builds with -Werror and no warning"
        fi

        # grading the student tree: 0 on every graded test, every guard passes
        t0=$SECONDS
        (cd "$ST" && make --no-print-directory grade GRADE_JSON="$S/student.json") >"$S/student.out" 2>&1
        rc=$?
        echo "# make grade in the student tree $L: $((SECONDS - t0)) s"
        if [ "$rc" -ne 0 ]; then
                not_ok "$L: make grade in the student tree" "status $rc: $(tail -n 3 "$S/student.out")"
        elif check_report "$L: student grade.json" "$S/student.out" "$S/student.json"; then
                n=$(awk -F '\t' '$4 > 0 && $5 != "failed"' "$S/student.json.tsv" | cut -f 1 | head -5 | tr '\n' ' ')
                if [ -n "$n" ]; then
                        not_ok "$L: the stubs score 0" "graded tests pass against the stubs: $n"
                elif n=$(awk -F '\t' '$4 == 0 && $5 == "failed"' "$S/student.json.tsv" | cut -f 1 | head -5 | tr '\n' ' ') && [ -n "$n" ]; then
                        not_ok "$L: the stubs score 0" "guards (0 points) fail in the student tree: $n"
                elif ! total_of "$S/student.out" | grep -qE '^total: 0/[1-9][0-9]* points'; then
                        not_ok "$L: the stubs score 0" "total: $(total_of "$S/student.out")"
                else
                        ok "$L: the student tree scores 0 on all $(awk -F '\t' '$4 > 0' "$S/student.json.tsv" | wc -l) graded tests; its $(awk -F '\t' '$4 == 0 && $5 == "passed"' "$S/student.json.tsv" | wc -l) guards pass"
                fi
        fi
        student_rest_cases "$L" "$ST" "$stripped" "$earlier"

        # grading the reference tree, with hidden tests: full marks
        make_extra "$L" "$S/extra"
        t0=$SECONDS
        make --no-print-directory grade LAB="$L" GRADE_EXTRA="$S/extra" GRADE_JSON="$S/ref.json" \
                >"$S/ref.out" 2>&1
        rc=$?
        echo "# make grade LAB=$L GRADE_EXTRA=... in the reference tree: $((SECONDS - t0)) s"
        if [ "$rc" -ne 0 ]; then
                not_ok "$L: make grade in the reference tree" "status $rc: $(tail -n 3 "$S/ref.out")"
        elif check_report "$L: reference grade.json" "$S/ref.out" "$S/ref.json"; then
                n=$(awk -F '\t' '$5 == "failed"' "$S/ref.json.tsv" | cut -f 1,6 | head -5 | tr '\n' ' ')
                if [ -n "$n" ]; then
                        not_ok "$L: the reference scores full marks" "failing: $n"
                elif ! total_of "$S/ref.out" | grep -qE '^total: ([1-9][0-9]*)/\1 points'; then
                        not_ok "$L: the reference scores full marks" "total: $(total_of "$S/ref.out")"
                else
                        ok "$L: the reference tree scores full marks ($(total_of "$S/ref.out" | cut -d ' ' -f 2-))"
                fi
                expected_names "lab/rubric-$L.txt" | sort -u >"$S/expected"
                cut -f 1 "$S/ref.json.tsv" | sort -u >"$S/got"
                if [ ! -s "$S/expected" ]; then
                        not_ok "$L: one grade.json entry per graded test" "the rubric covers no test"
                elif [ -n "$(comm -23 "$S/expected" "$S/got")" ]; then
                        not_ok "$L: one grade.json entry per graded test" "missing: $(comm -23 "$S/expected" "$S/got" | head -5 | tr '\n' ' ')"
                elif [ -f "$S/student.json.tsv" ] && [ -n "$(comm -23 <(cut -f 1 "$S/student.json.tsv" | sort -u) "$S/got")" ]; then
                        not_ok "$L: one grade.json entry per graded test" "the reference report lacks tests of the student's: $(comm -23 <(cut -f 1 "$S/student.json.tsv" | sort -u) "$S/got" | head -3 | tr '\n' ' ')"
                else
                        ok "$L: grade.json is valid JSON, one entry per graded test ($(wc -l <"$S/ref.json.tsv"), every one of the $(wc -l <"$S/expected") tests the rubric's patterns cover)"
                fi
        fi

        broken_cases "$L" "$S"
        extra_cases "$L" "$S" "$ST"
}

# No line of the removed code is left anywhere in the student tree: every
# line of a stripped region that appears nowhere else in the reference's
# C sources (lab/ aside) must appear nowhere in the student tree, not even
# inside a longer line (a comment, a doc, a stub).
no_trace_case() {
        local L=$1 ST=$2 stripped=$3 f n
        : >"$S/region.lines"
        : >"$S/outside.lines"
        for f in $(grep -rl --include='*.[ch]' '^/\* LAB(' . | grep -v -e '^\./build/' -e '^\./lab/'); do
                awk -v strip=" $(echo $stripped) " -v region="$S/region.lines" -v outside="$S/outside.lines" '
                        /^\/\* LAB\([a-z0-9-]+\) BEGIN / {
                                lab = $2; sub(/^LAB\(/, "", lab); sub(/\)$/, "", lab)
                                inside = index(strip, " " lab " ") > 0
                                next
                        }
                        /^\/\* LAB\([a-z0-9-]+\) END / { inside = 0; next }
                        {
                                line = $0
                                gsub(/^[ \t]+|[ \t]+$/, "", line)
                                print line >> (inside ? region : outside)
                        }' "$f"
        done
        git ls-files --cached --others --exclude-standard -- '*.c' '*.h' '*.S' | grep -v '^lab/' |
                while IFS= read -r f; do
                        [ -f "$f" ] && ! grep -q '^/\* LAB(' "$f" && sed 's/^[ \t]*//; s/[ \t]*$//' "$f"
                done >>"$S/outside.lines"
        # Distinctive: not a function's first line (its interface, which the
        # stub keeps), and inside no line of the reference outside the regions.
        awk 'NR == FNR { seen[$0] = 1; next }
             length($0) >= 12 && !($0 in seen) &&
             $0 !~ /^(static )?(const )?(struct )?[A-Za-z_0-9]+ \**[A-Za-z_0-9]+\([^;]*$/' \
                "$S/outside.lines" "$S/region.lines" | sort -u >"$S/candidates"
        awk 'NR == FNR { cand[++n] = $0; next }
             length($0) >= 12 { for (i = 1; i <= n; i++) if (!(i in out) && index($0, cand[i])) out[i] = 1 }
             END { for (i = 1; i <= n; i++) if (!(i in out)) print cand[i] }' \
                "$S/candidates" "$S/outside.lines" >"$S/distinct.lines"
        n=$(wc -l <"$S/distinct.lines")
        if [ "$n" -lt 20 ]; then
                not_ok "$L: no trace of the removed code" "only $n distinctive lines: the check would prove nothing"
        elif grep -rIlF -f "$S/distinct.lines" "$ST" >"$S/leaks"; then
                not_ok "$L: no trace of the removed code" "in $(head -3 "$S/leaks" | tr '\n' ' '): $(grep -rhoIF -f "$S/distinct.lines" "$ST" | head -2 | tr '\n' ' ')"
        else
                ok "$L: no trace of the removed code ($n distinctive lines of $(echo $stripped) regions, none in the tree)"
        fi
}

# The rest of the project still works in the student tree: the unit tests of
# every other module, the guest's boot tests, and full marks for every
# earlier lab (its solution is in the tree).
student_rest_cases() {
        local L=$1 ST=$2 stripped=$3 earlier=$4 b base bad="" nbin=0 E
        local devbins
        devbins=" $(rubric_bins $stripped | tr '\n' ' ') "
        for b in "$ST"/build/unit/test_*; do
                [ -x "$b" ] && [[ "$b" != *.d ]] || continue
                base=$(basename "$b")
                [[ "$devbins" == *" $base "* ]] && continue
                nbin=$((nbin + 1))
                (cd "$ST" && "build/unit/$base" </dev/null >"$S/unit-$base.out" 2>&1) ||
                        bad="$bad $base($(grep -m 1 -E 'FAILED|ERROR' "$S/unit-$base.out"))"
        done
        if [ "$nbin" -lt 3 ]; then
                not_ok "$L: non-device unit tests pass in the student tree" "only $nbin binaries found"
        elif [ -n "$bad" ]; then
                not_ok "$L: non-device unit tests pass in the student tree" "$bad (a binary that tests a lab's code belongs in its lab/rubric-*.txt)"
        else
                ok "$L: the $nbin non-device unit test binaries pass in the student tree"
        fi

        "$ST/build/tools/mkdisk" make "$S/boot.img" 2048 >/dev/null 2>&1
        (cd "$ST" && ./minivmm --disk "$S/boot.img" --append 'boot_*' guest/guest.bin) \
                </dev/null >"$S/boot.out" 2>&1
        rc=$?
        if [ "$rc" -eq 0 ] && grep -qE '^[1-9][0-9]* passed, 0 failed$' "$S/boot.out" &&
                ! grep -q '^not ok' "$S/boot.out"; then
                ok "$L: the guest's boot tests pass in the student tree ($(grep -E '^[0-9]+ passed' "$S/boot.out"))"
        else
                not_ok "$L: the guest's boot tests pass in the student tree" "status $rc: $(grep -m 2 -E 'not ok|passed' "$S/boot.out")"
        fi

        for E in $earlier; do
                (cd "$ST" && make --no-print-directory grade LAB="$E" GRADE_JSON="$S/earlier-$E.json") \
                        >"$S/earlier-$E.out" 2>&1
                if total_of "$S/earlier-$E.out" | grep -qE '^total: ([1-9][0-9]*)/\1 points' &&
                        "$JC" "$S/earlier-$E.json"; then
                        ok "$L: lab $E, done before, still scores full marks in the student tree"
                else
                        not_ok "$L: lab $E still scores full marks in the student tree" \
                                "$(total_of "$S/earlier-$E.out") $(grep -m 3 -E 'FAIL|TIMEOUT' "$S/earlier-$E.out")"
                fi
        done
}

# Where a broken solution goes, per lab: FILE, the first line of a function
# of the lab's regions, and the condition under which it loops; then the
# same for a crash (an illegal instruction). The loop's condition is rare
# (a queue of 4 entries; a GET_ID into 8 bytes): each test that reaches it
# costs the 5 s watchdog.
broken_spec() {
        case $1 in
        svirtb)
                echo "devices/svirtb.c|static void svirtb_doorbell(struct svirtb *s, uint32_t head)|s->queue_size == 4"
                echo "devices/svirtb.c|static void svirtb_make_ready(struct svirtb *s)|s->queue_size == 1"
                ;;
        virtio-blk)
                echo "devices/virtio_blk.c|static uint8_t vblk_do_get_id(struct vblk *b, const struct gmem *gm, struct vblk_req *r)|r->c->write_len == 9"
                echo "devices/virtio_blk.c|static uint8_t vblk_do_flush(struct vblk *b, struct vblk_req *r)|r->c->nsegs > 0"
                ;;
        esac
}

# A copy of the reference with an infinite loop in one student function and
# a crash (__builtin_trap) in another: grading finishes; every test that fails timed out
# or crashed, each kind at least once; every other test still passes.
broken_cases() {
        local L=$1 S=$2 B=$2/broken spec file sig cond what n t0 rc
        mkdir -p "$B/build"
        project_files | tar -cf - -T - | tar -xf - -C "$B"
        # The reference's objects come along (times kept): make rebuilds what
        # the injected faults change, and everything else only if out of date.
        cp -a build/host build/san build/guest build/tools build/unit "$B/build/" 2>/dev/null
        mkdir -p "$B/build/lab" && cp -p build/lab/unit_filter.* "$B/build/lab/" 2>/dev/null
        cp -p minivmm "$B/" 2>/dev/null
        cp -p guest/guest.elf guest/guest.bin "$B/guest/" 2>/dev/null
        n=0
        while IFS='|' read -r file sig cond; do
                n=$((n + 1))
                if [ "$n" -eq 1 ]; then
                        what='for (;;) __asm__ volatile("" ::: "memory");'
                else
                        what='__builtin_trap();'
                fi
                awk -v sig="$sig" -v add="        if ($cond) { $what } /* lab.sh: broken on purpose */" '
                        $0 == sig { armed = 1 }
                        { print }
                        armed && $0 == "{" { print add; armed = 0; done = 1 }
                        END { exit !done }' "$B/$file" >"$B/$file.new" && mv "$B/$file.new" "$B/$file" || {
                        not_ok "$L: broken solution" "no line '$sig' followed by '{' in $file"
                        return
                }
        done < <(broken_spec "$L")
        # make grade builds it (make -k): what does not build fails as "not built".
        t0=$SECONDS
        (cd "$B" && make --no-print-directory grade LAB="$L" GRADE_TIMEOUT=5 GRADE_JSON="$S/broken.json") \
                >"$S/broken.out" 2>&1
        rc=$?
        echo "# make grade with a broken $L solution (watchdog 5 s): $((SECONDS - t0)) s with its (incremental) build"
        if [ "$rc" -ne 0 ]; then
                not_ok "$L: grading a broken solution finishes" "status $rc: $(tail -n 3 "$S/broken.out")"
                return
        fi
        check_report "$L: broken grade.json" "$S/broken.out" "$S/broken.json" || return
        local timeouts crashes others total
        timeouts=$(awk -F '\t' '$6 == "timeout"' "$S/broken.json.tsv" | wc -l)
        crashes=$(grep -E '^(guest|unit)/' "$S/broken.out" | grep -cE "$CRASH")
        others=$(awk -F '\t' '$6 == "fail"' "$S/broken.json.tsv" | wc -l)
        total=$(wc -l <"$S/broken.json.tsv")
        if [ "$timeouts" -lt 1 ] || [ "$crashes" -lt 1 ]; then
                not_ok "$L: a broken solution loses only the tests that reach it" "$timeouts timeouts, $crashes crashes: the faults were not reached"
        elif [ "$others" -ne "$crashes" ]; then
                not_ok "$L: a broken solution loses only the tests that reach it" "failures that are neither the loop nor the crash: $(grep -E ' FAIL ' "$S/broken.out" | grep -vE "$CRASH" | head -3)"
        elif [ $((timeouts + crashes)) -ge "$total" ]; then
                not_ok "$L: a broken solution loses only the tests that reach it" "every test failed"
        elif ! diff -q <(cut -f 1 "$S/broken.json.tsv") <(cut -f 1 "$S/student.json.tsv") >/dev/null 2>&1; then
                not_ok "$L: a broken solution loses only the tests that reach it" "it does not list the rubric's tests"
        else
                ok "$L: an infinite loop and a crash in the solution cost $timeouts tests (timed out) and $crashes (crashed); the other $((total - timeouts - crashes)) pass"
        fi
}

# Hidden tests from GRADE_EXTRA: a script, a guest test in another setup and
# (svirtb) a CMocka file; they run and count, in the reference (pass) and in
# the student tree (fail).
# make_extra LAB DIR: writes the hidden tests; sets NEXTRA and EXTRA_POINTS.
make_extra() {
        local L=$1 X=$2
        mkdir -p "$X"
        case $L in
        svirtb)
                cat >"$X/rubric.txt" <<'EOF'
# hidden tests of the svirtb lab
script  hidden_image_bytes.sh                       3
guest   svirtb_read_single                          2  ro,mem=128M
unit    test_hidden_svirtb:hidden_ready_then_reset  4
EOF
                EXTRA_POINTS=9
                cat >"$X/hidden_image_bytes.sh" <<'EOF'
#!/bin/bash
# The whole svirtb suite, then the image holds exactly what it wrote.
set -u
"$MKDISK" make "$GRADE_TMP/a.img" 2048 >/dev/null || exit 1
"$MINIVMM" --disk "$GRADE_TMP/a.img" --append 'svirtb_*' "$GUEST" >"$GRADE_TMP/out" 2>&1
rc=$?
[ "$rc" -eq 0 ] || { echo "the svirtb suite failed (status $rc): $(grep -m 1 '^not ok' "$GRADE_TMP/out")"; exit 1; }
"$MKDISK" check "$GRADE_TMP/a.img" svirtb
EOF
                cat >"$X/test_hidden_svirtb.c" <<'EOF'
/* A hidden test: READY over a ring in RAM, then RESET, through the registers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/svirtb.h"

static uint8_t ram[0x10000], page[SVIRTB_PAGE_SIZE];

static void wr(struct svirtb *s, uint64_t off, uint32_t v)
{
        uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

        svirtb_mmio_write(s, off, b, 4);
}

static uint32_t rd(uint64_t off)
{
        return (uint32_t)page[off] | (uint32_t)page[off + 1] << 8 | (uint32_t)page[off + 2] << 16 |
               (uint32_t)page[off + 3] << 24;
}

static void hidden_ready_then_reset(void **state)
{
        struct gmem gm;
        struct disk d = {.fd = -1, .ro = true};
        struct svirtb s;

        (void)state;
        gmem_init(&gm);
        assert_int_equal(gmem_add(&gm, 0, sizeof(ram), ram), 0);
        svirtb_init(&s, page, &gm, &d);
        assert_int_equal(rd(SVIRTB_REG_STATUS), SVIRTB_MAGIC);
        wr(&s, SVIRTB_REG_STATUS, SVIRTB_DRIVER_OK);
        wr(&s, SVIRTB_REG_QUEUE_ADDR_HI, 0);
        wr(&s, SVIRTB_REG_QUEUE_ADDR_LO, 0x1000);
        wr(&s, SVIRTB_REG_QUEUE_SIZE, 16);
        wr(&s, SVIRTB_REG_STATUS, SVIRTB_READY);
        assert_int_equal(rd(SVIRTB_REG_STATUS), SVIRTB_READY);
        assert_int_equal(rd(SVIRTB_REG_QUEUE_SIZE), 16);
        assert_int_equal(rd(SVIRTB_REG_QUEUE_ADDR_LO), 0x1000);
        wr(&s, SVIRTB_REG_STATUS, SVIRTB_RESET);
        assert_int_equal(rd(SVIRTB_REG_STATUS), SVIRTB_MAGIC);
        assert_int_equal(rd(SVIRTB_REG_QUEUE_SIZE), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(hidden_ready_then_reset),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
EOF
                ;;
        *)
                cat >"$X/rubric.txt" <<'EOF'
# hidden tests of the virtio-blk lab
script  hidden_image_bytes.sh            3
guest   virtio_write_read_single         2  two,legacy,mem=128M
EOF
                EXTRA_POINTS=5
                cat >"$X/hidden_image_bytes.sh" <<'EOF'
#!/bin/bash
# The whole virtio suite on two disks, then disk a holds exactly what it wrote.
set -u
"$MKDISK" make "$GRADE_TMP/a.img" 2048 >/dev/null && "$MKDISK" make "$GRADE_TMP/b.img" 512 >/dev/null || exit 1
"$MINIVMM" --disk "$GRADE_TMP/a.img" --disk "$GRADE_TMP/b.img,ro" --append 'virtio_*' "$GUEST" >"$GRADE_TMP/out" 2>&1
rc=$?
[ "$rc" -eq 0 ] || { echo "the virtio suite failed (status $rc): $(grep -m 1 '^not ok' "$GRADE_TMP/out")"; exit 1; }
"$MKDISK" check "$GRADE_TMP/a.img" virtio,two-disks
EOF
                ;;
        esac
        chmod +x "$X/hidden_image_bytes.sh"
        NEXTRA=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$X/rubric.txt" | wc -l)
}

# The hidden tests ran and counted in the reference's report (graded with
# GRADE_EXTRA above): they are the entries the plain student report lacks,
# they pass there, their points add up; against the stubs they fail.
extra_cases() {
        local L=$1 S=$2 ST=$3 X=$2/extra base_max rc nextra=$NEXTRA extra_points=$EXTRA_POINTS
        if [ ! -f "$S/ref.json.tsv" ] || [ ! -f "$S/student.json.tsv" ]; then
                not_ok "$L: hidden tests run and count" "no reference or student report to compare"
                return
        fi
        (cd "$ST" && make --no-print-directory grade GRADE_EXTRA="$X" GRADE_EXTRA_ONLY=1 \
                GRADE_JSON="$S/st-extra.json") >"$S/st-extra.out" 2>&1
        rc=$?
        if [ "$rc" -ne 0 ] || ! check_report "$L: GRADE_EXTRA student" "$S/st-extra.out" "$S/st-extra.json"; then
                [ "$rc" -ne 0 ] && not_ok "$L: hidden tests" "make grade GRADE_EXTRA in the student tree: status $rc: $(tail -n 3 "$S/st-extra.out")"
                return
        fi
        # the hidden entries: those not in the plain report
        awk -F '\t' 'NR == FNR { plain[$1] = 1; next } !($1 in plain)' "$S/student.json.tsv" \
                "$S/ref.json.tsv" >"$S/extra.ref"
        awk -F '\t' 'NR == FNR { plain[$1] = 1; next } !($1 in plain)' "$S/student.json.tsv" \
                "$S/st-extra.json.tsv" >"$S/extra.st"
        base_max=$(awk -F '\t' 'NR == FNR { plain[$1] = 1; next } ($1 in plain) { m += $4 } END { print m + 0 }' \
                "$S/student.json.tsv" "$S/ref.json.tsv")
        if [ "$(wc -l <"$S/extra.ref")" -ne "$nextra" ] || [ "$(wc -l <"$S/extra.st")" -ne "$nextra" ]; then
                not_ok "$L: hidden tests run and count" "want $nextra hidden entries, got $(wc -l <"$S/extra.ref") and $(wc -l <"$S/extra.st")"
        elif [ -n "$(awk -F '\t' '$5 != "passed"' "$S/extra.ref")" ]; then
                not_ok "$L: hidden tests run and count" "fail in the reference: $(awk -F '\t' '$5 != "passed"' "$S/extra.ref" | cut -f 1 | tr '\n' ' ') $(grep -E '^(script|unit/test_hidden)' "$S/ref.out" | head -2)"
        elif [ -n "$(awk -F '\t' '$5 != "failed"' "$S/extra.st")" ]; then
                not_ok "$L: hidden tests run and count" "pass against the stubs: $(awk -F '\t' '$5 != "failed"' "$S/extra.st" | cut -f 1 | tr '\n' ' ')"
        elif ! total_of "$S/ref.out" | grep -qE "^total: $((base_max + extra_points))/$((base_max + extra_points)) points"; then
                not_ok "$L: hidden tests run and count" "total $(total_of "$S/ref.out"), want $((base_max + extra_points)) points"
        elif ! total_of "$S/st-extra.out" | grep -qE "^total: 0/$extra_points points"; then
                not_ok "$L: hidden tests run and count" "student total $(total_of "$S/st-extra.out")"
        else
                ok "$L: $nextra hidden tests from GRADE_EXTRA ($(cut -f 1 "$S/extra.ref" | tr '\n' ' ')) run and count $extra_points points"
        fi
}

# --- main ------------------------------------------------------------------------
if ! { [ -c /dev/kvm ] && ./minivmm --append boot_entry_state guest/guest.bin >/dev/null 2>&1; }; then
        if [ "${MINIVMM_SKIP_KVM:-0}" = 1 ]; then
                echo "lab: /dev/kvm is not usable here; the lab checks need it (MINIVMM_SKIP_KVM=1)"
                nskip=1
                finish
        fi
        not_ok kvm "/dev/kvm is not usable here (or ./minivmm guest/guest.bin does not run); set MINIVMM_SKIP_KVM=1 to skip"
        finish
fi

t_all=$SECONDS
jsoncheck_cases
# Everything the reference's gradings need, built once before they run side
# by side (two makes in one tree at once could clobber each other's files).
make --no-print-directory -k all unit guest/hostile.bin build/lab/jsoncheck >"$W/make.out" 2>&1 ||
        echo "# the reference tree does not fully build: $(grep -m 1 -E ': (fatal )?error:' "$W/make.out")"
# The labs run side by side, each logging to its own file; their lines are
# printed (and counted) in lab/labs order.
i=0
for L in $labs; do
        (
                npass=0
                nfail=0
                lab_cases "$L" "$i"
        ) >"$W/$L.log" 2>&1 &
        i=$((i + 1))
done
wait
for L in $labs; do
        cat "$W/$L.log"
        npass=$((npass + $(grep -c '^ok - ' "$W/$L.log")))
        nfail=$((nfail + $(grep -c '^not ok - ' "$W/$L.log")))
done
echo "# lab checks: $((SECONDS - t_all)) s"
finish
