/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include <glib.h>
#include <netlink/socket.h>

#include "policy.h"
#include "vlan.h"

/* The VLANs of one bridge port, as the kernel has them. */
typedef struct {
	VlanSet vids;		/* every VID on the port */
	VlanSet untagged;	/* those that egress untagged */
	unsigned int pvid;	/* 0: none */
} PortVlanState;

gboolean bridge_vlan_state_equal(const PortVlanState *a, const PortVlanState *b);
void bridge_vlan_expected(const PortVlan *want, unsigned int default_pvid,
			  PortVlanState *state);
int bridge_vlan_reconcile(struct nl_sock *sk, int ifindex, const PortVlan *want,
			  unsigned int default_pvid, const PortVlanState *known,
			  PortVlanState *before);
int bridge_vlan_set(struct nl_sock *sk, int ifindex, const PortVlanState *state);
int bridge_vlan_add(struct nl_sock *sk, int ifindex, unsigned int vid, gboolean pvid_untagged,
		    gboolean self);
int bridge_vlan_dump(struct nl_sock *sk, GHashTable **by_index);
char *bridge_vlan_state_describe(const PortVlanState *st);
int bridge_vlan_get(struct nl_sock *sk, int ifindex, PortVlanState *state);
