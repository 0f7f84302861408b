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

# Every vni node links a guard of its own to the cgroup2 root, so an
# instance's send meets other nodes' guards too, before and after its own.
# The instance's program vouches for the source it set to its own node's
# guard alone (bpf/vni_vouch.bpf.h): each send returns its length, leaves
# from the VIP and gets its reply (the autobound port counted once, then
# remembered), and outsiders are still refused the VIP.
other_node() { # TAG ARGS...: vnictl ARGS for another node on this kernel
	local tag=$1
	shift
	[ -e "/run/netns/$T_ID-$tag" ] || ip netns add "$T_ID-$tag" || fail "netns $tag"
	VNI_CGROUP_ROOT=$CG2/vni-test-$T_ID-$tag VNI_BPFFS=/sys/fs/bpf/vni-test-$T_ID-$tag \
		VNI_STATE_DIR=$T_DIR/state-$tag VNI_HOSTS_FILE=$T_DIR/hosts-$tag \
		nsenter --net="/run/netns/$T_ID-$tag" "$VNICTL" "$@"
}
test_instance_sends_past_other_nodes_guards() {
	local echo
	other_node b init >/dev/null || fail "init node b" # (its guard runs before this node's)
	vnictl attach --cgroup web --vip 10.10.0.1 --vip 2001:db8:10::1 >/dev/null || fail "attach"
	other_node c init >/dev/null || fail "init node c" # (and this one after)
	start_bg echo on_peer python3 -u -c '
import select, socket
socks = []
for fam, any in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((any, 9400))
    socks.append(s)
print("ready", flush=True)
while True:
    for s in select.select(socks, [], [])[0]:
        data, src = s.recvfrom(100)
        s.sendto(src[0].encode(), src)'
	expect_eq "echo server" "ready" "$(read_line "$echo")"
	expect_eq "20 sends a family from one socket: what sendto returned, the source the peer saw" \
		"[5] ['10.10.0.1'] | [5] ['2001:db8:10::1']" "$(in_inst web python3 -c '
import socket, sys
out = []
for fam, dst in ((socket.AF_INET, (sys.argv[1], 9400)), (socket.AF_INET6, (sys.argv[2], 9400))):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(5)
    sent, seen = set(), set()
    for i in range(20):
        sent.add(s.sendto(b"hello", dst))
        seen.add(s.recv(100).decode())
    out.append("%s %s" % (sorted(sent), sorted(seen)))
print(" | ".join(out))' $PEER_IP $PEER_IP6 2>&1)"
	expect_eq "sends counted" 40 "$(vnictl show --cgroup web --json | json_get 'd["counters"]["send_src_set"]')"
	expect_eq "outsider sends from the VIP" "ERR EPERM" "$(probe_node sendto -S 10.10.0.1 $PEER_IP 9)"
	expect_eq "outsider sends from the v6 VIP" "ERR EPERM" "$(probe_node sendto -S 2001:db8:10::1 $PEER_IP6 9)"
	other_node b down >/dev/null || fail "down node b"
	other_node c down >/dev/null || fail "down node c"
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
	expect_eq "pinned links" "vni_bind4 vni_bind6 vni_connect4 vni_connect6 vni_post_bind4 vni_post_bind6 vni_sendmsg4 vni_sendmsg6 vni_sock_create vni_sock_release vni_sockops " "$links"
	# the six that rename a private loopback back: only where there is one
	vnictl attach --cgroup lo --vip 10.10.0.2 --loopback private >/dev/null || fail "attach lo"
	expect_eq "pinned links, private loopback" "vni_bind4 vni_bind6 vni_connect4 vni_connect6 vni_getpeername4 vni_getpeername6 vni_getsockname4 vni_getsockname6 vni_post_bind4 vni_post_bind6 vni_recvmsg4 vni_recvmsg6 vni_sendmsg4 vni_sendmsg6 vni_sock_create vni_sock_release vni_sockops " \
		"$(ls "$VNI_BPFFS/links/$(stat -c %i "$VNI_CGROUP_ROOT/lo")" | tr '\n' ' ')"
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
	# the instance's record: its value's first fields, in this order
	dump=$(bpftool map dump pinned "$VNI_BPFFS/maps/vni_inst")
	expect_json "instance record" '[{"aid":42,"flags":1}]' "$dump" \
		'[dict(list(e["value"].items())[:2]) for e in d if e["key"] == int(a[0])]' "$id"
	dump=$(bpftool map dump pinned "$VNI_BPFFS/maps/vni_vips")
	expect_json "VIP owner" '[[[10,10,0,1],42]]' "$dump" \
		'[[e["key"]["addr"][:4], e["value"]["aid"]] for e in d if e["key"]["family"] == 2]'
	probe_inst web bind 0.0.0.0 80 >/dev/null
	dump=$(bpftool map dump pinned "$VNI_BPFFS/maps/vni_stats")
	expect_json "counters" '[1]' "$dump" \
		'[sum(c["value"]["bind_rewritten"] for c in e["values"]) for e in d if e["key"] == int(a[0])]' "$id"
}

