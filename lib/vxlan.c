/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Networks that span hosts: the kernel's VXLAN device (RFC 7348) as one more
 * port of the network's bridge. One device per VNI, called vx<VNI>, made on
 * first use, checked every time, never deleted by us. On a vlan-filtering
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

/* A flood entry for @dst, added (append: one per peer) or deleted. */
static int flood_entry(struct nl_sock *sk, int ifindex, const TgAddr *dst, gboolean add)
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

/* Static mode: exactly one flood entry per listed peer, none for others. */
static int flood_reconcile(struct nl_sock *sk, const VxlanConfig *cfg, VxlanState *st,
			   GError **error)
{
	g_autoptr(GArray) have = NULL;
	char a[TG_ADDR_STRLEN];
	int r = vxlan_fdb_dump(sk, st->ifindex, &have);

	if (r < 0) {
		g_set_error(error, TG_ERROR, -r, "cannot read the fdb of '%s': %s", st->name,
			    g_strerror(-r));
		return r;
	}
	for (unsigned int i = 0; i < cfg->n_peers; i++) {
		gboolean found = FALSE;

		for (guint j = 0; j < have->len && !found; j++) {
			const VxlanFdbEntry *e = &g_array_index(have, VxlanFdbEntry, j);

			found = !memcmp(e->mac, zero_mac, 6) && tg_addr_equal(&e->dst, &cfg->peers[i]);
		}
		if (found)
			continue;
		r = flood_entry(sk, st->ifindex, &cfg->peers[i], TRUE);
		if (r < 0 && r != -EEXIST) {
			g_set_error(error, TG_ERROR, -r, "cannot add peer %s to '%s': %s",
				    tg_addr_format(&cfg->peers[i], a), st->name, g_strerror(-r));
			return r;
		}
		st->peers_added++;
	}
	for (guint j = 0; j < have->len; j++) {
		const VxlanFdbEntry *e = &g_array_index(have, VxlanFdbEntry, j);
		gboolean listed = FALSE;

		if (memcmp(e->mac, zero_mac, 6))
			continue;
		for (unsigned int i = 0; i < cfg->n_peers && !listed; i++)
			listed = tg_addr_equal(&e->dst, &cfg->peers[i]);
		if (listed)
			continue;
		r = flood_entry(sk, st->ifindex, &e->dst, FALSE);
		if (r < 0 && r != -ENOENT) {
			g_set_error(error, TG_ERROR, -r, "cannot remove peer %s from '%s': %s",
				    tg_addr_format(&e->dst, a), st->name, g_strerror(-r));
			return r;
		}
		st->peers_removed++;
	}
	return 0;
}

/* The device, made if missing; what exists must be what we would make. */
static int device_get(struct nl_sock *sk, const VxlanConfig *cfg, VxlanState *st,
		      LinkInfo *vx, GError **error)
{
	VxlanLink want = { .vni = cfg->vni, .local = cfg->local, .port = cfg->port,
			   .learning = !cfg->evpn, .mtu = st->mtu };
	char a[TG_ADDR_STRLEN];
	int r = link_get(sk, st->name, vx);

	if (r == -ENODEV) {
		r = link_create_vxlan(sk, st->name, &want);
		st->created = r == 0;
		/* another helper may have made it just now */
		if (r == 0 || r == -EEXIST)
			r = link_get(sk, st->name, vx);
		if (r == -ENODEV) {	/* EEXIST was about the VNI, not the name */
			g_set_error(error, TG_ERROR, EEXIST, "cannot create '%s': VNI %u on UDP port "
				    "%u belongs to another VXLAN device", st->name, cfg->vni,
				    cfg->port);
			return -EEXIST;
		}
	}
	if (r == -EOPNOTSUPP) {
		g_set_error(error, TG_ERROR, -r, "cannot create '%s': this kernel has no VXLAN "
			    "support (vxlan)", st->name);
		return r;
	}
	if (r < 0) {
		g_set_error(error, TG_ERROR, -r, "cannot create '%s': %s", st->name, g_strerror(-r));
		return r;
	}
	if (strcmp(vx->kind, "vxlan") || vx->vxlan_id != cfg->vni || vx->vxlan_other ||
	    !tg_addr_equal(&vx->vxlan_local, &cfg->local) || vx->vxlan_port != cfg->port) {
		g_set_error(error, TG_ERROR, EEXIST, "'%s' exists but is not VNI %u from %s, UDP "
			    "port %u", st->name, cfg->vni, tg_addr_format(&cfg->local, a), cfg->port);
		return -EEXIST;
	}
	if (vx->vxlan_learning != !cfg->evpn) {
		g_set_error(error, TG_ERROR, EEXIST, "'%s' exists but %s remote MACs from traffic "
			    "(the policy says %s mode)", st->name,
			    vx->vxlan_learning ? "learns" : "does not learn",
			    cfg->evpn ? "EVPN" : "static");
		return -EEXIST;
	}
	return 0;
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
			    g_strerror(-r));
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

