# SPDX-License-Identifier: GPL-2.0-only
# Virtual hostnames: defaults, the hosts file, the NSS module, DNS.

# with_nss CMD...: run CMD on the node with libnss_vni from the build tree
# ("hosts: files vni dns"), in a private mount namespace.
with_nss() {
	local lib
	lib=$(for_anyone "$TOP/build/libnss_vni.so.2") # the unprivileged lookup loads it too
	printf 'hosts: files vni dns\n' >"$T_DIR/nsswitch.conf"
	on_node unshare -m sh -c 'mount --bind "$0" /etc/nsswitch.conf && exec "$@"' \
		"$T_DIR/nsswitch.conf" env LD_LIBRARY_PATH="${lib%/*}" "$@"
}

test_default_hostnames_are_unique() {
	vnictl attach --cgroup a --vip 10.10.0.2 --hostname vni-10-10-0-1 >/dev/null || fail "attach a"
	vnictl attach --cgroup b --vip 10.10.0.1 >/dev/null || fail "attach b"
	vnictl attach --cgroup c --vip 2001:db8:10::1 >/dev/null || fail "attach c"
	expect_json "taken default gets a suffix" "vni-10-10-0-1-2" "$(vnictl show --cgroup b --json)" 'd["hostname"]'
	expect_match "v6 default" "*vni-2001-db8-10-0-0-0-0-1*" "$(vnictl list | grep '^c ')"
}

test_hosts_file_follows_attach_and_detach() {
	vnictl attach --cgroup web --vip 10.10.0.1 --vip 2001:db8:10::1 >/dev/null || fail "attach"
	vnictl attach --cgroup api --vip 10.10.0.2 --hostname api >/dev/null || fail "attach api"
	# (in any order: attach appends its lines)
	expect_eq "hosts file" "10.10.0.1 vni-10-10-0-1|10.10.0.2 api|2001:db8:10::1 vni-10-10-0-1" \
		"$(grep -v '^#' "$VNI_HOSTS_FILE" | sort | paste -sd '|')"
	expect_eq "mode" "644" "$(stat -c %a "$VNI_HOSTS_FILE")"
	# the state says where api's line is: its detach goes there (core/hostsedit.h)
	expect_eq "api's line at the offset recorded" "10.10.0.2 api" \
		"$(tail -c +$(($(sqlite3 "$VNI_STATE_DIR/state.db" "SELECT hosts_off FROM instances WHERE name = 'api'") + 1)) "$VNI_HOSTS_FILE" | head -n 1)"
	vnictl detach --cgroup api >/dev/null || fail "detach"
	expect_eq "after detach" "10.10.0.1 vni-10-10-0-1|2001:db8:10::1 vni-10-10-0-1" \
		"$(grep -v '^#' "$VNI_HOSTS_FILE" | sort | paste -sd '|')"
	expect_eq "the count of bytes commented out" "# commented out since: 0000000014 bytes" \
		"$(sed -n 2p "$VNI_HOSTS_FILE")"
	expect_eq "no temporary files left" "hosts" "$(ls "$(dirname "$VNI_HOSTS_FILE")" | grep hosts | paste -sd ' ')"
}

# A whole write (sync, recovery, apply) records where each instance's lines
# went: a detach goes there. An offset that is stale (a crash between the
# write and the record, an edit by hand) is checked first: the detach finds
# its lines by reading the file, and comments out no other line.
hosts_off_of() { sqlite3 "$VNI_STATE_DIR/state.db" "SELECT hosts_off FROM instances WHERE name = '$1'"; }
line_at() { tail -c +$(($1 + 1)) "$VNI_HOSTS_FILE" | head -n 1; }
test_hosts_file_detach_after_a_whole_write() {
	local old names
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach web"
	vnictl attach --cgroup db --vip 10.10.0.3 --hostname db >/dev/null || fail "attach db"
	vnictl attach --cgroup api --vip 10.10.0.2 --hostname api >/dev/null || fail "attach api"
	old=$(hosts_off_of db)
	rm "$VNI_HOSTS_FILE"
	vnictl sync >/dev/null || fail "sync" # (the file written whole, by name: api, db, web)
	[ "$(line_at "$old")" != "10.10.0.3 db" ] || fail "db's line is still where its attach put it: the test proves nothing"
	expect_eq "db's offset recorded by the whole write" "10.10.0.3 db" "$(line_at "$(hosts_off_of db)")"
	expect_eq "api's" "10.10.0.2 api" "$(line_at "$(hosts_off_of api)")"
	# a comment of the operator's: a detach that read the file would count it
	echo "# operator's note" >>"$VNI_HOSTS_FILE"
	vnictl detach --cgroup api >/dev/null || fail "detach api"
	expect_eq "api's line only counted (found at its offset)" "# commented out since: 0000000014 bytes" \
		"$(sed -n 2p "$VNI_HOSTS_FILE")"
	sqlite3 "$VNI_STATE_DIR/state.db" "UPDATE instances SET hosts_off = $old WHERE name = 'db'"
	vnictl detach --cgroup db >/dev/null || fail "detach db"
	names=$(grep -v '^#' "$VNI_HOSTS_FILE" | sort | paste -sd '|')
	expect_eq "after detach" "10.10.0.1 vni-10-10-0-1" "$names"
	# (a '#' over the line's first byte)
	expect_eq "nothing else commented out" "#0.10.0.2 api|#0.10.0.3 db" \
		"$(grep '^#[0-9]' "$VNI_HOSTS_FILE" | paste -sd '|')"
	expect_eq "the count found by reading (api 14, db 13, the note 18)" \
		"# commented out since: 0000000045 bytes" "$(sed -n 2p "$VNI_HOSTS_FILE")"
	expect_eq "no drift" "no drift" "$(vnictl check 2>&1 | cut -d: -f1)"
}

