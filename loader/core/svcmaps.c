// SPDX-License-Identifier: GPL-2.0-only
/* The BPF maps of service addresses (see svcmaps.h). */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/bpfobj.h"
#include "core/svcmaps.h"
#include "sys/util.h"
#include "vni_iter.skel.h"

void vni_svc_key(struct vni_svc_key *k, uint64_t netns, const struct vni_addr *a, uint16_t port,
		 uint8_t proto)
{
	memset(k, 0, sizeof(*k));
	k->netns_cookie = netns;
	k->family = (uint32_t)a->family;
	memcpy(k->addr, a->a, a->family == AF_INET ? 4 : 16);
	k->port = port;
	k->proto = proto;
}

void vni_svc_member_key(struct vni_svc_member_key *k, uint64_t cgid, uint16_t port,
			uint8_t proto, int family)
{
	memset(k, 0, sizeof(*k));
	k->cgid = cgid;
	k->port = port;
	k->proto = proto;
	k->family = (uint8_t)family;
}

/* The map's fd, for one call (closed by the caller). */
static int fd_of(const struct vni_node *n, const char *map, char *err)
{
	return vni_bpf_map_fd(n, map, err);
}

static int put(const struct vni_node *n, const char *map, const void *k, const void *v,
	       char *err)
{
	int fd = fd_of(n, map, err), ret;

	if (fd < 0)
		return fd;
	ret = bpf_map_update_elem(fd, k, v, BPF_ANY) ? -errno : 0;
	close(fd);
	return ret ? vni_err(err, ret, "cannot write %s: %s", map, strerror(-ret)) : 0;
}

static int get(const struct vni_node *n, const char *map, const void *k, void *v)
{
	int fd = fd_of(n, map, NULL), ret;

	if (fd < 0)
		return fd;
	ret = bpf_map_lookup_elem(fd, k, v) ? (errno == ENOENT ? 0 : -errno) : 1;
	close(fd);
	return ret;
}

static void del(const struct vni_node *n, const char *map, const void *k)
{
	int fd = fd_of(n, map, NULL);

	if (fd >= 0) {
		bpf_map_delete_elem(fd, k);
		close(fd);
	}
}

int vni_bpf_svc_put(const struct vni_node *n, const struct vni_svc_key *k,
		    const struct vni_svc_val *v, char *err)
{
	return put(n, "vni_svcs", k, v, err);
}

int vni_bpf_svc_get(const struct vni_node *n, const struct vni_svc_key *k, struct vni_svc_val *v)
{
	return get(n, "vni_svcs", k, v);
}

void vni_bpf_svc_del(const struct vni_node *n, const struct vni_svc_key *k)
{
	del(n, "vni_svcs", k);
}

/* vni_svcn = the number of member entries, counted (not kept by +1/-1: a
 * vnictl killed between the two would leave it wrong for good). */
static void recount(const struct vni_node *n)
{
	struct vni_svc_member_key k, next;
	int fd = fd_of(n, "vni_svc_members", NULL);
	uint64_t count = 0;
	uint32_t zero = 0;
	void *prev = NULL;

	if (fd < 0)
		return;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		count++;
		k = next;
		prev = &k;
	}
	close(fd);
	put(n, "vni_svcn", &zero, &count, NULL);
}

int vni_bpf_svc_member_put(const struct vni_node *n, const struct vni_svc_member_key *k,
			   const struct vni_svc_member *m, char *err)
{
	int ret = put(n, "vni_svc_members", k, m, err);

	recount(n);
	return ret;
}

int vni_bpf_svc_member_get(const struct vni_node *n, const struct vni_svc_member_key *k,
			   struct vni_svc_member *m)
{
	return get(n, "vni_svc_members", k, m);
}

void vni_bpf_svc_member_del(const struct vni_node *n, const struct vni_svc_member_key *k)
{
	del(n, "vni_svc_members", k);
	recount(n);
}

static uint32_t slot_index(uint32_t id, uint32_t slot)
{
	return id * VNI_SVC_MAX_MEMBERS + slot;
}

