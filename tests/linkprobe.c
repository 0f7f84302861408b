// SPDX-License-Identifier: GPL-2.0-only
/*
 * linkprobe - whether a cgroup link whose pin is removed still has its
 * program attached the moment the removal returns (sys/bpflink.h).
 *
 *   linkprobe CGROUP PIN unpin|unlink ROUNDS
 *
 * Each round links a program that allows everything to CGROUP's bind4
 * hook, pins the link at PIN, closes its fd, removes the pin (unpin: the
 * library's vni_unpin_link; unlink: unlink(2) alone, as before it) and asks
 * the kernel at once which programs CGROUP has there; then waits until
 * there are none before the next round. Prints "attached_after=K
 * rounds=N": in K rounds the program was still attached.
 * Exit status: 0, 1 on a failure of the probe itself, 2 usage.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "sys/bpflink.h"

static unsigned attached(int cg_fd)
{
	__u32 ids[8], cnt = 8;

	if (bpf_prog_query(cg_fd, BPF_CGROUP_INET4_BIND, 0, NULL, ids, &cnt))
		return 0;
	return cnt;
}

int main(int argc, char **argv)
{
	const struct bpf_insn allow[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_CGROUP_INET4_BIND);
	int cg_fd, prog, rounds, r, w, after = 0;
	bool unpin;

	if (argc != 5 || (strcmp(argv[3], "unpin") && strcmp(argv[3], "unlink")) ||
	    (rounds = atoi(argv[4])) <= 0) {
		fprintf(stderr, "usage: linkprobe CGROUP PIN unpin|unlink ROUNDS\n");
		return 2;
	}
	unpin = !strcmp(argv[3], "unpin");
	cg_fd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	prog = bpf_prog_load(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, "linkprobe", "GPL", allow, 2, &o);
	if (cg_fd < 0 || prog < 0) {
		perror("linkprobe: cgroup or program");
		return 1;
	}
	for (r = 0; r < rounds; r++) {
		int link = bpf_link_create(prog, cg_fd, BPF_CGROUP_INET4_BIND, NULL);

		if (link < 0 || bpf_obj_pin(link, argv[2])) {
			perror("linkprobe: link");
			return 1;
		}
		close(link);
		if (unpin)
			vni_unpin_link(argv[2]);
		else
			unlink(argv[2]);
		if (attached(cg_fd))
			after++;
		for (w = 0; w < 2000 && attached(cg_fd); w++)
			usleep(1000);
		if (attached(cg_fd)) {
			fprintf(stderr, "linkprobe: the program stayed attached\n");
			return 1;
		}
	}
	printf("attached_after=%d rounds=%d\n", after, rounds);
	return 0;
}
