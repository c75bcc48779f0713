/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bringing an existing bridge port to its configuration: VLANs, MAC pinning
 * (a static fdb entry for the guest's MAC, learning off and the port locked,
 * so frames with any other source MAC are dropped), isolation. Idempotent:
 * it reads first and changes only what differs, and says what it changed.
 */
#include <stdio.h>
#include <string.h>

#include "bridge-vlan.h"
#include "fdb.h"
#include "guestmac.h"
#include "link.h"
#include "netprep.h"
#include "portcfg.h"
#include "tg-util.h"

/**
 * port_config_describe() - "vlan access 100, pin-mac, isolated"
 * @cfg:	the configuration
 *
 * Return: newly allocated string
 */
char *port_config_describe(const PortConfig *cfg)
{
	g_autofree char *v = port_vlan_describe(&cfg->vlan);

	return g_strdup_printf("%s%s%svlan %s%s%s%s", *cfg->network ? "network " : "", cfg->network,
			       *cfg->network ? ", " : "", v,
			       cfg->vlan.keep_default_vlan ? " +default" : "",
			       cfg->pin_mac ? ", pin-mac" : "", cfg->isolated ? ", isolated" : "");
}

static int fail(GError **error, int r, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static int fail(GError **error, int r, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(error, TG_ERROR, -r, msg);
	return r;
}

/**
 * port_bridge_check() - can a port of @br be wired as @cfg asks?
 * @br:		the bridge
 * @cfg:	the port's configuration
 * @error:	set to a one-line message if not
 *
 * What port_reconcile() would refuse for the bridge alone, so a caller can
 * refuse before it makes the port (tapgate xml attach).
 *
 * Return: 0, -ENOTTY (not a bridge) or -EOPNOTSUPP (VLANs asked, not filtered)
 */
int port_bridge_check(const LinkInfo *br, const PortConfig *cfg, GError **error)
{
	if (strcmp(br->kind, "bridge"))
		return fail(error, -ENOTTY, "'%s' is not a bridge", br->name);
	if (cfg->vlan.mode == PORT_PLAIN)
		return 0;
	if (bridge_vlans_unsupported(br, error) < 0)
		return -EOPNOTSUPP;
	if (!br->vlan_filtering)
		return fail(error, -EOPNOTSUPP,
			    "bridge '%s' does not filter VLANs; turn it on with 'ip link set dev %s "
			    "type bridge vlan_filtering 1'", br->name, br->name);
	return 0;
}

/* @planned: in a dry run (no @sk), set to the VLANs the port would get. */
static int reconcile_vlans(struct nl_sock *sk, const PortVlanState *known, const LinkInfo *tap,
			   const LinkInfo *br, const PortConfig *cfg, GPtrArray *changes,
			   PortVlanState *planned, GError **error)
{
	PortVlanState before, after;
	int r;

	if (cfg->vlan.mode == PORT_PLAIN)
		return 0;
	if ((r = port_bridge_check(br, cfg, error)) < 0)
		return r;
	bridge_vlan_expected(&cfg->vlan, br->default_pvid, &after);
	if (!sk) {
		if (bridge_vlan_state_equal(known, &after))
			return 0;
		before = *known;
		*planned = after;
		r = 1;
	} else {
		r = bridge_vlan_reconcile(sk, tap->ifindex, &cfg->vlan, br->default_pvid, known,
					  &before);
	}
	if (r == -EPROTO)
		return fail(error, r, "the VLANs of '%s' did not read back as configured", tap->name);
	if (r < 0)
		return fail(error, r, "cannot set the VLANs of '%s': %s", tap->name, tg_strerror(-r));
	if (r > 0 && changes) {
		g_autofree char *was = bridge_vlan_state_describe(&before);
		g_autofree char *now = bridge_vlan_state_describe(&after);

		g_ptr_array_add(changes, g_strdup_printf("%s: vlans %s -> %s", tap->name, was, now));
	}
	return r;	/* 1: changed */
}

/* A dry run (no @sk) only says what it would add. */
static int pin(struct nl_sock *sk, const LinkInfo *tap, const PortConfig *cfg, unsigned int vid,
	       GPtrArray *changes, GError **error)
{
	g_autofree char *on_vlan = vid ? g_strdup_printf(", vlan %u", vid) : g_strdup("");
	int r = sk ? fdb_add_static(sk, tap->ifindex, cfg->mac, vid) : 0;

	if (r < 0)
		return fail(error, r, "cannot pin the guest's MAC on '%s': %s", tap->name,
			    tg_strerror(-r));
	if (changes && sk) {
		g_ptr_array_add(changes, g_strdup_printf("%s: static fdb entry%s", tap->name,
							 on_vlan));
	} else if (changes) {
		g_autofree char *mac = mac_format(cfg->mac);

		g_ptr_array_add(changes, g_strdup_printf("%s: static fdb entry %s%s: missing -> "
							 "added", tap->name, mac, on_vlan));
	}
	return 0;
}

/* The static entries pinning the guest's MAC: one per VLAN of the port (a
 * locked port checks the source MAC per VLAN), or one without VLAN. @vlans:
 * the port's VLANs if known to be current, else NULL; @fdb: the snapshot's
 * static entries, or NULL to read this port's. */
static int reconcile_fdb(struct nl_sock *sk, const LinkInfo *tap, const LinkInfo *br,
			 const PortConfig *cfg, const PortVlanState *vlans, GHashTable *fdb,
			 GPtrArray *changes, GError **error)
{
	PortVlanState st;
	VlanSet have;
	gboolean have_plain;
	int r;

	if (!fdb && !sk)	/* a dry run reads nothing itself */
		return fail(error, -EOPNOTSUPP, "cannot read the pins of '%s' (this kernel has no "
			    "'bridge fdb get')", tap->name);
	if (fdb) {
		g_autofree char *plain = fdb_key(tap->ifindex, cfg->mac, 0);

		memset(&have, 0, sizeof(have));
		have_plain = g_hash_table_contains(fdb, plain);
		for (unsigned int v = br->vlan_filtering && vlans ? vlan_set_next(&vlans->vids, 1) : 0;
		     v; v = vlan_set_next(&vlans->vids, v + 1)) {
			g_autofree char *k = fdb_key(tap->ifindex, cfg->mac, v);

			if (g_hash_table_contains(fdb, k))
				vlan_set_add(&have, v);
		}
	} else if ((r = fdb_static_vids(sk, tap->ifindex, cfg->mac, &have, &have_plain)) < 0) {
		return fail(error, r, "cannot read the fdb of '%s': %s", tap->name, tg_strerror(-r));
	}
	if (!br->vlan_filtering)
		return have_plain ? 0 : pin(sk, tap, cfg, 0, changes, error);
	if (vlans) {
		st = *vlans;
	} else if ((r = bridge_vlan_get(sk, tap->ifindex, &st)) < 0) {
		return fail(error, r, "cannot read the VLANs of '%s': %s", tap->name, tg_strerror(-r));
	}
	for (unsigned int v = vlan_set_next(&st.vids, 1); v; v = vlan_set_next(&st.vids, v + 1))
		if (!vlan_set_has(&have, v) && (r = pin(sk, tap, cfg, v, changes, error)) < 0)
			return r;
	return 0;
}

/* Pinning means learning off and the port locked; isolation means isolated.
 * What the configuration does not ask for is left as libvirt or the admin
 * set it (libvirt's own <port isolated>, macTableManager='libvirt'), except
 * the lock, which only pinning uses: without pin-mac it must be off. */
static int reconcile_flags(struct nl_sock *sk, const LinkInfo *tap, const PortConfig *cfg,
			   GPtrArray *changes, GError **error)
{
	BridgePortFlags set = { -1, -1, -1, -1 };
	GString *what = g_string_new(NULL);	/* " learning off locked on" */
	GString *diff = g_string_new(NULL);	/* ", learning on -> off, locked off -> on" */
	int r = 0;

	if (cfg->pin_mac && tap->learning) {
		set.learning = 0;
		g_string_append(what, " learning off");
		g_string_append(diff, ", learning on -> off");
	}
	if (cfg->pin_mac != tap->locked && !cfg->only_isolation) {
		set.locked = cfg->pin_mac;
		g_string_append_printf(what, " locked %s", cfg->pin_mac ? "on" : "off");
		g_string_append_printf(diff, ", locked %s", cfg->pin_mac ? "off -> on" : "on -> off");
	}
	if (cfg->isolated && !tap->isolated) {
		set.isolated = 1;
		g_string_append(what, " isolated on");
		g_string_append(diff, ", isolated off -> on");
	}
	if (what->len && !sk) {
		if (changes)
			g_ptr_array_add(changes, g_strdup_printf("%s: %s", tap->name, diff->str + 2));
	} else if (what->len) {
		r = link_set_bridge_port(sk, tap->ifindex, &set);
		if (r == -EOPNOTSUPP || r == -EINVAL)
			r = fail(error, r, "this kernel cannot set%s on bridge ports", what->str);
		else if (r < 0)
			r = fail(error, r, "cannot set%s on '%s': %s", what->str, tap->name,
				 tg_strerror(-r));
		else if (changes)
			g_ptr_array_add(changes, g_strdup_printf("%s:%s", tap->name, what->str));
	}
	g_string_free(what, TRUE);
	g_string_free(diff, TRUE);
	return r;
}

/* The VLAN dump's result @vlan_r (-EOPNOTSUPP: none, an empty table), and
 * the by-name index. Return: 0 or -errno */
static int snapshot_finish(PortSnapshot *s, int vlan_r)
{
	GHashTableIter it;
	gpointer v;

	s->fdb = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	s->pins_known = g_hash_table_new(g_direct_hash, g_direct_equal);

	if (vlan_r == -EOPNOTSUPP)
		s->vlans = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	else if (vlan_r < 0)
		return vlan_r;
	s->names = g_hash_table_new(g_str_hash, g_str_equal);
	g_hash_table_iter_init(&it, s->links);
	while (g_hash_table_iter_next(&it, NULL, &v))
		g_hash_table_insert(s->names, ((LinkInfo *)v)->name, v);
	return 0;
}

/**
 * port_snapshot_take() - links, VLANs and static fdb entries, in three dumps
 * @sk:		rtnetlink socket
 * @snap:	set to the snapshot; free with port_snapshot_free()
 *
 * Return: 0 or -errno
 */
int port_snapshot_take(struct nl_sock *sk, PortSnapshot **snap)
{
	g_autoptr(PortSnapshot) s = g_new0(PortSnapshot, 1);
	int r;

	if ((r = link_dump(sk, 0, &s->links)) < 0)
		return r;
	/* A kernel without bridge VLAN filtering has no VLANs to dump. */
	if ((r = snapshot_finish(s, bridge_vlan_dump(sk, &s->vlans))) < 0)
		return r;
	*snap = g_steal_pointer(&s);
	return 0;
}

/**
 * port_snapshot_take_bridges() - a snapshot of some bridges' ports only
 * @sk:		rtnetlink socket
 * @bridges:	NULL-terminated names (repeats are fine); one that does not
 *		exist is left out, and so are its ports
 * @snap:	set to the snapshot; free with port_snapshot_free()
 *
 * For one domain's ports (the hook): the kernel filters the link and fdb
 * dumps by bridge, so the cost follows those bridges' ports, not the host's.
 * VLANs are dumped (host-wide, one request) only if one of them filters.
 *
 * Return: 0 or -errno
 */
int port_snapshot_take_bridges(struct nl_sock *sk, const char *const *bridges, PortSnapshot **snap)
{
	g_autoptr(PortSnapshot) s = g_new0(PortSnapshot, 1);
	gboolean filtering = FALSE;
	int r;

	s->links = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

	for (const char *const *b = bridges; *b; b++) {
		LinkInfo *br;

		if (!g_hash_table_add(seen, (gpointer)*b))	/* each bridge once */
			continue;
		br = g_new(LinkInfo, 1);
		if ((r = link_get(sk, *b, br)) < 0 || strcmp(br->kind, "bridge") ||
		    g_hash_table_contains(s->links, GINT_TO_POINTER(br->ifindex))) {
			g_free(br);
			if (r < 0 && r != -ENODEV)
				return r;
			continue;
		}
		filtering |= br->vlan_filtering;
		g_hash_table_replace(s->links, GINT_TO_POINTER(br->ifindex), br);
		if ((r = link_dump(sk, br->ifindex, &s->links)) < 0)
			return r;
	}
	if ((r = snapshot_finish(s, filtering ? bridge_vlan_dump(sk, &s->vlans) : -EOPNOTSUPP)) < 0)
		return r;
	*snap = g_steal_pointer(&s);
	return 0;
}

/**
 * port_snapshot_add_pins() - read the pins of some ports into a snapshot
 * @snap:	the snapshot
 * @taps:	the ports (names), @n of them
 * @cfgs:	their configurations, @n of them: only those with pin-mac count
 * @n:		how many
 *
 * Asks the kernel about exactly the entries pinning would need: the guest's
 * MAC in each VLAN of the port, or without a VLAN on a bridge that does not
 * filter them. A port not read (not in @snap, or the kernel cannot answer
 * this way) reads its own pins when it is reconciled.
 *
 * Return: 0 or -errno (then nothing was added)
 */
int port_snapshot_add_pins(PortSnapshot *snap, const char *const *taps, const PortConfig *cfgs,
			   guint n)
{
	g_autoptr(GArray) q = g_array_new(FALSE, TRUE, sizeof(FdbQuery));
	g_autoptr(GArray) ports = g_array_new(FALSE, FALSE, sizeof(int));
	int r;

	for (guint i = 0; i < n; i++) {
		const LinkInfo *tap = g_hash_table_lookup(snap->names, taps[i]);
		const LinkInfo *br = tap ? g_hash_table_lookup(snap->links,
							       GINT_TO_POINTER(tap->master)) : NULL;
		const PortVlanState *vl = tap ? g_hash_table_lookup(snap->vlans,
								    GINT_TO_POINTER(tap->ifindex)) : NULL;
		FdbQuery x = { .port = tap ? tap->ifindex : 0 };

		if (!br || !cfgs[i].pin_mac)
			continue;
		memcpy(x.mac, cfgs[i].mac, 6);
		if (!br->vlan_filtering) {
			g_array_append_val(q, x);
		} else if (vl) {
			for (x.vid = vlan_set_next(&vl->vids, 1); x.vid;
			     x.vid = vlan_set_next(&vl->vids, x.vid + 1))
				g_array_append_val(q, x);
		}
		g_array_append_val(ports, tap->ifindex);
	}
	if ((r = fdb_query_static((FdbQuery *)q->data, q->len)) < 0)
		return r;
	for (guint i = 0; i < q->len; i++) {
		const FdbQuery *x = &g_array_index(q, FdbQuery, i);

		if (x->pinned)
			g_hash_table_add(snap->fdb, fdb_key(x->port, x->mac, x->vid));
	}
	for (guint i = 0; i < ports->len; i++)
		g_hash_table_add(snap->pins_known, GINT_TO_POINTER(g_array_index(ports, int, i)));
	return 0;
}

/** port_snapshot_free() - free a snapshot; NULL is fine */
void port_snapshot_free(PortSnapshot *snap)
{
	if (!snap)
		return;
	g_clear_pointer(&snap->names, g_hash_table_unref);
	g_clear_pointer(&snap->links, g_hash_table_unref);
	g_clear_pointer(&snap->vlans, g_hash_table_unref);
	g_clear_pointer(&snap->fdb, g_hash_table_unref);
	g_clear_pointer(&snap->pins_known, g_hash_table_unref);
	g_free(snap);
}

/**
 * port_reconcile() - bring one bridge port to its configuration
 * @sk:		rtnetlink socket with CAP_NET_ADMIN, or NULL for a dry run:
 *		nothing is sent, @changes says what would change (current ->
 *		desired), and @snap is required
 * @snap:	a snapshot taken just before (for many ports), or NULL to read
 *		this port's state with requests of its own
 * @tap:	the port (libvirt's vnetN, or a tapgate tap)
 * @cfg:	what it must look like
 * @changes:	if not NULL, gets one line per change made
 * @error:	set to a one-line message on failure
 *
 * Order matters on a running guest: VLANs, then the static fdb entries, and
 * only then the lock, so the guest's own frames are never dropped. A port
 * that is already right costs no request at all with a snapshot.
 *
 * Return: 0 or -errno
 */
int port_reconcile(struct nl_sock *sk, const PortSnapshot *snap, const char *tap,
		   const PortConfig *cfg, GPtrArray *changes, GError **error)
{
	static const PortVlanState none;
	const PortVlanState *vlans = NULL;
	PortVlanState planned;
	LinkInfo port, br;
	const LinkInfo *p, *b;
	int r;

	g_assert(sk || snap);	/* a dry run compares with a snapshot */
	if (snap) {
		p = g_hash_table_lookup(snap->names, tap);
		if (!p)
			return fail(error, -ENODEV, "'%s' does not exist", tap);
		port = *p;
	} else if ((r = link_get(sk, tap, &port)) < 0) {
		if (r == -ENODEV)
			return fail(error, r, "'%s' does not exist", tap);
		return fail(error, r, "cannot look up '%s': %s", tap, tg_strerror(-r));
	}
	/* Only the guest's own tap: <target dev> may name anything, the uplink
	 * or a tunnel included, and pins, locks and VLANs there would hit the
	 * host's traffic. */
	if (strcmp(port.kind, "tun"))
		return fail(error, -EPERM, "'%s' is %s%s device, not a guest's tap; tapgate acts "
			    "only on taps", tap, *port.kind ? "a " : "a plain",
			    *port.kind ? port.kind : "");
	if (!port.master || !port.bridge_port)
		return fail(error, -ENOTCONN, "'%s' is not a port of a bridge", tap);
	if (snap && (b = g_hash_table_lookup(snap->links, GINT_TO_POINTER(port.master)))) {
		br = *b;
	} else if (!sk) {
		return fail(error, -ENODEV, "the bridge of '%s' is gone", tap);
	} else if ((r = link_get_index(sk, port.master, &br)) < 0) {
		return fail(error, r, "cannot look up the bridge of '%s': %s", tap, tg_strerror(-r));
	}
	if (*cfg->bridge && strcmp(br.name, cfg->bridge))
		return fail(error, -EPERM, "'%s' is a port of bridge '%s', not of '%s' (its <source "
			    "bridge>)", tap, br.name, cfg->bridge);
	if (snap) {
		vlans = g_hash_table_lookup(snap->vlans, GINT_TO_POINTER(port.ifindex));
		if (!vlans)
			vlans = &none;
	}
	if ((r = reconcile_vlans(sk, vlans, &port, &br, cfg, changes, &planned, error)) < 0)
		return r;
	/* VLANs just changed: what the snapshot says of them is stale (a dry
	 * run goes on with the VLANs it would have set). */
	if (r > 0)
		vlans = sk ? NULL : &planned;
	/* the snapshot's pins only for a port they were read for */
	if (cfg->pin_mac &&
	    (r = reconcile_fdb(sk, &port, &br, cfg, vlans,
			       snap && g_hash_table_contains(snap->pins_known,
							     GINT_TO_POINTER(port.ifindex)) ?
			       snap->fdb : NULL, changes, error)) < 0)
		return r;
	return reconcile_flags(sk, &port, cfg, changes, error);
}
