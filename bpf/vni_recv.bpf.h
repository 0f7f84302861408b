/* SPDX-License-Identifier: GPL-2.0-only */
/* Maps shared by the instance programs (vni.bpf.c), which keep them, and the
 * sk_lookup program (vni_lookup.bpf.c), which reads them: who owns an
 * address, and which of its ports an instance receives on. */
#ifndef VNI_RECV_BPF_H
#define VNI_RECV_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VNI_MAX_VIPS);
	__type(key, struct vni_vip_key);
	__type(value, struct vni_vip_owner);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vni_vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, VNI_MAX_PORTS);
	__type(key, struct vni_port_key);
	__type(value, struct vni_port_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vni_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, VNI_MAX_WILD);
	__type(key, struct vni_wild_key);
	__type(value, struct vni_wild_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vni_wild SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, VNI_MAX_DUAL);
	__type(key, struct vni_dual_key);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vni_dual SEC(".maps");

/* How many sockets vni_wild counts, node-wide: while none, vni_lookup skips
 * that lookup for the node's own traffic (an array lookup costs next to
 * nothing, a hash lookup does not). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vni_wildn SEC(".maps");

static __always_inline __u64 *wild_total(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&vni_wildn, &zero);
}

/* The instance's private addresses (include/vni_shared.h), network order. */
static __always_inline __u32 priv4(__u32 aid)
{
	return bpf_htonl(VNI_PRIV4_NET | (aid & VNI_PRIV4_HOST));
}

static __always_inline void priv6(__u32 aid, __u32 w[4])
{
	w[0] = bpf_htonl(VNI_PRIV6_W0);
	w[1] = bpf_htonl(VNI_PRIV6_W1);
	w[2] = 0;
	w[3] = bpf_htonl(aid);
}

#endif
