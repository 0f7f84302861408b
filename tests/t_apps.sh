# SPDX-License-Identifier: GPL-2.0-only
# Stock applications: each server runs with its packaged default listening
# configuration (or its language's default way to listen) in an instance
# started with `vnictl run`, in two kinds of instance:
#   v4    vnictl attach --cgroup app --vip 10.10.0.1
#   v46   vnictl attach --cgroup app --vip 10.10.0.1 --vip 2001:db8:10::1
# and the peer checks what a user sees: the server comes up and stays up,
# answers at each VIP of the instance, is refused at the node's own addresses
# and, where the application also connects out (haproxy, nginx proxy_pass,
# dnsmasq forwarding, Python, Node, Java clients), the peer sees the VIP.
# The commands and how each application listens: docs/compat.md.
#
# VNI_APPS="nginx redis ..." runs a subset (unset or empty: all); the others
# are skipped. Names: nginx redis asyncio httpserver node sshd dnsmasq
# haproxy memcached postgres java.

VIP4=10.10.0.1
VIP6=2001:db8:10::1
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

# app_wanted APP COMMAND...: skip (exit 77) unless VNI_APPS lists APP and
# every COMMAND is installed.
app_wanted() {
	local app=$1 c
	shift
	if [ -n "${VNI_APPS:-}" ] && [[ " $VNI_APPS " != *" $app "* ]]; then
		echo "$app is not in VNI_APPS ($VNI_APPS)"
		exit 77
	fi
	for c; do
		command -v "$c" >/dev/null 2>&1 ||
			{ echo "$c is not installed (tools/install-deps.sh installs it)"; exit 77; }
	done
	APP=$app
}

# attach_kind v4|v46: the instance "app" of that kind.
attach_kind() {
	KIND=$1
	case $KIND in
	v4) vnictl attach --cgroup app --vip $VIP4 >/dev/null || fail "attach (v4)" ;;
	v46) vnictl attach --cgroup app --vip $VIP4 --vip $VIP6 >/dev/null || fail "attach (v4+v6)" ;;
	esac
}

# app_start [--user USER] CMD...: start CMD in the instance with `vnictl run`,
# in the background, its output in $T_DIR/$APP.log.
app_start() {
	local user=()
	[ "$1" = --user ] && { user=(--user "$2"); shift 2; }
	APP_LOG=$T_DIR/$APP.log
	nsenter --net="/run/netns/$NODE" "$VNICTL" run --cgroup app "${user[@]}" -- "$@" \
		</dev/null >>"$APP_LOG" 2>&1 &
	APP_PID=$!
}

app_alive() {
	local state
	state=$(ps -o stat= -p "$APP_PID" 2>/dev/null) && [[ $state != Z* ]]
}

app_log_tail() { tail -n "${1:-3}" "$APP_LOG" 2>/dev/null | tr '\n' '|'; }

# The application is still running (it did not die after the checks), and
# it did not log a failed bind (sshd and PostgreSQL go on without a socket
# they could not bind).
expect_up() {
	local err
	app_alive || fail "$APP ($KIND) stopped: $(app_log_tail 5)"
	err=$(grep -Eim 1 'bind.*(fail|invalid|error)|(could not|failed to) [a-z ]*listen' "$APP_LOG")
	[ -z "$err" ] || fail "$APP ($KIND) logged a failed bind: $err"
}

# wait_ready WHAT GLOB CMD...: retry CMD (every 0.1 s, for 15 s) until its
# output matches GLOB; fail at once if the application exits meanwhile.
wait_ready() {
	local what=$1 glob=$2 out="" end=$((SECONDS + 15))
	shift 2
	while [ $SECONDS -lt $end ]; do
		out=$("$@" 2>&1)
		[[ $out == $glob ]] && return 0
		app_alive || fail "$APP ($KIND) exited before answering $what: $(app_log_tail 5)"
		sleep 0.1
	done
	fail "$APP ($KIND) not answering $what after 15 s: last answer '$(echo $out)'; listening: $(sockets_now); log: $(app_log_tail 5)"
}

# wait_log GLOB: wait (up to 15 s) for a line of the application's log
# matching GLOB and print it.
wait_log() {
	local line end=$((SECONDS + 15))
	while [ $SECONDS -lt $end ]; do
		line=$(grep -m 1 -e "$1" "$APP_LOG" 2>/dev/null) && { printf '%s\n' "$line"; return 0; }
		app_alive || break
		sleep 0.1
	done
	echo "no '$1' in the log: $(app_log_tail 3)"
}

