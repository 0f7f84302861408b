# SPDX-License-Identifier: GPL-2.0-only
# checkpoint/restore refuse bad input before CRIU runs (these need no CRIU;
# the dumps themselves are tested in the VM, tests/vm/t_criu.sh).

good_meta() {
	cat <<'JSON'
{ "format": "vni-checkpoint", "version": 1, "name": "web", "aid": 3, "vip4": "10.10.0.1",
  "vip6": null, "hostname": "web-1", "allow_raw": false, "dev": "lo", "node": "elsewhere",
  "created": 1700000000, "tcp_established": false, "dump_ms": 12 }
JSON
}

# restore_refused MESSAGE-GLOB DIR
restore_refused() {
	local before err rc
	before=$(snapshot)
	err=$(vnictl restore --dir "$2" 2>&1 >/dev/null)
	rc=$?
	expect_eq "exit code of restore from $2" 1 "$rc"
	expect_eq "one line" 1 "$(printf '%s\n' "$err" | wc -l)"
	expect_match "error of restore from $2" "vnictl: $1" "$err"
	expect_eq "node after restore from $2" "$before" "$(snapshot)"
}

test_restore_refuses_bad_image_dirs() {
	local d=$T_DIR/img
	vnictl init >/dev/null || fail "init"
	restore_refused "cannot use $T_DIR/none: No such file or directory" "$T_DIR/none"
	mkdir "$d"
	restore_refused "$d is not a vni checkpoint (no vni.json)" "$d"
	echo '{ "format": "vni-checkpoint", "version": ' >"$d/vni.json"
	restore_refused "checkpoint metadata is not a JSON object" "$d"
	good_meta | sed 's/"version": 1/"version": 7/' >"$d/vni.json"
	restore_refused "unsupported checkpoint version 7 (this vnictl reads 1)" "$d"
	good_meta | sed 's/"format": "vni-checkpoint"/"format": "docker"/' >"$d/vni.json"
	restore_refused "not a vni checkpoint (format 'docker')" "$d"
	good_meta | sed 's/"vip4": "10.10.0.1"/"vip4": "10.10.0.999"/' >"$d/vni.json"
	restore_refused "checkpoint metadata: invalid vip4 '10.10.0.999'" "$d"
	good_meta | sed 's/"name": "web"/"name": "..\/etc"/' >"$d/vni.json"
	restore_refused "invalid instance name '../etc'*" "$d"
	good_meta | sed 's/ "aid": 3,//' >"$d/vni.json"
	restore_refused "checkpoint metadata: missing or mistyped field 'aid'" "$d"
	good_meta >"$d/vni.json"
	restore_refused "$d has no CRIU images (inventory.img missing)" "$d"
}

test_checkpoint_refuses_bad_requests() {
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	expect_eq "unknown instance" "vnictl: no instance named 'nope'" \
		"$(vnictl checkpoint --cgroup nope --dir "$T_DIR/img" 2>&1)"
	expect_eq "no vnictl run tree" "vnictl: instance web has no process tree started by 'vnictl run' to checkpoint" \
		"$(vnictl checkpoint --cgroup web --dir "$T_DIR/img" 2>&1)"
	mkdir "$T_DIR/full" && touch "$T_DIR/full/x"
	start_bg app vnictl run --cgroup web -- sh -c 'echo up; exec sleep 30'
	expect_eq "app up" "up" "$(read_line "$app")"
	expect_eq "non-empty dir" "vnictl: $T_DIR/full is not empty" \
		"$(vnictl checkpoint --cgroup web --dir "$T_DIR/full" 2>&1)"
	# every missing option is named (the usage comes from the command table)
	expect_eq "usage" "vnictl: checkpoint needs --dir DIR (see 'vnictl help') 2" \
		"$(vnictl checkpoint --cgroup web 2>&1 | tr -d '\n'; echo " ${PIPESTATUS[0]}")"
	expect_eq "usage, both missing" "vnictl: checkpoint needs --cgroup NAME and --dir DIR (see 'vnictl help') 2" \
		"$(vnictl checkpoint 2>&1 | tr -d '\n'; echo " ${PIPESTATUS[0]}")"
	expect_match "still running" "*web*running*" "$(vnictl list | sed -n 2p)"
}

# clone_refused EXIT MESSAGE ARGS...: one line, that exit code, node unchanged
clone_refused() {
	local code=$1 msg=$2 before err rc
	shift 2
	before=$(snapshot)
	err=$(vnictl clone "$@" 2>&1 >/dev/null)
	rc=$?
	expect_eq "exit code of clone $*" "$code" "$rc"
	expect_eq "one line" 1 "$(printf '%s\n' "$err" | wc -l)"
	expect_eq "error of clone $*" "vnictl: $msg" "$err"
	expect_eq "node after clone $*" "$before" "$(snapshot)"
}

# Clones refuse bad requests before CRIU runs (the clones themselves: VM,
# tests/vm/t_clone.sh).
test_clone_refuses_bad_requests() {
	local d=$T_DIR/tmpl
	vnictl attach --cgroup web --vip 10.10.0.9 >/dev/null || fail "attach"
	mkdir "$d"
	clone_refused 1 "cannot use $T_DIR/none: No such file or directory" --dir "$T_DIR/none" --cgroup c
	clone_refused 1 "$d is not a vni checkpoint (no vni.json)" --dir "$d" --cgroup c
	clone_refused 2 "invalid --count '0' (1 to 1000) (see 'vnictl help')" --dir "$d" --cgroup c --count 0
	clone_refused 2 "--count takes only --vip auto[/POOL] (each clone its own) (see 'vnictl help')" \
		--dir "$d" --cgroup c --count 3 --vip 10.10.0.5
	clone_refused 2 "clone needs --dir DIR (see 'vnictl help')" --cgroup c
	good_meta >"$d/vni.json"
	clone_refused 1 "$d is not a template (vnictl checkpoint --template makes one)" --dir "$d" --cgroup c
	good_meta | sed 's/"dump_ms": 12/"dump_ms": 12, "template": true/' >"$d/vni.json"
	clone_refused 1 "$d has no CRIU images (inventory.img missing)" --dir "$d" --cgroup c
	touch "$d/inventory.img"
	good_meta | sed 's/"dump_ms": 12/"dump_ms": 12, "template": true, "needs": ["no_such_feature"]/' >"$d/vni.json"
	clone_refused 1 "this node's kernel lacks 'no_such_feature', which template $d needs (criu check --feature no_such_feature)" \
		--dir "$d" --cgroup c
	good_meta | sed 's/"dump_ms": 12/"dump_ms": 12, "template": true, "needs": ["Bad Name"]/' >"$d/vni.json"
	clone_refused 1 "checkpoint metadata: 'needs' holds a bad feature name" --dir "$d" --cgroup c
	good_meta | sed 's/"dump_ms": 12/"dump_ms": 12, "template": true/' >"$d/vni.json"
	clone_refused 1 "an instance named web exists" --dir "$d" --cgroup web --vip 10.10.0.7
	clone_refused 1 "VIP 10.10.0.9 is taken by instance web" --dir "$d" --cgroup c --vip 10.10.0.9
	clone_refused 1 "the template has no IPv6 VIP: give its clones none" --dir "$d" --cgroup c --vip 2001:db8:10::5
}
