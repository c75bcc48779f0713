/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include <net/if.h>
#include <stdint.h>
#include <glib.h>
#include <netlink/socket.h>

#include "addr.h"

/* Kind "tun": what the tun driver tells of the device (Linux >= 4.15). */
typedef struct {
	gboolean known;		/* the kernel reported the attributes below */
	gboolean tap;		/* IFF_TAP, not IFF_TUN */
	gboolean persist;	/* stays when the last fd to it is closed */
	gboolean has_owner;
	uint32_t owner;		/* uid, if has_owner */
	gboolean has_group;
	uint32_t group;		/* gid, if has_group */
	gboolean multi_queue;	/* IFF_MULTI_QUEUE */
	uint32_t num_queues;	/* multi_queue: queues attached now (fds open on it) */
	uint32_t num_disabled_queues;	/* multi_queue: attached, but TUNSETQUEUE-detached */
} LinkTun;

/* IFALIASZ of <linux/if.h>, which clashes with <net/if.h> */
#define LINK_ALIAS_MAX 256

/* What tapgate needs to know about one network device. */
typedef struct {
	int ifindex;
	char name[IFNAMSIZ];
	int master;		/* ifindex of the bridge it is a port of, or 0 */
	unsigned int flags;	/* IFF_* */
	uint32_t mtu;
	uint8_t mac[6];
	char kind[32];		/* IFLA_INFO_KIND: "bridge", "tun", "" ... */
	int link;		/* IFLA_LINK: a VLAN device's parent, or 0 */
	unsigned int vlan_id;	/* kind "vlan": its VID */
	gboolean vlan_filtering;	/* kind "bridge" */
	gboolean vlan_filtering_supported;	/* kind "bridge": the kernel has it */
	unsigned int default_pvid;	/* kind "bridge": VID new ports join, 0: none */
	gboolean bridge_port;	/* a port of a bridge: the flags below are known */
	gboolean learning;
	gboolean locked;	/* only source MACs with an fdb entry on this port pass */
	gboolean isolated;	/* talks only to non-isolated ports */
	gboolean neigh_suppress;	/* ARP/ND answered by the bridge (EVPN) */
	unsigned int vxlan_id;	/* kind "vxlan": its VNI */
	TgAddr vxlan_local;	/* kind "vxlan": its source address */
	unsigned int vxlan_port;	/* kind "vxlan": UDP destination port */
	gboolean vxlan_learning;	/* kind "vxlan": learns remote MACs from traffic */
	gboolean vxlan_other;	/* kind "vxlan": a remote/group, a lower device or
				 * "external": not a device tapgate makes */
	LinkTun tun;		/* kind "tun" */
	char alias[LINK_ALIAS_MAX];	/* IFLA_IFALIAS ("ip link set dev X alias ..."), or "" */
	gboolean carrier;	/* IFLA_CARRIER, up or not: a tap's while a queue is attached */
} LinkInfo;

/* Bridge port flags to set; -1 leaves one as it is. */
typedef struct {
	int learning;
	int locked;
	int isolated;
	int neigh_suppress;
} BridgePortFlags;

/* A VXLAN device to create. */
typedef struct {
	unsigned int vni;
	TgAddr local;
	unsigned int port;
	gboolean learning;
	uint32_t mtu;
} VxlanLink;

int link_get(struct nl_sock *sk, const char *name, LinkInfo *info);
int link_get_index(struct nl_sock *sk, int ifindex, LinkInfo *info);
int link_dump(struct nl_sock *sk, int master, GHashTable **by_index);
int link_set_bridge_port(struct nl_sock *sk, int ifindex, const BridgePortFlags *flags);
int link_set_port(struct nl_sock *sk, int ifindex, uint32_t mtu, const uint8_t mac[6],
		  int master);
int link_set_up(struct nl_sock *sk, int ifindex);
struct nl_msg *link_change_msg(int ifindex, int flags);
void link_random_host_mac(uint8_t mac[6]);

/* link-make.c: shared devices, for 'tapgate apply' only. */
int link_set_master(struct nl_sock *sk, int ifindex, int master);
int link_set_down(struct nl_sock *sk, int ifindex);
int link_set_address(struct nl_sock *sk, int ifindex, const uint8_t mac[6]);
int link_create_bridge(struct nl_sock *sk, const char *name, const uint8_t mac[6], int filtering,
		       int default_pvid);
int link_set_bridge_opts(struct nl_sock *sk, int ifindex, int filtering, int default_pvid);
int link_create_vlan(struct nl_sock *sk, const char *name, int parent, unsigned int vid);
int link_create_vxlan(struct nl_sock *sk, const char *name, const VxlanLink *vx);
int link_delete(struct nl_sock *sk, int ifindex);
int link_set_mtu(struct nl_sock *sk, int ifindex, uint32_t mtu);
int link_set_alias(struct nl_sock *sk, int ifindex, const char *alias);
