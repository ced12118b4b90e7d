# tests/lib.sh: the one test library of the shell suites (tests/e2e/run.sh,
# tests/suites/*.sh, lab/check), sourced first: it enters the tree's root
# and names the binaries under test (VMM, SAN_VMM, GUEST, MKDISK). It prints TAP version 13
# (docs/testing.md):
#   ok N - NAME
#   not ok N - NAME          the reason under it, each line as "# REASON"
#   ok N - NAME # SKIP WHY
#   Bail out! WHY            the suite cannot go on (bail)
# and the plan "1..N" last (tap_end), so that a suite that dies half way
# prints no plan and tests/check.sh counts it as failed.
#
#   tap_begin NAME     the version line; the counters; NAME names the summary
#   tap_tmpdir         W: a fresh directory under /tmp, removed on exit
#   on_exit CMD        CMD runs (through eval) on exit, before W is removed
#   ok / not_ok / skip / bail, as above
#   tap_replay FILE    the results FILE holds (a subshell's), renumbered here
#   tap_end            "# NAME: P passed, F failed[, S skipped]", the plan;
#                      exits 0 only when nothing failed
#   watchdog SECS CMD  CMD under timeout(1): a hang, never a speed limit
#   hung RC            whether RC is the watchdog's (124, or 137 for SIGKILL)
#   wait_for TRIES CMD polls CMD every 0.05 s, at most TRIES times
#   built FILE...      ends the suite with one failure unless every FILE exists
#   kvm_usable         whether /dev/kvm is there and writable
#   kvm_required NAME  ends the suite unless kvm_usable: one skip "NAME"
#                      (MINIVMM_SKIP_KVM=1) or one failure
#   run CMD            CMD's status in $rc, stdout in $W/out, stderr in $W/err
#   guest_summary      the guest's "N passed, M failed..." line in $W/out
#   untouched_blocks FILE N   the 64 KiB blocks among FILE's first N still all 0xff

# Every suite runs from the tree's root, on the tree's own build.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
VMM=${MINIVMM:-./minivmm}
SAN_VMM=build/minivmm-san
GUEST=guest/guest.bin
MKDISK=build/tools/mkdisk

tap_begin() {
        TAP_SUITE=$1
        tap_n=0
        npass=0
        nfail=0
        nskip=0
        TAP_ON_EXIT=()
        echo "TAP version 13"
        trap tap_cleanup EXIT
}

tap_tmpdir() {
        W=$(mktemp -d "/tmp/minivmm-$TAP_SUITE.XXXXXX") || bail "cannot make a temporary directory"
        chmod 755 "$W"
        TAP_TMP=$W
}

on_exit() { TAP_ON_EXIT+=("$1"); }

tap_cleanup() {
        local c
        for c in "${TAP_ON_EXIT[@]}"; do
                eval "$c"
        done
        [ -n "${TAP_TMP:-}" ] && rm -rf "$TAP_TMP"
}

# A description may hold anything but a newline; '#' would start a directive.
tap_desc() { printf '%s' "$1" | tr '\n' ' ' | sed 's/#/\\#/g'; }

ok() {
        tap_n=$((tap_n + 1))
        npass=$((npass + 1))
        echo "ok $tap_n - $(tap_desc "$1")"
}

not_ok() {
        tap_n=$((tap_n + 1))
        nfail=$((nfail + 1))
        echo "not ok $tap_n - $(tap_desc "$1")"
        [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/# /'
        return 0
}

skip() {
        tap_n=$((tap_n + 1))
        nskip=$((nskip + 1))
        echo "ok $tap_n - $(tap_desc "$1") # SKIP $(tap_desc "${2:-}")"
}

bail() {
        echo "Bail out! $(tap_desc "$1")"
        exit 1
}

# The result lines of FILE (TAP a subshell printed with this library),
# numbered and counted in this shell; every other line as it is.
tap_replay() {
        local line re='^(not )?ok [0-9]+( (.*))?$'
        while IFS= read -r line || [ -n "$line" ]; do
                if [[ "$line" =~ $re ]]; then
                        tap_n=$((tap_n + 1))
                        if [[ "$line" == *" # SKIP"* ]]; then
                                nskip=$((nskip + 1))
                        elif [ -n "${BASH_REMATCH[1]}" ]; then
                                nfail=$((nfail + 1))
                        else
                                npass=$((npass + 1))
                        fi
                        echo "${BASH_REMATCH[1]}ok $tap_n${BASH_REMATCH[2]}"
                else
                        printf '%s\n' "$line"
                fi
        done <"$1"
}

tap_end() {
        if [ "$nskip" -gt 0 ]; then
                echo "# $TAP_SUITE: $npass passed, $nfail failed, $nskip skipped"
        else
                echo "# $TAP_SUITE: $npass passed, $nfail failed"
        fi
        echo "1..$tap_n"
        [ "$nfail" -eq 0 ]
        exit
}

watchdog() {
        local secs=$1
        shift
        timeout -k 5 "$secs" "$@"
}

hung() { [ "$1" -eq 124 ] || [ "$1" -eq 137 ]; }

wait_for() {
        local tries=$1 i=0
        shift
        until "$@"; do
                i=$((i + 1))
                [ "$i" -lt "$tries" ] || return 1
                sleep 0.05
        done
}

built() {
        local f
        for f in "$@"; do
                [ -e "$f" ] && continue
                not_ok build "$f is missing (make check builds it)"
                tap_end
        done
}

kvm_usable() { [ -c /dev/kvm ] && [ -w /dev/kvm ]; }

kvm_required() {
        kvm_usable && return 0
        if [ "${MINIVMM_SKIP_KVM:-0}" = 1 ]; then
                skip "$1" "/dev/kvm is not usable here (MINIVMM_SKIP_KVM=1)"
        else
                not_ok kvm "/dev/kvm is not usable here; these cases need KVM (MINIVMM_SKIP_KVM=1 skips them)"
        fi
        tap_end
}

run() {
        "$@" >"$W/out" 2>"$W/err" </dev/null
        rc=$?
}

guest_summary() { grep -E '^[0-9]+ passed, [0-9]+ failed' "$W/out" | tail -n 1; }

untouched_blocks() {
        local i
        for ((i = 0; i < $2; i++)); do
                if [ "$(dd if="$1" bs=64k skip="$i" count=1 status=none | tr -d '\377' | wc -c)" -eq 0 ]; then
                        printf ' %d' "$i"
                fi
        done
}
