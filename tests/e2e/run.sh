#!/bin/bash
# End-to-end tests: minivmm runs real guests under KVM on generated images;
# each case checks the exit status, the output and the image's bytes on the
# host afterwards. TAP through tests/lib.sh: one line per case, the plan last.
# Without a usable /dev/kvm the suite fails, unless MINIVMM_SKIP_KVM=1.
. "$(dirname "$0")/../lib.sh"

TG=build/e2e # tiny assembly guests
tap_begin e2e
tap_tmpdir

fresh_disk() { rm -f "$1" && "$MKDISK" make "$1" "${2:-256}"; }

# --- bad input: exit status 2 and one line naming the problem --------------
# refused NAME PATTERN CMD...: CMD exits 2 with one stderr line matching PATTERN.
refused() {
        local name=$1 pattern=$2
        shift 2
        run "$@"
        local lines
        lines=$(wc -l <"$W/err")
        if [ "$rc" -ne 2 ]; then
                not_ok "$name" "exit status $rc, expected 2 ($(head -c 200 "$W/err"))"
        elif [ "$lines" -ne 1 ]; then
                not_ok "$name" "$lines lines on stderr, expected 1"
        elif ! grep -qE -e "$pattern" "$W/err"; then
                not_ok "$name" "stderr '$(cat "$W/err")' does not match /$pattern/"
        else
                ok "$name"
        fi
}

# bad_input NAME PATTERN ARGS...: minivmm ARGS is refused so.
bad_input() {
        local name=$1 pattern=$2
        shift 2
        refused "$name" "$pattern" "$VMM" "$@"
}

cli_cases() {
        mkdir -p "$W/adir"
        : >"$W/empty"
        head -c $((1536 * 1024)) /dev/zero >"$W/big.bin"
        fresh_disk "$W/cli.img"
        bad_input cli_missing_guest "guest '$W/nope.bin': No such file" "$W/nope.bin"
        bad_input cli_guest_is_directory "guest '$W/adir': is a directory" "$W/adir"
        bad_input cli_empty_guest "guest '$W/empty': empty file" "$W/empty"
        bad_input cli_guest_too_big "guest '$W/big.bin' \(1572864 bytes\) does not fit in RAM" \
                --mem 2M "$W/big.bin"
        bad_input cli_malformed_mem "--mem '12Q': not a size" --mem 12Q "$GUEST"
        bad_input cli_mem_not_a_number "--mem 'lots': not a size" --mem lots "$GUEST"
        bad_input cli_mem_too_small "--mem '1M': must be" --mem 1M "$GUEST"
        bad_input cli_missing_disk "disk image '$W/nope.img': No such file" --disk "$W/nope.img" "$GUEST"
        bad_input cli_disk_is_directory "disk image '$W/adir': is a directory" --disk "$W/adir" "$GUEST"
        bad_input cli_empty_disk "disk image '$W/empty': empty" --disk "$W/empty" "$GUEST"
        bad_input cli_unknown_disk_option "--disk '$W/cli.img,rw': unknown option 'rw' \(known: ro, legacy, pci, pci-legacy, aio=sync\|io_uring, werror=report\|stop\)" \
                --disk "$W/cli.img,rw" "$GUEST"
        bad_input cli_unknown_option "unknown option '--frobnicate'" --frobnicate "$GUEST"
        bad_input cli_missing_option_value "option '--mem' needs a value" "$GUEST" --mem
        bad_input cli_no_guest "no GUEST" --disk "$W/cli.img"
        bad_input cli_two_guests "unexpected argument" "$GUEST" "$GUEST"
        if command -v flock >/dev/null; then
                # The shell itself holds the lock, as a running minivmm would.
                exec 9<"$W/cli.img"
                flock -x 9
                bad_input cli_disk_locked "disk image '$W/cli.img': in use by another process" \
                        --disk "$W/cli.img" "$GUEST"
                exec 9<&-
        else
                skip cli_disk_locked "flock(1) not installed"
        fi
        bad_input cli_same_disk_twice "--disk '$W/cli.img': the same image is given twice" \
                --disk "$W/cli.img" --disk "$W/cli.img" "$GUEST"
        second_vmm_on_locked_image
        cli_unprivileged_cases
}

