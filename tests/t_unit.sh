# SPDX-License-Identifier: GPL-2.0-only
# vnictl start/stop (an instance from a vni.conf(5) file for the length of
# its command, what vni@.service runs) and sync --boot (instances back after
# a reboot, what vni.service runs). systemd itself: tests/vm/systemd.sh.

# conf NAME TEXT: a config file in the test's directory; prints its path.
conf() {
	printf '%s\n' "$2" >"$T_DIR/$1.conf" || fail "cannot write $1.conf"
	printf '%s\n' "$T_DIR/$1.conf"
}

# A cgroup standing for a systemd unit's (Delegate=yes), made by the test.
UNIT_CG=
make_unit_cgroup() {
	UNIT_CG=$CG2/vni-test-$T_ID-${1:-unit}
	mkdir "$UNIT_CG" || fail "mkdir $UNIT_CG"
}
# in_unit CMD...: CMD in that cgroup (as systemd starts ExecStart=).
in_unit() { in_cgroup "$UNIT_CG" "$@"; }

test_start_runs_the_command_with_the_identity_then_detaches() {
	local c out srv
	c=$(conf web "# the web server
vip = 10.10.0.5
vip = 2001:db8:10::5
hostname = web.example.org
exec = sh -c 'hostname; \"\$0\" -t 5 connect $PEER_IP 7000 | head -n 1; exit 7' $PROBE")
	peer_server srv 0.0.0.0 7000
	out=$(vnictl start --cgroup web --conf "$c" 2>"$T_DIR/err")
	expect_eq "exit status of the command" 7 $?
	expect_eq "hostname inside" "web.example.org" "$(sed -n 1p <<<"$out")"
	expect_match "its socket" "LOCAL 10.10.0.5:*" "$(sed -n 2p <<<"$out")"
	expect_eq "peer sees the VIP" "PEER 10.10.0.5" "$(read_line "$srv" | sed 's/:[0-9]*$//')"
	expect_json "no instance after it exited" "[]" "$(vnictl list --json)" d
	expect_eq "addresses gone" "" "$(node_addrs | grep -E '10.10.0.5|2001:db8:10::5')"
}

test_start_takes_capabilities_and_userns_from_the_file() {
	local c
	c=$(conf web "vip = 10.10.0.5
cap-add = NET_ADMIN, sys_ptrace
cap-drop = CAP_CHOWN
exec = grep CapBnd /proc/self/status")
	expect_eq "cap-add, cap-drop" "CapBnd:	00000000a80c15fa" "$(vnictl start --cgroup web --conf "$c")"
	c=$(conf web "vip = 10.10.0.5
keep-net-caps = yes
cap-drop = ALL
exec = grep CapBnd /proc/self/status")
	expect_eq "keep-net-caps, cap-drop = ALL" "CapBnd:	0000000000003000" "$(vnictl start --cgroup web --conf "$c")"
	c=$(conf web "vip = 10.10.0.5
userns = yes
exec = sh -c 'id -u; cat /proc/self/uid_map'")
	expect_match "userns" "0 0 [1-9]* 65536" "$(vnictl start --cgroup web --conf "$c" | tr -s ' \n' '  ' | sed 's/^ //; s/ $//')"
}

test_start_in_unit_makes_the_cgroup_inside_the_unit() {
	local app c out
	make_unit_cgroup
	c=$(conf api "vip = 10.10.0.6
exec = sh -c 'echo ready; exec sleep 60'")
	start_bg app in_unit sh -c '"$0" start --in-unit --cgroup api --conf "$1"; echo "STATUS $?"' "$VNICTL" "$c"
	expect_eq "started" "ready" "$(read_line "$app")"
	out=$(in_cgroup "$CG2" "$VNICTL" start --in-unit --cgroup api --conf "$c" 2>&1)
	expect_eq "--in-unit in the root cgroup" "vnictl: --in-unit: vnictl runs in the root cgroup, not in a unit's" "$out"
	expect_json "cgroup inside the unit's" "$UNIT_CG/api" "$(vnictl show --cgroup api --json)" 'd["cgroup"]'
	expect_eq "its init and the application are in it" "2" "$(wc -l <"$UNIT_CG/api/cgroup.procs")"
	# stop from outside the unit leaves it; from inside (ExecStopPost) stops it
	mkdir "$CG2/vni-test-$T_ID-other" || fail "mkdir"
	in_cgroup "$CG2/vni-test-$T_ID-other" "$VNICTL" stop --in-unit --cgroup api || fail "stop from another unit"
	expect_json "still there" "api" "$(vnictl list --json)" '" ".join(i["name"] for i in d)'
	in_unit "$VNICTL" stop --in-unit --cgroup api || fail "stop in the unit"
	expect_match "start ends with the command (killed)" "STATUS 137" "$(read_line "$app")"
	expect_json "gone" "[]" "$(vnictl list --json)" d
	[ -e "$UNIT_CG/api" ] && fail "its cgroup is left"
	in_unit "$VNICTL" stop --in-unit --cgroup api || fail "stop with nothing to stop"
}

test_sigterm_stops_the_application_and_the_instance() {
	local app pid c
	c=$(conf web "vip = 10.10.0.5
exec = sh -c 'trap \"echo GOT-TERM; exit 0\" TERM; echo ready; while :; do sleep 0.1; done'")
	start_bg app sh -c '"$0" start --cgroup web --conf "$1"; echo "STATUS $?"' "$VNICTL" "$c"
	expect_eq "started" "ready" "$(read_line "$app")"
	pid=$(pgrep -n -f "vnictl start --cgroup web") || fail "no vnictl start"
	kill -TERM "$pid"
	expect_eq "the application got SIGTERM" "GOT-TERM" "$(read_line "$app")"
	expect_eq "its status" "STATUS 0" "$(read_line "$app")"
	expect_json "gone" "[]" "$(vnictl list --json)" d
}

test_bad_configs_are_one_line_errors_changing_nothing() {
	local before c out what
	vnictl attach --cgroup other --vip 10.10.0.9 >/dev/null || fail "attach other"
	before=$(snapshot)
	while IFS='@' read -r text what; do
		c=$(conf bad "$(printf '%b' "$text")")
		out=$(vnictl start --cgroup web --conf "$c" 2>&1)
		expect_eq "exit status for '$text'" 1 $?
		expect_eq "one line for '$text'" 1 "$(wc -l <<<"$out")"
		if [[ $what == *'*' ]]; then
			expect_match "message for '$text'" "vnictl: $c$what" "$out"
		else
			expect_eq "message for '$text'" "vnictl: $c$what" "$out"
		fi
	done <<'EOF_CASES'
vip = 10.10.0.5\nexec = true\ncolor = blue@:3: unknown key 'color'
vip = 10.10.0.5@: no exec (the command to run)
exec = true@: no vip (at least one is needed)
vip = 10.10.0.5\nvip = 10.10.0.6\nexec = true@:2: vip: more than one IPv4 VIP
vip = 300.1.1.1\nexec = true@:1: vip: *
vip = 10.10.0.5\nexec = "unbalanced@:2: exec: unbalanced quotes
vip = 10.10.0.5\nexec = a | b@:2: exec: a character a shell would treat specially*
vip = 10.10.0.5\nexec = $(id)@:2: exec: a command substitution
vip = 10.10.0.5\nhostname = -bad-\nexec = true@:2: hostname: *
vip = 10.10.0.5\nallow-raw = perhaps\nexec = true@:2: allow-raw: 'perhaps' is not yes or no
vip = 10.10.0.5\ncap-add = NET_ADMIN NET_FOO\nexec = true@:2: cap-add: unknown capability 'NET_FOO' (a name such as NET_ADMIN, or ALL)
vip = 10.10.0.5\ncap-drop = 3\nexec = true@:2: cap-drop: unknown capability '3'*
vip = 10.10.0.5\nuserns = maybe\nexec = true@:2: userns: 'maybe' is not yes or no
[web]\nvip = 10.10.0.5\nexec = true@:2: sections are not used ([web])
vip = 10.10.0.5\njust words\nexec = true@:2: not a 'key = value' line*
EOF_CASES
	out=$(vnictl start --cgroup web --conf "$T_DIR/missing.conf" 2>&1)
	expect_eq "missing file" "vnictl: cannot read $T_DIR/missing.conf: No such file or directory" "$out"
	# libinih (unit files) and libcap (run, start) are loaded when used:
	# without them, one line naming the package
	local lib pkg what path
	c=$(conf good "vip = 10.10.0.5
exec = true")
	while read -r lib pkg what; do
		path=$(ldconfig -p | awk -v l="$lib" '$1 == l { print $NF; exit }')
		[ -n "$path" ] || fail "$lib not found by ldconfig"
		out=$(on_node unshare -m sh -c 'mount --bind /dev/null "$0" && exec "$@"' "$path" \
			"$VNICTL" start --cgroup web --conf "$c" 2>&1)
		expect_eq "exit status without $lib" 1 $?
		expect_match "$lib missing" "vnictl: cannot load $lib for $what: * (install $pkg)" "$out"
	done <<'EOF_LIBS'
libinih.so.1 libinih1 unit files
libcap.so.2 libcap2 capabilities
EOF_LIBS
	# a good file whose identity clashes, or whose command cannot start
	c=$(conf clash "vip = 10.10.0.9
exec = true")
	out=$(vnictl start --cgroup web --conf "$c" 2>&1)
	expect_match "VIP taken" "vnictl: *10.10.0.9*" "$out"
	c=$(conf nocmd "vip = 10.10.0.5
exec = /nonexistent/app")
	out=$(vnictl start --cgroup web --conf "$c" 2>&1)
	[ $? != 0 ] || fail "a command that cannot start: exit 0"
	expect_match "no such command" "*/nonexistent/app*" "$out"
	expect_eq "nothing changed" "$before" "$(snapshot)"
}

test_start_replaces_an_idle_instance_and_refuses_a_running_one() {
	local c app out aid
	c=$(conf web "vip = 10.10.0.5
exec = hostname")
	vnictl attach --cgroup web --vip 10.10.0.7 --aid 42 >/dev/null || fail "attach web"
	out=$(vnictl start --cgroup web --conf "$c" 2>"$T_DIR/err") || fail "start over an idle one: $(cat "$T_DIR/err")"
	expect_eq "the new identity" "vni-10-10-0-5" "$out"
	expect_match "said so" "*replacing the idle instance web*" "$(cat "$T_DIR/err")"
	vnictl attach --cgroup web --vip 10.10.0.7 >/dev/null || fail "attach web again"
	start_bg app vnictl run --cgroup web -- sh -c 'echo ready; exec sleep 60'
	expect_eq "running" "ready" "$(read_line "$app")"
	out=$(vnictl start --cgroup web --conf "$c" 2>&1)
	expect_eq "exit status" 1 $?
	expect_eq "refused" "vnictl: instance web is running (cgroup $VNI_CGROUP_ROOT/web); stop it first" "$out"
	expect_json "left as it was" "10.10.0.7" "$(vnictl show --cgroup web --json)" 'd["vip4"]'
}

# A reboot as the kernel sees it: every process, cgroup, pin and the network
# namespace gone; the state stays. sync --boot in a new namespace brings the
# instances back there; one made inside a unit comes back under the VNI root
# and its unit's next start takes it over.
test_sync_boot_brings_the_instances_back_after_a_reboot() {
	local app c out old_node
	vnictl attach --cgroup web --vip 10.10.0.1 --vip 2001:db8:10::1 --hostname web >/dev/null || fail "attach web"
	vnictl attach --cgroup db --vip 10.10.0.2 >/dev/null || fail "attach db"
	make_unit_cgroup
	c=$(conf api "vip = 10.10.0.6
exec = sh -c 'echo ready; exec sleep 60'")
	start_bg app in_unit "$VNICTL" start --in-unit --cgroup api --conf "$c"
	expect_eq "api started" "ready" "$(read_line "$app")"
	# the reboot
	for cg in "$VNI_CGROUP_ROOT" "$UNIT_CG"; do echo 1 >"$cg/cgroup.kill"; done
	for cg in "$VNI_CGROUP_ROOT" "$UNIT_CG"; do
		while grep -q 'populated 1' "$cg/cgroup.events"; do sleep 0.05; done
		find "$cg" -depth -type d -exec rmdir {} + || fail "rmdir $cg"
	done
	rm -rf "$VNI_BPFFS"
	old_node=$NODE
	NODE=$T_ID-b
	ip netns add "$NODE" && on_node ip link set lo up || fail "the new namespace"
	ip netns del "$old_node"
	out=$(vnictl check 2>&1)
	expect_eq "check after the reboot" 1 $?
	out=$(vnictl sync --boot 2>&1) || fail "sync --boot: $out"
	expect_match "said what it did" "*instance_down: instance api is down*" "$out"
	out=$(vnictl check 2>&1) || fail "check after sync --boot: $out"
	expect_json "all three back" "api db web" "$(vnictl list --json)" '" ".join(i["name"] for i in d)'
	expect_json "api under the VNI root" "$VNI_CGROUP_ROOT/api" "$(vnictl show --cgroup api --json)" 'd["cgroup"]'
	out=$(node_addrs)
	for a in 10.10.0.1/32 10.10.0.2/32 10.10.0.6/32 2001:db8:10::1/128; do
		expect_match "VIP $a on lo" "*$a lo*" "$(tr '\n' ' ' <<<"$out")"
	done
	# enforced: a wildcard server of web binds its VIP, in the new namespace
	expect_match "web's rules" "BOUND 10.10.0.1:8080" "$(on_node "$VNICTL" run --cgroup web -- "$PROBE" -t 5 bind 0.0.0.0 8080)"
	expect_eq "web's hostname" "web" "$(vnictl run --cgroup web -- hostname)"
	expect_match "the node may not take a VIP" "ERR EPERM" "$(probe_node bind 10.10.0.2 80 2>/dev/null)"
	# the unit starts again: its instance goes back inside it
	make_unit_cgroup unit2
	c=$(conf api "vip = 10.10.0.6
exec = hostname")
	out=$(in_unit "$VNICTL" start --in-unit --cgroup api --conf "$c" 2>/dev/null) || fail "start api again"
	expect_eq "api runs" "vni-10-10-0-6" "$out"
	out=$(vnictl check 2>&1) || fail "check at the end: $out"
}

test_sync_boot_on_a_node_with_nothing_recorded() {
	local out
	out=$(vnictl sync --boot 2>&1) || fail "sync --boot: $out"
	[ -e "$VNI_BPFFS/maps/vni_inst" ] || fail "programs not loaded"
	expect_json "no instances" "[]" "$(vnictl list --json)" d
}
