#!/bin/bash
# benchmode: the test guest's benchmark mode (guest/bench.h) and its
# EVENT_IDX driver under minivmm, the PVH note that lets QEMU boot the same
# guest, and the guest suite without EVENT_IDX. tools/bench itself is not run
# here (it takes minutes and compares timings); these cases check behaviour.
# TAP through tests/lib.sh.
. "$(dirname "$0")/../lib.sh"

ELF=guest/guest.elf

tap_begin benchmode
kvm_required benchmode
tap_tmpdir

result() { grep '^bench: workload=' "$W/out"; }
has() { [[ " $1 " == *" $2 "* ]]; } # LINE KEY=VALUE

"$MKDISK" make "$W/test.img" 2048 >/dev/null
scratch() { head -c $((1024 * 1024)) /dev/zero | tr '\0' '\377' >"$W/scratch.img"; }

# --- reads: the line's fields, both completion modes ----------------------------
run "$VMM" --svirtb none --disk "$W/test.img" --append "bench=randread,bs=4k,qd=8,n=300" "$GUEST"
line=$(result)
if [ "$rc" -eq 0 ] && has "$line" workload=randread && has "$line" bs=4096 && has "$line" qd=8 &&
        has "$line" n=300 && has "$line" complete=poll && has "$line" errors=0 &&
        has "$line" bytes=1228800 && has "$line" boot=fdt && has "$line" interrupts=0 &&
        [[ "$line" =~ \ tsc_cycles=[1-9][0-9]*\ tsc_hz=[1-9][0-9]*\ tsc_src=[a-z0-9]+\  ]] &&
        grep -q '^bench: start$' "$W/out" && grep -q '^bench: end$' "$W/out"; then
        ok bench_randread_poll_reports_one_line
else
        not_ok bench_randread_poll_reports_one_line "status $rc, line '$line' $(grep 'bench: error' "$W/out") $(head -c 200 "$W/err")"
fi

# bench_fields NAME APPEND KEY=VALUE...: the run exits 0 and its result line
# has every KEY=VALUE.
bench_fields() {
        local name=$1 append=$2 kv
        shift 2
        run "$VMM" --svirtb none --disk "$W/test.img" --append "$append" "$GUEST"
        line=$(result)
        for kv in "$@"; do
                if [ "$rc" -ne 0 ] || ! has "$line" "$kv"; then
                        not_ok "$name" "status $rc, no $kv in line '$line' $(grep 'bench: error' "$W/out")"
                        return
                fi
        done
        ok "$name"
}

# Interrupt mode: whether the guest ever sleeps (and takes an interrupt)
# depends on how fast the device is, so only completion is checked.
bench_fields bench_seqread_irq_completes "bench=seqread,bs=64k,qd=16,n=200 complete=irq" \
        complete=irq errors=0 n=200
# qd beyond a third of the ring: one descriptor per request (indirect tables).
bench_fields bench_qd256_uses_indirect_chains "bench=randread,bs=512,qd=256,n=600" \
        qd=256 indirect=1 errors=0
bench_fields bench_n0_sets_up_only "bench=randread,n=0" n=0 bytes=0
bench_fields bench_without_event_idx "bench=randread,qd=4,n=100 event_idx=off" event_idx=0 errors=0

# --- bad input and write protection -------------------------------------------
bad() { # NAME APPEND PATTERN
        run "$VMM" --svirtb none --disk "$W/test.img" --append "$2" "$GUEST"
        if [ "$rc" -eq 1 ] && grep -qE -e "$3" "$W/out" && [ -z "$(result)" ]; then
                ok "$1"
        else
                not_ok "$1" "status $rc, output '$(grep '^bench' "$W/out")'"
        fi
}
bad bench_unknown_workload "bench=scramble" "^bench: error: bench=scramble: unknown workload"
bad bench_bad_block_size "bench=randread,bs=1000" "bs must be a multiple of 512"
bad bench_bad_queue_depth "bench=randread,qd=0" "qd must be 1 to 256"
bad bench_unknown_key "bench=randread,depth=4" "unknown key"
bad bench_no_such_disk "bench=randread,disk=3" "no usable virtio-blk3"

before=$(sha256sum <"$W/test.img")
bad bench_write_refuses_test_image "bench=randwrite,n=10" \
        "refusing to write virtio-blk0 \(sector 0 holds a minivmm test image\)"
