# SPDX-License-Identifier: GPL-2.0-only
# Client side: the source address a peer sees.

peer_sees() { # what fd expected-peer-address
	expect_eq "$1" "PEER $3" "$(read_line "$2" | sed 's/:[0-9]*$//')"
}

test_tcp_connect_leaves_from_the_vip() {
	local srv
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	peer_server srv 0.0.0.0 7000
	expect_match "connect" "LOCAL 10.10.0.1:*REPLY OK*" "$(probe_inst web connect $PEER_IP 7000 | tr '\n' ' ')"
	peer_sees "peer of a TCP connect" "$srv" 10.10.0.1
}

test_connected_udp_leaves_from_the_vip() {
	local srv
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	peer_server srv -u 0.0.0.0 7001
	expect_match "connect" "LOCAL 10.10.0.1:*REPLY OK*" "$(probe_inst web connect -u $PEER_IP 7001 | tr '\n' ' ')"
	peer_sees "peer of connected UDP" "$srv" 10.10.0.1
	# a second connect on the same socket keeps the VIP (socket already bound)
}

test_unconnected_udp_leaves_from_the_vip() {
	local srv
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	peer_server srv -u 0.0.0.0 7002
	expect_match "sendto" "*REPLY OK FROM $PEER_IP:7002*" "$(probe_inst web sendto $PEER_IP 7002 | tr '\n' ' ')"
	peer_sees "peer of sendto" "$srv" 10.10.0.1
}

test_pktinfo_source_is_overridden() {
	local srv
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	peer_server srv -u 0.0.0.0 7003
	probe_inst web sendto -S $NODE_IP $PEER_IP 7003 >/dev/null
	peer_sees "IP_PKTINFO asking for the node address" "$srv" 10.10.0.1
	peer_server srv -u 0.0.0.0 7004
	probe_inst web -t 1 sendto -C -S $NODE_IP $PEER_IP 7004 >/dev/null
	peer_sees "connected socket with an IP_PKTINFO cmsg" "$srv" 10.10.0.1
}

test_dual_stack_socket_to_v4_peer() {
	local srv
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	peer_server srv 0.0.0.0 7005
	expect_match "v4-mapped connect" "LOCAL [[]::ffff:10.10.0.1]:*" "$(probe_inst web connect ::ffff:$PEER_IP 7005 | head -n 1)"
	peer_sees "peer of a v4-mapped connect" "$srv" 10.10.0.1
	peer_server srv -u 0.0.0.0 7006
	probe_inst web sendto ::ffff:$PEER_IP 7006 >/dev/null
	peer_sees "peer of a v4-mapped sendto" "$srv" 10.10.0.1
	peer_server srv -u 0.0.0.0 7007
	probe_inst web sendto -S ::ffff:$NODE_IP ::ffff:$PEER_IP 7007 >/dev/null
	peer_sees "v4-mapped sendto with IPV6_PKTINFO" "$srv" 10.10.0.1
}

test_v6_instance_client() {
	local srv
	vnictl attach --cgroup six --vip 2001:db8:10::1 >/dev/null || fail "attach"
	peer_server srv :: 7010
	expect_match "v6 connect" "LOCAL [[]2001:db8:10::1]:*" "$(probe_inst six connect $PEER_IP6 7010 | head -n 1)"
	peer_sees "peer of a v6 connect" "$srv" "[2001:db8:10::1]"
	peer_server srv -u :: 7011
	probe_inst six connect -u $PEER_IP6 7011 >/dev/null
	peer_sees "peer of v6 connected UDP" "$srv" "[2001:db8:10::1]"
	peer_server srv -u :: 7012
	probe_inst six sendto -S $NODE_IP6 $PEER_IP6 7012 >/dev/null
	peer_sees "v6 sendto with IPV6_PKTINFO" "$srv" "[2001:db8:10::1]"
	expect_eq "v4 connect from a v6-only instance" "ERR EPERM" "$(probe_inst six connect $PEER_IP 7013)"
	expect_eq "v4 sendto from a v6-only instance" "ERR EPERM" "$(probe_inst six sendto $PEER_IP 7013)"
}

test_v6_refused_in_v4_only_instance() {
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	expect_eq "v6 TCP connect" "ERR EPERM" "$(probe_inst web connect $PEER_IP6 7020)"
	expect_eq "v6 UDP connect" "ERR EPERM" "$(probe_inst web connect -u $PEER_IP6 7020)"
	expect_eq "v6 sendto" "ERR EPERM" "$(probe_inst web sendto $PEER_IP6 7020)"
}

test_udp_connect_after_send_is_refused() {
	local srv
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	# The socket got a port without an address from sendto(); bpf_bind cannot
	# move it, so connect() is refused rather than leaving from the node.
	expect_eq "connect of an autobound UDP socket" "ERR EPERM" \
		"$(probe_inst web connect -u -A $PEER_IP 7031)"
	# bound to the VIP first, the same sequence works
	peer_server srv -u 0.0.0.0 7032
	expect_match "connect of a VIP-bound UDP socket" "LOCAL 10.10.0.1:7033*" \
		"$(probe_inst web connect -u -B 10.10.0.1 -P 7033 $PEER_IP 7032 | head -n 1)"
	peer_sees "peer" "$srv" 10.10.0.1
}

test_loopback_is_left_alone() {
	local srv
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	start_bg srv on_node "$PROBE" -t 10 listen 127.0.0.1 7040
	expect_eq "outside listener" "BOUND 127.0.0.1:7040" "$(read_line "$srv")"
	expect_match "connect to 127.0.0.1" "LOCAL 127.0.0.1:*" "$(probe_inst web connect 127.0.0.1 7040 | head -n 1)"
}

test_outsider_is_unaffected() {
	local srv
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	peer_server srv 0.0.0.0 7050
	expect_match "outside connect" "LOCAL $NODE_IP:*" "$(probe_node connect $PEER_IP 7050 | head -n 1)"
	peer_sees "peer of an outside connect" "$srv" $NODE_IP
	expect_eq "outside wildcard bind" "BOUND 0.0.0.0:7051" "$(probe_node bind 0.0.0.0 7051)"
	expect_eq "outside bind to the node address" "BOUND $NODE_IP:7052" "$(probe_node bind $NODE_IP 7052)"
	expect_eq "outside raw socket" "OK" "$(probe_node socket raw4)"
}
