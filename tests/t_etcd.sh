# SPDX-License-Identifier: GPL-2.0-only
# The etcd registry: a real etcd (Debian's etcd-server) in the test's peer
# namespace, two vni nodes ("a", the test's own, and "b": other roots, the
# same network namespace) sharing it. Needs etcd (skipped without).

ETCD_PORT=2379
# the VM's emulated CPU is many times slower: its deadlines, leases and
# election timers are stretched by this (tests/run.sh --vm)
TF=${VNI_TIME_FACTOR:-1}

# Starts etcd in the peer namespace on PEER_IP:ETCD_PORT and waits until it
# answers; its data dir is in the test's dir (removed with it), the process
# goes with the namespace's (t_cleanup).
start_etcd() {
	command -v etcd >/dev/null && command -v etcdctl >/dev/null ||
		{ echo "etcd and etcdctl not installed (apt-get install etcd-server etcd-client)"; exit 77; }
	# (nsenter execs etcd: $! is etcd itself)
	nsenter --net="/run/netns/$PEER" etcd --name t --data-dir "$T_DIR/etcd" \
		--listen-client-urls "http://$PEER_IP:$ETCD_PORT" --advertise-client-urls "http://$PEER_IP:$ETCD_PORT" \
		--listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
		--initial-cluster t=http://127.0.0.1:2380 >"$T_DIR/etcd.log" 2>&1 &
	ETCD_PID=$!
	wait_etcd
}
wait_etcd() {
	local i
	for i in $(seq $((100 * TF))); do
		ETCDCTL_API=3 on_node etcdctl --endpoints "$PEER_IP:$ETCD_PORT" --dial-timeout 1s endpoint health \
			>/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "etcd did not start: $(tail -n 3 "$T_DIR/etcd.log")"
}
etcd_keys() { ETCDCTL_API=3 on_node etcdctl --endpoints "$PEER_IP:$ETCD_PORT" get --prefix /vni/ --keys-only | grep -v '^$'; }

use_etcd() {
	export VNI_REGISTRY=etcd://$PEER_IP:$ETCD_PORT VNI_NODE=a
	trap 'vnictl_b down --force >/dev/null 2>&1; t_cleanup' EXIT
}
# node b: its own roots, named after T_ID so t_cleanup finds what is left
vnictl_b() {
	VNI_NODE=b VNI_CGROUP_ROOT=$CG2/vni-test-$T_ID-b VNI_BPFFS=/sys/fs/bpf/vni-test-$T_ID-b \
		VNI_STATE_DIR=$T_DIR/state-b VNI_HOSTS_FILE=$T_DIR/hosts-b on_node "$VNICTL" "$@"
}

