#!/bin/bash
# faults: host faults under a running guest (docs/security.md, "Faults").
# The sanitizer-free minivmm runs with its sandbox on, in both --io modes,
# the guest's fault workload (guest/faultio.h) on scratch images, while:
#  - an LD_PRELOAD shim (tests/suites/faultshim.c) injects failures: an
#    io_uring submission that fails, short transfers, EINTR, ENOSPC, EIO on
#    reads, a write-back error reported once by fdatasync;
#  - (root) the image sits on a full tmpfs, or is a loop device over a file
#    on a full tmpfs, or a loop device whose backing file was truncated;
#  - the image is replaced by bad input (FIFO, socket, devices, directory)
#    or truncated while the guest runs;
#  - minivmm is killed with SIGKILL at random points of a write workload.
# Each case checks the status of every request as the guest saw it, that the
# VMM answered all of them (the guest's "done" line) or stopped with the
# documented line, the exit status, every stderr line, and with faultcheck
# that every write acknowledged (after a successful FLUSH, for SIGKILL) is in
# the image. Hangs are caught by a generous watchdog (timeout), never timed.
# Root-only cases are reported as skipped without root. TAP through
# tests/lib.sh.
. "$(dirname "$0")/../lib.sh"

SHIM=$PWD/build/faults/faultshim.so
CHECK=build/faults/faultcheck
WATCHDOG=300 # seconds; a hung VMM or guest, not a speed limit
MNT=""
LOOP=""
tap_begin faults
built "$VMM" "$GUEST" "$SHIM" "$CHECK"
kvm_required faults
tap_tmpdir
on_exit '[ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null'
on_exit '[ -n "$MNT" ] && umount "$MNT" 2>/dev/null'

# vm ENV... -- ARGS...: runs minivmm with the environment ENV under the
# watchdog; status in $rc, stdout in $W/out, stderr in $W/err.
vm() {
        local envs=()
        while [ "$1" != -- ]; do
                envs+=("$1")
                shift
        done
        shift
        run watchdog "$WATCHDOG" env "${envs[@]}" "$VMM" "$@"
}

# The statuses the guest saw, in order: "w:OK f:IOERR r:OK ..."
statuses() {
        sed -n 's/^faultio: \([wrf]\) .*-> \(.*\)$/\1:\2/p' "$W/out" | tr '\n' ' ' | sed 's/ $//'
}

# expect NAME RC STATUSES ERR: exit status RC, the guest saw exactly STATUSES
# and got an answer to every request, stderr is empty (ERR "") or exactly one
# line matching ERR; then every acknowledged write is in $IMG (unless IMG is "").
expect() {
        local name=$1 want_rc=$2 want=$3 err=$4 got lines
        got=$(statuses)
        lines=$(wc -l <"$W/err")
        if hung "$rc"; then
                not_ok "$name" "hung: the watchdog ended it ($(tail -n 2 "$W/out" | tr '\n' ' '))"
        elif [ "$got" != "$want" ]; then
                not_ok "$name" "the guest saw '$got', expected '$want' ($(head -c 300 "$W/err"))"
        elif ! grep -q '^faultio: done' "$W/out"; then
                not_ok "$name" "the guest did not finish: $(tail -n 2 "$W/out" | tr '\n' ' ')"
        elif [ "$rc" -ne "$want_rc" ]; then
                not_ok "$name" "exit status $rc, expected $want_rc ($(head -c 300 "$W/err"))"
        elif [ -z "$err" ] && [ "$lines" -ne 0 ]; then
                not_ok "$name" "unexpected stderr: $(head -c 300 "$W/err")"
        elif [ -n "$err" ] && { [ "$lines" -ne 1 ] || ! grep -qE -e "$err" "$W/err"; }; then
                not_ok "$name" "stderr '$(head -c 400 "$W/err")' is not one line matching /$err/"
        elif [ -n "$IMG" ] && ! "$CHECK" "$IMG" <"$W/out" >"$W/check"; then
                not_ok "$name" "$(cat "$W/check")"
        else
                ok "$name"
        fi
}

scratch() { # scratch FILE SIZE: a fresh sparse image
        rm -f "$1"
        truncate -s "$2" "$1"
}

