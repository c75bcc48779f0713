/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Networks that span hosts: the kernel's VXLAN device (RFC 7348) as one more
 * port of the network's bridge. One device per VNI, called vx<VNI>, made and
 * kept in line by 'tapgate apply' (apply.c), checked by every port's
 * preflight, never deleted by us. On a vlan-filtering
 * bridge the device is an access port of the network's VLAN, which maps
 * that VLAN to the VNI; otherwise the bridge is the network's own.
 *
 * Static mode: the policy lists the other endpoints, and each gets a flood
 * entry (head-end replication of broadcast, unknown unicast and multicast);
 * the device learns remote MACs from the traffic it receives. EVPN mode:
 * FRR's zebra installs remote MACs and flood entries from BGP, so the device
 * learns nothing itself and the bridge answers ARP/ND for known guests.
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "bridge-vlan.h"
#include "netlink.h"
#include "tg-util.h"
#include "vxlan.h"

static const uint8_t zero_mac[6];

/**
 * vxlan_device_name() - the name of the device of @vni: "vx<VNI>"
 */
void vxlan_device_name(unsigned int vni, char name[16])
{
	snprintf(name, 16, "vx%u", vni);
}

/**
 * vxlan_overhead() - bytes VXLAN adds to each frame on the underlay
 *
 * Outer IP header (20 or 40), UDP (8), VXLAN (8) and the inner Ethernet
 * header (14): 50 over IPv4, 70 over IPv6.
 */
unsigned int vxlan_overhead(const TgAddr *local)
{
	return local->family == AF_INET6 ? 70 : 50;
}

struct addr_find {
	const TgAddr *want;
	int ifindex;
};

static int parse_addr(struct nl_msg *msg, void *data)
{
	struct addr_find *f = data;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[IFA_MAX + 1];
	struct ifaddrmsg *ifa;
	struct nlattr *a;
	TgAddr got;

	if (nlh->nlmsg_type != RTM_NEWADDR || nlmsg_parse(nlh, sizeof(*ifa), tb, IFA_MAX, NULL) < 0)
		return 0;
	ifa = nlmsg_data(nlh);
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (a && tg_addr_from_raw(ifa->ifa_family, nla_data(a), nla_len(a), &got) == 0 &&
	    tg_addr_equal(&got, f->want))
		f->ifindex = (int)ifa->ifa_index;
	return 0;
}

/**
 * vxlan_underlay() - the device that holds this host's tunnel address
 * @sk:		rtnetlink socket
 * @local:	vxlan-local
 * @dev:	set to that device (its MTU bounds the guests')
 *
 * Return: 0, -EADDRNOTAVAIL if no device has @local, or -errno
 */
int vxlan_underlay(struct nl_sock *sk, const TgAddr *local, LinkInfo *dev)
{
	/* == ip -o address show to ADDR */
	struct ifaddrmsg ifa = { .ifa_family = (unsigned char)local->family };
	struct addr_find f = { .want = local };
	int r = tg_nl_dump(sk, RTM_GETADDR, &ifa, sizeof(ifa), parse_addr, &f);

	if (r < 0)
		return r;
	if (!f.ifindex)
		return -EADDRNOTAVAIL;
	return link_get_index(sk, f.ifindex, dev);
}

struct fdb_find {
	int ifindex;
	GArray *entries;
};

static int parse_vxlan_fdb(struct nl_msg *msg, void *data)
{
	struct fdb_find *f = data;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[NDA_MAX + 1];
	const struct ndmsg *ndm;
	VxlanFdbEntry e = { 0 };
	int family;

	if (nlh->nlmsg_type != RTM_NEWNEIGH || nlmsg_parse(nlh, sizeof(*ndm), tb, NDA_MAX, NULL) < 0)
		return 0;
	ndm = nlmsg_data(nlh);
	if (ndm->ndm_ifindex != f->ifindex || !(ndm->ndm_flags & NTF_SELF) || !tb[NDA_DST] ||
	    !tb[NDA_LLADDR] || nla_len(tb[NDA_LLADDR]) != 6)
		return 0;
	family = nla_len(tb[NDA_DST]) == 16 ? AF_INET6 : AF_INET;
	if (tg_addr_from_raw(family, nla_data(tb[NDA_DST]), nla_len(tb[NDA_DST]), &e.dst) < 0)
		return 0;
	memcpy(e.mac, nla_data(tb[NDA_LLADDR]), 6);
	e.extern_learn = !!(ndm->ndm_flags & NTF_EXT_LEARNED);
	e.permanent = !!(ndm->ndm_state & NUD_PERMANENT);
	g_array_append_val(f->entries, e);
	return 0;
}

