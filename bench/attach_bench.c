// SPDX-License-Identifier: GPL-2.0-only
/*
 * Attach cost at scale: attaches N instances through the loader library (the
 * work 'vnictl attach' does, without process start-up) and prints the time
 * per attach and the kernel memory it took. Node paths, the registry and the
 * node's name come from the VNI_* environment variables, as for vnictl.
 *   attach_bench N [FIRST]   instances bench-FIRST.. with VIPs 10.200.x.y
 * Output: one line, KEY=VALUE pairs.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/instance.h"
#include "core/ops.h"
#include "sys/util.h"

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* Slab + Percpu from /proc/meminfo, in kB: where BPF maps, links and
 * cgroups live. */
static long kernel_kb(void)
{
	char line[256];
	long v, sum = 0;
	FILE *f = fopen("/proc/meminfo", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld", &v) == 1 || sscanf(line, "Percpu: %ld", &v) == 1)
			sum += v;
	if (f)
		fclose(f);
	return sum;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 0, first = argc > 2 ? atoi(argv[2]) : 1, i;
	struct vni_node node = {};
	char err[VNI_ERRLEN], name[32], vip[32];
	double *t, total = 0;
	long before, after;

	if (n <= 0 || first <= 0 || first + n > 60000) {
		fprintf(stderr, "usage: attach_bench N [FIRST] (FIRST+N <= 60000)\n");
		return 2;
	}
	if (getenv("VNI_CGROUP_ROOT"))
		snprintf(node.cgroup_root, sizeof(node.cgroup_root), "%s", getenv("VNI_CGROUP_ROOT"));
	if (getenv("VNI_BPFFS"))
		snprintf(node.bpffs, sizeof(node.bpffs), "%s", getenv("VNI_BPFFS"));
	if (getenv("VNI_STATE_DIR"))
		snprintf(node.state_dir, sizeof(node.state_dir), "%s", getenv("VNI_STATE_DIR"));
	if (getenv("VNI_HOSTS_FILE"))
		snprintf(node.hosts_file, sizeof(node.hosts_file), "%s", getenv("VNI_HOSTS_FILE"));
	if (getenv("VNI_REGISTRY"))
		snprintf(node.registry, sizeof(node.registry), "%s", getenv("VNI_REGISTRY"));
	if (getenv("VNI_NODE"))
		snprintf(node.node_name, sizeof(node.node_name), "%s", getenv("VNI_NODE"));
	if (vni_node_resolve(&node, err) || vni_init(&node, err)) {
		fprintf(stderr, "attach_bench: %s\n", err);
		return 1;
	}
	t = calloc((size_t)n, sizeof(*t));
	before = kernel_kb();
	for (i = 0; i < n; i++) {
		struct vni_attach_req req = { .name = name };
		int k = first + i;
		double t0;

		snprintf(name, sizeof(name), "bench-%d", k);
		snprintf(vip, sizeof(vip), "10.200.%d.%d", k / 250, k % 250 + 1);
		if (vni_parse_vip(vip, &req.vip4, err))
			return 1;
		t0 = now_us();
		if (vni_attach(&node, &req, NULL, err)) {
			fprintf(stderr, "attach_bench: %s: %s\n", name, err);
			return 1;
		}
		t[i] = now_us() - t0;
		total += t[i];
	}
	after = kernel_kb();
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("n=%d mean_us=%.0f p50_us=%.0f p99_us=%.0f kernel_kb=%ld kb_per_instance=%.1f\n", n,
	       total / n, t[n / 2], t[(int)(n * 0.99)], after - before,
	       (double)(after - before) / n);
	free(t);
	return 0;
}
