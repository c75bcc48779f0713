/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Static forwarding database entries: how a guest's MAC is pinned to its port. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "fdb.h"
#include "netlink.h"
#include "tg-util.h"

struct fdb_dump {
	int port;
	const uint8_t *mac;
	VlanSet *vids;
	gboolean *untagged;
	GHashTable *all;	/* fdb_key() of every static entry */
};

/**
 * fdb_key() - "IFINDEX/MAC/VID", the key fdb_dump_static() uses
 *
 * Return: newly allocated string
 */
char *fdb_key(int port, const uint8_t mac[6], unsigned int vid)
{
	return g_strdup_printf("%d/%02x:%02x:%02x:%02x:%02x:%02x/%u", port, mac[0], mac[1], mac[2],
			       mac[3], mac[4], mac[5], vid);
}

static int parse_fdb(struct nl_msg *msg, void *data)
{
	struct fdb_dump *d = data;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[NDA_MAX + 1];
	const struct ndmsg *ndm;

	if (nlh->nlmsg_type != RTM_NEWNEIGH || nlmsg_parse(nlh, sizeof(*ndm), tb, NDA_MAX, NULL) < 0)
		return 0;
	ndm = nlmsg_data(nlh);
	/* Only sticky static entries pin: a plain static one moves to whichever
	 * port sends with that MAC. */
	if (!(ndm->ndm_flags & NTF_STICKY))
		return 0;
	if (d->all) {
		if ((ndm->ndm_state & NUD_NOARP) && tb[NDA_LLADDR] && nla_len(tb[NDA_LLADDR]) == 6)
			g_hash_table_add(d->all, fdb_key(ndm->ndm_ifindex, nla_data(tb[NDA_LLADDR]),
							 tb[NDA_VLAN] ? nla_get_u16(tb[NDA_VLAN]) : 0));
		return 0;
	}
	if (ndm->ndm_ifindex != d->port || !(ndm->ndm_state & NUD_NOARP) ||
	    !tb[NDA_LLADDR] || nla_len(tb[NDA_LLADDR]) != 6 ||
	    memcmp(nla_data(tb[NDA_LLADDR]), d->mac, 6))
		return 0;
	if (tb[NDA_VLAN])
		vlan_set_add(d->vids, nla_get_u16(tb[NDA_VLAN]));
	else
		*d->untagged = TRUE;
	return 0;
}

/* A dump of the static entries the kernel filters itself: those of @port,
 * or of the ports of bridge @master, or (both 0) of every bridge. An
 * ifinfomsg, not an ndmsg: without strict checking that is how the kernel
 * takes the filters (as 'bridge fdb show' sends them). */
static int fdb_dump(struct nl_sock *sk, int master, int port, struct fdb_dump *d)
{
	struct ifinfomsg ifi = { .ifi_family = AF_BRIDGE, .ifi_index = port };
	g_autoptr(NlMsg) msg = nlmsg_alloc_simple(RTM_GETNEIGH, NLM_F_DUMP);

	if (!msg || nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    (master && nla_put_u32(msg, IFLA_MASTER, (uint32_t)master) < 0))
		return -ENOMEM;
	return tg_nl_transact(sk, msg, parse_fdb, d);
}

/**
 * fdb_static_vids() - the VLANs in which @mac has a static entry on @port
 * @sk:		rtnetlink socket
 * @port:	ifindex of the bridge port
 * @mac:	the guest's MAC
 * @vids:	cleared, then set to those VLANs
 * @untagged:	set to whether there is an entry without a VLAN
 *
 * Return: 0 or -errno
 */
int fdb_static_vids(struct nl_sock *sk, int port, const uint8_t mac[6], VlanSet *vids,
		    gboolean *untagged)
{
	/* == bridge fdb show dev PORT */
	struct fdb_dump d = { .port = port, .mac = mac, .vids = vids, .untagged = untagged };

	memset(vids, 0, sizeof(*vids));
	*untagged = FALSE;
	return fdb_dump(sk, 0, port, &d);
}

/**
 * fdb_add_static() - pin @mac to @port (in VLAN @vid, 0: no VLAN)
 * @sk:		rtnetlink socket
 * @port:	ifindex of the bridge port
 * @mac:	the guest's MAC
 * @vid:	VLAN id, or 0
 *
 * Return: 0 or -errno
 */
int fdb_add_static(struct nl_sock *sk, int port, const uint8_t mac[6], unsigned int vid)
{
	/* == bridge fdb replace MAC dev PORT master static sticky [vlan VID] */
	struct ndmsg ndm = { .ndm_family = AF_BRIDGE, .ndm_ifindex = port,
			     .ndm_state = NUD_NOARP, .ndm_flags = NTF_MASTER | NTF_STICKY };
	g_autoptr(NlMsg) msg = nlmsg_alloc_simple(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE);

	if (!msg || nlmsg_append(msg, &ndm, sizeof(ndm), NLMSG_ALIGNTO) < 0 ||
	    nla_put(msg, NDA_LLADDR, 6, mac) < 0 ||
	    (vid && nla_put_u16(msg, NDA_VLAN, (uint16_t)vid) < 0))
		return -ENOMEM;
	return tg_nl_transact(sk, msg, NULL, NULL);
}

