# SPDX-License-Identifier: GPL-2.0-only
# Service addresses (vnictl service; bpf/vni_service.bpf.h, docs/services.md):
# one address:port served by several instances, dispatched in the kernel.
# (Helpers: tests/lib.sh; the crash at every step of service add and del:
# t_crash.sh.)

# a, b, c serving TCP 8080 behind $SVC:8080 (service web)
web() {
	members a b c
	serve_in A a tcp 8080
	serve_in B b tcp 8080
	serve_in C c tcp 8080
	vnictl service add --name web --addr $SVC:8080 --instance a --instance b --instance c \
		>/dev/null || fail "service add"
}

test_three_members_share_the_address_each_a_fair_share() {
	local out
	web
	out=$(from_peer spread tcp 300 $SVC 8080)
	fair "300 connections from a peer" 60 "$out" a b c
	echo "note: 300 connections: $(echo $out)"
	out=$(on_node python3 "$TOP/tests/svc_probe.py" spread tcp 90 $SVC 8080)
	fair "90 connections from the node" 15 "$out" a b c
	expect_json "vnictl stats: connections per member, 390 in all" "390 3" \
		"$(vnictl stats --json)" \
		'"%d %d" % (sum(s["connections"] for i in d for s in i.get("services", [])), sum(1 for i in d if i.get("services")))'
	expect_match "vnictl stats: the member table" "*MEMBER*SERVICE*DISPATCHED*web*" \
		"$(vnictl stats | tr '\n' ' ')"
}

test_a_member_removed_or_detached_gets_no_new_connections_and_keeps_its_own() {
	local out held who
	web
	# a connection held open to whichever member the hash picks
	coproc HOLD { on_peer python3 "$TOP/tests/svc_probe.py" hold $SVC 8080 2>&1; }
	read -r -t 10 who <&"${HOLD[0]}" || fail "no answer on the held connection"
	[[ $who == [abc] ]] || fail "held connection: $who"
	vnictl service del-member --name web --instance "$who" >/dev/null || fail "del-member"
	out=$(from_peer spread tcp 100 $SVC 8080)
	[[ $out == *"$who "* ]] && fail "$who got new connections after del-member: $out"
	fair "100 connections after $who left" 20 "$out" $(echo a b c | tr -d "$who")
	echo >&"${HOLD[1]}"
	read -r -t 10 held <&"${HOLD[0]}" || fail "the held connection broke"
	expect_eq "the established connection stays with $who" "$who" "$held"
	expect_json "show: the members left" "$(echo a b c | tr -d "$who" | xargs)" \
		"$(vnictl service show --name web --json)" '" ".join(m["instance"] for m in d["members"])'
	# a detached member: out of the service, the others take everything
	local other=a; [ "$who" = a ] && other=b
	vnictl detach --cgroup "$other" --force >/dev/null || fail "detach $other"
	out=$(from_peer spread tcp 60 $SVC 8080)
	[[ $out == *"$other "* ]] && fail "detached $other got connections: $out"
	[[ $out == *FAILED* ]] && fail "connections failed after the detach: $out"
	expect_eq "all to the last member" 1 "$(wc -l <<<"$out")"
	kill "$HOLD_PID" 2>/dev/null
}

test_a_member_that_stops_listening_is_skipped_and_none_refused_until_the_last() {
	local out
	web
	stop_in b
	out=$(from_peer spread tcp 100 $SVC 8080)
	[[ $out == *"b "* ]] && fail "b got connections after it stopped listening: $out"
	fair "100 connections, b not listening" 20 "$out" a c
	expect_json "show: b is not listening" "serving not listening serving" \
		"$(vnictl service show --name web --json)" '" ".join(m["status"] for m in d["members"])'
	# b listens again (a restart): back in the rotation at once
	serve_in B b tcp 8080
	out=$(from_peer spread tcp 150 $SVC 8080)
	fair "150 connections, b back" 20 "$out" a b c
	stop_in a
	stop_in b
	stop_in c
	out=$(from_peer spread tcp 5 $SVC 8080)
	expect_eq "no member listening: refused, not a hang" "FAILED 5 Connection refused" "$out"
	vnictl service del --name web >/dev/null || fail "service del"
	node_addrs | grep -q "$SVC" && fail "the service address is still on the node"
	expect_json "no services" "[]" "$(vnictl service list --json)" d
}

test_no_one_binds_or_sends_from_the_service_address() {
	web
	expect_eq "node process binds the service address" "ERR EPERM" \
		"$(probe_node bind $SVC 8080)"
	expect_eq "node process binds it at another port" "ERR EPERM" \
		"$(probe_node bind -u $SVC 9999)"
	expect_match "a member binds it" "ERR *" "$(probe_inst a bind $SVC 8080)"
	expect_match "node process sends from it (IP_PKTINFO)" "ERR EPERM*" \
		"$(probe_node sendto -S $SVC $PEER_IP 9)"
	# the node's own traffic to the service is served, its source its own
	expect_match "node client" "a *" "$(on_node python3 "$TOP/tests/svc_probe.py" spread tcp 30 $SVC 8080)"
}

