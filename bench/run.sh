#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# make bench [QUICK=1]: vni against bare, a network namespace behind veth and
# a bridge, and an LD_PRELOAD shim, all in one run, interleaved, several
# rounds; then attach cost and connect rate at scale, and network namespaces
# for comparison. Everything runs in namespaces this script creates:
#   S  server netns          192.0.2.2  (veth to N)
#   N  the node              192.0.2.1; vni instance "bench" with VIP 10.10.0.1;
#                            10.10.0.2 on lo for the shim; bridge 172.31.0.1/24
#   C  a "container" netns   172.31.0.2 behind veth + bridge in N (routed)
#   and IPv6 between S and N (2001:db8:2::2 and ::1) for the node's own v6
# "no vni": the node with vni's node-wide programs (the guard on the cgroup2
# root, the receive filter, the LSM program) taken off for that run
# (bench/node_toggle.c), which "bare" runs with: what every process pays.
# Then bench/service.sh: service addresses (vnictl service) against one
# member's VIP, IPVS and haproxy, in namespaces of its own.
# Output: build/bench/results.md (tables) and build/bench/*.png (gnuplot).
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
B=$TOP/build
OUT=$B/bench
LG=$B/loadgen
QUICK=${QUICK:-}
if [ -n "$QUICK" ]; then
	ROUNDS=3 DUR=1 RR=5000 SCALE="1000" NETNS=200 APPLY=1000
else
	ROUNDS=5 DUR=3 RR=20000 SCALE="1000 10000" NETNS=1000 APPLY=10000
fi
ID=vb$$
CG2=$(awk '{ for (i = 1; i < NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' /proc/self/mountinfo)
export VNI_CGROUP_ROOT=$CG2/vni-bench-$ID VNI_BPFFS=/sys/fs/bpf/vni-bench-$ID
export VNI_STATE_DIR=$OUT/state-$ID VNI_HOSTS_FILE=$OUT/state-$ID/hosts
mkdir -p "$OUT"

ns() { local n=$1; shift; nsenter --net="/run/netns/$ID-$n" "$@"; }
vnictl() { ns N "$B/vnictl" "$@"; }
cleanup() {
	local n
	for n in S N C; do kill $(ip netns pids "$ID-$n" 2>/dev/null) 2>/dev/null; done
	vnictl down --force >/dev/null 2>&1
	for n in S N C $(seq "$NETNS" | sed "s/^/x/"); do ip netns del "$ID-$n" 2>/dev/null; done
	rm -rf "$VNI_BPFFS" "$VNI_BPFFS-off" "$OUT/state-$ID"
	# down leaves a root cgroup it did not make (the benches made it)
	find "$VNI_CGROUP_ROOT" -depth -type d -exec rmdir {} + 2>/dev/null
}
trap cleanup EXIT
die() { echo "bench: $*" >&2; exit 1; }

setup() {
	local n
	for n in S N C; do ip netns add "$ID-$n" || die "netns"; done
	ip link add s0 netns "$ID-S" type veth peer name n0 netns "$ID-N"
	ip link add c0 netns "$ID-C" type veth peer name nc netns "$ID-N"
	ns S sh -ec 'ip link set lo up; ip link set s0 up; ip addr add 192.0.2.2/24 dev s0
		ip -6 addr add 2001:db8:2::2/64 dev s0 nodad
		ip route add 10.10.0.0/16 via 192.0.2.1; ip route add 172.31.0.0/24 via 192.0.2.1'
	ns N sh -ec 'ip link set lo up; ip link set n0 up; ip addr add 192.0.2.1/24 dev n0
		ip -6 addr add 2001:db8:2::1/64 dev n0 nodad
		ip addr add 10.10.0.2/32 dev lo; sysctl -qw net.ipv4.ip_forward=1
		ip link add br0 type bridge; ip link set br0 up; ip addr add 172.31.0.1/24 dev br0
		ip link set nc master br0 up'
	ns C sh -ec 'ip link set lo up; ip link set c0 up; ip addr add 172.31.0.2/24 dev c0
		ip route add default via 172.31.0.1'
	vnictl attach --cgroup bench --vip 10.10.0.1 >/dev/null || die "attach"
	for m in server-accept:5001 server-echo:5002 server-udp:5003; do
		ns S "$LG" "${m%:*}" 192.0.2.2 "${m#*:}" >"$OUT/$m.out" 2>&1 &
	done
	for m in server-accept:5011 server-udp:5013; do
		ns S "$LG" "${m%:*}" 2001:db8:2::2 "${m#*:}" >"$OUT/$m.out" 2>&1 &
	done
	for m in 5001 5002 5003 5011 5013; do
		until grep -q READY "$OUT/"*":$m.out" 2>/dev/null; do sleep 0.05; done
	done
}

