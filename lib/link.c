/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Looking up and configuring links over rtnetlink. */
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>

#include "link.h"
#include "netlink.h"
#include "tg-util.h"

static void parse_info_data(LinkInfo *info, struct nlattr *data)
{
	if (!strcmp(info->kind, "bridge")) {
		struct nlattr *br[IFLA_BR_MAX + 1];

		if (nla_parse_nested(br, IFLA_BR_MAX, data, NULL) < 0)
			return;
		if (br[IFLA_BR_VLAN_FILTERING])
			info->vlan_filtering = nla_get_u8(br[IFLA_BR_VLAN_FILTERING]);
		if (br[IFLA_BR_VLAN_DEFAULT_PVID])
			info->default_pvid = nla_get_u16(br[IFLA_BR_VLAN_DEFAULT_PVID]);
		/* only a kernel with bridge VLAN filtering reports its protocol */
		info->vlan_filtering_supported = br[IFLA_BR_VLAN_PROTOCOL] != NULL;
	} else if (!strcmp(info->kind, "vlan")) {
		struct nlattr *vl[IFLA_VLAN_MAX + 1];

		if (nla_parse_nested(vl, IFLA_VLAN_MAX, data, NULL) == 0 && vl[IFLA_VLAN_ID])
			info->vlan_id = nla_get_u16(vl[IFLA_VLAN_ID]);
	} else if (!strcmp(info->kind, "tun")) {
		struct nlattr *tb[IFLA_TUN_MAX + 1];
		LinkTun *t = &info->tun;

		if (nla_parse_nested(tb, IFLA_TUN_MAX, data, NULL) < 0 || !tb[IFLA_TUN_TYPE] ||
		    !tb[IFLA_TUN_PERSIST])
			return;
		t->known = TRUE;
		t->tap = (nla_get_u8(tb[IFLA_TUN_TYPE]) & (IFF_TUN | IFF_TAP)) == IFF_TAP;
		t->persist = nla_get_u8(tb[IFLA_TUN_PERSIST]) != 0;
		if ((t->has_owner = tb[IFLA_TUN_OWNER] != NULL))
			t->owner = nla_get_u32(tb[IFLA_TUN_OWNER]);
		if ((t->has_group = tb[IFLA_TUN_GROUP] != NULL))
			t->group = nla_get_u32(tb[IFLA_TUN_GROUP]);
		t->multi_queue = tb[IFLA_TUN_MULTI_QUEUE] && nla_get_u8(tb[IFLA_TUN_MULTI_QUEUE]);
		if (tb[IFLA_TUN_NUM_QUEUES])
			t->num_queues = nla_get_u32(tb[IFLA_TUN_NUM_QUEUES]);
		if (tb[IFLA_TUN_NUM_DISABLED_QUEUES])
			t->num_disabled_queues = nla_get_u32(tb[IFLA_TUN_NUM_DISABLED_QUEUES]);
	} else if (!strcmp(info->kind, "vxlan")) {
		struct nlattr *vx[IFLA_VXLAN_MAX + 1];

		if (nla_parse_nested(vx, IFLA_VXLAN_MAX, data, NULL) < 0)
			return;
		if (vx[IFLA_VXLAN_ID])
			info->vxlan_id = nla_get_u32(vx[IFLA_VXLAN_ID]);
		if (vx[IFLA_VXLAN_PORT])
			info->vxlan_port = ntohs(nla_get_u16(vx[IFLA_VXLAN_PORT]));
		if (vx[IFLA_VXLAN_LEARNING])
			info->vxlan_learning = nla_get_u8(vx[IFLA_VXLAN_LEARNING]);
		info->vxlan_other =
			(vx[IFLA_VXLAN_GROUP] && nla_get_u32(vx[IFLA_VXLAN_GROUP])) ||
			vx[IFLA_VXLAN_GROUP6] ||
			(vx[IFLA_VXLAN_LINK] && nla_get_u32(vx[IFLA_VXLAN_LINK])) ||
			(vx[IFLA_VXLAN_COLLECT_METADATA] &&
			 nla_get_u8(vx[IFLA_VXLAN_COLLECT_METADATA]));
		if (vx[IFLA_VXLAN_LOCAL])
			tg_addr_from_raw(AF_INET, nla_data(vx[IFLA_VXLAN_LOCAL]),
					 nla_len(vx[IFLA_VXLAN_LOCAL]), &info->vxlan_local);
		else if (vx[IFLA_VXLAN_LOCAL6])
			tg_addr_from_raw(AF_INET6, nla_data(vx[IFLA_VXLAN_LOCAL6]),
					 nla_len(vx[IFLA_VXLAN_LOCAL6]), &info->vxlan_local);
	}
}

