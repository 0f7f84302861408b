# SPDX-License-Identifier: GPL-2.0-only
# The Debian package (make deb) installs and runs on a machine that did not
# build it: the VM, whose root is this machine's, read-only under a
# throwaway overlay, so the install goes nowhere.

test_package_installs_and_runs() {
	local deb srv
	# it installs the package: only where the root is a throwaway overlay
	[ -d /vmout ] || { echo "runs in the VM only (tools/vmrun.sh)"; exit 77; }
	deb=$(ls "$TOP"/build/deb/vni_*_amd64.deb 2>/dev/null | head -n 1)
	[ -n "$deb" ] || { echo "no package built ('make deb'; 'make test' builds it)"; exit 77; }
	dpkg -s vni >/dev/null 2>&1 && fail "vni is installed already"
	trap 'apt-get remove -y -q vni >/dev/null 2>&1; t_cleanup' EXIT
	# the man-db trigger takes minutes under TCG; this root is a throwaway overlay
	rm -f /var/lib/man-db/auto-update
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$deb" \
		>"$T_DIR/apt.log" 2>&1 || fail "apt-get install $deb: $(tail -n 3 "$T_DIR/apt.log")"
	expect_eq "installed vnictl" "vnictl 0.1.0" "$(/usr/sbin/vnictl --version)"
	local f
	for f in /usr/share/man/man8/vnictl.8.gz /usr/share/man/man5/vni.conf.5.gz \
		/usr/share/bash-completion/completions/vnictl \
		/lib/systemd/system/vni.service /lib/systemd/system/vni@.service \
		/lib/systemd/system/vni-agent.service \
		/usr/share/doc/vni/examples/web.conf \
		"/usr/lib/$(gcc -print-multiarch)/libnss_vni.so.2" /usr/share/doc/vni/copyright \
		/etc/iproute2/rt_protos.d/vni.conf; do
		[ -f "$f" ] || fail "$f not installed"
	done
	expect_eq "units run the packaged vnictl" "ExecStart=/usr/sbin/vnictl start --in-unit --cgroup %i" \
		"$(grep '^ExecStart=' /lib/systemd/system/vni@.service)"
	# the packaged vnictl runs an instance, and its NSS module resolves the
	# instance's name, also for an unprivileged user
	VNICTL=/usr/sbin/vnictl
	vnictl attach --cgroup web --vip 10.10.0.1 >/dev/null || fail "attach with the packaged vnictl"
	start_bg srv probe_inst web listen 0.0.0.0 8080
	expect_eq "wildcard listener on the VIP" "BOUND 10.10.0.1:8080" "$(read_line "$srv")"
	expect_match "peer reaches it" "*REPLY OK*" "$(probe_peer connect 10.10.0.1 8080)"
	expect_eq "ip(8) names the VIP's route" "local 10.10.0.1 dev lo proto vni scope host" \
		"$(on_node ip -4 route show table local root 10.10.0.1 | sed 's/ *$//')"
	printf 'hosts: files vni dns\n' >"$T_DIR/nsswitch.conf"
	expect_eq "the packaged NSS module, as nobody" "10.10.0.1" \
		"$(on_node unshare -m sh -c 'mount --bind "$0" /etc/nsswitch.conf && exec "$@"' \
			"$T_DIR/nsswitch.conf" setpriv --reuid 65534 --regid 65534 --clear-groups \
			env VNI_HOSTS_FILE="$VNI_HOSTS_FILE" getent ahostsv4 vni-10-10-0-1 | awk 'NR == 1 { print $1 }')"
	vnictl down --force >/dev/null || fail "down"
	apt-get remove -y -q vni >"$T_DIR/apt.log" 2>&1 || fail "apt-get remove"
	[ -e /usr/sbin/vnictl ] && fail "vnictl left after remove"
	return 0
}