test_bad_input_is_one_line_and_changes_nothing() {
	local before out
	web
	vnictl attach --cgroup d --vip 10.10.0.9 >/dev/null || fail "attach d"
	before=$(snapshot; vnictl service list --json)
	bad() { # WHAT EXPECTED-GLOB ARGS...
		local what=$1 glob=$2
		shift 2
		out=$(vnictl service "$@" 2>&1) && fail "$what: accepted: $out"
		[ "$(wc -l <<<"$out")" = 1 ] || fail "$what: not one line: $out"
		expect_match "$what" "$glob" "$out"
	}
	bad "unknown member" "*no instance named 'nosuch'*" add --name s2 --addr 10.10.0.101:80 --instance a --instance nosuch
	bad "address of the node" "*already an address of this node*" add --name s2 --addr $NODE_IP:80 --instance d
	bad "an instance's VIP" "*VIP of instance a*" add --name s2 --addr 10.10.0.1:80 --instance d
	bad "address and port of another service" "*service web*" add --name s2 --addr $SVC:8080 --instance d
	bad "port 0" "*port '0' is not 1-65535*" add --name s2 --addr 10.10.0.101:0 --instance d
	bad "no port" "*ADDR:PORT*" add --name s2 --addr 10.10.0.101 --instance d
	bad "duplicate service" "*service named web exists*" add --name web --addr 10.10.0.101:80 --instance d
	bad "a member twice" "*given twice*" add --name s2 --addr 10.10.0.101:80 --instance d --instance d
	bad "a member of another service at the port" "*already serves 8080/tcp for service web*" \
		add --name s2 --addr 10.10.0.101:8080 --instance a
	bad "no members" "*needs --instance*" add --name s2 --addr 10.10.0.101:80
	bad "bad protocol" "*tcp or udp*" add --name s2 --addr 10.10.0.101:80 --proto sctp --instance d
	bad "loopback address" "*" add --name s2 --addr 127.0.0.9:80 --instance d
	bad "unknown service" "*no service named 'nosuch'*" del --name nosuch
	bad "del-member of no member" "*no member of web*" del-member --name web --instance d
	bad "add-member twice" "*member of web already*" add-member --name web --instance a
	bad "unknown word" "*add, del*" frob --name web
	expect_eq "nothing changed" "$before" "$(snapshot; vnictl service list --json)"
}

test_udp_flows_stay_on_one_member_and_replies_come_from_the_service() {
	local out
	members a b c
	serve_in A a udp 5353
	serve_in B b udp 5353
	serve_in C c udp 5353
	vnictl service add --name dns --addr $SVC:5353 --proto udp --instance a --instance b \
		--instance c >/dev/null || fail "service add udp"
	# one connected socket: it accepts only datagrams from $SVC:5353
	out=$(from_peer flow 20 $SVC 5353)
	expect_eq "20 datagrams of one flow, 20 answers" 20 "$(wc -l <<<"$out")"
	expect_eq "one member answered them all, from the service address" 1 \
		"$(awk '{ print $1, $2, $3 }' <<<"$out" | sort -u | wc -l)"
	expect_match "from $SVC:5353" "? $SVC 5353" "$(head -n 1 <<<"$out")"
	out=$(from_peer spread udp 150 $SVC 5353)
	fair "150 flows" 20 "$out" a b c
	expect_json "datagrams counted per member" "150" \
		"$(vnictl service show --name dns --json)" 'sum(m["dispatched"] for m in d["members"]) - 20'
}

test_ipv6_service() {
	local out
	members a b
	serve_in A a tcp 8080 ::
	serve_in B b tcp 8080 ::
	vnictl service add --name web6 --addr "[$SVC6]:8080" --instance a --instance b \
		>/dev/null || fail "service add v6"
	on_peer ip -6 route add $SVC6/128 via $NODE_IP6 2>/dev/null
	out=$(from_peer spread tcp 100 $SVC6 8080)
	fair "100 v6 connections" 20 "$out" a b
	expect_json "list" "web6 [$SVC6]:8080" "$(vnictl service list --json)" \
		'" ".join(s["name"] + " [" + s["addr"] + "]:" + str(s["port"]) for s in d)'
}

test_check_sync_and_down_cover_services() {
	local out
	web
	vnictl check >/dev/null || fail "check on a whole node"
	del_vip4 $SVC || fail "remove the address by hand"
	out=$(vnictl check 2>&1) && fail "check missed the missing address: $out"
	expect_match "check names the service" "*web*" "$out"
	vnictl sync >/dev/null || fail "sync"
	vnictl check >/dev/null || fail "check after sync"
	# (150 flows, 20 at least: hashed flows spread binomially; 60 with 10
	# at least fail about 1% of runs, as one CI run did)
	fair "served after sync" 20 "$(from_peer spread tcp 150 $SVC 8080)" a b c
	vnictl down --force >/dev/null || fail "down"
	node_addrs | grep -q "$SVC" && fail "down left the service address"
	return 0
}

