/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include <stdint.h>
#include <glib.h>
#include <netlink/socket.h>

/* What one rtnetlink notification says that 'tapgate sync --watch' follows. */
typedef enum {
	NETWATCH_LINK,		/* RTM_NEWLINK: a link and its address */
	NETWATCH_LINK_GONE,	/* RTM_DELLINK */
	NETWATCH_FDB,		/* RTM_NEWNEIGH of a bridge fdb entry */
	NETWATCH_FDB_GONE,	/* RTM_DELNEIGH of a bridge fdb entry */
} NetwatchKind;

typedef struct {
	NetwatchKind kind;
	int ifindex;		/* the link; an fdb entry's port */
	gboolean has_mac;
	uint8_t mac[6];		/* the link's address; an fdb entry's MAC */
	gboolean pinned;	/* fdb: static and sticky, as tapgate pins */
} NetwatchEvent;

typedef void (*NetwatchFunc)(const NetwatchEvent *ev, void *data);

/* At most this many notifications per netwatch_read(): a guest that changes
 * its MAC in a loop must not keep the caller from ever acting. */
#define NETWATCH_BATCH 1024

int netwatch_open(struct nl_sock **sk);
int netwatch_read(struct nl_sock *sk, NetwatchFunc func, void *data);
