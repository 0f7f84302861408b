# SPDX-License-Identifier: GPL-2.0-only
# Private loopback (attach --loopback private): 127.0.0.1 and ::1 inside an
# instance are its own (bpf/vni_loopback.bpf.h, docs/enforcement.md).

attach_lo() { # NAME VIP... (private loopback)
	local name=$1 v args=()
	shift
	for v in "$@"; do args+=(--vip "$v"); done
	vnictl attach --cgroup "$name" "${args[@]}" --loopback private >/dev/null ||
		fail "attach $name --loopback private"
}

# "PEER ADDR:*" etc.: the port of a line replaced by *
noport() { sed 's/:[0-9]*$/:*/'; }
# A client's lines on one line, its own port replaced by *
client() { sed '/^LOCAL/s/:[0-9]*$/:*/' | tr '\n' ' ' | sed 's/ $//'; }

# Instances a and b and the node each listen on LO:6379 (TCP, then UDP),
# each client reaches its own server, and both sides read LO.
each_reaches_its_own() { # LO (127.0.0.1 or ::1)
	local lo=$1 p a b node proto u local
	p=$lo; [[ $lo == *:* ]] && p="[$lo]"
	for proto in tcp udp; do
		u=; [ $proto = udp ] && u=-u
		start_bg a probe_inst a listen $u $lo 6379
		expect_eq "a: $proto bound, read back" "BOUND $p:6379" "$(read_line "$a")"
		start_bg b probe_inst b listen $u $lo 6379
		expect_eq "b: $proto bound on the same address and port" "BOUND $p:6379" "$(read_line "$b")"
		start_bg node probe_node listen $u $lo 6379
		expect_eq "node: $proto bound on the same too" "BOUND $p:6379" "$(read_line "$node")"
		expect_eq "a's client ($proto)" "LOCAL $p:* REMOTE $p:6379 REPLY OK" \
			"$(probe_inst a connect $u $lo 6379 | client)"
		expect_eq "a's server saw a's client" "PEER $p:*" "$(read_line "$a" | noport)"
		# (UDP: the server's local address comes from IP_PKTINFO, a control
		# message no hook translates: the private address, documented)
		local="$p"
		[ $proto = udp ] && { local=127.128.0.1; [[ $lo == *:* ]] && local="[fd76:6e69:6c6f::1]"; }
		expect_eq "a's server: its local address" "LOCAL $local:6379" "$(read_line "$a")"
		expect_eq "b's client ($proto)" "LOCAL $p:* REMOTE $p:6379 REPLY OK" \
			"$(probe_inst b connect $u $lo 6379 | client)"
		expect_eq "b's server saw b's client" "PEER $p:*" "$(read_line "$b" | noport)"
		expect_match "node's client ($proto)" "*REPLY OK*" "$(probe_node connect $u $lo 6379)"
		expect_eq "node's server saw it" "PEER $p:*" "$(read_line "$node" | noport)"
		on_node pkill -f "listen $u $lo 6379" 2>/dev/null
		exec {a}<&- {b}<&- {node}<&-
	done
}

test_two_instances_each_reach_their_own_127_0_0_1_and_node_its_own() {
	attach_lo a 10.10.0.1 2001:db8:10::1
	attach_lo b 10.10.0.2 2001:db8:10::2
	each_reaches_its_own 127.0.0.1
}

test_two_instances_each_reach_their_own_ipv6_loopback() {
	attach_lo a 10.10.0.1 # v4 only: its ::1 is its private v6 address all the same
	attach_lo b 10.10.0.2 2001:db8:10::2
	each_reaches_its_own ::1
}

