#!/bin/bash
# usage: what a new user meets first. The shipped guest on a plain image
# (survey, read only, exit 0), --help and the man page against the README's
# option table, the man page's syntax, make install/uninstall into a scratch
# prefix, the Makefile's missing-package line, and a tree that refers to
# nothing outside itself. TAP through tests/lib.sh.
. "$(dirname "$0")/../lib.sh"

tap_begin usage
tap_tmpdir

has() { grep -qF -- "$1" "$W/out"; }

kvm_case() { # NAME: true when the case may run; otherwise reports it
        kvm_usable && return 0
        if [ "${MINIVMM_SKIP_KVM:-0}" = 1 ]; then
                skip "$1" "/dev/kvm is not usable here (MINIVMM_SKIP_KVM=1)"
        else
                not_ok "$1" "/dev/kvm is not usable here"
        fi
        return 1
}

# --- the README's usage line on an image that is not a test image -------------
if kvm_case survey_plain_image_reads_only_and_exits_0; then
        truncate -s 1M "$W/img.raw"
        before=$(sha256sum <"$W/img.raw")
        run "$VMM" --disk "$W/img.raw" "$GUEST"
        after=$(sha256sum <"$W/img.raw")
        if [ "$rc" -eq 0 ] && [ "$before" = "$after" ] && has "build/tools/mkdisk make FILE" &&
                has "svirtb at 0xcafe0000: writable" &&
                grep -qE '^virtio-blk0 at 0xd0000000: virtio-mmio version 2, 2048 sectors of 512 bytes, writable, serial mvmm[0-9a-f]{16}$' "$W/out" &&
                has "svirtb and virtio-blk0 agree on their first 4096 bytes" &&
                has "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|" &&
                has "survey: 2 devices, all read" && ! grep -q '^not ok' "$W/out"; then
                ok survey_plain_image_reads_only_and_exits_0
        else
                not_ok survey_plain_image_reads_only_and_exits_0 \
                        "status $rc, image $([ "$before" = "$after" ] && echo unchanged || echo CHANGED), output: $(tail -n 5 "$W/out" | tr '\n' '|')"
        fi
fi

if kvm_case survey_two_disks_legacy_readonly_hexdump; then
        truncate -s 1M "$W/img.raw"
        printf 'hello world, this is a disk label\n' >"$W/label.raw"
        truncate -s 1024 "$W/label.raw"
        before=$(cat "$W/img.raw" "$W/label.raw" | sha256sum)
        run "$VMM" --disk "$W/img.raw" --disk "$W/label.raw,ro,legacy" "$GUEST"
        after=$(cat "$W/img.raw" "$W/label.raw" | sha256sum)
        if [ "$rc" -eq 0 ] && [ "$before" = "$after" ] &&
                grep -qE '^virtio-blk1 at 0xd0001000: virtio-mmio version 1, 2 sectors of 512 bytes, read-only, serial mvmm[0-9a-f]{16}$' "$W/out" &&
                has "sector 0 through virtio-blk1:" &&
                has "00000000  68 65 6c 6c 6f 20 77 6f  72 6c 64 2c 20 74 68 69  |hello world, thi|" &&
                has "survey: 3 devices, all read"; then
                ok survey_two_disks_legacy_readonly_hexdump
        else
                not_ok survey_two_disks_legacy_readonly_hexdump \
                        "status $rc, output: $(tail -n 8 "$W/out" | tr '\n' '|')"
        fi
fi

if kvm_case survey_forced_on_a_test_image_writes_nothing; then
        "$MKDISK" make "$W/test.img" 256 >/dev/null
        before=$(sha256sum <"$W/test.img")
        run "$VMM" --disk "$W/test.img" --append survey=1 "$GUEST"
        after=$(sha256sum <"$W/test.img")
        if [ "$rc" -eq 0 ] && [ "$before" = "$after" ] && has "survey: 2 devices, all read" &&
                has "|MVMMDISK" && ! grep -q '^ok [0-9]' "$W/out"; then
                ok survey_forced_on_a_test_image_writes_nothing
        else
                not_ok survey_forced_on_a_test_image_writes_nothing "status $rc"
        fi
fi

# A named test still runs on a plain image (and fails there, as it should).
if kvm_case named_test_on_plain_image_is_not_a_survey; then
        truncate -s 1M "$W/img.raw"
        run "$VMM" --disk "$W/img.raw" --append svirtb_read_single "$GUEST"
        if [ "$rc" -eq 1 ] && grep -q '^not ok 1 - svirtb_read_single: ' "$W/out" && ! has "survey:"; then
                ok named_test_on_plain_image_is_not_a_survey
        else
                not_ok named_test_on_plain_image_is_not_a_survey "status $rc"
        fi
