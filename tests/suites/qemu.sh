#!/bin/bash
# qemu: the test guest under QEMU's microvm (Debian's qemu-system-x86), booted
# through its PVH ELF note (guest/pvh_entry.S): virtio-blk found from the
# "virtio_mmio.device=" words QEMU appends, the virtio tests in both
# transport versions and completion modes, with and without EVENT_IDX, the
# same virtio tests over virtio-pci on q35 (legacy and modern), the
# driver personas (real drivers' register sequences), the benchmark mode, and
# the image bytes checked on the host afterwards.
# QEMU's isa-debug-exit makes it exit with (guest status << 1) | 1.
# Without qemu-system-x86_64 the suite prints why and counts one skip.
# TAP through tests/lib.sh.
. "$(dirname "$0")/../lib.sh"

QEMU=${QEMU:-qemu-system-x86_64}
ELF=guest/guest.elf

tap_begin qemu
if ! command -v "$QEMU" >/dev/null; then
        skip qemu "$QEMU is not installed (Debian: apt-get install -y qemu-system-x86)"
        tap_end
fi
kvm_required qemu
built "$ELF" "$MKDISK"
tap_tmpdir

# boot APPEND DEVICE DISK[,ro]... -- QEMU-ARGS...: boots the guest with each
# DISK on a DEVICE (virtio-blk-device, or virtio-blk-pci and its options);
# status in $rc (QEMU's), guest status in $grc, output in $W/out and $W/err.
boot() {
        local append=$1 dev=$2 args=() i=0 d ro
        shift 2
        while [ $# -gt 0 ] && [ "$1" != -- ]; do
                d=$1 ro=
                case $d in *,ro) ro=,readonly=on d=${d%,ro} ;; esac
                args+=(-drive "id=d$i,file=$d,format=raw,if=none$ro" -device "$dev,drive=d$i")
                i=$((i + 1))
                shift
        done
        shift
        "$QEMU" "$@" -accel kvm -cpu host -m 64M -nodefaults -no-user-config -nographic \
                -serial stdio -kernel "$ELF" "${args[@]}" -device isa-debug-exit,iobase=0x501,iosize=4 \
                -no-reboot -append "$append" >"$W/out" 2>"$W/err" </dev/null
        rc=$?
        grc=-1
        [ $((rc & 1)) -eq 1 ] && grc=$((rc >> 1))
}

# qemu_run APPEND LEGACY DISK[,ro] [DISK[,ro]]: boot on microvm's virtio-mmio.
qemu_run() {
        boot "$1" virtio-blk-device "${@:3}" -- -M microvm,acpi=off \
                -global "virtio-mmio.force-legacy=$2"
}

# must_pass NAME TEST...: every named test ran and passed (no SKIP).
must_pass() {
        local name=$1 t
        shift
        for t in "$@"; do
                if ! grep -qE "^ok [0-9]+ - $t\$" "$W/out"; then
                        not_ok "$name" "$t did not run and pass: $(grep -E " - $t" "$W/out" | head -1)"
                        return 1
                fi
        done
}

# two_images: fresh a.img (2048 sectors) and b.img (512); b's hash in $before.
two_images() {
        rm -f "$W/a.img" "$W/b.img"
        "$MKDISK" make "$W/a.img" 2048 && "$MKDISK" make "$W/b.img" 512 || return
        before=$(sha256sum <"$W/b.img")
}

# guest_passed NAME: QEMU's guest ran and every test it ran passed; else one failure.
guest_passed() {
        local sum
        sum=$(guest_summary)
        [ "$grc" -eq 0 ] && [[ "$sum" =~ ^[0-9]+\ passed,\ 0\ failed ]] && return 0
        not_ok "$1" "QEMU status $rc (guest $grc), summary '$sum'; $(grep -E '^not ok|unknown|minivmm guest: [^ur]' "$W/out" | head -3) $(head -c 300 "$W/err")"
        return 1
}

