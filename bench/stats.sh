# SPDX-License-Identifier: GPL-2.0-only
# Small statistics for the bench scripts, sourced.
value() { sed -n "s/.*\b$1=\([0-9.]*\).*/\1/p"; } # KEY: its number in KEY=VALUE lines
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
spread() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }'; }
# A / B with DIGITS decimals (3), "-" when either is missing
ratio() {
	awk -v a="$1" -v b="$2" -v d="${3:-3}" \
		'BEGIN { if (a == "" || b == "") print "-"; else printf "%.*f", d, a / b }'
}
