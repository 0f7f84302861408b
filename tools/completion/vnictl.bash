# SPDX-License-Identifier: GPL-2.0-only
# bash completion for vnictl
_vnictl_instances() {
	vnictl list --json 2>/dev/null | sed -n 's/^ *"name":"\([^"]*\)".*/\1/p'
}

_vnictl() {
	local cur prev cmd i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--cgroup-root | --bpffs | --state-dir | --hosts-file | --registry | --node) ((i++)) ;;
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	case $prev in
	--cgroup | --instance)
		COMPREPLY=($(compgen -W "$(_vnictl_instances)" -- "$cur"))
		return ;;
	--dir | --conf | --cgroup-root | --bpffs | --state-dir | --hosts-file)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--dev)
		COMPREPLY=($(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur"))
		return ;;
	--user)
		COMPREPLY=($(compgen -u -- "$cur"))
		return ;;
	--cap-add | --cap-drop) # capabilities(7)
		COMPREPLY=($(compgen -W "ALL CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE" -- "${cur^^}"))
		return ;;
	esac
	case $cmd in
	"") COMPREPLY=($(compgen -W "init attach apply run detach list show stats monitor check sync checkpoint restore clone start stop service pool agent farm down help --cgroup-root --bpffs --state-dir --hosts-file --registry --node --version" -- "$cur")) ;;
	apply) COMPREPLY=($(compgen -W "-f --file --dry-run --force" -- "$cur")) ;;
	attach) COMPREPLY=($(compgen -W "--cgroup --vip --hostname --aid --dev --allow-raw --loopback --pid" -- "$cur")) ;;
	run) COMPREPLY=($(compgen -W "--cgroup --user --userns --cap-add --cap-drop --keep-net-caps --map --" -- "$cur")) ;;
	detach) COMPREPLY=($(compgen -W "--cgroup --force" -- "$cur")) ;;
	list | check) COMPREPLY=($(compgen -W "--json" -- "$cur")) ;;
	sync) COMPREPLY=($(compgen -W "--json --boot" -- "$cur")) ;;
	start) COMPREPLY=($(compgen -W "--cgroup --conf --in-unit" -- "$cur")) ;;
	stop) COMPREPLY=($(compgen -W "--cgroup --in-unit" -- "$cur")) ;;
	pool) COMPREPLY=($(compgen -W "add del list --pool --json" -- "$cur")) ;;
	service) COMPREPLY=($(compgen -W "add del add-member del-member list show --name --addr --proto --dev --instance --json" -- "$cur")) ;;
	agent) COMPREPLY=($(compgen -W "--ttl" -- "$cur")) ;;
	farm) COMPREPLY=($(compgen -W "--json" -- "$cur")) ;;
	show | stats | monitor) COMPREPLY=($(compgen -W "--cgroup --json" -- "$cur")) ;;
	checkpoint) COMPREPLY=($(compgen -W "--cgroup --dir --leave-running --tcp-established --template" -- "$cur")) ;;
	clone) COMPREPLY=($(compgen -W "--dir --cgroup --vip --hostname --aid --count" -- "$cur")) ;;
	restore) COMPREPLY=($(compgen -W "--dir --cgroup" -- "$cur")) ;;
	down) COMPREPLY=($(compgen -W "--force" -- "$cur")) ;;
	esac
}
complete -F _vnictl vnictl
