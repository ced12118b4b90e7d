#!/bin/bash
# drivers: the driver personas of guest/tests/driver_tests.c (real drivers'
# register sequences, docs/virtio-mmio.md "Real drivers") under minivmm, on a
# version 2 and a legacy device, with requests served by the I/O thread and
# in the vCPU thread, from the synchronous and the io_uring backend. Each run:
# exit status 0, every persona "ok" (Tock skips on legacy: it drives version
# 2 only), the image a pristine test image afterwards.
# Then durability (VIRTIO 1.2 §5.2.6.2): U-Boot never negotiates FLUSH, so
# under strace, in both --io modes on the synchronous backend, every pwritev
# of the image must be followed by an fdatasync before the next pwritev and
# before the guest exits. (The io_uring backend's flush is an IORING_OP_FSYNC
# that strace cannot see: tests/unit/test_virtio_spec.c checks it.)
# TAP through tests/lib.sh.
. "$(dirname "$0")/../lib.sh"

PERSONAS="driver_uboot_old driver_uboot_new driver_rcore_011 driver_rcore_012 driver_linux driver_tock driver_veridian"
SELECT="driver=uboot driver=rcore driver=linux driver=tock driver=veridian"
tap_begin drivers
built "$VMM" "$GUEST" "$MKDISK"
kvm_required drivers
tap_tmpdir

# personas NAME VERSION DISKOPTS VMMARGS...: every persona in one boot.
personas() {
        local name=$1 version=$2 opts=$3 img="$W/$1.img" out="$W/$1.out" rc p want
        shift 3
        "$MKDISK" make "$img" 256 >/dev/null || { not_ok "$name" "mkdisk failed"; return; }
        "$VMM" "$@" --disk "$img$opts" --append "$SELECT" "$GUEST" >"$out" 2>&1 </dev/null
        rc=$?
        for p in $PERSONAS; do
                want="^ok [0-9]* - $p\$"
                [ "$p" = driver_tock ] && [ "$version" = 1 ] && want="^ok [0-9]* - $p # SKIP"
                if ! grep -q "$want" "$out"; then
                        not_ok "$name" "$p: $(grep -m 1 -- "- $p" "$out")"
                        return
                fi
        done
        if [ "$rc" -ne 0 ]; then
                not_ok "$name" "exit status $rc: $(tail -n 2 "$out" | tr '\n' ' ')"
        elif grep '^persona: ' "$out" | grep -qv "^persona: virtio-mmio version $version\$"; then
                not_ok "$name" "device not version $version: $(grep -m 1 '^persona: ' "$out")"
        elif ! "$MKDISK" pristine "$img" 2>"$W/mk"; then
                not_ok "$name" "the image is not pristine: $(cat "$W/mk")"
        else
                ok "$name"
        fi
}

personas drivers_v2 2 ""
personas drivers_v1 1 ",legacy"
personas drivers_v2_vcpu 2 "" --io vcpu
personas drivers_v1_vcpu 1 ",legacy" --io vcpu
personas drivers_v2_io_uring 2 ",aio=io_uring"
personas drivers_v1_vcpu_io_uring 1 ",legacy,aio=io_uring" --io vcpu

# durable NAME VMMARGS...: U-Boot's writes (FLUSH not negotiated) under strace.
durable() {
        local name=$1 img="$W/$1.img" log="$W/$1.strace" rc seq
        shift
        if ! command -v strace >/dev/null; then
                not_ok "$name" "strace is not installed (tools/install-deps installs it)"
                return
        fi
        "$MKDISK" make "$img" 256 >/dev/null || { not_ok "$name" "mkdisk failed"; return; }
        strace -f -qq -o "$log" -e trace=pwritev,pwritev2,pwrite64,fdatasync,fsync,exit_group \
                "$VMM" "$@" --disk "$img" --svirtb none --append driver=uboot_old "$GUEST" \
                >"$W/$name.out" 2>&1 </dev/null
        rc=$?
        # One letter per call, in order: w a write, s a sync, e the exit.
        seq=$(sed -n -e 's/^[0-9]* *pwrite.*/w/p' -e 's/^[0-9]* *f\(data\)\{0,1\}sync.*/s/p' \
                -e 's/^[0-9]* *exit_group.*/e/p' "$log" | tr -d '\n')
        if [ "$rc" -ne 0 ] || ! grep -q '^ok [0-9]* - driver_uboot_old$' "$W/$name.out"; then
                not_ok "$name" "persona failed (status $rc): $(tail -n 2 "$W/$name.out" | tr '\n' ' ')"
        elif [[ "$seq" != *w* ]]; then
                not_ok "$name" "no write seen by strace: '$seq'"
        elif [[ "$seq" == *ww* || "$seq" == *we* ]]; then
                not_ok "$name" "a write not followed by fdatasync before the next write or exit: '$seq'"
        else
                ok "$name"
        fi
}

durable durable_uboot_thread --io thread
durable durable_uboot_vcpu --io vcpu
tap_end