[ "$before" = "$(sha256sum <"$W/test.img")" ] || not_ok bench_write_refuses_test_image "the image changed"

scratch
run "$VMM" --svirtb none --disk "$W/scratch.img" --append "bench=seqwrite,bs=64k,qd=4,n=16" "$GUEST"
if [ "$rc" -eq 1 ] && grep -q "refusing to write virtio-blk0: add scratch=1" "$W/out" &&
        [ "$(tr -d '\377' <"$W/scratch.img" | wc -c)" -eq 0 ]; then
        ok bench_write_needs_scratch
else
        not_ok bench_write_needs_scratch "status $rc, $(grep '^bench' "$W/out")"
fi

run "$VMM" --svirtb none --disk "$W/scratch.img,ro" --append "bench=seqwrite,scratch=1" "$GUEST"
if [ "$rc" -eq 1 ] && grep -q "refusing to write virtio-blk0: read-only" "$W/out"; then
        ok bench_write_refuses_read_only_disk
else
        not_ok bench_write_refuses_read_only_disk "status $rc, $(grep '^bench' "$W/out")"
fi

# Sixteen 64 KiB writes cover the 1 MiB scratch image once.
run "$VMM" --svirtb none --disk "$W/scratch.img" --append "bench=seqwrite,bs=64k,qd=4,n=16,scratch=1" "$GUEST"
line=$(result)
untouched=$(untouched_blocks "$W/scratch.img" 16)
if [ "$rc" -eq 0 ] && has "$line" errors=0 && has "$line" bytes=1048576 && [ -z "$untouched" ]; then
        ok bench_seqwrite_covers_scratch_image
else
        not_ok bench_seqwrite_covers_scratch_image "status $rc, line '$line', blocks never written:$untouched"
fi

# --- the guest suite with EVENT_IDX forbidden, both completion modes ------------
for mode in poll irq; do
        "$MKDISK" make "$W/a.img" 2048 >/dev/null
        "$MKDISK" make "$W/b.img" 512 >/dev/null
        run "$VMM" --disk "$W/a.img" --disk "$W/b.img,ro" --append "event_idx=off complete=$mode" "$GUEST"
        sum=$(guest_summary)
        if [ "$rc" -eq 0 ] && [[ "$sum" =~ ^[0-9]+\ passed,\ 0\ failed ]] &&
                grep -qE '^ok [0-9]+ - virtio_event_idx$' "$W/out" &&
                "$MKDISK" check "$W/a.img" svirtb,virtio,two-disks 2>"$W/mk"; then
                ok "guest_suite_without_event_idx_$mode"
        else
                not_ok "guest_suite_without_event_idx_$mode" "status $rc, summary '$sum' $(grep '^not ok' "$W/out" | head -2) $(cat "$W/mk" 2>/dev/null)"
        fi
done

# --- the same guest for QEMU: the PVH note, and guest.bin still starts at _start ---
note=$(readelf -nW "$ELF" 2>/dev/null | grep -A1 '^ *Xen ')
entry32=$(nm "$ELF" | awk '$3 == "pvh_entry32" { print $1 }')
desc=$(readelf -nW "$ELF" 2>/dev/null | sed -n 's/.*description data: //p' | head -n 1)
want=$(printf '%016x' "0x$entry32" | sed 's/../& /g' | awk '{ for (i = NF; i > 0; i--) printf "%s ", $i; print "" }')
if [[ "$note" == *"0x00000012"* || "$note" == *"Unknown note type: (0x00000012)"* ]] &&
        [ "$(echo $desc)" = "$(echo $want)" ]; then
        ok guest_elf_has_pvh_entry_note
else
        not_ok guest_elf_has_pvh_entry_note "note '$note', description '$desc', pvh_entry32 0x$entry32"
fi
start=$(nm "$ELF" | awk '$3 == "_start" { print $1 }')
objcopy -O binary -j .text "$ELF" "$W/text.bin"
if [ "$start" = 0000000000100000 ] && cmp -s -n 64 "$GUEST" "$W/text.bin"; then
        ok guest_bin_first_byte_is_the_64bit_entry
else
        not_ok guest_bin_first_byte_is_the_64bit_entry "_start at 0x$start"
fi

tap_end
