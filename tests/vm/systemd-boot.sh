#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Inside the VM, systemd as PID 1 (tests/vm/systemd.sh runs it, once per boot):
#   1: vni.service enabled and started; an instance made by hand; vni@web
#      from /etc/vni/web.conf serves on its VIP with its hostname, its
#      processes in the unit, its output in the journal; survives a restart;
#      a stop leaves no instance; enabled and left running for the reboot
#      (the VM then powers off without stopping anything, as a crash would).
#   2: the reboot: vni.service has brought the node's instances back before
#      vni@web started; vni@web serves again.
# Ends with "N passed, M failed".
set -u
BOOT=$1
TOP=$(cd "$(dirname "$0")/../.." && pwd)
VNICTL=$TOP/build/vnictl
PY=/usr/bin/python3
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok   - boot $BOOT: $1"; }
bad() { failed=$((failed + 1)); echo "FAIL - boot $BOOT: $1"; }
check() { # what command...
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$what"; else bad "$what"; sed 's/^/    | /' <<<"$out" | tail -n 15; fi
}
# retry SECONDS command...: until it succeeds (readiness, not a sleep)
retry() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}
json() { "$PY" -I -S -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
http_get() { "$PY" -I -S -c 'import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$1"; }
unit_cgroup() { echo "/sys/fs/cgroup$(systemctl show -P ControlGroup "$1")"; }

serves() { # the application answers on the VIP, from its own cgroup in the unit
	local cg
	retry 60 http_get http://10.10.0.1:8080/hello.txt >/dev/null 2>&1 || {
		echo "no answer on 10.10.0.1:8080"
		journalctl -b -u vni@web.service --no-pager | tail -n 15
		return 1
	}
	[ "$(http_get http://10.10.0.1:8080/hello.txt)" = "hello from vni@web" ] || return 1
	ss -Hltn 'sport = :8080' | grep -q '10.10.0.1:8080' || { echo "not bound to the VIP:"; ss -ltn; return 1; }
	cg=$(unit_cgroup vni@web.service)
	[ "$("$VNICTL" show --cgroup web --json | json 'd["cgroup"]')" = "$cg/web" ] || { echo "instance cgroup not $cg/web"; "$VNICTL" show --cgroup web; return 1; }
	[ -n "$(cat "$cg/web/cgroup.procs")" ] || { echo "no process in $cg/web"; return 1; } # (size 0 in cgroupfs)
}
hostname_in_journal() {
	retry 20 sh -c 'journalctl -b -u vni@web.service --no-pager | grep -q "vni-web: hostname web.example.org"' ||
		{ journalctl -b -u vni@web.service --no-pager | tail -n 20; return 1; }
}
no_web() {
	! "$VNICTL" list --json | json '" ".join(i["name"] for i in d)' | grep -qw web &&
		! ip -4 route show table local proto 118 | grep -q '^local 10.10.0.1 ' &&
		[ ! -e "$(unit_cgroup vni@web.service)/web" ]
}
adhoc_back() {
	"$VNICTL" show --cgroup adhoc --json | json 'd["cgroup"]' | grep -qx /sys/fs/cgroup/vni/adhoc &&
		[ -d /sys/fs/cgroup/vni/adhoc ] && ip -4 route show table local proto 118 | grep -q '^local 10.10.0.2 dev lo ' &&
		"$VNICTL" check
}
# vni.service finished (the instances back) before vni@web's command started
ordered() {
	local done_at web_at
	done_at=$(systemctl show -P ExecMainExitTimestampMonotonic vni.service)
	web_at=$(systemctl show -P ExecMainStartTimestampMonotonic vni@web.service)
	echo "vni.service done at $done_at us, vni@web started at $web_at us"
	[ "${done_at:-0}" -gt 0 ] && [ "${web_at:-0}" -gt "$done_at" ]
}

echo "systemd $(systemctl --version | head -n 1 | cut -d' ' -f2) is PID 1: $(cat /proc/1/comm)"
case $BOOT in
1)
	cat >/etc/vni/web.conf <<'CONF'
