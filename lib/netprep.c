/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a network of the policy needs before a guest port can join it,
 * whoever made the tap, read from the kernel and never changed here: its
 * bridge, up; VLAN filtering where the port has VLANs; the sub-interface or
 * VXLAN port that carries it off the host. 'tapgate apply' makes all that
 * (apply.c); the helper, the hook, 'tapgate check' and 'explain' run this
 * same preflight and name what apply has not done yet.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "netprep.h"
#include "vxlan.h"
#include "tg-util.h"

/**
 * policy_network_target() - what a port of @net needs, as policy_decide()
 * would fill it in for an allowed request (names borrowed, not copied)
 * @policy:	the policy @net is in
 * @net:	the network
 * @t:		filled in; nothing to free
 */
void policy_network_target(const Policy *policy, const PolicyNetwork *net, PolicyTarget *t)
{
	const PolicyBridge *b = policy_find_bridge(policy, net->bridge);

	memset(t, 0, sizeof(*t));
	t->managed = b && b->managed;
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
 * target_bridge_is_applied() - whether 'tapgate apply' makes and keeps @t's bridge
 * @t:		the target
 *
 * A sub-interface network's bridge and a VXLAN network's own bridge (one
 * without a VLAN) belong to the network; a bridge with 'managed = true' is
 * tapgate's to run. Any other bridge is the administrator's.
 *
 * Return: TRUE if apply makes it
 */
gboolean target_bridge_is_applied(const PolicyTarget *t)
{
	return t->uplink || t->managed || (t->vxlan.vni && t->vlan.mode == PORT_PLAIN);
}

/* What apply has not done: the helper's line names the fix. */
static int todo(PortPreflight *pf, GError **error, const char *done, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);

static int todo(PortPreflight *pf, GError **error, const char *done, const char *fmt, ...)
{
	g_autofree char *what = NULL;
	va_list ap;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_strlcpy(pf->todo, done, sizeof(pf->todo));
	g_set_error(error, TG_ERROR, EAGAIN, "%s; run 'tapgate apply' as root", what);
	return -EAGAIN;
}

static int fail(GError **error, int r, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static int fail(GError **error, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_propagate_error(error, g_error_new_valist(TG_ERROR, r, fmt, ap));
	va_end(ap);
	return -r;
}

static int check_bridge(struct nl_sock *sk, const PolicyTarget *t, PortPreflight *pf,
			GError **error)
{
	char done[sizeof(pf->todo)];
	int r = link_get(sk, t->bridge, &pf->br);

	if (r == -ENODEV && target_bridge_is_applied(t)) {
		snprintf(done, sizeof(done), "made bridge '%s'", t->bridge);
		return todo(pf, error, done, "bridge '%s' does not exist", t->bridge);
	}
	if (r == -ENODEV)
		return fail(error, ENODEV, "bridge '%s' does not exist", t->bridge);
	if (r < 0)
		return fail(error, -r, "cannot look up bridge '%s': %s", t->bridge, tg_strerror(-r));
	if (strcmp(pf->br.kind, "bridge"))
		return fail(error, ENOTTY, "'%s' is not a bridge", t->bridge);
	/* Only tapgate's own bridges: the administrator's may be down on purpose
	 * (qemu-bridge-helper attaches to them all the same). */
	if (!(pf->br.flags & IFF_UP) && target_bridge_is_applied(t)) {
		snprintf(done, sizeof(done), "brought bridge '%s' up", t->bridge);
		return todo(pf, error, done, "bridge '%s' is down", t->bridge);
	}
	return 0;
}

/**
 * bridge_vlans_unsupported() - does the kernel lack what VLANs on @br need?
 * @br:		an existing bridge
 * @error:	set to a one-line message if so
 *
 * Only a kernel with bridge VLAN filtering reports a bridge's VLAN protocol
 * (LinkInfo.vlan_filtering_supported); without it nobody can switch
 * vlan_filtering on, so no advice to do so, and no 'tapgate apply' either.
 *
 * Return: 0, or -EOPNOTSUPP with @error set
 */
int bridge_vlans_unsupported(const LinkInfo *br, GError **error)
{
	if (br->vlan_filtering || br->vlan_filtering_supported)
		return 0;
	return fail(error, EOPNOTSUPP, "bridge '%s' does not filter VLANs, and this kernel has "
		    "no bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING); use a network of the "
		    "policy with 'uplink =' (802.1Q sub-interfaces) instead", br->name);
}

/* A VLAN asked for needs a filtering bridge; no VLAN asked for on a filtering
 * bridge would leave the port in the default VLAN, which only policy may allow. */
static int check_filtering(const PolicyTarget *t, PortPreflight *pf, GError **error)
{
	char done[sizeof(pf->todo)];

	if (t->vlan.mode == PORT_PLAIN) {
		if (pf->br.vlan_filtering && !t->vlan.keep_default_vlan)
			return fail(error, EINVAL, "bridge '%s' filters VLANs: ask for a VLAN (a "
				    "network, or '--vlan=ID'), or set 'keep-default-vlan = true' for "
				    "it in the policy", t->bridge);
		return 0;
	}
	if (pf->br.vlan_filtering)
		return 0;
	if (bridge_vlans_unsupported(&pf->br, error) < 0)
		return -EOPNOTSUPP;
	if (t->managed) {
		snprintf(done, sizeof(done), "switched on vlan_filtering on bridge '%s'", t->bridge);
		return todo(pf, error, done, "bridge '%s' does not filter VLANs yet", t->bridge);
	}
	return fail(error, EOPNOTSUPP, "bridge '%s' does not filter VLANs (vlan_filtering is "
		    "off), and the policy does not let tapgate switch it on ('managed = true' in "
		    "[bridge %s])", t->bridge, t->bridge);
}

/* The port that carries the network off the host: present, in the bridge, up. */
static int check_carrier(struct nl_sock *sk, const PolicyTarget *t, const char *name,
			 PortPreflight *pf, LinkInfo *dev, GError **error)
{
	char done[sizeof(pf->todo)];
	int r = link_get(sk, name, dev);

	if (r == -ENODEV) {
		snprintf(done, sizeof(done), "made '%s'", name);
		return todo(pf, error, done, "'%s' does not exist", name);
	}
	if (r < 0)
		return fail(error, -r, "cannot look up '%s': %s", name, tg_strerror(-r));
	if (dev->master != pf->br.ifindex) {
		snprintf(done, sizeof(done), "put '%s' in bridge '%s'", name, t->bridge);
		return todo(pf, error, done, "'%s' is not a port of bridge '%s'", name, t->bridge);
	}
	if (!(dev->flags & IFF_UP)) {
		snprintf(done, sizeof(done), "brought '%s' up", name);
		return todo(pf, error, done, "'%s' is down", name);
	}
	return 0;
}

/**
 * port_preflight() - whether a port of @t can join its network now, read-only
 * @sk:		rtnetlink socket (no capability needed)
 * @t:		the target, as policy_decide() filled it in
 * @pf:		set to the bridge and the MTU for the port; pf->todo to what
 *		'tapgate apply' has not done yet (a past-tense phrase), or ""
 * @error:	set to a one-line message on failure
 *
 * Return: 0, -EAGAIN if 'tapgate apply' would fix what is missing, or -errno
 */
int port_preflight(struct nl_sock *sk, const PolicyTarget *t, PortPreflight *pf, GError **error)
{
	char a[TG_ADDR_STRLEN], sub[IFNAMSIZ + 8];
	LinkInfo dev;
	int r;

	memset(pf, 0, sizeof(*pf));
	r = check_bridge(sk, t, pf, error);
	if (r == 0)
		r = check_filtering(t, pf, error);
	if (r < 0)
		return r;
	pf->mtu = pf->br.mtu;
	if (t->uplink) {
		snprintf(sub, sizeof(sub), "%s.%u", t->uplink, t->uplink_vid);
		return check_carrier(sk, t, sub, pf, &dev, error);
	}
	if (!t->vxlan.vni)
		return 0;
	vxlan_device_name(t->vxlan.vni, sub);
	r = link_get(sk, sub, &dev);
	if (r == 0 && (strcmp(dev.kind, "vxlan") || dev.vxlan_id != t->vxlan.vni ||
		       !tg_addr_equal(&dev.vxlan_local, &t->vxlan.local)))
		return fail(error, EEXIST, "'%s' exists but is not VNI %u from %s", sub,
			    t->vxlan.vni, tg_addr_format(&t->vxlan.local, a));
	r = check_carrier(sk, t, sub, pf, &dev, error);
	if (r == 0)	/* what the tunnel leaves, and no more than the bridge's */
		pf->mtu = MIN(pf->br.mtu, dev.mtu);
	return r;
}
