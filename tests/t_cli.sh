# SPDX-License-Identifier: GPL-2.0-only
# Bad input: a one-line error naming the problem, a non-zero exit, and the
# node exactly as it was (cgroups, pins, addresses, state).

# refused EXIT-CODE MESSAGE-GLOB VNICTL-ARGS...
refused() {
	local code=$1 msg=$2 before after err rc
	shift 2
	before=$(snapshot)
	err=$(vnictl "$@" 2>&1 >/dev/null)
	rc=$?
	after=$(snapshot)
	expect_eq "exit code of 'vnictl $*'" "$code" "$rc"
	expect_eq "error lines of 'vnictl $*'" 1 "$(printf '%s\n' "$err" | wc -l)"
	expect_match "error of 'vnictl $*'" "vnictl: $msg" "$err"
	expect_eq "node after 'vnictl $*'" "$before" "$after"
}

test_malformed_input_on_a_fresh_node() {
	refused 2 "invalid VIP '10.10.0.300'*" attach --cgroup web --vip 10.10.0.300
	refused 2 "invalid VIP '127.0.0.5': a loopback*" attach --cgroup web --vip 127.0.0.5
	refused 2 "invalid VIP 'fd76:6e69:6c6f::': a vni private (fd76:6e69:6c6f::/96) address*" \
		attach --cgroup web --vip 10.10.0.1 --vip fd76:6e69:6c6f::
	refused 2 "more than one IPv4 VIP*" attach --cgroup web --vip 10.10.0.1 --vip 10.10.0.2
	refused 2 "attach needs --vip*" attach --cgroup web
	refused 2 "attach needs --cgroup*" attach --vip 10.10.0.1
	refused 2 "invalid AID '0'*" attach --cgroup web --vip 10.10.0.1 --aid 0
	refused 2 "unknown command 'frobnicate'*" frobnicate
	refused 2 "unknown or incomplete option '--bogus'*" attach --bogus
	refused 2 "invalid instance name '../etc'*" attach --cgroup ../etc --vip 10.10.0.1
	refused 2 "invalid instance name 'a/b'*" attach --cgroup a/b --vip 10.10.0.1
	refused 2 "invalid instance name '..'*" attach --cgroup .. --vip 10.10.0.1
	refused 1 "invalid cgroup '$CG2/x/..'*" attach --cgroup "$CG2/x/.." --vip 10.10.0.1
	refused 1 "cgroup $CG2/nonexistent-cg does not exist" attach --cgroup "$CG2/nonexistent-cg" --vip 10.10.0.1
	refused 1 "invalid cgroup '/nonexistent/cg'*" attach --cgroup /nonexistent/cg --vip 10.10.0.1
	refused 1 "invalid cgroup '$CG2'*" attach --cgroup "$CG2" --vip 10.10.0.1
	refused 1 "invalid cgroup '/tmp'*" attach --cgroup /tmp --vip 10.10.0.1
	refused 2 "invalid hostname 'bad_host'*" attach --cgroup web --vip 10.10.0.1 --hostname bad_host
	refused 2 "invalid hostname '$(printf 'a%.0s' {1..65})'*" attach --cgroup web --vip 10.10.0.1 --hostname "$(printf 'a%.0s' {1..65})"
	refused 1 "unknown device 'nosuchdev0'" attach --cgroup web --vip 10.10.0.1 --dev nosuchdev0
	refused 1 "VIP $NODE_IP is already an address of this node (on vn0)" attach --cgroup web --vip $NODE_IP
	refused 1 "no instance named 'nope'" detach --cgroup nope
	refused 1 "no instance named 'nope'" show --cgroup nope
	refused 2 "no command given*"
	refused 2 "unknown or incomplete option '-x'*" attach -xy
	refused 2 "invalid instance name 'a?b'*" attach --cgroup "$(printf 'a\nb')" --vip 10.10.0.1
	refused 2 "--bpffs: too long*" --bpffs="/$(printf 'a%.0s' {1..5000})" list
	refused 2 "unknown or incomplete option '--force'*" sync --force
	refused 2 "unexpected argument 'web'*" check web
	refused 1 "no instance named 'nope'" run --cgroup nope -- true
	expect_eq "check on a fresh node" "no drift: state, maps, cgroups and addresses agree" "$(vnictl check)"
	expect_eq "sync on a fresh node" "in sync: state, maps, cgroups and addresses agree" "$(vnictl sync)"
	expect_eq "nothing was created" "no no no" \
		"$([ -e "$VNI_BPFFS" ] && echo yes || echo no) $([ -e "$VNI_CGROUP_ROOT" ] && echo yes || echo no) $([ -e "$VNI_STATE_DIR" ] && echo yes || echo no)"
}

