#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Installs what vni needs to build and test on Debian 12, as root (systemd:
# the VM boots it as PID 1 for the unit tests, tests/vm/systemd.sh).
# Fast when everything is already there (no apt-get call at all).
set -e
PKGS="make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libmnl-dev
libsqlite3-dev libjson-c-dev libinih-dev libcurl4-openssl-dev libcmocka-dev libcap-dev iproute2 util-linux procps
python3 curl tmux dnsmasq-base sqlite3
criu iptables qemu-system-x86 busybox-static kmod cpio
gnuplot-nox libclang-rt-14-dev
debhelper dpkg-dev fakeroot lintian
systemd"
# Test-only: the stock servers tests/t_apps.sh starts in instances (node and
# java come from Debian only where there are none yet)
TEST_PKGS="nginx-light redis-server openssh-server haproxy memcached postgresql strace etcd-server etcd-client"
# Bench-only: IPVS's admin tool, a baseline for service addresses (bench/service.sh)
BENCH_PKGS="ipvsadm"
command -v node >/dev/null 2>&1 || TEST_PKGS="$TEST_PKGS nodejs"
command -v java >/dev/null 2>&1 || TEST_PKGS="$TEST_PKGS default-jdk-headless"

missing=$(for p in $PKGS $TEST_PKGS $BENCH_PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
done)
[ -z "$missing" ] && [ "${1:-}" != "--force" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:" $missing "(run as root to install them)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends $PKGS $TEST_PKGS $BENCH_PKGS