# an application as a vni instance (vni.conf(5))
vip = 10.10.0.1
hostname = web.example.org
exec = /bin/sh /etc/vni/web.sh
CONF
	cat >/etc/vni/web.sh <<'APP'
echo "vni-web: hostname $(hostname)"
cd /etc/vni/www && exec /usr/bin/python3 -m http.server 8080
APP
	mkdir -p /etc/vni/www && echo "hello from vni@web" >/etc/vni/www/hello.txt
	check "vni.service enabled and started" systemctl enable --now vni.service
	check "vni.service active" systemctl is-active vni.service
	check "an instance made by hand" "$VNICTL" attach --cgroup adhoc --vip 10.10.0.2
	check "vni@web enabled and started" systemctl enable --now vni@web.service
	check "vni@web serves on its VIP, from its cgroup inside the unit" serves
	check "its hostname, in the journal of vni@web" hostname_in_journal
	pid=$(systemctl show -P MainPID vni@web.service)
	check "systemctl restart vni@web" systemctl restart vni@web.service
	check "serves after the restart" serves
	check "a new main process" test "$(systemctl show -P MainPID vni@web.service)" != "$pid"
	# Restart=on-failure: the application killed, the unit brings it back
	pid=$(systemctl show -P MainPID vni@web.service)
	check "the application killed" pkill -KILL -f "http.server 8080"
	check "Restart=on-failure: a new main process" retry 30 sh -c 'p=$(systemctl show -P MainPID vni@web.service); [ "$p" != 0 ] && [ "$p" != "$0" ]' "$pid"
	check "serves after the automatic restart" serves
	check "systemctl stop vni@web" systemctl stop vni@web.service
	check "no instance, VIP or cgroup left by the stop" no_web
	check "the stop is clean (not failed)" sh -c '! systemctl is-failed vni@web.service'
	check "started again, left running for the reboot" systemctl start vni@web.service
	check "serves" serves
	# the farm's agent as a unit, on an etcd started here (not kept)
	if command -v etcd >/dev/null; then
		etcd --name vm --data-dir /run/etcd-test --listen-client-urls http://127.0.0.1:2379 \
			--advertise-client-urls http://127.0.0.1:2379 >/run/etcd-test.log 2>&1 &
		printf 'VNI_REGISTRY=etcd://127.0.0.1:2379\nVNI_NODE=vm1\n' >/etc/default/vni
		check "vni-agent started" systemctl start vni-agent.service
		check "the node alive in the farm" retry 20 sh -c 'VNI_REGISTRY=etcd://127.0.0.1:2379 "$0" farm | grep -q "^vm1 *yes"' "$VNICTL"
		check "its journal" sh -c 'journalctl -b -u vni-agent.service --no-pager | grep -q "node vm1 is in the farm"'
		check "vni-agent stops cleanly" systemctl stop vni-agent.service
		check "not failed" sh -c '! systemctl is-failed vni-agent.service'
		rm -f /etc/default/vni
		kill %1
	fi
	;;
2)
	check "vni.service active after the reboot" systemctl is-active vni.service
	check "the instance made by hand is back (cgroup, VIP, no drift)" adhoc_back
	check "vni.service said so in the journal" sh -c 'journalctl -b -u vni.service --no-pager | grep -q "instance adhoc is down"'
	check "vni@web started after vni.service had finished" ordered
	check "vni@web is active" systemctl is-active vni@web.service
	check "it took over its instance, idle since the reboot" sh -c 'journalctl -b -u vni@web.service --no-pager | grep -q "replacing the idle instance web"'
	check "vni@web serves again" serves
	check "its hostname" hostname_in_journal
	check "one instance named web" test "$("$VNICTL" list --json | json 'sum(i["name"] == "web" for i in d)')" = 1
	check "no drift" "$VNICTL" check
	check "stop vni@web" systemctl stop vni@web.service
	check "down" "$VNICTL" down --force
	;;
esac
echo "$passed passed, $failed failed"
[ $failed = 0 ]