static void parse_port_data(LinkInfo *info, struct nlattr *data)
{
	struct nlattr *bp[IFLA_BRPORT_MAX + 1];

	if (nla_parse_nested(bp, IFLA_BRPORT_MAX, data, NULL) < 0)
		return;
	info->bridge_port = TRUE;
	info->learning = bp[IFLA_BRPORT_LEARNING] && nla_get_u8(bp[IFLA_BRPORT_LEARNING]);
	info->locked = bp[IFLA_BRPORT_LOCKED] && nla_get_u8(bp[IFLA_BRPORT_LOCKED]);
	info->isolated = bp[IFLA_BRPORT_ISOLATED] && nla_get_u8(bp[IFLA_BRPORT_ISOLATED]);
	info->neigh_suppress = bp[IFLA_BRPORT_NEIGH_SUPPRESS] &&
			       nla_get_u8(bp[IFLA_BRPORT_NEIGH_SUPPRESS]);
}

static int parse_link(struct nl_msg *msg, void *data)
{
	LinkInfo *info = data;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[IFLA_MAX + 1];
	struct ifinfomsg *ifi;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return 0;
	if (nlmsg_parse(nlh, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0)
		return -EBADMSG;
	ifi = nlmsg_data(nlh);
	info->ifindex = ifi->ifi_index;
	info->flags = ifi->ifi_flags;
	if (tb[IFLA_MTU])
		info->mtu = nla_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_MASTER])
		info->master = (int)nla_get_u32(tb[IFLA_MASTER]);
	if (tb[IFLA_IFNAME])
		g_strlcpy(info->name, nla_get_string(tb[IFLA_IFNAME]), sizeof(info->name));
	if (tb[IFLA_ADDRESS] && nla_len(tb[IFLA_ADDRESS]) == 6)
		memcpy(info->mac, nla_data(tb[IFLA_ADDRESS]), 6);
	if (tb[IFLA_LINK])
		info->link = (int)nla_get_u32(tb[IFLA_LINK]);
	if (tb[IFLA_CARRIER])
		info->carrier = nla_get_u8(tb[IFLA_CARRIER]) != 0;
	if (tb[IFLA_IFALIAS])
		g_strlcpy(info->alias, nla_get_string(tb[IFLA_IFALIAS]), sizeof(info->alias));
	if (tb[IFLA_LINKINFO]) {
		struct nlattr *li[IFLA_INFO_MAX + 1];

		if (nla_parse_nested(li, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL) < 0)
			return -EBADMSG;
		if (li[IFLA_INFO_KIND])
			g_strlcpy(info->kind, nla_get_string(li[IFLA_INFO_KIND]),
				  sizeof(info->kind));
		if (li[IFLA_INFO_DATA])
			parse_info_data(info, li[IFLA_INFO_DATA]);
		if (li[IFLA_INFO_SLAVE_KIND] && li[IFLA_INFO_SLAVE_DATA] &&
		    !strcmp(nla_get_string(li[IFLA_INFO_SLAVE_KIND]), "bridge"))
			parse_port_data(info, li[IFLA_INFO_SLAVE_DATA]);
	}
	return 0;
}

static int parse_link_into_table(struct nl_msg *msg, void *data)
{
	GHashTable *by_index = data;
	LinkInfo *info = g_new0(LinkInfo, 1);
	int r = parse_link(msg, info);

	if (r < 0 || info->ifindex <= 0) {
		g_free(info);
		return r;
	}
	g_hash_table_replace(by_index, GINT_TO_POINTER(info->ifindex), info);
	return 0;
}

/**
 * link_dump() - every link of the namespace, or a bridge's ports, in one dump
 * @sk:		rtnetlink socket
 * @master:	0, or a bridge's ifindex: only its ports (the kernel filters)
 * @by_index:	set to a new table ifindex -> LinkInfo *, or if not NULL on
 *		entry, added to
 *
 * Return: 0 or -errno
 */