test_conflicts_with_an_existing_instance() {
	vnictl attach --cgroup web --vip 10.10.0.1 --vip 2001:db8:10::1 --aid 7 >/dev/null || fail "attach"
	refused 1 "VIP 10.10.0.1 is taken by instance web" attach --cgroup api --vip 10.10.0.1
	refused 1 "VIP 2001:db8:10::1 is taken by instance web" attach --cgroup api --vip 2001:db8:10::1
	refused 1 "an instance named web exists" attach --cgroup web --vip 10.10.0.2
	refused 1 "hostname VNI-10-10-0-1 is taken by instance web" attach --cgroup api --vip 10.10.0.2 --hostname VNI-10-10-0-1
	refused 1 "AID 7 is taken by instance web" attach --cgroup api --vip 10.10.0.2 --aid 7
	refused 1 "cgroup $VNI_CGROUP_ROOT/web is already instance web" attach --cgroup "$VNI_CGROUP_ROOT/web" --vip 10.10.0.2
	mkdir "$VNI_CGROUP_ROOT/web/sub"
	refused 1 "cgroup $VNI_CGROUP_ROOT/web/sub would nest with instance web*" attach --cgroup "$VNI_CGROUP_ROOT/web/sub" --vip 10.10.0.2
	rmdir "$VNI_CGROUP_ROOT/web/sub"
	mkdir "$VNI_CGROUP_ROOT/api"
	refused 1 "cannot create cgroup $VNI_CGROUP_ROOT/api: it already exists" attach --cgroup api --vip 10.10.0.2
	rmdir "$VNI_CGROUP_ROOT/api"
	# an existing cgroup whose processes already hold sockets is refused
	mkdir "$CG2/vni-busy-$T_ID"
	start_bg busy in_cgroup "$CG2/vni-busy-$T_ID" sh -c 'echo up; exec sleep 30'
	expect_eq "busy process up" "up" "$(read_line "$busy")"
	refused 1 "cgroup $CG2/vni-busy-$T_ID already has processes; *" attach --cgroup "$CG2/vni-busy-$T_ID" --vip 10.10.0.2
	echo 1 >"$CG2/vni-busy-$T_ID/cgroup.kill"
	while grep -q 'populated 1' "$CG2/vni-busy-$T_ID/cgroup.events"; do sleep 0.05; done
	rmdir "$CG2/vni-busy-$T_ID"
}

test_not_root() {
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	local before err rc
	before=$(snapshot)
	local vnictl_copy
	vnictl_copy=$(for_anyone "$VNICTL")
	for args in "list" "attach --cgroup api --vip 10.10.0.2" "detach --cgroup web" "down"; do
		err=$(on_node setpriv --reuid 65534 --regid 65534 --clear-groups "$vnictl_copy" $args 2>&1 >/dev/null)
		rc=$?
		expect_eq "exit code as nobody: $args" 1 "$rc"
		expect_eq "error as nobody: $args" "vnictl: must be run as root (needs CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN)" "$err"
	done
	# help needs no privilege: the usage comes from the command table
	local nobody=(on_node setpriv --reuid 65534 --regid 65534 --clear-groups "$vnictl_copy")
	expect_eq "attach --help as nobody" \
		"usage: vnictl attach --cgroup NAME --vip ADDR|auto[/POOL]... [--hostname HOST] [--aid AID] [--dev IFACE] [--allow-raw] [--loopback shared|private] [--pid PID]... 0" \
		"$("${nobody[@]}" attach --help 2>&1 | tr -d '\n'; echo " ${PIPESTATUS[0]}")"
	expect_eq "help attach as nobody" "$("${nobody[@]}" attach --help)" "$("${nobody[@]}" help attach)"
	expect_match "help as nobody" "usage: vnictl *commands:*attach --cgroup NAME*" "$("${nobody[@]}" help | tr '\n' ' ')"
	expect_eq "--version as nobody" "vnictl 0.1.0" "$("${nobody[@]}" --version)"
	expect_eq "node unchanged" "$before" "$(snapshot)"
}