# What listens in the node namespace (TCP and UDP, with IPV6_V6ONLY); as a
# note shown by tests/run.sh.
sockets_now() {
	on_node ss -Hlntue 2>/dev/null | awk '{
		v6 = ""; if (match($0, /v6only:[01]/)) v6 = " " substr($0, RSTART, RLENGTH)
		printf "%s%s %s%s", sep, $1, $5, v6; sep = ", " }'
}
note_sockets() { echo "note: $APP ($KIND) listens on: $(sockets_now)"; }

# ---- what the peer sees --------------------------------------------------

url_host() { [[ $1 == *:* ]] && echo "[$1]" || echo "$1"; }
glob_host() { [[ $1 == *:* ]] && echo "\\[$1\\]" || echo "$1"; } # [ ] quoted for a glob

# A small client run on the peer: "tcp ADDR PORT [SEND]" prints the first
# line the server sends (after SEND, with \r\n escapes); "dns ADDR NAME
# [TIMEOUT]" asks for NAME's A record over UDP and prints "A ADDR" or
# "RCODE N"; failures print "ERR ECONNREFUSED", "ERR TIMEOUT", ...
write_client() {
	cat >"$T_DIR/client.py" <<'EOF'
import errno, socket, struct, sys

def main():
    mode, addr, arg = sys.argv[1:4]
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    if mode == "tcp":
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect((addr, int(arg)))
        if len(sys.argv) > 4:
            s.sendall(sys.argv[4].encode().decode("unicode_escape").encode())
        line = s.makefile("rb").readline().decode(errors="replace").rstrip("\r\n")
        print(line or "EOF")
        return
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(float(sys.argv[4]) if len(sys.argv) > 4 else 3)
    s.connect((addr, 53))
    qname = b"".join(bytes([len(l)]) + l.encode() for l in arg.split(".")) + b"\0"
    s.send(struct.pack(">6H", 0x4e49, 0x0100, 1, 0, 0, 0) + qname + struct.pack(">2H", 1, 1))
    r = s.recv(4096)
    qid, flags, qd, an = struct.unpack(">4H", r[:8])
    if qid != 0x4e49 or not flags & 0x8000:
        print("BAD REPLY")
        return
    off = 12 + len(qname) + 4
    for _ in range(an):
        if r[off] & 0xc0 == 0xc0:
            off += 2
        else:
            while r[off]:
                off += r[off] + 1
            off += 1
        rtype, _, _, rdlen = struct.unpack(">HHIH", r[off:off + 10])
        off += 10
        if rtype == 1:
            print("A", socket.inet_ntoa(r[off:off + 4]))
            return
        off += rdlen
    print("RCODE", flags & 0xf)

try:
    main()
except (TimeoutError, socket.timeout):
    print("ERR TIMEOUT")
    sys.exit(3)
except OSError as e:
    print("ERR", errno.errorcode.get(e.errno, str(e)))
    sys.exit(3)
EOF
}
ask_tcp() { on_peer "$PY" "$T_DIR/client.py" tcp "$2" "$3" ${1:+"$1"}; } # SEND ADDR PORT ('' sends nothing)
ask_dns() { on_peer "$PY" "$T_DIR/client.py" dns "$@"; }  # ADDR NAME [TIMEOUT]
ask_http() { # ADDR PORT: the body (one line) and " HTTP <code>"
	on_peer curl -sS -g -m 5 -w ' HTTP %{http_code}' "http://$(url_host "$1"):$2/" 2>&1 | tr '\n' ' '
}

# expect_served PORT GLOB ASK...: "ASK ADDR PORT" answers GLOB at each VIP of
# the instance (waiting for the application to come up at the first), and
# the node's addresses refuse TCP connections to PORT.
expect_served() {
	local port=$1 glob=$2
	shift 2
	wait_ready "at $VIP4:$port" "$glob" "$@" $VIP4 "$port"
	note_sockets
	if [ "$KIND" = v46 ]; then
		expect_match "$APP ($KIND) answers at [$VIP6]:$port" "$glob" "$("$@" $VIP6 "$port")"
	fi
	expect_refused "$port"
}

