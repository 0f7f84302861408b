# SPDX-License-Identifier: GPL-2.0-only
# Templates and clones (vnictl checkpoint --template, vnictl clone): CRIU,
# so inside the VM (make vmtest).

# A server that answers each connection with its hostname and a counter kept
# in /srv/data/count (its mapped directory), incremented per answer.
CLONE_SERVER='import os, socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 7000)); s.listen(16)
while True:
    c, _ = s.accept()
    if c.recv(1) != b"?":
        c.close(); continue
    n = int(open("/srv/data/count").read()) + 1
    open("/srv/data/count", "w").write(str(n))
    c.sendall(("%s %d\n" % (socket.gethostname(), n)).encode()); c.close()'

clone_ask() { # addr: one answer from the peer
	on_peer python3 -c 'import socket, sys
s = socket.create_connection((sys.argv[1], 7000), timeout=5); s.sendall(b"?"); print(s.recv(100).decode().strip())' "$1" 2>&1 | tail -n 1
}

clone_identity() { # name: its /run/vni/instance, as read by its processes
	local pid
	pid=$(vnictl show --cgroup "$1" --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["pids"][-1])')
	nsenter -t "$pid" -m cat /run/vni/instance | grep -E '^(name|hostname|vip4|template)=' | tr '\n' ' ' | sed 's/ $//'
}

clone_wait() { # addr
	local i
	for i in $(seq 100); do
		on_peer "$PROBE" -t 1 connect "$1" 7000 2>/dev/null | grep -q '^LOCAL' && return 0
		sleep 0.05
	done
	fail "$1:7000 never answered"
}

# the server in instance web, with its map data/web (count = 5), answering
start_web() {
	mkdir -p "$T_DIR/data/web" && echo 5 >"$T_DIR/data/web/count"
	vnictl attach --cgroup web --vip 10.10.0.1 --hostname web-0 >/dev/null || fail "attach"
	vnictl run --cgroup web --map "/srv/data=$T_DIR/data/%n" -- python3 -c "$CLONE_SERVER" \
		</dev/null >>"$T_DIR/server.log" 2>&1 &
	clone_wait 10.10.0.1
	expect_eq "the original answers" "web-0 6" "$(clone_ask 10.10.0.1)"
}

# tmpl: a template of instance web, left running
make_template() {
	start_web
	expect_eq "checkpoint --template" "checkpointed web into $T_DIR/tmpl as a template (still running)" \
		"$(vnictl checkpoint --cgroup web --dir "$T_DIR/tmpl" --template --leave-running 2>&1)"
}

test_clones_answer_on_their_own_vips_with_their_own_names_and_data() {
	local i line aid2
	make_template
	expect_json "vni.json: a template" true "$(cat "$T_DIR/tmpl/vni.json")" 'd["template"]'
	expect_eq "the map's copy as of the dump" 6 "$(cat "$T_DIR/tmpl/maps/0/count")"
	for i in 1 2 3; do
		line=$(vnictl clone --dir "$T_DIR/tmpl" --cgroup "c$i" --vip "10.10.0.1$i" 2>&1)
		expect_match "clone c$i" "cloned c$i: aid *, vip 10.10.0.1$i, hostname vni-10-10-0-1$i" "$line"
	done
	for i in 1 2 3; do
		expect_eq "c$i answers with its own name, from the template's data" "vni-10-10-0-1$i 7" \
			"$(clone_ask "10.10.0.1$i")"
	done
	expect_eq "c2 keeps its own state" "vni-10-10-0-12 8" "$(clone_ask 10.10.0.12)"
	expect_eq "c1 not touched by c2" "vni-10-10-0-11 8" "$(clone_ask 10.10.0.11)"
	expect_eq "the template's copy is untouched" 6 "$(cat "$T_DIR/tmpl/maps/0/count")"
	expect_eq "the original keeps serving" "web-0 7" "$(clone_ask 10.10.0.1)"
	expect_json "show names the template" "$T_DIR/tmpl" "$(vnictl show --cgroup c1 --json)" 'd["template"]'
	expect_json "the original is no clone" null "$(vnictl show --cgroup web --json)" 'd["template"]'
	# what the application reads to know it was cloned (core/identity.h)
	expect_eq "c1's /run/vni/instance" "name=c1 hostname=vni-10-10-0-11 vip4=10.10.0.11 template=$T_DIR/tmpl" \
		"$(clone_identity c1)"
	expect_eq "the original's" "name=web hostname=web-0 vip4=10.10.0.1 template=" "$(clone_identity web)"
	aid2=$(vnictl show --cgroup c2 --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["aid"])')
	[ -e "$VNI_STATE_DIR/clones/$aid2/restore.log" ] || fail "c2's restore.log is not in its work dir"
	vnictl detach --cgroup c2 --force >/dev/null || fail "detach c2"
	expect_eq "c2's work dir went with it" no \
		"$([ -e "$VNI_STATE_DIR/clones/$aid2" ] && { echo yes; ls -la "$VNI_STATE_DIR/clones/$aid2"; findmnt -R "$VNI_STATE_DIR"; } || echo no)"
	expect_eq "c1 after c2 went" "vni-10-10-0-11 9" "$(clone_ask 10.10.0.11)"
	expect_eq "c3 after c2 went" "vni-10-10-0-13 8" "$(clone_ask 10.10.0.13)"
}

