# SPDX-License-Identifier: GPL-2.0-only
# Test harness: every test gets two network namespaces of its own (a "node"
# running vni and a "peer" across a veth), its own VNI cgroup root, bpffs dir
# and state dir, and removes all of it on exit, pass or fail.
#
#   node:  vn0 192.0.2.1/24 fd00::1/64     VIPs on lo: 10.10.0.0/24, 2001:db8:10::/64
#   peer:  vp0 192.0.2.2/24 fd00::2/64     routes to the VIPs via the node

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
VNICTL=$TOP/build/vnictl
PROBE=$TOP/build/sockprobe
CG2=$(awk '{ for (i = 1; i < NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' /proc/self/mountinfo)
NODE_IP=192.0.2.1
PEER_IP=192.0.2.2
NODE_IP6=fd00::1
PEER_IP6=fd00::2

fail() {
	echo "    FAIL: $*" >&2
	exit 1
}

expect_eq() { # what expected actual
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

expect_match() { # what glob actual
	[[ "$3" == $2 ]] || fail "$1: expected '$2', got '$3'"
}

on_node() { nsenter --net="/run/netns/$NODE" "$@"; }
on_peer() { nsenter --net="/run/netns/$PEER" "$@"; }
vnictl() { on_node "$VNICTL" "$@"; }

# Runs a command as a process of instance NAME (or of any cgroup path).
in_cgroup() {
	local cg=$1
	shift
	on_node sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cg" "$@"
}
in_inst() {
	local name=$1
	shift
	in_cgroup "$VNI_CGROUP_ROOT/$name" "$@"
}
probe_inst() {
	local name=$1
	shift
	in_inst "$name" "$PROBE" -t 5 "$@"
}
probe_node() { on_node "$PROBE" -t 5 "$@"; }
probe_peer() { on_peer "$PROBE" -t 5 "$@"; }

# start_bg VAR CMD...: run CMD (a command or one of the functions above) in
# the background with its stdout on a pipe whose fd is stored in VAR;
# read_line reads it, so a test waits for a server's BOUND/READY line instead
# of sleeping. Cleanup kills every process of the test's namespaces.
start_bg() {
	local __var=$1 __fd
	shift
	exec {__fd}< <("$@" 2>>"$T_DIR/bg.stderr")
	printf -v "$__var" '%s' "$__fd"
}
read_line() { # fd -> the next line, or fail after 15 s
	local line
	read -r -t 15 -u "$1" line || fail "no output from a background process: $(tail -n 3 "$T_DIR/bg.stderr" 2>/dev/null)"
	printf '%s\n' "$line"
}
# A peer-side server: start it and wait until it is bound.
peer_server() { # VAR listen-args...
	local __v=$1
	shift
	start_bg "$__v" on_peer "$PROBE" -t 10 listen "$@"
	expect_match "peer server bound" "BOUND *" "$(read_line "${!__v}")"
}

t_setup() {
	T_ID=vt$$-$RANDOM
	T_DIR=$(mktemp -d "/tmp/vni-test.XXXXXX")
	chmod 755 "$T_DIR" # unprivileged test processes read the hosts file
	NODE=$T_ID-n
	PEER=$T_ID-p
	export VNI_CGROUP_ROOT=$CG2/vni-test-$T_ID
	export VNI_BPFFS=/sys/fs/bpf/vni-test-$T_ID
	export VNI_STATE_DIR=$T_DIR/state
	export VNI_HOSTS_FILE=$T_DIR/hosts
	trap t_cleanup EXIT
	ip netns add "$NODE" && ip netns add "$PEER" &&
		ip link add name vn0 netns "$NODE" type veth peer name vp0 netns "$PEER" ||
		fail "cannot create the test namespaces"
	on_node sh -e -c "
		ip link set lo up; ip link set vn0 up
		ip addr add $NODE_IP/24 dev vn0; ip -6 addr add $NODE_IP6/64 dev vn0 nodad
		sysctl -qw net.ipv4.ping_group_range='0 2147483647'" || fail "node setup"
	on_peer sh -e -c "
		ip link set lo up; ip link set vp0 up
		ip addr add $PEER_IP/24 dev vp0; ip -6 addr add $PEER_IP6/64 dev vp0 nodad
		ip route add 10.10.0.0/24 via $NODE_IP; ip -6 route add 2001:db8:10::/64 via $NODE_IP6" ||
		fail "peer setup"
}

t_cleanup() {
	local pids
	pids=$(ip netns pids "$NODE" 2>/dev/null; ip netns pids "$PEER" 2>/dev/null)
	[ -n "$pids" ] && kill $pids 2>/dev/null
	[ -e "/run/netns/$NODE" ] && vnictl down --force >/dev/null 2>&1
	# whatever a failed test left behind
	if [ -d "$VNI_CGROUP_ROOT" ]; then
		echo 1 >"$VNI_CGROUP_ROOT/cgroup.kill" 2>/dev/null
		find "$VNI_CGROUP_ROOT" -depth -type d -exec rmdir {} + 2>/dev/null
	fi
	rm -rf "$VNI_BPFFS"
	ip netns del "$NODE" 2>/dev/null
	ip netns del "$PEER" 2>/dev/null
	ip netns del "$T_ID-x" 2>/dev/null # a third one, where a test needs it
	rm -rf "$T_DIR"
}

# Everything a refused command must leave untouched.
snapshot() {
	{
		find "$VNI_CGROUP_ROOT" -type d 2>/dev/null | sort
		find "$VNI_BPFFS" 2>/dev/null | sort
		on_node ip -o addr show | grep -v "scope link" # link-local addresses come and go on their own
		vnictl list --json
	} 2>&1
}
