# SPDX-License-Identifier: GPL-2.0-only
# The suite passes from any checkout, also one under a mode-0700 directory
# (/root on Debian): what a test runs as another user is copied where that
# user can reach it (lib.sh: for_anyone).

test_tests_as_another_user_from_a_private_checkout() {
	local home=$T_DIR/home pattern out
	mkdir -m 700 "$home" || fail "mkdir"
	mkdir "$home/vni"
	tar -C "$TOP" --exclude=./.git --exclude=./build/vm --exclude='./build/bench*' -cf - . |
		tar -C "$home/vni" -xf - || fail "copying the checkout"
	# the tests that run programs of the checkout as nobody
	for pattern in "t_cli: not_root" "t_names: nss_module_resolves" "t_run: capabilities_and_user"; do
		out=$(env -u VNI_CGROUP_ROOT -u VNI_BPFFS -u VNI_STATE_DIR -u VNI_HOSTS_FILE \
			"$home/vni/tests/run.sh" "$pattern" 2>&1)
		expect_eq "$pattern, from a checkout under a mode-0700 directory" "1 passed, 0 failed" \
			"$(printf '%s\n' "$out" | tail -n 1)"
	done
}