# ---- stock servers behind a service address --------------------------------

# run_in NAME CMD...: CMD started with `vnictl run` in instance NAME, in the
# background, its output in $T_DIR/NAME.log.
run_in() {
	local name=$1
	shift
	on_node "$VNICTL" run --cgroup "$name" -- "$@" </dev/null >>"$T_DIR/$name.log" 2>&1 &
}

# until_ok WHAT CMD...: retry CMD (every 0.1 s, 15 s) until it succeeds.
until_ok() {
	local what=$1 end=$((SECONDS + 15))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || fail "$what: not ready after 15 s"
		sleep 0.1
	done
}

test_stock_nginx_serves_behind_a_service_address() {
	local name d out i
	command -v nginx >/dev/null && [ -e /etc/nginx/sites-enabled/default ] ||
		{ echo "nginx is not installed (tools/install-deps.sh installs it)"; exit 77; }
	members a b
	# Debian's nginx.conf and default site (listen 80; listen [::]:80), each
	# instance with its own pid and log files
	for name in a b; do
		d=$T_DIR/nginx-$name
		mkdir -p "$d"
		sed -e "s#^\([[:space:]]*pid\) .*#\1 $d/nginx.pid;#" \
			-e "s#^\([[:space:]]*error_log\) .*#\1 $d/error.log;#" \
			-e "s#^\([[:space:]]*access_log\) .*#\1 $d/access.log;#" \
			/etc/nginx/nginx.conf >"$d/nginx.conf"
		grep -q "access_log $d/access.log" "$d/nginx.conf" || fail "unexpected /etc/nginx/nginx.conf"
		run_in $name nginx -c "$d/nginx.conf" -e "$d/error.log" -g 'daemon off;'
	done
	until_ok "a's nginx at its VIP" on_peer curl -sf -m 2 -o /dev/null http://10.10.0.1/
	until_ok "b's nginx at its VIP" on_peer curl -sf -m 2 -o /dev/null http://10.10.0.2/
	# the listeners were there before the service: vnictl puts them in
	vnictl service add --name web --addr $SVC:80 --instance a --instance b >/dev/null ||
		fail "service add"
	for i in $(seq 60); do
		out=$(on_peer curl -sS -m 5 -o "$T_DIR/body" -w '%{http_code}' "http://$SVC/" 2>&1)
		grep -q 'Welcome to nginx!' "$T_DIR/body" && out="$out welcome"
		echo "$out"
	done >"$T_DIR/answers"
	expect_eq "60 requests to $SVC:80, each answered by a stock nginx" \
		"60 200 welcome" "$(sort "$T_DIR/answers" | uniq -c | sed 's/^ *//')"
	# both served some, and saw the peer itself as the client
	for name in a b; do
		out=$(grep -c "^$PEER_IP " "$T_DIR/nginx-$name/access.log")
		[ "$out" -ge 10 ] || fail "nginx in $name logged $out requests from $PEER_IP (of 60)"
	done
	expect_json "dispatched per member (60 in all)" "60" \
		"$(vnictl service show --name web --json)" 'sum(m["dispatched"] for m in d["members"])'
	echo "note: stock nginx: a logged $(grep -c . "$T_DIR/nginx-a/access.log"), b $(grep -c . "$T_DIR/nginx-b/access.log") of 60"
}

dns_is() { [ "$(from_peer dns "$1" app.vni.test)" = "A 10.10.0.99" ]; }

test_stock_dnsmasq_answers_from_a_udp_service_address() {
	local name out
	command -v dnsmasq >/dev/null ||
		{ echo "dnsmasq is not installed (tools/install-deps.sh installs it)"; exit 77; }
	members a b
	# listening on every address (no --bind-interfaces): a wildcard UDP
	# socket, answering from the address a query came to (IP_PKTINFO)
	for name in a b; do
		run_in $name dnsmasq -k -C /dev/null --no-resolv --no-hosts --log-facility=- \
			--pid-file="$T_DIR/dnsmasq-$name.pid" --address=/app.vni.test/10.10.0.99
	done
	until_ok "a's dnsmasq" dns_is 10.10.0.1
	until_ok "b's dnsmasq" dns_is 10.10.0.2
	vnictl service add --name dns --addr $SVC:53 --proto udp --instance a --instance b \
		>/dev/null || fail "service add"
	# each query from its own connected socket: an answer from another
	# address than the one asked is not taken
	out=$(for i in $(seq 40); do from_peer dns $SVC app.vni.test; done | sort | uniq -c |
		sed 's/^ *//')
	expect_eq "40 queries to $SVC:53, each answered from it" "40 A 10.10.0.99" "$out"
	expect_json "both members answered some" "true" \
		"$(vnictl service show --name dns --json)" 'all(m["dispatched"] > 0 for m in d["members"])'
}
