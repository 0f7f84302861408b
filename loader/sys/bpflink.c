// SPDX-License-Identifier: GPL-2.0-only
#include <ftw.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "sys/bpflink.h"

void vni_unpin_link(const char *path)
{
	int fd = bpf_obj_get(path);

	/* the pin first: a crash between leaves the link as a plain unlink
	 * would (our reference goes with the process), never a pin whose
	 * link is detached, which would look linked */
	unlink(path);
	if (fd >= 0) {
		bpf_link_detach(fd);
		close(fd);
	}
}

static int remove_one(const char *p, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(p);
	else if (type == FTW_F)
		vni_unpin_link(p);
	else
		unlink(p);
	return 0;
}

void vni_remove_links(const char *dir)
{
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}
