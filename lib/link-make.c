/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Making and changing shared devices: bridges, 802.1Q sub-interfaces, VXLAN
 * ports; the MTU and alias of persistent taps. Only 'tapgate apply' (root)
 * does this; the setuid helper never links this file.
 */
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>

#include "link.h"
#include "netlink.h"

/**
 * link_set_master() - make a link a port of a bridge, or of nothing
 * @sk:		rtnetlink socket
 * @ifindex:	the link
 * @master:	the bridge's ifindex, or 0 to take it out of its bridge
 *
 * Return: 0 or -errno
 */
int link_set_master(struct nl_sock *sk, int ifindex, int master)
{
	/* == ip link set dev X master BRIDGE | nomaster */
	g_autoptr(NlMsg) msg = link_change_msg(ifindex, 0);

	if (!msg || nla_put_u32(msg, IFLA_MASTER, (uint32_t)master) < 0)
		return -ENOMEM;
	return tg_nl_transact(sk, msg, NULL, NULL);
}

/**
 * link_set_down() - take a link down
 * @sk:		rtnetlink socket
 * @ifindex:	the link
 *
 * Return: 0 or -errno
 */
int link_set_down(struct nl_sock *sk, int ifindex)
{
	/* == ip link set dev X down */
	g_autoptr(NlMsg) msg = link_change_msg(ifindex, 0);
	struct ifinfomsg *ifi;

	if (!msg)
		return -ENOMEM;
	ifi = nlmsg_data(nlmsg_hdr(msg));
	ifi->ifi_change = IFF_UP;
	return tg_nl_transact(sk, msg, NULL, NULL);
}

/**
 * link_set_address() - set a link's MAC
 * @sk:		rtnetlink socket
 * @ifindex:	the link
 * @mac:	the address
 *
 * On a bridge this also fixes the address: from then on the kernel no
 * longer gives it the lowest MAC among its ports (addr_assign_type "set").
 *
 * Return: 0 or -errno
 */
int link_set_address(struct nl_sock *sk, int ifindex, const uint8_t mac[6])
{
	/* == ip link set dev X address MAC */
	g_autoptr(NlMsg) msg = link_change_msg(ifindex, 0);

	if (!msg || nla_put(msg, IFLA_ADDRESS, 6, mac) < 0)
		return -ENOMEM;
	return tg_nl_transact(sk, msg, NULL, NULL);
}

/* IFLA_LINKINFO { KIND "bridge", DATA { vlan_filtering, vlan_default_pvid } } */
static int put_bridge_opts(NlMsg *msg, int filtering, int default_pvid)
{
	struct nlattr *li, *data;

	if (!(li = nla_nest_start(msg, IFLA_LINKINFO)) ||
	    nla_put_string(msg, IFLA_INFO_KIND, "bridge") < 0)
		return -ENOMEM;
	if (filtering >= 0 || default_pvid >= 0) {
		if (!(data = nla_nest_start(msg, IFLA_INFO_DATA)) ||
		    (filtering >= 0 && nla_put_u8(msg, IFLA_BR_VLAN_FILTERING, filtering ? 1 : 0) < 0) ||
		    (default_pvid >= 0 &&
		     nla_put_u16(msg, IFLA_BR_VLAN_DEFAULT_PVID, (uint16_t)default_pvid) < 0))
			return -ENOMEM;
		nla_nest_end(msg, data);
	}
	nla_nest_end(msg, li);
	return 0;
}

/**
 * link_create_bridge() - create a bridge with a fixed MAC, failing if the name is taken
 * @sk:		rtnetlink socket
 * @name:	its name
 * @mac:	its address (the kernel then never replaces it with a port's)
 * @filtering:	1 to filter VLANs, 0 not to, -1 for the kernel's default
 * @default_pvid: the VID new ports join (0: none), or -1 for the default
 *
 * Return: 0, -EEXIST, or -errno
 */
int link_create_bridge(struct nl_sock *sk, const char *name, const uint8_t mac[6], int filtering,
		       int default_pvid)
{
	/* == ip link add name NAME address MAC type bridge [vlan_filtering 1 vlan_default_pvid 0] */
	g_autoptr(NlMsg) msg = link_change_msg(0, NLM_F_CREATE | NLM_F_EXCL);

	if (!msg || nla_put_string(msg, IFLA_IFNAME, name) < 0 ||
	    nla_put(msg, IFLA_ADDRESS, 6, mac) < 0 ||
	    put_bridge_opts(msg, filtering, default_pvid) < 0)
		return -ENOMEM;
	return tg_nl_transact(sk, msg, NULL, NULL);
}

/**
 * link_set_bridge_opts() - switch a bridge's VLAN filtering, set its default PVID
 * @sk:		rtnetlink socket
 * @ifindex:	the bridge
 * @filtering:	1 or 0, or -1 to leave it
 * @default_pvid: the VID new ports join (0: none), or -1 to leave it
 *
 * Return: 0 or -errno (-EOPNOTSUPP: no bridge VLAN filtering in this kernel)
 */
int link_set_bridge_opts(struct nl_sock *sk, int ifindex, int filtering, int default_pvid)
{
	/* == ip link set dev BRIDGE type bridge vlan_filtering 1 vlan_default_pvid 0 */
	g_autoptr(NlMsg) msg = link_change_msg(ifindex, 0);

	if (!msg || put_bridge_opts(msg, filtering, default_pvid) < 0)
		return -ENOMEM;
	return tg_nl_transact(sk, msg, NULL, NULL);
}

