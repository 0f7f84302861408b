# SPDX-License-Identifier: GPL-2.0-only
# vnictl apply -f FILE|-: the node's instances made what a JSON file (as
# 'vnictl list --json' prints) says; dry runs, refusals, bad input, the
# progress line, and a crash after every step of an apply of 100 instances.

# Writes JSON (a Python expression) to a file of the test, printing its path.
json_file() { # name python-expression
	python3 -I -c "import json; print(json.dumps($2))" >"$T_DIR/$1" || fail "json_file $1"
	echo "$T_DIR/$1"
}

names() { vnictl list --json | json_get '" ".join(i["name"] for i in d)'; }

test_list_json_applied_again_changes_nothing() {
	local f before
	vnictl attach --cgroup web --vip 10.10.0.1 --vip 2001:db8:10::1 --hostname www \
		--loopback private --allow-raw >/dev/null || fail "attach web"
	vnictl attach --cgroup api --vip 10.10.0.2 --aid 40 --dev vn0 >/dev/null || fail "attach api"
	vnictl run --cgroup api --map /data=/srv/vni/%n true || fail "run --map"
	vnictl list --json >"$T_DIR/node.json"
	before=$(snapshot)
	expect_eq "apply of list --json" \
		"applied: 0 attached, 0 detached, 0 replaced, 0 with new maps, 2 unchanged" \
		"$(vnictl apply -f "$T_DIR/node.json")"
	expect_eq "nothing changed" "$before" "$(snapshot)"
	expect_eq "the same from stdin" \
		"applied: 0 attached, 0 detached, 0 replaced, 0 with new maps, 2 unchanged" \
		"$(vnictl apply -f - <"$T_DIR/node.json")"
	expect_eq "still nothing changed" "$before" "$(snapshot)"
	# only the maps differ: rewritten in place, the instance stays
	f=$(json_file maps.json "[dict(i, maps=[]) if i['name'] == 'api' else i for i in json.load(open('$T_DIR/node.json'))]")
	expect_eq "new maps" "applied: 0 attached, 0 detached, 0 replaced, 1 with new maps, 1 unchanged" \
		"$(vnictl apply -f "$f")"
	expect_json "api's maps" "[]" "$(vnictl show --cgroup api --json)" 'd["maps"]'
	expect_json "api is the same instance" "$(json_get 'd[0]["cgroup_id"]' <"$T_DIR/node.json")" \
		"$(vnictl show --cgroup api --json)" 'd["cgroup_id"]'
}

test_attaches_the_missing_and_detaches_the_unlisted() {
	local f out
	vnictl attach --cgroup old --vip 10.10.0.9 >/dev/null || fail "attach old"
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach web"
	f=$(json_file node.json "[{'name': 'web', 'vip4': '10.10.0.1'},
		{'name': 'api', 'vip4': '10.10.0.2', 'vip6': '2001:db8:10::2', 'hostname': 'api.example'},
		{'name': 'db', 'vip4': 'auto', 'loopback': 'private', 'aid': 77,
		 'maps': [{'path': '/data', 'source': '/srv/%n'}]}]")
	vnictl pool add 10.10.0.100/30 >/dev/null || fail "pool add"
	out=$(vnictl apply -f "$f") || fail "apply: $out"
	expect_eq "apply" "applied: 2 attached, 1 detached, 0 replaced, 0 with new maps, 1 unchanged" "$out"
	expect_eq "instances" "api db web" "$(names)"
	expect_json "db" '[77,"10.10.0.101","private",[{"path":"/data","source":"/srv/%n","resolved":"/srv/db"}]]' \
		"$(vnictl show --cgroup db --json)" '[d["aid"], d["vip4"], d["loopback"], d["maps"]]'
	expect_eq "old's address is gone" "" "$(node_addrs 10.10.0.9)"
	expect_eq "hosts file" "10.10.0.1 vni-10-10-0-1
10.10.0.101 vni-10-10-0-101
10.10.0.2 api.example
2001:db8:10::2 api.example" "$(grep -v '^#' "$VNI_HOSTS_FILE" | sort)"
	# written whole, with where each instance's lines went: its detach goes there
	expect_eq "api's lines at the offset recorded" "10.10.0.2 api.example" \
		"$(tail -c +$(($(sqlite3 "$VNI_STATE_DIR/state.db" "SELECT hosts_off FROM instances WHERE name = 'api'") + 1)) "$VNI_HOSTS_FILE" | head -n 1)"
	out=$(vnictl check 2>&1) || fail "drift after apply: $out"
	expect_match "api's wildcard bind lands on its VIP" "BOUND 10.10.0.2:*" "$(probe_inst api bind 0.0.0.0 0)"
	expect_match "api may not bind the node's address" "*EPERM*" "$(probe_inst api bind $NODE_IP 0 2>&1)"
	expect_eq "again: nothing to do" "applied: 0 attached, 0 detached, 0 replaced, 0 with new maps, 3 unchanged" \
		"$(vnictl apply -f "$f")"
	# a VIP moves from an instance that goes to a new one: detaches go first
	f=$(json_file move.json "[{'name': 'web2', 'vip4': '10.10.0.1'}]")
	expect_eq "a VIP moves" "applied: 1 attached, 3 detached, 0 replaced, 0 with new maps, 0 unchanged" \
		"$(vnictl apply -f "$f" 2>&1)"
	expect_eq "instances after the move" "web2" "$(names)"
	out=$(vnictl check 2>&1) || fail "drift after the move: $out"
	expect_eq "an empty array empties the node" "applied: 0 attached, 1 detached, 0 replaced, 0 with new maps, 0 unchanged" \
		"$(echo '[]' | vnictl apply -f -)"
	expect_json "nothing left" "[]" "$(vnictl list --json)" d
}