fi

# --- every option the README documents is in --help and in the man page ---------
readme_opts=$(sed -n '/^| option | meaning |$/,/^$/p' README.md | cut -d '|' -f 2 | grep -oE -- '`--?[a-z-]+' | tr -d '`' | sort -u)
run "$VMM" --help
missing_help=""
missing_man=""
for o in $readme_opts; do
        grep -qE -- "(^|[ ,])$o([ =,[]|$)" "$W/out" || missing_help="$missing_help $o"
        grep -qF -- "$(printf '%s' "$o" | sed 's/-/\\-/g')" docs/minivmm.1 || missing_man="$missing_man $o"
done
if [ "$rc" -eq 0 ] && [ "$(printf '%s\n' $readme_opts | wc -l)" -ge 10 ] && [ -z "$missing_help" ]; then
        ok help_lists_every_readme_option
else
        not_ok help_lists_every_readme_option "status $rc, README options: $(echo $readme_opts), missing:$missing_help"
fi
if [ -z "$missing_man" ]; then
        ok man_page_lists_every_readme_option
else
        not_ok man_page_lists_every_readme_option "missing:$missing_man"
fi

# --- the man page is well-formed roff ---------------------------------------------
if ! command -v groff >/dev/null; then
        not_ok man_page_has_no_groff_warnings "groff is not installed (tools/install-deps installs groff-base)"
elif warn=$(groff -man -ww -z docs/minivmm.1 2>&1) && [ -z "$warn" ]; then
        ok man_page_has_no_groff_warnings
else
        not_ok man_page_has_no_groff_warnings "$(printf '%s' "$warn" | head -n 3 | tr '\n' '|')"
fi

# --- make install / uninstall into a scratch prefix ------------------------------
P="$W/prefix"
files="bin/minivmm bin/minivmm-mkdisk share/minivmm/guest.bin share/minivmm/guest.elf share/man/man1/minivmm.1"
if make --no-print-directory -s install PREFIX="$P" >"$W/inst" 2>&1; then
        absent=""
        for f in $files; do [ -f "$P/$f" ] || absent="$absent $f"; done
        if [ -z "$absent" ] && [ -x "$P/bin/minivmm" ] && "$P/bin/minivmm" --version >/dev/null &&
                cmp -s "$P/share/minivmm/guest.bin" "$GUEST" &&
                "$P/bin/minivmm-mkdisk" make "$W/inst.img" 128 >/dev/null &&
                "$P/bin/minivmm-mkdisk" pristine "$W/inst.img" >/dev/null 2>&1; then
                ok make_install_puts_every_file_in_prefix
        else
                not_ok make_install_puts_every_file_in_prefix "missing:$absent"
        fi
        make --no-print-directory -s uninstall PREFIX="$P" >"$W/uninst" 2>&1
        left=$(cd "$P" && find . -type f | sort | tr '\n' ' ')
        if [ -z "$left" ] && [ ! -d "$P/share/minivmm" ]; then
                ok make_uninstall_removes_them
        else
                not_ok make_uninstall_removes_them "left behind: $left"
        fi
else
        not_ok make_install_puts_every_file_in_prefix "make install failed: $(tail -n 3 "$W/inst" | tr '\n' '|')"
        not_ok make_uninstall_removes_them "nothing installed"
fi

# --- a missing build package is named in one line ---------------------------------
mkdir -p "$W/noinclude"
out=$(make --no-print-directory all INCLUDEDIR="$W/noinclude" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] &&
        [[ "$out" == *"missing packages: linux-libc-dev libfdt-dev libcmocka-dev libseccomp-dev liburing-dev; run \`make deps\`"* ]]; then
        ok make_names_missing_packages_in_one_line
else
        not_ok make_names_missing_packages_in_one_line "status $rc, output: $(printf '%s' "$out" | head -n 3 | tr '\n' '|')"
fi

# --- the tree stands on its own ---------------------------------------------------
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        outside=$(git grep -n "share""d/" -- . 2>/dev/null | head -n 3)
        if [ -z "$outside" ]; then
                ok tree_refers_to_nothing_outside_it
        else
                not_ok tree_refers_to_nothing_outside_it "$(printf '%s' "$outside" | tr '\n' '|')"
        fi
else
        skip tree_refers_to_nothing_outside_it "not a git checkout"
fi

tap_end
