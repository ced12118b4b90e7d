#!/bin/bash
# linux: Linux's own virtio-blk driver (drivers/block/virtio_blk.c) against
# minivmm-vhost-user-blk, and the same checks against QEMU's
# qemu-storage-daemon as the reference, in the same run (docs/vhost-user.md).
# Front ends: User-Mode Linux (virtio_uml, the host's root as hostfs) and
# Debian's cloud kernel under QEMU TCG, -M q35 (vhost-user-blk-pci) and
# -M microvm,acpi=on (vhost-user-blk on virtio-mmio). In the guest
# (linux/guest-init): the GET_ID serial, dd with O_DIRECT read-back,
# mkfs.ext4, mount, files, sync, umount, e2fsck; on the host afterwards:
# e2fsck -fn and the files' checksums through debugfs. A read-only export:
# the flag, a refused write, mount -o ro, and the image byte-identical.
# Each backend serves every front end in turn on one image (reconnects;
# under q35 SeaBIOS starts and stops the queue first), and the guest's
# flushes must reach fdatasync on the host (strace). Every boot has a
# watchdog: a protocol hang looks like a guest hang.
# Without the packages (tools/install-deps) it says which and counts skips.
# TAP through tests/lib.sh, ending with "# linux: N passed, M failed[, K skipped]".
. "$(dirname "$0")/../lib.sh"
ROOT=$PWD
tap_begin linux

VU=$ROOT/minivmm-vhost-user-blk
QSD=qemu-storage-daemon
QEMU=qemu-system-x86_64
UML=linux.uml
BOOT_TIMEOUT=${LINUX_BOOT_TIMEOUT:-120} # seconds per boot; only a hang reaches it

