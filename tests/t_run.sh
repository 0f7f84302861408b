# SPDX-License-Identifier: GPL-2.0-only
# vnictl run: the launcher (namespaces, hostname, init, signals, capabilities).

attach_web() {
	vnictl attach --cgroup web --vip 10.10.0.1 "$@" >/dev/null || fail "attach web"
}

test_hostname_inside_and_outside() {
	local before
	before=$(on_node hostname)
	attach_web
	expect_eq "hostname" "vni-10-10-0-1" "$(vnictl run --cgroup web -- hostname)"
	expect_eq "uname -n" "vni-10-10-0-1" "$(vnictl run --cgroup web -- uname -n)"
	expect_eq "gethostname()" "vni-10-10-0-1" \
		"$(vnictl run --cgroup web -- python3 -c 'import socket; print(socket.gethostname())')"
	expect_eq "node hostname unchanged" "$before" "$(on_node hostname)"
	vnictl attach --cgroup api --vip 10.10.0.2 --hostname api.example.org >/dev/null || fail "attach api"
	expect_eq "explicit hostname" "api.example.org" "$(vnictl run --cgroup api -- hostname)"
}

# /run/vni/instance: what the application reads about its instance, on a
# tmpfs of the instance's own (the node sees no mount there).
test_instance_identity_file() {
	attach_web
	vnictl attach --cgroup api --vip 10.10.0.2 --vip 2001:db8:10::2 --hostname api.example.org >/dev/null ||
		fail "attach api"
	expect_eq "web's" "name=web aid=1 hostname=vni-10-10-0-1 vip4=10.10.0.1 vip6= template=" \
		"$(vnictl run --cgroup web -- cat /run/vni/instance | tr '\n' ' ' | sed 's/ $//')"
	expect_eq "api's" "name=api aid=2 hostname=api.example.org vip4=10.10.0.2 vip6=2001:db8:10::2 template=" \
		"$(vnictl run --cgroup api -- cat /run/vni/instance | tr '\n' ' ' | sed 's/ $//')"
	expect_eq "a tmpfs of its own" "tmpfs" "$(vnictl run --cgroup web -- findmnt -n -o FSTYPE /run/vni)"
	expect_eq "the node has no mount there" "" "$(findmnt -n /run/vni)"
}

test_pid_namespace_and_fresh_proc() {
	attach_web
	expect_eq "PID 1 is vni's init" "vni-init" "$(vnictl run --cgroup web -- cat /proc/1/comm)"
	expect_eq "the application is PID 2" "2" "$(vnictl run --cgroup web -- sh -c 'echo $$')"
	# ps sees the instance's processes only: init and ps itself
	expect_eq "ps inside" "1 vni-init 2 ps" "$(vnictl run --cgroup web -- ps -e -o pid=,comm= | tr -s ' \n' '  ' | sed 's/^ //; s/ $//')"
	expect_eq "in the instance cgroup (the root of its cgroup namespace)" "0::/" "$(vnictl run --cgroup web -- grep "^0::" /proc/self/cgroup)"
}

test_sockets_of_launched_app_use_the_vip() {
	local srv
	attach_web
	peer_server srv 0.0.0.0 7000
	expect_match "connect" "LOCAL 10.10.0.1:*" "$(vnictl run --cgroup web -- "$PROBE" -t 5 connect $PEER_IP 7000 | head -n 1)"
	expect_eq "peer sees the VIP" "PEER 10.10.0.1" "$(read_line "$srv" | sed 's/:[0-9]*$//')"
}