int link_dump(struct nl_sock *sk, int master, GHashTable **by_index)
{
	/* == ip -d link show [master BRIDGE] */
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	g_autoptr(NlMsg) msg = nlmsg_alloc_simple(RTM_GETLINK, NLM_F_DUMP);
	gboolean fresh = !*by_index;
	int r;

	if (fresh)
		*by_index = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	if (!msg || nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) < 0 ||
	    (master && nla_put_u32(msg, IFLA_MASTER, (uint32_t)master) < 0))
		r = -ENOMEM;
	else
		r = tg_nl_transact(sk, msg, parse_link_into_table, *by_index);
	if (r < 0 && fresh)
		g_clear_pointer(by_index, g_hash_table_unref);
	return r;
}

/**
 * link_get() - look up one link by name
 * @sk:		rtnetlink socket
 * @name:	interface name, already validated
 * @info:	filled in
 *
 * A single RTM_GETLINK by name, never a dump: the cost must not grow with
 * the number of links on the host. The kernel also resolves alternative
 * names ("ip link property add altname"); those are refused, since policy
 * speaks of a device's one real name and an altname must not dodge a deny.
 *
 * Return: 0, -ENODEV if there is no link of that (real) name, or -errno
 */
int link_get(struct nl_sock *sk, const char *name, LinkInfo *info)
{
	/* == ip link show dev NAME */
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	g_autoptr(NlMsg) msg = nlmsg_alloc_simple(RTM_GETLINK, 0);
	int r;

	memset(info, 0, sizeof(*info));
	if (!msg || nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, IFLA_IFNAME, name) < 0 ||
	    nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) < 0)
		return -ENOMEM;
	r = tg_nl_transact(sk, msg, parse_link, info);
	if (r == 0 && (info->ifindex <= 0 || strcmp(info->name, name)))
		return -ENODEV;
	return r;
}

/**
 * link_change_msg() - an RTM_NEWLINK for a link, to which the caller adds attributes
 * @ifindex:	the link, or 0 for a new one
 * @flags:	NLM_F_* flags (NLM_F_CREATE | NLM_F_EXCL for a new link)
 *
 * Return: the message, or NULL without memory
 */
NlMsg *link_change_msg(int ifindex, int flags)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	NlMsg *msg = nlmsg_alloc_simple(RTM_NEWLINK, flags);

	if (msg && nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0)
		g_clear_pointer(&msg, nlmsg_free);
	return msg;
}

/**
 * link_get_index() - look up one link by ifindex
 * @sk:		rtnetlink socket
 * @ifindex:	the link
 * @info:	filled in
 *
 * Return: 0, -ENODEV, or -errno
 */
int link_get_index(struct nl_sock *sk, int ifindex, LinkInfo *info)
{
	/* == ip -d link show dev INDEX */
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	g_autoptr(NlMsg) msg = nlmsg_alloc_simple(RTM_GETLINK, 0);
	int r;

	memset(info, 0, sizeof(*info));
	if (!msg || nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) < 0)
		return -ENOMEM;
	r = tg_nl_transact(sk, msg, parse_link, info);
	if (r == 0 && info->ifindex != ifindex)
		return -ENODEV;
	return r;
}

/* One NEWLINK for the new port; with @no_ipv6 its IPv6 addresses are off. */
static int set_port(struct nl_sock *sk, int ifindex, uint32_t mtu, const uint8_t mac[6],
		    int master, gboolean no_ipv6)
{
	/* == ip link set dev TAP mtu MTU address MAC master BRIDGE addrgenmode none */
	g_autoptr(NlMsg) msg = link_change_msg(ifindex, 0);
	struct nlattr *af, *v6;

	if (!msg || nla_put_u32(msg, IFLA_MTU, mtu) < 0 || nla_put(msg, IFLA_ADDRESS, 6, mac) < 0 ||
	    nla_put_u32(msg, IFLA_MASTER, (uint32_t)master) < 0)
		return -ENOMEM;
	if (no_ipv6) {
		if (!(af = nla_nest_start(msg, IFLA_AF_SPEC)) ||
		    !(v6 = nla_nest_start(msg, AF_INET6)) ||
		    nla_put_u8(msg, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE) < 0)
			return -ENOMEM;
		nla_nest_end(msg, v6);
		nla_nest_end(msg, af);
	}
	return tg_nl_transact(sk, msg, NULL, NULL);
}

