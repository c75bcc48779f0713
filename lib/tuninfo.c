/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The tun and tap devices of the namespace, as the tun driver exports them
 * over rtnetlink (IFLA_INFO_DATA of kind "tun"): whether each is persistent
 * and whose it is. The holder of a tap's fd can make it persistent
 * (TUNSETPERSIST needs no capability), and such a tap outlives its VM; the
 * CLI reports the helper's. Not linked by the helper.
 */
#include <string.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>

#include "netlink.h"
#include "tuninfo.h"

struct tun_dump {
	GArray *taps;		/* TunInfo */
	GHashTable *names;	/* ifindex -> name, of every link: the masters' */
};

static void parse_tun_data(TunInfo *t, struct nlattr *data)
{
	struct nlattr *tb[IFLA_TUN_MAX + 1];

	if (nla_parse_nested(tb, IFLA_TUN_MAX, data, NULL) < 0 || !tb[IFLA_TUN_TYPE] ||
	    !tb[IFLA_TUN_PERSIST])
		return;
	t->known = TRUE;
	t->tap = (nla_get_u8(tb[IFLA_TUN_TYPE]) & (IFF_TUN | IFF_TAP)) == IFF_TAP;
	t->persist = nla_get_u8(tb[IFLA_TUN_PERSIST]) != 0;
	/* The kernel leaves out an owner or group that was never set. */
	if ((t->has_owner = tb[IFLA_TUN_OWNER] != NULL))
		t->owner = nla_get_u32(tb[IFLA_TUN_OWNER]);
	if ((t->has_group = tb[IFLA_TUN_GROUP] != NULL))
		t->group = nla_get_u32(tb[IFLA_TUN_GROUP]);
}

static int parse_tun_link(struct nl_msg *msg, void *data)
{
	struct tun_dump *d = data;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1];
	const struct ifinfomsg *ifi;
	TunInfo t = { 0 };

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return 0;
	if (nlmsg_parse(nlh, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0 || !tb[IFLA_IFNAME])
		return -EBADMSG;
	ifi = nlmsg_data(nlh);
	g_hash_table_insert(d->names, GINT_TO_POINTER(ifi->ifi_index),
			    g_strdup(nla_get_string(tb[IFLA_IFNAME])));
	if (!tb[IFLA_LINKINFO] || nla_parse_nested(li, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL) < 0 ||
	    !li[IFLA_INFO_KIND] || strcmp(nla_get_string(li[IFLA_INFO_KIND]), "tun"))
		return 0;
	t.ifindex = ifi->ifi_index;
	g_strlcpy(t.name, nla_get_string(tb[IFLA_IFNAME]), sizeof(t.name));
	if (li[IFLA_INFO_DATA])
		parse_tun_data(&t, li[IFLA_INFO_DATA]);
	/* its master's name once the dump is over: the bridge may come later */
	if (tb[IFLA_MASTER])
		t.master = (int)nla_get_u32(tb[IFLA_MASTER]);
	g_array_append_val(d->taps, t);
	return 0;
}

/**
 * tuninfo_dump() - every tun and tap device of the namespace, in one dump
 * @sk:		rtnetlink socket (reading needs no privileges)
 * @taps:	set to a new array of TunInfo, in the kernel's order; a kernel older
 *		than 4.15 reports the devices with known FALSE
 *
 * Return: 0 or -errno
 */
int tuninfo_dump(struct nl_sock *sk, GArray **taps)
{
	/* == ip -d link show type tun */
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	g_autoptr(NlMsg) msg = nlmsg_alloc_simple(RTM_GETLINK, NLM_F_DUMP);
	g_autoptr(GHashTable) names = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
							      g_free);
	struct tun_dump d = { .taps = g_array_new(FALSE, TRUE, sizeof(TunInfo)), .names = names };
	int r;

	if (!msg || nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) < 0)
		r = -ENOMEM;
	else
		r = tg_nl_transact(sk, msg, parse_tun_link, &d);
	if (r < 0) {
		g_array_unref(d.taps);
		return r;
	}
	for (guint i = 0; i < d.taps->len; i++) {
		TunInfo *t = &g_array_index(d.taps, TunInfo, i);
		const char *name = t->master ? g_hash_table_lookup(names, GINT_TO_POINTER(t->master))
					     : NULL;

		g_strlcpy(t->master_name, name ? name : "", sizeof(t->master_name));
	}
	*taps = d.taps;
	return 0;
}

/**
 * tuninfo_is_stray_helper_tap() - a persistent tap named as the helper names
 * its taps ("tg<uid>-<hex>", "tgx<hex>"): its holder made it persistent
 * @t:		a device from tuninfo_dump()
 *
 * The helper never makes a tap persistent, so such a tap stays after its VM
 * exits, and its owner can attach to it again without asking the helper.
 *
 * Return: TRUE for such a tap
 */
gboolean tuninfo_is_stray_helper_tap(const TunInfo *t)
{
	return t->known && t->tap && t->persist && g_str_has_prefix(t->name, "tg");
}

/**
 * tuninfo_describe() - "uid 1000, bridge br0", "no owner, not on a bridge"
 * @t:		a device from tuninfo_dump()
 *
 * Return: newly allocated string
 */
char *tuninfo_describe(const TunInfo *t)
{
	g_autofree char *owner = t->has_owner ? g_strdup_printf("uid %u", t->owner)
					      : g_strdup("no owner");

	if (!*t->master_name)
		return g_strdup_printf("%s, not on a bridge", owner);
	return g_strdup_printf("%s, bridge %s", owner, t->master_name);
}