# Nobody else reaches an instance's loopback: not the node (at the private
# address), not another instance, not a peer.
test_loopback_listener_is_reached_from_its_instance_only() {
	local a
	attach_lo a 10.10.0.1 2001:db8:10::1
	attach_lo b 10.10.0.2
	start_bg a probe_inst a serve -n 0 127.0.0.1 7000
	expect_eq "a's listener" "BOUND 127.0.0.1:7000" "$(read_line "$a")"
	start_bg a6 probe_inst a serve -n 0 -6only 1 ::1 7000
	expect_eq "a's v6 listener" "BOUND [::1]:7000" "$(read_line "$a6")"
	expect_match "a reaches it" "*REPLY OK*" "$(probe_inst a connect 127.0.0.1 7000)"
	expect_eq "from the node, at a's private address" "ERR ECONNREFUSED" \
		"$(probe_node connect 127.128.0.1 7000 | tail -n 1)"
	# (v6: the node's socket would get that very address as its source; the
	# guard refuses the connect)
	expect_eq "from the node, at a's private v6 address" "ERR EPERM" \
		"$(probe_node connect fd76:6e69:6c6f::1 7000 | tail -n 1)"
	expect_eq "from b, at a's private address" "ERR ECONNREFUSED" \
		"$(probe_inst b connect 127.128.0.1 7000 | tail -n 1)"
	expect_eq "from b, at its own 127.0.0.1 (nothing there)" "ERR ECONNREFUSED" \
		"$(probe_inst b connect 127.0.0.1 7000 | tail -n 1)"
	expect_eq "from the node, at 127.0.0.1 (nothing there)" "ERR ECONNREFUSED" \
		"$(probe_node connect 127.0.0.1 7000 | tail -n 1)"
	expect_eq "from the peer, at a's private v6 address" "ERR ECONNREFUSED" \
		"$(on_peer ip -6 route add fd76:6e69:6c6f::/96 via $NODE_IP6 && probe_peer connect fd76:6e69:6c6f::1 7000 | tail -n 1)"
	expect_eq "from the peer, at the VIP (a listens on loopback only)" "ERR ECONNREFUSED" \
		"$(probe_peer connect 10.10.0.1 7000 | tail -n 1)"
}

# A wildcard listener of a private-loopback instance answers at 127.0.0.1 and
# ::1 inside as well as at its VIPs: health checks that dial localhost work.
test_wildcard_listener_answers_at_localhost_inside() {
	local w w6 u
	attach_lo a 10.10.0.1 2001:db8:10::1
	start_bg w probe_inst a serve -n 0 0.0.0.0 8080
	expect_eq "v4 wildcard listener" "BOUND 10.10.0.1:8080" "$(read_line "$w")"
	start_bg w6 probe_inst a serve -n 0 -6only 1 :: 8080
	expect_eq "v6 wildcard listener" "BOUND [2001:db8:10::1]:8080" "$(read_line "$w6")"
	expect_eq "127.0.0.1 inside" "LOCAL 127.0.0.1:* REMOTE 127.0.0.1:8080 REPLY OK" \
		"$(probe_inst a connect 127.0.0.1 8080 | client)"
	expect_eq "the server saw 127.0.0.1" "PEER 127.0.0.1:*" "$(read_line "$w" | noport)"
	expect_eq "::1 inside" "LOCAL [::1]:* REMOTE [::1]:8080 REPLY OK" \
		"$(probe_inst a connect ::1 8080 | client)"
	expect_eq "the v6 server saw ::1" "PEER [::1]:*" "$(read_line "$w6" | noport)"
	expect_match "the VIP from outside" "*REPLY OK*" "$(probe_peer connect 10.10.0.1 8080)"
	expect_eq "the server saw the peer" "PEER $PEER_IP:*" "$(read_line "$w" | noport)"
	expect_match "the v6 VIP from outside" "*REPLY OK*" "$(probe_peer connect 2001:db8:10::1 8080)"
	expect_eq "the node's 127.0.0.1 is not the instance's" "ERR ECONNREFUSED" \
		"$(probe_node connect 127.0.0.1 8080 | tail -n 1)"
	# a dual-stack listener (Node, Java) at both
	start_bg d probe_inst a serve -n 0 -6only 0 :: 8081
	expect_eq "dual-stack wildcard listener" "BOUND [::ffff:10.10.0.1]:8081" "$(read_line "$d")"
	expect_match "127.0.0.1 to the dual-stack one" "*REPLY OK*" "$(probe_inst a connect 127.0.0.1 8081)"
	expect_eq "it saw 127.0.0.1" "PEER [::ffff:127.0.0.1]:*" "$(read_line "$d" | noport)"
	expect_match "::1 to the dual-stack one" "*REPLY OK*" "$(probe_inst a connect ::1 8081)"
	expect_eq "it saw ::1" "PEER [::1]:*" "$(read_line "$d" | noport)"
	# UDP (a resolver on the wildcard address): the reply reads as from 127.0.0.1
	start_bg u probe_inst a serve -n 0 -u 0.0.0.0 5353
	expect_eq "UDP wildcard socket" "BOUND 10.10.0.1:5353" "$(read_line "$u")"
	expect_eq "unconnected send to 127.0.0.1" "REPLY OK FROM 127.0.0.1:5353" \
		"$(probe_inst a sendto 127.0.0.1 5353 | grep ^REPLY)"
	expect_eq "connected UDP to 127.0.0.1" "LOCAL 127.0.0.1:* REMOTE 127.0.0.1:5353 REPLY OK" \
		"$(probe_inst a connect -u 127.0.0.1 5353 | client)"
}

