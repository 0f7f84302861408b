# SPDX-License-Identifier: GPL-2.0-only
# VIP pools and 'attach --vip auto' with the local registry (the node's
# state): ranges, what is handed out, full pools, concurrent attaches.

test_pool_add_list_del() {
	local out
	expect_eq "empty list" "POOL RANGE SIZE USED FREE" "$(vnictl pool list | tr -s ' ')"
	expect_eq "add a CIDR" "pool default: added 10.10.0.1-10.10.0.14 (14 addresses)" "$(vnictl pool add 10.10.0.0/28)"
	expect_eq "add a range to another pool" "pool db: added 10.10.0.100-10.10.0.103 (4 addresses)" \
		"$(vnictl pool add 10.10.0.100-10.10.0.103 --pool db)"
	expect_eq "add a v6 range" "pool default: added 2001:db8:10::-2001:db8:10::ff (256 addresses)" \
		"$(vnictl pool add 2001:db8:10::/120)"
	expect_eq "a /31 keeps both addresses" "pool p31: added 10.10.0.32-10.10.0.33 (2 addresses)" \
		"$(vnictl pool add --pool p31 10.10.0.32/31)"
	expect_json "list" '[["db","10.10.0.100-10.10.0.103",4,0,4],["default","10.10.0.1-10.10.0.14",14,0,14],["default","2001:db8:10::-2001:db8:10::ff",256,0,256],["p31","10.10.0.32-10.10.0.33",2,0,2]]' \
		"$(vnictl pool list --json)" '[[p["pool"], p["range"], p["size"], p["used"], p["free"]] for p in d]'
	expect_eq "remove" "pool p31: removed 10.10.0.32-10.10.0.33 (2 addresses)" "$(vnictl pool del 10.10.0.32/31 --pool p31)"
	out=$(vnictl pool del 10.10.0.32/31 --pool p31 2>&1)
	expect_eq "remove again" "vnictl: pool p31 has no range 10.10.0.32-10.10.0.33" "$out"
}

test_bad_pool_input_is_refused_changing_nothing() {
	local before out line
	vnictl pool add 10.10.0.0/28 >/dev/null || fail "pool add"
	before=$(vnictl pool list --json)
	while IFS='@' read -r args expected; do
		read -ra words <<<"$args"
		out=$(vnictl pool "${words[@]}" 2>&1)
		[ $? != 0 ] || fail "pool $args: exit 0"
		expect_eq "one line for 'pool $args'" 1 "$(wc -l <<<"$out")"
		expect_match "pool $args" "vnictl: $expected" "$out"
	done <<'EOF_CASES'
add 10.10.0.8/29@range 10.10.0.9-10.10.0.14 overlaps 10.10.0.1-10.10.0.14 of pool default
add 10.10.0.5-10.10.0.3@invalid range '10.10.0.5-10.10.0.3': the first address is after the last*
add 10.10.0.1/24@invalid range '10.10.0.1/24': host bits set*
add 10.10.0.0/33@invalid range '10.10.0.0/33': bad prefix length*
add 127.0.0.0/30@invalid range '127.0.0.0/30': invalid VIP '127.0.0.1': a loopback address*
add 10.0.0.1-2001:db8::1@invalid range '10.0.0.1-2001:db8::1': mixes IPv4 and IPv6*
add 10.10.1.0/24 --pool Bad!@invalid pool name 'Bad!'*
add@pool add needs one CIDR or FIRST-LAST range*
add 10.10.1.0/24 10.10.2.0/24@pool add needs one CIDR or FIRST-LAST range*
list 10.10.0.0/28@pool list takes no range and no --pool*
resize 10.10.0.0/28@pool needs add, del or list, not 'resize'*
del 10.10.9.0/24@pool default has no range 10.10.9.1-10.10.9.254
EOF_CASES
	expect_eq "nothing changed" "$before" "$(vnictl pool list --json)"
}

