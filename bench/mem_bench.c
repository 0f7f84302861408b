// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kernel memory per instance, by part: N empty cgroups made, then the
 * instance programs linked to each (bpf_links, the cgroups' effective
 * program arrays, the cgroup storage of the record and counters), then
 * each instance's map entries written (record, owner entries of its VIP and
 * private addresses); and what the pinned maps take whatever the number of
 * instances (memlock of each, from fdinfo). Slab + Percpu from
 * /proc/meminfo, as attach_bench. Node paths from the VNI_* environment
 * variables, as for vnictl; everything made is removed at the end.
 *   mem_bench N
 * Output: one line, KEY=VALUE pairs (kB per instance; maps_kb in total).
 */
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bpfobj.h"
#include "sys/util.h"
#include "bench_util.h"
#include "core/node.h"
#include "core/ops.h"
#include "core/validate.h"

/* Memory charged to the pinned maps (fdinfo's memlock), in kB. */
static long maps_kb(const char *bpffs)
{
	char dir[PATH_MAX], path[PATH_MAX + 256], line[256];
	long long sum = 0, v;
	struct dirent *e;
	DIR *d;

	if (snprintf(dir, sizeof(dir), "%s/maps", bpffs) >= (int)sizeof(dir))
		return -1;
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		int fd;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
		f = fopen(path, "re");
		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "memlock: %lld", &v) == 1)
				sum += v;
		if (f)
			fclose(f);
		close(fd);
	}
	if (d)
		closedir(d);
	return (long)(sum / 1024);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 0, i, ret = 0;
	struct vni_node node = {};
	char err[VNI_ERRLEN], path[PATH_MAX + 32];
	uint64_t *cgid;
	long kb[4];

	if (n <= 0 || n > 60000) {
		fprintf(stderr, "usage: mem_bench N (N <= 60000)\n");
		return 2;
	}
	node_from_env(&node);
	if (vni_node_resolve(&node, err) || vni_init(&node, err)) {
		fprintf(stderr, "mem_bench: %s\n", err);
		return 1;
	}
	cgid = calloc((size_t)n, sizeof(*cgid));
	if (!cgid)
		return 1;
	mkdir(node.cgroup_root, 0755);
	kb[0] = kernel_kb();
	for (i = 0; i < n && !ret; i++) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/mem-%d", node.cgroup_root, i);
		if (mkdir(path, 0755) || stat(path, &st)) {
			fprintf(stderr, "mem_bench: %s: %s\n", path, strerror(errno));
			ret = 1;
		}
		cgid[i] = st.st_ino; /* a cgroup2 directory's inode number is its id */
	}
	kb[1] = kernel_kb();
	for (i = 0; i < n && !ret; i++) {
		snprintf(path, sizeof(path), "%s/mem-%d", node.cgroup_root, i);
		if (vni_bpf_link_instance(&node, path, cgid[i], VNI_F_V4, err)) {
			fprintf(stderr, "mem_bench: %s\n", err);
			ret = 1;
		}
	}
	kb[2] = kernel_kb();
	for (i = 0; i < n && !ret; i++) {
		struct vni_inst rec = { .aid = 50000 + i, .flags = VNI_F_V4, .cgid = cgid[i] };
		struct vni_vip_owner o = { .aid = rec.aid, .cgid = cgid[i] };
		struct vni_addr a = { .family = AF_INET, .a = { 10, 201, i / 250, i % 250 + 1 } };
		struct vni_addr p4 = { .family = AF_INET, .a = { 127, 200, i / 250, i % 250 + 1 } };
		struct vni_addr p6 = { .family = AF_INET6, .a = { 0xfd, 0x76, [14] = i >> 8, i } };

		if (vni_bpf_set_instance(&node, cgid[i], &rec, true, err) ||
		    vni_bpf_vip_add(&node, 1, &a, &o, err) || vni_bpf_vip_add(&node, 1, &p4, &o, err) ||
		    vni_bpf_vip_add(&node, 1, &p6, &o, err)) {
			fprintf(stderr, "mem_bench: %s\n", err);
			ret = 1;
		}
	}
	kb[3] = kernel_kb();
	if (!ret)
		printf("n=%d cgroup_kb=%.2f links_kb=%.2f entries_kb=%.2f maps_kb=%ld\n", n,
		       (double)(kb[1] - kb[0]) / n, (double)(kb[2] - kb[1]) / n,
		       (double)(kb[3] - kb[2]) / n, maps_kb(node.bpffs));
	for (i = 0; i < n; i++) {
		struct vni_addr a = { .family = AF_INET, .a = { 10, 201, i / 250, i % 250 + 1 } };
		struct vni_addr p4 = { .family = AF_INET, .a = { 127, 200, i / 250, i % 250 + 1 } };
		struct vni_addr p6 = { .family = AF_INET6, .a = { 0xfd, 0x76, [14] = i >> 8, i } };

		vni_bpf_vip_del(&node, 1, &a);
		vni_bpf_vip_del(&node, 1, &p4);
		vni_bpf_vip_del(&node, 1, &p6);
		vni_bpf_clear_instance(&node, cgid[i]);
		vni_bpf_unlink_instance(&node, cgid[i]);
		snprintf(path, sizeof(path), "%s/mem-%d", node.cgroup_root, i);
		rmdir(path);
	}
	free(cgid);
	return ret;
}