test_count_clones_five() {
	local line i
	make_template
	vnictl pool add 10.10.0.100-10.10.0.120 >/dev/null || fail "pool"
	line=$(vnictl clone --dir "$T_DIR/tmpl" --count 5 --cgroup w --vip auto 2>&1 | tail -n 1)
	expect_eq "summary" "cloned 5 of 5 from $T_DIR/tmpl: w-1 w-2 w-3 w-4 w-5" "$line"
	expect_eq "five distinct AIDs, VIPs, hostnames" "5 5 5" "$(vnictl list --json | python3 -c '
import json, sys; d = [i for i in json.load(sys.stdin) if i["name"].startswith("w-")]
print(len({i["aid"] for i in d}), len({i["vip4"] for i in d}), len({i["hostname"] for i in d}))')"
	for i in $(vnictl list --json | python3 -c '
import json, sys; print(" ".join(i["vip4"] for i in json.load(sys.stdin) if i["name"].startswith("w-")))'); do
		expect_match "$i serves" "vni-${i//./-} 7" "$(clone_ask "$i")"
	done
}

test_clone_refusals_leave_nothing() {
	local before
	make_template
	vnictl clone --dir "$T_DIR/tmpl" --cgroup c1 --vip 10.10.0.11 >/dev/null || fail "clone c1"
	before=$(snapshot)
	expect_eq "a VIP in use" "vnictl: VIP 10.10.0.11 is taken by instance c1" \
		"$(vnictl clone --dir "$T_DIR/tmpl" --cgroup c2 --vip 10.10.0.11 2>&1)"
	expect_eq "a name in use" "vnictl: an instance named c1 exists" \
		"$(vnictl clone --dir "$T_DIR/tmpl" --cgroup c1 --vip 10.10.0.12 2>&1)"
	expect_eq "nothing left" "$before" "$(snapshot)"
	expect_eq "no copy left for c2" no "$([ -e "$T_DIR/data/c2" ] && echo yes || echo no)"
	vnictl checkpoint --cgroup c1 --dir "$T_DIR/plain" --leave-running >/dev/null || fail "plain checkpoint"
	before=$(snapshot)
	expect_eq "not a template" "vnictl: $T_DIR/plain is not a template (vnictl checkpoint --template makes one)" \
		"$(vnictl clone --dir "$T_DIR/plain" --cgroup c3 --vip 10.10.0.13 2>&1)"
	rm -r "$T_DIR/tmpl/maps/0"
	expect_eq "a missing map copy" "vnictl: $T_DIR/tmpl has no copy of map /srv/data ($T_DIR/tmpl/maps/0 missing)" \
		"$(vnictl clone --dir "$T_DIR/tmpl" --cgroup c3 --vip 10.10.0.13 2>&1)"
	# a kernel feature this node lacks (here: one no kernel has)
	expect_json "the template says what it needs" "cgroupns ns_pid" "$(cat "$T_DIR/tmpl/vni.json")" '" ".join(d["needs"])'
	python3 -c 'import json, sys
p = sys.argv[1]; d = json.load(open(p)); d["needs"].append("no_such_feature"); json.dump(d, open(p, "w"))' \
		"$T_DIR/tmpl/vni.json"
	expect_eq "a kernel feature missing" \
		"vnictl: this node's kernel lacks 'no_such_feature', which template $T_DIR/tmpl needs (criu check --feature no_such_feature)" \
		"$(vnictl clone --dir "$T_DIR/tmpl" --cgroup c3 --vip 10.10.0.13 2>&1)"
	expect_eq "nothing left after these" "$before" "$(snapshot)"
}

test_template_with_a_connection_is_refused() {
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	vnictl run --cgroup web -- python3 -c 'import socket, time
s = socket.socket(); s.bind(("0.0.0.0", 7000)); s.listen(1); c, _ = s.accept(); time.sleep(600)' \
		</dev/null >>"$T_DIR/server.log" 2>&1 &
	clone_wait 10.10.0.1
	on_peer python3 -c 'import socket, time
s = socket.create_connection(("10.10.0.1", 7000)); time.sleep(600)' &
	sleep 1
	expect_match "refused" "vnictl: instance web has an established TCP connection (10.10.0.1:7000 -> *): a template cannot keep connections" \
		"$(vnictl checkpoint --cgroup web --dir "$T_DIR/tmpl" --template 2>&1)"
	expect_eq "nothing dumped" "" "$(ls -A "$T_DIR/tmpl" 2>/dev/null)"
	kill %2 2>/dev/null
}

# A template dumped without --leave-running comes back as itself with
# restore: its map mounted again from its own source.
test_template_restored_as_itself() {
	local line
	start_web
	expect_eq "checkpoint --template" "checkpointed web into $T_DIR/tmpl as a template" \
		"$(vnictl checkpoint --cgroup web --dir "$T_DIR/tmpl" --template 2>&1)"
	line=$(vnictl restore --dir "$T_DIR/tmpl" 2>&1) || grep -E "Error" "$T_DIR/tmpl/restore.log" | tail -n 3
	expect_match "restore" "restored web: *" "$line"
	expect_eq "its own data again" "web-0 7" "$(clone_ask 10.10.0.1)"
	expect_eq "written to its own source" 7 "$(cat "$T_DIR/data/web/count")"
}

# A clone cut short after any step (intent first: it stays "attaching" until
# its processes are restored): the next vnictl undoes it, or finishes it once
# its processes are in; nothing of it is left over either way.
test_crash_at_every_step_of_clone() {
	local n step steps=() out
	make_template
	for n in $(seq 1 100); do
		step=$(crash_after "$n" clone --dir "$T_DIR/tmpl" --cgroup c1 --vip 10.10.0.11) || exit 1
		[ -z "$step" ] && break
		steps+=("$step")
		out=$(vnictl sync 2>&1) || fail "sync after a crash at '$step': $out"
		out=$(vnictl check 2>&1) || fail "check after a crash at '$step' and sync: $out"
		if vnictl show --cgroup c1 >/dev/null 2>&1; then
			expect_match "finished after '$step': it serves as itself" "vni-10-10-0-11 *" \
				"$(clone_wait 10.10.0.11; clone_ask 10.10.0.11)"
			vnictl detach --cgroup c1 --force >/dev/null || fail "detach after '$step'"
		fi
		expect_eq "no c1 cgroup after '$step'" no "$([ -d "$VNI_CGROUP_ROOT/c1" ] && echo yes || echo no)"
		expect_eq "no clone work dir after '$step'" "" "$(ls "$VNI_STATE_DIR/clones" 2>/dev/null)"
		expect_eq "VIP gone after '$step'" "" "$(node_addrs 10.10.0.11)"
	done
	echo "note: clone: crashed after each of ${#steps[@]} steps: $(IFS=,; echo "${steps[*]}")"
	for step in "clone: attached" "clone: maps made" "clone: restored" "clone: done"; do
		[[ ",$(IFS=,; echo "${steps[*]}")," == *",$step,"* ]] || fail "no crash point '$step'"
	done
	expect_match "without a crash, the clone serves" "vni-10-10-0-11 *" \
		"$(clone_wait 10.10.0.11; clone_ask 10.10.0.11)"
	expect_eq "the original still serves" "web-0" "$(clone_ask 10.10.0.1 | cut -d' ' -f1)"
}
