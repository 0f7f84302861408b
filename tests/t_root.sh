# SPDX-License-Identifier: GPL-2.0-only
# Root inside an instance started by vnictl run: a container's capabilities,
# its own cgroup namespace, read-only cgroupfs, bpffs and /proc/sys;
# --cap-add/--cap-drop; --userns.

# CapBnd of the default set: CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD SETGID
# SETUID SETFCAP SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE
DEFAULT_CAPS=00000000a80405fb

attach_web() {
	vnictl attach --cgroup web --vip 10.10.0.1 "$@" >/dev/null || fail "attach web"
}

# What root inside can do to leave its instance or change the node, one word
# per attempt (the escape hatch's result, or "refused"), run by vnictl run ARGS:
# move itself to the cgroup root it sees, list BPF programs, add an address,
# unlink one of vni's pins, turn on IP forwarding.
ESCAPES='
	try() { if "$@" >/dev/null 2>&1; then printf "did-it "; else printf "refused "; fi; }
	cg=$(findmnt -n -t cgroup2 -o TARGET | head -n 1)
	try sh -c "echo \$\$ > $cg/cgroup.procs"
	try bpftool prog list
	try ip addr add 10.10.0.99/32 dev lo
	try rm -f "$1"
	try sh -c "echo 1 > /proc/sys/net/ipv4/ip_forward"
	echo'
escapes() { # pin run-args...: the words of ESCAPES
	local pin=$1
	shift
	vnictl run --cgroup web "$@" -- sh -c "$ESCAPES" escape "$pin"
}

# The node is unchanged by what escapes tried.
expect_node_untouched() { # pin
	[ -e "$1" ] || fail "the pin $1 is gone"
	expect_eq "no address added" "" "$(node_addrs 10.10.0.99)"
	expect_eq "IP forwarding off" "0" "$(on_node cat /proc/sys/net/ipv4/ip_forward)"
}

# A wildcard listener of the instance is at its VIP, and only there.
expect_listener_on_vip() { # run-args... (a probe any user can run)
	local srv probe
	probe=$(for_anyone "$PROBE")
	start_bg srv vnictl run --cgroup web "$@" -- "$probe" -t 10 listen 0.0.0.0 8080
	expect_eq "wildcard listener bound to the VIP" "BOUND 10.10.0.1:8080" "$(read_line "$srv")"
	expect_eq "refused at the node's address" "ERR ECONNREFUSED" "$(probe_peer connect $NODE_IP 8080 | tail -n 1)"
	expect_match "reached at the VIP" "LOCAL *" "$(probe_peer connect 10.10.0.1 8080 | head -n 1)"
	expect_match "the peer came in at the VIP" "PEER $PEER_IP:*" "$(read_line "$srv")"
}

any_pin() { find "$VNI_BPFFS" -type f | sort | head -n 1; }

test_root_inside_cannot_leave_or_change_the_node() {
	local pin
	attach_web --allow-raw # so that only what vnictl run does stands in the way
	pin=$(any_pin)
	[ -n "$pin" ] || fail "no pin under $VNI_BPFFS"
	expect_eq "every attempt refused" "refused refused refused refused refused" "$(escapes "$pin" | sed 's/ $//')"
	expect_node_untouched "$pin"
	expect_eq "the cgroup namespace's root is the instance" "0::/" "$(vnictl run --cgroup web -- cat /proc/self/cgroup | grep '^0::')"
	expect_eq "bounding set" "CapBnd:	$DEFAULT_CAPS" "$(vnictl run --cgroup web -- grep CapBnd /proc/self/status)"
	expect_eq "effective, inheritable, ambient" "CapInh:	0000000000000000 CapEff:	$DEFAULT_CAPS CapAmb:	0000000000000000" \
		"$(vnictl run --cgroup web -- grep -E 'Cap(Inh|Eff|Amb)' /proc/self/status | tr '\n' ' ' | sed 's/ $//')"
	# its root holds the instance's processes: vni's init is PID 1
	expect_eq "the cgroup file system shows the instance, read-only" "ro 1" \
		"$(vnictl run --cgroup web -- sh -c 'findmnt -n -t cgroup2 -o OPTIONS,TARGET | head -n 1 |
			{ read -r opts dir; echo "${opts%%,*} $(grep -x 1 "$dir/cgroup.procs")"; }')"
	expect_listener_on_vip
}