# fresh_out: empties the guest's output file before a VMM starts in the
# background. The shell truncates it only in the child, which a loaded machine
# may run late; a poll of the file meanwhile would read the previous case's
# lines (and kill the new VMM on them).
fresh_out() { : >"$W/out"; }

SYNCLINE="disk image '[^']*': aio=io_uring failed; continuing with synchronous I/O"
WERR="disk image '$W/s.img': write-back error"

# --- injected faults (any user) ------------------------------------------------
shim_cases() {
        local io aio S="LD_PRELOAD=$SHIM"
        IMG=$W/s.img
        for io in thread vcpu; do
                # Fault 3 of the issue: one failed submission used to end in free() on the
                # I/O thread and the sandbox's "forbidden system call 10".
                scratch "$IMG" 1M
                vm "$S" MINIVMM_FAULT=uring_submit -- --io "$io" --disk "$IMG,aio=io_uring" \
                        --append 'faultio=w64:8,f,w72:8,f,r64:16' "$GUEST"
                expect "uring_submit_failure_falls_back_under_sandbox_io_$io" 0 \
                        "w:OK f:OK w:OK f:OK r:OK" "$SYNCLINE"

                # A short io_uring write finished synchronously, with a FLUSH behind it in
                # the same batch: the FLUSH is repeated after it (fdatasync logged last).
                scratch "$IMG" 1M
                rm -f "$W/log"
                vm "$S" MINIVMM_FAULT=uring_short "MINIVMM_FAULT_LOG=$W/log" -- --io "$io" \
                        --disk "$IMG,aio=io_uring" --append 'faultio=b64:8,b80:8' "$GUEST"
                if [ "$(grep -c 'inject uring_short' "$W/log" 2>/dev/null)" != 2 ]; then
                        not_ok "uring_short_write_then_flush_covers_it_io_$io" "no short write injected: $(tr '\n' ' ' <"$W/log" 2>/dev/null)"
                elif [ "$(grep -E '^(pwritev|fdatasync)$' "$W/log" | tr '\n' ' ')" != "pwritev fdatasync pwritev fdatasync " ]; then
                        not_ok "uring_short_write_then_flush_covers_it_io_$io" "no fdatasync after the synchronous rest: $(tr '\n' ' ' <"$W/log")"
                else
                        expect "uring_short_write_then_flush_covers_it_io_$io" 0 "w:OK f:OK w:OK f:OK" ""
                fi

                for aio in sync io_uring; do
                        # Short transfers and EINTR on the synchronous paths (the ring's own
                        # writes are not intercepted; its fallbacks are).
                        scratch "$IMG" 1M
                        vm "$S" MINIVMM_FAULT=short -- --io "$io" --disk "$IMG,aio=$aio" \
                                --append 'faultio=w64:8,w72:1,f,r64:9' "$GUEST"
                        expect "short_transfers_complete_io_${io}_aio_$aio" 0 "w:OK w:OK f:OK r:OK" ""
                        scratch "$IMG" 1M
                        vm "$S" MINIVMM_FAULT=eintr -- --io "$io" --disk "$IMG,aio=$aio" \
                                --append 'faultio=w64:8,f,r64:8,f' "$GUEST"
                        expect "eintr_is_retried_io_${io}_aio_$aio" 0 "w:OK f:OK r:OK f:OK" ""
                done

                # ENOSPC from the second write on: sticky, reads still work.
                scratch "$IMG" 1M
                vm "$S" MINIVMM_FAULT=enospc:2 -- --io "$io" --disk "$IMG" \
                        --append 'faultio=w64:8,f,w72:8,f,w80:8,r64:8' "$GUEST"
                expect "enospc_is_sticky_reads_work_io_$io" 1 "w:OK f:OK w:IOERR f:IOERR w:IOERR r:OK" \
                        "$WERR: No space left on device \(errno 28\); every later write and FLUSH of this image fails$"

                # EIO on reads: IOERR for the read, writes and FLUSH unaffected.
                scratch "$IMG" 1M
                vm "$S" MINIVMM_FAULT=eio_read:1 -- --io "$io" --disk "$IMG" --svirtb none \
                        --append 'faultio=r64:8,w64:8,f,r64:8' "$GUEST"
                expect "eio_on_read_is_ioerr_not_sticky_io_$io" 1 "r:IOERR w:OK f:OK r:IOERR" ""

                # Fault 1 of the issue: fdatasync reports a write-back error once; every
                # later FLUSH and write must fail too (the kernel would say OK now).
                scratch "$IMG" 1M
                vm "$S" MINIVMM_FAULT=eio_sync:1 -- --io "$io" --disk "$IMG" \
                        --append 'faultio=w64:8,f,f,w72:8,f,r64:8' "$GUEST"
                expect "flush_error_is_sticky_io_$io" 1 "w:OK f:IOERR f:IOERR w:IOERR f:IOERR r:OK" \
                        "$WERR: Input/output error \(errno 5\); every later write and FLUSH of this image fails$"

                # werror=stop: the failing FLUSH is never answered, status 1 with one line,
                # and no fdatasync after the failed one.
                scratch "$IMG" 1M
                rm -f "$W/log"
                vm "$S" MINIVMM_FAULT=eio_sync:1 "MINIVMM_FAULT_LOG=$W/log" -- --io "$io" \
                        --disk "$IMG,werror=stop" --append 'faultio=w64:8,f,w72:8,f' "$GUEST"
                if [ "$rc" -ne 1 ] || [ "$(statuses)" != "w:OK" ] || [ "$(wc -l <"$W/err")" -ne 1 ] ||
                        ! grep -qE "^minivmm: $WERR: Input/output error \(errno 5\); werror=stop: guest stopped$" "$W/err"; then
                        not_ok "werror_stop_stops_the_guest_io_$io" "status $rc, guest saw '$(statuses)', stderr '$(head -c 300 "$W/err")'"
                elif [ "$(tail -n 1 "$W/log")" != "inject eio fdatasync" ]; then
                        not_ok "werror_stop_stops_the_guest_io_$io" "flushed after the error: $(tr '\n' ' ' <"$W/log")"
                elif ! "$CHECK" "$IMG" <"$W/out" >"$W/check"; then
                        not_ok "werror_stop_stops_the_guest_io_$io" "$(cat "$W/check")"
                else
                        ok "werror_stop_stops_the_guest_io_$io"
                fi
        done
}