KIMG=$(ls /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -n 1)
KVER=${KIMG#/boot/vmlinuz-}
missing=""
[ -x "$VU" ] || missing="$missing $VU(make)"
for c in "$QSD" "$QEMU" "$UML" strace cpio gzip debugfs; do
        command -v "$c" >/dev/null || missing="$missing $c"
done
[ -x /bin/busybox ] && [ -x /sbin/mke2fs ] && [ -x /sbin/e2fsck ] || missing="$missing busybox/e2fsprogs"
[ -n "$KIMG" ] && [ -d "/lib/modules/$KVER" ] || missing="$missing linux-image-cloud-amd64"
if [ -n "$missing" ]; then
        skip "linux" "missing:$missing (tools/install-deps installs them)"
        tap_end
fi

pids=()
stop_backends() {
        local p
        for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
        wait 2>/dev/null
}
if [ -n "${LINUX_KEEP:-}" ]; then
        W=$(mktemp -d /tmp/minivmm-linux.XXXXXX) # kept for a look afterwards
else
        tap_tmpdir
fi
on_exit stop_backends
head -c 1M /dev/urandom >"$W/pat"
PAT_MD5=$(md5sum <"$W/pat" | cut -d' ' -f1)

# --- the initramfs for QEMU: busybox, the virtio modules, e2fsprogs ---------
MODDIR=/lib/modules/$KVER/kernel/drivers
QMODS="$MODDIR/virtio/virtio_ring.ko $MODDIR/virtio/virtio.ko $MODDIR/virtio/virtio_pci_modern_dev.ko
$MODDIR/virtio/virtio_pci_legacy_dev.ko $MODDIR/virtio/virtio_pci.ko $MODDIR/virtio/virtio_mmio.ko
$MODDIR/block/virtio_blk.ko"
build_initramfs() {
        local r=$W/root f l
        mkdir -p "$r"/{bin,sbin,proc,sys,dev,mnt,tmp}
        cp /bin/busybox "$r/bin/busybox"
        for l in $(/bin/busybox --list); do
                [ -e "$r/bin/$l" ] || ln -s busybox "$r/bin/$l"
        done
        # e2fsprogs by full path (busybox's mke2fs would shadow it), with its libraries.
        for f in /sbin/mke2fs /sbin/e2fsck; do
                cp "$f" "$r/sbin/"
                for l in $(ldd "$f" | grep -oE '/[^ ]+'); do
                        mkdir -p "$r$(dirname "$l")"
                        cp -L "$l" "$r$l"
                done
        done
        for f in $QMODS; do
                mkdir -p "$r$(dirname "$f")"
                cp "$f" "$r$f"
        done
        cp "$ROOT/tests/suites/linux/guest-init" "$r/init"
        cp "$W/pat" "$r/pat"
        (cd "$r" && find . | cpio -o -H newc --quiet | gzip -1) >"$W/base.cpio.gz"
}
if ! build_initramfs 2>"$W/initramfs.err"; then
        not_ok "initramfs" "$(tail -n 1 "$W/initramfs.err")"
        tap_end
fi

# --- backends -----------------------------------------------------------------
# start_backend KIND NAME IMG RO: a backend on $W/NAME.sock; its pid in pids[].
start_backend() {
        local kind=$1 name=$2 img=$3 ro=$4 i
        rm -f "$W/$name.sock"
        if [ "$kind" = minivmm ]; then
                local spec=$img
                [ "$ro" = 1 ] && spec=$img,ro
                # strace counts the fdatasync calls; the backend's own pid is what pids[] gets.
                strace -qq -e trace=fdatasync -o "$W/$name.strace" sh -c 'echo $$ >"$1"; shift; exec "$@"' \
                        sh "$W/$name.pid" "$VU" --socket "$W/$name.sock" --disk "$spec" \
                        --serial "vt-$name" --stats 2>"$W/$name.backend" &
        else
                local w=on ro_opt=
                [ "$ro" = 1 ] && w=off ro_opt=,read-only=on
                "$QSD" --blockdev "driver=file,node-name=f,filename=$img$ro_opt" \
                        --export "type=vhost-user-blk,id=e,node-name=f,addr.type=unix,addr.path=$W/$name.sock,writable=$w" \
                        2>"$W/$name.backend" &
        fi
        pids+=($!)
        for ((i = 0; i < 200; i++)); do
                if [ -S "$W/$name.sock" ]; then
                        [ -s "$W/$name.pid" ] && pids+=("$(cat "$W/$name.pid")")
                        return 0
                fi
                sleep 0.05
        done
        return 1
}

# Stops every backend started so far (the image's lock is released) and waits for them.
stop_backends() {
        local p
        for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
        wait 2>/dev/null
        pids=()
}

# --- front ends -----------------------------------------------------------------
# write_conf DIR MODE SERIAL MODS PAT
write_conf() {
        printf 'MODE=%s\nSERIAL=%s\nMODS="%s"\nPAT=%s\n' "$2" "$3" "$4" "$5" >"$1/conf"
}

# boot FRONT SOCK MODE SERIAL LOG: one guest run under the watchdog; status in $rc.
boot() {
        local front=$1 sock=$2 mode=$3 serial=$4 log=$5 d
        case $front in
        uml)
                d=$W/uml.$RANDOM
                mkdir -p "$d"
                write_conf "$d" "$mode" "$serial" \
                        "/usr/lib/uml/modules/$($UML --version)/kernel/drivers/block/virtio_blk.ko" "$W/pat"
                # UML's memory file goes to TMPDIR: a tmpfs of its own in a private
                # mount namespace (as root), else /dev/shm; on a disk it is very slow.
                local run=(env TMPDIR=/dev/shm)
                if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
                        mkdir -p "$d/shm"
                        run=(unshare -m sh -c 'mount -t tmpfs -o size=1g tmpfs "$0" && TMPDIR=$0 exec "$@"' "$d/shm")
                fi
                timeout -k 5 "$BOOT_TIMEOUT" "${run[@]}" "$UML" mem=256M root=/dev/root rootfstype=hostfs rootflags=/ \
                        rw init="$ROOT/tests/suites/linux/guest-init" vt_dir="$d" con=null con0=fd:0,fd:1 \
                        "virtio_uml.device=$sock:2" </dev/null >"$log" 2>&1
                rc=$?
                ;;
        q35 | microvm)
                d=$W/conf.$RANDOM
                mkdir -p "$d"
                write_conf "$d" "$mode" "$serial" "$(echo $QMODS)" /pat
                (cd "$d" && echo conf | cpio -o -H newc --quiet | gzip -1) >"$d/conf.cpio.gz"
                cat "$W/base.cpio.gz" "$d/conf.cpio.gz" >"$d/initrd"
                # no_timer_check: under a loaded TCG the IO-APIC timer check can fail and panic.
                local m dev app="console=ttyS0 quiet panic=-1 no_timer_check rdinit=/init vt_dir=/"
                if [ "$front" = q35 ]; then
                        m=(-M q35 -numa node,memdev=mem)
                        dev=vhost-user-blk-pci
                else
                        m=(-M microvm,acpi=on,memory-backend=mem -global virtio-mmio.force-legacy=false)
                        dev=vhost-user-blk
                        app="$app tsc_early_khz=2100000"
                fi
                timeout -k 5 "$BOOT_TIMEOUT" "$QEMU" "${m[@]}" -accel tcg -m 256M \
                        -object memory-backend-memfd,id=mem,size=256M,share=on \
                        -nographic -no-user-config -serial stdio -monitor none -no-reboot \
                        -kernel "$KIMG" -initrd "$d/initrd" -append "$app" \
                        -chardev "socket,id=c0,path=$sock" -device "$dev,chardev=c0,num-queues=1" \
                        </dev/null >"$log" 2>&1
                rc=$?
                ;;
        esac
}

