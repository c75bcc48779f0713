/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include <net/if.h>
#include <stdint.h>
#include <glib.h>
#include <netlink/socket.h>

#include "link.h"

/* One tun or tap device, as the tun driver tells of it. */
typedef struct {
	int ifindex;
	char name[IFNAMSIZ];
	int master;		/* ifindex of the bridge it is a port of, or 0 */
	char master_name[IFNAMSIZ];	/* that bridge's name, or "" */
	LinkTun tun;		/* persistent? whose? */
} TunInfo;

int tuninfo_dump(struct nl_sock *sk, GArray **taps);
GArray *tuninfo_from_links(GHashTable *links);
gboolean tuninfo_is_stray_helper_tap(const TunInfo *t);
char *tuninfo_describe(const TunInfo *t);