# --- bad input: exit 2, one line naming it, in bounded time ---------------------------
# bad NAME PATTERN ARGS...
bad() {
        local name=$1 pattern=$2
        shift 2
        vm -- "$@"
        if hung "$rc"; then
                not_ok "$name" "hung until the watchdog"
        elif [ "$rc" -ne 2 ] || [ "$(wc -l <"$W/err")" -ne 1 ] || ! grep -qE -e "$pattern" "$W/err"; then
                not_ok "$name" "status $rc, stderr '$(head -c 300 "$W/err")', expected /$pattern/"
        else
                ok "$name"
        fi
}

bad_input_cases() {
        mkfifo "$W/fifo"
        mkdir "$W/dir"
        bad bad_guest_fifo "guest '$W/fifo': not a regular file" "$W/fifo"
        bad bad_disk_fifo "disk image '$W/fifo': not a regular file or block device \(a FIFO\)" \
                --disk "$W/fifo" "$GUEST"
        bad bad_disk_fifo_readonly "disk image '$W/fifo': not a regular file or block device \(a FIFO\)" \
                --disk "$W/fifo,ro" "$GUEST"
        bad bad_svirtb_fifo "disk image '$W/fifo': not a regular file or block device \(a FIFO\)" \
                --svirtb "$W/fifo" "$GUEST"
        bad bad_disk_char_device "disk image '/dev/null': not a regular file or block device \(a character device\)" \
                --disk /dev/null "$GUEST"
        bad bad_guest_char_device "guest '/dev/zero': not a regular file" /dev/zero
        bad bad_disk_directory "disk image '$W/dir': is a directory" --disk "$W/dir" "$GUEST"
        # A socket, left behind by a helper that bound it and exited.
        if "$CHECK" mksock "$W/sock"; then
                bad bad_disk_socket "disk image '$W/sock': not a regular file or block device \(a socket\)" \
                        --disk "$W/sock" "$GUEST"
        else
                not_ok bad_disk_socket "cannot create a UNIX socket in $W"
        fi
        if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null || ! command -v losetup >/dev/null; then
                skip bad_block_device_without_permission "needs root, setpriv and losetup"
        else
                scratch "$W/blk.img" 1M
                local dev
                if dev=$(losetup -f --show "$W/blk.img" 2>/dev/null); then
                        LOOP=$dev
                        chmod 600 "$dev"
                        cp "$VMM" "$W/minivmm" && cp "$GUEST" "$W/guest.bin" && chmod 755 "$W/minivmm"
                        local saved=$VMM
                        VMM="setpriv"
                        bad bad_block_device_without_permission "disk image '$dev': Permission denied" \
                                --reuid=65534 --regid=65534 --clear-groups "$W/minivmm" --disk "$dev" "$W/guest.bin"
                        VMM=$saved
                        losetup -d "$dev"
                        LOOP=""
                else
                        skip bad_block_device_without_permission "losetup cannot attach a loop device here"
                fi
        fi
}

