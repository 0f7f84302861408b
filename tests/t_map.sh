# SPDX-License-Identifier: GPL-2.0-only
# vnictl run --map PATH=SOURCE: per-instance paths (docs/maps.md). PATHs are
# under the test's directory, so that cleanup takes them.

attach() { # NAME VIP [attach options]
	local name=$1 vip=$2
	shift 2
	vnictl attach --cgroup "$name" --vip "$vip" "$@" >/dev/null || fail "attach $name"
}

test_each_instance_gets_its_own_directory() {
	local app m=$T_DIR/mnt/data
	attach web 10.10.0.1
	attach api 10.10.0.2
	expect_eq "written inside" "ok" \
		"$(vnictl run --cgroup web --map "$m=$T_DIR/data/%n" -- sh -c "echo from-web > $m/f && echo ok")"
	expect_eq "seen outside in its directory" "from-web" "$(cat "$T_DIR/data/web/f")"
	expect_eq "another instance, the same spec" "ok" \
		"$(vnictl run --cgroup api --map "$m=$T_DIR/data/%n" -- sh -c "echo from-api > $m/f && echo ok")"
	expect_eq "its own directory" "from-api" "$(cat "$T_DIR/data/api/f")"
	expect_eq "the first one's untouched" "from-web" "$(cat "$T_DIR/data/web/f")"
	start_bg app vnictl run --cgroup web --map "$m=$T_DIR/data/%n" -- sh -c "cat $m/f; exec sleep 30"
	expect_eq "what was there is there again" "from-web" "$(read_line "$app")"
	expect_eq "the node sees no mount at PATH" "" "$(findmnt -n -o TARGET "$m")"
	expect_eq "PATH on the node: an empty directory" "" "$(ls -A "$m")"
	expect_eq "SOURCE made by root for root" "0 0 755" "$(stat -c '%u %g %a' "$T_DIR/data/web")"
}

test_codes_resolve_for_the_instance() {
	attach web 10.10.0.1 --vip 2001:db8:10::1 --aid 42 --hostname web.example.org
	vnictl run --cgroup web --map "$T_DIR/m=$T_DIR/ids/%a-%h-%4-%6-%%-%n" -- touch "$T_DIR/m/x" ||
		fail "run"
	expect_eq "resolved" "42-web.example.org-10.10.0.1-2001:db8:10::1-%-web" "$(ls "$T_DIR/ids")"
	expect_eq "the file" "x" "$(ls "$T_DIR/ids/"*)"
	# an absolute cgroup path as the name: %n is its last component
	mkdir "$CG2/vni-test-$T_ID-abs" || fail "mkdir cgroup"
	vnictl attach --cgroup "$CG2/vni-test-$T_ID-abs" --vip 10.10.0.2 >/dev/null || fail "attach abs"
	vnictl run --cgroup "$CG2/vni-test-$T_ID-abs" --map "$T_DIR/m=$T_DIR/byname/%n" -- true || fail "run abs"
	expect_eq "%n of a cgroup path" "vni-test-$T_ID-abs" "$(ls "$T_DIR/byname")"
}

test_root_inside_owns_what_is_made() {
	local base
	attach web 10.10.0.1
	base=$(userns_base /etc/subuid)
	expect_eq "--userns: root inside writes" "0 ok" \
		"$(vnictl run --cgroup web --userns --map "$T_DIR/m=$T_DIR/u/%n" -- sh -c "echo \$(id -u) > $T_DIR/m/f && echo \$(cat $T_DIR/m/f) ok")"
	expect_eq "SOURCE owned by the mapped root" "$base $(userns_base /etc/subgid)" "$(stat -c '%u %g' "$T_DIR/u/web")"
	expect_eq "its file too" "$base" "$(stat -c '%u' "$T_DIR/u/web/f")"
	expect_eq "--user nobody writes" "65534 ok" \
		"$(vnictl run --cgroup web --user nobody --map "$T_DIR/m=$T_DIR/n/%n" -- sh -c "id -u > $T_DIR/m/f && echo \$(cat $T_DIR/m/f) ok")"
	expect_eq "SOURCE owned by nobody" "$(id -u nobody) $(id -g nobody)" "$(stat -c '%u %g' "$T_DIR/n/web")"
	expect_eq "the parents made stay root's" "0" "$(stat -c '%u' "$T_DIR/n")"
}

