# SPDX-License-Identifier: GPL-2.0-only
# Checkpoint, restore and migration with CRIU. These need a kernel CRIU 3.17
# works on: they run inside the VM (make vmtest).

ECHO_SERVER=$TOP/tests/echo_server.py
ECHO_CLIENT=$TOP/tests/echo_client.py

# the instance's process: an echo server, stdio on files so CRIU can dump it
run_echo_server() { # vnictl-function instance port
	"$1" run --cgroup "$2" -- python3 "$ECHO_SERVER" "$3" </dev/null >>"$T_DIR/server.log" 2>&1 &
}

wait_reachable() { # on-function addr port: until a TCP connect succeeds
	local i
	for i in $(seq 100); do
		"$1" "$PROBE" -t 1 connect "$2" "$3" 2>/dev/null | grep -q '^LOCAL' && return 0
		sleep 0.05
	done
	fail "$2:$3 never answered"
}

ask() { # on-function addr port: one line through the echo server
	"$1" python3 "$ECHO_CLIENT" "$2" "$3" 1 0 2>&1 | head -n 1
}

cgroup_id() { stat -c %i "$1"; }

# What keeps root inside confined (vnictl run's default), seen from the
# node for the echo server of instance web: its bounding set, its cgroup
# seen in its cgroup namespace (the root: the instance), and how its cgroup2,
# bpffs and /proc/sys are mounted.
confinement() {
	local p pid=""
	for p in $(cat "$VNI_CGROUP_ROOT/web/cgroup.procs"); do
		[ "$(cat "/proc/$p/comm")" = python3 ] && pid=$p
	done
	[ -n "$pid" ] || { echo "no echo server"; return; }
	printf '%s %s %s\n' "$(awk '/^CapBnd:/ { print $2 }' "/proc/$pid/status")" \
		"$(nsenter -t "$pid" -C cat "/proc/$pid/cgroup" | sed -n 's/^0::/cgroupns:/p')" \
		"$(findmnt -N "$pid" -n -r -o TARGET,FSTYPE,OPTIONS |
			awk '$2 == "cgroup2" || $2 == "bpf" || $1 == "/proc/sys" { split($3, o, ","); print $2 ":" o[1] }' | sort -u | tr '\n' ' ' | sed 's/ $//')"
}

test_checkpoint_and_restore_on_the_same_node() {
	local id_before id_after img=$T_DIR/img line
	vnictl attach --cgroup web --vip 10.10.0.1 --hostname web-1 >/dev/null || fail "attach"
	run_echo_server vnictl web 7000
	wait_reachable on_peer 10.10.0.1 7000
	expect_match "hostname inside before" "OK 1 web-1 *" "$(ask on_peer 10.10.0.1 7000)"
	id_before=$(cgroup_id "$VNI_CGROUP_ROOT/web")
	expect_eq "confined before" "00000000a80405fb cgroupns:/ bpf:ro cgroup2:ro proc:ro" "$(confinement)"
	expect_eq "checkpoint" "checkpointed web into $img" "$(vnictl checkpoint --cgroup web --dir "$img" 2>&1)"
	expect_json "metadata" '{"format":"vni-checkpoint","version":1,"name":"web","aid":1,"vip4":"10.10.0.1"}' \
		"$(cat "$img/vni.json")" 'dict(list(d.items())[:5])'
	expect_json "metadata: hostname" "web-1" "$(cat "$img/vni.json")" 'd["hostname"]'
	expect_eq "VIP released" "" "$(node_addrs 10.10.0.1)"
	expect_eq "cgroup gone" no "$([ -d "$VNI_CGROUP_ROOT/web" ] && echo yes || echo no)"
	expect_match "marked checkpointed" "*web*checkpointed*" "$(vnictl list | sed -n 2p)"
	expect_match "not reachable" "ERR E*" "$(on_peer "$PROBE" -t 1 connect 10.10.0.1 7000 2>/dev/null | tail -n 1)"
	line=$(vnictl restore --dir "$img" 2>&1) || grep -E "Error|Warn" "$img/restore.log" | tail -n 8
	expect_match "restore" "restored web: aid 1, vip 10.10.0.1, hostname web-1, *" "$line"
	expect_match "reachable again, same hostname inside" "OK 1 web-1 *" "$(ask on_peer 10.10.0.1 7000)"
	expect_eq "confined after the restore" "00000000a80405fb cgroupns:/ bpf:ro cgroup2:ro proc:ro" "$(confinement)"
	id_after=$(cgroup_id "$VNI_CGROUP_ROOT/web")
	[ "$id_after" != "$id_before" ] || fail "the cgroup id did not change ($id_after)"
	expect_json "maps follow the new cgroup id" '[{"aid":1}]' "$(bpftool map dump pinned "$VNI_BPFFS/maps/vni_inst")" \
		'[dict(list(e["value"].items())[:1]) for e in d if e["key"] == int(a[0])]' "$id_after"
	expect_match "running" "*web*running*" "$(vnictl list | sed -n 2p)"
	expect_eq "wildcard bind still rewritten in the restored instance" "BOUND 10.10.0.1:81" \
		"$(probe_inst web bind 0.0.0.0 81)"
}

