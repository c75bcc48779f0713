/* SPDX-License-Identifier: GPL-2.0-or-later */
/* 'tapgate apply': the shared devices the policy declares, planned and made. */
#pragma once
#include <glib.h>
#include <netlink/socket.h>

#include "addr.h"
#include "bridge-vlan.h"
#include "link.h"
#include "policy.h"

typedef enum {
	APPLY_CREATE_BRIDGE,	/* dev, mac, filtering, default_pvid */
	APPLY_CREATE_VLAN,	/* dev = other.vid */
	APPLY_CREATE_VXLAN,	/* dev, vx */
	APPLY_BRIDGE_OPTS,	/* dev: filtering and/or default_pvid */
	APPLY_FIX_MAC,		/* dev: its own MAC, set so that no port's replaces it */
	APPLY_SET_MASTER,	/* dev into bridge other */
	APPLY_PORT_VLANS,	/* dev: an access port of vid */
	APPLY_KEEP_VLAN,	/* dev (or the bridge itself): keeps vid as pvid untagged */
	APPLY_EVPN_PORT,	/* dev: learning off, neigh_suppress on */
	APPLY_FLOOD_ADD,	/* dev: a flood entry towards addr */
	APPLY_FLOOD_DEL,
	APPLY_SET_UP,		/* dev */
	APPLY_CREATE_TAP,	/* dev, owner, group, multi_queue: persistent */
	APPLY_TAP_OWNER,	/* dev: owner and/or group set (old: as it was) */
	APPLY_DELETE_TAP,	/* dev, multi_queue (old: as it was, to make it again) */
	APPLY_SET_ALIAS,	/* dev: the alias that marks it tapgate's */
	APPLY_SET_MAC,		/* dev: mac (old: as it was) */
	APPLY_SET_MTU,		/* dev: mtu (old: as it was) */
	APPLY_TAP_VLANS,	/* dev, a port of bridge other: vlan */
} ApplyKind;

/* One change, with what its undo needs. */
typedef struct {
	ApplyKind kind;
	char dev[IFNAMSIZ];
	char other[IFNAMSIZ];
	unsigned int vid;
	int filtering, default_pvid;	/* -1: leave as it is */
	int old_filtering, old_default_pvid;
	gboolean self;
	uint8_t mac[6];
	TgAddr addr;
	VxlanLink vx;
	BridgePortFlags old_flags;	/* APPLY_EVPN_PORT */
	PortVlanState old_vlans;	/* APPLY_PORT_VLANS, APPLY_TAP_VLANS: read when done */
	uid_t owner;			/* taps: (uid_t)-1 for none */
	gid_t group;			/* taps: (gid_t)-1 for none */
	gboolean multi_queue;		/* taps */
	uint32_t mtu;			/* APPLY_SET_MTU */
	PortVlan vlan;			/* APPLY_TAP_VLANS */
	LinkInfo old;			/* taps: the link before the step (undo);
					 * APPLY_SET_MASTER: old.master */
	char *command;			/* the iproute2 command it mirrors */
} ApplyStep;

/* What apply would change, and why it cannot change some of it. */
typedef struct {
	GArray *steps;		/* ApplyStep, in order */
	GPtrArray *problems;	/* char *: one line each */
	guint units;		/* managed bridges, networks and taps */
	guint taps;		/* of which taps */
	guint left_out;		/* units with a problem: none of their steps planned */
	GHashTable *refused;	/* "bridge br0", "network lan100" (a PolicyTarget's
				 * quota_key), "tap vm1" -> the unit's first problem */
} ApplyPlan;

int apply_plan(struct nl_sock *sk, const Policy *policy, ApplyPlan **plan, GError **error);
void apply_plan_free(ApplyPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApplyPlan, apply_plan_free)
int apply_run(struct nl_sock *sk, ApplyPlan *plan, GError **error);
int bridge_mac_is_fixed(const LinkInfo *br);
void apply_bridge_mac(const char *name, uint8_t mac[6]);
void apply_tap_mac(const char *name, uint8_t mac[6]);