# how each configuration runs a client
client() { # config loadgen-args...
	local c=$1
	shift
	case $c in
	none) ns N "$LG" "$@" ;;
	bare) ns N "$LG" "$@" ;;
	vni) ns N sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$VNI_CGROUP_ROOT/bench" "$LG" "$@" ;;
	netns) ns C "$LG" "$@" ;;
	preload) ns N env LD_PRELOAD="$B/preload_shim.so" VNI_SHIM_ADDR=10.10.0.2 "$LG" "$@" ;;
	esac
}
. "$(dirname "$0")/stats.sh"

WORKLOADS="connect1 connect2 rr udp bind"
CONFIGS="none bare vni netns preload"
run_workload() { # config workload -> the one number
	if [ "$1" = none ]; then
		mkdir -p "$VNI_BPFFS-off"
		"$B/node_toggle" off "$VNI_BPFFS" "$VNI_BPFFS-off" || die "node_toggle off"
		run_workload1 "$@"
		"$B/node_toggle" on "$VNI_BPFFS" "$VNI_BPFFS-off" || die "node_toggle on"
	else
		run_workload1 "$@"
	fi
}
run_workload1() {
	case $2 in
	connect1) client "$1" connect -d "$DUR" -t 1 192.0.2.2 5001 | value rate ;;
	connect2) client "$1" connect -d "$DUR" -t 2 192.0.2.2 5001 | value rate ;;
	rr) client "$1" rr -n "$RR" 192.0.2.2 5002 | awk '{ print $1 " " $2 }' ;;
	udp) client "$1" udp -d "$DUR" 192.0.2.2 5003 | value rate ;;
	bind) client "$1" bind -d "$DUR" | value rate ;;
	esac
}


setup
echo "== comparison: $ROUNDS rounds, interleaved" >&2
: >"$OUT/raw"
for r in $(seq "$ROUNDS"); do
	for w in $WORKLOADS; do
		for c in $CONFIGS; do
			echo "$c $w $(run_workload "$c" "$w")" >>"$OUT/raw"
		done
	done
done

{
	echo "machine: $(nproc) CPUs, $(uname -r), $(date -u +%F)"
	echo
	echo "| workload | no vni | bare | vni | netns+veth | LD_PRELOAD | vni / bare | netns / bare | bare / no vni |"
	echo "|---|---|---|---|---|---|---|---|---|"
	for w in connect1 connect2 udp bind; do
		row="| $w"
		for c in $CONFIGS; do
			m=$(awk -v c=$c -v w=$w '$1 == c && $2 == w { print $3 }' "$OUT/raw" | median)
			s=$(awk -v c=$c -v w=$w '$1 == c && $2 == w { print $3 }' "$OUT/raw" | spread)
			eval "m_$c=$m"
			row="$row | $m ($s)"
		done
		echo "$row | $(ratio "$m_vni" "$m_bare") | $(ratio "$m_netns" "$m_bare") | $(ratio "$m_bare" "$m_none") |"
	done
	for p in 3 4; do
		row="| rr $([ $p = 3 ] && echo p50 || echo p99) (us)"
		for c in $CONFIGS; do
			m=$(awk -v c=$c '$1 == c && $2 == "rr" { print $'$p' }' "$OUT/raw" | sed 's/.*=//' | median)
			eval "m_$c=$m"
			row="$row | $m"
		done
		echo "$row | $(ratio "$m_vni" "$m_bare") | $(ratio "$m_netns" "$m_bare") | $(ratio "$m_bare" "$m_none") |"
	done
} >"$OUT/results.md"

