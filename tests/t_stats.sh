# SPDX-License-Identifier: GPL-2.0-only
# vnictl stats: the counters the BPF programs keep per instance.

stat_of() { # instance counter: its value, from the one object of stats --json
	vnictl stats --cgroup "$1" --json |
		json_get 'd[0]["counters"][a[1]] if [i["name"] for i in d] == [a[0]] else "not only %s: %s" % (a[0], d)' "$1" "$2"
}

test_counters_follow_what_the_instance_does() {
	local srv
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	vnictl attach --cgroup api --vip 10.10.0.2 >/dev/null || fail "attach api"
	probe_inst web bind 0.0.0.0 80 >/dev/null
	probe_inst web bind 10.10.0.1 81 >/dev/null
	probe_inst web bind $NODE_IP 82 >/dev/null
	peer_server srv 0.0.0.0 7000
	probe_inst web connect $PEER_IP 7000 >/dev/null
	peer_server srv -u 0.0.0.0 7001
	probe_inst web sendto $PEER_IP 7001 >/dev/null
	probe_inst web connect $PEER_IP6 7002 >/dev/null
	probe_inst web socket raw4 >/dev/null
	expect_eq "bind_rewritten" 1 "$(stat_of web bind_rewritten)"
	expect_eq "bind_allowed" 1 "$(stat_of web bind_allowed)"
	expect_eq "denied_bind" 1 "$(stat_of web denied_bind)"
	expect_eq "connect_src_set" 1 "$(stat_of web connect_src_set)"
	expect_eq "send_src_set" 1 "$(stat_of web send_src_set)"
	expect_eq "denied_connect" 1 "$(stat_of web denied_connect)"
	expect_eq "denied_socket" 1 "$(stat_of web denied_socket)"
	expect_eq "another instance's counters" 0 "$(stat_of api bind_rewritten)"
	expect_match "table" "NAME *bind_rewritten*api *0 *0*web *1 *1 *1 *1 *1 *1 *0 *1*" \
		"$(vnictl stats | tr -s ' \n' '  ')"
	expect_eq "unknown instance" "vnictl: no instance named 'nope'" "$(vnictl stats --cgroup nope 2>&1)"
}
