# SPDX-License-Identifier: GPL-2.0-only
# Service addresses (vnictl service; bpf/vni_service.bpf.h, docs/services.md):
# one address:port served by several instances, dispatched in the kernel.

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

test_three_members_share_the_address_each_a_fair_share() {
	local a b c out
	members a b c
	serve_in a a tcp 8080
	serve_in b b tcp 8080
	serve_in c c tcp 8080
	vnictl service add --name web --addr $SVC:8080 --instance a --instance b --instance c \
		>/dev/null || fail "service add"
	out=$(from_peer spread tcp 300 $SVC 8080)
	fair "300 connections from a peer" 60 "$out" a b c
	echo "note: 300 connections: $(echo $out)"
	out=$(on_node python3 "$TOP/tests/svc_probe.py" spread tcp 90 $SVC 8080)
	fair "90 connections from the node" 15 "$out" a b c
}