test_detach_lifts_enforcement() {
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	vnictl detach --cgroup web >/dev/null || fail "detach"
	expect_eq "cgroup removed" "no" "$([ -d "$VNI_CGROUP_ROOT/web" ] && echo yes || echo no)"
	expect_eq "VIP removed" "" "$(node_addrs 10.10.0.1)"
	expect_json "VIP owner removed" "[]" "$(bpftool map dump pinned "$VNI_BPFFS/maps/vni_vips")" d
	expect_eq "links removed" "" "$(ls "$VNI_BPFFS/links")"
	vnictl down >/dev/null || fail "down"
	expect_eq "bpffs dir removed" "no" "$([ -e "$VNI_BPFFS" ] && echo yes || echo no)"
	expect_eq "guard gone from the root cgroup" "" "$(bpftool cgroup show "$CG2" | grep vni_guard || true)"
	# a cgroup vnictl did not make stays: nothing of the instance on it once
	# detach has returned (the links are detached, not only unpinned: the
	# kernel would release them some time later; sys/bpflink.h)
	local own=$CG2/vni-test-$T_ID-own
	mkdir "$own" || fail "cgroup"
	vnictl attach --cgroup "$own" --vip 10.10.0.1 >/dev/null || fail "attach to a cgroup of ours"
	expect_match "programs on it" "*vni_bind4*" "$(bpftool cgroup show "$own")"
	vnictl detach --cgroup "$own" >/dev/null || fail "detach from it"
	expect_eq "no program on it after detach" "" "$(bpftool cgroup show "$own")"
	vnictl down >/dev/null || fail "down again"
}

# The library's removal of a link pin (sys/bpflink.h, used by detach, down
# and sync) takes the program off before it returns: asked at once, the
# cgroup has no program left, in every round. (A pin only unlinked, as
# before, leaves the program attached until the kernel releases the link,
# for a time that varies: by hand 0 to 100 rounds of 100.)
test_link_pin_removal_takes_the_program_off() {
	local cg=$CG2/vni-test-$T_ID-lp pins=/sys/fs/bpf/vni-test-$T_ID-lp
	mkdir "$cg" "$pins" || fail "cgroup and bpffs dir"
	expect_eq "attached right after the removal" "attached_after=0 rounds=200" \
		"$("$LINKPROBE" "$cg" "$pins/link" unpin 200)"
}

# An IPv4 VIP is a local route of vni's own (proto 118), not an address: a
# peer reaches it as before. One that an older vnictl put on as an address
# is still found by check and taken off by detach.
test_ipv4_vip_is_a_local_route() {
	local srv
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	expect_eq "no address" "" "$(on_node ip -o addr show to 10.10.0.1)"
	# (proto vni where tools/iproute2/vni.conf is installed)
	expect_eq "a local route" "local 10.10.0.1 dev lo proto 118 scope host" \
		"$(on_node ip -4 route show table local root 10.10.0.1 | sed 's/ *$//; s/proto vni/proto 118/')"
	start_bg srv in_inst web "$PROBE" -t 10 listen 0.0.0.0 8080
	expect_eq "listener bound" "BOUND 10.10.0.1:8080" "$(read_line "$srv")"
	expect_match "the peer reaches it" "*REPLY OK*" "$(probe_peer connect 10.10.0.1 8080)"
	vnictl detach --cgroup web >/dev/null || fail "detach"

	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach again"
	del_vip4 10.10.0.1 || fail "take the route off"
	on_node ip addr add 10.10.0.1/32 dev lo scope host || fail "put an address on instead"
	vnictl check >/dev/null || fail "check calls a VIP on as an address missing"
	vnictl detach --cgroup web >/dev/null || fail "detach of the older kind"
	expect_eq "address removed" "" "$(node_addrs 10.10.0.1)"
}

test_stale_socket_cannot_use_a_later_vip() {
	local app srv
	vnictl attach --cgroup a --vip 10.10.0.1 >/dev/null || fail "attach a"
	mkfifo "$T_DIR/go"
	# a UDP socket made and bound in instance a; its process then leaves a
	start_bg app in_inst a python3 -u -c '
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.10.0.1", 0))
print("bound", flush=True)
open(sys.argv[1]).read()
# struct in_pktinfo: ifindex 0, spec_dst 10.10.0.2 (IP_PKTINFO is 8)
pktinfo = struct.pack("I4s4s", 0, socket.inet_aton("10.10.0.2"), bytes(4))
try:
    s.sendmsg([b"x"], [(socket.IPPROTO_IP, 8, pktinfo)], 0, ("192.0.2.2", 9300))
    print("sent", flush=True)
except OSError as e:
    print("errno", e.errno, flush=True)' "$T_DIR/go"
	expect_eq "socket bound" "bound" "$(read_line "$app")"
	for p in $(cat "$VNI_CGROUP_ROOT/a/cgroup.procs"); do echo "$p" >"$CG2/cgroup.procs"; done
	vnictl detach --cgroup a >/dev/null || fail "detach a"
	vnictl attach --cgroup b --vip 10.10.0.2 --aid 1 >/dev/null || fail "attach b with the same AID"
	echo go >"$T_DIR/go"
	expect_eq "old socket sending from b's VIP" "errno 1" "$(read_line "$app")"
}

