/* SPDX-License-Identifier: GPL-2.0-only */
/* The benchmarks' measure of kernel memory (attach_bench.c, mem_bench.c). */
#ifndef VNI_BENCH_KMEM_H
#define VNI_BENCH_KMEM_H

#include <stdio.h>

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

#endif
