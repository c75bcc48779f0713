/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 'tapgate apply', the run: a plan's steps in order, each undone again, in
 * reverse, when a later one fails, so that a failed apply leaves the
 * kernel as it found it. Links are named, not numbered, in the plan: a
 * step finds what an earlier step made.
 */
#include <string.h>

#include "apply.h"
#include "tap-persist.h"
#include "tg-util.h"
#include "vxlan.h"

static int index_of(struct nl_sock *sk, const char *name, LinkInfo *l)
{
	int r = link_get(sk, name, l);

	return r < 0 ? r : l->ifindex;
}

static int run_step(struct nl_sock *sk, ApplyStep *s)
{
	PortVlan access = { .mode = PORT_ACCESS, .vid = s->vid };
	BridgePortFlags evpn = { .learning = 0, .locked = -1, .isolated = -1,
				 .neigh_suppress = 1 };
	LinkInfo dev, other;
	int ifindex = 0, r;

	switch (s->kind) {
	case APPLY_CREATE_BRIDGE:
		return link_create_bridge(sk, s->dev, s->mac, s->filtering, s->default_pvid);
	case APPLY_CREATE_VXLAN:
		return link_create_vxlan(sk, s->dev, &s->vx);
	case APPLY_CREATE_VLAN:
		r = index_of(sk, s->other, &other);
		return r < 0 ? r : link_create_vlan(sk, s->dev, r, s->vid);
	case APPLY_CREATE_TAP:
		return tap_persist_create(s->dev, s->multi_queue, s->owner, s->group);
	case APPLY_TAP_OWNER:
		return tap_persist_set_owner(s->dev, s->multi_queue, s->owner, s->group);
	case APPLY_DELETE_TAP:
		return tap_persist_delete(s->dev, s->multi_queue);
	default:
		break;
	}
	ifindex = index_of(sk, s->dev, &dev);
	if (ifindex < 0)
		return ifindex;
	switch (s->kind) {
	case APPLY_BRIDGE_OPTS:
		return link_set_bridge_opts(sk, ifindex, s->filtering, s->default_pvid);
	case APPLY_FIX_MAC:
		return link_set_address(sk, ifindex, s->mac);
	case APPLY_SET_MASTER:
		r = index_of(sk, s->other, &other);
		return r < 0 ? r : link_set_master(sk, ifindex, r);
	case APPLY_PORT_VLANS:
		r = bridge_vlan_reconcile(sk, ifindex, &access, 0, NULL, &s->old_vlans);
		return r < 0 ? r : 0;
	case APPLY_KEEP_VLAN:
		return bridge_vlan_add(sk, ifindex, s->vid, TRUE, s->self);
	case APPLY_EVPN_PORT:
		return link_set_bridge_port(sk, ifindex, &evpn);
	case APPLY_FLOOD_ADD:
	case APPLY_FLOOD_DEL:
		r = vxlan_flood_set(sk, ifindex, &s->addr, s->kind == APPLY_FLOOD_ADD);
		return r == -EEXIST || r == -ENOENT ? 0 : r;
	case APPLY_SET_UP:
		return link_set_up(sk, ifindex);
	case APPLY_SET_ALIAS: {
		g_autofree char *alias = tap_persist_alias(s->dev);

		return link_set_alias(sk, ifindex, alias);
	}
	case APPLY_SET_MAC:
		return link_set_address(sk, ifindex, s->mac);
	case APPLY_SET_MTU:
		return link_set_mtu(sk, ifindex, s->mtu);
	case APPLY_TAP_VLANS:
		/* the bridge's default_pvid now: the one the kernel gave the port */
		r = index_of(sk, s->other, &other);
		if (r >= 0)
			r = bridge_vlan_reconcile(sk, ifindex, &s->vlan, other.default_pvid, NULL,
						  &s->old_vlans);
		return r < 0 ? r : 0;
	default:
		return -EINVAL;
	}
}

/* Undo a deletion: the tap made again as it was, as far as it goes. */
static void remake_tap(struct nl_sock *sk, const LinkInfo *old)
{
	const LinkTun *t = &old->tun;
	LinkInfo now;
	int ifindex;

	if (tap_persist_create(old->name, t->multi_queue, t->has_owner ? t->owner : (uid_t)-1,
			       t->has_group ? t->group : (gid_t)-1) < 0 ||
	    (ifindex = index_of(sk, old->name, &now)) < 0)
		return;
	link_set_alias(sk, ifindex, old->alias);
	link_set_address(sk, ifindex, old->mac);
	link_set_mtu(sk, ifindex, old->mtu);
	if (old->master)
		link_set_master(sk, ifindex, old->master);
	if (old->flags & IFF_UP)
		link_set_up(sk, ifindex);
}

