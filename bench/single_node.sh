# SPDX-License-Identifier: GPL-2.0-only
# One node for a bench, sourced: a network namespace, cgroup root, bpffs dir
# and state dir of its own, all removed on exit. Sets TOP, B (the build),
# ID, D (a temporary dir), the VNI_* variables, ns (a command in the
# namespace) and the EXIT trap.
#   . "$(dirname "$0")/single_node.sh" TAG   (TAG: a few letters for the names)
TOP=$(cd "$(dirname "$0")/.." && pwd)
B=$TOP/build
ID=$1$$
CG2=$(awk '{ for (i = 1; i < NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' /proc/self/mountinfo)
export VNI_CGROUP_ROOT=$CG2/vni-bench-$ID VNI_BPFFS=/sys/fs/bpf/vni-bench-$ID
D=$(mktemp -d "/tmp/vni-bench-$1.XXXXXX")
export VNI_STATE_DIR=$D/state VNI_HOSTS_FILE=$D/hosts
ns() { nsenter --net="/run/netns/$ID" "$@"; }
cleanup() {
	ns "$B/vnictl" down --force >/dev/null 2>&1
	rm -rf "$VNI_BPFFS"
	find "$VNI_CGROUP_ROOT" -depth -type d -exec rmdir {} + 2>/dev/null
	ip netns del "$ID" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
ip netns add "$ID" && ip -n "$ID" link set lo up ||
	{ echo "$0: cannot make a network namespace" >&2; exit 1; }