test_application_chain_talks_over_the_vip() {
	local out
	attach_web
	# a server and a client in one instance: the client reaches the server at
	# the VIP and the server sees the client coming from the VIP
	out=$(vnictl run --cgroup web -- sh -c '
		"$0" -t 10 listen -R /tmp/ready.$$ 0.0.0.0 8080 > /tmp/srv.$$ &
		i=0; while [ ! -e /tmp/ready.$$ ] && [ $i -lt 100 ]; do i=$((i+1)); sleep 0.05; done
		"$0" -t 5 connect 10.10.0.1 8080 > /dev/null; wait
		cat /tmp/srv.$$; rm -f /tmp/ready.$$ /tmp/srv.$$' "$PROBE")
	expect_match "server bound to the VIP" "BOUND 10.10.0.1:8080*" "$out"
	expect_match "client came from the VIP" "*PEER 10.10.0.1:*" "$out"
}

test_ipc_namespaces_are_separate() {
	local web
	attach_web
	vnictl attach --cgroup api --vip 10.10.0.2 >/dev/null || fail "attach api"
	start_bg web vnictl run --cgroup web -- sh -c 'ipcmk -S 1 >/dev/null && ipcs -s | grep -c "^0x" && exec sleep 30'
	expect_eq "semaphore in web" "1" "$(read_line "$web")"
	expect_eq "semaphores seen from api" "0" "$(vnictl run --cgroup api -- sh -c 'ipcs -s | grep -c "^0x"')"
	expect_eq "semaphores seen from the node" "0" "$(on_node ipcs -s | grep -c '^0x')"
}

test_exit_status_and_signals() {
	local app pid
	attach_web
	vnictl run --cgroup web -- sh -c 'exit 7'
	expect_eq "exit code" 7 $?
	vnictl run --cgroup web -- sh -c 'kill -TERM $$'
	expect_eq "killed by SIGTERM" 143 $?
	# a signal to vnictl reaches the application (through init)
	start_bg app sh -c 'vnictl_status() { "$@"; echo "STATUS $?"; }; vnictl_status "$0" run --cgroup web -- sh -c "trap \"echo GOT-HUP; exit 3\" HUP; echo ready; while :; do sleep 0.1; done"' "$VNICTL"
	expect_eq "app ready" "ready" "$(read_line "$app")"
	pid=$(pgrep -n -x vnictl) || fail "no vnictl process"
	kill -HUP "$pid"
	expect_eq "app got SIGHUP" "GOT-HUP" "$(read_line "$app")"
	expect_eq "its exit code" "STATUS 3" "$(read_line "$app")"
	start_bg app sh -c '"$0" run --cgroup web -- sh -c "echo ready; exec sleep 30"; echo "STATUS $?"' "$VNICTL"
	expect_eq "app ready" "ready" "$(read_line "$app")"
	pid=$(pgrep -n -x vnictl) || fail "no vnictl process"
	kill -INT "$pid"
	expect_eq "SIGINT forwarded" "STATUS 130" "$(read_line "$app")"
}

test_orphans_are_reaped() {
	attach_web
	# the app leaves an orphan that exits; init reaps it (no zombie remains)
	expect_eq "zombies" "0" "$(vnictl run --cgroup web -- sh -c '(sh -c "exit 0" &) ; sleep 0.3; ps -e -o stat= | grep -c Z')"
}

test_capabilities_and_user() {
	attach_web --allow-raw # so that only the capabilities stand in the way
	expect_eq "packet socket without CAP_NET_RAW" "ERR EPERM" "$(vnictl run --cgroup web -- "$PROBE" socket packet)"
	expect_eq "no CAP_NET_ADMIN: address changes refused" "refused" \
		"$(vnictl run --cgroup web -- sh -c 'ip addr add 10.10.0.99/32 dev lo 2>/dev/null && echo added || echo refused')"
	expect_eq "--keep-net-caps" "OK" "$(vnictl run --cgroup web --keep-net-caps -- "$PROBE" socket packet)"
	expect_eq "--user" "65534 BOUND 10.10.0.1:8080" \
		"$(vnictl run --cgroup web --user nobody -- sh -c 'printf "%s " $(id -u); exec "$0" bind 0.0.0.0 8080' "$(for_anyone "$PROBE")")"
}

test_run_refuses_bad_input() {
	attach_web
	expect_eq "unknown instance" "vnictl: no instance named 'nope' 1" "$(vnictl run --cgroup nope -- true 2>&1 | tr -d '\n'; echo " ${PIPESTATUS[0]}")"
	expect_eq "missing command" "vnictl: run needs a command (see 'vnictl help') 2" "$(vnictl run --cgroup web 2>&1 | tr -d '\n'; echo " ${PIPESTATUS[0]}")"
	expect_eq "unknown command" "vnictl: command 'no-such-command' not found 1" "$(vnictl run --cgroup web -- no-such-command 2>&1 | tr -d '\n'; echo " ${PIPESTATUS[0]}")"
	expect_eq "unknown user" "vnictl: unknown user 'no-such-user' 1" "$(vnictl run --cgroup web --user no-such-user -- true 2>&1 | tr -d '\n'; echo " ${PIPESTATUS[0]}")"
	expect_eq "nothing left running in the instance" "" "$(cat "$VNI_CGROUP_ROOT/web/cgroup.procs")"
}

test_interactive_shell_in_tmux() {
	local sess=$T_ID-tmux i screen=""
	attach_web
	tmux new-session -d -s "$sess" -x 120 -y 20 \
		"VNI_CGROUP_ROOT=$VNI_CGROUP_ROOT VNI_BPFFS=$VNI_BPFFS VNI_STATE_DIR=$VNI_STATE_DIR nsenter --net=/run/netns/$NODE $VNICTL run --cgroup web -- env PS1='vni\$ ' sh -i; echo EXITED \$?; sleep 5" ||
		fail "tmux"
	for i in $(seq 100); do
		screen=$(tmux capture-pane -p -t "$sess")
		[[ $screen == *'vni$'* ]] && break
		sleep 0.05
	done
	expect_match "prompt" "*vni\$*" "$screen"
	tmux send-keys -t "$sess" 'hostname' Enter
	tmux send-keys -t "$sess" 'exit 4' Enter
	for i in $(seq 100); do
		screen=$(tmux capture-pane -p -t "$sess")
		[[ $screen == *EXITED* ]] && break
		sleep 0.05
	done
	tmux kill-session -t "$sess" 2>/dev/null
	expect_match "hostname typed at the prompt" "*vni-10-10-0-1*" "$screen"
	expect_match "clean exit with the shell's status" "*EXITED 4*" "$screen"
}
