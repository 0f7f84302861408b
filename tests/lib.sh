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
LINKPROBE=$TOP/build/linkprobe
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

# json_get EXPR [ARG...]: reads a JSON document (vnictl --json, bpftool's
# dumps) on stdin and prints EXPR, a Python expression of it (d) and of the
# ARGs (a[0], a[1], ...): a string as it is, anything else as compact JSON
# (null, true, 3, ["a",1], {"k":null}, in the document's order). Input
# that is not JSON, or an EXPR that raises, prints nothing to stdout and
# a message to stderr, and returns 1.
#   cg=$(vnictl show --cgroup web --json | json_get 'd["cgroup_id"]')
# (Debian's python3 itself, isolated: a wrapper on PATH such as pyenv's
# costs a tenth of a second a call, and the crash tests make hundreds.)
JSON_PYTHON=/usr/bin/python3
[ -x "$JSON_PYTHON" ] || JSON_PYTHON=python3
json_get() {
	"$JSON_PYTHON" -I -S -c '
import json, sys
text = sys.stdin.read()
try:
    d = json.loads(text)
except ValueError as e:
    sys.exit("json_get: not JSON (%s): %.300r" % (e, text))
try:
    v = eval(sys.argv[1], {"d": d, "a": sys.argv[2:]})
except Exception as e:
    sys.exit("json_get: %s on %.300r: %s: %s" % (sys.argv[1], text, type(e).__name__, e))
print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))
' "$@"
}

# expect_json WHAT EXPECTED JSON EXPR [ARG...]: json_get EXPR [ARG...] of the
# document JSON prints EXPECTED.
#   expect_json "state" "[]" "$(vnictl list --json)" d
#   expect_json "names" "api web" "$(vnictl list --json)" '" ".join(i["name"] for i in d)'
expect_json() {
	local __what=$1 __expected=$2 __json=$3 __got
	shift 3
	__got=$(json_get "$@" <<<"$__json" 2>&1) || fail "$__what: $__got"
	expect_eq "$__what" "$__expected" "$__got"
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

# Runs at the end of every test, also one that failed or timed out (then
# from the runner, after the test's processes were killed). Whatever the test
# made is named after T_ID: namespaces $T_ID-*, cgroups vni-*-$T_ID*, bpffs
# dirs vni-test-$T_ID*.
t_cleanup() {
	local pids nss ns cg i
	nss=$(ip netns list 2>/dev/null | awk -v p="$T_ID-" 'index($1, p) == 1 { print $1 }')
	pids=$(for ns in $nss; do ip netns pids "$ns" 2>/dev/null; done)
	[ -n "$pids" ] && kill $pids 2>/dev/null
	[ -e "/run/netns/$NODE" ] && vnictl down --force >/dev/null 2>&1
	# whatever a failed test left behind
	for cg in "$VNI_CGROUP_ROOT" "$CG2/vni-test-$T_ID"-* "$CG2/vni-busy-$T_ID"; do
		[ -d "$cg" ] || continue
		echo 1 >"$cg/cgroup.kill" 2>/dev/null
		for i in $(seq 50); do
			grep -q 'populated 1' "$cg/cgroup.events" 2>/dev/null || break
			sleep 0.1
		done
		find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	rm -rf "$VNI_BPFFS" "/sys/fs/bpf/vni-test-$T_ID"-*
	for ns in $nss; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$T_DIR"
}

# for_anyone FILE: a copy of FILE that any user can read and run, printed as
# a path: the checkout may be under a mode-0700 home (/root), which another
# user cannot enter. Made in the test's directory (mode 755), gone with it.
for_anyone() {
	local dir=$T_DIR/anyone
	mkdir -p "$dir" && chmod 755 "$dir" && cp "$1" "$dir/" &&
		chmod a+rx "$dir/${1##*/}" || fail "cannot copy $1 for other users"
	printf '%s\n' "$dir/${1##*/}"
}

# The first id outside of the user namespace: vni's /etc/subuid (subgid)
# range, or the documented default.
userns_base() { # /etc/subuid|/etc/subgid
	local base
	base=$(awk -F: -v uid="$(id -u vni 2>/dev/null)" '($1 == "vni" || $1 == uid) && $3 >= 65536 { print $2; exit }' "$1" 2>/dev/null)
	echo "${base:-2147483648}"
}

# Runs "vnictl ARGS" with a crash after step N; prints the step it died at,
# or nothing when the command finished (N is past its last step).
crash_after() { # N ARGS...
	local n=$1 out rc
	shift
	# output to a file: an application started by 'run' keeps it open
	VNI_DEBUG_CRASH_AFTER=$n vnictl "$@" >"$T_DIR/crash.out" 2>&1 </dev/null
	rc=$?
	out=$(cat "$T_DIR/crash.out")
	case $out in
	*"killed after step $n:"*)
		[ $rc = 137 ] || fail "step $n: exit $rc, not SIGKILL: $out"
		echo "${out#*killed after step $n: }" | head -n 1 ;;
	*) [ $rc = 0 ] || fail "vnictl $* without a crash: exit $rc: $out" ;;
	esac
}

