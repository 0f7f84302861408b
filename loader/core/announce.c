// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/announce.h"
#include "sys/util.h"

#define REPEAT 3

struct arp_packet {
	struct arphdr h;
	uint8_t sha[ETH_ALEN];
	uint8_t spa[4];
	uint8_t tha[ETH_ALEN];
	uint8_t tpa[4];
} __attribute__((packed));

struct na_packet {
	struct nd_neighbor_advert na;
	struct nd_opt_hdr opt; /* target link-layer address */
	uint8_t mac[ETH_ALEN];
} __attribute__((packed));

static int hw_address(int fd, const char *ifname, uint8_t mac[ETH_ALEN])
{
	struct ifreq ifr = {};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
		return -EOPNOTSUPP;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	return 0;
}

/* ARP request, sender = target = VIP, to the broadcast address. */
static int garp(const char *ifname, const uint8_t *vip, char *err)
{
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP),
				  .sll_halen = ETH_ALEN };
	struct arp_packet p = {};
	int fd, i, ret = 0;

	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP));
	if (fd < 0)
		return vni_err(err, -errno, "cannot announce on %s: %s", ifname, strerror(errno));
	to.sll_ifindex = (int)if_nametoindex(ifname);
	memset(to.sll_addr, 0xff, ETH_ALEN);
	ret = hw_address(fd, ifname, p.sha);
	if (!ret) {
		p.h.ar_hrd = htons(ARPHRD_ETHER);
		p.h.ar_pro = htons(ETH_P_IP);
		p.h.ar_hln = ETH_ALEN;
		p.h.ar_pln = 4;
		p.h.ar_op = htons(ARPOP_REQUEST);
		memcpy(p.spa, vip, 4);
		memcpy(p.tpa, vip, 4);
		for (i = 0; i < REPEAT && !ret; i++)
			if (sendto(fd, &p, sizeof(p), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
				ret = -errno;
	}
	close(fd);
	if (ret)
		return vni_err(err, ret, "cannot send gratuitous ARP on %s: %s", ifname,
			       strerror(-ret));
	return 0;
}

/* Unsolicited NA to all nodes, override flag set, hop limit 255. */
static int unsolicited_na(const char *ifname, const uint8_t *vip, char *err)
{
	struct sockaddr_in6 to = { .sin6_family = AF_INET6 };
	struct na_packet p = {};
	int fd, i, hops = 255, ifindex = (int)if_nametoindex(ifname), ret;

	fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (fd < 0)
		return vni_err(err, -errno, "cannot announce on %s: %s", ifname, strerror(errno));
	inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
	to.sin6_scope_id = (uint32_t)ifindex;
	ret = hw_address(fd, ifname, p.mac);
	if (!ret && (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) ||
		     setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex))))
		ret = -errno;
	if (!ret) {
		p.na.nd_na_type = ND_NEIGHBOR_ADVERT;
		p.na.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE;
		memcpy(&p.na.nd_na_target, vip, 16);
		p.opt.nd_opt_type = ND_OPT_TARGET_LINKADDR;
		p.opt.nd_opt_len = 1; /* in units of 8 bytes */
		for (i = 0; i < REPEAT && !ret; i++)
			if (sendto(fd, &p, sizeof(p), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
				ret = -errno;
	}
	close(fd);
	if (ret)
		return vni_err(err, ret, "cannot send a neighbour advertisement on %s: %s", ifname,
			       strerror(-ret));
	return 0;
}

static int announce_on(const char *ifname, const struct vni_addr *a, char *err)
{
	return a->family == AF_INET ? garp(ifname, a->a, err) : unsolicited_na(ifname, a->a, err);
}

int vni_announce(const char *dev, const struct vni_addr *a, char *err)
{
	struct ifaddrs *ifs, *i;
	int count = 0, ret = 0;
	unsigned int flags = 0;

	if (getifaddrs(&ifs))
		return vni_err(err, -errno, "cannot list interfaces: %s", strerror(errno));
	for (i = ifs; i; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_PACKET && !strcmp(i->ifa_name, dev))
			flags = i->ifa_flags;
	for (i = ifs; i && !ret; i = i->ifa_next) {
		/* one AF_PACKET entry per interface */
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_PACKET ||
		    !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK) ||
		    (!(flags & IFF_LOOPBACK) && strcmp(i->ifa_name, dev)))
			continue;
		ret = announce_on(i->ifa_name, a, err);
		count++;
	}
	freeifaddrs(ifs);
	return ret ? ret : count;
}
