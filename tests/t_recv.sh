# SPDX-License-Identifier: GPL-2.0-only
# Receiving: traffic to a VIP reaches only its instance, an instance's
# sockets receive nothing addressed elsewhere, and every wildcard listener
# answers on every VIP of its instance (sk_lookup, bpf/vni_lookup.bpf.c).

attach_both() {
	vnictl attach --cgroup web --vip 10.10.0.1 --vip 2001:db8:10::1 >/dev/null ||
		fail "attach web"
}

# The peer's connection (TCP) or datagram (UDP, connected: an ICMP port
# unreachable comes back as ECONNREFUSED) is turned away.
refused() { # what args-of-connect...
	local what=$1
	shift
	expect_eq "$what" "ERR ECONNREFUSED" "$(probe_peer connect "$@" | tail -n 1)"
}

test_outsiders_wildcard_listener_gets_no_vip_traffic() {
	local tcp4 tcp6 udp
	attach_both
	# a node server on the wildcard address, on a port the instance does not use
	start_bg tcp4 probe_node listen 0.0.0.0 9000
	expect_eq "node v4 listener" "BOUND 0.0.0.0:9000" "$(read_line "$tcp4")"
	start_bg tcp6 probe_node listen -6only 1 :: 9000
	expect_eq "node v6 listener" "BOUND [::]:9000" "$(read_line "$tcp6")"
	start_bg udp probe_node listen -u 0.0.0.0 9001
	expect_eq "node udp socket" "BOUND 0.0.0.0:9001" "$(read_line "$udp")"
	refused "TCP to the v4 VIP" 10.10.0.1 9000
	refused "TCP to the v6 VIP" 2001:db8:10::1 9000
	refused "UDP to the VIP" -u 10.10.0.1 9001
	# the node's own addresses still reach the node's servers, which saw
	# nothing before
	expect_match "TCP to the node" "*REPLY OK*" "$(probe_peer connect $NODE_IP 9000)"
	expect_eq "node server: first client" "PEER $PEER_IP:*" "$(read_line "$tcp4" | sed 's/:[0-9]*$/:*/')"
	expect_eq "node server: at the node's address" "LOCAL $NODE_IP:9000" "$(read_line "$tcp4")"
	expect_match "TCP6 to the node" "*REPLY OK*" "$(probe_peer connect $NODE_IP6 9000)"
	expect_eq "node v6 server: first client" "PEER [$PEER_IP6]:*" "$(read_line "$tcp6" | sed 's/:[0-9]*$/:*/')"
	expect_match "UDP to the node" "*REPLY OK*" "$(probe_peer connect -u $NODE_IP 9001)"
	expect_eq "node udp socket: first datagram" "PEER $PEER_IP:*" "$(read_line "$udp" | sed 's/:[0-9]*$/:*/')"
	expect_eq "node udp socket: at the node's address" "LOCAL $NODE_IP:9001" "$(read_line "$udp")"
	# counted node-wide (per CPU) in vni_gstats
	expect_json "refusals counted" "3" "$(bpftool -j map dump pinned "$VNI_BPFFS/maps/vni_gstats")" \
		'sum(c["value"]["dropped_recv"] for c in d[0]["formatted"]["values"])'
}

test_instance_and_node_share_a_port() {
	local inst node
	attach_both
	# (a node listener on 0.0.0.0:9000 would hold the port on every address,
	# the VIPs included: the kernel refuses the instance's bind, EADDRINUSE)
	start_bg node probe_node serve -n 0 $NODE_IP 9000
	expect_eq "node listener" "BOUND $NODE_IP:9000" "$(read_line "$node")"
	start_bg inst probe_inst web serve -n 0 0.0.0.0 9000
	expect_eq "instance listener" "BOUND 10.10.0.1:9000" "$(read_line "$inst")"
	expect_match "VIP" "*REPLY OK*" "$(probe_peer connect 10.10.0.1 9000)"
	expect_eq "the instance got it" "PEER $PEER_IP:*" "$(read_line "$inst" | sed 's/:[0-9]*$/:*/')"
	expect_match "node address" "*REPLY OK*" "$(probe_peer connect $NODE_IP 9000)"
	expect_eq "the node got it" "PEER $PEER_IP:*" "$(read_line "$node" | sed 's/:[0-9]*$/:*/')"
	# the instance listens on v4 only: its v6 VIP does not fall through to
	# the node's wildcard v6 socket either
	refused "v6 VIP, port served on v4 only" 2001:db8:10::1 9000
	start_bg node probe_node listen -6only 1 :: 9000
	expect_eq "node v6 wildcard listener" "BOUND [::]:9000" "$(read_line "$node")"
	refused "v6 VIP, with a node v6 wildcard listener" 2001:db8:10::1 9000
}

