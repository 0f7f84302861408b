#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs a command inside a VM booting Debian's packaged kernel, with this
# machine's root filesystem shared read-only (plus a writable tmpfs overlay),
# and passes the command's exit status back out.
#
#   tools/vmrun.sh [--kernel 6.1] [--mem MB] [--timeout SEC] [--systemd]
#                  [--rw HOSTDIR:GUESTDIR]... -- CMD [ARG...]
#
# --systemd boots systemd as PID 1 and runs CMD from a unit once
# multi-user.target is up (tools/vm/stage2-systemd), for tests of systemd
# units. --rw shares a directory of this machine writable at GUESTDIR,
# over whatever is there (what must outlive one boot: a state dir, unit
# files). The vng path ignores both.
#
# Uses vng (virtme-ng) when it is installed; otherwise qemu-system-x86_64 (TCG,
# or KVM with VNI_VM_ACCEL=kvm) with a kernel package it downloads with
# `apt-get download` and unpacks with `dpkg -x` into build/vm/ (never
# installed on this machine). The command runs as root in the project
# directory; its output is the VM's console.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
SERIES=6.1
MEM=2048
TIMEOUT=1500
INIT=
RW=()
while [ $# -gt 0 ]; do
	case $1 in
	--systemd) INIT=" vni.systemd systemd.show_status=error"; shift ;;
	--rw) RW+=("$2"); shift 2 ;;
	--kernel) SERIES=$2; shift 2 ;;
	--mem) MEM=$2; shift 2 ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	--) shift; break ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { echo "usage: tools/vmrun.sh [--kernel 6.1] [--mem MB] [--timeout SEC] [--systemd] [--rw HOSTDIR:GUESTDIR]... -- CMD [ARG...]" >&2; exit 2; }
die() { echo "vmrun: $*" >&2; exit 125; }
# the shares: qemu -virtfs options, and "tag:guestdir,..." for stage 1
RW_ARGS=()
RW_LIST=
for i in "${!RW[@]}"; do
	host=${RW[$i]%%:*} guest=${RW[$i]#*:}
	[[ ${RW[$i]} == *:/* && -d $host && $guest != *[,\ ]* ]] ||
		die "--rw ${RW[$i]}: give an existing HOSTDIR and an absolute GUESTDIR (no spaces or commas)"
	RW_ARGS+=(-virtfs "local,path=$host,mount_tag=vnirw$i,security_model=none")
	RW_LIST+=${RW_LIST:+,}vnirw$i:$guest
done
[ -n "$RW_LIST" ] && INIT+=" vni.rw=$RW_LIST"
[ "$(id -u)" = 0 ] || die "must run as root (the guest shares this machine's root filesystem)"

CACHE=$TOP/build/vm
mkdir -p "$CACHE"

# --- the kernel: newest linux-image-$SERIES.0-N-amd64-unsigned Debian has ---
find_kernel() {
	local pkg
	pkg=$(apt-cache search --names-only "^linux-image-${SERIES//./\\.}\.0-[0-9]+-amd64-unsigned\$" 2>/dev/null |
		awk '{ print $1 }' | sort -V | tail -n 1)
	[ -n "$pkg" ] || die "no Debian kernel package for $SERIES (is 'apt-get update' done? this needs Debian's archive)"
	KVER=${pkg#linux-image-}
	KVER=${KVER%-unsigned}
	KDIR=$CACHE/linux-$KVER
	if [ ! -e "$KDIR/.complete" ]; then
		echo "vmrun: fetching $pkg (unpacked into $KDIR, not installed)" >&2
		rm -rf "$KDIR" && mkdir -p "$KDIR/deb"
		(cd "$KDIR/deb" && apt-get download -q "$pkg" >/dev/null 2>&1) ||
			die "apt-get download $pkg failed"
		dpkg -x "$KDIR"/deb/*.deb "$KDIR/root"
		rm -rf "$KDIR/deb"
		depmod -b "$KDIR/root" "$KVER"
		touch "$KDIR/.complete"
	fi
}

# --- a tiny initramfs: busybox and the modules to mount the 9p root ---
STAGE1_MODS="virtio_pci 9pnet_virtio 9p overlay"
build_initramfs() {
	INITRD=$KDIR/initramfs.cpio.gz
	[ -e "$INITRD" ] && [ "$INITRD" -nt "$TOP/tools/vm/stage1-init" ] && return
	local dir=$KDIR/initramfs m ko
	rm -rf "$dir" && mkdir -p "$dir"/{bin,mods,proc,sys,dev,lower,upper,newroot}
	cp /bin/busybox "$dir/bin/busybox"
	cp "$TOP/tools/vm/stage1-init" "$dir/init"
	chmod 755 "$dir/init"
	: >"$dir/mods/order"
	for m in $STAGE1_MODS; do
		modprobe -d "$KDIR/root" -S "$KVER" --show-depends "$m" | awk '$1 == "insmod" { print $2 }' |
			while read -r ko; do
				grep -qx "$(basename "$ko")" "$dir/mods/order" && continue
				cp "$ko" "$dir/mods/"
				basename "$ko" >>"$dir/mods/order"
			done
	done
	(cd "$dir" && find . | cpio -o -H newc --quiet | gzip -1) >"$INITRD"
}

if command -v vng >/dev/null 2>&1; then
	exec vng --run "$SERIES" --disable-kvm --memory "${MEM}M" --exec "cd '$TOP' && $*"
fi
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
[ -x /bin/busybox ] && file -L /bin/busybox 2>/dev/null | grep -q static ||
	[ -x /bin/busybox ] || die "busybox not found (apt-get install busybox-static)"
find_kernel
build_initramfs

OUT=$(mktemp -d "$CACHE/run.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
cp "$TOP/tools/vm/stage2-init" "$TOP/tools/vm/stage2-systemd" "$OUT/"
printf '%q ' "$@" >"$OUT/cmd"
printf '%s\n' "$TOP" >"$OUT/top"

# TCG by default: it needs no /dev/kvm and behaves the same everywhere (nested
# KVM here aborts on an MSR); VNI_VM_ACCEL=kvm opts in.
ACCEL=${VNI_VM_ACCEL:-tcg}
CPU=max
set +e
timeout --foreground "$TIMEOUT" qemu-system-x86_64 \
	-accel "$ACCEL" -cpu "$CPU" -m "$MEM" -smp 2 \
	-nodefaults -no-reboot -display none \
	-kernel "$KDIR/root/boot/vmlinuz-$KVER" -initrd "$INITRD" \
	-append "console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init$INIT" \
	-chardev stdio,id=con,signal=off -serial chardev:con \
	-virtfs local,path=/,mount_tag=vniroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs local,path="$KDIR/root/lib/modules",mount_tag=vnimods,security_model=none,readonly=on \
	-virtfs local,path="$OUT",mount_tag=vniout,security_model=none "${RW_ARGS[@]}" </dev/null
qrc=$?
set -e
[ -f "$OUT/log" ] && cat "$OUT/log" # --systemd: the command's output
[ $qrc -eq 124 ] && die "the VM did not finish within $TIMEOUT s"
[ -s "$OUT/status" ] || die "the VM stopped without an exit status (qemu exit $qrc; see the console above)"
exit "$(cat "$OUT/status")"