# The image shrinks while the guest reads it: the read past the new end is
# IOERR, the VMM keeps running, sector 0 still reads.
truncated_while_running() {
        local io=$1 name=truncated_image_read_is_ioerr_io_$1
        IMG=$W/t.img
        scratch "$IMG" 1M
        fresh_out
        watchdog "$WATCHDOG" "$VMM" --io "$io" --disk "$IMG" \
                --append 'faultio=u512:8,r0:1,w64:8,f' "$GUEST" >"$W/out" 2>"$W/err" </dev/null &
        local pid=$!
        wait_for 2000 grep -q '^faultio: u 512+8 waiting' "$W/out"
        truncate -s 64K "$IMG"
        wait "$pid"
        rc=$?
        expect "$name" 1 "r:IOERR r:OK w:OK f:OK" ""
}

# --- real full and failing storage (root) ------------------------------------------
# A 1 MiB tmpfs at $MNT; false when it cannot be mounted.
small_tmpfs() {
        MNT=$W/mnt
        mkdir -p "$MNT"
        mount -t tmpfs -o size=1M minivmm-faults "$MNT" 2>/dev/null || { MNT=""; return 1; }
}

drop_tmpfs() {
        [ -n "$LOOP" ] && losetup -d "$LOOP"
        LOOP=""
        umount "$MNT"
        MNT=""
}

# 32 writes of 64 KiB: more than the 1 MiB that fits.
FILL_SPEC=$(for i in $(seq 0 31); do printf 'w%d:128,' $((64 + i * 128)); done)

# The statuses must be OK... then IOERR... (once failed, never OK again) for
# writes and FLUSHes; reads may be anything. Prints the first write IOERR index.
monotone() {
        local s seen=0
        for s in $(statuses); do
                case $s in
                w:IOERR | f:IOERR) seen=1 ;;
                w:OK | f:OK) [ $seen -eq 1 ] && return 1 ;;
                esac
        done
        [ $seen -eq 1 ]
}

