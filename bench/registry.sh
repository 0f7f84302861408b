#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# make bench, part 2: attach with the local and the etcd registry, in one run.
# A single etcd member (Debian's etcd-server) in a namespace E, nodes a and
# b in N and N2, each behind a veth to a bridge in E. Prints a Markdown table; appends it to
# build/bench/results.md.
#   - attach p50/p99 (attach_bench, the library's attach without process
#     start-up), local and etcd, interleaved rounds;
#   - allocation throughput: 2 nodes x 4 concurrent callers on one etcd;
#   - attach with 0, 1,000 and 10,000 instances of another node already in
#     the registry (bench/prefill.py): flat if no attach scans it.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
B=$TOP/build
OUT=$B/bench
QUICK=${QUICK:-}
if [ -n "$QUICK" ]; then
	ROUNDS=2 N=100 SIZES="0 1000"
else
	ROUNDS=3 N=300 SIZES="0 1000 10000"
fi
ID=vr$$
CG2=$(awk '{ for (i = 1; i < NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' /proc/self/mountinfo)
ETCD=192.0.2.2:2379
mkdir -p "$OUT"
die() { echo "bench: $*" >&2; exit 1; }
command -v etcd >/dev/null || die "etcd not installed (apt-get install etcd-server)"
ns() { local n=$1; shift; nsenter --net="/run/netns/$ID-$n" "$@"; }
# on a|b CMD...: on node a (namespace N) or b (N2), the registry from REG
on() {
	local h=$1
	shift
	ns "$([ "$h" = a ] && echo N || echo N2)" env VNI_NODE="$h" VNI_REGISTRY="$REG" VNI_CGROUP_ROOT="$CG2/vni-rbench-$ID-$h" \
		VNI_BPFFS="/sys/fs/bpf/vni-rbench-$ID-$h" VNI_STATE_DIR="$OUT/rstate-$ID-$h" \
		VNI_HOSTS_FILE="$OUT/rstate-$ID-$h/hosts" "$@"
}
reset() { local h; for h in a b; do on "$h" "$B/vnictl" down --force >/dev/null 2>&1; done; }
cleanup() {
	REG=local reset
	REG=etcd://$ETCD reset
	local n
	for n in N N2 E; do kill $(ip netns pids "$ID-$n" 2>/dev/null) 2>/dev/null; done
	sleep 0.2
	for n in N N2 E; do ip netns del "$ID-$n" 2>/dev/null; done
	rm -rf "$OUT/rstate-$ID-a" "$OUT/rstate-$ID-b" "$OUT/etcd-$ID" "/sys/fs/bpf/vni-rbench-$ID-a" "/sys/fs/bpf/vni-rbench-$ID-b"
}
trap cleanup EXIT
. "$(dirname "$0")/stats.sh"

for n in N N2 E; do ip netns add "$ID-$n" || die "netns"; done
ip link add n0 netns "$ID-N" type veth peer name e0 netns "$ID-E"
ip link add n0 netns "$ID-N2" type veth peer name e1 netns "$ID-E"
ns N sh -ec 'ip link set lo up; ip link set n0 up; ip addr add 192.0.2.1/24 dev n0'
ns N2 sh -ec 'ip link set lo up; ip link set n0 up; ip addr add 192.0.2.3/24 dev n0'
ns E sh -ec 'ip link set lo up; ip link add br0 type bridge; ip link set br0 up
	ip link set e0 master br0 up; ip link set e1 master br0 up; ip addr add 192.0.2.2/24 dev br0'
ns E etcd --name b --data-dir "$OUT/etcd-$ID" --listen-client-urls "http://$ETCD" \
	--advertise-client-urls "http://$ETCD" --listen-peer-urls http://127.0.0.1:2380 \
	--initial-advertise-peer-urls http://127.0.0.1:2380 --initial-cluster b=http://127.0.0.1:2380 \
	--quota-backend-bytes 1073741824 >"$OUT/etcd-$ID.log" 2>&1 &
for i in $(seq 100); do
	ETCDCTL_API=3 ns N etcdctl --endpoints "$ETCD" --dial-timeout 1s endpoint health >/dev/null 2>&1 && break
	sleep 0.1
done

# one_run LABEL FILE: N attaches on node a with REG, "LABEL p50 p99" into FILE
one_run() {
	local out
	out=$(on a "$B/attach_bench" "$N" 1) || die "attach_bench ($1, $REG)"
	echo "$1 $(echo "$out" | value p50_us) $(echo "$out" | value p99_us)" >>"$2"
	reset
}
# col FILE LABEL COLUMN: the median of that column over the runs of LABEL
col() { awk -v k="$2" -v c="$3" '$1 == k { print $c }' "$1" | median; }

echo "== attach: local and etcd registry" >&2
: >"$OUT/registry.raw"
for r in $(seq "$ROUNDS"); do
	for REG in local "etcd://$ETCD"; do one_run "${REG%%:*}" "$OUT/registry.raw"; done
done
lp50=$(col "$OUT/registry.raw" local 2) lp99=$(col "$OUT/registry.raw" local 3)
ep50=$(col "$OUT/registry.raw" etcd 2) ep99=$(col "$OUT/registry.raw" etcd 3)

echo "== throughput: 2 nodes x 4 callers" >&2
rate() { # registry -> attaches per second, 8 callers, N/4 attaches each
	local t0 t1 k pids=() each=$((N / 4))
	REG=$1
	t0=$(date +%s%N)
	for k in 0 1 2 3 4 5 6 7; do
		on $([ $k -lt 4 ] && echo a || echo b) "$B/attach_bench" "$each" $((1 + k * each)) >/dev/null &
		pids+=($!)
	done
	for k in "${pids[@]}"; do wait "$k" || die "attach_bench in parallel ($REG)"; done
	t1=$(date +%s%N)
	reset
	awk -v n=$((8 * each)) -v t=$((t1 - t0)) 'BEGIN { printf "%.0f", n / (t / 1e9) }'
}
lrate=$(rate local)
erate=$(rate "etcd://$ETCD")

echo "== attach against a registry of 0 to 10,000 instances" >&2
REG=etcd://$ETCD
have=0
: >"$OUT/registry.size"
for size in $SIZES; do
	[ "$size" -gt "$have" ] && { ns N python3 "$TOP/bench/prefill.py" "$ETCD" $((have + 1)) $((size - have)) || die "prefill"; }
	have=$size
	for r in $(seq "$ROUNDS"); do one_run "$size" "$OUT/registry.size"; done
done
sz() { col "$OUT/registry.size" "$1" "$2"; }
base=$(sz 0 2)

{
	echo
	echo "### Registries ($N attaches a run, median of $ROUNDS runs; etcd: one member behind a veth)"
	echo
	echo "| | local | etcd | etcd / local |"
	echo "|---|---|---|---|"
	echo "| attach p50 (us) | $lp50 | $ep50 | $(ratio "$ep50" "$lp50" 2) |"
	echo "| attach p99 (us) | $lp99 | $ep99 | $(ratio "$ep99" "$lp99" 2) |"
	echo "| attaches/s, 2 nodes x 4 callers | $lrate | $erate | $(ratio "$erate" "$lrate" 2) |"
	echo
	echo "| instances already in the etcd registry | attach p50 (us) | p99 (us) | p50 vs empty |"
	echo "|---|---|---|---|"
	for size in $SIZES; do
		echo "| $size | $(sz "$size" 2) | $(sz "$size" 3) | $(ratio "$(sz "$size" 2)" "$base" 2) |"
	done
} | tee -a "$OUT/results.md"