int vni_bpf_svc_slot_put(const struct vni_node *n, uint32_t id, uint32_t slot, uint64_t cgid,
			 char *err)
{
	uint32_t i = slot_index(id, slot);
	struct vni_svc_slot s = {};

	if (get(n, "vni_svc_slots", &i, &s) == 1 && s.cgid == cgid)
		return 0;
	s.cgid = cgid;
	s.dispatched = 0;
	return put(n, "vni_svc_slots", &i, &s, err);
}

int vni_bpf_svc_slot_get(const struct vni_node *n, uint32_t id, uint32_t slot,
			 struct vni_svc_slot *out)
{
	uint32_t i = slot_index(id, slot);

	memset(out, 0, sizeof(*out));
	return get(n, "vni_svc_slots", &i, out);
}

void vni_bpf_svc_slot_clear(const struct vni_node *n, uint32_t id, uint32_t slot)
{
	struct vni_svc_sock_key k = { .id = id, .slot = (uint16_t)slot };
	uint32_t i = slot_index(id, slot);
	struct vni_svc_slot s = {};

	for (k.sub = 0; k.sub < VNI_SVC_SUBS; k.sub++)
		del(n, "vni_svc_socks", &k);
	put(n, "vni_svc_slots", &i, &s, NULL);
}

int vni_bpf_svc_slot_socks(const struct vni_node *n, uint32_t id, uint32_t slot)
{
	struct vni_svc_sock_key k = { .id = id, .slot = (uint16_t)slot };
	int fd = fd_of(n, "vni_svc_socks", NULL), count = 0;
	uint64_t cookie;

	if (fd < 0)
		return fd;
	for (k.sub = 0; k.sub < VNI_SVC_SUBS; k.sub++)
		count += !bpf_map_lookup_elem(fd, &k, &cookie);
	close(fd);
	return count;
}

void vni_bpf_svc_drop_cgid(const struct vni_node *n, uint64_t cgid)
{
	struct vni_svc_member_key k, next;
	struct vni_svc_member m;
	int fd = fd_of(n, "vni_svc_members", NULL);
	void *prev = NULL;
	bool dropped = false;

	if (fd < 0)
		return;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (next.cgid == cgid && !bpf_map_lookup_elem(fd, &next, &m)) {
			/* first out of the members: a listen from now on stays out */
			bpf_map_delete_elem(fd, &next);
			vni_bpf_svc_slot_clear(n, m.id, m.slot);
			dropped = true;
			continue; /* the key after prev is the next to see */
		}
		k = next;
		prev = &k;
	}
	close(fd);
	if (dropped)
		recount(n);
}

int vni_bpf_svc_fill(const struct vni_node *n, uint8_t proto, uint64_t *added, char *err)
{
	char maps[4096];
	struct vni_iter_bpf *skel;
	struct bpf_link *link = NULL;
	char buf[64];
	int fd = -1, ret;

	*added = 0;
	if (vni_path(maps, sizeof(maps), "%s/maps", n->bpffs))
		return vni_err(err, -ENAMETOOLONG, "bpffs path too long");
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = maps);
	skel = vni_iter_bpf__open_opts(&opts);
	if (!skel)
		return vni_err(err, -errno, "cannot open the socket iterators: %s", strerror(errno));
	ret = vni_iter_bpf__load(skel);
	if (ret) {
		vni_err(err, ret, "cannot load the socket iterators: %s (kernel without BPF iterators?)",
			strerror(-ret));
		goto out;
	}
	link = bpf_program__attach_iter(proto == IPPROTO_UDP ? skel->progs.vni_svc_udp :
							       skel->progs.vni_svc_tcp, NULL);
	fd = link ? bpf_iter_create(bpf_link__fd(link)) : -1;
	if (fd < 0) {
		ret = vni_err(err, -errno, "cannot run the socket iterator: %s", strerror(errno));
		goto out;
	}
	while ((ret = (int)read(fd, buf, sizeof(buf))) > 0)
		;
	if (ret < 0)
		ret = vni_err(err, -errno, "the socket iterator failed: %s", strerror(errno));
	else
		*added = skel->bss->vni_added;
out:
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(link);
	vni_iter_bpf__destroy(skel);
	return ret;
}