# Other loopback addresses stay the node's (its resolver stub on 127.0.0.53),
# and an instance attached without --loopback shares the node's 127.0.0.1.
test_other_loopback_addresses_and_shared_mode_unchanged() {
	local stub node
	attach_lo a 10.10.0.1
	vnictl attach --cgroup s --vip 10.10.0.2 >/dev/null || fail "attach s (shared)"
	start_bg stub probe_node serve -n 0 -u 127.0.0.53 53
	expect_eq "node's stub" "BOUND 127.0.0.53:53" "$(read_line "$stub")"
	expect_eq "private instance reaches the stub" "REPLY OK FROM 127.0.0.53:53" \
		"$(probe_inst a sendto 127.0.0.53 53 | grep ^REPLY)"
	expect_eq "the stub saw the node's 127.0.0.1" "PEER 127.0.0.1:*" "$(read_line "$stub" | noport)"
	start_bg node probe_node serve -n 0 127.0.0.1 6379
	expect_eq "node's 127.0.0.1 listener" "BOUND 127.0.0.1:6379" "$(read_line "$node")"
	expect_match "shared instance reaches it" "*REPLY OK*" "$(probe_inst s connect 127.0.0.1 6379)"
	expect_eq "private one does not" "ERR ECONNREFUSED" \
		"$(probe_inst a connect 127.0.0.1 6379 | tail -n 1)"
	expect_eq "shared instance binds the node's 127.0.0.1" "BOUND 127.0.0.1:6380" \
		"$(probe_inst s bind 127.0.0.1 6380)"
	expect_eq "show" "loopback: private" "$(vnictl show --cgroup a | grep '^loopback' | tr -s ' ')"
	expect_json "list --json" "private shared" "$(vnictl list --json)" \
		'" ".join(i["loopback"] for i in d)'
}

test_bad_loopback_is_refused() {
	local before out rc
	before=$(snapshot)
	out=$(vnictl attach --cgroup a --vip 10.10.0.1 --loopback local 2>&1); rc=$?
	expect_eq "exit code" 2 "$rc"
	expect_eq "message" "vnictl: invalid loopback 'local': must be shared or private (see 'vnictl help')" "$out"
	expect_eq "nothing changed" "$before" "$(snapshot)"
}

# Stock redis as Debian configures it (bind 127.0.0.1 -::1, protected mode
# on: it answers loopback clients only) in two instances at once: each
# redis-cli reaches its own server, which takes it for a loopback client.
test_two_stock_redis_on_their_own_localhost() {
	local i pids=()
	command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
		{ echo "redis-server is not installed (tools/install-deps.sh installs it)"; exit 77; }
	attach_lo r1 10.10.0.1
	attach_lo r2 10.10.0.2 2001:db8:10::2
	for i in 1 2; do
		mkdir -p "$T_DIR/r$i"
		on_node "$VNICTL" run --cgroup "r$i" -- redis-server --bind "127.0.0.1 -::1" \
			--protected-mode yes --save '' --appendonly no --dir "$T_DIR/r$i" \
			</dev/null >>"$T_DIR/r$i.log" 2>&1 &
		pids+=($!)
	done
	for i in 1 2; do
		for _ in $(seq 150); do
			[ "$(in_inst "r$i" redis-cli -h 127.0.0.1 ping 2>/dev/null)" = PONG ] && break
			sleep 0.1
		done
		expect_eq "redis $i answers at its 127.0.0.1" PONG "$(in_inst "r$i" redis-cli -h 127.0.0.1 ping 2>&1)"
	done
	expect_eq "r1 writes" OK "$(in_inst r1 redis-cli -h 127.0.0.1 set k one 2>&1)"
	expect_eq "r2 writes" OK "$(in_inst r2 redis-cli -h ::1 set k two 2>&1)"
	expect_eq "r1 reads its own (at ::1)" one "$(in_inst r1 redis-cli -h ::1 get k 2>&1)"
	expect_eq "r2 reads its own" two "$(in_inst r2 redis-cli -h 127.0.0.1 get k 2>&1)"
	expect_match "redis saw a loopback client" "*addr=127.0.0.1:*" \
		"$(in_inst r1 redis-cli -h 127.0.0.1 client list 2>&1)"
	expect_match "the node has no redis at 127.0.0.1" "*Connection refused*" \
		"$(on_node redis-cli -h 127.0.0.1 ping 2>&1)"
	for i in 1 2; do
		grep -qi "Could not create server\|bind.*fail" "$T_DIR/r$i.log" &&
			fail "redis $i logged a failed bind: $(grep -i bind "$T_DIR/r$i.log" | head -n 1)"
	done
	kill "${pids[@]}" 2>/dev/null
}