/* Best effort: what cannot be undone any more has gone with its device. */
static void undo_step(struct nl_sock *sk, const ApplyStep *s)
{
	LinkInfo dev;
	int ifindex;

	if (s->kind == APPLY_DELETE_TAP) {
		remake_tap(sk, &s->old);
		return;
	}
	ifindex = index_of(sk, s->dev, &dev);
	if (ifindex < 0)
		return;
	switch (s->kind) {
	case APPLY_CREATE_BRIDGE:
	case APPLY_CREATE_VXLAN:
	case APPLY_CREATE_VLAN:
		link_delete(sk, ifindex);
		break;
	case APPLY_CREATE_TAP:
		tap_persist_delete(s->dev, s->multi_queue);
		break;
	case APPLY_TAP_OWNER:	/* an owner or group it had; none cannot be put back */
		tap_persist_set_owner(s->dev, s->multi_queue,
				      s->old.tun.has_owner ? s->old.tun.owner : (uid_t)-1,
				      s->old.tun.has_group ? s->old.tun.group : (gid_t)-1);
		break;
	case APPLY_SET_ALIAS:
		link_set_alias(sk, ifindex, s->old.alias);
		break;
	case APPLY_SET_MAC:
		link_set_address(sk, ifindex, s->old.mac);
		break;
	case APPLY_SET_MTU:
		link_set_mtu(sk, ifindex, s->old.mtu);
		break;
	case APPLY_TAP_VLANS:
		bridge_vlan_set(sk, ifindex, &s->old_vlans);
		break;
	case APPLY_DELETE_TAP:	/* above */
		break;
	case APPLY_BRIDGE_OPTS:
		link_set_bridge_opts(sk, ifindex, s->filtering >= 0 ? s->old_filtering : -1,
				     s->default_pvid >= 0 ? s->old_default_pvid : -1);
		break;
	case APPLY_SET_MASTER:	/* back into the bridge it was in (taps), or none */
		link_set_master(sk, ifindex, s->old.master > 0 ? s->old.master : 0);
		break;
	case APPLY_PORT_VLANS:
		bridge_vlan_set(sk, ifindex, &s->old_vlans);
		break;
	case APPLY_EVPN_PORT:
		link_set_bridge_port(sk, ifindex, &s->old_flags);
		break;
	case APPLY_FLOOD_ADD:
	case APPLY_FLOOD_DEL:
		vxlan_flood_set(sk, ifindex, &s->addr, s->kind == APPLY_FLOOD_DEL);
		break;
	case APPLY_SET_UP:
		link_set_down(sk, ifindex);
		break;
	case APPLY_FIX_MAC:	/* the same address: nothing to put back but its origin */
	case APPLY_KEEP_VLAN:	/* was there before the plan */
		break;
	}
}

static const char *what_failed(const ApplyStep *s, int r)
{
	if (r == -EOPNOTSUPP && s->kind == APPLY_CREATE_VLAN)
		return "this kernel has no 802.1Q support (8021q)";
	if (r == -EOPNOTSUPP && (s->kind == APPLY_BRIDGE_OPTS || s->kind == APPLY_CREATE_BRIDGE))
		return "this kernel has no bridge VLAN filtering";
	if (r == -EOPNOTSUPP && s->kind == APPLY_CREATE_VXLAN)
		return "this kernel has no VXLAN support (vxlan)";
	if (r == -EEXIST && s->kind == APPLY_CREATE_VXLAN)
		return "the VNI and UDP port belong to another VXLAN device";
	if (r == -EPROTO)
		return "the VLANs did not read back as configured";
	if (r == -EBUSY && s->kind == APPLY_CREATE_TAP)
		return "a device of that name exists";
	if (r == -EBUSY && (s->kind == APPLY_TAP_OWNER || s->kind == APPLY_DELETE_TAP))
		return "a process holds the tap";
	return tg_strerror(-r);
}

/**
 * apply_run() - make the changes of a plan without problems
 * @sk:		rtnetlink socket, with CAP_NET_ADMIN
 * @plan:	from apply_plan()
 * @error:	set to a one-line message on failure
 *
 * Return: the number of steps made, or -errno after undoing every step
 * this call made
 */
int apply_run(struct nl_sock *sk, ApplyPlan *plan, GError **error)
{
	guint i;
	int r = 0;

	for (i = 0; i < plan->steps->len; i++) {
		ApplyStep *s = &g_array_index(plan->steps, ApplyStep, i);

		r = run_step(sk, s);
		if (r < 0 && i == 0)
			g_set_error(error, TG_ERROR, -r, "'%s' failed: %s; nothing was changed",
				    s->command, what_failed(s, r));
		else if (r < 0)
			g_set_error(error, TG_ERROR, -r, "'%s' failed: %s; the %u change%s before "
				    "it %s undone", s->command, what_failed(s, r), i,
				    i == 1 ? "" : "s", i == 1 ? "was" : "were");
		if (r < 0)
			break;
	}
	if (r >= 0)
		return (int)i;
	while (i-- > 0)
		undo_step(sk, &g_array_index(plan->steps, ApplyStep, i));
	return r;
}
