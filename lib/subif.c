/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Sub-interface bridges, the classic VLAN layout that needs no VLAN-aware
 * bridge: VLAN V of uplink U is the 802.1Q device "U.V", a port of its own
 * bridge; guests on that VLAN are plain ports of that bridge. Made on first
 * use, reused after, checked every time, never deleted by us.
 */
#include <stdio.h>
#include <string.h>

#include "subif.h"
#include "tg-util.h"

/* Look a link up, creating it with @create if it does not exist. Another
 * helper may create it at the same moment: EEXIST means "look again". */
static int get_or_create(struct nl_sock *sk, const char *name, LinkInfo *info,
			 int (*create)(struct nl_sock *, const char *, const LinkInfo *,
				       unsigned int),
			 const LinkInfo *parent, unsigned int vid)
{
	int r = link_get(sk, name, info);

	if (r != -ENODEV)
		return r;
	r = create(sk, name, parent, vid);
	if (r < 0 && r != -EEXIST)
		return r;
	return link_get(sk, name, info);
}

static int create_vlan(struct nl_sock *sk, const char *name, const LinkInfo *parent,
		       unsigned int vid)
{
	return link_create_vlan(sk, name, parent->ifindex, vid);
}

static int create_bridge(struct nl_sock *sk, const char *name, const LinkInfo *parent,
			 unsigned int vid)
{
	return link_create_bridge(sk, name);
}

/**
 * subif_ensure() - make sure uplink.VID exists and is a port of @bridge
 * @sk:		rtnetlink socket, with CAP_NET_ADMIN
 * @uplink:	the uplink's name
 * @vid:	the VLAN
 * @bridge:	the per-VLAN bridge's name
 * @br:		set to the bridge, up
 * @error:	set to a one-line message on failure
 *
 * What exists already must be exactly what we would have made: a device
 * called uplink.VID that is not VLAN VID on the uplink, or a bridge name
 * taken by something else, is an error, never repurposed.
 *
 * Return: 0 or -errno
 */
int subif_ensure(struct nl_sock *sk, const char *uplink, unsigned int vid, const char *bridge,
		 LinkInfo *br, GError **error)
{
	char sub[IFNAMSIZ + 8];
	LinkInfo up, vl;
	int r;

	snprintf(sub, sizeof(sub), "%s.%u", uplink, vid);
	r = link_get(sk, uplink, &up);
	if (r < 0) {
		if (r == -ENODEV)
			g_set_error(error, TG_ERROR, -r, "uplink '%s' does not exist", uplink);
		else
			g_set_error(error, TG_ERROR, -r, "cannot look up uplink '%s': %s", uplink,
				    g_strerror(-r));
		return r;
	}
	r = get_or_create(sk, sub, &vl, create_vlan, &up, vid);
	if (r == -EOPNOTSUPP) {
		g_set_error(error, TG_ERROR, -r,
			    "cannot create '%s': this kernel has no 802.1Q support (8021q)", sub);
		return r;
	}
	if (r < 0) {
		g_set_error(error, TG_ERROR, -r, "cannot create '%s': %s", sub, g_strerror(-r));
		return r;
	}
	if (strcmp(vl.kind, "vlan") || vl.link != up.ifindex || vl.vlan_id != vid) {
		g_set_error(error, TG_ERROR, EEXIST, "'%s' exists but is not VLAN %u on '%s'", sub,
			    vid, uplink);
		return -EEXIST;
	}
	r = get_or_create(sk, bridge, br, create_bridge, NULL, 0);
	if (r < 0) {
		g_set_error(error, TG_ERROR, -r, "cannot create bridge '%s': %s", bridge,
			    g_strerror(-r));
		return r;
	}
	if (strcmp(br->kind, "bridge")) {
		g_set_error(error, TG_ERROR, EEXIST, "'%s' exists but is not a bridge", bridge);
		return -EEXIST;
	}
	if (vl.master && vl.master != br->ifindex) {
		g_set_error(error, TG_ERROR, EBUSY, "'%s' is already a port of another device", sub);
		return -EBUSY;
	}
	/* == ip link set dev U.V master BRIDGE up; ip link set dev BRIDGE up */
	if ((!vl.master && (r = link_set_master(sk, vl.ifindex, br->ifindex)) < 0) ||
	    (!(vl.flags & IFF_UP) && (r = link_set_up(sk, vl.ifindex)) < 0) ||
	    (!(br->flags & IFF_UP) && (r = link_set_up(sk, br->ifindex)) < 0)) {
		g_set_error(error, TG_ERROR, -r, "cannot set up '%s' in bridge '%s': %s", sub,
			    bridge, g_strerror(-r));
		return r;
	}
	return link_get(sk, bridge, br);
}
