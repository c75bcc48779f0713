/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include <glib.h>
#include <netlink/socket.h>

#include "link.h"
#include "policy.h"
#include "portcfg.h"

/* What port_preflight() found. */
typedef struct {
	LinkInfo br;		/* the bridge the port goes on */
	uint32_t mtu;		/* the port's MTU */
	char todo[96];		/* what 'tapgate apply' has not done yet, or "" */
} PortPreflight;

void policy_network_target(const Policy *policy, const PolicyNetwork *net, PolicyTarget *t);
gboolean target_bridge_is_applied(const PolicyTarget *t);
int bridge_vlans_unsupported(const LinkInfo *br, GError **error);
int port_preflight(struct nl_sock *sk, const PolicyTarget *t, PortPreflight *pf, GError **error);
int port_network_resolve(struct nl_sock *sk, Policy **policy, const char *bridge,
			 PortConfig *cfg, const PolicyNetwork **net, GError **error);
