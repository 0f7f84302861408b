#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Checkpoint/restore costs, vni against plain CRIU on the same process, in
# one run (needs a kernel CRIU supports; run it in the VM):
#   make criu-numbers        (= tools/vmrun.sh -- tools/criu-numbers.sh)
# Per round: an echo server holding a TCP connection with a client that
# sends a line every 10 ms; dump with --tcp-established, restore on the same
# node. Reports dump and restore wall time and the longest gap the client
# saw between two answers (how long the service was frozen).
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
source "$TOP/tests/lib.sh"
ROUNDS=${ROUNDS:-5}
CLIENT=$TOP/tests/echo_client.py
SERVER=$TOP/tests/echo_server.py

ms() { echo $(($(date +%s%N) / 1000000)); }
max_gap() { awk '$1 == "OK" && $4 > m { m = $4 } END { print m + 0 }' "$1"; }

# one round; prints "dump_ms restore_ms frozen_ms"
round_vni() {
	local img=$T_DIR/img-$1 t0 t1 t2 log=$T_DIR/client-vni-$1
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	vnictl run --cgroup web -- python3 "$SERVER" 7000 </dev/null >/dev/null 2>&1 &
	until probe_peer -t 1 connect 10.10.0.1 7000 2>/dev/null | grep -q '^LOCAL'; do sleep 0.02; done
	on_peer python3 -u "$CLIENT" 10.10.0.1 7000 300 0.01 >"$log" &
	until grep -q "OK 20 " "$log"; do sleep 0.02; done
	t0=$(ms)
	vnictl checkpoint --cgroup web --dir "$img" --tcp-established >/dev/null || fail "checkpoint"
	t1=$(ms)
	vnictl restore --dir "$img" >/dev/null || fail "restore"
	t2=$(ms)
	until grep -q '^DONE' "$log"; do sleep 0.05; done
	echo "$((t1 - t0)) $((t2 - t1)) $(max_gap "$log")"
	vnictl detach --cgroup web --force >/dev/null
}

round_plain() {
	local img=$T_DIR/plain-$1 pid t0 t1 t2 log=$T_DIR/client-plain-$1
	mkdir -p "$img"
	on_node setsid python3 "$SERVER" 7001 </dev/null >/dev/null 2>&1 &
	until probe_peer -t 1 connect $NODE_IP 7001 2>/dev/null | grep -q '^LOCAL'; do sleep 0.02; done
	pid=$(pgrep -n -f "$SERVER 7001")
	on_peer python3 -u "$CLIENT" $NODE_IP 7001 300 0.01 >"$log" &
	until grep -q "OK 20 " "$log"; do sleep 0.02; done
	t0=$(ms)
	on_node criu dump -t "$pid" -D "$img" -o dump.log --tcp-established || fail "plain dump"
	t1=$(ms)
	on_node criu restore -D "$img" -o restore.log -d --tcp-established || fail "plain restore"
	t2=$(ms)
	until grep -q '^DONE' "$log"; do sleep 0.05; done
	echo "$((t1 - t0)) $((t2 - t1)) $(max_gap "$log")"
	pkill -f "$SERVER 7001"
	on_node iptables -w -F INPUT; on_node iptables -w -F OUTPUT # plain CRIU leaves its locks
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

t_setup
: >"$T_DIR/vni" && : >"$T_DIR/plain"
for r in $(seq "$ROUNDS"); do # interleaved: vni, plain, vni, plain, ...
	round_vni "$r" >>"$T_DIR/vni"
	round_plain "$r" >>"$T_DIR/plain"
done
echo "kernel $(uname -r), CRIU $(criu --version | awk '/Version/ { print $2 }'), $ROUNDS rounds, medians (ms):"
echo
echo "| | dump | restore | frozen (client's longest gap) |"
echo "|---|---|---|---|"
for k in vni plain; do
	printf '| %s | %s | %s | %s |\n' "$([ $k = vni ] && echo "vni (vnictl checkpoint/restore)" || echo "plain CRIU, same process without vni")" \
		"$(awk '{ print $1 }' "$T_DIR/$k" | median)" "$(awk '{ print $2 }' "$T_DIR/$k" | median)" \
		"$(awk '{ print $3 }' "$T_DIR/$k" | median)"
done