# A --map directory is mounted again at PATH in the restored instance, with
# its files; the maps go into vni.json and come back into the record.
test_mapped_directory_survives_checkpoint_and_restore() {
	local img=$T_DIR/img m=$T_DIR/mnt line pid="" p i want
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	vnictl run --cgroup web --map "$m=$T_DIR/data/%n" -- sh -c "echo before > $m/f; exec sleep 600" \
		</dev/null >>"$T_DIR/app.log" 2>&1 &
	for i in $(seq 100); do [ -s "$T_DIR/data/web/f" ] && break; sleep 0.05; done
	expect_eq "written inside before" "before" "$(cat "$T_DIR/data/web/f")"
	want='[{"path":"'$m'","source":"'$T_DIR'/data/%n"}]'
	expect_eq "checkpoint" "checkpointed web into $img" "$(vnictl checkpoint --cgroup web --dir "$img" 2>&1)"
	expect_json "metadata: maps" "$want" "$(cat "$img/vni.json")" 'd["maps"]'
	line=$(vnictl restore --dir "$img" 2>&1) || grep -E "Error|Warn" "$img/restore.log" | tail -n 8
	expect_match "restore" "restored web: aid 1, vip 10.10.0.1, *" "$line"
	for p in $(cat "$VNI_CGROUP_ROOT/web/cgroup.procs"); do
		[ "$(cat "/proc/$p/comm")" = sleep ] && pid=$p
	done
	[ -n "$pid" ] || fail "no restored application"
	expect_eq "the directory at PATH again" "before" "$(nsenter -t "$pid" -m cat "$m/f")"
	nsenter -t "$pid" -m sh -c "echo after > $m/g" || fail "write after the restore"
	expect_eq "writes reach the source" "after" "$(cat "$T_DIR/data/web/g")"
	expect_eq "the node sees no mount at PATH" "" "$(findmnt -n -o TARGET "$m")"
	expect_json "maps back in the record" "$want" "$(vnictl show --cgroup web --json)" \
		'[{k: v for k, v in x.items() if k != "resolved"} for x in d["maps"]]'
}