expect_refused() { # PORT [-u]: TCP (-u: UDP DNS) at the node's addresses
	local addr
	for addr in $NODE_IP $NODE_IP6; do
		if [ "${2:-}" = -u ]; then
			expect_eq "$APP ($KIND) at the node's $addr udp/$1" "ERR ECONNREFUSED" "$(ask_dns $addr vni.test 2)"
		else
			expect_eq "$APP ($KIND) at the node's $addr tcp/$1" "ERR ECONNREFUSED" "$(probe_peer connect $addr "$1" 2>/dev/null)"
		fi
	done
}

# peer_serve VAR [-u] ADDR PORT: a server on the peer printing one PEER line
# per client, until the test ends.
peer_serve() {
	local __v=$1
	shift
	start_bg "$__v" on_peer "$PROBE" -t 10 serve -n 0 "$@"
	expect_match "peer server bound" "BOUND *" "$(read_line "${!__v}")"
}

# expect_peer_saw FD ADDR: the peer server's next client came from ADDR.
expect_peer_saw() {
	expect_match "the peer sees $APP ($KIND) as" "PEER $(glob_host "$2"):*" "$(read_line "$1")"
}

# Peer servers for an application acting as a client (v4, and v6 in a v4+v6
# instance); their addresses are in CLIENT_TARGETS.
peer_targets() {
	peer_serve PEER4 $PEER_IP 7000
	CLIENT_TARGETS=("$PEER_IP:7000")
	if [ "$KIND" = v46 ]; then
		peer_serve PEER6 $PEER_IP6 7000
		CLIENT_TARGETS+=("$PEER_IP6:7000")
	fi
}

# The application's client connections (CLIENT lines in its log) went out from
# the VIPs.
expect_clients_from_vips() {
	expect_match "$APP ($KIND) client to $PEER_IP" "CLIENT OK *" "$(wait_log "^CLIENT.*$PEER_IP")"
	expect_peer_saw "$PEER4" $VIP4
	if [ "$KIND" = v46 ]; then
		expect_match "$APP ($KIND) client to $PEER_IP6" "CLIENT OK *" "$(wait_log "^CLIENT.*$PEER_IP6")"
		expect_peer_saw "$PEER6" $VIP6
	fi
}

# ---- nginx: Debian's nginx.conf and default site --------------------------
# listen 80 default_server; listen [::]:80 default_server (V6ONLY), plus a
# proxy_pass site on 8081 (0.0.0.0) towards the peer.

run_nginx() {
	local d=$T_DIR/nginx
	app_wanted nginx nginx curl
	[ -e /etc/nginx/sites-enabled/default ] || fail "no /etc/nginx/sites-enabled/default"
	attach_kind "$1"
	write_client
	peer_targets
	mkdir -p "$d"
	# the stock nginx.conf with its pid and log files moved under $T_DIR
	sed -e "s#^\([[:space:]]*pid\) .*#\1 $d/nginx.pid;#" \
		-e "s#^\([[:space:]]*error_log\) .*#\1 $T_DIR/nginx.log;#" \
		-e "s#^\([[:space:]]*access_log\) .*#\1 $d/access.log;#" \
		-e "s#^\([[:space:]]*include /etc/nginx/sites-enabled/\*;\)#\1 include $d/proxy.conf;#" \
		/etc/nginx/nginx.conf >"$d/nginx.conf"
	grep -q "include $d/proxy.conf" "$d/nginx.conf" && grep -q "pid $d/nginx.pid" "$d/nginx.conf" ||
		fail "unexpected /etc/nginx/nginx.conf (no pid line or no sites-enabled include)"
	{
		echo "server { listen 8081; location / { proxy_pass http://$PEER_IP:7000; }"
		[ "$KIND" = v46 ] && echo "  location /v6/ { proxy_pass http://[$PEER_IP6]:7000; }"
		echo "}"
	} >"$d/proxy.conf"
	app_start nginx -c "$d/nginx.conf" -e "$T_DIR/nginx.log" -g 'daemon off;'
	expect_served 80 "*Welcome to nginx!* HTTP 200" ask_http
	# as a client: proxy_pass to the peer (its "OK" is no HTTP: 502 for the client)
	on_peer curl -sS -m 5 -o /dev/null "http://$VIP4:8081/" 2>/dev/null
	expect_peer_saw "$PEER4" $VIP4
	if [ "$KIND" = v46 ]; then
		on_peer curl -sS -m 5 -o /dev/null "http://$VIP4:8081/v6/" 2>/dev/null
		expect_peer_saw "$PEER6" $VIP6
	fi
	expect_up
}
test_nginx_v4() { run_nginx v4; }
test_nginx_v46() { run_nginx v46; }

