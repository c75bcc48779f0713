/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One request, one answer, and the kernel's own errno. libnl's synchronous
 * helpers fold errnos into NLE_* codes (EXFULL becomes NLE_FAILURE), which
 * would lose "the bridge is full"; so we receive acks ourselves.
 */
#include <errno.h>
#include <linux/netlink.h>

#include "netlink.h"

struct transact {
	int err;		/* the kernel's answer */
	int parse_err;		/* the first failure of the parser */
	gboolean done;
	NlParseFunc parse;
	void *data;
};

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct transact *t = arg;

	t->err = e->error ? e->error : -EIO;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct transact *t = arg;

	t->done = TRUE;
	return NL_STOP;
}

/* The NLMSG_DONE that ends a dump. */
static int on_finish(struct nl_msg *msg, void *arg)
{
	struct transact *t = arg;

	t->done = TRUE;
	return NL_STOP;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct transact *t = arg;
	int r;

	if (!t->parse)
		return NL_OK;
	r = t->parse(msg, t->data);
	if (r < 0 && !t->parse_err)
		t->parse_err = r;
	return NL_OK;
}

/**
 * tg_nl_open() - connect a NETLINK_ROUTE socket
 * @sk:	set to the socket; free with nl_socket_free()
 *
 * Return: 0 or -errno
 */
int tg_nl_open(struct nl_sock **sk)
{
	/* Our own callbacks, never the NLCB environment variable's choice. */
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	g_autoptr(NlSock) s = cb ? nl_socket_alloc_cb(cb) : NULL;

	if (cb)
		nl_cb_put(cb);
	if (!s)
		return -ENOMEM;
	errno = 0;
	if (nl_connect(s, NETLINK_ROUTE) < 0)
		return errno ? -errno : -EIO;
	*sk = g_steal_pointer(&s);
	return 0;
}

/**
 * tg_nl_transact() - send a request and wait for its ack (or a dump's end)
 * @sk:		socket from tg_nl_open()
 * @msg:	request; NLM_F_ACK is added
 * @parse:	called for each reply before the ack, or NULL
 * @data:	passed to @parse
 *
 * Return: 0, the kernel's -errno, or else the first negative value of @parse
 */
int tg_nl_transact(struct nl_sock *sk, struct nl_msg *msg, NlParseFunc parse, void *data)
{
	struct transact t = { .parse = parse, .data = data };
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int r;

	if (!cb)
		return -ENOMEM;
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &t);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &t);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &t);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &t);
	nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	/* Read up to the ack even after a parse error, so the next request on
	 * this socket does not find a stale answer. */
	r = nl_send_auto(sk, msg);
	while (r >= 0 && !t.done && !t.err)
		r = nl_recvmsgs(sk, cb);
	nl_cb_put(cb);
	if (t.err)
		return t.err;
	if (r < 0)
		return -EIO;
	return t.parse_err;
}

/**
 * tg_nl_dump() - a dump request: fixed header only, replies to @parse
 * @sk:		socket from tg_nl_open()
 * @type:	RTM_GET*
 * @hdr:	the family header (its filter fields set)
 * @len:	its size
 * @parse:	called for each reply
 * @data:	passed to @parse
 *
 * Return: 0, the kernel's -errno, or the first negative value of @parse
 */
int tg_nl_dump(struct nl_sock *sk, int type, const void *hdr, size_t len, NlParseFunc parse,
	       void *data)
{
	g_autoptr(NlMsg) msg = nlmsg_alloc_simple(type, NLM_F_DUMP);

	if (!msg || nlmsg_append(msg, (void *)hdr, len, NLMSG_ALIGNTO) < 0)
		return -ENOMEM;
	return tg_nl_transact(sk, msg, parse, data);
}
