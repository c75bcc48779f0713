/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a network of the policy needs before a guest port can join it,
 * whoever made the tap: its bridge (made on first use for sub-interface
 * networks and for VXLAN networks without a VLAN, whose bridge is their
 * own), and for networks that span hosts their VXLAN port. The helper runs
 * this for its own taps; the hook runs it for libvirt's.
 */
#include <errno.h>
#include <string.h>

#include "netprep.h"
#include "subif.h"
#include "tg-util.h"

/**
 * policy_network_target() - what a port of @net needs, as policy_decide()
 * would fill it in for an allowed request (names borrowed, not copied)
 * @net:	the network
 * @t:		filled in; nothing to free
 */
void policy_network_target(const PolicyNetwork *net, PolicyTarget *t)
{
	memset(t, 0, sizeof(*t));
	t->name = net->name;
	t->network = TRUE;
	t->bridge = net->bridge;
	t->uplink = net->uplink;
	t->uplink_vid = net->uplink_vid;
	t->vlan = net->vlan;
	t->vxlan = net->vxlan;
	t->quota = net->quota;
}

/**
 * network_bridge() - the bridge a port of @t goes on, made if it is ours to make
 * @sk:		rtnetlink socket, with CAP_NET_ADMIN
 * @t:		the target (a network, or a plain bridge)
 * @br:		set to the bridge
 * @error:	set to a one-line message on failure
 *
 * Return: 1 if this call made the bridge, 0 if it existed, -ENODEV if a
 * bridge we may not make is missing, or -errno
 */
int network_bridge(struct nl_sock *sk, const PolicyTarget *t, LinkInfo *br, GError **error)
{
	gboolean made = FALSE;
	int r;

	if (t->uplink)
		return subif_ensure(sk, t->uplink, t->uplink_vid, t->bridge, br, error);
	r = link_get(sk, t->bridge, br);
	if (r == -ENODEV && t->vxlan.vni && t->vlan.mode == PORT_PLAIN) {
		VxlanState vs;

		/* nothing made for a tunnel that cannot be */
		r = vxlan_check_underlay(sk, &t->vxlan, 0, &vs, error);
		if (r < 0)
			return r;
		/* == ip link add name BRIDGE type bridge; ip link set dev BRIDGE up */
		r = link_create_bridge(sk, t->bridge);
		made = r == 0;
		if (r < 0 && r != -EEXIST) {
			g_set_error(error, TG_ERROR, -r, "cannot create bridge '%s': %s", t->bridge,
				    g_strerror(-r));
			return r;
		}
		r = link_get(sk, t->bridge, br);
		if (r == 0 && !(br->flags & IFF_UP) && (r = link_set_up(sk, br->ifindex)) < 0) {
			g_set_error(error, TG_ERROR, -r, "cannot bring bridge '%s' up: %s", t->bridge,
				    g_strerror(-r));
			link_delete(sk, br->ifindex);
			return r;
		}
		if (r == 0)
			r = link_get(sk, t->bridge, br);
	}
	if (r == -ENODEV) {
		g_set_error(error, TG_ERROR, ENODEV, "bridge '%s' does not exist", t->bridge);
		return r;
	}
	if (r < 0) {
		g_set_error(error, TG_ERROR, -r, "cannot look up bridge '%s': %s", t->bridge,
			    g_strerror(-r));
		return r;
	}
	if (strcmp(br->kind, "bridge")) {
		g_set_error(error, TG_ERROR, ENOTTY, "'%s' is not a bridge", t->bridge);
		return -ENOTTY;
	}
	return made;
}

/**
 * network_tunnel() - the VXLAN port of a network that spans hosts
 * @sk:		rtnetlink socket, with CAP_NET_ADMIN
 * @t:		the target, t->vxlan.vni != 0
 * @br:		its bridge (filtering VLANs already if the network has one);
 *		read again afterwards, as its MTU follows its ports
 * @made_bridge: network_bridge() made @br just now: deleted if this fails
 * @vs:		set to what vxlan_ensure() found and did
 * @error:	set to a one-line message on failure
 *
 * Return: 0 or -errno
 */
int network_tunnel(struct nl_sock *sk, const PolicyTarget *t, LinkInfo *br,
		   gboolean made_bridge, VxlanState *vs, GError **error)
{
	unsigned int vid = t->vlan.mode == PORT_ACCESS ? t->vlan.vid : 0;
	int r;

	if (vid && !br->vlan_filtering) {
		g_set_error(error, TG_ERROR, EOPNOTSUPP, "bridge '%s' does not filter VLANs; turn it "
			    "on with 'ip link set dev %s type bridge vlan_filtering 1'", t->bridge,
			    t->bridge);
		return -EOPNOTSUPP;
	}
	/* The tunnel would join the default VLAN, often the host's own LAN. */
	if (!vid && br->vlan_filtering && !t->uplink) {
		g_set_error(error, TG_ERROR, EINVAL, "bridge '%s' filters VLANs: a VXLAN network "
			    "without 'vlan =' needs a bridge of its own that does not", t->bridge);
		return -EINVAL;
	}
	r = vxlan_ensure(sk, &t->vxlan, br, vid, vs, error);
	if (r < 0) {
		if (made_bridge)	/* leave nothing half-configured */
			link_delete(sk, br->ifindex);
		return r;
	}
	r = link_get(sk, t->bridge, br);
	if (r < 0)
		g_set_error(error, TG_ERROR, -r, "cannot look up bridge '%s': %s", t->bridge,
			    g_strerror(-r));
	return r;
}