test_processes_and_differences_are_refused_unless_force() {
	local before out f
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach web"
	vnictl attach --cgroup api --vip 10.10.0.2 >/dev/null || fail "attach api"
	in_inst web sleep 1000 &
	local i
	for i in $(seq 500); do [ -n "$(cat "$VNI_CGROUP_ROOT/web/cgroup.procs")" ] && break; sleep 0.01; done
	before=$(snapshot)
	out=$(echo '[{"name": "api", "vip4": "10.10.0.2"}]' | vnictl apply -f - 2>&1)
	[ $? = 1 ] || fail "apply detaching an instance with a process: exit 0"
	expect_eq "refused with processes" "vnictl: instance web still has 1 process(es); stop them or use --force" "$out"
	expect_eq "nothing changed" "$before" "$(snapshot)"
	out=$(echo '[{"name": "web", "vip4": "10.10.0.1"}, {"name": "api", "vip4": "10.10.0.3"}]' | vnictl apply -f - 2>&1)
	[ $? = 1 ] || fail "apply of a differing instance: exit 0"
	expect_eq "refused: differs" "vnictl: instance api differs from the node's (vip4 10.10.0.3, the node has 10.10.0.2); --force replaces it" "$out"
	expect_eq "nothing changed either" "$before" "$(snapshot)"
	f=$(json_file f.json "[{'name': 'api', 'vip4': '10.10.0.3'}]")
	expect_eq "--dry-run --force says what it would do" "would replace api: vip4 10.10.0.3, the node has 10.10.0.2
would detach web
dry run, would be: 0 attached, 1 detached, 1 replaced, 0 with new maps, 0 unchanged" \
		"$(vnictl apply -f "$f" --dry-run --force)"
	expect_eq "a dry run changes nothing" "$before" "$(snapshot)"
	expect_eq "--force" "applied: 0 attached, 1 detached, 1 replaced, 0 with new maps, 0 unchanged" \
		"$(vnictl apply -f "$f" --force)"
	expect_json "api replaced" '[["api","10.10.0.3"]]' "$(vnictl list --json)" '[[i["name"], i["vip4"]] for i in d]'
	expect_eq "web's process is gone" "" "$(cat "$VNI_CGROUP_ROOT/web/cgroup.procs" 2>/dev/null)"
	out=$(vnictl check 2>&1) || fail "drift after --force: $out"
}

test_dry_run_changes_nothing() {
	local before
	vnictl attach --cgroup old --vip 10.10.0.9 >/dev/null || fail "attach old"
	before=$(snapshot)
	expect_eq "dry run" "would detach old
would attach new
dry run, would be: 1 attached, 1 detached, 0 replaced, 0 with new maps, 0 unchanged" \
		"$(echo '[{"name": "new", "vip4": "10.10.0.1"}]' | vnictl apply --dry-run -f -)"
	expect_eq "nothing changed" "$before" "$(snapshot)"
}

