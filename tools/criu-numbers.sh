#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Checkpoint/restore costs, vni against plain CRIU on the same process, in
# one run (needs a kernel CRIU supports; run it in the VM):
#   make criu-numbers        (= tools/vmrun.sh -- tools/criu-numbers.sh)
# Per round: an echo server holding a TCP connection with a client that
# sends a line every 10 ms; dump with --tcp-established, restore on the same
# node. Reports dump and restore wall time and the longest gap the client
# saw between two answers (how long the service was frozen).
# Then clones: a server that takes a while to initialise, started cold (1,
# then 10 at once) against clones of its template (1, then one after another
# up to 10): time until each answers, memory (Pss) per instance.
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

# ---- clones (vnictl checkpoint --template, vnictl clone) -------------------

# It builds a table before it listens (a warm-up a clone skips), then answers
# each connection with its hostname.
SLOW_ROWS=${SLOW_ROWS:-100000}
SLOW_SERVER='import hashlib, socket
table = [hashlib.sha256(str(i).encode()).hexdigest() for i in range('"$SLOW_ROWS"')]
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 7000)); s.listen(16)
while True:
    c, _ = s.accept(); c.sendall((socket.gethostname() + "\n").encode()); c.close()'
answers() { until probe_peer -t 1 connect "$1" 7000 2>/dev/null | grep -q '^LOCAL'; do sleep 0.02; done; }
pss_kb() { # instance: the summed Pss of its processes
	local p
	for p in $(cat "$VNI_CGROUP_ROOT/$1/cgroup.procs"); do
		awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup"
	done | awk '{ s += $1 } END { print s + 0 }'
}
start_cold() { # name vip [run-options]
	vnictl attach --cgroup "$1" --vip "$2" >/dev/null || fail "attach $1"
	vnictl run --cgroup "$1" "${@:3}" -- python3 -c "$SLOW_SERVER" </dev/null >/dev/null 2>&1 &
}

# the template's instance has a mapped directory of MAP_MB MiB: each clone
# gets its own copy (cp -a --reflink=auto)
MAP_MB=${MAP_MB:-20}
mkdir -p "$T_DIR/data/cold0" && head -c "${MAP_MB}M" /dev/urandom >"$T_DIR/data/cold0/blob"
t0=$(ms); start_cold cold0 10.10.0.100 --map "/srv/data=$T_DIR/data/%n"; answers 10.10.0.100
cold1=$(($(ms) - t0))
mem_cold=$(pss_kb cold0)
t0=$(ms)
for i in $(seq 1 10); do start_cold "cold$i" "10.10.0.$((100 + i))"; done
for i in $(seq 1 10); do answers "10.10.0.$((100 + i))"; done
cold10=$(($(ms) - t0))
t0=$(ms)
vnictl checkpoint --cgroup cold0 --dir "$T_DIR/tmpl" --template --leave-running >/dev/null || fail "template"
tmpl=$(($(ms) - t0))
: >"$T_DIR/clones"
for i in $(seq 1 10); do
	t0=$(ms)
	vnictl clone --dir "$T_DIR/tmpl" --cgroup "c$i" --vip "10.10.0.$((120 + i))" >/dev/null || fail "clone $i"
	answers "10.10.0.$((120 + i))"
	echo "$(($(ms) - t0))" >>"$T_DIR/clones"
done
mem_clone=$(pss_kb c1)
t0=$(ms); cp -a --reflink=auto "$T_DIR/data/cold0" "$T_DIR/copy-test"; copy=$(($(ms) - t0))
fstype=$(stat -f -c %T "$T_DIR")
echo
echo "Clones: a Python server that builds a table of $SLOW_ROWS rows before it listens."
echo
echo "| | ms until it answers | memory (Pss, KiB) |"
echo "|---|---|---|"
echo "| cold start, 1 instance | $cold1 | $mem_cold |"
echo "| cold start, 10 at once (until all answer) | $cold10 | |"
echo "| template dump (--leave-running) | $tmpl | |"
echo "| clone, the first | $(sed -n 1p "$T_DIR/clones") | $mem_clone |"
echo "| clones 1 to 10, one after another (total) | $(awk '{ s += $1 } END { print s }' "$T_DIR/clones") | |"
echo
echo "Per clone as N grows (ms): $(tr '\n' ' ' <"$T_DIR/clones")"
echo "Each clone copies the template's mapped directory ($MAP_MB MiB) with cp -a --reflink=auto;"
echo "the same copy alone on this file system ($fstype): $copy ms (a reflink where the file system can: XFS, btrfs)."
