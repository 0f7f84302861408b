# SPDX-License-Identifier: GPL-2.0-only
# Sockets whose addresses vni cannot steer are refused inside an instance.

test_unsteerable_sockets_are_refused() {
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	expect_eq "raw IPv4" "ERR EPERM" "$(probe_inst web socket raw4)"
	expect_eq "raw IPv6" "ERR EPERM" "$(probe_inst web socket raw6)"
	expect_eq "ICMP ping socket" "ERR EPERM" "$(probe_inst web socket ping4)"
	expect_eq "ICMPv6 ping socket" "ERR EPERM" "$(probe_inst web socket ping6)"
	expect_eq "TCP" "OK" "$(probe_inst web socket tcp4)"
	expect_eq "UDP over IPv6" "OK" "$(probe_inst web socket udp6)"
	# the same sockets outside any instance
	expect_eq "raw IPv4 outside" "OK" "$(probe_node socket raw4)"
	expect_eq "ping outside" "OK" "$(probe_node socket ping4)"
	expect_match "counted" "*denied_socket*4*" "$(vnictl show --cgroup web | tr -s ' ')"
}

test_allow_raw_opt_out() {
	vnictl attach --cgroup tools --vip 10.10.0.1 --allow-raw >/dev/null || fail "attach"
	expect_eq "raw IPv4 with --allow-raw" "OK" "$(probe_inst tools socket raw4)"
	expect_eq "ping with --allow-raw" "OK" "$(probe_inst tools socket ping4)"
	expect_eq "packet with --allow-raw" "OK" "$(probe_inst tools socket packet)"
	expect_match "show says so" "*allow-raw: yes*" "$(vnictl show --cgroup tools | tr -s ' ' | tr '\n' ' ')"
}

# AF_PACKET never reaches the cgroup sock_create hook; it takes the BPF LSM
# program, which some kernels refuse to load (lockdown). Where it is not
# active, vnictl init says so, and this test is skipped with that reason.
test_packet_sockets() {
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	if [ ! -e "$VNI_BPFFS/guard/vni_lsm_sock" ]; then
		expect_match "init reports it" "*packet-socket guard (BPF LSM): unavailable*" "$(vnictl init)"
		echo "BPF LSM programs cannot load on this kernel ($(uname -r))"
		exit 77
	fi
	expect_eq "packet socket" "ERR EPERM" "$(probe_inst web socket packet)"
	expect_eq "packet dgram socket" "ERR EPERM" "$(probe_inst web socket packetdgram)"
	expect_eq "packet socket outside" "OK" "$(probe_node socket packet)"
}
