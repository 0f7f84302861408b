# SPDX-License-Identifier: GPL-2.0-only
# Concurrent vnictl calls are serialised on the node lock and wait rather
# than fail: eight loops of attach/detach over overlapping names and VIPs
# (200 rounds each; VNI_CONCURRENCY_ITERATIONS sets fewer, as the VM run does).

test_concurrent_attach_detach_loops() {
	local loop i n=${VNI_CONCURRENCY_ITERATIONS:-200} fails=$T_DIR/fails ok=$T_DIR/ok
	: >"$fails"
	for loop in 1 2 3 4 5 6 7 8; do
		(
			for i in $(seq "$n"); do
				# loops share names pairwise and VIPs in fours: conflicts are
				# refused with a clean error, never half-applied
				name=c$(((loop + 1) / 2)) vip=10.10.0.$(((loop + 3) / 4))
				out=$(vnictl attach --cgroup "$name" --vip "$vip" 2>&1)
				case $out in
				attached*)
					echo >>"$ok"
					vnictl detach --cgroup "$name" >/dev/null 2>&1 || echo "detach $name: $?" >>"$fails" ;;
				*"is taken by instance"* | *"an instance named"* | *"already an address"* | *"already exists"*)
					echo >>"$T_DIR/refused" ;;
				*) echo "attach $name $vip: $out" >>"$fails" ;;
				esac
			done
		) &
	done
	wait
	expect_eq "unexpected failures" "" "$(cat "$fails")"
	expect_json "nothing left in the state" "[]" "$(vnictl list --json)" d
	expect_eq "no VIP left" "" "$(node_addrs 10.10.0.0/24)"
	expect_eq "no instance links left" "" "$(ls "$VNI_BPFFS/links")"
	expect_json "no VIP owners left" "[]" "$(bpftool map dump pinned "$VNI_BPFFS/maps/vni_vips")" d
	expect_eq "no instance cgroups left" "" "$(find "$VNI_CGROUP_ROOT" -mindepth 1 -type d 2>/dev/null)"
	[ "$(wc -l <"$ok")" -ge "$n" ] || fail "only $(wc -l <"$ok") attaches went through"
	echo "note: 8 loops x $n rounds: $(wc -l <"$ok") attach/detach pairs went through," \
		"$(cat "$T_DIR/refused" 2>/dev/null | wc -l) attaches refused as conflicts, 0 unexpected errors, nothing left"
}

# A refused attach on a fresh node removes the state dir it made, while
# others wait for the lock in it: they must take the lock anew, not lose it.
test_refused_attaches_racing_on_a_fresh_node() {
	local round i
	for round in $(seq 10); do
		for i in 1 2 3 4; do
			vnictl attach --cgroup "bad$i" --vip 10.10.0.9 --dev nosuchdev0 >/dev/null 2>&1 &
		done
		vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null 2>"$T_DIR/err" &
		wait $! || fail "round $round: attach web: $(cat "$T_DIR/err")"
		wait
		expect_json "round $round: instances" "web" "$(vnictl list --json)" '" ".join(i["name"] for i in d)'
		vnictl check >/dev/null || fail "round $round: drift: $(vnictl check)"
		vnictl down >/dev/null || fail "round $round: down"
		rm -rf "$VNI_STATE_DIR"
	done
}

# 'vnictl apply' among them: two loops apply one of two files by turns
# (instances a1 a2, or a2 a3) while two loops attach and detach instances of
# their own, which an apply may detach (then their detach finds nothing). Every
# apply succeeds and leaves one of the two files' instances, never a mix.
test_concurrent_applies_and_attaches() {
	local loop i n=${VNI_CONCURRENCY_ITERATIONS:-200} fails=$T_DIR/fails
	n=$((n / 4))
	: >"$fails"
	echo '[{"name": "a1", "vip4": "10.10.0.11"}, {"name": "a2", "vip4": "10.10.0.12"}]' >"$T_DIR/A.json"
	echo '[{"name": "a2", "vip4": "10.10.0.12"}, {"name": "a3", "vip4": "10.10.0.13", "vip6": "2001:db8:10::13"}]' >"$T_DIR/B.json"
	for loop in 1 2; do
		(
			for i in $(seq "$n"); do
				f=$T_DIR/$([ $(((i + loop) % 2)) = 0 ] && echo A || echo B).json
				out=$(vnictl apply -f "$f" 2>&1) || echo "apply $f: $out" >>"$fails"
			done
		) &
	done
	for loop in 3 4; do
		(
			for i in $(seq "$n"); do
				out=$(vnictl attach --cgroup "c$loop" --vip "10.10.0.$loop" 2>&1) ||
					{ echo "attach c$loop: $out" >>"$fails"; continue; }
				out=$(vnictl detach --cgroup "c$loop" 2>&1) ||
					[[ $out == "vnictl: no instance named 'c$loop'" ]] || echo "detach c$loop: $out" >>"$fails"
			done
		) &
	done
	for loop in 5 6; do # readers see one file's instances or the other's, with c3/c4 perhaps
		(
			for i in $(seq "$n"); do
				names=$(vnictl list --json | json_get '" ".join(i["name"] for i in d if i["name"][0] == "a")') || continue
				case $names in "a1 a2" | "a2 a3" | "") ;; *) echo "list: $names" >>"$fails" ;; esac
			done
		) &
	done
	wait
	expect_eq "unexpected failures" "" "$(cat "$fails")"
	vnictl apply -f "$T_DIR/A.json" >/dev/null || fail "apply A"
	expect_json "A's instances" "a1 a2" "$(vnictl list --json)" '" ".join(i["name"] for i in d)'
	vnictl check >/dev/null || fail "drift: $(vnictl check)"
	echo '[]' | vnictl apply -f - >/dev/null || fail "apply []"
	expect_eq "no VIP left" "" "$(node_addrs 10.10.0.0/24)"
	expect_eq "no instance cgroups left" "" "$(find "$VNI_CGROUP_ROOT" -mindepth 1 -type d 2>/dev/null)"
	echo "note: 2 apply loops, 2 attach/detach loops, 2 readers x $n rounds: no unexpected error, nothing left"
}
