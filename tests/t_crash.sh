# SPDX-License-Identifier: GPL-2.0-only
# Crash safety: vnictl SIGKILLed after each step of attach, detach, down and
# run (VNI_DEBUG_CRASH_AFTER=N), then what the next calls do; and
# 'vnictl check'/'vnictl sync' on drift made by hand.

# (a private loopback: its two private addresses are among the steps)
ARGS_WEB=(--cgroup web --vip 10.10.0.1 --vip 2001:db8:10::1 --loopback private)

joined() { # the steps, comma-separated
	local IFS=,
	echo "$*" | sed 's/,/, /g'
}

# The node holds nothing of vni: no state rows, addresses, links, owners, cgroups.
expect_empty_node() { # when
	expect_json "$1: state" "[]" "$(vnictl list --json)" d
	expect_eq "$1: VIP addresses" "" "$(node_addrs 10.10.0.0/24; node_addrs 2001:db8:10::/64)"
	expect_eq "$1: private and parking addresses" "" "$(node_addrs fd76:6e69:6c6f::/96)"
	expect_eq "$1: instance cgroups" "" "$(find "$VNI_CGROUP_ROOT" -mindepth 1 -type d 2>/dev/null)"
	if [ -d "$VNI_BPFFS/links" ]; then
		expect_eq "$1: instance links" "" "$(ls "$VNI_BPFFS/links")"
		expect_json "$1: VIP owners" "[]" "$(bpftool map dump pinned "$VNI_BPFFS/maps/vni_vips")" d
	fi
}

expect_no_drift() { # when
	local out
	out=$(vnictl check 2>&1) || fail "$1: check found drift: $out"
}

# The instance works: a wildcard listener lands on its VIP, other binds are refused.
expect_enforced() { # when
	expect_match "$1: wildcard bind" "BOUND 10.10.0.1:*" "$(probe_inst web bind 0.0.0.0 0)"
	expect_match "$1: bind to the node address" "*EPERM*" "$(probe_inst web bind $NODE_IP 0 2>&1)"
}

# Waits (at most 10 s) until the cgroup has a process.
wait_procs() { # cgroup-dir
	local i
	for i in $(seq 1000); do
		[ -n "$(cat "$1/cgroup.procs" 2>/dev/null)" ] && return 0
		sleep 0.01
	done
	fail "no process appeared in $1"
}

# After a crash the state may say an operation was interrupted; check reports
# exactly that (or nothing), and changes nothing.
expect_check_reports_interruption() { # step
	local before out
	before=$(snapshot)
	out=$(vnictl check 2>&1)
	case $out in
	"no drift"*) ;;
	*interrupted*) [[ $out != *incomplete* && $out != *orphan* ]] || fail "after '$1': more than the interruption: $out" ;;
	*) fail "after '$1': unexpected check output: $out" ;;
	esac
	expect_eq "check changed nothing (after '$1')" "$before" "$(snapshot)"
}

