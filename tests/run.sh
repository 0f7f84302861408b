#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs the unit tests and every test_* function of tests/t_*.sh, each in a
# fresh environment (see lib.sh); with --vm also tests/vm/t_*.sh (CRIU; run
# inside the VM by 'make vmtest'). Usage: tests/run.sh [--vm] [PATTERN]
# A passing test's lines that start with "note: " (its figures) are shown.
# Each test function gets at most VNI_TEST_TIMEOUT seconds (default 300, 600
# with --vm: the emulated CPU of the VM is many times slower); one that runs
# out is killed with everything it started and fails.
# Ends with the line "N passed, M failed[, K skipped]".
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
files=(tests/t_*.sh)
timeout=${VNI_TEST_TIMEOUT:-300}
if [ "${1:-}" = --vm ]; then
	# The VM runs what needs its kernel (6.1) or CRIU, and the host tests
	# that face the kernel (sockets, BPF, namespaces, mounts) as a
	# portability sample. Those of vnictl's own logic (state, registry,
	# crash recovery, the CLI's input checks, concurrency) run on the host
	# only: on the emulated CPU they would take most of the VM's time.
	vm_host_only=" ${VNI_VM_HOST_ONLY-t_crash t_etcd t_pools t_cli t_names t_checkout t_ckpt_input t_concurrency t_apply} "
	for i in "${!files[@]}"; do
		[[ $vm_host_only == *" $(basename "${files[i]}" .sh) "* ]] && unset 'files[i]'
	done
	files+=(tests/vm/t_*.sh)
	timeout=${VNI_TEST_TIMEOUT:-600}
	export VNI_CONCURRENCY_ITERATIONS=${VNI_CONCURRENCY_ITERATIONS:-20} # emulated CPU
	export VNI_CHURN_CONNECTIONS=${VNI_CHURN_CONNECTIONS:-300} VNI_CHURN_ROUNDS=${VNI_CHURN_ROUNDS:-5}
	# deadlines and timers of the farm's tests (leases, elections) stretched
	export VNI_TIME_FACTOR=${VNI_TIME_FACTOR:-8}
	# stock servers on 6.1: a sample (a V6ONLY and a v4 socket, dual-stack
	# TCP, UDP); the whole set runs on the host
	export VNI_APPS=${VNI_APPS-nginx node dnsmasq}
	shift
fi
pattern=${1:-}
passed=0 failed=0 skipped=0
failures=()

[ "$(id -u)" = 0 ] || { echo "tests/run.sh: must run as root" >&2; exit 1; }
[[ $timeout =~ ^[1-9][0-9]*$ ]] || { echo "tests/run.sh: VNI_TEST_TIMEOUT must be a number of seconds" >&2; exit 2; }

result() { # name status(0 pass, 1 fail, 77 skip, "timeout") log [seconds]
	case $2 in
	0) passed=$((passed + 1)); echo "ok   - $1${4:+ (${4} s)}"; sed -n 's/^note: /    | /p' "$3" ;;
	77) skipped=$((skipped + 1)); echo "skip - $1 ($(tail -n 1 "$3"))" ;;
	timeout) failed=$((failed + 1)); failures+=("$1 (timed out)")
		echo "FAIL - $1 (timed out after $timeout s)"; sed 's/^/    | /' "$3" | tail -n 25 ;;
	*) failed=$((failed + 1)); failures+=("$1"); echo "FAIL - $1"; sed 's/^/    | /' "$3" | tail -n 25 ;;
	esac
}

# run_test FILE FUNCTION, in the subshell of one test: lib.sh's set-up, then
# the test function in a process group of its own, with at most $timeout
# seconds. One that runs out gets SIGTERM, all of its group (the test's own
# EXIT trap runs, if it set one), then, 30 s later, SIGKILL; what it started
# in the test's namespaces and cgroups goes with t_cleanup, lib.sh's EXIT
# trap, which runs in any case. Touches $timed_out when the time ran out.
run_test() {
	local rt_pid rt_timer rt_first rt_rc
	source tests/lib.sh
	source "$1"
	t_setup
	set -m # job control for this one job: a process group of its own
	{ set +m; "$2"; } </dev/null &
	rt_pid=$!
	set +m
	trap 'kill -KILL -- -"$rt_pid" 2>/dev/null; exit 130' INT TERM HUP
	sleep "$timeout" &
	rt_timer=$!
	wait -n -p rt_first "$rt_pid" "$rt_timer"
	rt_rc=$?
	# (timers get SIGKILL: a bash child killed before it runs sleep would
	# run the EXIT trap it inherited, t_cleanup)
	if [ "$rt_first" = "$rt_pid" ]; then
		kill -KILL "$rt_timer" 2>/dev/null
		wait "$rt_timer" 2>/dev/null
		return "$rt_rc"
	fi
	: >"$timed_out"
	echo "    FAIL: timed out after $timeout s: killing the test and what it started" >&2
	kill -TERM -- -"$rt_pid" 2>/dev/null
	sleep 30 &
	rt_timer=$!
	wait -n "$rt_pid" "$rt_timer"
	kill -KILL -- -"$rt_pid" 2>/dev/null # what did not go with SIGTERM
	kill -KILL "$rt_timer" 2>/dev/null
	wait "$rt_pid" "$rt_timer" 2>/dev/null
	return 1
}

log=$(mktemp)
timed_out=$log.timed-out
# the unit tests (tests/unit/, cmocka): one result per binary
for unit in "validate:input validation" "ckptmeta:checkpoint metadata" "hostsfile:hosts file" \
	"unitconf:vni.conf reader" "pathmap:per-instance path specs"; do
	name="unit: ${unit#*:} (cmocka)"
	[ -n "$pattern" ] && [[ $name != *$pattern* ]] && continue
	"build/test_${unit%%:*}" >"$log" 2>&1
	result "$name" $? "$log"
done

for file in "${files[@]}"; do
	for t in $(grep -o '^test_[a-z0-9_]*' "$file"); do
		name="$(basename "$file" .sh): ${t#test_}"
		[ -n "$pattern" ] && [[ $name != *$pattern* ]] && continue
		start=$SECONDS
		rm -f "$timed_out"
		(run_test "$file" "$t") >"$log" 2>&1
		rc=$?
		[ -e "$timed_out" ] && rc=timeout
		result "$name" "$rc" "$log" $((SECONDS - start))
	done
done
rm -f "$log" "$timed_out"

[ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
