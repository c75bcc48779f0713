/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include <net/if.h>
#include <stdint.h>
#include <glib.h>
#include <netlink/socket.h>

/* What the tun driver tells of one tun or tap device (Linux >= 4.15). */
typedef struct {
	int ifindex;
	char name[IFNAMSIZ];
	int master;		/* ifindex of the bridge it is a port of, or 0 */
	char master_name[IFNAMSIZ];	/* that bridge's name, or "" */
	gboolean known;		/* the kernel reported the attributes below */
	gboolean tap;		/* IFF_TAP, not IFF_TUN */
	gboolean persist;	/* stays when the last fd to it is closed */
	gboolean has_owner;
	uint32_t owner;		/* uid, if has_owner */
	gboolean has_group;
	uint32_t group;		/* gid, if has_group */
} TunInfo;

int tuninfo_dump(struct nl_sock *sk, GArray **taps);
gboolean tuninfo_is_stray_helper_tap(const TunInfo *t);
char *tuninfo_describe(const TunInfo *t);
