// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/bpfobj.h"
#include "core/portreap.h"
#include "sys/util.h"

#define REAP_FILE "portreap"
#define REAP_AT 64

static void boot_id(char *buf, size_t n)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	buf[0] = '\0';
	if (f) {
		if (!fgets(buf, (int)n, f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
}

/* The listed ids of this boot (up to max) in ids; their number, or -1 when
 * the list is of another boot or unreadable (then it is started anew). */
static int read_list(const char *path, const char *boot, uint64_t *ids, int max)
{
	char line[64];
	int n = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return errno == ENOENT ? 0 : -1;
	if (!fgets(line, sizeof(line), f) || (line[strcspn(line, "\n")] = '\0', strcmp(line, boot))) {
		fclose(f);
		return -1;
	}
	while (n < max && fgets(line, sizeof(line), f))
		if (sscanf(line, "%" SCNu64, &ids[n]) == 1)
			n++;
	fclose(f);
	return n;
}

static void reap(const struct vni_node *n, const char *path, uint64_t *ids, int count)
{
	int i, k = 0;

	/* a cgroup vnictl did not make may be attached again since (the same
	 * id): its counts are the new instance's */
	for (i = 0; i < count; i++)
		if (!vni_bpf_linked(n, ids[i]))
			ids[k++] = ids[i];
	if (k > 0)
		vni_bpf_clear_ports(n, ids, (size_t)k);
	unlink(path); /* after the walk: a reap cut short is done again */
}

void vni_ports_forget(const struct vni_node *n, uint64_t cgid)
{
	char path[PATH_MAX], boot[64];
	uint64_t ids[REAP_AT * 4 + 1];
	bool ok;
	int count;
	FILE *f;

	vni_bpf_clear_wild(n, cgid);
	if (vni_path(path, sizeof(path), "%s/" REAP_FILE, n->state_dir)) {
		vni_bpf_clear_ports(n, &cgid, 1);
		return;
	}
	boot_id(boot, sizeof(boot));
	count = boot[0] ? read_list(path, boot, ids, REAP_AT * 4) : -1;
	if (count < 0) {
		unlink(path); /* another boot's ids: nothing of them is left */
		count = 0;
	}
	if (count >= REAP_AT - 1 || !boot[0]) {
		ids[count++] = cgid;
		reap(n, path, ids, count);
		return;
	}
	f = fopen(path, "ae");
	ok = f && (count > 0 || fprintf(f, "%s\n", boot) >= 0) &&
	     fprintf(f, "%" PRIu64 "\n", cgid) >= 0;
	if (f && fclose(f))
		ok = false;
	if (!ok)
		vni_bpf_clear_ports(n, &cgid, 1); /* cannot list it: reap it now */
}

void vni_ports_reap(const struct vni_node *n)
{
	char path[PATH_MAX], boot[64];
	uint64_t ids[REAP_AT * 4];
	int count;

	if (vni_path(path, sizeof(path), "%s/" REAP_FILE, n->state_dir))
		return;
	boot_id(boot, sizeof(boot));
	count = read_list(path, boot, ids, (int)(sizeof(ids) / sizeof(ids[0])));
	if (count != 0)
		reap(n, path, ids, count);
}