# --loopback private goes into vni.json and comes back with the restore: the
# restored listener on 127.0.0.1 is the instance's own again.
test_private_loopback_survives_checkpoint_and_restore() {
	local img=$T_DIR/img line
	vnictl attach --cgroup web --vip 10.10.0.1 --loopback private >/dev/null || fail "attach"
	vnictl run --cgroup web -- "$PROBE" -t 0 serve -n 0 127.0.0.1 7100 </dev/null \
		>>"$T_DIR/server.log" 2>&1 &
	for line in $(seq 100); do grep -q BOUND "$T_DIR/server.log" && break; sleep 0.05; done
	expect_eq "listener on the instance's 127.0.0.1" "BOUND 127.0.0.1:7100" "$(head -n 1 "$T_DIR/server.log")"
	expect_eq "checkpoint" "checkpointed web into $img" "$(vnictl checkpoint --cgroup web --dir "$img" 2>&1)"
	expect_json "metadata" "private" "$(cat "$img/vni.json")" 'd["loopback"]'
	line=$(vnictl restore --dir "$img" 2>&1) || grep -E "Error|Warn" "$img/restore.log" | tail -n 8
	expect_match "restore" "restored web: *" "$line"
	expect_eq "show" "loopback: private" "$(vnictl show --cgroup web | grep '^loopback' | tr -s ' ')"
	expect_match "the instance reaches its 127.0.0.1" "*REMOTE 127.0.0.1:7100*REPLY OK*" \
		"$(probe_inst web connect 127.0.0.1 7100 | tr '\n' ' ')"
	expect_eq "the node does not" "ERR ECONNREFUSED" "$(probe_node connect 127.0.0.1 7100 | tail -n 1)"
	expect_eq "nor at the private address" "ERR ECONNREFUSED" \
		"$(probe_node connect 127.128.0.1 7100 | tail -n 1)"
}

# Two nodes A and B and a client C on one bridge; the VIP is on the nodes'
# ethernet device, so the client finds it by ARP.
setup_lan() {
	local h i=1
	for h in a b c sw; do ip netns add "$T_ID-$h" || fail "netns $h"; done
	on_ns sw ip link add br0 type bridge && on_ns sw ip link set br0 up || fail "bridge"
	for h in a b c; do
		ip link add name eth0 netns "$T_ID-$h" type veth peer name "p$h" netns "$T_ID-sw" ||
			fail "veth $h"
		on_ns sw ip link set "p$h" master br0 up
		on_ns "$h" sh -ec "ip link set lo up; ip link set eth0 up; ip addr add 192.0.2.1$i/24 dev eth0"
		i=$((i + 1))
	done
}
on_ns() { local h=$1; shift; nsenter --net="/run/netns/$T_ID-$h" "$@"; }
vnictl_on() { # a|b args...: each node has its own VNI root, bpffs and state
	local h=$1
	shift
	VNI_CGROUP_ROOT=$CG2/vni-test-$T_ID-$h VNI_BPFFS=/sys/fs/bpf/vni-test-$T_ID-$h \
		VNI_STATE_DIR=$T_DIR/state-$h VNI_HOSTS_FILE=$T_DIR/hosts-$h on_ns "$h" "$VNICTL" "$@"
}
vnictl_a() { vnictl_on a "$@"; }
vnictl_b() { vnictl_on b "$@"; }
on_c() { on_ns c "$@"; }
lan_cleanup() {
	local h
	for h in a b; do vnictl_on "$h" down --force >/dev/null 2>&1; done
	for h in a b c sw; do
		kill $(ip netns pids "$T_ID-$h" 2>/dev/null) 2>/dev/null
		ip netns del "$T_ID-$h" 2>/dev/null
	done
	rm -rf "/sys/fs/bpf/vni-test-$T_ID-a" "/sys/fs/bpf/vni-test-$T_ID-b"
	t_cleanup
}

