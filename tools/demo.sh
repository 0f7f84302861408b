#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A quick demo of one instance with a VIP, run in two network namespaces of
# its own ("node" runs vni, "peer" is another host across a veth) with its own
# cgroup root, bpffs dir and state dir; everything is removed at the end.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
VNICTL=$TOP/build/vnictl
PROBE=$TOP/build/sockprobe
[ "$(id -u)" = 0 ] || { echo "demo: run as root" >&2; exit 1; }

ID=vni-demo-$$
TMP=$(mktemp -d /tmp/vni-demo.XXXXXX)
CG2=$(awk '{ for (i = 1; i < NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' /proc/self/mountinfo)
export VNI_CGROUP_ROOT=$CG2/$ID VNI_BPFFS=/sys/fs/bpf/$ID VNI_STATE_DIR=$TMP/state VNI_HOSTS_FILE=$TMP/hosts

on_node() { nsenter --net="/run/netns/$ID-node" "$@"; }
on_peer() { nsenter --net="/run/netns/$ID-peer" "$@"; }
vnictl() { on_node "$VNICTL" "$@"; }
in_web() { on_node sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$VNI_CGROUP_ROOT/web" "$@"; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@" || true; }

cleanup() {
	local pids
	pids=$(ip netns pids "$ID-node" 2>/dev/null; ip netns pids "$ID-peer" 2>/dev/null)
	[ -n "$pids" ] && kill $pids 2>/dev/null
	vnictl down --force >/dev/null 2>&1 || true
	ip netns del "$ID-node" 2>/dev/null || true
	ip netns del "$ID-peer" 2>/dev/null || true
	rm -rf "$TMP" "$VNI_BPFFS"
}
trap cleanup EXIT

say "two hosts: node (192.0.2.1, runs vni) and peer (192.0.2.2)"
ip netns add "$ID-node"
ip netns add "$ID-peer"
ip link add name vn0 netns "$ID-node" type veth peer name vp0 netns "$ID-peer"
on_node sh -ec 'ip link set lo up; ip link set vn0 up; ip addr add 192.0.2.1/24 dev vn0'
on_peer sh -ec 'ip link set lo up; ip link set vp0 up; ip addr add 192.0.2.2/24 dev vp0
	ip route add 10.10.0.0/24 via 192.0.2.1'

say "attach an instance 'web' with VIP 10.10.0.1"
run vnictl attach --cgroup web --vip 10.10.0.1
run vnictl list

say "a server in the instance listens on 0.0.0.0:8080 ..."
exec {srv}< <(in_web "$PROBE" -t 20 listen 0.0.0.0 8080 2>&1)
read -r -t 10 -u "$srv" line && echo "server: $line   <- the wildcard bind landed on the VIP"

say "... the peer reaches it at the VIP, not at the node's own address"
run on_peer "$PROBE" -t 5 connect 192.0.2.1 8080
run on_peer "$PROBE" -t 5 connect 10.10.0.1 8080
read -r -t 5 -u "$srv" line && echo "server: $line"

say "a client in the instance connects out: the peer sees the VIP"
exec {peer}< <(on_peer "$PROBE" -t 20 listen 0.0.0.0 9000 2>&1)
read -r -t 10 -u "$peer" line
in_web "$PROBE" -t 5 connect 192.0.2.2 9000 >/dev/null || true
read -r -t 5 -u "$peer" line && echo "peer: $line"

say "binding the node's address from inside is refused, and vnictl monitor sees it"
exec {mon}< <(vnictl monitor 2>&1)
read -r -t 10 -u "$mon" line # "vnictl: monitoring refusals"
run in_web "$PROBE" bind 192.0.2.1 80
read -r -t 5 -u "$mon" line && echo "monitor: $line"

say "the state and the kernel agree"
run vnictl check

say "the translation tables, straight from the pinned maps"
run vnictl show --cgroup web
run bpftool map dump pinned "$VNI_BPFFS/maps/vni_inst"

say "detach and unload"
run vnictl detach --cgroup web
run vnictl down
