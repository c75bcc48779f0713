/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Link and bridge fdb notifications (RTNLGRP_LINK, RTNLGRP_NEIGH), for
 * 'tapgate sync --watch': through a tap's fd a guest can change the tap's
 * MAC, and taking another station's MAC replaces that station's fdb entry,
 * a tapgate pin included, with a local entry on its own port.
 */
#include <string.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>

#include "netlink.h"
#include "netwatch.h"

struct reader {
	NetwatchFunc func;
	void *data;
	guint seen;
};

static void decode_link(struct nlmsghdr *nlh, NetwatchEvent *ev)
{
	struct nlattr *tb[IFLA_MAX + 1];
	const struct ifinfomsg *ifi = nlmsg_data(nlh);

	ev->kind = nlh->nlmsg_type == RTM_NEWLINK ? NETWATCH_LINK : NETWATCH_LINK_GONE;
	ev->ifindex = ifi->ifi_index;
	if (nlmsg_parse(nlh, sizeof(*ifi), tb, IFLA_MAX, NULL) == 0 && tb[IFLA_ADDRESS] &&
	    nla_len(tb[IFLA_ADDRESS]) == 6) {
		ev->has_mac = TRUE;
		memcpy(ev->mac, nla_data(tb[IFLA_ADDRESS]), 6);
	}
}

static gboolean decode_fdb(struct nlmsghdr *nlh, NetwatchEvent *ev)
{
	struct nlattr *tb[NDA_MAX + 1];
	const struct ndmsg *ndm = nlmsg_data(nlh);

	/* ARP and ND neighbours come on the same group: only the bridge's fdb */
	if (ndm->ndm_family != AF_BRIDGE ||
	    nlmsg_parse(nlh, sizeof(*ndm), tb, NDA_MAX, NULL) < 0 || !tb[NDA_LLADDR] ||
	    nla_len(tb[NDA_LLADDR]) != 6)
		return FALSE;
	ev->kind = nlh->nlmsg_type == RTM_NEWNEIGH ? NETWATCH_FDB : NETWATCH_FDB_GONE;
	ev->ifindex = ndm->ndm_ifindex;
	ev->has_mac = TRUE;
	memcpy(ev->mac, nla_data(tb[NDA_LLADDR]), 6);
	/* as fdb_dump_static() counts a pin */
	ev->pinned = (ndm->ndm_state & NUD_NOARP) && (ndm->ndm_flags & NTF_STICKY);
	return TRUE;
}

static int on_notification(struct nl_msg *msg, void *arg)
{
	struct reader *rd = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	NetwatchEvent ev = { 0 };

	rd->seen++;
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		if (nlmsg_datalen(nlh) < (int)sizeof(struct ifinfomsg))
			return NL_OK;
		decode_link(nlh, &ev);
		break;
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
		if (nlmsg_datalen(nlh) < (int)sizeof(struct ndmsg) || !decode_fdb(nlh, &ev))
			return NL_OK;
		break;
	default:
		return NL_OK;
	}
	rd->func(&ev, rd->data);
	return NL_OK;
}

/**
 * netwatch_open() - a socket that receives link and neighbour notifications
 * @sk:		set to the socket, non-blocking; free with nl_socket_free()
 *
 * Return: 0 or -errno
 */
int netwatch_open(struct nl_sock **sk)
{
	/* == ip monitor link neigh */
	g_autoptr(NlSock) s = NULL;
	int r = tg_nl_open(&s);

	if (r < 0)
		return r;
	/* notifications carry no sequence number of ours */
	nl_socket_disable_seq_check(s);
	if (nl_socket_add_memberships(s, RTNLGRP_LINK, RTNLGRP_NEIGH, 0) < 0 ||
	    nl_socket_set_nonblocking(s) < 0)
		return -EIO;
	/* Room for bursts (as large as the kernel's rmem_max allows): an
	 * overrun loses notifications, which the caller must treat as "anything
	 * may have changed". */
	nl_socket_set_buffer_size(s, 1 << 20, 0);
	*sk = g_steal_pointer(&s);
	return 0;
}

/**
 * netwatch_read() - pass on the notifications waiting on @sk
 * @sk:		socket from netwatch_open()
 * @func:	called for each link notification, and each one of a bridge
 *		fdb entry (not ARP or ND neighbours)
 * @data:	passed to @func
 *
 * Reads until none is left, or about NETWATCH_BATCH have been read (then
 * @sk stays readable).
 *
 * Return: 0; -ENOBUFS when the kernel dropped notifications because the
 * socket's buffer was full (those read are passed on all the same);
 * or another -errno
 */
int netwatch_read(struct nl_sock *sk, NetwatchFunc func, void *data)
{
	struct reader rd = { .func = func, .data = data };
	int r = 0, lost = 0;

	/* the socket's own callbacks: they skip the sequence check */
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_notification, &rd);
	for (guint i = 0; i < NETWATCH_BATCH && rd.seen < NETWATCH_BATCH; i++) {
		errno = 0;
		r = nl_recvmsgs_default(sk);
		if (r >= 0)
			continue;
		if (r == -NLE_AGAIN) {
			r = 0;
			break;
		}
		/* libnl folds ENOBUFS into another code; errno still says it */
		if (errno == ENOBUFS) {
			lost = -ENOBUFS;
			r = 0;
			continue;
		}
		r = errno ? -errno : -EIO;
		break;
	}
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_DEFAULT, NULL, NULL);
	return r < 0 ? r : lost;
}
