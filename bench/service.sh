#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# make bench, service addresses (vnictl service, issue 16): three instances
# m1 m2 m3 serve the same port on their VIPs; a client in another namespace
# reaches them
#   direct   straight to m1's VIP              10.10.1.1
#   service  the vni service address           10.10.1.100 (sk_lookup picks a member)
#   ipvs     IPVS virtual server, rr, masquerade to the three VIPs  10.10.1.101
#   haproxy  haproxy in the node, mode tcp, roundrobin over the three VIPs  10.10.1.102
# interleaved, several rounds, median (min-max). Namespaces (made and removed
# here, also on failure):
#   N  the node   192.0.2.1 (veth to C); the instances; haproxy; IPVS
#   C  client     192.0.2.2, 10.10.0.0/16 via the node
# Workloads (bench/loadgen.c, 1 client thread): connect (connect/accept/close
# against server-accept), crr (connect, 1 byte each way, close, against
# server-echo), rr (request/response latency on one kept-alive connection).
# Run alone: QUICK=1 bench/service.sh; appends to build/bench/results.md.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
B=$TOP/build
OUT=$B/bench
LG=$B/loadgen
QUICK=${QUICK:-}
if [ -n "$QUICK" ]; then
	ROUNDS=3 DUR=1 RR=5000
else
	ROUNDS=5 DUR=3 RR=20000
fi
ID=vs$$
CG2=$(awk '{ for (i = 1; i < NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' /proc/self/mountinfo)
export VNI_CGROUP_ROOT=$CG2/vni-sbench-$ID VNI_BPFFS=/sys/fs/bpf/vni-sbench-$ID
export VNI_STATE_DIR=$OUT/sstate-$ID VNI_HOSTS_FILE=$OUT/sstate-$ID/hosts
MEMBERS="m1 m2 m3"
PA=7001 PE=7002 # accept-close server, echo server
mkdir -p "$OUT"

ns() { local n=$1; shift; nsenter --net="/run/netns/$ID-$n" "$@"; }
vnictl() { ns N "$B/vnictl" "$@"; }
in_inst() { local i=$1; shift; ns N sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$VNI_CGROUP_ROOT/$i" "$@"; }
cleanup() {
	local n
	for n in N C; do kill $(ip netns pids "$ID-$n" 2>/dev/null) 2>/dev/null; done
	sleep 0.2
	vnictl down --force >/dev/null 2>&1
	for n in N C; do ip netns del "$ID-$n" 2>/dev/null; done
	rm -rf "$VNI_BPFFS" "$OUT/sstate-$ID" "$OUT/haproxy-$ID.cfg"
}
trap cleanup EXIT
die() { echo "bench: $*" >&2; exit 1; }
. "$(dirname "$0")/stats.sh"
listening() { # ADDR:PORT
	local i
	for i in $(seq 100); do
		ns N ss -Hltn "src $1" | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

for n in N C; do ip netns add "$ID-$n" || die "netns"; done
ip link add c0 netns "$ID-C" type veth peer name n0 netns "$ID-N"
ns N sh -ec 'ip link set lo up; ip link set n0 up; ip addr add 192.0.2.1/24 dev n0'
ns C sh -ec 'ip link set lo up; ip link set c0 up; ip addr add 192.0.2.2/24 dev c0
	ip route add 10.10.0.0/16 via 192.0.2.1'
k=1
for m in $MEMBERS; do
	vnictl attach --cgroup "$m" --vip 10.10.1.$k >/dev/null || die "attach $m"
	# wildcard listeners: in an instance they land on its VIP
	in_inst "$m" "$LG" server-accept 0.0.0.0 $PA >"$OUT/svc-$m-accept.out" 2>&1 &
	in_inst "$m" "$LG" server-echo 0.0.0.0 $PE >"$OUT/svc-$m-echo.out" 2>&1 &
	k=$((k + 1))
done
for m in $MEMBERS; do
	for w in accept echo; do
		until grep -q READY "$OUT/svc-$m-$w.out" 2>/dev/null; do sleep 0.05; done
	done
done
for p in $PA $PE; do
	vnictl service add --name "s$p" --addr 10.10.1.100:$p --instance m1 --instance m2 \
		--instance m3 >/dev/null || die "service add"
done

# IPVS: masquerade (-m). The real servers are local addresses of the
# director (the node), so IPVS rewrites the destination to the member's VIP
# and hands the packet to the local stack (replies are un-NATed on local
# output); direct routing (-g) and tunnelling would deliver it unchanged,
# to 10.10.1.101, where no socket listens.
CONFIGS="direct service ipvs haproxy"
modprobe -q ip_vs 2>/dev/null
if ! command -v ipvsadm >/dev/null; then
	IPVS_NOTE="ipvsadm not installed (apt-get install ipvsadm)"
elif ! err=$(ns N ipvsadm -L -n 2>&1); then
	IPVS_NOTE="IPVS not usable on this kernel ($(uname -r)): $(echo "$err" | grep -i "can't\|ipvs" | head -1)"
else
	IPVS_NOTE=
	ns N ip addr add 10.10.1.101/32 dev lo
	for p in $PA $PE; do
		ns N ipvsadm -A -t 10.10.1.101:$p -s rr || die "ipvsadm -A"
		for k in 1 2 3; do
			ns N ipvsadm -a -t 10.10.1.101:$p -r 10.10.1.$k:$p -m || die "ipvsadm -a"
		done
	done
fi
if [ -n "$IPVS_NOTE" ]; then
	echo "bench: skipping IPVS: $IPVS_NOTE" >&2
	CONFIGS="direct service haproxy"
fi

# haproxy: the node, outside any instance; nolinger: it resets its side of
# both connections on close, as the client does (no TIME_WAIT pile-up).
ns N ip addr add 10.10.1.102/32 dev lo
cfg=$OUT/haproxy-$ID.cfg
{
	printf 'global\n\tmaxconn 4096\n'
	printf 'defaults\n\tmode tcp\n\toption nolinger\n\ttimeout connect 5s\n\ttimeout client 30s\n\ttimeout server 30s\n'
	for p in $PA $PE; do
		printf 'listen l%s\n\tbind 10.10.1.102:%s\n\tbalance roundrobin\n' $p $p
		for k in 1 2 3; do printf '\tserver m%s 10.10.1.%s:%s\n' $k $k $p; done
	done
} >"$cfg"
ns N haproxy -db -f "$cfg" >"$OUT/svc-haproxy.out" 2>&1 &
listening 10.10.1.102:$PE || die "haproxy did not start: $(cat "$OUT/svc-haproxy.out")"

addr() {
	case $1 in
	direct) echo 10.10.1.1 ;; service) echo 10.10.1.100 ;;
	ipvs) echo 10.10.1.101 ;; haproxy) echo 10.10.1.102 ;;
	esac
}
WORKLOADS="connect crr rr"
run_workload() { # config workload -> the number(s)
	local a
	a=$(addr "$1")
	case $2 in
	connect) ns C "$LG" connect -d "$DUR" -t 1 "$a" $PA | value rate ;;
	crr) ns C "$LG" crr -d "$DUR" -t 1 "$a" $PE | value rate ;;
	rr) ns C "$LG" rr -n "$RR" "$a" $PE | awk '{ print $1 " " $2 }' | sed 's/p[0-9]*_us=//g' ;;
	esac
}