# ---- redis-server: no config file, the built-in bind "* -::*" --------------

run_redis() {
	app_wanted redis redis-server
	attach_kind "$1"
	write_client
	mkdir -p "$T_DIR/redis"
	app_start redis-server --protected-mode no --save '' --appendonly no --dir "$T_DIR/redis"
	expect_served 6379 "+PONG" ask_tcp 'PING\r\n'
	expect_up
}
test_redis_v4() { run_redis v4; }
test_redis_v46() { run_redis v46; }

# ---- Python asyncio.start_server(handler, host=None, port=8888) ------------
# one socket per getaddrinfo(None) result: 0.0.0.0 and [::] (V6ONLY); the
# program also connects to the peer (asyncio.open_connection).

run_asyncio() {
	app_wanted asyncio "$PY"
	attach_kind "$1"
	write_client
	peer_targets
	cat >"$T_DIR/aserver.py" <<'EOF'
import asyncio, sys

async def handle(reader, writer):
    writer.write(b"asyncio\n")
    await writer.drain()
    writer.close()

async def main():
    server = await asyncio.start_server(handle, host=None, port=int(sys.argv[1]))
    print("LISTENING", *[s.getsockname() for s in server.sockets], flush=True)
    for target in sys.argv[2:]:
        host, port = target.rsplit(":", 1)
        try:
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(b"hello")
            reply = (await reader.readline()).decode().strip()
            print("CLIENT OK", target, "from", writer.get_extra_info("sockname"), reply, flush=True)
            writer.close()
        except OSError as e:
            print("CLIENT ERR", target, e, flush=True)
    async with server:
        await server.serve_forever()

asyncio.run(main())
EOF
	app_start "$PY" "$T_DIR/aserver.py" 8888 "${CLIENT_TARGETS[@]}"
	expect_served 8888 "asyncio" ask_tcp ''
	expect_clients_from_vips
	expect_up
}
test_asyncio_v4() { run_asyncio v4; }
test_asyncio_v46() { run_asyncio v46; }

# ---- python3 -m http.server 8000 -------------------------------------------
# one socket, of the family getaddrinfo(None, AI_PASSIVE) lists first; an
# AF_INET6 one is dual-stack ([::], IPV6_V6ONLY 0). On Debian 12 glibc puts
# 0.0.0.0 first whenever lo is up (RFC 6724 rule 5: 127.0.0.1 and 0.0.0.0
# share a label, ::1 and :: do not), so it is an IPv4 listener, with or
# without vni.