test_dual_stack_listener_answers_on_both_vips() {
	local srv
	attach_both
	start_bg srv probe_inst web serve -6only 0 -n 0 :: 8080
	expect_eq "dual-stack [::]" "BOUND [::ffff:10.10.0.1]:8080" "$(read_line "$srv")"
	expect_match "v4 VIP" "*REPLY OK*" "$(probe_peer connect 10.10.0.1 8080)"
	expect_eq "v4 client" "PEER [::ffff:$PEER_IP]:*" "$(read_line "$srv" | sed 's/:[0-9]*$/:*/')"
	expect_match "v6 VIP" "*REPLY OK*" "$(probe_peer connect 2001:db8:10::1 8080)"
	expect_eq "v6 client" "PEER [$PEER_IP6]:*" "$(read_line "$srv" | sed 's/:[0-9]*$/:*/')"
	refused "node v4 address" $NODE_IP 8080
	refused "node v6 address" $NODE_IP6 8080
	# once the listener is gone, v6 is refused like v4 (no stale slot)
	kill_bg_servers
	refused "v6 VIP after the listener closed" 2001:db8:10::1 8080
	refused "v4 VIP after the listener closed" 10.10.0.1 8080
}

# Stops the instance's servers (processes of the test's node namespace that
# run sockprobe serve or listen).
kill_bg_servers() {
	local p
	for p in $(ip netns pids "$NODE"); do
		grep -qa 'serve\|listen' "/proc/$p/cmdline" 2>/dev/null && kill "$p"
	done
	for p in $(seq 50); do
		on_node ss -Hltn 'sport = :8080' | grep -q . || return 0
		sleep 0.1
	done
	fail "the listener did not go"
}

test_private_addresses_are_unreachable() {
	local six four
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach web"
	vnictl attach --cgroup six --vip 2001:db8:10::1 >/dev/null || fail "attach six"
	expect_json "show names where it parks" "fd76:6e69:6c6f::" "$(vnictl show --cgroup web --json)" 'd["private"]'
	expect_match "show names it (v4)" '*private:    127.128.0.2*' "$(vnictl show --cgroup six)"
	# nginx's `listen [::]:80` in a v4-only instance, `listen 80` in a v6-only one
	start_bg six probe_inst web listen -6only 1 :: 8081
	expect_eq "v6only [::] of a v4-only instance" "BOUND [fd76:6e69:6c6f::]:8081" "$(read_line "$six")"
	start_bg four probe_inst six listen 0.0.0.0 8082
	expect_eq "0.0.0.0 of a v6-only instance" "BOUND 127.128.0.2:8082" "$(read_line "$four")"
	expect_eq "node to the parking address" "ERR ECONNREFUSED" "$(probe_node connect fd76:6e69:6c6f:: 8081)"
	expect_eq "node to the private v4 address" "ERR ECONNREFUSED" "$(probe_node connect 127.128.0.2 8082)"
	expect_eq "other instance to it" "ERR ECONNREFUSED" "$(probe_inst six connect 127.128.0.2 8082 2>&1 | tail -n 1)"
	expect_eq "outsider binding the parking address" "ERR EPERM" "$(probe_node bind fd76:6e69:6c6f:: 8083)"
	expect_eq "other instance binding it" "ERR EPERM" "$(probe_inst web bind 127.128.0.2 8083)"
	expect_eq "node v6 address" "ERR ECONNREFUSED" "$(probe_peer connect $NODE_IP6 8081)"
	# one parking address on lo, for as long as an instance holds it
	expect_match "on lo" "*fd76:6e69:6c6f::/128*" "$(on_node ip -6 addr show dev lo)"
	vnictl detach --cgroup web --force >/dev/null || fail "detach"
	expect_eq "gone with its last holder" "" "$(on_node ip -6 addr show dev lo | grep fd76)"
}

