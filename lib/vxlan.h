/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include <stdint.h>
#include <glib.h>
#include <netlink/socket.h>

#include "addr.h"
#include "link.h"
#include "policy.h"

/* One entry of a VXLAN device's own forwarding database. */
typedef struct {
	uint8_t mac[6];		/* 00:00:00:00:00:00: a flood (BUM) entry */
	TgAddr dst;		/* the remote tunnel endpoint */
	gboolean extern_learn;	/* put there by a control plane (FRR's zebra) */
	gboolean permanent;
} VxlanFdbEntry;

/* A network's tunnel as vxlan_check_underlay() finds it. */
typedef struct {
	char name[16];		/* "vx10100" */
	int ifindex;
	uint32_t underlay_mtu;	/* MTU of the device holding vxlan-local */
	char underlay[16];
	uint32_t mtu;		/* what is left for guests' frames */
} VxlanState;

void vxlan_device_name(unsigned int vni, char name[16]);
unsigned int vxlan_overhead(const TgAddr *local);
int vxlan_underlay(struct nl_sock *sk, const TgAddr *local, LinkInfo *dev);
int vxlan_fdb_dump(struct nl_sock *sk, int ifindex, GArray **entries);
int vxlan_check_underlay(struct nl_sock *sk, const VxlanConfig *cfg, int bridge,
			 VxlanState *state, GError **error);
int vxlan_flood_set(struct nl_sock *sk, int ifindex, const TgAddr *dst, gboolean add);
