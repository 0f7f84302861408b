/* SPDX-License-Identifier: GPL-2.0-only */
/* What the C benchmarks share (attach_bench.c, mem_bench.c): kernel memory,
 * and the node named by the VNI_* environment variables, as vnictl takes it. */
#ifndef VNI_BENCH_UTIL_H
#define VNI_BENCH_UTIL_H

#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>

#include "core/node.h"

/* Slab + Percpu from /proc/meminfo, in kB: where BPF maps, links and
 * cgroups live. */
static inline long kernel_kb(void)
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

/* The node's paths, registry and name from VNI_CGROUP_ROOT, VNI_BPFFS,
 * VNI_STATE_DIR, VNI_HOSTS_FILE, VNI_REGISTRY, VNI_NODE (unset: defaults). */
static inline void node_from_env(struct vni_node *node)
{
	static const struct {
		const char *env;
		size_t off, len;
	} vars[] = {
#define VAR(e, f) { e, offsetof(struct vni_node, f), sizeof(((struct vni_node *)0)->f) }
		VAR("VNI_CGROUP_ROOT", cgroup_root), VAR("VNI_BPFFS", bpffs),
		VAR("VNI_STATE_DIR", state_dir),     VAR("VNI_HOSTS_FILE", hosts_file),
		VAR("VNI_REGISTRY", registry),       VAR("VNI_NODE", node_name),
#undef VAR
	};
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (getenv(vars[i].env))
			snprintf((char *)node + vars[i].off, vars[i].len, "%s", getenv(vars[i].env));
}

#endif