test_attach_auto_takes_free_addresses_in_order() {
	local out
	vnictl pool add 10.10.0.1-10.10.0.3 >/dev/null && vnictl pool add 2001:db8:10::a-2001:db8:10::b >/dev/null &&
		vnictl pool add 10.10.0.50/32 --pool db >/dev/null || fail "pool add"
	# an address of the node already is not handed out
	on_node ip addr add 10.10.0.1/32 dev lo || fail "address"
	expect_match "auto" "attached a: aid 1, vip 10.10.0.2, hostname vni-10-10-0-2,*" "$(vnictl attach --cgroup a --vip auto)"
	expect_match "given VIP beside" "attached b: aid 2, vip 10.10.0.3,*" "$(vnictl attach --cgroup b --vip 10.10.0.3)"
	expect_match "auto and auto6" "attached c: aid 3, vip 10.10.0.50 2001:db8:10::a,*" "$(vnictl attach --cgroup c --vip auto/db --vip auto6)"
	expect_match "the VIP on the device" "*10.10.0.50/32 lo*" "$(node_addrs)"
	expect_match "enforced" "BOUND 10.10.0.2:*" "$(probe_inst a bind 0.0.0.0 0)"
	expect_json "pool use" '[["db",1],["default",2],["default",1]]' "$(vnictl pool list --json)" '[[p["pool"], p["used"]] for p in d]'
	vnictl detach --cgroup a >/dev/null || fail "detach a"
	expect_match "a freed address is handed out again" "attached d: aid 4, vip 10.10.0.2,*" "$(vnictl attach --cgroup d --vip auto)"
	out=$(vnictl pool del 10.10.0.50/32 --pool db 2>&1)
	expect_eq "pool del refused while in use" "vnictl: range 10.10.0.50-10.10.0.50 of pool db has 1 address(es) in use (instance c)" "$out"
}

test_a_full_pool_is_one_line_and_changes_nothing() {
	local before out
	vnictl pool add 10.10.0.7/32 >/dev/null || fail "pool add"
	vnictl attach --cgroup a --vip auto >/dev/null || fail "attach a"
	before=$(snapshot)
	out=$(vnictl attach --cgroup b --vip auto 2>&1)
	expect_eq "exit and message" "1 vnictl: pool default: no free IPv4 address" "$? $out"
	out=$(vnictl attach --cgroup b --vip auto6 2>&1)
	expect_eq "no v6 range" "1 vnictl: pool default has no IPv6 range ('vnictl pool add')" "$? $out"
	out=$(vnictl attach --cgroup b --vip auto/none 2>&1)
	expect_eq "no such pool" "1 vnictl: pool none has no IPv4 range ('vnictl pool add')" "$? $out"
	out=$(vnictl attach --cgroup b --vip auto --vip auto/x 2>&1)
	expect_eq "two v4" "2 vnictl: more than one IPv4 VIP (see 'vnictl help')" "$? $out"
	out=$(vnictl attach --cgroup b --vip auto/Bad 2>&1)
	expect_match "bad pool name" "2 vnictl: invalid pool name 'Bad'*" "$? $out"
	expect_eq "nothing changed" "$before" "$(snapshot)"
}

# 16 attaches at once for 13 free addresses (the node lock serializes them):
# exactly 13 succeed, no VIP or AID twice, the others leave nothing.
test_concurrent_auto_attaches_never_share_an_address() {
	local vips aids out
	vnictl pool add 10.10.0.1-10.10.0.13 >/dev/null || fail "pool add"
	expect_eq "succeeded, refused" "13 3" "$(race_auto_attaches 16 vnictl)"
	vips=$(vnictl list --json | json_get '" ".join(sorted(i["vip4"] for i in d))')
	expect_eq "13 distinct VIPs" 13 "$(tr ' ' '\n' <<<"$vips" | sort -u | wc -l)"
	aids=$(vnictl list --json | json_get '" ".join(str(i["aid"]) for i in d)')
	expect_eq "13 distinct AIDs" 13 "$(tr ' ' '\n' <<<"$aids" | sort -u | wc -l)"
	expect_eq "cgroups: the 13 only" 13 "$(find "$VNI_CGROUP_ROOT" -mindepth 1 -maxdepth 1 -type d | wc -l)"
	out=$(vnictl check 2>&1) || fail "check: $out"
}

# vni.conf's 'vip = auto' (vnictl start, vni@.service) takes from a pool too.
test_start_with_a_vip_from_a_pool() {
	local out
	vnictl pool add 10.10.0.20/32 --pool web >/dev/null || fail "pool add"
	printf 'vip = auto/web\nexec = hostname\n' >"$T_DIR/web.conf"
	out=$(vnictl start --cgroup web --conf "$T_DIR/web.conf" 2>/dev/null) || fail "start"
	expect_eq "hostname from the pool's address" "vni-10-10-0-20" "$out"
	expect_json "given back when it ended" '[["web",0]]' "$(vnictl pool list --json)" '[[p["pool"], p["used"]] for p in d]'
}