test_failed_attach_is_undone() {
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	# IPv6 disabled on vn0: the v4 VIP goes on, then the v6 one fails, and
	# everything done so far must be rolled back.
	on_node sysctl -qw net.ipv6.conf.vn0.disable_ipv6=1
	refused 1 "cannot add 2001:db8:10::2/128 to vn0: *" attach --cgroup api --vip 10.10.0.2 --vip 2001:db8:10::2 --dev vn0
	expect_eq "v4 VIP rolled back" "" "$(node_addrs 10.10.0.2)"
	expect_eq "instance still works" "BOUND 10.10.0.1:80" "$(probe_inst web bind 0.0.0.0 80)"
	vnictl attach --cgroup api --vip 10.10.0.2 --dev vn0 >/dev/null || fail "attach after rollback"
	expect_eq "api works" "BOUND 10.10.0.2:80" "$(probe_inst api bind 0.0.0.0 80)"
}

test_detach_with_processes() {
	local srv
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	start_bg srv in_inst web "$PROBE" -t 30 listen 0.0.0.0 80
	expect_eq "server up" "BOUND 10.10.0.1:80" "$(read_line "$srv")"
	refused 1 "instance web still has 1 process(es); stop them or use --force" detach --cgroup web
	refused 1 "instance web still has 1 process(es); stop them or use --force" down
	expect_eq "detach --force" "detached web" "$(vnictl detach --cgroup web --force)"
	expect_eq "cgroup gone" "no" "$([ -d "$VNI_CGROUP_ROOT/web" ] && echo yes || echo no)"
}

test_instance_of_a_vanished_namespace() {
	# attached from a network namespace that is then deleted
	ip netns add "$T_ID-gone"
	nsenter --net="/run/netns/$T_ID-gone" sh -c 'ip link set lo up && exec "$0" attach --cgroup ghost --vip 10.10.0.9' "$VNICTL" >/dev/null ||
		fail "attach in the other namespace"
	ip netns del "$T_ID-gone"
	refused 1 "instance ghost was attached in another network namespace; detach it there (or --force if that namespace is gone)" detach --cgroup ghost
	expect_eq "detach --force" "detached ghost" "$(vnictl detach --cgroup ghost --force)"
	expect_eq "down" 0 "$(vnictl down >/dev/null; echo $?)"
}

test_down_leaves_what_it_did_not_make() {
	mkdir -p "$VNI_CGROUP_ROOT" "$VNI_BPFFS/someone-else"
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	vnictl down >/dev/null || fail "down"
	expect_eq "a cgroup root made by someone else stays" yes "$([ -d "$VNI_CGROUP_ROOT" ] && echo yes)"
	expect_eq "other pins in the bpffs dir stay" "someone-else" "$(ls "$VNI_BPFFS")"
	rmdir "$VNI_CGROUP_ROOT"
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	vnictl down >/dev/null || fail "down"
	expect_eq "a cgroup root vnictl made goes" no "$([ -d "$VNI_CGROUP_ROOT" ] && echo yes || echo no)"
}

test_concurrent_init_and_attach() {
	local i
	for i in 1 2 3 4 5 6; do
		vnictl init >/dev/null &
		vnictl attach --cgroup "w$i" --vip "10.10.0.$i" >/dev/null &
		vnictl init >/dev/null &
		wait
		expect_eq "round $i: attach enforced" "BOUND 10.10.0.$i:80" "$(probe_inst "w$i" bind 0.0.0.0 80)"
	done
}