# v4-only instances share one parking address: no IPv6 address of their own,
# which the kernel would walk on every IPv6 address change and every source
# it picks for the node's own v6 traffic (docs/benchmarks.md). Clones of one
# template ask for the same ports there.
test_v4_only_instances_share_the_parking_address() {
	local a b line
	vnictl attach --cgroup a --vip 10.10.0.1 >/dev/null || fail "attach a"
	vnictl attach --cgroup b --vip 10.10.0.2 >/dev/null || fail "attach b"
	vnictl attach --cgroup c --vip 10.10.0.3 --loopback private >/dev/null || fail "attach c"
	expect_eq "IPv6 addresses on lo: ::1, the parking address, c's own ::1" \
		"::1 fd76:6e69:6c6f:: fd76:6e69:6c6f::3" \
		"$(on_node ip -6 -o addr show dev lo | awk '{ sub(/\/.*/, "", $4); print $4 }' | sort | tr '\n' ' ' | sed 's/ $//')"
	start_bg a probe_inst a listen -6only 1 :: 8081
	expect_eq "a: the port asked" "BOUND [fd76:6e69:6c6f::]:8081" "$(read_line "$a")"
	start_bg b probe_inst b listen -6only 1 :: 8081
	line=$(read_line "$b")
	expect_match "b: parked too" "BOUND ?fd76:6e69:6c6f::?:*" "$line"
	[ "${line##*:}" != 8081 ] || fail "b got the port a holds: $line"
	expect_eq "a again on its own port: as on a host" "ERR EADDRINUSE" \
		"$(probe_inst a bind -6only 1 :: 8081 2>&1 | tail -n 1)"
	expect_eq "UDP, port free there" "BOUND [fd76:6e69:6c6f::]:8081" "$(probe_inst b bind -u -6only 1 :: 8081)"
	expect_eq "c: its own ::1" "BOUND [::1]:8082" "$(probe_inst c bind -6only 1 :: 8082)"
	vnictl detach --cgroup a --force >/dev/null || fail "detach a"
	expect_match "b still holds it" "*fd76:6e69:6c6f::/128*" "$(on_node ip -6 addr show dev lo)"
	expect_eq "nothing drifted" "no drift" "$(vnictl check 2>&1 | cut -d: -f1)"
	vnictl detach --cgroup b --force >/dev/null || fail "detach b"
	expect_eq "gone with its last holder" "" "$(on_node ip -6 -o addr show dev lo | grep 'fd76:6e69:6c6f::/')"
	expect_eq "and its entry" "0" "$(bpftool -j map dump pinned "$VNI_BPFFS/maps/vni_vips" | python3 -c '
import json, sys
park = [253, 118, 110, 105, 108, 111] + [0] * 10
print(sum(1 for e in json.load(sys.stdin) if [int(b) for b in e["formatted"]["key"]["addr"]] == park))')"
}


# A UDP socket that sends before it binds gets its port on the wildcard
# address; it must still get only what is sent to its VIP.
test_autobound_udp_socket_receives_only_at_its_vip() {
	local peer out
	attach_both
	vnictl attach --cgroup api --vip 10.10.0.2 >/dev/null || fail "attach api"
	start_bg peer on_peer python3 -c '
import socket, sys
node, other, vip = sys.argv[1:4]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 7001))
print("READY", flush=True)
s.settimeout(10)
data, (src, port) = s.recvfrom(100)
print("FROM", src, flush=True)
for text, dst in (("via-node", node), ("via-other", other), ("via-vip", vip)):
    s.sendto(text.encode(), (dst, port))
' $NODE_IP 10.10.0.2 10.10.0.1
	expect_eq "peer ready" "READY" "$(read_line "$peer")"
	out=$(in_inst web python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"hi", (sys.argv[1], 7001))
s.settimeout(5)
got = []
while not got or got[-1] != "via-vip":
    try:
        got.append(s.recvfrom(100)[0].decode())
    except socket.timeout:
        break
print(" ".join(got))
' $PEER_IP)
	expect_eq "the peer saw the VIP" "FROM 10.10.0.1" "$(read_line "$peer")"
	expect_eq "received" "via-vip" "$out"
}

# Detaches of a throwaway instance until the ids listed for reaping are
# reaped (every 64 detaches: loader/core/portreap.c).
reap_now() {
	local i
	for i in $(seq 64); do
		vnictl attach --cgroup x --vip 10.10.0.9 >/dev/null && vnictl detach --cgroup x >/dev/null ||
			fail "attach and detach $i"
		[ -e "$VNI_STATE_DIR/portreap" ] || return 0
	done
	fail "no reap after 64 detaches"
}