# 16 attaches at once from two nodes for 13 free addresses: exactly 13
# succeed, no VIP or AID twice in the farm, the refused leave nothing.
test_two_nodes_never_get_the_same_identity() {
	local n out vips aids
	start_etcd
	use_etcd
	vnictl pool add 10.10.0.1-10.10.0.13 >/dev/null || fail "pool add"
	expect_match "node b sees the pool" "*10.10.0.1-10.10.0.13*13*0*13*" "$(vnictl_b pool list | tr -s ' ')"
	expect_eq "succeeded, refused" "13 3" "$(race_auto_attaches 16 vnictl vnictl_b)"
	vips=$(for n in vnictl vnictl_b; do $n list --json | json_get '"\n".join(i["vip4"] for i in d)'; done)
	expect_eq "13 distinct VIPs in the farm" 13 "$(sort -u <<<"$vips" | wc -l)"
	aids=$(for n in vnictl vnictl_b; do $n list --json | json_get '"\n".join(str(i["aid"]) for i in d)'; done)
	expect_eq "13 distinct AIDs in the farm" 13 "$(sort -u <<<"$aids" | wc -l)"
	expect_eq "the registry holds 13 instances" 13 "$(etcd_keys | grep -c '^/vni/inst/')"
	expect_eq "cgroups on both nodes: the 13 only" 13 \
		"$(find "$VNI_CGROUP_ROOT" "$CG2/vni-test-$T_ID-b" -mindepth 1 -maxdepth 1 -type d | wc -l)"
	out=$(vnictl check 2>&1) || fail "check on a: $out"
	out=$(vnictl_b check 2>&1) || fail "check on b: $out"
	# names and AIDs of one node are refused on the other
	local name_a aid_a
	name_a=$(vnictl list --json | json_get 'd[0]["name"]')
	aid_a=$(vnictl list --json | json_get 'str(d[0]["aid"])')
	out=$(vnictl_b attach --cgroup "$name_a" --vip 10.10.0.99 2>&1)
	expect_eq "a's name on b" "1 vnictl: an instance named $name_a exists in the farm" "$? $out"
	out=$(vnictl_b attach --cgroup other --vip 10.10.0.99 --aid "$aid_a" 2>&1)
	expect_eq "a's AID on b" "1 vnictl: AID $aid_a is taken by instance $name_a" "$? $out"
	# a freed address goes to the next attach, on either node
	local freed
	freed=$(vnictl show --cgroup "$name_a" --json | json_get 'd["vip4"]')
	vnictl detach --cgroup "$name_a" >/dev/null || fail "detach $name_a"
	expect_match "freed address reused on b" "attached again: aid *, vip $freed,*" "$(vnictl_b attach --cgroup again --vip auto)"
}

test_registry_unreachable_fails_fast_and_changes_nothing() {
	local before out t0 t1
	start_etcd
	use_etcd
	vnictl pool add 10.10.0.0/28 >/dev/null || fail "pool add"
	vnictl attach --cgroup web --vip auto >/dev/null || fail "attach web"
	kill "$ETCD_PID"; wait "$ETCD_PID" 2>/dev/null
	before=$(snapshot)
	t0=$(date +%s)
	out=$(vnictl attach --cgroup api --vip auto 2>&1)
	expect_eq "attach: exit" 1 $?
	t1=$(date +%s)
	expect_match "one line naming the registry" "vnictl: etcd registry $PEER_IP:$ETCD_PORT unreachable: *" "$out"
	expect_eq "one line" 1 "$(wc -l <<<"$out")"
	# bounded: a few seconds, not minutes (the client's limits are 1 s to connect, 3 s a request)
	[ $((t1 - t0)) -le $((15 * TF)) ] || fail "attach took $((t1 - t0)) s to fail"
	echo "note: attach with etcd down failed after $((t1 - t0)) s"
	out=$(vnictl detach --cgroup web 2>&1)
	expect_match "detach refused too" "vnictl: etcd registry * unreachable: *" "$out"
	out=$(vnictl attach --cgroup api --vip 10.10.0.50 2>&1)
	expect_match "an explicit VIP needs the registry too" "vnictl: etcd registry * unreachable: *" "$out"
	expect_eq "nothing changed" "$before" "$(snapshot)"
	# what reads the node's own state keeps working
	vnictl list >/dev/null || fail "list"
	vnictl show --cgroup web >/dev/null || fail "show"
	out=$(vnictl check 2>&1) || fail "check: $out"
	expect_match "enforced" "BOUND 10.10.0.1:*" "$(probe_inst web bind 0.0.0.0 0)"
	# etcd there but cut off (its link down: nothing answers): as bounded
	start_etcd
	on_peer ip link set vp0 down
	t0=$(date +%s)
	out=$(vnictl attach --cgroup api --vip auto 2>&1)
	expect_eq "attach while cut off: exit" 1 $?
	t1=$(date +%s)
	expect_match "cut off: names the registry" "vnictl: etcd registry $PEER_IP:$ETCD_PORT unreachable: *" "$out"
	[ $((t1 - t0)) -le $((15 * TF)) ] || fail "attach took $((t1 - t0)) s to fail while cut off"
	echo "note: attach with etcd cut off failed after $((t1 - t0)) s"
	expect_eq "nothing changed while cut off" "$before" "$(snapshot)"
	on_peer ip link set vp0 up
	# etcd back: everything works again
	wait_etcd
	vnictl attach --cgroup api --vip auto >/dev/null || fail "attach after etcd is back"
	vnictl detach --cgroup web >/dev/null || fail "detach after etcd is back"
}

