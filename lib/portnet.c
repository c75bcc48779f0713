/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Ports libvirt made, on a network of the policy: tapgate metadata
 * network="NAME" (the hook, tapgate sync, tapgate xml attach).
 */
#include <errno.h>
#include <string.h>

#include "config.h"
#include "netprep.h"
#include "tg-util.h"

/**
 * port_network_resolve() - a libvirt port on a network of the policy
 * (tapgate metadata network="NAME"): its VLANs, and the preflight of its
 * network (what 'tapgate apply' makes must be there)
 * @sk:		rtnetlink socket, or NULL to skip the preflight
 * @policy:	the policy; loaded from TG_POLICY_PATH on first use if NULL
 * @bridge:	the interface's <source bridge> (NULL: refused), or the
 *		network's own bridge for a NIC about to be attached
 * @cfg:	cfg->network names the network; cfg->vlan set from it
 * @net:	if not NULL, set to the network
 * @error:	set to a one-line message on failure
 *
 * Return: 0 or -errno
 */
int port_network_resolve(struct nl_sock *sk, Policy **policy, const char *bridge,
			 PortConfig *cfg, const PolicyNetwork **net, GError **error)
{
	g_autoptr(GError) err = NULL;
	const PolicyNetwork *n;
	PortPreflight pf;
	PolicyTarget t;
	int r;

	if (!*policy && (r = policy_load(policy, &policy_env_system, TG_POLICY_PATH,
					 TG_QEMU_ACL_PATH, error)) < 0)
		return r;
	n = policy_find_network(*policy, cfg->network);
	if (!n) {
		g_set_error(error, TG_ERROR, ENOENT, "network '%s' is not in the policy (%s)",
			    cfg->network, (*policy)->sources->len ?
			    (char *)g_ptr_array_index((*policy)->sources, 0) : TG_POLICY_PATH);
		return -ENOENT;
	}
	/* Only for an interface already on the network's bridge: a domain's
	 * metadata cannot make tapgate build a network for nothing. */
	if (!bridge) {
		g_set_error(error, TG_ERROR, EINVAL, "network '%s' needs an interface of type "
			    "'bridge' on bridge '%s'", n->name, n->bridge);
		return -EINVAL;
	}
	if (strcmp(bridge, n->bridge)) {
		g_set_error(error, TG_ERROR, EINVAL, "its bridge is '%s', but network '%s' is on "
			    "bridge '%s'", bridge, n->name, n->bridge);
		return -EINVAL;
	}
	cfg->vlan = n->vlan;
	if (net)
		*net = n;
	if (!sk)
		return 0;
	policy_network_target(*policy, n, &t);
	r = port_preflight(sk, &t, &pf, &err);
	if (r < 0)
		g_set_error(error, TG_ERROR, -r, "network '%s': %s", n->name, err->message);
	return r;
}