# An instance's program remembers the socket that last sent (per CPU, in the
# instance's storage: counted where it receives, bpf/vni_inst.bpf.c). A
# cgroup vnictl did not make keeps that storage across instances: a socket
# made there, tagged meanwhile by an instance on the parent cgroup, must be
# counted again when the cgroup is attached again, or its replies are lost;
# and the new instance's counters start at 0.
test_socket_of_a_cgroup_attached_again_gets_its_replies() {
	local echo app p=$CG2/vni-test-$T_ID-p
	mkdir -p "$p/c" || fail "cgroups"
	start_bg echo on_peer python3 -u -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 9500))
print("ready", flush=True)
while True:
    data, src = s.recvfrom(100)
    s.sendto(src[0].encode(), src)'
	expect_eq "echo server" "ready" "$(read_line "$echo")"
	vnictl attach --cgroup "$p/c" --vip 10.10.0.1 >/dev/null || fail "attach c"
	mkfifo "$T_DIR/cmd"
	# one UDP socket made in c, kept by a process that then leaves c (on one
	# CPU: what the programs remember is per CPU)
	start_bg app in_cgroup "$p/c" taskset -c 0 python3 -u -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
print("made", flush=True)
with open(sys.argv[2]) as cmds:
    for line in cmds:
        s.sendto(b"hi", (sys.argv[1], 9500))
        try:
            print("reply", s.recv(100).decode(), flush=True)
        except socket.timeout:
            print("no reply", flush=True)' $PEER_IP "$T_DIR/cmd"
	expect_eq "socket" "made" "$(read_line "$app")"
	exec {cmd}>"$T_DIR/cmd"
	echo send >&$cmd
	expect_eq "attached to c" "reply 10.10.0.1" "$(read_line "$app")"
	for pid in $(cat "$p/c/cgroup.procs"); do echo "$pid" >"$CG2/cgroup.procs"; done
	vnictl detach --cgroup "$p/c" >/dev/null || fail "detach c"
	vnictl attach --cgroup "$p" --vip 10.10.0.2 >/dev/null || fail "attach the parent"
	echo send >&$cmd
	expect_eq "the parent's programs (its tag moves there)" "reply 10.10.0.2" "$(read_line "$app")"
	vnictl detach --cgroup "$p" >/dev/null || fail "detach the parent"
	reap_now # (c's counts go: it is not linked)
	vnictl attach --cgroup "$p/c" --vip 10.10.0.1 >/dev/null || fail "attach c again"
	echo send >&$cmd
	expect_eq "attached to c again" "reply 10.10.0.1" "$(read_line "$app")"
	expect_eq "the new instance's counters: that one send" 1 \
		"$(vnictl show --cgroup "$p/c" --json | json_get 'd["counters"]["send_src_set"]')"
	exec {cmd}>&-
	vnictl detach --cgroup "$p/c" >/dev/null || fail "detach c again"
}

# A detach lists the instance's cgroup id for its receive counters to be
# reaped later (loader/core/portreap.h); a cgroup vnictl did not make can be
# attached again meanwhile, with that id: the reap leaves its counts.
test_counts_of_a_cgroup_attached_again_outlive_a_reap() {
	local inst p=$CG2/vni-test-$T_ID-q
	mkdir -p "$p" || fail "cgroup"
	vnictl attach --cgroup "$p" --vip 10.10.0.1 >/dev/null || fail "attach"
	vnictl detach --cgroup "$p" >/dev/null || fail "detach" # (its id listed)
	vnictl attach --cgroup "$p" --vip 10.10.0.1 >/dev/null || fail "attach again"
	start_bg inst in_cgroup "$p" "$PROBE" -t 30 serve -n 0 0.0.0.0 9600
	expect_eq "listener" "BOUND 10.10.0.1:9600" "$(read_line "$inst")"
	expect_match "reached" "*REPLY OK*" "$(probe_peer connect 10.10.0.1 9600)"
	reap_now
	expect_match "reached after the reap" "*REPLY OK*" "$(probe_peer connect 10.10.0.1 9600)"
	vnictl detach --cgroup "$p" --force >/dev/null || fail "detach again"
}