/**
 * vxlan_fdb_dump() - the remote entries of a VXLAN device
 * @sk:		rtnetlink socket
 * @ifindex:	the VXLAN device
 * @entries:	set to a new array of VxlanFdbEntry (flood entries have MAC 0)
 *
 * Return: 0 or -errno
 */
int vxlan_fdb_dump(struct nl_sock *sk, int ifindex, GArray **entries)
{
	/* == bridge fdb show dev VXLAN */
	struct ndmsg ndm = { .ndm_family = AF_BRIDGE, .ndm_ifindex = ifindex };
	struct fdb_find f = { .ifindex = ifindex };
	int r;

	f.entries = *entries = g_array_new(FALSE, TRUE, sizeof(VxlanFdbEntry));
	r = tg_nl_dump(sk, RTM_GETNEIGH, &ndm, sizeof(ndm), parse_vxlan_fdb, &f);
	if (r < 0)
		g_clear_pointer(entries, g_array_unref);
	return r;
}

/**
 * vxlan_flood_set() - add or delete the flood (BUM) entry towards one peer
 * @sk:		rtnetlink socket, with CAP_NET_ADMIN
 * @ifindex:	the VXLAN device
 * @dst:	the peer's tunnel endpoint
 * @add:	TRUE to add (append: one entry per peer), FALSE to delete
 *
 * Return: 0, -EEXIST, -ENOENT, or -errno
 */
int vxlan_flood_set(struct nl_sock *sk, int ifindex, const TgAddr *dst, gboolean add)
{
	/* == bridge fdb append 00:00:00:00:00:00 dev VXLAN dst PEER self permanent
	 * == bridge fdb del 00:00:00:00:00:00 dev VXLAN dst PEER self */
	struct ndmsg ndm = { .ndm_family = AF_BRIDGE, .ndm_ifindex = ifindex,
			     .ndm_state = NUD_NOARP | NUD_PERMANENT, .ndm_flags = NTF_SELF };
	g_autoptr(NlMsg) msg = add ? nlmsg_alloc_simple(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_APPEND) :
				     nlmsg_alloc_simple(RTM_DELNEIGH, 0);

	if (!msg || nlmsg_append(msg, &ndm, sizeof(ndm), NLMSG_ALIGNTO) < 0 ||
	    nla_put(msg, NDA_LLADDR, 6, zero_mac) < 0 ||
	    nla_put(msg, NDA_DST, tg_addr_len(dst), dst->bytes) < 0)
		return -ENOMEM;
	return tg_nl_transact(sk, msg, NULL, NULL);
}

/**
 * vxlan_check_underlay() - the device of vxlan-local, and what the tunnel leaves
 * @sk:		rtnetlink socket
 * @cfg:	the network's VXLAN configuration
 * @bridge:	ifindex of the network's bridge, or 0 if it does not exist yet
 * @state:	its underlay, underlay_mtu and mtu set
 * @error:	set to a one-line message on failure
 *
 * The underlay must not be the network's bridge, a port of it or a VLAN of
 * it: the bridge's MTU follows its smallest port, so the tunnel would shrink
 * its own underlay. A loopback or dummy device (an EVPN VTEP address) says
 * nothing about the path; Ethernet's 1500 is assumed there.
 *
 * Return: 0, -EADDRNOTAVAIL, -ELOOP, or -errno
 */
int vxlan_check_underlay(struct nl_sock *sk, const VxlanConfig *cfg, int bridge,
			 VxlanState *state, GError **error)
{
	char a[TG_ADDR_STRLEN];
	LinkInfo under;
	int r = vxlan_underlay(sk, &cfg->local, &under);

	tg_addr_format(&cfg->local, a);
	if (r == -EADDRNOTAVAIL) {
		g_set_error(error, TG_ERROR, -r, "vxlan-local %s is not an address of this host", a);
		return r;
	}
	if (r < 0) {
		g_set_error(error, TG_ERROR, -r, "cannot find the device of %s: %s", a,
			    tg_strerror(-r));
		return r;
	}
	if (bridge && (under.ifindex == bridge || under.master == bridge ||
		       (!strcmp(under.kind, "vlan") && under.link == bridge))) {
		g_set_error(error, TG_ERROR, ELOOP, "vxlan-local %s is on '%s', which is or "
			    "belongs to the network's own bridge: the tunnel would carry itself; "
			    "put the address on the uplink", a, under.name);
		return -ELOOP;
	}
	g_strlcpy(state->underlay, under.name, sizeof(state->underlay));
	state->underlay_mtu = under.mtu;
	if ((under.flags & IFF_LOOPBACK) || !strcmp(under.kind, "dummy"))
		state->underlay_mtu = MIN(under.mtu, 1500);
	state->mtu = state->underlay_mtu - vxlan_overhead(&cfg->local);
	return 0;
}
