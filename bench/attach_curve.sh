#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Attach time against the number of instances on the node, for the plot of
# docs/benchmarks.md: in a network namespace, cgroup root, bpffs dir and
# state dir of its own, the node grown by 'vnictl apply' to each size, then
# at that size the p50 of 20 library attaches and of their 20 detaches
# (attach_bench -d) and of 20 whole 'vnictl attach' and 'vnictl detach'
# commands (timed in one shell of the node, fork and exec included). Prints
# CSV (size, library attach, attach, detach, library detach in us) and,
# with an SVG path, draws the plot with the targets (1 ms, 3 ms).
# NOV6=1: IPv6 off on the node's lo, so a v4-only instance gets no private
# v6 address (docs/enforcement.md): what is left is vni's own work, without
# the kernel's walk of every IPv6 address and route on each add and removal.
#   bench/attach_curve.sh [SVG]   (SIZES="100 1000 2500 5000 10000", NOV6=1)
set -u
SIZES=${SIZES:-100 1000 2500 5000 10000}
SVG=${1:-}
. "$(dirname "$0")/single_node.sh" vc
[ -z "${NOV6:-}" ] || ns sysctl -qw net.ipv6.conf.lo.disable_ipv6=1 ||
	{ echo "bench/attach_curve.sh: cannot turn IPv6 off on lo" >&2; exit 1; }
die() { echo "bench/attach_curve.sh: $*" >&2; exit 1; }
. "$(dirname "$0")/stats.sh"
echo "size,library_p50_us,attach_p50_us,detach_p50_us,library_detach_p50_us" >"$D/curve.csv"
echo "attach curve${NOV6:+, IPv6 off on lo}: $(cat "$D/curve.csv")"
first=1
for n in $SIZES; do
	# the node: instances a0..a(n-1) (10.100.x.y), by apply, which only adds
	python3 -I -c "import json; print(json.dumps([{'name': 'a%d' % i, 'vip4': '10.%d.%d.%d' % (100 + i // 62500, i // 250 % 250, i % 250 + 1)} for i in range($n)]))" >"$D/node.json"
	ns "$B/vnictl" apply -f "$D/node.json" >/dev/null || die "apply of $n"
	out=$(ns env VNI_CGROUP_ROOT="$VNI_CGROUP_ROOT" "$B/attach_bench" -d 20 "$first" | tr ' ' '\n')
	lib=$(sed -n 's/^p50_us=//p' <<<"$out")
	libd=$(sed -n 's/^detach_p50_us=//p' <<<"$out")
	[ -n "$lib" ] && [ -n "$libd" ] || die "attach_bench at $n"
	first=$((first + 20))
	ns env B="$B" bash -c '
		for i in $(seq 1 20); do
			t0=${EPOCHREALTIME/./}
			"$B/vnictl" attach --cgroup c$i --vip 10.250.0.$i >/dev/null || exit 1
			echo "attach $(( ${EPOCHREALTIME/./} - t0 ))"
		done
		for i in $(seq 1 20); do
			t0=${EPOCHREALTIME/./}
			"$B/vnictl" detach --cgroup c$i >/dev/null || exit 1
			echo "detach $(( ${EPOCHREALTIME/./} - t0 ))"
		done' >"$D/cli" || die "vnictl attach/detach at $n"
	a=$(awk '$1 == "attach" { print $2 }' "$D/cli" | median)
	d=$(awk '$1 == "detach" { print $2 }' "$D/cli" | median)
	echo "$n,$lib,$a,$d,$libd" | tee -a "$D/curve.csv"
done
[ -n "$SVG" ] || exit 0
python3 -I - "$D/curve.csv" "$SVG" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
W, H, L, R, T, Bm = 640, 400, 60, 20, 20, 50
xs = [int(r["size"]) for r in rows]
series = [("library attach", "library_p50_us", "#1f77b4"),
          ("library detach", "library_detach_p50_us", "#9467bd"),
          ("vnictl attach", "attach_p50_us", "#d62728"),
          ("vnictl detach", "detach_p50_us", "#2ca02c")]
ymax = max(3.5, max(float(r[k]) / 1000 for _, k, _ in series for r in rows) * 1.1)
xmax = max(xs)
X = lambda v: L + (W - L - R) * v / xmax
Y = lambda v: H - Bm - (H - T - Bm) * v / ymax
out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">' % (W, H),
       '<rect width="100%" height="100%" fill="white"/>',
       '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (L, H - Bm, W - R, H - Bm),
       '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (L, T, L, H - Bm)]
for ms in range(0, int(ymax) + 1):
    out.append('<text x="%d" y="%.1f" text-anchor="end">%d ms</text>' % (L - 6, Y(ms) + 4, ms))
for v in xs:
    out.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>' % (X(v), H - Bm + 16, format(v, ",")))
out.append('<text x="%d" y="%d" text-anchor="middle">instances on the node</text>' % ((L + W - R) / 2, H - 12))
for ms, label in ((1, "target: library attach/detach 1 ms"), (3, "target: vnictl attach/detach 3 ms")):
    out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="gray" stroke-dasharray="6,4"/>' % (L, Y(ms), W - R, Y(ms)))
    out.append('<text x="%d" y="%.1f" fill="gray" text-anchor="end">%s</text>' % (W - R, Y(ms) - 4, label))
for i, (name, key, color) in enumerate(series):
    pts = " ".join("%.1f,%.1f" % (X(int(r["size"])), Y(float(r[key]) / 1000)) for r in rows)
    out.append('<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>' % (pts, color))
    for r in rows:
        out.append('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>' % (X(int(r["size"])), Y(float(r[key]) / 1000), color))
    out.append('<text x="%d" y="%d" fill="%s">%s (p50)</text>' % (L + 10, T + 14 + 16 * i, color, name))
out.append("</svg>")
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PY