echo "== service addresses: $ROUNDS rounds, interleaved ($CONFIGS)" >&2
: >"$OUT/service.raw"
for r in $(seq "$ROUNDS"); do
	for w in $WORKLOADS; do
		for c in $CONFIGS; do
			echo "$c $w $(run_workload "$c" "$w")" >>"$OUT/service.raw"
		done
	done
done
# the service's dispatch over its members, for the record
dispatch=$(vnictl service show --name s$PA --json | tr -d ' \n')

col() { awk -v c="$1" -v w="$2" -v f="$3" '$1 == c && $2 == w { print $f }' "$OUT/service.raw"; }
{
	echo
	echo "Service addresses (bench/service.sh): a client in another namespace to three"
	echo "instances on the node; $ROUNDS rounds of ${DUR} s, interleaved; median (min-max)."
	[ -n "$IPVS_NOTE" ] && echo "IPVS skipped: $IPVS_NOTE."
	echo
	echo "| workload | direct (m1's VIP) | vni service | IPVS | haproxy | service / direct | IPVS / direct | haproxy / direct |"
	echo "|---|---|---|---|---|---|---|---|"
	for w in connect crr rr50 rr99; do
		case $w in
		connect) label="connect/accept/close per s" wl=connect f=3 ;;
		crr) label="connect+1-byte request/response+close per s" wl=crr f=3 ;;
		rr50) label="request/response p50 (us)" wl=rr f=3 ;;
		rr99) label="request/response p99 (us)" wl=rr f=4 ;;
		esac
		row="| $label"
		for c in direct service ipvs haproxy; do
			if [[ " $CONFIGS " == *" $c "* ]]; then
				eval "m_$c=$(col $c $wl $f | median)"
				row="$row | $(eval echo \$m_$c) ($(col $c $wl $f | spread))"
			else
				eval "m_$c="
				row="$row | -"
			fi
		done
		echo "$row | $(ratio "$m_service" "$m_direct") | $(ratio "$m_ipvs" "$m_direct") | $(ratio "$m_haproxy" "$m_direct") |"
	done
	echo
	echo "service s$PA after the run: $dispatch"
} | tee -a "$OUT/results.md"
