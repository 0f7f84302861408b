#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# vnictl apply at scale, in a network namespace, cgroup root, bpffs dir and
# state dir of its own: N instances (one IPv4 VIP each) applied on an empty
# node, the same file again (nothing to do), 'list --json' applied again,
# then '[]' (every instance detached), and 'vnictl down' of the N applied
# again. Prints one markdown table row.
#   bench/apply.sh [N]   (default 10000)
set -u
N=${1:-10000}
. "$(dirname "$0")/single_node.sh" va
vnictl() { ns "$B/vnictl" "$@"; }
secs() { # command... -> seconds it took (fails the bench when it fails)
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null || { echo "bench/apply.sh: $* failed" >&2; exit 1; }
	t1=$(date +%s%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'
}
python3 -I -c "import json; print(json.dumps([{'name': 'a%d' % i, 'vip4': '10.%d.%d.%d' % (100 + i // 65536, i // 256 % 256, i % 256)} for i in range(1, $N + 1)]))" >"$D/node.json"
first=$(secs vnictl apply -f "$D/node.json")
again=$(secs vnictl apply -f "$D/node.json")
vnictl list --json >"$D/list.json"
roundtrip=$(secs vnictl apply -f "$D/list.json")
drift=$(vnictl check >/dev/null 2>&1 && echo none || echo FOUND)
empty=$(echo '[]' >"$D/empty.json"; secs vnictl apply -f "$D/empty.json")
secs vnictl apply -f "$D/node.json" >/dev/null
down=$(secs vnictl down)
echo "| $N | $first | $again | $roundtrip | $empty | $down | $drift |"
