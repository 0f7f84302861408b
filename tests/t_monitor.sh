# SPDX-License-Identifier: GPL-2.0-only
# vnictl monitor: every refusal, live, with who asked for what.

TIME='20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9]Z'

# start_monitor VAR [ARGS]: vnictl monitor in the background, its stdout and
# stderr on the pipe in VAR, "EXIT <status>" on it when it ends; MON_PID is
# its pid. Returns once the monitor reads events.
start_monitor() {
	local __v=$1 line
	shift
	# the inner sh says its pid before it becomes vnictl, so PID comes first
	start_bg "$__v" on_node sh -c 'sh -c "echo PID \$\$; exec \"\$@\"" sh "$@" 2>&1 &
		wait $!; echo "EXIT $?"' sh "$VNICTL" monitor "$@"
	line=$(read_line "${!__v}")
	MON_PID=${line#PID }
	expect_eq "monitor ready" "vnictl: monitoring refusals" "$(read_line "${!__v}")"
}

# probe_pid_*: "PID n" (sh execs the probe: n is the probe's pid), then what
# the probe says.
probe_pid_inst() {
	local name=$1
	shift
	in_inst "$name" sh -c 'echo "PID $$"; exec "$0" -t 5 "$@"' "$PROBE" "$@"
}
probe_pid_node() {
	on_node sh -c 'echo "PID $$"; exec "$0" -t 5 "$@"' "$PROBE" "$@"
}

test_refusals_in_an_instance_are_reported() {
	local mon out pid
	vnictl init >/dev/null || fail "init"
	start_monitor mon
	# attached after the monitor started: still named
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	out=$(probe_pid_inst web bind $NODE_IP 8080)
	pid=$(sed -n 's/^PID //p' <<<"$out")
	expect_eq "bind refused" "ERR EPERM" "$(tail -n 1 <<<"$out")"
	expect_match "bind event" "$TIME web aid=1 pid=$pid comm=sockprobe bind $NODE_IP:8080 refused" \
		"$(read_line "$mon")"
	out=$(probe_pid_inst web connect $PEER_IP6 7002)
	pid=$(sed -n 's/^PID //p' <<<"$out")
	expect_match "v6 connect event (v4-only instance)" \
		"$TIME web aid=1 pid=$pid comm=sockprobe connect \[$PEER_IP6\]:7002 refused" "$(read_line "$mon")"
	out=$(probe_pid_inst web socket raw4)
	pid=$(sed -n 's/^PID //p' <<<"$out")
	expect_match "raw socket event" "$TIME web aid=1 pid=$pid comm=sockprobe socket inet raw proto=1 refused" \
		"$(read_line "$mon")"
	# allowed operations say nothing: the next line is the next refusal
	probe_inst web bind 0.0.0.0 8081 >/dev/null
	probe_inst web socket tcp4 >/dev/null
	probe_inst web sendto -S 10.10.0.1 $PEER_IP 9 >/dev/null
	probe_inst web bind $NODE_IP 8082 >/dev/null
	expect_match "only refusals" "* bind $NODE_IP:8082 refused" "$(read_line "$mon")"
	if [ -e "$VNI_BPFFS/guard/vni_lsm_sock" ]; then
		probe_inst web socket packet >/dev/null
		expect_match "packet socket event" "$TIME web aid=1 pid=* comm=sockprobe packet packet raw proto=* refused" \
			"$(read_line "$mon")"
	fi
}

test_outsider_using_a_vip_is_reported_with_its_owner() {
	local mon out pid
	vnictl attach --cgroup web --vip 10.10.0.1 --vip 2001:db8:10::1 >/dev/null || fail "attach"
	start_monitor mon
	out=$(probe_pid_node bind 10.10.0.1 80)
	pid=$(sed -n 's/^PID //p' <<<"$out")
	expect_eq "outsider bind refused" "ERR EPERM" "$(tail -n 1 <<<"$out")"
	expect_match "guard bind event" "$TIME web aid=1 pid=$pid comm=sockprobe guard_bind 10.10.0.1:80 refused" \
		"$(read_line "$mon")"
	probe_node sendto -S 2001:db8:10::1 $PEER_IP6 9 >/dev/null
	expect_match "guard send event" "$TIME web aid=1 pid=* comm=sockprobe guard_send \[2001:db8:10::1\]:0 refused" \
		"$(read_line "$mon")"
}

# The parking address is no instance's: its entry counts holders, not a cgroup.
test_outsider_at_the_parking_address_is_reported_without_an_owner() {
	local mon
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	start_monitor mon
	expect_eq "outsider bind refused" "ERR EPERM" "$(probe_node bind fd76:6e69:6c6f:: 80)"
	expect_match "guard bind event" "$TIME cgid=0 aid=0 pid=* comm=sockprobe guard_bind \[fd76:6e69:6c6f::\]:80 refused" \
		"$(read_line "$mon")"
}

test_cgroup_option_keeps_one_instance() {
	local mon
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach web"
	vnictl attach --cgroup api --vip 10.10.0.2 >/dev/null || fail "attach api"
	start_monitor mon --cgroup api
	probe_inst web bind $NODE_IP 8080 >/dev/null
	probe_node bind 10.10.0.1 80 >/dev/null
	probe_inst api bind $NODE_IP 8081 >/dev/null
	expect_match "first event shown" "$TIME api aid=2 * bind $NODE_IP:8081 refused" "$(read_line "$mon")"
	probe_node bind 10.10.0.2 80 >/dev/null
	expect_match "guard event of api" "$TIME api aid=2 * guard_bind 10.10.0.2:80 refused" "$(read_line "$mon")"
}

test_json_events() {
	local mon out pid ev1 ev2
	local keys='["address","aid","cgroup_id","comm","family","instance","op","pid","port","protocol","time","type"]'
	local fields='[d[k] for k in ("instance", "aid", "comm", "op", "family", "address", "port", "type", "protocol")] + [d["cgroup_id"] > 0, d["time"][-1]]'
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	start_monitor mon --json
	out=$(probe_pid_inst web bind $NODE_IP 8080)
	pid=$(sed -n 's/^PID //p' <<<"$out")
	probe_inst web socket raw6 >/dev/null
	ev1=$(read_line "$mon")
	ev2=$(read_line "$mon")
	expect_json "first event: its fields" "$keys" "$ev1" 'sorted(d)'
	expect_json "first event" "[\"web\",1,\"sockprobe\",\"bind\",\"inet\",\"$NODE_IP\",8080,null,null,true,\"Z\"]" "$ev1" "$fields"
	expect_json "first event: pid" "$pid" "$ev1" 'd["pid"]'
	expect_json "second event: its fields" "$keys" "$ev2" 'sorted(d)'
	expect_json "second event" '["web",1,"sockprobe","socket","inet6",null,null,"raw",58,true,"Z"]' "$ev2" "$fields"
	expect_json "cgroup_id" "$(stat -c %i "$VNI_CGROUP_ROOT/web")" "$(vnictl list --json)" 'd[0]["cgroup_id"]'
}

test_interrupt_ends_monitor() {
	local mon
	vnictl init >/dev/null || fail "init"
	start_monitor mon
	kill -INT "$MON_PID"
	expect_eq "SIGINT: exit 0" "EXIT 0" "$(read_line "$mon")"
	start_monitor mon --json
	kill -TERM "$MON_PID"
	expect_eq "SIGTERM: exit 0" "EXIT 0" "$(read_line "$mon")"
}

# The ring buffer is full while the monitor is stopped: what did not fit is
# counted and the monitor says how many it missed.
test_lost_events_are_counted() {
	local mon line events=0 lost=
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	start_monitor mon
	kill -STOP "$MON_PID"
	until grep -q '^State:.*stopped' "/proc/$MON_PID/status"; do :; done
	in_inst web python3 -c '
import socket
s = socket.socket()
for i in range(4000):
    try:
        s.bind(("'$NODE_IP'", 9))
    except PermissionError:
        pass
'
	kill -CONT "$MON_PID"
	while [ -z "$lost" ] || [ $((events + lost)) -lt 4000 ]; do
		read -r -t 15 -u "$mon" line || fail "$events events shown, ${lost:-no} lost-events line"
		case $line in
		*" bind $NODE_IP:9 refused") events=$((events + 1)) ;;
		"vnictl: "*" refusal(s) not reported: the ring buffer was full") lost=${line#vnictl: } lost=${lost%% *} ;;
		*) fail "unexpected line '$line'" ;;
		esac
	done
	expect_eq "events shown and lost" 4000 $((events + lost))
}