test_nss_module_resolves_inside_and_outside() {
	vnictl attach --cgroup web --vip 10.10.0.1 --vip 2001:db8:10::1 >/dev/null || fail "attach"
	expect_eq "getent hosts (outside)" "2001:db8:10::1  vni-10-10-0-1" "$(with_nss getent hosts vni-10-10-0-1)"
	expect_eq "getent ahostsv4 (outside)" "10.10.0.1" "$(with_nss getent ahostsv4 vni-10-10-0-1 | awk 'NR == 1 { print $1 }')"
	expect_eq "both families (getaddrinfo)" "10.10.0.1 2001:db8:10::1" \
		"$(with_nss getent ahosts VNI-10-10-0-1 | awk '{ print $1 }' | sort -u | paste -sd ' ')"
	expect_eq "reverse v4" "10.10.0.1       vni-10-10-0-1" "$(with_nss getent hosts 10.10.0.1)"
	expect_eq "reverse v6" "2001:db8:10::1  vni-10-10-0-1" "$(with_nss getent hosts 2001:db8:10::1)"
	expect_eq "unknown name" "2" "$(with_nss getent hosts no-such-vni-host >/dev/null; echo $?)"
	expect_eq "unprivileged" "10.10.0.1" \
		"$(with_nss setpriv --reuid 65534 --regid 65534 --clear-groups getent ahostsv4 vni-10-10-0-1 | awk 'NR == 1 { print $1 }')"
	expect_eq "inside the instance" "10.10.0.1" \
		"$(with_nss "$VNICTL" run --cgroup web -- getent ahostsv4 vni-10-10-0-1 | awk 'NR == 1 { print $1 }')"
}

test_dns_from_another_node() {
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	# the node serves the hosts file over DNS; the peer resolves through it
	on_node dnsmasq --no-hosts --no-resolv --addn-hosts="$VNI_HOSTS_FILE" --listen-address=$NODE_IP \
		--bind-interfaces --user=root --group=root --pid-file="$T_DIR/dnsmasq.pid" ||
		fail "dnsmasq did not start"
	printf 'nameserver %s\n' $NODE_IP >"$T_DIR/resolv.conf"
	printf 'hosts: dns\n' >"$T_DIR/nsswitch.dns"
	expect_eq "peer resolves over DNS" "10.10.0.1" \
		"$(on_peer unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && mount --bind "$1" /etc/nsswitch.conf && getent ahostsv4 vni-10-10-0-1' \
			"$T_DIR/resolv.conf" "$T_DIR/nsswitch.dns" | awk 'NR == 1 { print $1 }')"
	kill "$(cat "$T_DIR/dnsmasq.pid")"
}

test_http_server_reached_by_name() {
	local srv out
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	start_bg srv vnictl run --cgroup web -- python3 -u -c '
import http.server, socket
class H(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        body = socket.gethostname().encode()
        self.send_response(200); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
s = http.server.HTTPServer(("", 80), H)
print("listening", s.socket.getsockname()[0], flush=True)
s.serve_forever()'
	expect_eq "server listens on the VIP" "listening 10.10.0.1" "$(read_line "$srv")"
	out=$(with_nss curl -sS --max-time 5 http://vni-10-10-0-1/)
	expect_eq "curl by virtual hostname gets the server's gethostname()" "vni-10-10-0-1" "$out"
}

test_attach_pid_moves_running_processes() {
	local app
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach"
	mkfifo "$T_DIR/go"
	# a process started outside, holding a wildcard listener made before attach
	start_bg app on_node sh -c 'echo $$; "$0" -t 30 listen 0.0.0.0 9090 & read x < "$1"; exec "$0" bind 0.0.0.0 9091' "$PROBE" "$T_DIR/go"
	pid=$(read_line "$app")
	expect_eq "old socket bound outside" "BOUND 0.0.0.0:9090" "$(read_line "$app")"
	vnictl attach --cgroup api --vip 10.10.0.2 --pid "$pid" >/dev/null || fail "attach --pid"
	expect_match "moved" "*$pid*" "$(cat "$VNI_CGROUP_ROOT/api/cgroup.procs")"
	echo go >"$T_DIR/go"
	expect_eq "new socket of the moved process" "BOUND 10.10.0.2:9091" "$(read_line "$app")"
	expect_match "old socket unchanged" "*0.0.0.0:9090*" "$(on_node ss -ltnH 'sport = :9090')"
	expect_eq "unknown pid" "vnictl: no process with pid 999999" "$(vnictl attach --cgroup x --vip 10.10.0.3 --pid 999999 2>&1)"
}
