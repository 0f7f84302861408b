#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs the unit tests and every test_* function of tests/t_*.sh, each in a
# fresh environment (see lib.sh); with --vm also tests/vm/t_*.sh (CRIU; run
# inside the VM by 'make vmtest'). Usage: tests/run.sh [--vm] [PATTERN]
# A passing test's lines that start with "note: " (its figures) are shown.
# Ends with the line "N passed, M failed[, K skipped]".
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
files=(tests/t_*.sh)
if [ "${1:-}" = --vm ]; then
	files+=(tests/vm/t_*.sh)
	export VNI_CONCURRENCY_ITERATIONS=${VNI_CONCURRENCY_ITERATIONS:-20} # emulated CPU
	export VNI_CHURN_CONNECTIONS=${VNI_CHURN_CONNECTIONS:-300} VNI_CHURN_ROUNDS=${VNI_CHURN_ROUNDS:-5}
	# stock servers on 6.1: a sample (a V6ONLY and a v4 socket, dual-stack
	# TCP, UDP); the whole set runs on the host
	export VNI_APPS=${VNI_APPS-nginx node dnsmasq}
	shift
fi
pattern=${1:-}
passed=0 failed=0 skipped=0
failures=()

[ "$(id -u)" = 0 ] || { echo "tests/run.sh: must run as root" >&2; exit 1; }

result() { # name status(0 pass, 1 fail, 77 skip) log [seconds]
	case $2 in
	0) passed=$((passed + 1)); echo "ok   - $1${4:+ (${4} s)}"; sed -n 's/^note: /    | /p' "$3" ;;
	77) skipped=$((skipped + 1)); echo "skip - $1 ($(tail -n 1 "$3"))" ;;
	*) failed=$((failed + 1)); failures+=("$1"); echo "FAIL - $1"; sed 's/^/    | /' "$3" | tail -n 25 ;;
	esac
}

log=$(mktemp)
if [ -z "$pattern" ] || [[ unit == *$pattern* ]]; then
	build/test_validate >"$log" 2>&1
	result "unit: input validation (cmocka)" $? "$log"
fi

for file in "${files[@]}"; do
	for t in $(grep -o '^test_[a-z0-9_]*' "$file"); do
		name="$(basename "$file" .sh): ${t#test_}"
		[ -n "$pattern" ] && [[ $name != *$pattern* ]] && continue
		start=$SECONDS
		(
			source tests/lib.sh
			source "$file"
			t_setup
			"$t"
		) >"$log" 2>&1
		result "$name" $? "$log" $((SECONDS - start))
	done
done
rm -f "$log"

[ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