static int ensure(struct nl_sock *sk, const VxlanConfig *cfg, const LinkInfo *br,
		  unsigned int vid, VxlanState *state, GError **error)
{
	BridgePortFlags flags = { .learning = -1, .locked = -1, .isolated = -1,
				  .neigh_suppress = -1 };
	LinkInfo vx;
	int r;

	memset(state, 0, sizeof(*state));
	vxlan_device_name(cfg->vni, state->name);
	r = vxlan_check_underlay(sk, cfg, br->ifindex, state, error);
	if (r < 0)
		return r;
	r = device_get(sk, cfg, state, &vx, error);
	if (r < 0)
		return r;
	state->ifindex = vx.ifindex;
	if (vx.master && vx.master != br->ifindex) {
		g_set_error(error, TG_ERROR, EBUSY, "'%s' is already a port of another device",
			    state->name);
		return -EBUSY;
	}
	/* The MTU is set once, when the device is made: the guests' taps get
	 * what it has, and 'tapgate check' says when it is not what the
	 * underlay leaves. */
	state->mtu = vx.mtu;
	/* == ip link set dev VXLAN master BRIDGE */
	if (!vx.master && (r = link_set_master(sk, vx.ifindex, br->ifindex)) < 0) {
		g_set_error(error, TG_ERROR, -r, "cannot put '%s' in bridge '%s': %s", state->name,
			    br->name, g_strerror(-r));
		return r;
	}
	if (vid) {
		PortVlan access = { .mode = PORT_ACCESS, .vid = vid };

		r = bridge_vlan_reconcile(sk, vx.ifindex, &access, br->default_pvid, NULL, NULL);
		if (r < 0) {
			g_set_error(error, TG_ERROR, -r, "cannot map VLAN %u to VNI %u on '%s': %s",
				    vid, cfg->vni, state->name,
				    r == -EPROTO ? "the VLANs did not read back as configured" :
						   g_strerror(-r));
			return r;
		}
	}
	r = link_get(sk, state->name, &vx);
	if (r < 0) {
		g_set_error(error, TG_ERROR, -r, "cannot look up '%s': %s", state->name,
			    g_strerror(-r));
		return r;
	}
	/* EVPN: the bridge must not learn remote MACs from the tunnel (zebra
	 * installs them) and answers ARP/ND itself (RFC 7432 section 10). */
	if (cfg->evpn && (vx.learning || !vx.neigh_suppress)) {
		flags.learning = 0;
		flags.neigh_suppress = 1;
		r = link_set_bridge_port(sk, vx.ifindex, &flags);
		if (r < 0) {
			g_set_error(error, TG_ERROR, -r, "cannot set up '%s' for EVPN: %s", state->name,
				    g_strerror(-r));
			return r;
		}
	}
	if (!cfg->evpn && (r = flood_reconcile(sk, cfg, state, error)) < 0)
		return r;
	if (!(vx.flags & IFF_UP) && (r = link_set_up(sk, vx.ifindex)) < 0) {
		g_set_error(error, TG_ERROR, -r, "cannot bring '%s' up: %s", state->name,
			    g_strerror(-r));
		return r;
	}
	return 0;
}

/**
 * vxlan_ensure() - make sure the network's VXLAN port is in place
 * @sk:		rtnetlink socket, with CAP_NET_ADMIN
 * @cfg:	the network's VXLAN configuration (vni != 0)
 * @br:		the network's bridge
 * @vid:	the network's VLAN on a vlan-filtering bridge, or 0
 * @state:	filled in: names, MTUs, what changed
 * @error:	set to a one-line message on failure
 *
 * Creates vx<VNI> if missing (MTU: the underlay's minus VXLAN's overhead),
 * attaches it to @br, on a vlan-filtering bridge makes it an access port
 * of @vid (VLAN-to-VNI mapping; the default VLAN removed), sets it up for
 * the control mode, and in static mode reconciles the flood entries with
 * the policy's peers. Doing it twice changes nothing; a device made by a
 * call that then fails is deleted again.
 *
 * Return: 0 or -errno
 */
int vxlan_ensure(struct nl_sock *sk, const VxlanConfig *cfg, const LinkInfo *br,
		 unsigned int vid, VxlanState *state, GError **error)
{
	int r = ensure(sk, cfg, br, vid, state, error);

	if (r < 0 && state->created && state->ifindex)
		link_delete(sk, state->ifindex);
	return r;
}
