# SPDX-License-Identifier: GPL-2.0-only
# Server side: where an instance's sockets may listen.

attach_web() {
	vnictl attach --cgroup web --vip 10.10.0.1 "$@" >/dev/null || fail "attach web"
}

test_wildcard_tcp_listener_is_on_the_vip() {
	local srv out
	attach_web
	start_bg srv in_inst web "$PROBE" -t 10 listen 0.0.0.0 8080
	expect_eq "listener bound" "BOUND 10.10.0.1:8080" "$(read_line "$srv")"
	# not reachable at the node's other address
	expect_eq "connect to node address" "ERR ECONNREFUSED" "$(probe_peer connect $NODE_IP 8080)"
	out=$(probe_peer connect 10.10.0.1 8080)
	expect_match "connect to VIP" "*REPLY OK*" "$out"
	expect_eq "server sees the peer" "PEER $PEER_IP:*" "$(read_line "$srv" | sed 's/:[0-9]*$/:*/')"
}

test_wildcard_udp_bind_is_on_the_vip() {
	attach_web
	expect_eq "udp bind" "BOUND 10.10.0.1:5353" "$(probe_inst web bind -u 0.0.0.0 5353)"
}

test_explicit_binds() {
	attach_web
	vnictl attach --cgroup other --vip 10.10.0.2 >/dev/null || fail "attach other"
	expect_eq "own VIP" "BOUND 10.10.0.1:81" "$(probe_inst web bind 10.10.0.1 81)"
	expect_eq "node address" "ERR EPERM" "$(probe_inst web bind $NODE_IP 82)"
	expect_eq "other instance's VIP" "ERR EPERM" "$(probe_inst web bind 10.10.0.2 83)"
	expect_eq "udp node address" "ERR EPERM" "$(probe_inst web bind -u $NODE_IP 84)"
	expect_eq "loopback is left alone" "BOUND 127.0.0.1:85" "$(probe_inst web bind 127.0.0.1 85)"
	expect_eq "node v6 address" "ERR EPERM" "$(probe_inst web bind $NODE_IP6 86)"
	expect_eq "v4-mapped node address" "ERR EPERM" "$(probe_inst web bind ::ffff:$NODE_IP 87)"
	expect_eq "v4-mapped own VIP" "BOUND [::ffff:10.10.0.1]:88" "$(probe_inst web bind ::ffff:10.10.0.1 88)"
}

test_dual_stack_listener_of_v4_instance() {
	local srv
	attach_web
	start_bg srv in_inst web "$PROBE" -t 10 listen -6only 0 :: 8080
	expect_eq "[::] listener" "BOUND [::ffff:10.10.0.1]:8080" "$(read_line "$srv")"
	expect_eq "node address refused" "ERR ECONNREFUSED" "$(probe_peer connect $NODE_IP 8080)"
	expect_eq "node v6 address refused" "ERR ECONNREFUSED" "$(probe_peer connect $NODE_IP6 8080)"
	expect_match "VIP reachable" "*REPLY OK*" "$(probe_peer connect 10.10.0.1 8080)"
	# as on a host without v6 addresses to serve: the bind works, parked at
	# the parking address (t_recv: nobody reaches it)
	expect_eq "v6only [::] is parked" "BOUND [fd76:6e69:6c6f::]:8081" \
		"$(probe_inst web bind -6only 1 :: 8081)"
	expect_eq "::ffff:0.0.0.0" "BOUND [::ffff:10.10.0.1]:8082" "$(probe_inst web bind ::ffff:0.0.0.0 8082)"
	expect_eq "v6 address from a v4-only instance" "ERR EPERM" "$(probe_inst web bind 2001:db8:10::9 8083)"
}