test_receive_filter_lifecycle() {
	local node pin
	attach_both
	pin=$(ls "$VNI_BPFFS/lookup/")
	[ -n "$pin" ] || fail "no sk_lookup link pinned"
	start_bg node probe_node serve -n 0 0.0.0.0 9000
	expect_eq "node listener" "BOUND 0.0.0.0:9000" "$(read_line "$node")"
	refused "VIP with the filter" 10.10.0.1 9000
	# without the filter the node's wildcard listener gets the VIP's traffic
	rm "$VNI_BPFFS/lookup/$pin"
	expect_match "VIP without the filter" "*REPLY OK*" "$(probe_peer connect 10.10.0.1 9000)"
	expect_eq "the node's listener got it" "PEER $PEER_IP:*" "$(read_line "$node" | sed 's/:[0-9]*$/:*/')"
	expect_match "check sees it" "*receive filter (sk_lookup)*" "$(vnictl check 2>&1)"
	vnictl check >/dev/null 2>&1 && fail "check exits 0 with the filter missing"
	vnictl sync >/dev/null || fail "sync"
	refused "VIP after sync" 10.10.0.1 9000
	vnictl check >/dev/null || fail "check after sync"
	vnictl down --force >/dev/null || fail "down"
	[ -e "$VNI_BPFFS/lookup" ] && fail "down left the sk_lookup link"
	expect_match "node listener after down" "*REPLY OK*" "$(probe_peer connect $NODE_IP 9000)"
}

test_receive_filter_of_a_deleted_namespace_is_an_orphan() {
	local i out
	ip netns add "$T_ID-x" || fail "netns"
	nsenter --net="/run/netns/$T_ID-x" "$VNICTL" init >/dev/null || fail "init there"
	vnictl init >/dev/null || fail "init"
	expect_eq "one filter per namespace" "2" "$(ls "$VNI_BPFFS/lookup" | wc -l)"
	vnictl check >/dev/null || fail "check while both namespaces exist"
	ip netns del "$T_ID-x"
	# the kernel detaches the link when the namespace is torn down, soon after
	for i in $(seq 100); do
		out=$(vnictl check 2>&1) && sleep 0.1 || break
	done
	expect_match "check" "orphan_lookup: the receive filter of network namespace * outlived it*" "$out"
	vnictl sync >/dev/null || fail "sync"
	expect_eq "filters left" "1" "$(ls "$VNI_BPFFS/lookup" | wc -l)"
	vnictl check >/dev/null || fail "check after sync"
}

# A detached instance's receive counters (vni_ports) go with the next reap,
# one walk of the map for 64 detaches (core/portreap.c). The list is of one
# boot: a list left by another boot is dropped, not reaped, since cgroup ids
# start again after a reboot and may name a live instance.
test_detached_instances_receive_counters_are_reaped() {
	local keep i cgids="" ports
	vnictl attach --cgroup keep --vip 10.10.0.9 >/dev/null || fail "attach keep"
	start_bg keep probe_inst keep serve -n 0 0.0.0.0 9100
	expect_eq "keep's listener" "BOUND 10.10.0.9:9100" "$(read_line "$keep")"
	printf 'another-boot\n%s\n' "$(vnictl list --json | json_get 'd[0]["cgroup_id"]')" \
		>"$VNI_STATE_DIR/portreap"
	for i in $(seq 1 64); do
		vnictl attach --cgroup r$i --vip 10.10.1.$i >/dev/null || fail "attach r$i"
		cgids="$cgids $(vnictl list --json | json_get '[i["cgroup_id"] for i in d if i["name"] == a[0]][0]' r$i)"
		# a listener that comes and goes leaves its (instance, ports) entry
		in_inst r$i python3 -c 'import socket; s = socket.socket(); s.bind(("0.0.0.0", 9200)); s.listen()' ||
			fail "listener in r$i"
		[ $i = 1 ] && expect_json "r1's counter is there" "1" \
			"$(bpftool -j map dump pinned "$VNI_BPFFS/maps/vni_ports")" \
			'sum(1 for e in d if str(e["formatted"]["key"]["cgid"]) in a)' $cgids
		vnictl detach --cgroup r$i >/dev/null || fail "detach r$i"
		if [ $i = 63 ]; then
			expect_eq "63 detached instances listed, another boot's list dropped" "64" \
				"$(wc -l <"$VNI_STATE_DIR/portreap")"
			expect_json "their counters still there" "63" \
				"$(bpftool -j map dump pinned "$VNI_BPFFS/maps/vni_ports")" \
				'sum(1 for e in d if str(e["formatted"]["key"]["cgid"]) in a)' $cgids
		fi
	done
	ports=$(bpftool -j map dump pinned "$VNI_BPFFS/maps/vni_ports")
	expect_json "the 64th detach reaped them all" "0" "$ports" \
		'sum(1 for e in d if str(e["formatted"]["key"]["cgid"]) in a)' $cgids
	expect_eq "the list is gone" "" "$(ls "$VNI_STATE_DIR" | grep portreap)"
	expect_match "keep still answers at its VIP" "*REPLY OK*" \
		"$(probe_peer connect 10.10.0.9 9100)"
}