root_cases() {
        local aio io=thread
        if [ "$(id -u)" -ne 0 ]; then
                for aio in sync io_uring; do
                        skip "full_tmpfs_image_aio_$aio" "needs root (mount)"
                        skip "full_tmpfs_loop_device_aio_$aio" "needs root (mount, losetup)"
                done
                skip eio_loop_device_truncated_backing "needs root (losetup)"
                return
        fi
        for aio in sync io_uring; do
                [ "$aio" = io_uring ] && io=vcpu
                # The image file itself on a full tmpfs: ENOSPC at write time.
                if ! small_tmpfs; then
                        skip "full_tmpfs_image_aio_$aio" "cannot mount a tmpfs here"
                        skip "full_tmpfs_loop_device_aio_$aio" "cannot mount a tmpfs here"
                        continue
                fi
                IMG=$MNT/img
                truncate -s 4M "$IMG"
                vm -- --io "$io" --disk "$IMG,aio=$aio" --append "faultio=${FILL_SPEC}f,f,r64:8" "$GUEST"
                if ! monotone; then
                        not_ok "full_tmpfs_image_aio_$aio" "statuses not OK then IOERR: $(statuses)"
                else
                        expect "full_tmpfs_image_aio_$aio" 1 "$(statuses)" \
                                "disk image '$IMG': write-back error: No space left on device \(errno 28\)"
                fi
                drop_tmpfs

                # Fault 1 of the issue: a loop device over a sparse file on a full tmpfs:
                # the writes land in the page cache, the FLUSH finds the loss; every later
                # FLUSH must say so too.
                if ! small_tmpfs; then
                        skip "full_tmpfs_loop_device_aio_$aio" "cannot mount a tmpfs here"
                        continue
                fi
                truncate -s 4M "$MNT/back"
                if ! LOOP=$(losetup -f --show "$MNT/back" 2>/dev/null); then
                        LOOP=""
                        skip "full_tmpfs_loop_device_aio_$aio" "losetup cannot attach a loop device here"
                        drop_tmpfs
                        continue
                fi
                IMG=$LOOP
                vm -- --io "$io" --disk "$IMG,aio=$aio" --append "faultio=${FILL_SPEC}f,f,f,w64:8,r64:8" "$GUEST"
                local want
                want="$(for i in $(seq 32); do printf 'w:OK '; done)f:IOERR f:IOERR f:IOERR w:IOERR r:OK"
                # Only the FLUSHes tell: what is acknowledged before a failed FLUSH is not
                # promised durable, so the image is not checked against it.
                IMG=""
                expect "full_tmpfs_loop_device_aio_$aio" 1 "$want" \
                        "disk image '$LOOP': write-back error: Input/output error \(errno 5\); every later write and FLUSH"
                drop_tmpfs
        done

        # EIO: a loop device whose backing file was truncated under it; reads past the
        # new end fail in the block layer.
        scratch "$W/back" 4M
        if ! LOOP=$(losetup -f --show "$W/back" 2>/dev/null); then
                LOOP=""
                skip eio_loop_device_truncated_backing "losetup cannot attach a loop device here"
                return
        fi
        truncate -s 64K "$W/back"
        blockdev --flushbufs "$LOOP" 2>/dev/null
        IMG=$LOOP
        vm -- --disk "$IMG" --svirtb none --append 'faultio=r4096:8,r0:1,r4096:8' "$GUEST"
        expect eio_loop_device_truncated_backing 1 "r:IOERR r:OK r:IOERR" ""
        losetup -d "$LOOP"
        LOOP=""
}

# --- SIGKILL at random points of a write workload -----------------------------------
flushes_answered() { grep -c '^faultio: f .* -> OK' "$W/out"; }
flushed_at_least() { [ "$(flushes_answered)" -ge "$1" ]; }

# Every write acknowledged before a FLUSH that was acknowledged OK is in the image.
kill_cases() {
        local io aio k
        for k in 1 2 3 4; do
                io=thread
                aio=sync
                [ $((k % 2)) -eq 0 ] && io=vcpu
                [ "$k" -gt 2 ] && aio=io_uring
                local name=sigkill_keeps_flushed_writes_${k}_io_${io}_aio_$aio
                IMG=$W/k.img
                scratch "$IMG" 1M
                fresh_out
                # No timeout wrapper: the SIGKILL must reach minivmm itself. The
                # workload is bounded (10^5 rounds) and the wait below too.
                "$VMM" --io "$io" --disk "$IMG,aio=$aio" \
                        --append 'faultio=c100000:64:16' "$GUEST" >"$W/out" 2>"$W/err" </dev/null &
                local pid=$! want
                # Somewhere after the first few rounds: a random count of FLUSH
                # answers (a hang watchdog of 2400 polls, 2 minutes: a loaded
                # machine may take long to boot the guest).
                want=$((3 + RANDOM % 60))
                wait_for 2400 flushed_at_least "$want"
                kill -KILL "$pid" 2>/dev/null
                wait "$pid" 2>/dev/null
                rc=$?
                local flushed
                flushed=$(flushes_answered)
                if [ "$rc" -ne 137 ]; then
                        not_ok "$name" "minivmm ended with $rc, not by SIGKILL: $(head -c 300 "$W/err")"
                elif [ "$flushed" -lt 3 ]; then
                        not_ok "$name" "only $flushed FLUSHes answered before the kill"
                elif grep -q 'IOERR' "$W/out" || [ -s "$W/err" ]; then
                        not_ok "$name" "a request failed: $(grep -m1 IOERR "$W/out") $(head -c 200 "$W/err")"
                elif ! "$CHECK" "$IMG" flushed <"$W/out" >"$W/check"; then
                        not_ok "$name" "$(cat "$W/check")"
                else
                        ok "$name"
                fi
        done
}

shim_cases
bad_input_cases
truncated_while_running thread
truncated_while_running vcpu
root_cases
kill_cases
tap_end
