# SPDX-License-Identifier: GPL-2.0-only
# Correct under churn: while other instances are attached and detached in a
# loop (some with a client of their own inside), a client in a long-lived
# instance makes thousands of connections to a peer server, which counts them
# by source address. VNI_CHURN_CONNECTIONS (per family, default 3000) and
# VNI_CHURN_ROUNDS (rounds the loop must make while the client runs, default
# 10) are set lower by the VM run.

CHURN_PORT=7100
CHURN_WEB='{"name": "web", "vip4": "10.10.0.1", "vip6": "2001:db8:10::1"}'

# The churn loop: round R attaches instance c$((R % 3)) (every fourth round
# with 'vnictl apply' of web and it, then of web alone), on even rounds runs
# a client in it (v4 and v6 by turns), detaches it and prints "ROUND R";
# it stops at the round after $T_DIR/churn.stop appears. Rounds without a
# client take turns on VIPs .2 and .3; those with one take a VIP of their
# own (.10 on), as the last socket of a client may still be closing when
# the instance is detached, and attach refuses a VIP a socket still holds.
# Failures go to $T_DIR/churn.fails, the connections its clients made to
# $T_DIR/churn.expected ("ADDR N").
churn_loop() {
	local round=0 name vip dst out
	while [ ! -e "$T_DIR/churn.stop" ]; do
		round=$((round + 1))
		name=c$((round % 3))
		if [ $((round % 2)) = 1 ]; then
			vip=$((2 + round / 2 % 2))
		else
			vip=$((10 + (round / 2 - 1) % 240))
		fi
		# every fourth round through 'vnictl apply' (web listed as it is)
		if [ $((round % 4)) = 1 ]; then
			out=$(printf '[%s, {"name": "%s", "vip4": "10.10.0.%s", "vip6": "2001:db8:10::%s"}]' \
				"$CHURN_WEB" "$name" "$vip" "$vip" | vnictl apply -f - 2>&1)
		else
			out=$(vnictl attach --cgroup "$name" --vip 10.10.0.$vip --vip 2001:db8:10::$vip 2>&1)
		fi || { echo "round $round: attach $name: $out"; on_node ss -tano | grep -v "10.10.0.1:\|2001:db8:10::1\]:"; } >>"$T_DIR/churn.fails"
		if [ $((round % 2)) = 0 ]; then
			if [ $((round % 4)) = 0 ]; then vip=10.10.0.$vip dst=$PEER_IP; else vip=2001:db8:10::$vip dst=$PEER_IP6; fi
			out=$(probe_inst "$name" connect-many 20 $dst $CHURN_PORT | tr '\n' ' ')
			[[ $out == "STARTED LOCAL $vip 20 CONNECTED 20 " ]] ||
				echo "round $round: client in $name: $out" >>"$T_DIR/churn.fails"
			echo "$vip 20" >>"$T_DIR/churn.expected"
		fi
		if [ $((round % 4)) = 1 ]; then
			out=$(echo "[$CHURN_WEB]" | vnictl apply -f - 2>&1)
		else
			out=$(vnictl detach --cgroup "$name" 2>&1)
		fi || echo "round $round: detach $name: $out" >>"$T_DIR/churn.fails"
		echo "$round" >"$T_DIR/churn.round"
		echo "ROUND $round"
	done
}

read_rest() { # fd -> every line until the writer exits (bounded)
	local line
	while IFS= read -r -t 120 -u "$1" line; do
		printf '%s\n' "$line"
	done
}