run_httpserver() {
	local line host
	app_wanted httpserver "$PY" curl
	attach_kind "$1"
	write_client
	mkdir -p "$T_DIR/www" && echo "vni-apps http.server" >"$T_DIR/www/index.html"
	app_start env PYTHONUNBUFFERED=1 "$PY" -m http.server 8000 --directory "$T_DIR/www"
	wait_ready "at $VIP4:8000" "vni-apps http.server* HTTP 200" ask_http $VIP4 8000
	note_sockets
	line=$(wait_log "^Serving HTTP on ")
	host=${line#Serving HTTP on }
	host=${host%% port *}
	echo "note: http.server says: $line"
	if [ "$KIND" = v46 ]; then
		if [[ $host == *:* ]]; then
			expect_match "http.server (an IPv6 socket) at [$VIP6]" "vni-apps http.server* HTTP 200" "$(ask_http $VIP6 8000)"
		else
			expect_eq "http.server (an IPv4 socket) at [$VIP6]" "ERR ECONNREFUSED" "$(probe_peer connect $VIP6 8000 2>/dev/null)"
		fi
	fi
	expect_refused 8000
	expect_up
}
test_httpserver_v4() { run_httpserver v4; }
test_httpserver_v46() { run_httpserver v46; }

# ---- Node: http.createServer(...).listen(3000) ----------------------------
# one dual-stack [::] socket; the program also connects to the peer.

run_node() {
	app_wanted node node curl
	attach_kind "$1"
	write_client
	peer_targets
	cat >"$T_DIR/server.js" <<'EOF'
const http = require('http'), net = require('net');
http.createServer((req, res) => res.end('node\n')).listen(+process.argv[2]);
for (const target of process.argv.slice(3)) {
	const i = target.lastIndexOf(':');
	const s = net.connect(+target.slice(i + 1), target.slice(0, i), () => s.write('hello'));
	s.on('data', (d) => { console.log(`CLIENT OK ${target} from ${s.localAddress} ${d.toString().trim()}`); s.destroy(); });
	s.on('error', (e) => console.log(`CLIENT ERR ${target} ${e.code}`));
}
EOF
	app_start node "$T_DIR/server.js" 3000 "${CLIENT_TARGETS[@]}"
	expect_served 3000 "node * HTTP 200" ask_http
	expect_clients_from_vips
	expect_up
}
test_node_v4() { run_node v4; }
test_node_v46() { run_node v46; }

# ---- Java: new ServerSocket(8080) (java Server.java) -----------------------
# one dual-stack [::] socket; the program also connects to the peer
# (new Socket(host, port), an AF_INET6 socket for IPv4 too).

run_java() {
	app_wanted java java
	attach_kind "$1"
	write_client
	peer_targets
	cat >"$T_DIR/Server.java" <<'EOF'
import java.io.*;
import java.net.*;

public class Server {
	public static void main(String[] args) throws Exception {
		ServerSocket server = new ServerSocket(Integer.parseInt(args[0]));
		System.out.println("LISTENING " + server.getLocalSocketAddress());
		for (int i = 1; i < args.length; i++) {
			int c = args[i].lastIndexOf(':');
			try (Socket s = new Socket(args[i].substring(0, c), Integer.parseInt(args[i].substring(c + 1)))) {
				s.getOutputStream().write("hello".getBytes());
				String reply = new BufferedReader(new InputStreamReader(s.getInputStream())).readLine();
				System.out.println("CLIENT OK " + args[i] + " from " + s.getLocalSocketAddress() + " " + reply);
			} catch (IOException e) {
				System.out.println("CLIENT ERR " + args[i] + " " + e);
			}
		}
		for (;;) {
			try (Socket s = server.accept()) {
				s.getOutputStream().write("java\n".getBytes());
			}
		}
	}
}
EOF
	app_start java -XX:TieredStopAtLevel=1 "$T_DIR/Server.java" 8080 "${CLIENT_TARGETS[@]}"
	expect_served 8080 "java" ask_tcp ''
	expect_clients_from_vips
	expect_up
}
test_java_v4() { run_java v4; }
test_java_v46() { run_java v46; }

# ---- OpenSSH sshd: the default ListenAddress (0.0.0.0 and [::] V6ONLY) -----

run_sshd() {
	app_wanted sshd /usr/sbin/sshd ssh-keygen
	attach_kind "$1"
	write_client
	if [ ! -d /run/sshd ]; then # its privilege separation directory
		mkdir -m 755 /run/sshd || fail "mkdir /run/sshd"
		trap 't_cleanup; rmdir /run/sshd' EXIT
	fi
	ssh-keygen -q -t ed25519 -N '' -f "$T_DIR/ssh_host_ed25519_key" || fail "ssh-keygen"
	app_start /usr/sbin/sshd -D -e -f /dev/null -h "$T_DIR/ssh_host_ed25519_key" -o PidFile="$T_DIR/sshd.pid"
	expect_served 22 "SSH-2.0-*" ask_tcp ''
	expect_up
}
test_sshd_v4() { run_sshd v4; }
test_sshd_v46() { run_sshd v46; }

# ---- dnsmasq: a DNS server listening on every address (no --bind-interfaces)
# answers app.vni.test itself and forwards the rest to the peer.

run_dnsmasq() {
	local up=(--server=$PEER_IP)
	app_wanted dnsmasq dnsmasq
	attach_kind "$1"
	write_client
	peer_serve PEER4 -u $PEER_IP 53
	if [ "$KIND" = v46 ]; then
		peer_serve PEER6 -u $PEER_IP6 53
		up+=(--server=/v6.vni.test/$PEER_IP6)
	fi
	app_start dnsmasq -k -C /dev/null --no-resolv --no-hosts --log-facility=- \
		--pid-file="$T_DIR/dnsmasq.pid" --address=/app.vni.test/10.10.0.99 "${up[@]}"
	wait_ready "DNS at $VIP4" "A 10.10.0.99" ask_dns $VIP4 app.vni.test 1
	note_sockets
	[ "$KIND" = v46 ] && expect_eq "dnsmasq ($KIND) answers at [$VIP6]" "A 10.10.0.99" "$(ask_dns $VIP6 app.vni.test)"
	expect_refused 53 -u
	expect_refused 53
	# forwarding: the upstream on the peer sees the query come from the VIP
	ask_dns $VIP4 www.example.org 0.3 >/dev/null
	expect_peer_saw "$PEER4" $VIP4
	if [ "$KIND" = v46 ]; then
		ask_dns $VIP4 www.v6.vni.test 0.3 >/dev/null
		expect_peer_saw "$PEER6" $VIP6
	fi
	expect_up
}
test_dnsmasq_v4() { run_dnsmasq v4; }
test_dnsmasq_v46() { run_dnsmasq v46; }

# ---- haproxy: bind :::8090 v4v6 (one dual-stack socket), TCP proxy to the
# peer ------------------------------------------------------------------------

run_haproxy() {
	app_wanted haproxy haproxy
	attach_kind "$1"
	write_client
	peer_serve PEER4 $PEER_IP 7000
	cat >"$T_DIR/haproxy.cfg" <<EOF
global
	pidfile $T_DIR/haproxy.pid
defaults
	mode tcp
	timeout connect 5s
	timeout client 10s
	timeout server 10s
frontend fe
	bind :::8090 v4v6
	default_backend be
backend be
	server peer $PEER_IP:7000
EOF
	app_start haproxy -db -f "$T_DIR/haproxy.cfg"
	# the peer's echo server answers OK through the proxy; each connection
	# reaches it from the VIP
	expect_served 8090 "*REPLY OK*" probe_peer connect
	expect_peer_saw "$PEER4" $VIP4
	[ "$KIND" = v46 ] && expect_peer_saw "$PEER4" $VIP4
	expect_up
}
test_haproxy_v4() { run_haproxy v4; }
test_haproxy_v46() { run_haproxy v46; }

# ---- memcached: the defaults (every address: 0.0.0.0 and [::] V6ONLY) -----

run_memcached() {
	app_wanted memcached memcached
	attach_kind "$1"
	write_client
	app_start memcached -u nobody
	expect_served 11211 "VERSION *" ask_tcp 'version\r\n'
	expect_up
}
test_memcached_v4() { run_memcached v4; }
test_memcached_v46() { run_memcached v46; }

# ---- PostgreSQL: listen_addresses='*' (0.0.0.0 and [::] V6ONLY) ------------

ask_pg() { on_peer pg_isready -h "$1" -p "$2" -t 3; }
pg_server_addr() { # ADDR: the server's address as PostgreSQL sees it
	on_peer env PGCONNECT_TIMEOUT=5 psql -X -h "$1" -U postgres -d postgres -Atc 'select inet_server_addr()' 2>&1
}

run_postgres() {
	app_wanted postgres pg_isready psql
	[ -x "$PGBIN/postgres" ] || { echo "PostgreSQL is not installed (tools/install-deps.sh installs it)"; exit 77; }
	attach_kind "$1"
	write_client
	mkdir -p "$T_DIR/pg" "$T_DIR/pgsock" && chown postgres: "$T_DIR/pg" "$T_DIR/pgsock" || fail "mkdir"
	runuser -u postgres -- "$PGBIN/initdb" -D "$T_DIR/pg" -U postgres -A trust -N --no-instructions \
		>"$T_DIR/initdb.log" 2>&1 || fail "initdb: $(tail -n 3 "$T_DIR/initdb.log")"
	printf 'host all all %s trust\n' 192.0.2.0/24 fd00::/64 >>"$T_DIR/pg/pg_hba.conf"
	app_start --user postgres "$PGBIN/postgres" -D "$T_DIR/pg" -c listen_addresses='*' -k "$T_DIR/pgsock"
	expect_served 5432 "*accepting connections" ask_pg
	expect_eq "postgres ($KIND) server address at $VIP4" "$VIP4" "$(pg_server_addr $VIP4)"
	[ "$KIND" = v46 ] && expect_eq "postgres ($KIND) server address at [$VIP6]" "$VIP6" "$(pg_server_addr $VIP6)"
	expect_up
}
test_postgres_v4() { run_postgres v4; }
test_postgres_v46() { run_postgres v46; }
