/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include <glib.h>
#include <netlink/socket.h>

#include "link.h"
#include "policy.h"
#include "portcfg.h"
#include "vxlan.h"

int network_bridge(struct nl_sock *sk, const PolicyTarget *t, LinkInfo *br, GError **error);
int network_tunnel(struct nl_sock *sk, const PolicyTarget *t, LinkInfo *br,
		   gboolean made_bridge, VxlanState *vs, GError **error);
void policy_network_target(const PolicyNetwork *net, PolicyTarget *t);
int port_network_resolve(struct nl_sock *sk, Policy **policy, const char *bridge,
			 PortConfig *cfg, const PolicyNetwork **net, GError **error);