# What the kernel alone costs a send from the VIP: a v4 VIP is a local route,
# and the kernel checks a source a program set (or a socket is bound to) by
# a lookup in its local table when the address is not in its address hash.
# The same instance with the VIP also as an address on lo, interleaved with
# bare and vni as they are (docs/benchmarks.md, seventh pass).
echo "== UDP send: the VIP as a route and as an address" >&2
: >"$OUT/srccheck"
for r in $(seq "$ROUNDS"); do
	echo "bare $(run_workload bare udp)" >>"$OUT/srccheck"
	echo "route $(run_workload vni udp)" >>"$OUT/srccheck"
	ns N ip addr add 10.10.0.1/32 dev lo || die "address"
	echo "address $(run_workload vni udp)" >>"$OUT/srccheck"
	ns N ip addr del 10.10.0.1/32 dev lo || die "address"
done
{
	for c in bare route address; do
		eval "s_$c=$(awk -v c=$c '$1 == c { print $2 }' "$OUT/srccheck" | median)"
	done
	echo
	echo "| UDP send, the kernel's check of a VIP source | bare | vni (VIP: a local route) | vni, VIP also an address on lo | route / bare | address / bare |"
	echo "|---|---|---|---|---|---|"
	echo "| sends/s | $s_bare | $s_route | $s_address | $(ratio "$s_route" "$s_bare") | $(ratio "$s_address" "$s_bare") |"
} >>"$OUT/results.md"