test_migration_keeps_the_tcp_connection() {
	local client line n img=$T_DIR/img mac_b
	trap lan_cleanup EXIT
	setup_lan
	vnictl_a attach --cgroup web --vip 192.0.2.100 --dev eth0 --hostname web-1 >/dev/null || fail "attach on A"
	run_echo_server vnictl_a web 7000
	wait_reachable on_c 192.0.2.100 7000
	mkfifo "$T_DIR/go"
	exec {go}<>"$T_DIR/go"
	start_bg client on_c python3 -u "$ECHO_CLIENT" 192.0.2.100 7000 60 0.02 21 <&$go
	for n in $(seq 20); do
		expect_match "answer $n on A" "OK $n web-1 *" "$(read_line "$client")"
	done
	expect_eq "client waits" "PAUSE 21" "$(read_line "$client")"
	# the client's next message is sent while the instance is moving
	echo go >&$go
	line=$(vnictl_a checkpoint --cgroup web --dir "$img" --tcp-established 2>&1) ||
		grep -E "Error|Warn" "$img/dump.log" | tail -n 5
	expect_eq "checkpoint on A" "checkpointed web into $img" "$line"
	expect_eq "CRIU's connection locks are gone from A" "" \
		"$(on_ns a iptables -w -S | grep -i 0xc114 || true)"
	expect_match "restore on B" "restored web: aid 1, vip 192.0.2.100, hostname web-1, *" \
		"$(vnictl_b restore --dir "$img" 2>&1)"
	for n in $(seq 21 60); do
		line=$(read_line "$client")
		expect_match "answer $n after the move" "OK $n web-1 *" "$line"
	done
	expect_match "one connection from start to end" "DONE 60 192.0.2.13:* 192.0.2.13:*" "$(read_line "$client")"
	# an IPv4 VIP is a local route of vni's (proto 118) on its device
	expect_eq "VIP on B" "192.0.2.100 eth0" \
		"$(on_ns b ip -4 route show table local proto 118 root 192.0.2.100 | awk '{ print $2, $4 }')"
	expect_eq "VIP not on A" "" \
		"$(on_ns a ip -o addr show to 192.0.2.100; on_ns a ip -4 route show table local root 192.0.2.100)"
	mac_b=$(on_ns b cat /sys/class/net/eth0/address)
	expect_match "the client's neighbour entry follows the announcement" "*lladdr $mac_b*" \
		"$(on_c ip neigh show 192.0.2.100)"
	expect_match "A keeps a checkpointed record" "*web*checkpointed*" "$(vnictl_a list | sed -n 2p)"
	vnictl_a detach --cgroup web >/dev/null || fail "forget on A"
	expect_json "A's state" "[]" "$(vnictl_a list --json)" d
	expect_json "A's VIP owners" "[]" "$(bpftool map dump pinned "/sys/fs/bpf/vni-test-$T_ID-a/maps/vni_vips")" d
	expect_eq "A's instance links" "" "$(ls "/sys/fs/bpf/vni-test-$T_ID-a/links")"
	expect_match "B runs it" "*web*running*" "$(vnictl_b list | sed -n 2p)"
}

test_restore_refused_when_the_vip_is_taken() {
	local img=$T_DIR/img before
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	run_echo_server vnictl web 7000
	wait_reachable on_peer 10.10.0.1 7000
	vnictl checkpoint --cgroup web --dir "$img" >/dev/null || fail "checkpoint"
	vnictl detach --cgroup web >/dev/null || fail "forget"
	vnictl attach --cgroup other --vip 10.10.0.1 --aid 9 >/dev/null || fail "attach other on the VIP"
	before=$(snapshot)
	expect_eq "restore refused" "vnictl: VIP 10.10.0.1 is taken by instance other" "$(vnictl restore --dir "$img" 2>&1)"
	expect_eq "node unchanged" "$before" "$(snapshot)"
	vnictl detach --cgroup other >/dev/null
	on_node ip addr add 10.10.0.1/32 dev vn0
	before=$(snapshot)
	expect_eq "restore refused (node address)" "vnictl: VIP 10.10.0.1 is already an address of this node (on vn0)" \
		"$(vnictl restore --dir "$img" 2>&1)"
	expect_eq "node unchanged" "$before" "$(snapshot)"
}