# suite NAME LEGACY APPEND: the virtio and boot tests on a writable and a
# read-only disk; both images checked afterwards.
suite() {
        local name=$1 legacy=$2 append=$3 version=2 before
        [ "$legacy" = true ] && version=1
        two_images || return
        qemu_run "boot_* virtio_* $append" "$legacy" "$W/a.img" "$W/b.img,ro"
        guest_passed "$name" || return
        must_pass "$name" boot_entry_state virtio_identify virtio_write_read_single \
                virtio_ring_wrap virtio_interrupt_completion virtio_two_disks \
                virtio_readonly_refuses_write virtio_many_in_flight virtio_event_idx \
                virtio_event_idx_driver || return
        if ! grep -q "^virtio-blk0: version $version, capacity 2048 sectors" "$W/out" ||
                ! grep -q "^virtio-blk1: version $version, capacity 512 sectors, ro 1" "$W/out"; then
                not_ok "$name" "devices not found as version $version: $(grep '^virtio-blk' "$W/out" | head -2)"
        elif ! "$MKDISK" check "$W/a.img" virtio,two-disks 2>"$W/mk"; then
                not_ok "$name" "image a: $(cat "$W/mk")"
        elif [ "$before" != "$(sha256sum <"$W/b.img")" ]; then
                not_ok "$name" "the read-only image changed"
        else
                ok "$name"
        fi
}

suite qemu_virtio_modern_poll false ""
suite qemu_virtio_modern_irq false complete=irq
suite qemu_virtio_legacy_poll true ""
suite qemu_virtio_legacy_irq true complete=irq
suite qemu_virtio_modern_irq_no_event_idx false "complete=irq event_idx=off"

# virtio-blk-pci on QEMU's q35 (docs/virtio-pci.md): the guest finds the disks
# by scanning bus 0 through 0xcf8/0xcfc, on BARs SeaBIOS placed, and drives
# them modern-only (disable-legacy=on) or legacy-only (disable-modern=on),
# polling (the guest is not told where firmware routes INTx). pci_cfg_window
# reads and writes through QEMU's PCI_CFG capability what it does through the
# BARs (modern only: a legacy device has no capabilities, the test skips).
# qemu_pci_run APPEND OPTS DISK[,ro]...: boot on q35 with virtio-blk-pci,OPTS.
qemu_pci_run() {
        boot "$1" "virtio-blk-pci,$2" "${@:3}" -- -M q35
}

# Sectors of FILE that differ from a fresh image of N sectors, one per line.
changed_sectors() {
        "$MKDISK" make "$W/fresh.img" "$2" >/dev/null || return
        cmp -l "$W/fresh.img" "$1" | awk '{ print int(($1 - 1) / 512) }' | uniq
}

# pci_suite NAME OPT VERSION TEST...: the virtio tests pass on a writable and a
# read-only disk, the named ones ran; only the virtio write tests' sectors changed.
pci_suite() {
        local name=$1 opt=$2 version=$3 before bad
        shift 3
        two_images || return
        qemu_pci_run "boot_* virtio_* pci_cfg_window" "$opt" "$W/a.img" "$W/b.img,ro"
        guest_passed "$name" || return
        must_pass "$name" virtio_identify virtio_write_read_single virtio_multi_sector \
                virtio_two_disks virtio_readonly_refuses_write virtio_event_idx "$@" || return
        bad=$(changed_sectors "$W/a.img" 2048 | awk '$1 < 64 || $1 >= 128' | head -3 | tr '\n' ' ')
        if ! grep -q "^virtio-blk0: version $version, capacity 2048 sectors" "$W/out" ||
                ! grep -q "^virtio-blk1: version $version, capacity 512 sectors, ro 1" "$W/out"; then
                not_ok "$name" "devices not found as version $version: $(grep '^virtio-blk' "$W/out" | head -2)"
        elif ! changed_sectors "$W/a.img" 2048 | grep -qx 64 || [ -n "$bad" ]; then
                not_ok "$name" "image a: sector 64 unwritten, or sectors outside 64-127 changed: $bad"
        elif [ "$before" != "$(sha256sum <"$W/b.img")" ]; then
                not_ok "$name" "the read-only image changed"
        else
                ok "$name"
        fi
}

pci_suite qemu_q35_virtio_pci_modern disable-legacy=on 2 virtio_ring_wrap virtio_many_in_flight \
        pci_cfg_window
pci_suite qemu_q35_virtio_pci_legacy disable-modern=on 1