# guest_report TAG LOG: one line per guest check; the boot itself must have ended.
guest_report() {
        local tag=$1 log=$2 line
        if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
                not_ok "$tag" "no end within ${BOOT_TIMEOUT} s (hang); last line: $(tail -n 1 "$log")"
                return 1
        fi
        if ! grep -q '^vt: done' "$log"; then
                not_ok "$tag" "the guest did not finish (status $rc): $(grep -m 1 -iE 'panic|error|fail' "$log" || tail -n 1 "$log")"
                return 1
        fi
        while IFS= read -r line; do
                case $line in
                "vt: ok "*) ok "$tag: ${line#vt: ok }" ;;
                "vt: FAIL "*) not_ok "$tag" "${line#vt: FAIL }" ;;
                esac
        done < <(tr -d '\r' <"$log")
}

# host_check TAG IMG: the file system and the files, read on the host.
host_check() {
        local tag=$1 img=$2 got
        if e2fsck -fn "$img" >"$W/fsck.out" 2>&1; then
                ok "$tag: e2fsck -fn on the host"
        else
                not_ok "$tag: e2fsck -fn on the host" "$(tail -n 1 "$W/fsck.out")"
        fi
        for f in /pat /dir/pat2; do
                got=$(debugfs -R "cat $f" "$img" 2>/dev/null | md5sum | cut -d' ' -f1)
                if [ "$got" = "$PAT_MD5" ]; then
                        ok "$tag: $f intact on the host (debugfs)"
                else
                        not_ok "$tag: $f on the host" "md5 $got, want $PAT_MD5"
                fi
        done
}

read -r -a FRONTS <<<"${LINUX_FRONTS:-uml q35 microvm}" # LINUX_FRONTS: a subset, to debug one
start=$SECONDS
for kind in ${LINUX_BACKENDS:-minivmm qsd}; do
        img=$W/$kind.img
        truncate -s 64M "$img"
        if ! start_backend "$kind" "$kind-rw" "$img" 0; then
                not_ok "$kind" "backend did not listen: $(tail -n 1 "$W/$kind-rw.backend")"
                continue
        fi
        serial=
        [ "$kind" = minivmm ] && serial=vt-$kind-rw
        for front in "${FRONTS[@]}"; do
                t0=$SECONDS
                boot "$front" "$W/$kind-rw.sock" rw "$serial" "$W/$kind-$front.log"
                guest_report "$kind/$front" "$W/$kind-$front.log" &&
                        echo "# $kind/$front: $((SECONDS - t0)) s"
                host_check "$kind/$front" "$img"
        done
        if [ "$kind" = minivmm ]; then
                n=$(grep -c 'fdatasync(' "$W/$kind-rw.strace" 2>/dev/null)
                # One per disconnect; more only if the guests' flushes reached the image.
                if [ "${n:-0}" -gt "${#FRONTS[@]}" ]; then
                        ok "$kind: guest flushes reached fdatasync on the host ($n calls)"
                else
                        not_ok "$kind: guest flushes" "only ${n:-0} fdatasync calls for ${#FRONTS[@]} connections"
                fi
        fi
        stop_backends
        # The read-only export of the same image, from UML.
        sum=$(md5sum <"$img")
        if start_backend "$kind" "$kind-ro" "$img" 1; then
                boot uml "$W/$kind-ro.sock" ro "" "$W/$kind-ro.log"
                guest_report "$kind/uml read-only" "$W/$kind-ro.log"
                stop_backends
                if [ "$(md5sum <"$img")" = "$sum" ]; then
                        ok "$kind/uml read-only: image byte-identical"
                else
                        not_ok "$kind/uml read-only" "the image changed"
                fi
        else
                not_ok "$kind read-only" "backend did not listen: $(tail -n 1 "$W/$kind-ro.backend")"
        fi
        if [ "$kind" = minivmm ] && grep -q 'bad message\|sandbox' "$W/$kind-rw.backend"; then
                not_ok "$kind: backend log" "$(grep -m 1 'bad message\|sandbox' "$W/$kind-rw.backend")"
        fi
done
echo "# whole suite: $((SECONDS - start)) s"
tap_end
