// SPDX-License-Identifier: GPL-2.0-only
#include <unistd.h>

#include <bpf/bpf.h>

#include "sys/bpflink.h"
#include "sys/util.h"

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

void vni_remove_links(const char *dir)
{
	vni_remove_tree_by(dir, vni_unpin_link);
}
