/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include <stdint.h>
#include <glib.h>
#include <netlink/socket.h>

#include "vlan.h"

/* Is @mac pinned on @port in VLAN @vid (0: none)? fdb_query_static() answers. */
typedef struct {
	int port;
	uint8_t mac[6];
	unsigned int vid;
	gboolean pinned;	/* a sticky static entry on @port */
} FdbQuery;

int fdb_query_static(FdbQuery *q, guint n);
int fdb_static_vids(struct nl_sock *sk, int port, const uint8_t mac[6], VlanSet *vids,
		    gboolean *untagged);
char *fdb_key(int port, const uint8_t mac[6], unsigned int vid);
int fdb_dump_static(struct nl_sock *sk, int master, GHashTable **keys);
int fdb_add_static(struct nl_sock *sk, int port, const uint8_t mac[6], unsigned int vid);