test_endpoints_fail_over_and_bad_urls_are_refused() {
	local out
	start_etcd
	# the first endpoint refuses connections: the second answers
	export VNI_REGISTRY=etcd://127.0.0.1:1,$PEER_IP:$ETCD_PORT/farm1 VNI_NODE=a
	vnictl pool add 10.10.0.1/32 >/dev/null || fail "pool add through the second endpoint"
	expect_match "under its prefix" "*/farm1/pool/default/4/10.10.0.1*" "$(ETCDCTL_API=3 on_node etcdctl --endpoints "$PEER_IP:$ETCD_PORT" get --prefix /farm1/ --keys-only)"
	vnictl attach --cgroup web --vip auto >/dev/null || fail "attach"
	vnictl detach --cgroup web >/dev/null || fail "detach"
	out=$(VNI_REGISTRY=consul://x vnictl list 2>&1)
	expect_eq "unknown kind" "1 vnictl: invalid registry 'consul://x': give local or etcd://HOST:PORT[,HOST:PORT...][/PREFIX]" "$? $out"
	out=$(VNI_REGISTRY=etcd://nohostport vnictl pool list 2>&1)
	expect_match "bad endpoint" "1 vnictl: invalid etcd endpoint list 'nohostport'*" "$? $out"
	out=$(vnictl --node 'bad name' list 2>&1)
	expect_match "bad node name" "1 vnictl: invalid node name 'bad name'*" "$? $out"
}

# vnictl killed between the registry's claim and the local attach: the
# registry holds the instance for this node, which does not have it; sync
# gives it back (no address leaks). The other way round, an instance the
# registry lost is claimed again by sync.
test_sync_reconciles_the_registry_and_the_node() {
	local out
	start_etcd
	use_etcd
	vnictl pool add 10.10.0.1/32 >/dev/null || fail "pool add"
	out=$(VNI_DEBUG_CRASH_AFTER=1 vnictl attach --cgroup web --vip auto 2>&1)
	expect_match "killed after the claim" "*killed after step 1: attach: identity claimed*" "$out"
	expect_eq "held in the registry" "/vni/inst/web" "$(etcd_keys | grep /inst/)"
	expect_json "not on the node" "[]" "$(vnictl list --json)" d
	out=$(vnictl attach --cgroup web --vip 10.10.0.9 2>&1)
	expect_eq "the name is held" "vnictl: an instance named web exists in the farm" "$out"
	out=$(vnictl check 2>&1)
	expect_eq "check: exit" 1 $?
	expect_match "check says so" "*registry_orphan: the registry holds instance web (AID 1) for this node, which has no such instance*" "$out"
	out=$(vnictl sync 2>&1) || fail "sync: $out"
	expect_eq "given back" "" "$(etcd_keys | grep -v -e /pool/ -e /hint/)"
	expect_match "no address leaked" "attached web: aid *, vip 10.10.0.1,*" "$(vnictl attach --cgroup web --vip auto)"
	# the registry loses the instance (its keys deleted by hand)
	ETCDCTL_API=3 on_node etcdctl --endpoints "$PEER_IP:$ETCD_PORT" del --prefix /vni/inst/ >/dev/null &&
		ETCDCTL_API=3 on_node etcdctl --endpoints "$PEER_IP:$ETCD_PORT" del --prefix /vni/vip/ >/dev/null &&
		ETCDCTL_API=3 on_node etcdctl --endpoints "$PEER_IP:$ETCD_PORT" del --prefix /vni/aid/ >/dev/null &&
		ETCDCTL_API=3 on_node etcdctl --endpoints "$PEER_IP:$ETCD_PORT" del --prefix /vni/host/ >/dev/null ||
		fail "etcdctl del"
	out=$(vnictl check 2>&1)
	expect_match "check: missing" "*registry_missing: instance web is not in the registry*" "$out"
	out=$(vnictl sync 2>&1) || fail "sync: $out"
	expect_match "claimed again" "*/vni/inst/web*/vni/vip/10.10.0.1*" "$(etcd_keys | tr '\n' ' ')"
	out=$(vnictl check 2>&1) || fail "check after sync: $out"
	out=$(vnictl_b attach --cgroup other --vip 10.10.0.1 2>&1)
	expect_eq "its VIP is held again" "vnictl: VIP 10.10.0.1 is taken by instance web" "$out"
}

# agent NODE [TTL]: the node's agent in the background (its own pid in
# AGENT_PID: env and vnictl are exec'd by nsenter), logging to agent-NODE.log.
start_agent() {
	local node=$1 ttl=${2:-$((2 * TF))}
	if [ "$node" = a ]; then
		nsenter --net="/run/netns/$NODE" env VNI_NODE=a "$VNICTL" agent --ttl "$ttl" \
			2>"$T_DIR/agent-a.log" &
	else
		nsenter --net="/run/netns/$NODE" env VNI_NODE=b VNI_CGROUP_ROOT="$CG2/vni-test-$T_ID-b" \
			VNI_BPFFS="/sys/fs/bpf/vni-test-$T_ID-b" VNI_STATE_DIR="$T_DIR/state-b" \
			VNI_HOSTS_FILE="$T_DIR/hosts-b" "$VNICTL" agent --ttl "$ttl" 2>"$T_DIR/agent-$node.log" &
	fi
	AGENT_PID=$!
	until_true 5 "agent $node in the farm" grep -q "is in the farm" "$T_DIR/agent-$node.log"
}
farm_has() { vnictl farm --json | grep -q "$1"; }
# until_true SECONDS WHAT CMD...: CMD succeeds within SECONDS (times TF),
# or the test fails.
until_true() {
	local end=$(($(date +%s%N) + $1 * TF * 1000000000)) what=$2
	shift 2
	until "$@"; do
		[ "$(date +%s%N)" -lt "$end" ] || fail "$what: not within the time"
		sleep 0.05
	done
}

test_agent_spreads_names_across_the_farm() {
	local t0 t1 out
	start_etcd
	use_etcd
	start_agent a
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach web on a"
	t0=$(date +%s%N)
	vnictl_b attach --cgroup api --vip 10.10.0.2 --hostname api.example >/dev/null || fail "attach api on b"
	# a name attached on b resolves on a within a second (a's hosts file, which the NSS module reads)
	until_true 1 "b's name in a's hosts file" grep -q '^10.10.0.2 api.example$' "$VNI_HOSTS_FILE"
	t1=$(date +%s%N)
	echo "note: b's attach reached a's hosts file in $(( (t1 - t0) / 1000000 )) ms"
	grep -q '^10.10.0.1 ' "$VNI_HOSTS_FILE" || fail "a's own instance left the hosts file"
	out=$(vnictl check 2>&1) || fail "check on a: $out"
	vnictl_b detach --cgroup api >/dev/null || fail "detach api on b"
	until_true 1 "b's name gone from a's hosts file" sh -c "! grep -q api.example '$VNI_HOSTS_FILE'"
	expect_match "the farm" "*a*yes*web*1*10.10.0.1*a*running*" "$(vnictl farm | tr -s ' \n' '  ')"
	kill -TERM "$AGENT_PID"
	wait "$AGENT_PID"
	expect_eq "agent: exit on SIGTERM" 0 $?
	expect_match "its last line" "*node a leaves the farm*" "$(tail -n 1 "$T_DIR/agent-a.log")"
	out=$(VNI_REGISTRY=local vnictl agent 2>&1)
	expect_eq "no agent on the local registry" "1 vnictl: the local registry is one node's: the agent needs a farm's (--registry etcd://HOST:PORT)" "$? $out"
}

test_a_killed_agents_node_is_dead_and_its_instances_lost() {
	local out b_pid
	start_etcd
	use_etcd
	start_agent a
	start_agent b
	b_pid=$AGENT_PID
	vnictl_b attach --cgroup api --vip 10.10.0.2 >/dev/null || fail "attach api on b"
	until_true 2 "a sees b" farm_has '"state":"running"'
	kill -KILL "$b_pid"
	# its lease (2 s) lapses; a's agent marks b's instance lost
	until_true 8 "b's instance lost" farm_has '"state":"lost"'
	out=$(vnictl farm --json)
	expect_json "b dead" "false" "$out" '[n["alive"] for n in d["nodes"] if n["name"] == "b"][0]'
	expect_json "api lost, still b's" '["b","lost"]' "$out" '[[i["node"], i["state"]] for i in d["instances"] if i["name"] == "api"][0]'
	expect_match "a's agent said so" "*node b is gone: 1 instance(s) lost*" "$(cat "$T_DIR/agent-a.log")"
	# b's agent back: its instance, still there, runs again in the farm's eyes
	start_agent b
	until_true 3 "api running again" farm_has '"state":"running"'
	expect_match "b's agent said so" "*api was marked lost: running here again*" "$(cat "$T_DIR/agent-b.log")"
}

# Node a cut off while its instance was restored on node b: when a's agent
# sees the registry give the instance to b, it stops its own copy (processes,
# VIP, links) and leaves the record alone.
test_fencing_stops_an_instance_another_node_runs() {
	local rec app
	start_etcd
	use_etcd
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach web on a"
	start_bg app vnictl run --cgroup web -- sh -c 'echo ready; exec sleep 60'
	expect_eq "running" "ready" "$(read_line "$app")"
	start_agent a
	# what a restore on b writes (the record now says node b)
	rec=$(ETCDCTL_API=3 on_node etcdctl --endpoints "$PEER_IP:$ETCD_PORT" get --print-value-only /vni/inst/web |
		sed 's/"node":"a"/"node":"b"/; s/"generation":1/"generation":3/')
	ETCDCTL_API=3 on_node etcdctl --endpoints "$PEER_IP:$ETCD_PORT" put /vni/inst/web "$rec" >/dev/null || fail "put"
	until_true 2 "fenced" sh -c "! '$VNICTL' list --json | grep -q '\"web\"'"
	expect_eq "its VIP gone from a" "" "$(node_addrs 10.10.0.1)"
	expect_eq "its processes gone" "" "$(find "$VNI_CGROUP_ROOT" -mindepth 1 -type d)"
	expect_eq "the record left alone" "$rec" "$(ETCDCTL_API=3 on_node etcdctl --endpoints "$PEER_IP:$ETCD_PORT" get --print-value-only /vni/inst/web)"
	expect_match "the agent said so" "*fencing web: node b runs it now*" "$(cat "$T_DIR/agent-a.log")"
}

# A 3-member cluster (in the peer namespace), its leader killed during a run
# of attaches from two nodes: every attach succeeds once or fails with one
# line; afterwards the registry and both nodes agree (check clean on each).
test_a_member_killed_during_attaches() {
	local m node pids=() i leader out ok=0 failed=0 n_reg n_local
	command -v etcd >/dev/null || { echo "etcd not installed"; exit 77; }
	local cluster=m1=http://127.0.0.1:2180,m2=http://127.0.0.1:2280,m3=http://127.0.0.1:2380
	for m in 1 2 3; do
		nsenter --net="/run/netns/$PEER" etcd --name "m$m" --data-dir "$T_DIR/etcd-$m" \
			--listen-client-urls "http://$PEER_IP:2${m}79" --advertise-client-urls "http://$PEER_IP:2${m}79" \
			--listen-peer-urls "http://127.0.0.1:2${m}80" --initial-advertise-peer-urls "http://127.0.0.1:2${m}80" \
			--initial-cluster "$cluster" --initial-cluster-state new \
			--election-timeout $((500 * TF)) --heartbeat-interval $((50 * TF)) >"$T_DIR/etcd-$m.log" 2>&1 &
		pids[m]=$!
		disown "${pids[m]}" # (no job notice when it is killed)
	done
	local eps=$PEER_IP:2179,$PEER_IP:2279,$PEER_IP:2379
	until_true 20 "the cluster is up" etcd_healthy "$eps"
	export VNI_REGISTRY=etcd://$eps VNI_NODE=a
	trap 'vnictl_b down --force >/dev/null 2>&1; t_cleanup' EXIT
	vnictl pool add 10.10.0.0/26 >/dev/null || fail "pool add"
	leader=$(ETCDCTL_API=3 on_node etcdctl --endpoints "$eps" endpoint status -w json |
		json_get '[i for i, e in enumerate(d) if e["Status"]["leader"] == e["Status"]["header"]["member_id"]][0] + 1')
	for i in $(seq 30); do
		if [ $((i % 2)) = 0 ]; then node=vnictl; else node=vnictl_b; fi
		$node attach --cgroup "i$i" --vip auto >"$T_DIR/out.$i" 2>&1
		echo $? >"$T_DIR/rc.$i"
		# the leader goes after the tenth
		[ "$i" = 10 ] && kill -KILL "${pids[leader]}"
	done
	for i in $(seq 30); do
		case $(cat "$T_DIR/rc.$i") in
		0) ok=$((ok + 1)) ;;
		1) failed=$((failed + 1))
		   expect_eq "one line ($i): $(cat "$T_DIR/out.$i")" 1 "$(wc -l <"$T_DIR/out.$i")" ;;
		*) fail "attach i$i: $(cat "$T_DIR/out.$i")" ;;
		esac
	done
	echo "note: leader m$leader killed after 10 of 30 attaches: $ok succeeded, $failed failed cleanly"
	[ "$ok" -gt 10 ] || fail "no attach succeeded after the leader was killed ($ok in all)"
	out=$(vnictl check 2>&1) || fail "check on a: $out"
	out=$(vnictl_b check 2>&1) || fail "check on b: $out"
	n_reg=$(ETCDCTL_API=3 on_node etcdctl --endpoints "$eps" get --prefix /vni/inst/ --keys-only | grep -c inst/)
	n_local=$(( $(vnictl list --json | json_get 'len(d)') + $(vnictl_b list --json | json_get 'len(d)') ))
	expect_eq "registry and nodes agree" "$n_local" "$n_reg"
	expect_eq "as many as succeeded" "$ok" "$n_local"
}
etcd_healthy() { ETCDCTL_API=3 on_node etcdctl --endpoints "$1" --dial-timeout 1s endpoint health >/dev/null 2>&1; }

# Explicit AIDs in a row longer than one probe: the next automatic AID is
# found above them; a pool range is removed only by its exact ends.
test_automatic_aids_skip_taken_runs_and_ranges_match_exactly() {
	local i out
	start_etcd
	use_etcd
	vnictl pool add 10.10.0.0/24 >/dev/null || fail "pool add"
	for i in $(seq 70); do
		vnictl attach --cgroup "x$i" --vip "10.10.1.$i" --aid "$i" >/dev/null || fail "attach x$i"
	done
	expect_match "the next automatic AID" "attached y: aid 71,*" "$(vnictl_b attach --cgroup y --vip auto)"
	out=$(vnictl pool del 10.10.0.1-10.10.0.1 2>&1)
	expect_eq "part of a range" "vnictl: pool default has no range 10.10.0.1-10.10.0.1" "$out"
	expect_match "the range is still there" "*10.10.0.1-10.10.0.254*" "$(vnictl pool list)"
}