test_list_and_show() {
	local out
	vnictl attach --cgroup web --vip 10.10.0.1 --vip 2001:db8:10::1 --hostname web-1 >/dev/null || fail "attach"
	vnictl attach --cgroup api --vip 10.10.0.2 >/dev/null || fail "attach api"
	out=$(vnictl list)
	expect_eq "list lines" 3 "$(printf '%s\n' "$out" | wc -l)"
	expect_match "list header" "NAME*AID*VIP4*VIP6*HOSTNAME*CGROUP-ID*PIDS*" "$(printf '%s\n' "$out" | head -n 1)"
	expect_match "list row" "api *2 *10.10.0.2 *- *vni-10-10-0-2 *" "$(printf '%s\n' "$out" | sed -n 2p)"
	# --json: the objects in name order, their first fields in this order
	out=$(vnictl list --json)
	expect_json "list --json: instances" "api web" "$out" '" ".join(i["name"] for i in d)'
	expect_json "list --json" '{"name":"api","aid":2,"vip4":"10.10.0.2","vip6":null,"hostname":"vni-10-10-0-2"}' \
		"$out" 'dict(list(d[0].items())[:5])'
	out=$(vnictl show --cgroup web --json)
	expect_json "show --json" '{"name":"web","aid":1,"vip4":"10.10.0.1","vip6":"2001:db8:10::1","hostname":"web-1"}' \
		"$out" 'dict(list(d.items())[:5])'
	expect_json "show --json: counters" '{"bind_rewritten":0,"bind_allowed":0,"connect_src_set":0,"send_src_set":0,"denied_bind":0,"denied_connect":0,"denied_send":0,"denied_socket":0}' \
		"$out" 'd["counters"]'
	expect_match "show" "*hostname: web-1*" "$(vnictl show --cgroup web | tr -s ' ' | tr '\n' ' ')"
	expect_eq "version" "vnictl 0.1.0" "$(vnictl --version)"
}

test_install_layout() {
	local out
	make -s -C "$TOP" install DESTDIR="$T_DIR/inst" PREFIX=/usr/local >/dev/null || fail "make install"
	local f
	for f in usr/local/sbin/vnictl usr/local/share/man/man8/vnictl.8 \
		usr/local/share/man/man5/vni.conf.5 usr/local/share/bash-completion/completions/vnictl \
		usr/local/lib/systemd/system/vni.service usr/local/lib/systemd/system/vni@.service \
		usr/local/lib/systemd/system/vni-agent.service etc/iproute2/rt_protos.d/vni.conf; do
		[ -f "$T_DIR/inst/$f" ] || fail "$f not installed"
	done
	expect_eq "the units run the installed vnictl" "ExecStart=/usr/local/sbin/vnictl init" \
		"$(grep -m 1 '^ExecStart=' "$T_DIR/inst/usr/local/lib/systemd/system/vni.service")"
	if command -v systemd-analyze >/dev/null; then
		# (vnictl is not at /usr/local/sbin here: only that is reported)
		out=$(cd "$T_DIR/inst/usr/local/lib/systemd/system" && systemd-analyze verify --man=no ./vni.service ./vni@web.service ./vni-agent.service 2>&1 |
			grep -v 'is not executable\|No such file or directory\|Failed to prepare filename\|Cannot add dependency job')
		expect_eq "systemd-analyze verify" "" "$out"
	fi
	expect_eq "ip(8) names vni's routes" "118 vni" \
		"$(grep -v '^#' "$T_DIR/inst/etc/iproute2/rt_protos.d/vni.conf" | tr '\t' ' ')"
	expect_eq "NSS module" 1 "$(find "$T_DIR/inst" -name libnss_vni.so.2 | wc -l)"
	expect_match "man page" ".TH VNICTL 8*" "$(grep '^.TH' "$T_DIR/inst/usr/local/share/man/man8/vnictl.8")"
	expect_eq "completion of commands" "check checkpoint" "$(bash -c 'source "$0"; COMP_WORDS=(vnictl che); COMP_CWORD=1; _vnictl; echo "${COMPREPLY[@]}"' \
		"$T_DIR/inst/usr/local/share/bash-completion/completions/vnictl")"
	expect_eq "completion of options" "--tcp-established" "$(bash -c 'source "$0"; COMP_WORDS=(vnictl checkpoint --tcp); COMP_CWORD=2; _vnictl; echo "${COMPREPLY[@]}"' \
		"$T_DIR/inst/usr/local/share/bash-completion/completions/vnictl")"
	# every command of the usage text has a section in the man page, a row
	# in docs/commands.md (which the README links) and a completion
	local cmds
	cmds=$("$VNICTL" help | awk '/^commands:/ { f = 1; next } /^$/ { f = 0 } f && /^  [a-z]/ { print $1 }')
	[ "$(echo "$cmds" | wc -l)" -ge 14 ] || fail "commands in the usage text: $cmds"
	local words
	words=$(grep -o 'compgen -W "init [^"]*"' "$T_DIR/inst/usr/local/share/bash-completion/completions/vnictl")
	for f in $cmds; do
		grep -q "^.B $f\b\|^.B $f " "$T_DIR/inst/usr/local/share/man/man8/vnictl.8" || fail "man page lacks $f"
		grep -q "^| \`vnictl $f\b" "$TOP/docs/commands.md" || fail "docs/commands.md lacks $f"
		echo "$words" | grep -qw -- "$f" || fail "completion lacks $f"
	done
}

