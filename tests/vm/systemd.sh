#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The systemd units for real (make test runs it after the VM suite): two
# boots of the VM with systemd as PID 1 over one state dir, one /etc/vni and
# one /etc/systemd/system, all three shared from a directory made here and
# removed after. Boot 1 installs and uses the units, boot 2 is the reboot
# (tests/vm/systemd-boot.sh says what each checks).
#   tests/vm/systemd.sh [--kernel 6.1]
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
[ "$(id -u)" = 0 ] || { echo "tests/vm/systemd.sh: must run as root" >&2; exit 1; }
mkdir -p build/vm
D=$(mktemp -d "$TOP/build/vm/systemd.XXXXXX") || exit 1
trap 'rm -rf "$D"' EXIT
mkdir -p "$D/state" "$D/conf" "$D/units"
# the units as 'make install' makes them, with this checkout's vnictl
for u in vni.service vni@.service vni-agent.service; do
	sed "s|@SBINDIR@|$TOP/build|g" "systemd/$u.in" >"$D/units/$u" || exit 1
done
shares=(--rw "$D/state:/var/lib/vni" --rw "$D/conf:/etc/vni" --rw "$D/units:/etc/systemd/system")
status=0
for boot in 1 2; do
	echo "== systemd in the VM, boot $boot"
	tools/vmrun.sh "$@" --systemd "${shares[@]}" -- tests/vm/systemd-boot.sh "$boot" || status=1
	[ $status = 0 ] || break
done
exit $status