/**
 * link_create_vxlan() - create a VXLAN device, failing if the name is taken
 * @sk:		rtnetlink socket
 * @name:	its name ("vx10100")
 * @vx:		VNI, source address, UDP port, learning, MTU
 *
 * Return: 0, -EEXIST, or -errno
 */
int link_create_vxlan(struct nl_sock *sk, const char *name, const VxlanLink *vx)
{
	/* == ip link add NAME mtu MTU type vxlan id VNI local ADDR dstport PORT [no]learning */
	g_autoptr(NlMsg) msg = link_change_msg(0, NLM_F_CREATE | NLM_F_EXCL);
	int v4 = vx->local.family == AF_INET;
	struct nlattr *li, *data;

	if (!msg || nla_put_string(msg, IFLA_IFNAME, name) < 0 ||
	    (vx->mtu && nla_put_u32(msg, IFLA_MTU, vx->mtu) < 0) ||
	    !(li = nla_nest_start(msg, IFLA_LINKINFO)) ||
	    nla_put_string(msg, IFLA_INFO_KIND, "vxlan") < 0 ||
	    !(data = nla_nest_start(msg, IFLA_INFO_DATA)) ||
	    nla_put_u32(msg, IFLA_VXLAN_ID, vx->vni) < 0 ||
	    nla_put(msg, v4 ? IFLA_VXLAN_LOCAL : IFLA_VXLAN_LOCAL6, tg_addr_len(&vx->local),
		    vx->local.bytes) < 0 ||
	    nla_put_u16(msg, IFLA_VXLAN_PORT, htons((uint16_t)vx->port)) < 0 ||
	    nla_put_u8(msg, IFLA_VXLAN_LEARNING, vx->learning ? 1 : 0) < 0)
		return -ENOMEM;
	nla_nest_end(msg, data);
	nla_nest_end(msg, li);
	return tg_nl_transact(sk, msg, NULL, NULL);
}

/**
 * link_create_vlan() - create an 802.1Q sub-interface, failing if the name is taken
 * @sk:		rtnetlink socket
 * @name:	its name ("eth0.100")
 * @parent:	ifindex of the uplink
 * @vid:	the VLAN id
 *
 * Return: 0, -EEXIST, -EOPNOTSUPP without 8021q, or -errno
 */
int link_create_vlan(struct nl_sock *sk, const char *name, int parent, unsigned int vid)
{
	/* == ip link add link UPLINK name NAME type vlan id VID */
	g_autoptr(NlMsg) msg = link_change_msg(0, NLM_F_CREATE | NLM_F_EXCL);
	struct nlattr *li, *data;

	if (!msg || nla_put_string(msg, IFLA_IFNAME, name) < 0 ||
	    nla_put_u32(msg, IFLA_LINK, (uint32_t)parent) < 0 ||
	    !(li = nla_nest_start(msg, IFLA_LINKINFO)) ||
	    nla_put_string(msg, IFLA_INFO_KIND, "vlan") < 0 ||
	    !(data = nla_nest_start(msg, IFLA_INFO_DATA)) ||
	    nla_put_u16(msg, IFLA_VLAN_ID, (uint16_t)vid) < 0)
		return -ENOMEM;
	nla_nest_end(msg, data);
	nla_nest_end(msg, li);
	return tg_nl_transact(sk, msg, NULL, NULL);
}

/**
 * link_delete() - delete a link
 * @sk:		rtnetlink socket
 * @ifindex:	the link
 *
 * Return: 0 or -errno
 */
int link_delete(struct nl_sock *sk, int ifindex)
{
	/* == ip link del dev X */
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	g_autoptr(NlMsg) msg = nlmsg_alloc_simple(RTM_DELLINK, 0);

	if (!msg || nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0)
		return -ENOMEM;
	return tg_nl_transact(sk, msg, NULL, NULL);
}

/**
 * link_set_mtu() - set a link's MTU
 * @sk:		rtnetlink socket
 * @ifindex:	the link
 * @mtu:	the MTU
 *
 * Return: 0 or -errno (-EINVAL: outside what the device takes)
 */
int link_set_mtu(struct nl_sock *sk, int ifindex, uint32_t mtu)
{
	/* == ip link set dev X mtu MTU */
	g_autoptr(NlMsg) msg = link_change_msg(ifindex, 0);

	if (!msg || nla_put_u32(msg, IFLA_MTU, mtu) < 0)
		return -ENOMEM;
	return tg_nl_transact(sk, msg, NULL, NULL);
}

/**
 * link_set_alias() - set or clear a link's alias (its ifalias)
 * @sk:		rtnetlink socket
 * @ifindex:	the link
 * @alias:	the text, or "" to clear it
 *
 * Return: 0 or -errno
 */
int link_set_alias(struct nl_sock *sk, int ifindex, const char *alias)
{
	/* == ip link set dev X alias TEXT */
	g_autoptr(NlMsg) msg = link_change_msg(ifindex, 0);

	/* without its NUL, as iproute2 sends it; empty clears it */
	if (!msg || nla_put(msg, IFLA_IFALIAS, (int)strlen(alias), alias) < 0)
		return -ENOMEM;
	return tg_nl_transact(sk, msg, NULL, NULL);
}
