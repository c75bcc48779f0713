/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include <glib.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

typedef struct nl_sock NlSock;
typedef struct nl_msg NlMsg;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NlSock, nl_socket_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NlMsg, nlmsg_free)

/* Called for each reply message that is not an ack or error. */
typedef int (*NlParseFunc)(struct nl_msg *msg, void *data);

int tg_nl_open(struct nl_sock **sk);
int tg_nl_transact(struct nl_sock *sk, struct nl_msg *msg, NlParseFunc parse, void *data);
int tg_nl_dump(struct nl_sock *sk, int type, const void *hdr, size_t len, NlParseFunc parse,
	       void *data);
