/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The tun and tap devices of the namespace, as the tun driver exports them
 * over rtnetlink (IFLA_INFO_DATA of kind "tun"): whether each is persistent
 * and whose it is. The holder of a tap's fd can make it persistent
 * (TUNSETPERSIST needs no capability), and such a tap outlives its VM; the
 * CLI reports the helper's. Not linked by the helper.
 */
#include <string.h>

#include "tuninfo.h"

static int cmp_index(gconstpointer a, gconstpointer b)
{
	return ((const TunInfo *)a)->ifindex - ((const TunInfo *)b)->ifindex;
}

/**
 * tuninfo_from_links() - the tun and tap devices of a link dump
 * @links:	ifindex -> LinkInfo *, from link_dump() (a snapshot's, so that
 *		'tapgate sync' needs no dump of its own for them)
 *
 * Return: a new array of TunInfo, by ifindex; a kernel older than 4.15
 * reports the devices with known FALSE
 */
GArray *tuninfo_from_links(GHashTable *links)
{
	GArray *taps = g_array_new(FALSE, TRUE, sizeof(TunInfo));
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, links);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		const LinkInfo *l = v;
		const LinkInfo *br = l->master ? g_hash_table_lookup(links,
								      GINT_TO_POINTER(l->master))
					       : NULL;
		TunInfo t = { .ifindex = l->ifindex, .master = l->master, .tun = l->tun };

		if (strcmp(l->kind, "tun"))
			continue;
		g_strlcpy(t.name, l->name, sizeof(t.name));
		g_strlcpy(t.master_name, br ? br->name : "", sizeof(t.master_name));
		g_array_append_val(taps, t);
	}
	g_array_sort(taps, cmp_index);
	return taps;
}

/**
 * tuninfo_dump() - every tun and tap device of the namespace, in one dump
 * @sk:		rtnetlink socket (reading needs no privileges)
 * @taps:	set to a new array of TunInfo (see tuninfo_from_links())
 *
 * Return: 0 or -errno
 */
int tuninfo_dump(struct nl_sock *sk, GArray **taps)
{
	/* == ip -d link show type tun */
	g_autoptr(GHashTable) links = NULL;
	int r = link_dump(sk, 0, &links);

	if (r < 0)
		return r;
	*taps = tuninfo_from_links(links);
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
	return t->tun.known && t->tun.tap && t->tun.persist && g_str_has_prefix(t->name, "tg");
}

/**
 * tuninfo_describe() - "uid 1000, bridge br0", "no owner, not on a bridge"
 * @t:		a device from tuninfo_dump()
 *
 * Return: newly allocated string
 */
char *tuninfo_describe(const TunInfo *t)
{
	g_autofree char *owner = t->tun.has_owner ? g_strdup_printf("uid %u", t->tun.owner)
					      : g_strdup("no owner");

	if (!*t->master_name)
		return g_strdup_printf("%s, not on a bridge", owner);
	return g_strdup_printf("%s, bridge %s", owner, t->master_name);
}