/**
 * link_set_port() - give a new port its MTU and MAC, no IPv6 address, and
 * attach it
 * @sk:		rtnetlink socket
 * @ifindex:	the port (still down)
 * @mtu:	MTU to set (the bridge's, so the bridge's own MTU never drops)
 * @mac:	host-side MAC
 * @master:	ifindex of the bridge
 *
 * One message: the kernel applies the MTU and address before the master.
 * A bridge port needs no addresses of its own: with address generation off
 * before the port comes up, the host never sends a frame from it (no
 * link-local address, so no DAD, router solicitation or MLD report), which
 * costs less than a sysctl write. A kernel without IPv6 refuses the
 * attribute; there is nothing to switch off then.
 *
 * Return: 0 or the kernel's -errno (-EXFULL: the bridge has 1023 ports)
 */
int link_set_port(struct nl_sock *sk, int ifindex, uint32_t mtu, const uint8_t mac[6],
		  int master)
{
	int r = set_port(sk, ifindex, mtu, mac, master, TRUE);

	if (r == -EAFNOSUPPORT)
		r = set_port(sk, ifindex, mtu, mac, master, FALSE);
	return r;
}

/**
 * link_set_up() - bring a link up
 * @sk:		rtnetlink socket
 * @ifindex:	the link
 *
 * Return: 0 or -errno
 */
int link_set_up(struct nl_sock *sk, int ifindex)
{
	/* == ip link set dev X up */
	g_autoptr(NlMsg) msg = link_change_msg(ifindex, 0);
	struct ifinfomsg *ifi;

	if (!msg)
		return -ENOMEM;
	ifi = nlmsg_data(nlmsg_hdr(msg));
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return tg_nl_transact(sk, msg, NULL, NULL);
}

/**
 * link_set_bridge_port() - set a bridge port's learning, locked and isolated flags
 * @sk:		rtnetlink socket
 * @ifindex:	the port
 * @flags:	what to set; -1 leaves a flag alone
 *
 * Return: 0 or -errno (-EOPNOTSUPP: the kernel has no such flag)
 */
int link_set_bridge_port(struct nl_sock *sk, int ifindex, const BridgePortFlags *flags)
{
	/* == ip link set dev PORT type bridge_slave learning off locked on isolated on
	 *    neigh_suppress on */
	g_autoptr(NlMsg) msg = link_change_msg(ifindex, 0);
	struct nlattr *li, *data;

	if (!msg || !(li = nla_nest_start(msg, IFLA_LINKINFO)) ||
	    nla_put_string(msg, IFLA_INFO_SLAVE_KIND, "bridge") < 0 ||
	    !(data = nla_nest_start(msg, IFLA_INFO_SLAVE_DATA)) ||
	    (flags->learning >= 0 && nla_put_u8(msg, IFLA_BRPORT_LEARNING, (uint8_t)flags->learning) < 0) ||
	    (flags->locked >= 0 && nla_put_u8(msg, IFLA_BRPORT_LOCKED, (uint8_t)flags->locked) < 0) ||
	    (flags->isolated >= 0 && nla_put_u8(msg, IFLA_BRPORT_ISOLATED, (uint8_t)flags->isolated) < 0) ||
	    (flags->neigh_suppress >= 0 &&
	     nla_put_u8(msg, IFLA_BRPORT_NEIGH_SUPPRESS, (uint8_t)flags->neigh_suppress) < 0))
		return -ENOMEM;
	nla_nest_end(msg, data);
	nla_nest_end(msg, li);
	return tg_nl_transact(sk, msg, NULL, NULL);
}

/**
 * link_random_host_mac() - a MAC for the host side of a guest port
 * @mac:	filled in
 *
 * The first byte 0xfe (locally administered, unicast, and high) keeps the
 * bridge from ever taking a tap's address as its own, as libvirt does.
 */
void link_random_host_mac(uint8_t mac[6])
{
	if (getrandom(mac + 1, 5, GRND_NONBLOCK) != 5) {
		guint32 a = g_random_int(), b = g_random_int();

		memcpy(mac + 1, &a, 4);
		mac[5] = (uint8_t)b;
	}
	mac[0] = 0xfe;
}