test_v6_instance_listener() {
	local srv
	vnictl attach --cgroup six --vip 2001:db8:10::1 >/dev/null || fail "attach"
	start_bg srv in_inst six "$PROBE" -t 10 listen :: 8080
	expect_eq "[::] listener" "BOUND [2001:db8:10::1]:8080" "$(read_line "$srv")"
	expect_eq "node v6 address refused" "ERR ECONNREFUSED" "$(probe_peer connect $NODE_IP6 8080)"
	expect_match "VIP reachable" "*REPLY OK*" "$(probe_peer connect 2001:db8:10::1 8080)"
	expect_eq "peer seen" "PEER [$PEER_IP6]:*" "$(read_line "$srv" | sed 's/:[0-9]*$/:*/')"
	expect_eq "v4 wildcard in a v6-only instance: the private address" "BOUND 127.128.0.1:8081" \
		"$(probe_inst six bind 0.0.0.0 8081)"
	expect_eq "v4 address of the node" "ERR EPERM" "$(probe_inst six bind $NODE_IP 8084)"
	expect_eq "node v6 address" "ERR EPERM" "$(probe_inst six bind $NODE_IP6 8082)"
	expect_eq "::1 is left alone" "BOUND [::1]:8083" "$(probe_inst six bind ::1 8083)"
}

test_dual_vip_instance() {
	vnictl attach --cgroup both --vip 10.10.0.1 --vip 2001:db8:10::1 >/dev/null || fail "attach"
	expect_eq "v4 wildcard" "BOUND 10.10.0.1:80" "$(probe_inst both bind 0.0.0.0 80)"
	# a dual-stack [::] sits on the v4 VIP and gets its v6 connections from
	# sk_lookup (t_recv: dual_stack_listener_answers_on_both_vips)
	expect_eq "dual-stack [::]" "BOUND [::ffff:10.10.0.1]:80" "$(probe_inst both bind -6only 0 :: 80)"
	expect_eq "v6only [::]" "BOUND [2001:db8:10::1]:82" "$(probe_inst both bind -6only 1 :: 82)"
	expect_eq "v6 VIP" "BOUND [2001:db8:10::1]:81" "$(probe_inst both bind 2001:db8:10::1 81)"
}

test_two_instances_share_a_port() {
	local a b
	attach_web
	vnictl attach --cgroup api --vip 10.10.0.2 >/dev/null || fail "attach api"
	start_bg a in_inst web "$PROBE" -t 10 listen 0.0.0.0 80
	start_bg b in_inst api "$PROBE" -t 10 listen 0.0.0.0 80
	expect_eq "web listener" "BOUND 10.10.0.1:80" "$(read_line "$a")"
	expect_eq "api listener" "BOUND 10.10.0.2:80" "$(read_line "$b")"
	expect_match "reach web" "*LOCAL $PEER_IP:*" "$(probe_peer connect 10.10.0.1 80)"
	expect_eq "web got it" "PEER $PEER_IP:*" "$(read_line "$a" | sed 's/:[0-9]*$/:*/')"
	expect_eq "web local" "LOCAL 10.10.0.1:80" "$(read_line "$a")"
	expect_match "reach api" "*REPLY OK*" "$(probe_peer connect 10.10.0.2 80)"
	expect_eq "api got it" "PEER $PEER_IP:*" "$(read_line "$b" | sed 's/:[0-9]*$/:*/')"
	expect_eq "api local" "LOCAL 10.10.0.2:80" "$(read_line "$b")"
}

test_sub_cgroup_belongs_to_instance() {
	attach_web
	mkdir "$VNI_CGROUP_ROOT/web/worker" || fail "mkdir"
	expect_eq "wildcard bind in a sub-cgroup" "BOUND 10.10.0.1:90" \
		"$(in_cgroup "$VNI_CGROUP_ROOT/web/worker" "$PROBE" -t 5 bind 0.0.0.0 90)"
	expect_eq "node address in a sub-cgroup" "ERR EPERM" \
		"$(in_cgroup "$VNI_CGROUP_ROOT/web/worker" "$PROBE" -t 5 bind $NODE_IP 91)"
}