/**
 * fdb_dump_static() - the static fdb entries of one bridge's ports, or of all
 * @sk:		rtnetlink socket
 * @master:	the bridge's ifindex, or 0 for every bridge
 * @keys:	set to a new set of fdb_key() strings, or if not NULL on entry,
 *		added to
 *
 * Return: 0 or -errno
 */
int fdb_dump_static(struct nl_sock *sk, int master, GHashTable **keys)
{
	/* == bridge fdb show [br BRIDGE] */
	struct fdb_dump d = { 0 };
	gboolean fresh = !*keys;
	int r;

	if (fresh)
		*keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	d.all = *keys;
	r = fdb_dump(sk, master, 0, &d);
	if (r < 0 && fresh)
		g_clear_pointer(keys, g_hash_table_unref);
	return r;
}

/* Up to this many questions in flight: their answers must fit the socket's
 * receive buffer (an answer takes about 1 KiB of it). */
#define QUERY_BATCH 64

static int query_send(int fd, const FdbQuery *q, guint first, guint n)
{
	/* header, ndmsg, NDA_LLADDR (6, aligned to 8), NDA_VLAN (2, to 4) */
	enum { MAX_LEN = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct ndmsg)) + NLA_HDRLEN + 8 +
			 NLA_HDRLEN + 4 };
	char buf[QUERY_BATCH * MAX_LEN] __attribute__((aligned(NLMSG_ALIGNTO)));
	size_t len = 0;

	memset(buf, 0, sizeof(buf));
	for (guint i = 0; i < n; i++) {
		/* == bridge fdb get MAC dev PORT [vlan VID] master */
		const FdbQuery *x = &q[first + i];
		struct nlmsghdr *h = (void *)(buf + len);
		struct ndmsg *ndm = NLMSG_DATA(h);
		struct nlattr *a = (void *)((char *)ndm + NLMSG_ALIGN(sizeof(*ndm)));

		h->nlmsg_type = RTM_GETNEIGH;
		h->nlmsg_flags = NLM_F_REQUEST;
		h->nlmsg_seq = first + i + 1;
		ndm->ndm_family = AF_BRIDGE;
		ndm->ndm_ifindex = x->port;
		ndm->ndm_flags = NTF_MASTER;
		a->nla_type = NDA_LLADDR;
		a->nla_len = NLA_HDRLEN + 6;
		memcpy((char *)a + NLA_HDRLEN, x->mac, 6);
		h->nlmsg_len = (uint32_t)((char *)a + NLA_ALIGN(a->nla_len) - (char *)h);
		if (x->vid) {
			a = (void *)((char *)h + h->nlmsg_len);
			a->nla_type = NDA_VLAN;
			a->nla_len = NLA_HDRLEN + 2;
			memcpy((char *)a + NLA_HDRLEN, &(uint16_t){ (uint16_t)x->vid }, 2);
			h->nlmsg_len += NLA_ALIGN(a->nla_len);
		}
		len += NLMSG_ALIGN(h->nlmsg_len);
	}
	/* the kernel takes the batch in one go, answering each in turn */
	return send(fd, buf, len, 0) < 0 ? -errno : 0;
}

/* The answers to questions @first.. @first + @n - 1, by sequence number. */
static int query_recv(int fd, FdbQuery *q, guint first, guint n)
{
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	guint answered = 0;

	while (answered < n) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);

		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0)
			return len < 0 ? -errno : -EIO;
		for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (size_t)len);
		     h = NLMSG_NEXT(h, len)) {
			guint i = h->nlmsg_seq - 1;
			const struct ndmsg *ndm = NLMSG_DATA(h);

			if (i < first || i >= first + n)
				continue;
			answered++;
			if (h->nlmsg_type == NLMSG_ERROR) {
				int e = ((const struct nlmsgerr *)NLMSG_DATA(h))->error;

				/* not found, or another port's: not pinned here */
				if (e && e != -ENOENT)
					return e == -EINVAL ? -EOPNOTSUPP : e;
				continue;
			}
			/* Only a sticky static entry on this very port pins. */
			q[i].pinned = h->nlmsg_type == RTM_NEWNEIGH &&
				      h->nlmsg_len >= NLMSG_LENGTH(sizeof(*ndm)) &&
				      ndm->ndm_ifindex == q[i].port &&
				      (ndm->ndm_state & NUD_NOARP) && (ndm->ndm_flags & NTF_STICKY);
		}
	}
	return 0;
}

/**
 * fdb_query_static() - which of these MACs are pinned on their ports?
 * @q:		the questions; each one's @pinned is set
 * @n:		how many
 *
 * One 'bridge fdb get' per question, a batch at a time on a socket of its
 * own: a hash lookup each in the kernel, where a dump of a bridge's fdb
 * walks every entry once per port (the cost grows with the square of the
 * ports). Reading needs no privileges.
 *
 * Return: 0, -EOPNOTSUPP if this kernel has no fdb get (before Linux 4.20:
 * dump instead), or -errno
 */
int fdb_query_static(FdbQuery *q, guint n)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	tg_autoclose int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int r = 0;

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	for (guint first = 0; first < n && r == 0; first += QUERY_BATCH) {
		guint k = MIN(QUERY_BATCH, n - first);

		for (guint i = 0; i < k; i++)
			q[first + i].pinned = FALSE;
		r = query_send(fd, q, first, k);
		if (r == 0)
			r = query_recv(fd, q, first, k);
	}
	return r;
}