# The node's addresses and vni's IPv4 VIPs (local routes of proto 118, which
# is what an IPv4 VIP is), sorted, "ADDR/LEN DEV" a line; with an argument,
# those in that prefix only. Link-local addresses come and go on their own.
node_addrs() {
	{
		on_node ip -o addr show ${1:+to "$1"} | grep -v "scope link" | awk '{ print $4, $2 }'
		case ${1:-} in
		*:*) ;;
		*) on_node ip -4 route show table local proto 118 ${1:+root "$1"} | awk '{ print $2 "/32", $4 }' ;;
		esac
	} | sort
}

# Takes an IPv4 VIP off the node by hand, as drift would.
del_vip4() {
	on_node ip route del table local local "$1" dev "${2:-lo}" proto 118
}

# Everything a refused command must leave untouched.
snapshot() {
	{
		find "$VNI_CGROUP_ROOT" -type d 2>/dev/null | sort
		find "$VNI_BPFFS" 2>/dev/null | sort
		node_addrs
		vnictl list --json
	} 2>&1
}

# race_auto_attaches N CMD...: N 'attach --cgroup iK --vip auto' at once, the
# K-th through CMD number K mod (how many CMDs) (vnictl, or another node's);
# prints "SUCCEEDED REFUSED". Any outcome but success or a full default
# pool is printed instead, so the caller's comparison fails on it.
race_auto_attaches() {
	local n=$1 i ok=0 full=0 pids=()
	shift
	local cmds=("$@")
	for i in $(seq "$n"); do
		( ${cmds[i % ${#cmds[@]}]} attach --cgroup "i$i" --vip auto >"$T_DIR/out.$i" 2>&1
		  echo $? >"$T_DIR/rc.$i" ) &
		pids+=($!)
	done
	wait "${pids[@]}"
	for i in $(seq "$n"); do
		case $(cat "$T_DIR/rc.$i"):$(cat "$T_DIR/out.$i") in
		0:*) ok=$((ok + 1)) ;;
		"1:vnictl: pool default: no free IPv4 address") full=$((full + 1)) ;;
		*) echo "attach i$i: $(cat "$T_DIR/out.$i")"; return 1 ;;
		esac
	done
	echo "$ok $full"
}

# ---- service addresses (t_service, t_crash) ----
SVC=10.10.0.100
SVC6=2001:db8:10::100

svc_probe() { python3 "$TOP/tests/svc_probe.py" "$@"; }

# Instances NAME... with VIPs 10.10.0.K and 2001:db8:10::K (K = 1, 2, ...)
members() {
	local k=1 name
	for name in "$@"; do
		vnictl attach --cgroup "$name" --vip 10.10.0.$k --vip 2001:db8:10::$k >/dev/null ||
			fail "attach $name"
		k=$((k + 1))
	done
}

# A member's server (answers with its name): serve_in VAR NAME PROTO PORT [ADDR]
serve_in() {
	local __v=$1 name=$2
	shift 2
	start_bg "$__v" in_inst "$name" python3 "$TOP/tests/svc_probe.py" serve "$1" "$name" "${@:2}"
	expect_eq "$name serving" "READY" "$(read_line "${!__v}")"
}
stop_in() { # NAME: its servers end (a member that stops listening)
	on_node pkill -f "svc_probe.py serve [a-z]* $1 " 2>/dev/null
	local i
	for i in $(seq 50); do
		on_node pgrep -f "svc_probe.py serve [a-z]* $1 " >/dev/null || return 0
		sleep 0.1
	done
	fail "$1's server did not stop"
}

from_peer() { on_peer python3 "$TOP/tests/svc_probe.py" "$@"; }

# "a N b M c K" -> fails unless each of the names got at least MIN
fair() { # WHAT MIN OUTPUT NAMES...
	local what=$1 min=$2 out=$3 name n
	shift 3
	[[ $out == *FAILED* ]] && fail "$what: some failed: $out"
	for name in "$@"; do
		n=$(awk -v n="$name" '$1 == n { print $2 }' <<<"$out")
		[ "${n:-0}" -ge "$min" ] || fail "$what: $name got ${n:-0} (< $min): $(echo $out)"
	done
}