test_crash_at_every_step_of_attach() {
	local n step steps=()
	for n in $(seq 1 100); do
		step=$(crash_after "$n" attach "${ARGS_WEB[@]}") || exit 1
		[ -z "$step" ] && break
		steps+=("$step")
		expect_check_reports_interruption "$step"
		# the next attach finishes or undoes the interrupted one, then works
		# (killed after its last step, the first attach is whole: refused)
		if [ "$step" = "attach: done" ]; then
			expect_match "attach again" "*an instance named web exists*" "$(vnictl attach "${ARGS_WEB[@]}" 2>&1)"
		else
			vnictl attach "${ARGS_WEB[@]}" >/dev/null 2>"$T_DIR/err" ||
				fail "attach after a crash at '$step': $(cat "$T_DIR/err")"
		fi
		expect_no_drift "after re-attaching ($step)"
		expect_enforced "after re-attaching ($step)"
		vnictl detach --cgroup web >/dev/null || fail "detach after '$step'"
		expect_empty_node "after '$step'"
		vnictl down >/dev/null || fail "down after '$step'"
	done
	echo "note: attach: crashed after each of ${#steps[@]} steps: $(joined "${steps[@]}")"
	[ ${#steps[@]} -ge 20 ] || fail "only ${#steps[@]} crash points in attach"
}

# A v4-only instance holds its namespace's parking address (core/park.h),
# alone (the address comes and goes with it) or beside a second holder q:
# killed after each step of its attach, then of its detach, the next command
# finishes or undoes it with the count set right (a crash inside a hold
# counts one too many), and the address goes with the last holder.
parking_round() { # with-q: 0|1
	local n step steps=() q=$1 out
	for n in $(seq 1 100); do
		[ "$q" = 1 ] && { vnictl attach --cgroup q --vip 10.10.0.6 >/dev/null || fail "attach q"; }
		step=$(crash_after "$n" attach --cgroup p --vip 10.10.0.5) || exit 1
		if [ -z "$step" ]; then # past the last step: it attached
			vnictl down >/dev/null || fail "down"
			break
		fi
		steps+=("$step")
		expect_check_reports_interruption "$step"
		# recovery undoes an attach cut short (or it was whole): alone, p
		# leaves no parking address behind
		vnictl sync >/dev/null || fail "sync after '$step'"
		if ! vnictl show --cgroup p >/dev/null 2>&1; then
			[ "$q" = 0 ] && expect_empty_node "after undoing the attach ($step)"
			vnictl attach --cgroup p --vip 10.10.0.5 >/dev/null 2>"$T_DIR/err" ||
				fail "attach after a crash at '$step': $(cat "$T_DIR/err")"
		fi
		expect_no_drift "after re-attaching ($step)"
		expect_eq "parked after '$step'" "BOUND [fd76:6e69:6c6f::]:8081" "$(probe_inst p bind -6only 1 :: 8081)"
		[ "$q" = 1 ] && { vnictl detach --cgroup q >/dev/null || fail "detach q"; }
		vnictl detach --cgroup p >/dev/null || fail "detach after '$step'"
		expect_empty_node "after '$step'"
	done
	PARK_STEPS+=("${steps[@]}")
	steps=()
	for n in $(seq 1 100); do
		[ "$q" = 1 ] && { vnictl attach --cgroup q --vip 10.10.0.6 >/dev/null || fail "attach q"; }
		vnictl attach --cgroup p --vip 10.10.0.5 >/dev/null || fail "attach p"
		step=$(crash_after "$n" detach --cgroup p) || exit 1
		if [ -z "$step" ]; then
			vnictl down >/dev/null || fail "down"
			break
		fi
		steps+=("$step")
		expect_check_reports_interruption "$step"
		out=$(vnictl sync 2>&1) || fail "sync after '$step': $out"
		expect_no_drift "after the detach was finished ($step)"
		if [ "$q" = 1 ]; then
			expect_eq "q still parks after '$step'" "BOUND [fd76:6e69:6c6f::]:8082" \
				"$(probe_inst q bind -6only 1 :: 8082)"
			vnictl detach --cgroup q >/dev/null || fail "detach q"
		fi
		expect_empty_node "after '$step'"
	done
	PARK_STEPS+=("${steps[@]}")
}

test_crash_at_every_step_of_a_parking_attach_and_detach() {
	local step
	PARK_STEPS=()
	parking_round 0
	parking_round 1
	for step in "parking address installed" "parking address counted" "parking address let go" \
		"parking address removed"; do
		[[ " ${PARK_STEPS[*]} " == *" $step "* ]] || fail "no crash point '$step'"
	done
}

# An instance attached by a vnictl from before the parking address has its
# own private v6 address (programs that vnictl pinned still bind there):
# check takes it for the instance's, sync leaves it, detach removes it.
test_private_address_of_an_older_vnictl_goes_with_its_instance() {
	local cookie cgid key val
	vnictl attach --cgroup old --vip 10.10.0.7 >/dev/null || fail "attach"
	# what the older vnictl had added: fd76:6e69:6c6f::1 (AID 1) and its owner
	on_node ip -6 addr add fd76:6e69:6c6f::1/128 dev lo nodad noprefixroute preferred_lft 0 ||
		fail "ip addr add"
	read -r cookie cgid < <(bpftool -j map dump pinned "$VNI_BPFFS/maps/vni_vips" | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    f = e["formatted"]
    if f["key"]["family"] == 2:
        v = f["value"]
        print(f["key"]["netns_cookie"], v.get("cgid") or [x for x in v.values() if isinstance(x, dict)][0]["cgid"])')
	hexpack() { python3 -c "import struct, sys; print(' '.join('%02x' % b for b in struct.pack(*eval(sys.argv[1]))))" "$1"; }
	key=$(hexpack "('<QI16sI', $cookie, 10, bytes([0xfd, 0x76, 0x6e, 0x69, 0x6c, 0x6f] + [0] * 9 + [1]), 0)")
	val=$(hexpack "('<IIQ', 1, 1, $cgid)")
	bpftool map update pinned "$VNI_BPFFS/maps/vni_vips" key hex $key value hex $val || fail "map update"
	expect_no_drift "with the older private address"
	vnictl sync >/dev/null || fail "sync"
	expect_match "sync left it" "*fd76:6e69:6c6f::1/128*" "$(on_node ip -6 addr show dev lo)"
	vnictl detach --cgroup old >/dev/null || fail "detach"
	expect_empty_node "after detach"
}

# The kernel forgets the instance as at a reboot (cgroup, pins, addresses).
forget_web() {
	rm -rf "$VNI_BPFFS"
	rmdir "$VNI_CGROUP_ROOT/web" || fail "rmdir web"
	del_vip4 10.10.0.1
	on_node ip addr del 2001:db8:10::1/128 dev lo
	on_node ip addr del fd76:6e69:6c6f::1/128 dev lo
}

# sync --boot (vni.service) cut short after any step: the next one finishes it.
test_crash_at_every_step_of_sync_boot() {
	local n step steps=() out
	for n in $(seq 1 100); do
		vnictl attach "${ARGS_WEB[@]}" >/dev/null || fail "attach"
		forget_web
		step=$(crash_after "$n" sync --boot) || exit 1
		[ -z "$step" ] && break
		steps+=("$step")
		out=$(vnictl sync --boot 2>&1) || fail "sync --boot after a crash at '$step': $out"
		expect_no_drift "after sync --boot ($step)"
		expect_enforced "after sync --boot ($step)"
		vnictl detach --cgroup web >/dev/null || fail "detach after '$step'"
		vnictl down >/dev/null || fail "down after '$step'"
	done
	echo "note: sync --boot: crashed after each of ${#steps[@]} steps: $(joined "${steps[@]}")"
	for step in "revive: new home recorded" "revive: cgroup created" "revive: cgroup id recorded"; do
		[[ " ${steps[*]} " == *" $step"* ]] || fail "no crash point '$step'"
	done
}

test_crash_at_every_step_of_detach() {
	local n step steps=() out
	for n in $(seq 1 100); do
		vnictl attach "${ARGS_WEB[@]}" >/dev/null || fail "attach"
		in_inst web sleep 1000 &
		wait_procs "$VNI_CGROUP_ROOT/web"
		step=$(crash_after "$n" detach --cgroup web --force) || exit 1
		[ -z "$step" ] && break
		steps+=("$step")
		expect_check_reports_interruption "$step"
		# sync finishes it: the process is gone and so is the instance
		out=$(vnictl sync 2>&1) || fail "sync after '$step': $out"
		expect_empty_node "after sync ($step)"
		expect_no_drift "after sync ($step)"
		# the name and VIP are free again
		vnictl attach "${ARGS_WEB[@]}" >/dev/null || fail "attach after '$step'"
		expect_enforced "after '$step'"
		vnictl detach --cgroup web >/dev/null || fail "detach after '$step'"
	done
	echo "note: detach: crashed after each of ${#steps[@]} steps: $(joined "${steps[@]}")"
	[ ${#steps[@]} -ge 8 ] || fail "only ${#steps[@]} crash points in detach"
	expect_empty_node "at the end"
}

test_crash_at_every_step_of_down() {
	local n step steps=()
	for n in $(seq 1 100); do
		vnictl attach "${ARGS_WEB[@]}" >/dev/null || fail "attach web"
		vnictl attach --cgroup api --vip 10.10.0.2 >/dev/null || fail "attach api"
		step=$(crash_after "$n" down) || exit 1
		[ -z "$step" ] && break
		steps+=("$step")
		expect_check_reports_interruption "$step"
		vnictl down >/dev/null 2>"$T_DIR/err" || fail "down after '$step': $(cat "$T_DIR/err")"
		expect_empty_node "after down ($step)"
		[ ! -e "$VNI_BPFFS" ] || fail "after '$step': $VNI_BPFFS is left: $(find "$VNI_BPFFS")"
	done
	echo "note: down: crashed after each of ${#steps[@]} steps: $(joined "${steps[@]}")"
	[ ${#steps[@]} -ge 15 ] || fail "only ${#steps[@]} crash points in down"
}

# down detaches every instance in one batch (core/detach_batch.h). With 30
# instances (more than one chunk of 25), one of them running a process,
# killed after each of the batch's own steps and after each step of the
# 26th instance's teardown: the next down leaves a clean node.
test_crash_at_every_batch_step_of_down() {
	local f n step steps=() picks=() line name after=-1
	f=$T_DIR/node30.json
	python3 -I -c "import json; print(json.dumps([{'name': 'i%d' % i, 'vip4': '10.10.0.%d' % i} for i in range(1, 31)]))" >"$f"
	vnictl apply -f "$f" >/dev/null || fail "apply 30"
	in_cgroup "$VNI_CGROUP_ROOT/i3" sleep 1000 &
	wait_procs "$VNI_CGROUP_ROOT/i3"
	while read -r line; do
		n=${line%%: *} name=${line#*: }
		case $name in
		"down: instances detached (25 of 30)") picks+=("$n"); after=$n ;;
		down:* | "processes killed") picks+=("$n") ;;
		*) [ "$after" -ge 0 ] && [ "$n" -le $((after + 7)) ] && picks+=("$n") ;;
		esac
	done < <(VNI_DEBUG_CRASH_AFTER=trace vnictl down --force 2>&1 >/dev/null |
		sed -n 's/^vnictl: debug: step \([0-9]*: .*\)$/\1/p')
	[ "$after" -ge 0 ] || fail "no step 'down: instances detached (25 of 30)'"
	for n in "${picks[@]}"; do
		vnictl apply -f "$f" >/dev/null || fail "apply 30 (before step $n)"
		in_cgroup "$VNI_CGROUP_ROOT/i3" sleep 1000 &
		wait_procs "$VNI_CGROUP_ROOT/i3"
		step=$(crash_after "$n" down --force) || exit 1
		[ -n "$step" ] || fail "down --force ran to its end before step $n"
		steps+=("$step")
		expect_check_reports_interruption "$step"
		vnictl down >/dev/null 2>"$T_DIR/err" || fail "down after '$step': $(cat "$T_DIR/err")"
		expect_empty_node "after down ($step)"
		expect_no_drift "after down ($step)"
		[ ! -e "$VNI_BPFFS" ] || fail "after '$step': $VNI_BPFFS is left: $(find "$VNI_BPFFS")"
	done
	echo "note: down of 30: crashed after each of ${#steps[@]} steps: $(joined "${steps[@]}")"
	[ ${#steps[@]} -ge 12 ] || fail "only ${#steps[@]} crash points picked in down of 30"
}

test_crash_during_run() {
	local n step steps=()
	vnictl attach "${ARGS_WEB[@]}" >/dev/null || fail "attach"
	for n in 1 2 3; do
		step=$(crash_after "$n" run --cgroup web -- sleep 1000) || exit 1
		[ -z "$step" ] && fail "run finished: sleep 1000 did not run"
		steps+=("$step")
		# the application runs on, enforced, under its instance
		expect_no_drift "after '$step'"
		wait_procs "$VNI_CGROUP_ROOT/web"
		expect_enforced "after '$step'"
		expect_match "detach refuses while it runs" "*still has*process*" "$(vnictl detach --cgroup web 2>&1)"
		vnictl detach --cgroup web --force >/dev/null || fail "detach --force after '$step'"
		expect_empty_node "after '$step'"
		vnictl attach "${ARGS_WEB[@]}" >/dev/null || fail "attach"
		[ "$step" = "run: application started" ] && break
	done
	echo "note: run: crashed after: $(joined "${steps[@]}")"
	expect_eq "crash points of run" "run: instance init started|run: application started" "$(IFS='|'; echo "${steps[*]}")"
}

test_check_and_sync_repair_drift() {
	local before out cg_api
	vnictl attach "${ARGS_WEB[@]}" >/dev/null || fail "attach web"
	vnictl attach --cgroup api --vip 10.10.0.2 >/dev/null || fail "attach api"
	vnictl attach --cgroup gone --vip 10.10.0.3 >/dev/null || fail "attach gone"
	expect_no_drift "after attach"
	expect_json "check --json on a clean node" '{"clean":true,"problems":[]}' "$(vnictl check --json)" d

	# drift made by hand: an address removed, a program link unpinned, a
	# cgroup removed, a stray cgroup, a stale hosts file
	del_vip4 10.10.0.1
	cg_api=$(vnictl show --cgroup api --json | json_get 'd["cgroup_id"]') || fail "cgroup id of api"
	rm "$VNI_BPFFS/links/$cg_api/vni_bind4" || fail "unpin a link"
	rmdir "$VNI_CGROUP_ROOT/gone"
	mkdir "$VNI_CGROUP_ROOT/stray"
	echo "10.10.0.99 intruder" >>"$VNI_HOSTS_FILE"
	before=$(snapshot)
	out=$(vnictl check)
	[ $? = 1 ] || fail "check exits 1 on drift"
	expect_match "web's address" "*incomplete: instance web is missing: address 10.10.0.1*" "$out"
	expect_match "api's link" "*incomplete: instance api is missing: 1 program link(s), e.g. vni_bind4*" "$out"
	expect_match "gone" "*instance_gone: cgroup $VNI_CGROUP_ROOT/gone of gone no longer exists*" "$out"
	expect_match "stray" "*orphan_cgroup: cgroup $VNI_CGROUP_ROOT/stray is no instance's*" "$out"
	expect_match "hosts" "*hosts_stale: *" "$out"
	expect_match "summary" "*5 problem(s); 'vnictl sync' repairs them" "$out"
	expect_json "problems in JSON" "api:incomplete gone:instance_gone web:incomplete None:orphan_cgroup None:hosts_stale" \
		"$(vnictl check --json)" '" ".join("%s:%s" % (p["instance"], p["kind"]) for p in d["problems"])'
	expect_eq "check changed nothing" "$before" "$(snapshot)"
	# api's bind hook is gone: a bind to the node address is not refused
	expect_match "drift is real" "BOUND $NODE_IP:*" "$(probe_inst api bind $NODE_IP 0)"

	out=$(vnictl sync) || fail "sync: $out"
	expect_match "sync says what it did" "*repaired incomplete: instance web*in sync*" "$out"
	expect_no_drift "after sync"
	expect_enforced "web after sync"
	expect_match "api refuses again" "*EPERM*" "$(probe_inst api bind $NODE_IP 0 2>&1)"
	expect_json "gone is dropped" "api web" "$(vnictl list --json)" '" ".join(i["name"] for i in d)'
	expect_eq "its VIP went" "" "$(node_addrs 10.10.0.3)"
	expect_eq "hosts file" "" "$(grep intruder "$VNI_HOSTS_FILE")"
	expect_eq "stray cgroup removed" "" "$(ls -d "$VNI_CGROUP_ROOT/stray" 2>/dev/null)"
}

test_sync_removes_orphans_of_the_maps() {
	local cg out
	vnictl attach "${ARGS_WEB[@]}" >/dev/null || fail "attach"
	cg=$(vnictl show --cgroup web --json | json_get 'd["cgroup_id"]') || fail "cgroup id"
	# the state forgets the instance (as a lost or restored-old database would)
	sqlite3 "$VNI_STATE_DIR/state.db" "DELETE FROM instances" || fail "sqlite3"
	out=$(vnictl check)
	[ $? = 1 ] || fail "check exits 1"
	expect_match "links" "*orphan_links: programs are linked to cgroup id $cg, which is no instance's*" "$out"
	expect_match "record" "*orphan_record: there is an instance record for cgroup id $cg*" "$out"
	expect_match "VIP v4" "*orphan_vip: VIP 10.10.0.1 has an owner (cgroup id $cg) but is no instance's; its address is on lo*" "$out"
	expect_match "VIP v6" "*orphan_vip: VIP 2001:db8:10::1 *" "$out"
	expect_match "cgroup" "*orphan_cgroup: cgroup $VNI_CGROUP_ROOT/web is no instance's*" "$out"
	out=$(vnictl sync) || fail "sync: $out"
	expect_no_drift "after sync"
	expect_empty_node "after sync"
	vnictl attach "${ARGS_WEB[@]}" >/dev/null || fail "attach after sync"
	expect_enforced "after sync"
}

test_sync_leaves_processes_alone() {
	local out
	mkdir "$VNI_CGROUP_ROOT" 2>/dev/null
	mkdir "$VNI_CGROUP_ROOT/busy" || fail "mkdir"
	in_cgroup "$VNI_CGROUP_ROOT/busy" sleep 1000 &
	wait_procs "$VNI_CGROUP_ROOT/busy"
	vnictl init >/dev/null || fail "init"
	out=$(vnictl sync)
	[ $? = 1 ] || fail "sync must exit 1 when something is left: $out"
	expect_match "why" "*not repaired orphan_cgroup: cgroup $VNI_CGROUP_ROOT/busy is no instance's: it has 1 process(es); not vnictl's to kill*1 problem(s) left" "$out"
	[ -n "$(cat "$VNI_CGROUP_ROOT/busy/cgroup.procs")" ] || fail "the process was killed"
}

# The number of step NAME in "vnictl ARGS" (which runs to its end).
step_number() { # NAME ARGS...
	local name=$1 n
	shift
	n=$(VNI_DEBUG_CRASH_AFTER=trace vnictl "$@" 2>&1 >/dev/null |
		sed -n "s/^vnictl: debug: step \([0-9]*\): $name\$/\1/p" | head -n 1)
	[ -n "$n" ] || fail "no step '$name' in vnictl $*"
	echo "$n"
}

test_run_never_starts_in_a_half_made_instance() {
	local n out
	vnictl init >/dev/null || fail "init"
	n=$(step_number "attach: cgroup id recorded" attach "${ARGS_WEB[@]}") || exit 1
	vnictl detach --cgroup web >/dev/null || fail "detach"
	expect_eq "crashed at" "attach: cgroup id recorded" "$(crash_after "$n" attach "${ARGS_WEB[@]}")"
	out=$(vnictl run --cgroup web -- true 2>&1)
	[ $? = 1 ] || fail "run in a half-made instance: $out"
	expect_match "run undoes the attach first" "*recovered: undid the interrupted attach of web*no instance named 'web'*" "$out"
	expect_empty_node "after run"
}

test_attach_killed_after_moving_processes_is_finished() {
	local pid n out step
	on_node sleep 1000 &
	pid=$!
	vnictl init >/dev/null || fail "init"
	n=$(step_number "attach: processes moved in" attach "${ARGS_WEB[@]}" --pid $pid) || exit 1
	vnictl detach --cgroup web --force >/dev/null || fail "detach"
	on_node sleep 1000 &
	pid=$!
	step=$(crash_after "$n" attach "${ARGS_WEB[@]}" --pid $pid) || exit 1
	expect_eq "crashed at" "attach: processes moved in" "$step"
	# undoing it would take the process back out: it is finished instead
	out=$(vnictl sync 2>&1) || fail "sync: $out"
	expect_match "sync says so" "*recovered: finished the interrupted attach of web (it has processes)*" "$out"
	expect_eq "the process is in the instance" "$pid" "$(cat "$VNI_CGROUP_ROOT/web/cgroup.procs")"
	expect_no_drift "after sync"
	expect_enforced "after sync"
}

# After a reboot with the state dir kept: no pins, no cgroups, no addresses.
test_sync_after_the_kernel_forgot_everything() {
	local out
	vnictl attach "${ARGS_WEB[@]}" >/dev/null || fail "attach"
	rm -rf "$VNI_BPFFS"
	rmdir "$VNI_CGROUP_ROOT/web"
	del_vip4 10.10.0.1
	on_node ip addr del 2001:db8:10::1/128 dev lo
	out=$(vnictl check)
	[ $? = 1 ] || fail "check exits 1"
	expect_match "programs" "programs_not_loaded: the BPF programs are not loaded under $VNI_BPFFS*" "$out"
	expect_match "instance" "*instance_gone: cgroup $VNI_CGROUP_ROOT/web of web no longer exists*" "$out"
	out=$(vnictl sync) || fail "sync: $out"
	expect_no_drift "after sync"
	expect_empty_node "after sync"
	[ -e "$VNI_BPFFS/maps/vni_events" ] || fail "programs and maps not loaded again"
	vnictl attach "${ARGS_WEB[@]}" >/dev/null || fail "attach after sync"
	expect_enforced "after sync"
}

# A map pin that went missing makes the node "not loaded": init loads it all again.
test_init_reloads_a_node_missing_a_map_pin() {
	vnictl init >/dev/null || fail "init"
	rm "$VNI_BPFFS/maps/vni_events"
	vnictl init >/dev/null || fail "init again"
	[ -e "$VNI_BPFFS/maps/vni_events" ] || fail "vni_events is still missing"
	vnictl attach "${ARGS_WEB[@]}" >/dev/null || fail "attach"
	expect_enforced "after init"
}

# Its cgroup removed and made again (new id): sync moves the instance onto it.
test_sync_follows_a_recreated_cgroup() {
	local old new out
	vnictl attach "${ARGS_WEB[@]}" >/dev/null || fail "attach"
	old=$(vnictl show --cgroup web --json | json_get 'd["cgroup_id"]') || fail "cgroup id"
	rmdir "$VNI_CGROUP_ROOT/web" && mkdir "$VNI_CGROUP_ROOT/web" || fail "re-make the cgroup"
	expect_match "not enforced before sync" "BOUND $NODE_IP:*" "$(probe_inst web bind $NODE_IP 0)"
	out=$(vnictl check)
	[ $? = 1 ] || fail "check exits 1"
	expect_match "check" "cgroup_replaced: cgroup $VNI_CGROUP_ROOT/web of web was made again (id *, recorded $old)*" "$out"
	vnictl sync >/dev/null || fail "sync"
	new=$(vnictl show --cgroup web --json | json_get 'd["cgroup_id"]') || fail "cgroup id after sync"
	[ "$new" != "$old" ] || fail "cgroup id not updated"
	expect_eq "old links gone" "$new" "$(ls "$VNI_BPFFS/links")"
	expect_no_drift "after sync"
	expect_enforced "after sync"
}

# run refuses a checkpointed instance (its cgroup and VIP are gone).
test_run_refuses_a_checkpointed_instance() {
	vnictl attach "${ARGS_WEB[@]}" >/dev/null || fail "attach"
	sqlite3 "$VNI_STATE_DIR/state.db" "UPDATE instances SET checkpointed = 1" || fail "sqlite3"
	expect_eq "run" "vnictl: instance web is checkpointed; restore it first" "$(vnictl run --cgroup web -- true 2>&1)"
}

# service add and del (core/svcbuild.h): crash after each step
test_an_interrupted_service_command_is_finished_by_the_next() {
	local n step out
	members a b
	serve_in A a tcp 8080
	serve_in B b tcp 8080
	for n in $(seq 1 30); do
		step=$(crash_after $n service add --name web --addr $SVC:8080 --instance a --instance b)
		vnictl init >/dev/null 2>&1 || fail "step $n ($step): the next command failed"
		out=$(vnictl service list --json)
		if [ -n "$step" ]; then
			# finished by the next command, or gone without a trace
			case $(json_get '" ".join(s["name"] + ":" + s["status"] for s in d)' <<<"$out") in
			"web:ready") ;;
			"") node_addrs | grep -q "$SVC" && fail "step $n ($step): address left" ;;
			*) fail "step $n ($step): $out" ;;
			esac
		fi
		vnictl check >/dev/null || fail "step $n ($step): check: $(vnictl check 2>&1)"
		if json_get 'len(d)' <<<"$out" | grep -q 1; then
			fair "step $n ($step): served" 3 "$(from_peer spread tcp 20 $SVC 8080)" a b
			step2=$(crash_after $n service del --name web)
			vnictl init >/dev/null 2>&1 || fail "del step $n ($step2): the next command failed"
			expect_json "del step $n ($step2): gone" "[]" "$(vnictl service list --json)" d
			vnictl check >/dev/null || fail "del step $n ($step2): check"
		fi
		[ -z "$step" ] && break
	done
	echo "note: crash points of service add: $((n - 1))"
}