test_vip_squatted_before_attach_is_refused() {
	local sq
	start_bg sq on_node python3 -u -c '
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_IP, 15, 1)  # IP_FREEBIND
s.bind(("10.10.0.1", 8080)); s.listen()
print("squatting", flush=True); time.sleep(30)'
	expect_eq "squatter" "squatting" "$(read_line "$sq")"
	expect_eq "attach refused" "vnictl: VIP 10.10.0.1 is in use by a socket on this node" \
		"$(vnictl attach --cgroup web --vip 10.10.0.1 2>&1)"
	expect_json "nothing left" "[]" "$(vnictl list --json)" d
	expect_eq "no address" "" "$(node_addrs 10.10.0.1)"
}

# A TCP connection from the address (IP_TRANSPARENT: with IP_FREEBIND alone
# the kernel refuses a non-local source) holds its one 4-tuple and
# takes none of the instance's traffic: it does not keep the VIP from an
# attach (only listeners and UDP sockets do; counting connections walked the
# whole established hash on every attach).
test_connection_from_the_address_does_not_count() {
	local sq
	start_bg sq on_node python3 -u -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_IP, 19, 1)  # IP_TRANSPARENT
s.bind(("10.10.0.1", 0)); s.setblocking(False)
try: s.connect((sys.argv[1], 9))
except BlockingIOError: pass
print("connecting", flush=True); time.sleep(30)' "$PEER_IP"
	expect_eq "squatter" "connecting" "$(read_line "$sq")"
	expect_match "its connection from the address" "*10.10.0.1:*" "$(on_node ss -Htn state syn-sent)"
	expect_match "attach" "attached web:*" "$(vnictl attach --cgroup web --vip 10.10.0.1 2>&1)"
}

# one question to the kernel covers every address an attach installs: a UDP
# socket on the second VIP of a dual-stack attach is found and named
test_second_vip_squatted_is_named() {
	local sq
	start_bg sq on_node python3 -u -c '
import socket, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, 78, 1)  # IPV6_FREEBIND
s.bind(("2001:db8:10::1", 5353))
print("squatting", flush=True); time.sleep(30)'
	expect_eq "squatter" "squatting" "$(read_line "$sq")"
	expect_eq "attach refused" "vnictl: VIP 2001:db8:10::1 is in use by a socket on this node" \
		"$(vnictl attach --cgroup web --vip 10.10.0.1 --vip 2001:db8:10::1 2>&1)"
	expect_json "nothing left" "[]" "$(vnictl list --json)" d
	expect_eq "no v4 address" "" "$(node_addrs 10.10.0.1)"
	vnictl attach --cgroup web --vip 10.10.0.2 >/dev/null || fail "attach beside the squatter"
}

test_outsiders_never_get_a_vip_as_source() {
	vnictl attach --cgroup web --vip 10.10.0.1 --vip 2001:db8:10::1 >/dev/null || fail "attach"
	# an extra link with no address of its own: source selection must not
	# fall back to a VIP for sockets that did not ask for one
	on_node sh -c 'ip link add vd0 type veth peer name vd1 && ip link set vd0 up && ip link set vd1 up &&
		ip route add 198.51.100.0/24 dev vd0 && ip -6 route add 2001:db8:99::/64 dev vd0' || fail "extra link"
	expect_eq "v4 source" "192.0.2.1" "$(on_node python3 -c '
import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(("198.51.100.1", 9)); print(s.getsockname()[0])')"
	expect_eq "v6 source" "fd00::1" "$(on_node python3 -c '
import socket; s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.connect(("2001:db8:99::1", 9)); print(s.getsockname()[0])')"
	expect_match "instance traffic still leaves from the VIP" "LOCAL 10.10.0.1:*" "$(probe_inst web connect -u 198.51.100.1 9 | head -n 1)"
}

# A detached instance's connections in TIME_WAIT (or still closing) cannot
# use the VIP any more: they must not keep it from being attached again.
test_vip_attached_again_while_old_connections_close() {
	local srv
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	# the peer closes only after the client did: the client side ends in TIME_WAIT
	start_bg srv on_peer python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 7000)); s.listen(); print("BOUND", flush=True)
c, _ = s.accept(); c.recv(1); c.close(); print("CLOSED", flush=True)'
	expect_eq "peer ready" "BOUND" "$(read_line "$srv")"
	in_inst web python3 -c 'import socket; socket.create_connection(("'$PEER_IP'", 7000)).close()' ||
		fail "connect"
	expect_eq "peer closed" "CLOSED" "$(read_line "$srv")"
	# the old connection still closing on the VIP: TIME_WAIT, or FIN_WAIT2
	# while the peer's FIN is on its way (the VM has shown both)
	expect_match "a closing socket on the VIP" "*10.10.0.1:*" \
		"$(on_node ss -Htan state time-wait state fin-wait-2 src 10.10.0.1)"
	vnictl detach --cgroup web >/dev/null || fail "detach"
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null ||
		fail "attach again while the old connection is in TIME_WAIT"
	# (a socket that can still use it is refused: vip_squatted_before_attach_is_refused)
}