test_bad_maps_are_refused_and_change_nothing() {
	local before spec out rc
	attach web 10.10.0.1
	touch "$T_DIR/file"
	before=$(snapshot)
	for spec in "mnt=$T_DIR/src" "$T_DIR/mnt=src" "$T_DIR/mnt/../x=$T_DIR/src" \
		"$T_DIR/mnt=$T_DIR/src/.." "$T_DIR/mnt=$T_DIR/src/%x" "$T_DIR/mnt=$T_DIR/src/%6" \
		"$T_DIR/mnt" "$T_DIR/mnt=" "$T_DIR/mnt=$T_DIR/src/%" "$T_DIR/m%n=$T_DIR/src" \
		"$T_DIR/file/mnt=$T_DIR/src/%n"; do
		out=$(vnictl run --cgroup web --map "$spec" -- touch "$T_DIR/started" 2>&1)
		rc=$?
		expect_eq "exit code for '$spec'" "2" "$rc"
		expect_match "one line for '$spec'" "vnictl: map *" "$out"
		expect_eq "lines for '$spec'" "1" "$(wc -l <<<"$out")"
	done
	# the second of two maps fails: the first's directories go too
	out=$(vnictl run --cgroup web --map "$T_DIR/mnt/a=$T_DIR/src/%n" --map "$T_DIR/file/b=$T_DIR/src2" -- touch "$T_DIR/started" 2>&1)
	expect_eq "exit code, two maps" "2" "$?"
	expect_match "PATH that cannot be made" "vnictl: map '$T_DIR/file/b=$T_DIR/src2': cannot make PATH*Not a directory*" "$out"
	out=$(vnictl run --cgroup web --map "$T_DIR/a=$T_DIR/s" --map "$T_DIR/a=$T_DIR/t" -- true 2>&1)
	expect_eq "the same PATH twice" "vnictl: map '$T_DIR/a=$T_DIR/t': PATH $T_DIR/a is mapped twice (see 'vnictl help') 2" "$out $?"
	expect_eq "a missing command: what was made goes" "1" \
		"$(vnictl run --cgroup web --map "$T_DIR/mnt=$T_DIR/src/%n" -- no-such-command 2>/dev/null; echo $?)"
	expect_eq "nothing made" "file" "$(ls "$T_DIR" | grep -v -e '^state$' -e '^hosts$' -e '^bg.stderr$')"
	expect_eq "the command never ran" "no" "$([ -e "$T_DIR/started" ] && echo yes || echo no)"
	expect_eq "nothing changed" "$before" "$(snapshot)"
}

test_show_and_list_json_show_the_maps_and_detach_removes_them() {
	local want
	attach web 10.10.0.1
	attach api 10.10.0.2
	vnictl run --cgroup web --map "$T_DIR/a=$T_DIR/s/%n" --map "$T_DIR/b=$T_DIR/t/%4" -- true || fail "run"
	want='[{"path":"'$T_DIR'/a","source":"'$T_DIR'/s/%n","resolved":"'$T_DIR'/s/web"},{"path":"'$T_DIR'/b","source":"'$T_DIR'/t/%4","resolved":"'$T_DIR'/t/10.10.0.1"}]'
	expect_json "show --json" "$want" "$(vnictl show --cgroup web --json)" 'd["maps"]'
	expect_json "list --json (api, web)" "[[],$want]" "$(vnictl list --json)" '[i["maps"] for i in d]'
	expect_match "show" "*map:*$T_DIR/a=$T_DIR/s/%n ($T_DIR/s/web)*" "$(vnictl show --cgroup web)"
	vnictl detach --cgroup web >/dev/null || fail "detach"
	expect_eq "no maps left in the state" "0" \
		"$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from maps").fetchone()[0])' "$VNI_STATE_DIR/state.db")"
	attach web 10.10.0.1
	expect_json "a new instance of the name has none" "[]" "$(vnictl show --cgroup web --json)" 'd["maps"]'
	expect_eq "the directories stay (the node's data)" "yes" "$([ -d "$T_DIR/s/web" ] && echo yes)"
}

test_start_takes_maps_from_the_config_file() {
	printf '%s\n' "vip = 10.10.0.1" "map = $T_DIR/m=$T_DIR/conf/%n-%a" \
		"exec = sh -c 'echo from-start > $T_DIR/m/f'" >"$T_DIR/web.conf"
	vnictl start --cgroup web --conf "$T_DIR/web.conf" || fail "start"
	expect_eq "written through the map" "from-start" "$(cat "$T_DIR/conf/web-1/f")"
	expect_json "the instance is gone with its maps" "[]" "$(vnictl list --json)" d
}