# The same move with the farm's registry on etcd (in the client's
# namespace): the record goes with the instance (checkpointed, no node; then
# running on B), of two nodes restoring the same image only one wins, and a
# second restore is refused without changing anything.
test_migration_through_the_etcd_registry() {
	local img=$T_DIR/img line out before i rc_a rc_b
	# (etcd runs in C's namespace: lan_cleanup kills it with the namespace)
	command -v etcd >/dev/null || { echo "etcd not installed"; exit 77; }
	trap lan_cleanup EXIT
	setup_lan
	on_ns c etcd --name t --data-dir "$T_DIR/etcd" --listen-client-urls http://192.0.2.13:2379 \
		--advertise-client-urls http://192.0.2.13:2379 --listen-peer-urls http://127.0.0.1:2380 \
		--initial-advertise-peer-urls http://127.0.0.1:2380 --initial-cluster t=http://127.0.0.1:2380 \
		>"$T_DIR/etcd.log" 2>&1 &
	for i in $(seq 200); do
		ETCDCTL_API=3 on_c etcdctl --endpoints 192.0.2.13:2379 --dial-timeout 1s endpoint health >/dev/null 2>&1 && break
		sleep 0.1
	done
	record() { ETCDCTL_API=3 on_c etcdctl --endpoints 192.0.2.13:2379 get --print-value-only /vni/inst/web; }
	export VNI_REGISTRY=etcd://192.0.2.13:2379
	VNI_NODE=a vnictl_a attach --cgroup web --vip 192.0.2.100 --dev eth0 --hostname web-1 >/dev/null || fail "attach on A"
	expect_json "the record: running on A" '["a","running",1]' "$(record)" '[d["node"], d["state"], d["generation"]]'
	VNI_NODE=a run_echo_server vnictl_a web 7000
	wait_reachable on_c 192.0.2.100 7000
	line=$(VNI_NODE=a vnictl_a checkpoint --cgroup web --dir "$img" 2>&1) ||
		grep -E "Error|Warn" "$img/dump.log" | tail -n 5
	expect_eq "checkpoint on A" "checkpointed web into $img" "$line"
	expect_json "handed back to the farm" '["","checkpointed",2]' "$(record)" '[d["node"], d["state"], d["generation"]]'
	expect_match "B may not take its name" "vnictl: an instance named web exists in the farm" \
		"$(VNI_NODE=b vnictl_b attach --cgroup web --vip 192.0.2.101 --dev eth0 2>&1)"
	# A and B restore the same image at once: one wins
	( VNI_NODE=a vnictl_a restore --dir "$img" >"$T_DIR/ra" 2>&1; echo $? >"$T_DIR/rca" ) &
	i=$!
	( VNI_NODE=b vnictl_b restore --dir "$img" >"$T_DIR/rb" 2>&1; echo $? >"$T_DIR/rcb" ) &
	wait "$i" $!
	rc_a=$(cat "$T_DIR/rca") rc_b=$(cat "$T_DIR/rcb")
	expect_eq "exactly one restore won" "1" "$(( (rc_a == 0) + (rc_b == 0) ))"
	local won=a lost=b
	[ "$rc_b" = 0 ] && won=b lost=a
	expect_match "the winner" "restored web: aid 1, vip 192.0.2.100, hostname web-1, *" "$(cat "$T_DIR/r$won")"
	expect_match "the loser says who has it" "vnictl: instance web * on node $won*" "$(cat "$T_DIR/r$lost")"
	expect_json "the record: running on the winner" "[\"$won\",\"running\",3]" "$(record)" '[d["node"], d["state"], d["generation"]]'
	expect_match "it answers" "OK 1 web-1 *" "$(ask on_c 192.0.2.100 7000)"
	# a second restore, on either node, changes nothing
	before=$(VNI_NODE=$lost vnictl_on "$lost" list --json)
	out=$(VNI_NODE=$lost vnictl_on "$lost" restore --dir "$img" 2>&1)
	expect_eq "second restore refused" "1 vnictl: instance web is running on node $won" "$? $out"
	expect_eq "nothing changed there" "$before" "$(VNI_NODE=$lost vnictl_on "$lost" list --json)"
	expect_json "the record unchanged" "[\"$won\",\"running\",3]" "$(record)" '[d["node"], d["state"], d["generation"]]'
}
