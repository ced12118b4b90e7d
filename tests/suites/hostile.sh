#!/bin/bash
# hostile: the hostile guest suite (guest/hostile.bin, cases in
# docs/security.md) under minivmm with its sandbox on, and under the ASan and
# UBSan build (sandboxed, then without the sandbox so LeakSanitizer can run),
# with version 2 and legacy devices, on writable and read-only fresh images,
# with requests served by the I/O thread (the default) and in the vCPU
# thread (--io vcpu: each QueueNotify is served before the guest resumes),
# from the synchronous and the io_uring disk backends.
# Each run: exit status 0, every case of guest/hostile/hd.h printed "ok" (the
# unit tests run the same cases), no sanitizer report, and the image
# unchanged (mkdisk pristine; a read-only image byte-identical by sha256).
# TAP through tests/lib.sh.
. "$(dirname "$0")/../lib.sh"

GUEST=guest/hostile.bin
SECTORS=256 # the guest's in_larger_than_disk buffer holds 40 pages
tap_begin hostile

# The cases, as guest/hostile/hd.h lists them for both back ends.
expected=$(grep -o 'X(hostile_[a-z0-9_]*)' guest/hostile/hd.h | sed 's/^X(\(.*\))$/\1/' | sort)
ncases=$(printf '%s\n' "$expected" | grep -c .)

built "$VMM" "$SAN_VMM" "$GUEST" "$MKDISK"
kvm_required hostile
tap_tmpdir

# suite NAME VERSION(1|2) DISKOPTS VMM...: one run of the whole suite on a
# fresh image with --disk IMAGE$DISKOPTS.
suite() {
        local name=$1 version=$2 opts=$3
        shift 3
        local img="$W/$name.img" out="$W/$name.out" err="$W/$name.err" before rc got
        local want_skip=0 sum

        rm -f "$img"
        "$MKDISK" make "$img" "$SECTORS" >/dev/null || { not_ok "$name" "mkdisk failed"; return; }
        before=$(sha256sum <"$img")
        "$@" --disk "$img$opts" "$GUEST" >"$out" 2>"$err" </dev/null
        rc=$?
        [ "$version" = 1 ] && want_skip=1 # hostile_ring_overlap: version 2 only
        sum=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
        got=$(sed -n 's/^ok [0-9]* - \(hostile_[a-z0-9_]*\)\( # SKIP .*\)\{0,1\}$/\1/p' "$out" | sort)
        if [ "$rc" -ne 0 ]; then
                not_ok "$name" "exit status $rc; $(grep -m 3 '^not ok' "$out" | tr '\n' ' ')$(head -c 300 "$err" | tr '\n' ' ')"
        elif [ "$got" != "$expected" ]; then
                not_ok "$name" "cases run differ from hd.h's: $(diff <(echo "$expected") \
                        <(echo "$got") | grep '^[<>]' | head -5 | tr '\n' ' ')"
        elif [ "$want_skip" = 1 ] && [ "$sum" != "$((ncases - 1)) passed, 0 failed, 1 skipped" ]; then
                not_ok "$name" "summary '$sum'"
        elif [ "$want_skip" = 0 ] && [ "$sum" != "$ncases passed, 0 failed" ]; then
                not_ok "$name" "summary '$sum'"
        elif ! grep -q "^virtio-blk0: version $version, capacity $SECTORS sectors" "$out"; then
                not_ok "$name" "device not version $version: $(grep -m 1 '^virtio-blk0' "$out")"
        elif grep -qE 'runtime error|AddressSanitizer|LeakSanitizer|sandbox: forbidden' "$err"; then
                not_ok "$name" "report on stderr: $(grep -m 2 -E 'ERROR|runtime error|sandbox' "$err")"
        elif [[ "$opts" == *,ro* ]] && [ "$before" != "$(sha256sum <"$img")" ]; then
                not_ok "$name" "the read-only image changed"
        elif ! "$MKDISK" pristine "$img" 2>"$W/mk"; then
                not_ok "$name" "the image changed: $(cat "$W/mk")"
        else
                ok "$name"
        fi
}

suite hostile_modern 2 "" "$VMM"
suite hostile_legacy 1 ",legacy" "$VMM"
suite hostile_modern_readonly 2 ",ro" "$VMM"
suite hostile_modern_vcpu_io_uring 2 ",aio=io_uring" "$VMM" --io vcpu
suite hostile_legacy_readonly_vcpu 1 ",ro,legacy" "$VMM" --io vcpu
# With the sandbox on, LeakSanitizer's exit-time scan would be refused: leaks
# are checked in the run without it.
suite hostile_sanitized_sandboxed 2 "" env ASAN_OPTIONS=detect_leaks=0 "$SAN_VMM"
suite hostile_sanitized_leak_check_legacy_vcpu_io_uring 1 ",legacy,aio=io_uring" \
        "$SAN_VMM" --no-sandbox --io vcpu
tap_end