# The receive filter (sk_lookup) runs for every connection and datagram that
# reaches the node's namespace, the node's own included: the node's own
# servers, with and without it, clients in S, interleaved.
echo "== receive filter" >&2
ns N "$LG" server-accept 192.0.2.1 5011 >"$OUT/server-accept:5011.out" 2>&1 &
until grep -q READY "$OUT/server-accept:5011.out" 2>/dev/null; do sleep 0.05; done
lookup() { # on|off
	if [ "$1" = off ]; then rm -f "$VNI_BPFFS"/lookup/*; else vnictl init >/dev/null || die "init"; fi
}
udp_sink() {
	local f=$OUT/udp-sink.out
	ns N "$LG" udp-sink -d "$DUR" 192.0.2.1 5012 >"$f" 2>&1 &
	until grep -q READY "$f" 2>/dev/null; do sleep 0.05; done
	ns S "$LG" udp -d "$((DUR + 1))" 192.0.2.1 5012 >/dev/null
	wait $!
	value rate <"$f"
}
: >"$OUT/lookup"
for r in $(seq "$ROUNDS"); do
	for st in off on; do
		lookup $st
		echo "$st connect $(ns S "$LG" connect -d "$DUR" -t 1 192.0.2.1 5011 | value rate)" >>"$OUT/lookup"
		echo "$st udp $(udp_sink)" >>"$OUT/lookup"
	done
done
lookup on
{
	echo
	echo "| the node's own traffic into its namespace | no sk_lookup | vni's sk_lookup | with / without |"
	echo "|---|---|---|---|"
	for w in connect udp; do
		off=$(awk -v w=$w '$1 == "off" && $2 == w { print $3 }' "$OUT/lookup" | median)
		on=$(awk -v w=$w '$1 == "on" && $2 == w { print $3 }' "$OUT/lookup" | median)
		offs=$(awk -v w=$w '$1 == "off" && $2 == w { print $3 }' "$OUT/lookup" | spread)
		ons=$(awk -v w=$w '$1 == "on" && $2 == w { print $3 }' "$OUT/lookup" | spread)
		label=$([ $w = connect ] && echo "TCP connect/accept/close per s" || echo "UDP datagrams received per s")
		echo "| $label | $off ($offs) | $on ($ons) | $(ratio "$on" "$off") |"
	done
} >>"$OUT/results.md"

echo "== scale" >&2
# The node's own IPv6, outside any instance, with no source of its own: the
# kernel picks one among every IPv6 address of the namespace (a v6 VIP is
# one) -> "udp connect". First: the connect rates below all come after it.
node6() {
	echo "$(for r in $(seq "$ROUNDS"); do ns N "$LG" udp -d "$DUR" 2001:db8:2::2 5013 | value rate; done | median)" \
		"$(for r in $(seq "$ROUNDS"); do ns N "$LG" connect -d "$DUR" -t 1 2001:db8:2::2 5011 | value rate; done | median)"
}
read -r v6u_1 v6c_1 <<<"$(node6)"
base=$(for r in $(seq "$ROUNDS"); do run_workload vni connect1; done | median)
echo "connect1 vni 1 $base" >"$OUT/scale"
# attach_bench N FIRST: N attaches through the library, instances FIRST..
attach_bench() { ns N env VNI_CGROUP_ROOT="$VNI_CGROUP_ROOT" "$B/attach_bench" "$@"; }
# the whole command, process start included: p50 of CMD_N vnictl attach, then
# of the detach of the same (timed in one shell of the node, no fork counted)
CMD_N=20
cli_p50() { # tag first -> "attach_p50_us detach_p50_us"
	ns N env B="$B" TAG="$1" FIRST="$2" N="$CMD_N" bash -c '
		for i in $(seq "$FIRST" $((FIRST + N - 1))); do
			t0=${EPOCHREALTIME/./}
			"$B/vnictl" attach --cgroup "$TAG-$i" --vip "10.201.$((i / 250)).$((i % 250 + 1))" >/dev/null || exit 1
			echo "attach $(( ${EPOCHREALTIME/./} - t0 ))"
		done
		for i in $(seq "$FIRST" $((FIRST + N - 1))); do
			t0=${EPOCHREALTIME/./}
			"$B/vnictl" detach --cgroup "$TAG-$i" >/dev/null || exit 1
			echo "detach $(( ${EPOCHREALTIME/./} - t0 ))"
		done' >"$OUT/cli-$1" || die "vnictl attach/detach at $1"
	echo "$(awk '$1 == "attach" { print $2 }' "$OUT/cli-$1" | median) $(awk '$1 == "detach" { print $2 }' "$OUT/cli-$1" | median)"
}
# small node: attaches 1..100 (the "bench" instance is there too)
small=$(attach_bench 100 2) || die "attach_bench"
total=100
read -r cli_small_a cli_small_d <<<"$(cli_p50 small 1)"
{
	echo
	echo "| instances | attach mean (us) | attach p50 | attach p99 | kernel kB per instance | connect/s in one instance | vs 1 instance |"
	echo "|---|---|---|---|---|---|---|"
	echo "| 1 | | | | | $base | 1.000 |"
	for n in $SCALE; do
		# up to n - 100, then the last 100 measured: the cost at n
		[ $((n - 100 - total)) -gt 0 ] && { attach_bench $((n - 100 - total)) $((total + 2)) >/dev/null || die "attach_bench"; }
		out=$(attach_bench 100 $((n - 100 + 2))) || die "attach_bench"
		total=$n
		rate=$(for r in $(seq "$ROUNDS"); do run_workload vni connect1; done | median)
		echo "connect1 vni $n $rate" >>"$OUT/scale"
		echo "| $n | $(echo "$out" | value mean_us) | $(echo "$out" | value p50_us) | $(echo "$out" | value p99_us) | $(echo "$out" | value kb_per_instance) | $rate | $(ratio "$rate" "$base") |"
	done
	echo
	echo "(each row: attaches number n-99 to n, the node holding n-100 before them)"
} >>"$OUT/results.md"
read -r v6u_n v6c_n <<<"$(node6)"
# the same with the uplink's own addresses as its only candidates
ns N sysctl -qw net.ipv6.conf.n0.use_oif_addrs_only=1
read -r v6u_o v6c_o <<<"$(node6)"
ns N sysctl -qw net.ipv6.conf.n0.use_oif_addrs_only=0
{
	echo
	echo "| the node's own IPv6 (no instance, no bound source) | 1 instance | $total instances | $total / 1 | $total, use_oif_addrs_only=1 on n0 | that / 1 |"
	echo "|---|---|---|---|---|---|"
	echo "| UDP sends/s | $v6u_1 | $v6u_n | $(ratio "$v6u_n" "$v6u_1") | $v6u_o | $(ratio "$v6u_o" "$v6u_1") |"
	echo "| connects/s, 1 thread | $v6c_1 | $v6c_n | $(ratio "$v6c_n" "$v6c_1") | $v6c_o | $(ratio "$v6c_o" "$v6c_1") |"
} >>"$OUT/results.md"
read -r cli_large_a cli_large_d <<<"$(cli_p50 large 1001)"
big_p50=$(echo "$out" | value p50_us)
small_p50=$(echo "$small" | value p50_us)
t0=$(date +%s%N)
vnictl down --force >/dev/null || die "down"
t1=$(date +%s%N)
{
	echo
	echo "| attach at scale | 100 instances | $total instances | $total / 100 |"
	echo "|---|---|---|---|"
	echo "| library attach p50 (us) | $small_p50 | $big_p50 | $(ratio "$big_p50" "$small_p50" 2) |"
	echo "| vnictl attach p50 (us) | $cli_small_a | $cli_large_a | $(ratio "$cli_large_a" "$cli_small_a" 2) |"
	echo "| vnictl detach p50 (us) | $cli_small_d | $cli_large_d | $(ratio "$cli_large_d" "$cli_small_d" 2) |"
	echo
	echo "vnictl down of $((total + 1)) instances: $(awk -v t=$((t1 - t0)) 'BEGIN { printf "%.2f", t / 1e9 }') s"
} >>"$OUT/results.md"

# Kernel memory per instance by part (bench/mem_bench.c): empty cgroups,
# the programs linked to them, the map entries of each; the maps themselves
# are made once, for up to VNI_MAX_* entries.
echo "== memory per instance" >&2
mem=$(ns N env VNI_CGROUP_ROOT="$VNI_CGROUP_ROOT" "$B/mem_bench" "$NETNS")
[ -n "$mem" ] && {
	echo
	echo "| kernel memory, $NETNS instances | kB per instance | share |"
	echo "|---|---|---|"
	echo "$mem" | awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
		END {
			t = v["cgroup_kb"] + v["links_kb"] + v["entries_kb"]
			printf "| the cgroup (mkdir) | %.1f | %.0f%% |\n", v["cgroup_kb"], 100 * v["cgroup_kb"] / t
			printf "| programs linked (bpf_links, program arrays, cgroup storage) | %.1f | %.0f%% |\n", v["links_kb"], 100 * v["links_kb"] / t
			printf "| map entries (record, owners of 3 addresses) | %.1f | %.0f%% |\n", v["entries_kb"], 100 * v["entries_kb"] / t
			printf "| total | %.1f | |\n", t
			printf "\nvni'"'"'s maps, whatever the number of instances (memlock): %d kB\n", v["maps_kb"]
		}'
} >>"$OUT/results.md"

echo "== apply" >&2
{
	echo
	echo "| vnictl apply: instances | on an empty node (s) | the same file again (s) | list --json applied (s) | '[]': all detached (s) | vnictl down of them (s) | drift after |"
	echo "|---|---|---|---|---|---|---|"
	"$TOP/bench/apply.sh" "$APPLY"
} >>"$OUT/results.md"

echo "== network namespaces for comparison" >&2
kb() { awk '/^(Slab|Percpu):/ { s += $2 } END { print s }' /proc/meminfo; }
before=$(kb)
t0=$(date +%s%N)
for i in $(seq "$NETNS"); do
	ip netns add "$ID-x$i" && ip link add "vx$i" type veth peer name eth0 netns "$ID-x$i"
done
t1=$(date +%s%N)
after=$(kb)
{
	echo
	echo "| $NETNS network namespaces, veth each | time per namespace (us) | kernel kB per namespace |"
	echo "|---|---|---|"
	echo "| ip netns add + ip link add veth | $(((t1 - t0) / 1000 / NETNS)) | $(awk -v a="$after" -v b="$before" -v n="$NETNS" 'BEGIN { printf "%.1f", (a - b) / n }') |"
} >>"$OUT/results.md"
for i in $(seq "$NETNS"); do ip link del "vx$i" 2>/dev/null; done

QUICK=$QUICK "$TOP/bench/service.sh" >/dev/null || echo "bench: bench/service.sh failed" >&2

if command -v gnuplot >/dev/null; then
	for c in $CONFIGS; do
		echo "$c $(awk -v c=$c '$1 == c && $2 == "connect1" { print $3 }' "$OUT/raw" | median)"
	done >"$OUT/connect.dat"
	gnuplot -e "set terminal pngcairo size 800,450; set output '$OUT/connect.png';
		set title 'TCP connect/accept/close per second, 1 client thread (median)';
		set style fill solid 0.6; set boxwidth 0.5; set yrange [0:*]; set ylabel 'connects/s';
		plot '$OUT/connect.dat' using 0:2:xtic(1) with boxes notitle"
	awk '{ print $3, $4 }' "$OUT/scale" >"$OUT/scale.dat"
	gnuplot -e "set terminal pngcairo size 800,450; set output '$OUT/scale.png';
		set title 'TCP connect rate inside one instance'; set logscale x; set yrange [0:*];
		set xlabel 'instances attached'; set ylabel 'connects/s';
		plot '$OUT/scale.dat' using 1:2 with linespoints notitle" 2>/dev/null
fi
cat "$OUT/results.md"
