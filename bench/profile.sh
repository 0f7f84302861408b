#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# bench/profile.sh [SECONDS]: what each vni program costs per call in the
# per-call workloads of bench/run.sh (UDP send, bind+listen+close, connect),
# from the kernel's BPF statistics (kernel.bpf_stats_enabled=1; run_time_ns
# and run_cnt of each program, whose own cost is included), for a client
# outside any instance ("bare") and one inside an instance ("vni").
# The same namespaces as bench/run.sh: S the server, N the node.
# STATS=0: the rates only (the statistics add about 60 ns to each program
# run). VNICTL=PATH: another build of vnictl, whose embedded BPF objects
# are loaded instead (to compare two builds). ROUNDS=N (with WORKLOADS="udp
# bind connect", any of them): the workloads N times over, then per workload
# the median (min-max) of the rounds' vni/bare, a ratio that small changes
# show through this machine's noise (docs/benchmarks.md, sixth pass).
# VIP_ADDR=1: the VIP also as an address on lo, for the kernel to check a
# source set to it in its address hash rather than by a lookup in the local
# routing table (a v4 VIP is a local route: docs/benchmarks.md, seventh pass).
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
B=$TOP/build
VNICTL=${VNICTL:-$B/vnictl}
LG=$B/loadgen
DUR=${1:-2}
ID=vp$$
CG2=$(awk '{ for (i = 1; i < NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' /proc/self/mountinfo)
export VNI_CGROUP_ROOT=$CG2/vni-prof-$ID VNI_BPFFS=/sys/fs/bpf/vni-prof-$ID
export VNI_STATE_DIR=/tmp/vni-prof-$ID VNI_HOSTS_FILE=/tmp/vni-prof-$ID/hosts
ns() { local n=$1; shift; nsenter --net="/run/netns/$ID-$n" "$@"; }
old_stats=$(sysctl -n kernel.bpf_stats_enabled)
cleanup() {
	sysctl -qw kernel.bpf_stats_enabled="$old_stats"
	[ "${VIP_ADDR:-0}" = 1 ] && ns N ip addr del 10.10.0.1/32 dev lo 2>/dev/null
	for n in S N; do kill $(ip netns pids "$ID-$n" 2>/dev/null) 2>/dev/null; done
	ns N "$VNICTL" down --force >/dev/null 2>&1
	for n in S N; do ip netns del "$ID-$n" 2>/dev/null; done
	rm -rf "$VNI_BPFFS" "$VNI_STATE_DIR"
}
trap cleanup EXIT
for n in S N; do ip netns add "$ID-$n"; done
ip link add s0 netns "$ID-S" type veth peer name n0 netns "$ID-N"
ns S sh -ec 'ip link set lo up; ip link set s0 up; ip addr add 192.0.2.2/24 dev s0
	ip route add 10.10.0.0/16 via 192.0.2.1'
ns N sh -ec 'ip link set lo up; ip link set n0 up; ip addr add 192.0.2.1/24 dev n0'
mkdir -p "$VNI_STATE_DIR"
ns N "$VNICTL" attach --cgroup prof --vip 10.10.0.1 >/dev/null || exit 1
if [ "${VIP_ADDR:-0}" = 1 ]; then ns N ip addr add 10.10.0.1/32 dev lo || exit 1; fi
ns S "$LG" server-accept 192.0.2.2 5001 >/dev/null 2>&1 &
ns S "$LG" server-udp 192.0.2.2 5003 >/dev/null 2>&1 &
sleep 0.5
# STATS=0: rates only, without the statistics' own cost
sysctl -qw kernel.bpf_stats_enabled="${STATS:-1}"

# "id name run_time_ns run_cnt" of every program pinned or linked by this vni
ids() {
	{ find "$VNI_BPFFS" -type f | while read -r f; do
		bpftool link show pinned "$f" 2>/dev/null | sed -n 's/.*prog \([0-9]*\).*/\1/p'
		bpftool prog show pinned "$f" 2>/dev/null | sed -n 's/^\([0-9]*\):.*/\1/p'
	done; } | sort -un
}
snap() {
	local id
	for id in $IDS; do
		# (no run_time_ns and run_cnt until the program has run)
		bpftool prog show id "$id" | awk -v id="$id" 'NR == 1 {
			for (i = 1; i < NF; i++) { if ($i == "name") n = $(i + 1); if ($i == "run_time_ns") t = $(i + 1); if ($i == "run_cnt") c = $(i + 1) }
			print id, n, t + 0, c + 0 }'
	done
}
IDS=$(ids)
client() {
	case $1 in
	bare) ns N "$LG" "${@:2}" ;;
	vni) ns N sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$VNI_CGROUP_ROOT/prof" "$LG" "${@:2}" ;;
	esac
}
. "$TOP/bench/stats.sh"
: >"$VNI_STATE_DIR/rates"
for r in $(seq "${ROUNDS:-1}"); do
	for w in ${WORKLOADS:-udp bind connect}; do
		for c in bare vni; do
			case $w in
			udp) args="udp -d $DUR 192.0.2.2 5003" ;;
			bind) args="bind -d $DUR" ;;
			connect) args="connect -d $DUR -t 1 192.0.2.2 5001" ;;
			esac
			a=$(snap)
			out=$(client $c $args)
			z=$(snap)
			ops=$(echo "$out" | sed -n 's/.*\bn=\([0-9]*\).*/\1/p')
			rate=$(echo "$out" | sed -n 's/.*\brate=\([0-9.]*\).*/\1/p')
			echo "== $w $c: rate $rate/s"
			echo "$r $w $c $rate" >>"$VNI_STATE_DIR/rates"
			join <(echo "$a" | sort) <(echo "$z" | sort) | awk -v ops="${ops:-0}" '
				{ n = $7 - $4; t = $6 - $3 }
				n > 0 { printf "  %-22s %8.1f ns/call %6.2f calls/op\n", $2, t / n, ops ? n / ops : 0 }'
		done
	done
done
[ "${ROUNDS:-1}" -gt 1 ] || exit 0
for w in ${WORKLOADS:-udp bind connect}; do
	# each round's vni / bare
	awk -v w="$w" '$2 == w { v[$1 " " $3] = $4; r[$1] = 1 }
		END { for (i in r) if (v[i " bare"] > 0) printf "%.3f\n", v[i " vni"] / v[i " bare"] }' \
		"$VNI_STATE_DIR/rates" >"$VNI_STATE_DIR/ratios"
	echo "$w: vni / bare $(median <"$VNI_STATE_DIR/ratios") ($(spread <"$VNI_STATE_DIR/ratios")), $ROUNDS rounds"
done
