# SPDX-License-Identifier: GPL-2.0-only
# The node handle: a command opens each pinned map once (strace counts the
# BPF_OBJ_GET calls by path).

# obj_gets CMD...: "COUNT PATH" for every pin vnictl opened, most first.
obj_gets() {
	on_node strace -f -qq -e trace=bpf -e signal=none -o "$T_DIR/strace" "$VNICTL" "$@" >/dev/null ||
		fail "vnictl $*"
	grep -o 'BPF_OBJ_GET, {pathname="[^"]*"' "$T_DIR/strace" | sed 's/.*pathname="//; s/"$//' |
		sort | uniq -c | sort -rn
}

test_attach_opens_each_map_once() {
	local out
	vnictl init >/dev/null || fail "init"
	out=$(obj_gets attach --cgroup web --vip 10.10.0.1 --vip 2001:db8:10::1)
	echo "note: attach opened: $(echo "$out" | awk '{ printf "%s%s x%s", s, $2, $1; s = ", " }' | sed "s|$VNI_BPFFS/||g")"
	expect_match "maps opened" "*$VNI_BPFFS/maps/*" "$out"
	expect_eq "maps opened more than once" "" "$(echo "$out" | awk '$1 > 1 && $2 ~ /\/maps\// { print $2 " x" $1 }')"
	out=$(obj_gets detach --cgroup web)
	expect_eq "detach: maps opened more than once" "" "$(echo "$out" | awk '$1 > 1 && $2 ~ /\/maps\// { print $2 " x" $1 }')"
}