# A sqlite3 an operator left open on the state (an idle connection) does not
# stop vnictl: the state is shared WAL, never exclusive (an exclusive
# connection cannot start while another is open: "database is locked").
test_state_open_elsewhere_does_not_block() {
	local rd
	vnictl attach --cgroup a --vip 10.10.0.1 >/dev/null || fail "attach a"
	start_bg rd on_node python3 -u -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1])
print(c.execute("SELECT name FROM instances").fetchall()[0][0], flush=True)
time.sleep(60)' "$VNI_STATE_DIR/state.db"
	expect_eq "the reader has the state open" "a" "$(read_line "$rd")"
	expect_match "attach while it is open" "attached b: *" "$(vnictl attach --cgroup b --vip 10.10.0.2 2>&1)"
	expect_json "list while it is open" '["a","b"]' "$(vnictl list --json)" '[i["name"] for i in d]'
	expect_eq "detach while it is open" "detached b" "$(vnictl detach --cgroup b 2>&1)"
}

# A state database written by vnictl 0.1.0 (no phase column) is upgraded in place.
test_state_of_an_older_vnictl_is_upgraded() {
	mkdir -p "$VNI_STATE_DIR"
	sqlite3 "$VNI_STATE_DIR/state.db" "
		CREATE TABLE instances (name TEXT PRIMARY KEY, cgroup TEXT NOT NULL UNIQUE,
		 cgroup_id INTEGER NOT NULL, owns_cgroup INTEGER NOT NULL, aid INTEGER NOT NULL UNIQUE,
		 flags INTEGER NOT NULL, vip4 TEXT UNIQUE, vip6 TEXT UNIQUE,
		 hostname TEXT NOT NULL UNIQUE COLLATE NOCASE, dev TEXT NOT NULL,
		 netns_cookie INTEGER NOT NULL, created INTEGER NOT NULL,
		 checkpointed INTEGER NOT NULL DEFAULT 0);
		CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
		INSERT INTO instances VALUES ('old', '$VNI_CGROUP_ROOT/old', 0, 1, 7, 1, '10.10.0.7', NULL,
		 'vni-10-10-0-7', 'lo', 0, 0, 1);" || fail "sqlite3"
	expect_json "the old row is read" '[["old","checkpointed"]]' "$(vnictl list --json)" '[[i["name"], i["status"]] for i in d]'
	expect_eq "schema version" 6 "$(sqlite3 "$VNI_STATE_DIR/state.db" 'PRAGMA user_version')"
	expect_eq "where its hosts lines are: not known" "" \
		"$(sqlite3 "$VNI_STATE_DIR/state.db" "SELECT hosts_off FROM instances WHERE name = 'old'")"
	expect_eq "its phase" ready "$(sqlite3 "$VNI_STATE_DIR/state.db" "SELECT phase FROM instances WHERE name = 'old'")"
	expect_eq "its pools table" 0 "$(sqlite3 "$VNI_STATE_DIR/state.db" "SELECT COUNT(*) FROM pools")"
	expect_eq "its maps table" 0 "$(sqlite3 "$VNI_STATE_DIR/state.db" "SELECT COUNT(*) FROM maps")"
	sqlite3 "$VNI_STATE_DIR/state.db" 'PRAGMA user_version = 9'
	expect_match "a newer database is refused" "vnictl: state database version 9 is newer than this vnictl knows (6)" "$(vnictl list 2>&1)"
}