test_bad_input_is_one_line_and_changes_nothing() {
	local before out input expected rc
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach web"
	before=$(snapshot)
	while IFS='@' read -r input expected rc; do
		out=$(printf '%s' "$input" | vnictl apply -f - 2>&1)
		expect_eq "exit of $input" "$rc" "$?"
		expect_eq "one line for $input" 1 "$(wc -l <<<"$out")"
		expect_match "$input" "vnictl: $expected" "$out"
		expect_eq "nothing changed by $input" "$before" "$(snapshot)"
	done <<'EOF_CASES'
{@stdin: not JSON: *@2
[1, 2]@stdin: instance 1: not an object@2
{"name": "web"}@stdin: expected a JSON array of instances*@2
[{"vip4": "10.10.0.2"}]@stdin: instance 1: name: missing (a string)@2
[{"name": "a/b", "vip4": "10.10.0.2"}]@stdin: instance 1 (a/b): name: invalid*@2
[{"name": "x", "vip4": "10.10.0"}]@stdin: instance 1 (x): vip4: invalid VIP*@2
[{"name": "x", "vip4": "2001:db8::1"}]@stdin: instance 1 (x): vip4: not an IPv4 address@2
[{"name": "x", "vip6": "auto/Bad!"}]@stdin: instance 1 (x): vip6: invalid pool name*@2
[{"name": "x"}]@stdin: instance 1 (x): an instance needs a VIP (vip4 or vip6)@2
[{"name": "x", "vip4": "10.10.0.2", "colour": "red"}]@stdin: instance 1 (x): colour: unknown field*@2
[{"name": "x", "vip4": "10.10.0.2", "aid": "7"}]@stdin: instance 1 (x): aid: must be a number or null@2
[{"name": "x", "vip4": "10.10.0.2", "loopback": "public"}]@stdin: instance 1 (x): loopback: *@2
[{"name": "x", "vip4": "10.10.0.2", "maps": [{"path": "data", "source": "/s"}]}]@stdin: instance 1 (x): maps: *@2
[{"name": "x", "vip4": "10.10.0.2"}, {"name": "x", "vip4": "10.10.0.3"}]@stdin: instance x is listed twice@2
[{"name": "x", "vip4": "10.10.0.2"}, {"name": "y", "vip4": "10.10.0.2"}]@stdin: VIP 10.10.0.2 is listed twice@2
[{"name": "web", "vip4": "10.10.0.1"}, {"name": "x", "vip4": "192.0.2.1"}]@instance x: VIP 192.0.2.1 is already an address of this node@1
[{"name": "web", "vip4": "10.10.0.1"}, {"name": "x", "vip4": "10.10.0.2", "dev": "nosuch0"}]@instance x: unknown device 'nosuch0'@1
[{"name": "web", "vip4": "10.10.0.1"}, {"name": "x", "vip4": "10.10.0.2", "aid": 1}]@instance x: AID 1 is taken by instance web@1
[{"name": "web", "vip4": "10.10.0.1"}, {"name": "x", "vip4": "10.10.0.2", "template": "/ckpt"}]@instance x is a clone of /ckpt: apply cannot make clones*@1
EOF_CASES
	out=$(vnictl apply -f "$T_DIR/nosuch.json" 2>&1)
	expect_match "a missing file" "vnictl: cannot read $T_DIR/nosuch.json: No such file or directory" "$out"
	expect_match "no -f" "vnictl: apply needs --file FILE*" "$(vnictl apply 2>&1)"
	expect_eq "nothing changed at all" "$before" "$(snapshot)"
}

# The progress line goes to a terminal only, and is gone at the end.
test_progress_line_only_on_a_terminal() {
	local f out
	f=$(json_file node.json "[{'name': 'i%d' % i, 'vip4': '10.10.0.%d' % i} for i in range(1, 31)]")
	out=$(vnictl apply -f "$f" 2>&1 >/dev/null)
	expect_eq "no progress without a terminal" "" "$out"
	echo '[]' | vnictl apply -f - >/dev/null || fail "apply []"
	out=$(script -qec "nsenter --net=/run/netns/$NODE $VNICTL apply -f $f" /dev/null </dev/null)
	expect_match "progress on a terminal" "*vnictl: apply: instances built 30/30*" "$out"
	expect_match "the line is cleared, then the summary" \
		$'*\r\e[Kapplied: 30 attached, 0 detached, 0 replaced, 0 with new maps, 0 unchanged*' "$out"
}

# Killed after any step of an apply of 100 instances (and 5 detached), the
# next vnictl undoes the attaches and finishes the detaches; apply then works.
test_crash_at_every_step_of_apply() {
	local n step steps=() base f out
	base=$(json_file base.json "[{'name': 'old%d' % i, 'vip4': '10.10.1.%d' % i} for i in range(1, 6)]")
	f=$(json_file node.json "[{'name': 'i%d' % i, 'vip4': '10.10.0.%d' % i, 'vip6': None} for i in range(1, 101)]")
	for n in $(seq 1 100); do
		vnictl apply -f "$base" >/dev/null || fail "apply the base"
		step=$(crash_after "$n" apply -f "$f") || exit 1
		[ -z "$step" ] && break
		steps+=("$step")
		out=$(vnictl sync 2>&1) || fail "sync after a crash at '$step': $out"
		out=$(vnictl check 2>&1) || fail "drift after sync ($step): $out"
		out=$(vnictl apply -f "$f" 2>&1) || fail "apply after a crash at '$step': $out"
		expect_json "instances after '$step'" 100 "$(vnictl list --json)" 'len([i for i in d if i["name"].startswith("i")])'
		expect_json "old ones gone after '$step'" 0 "$(vnictl list --json)" 'len([i for i in d if i["name"].startswith("old")])'
		out=$(vnictl check 2>&1) || fail "drift after re-applying ($step): $out"
		expect_match "i100 enforced ($step)" "BOUND 10.10.0.100:*" "$(probe_inst i100 bind 0.0.0.0 0)"
		echo '[]' | vnictl apply -f - >/dev/null || fail "empty the node after '$step'"
	done
	echo "note: apply: crashed after each of ${#steps[@]} steps: $(IFS=,; echo "${steps[*]}" | sed 's/,/, /g')"
	[ ${#steps[@]} -ge 12 ] || fail "only ${#steps[@]} crash points in apply"
}