# The driver personas (guest/tests/driver_tests.c, docs/virtio-mmio.md "Real
# drivers") against QEMU's device: the replays are checked against an
# independent implementation too. Tock drives version 2 only.
personas() {
        local name=$1 legacy=$2 p want
        "$MKDISK" make "$W/p.img" 256 >/dev/null || return
        qemu_run "driver=uboot driver=rcore driver=linux driver=tock driver=veridian" "$legacy" "$W/p.img"
        for p in driver_uboot_old driver_uboot_new driver_rcore_011 driver_rcore_012 driver_linux \
                driver_tock driver_veridian; do
                want="^ok [0-9]+ - $p\$"
                [ "$p" = driver_tock ] && [ "$legacy" = true ] && want="^ok [0-9]+ - $p # SKIP"
                if ! grep -qE "$want" "$W/out"; then
                        not_ok "$name" "$p: $(grep -m 1 -- "- $p" "$W/out") $(head -c 200 "$W/err")"
                        return
                fi
        done
        if [ "$grc" -ne 0 ]; then
                not_ok "$name" "QEMU status $rc (guest $grc), summary '$(guest_summary)'"
        elif ! "$MKDISK" pristine "$W/p.img" 2>"$W/mk"; then
                not_ok "$name" "the image is not pristine: $(cat "$W/mk")"
        else
                ok "$name"
        fi
}

personas qemu_driver_personas_modern false
personas qemu_driver_personas_legacy true

# The command line reaches the guest: one test selected by name.
"$MKDISK" make "$W/sel.img" 256 >/dev/null
qemu_run "virtio_read_single" false "$W/sel.img"
if [ "$grc" -eq 0 ] && [ "$(grep -c '^ok ' "$W/out")" -eq 1 ] &&
        grep -q '^ok 1 - virtio_read_single$' "$W/out"; then
        ok qemu_cmdline_selects_tests
else
        not_ok qemu_cmdline_selects_tests "QEMU status $rc, $(guest_summary)"
fi

# A failing guest: status 1 reaches QEMU as 3.
qemu_run "no_such_test" false "$W/sel.img"
if [ "$rc" -eq 3 ] && grep -q "unknown test 'no_such_test'" "$W/out"; then
        ok qemu_guest_failure_exit_status
else
        not_ok qemu_guest_failure_exit_status "QEMU status $rc, want 3"
fi

# The benchmark mode under QEMU: reads, then writes on a scratch image.
head -c $((1024 * 1024)) /dev/zero | tr '\0' '\377' >"$W/scratch.img"
qemu_run "bench=randread,bs=4k,qd=8,n=400" false "$W/scratch.img"
line=$(grep '^bench: workload=' "$W/out")
if [ "$grc" -eq 0 ] && [[ "$line" == *" bs=4096 qd=8 n=400 "* ]] && [[ "$line" == *" boot=pvh errors=0 bytes=1638400 "* ]]; then
        ok qemu_bench_randread
else
        not_ok qemu_bench_randread "QEMU status $rc, line '$line' $(grep 'bench: error' "$W/out")"
fi
qemu_run "bench=seqwrite,bs=64k,qd=4,n=16" false "$W/scratch.img"
if [ "$grc" -eq 1 ] && grep -q "bench: error: refusing to write virtio-blk0" "$W/out" &&
        [ "$(tr -d '\377' <"$W/scratch.img" | wc -c)" -eq 0 ]; then
        ok qemu_bench_write_needs_scratch
else
        not_ok qemu_bench_write_needs_scratch "QEMU status $rc: $(grep '^bench' "$W/out")"
fi
qemu_run "bench=seqwrite,bs=64k,qd=4,n=16,scratch=1,complete=irq" false "$W/scratch.img"
line=$(grep '^bench: workload=' "$W/out")
# Sixteen 64 KiB writes cover the 1 MiB image once, from buffers the guest
# never filled (mostly zeroed RAM): no block is still all 0xff.
untouched=$(untouched_blocks "$W/scratch.img" 16)
if [ "$grc" -eq 0 ] && [[ "$line" == *" complete=irq "* ]] && [[ "$line" == *" errors=0 "* ]] &&
        [ "$untouched" = "" ]; then
        ok qemu_bench_seqwrite_scratch
else
        not_ok qemu_bench_seqwrite_scratch "QEMU status $rc, line '$line', blocks never written:$untouched"
fi

tap_end