test_connections_keep_the_vip_under_churn() {
	local n=${VNI_CHURN_CONNECTIONS:-3000} rounds=${VNI_CHURN_ROUNDS:-10}
	local srv churn c4 c6 r0 r1 round out4 out6 tally expected wrong pid
	: >"$T_DIR/churn.fails"
	: >"$T_DIR/churn.expected"
	vnictl attach --cgroup web --vip 10.10.0.1 --vip 2001:db8:10::1 >/dev/null || fail "attach"
	# one dual-stack server: it counts v4 peers (::ffff:a.b.c.d) as a.b.c.d
	start_bg srv on_peer "$PROBE" tally -n 0 :: $CHURN_PORT
	expect_eq "tally server" "BOUND [::]:$CHURN_PORT" "$(read_line "$srv")"

	start_bg churn churn_loop
	read_line "$churn" >/dev/null # round 1 is done: the loop runs
	start_bg c4 probe_inst web connect-many -U "$T_DIR/enough" "$n" $PEER_IP $CHURN_PORT
	start_bg c6 probe_inst web connect-many -U "$T_DIR/enough" "$n" $PEER_IP6 $CHURN_PORT
	expect_eq "v4 client" STARTED "$(read_line "$c4")"
	expect_eq "v6 client" STARTED "$(read_line "$c6")"
	# The clients go on past n connections until `rounds` whole rounds of
	# the loop ran while they did: those after the one in progress now.
	r0=$(cat "$T_DIR/churn.round")
	r1=0
	while [ "$r1" -le $((r0 + rounds)) ]; do
		r1=$(read_line "$churn")
		r1=${r1#ROUND }
	done
	touch "$T_DIR/enough"
	out4=$(read_rest "$c4" | tr '\n' ' ')
	out6=$(read_rest "$c6" | tr '\n' ' ')
	touch "$T_DIR/churn.stop"
	round=$(read_rest "$churn" | tail -n 1)
	round=${round#ROUND }
	pid=$(on_peer ss -Hltnp "sport = :$CHURN_PORT" | grep -o 'pid=[0-9]*' | cut -d= -f2)
	[ -n "$pid" ] || fail "tally server gone: $(tail -n 3 "$T_DIR/bg.stderr")"
	kill -TERM "$pid"
	tally=$(read_rest "$srv" | sort)

	# every connection made, all from the VIP as the client saw it ...
	local n4=${out4##*CONNECTED } n6=${out6##*CONNECTED }
	n4=${n4%% *} n6=${n6%% *}
	expect_match "v4 client" "LOCAL 10.10.0.1 $n4 CONNECTED $n4 " "$out4"
	expect_match "v6 client" "LOCAL 2001:db8:10::1 $n6 CONNECTED $n6 " "$out6"
	[ "$n4" -ge "$n" ] && [ "$n6" -ge "$n" ] || fail "clients made $n4 and $n6 connections, not $n each"
	expect_eq "churn loop failures" "" "$(cat "$T_DIR/churn.fails")"
	# ... and as the server saw it: per source address exactly what each
	# client made, the churned instances' clients included
	expected=$( { echo "10.10.0.1 $n4"; echo "2001:db8:10::1 $n6"; cat "$T_DIR/churn.expected"; } |
		awk '{ n[$1] += $2; t += $2 } END { for (a in n) print "PEER", a, n[a]; print "TOTAL", t }' | sort)
	# wrong: the connections the server saw beyond those expected per address
	wrong=$( { sed 's/^/want /' <<<"$expected"; echo "$tally"; } | awk '
		$1 == "want" { if ($2 == "PEER") want[$3] = $4; next }
		$1 == "PEER" && $2 in want { matched += $3 < want[$2] ? $3 : want[$2] }
		$1 == "TOTAL" { print $2 - matched }')
	echo "note: connections: $n4 v4 + $n6 v6 from the long-lived instance," \
		"$(awk '{ t += $2 } END { print t + 0 }' "$T_DIR/churn.expected") from churned instances;" \
		"churn rounds: $round, $((r1 - r0 - 1)) of them while the clients ran;" \
		"wrong sources: $wrong"
	expect_eq "server tally" "$expected" "$tally"
	expect_eq "connections with a wrong source" 0 "$wrong"
	[ $((r1 - r0 - 1)) -ge "$rounds" ] || fail "only $((r1 - r0 - 1)) churn rounds while the clients ran"

	# nothing left but the long-lived instance
	expect_json "instances left" "web" "$(vnictl list --json)" '" ".join(i["name"] for i in d)'
	expect_eq "VIPs left" "10.10.0.1/32 2001:db8:10::1/128" \
		"$(node_addrs | awk '$2 == "lo" && $1 ~ /^(10\.10\.0\.|2001:db8:10:)/ { print $1 }' | tr '\n' ' ' | sed 's/ $//')"
	expect_eq "instance links left" 1 "$(ls "$VNI_BPFFS/links" | wc -l)"
	expect_json "VIP owners left" 2 "$(bpftool -j map dump pinned "$VNI_BPFFS/maps/vni_vips")" 'len(d)'
	expect_eq "instance cgroups left" "$VNI_CGROUP_ROOT/web" "$(find "$VNI_CGROUP_ROOT" -mindepth 1 -maxdepth 1 -type d)"
}
