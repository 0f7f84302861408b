# SPDX-License-Identifier: GPL-2.0-only
# The VIP belongs to its instance alone; a socket keeps the rules of the
# cgroup it was created in; enforcement does not need vnictl to run.

test_outsider_cannot_use_a_vip() {
	local srv
	vnictl attach --cgroup web --vip 10.10.0.1 --vip 2001:db8:10::1 >/dev/null || fail "attach"
	vnictl attach --cgroup api --vip 10.10.0.2 >/dev/null || fail "attach api"
	expect_eq "outsider binds the VIP" "ERR EPERM" "$(probe_node bind 10.10.0.1 80)"
	expect_eq "outsider binds the v6 VIP" "ERR EPERM" "$(probe_node bind 2001:db8:10::1 80)"
	expect_eq "outsider binds the v4-mapped VIP" "ERR EPERM" "$(probe_node bind ::ffff:10.10.0.1 80)"
	expect_eq "outsider sends from the VIP (IP_PKTINFO)" "ERR EPERM" "$(probe_node sendto -S 10.10.0.1 $PEER_IP 9)"
	expect_eq "outsider sends from the v6 VIP (IPV6_PKTINFO)" "ERR EPERM" "$(probe_node sendto -S 2001:db8:10::1 $PEER_IP6 9)"
	expect_eq "another instance binds it" "ERR EPERM" "$(probe_inst api bind 10.10.0.1 80)"
	# another instance asking for it as a source gets its own VIP instead
	peer_server srv -u 0.0.0.0 9000
	probe_inst api sendto -S 10.10.0.1 $PEER_IP 9000 >/dev/null
	expect_eq "peer sees api's own VIP" "PEER 10.10.0.2" "$(read_line "$srv" | sed 's/:[0-9]*$//')"
	expect_eq "the owner binds it" "BOUND 10.10.0.1:80" "$(probe_inst web bind 10.10.0.1 80)"
	expect_eq "outsider binds the node address" "BOUND $NODE_IP:80" "$(probe_node bind $NODE_IP 80)"
}

test_socket_passed_out_keeps_instance_rules() {
	local srv pass
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	peer_server srv 0.0.0.0 9100
	start_bg pass in_inst web "$PROBE" -t 10 passfd-server "$T_DIR/pass.sock"
	expect_eq "server ready" "READY" "$(read_line "$pass")"
	expect_match "outsider connects the passed socket" "LOCAL 10.10.0.1:*" \
		"$(probe_node passfd-client "$T_DIR/pass.sock" $PEER_IP 9100 | head -n 1)"
	expect_eq "peer sees the instance VIP" "PEER 10.10.0.1" "$(read_line "$srv" | sed 's/:[0-9]*$//')"
}

test_socket_passed_in_keeps_outsider_rules() {
	local srv pass
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	peer_server srv 0.0.0.0 9200
	start_bg pass on_node "$PROBE" -t 10 passfd-server "$T_DIR/pass.sock"
	expect_eq "server ready" "READY" "$(read_line "$pass")"
	expect_match "instance connects an outside socket" "LOCAL $NODE_IP:*" \
		"$(in_inst web "$PROBE" -t 5 passfd-client "$T_DIR/pass.sock" $PEER_IP 9200 | head -n 1)"
	expect_eq "peer sees the node address" "PEER $NODE_IP" "$(read_line "$srv" | sed 's/:[0-9]*$//')"
}

test_enforcement_outlives_vnictl() {
	local cg id links
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	cg=$VNI_CGROUP_ROOT/web
	id=$(stat -c %i "$cg")
	# the links are pinned: no vnictl process holds them
	expect_eq "vnictl processes" "" "$(pgrep -x vnictl || true)"
	links=$(ls "$VNI_BPFFS/links/$id" | tr '\n' ' ')
	expect_eq "pinned links" "vni_bind4 vni_bind6 vni_connect4 vni_connect6 vni_sendmsg4 vni_sendmsg6 vni_sock_create " "$links"
	expect_match "programs attached to the cgroup" "*vni_bind4*vni_connect4*vni_sendmsg4*" \
		"$(bpftool cgroup show "$cg" | tr '\n' ' ')"
	expect_eq "bind still rewritten" "BOUND 10.10.0.1:80" "$(probe_inst web bind 0.0.0.0 80)"
	# init on a loaded node changes nothing
	vnictl init >/dev/null || fail "init again"
	expect_eq "bind after re-init" "BOUND 10.10.0.1:81" "$(probe_inst web bind 0.0.0.0 81)"
}

test_maps_dump_with_field_names() {
	local id dump
	vnictl attach --cgroup web --vip 10.10.0.1 --aid 42 >/dev/null || fail "attach"
	id=$(stat -c %i "$VNI_CGROUP_ROOT/web")
	dump=$(bpftool map dump pinned "$VNI_BPFFS/maps/vni_inst" | tr -d ' \n')
	expect_match "instance record" "*\"key\":$id,\"value\":{\"aid\":42,\"flags\":1,*" "$dump"
	dump=$(bpftool map dump pinned "$VNI_BPFFS/maps/vni_vips" | tr -d ' \n')
	expect_match "VIP owner" "*\"family\":2,*\"aid\":42*" "$dump"
	probe_inst web bind 0.0.0.0 80 >/dev/null
	dump=$(bpftool map dump pinned "$VNI_BPFFS/maps/vni_stats" | tr -d ' \n')
	expect_match "counters" "*\"bind_rewritten\":1*" "$dump"
}

test_detach_lifts_enforcement() {
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	vnictl detach --cgroup web >/dev/null || fail "detach"
	expect_eq "cgroup removed" "no" "$([ -d "$VNI_CGROUP_ROOT/web" ] && echo yes || echo no)"
	expect_eq "VIP removed" "" "$(on_node ip -o addr show to 10.10.0.1)"
	expect_eq "VIP owner removed" "[]" "$(bpftool map dump pinned "$VNI_BPFFS/maps/vni_vips" | tr -d ' \n')"
	expect_eq "links removed" "" "$(ls "$VNI_BPFFS/links")"
	vnictl down >/dev/null || fail "down"
	expect_eq "bpffs dir removed" "no" "$([ -e "$VNI_BPFFS" ] && echo yes || echo no)"
	expect_eq "guard gone from the root cgroup" "" "$(bpftool cgroup show "$CG2" | grep vni_guard || true)"
}