# seccomp_mode PID: PID's seccomp mode (0 off, 2 filter).
seccomp_mode() { sed -n 's/^Seccomp:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null; }
seccomp_mode_is() { [ "$(seccomp_mode "$1")" = "$2" ]; }

has_vcpu() { ls -l "/proc/$1/fd" 2>/dev/null | grep -q 'kvm-vcpu'; }

# A second minivmm on a writable image another minivmm is using.
second_vmm_on_locked_image() {
        fresh_disk "$W/busy.img"
        "$VMM" --disk "$W/busy.img" "$TG/spin.bin" >/dev/null 2>"$W/first.err" &
        local first=$! mode
        # The filter goes in after setup, so once it is there (mode 2) the
        # image is open and locked. (Polling the lock with flock would itself
        # take it and race the first VMM.) Bounded: 200 polls.
        if wait_for 200 seccomp_mode_is "$first" 2; then
                ok sandbox_is_on_while_guest_runs
        else
                not_ok sandbox_is_on_while_guest_runs "Seccomp mode '$(seccomp_mode "$first")', never 2: $(cat "$W/first.err")"
        fi
        bad_input cli_second_vmm_on_same_image \
                "disk image '$W/busy.img': in use by another process" --disk "$W/busy.img" "$GUEST"
        kill "$first" 2>/dev/null
        wait "$first" 2>/dev/null

        "$VMM" --no-sandbox "$TG/spin.bin" >/dev/null 2>&1 &
        first=$!
        # Bounded wait until the vCPU exists (the filter would go in right after).
        wait_for 200 has_vcpu "$first"
        sleep 0.5
        mode=$(seccomp_mode "$first")
        [ "$mode" = 0 ] && ok no_sandbox_option_turns_filter_off ||
                not_ok no_sandbox_option_turns_filter_off "Seccomp mode '$mode', expected 0"
        kill "$first" 2>/dev/null
        wait "$first" 2>/dev/null
}

# Cases that need another user: unreadable files and /dev/kvm not permitted.
cli_unprivileged_cases() {
        if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
                skip cli_unreadable_disk "needs root and setpriv to act as another user"
                skip cli_kvm_not_permitted "needs root and setpriv to act as another user"
                skip cli_kvm_missing "needs root and unshare"
                return
        fi
        local nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
        cp "$VMM" "$W/minivmm" && cp "$GUEST" "$W/guest.bin" && cp "$W/cli.img" "$W/secret.img"
        chmod 755 "$W/minivmm" && chmod 644 "$W/guest.bin" && chmod 600 "$W/secret.img"
        chmod 666 "$W/cli.img"
        refused cli_unreadable_disk "disk image '$W/secret.img': Permission denied" \
                "${nobody[@]}" "$W/minivmm" --disk "$W/secret.img" "$W/guest.bin"
        if "${nobody[@]}" test -w /dev/kvm; then
                skip cli_kvm_not_permitted "/dev/kvm is writable by every user on this host"
        else
                refused cli_kvm_not_permitted "/dev/kvm: permission denied" \
                        "${nobody[@]}" "$W/minivmm" --disk "$W/cli.img" "$W/guest.bin"
        fi
        if unshare -m true 2>/dev/null; then
                refused cli_kvm_missing "/dev/kvm: not found" \
                        unshare -m sh -c 'mount -t tmpfs none /dev && exec "$0" "$@"' "$VMM" "$GUEST"
        else
                skip cli_kvm_missing "unshare -m is not permitted here"
        fi
}

# expect_run NAME STATUS FILE PATTERN ARGS...: minivmm ARGS exits with STATUS
# and FILE (out or err) has a line matching PATTERN (grep -E).
expect_run() {
        local name=$1 status=$2 file=$W/$3 pattern=$4
        shift 4
        run "$VMM" "$@"
        if [ "$rc" -eq "$status" ] && grep -qE -e "$pattern" "$file"; then
                ok "$name"
        else
                not_ok "$name" "status $rc (expected $status), $(basename "$file") without /$pattern/: $(tail -c 300 "$file")"
        fi
}

# expect_trace NAME WHAT PATTERN...: the last run exited 0 and its stderr
# (--trace) has a line matching each PATTERN (grep -E); a failure counts the
# lines naming WHAT.
expect_trace() {
        local name=$1 what=$2 p
        shift 2
        for p in "$@"; do
                if [ "$rc" -ne 0 ] || ! grep -qE -e "$p" "$W/err"; then
                        not_ok "$name" "status $rc, $(grep -c "$what" "$W/err") $what trace lines, none /$p/"
                        return
                fi
        done
        ok "$name"
}

# --- the VMM itself, with tiny assembly guests -------------------------------
vmm_cases() {
        run "$VMM" "$TG/exit42.bin"
        [ "$rc" -eq 42 ] && ok vmm_exit_port_sets_status || not_ok vmm_exit_port_sets_status "status $rc"

        expect_run vmm_halt_with_interrupts_off_stops 0 err "halted with interrupts off at RIP 0x100002" \
                "$TG/halt.bin"
        expect_run vmm_emulation_failure_is_reported 1 err \
                "INTERNAL_ERROR, suberror 1 \(instruction emulation failed\), at guest RIP 0x100007; instruction bytes 48 0f c7 0c 24" \
                "$TG/badinsn.bin"

        run "$VMM" --mem 16M "$TG/fdtcheck.bin"
        [ "$rc" -eq 0 ] && ok vmm_boot_registers_and_fdt || not_ok vmm_boot_registers_and_fdt "status $rc"

        run "$VMM" --mem 5G "$TG/exit42.bin"
        [ "$rc" -eq 42 ] && ok vmm_mem_above_4g_boots || not_ok vmm_mem_above_4g_boots "status $rc: $(cat "$W/err")"
}

# --- the guest suite on svirtb ----------------------------------------------
# guest_suite NAME VMM DISKARG: the whole suite passes; prints the summary in $sum.
guest_suite() {
        local name=$1 vmm=$2
        shift 2
        run "$vmm" "$@" "$GUEST"
        sum=$(guest_summary)
        if [ "$rc" -ne 0 ] || ! [[ "$sum" =~ ^[0-9]+\ passed,\ 0\ failed ]]; then
                not_ok "$name" "status $rc, summary '$sum'; $(grep -E '^not ok|unknown' "$W/out" | head -3) $(head -c 300 "$W/err")"
                return 1
        fi
        return 0
}

svirtb_cases() {
        fresh_disk "$W/rw.img"
        if guest_suite svirtb_suite_writable "$VMM" --disk "$W/rw.img"; then
                if ! grep -q '^ok [0-9]* - svirtb_batch_write_read$' "$W/out"; then
                        not_ok svirtb_suite_writable "svirtb_batch_write_read did not run"
                elif ! "$MKDISK" check "$W/rw.img" svirtb,virtio 2>"$W/mk"; then
                        not_ok svirtb_suite_writable "image bytes: $(cat "$W/mk")"
                else
                        ok svirtb_suite_writable
                fi
        fi

        fresh_disk "$W/ro.img"
        local before after
        before=$(sha256sum <"$W/ro.img")
        if guest_suite svirtb_suite_readonly "$VMM" --disk "$W/ro.img,ro"; then
                after=$(sha256sum <"$W/ro.img")
                if ! grep -q '^ok [0-9]* - svirtb_readonly_write_ignored$' "$W/out"; then
                        not_ok svirtb_suite_readonly "svirtb_readonly_write_ignored did not run"
                elif [ "$before" != "$after" ]; then
                        not_ok svirtb_suite_readonly "the read-only image changed"
                else
                        ok svirtb_suite_readonly
                fi
        fi

        fresh_disk "$W/sel.img"
        run "$VMM" --disk "$W/sel.img" --append "svirtb_ring_wrap" "$GUEST"
        if [ "$rc" -eq 0 ] && [ "$(grep -c '^ok ' "$W/out")" -eq 1 ] &&
                grep -q '^ok 1 - svirtb_ring_wrap$' "$W/out" && [ "$(guest_summary)" = "1 passed, 0 failed" ]; then
                ok guest_append_selects_one_test
        else
                not_ok guest_append_selects_one_test "status $rc, summary '$(guest_summary)'"
        fi

        expect_run guest_unknown_test_name_fails 1 out "unknown test 'no_such_test'" \
                --disk "$W/sel.img" --append "no_such_test" "$GUEST"

        run "$VMM" --trace --disk "$W/sel.img" --append "svirtb_read_single" "$GUEST"
        expect_trace trace_shows_register_writes_and_entries svirtb \
                '^svirtb: write status <- 0x00000000 \(DRIVER_OK\)$' '^svirtb: write queue_addr_lo <- ' \
                '^svirtb: entry [0-9]+: cmd=0 \(read\) sector=0 size=512 addr=0x[0-9a-f]+$'

        expect_run svirtb_ring_and_buffer_above_4g 0 out '^1 passed, 0 failed$' \
                --mem 5G --disk "$W/sel.img" --append "svirtb_high_ram" "$GUEST"
        expect_run guest_exception_is_reported_not_hung 3 out "guest: exception 6 at RIP 0x" \
                --disk "$W/sel.img" --append "crash=ud" "$GUEST"
}

# --- virtio-blk over virtio-mmio ----------------------------------------------
# two_disks NAME VMM [,legacy][,aio=...] [extra bootargs]: disk a writable, disk b
# read-only; the whole suite passes, a holds exactly what the guest wrote, b is unchanged.
two_disks() {
        local name=$1 vmm=$2 legacy=${3:-} args=${4:-} version=2 before
        [[ "$legacy" == *legacy* ]] && version=1
        fresh_disk "$W/a.img" 2048
        fresh_disk "$W/b.img" 512
        before=$(sha256sum <"$W/b.img")
        guest_suite "$name" "$vmm" --disk "$W/a.img$legacy" --disk "$W/b.img,ro$legacy" \
                --append "$args" || return
        local t
        for t in virtio_two_disks virtio_readonly_refuses_write virtio_indirect_request \
                virtio_interrupt_completion virtio_ring_wrap; do
                if ! grep -qE "^ok [0-9]+ - $t\$" "$W/out"; then
                        not_ok "$name" "$t did not run and pass"
                        return
                fi
        done
        if ! grep -q "^virtio-blk0: version $version, capacity 2048 sectors" "$W/out" ||
                ! grep -q "^virtio-blk1: version $version, capacity 512 sectors, ro 1" "$W/out"; then
                not_ok "$name" "devices not identified as version $version: $(grep '^virtio-blk' "$W/out" | head -2)"
        elif ! "$MKDISK" check "$W/a.img" svirtb,virtio,two-disks 2>"$W/mk"; then
                not_ok "$name" "image a: $(cat "$W/mk")"
        elif [ "$before" != "$(sha256sum <"$W/b.img")" ]; then
                not_ok "$name" "the read-only image b changed"
        elif grep -qE 'runtime error|AddressSanitizer|LeakSanitizer' "$W/err"; then
                not_ok "$name" "sanitizer report: $(head -c 300 "$W/err")"
        else
                ok "$name"
        fi
}

# The guest writes, flushes and holds; minivmm is killed with SIGKILL; the
# written sector is in the image.
flush_survives_sigkill() {
        fresh_disk "$W/kill.img"
        "$VMM" --disk "$W/kill.img" --append 'virtio_write_read_single virtio_flush hold=1' \
                "$GUEST" >"$W/kill.out" 2>&1 &
        local vmm=$!
        # Bounded wait for the guest to report both tests done.
        wait_for 600 grep -q '^minivmm guest: holding' "$W/kill.out"
        kill -KILL "$vmm" 2>/dev/null
        wait "$vmm" 2>/dev/null
        local st=$?
        if ! grep -q '^2 passed, 0 failed$' "$W/kill.out"; then
                not_ok flush_then_sigkill_keeps_data "guest did not finish: $(tail -n 3 "$W/kill.out")"
        elif [ "$st" -ne 137 ]; then
                not_ok flush_then_sigkill_keeps_data "minivmm ended with $st, not by SIGKILL"
        elif ! "$MKDISK" written "$W/kill.img" 64 1 2>"$W/mk"; then
                # 64 = TD_VSEC_SINGLE in tools/testdisk.h
                not_ok flush_then_sigkill_keeps_data "$(cat "$W/mk")"
        else
                ok flush_then_sigkill_keeps_data
        fi
}

# A wrapper running VMM with extra options first: wrap NAME OPTIONS... prints its path.
wrap() {
        local f=$W/vmm-$1
        shift
        printf '#!/bin/sh\nexec "%s" %s "$@"\n' "$(realpath "$VMM")" "$*" >"$f"
        chmod +x "$f"
        echo "$f"
}

# stats_case MODE: --stats names the mode, counts notifications where that mode takes
# them, and its totals add up.
stats_case() {
        local mode=$1 name=stats_count_notifications_$1
        fresh_disk "$W/st.img" 2048
        run "$VMM" --io="$mode" --stats --disk "$W/st.img" --append virtio_read_single "$GUEST"
        v() { sed -n "s/^stats: $1=//p" "$W/err"; }
        if [ "$rc" -ne 0 ] || [ "$(v io_mode)" != "$mode" ]; then
                not_ok "$name" "status $rc, io_mode '$(v io_mode)'"
        elif [ "$mode" = thread ] && { [ "$(v notify_exits)" != 0 ] || [ "$(v notify_wakeups)" -lt 1 ]; }; then
                not_ok "$name" "notify_exits $(v notify_exits), notify_wakeups $(v notify_wakeups)"
        elif [ "$mode" = vcpu ] && { [ "$(v notify_wakeups)" != 0 ] || [ "$(v notify_exits)" -lt 1 ]; }; then
                not_ok "$name" "notify_exits $(v notify_exits), notify_wakeups $(v notify_wakeups)"
        elif [ "$(v notifications)" != $(($(v notify_exits) + $(v notify_wakeups))) ] ||
                [ "$(v exits)" != $(($(v exits_io) + $(v exits_mmio) + $(v exits_hlt) + $(v exits_intr))) ]; then
                not_ok "$name" "totals do not add up: $(tr '\n' ' ' <"$W/err")"
        elif [ "$(v requests)" -lt 1 ] || [ "$(v bytes_read)" -lt 512 ] || [ "$(v guest_ram_kb)" != 65536 ] ||
                [ -z "$(v cpu_user_us)" ] || [ -z "$(v cpu_sys_us)" ] || [ "$(v maxrss_kb)" -lt 1 ]; then
                not_ok "$name" "$(tr '\n' ' ' <"$W/err")"
        elif [ "$mode" = thread ] && { [ -z "$(v io_cpu_us)" ] ||
                [ "$(v io_cpu_us)" -gt $(($(v cpu_user_us) + $(v cpu_sys_us))) ]; }; then
                not_ok "$name" "the I/O thread's io_cpu_us '$(v io_cpu_us)' is missing or above the process's"
        elif [ "$mode" = vcpu ] && grep -q '^stats: io_cpu_us=' "$W/err"; then
                not_ok "$name" "io_cpu_us printed without an I/O thread"
        else
                ok "$name"
        fi
}

virtio_cases() {
        two_disks virtio_two_disks_modern "$VMM"
        two_disks virtio_two_disks_legacy "$VMM" ,legacy
        two_disks virtio_two_disks_modern_irq "$VMM" "" complete=irq
        two_disks virtio_two_disks_legacy_irq "$VMM" ,legacy complete=irq
        # The same suite with requests served in the vCPU thread (--io=vcpu; the
        # default is the I/O thread), and on the io_uring backend in both modes.
        local vcpu
        vcpu=$(wrap vcpu --io=vcpu)
        two_disks virtio_two_disks_modern_io_vcpu "$vcpu"
        two_disks virtio_two_disks_legacy_irq_io_vcpu "$vcpu" ,legacy complete=irq
        two_disks virtio_two_disks_modern_irq_io_vcpu "$vcpu" "" complete=irq
        two_disks virtio_two_disks_io_uring_irq "$VMM" ,aio=io_uring complete=irq
        two_disks virtio_two_disks_legacy_io_uring_io_vcpu "$vcpu" ,legacy,aio=io_uring
        stats_case thread
        stats_case vcpu
        if [ -x "$SAN_VMM" ]; then
                # With the sandbox on, LeakSanitizer's exit-time scan (prctl,
                # ptrace) would be refused: leaks are checked in the run without it.
                printf '#!/bin/sh\nASAN_OPTIONS=detect_leaks=0 exec "%s" "$@"\n' "$PWD/$SAN_VMM" >"$W/san-sandboxed"
                printf '#!/bin/sh\nexec "%s" --no-sandbox "$@"\n' "$PWD/$SAN_VMM" >"$W/san-leakcheck"
                chmod +x "$W/san-sandboxed" "$W/san-leakcheck"
                two_disks suite_under_sanitized_sandboxed_vmm "$W/san-sandboxed"
                two_disks suite_under_sanitized_vmm_leak_check_legacy_irq "$W/san-leakcheck" ,legacy complete=irq
        else
                not_ok suite_under_sanitized_vmm "$SAN_VMM not built"
        fi

        # GET_ID: stable for one image across runs, different for another image.
        fresh_disk "$W/id1.img"
        fresh_disk "$W/id2.img"
        local id1 id1b id2
        run "$VMM" --disk "$W/id1.img" --append virtio_get_id "$GUEST"
        id1=$(sed -n 's/^virtio-blk0 id: //p' "$W/out")
        run "$VMM" --disk "$W/id1.img" --append virtio_get_id "$GUEST"
        id1b=$(sed -n 's/^virtio-blk0 id: //p' "$W/out")
        run "$VMM" --disk "$W/id2.img" --append virtio_get_id "$GUEST"
        id2=$(sed -n 's/^virtio-blk0 id: //p' "$W/out")
        if [ -n "$id1" ] && [ "$id1" = "$id1b" ] && [ "$id1" != "$id2" ] && [[ "$id1" =~ ^mvmm[0-9a-f]{16}$ ]]; then
                ok virtio_get_id_is_stable_per_image
        else
                not_ok virtio_get_id_is_stable_per_image "ids '$id1' '$id1b' '$id2'"
        fi

        flush_survives_sigkill

        # --trace decodes transport registers, chains and requests.
        run "$VMM" --trace --disk "$W/id1.img" --append virtio_read_single "$GUEST"
        expect_trace virtio_trace_decodes_registers_and_requests virtio \
                '^virtio-mmio@0: write Status <- ' '^virtio-blk: IN sector 0, 512 bytes -> OK'
}

# --- virtio-blk over virtio-pci (docs/virtio-pci.md) ---------------------------
pci_cases() {
        # Transitional devices driven through the modern capabilities: the whole suite.
        two_disks virtio_pci_two_disks_modern "$VMM" ,pci
        two_disks virtio_pci_two_disks_modern_irq "$VMM" ,pci complete=irq
        # Legacy-only devices, found and driven as a legacy x86 driver does: ports
        # 0xcf8/0xcfc, I/O BAR0, a page-number queue address, the device's 256 entries.
        fresh_disk "$W/a.img" 2048
        fresh_disk "$W/b.img" 512
        local before t
        before=$(sha256sum <"$W/b.img")
        if guest_suite virtio_pci_two_disks_legacy_irq "$VMM" --disk "$W/a.img,pci-legacy" \
                --disk "$W/b.img,ro,pci-legacy" --append complete=irq; then
                for t in virtio_two_disks virtio_readonly_refuses_write virtio_write_read_single \
                        virtio_multi_sector virtio_interrupt_completion virtio_flush; do
                        grep -qE "^ok [0-9]+ - $t\$" "$W/out" || break
                        t=
                done
                if [ -n "$t" ]; then
                        not_ok virtio_pci_two_disks_legacy_irq "$t did not run and pass"
                elif [ "$(grep -c '# SKIP legacy virtio-pci: the queue size' "$W/out")" -ne 2 ]; then
                        not_ok virtio_pci_two_disks_legacy_irq "want exactly ring_wrap and many_in_flight skipped for the fixed queue size"
                elif ! grep -q "^virtio-blk0: version 1, capacity 2048 sectors" "$W/out" ||
                        ! grep -q "^virtio-blk1: version 1, capacity 512 sectors, ro 1" "$W/out"; then
                        not_ok virtio_pci_two_disks_legacy_irq "devices not identified as legacy: $(grep '^virtio-blk' "$W/out" | head -2)"
                elif [ "$before" != "$(sha256sum <"$W/b.img")" ]; then
                        not_ok virtio_pci_two_disks_legacy_irq "the read-only image b changed"
                else
                        ok virtio_pci_two_disks_legacy_irq
                fi
        fi
        # One disk on each transport, under the sanitized VMM.
        fresh_disk "$W/a.img" 2048
        fresh_disk "$W/b.img" 512
        if guest_suite virtio_pci_and_mmio_side_by_side "$SAN_VMM" --no-sandbox --disk "$W/a.img" \
                --disk "$W/b.img,ro,pci" --append 'virtio_two_disks virtio_identify complete=irq'; then
                if [ "$(guest_summary)" != "2 passed, 0 failed" ]; then
                        not_ok virtio_pci_and_mmio_side_by_side "summary '$(guest_summary)'"
                elif grep -qE 'runtime error|AddressSanitizer|LeakSanitizer' "$W/err"; then
                        not_ok virtio_pci_and_mmio_side_by_side "sanitizer report: $(head -c 300 "$W/err")"
                else
                        ok virtio_pci_and_mmio_side_by_side
                fi
        fi
        # A guest moving the BARs over RAM, svirtb, the virtio-mmio slots, past 4 GiB,
        # the console and the configuration ports: each move refused with a trace line.
        local m
        for m in pci pci-legacy; do
                run "$SAN_VMM" --no-sandbox --trace --disk "$W/a.img,$m" --append pci_bars_hostile "$GUEST"
                if [ "$rc" -ne 0 ] || [ "$(guest_summary)" != "1 passed, 0 failed" ]; then
                        not_ok "virtio_${m//-/_}_bars_hostile" "status $rc, summary '$(guest_summary)' $(grep -m 1 '^not ok' "$W/out")"
                elif ! grep -q 'BAR0 io \[0x3c0, +0x40) refused: outside the PCI I/O window$' "$W/err" ||
                        ! grep -q 'BAR0 io \[0xcc0, +0x40) refused: outside the PCI I/O window$' "$W/err" ||
                        { [ "$m" = pci ] && ! grep -q 'BAR1 mem \[0xcafe0000, +0x4000) refused' "$W/err"; } ||
                        { [ "$m" = pci ] && ! grep -q 'BAR1 mem \[0xd0008000, +0x4000) refused' "$W/err"; }; then
                        not_ok "virtio_${m//-/_}_bars_hostile" "refusals not traced: $(grep -c refused "$W/err") lines"
                elif grep -qE 'runtime error|AddressSanitizer|LeakSanitizer' "$W/err"; then
                        not_ok "virtio_${m//-/_}_bars_hostile" "sanitizer report: $(grep -m 1 -E 'ERROR|runtime' "$W/err")"
                else
                        ok "virtio_${m//-/_}_bars_hostile"
                fi
        done
        # The PCI_CFG window (VIRTIO 1.2 §4.1.4.9): registers read and written through
        # configuration space as through the BARs; a bad length refused and traced.
        run "$SAN_VMM" --no-sandbox --trace --disk "$W/a.img,pci" --append pci_cfg_window "$GUEST"
        if [ "$rc" -ne 0 ] || [ "$(guest_summary)" != "1 passed, 0 failed" ]; then
                not_ok virtio_pci_cfg_window "status $rc, summary '$(guest_summary)' $(grep -m 1 '^not ok' "$W/out")"
        elif ! grep -q '^virtio-pci@00:01.0: PCI_CFG read of 3 bytes at BAR1 0x4 refused: length not 1, 2 or 4$' "$W/err"; then
                not_ok virtio_pci_cfg_window "refusal not traced: $(grep -m 1 PCI_CFG "$W/err")"
        elif grep -qE 'runtime error|AddressSanitizer|LeakSanitizer' "$W/err"; then
                not_ok virtio_pci_cfg_window "sanitizer report: $(grep -m 1 -E 'ERROR|runtime' "$W/err")"
        else
                ok virtio_pci_cfg_window
        fi
        # --trace shows where the BARs decode.
        run "$VMM" --trace --disk "$W/a.img,pci" --append virtio_read_single "$GUEST"
        expect_trace virtio_pci_trace_shows_bars_and_requests pci \
                '^pci 00:01.0 virtio-blk: BAR0 io \[0xc000, \+0x40\) mapped$' \
                '^pci 00:01.0 virtio-blk: BAR1 mem \[0xe0000000, \+0x4000\) mapped$' \
                '^virtio-pci@00:01.0: write Status <- 0x0000000f ' \
                '^virtio-blk: IN sector 0, 512 bytes -> OK'
}

if [ ! -c /dev/kvm ] || ! { "$VMM" "$TG/exit42.bin" >/dev/null 2>&1; [ $? -eq 42 ]; }; then
        if [ "${MINIVMM_SKIP_KVM:-0}" = 1 ]; then
                cli_cases
                skip kvm_cases "/dev/kvm is not usable here (MINIVMM_SKIP_KVM=1)"
                tap_end
        fi
        not_ok kvm "/dev/kvm is not usable here (missing, not permitted, or KVM failed); the end-to-end tests need KVM. Set MINIVMM_SKIP_KVM=1 to skip them."
        tap_end
fi

cli_cases
vmm_cases
svirtb_cases
virtio_cases
pci_cases
tap_end
