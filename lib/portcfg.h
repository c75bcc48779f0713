/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include <stdint.h>
#include <glib.h>
#include <netlink/socket.h>

#include "link.h"
#include "policy.h"

/* How one guest port must be wired, whoever made the tap (libvirt, us). */
typedef struct {
	char network[16];	/* a network of the policy: its VLANs and tunnel; "" none */
	PortVlan vlan;		/* PORT_PLAIN: VLANs left as they are */
	gboolean pin_mac;	/* only the guest's MAC may send from this port */
	gboolean isolated;	/* no traffic to other isolated ports */
	uint8_t mac[6];		/* the guest's MAC */
	char bridge[16];	/* the bridge the interface's <source> names, "" unknown */
	gboolean only_isolation;	/* keep isolation on; leave the other flags be */
} PortConfig;

/* Links and VLANs of the whole namespace (or of some bridges), read in two
 * dumps, and the pins of the ports asked about, so that reconciling many
 * ports costs no request per port that is right. */
typedef struct {
	GHashTable *links;	/* ifindex -> LinkInfo * */
	GHashTable *names;	/* name -> LinkInfo * (in @links) */
	GHashTable *vlans;	/* ifindex -> PortVlanState * */
	GHashTable *fdb;	/* fdb_key() of the pins found on ports in @pins_known */
	GHashTable *pins_known;	/* ifindex of the ports port_snapshot_add_pins() read */
} PortSnapshot;

char *port_config_describe(const PortConfig *cfg);
int port_bridge_check(const LinkInfo *br, const PortConfig *cfg, GError **error);
int port_snapshot_take(struct nl_sock *sk, PortSnapshot **snap);
int port_snapshot_take_bridges(struct nl_sock *sk, const char *const *bridges, PortSnapshot **snap);
int port_snapshot_add_pins(PortSnapshot *snap, const char *const *taps,
			   const PortConfig *cfgs, guint n);
void port_snapshot_free(PortSnapshot *snap);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PortSnapshot, port_snapshot_free)
int port_reconcile(struct nl_sock *sk, const PortSnapshot *snap, const char *tap,
		   const PortConfig *cfg, GPtrArray *changes, GError **error);