# Virtual ids (a clone's template VIPs, vni_vids): put in by hand here, as
# 'vnictl clone' does from the record (the VM tests clone for real). The
# instance's bind of the template VIP lands on its own VIP, and a connect to
# the template VIP reaches its own listener.
test_virtual_ids_translate_to_the_own_vip() {
	local id key val srv
	vnictl attach --cgroup web --vip 10.10.0.1 --vip 2001:db8:10::1 >/dev/null || fail "attach"
	id=$(stat -c %i "$VNI_CGROUP_ROOT/web")
	bytes() { python3 -c 'import sys; print(" ".join(str(b) for b in bytes.fromhex(sys.argv[1])))' "$1"; }
	le64() { python3 -c 'import struct, sys; print(struct.pack("<Q", int(sys.argv[1])).hex())' "$1"; }
	# key: cgid, family, 16 address bytes, pad; value: 16 address bytes
	bpftool map update pinned "$VNI_BPFFS/maps/vni_vids" \
		key $(bytes "$(le64 "$id")02000000""0a630001""000000000000000000000000""00000000") \
		value $(bytes "0a0a0001000000000000000000000000") || fail "vni_vids v4"
	bpftool map update pinned "$VNI_BPFFS/maps/vni_vids" \
		key $(bytes "$(le64 "$id")0a000000""20010db8009900000000000000000001""00000000") \
		value $(bytes "20010db8001000000000000000000001") || fail "vni_vids v6"
	expect_eq "without the flag, the template VIP is refused" "ERR EPERM" "$(probe_inst web bind 10.99.0.1 80)"
	# the record's flag VNI_F_VIDS (16): the programs look virtual ids up
	val=$(bpftool -j map lookup pinned "$VNI_BPFFS/maps/vni_inst" key $(bytes "$(le64 "$id")") |
		python3 -c 'import json, sys; v = [int(b, 16) for b in json.load(sys.stdin)["value"]]; v[4] |= 16; print(" ".join(map(str, v)))')
	bpftool map update pinned "$VNI_BPFFS/maps/vni_inst" key $(bytes "$(le64 "$id")") value $val ||
		fail "record flag"
	expect_eq "bind of the template's v4 VIP" "BOUND 10.10.0.1:80" "$(probe_inst web bind 10.99.0.1 80)"
	expect_eq "bind of the template's v6 VIP" "BOUND [2001:db8:10::1]:80" "$(probe_inst web bind 2001:db8:99::1 80)"
	expect_eq "bind of ::ffff:template VIP" "BOUND [::ffff:10.10.0.1]:80" "$(probe_inst web bind ::ffff:10.99.0.1 80)"
	expect_eq "another address is still refused" "ERR EPERM" "$(probe_inst web bind 10.99.0.2 80)"
	start_bg srv probe_inst web serve -n 0 10.99.0.1 8080
	expect_eq "a listener on the template VIP" "BOUND 10.10.0.1:8080" "$(read_line "$srv")"
	expect_match "a connect to the template VIP reaches it" "*REMOTE 10.10.0.1:8080*REPLY OK*" \
		"$(probe_inst web connect 10.99.0.1 8080 | tr '\n' ' ')"
	expect_match "the peer reaches it at the clone's VIP" "*REPLY OK*" "$(probe_peer connect 10.10.0.1 8080)"
	expect_match "dump shows the table" "*10.99.0.1*" \
		"$(bpftool -j map dump pinned "$VNI_BPFFS/maps/vni_vids" | python3 -c 'import json, sys, ipaddress
for e in json.load(sys.stdin): print(ipaddress.ip_address(bytes(e["formatted"]["key"]["addr"][:4])))')"
	vnictl detach --cgroup web --force >/dev/null || fail "detach"
	expect_eq "detach empties vni_vids" "[]" "$(bpftool -j map dump pinned "$VNI_BPFFS/maps/vni_vids")"
}