test_cap_add_and_cap_drop() {
	local pin bnd
	attach_web --allow-raw
	expect_eq "--cap-add NET_ADMIN" "CapBnd:	00000000a80415fb" "$(vnictl run --cgroup web --cap-add NET_ADMIN -- grep CapBnd /proc/self/status)"
	# the address goes to the test's own node namespace
	vnictl run --cgroup web --cap-add cap_net_admin -- ip addr add 10.10.0.98/32 dev lo ||
		fail "ip addr add with --cap-add cap_net_admin"
	expect_match "the address was added" "*10.10.0.98/32*" "$(node_addrs 10.10.0.98)"
	expect_eq "--cap-add NET_RAW" "OK" "$(vnictl run --cgroup web --cap-add Net_Raw -- "$PROBE" socket packet)"
	expect_eq "--cap-drop CHOWN" "CapBnd:	00000000a80405fa" "$(vnictl run --cgroup web --cap-drop CHOWN -- grep CapBnd /proc/self/status)"
	touch "$T_DIR/file"
	expect_eq "chown refused without CAP_CHOWN" "refused" \
		"$(vnictl run --cgroup web --cap-drop CAP_CHOWN -- sh -c 'chown 65534 "$0" 2>/dev/null && echo chowned || echo refused' "$T_DIR/file")"
	expect_eq "owner unchanged" "0" "$(stat -c %u "$T_DIR/file")"
	expect_eq "--cap-drop ALL --cap-add KILL" "CapBnd:	0000000000000020" \
		"$(vnictl run --cgroup web --cap-drop ALL --cap-add KILL -- grep CapBnd /proc/self/status)"
	bnd=$(grep CapBnd /proc/self/status)
	expect_eq "--cap-add ALL" "$bnd" "$(vnictl run --cgroup web --cap-add all -- grep CapBnd /proc/self/status)"
	# even with every capability, the file systems stay read-only
	pin=$(any_pin)
	expect_eq "--cap-add ALL: the cgroup, bpffs and sysctl writes are refused" "refused refused" \
		"$(vnictl run --cgroup web --cap-add ALL -- sh -c '
			w() { if sh -c "$1" 2>/dev/null; then printf "did-it "; else printf "refused "; fi; }
			w "rm -f $0"; w "echo 1 > /proc/sys/net/ipv4/ip_forward"' "$pin" | sed 's/ $//')"
	expect_node_untouched "$pin"
}

test_unknown_capability_is_refused() {
	local before
	attach_web
	before=$(snapshot)
	expect_eq "unknown --cap-add" "vnictl: unknown capability 'NET_FOO' (a name such as NET_ADMIN, or ALL) (see 'vnictl help') 2" \
		"$(vnictl run --cgroup web --cap-add NET_FOO -- touch "$T_DIR/started" 2>&1 | tr -d '\n'; echo " ${PIPESTATUS[0]}")"
	expect_eq "unknown --cap-drop" "vnictl: unknown capability '12' (a name such as NET_ADMIN, or ALL) (see 'vnictl help') 2" \
		"$(vnictl run --cgroup web --cap-drop 12 -- touch "$T_DIR/started" 2>&1 | tr -d '\n'; echo " ${PIPESTATUS[0]}")"
	expect_eq "the command never ran" "no" "$([ -e "$T_DIR/started" ] && echo yes || echo no)"
	expect_eq "nothing running in the instance" "" "$(cat "$VNI_CGROUP_ROOT/web/cgroup.procs")"
	expect_eq "nothing changed" "$before" "$(snapshot)"
}

test_userns_root_is_unprivileged_outside() {
	local pin app p uid="" probe
	attach_web --allow-raw
	probe=$(for_anyone "$PROBE")
	expect_eq "root inside" "0 0" "$(vnictl run --cgroup web --userns -- sh -c 'echo $(id -u) $(id -g)')"
	expect_eq "uid map" "0 $(userns_base /etc/subuid) 65536" \
		"$(vnictl run --cgroup web --userns -- cat /proc/self/uid_map | awk '{ print $1, $2, $3 }')"
	expect_eq "gid map" "0 $(userns_base /etc/subgid) 65536" \
		"$(vnictl run --cgroup web --userns -- cat /proc/self/gid_map | awk '{ print $1, $2, $3 }')"
	expect_eq "no group of the node's root" "0" "$(vnictl run --cgroup web --userns -- id -G)"
	expect_eq "the virtual hostname" "vni-10-10-0-1" "$(vnictl run --cgroup web --userns -- hostname)"
	start_bg app vnictl run --cgroup web --userns -- sh -c 'echo ready; exec sleep 30'
	expect_eq "app ready" "ready" "$(read_line "$app")"
	for p in $(cat "$VNI_CGROUP_ROOT/web/cgroup.procs"); do
		[ "$(cat "/proc/$p/comm")" = sleep ] && uid=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$p/status")
	done
	p=$(userns_base /etc/subuid)
	expect_eq "its uids outside" "$p $p $p $p" "$uid"
	pin=$(any_pin)
	expect_eq "every attempt refused" "refused refused refused refused refused" \
		"$(escapes "$pin" --userns --cap-add ALL | sed 's/ $//')"
	expect_node_untouched "$pin"
	expect_eq "--user inside the user namespace" "65534" "$(vnictl run --cgroup web --userns --user nobody -- id -u)"
	expect_listener_on_vip --userns
}

test_userns_instance_is_not_checkpointed() {
	local app before
	attach_web
	start_bg app vnictl run --cgroup web --userns -- sh -c 'echo ready; exec sleep 30'
	expect_eq "app ready" "ready" "$(read_line "$app")"
	before=$(snapshot)
	expect_eq "checkpoint refused" "vnictl: instance web runs in a user namespace of its own (vnictl run --userns): it cannot be checkpointed 1" \
		"$(vnictl checkpoint --cgroup web --dir "$T_DIR/img" 2>&1 | tr -d '\n'; echo " ${PIPESTATUS[0]}")"
	expect_eq "no image directory" "no" "$([ -e "$T_DIR/img" ] && echo yes || echo no)"
	expect_eq "nothing changed" "$before" "$(snapshot)"
	expect_eq "still running" "2" "$(wc -l <"$VNI_CGROUP_ROOT/web/cgroup.procs")"
}