test_monitor_errors() {
	local mon
	expect_match "not initialised" "vnictl: cannot open $VNI_BPFFS/maps/vni_events: * (run 'vnictl init')" \
		"$(vnictl monitor 2>&1)"
	vnictl monitor >/dev/null 2>&1
	expect_eq "not initialised: exit 1" 1 $?
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	expect_eq "unknown instance" "vnictl: no instance named 'nope'" "$(vnictl monitor --cgroup nope 2>&1)"
	vnictl monitor --cgroup nope >/dev/null 2>&1
	expect_eq "unknown instance: exit 1" 1 $?
	expect_match "extra argument" "vnictl: unexpected argument 'x' (see 'vnictl help')" "$(vnictl monitor x 2>&1)"
	vnictl monitor x >/dev/null 2>&1
	expect_eq "usage: exit 2" 2 $?
	start_monitor mon
	expect_eq "second monitor" "vnictl: another 'vnictl monitor' runs on this node (the ring buffer has one reader)" \
		"$(vnictl monitor --json 2>&1)"
	vnictl monitor >/dev/null 2>&1
	expect_eq "second monitor: exit 1" 1 $?
	# the first one still works
	probe_inst web bind $NODE_IP 8080 >/dev/null
	expect_match "first monitor" "$TIME web * bind $NODE_IP:8080 refused" "$(read_line "$mon")"
}
