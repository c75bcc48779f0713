/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 'tapgate status': what the kernel has for the policy's networks: the local
 * ports, and for networks that span hosts the VXLAN device, the remote
 * tunnel endpoints and the remote guest MACs it knows (its own fdb, filled
 * by traffic in static mode, by FRR's zebra in EVPN mode); the persistent
 * taps the policy declares ([tap]), whether they are as declared and who
 * holds them; and the helper's taps that their holders made persistent,
 * which outlive their VMs.
 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "apply.h"
#include "bridge-vlan.h"
#include "config.h"
#include "link.h"
#include "netlink.h"
#include "policy.h"
#include "tap-holders.h"
#include "tapgate.h"
#include "tg-util.h"
#include "tuninfo.h"
#include "vxlan.h"

static char *opt_network, *opt_policy;

static const GOptionEntry status_options[] = {
	{ "network", 0, 0, G_OPTION_ARG_STRING, &opt_network,
	  "Only this network of the policy", "NAME" },
	{ "policy", 0, 0, G_OPTION_ARG_FILENAME, &opt_policy,
	  "Read this policy instead of " TG_POLICY_PATH " (it must be root's, as for the helper)",
	  "FILE" },
	{ NULL },
};

static int cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void print_list(const char *title, GPtrArray *items)
{
	printf("  %s (%u):", title, items->len);
	for (guint i = 0; i < items->len; i++)
		printf("%s%s", i ? ", " : " ", (char *)g_ptr_array_index(items, i));
	printf("%s\n", items->len ? "" : " none");
}

/* Is a port of @br in @n? On a vlan-filtering bridge, an access network's
 * ports have its VLAN as PVID and a trunk's carry all of its VLANs; on a
 * bridge that does not filter VLANs no port is on any VLAN. */
static gboolean in_network(const PolicyNetwork *n, const LinkInfo *br, const LinkInfo *l,
			   const PortVlanState *pv)
{
	if (n->uplink)	/* its own bridge; the sub-interface is not a guest's */
		return !(!strcmp(l->kind, "vlan") && l->vlan_id == n->uplink_vid);
	if (n->vlan.mode == PORT_PLAIN)
		return TRUE;
	if (!br->vlan_filtering || !pv)
		return FALSE;
	if (n->vlan.mode == PORT_ACCESS)
		return pv->pvid == n->vlan.vid;
	for (unsigned int v = VLAN_VID_MIN; v <= VLAN_VID_MAX; v++)
		if (vlan_set_has(&n->vlan.trunk, v) && !vlan_set_has(&pv->vids, v))
			return FALSE;
	return TRUE;
}

/* "held by pid 4242 (qemu-system-x86), user alice, VM 'vm1'" */
static void append_holder(GString *s, const TapHolder *h)
{
	struct passwd *pw;

	g_string_append_printf(s, "held by pid %d (%s)", (int)h->pid, h->comm ? h->comm : "?");
	if (h->uid != (uid_t)-1 && (pw = getpwuid(h->uid)))
		g_string_append_printf(s, ", user %s", pw->pw_name);
	else if (h->uid != (uid_t)-1)
		g_string_append_printf(s, ", uid %u", (unsigned int)h->uid);
	if (h->vm) {
		g_autofree char *q = tg_quote(h->vm);

		g_string_append_printf(s, ", VM '%s'", q);
	}
}

/* "vnet3: held by pid 4242 (qemu-system-x86), user alice, VM 'vm1'" */
static char *describe_port(const LinkInfo *l, GHashTable *holders, gboolean partial)
{
	const TapHolder *h = holders ? g_hash_table_lookup(holders, l->name) : NULL;
	GString *s = g_string_new(l->name);

	if (strcmp(l->kind, "tun")) {
		g_string_append_printf(s, ": %s device", *l->kind ? l->kind : "plain");
		return g_string_free(s, FALSE);
	}
	if (!h) {
		g_string_append(s, !holders ? ": tap, its holder unknown (/proc unreadable)" :
				   partial ? ": tap, not held by a process of yours (as root: "
					     "all processes)" :
					     ": tap, held by no process");
		return g_string_free(s, FALSE);
	}
	g_string_append(s, ": ");
	append_holder(s, h);
	return g_string_free(s, FALSE);
}

/* The ports of @n on this host (not its tunnel), one a line, with the
 * process that holds each tap: which VM owns 'tg1000-3fa1'. */
static void print_local_ports(const PolicyNetwork *n, const LinkInfo *br, int vx_index,
			      GHashTable *links, GHashTable *vlans, GHashTable *holders,
			      gboolean partial)
{
	g_autoptr(GPtrArray) ports = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter it;
	gpointer key, value;

	g_hash_table_iter_init(&it, links);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		const LinkInfo *l = value;
		const PortVlanState *pv = vlans ? g_hash_table_lookup(vlans, key) : NULL;

		if (l->master != br->ifindex || l->ifindex == vx_index ||
		    !in_network(n, br, l, pv))
			continue;
		g_ptr_array_add(ports, describe_port(l, holders, partial));
	}
	g_ptr_array_sort(ports, cmp_str);
	printf("  local ports (%u):%s\n", ports->len, ports->len ? "" : " none");
	for (guint i = 0; i < ports->len; i++)
		printf("    %s\n", (char *)g_ptr_array_index(ports, i));
	if (!n->uplink && n->vlan.mode != PORT_PLAIN && !br->vlan_filtering)
		printf("  bridge '%s' does not filter VLANs: no port can be on the network's "
		       "VLANs\n", br->name);
}

static void print_remote(struct nl_sock *sk, const LinkInfo *vx)
{
	g_autoptr(GPtrArray) vteps = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) macs = g_ptr_array_new_with_free_func(g_free);
	/* the endpoints seen so far: one lookup per entry, not a scan */
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GArray) fdb = NULL;
	char a[TG_ADDR_STRLEN];
	int r = vxlan_fdb_dump(sk, vx->ifindex, &fdb);

	if (r < 0) {
		printf("  cannot read the fdb of '%s': %s\n", vx->name, g_strerror(-r));
		return;
	}
	for (guint i = 0; i < fdb->len; i++) {
		const VxlanFdbEntry *e = &g_array_index(fdb, VxlanFdbEntry, i);
		const uint8_t *m = e->mac;
		gboolean flood = !(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]);

		tg_addr_format(&e->dst, a);
		if (!g_hash_table_contains(seen, a)) {
			char *v = g_strdup(a);

			g_ptr_array_add(vteps, v);
			g_hash_table_add(seen, v);
		}
		if (!flood)
			g_ptr_array_add(macs, g_strdup_printf(
				"%02x:%02x:%02x:%02x:%02x:%02x at %s (%s)", m[0], m[1], m[2], m[3],
				m[4], m[5], a, e->extern_learn ? "EVPN" :
				e->permanent ? "static" : "learned from traffic"));
	}
	g_ptr_array_sort(vteps, cmp_str);
	g_ptr_array_sort(macs, cmp_str);
	print_list("remote VTEPs", vteps);
	printf("  remote MACs (%u):%s\n", macs->len, macs->len ? "" : " none");
	for (guint i = 0; i < macs->len; i++)
		printf("    %s\n", (char *)g_ptr_array_index(macs, i));
}

static void print_network(struct nl_sock *sk, const PolicyNetwork *n, GHashTable *links,
			  GHashTable *vlans, GHashTable *holders, gboolean partial)
{
	g_autofree char *v = port_vlan_describe(&n->vlan);
	g_autofree char *d = vxlan_config_describe(&n->vxlan);
	char name[16];
	LinkInfo br, vx, under;
	gboolean have_vx;

	printf("network %s: bridge %s", n->name, n->bridge);
	if (n->uplink)
		printf(" (VLAN %u of uplink %s)", n->uplink_vid, n->uplink);
	else if (n->vlan.mode != PORT_PLAIN)
		printf(", ports %s", v);
	printf(n->vxlan.vni ? ", VXLAN %s\n" : ", this host only\n", d);
	if (link_get(sk, n->bridge, &br) < 0) {
		printf("  bridge '%s' does not exist yet ('tapgate apply' makes it)\n", n->bridge);
		return;
	}
	if (!n->vxlan.vni) {
		print_local_ports(n, &br, 0, links, vlans, holders, partial);
		return;
	}
	vxlan_device_name(n->vxlan.vni, name);
	have_vx = link_get(sk, name, &vx) == 0;
	if (!have_vx)
		printf("  device %s does not exist yet ('tapgate apply' makes it)\n", name);
	else if (vxlan_underlay(sk, &n->vxlan.local, &under) == 0)
		printf("  device %s %s, MTU %u, over %s (MTU %u)%s\n", name,
		       vx.flags & IFF_UP ? "up" : "DOWN", vx.mtu, under.name, under.mtu,
		       vx.master == br.ifindex ? "" : ", NOT IN THE BRIDGE");
	else
		printf("  device %s %s, MTU %u; vxlan-local is not an address of this host\n", name,
		       vx.flags & IFF_UP ? "up" : "DOWN", vx.mtu);
	print_local_ports(n, &br, have_vx ? vx.ifindex : 0, links, vlans, holders,
			  partial);
	if (have_vx)
		print_remote(sk, &vx);
}

/* "user alice, group kvm": names where the system has them. */
static void append_owner(GString *s, const PolicyTap *t)
{
	struct passwd *pw = t->has_user ? getpwuid(t->user) : NULL;
	struct group *gr = t->has_group ? getgrgid(t->group) : NULL;

	if (pw)
		g_string_append_printf(s, "user %s", pw->pw_name);
	else if (t->has_user)
		g_string_append_printf(s, "uid %u", (unsigned int)t->user);
	if (t->has_user && t->has_group)
		g_string_append(s, ", ");
	if (gr)
		g_string_append_printf(s, "group %s", gr->gr_name);
	else if (t->has_group)
		g_string_append_printf(s, "gid %u", (unsigned int)t->group);
}

/* What the next 'tapgate apply' would change on the tap, as words. */
static void append_differences(GString *s, const ApplyPlan *plan, const char *name)
{
	static const struct {
		ApplyKind kind;
		const char *what;
	} words[] = {
		{ APPLY_DELETE_TAP, "its multi-queue flag or an owner (it is made again)" },
		{ APPLY_TAP_OWNER, "owner" },
		{ APPLY_SET_ALIAS, "not marked as tapgate's" },
		{ APPLY_SET_MAC, "MAC" },
		{ APPLY_SET_MTU, "MTU" },
		{ APPLY_SET_MASTER, "bridge" },
		{ APPLY_TAP_VLANS, "VLANs" },
		{ APPLY_SET_UP, "down" },
	};
	guint n = 0;

	for (size_t w = 0; w < G_N_ELEMENTS(words); w++)
		for (guint i = 0; i < plan->steps->len; i++) {
			const ApplyStep *st = &g_array_index(plan->steps, ApplyStep, i);

			if (st->kind == words[w].kind && !strcmp(st->dev, name)) {
				g_string_append_printf(s, "%s%s", n++ ? ", " : "NOT as declared: ",
						       words[w].what);
				break;
			}
		}
	g_string_append(s, n ? " ('tapgate apply' fixes it)" : "as declared");
}

/* One line for a [tap]: whose, where, whether it is as declared, its
 * queues and who holds it. */
static void print_tap(const PolicyTap *t, GHashTable *links, const ApplyPlan *plan,
		      GHashTable *holders, gboolean partial)
{
	g_autofree char *unit = g_strdup_printf("tap %s", t->name);
	const char *refused = plan ? g_hash_table_lookup(plan->refused, unit) : NULL;
	const TapHolder *h = holders ? g_hash_table_lookup(holders, t->name) : NULL;
	g_autoptr(GString) s = g_string_new(NULL);
	const LinkInfo *l = NULL;
	GHashTableIter it;
	gpointer value;

	g_hash_table_iter_init(&it, links);
	while (!l && g_hash_table_iter_next(&it, NULL, &value))
		if (!strcmp(((const LinkInfo *)value)->name, t->name))
			l = value;
	g_string_append_printf(s, "  %s: ", t->name);
	append_owner(s, t);
	if (t->network)
		g_string_append_printf(s, ", network %s", t->network);
	else if (t->vid)
		g_string_append_printf(s, ", bridge %s VLAN %u", t->bridge, t->vid);
	else
		g_string_append_printf(s, ", bridge %s", t->bridge);
	g_string_append(s, "; ");
	if (refused)
		g_string_append_printf(s, "'tapgate apply' leaves it out: %s", refused);
	else if (!l)
		g_string_append(s, "does not exist yet ('tapgate apply' makes it)");
	else if (!plan)
		g_string_append(s, "exists (whether as declared is unknown)");
	else
		append_differences(s, plan, t->name);
	if (!l || strcmp(l->kind, "tun") || !l->tun.known) {
		g_string_append_printf(s, "; %s", t->multi_queue ? "multi-queue" : "single-queue");
		printf("%s\n", s->str);
		return;
	}
	if (l->tun.multi_queue)
		g_string_append_printf(s, "; multi-queue, %u queue%s attached", l->tun.num_queues,
				       l->tun.num_queues == 1 ? "" : "s");
	else
		g_string_append_printf(s, "; single-queue, %s", l->carrier ? "attached" :
							   "not attached");
	g_string_append(s, "; ");
	if (h)
		append_holder(s, h);
	else
		g_string_append(s, !holders ? "its holder unknown (/proc unreadable)" :
				   partial ? "not held by a process of yours (as root: all processes)" :
					     "held by no process");
	printf("%s\n", s->str);
}

/* The [tap] sections (of --network only, with it). */
static void print_taps(struct nl_sock *sk, const Policy *p, const PolicyNetwork *only,
		       GHashTable *links, GHashTable *holders, gboolean partial)
{
	g_autoptr(ApplyPlan) plan = NULL;
	g_autoptr(GPtrArray) taps = g_ptr_array_new();

	for (guint i = 0; i < p->taps->len; i++) {
		const PolicyTap *t = g_ptr_array_index(p->taps, i);

		if (!only || (t->network && !strcmp(t->network, only->name)))
			g_ptr_array_add(taps, (gpointer)t);
	}
	if (!taps->len)
		return;
	if (apply_plan(sk, p, &plan, NULL) < 0)
		plan = NULL;
	printf("taps (%u):\n", taps->len);
	for (guint i = 0; i < taps->len; i++)
		print_tap(g_ptr_array_index(taps, i), links, plan, holders, partial);
}

static int cmp_tun(gconstpointer a, gconstpointer b)
{
	return strcmp(((const TunInfo *)a)->name, ((const TunInfo *)b)->name);
}

/* Host-wide, whatever --network says: such a tap is on no network's books. */
static void print_stray_taps(GHashTable *links)
{
	g_autoptr(GPtrArray) stray = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GArray) taps = tuninfo_from_links(links);
	gboolean unknown = FALSE;

	g_array_sort(taps, cmp_tun);
	for (guint i = 0; i < taps->len; i++) {
		const TunInfo *t = &g_array_index(taps, TunInfo, i);
		g_autofree char *q = NULL, *d = NULL;

		unknown |= !t->tun.known && g_str_has_prefix(t->name, "tg");
		if (!tuninfo_is_stray_helper_tap(t))
			continue;
		q = tg_quote(t->name);
		d = tuninfo_describe(t);
		g_ptr_array_add(stray, g_strdup_printf("%s (%s)", q, d));
	}
	if (unknown && !stray->len) {
		printf("persistent helper taps: unknown (this kernel does not tell; Linux 4.15 "
		       "and later do)\n");
		return;
	}
	printf("persistent helper taps (%u):", stray->len);
	for (guint i = 0; i < stray->len; i++)
		printf("%s%s", i ? ", " : " ", (char *)g_ptr_array_index(stray, i));
	printf("%s\n", stray->len ? "" : " none");
}

/** cmd_status() - 'tapgate status [--network NAME]': exit 0, or 1 on errors */
int cmd_status(int argc, char **argv)
{
	g_autoptr(GOptionContext) ctx = g_option_context_new("- the policy's networks on this host");
	g_autoptr(Policy) p = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(NlSock) sk = NULL;
	g_autoptr(GHashTable) links = NULL, vlans = NULL, holders = NULL;
	const PolicyNetwork *only = NULL;
	gboolean partial;
	int r;

	g_option_context_add_main_entries(ctx, status_options, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || argc > 1)
		return usage_error(err ? err->message : "unexpected argument", "status");
	if (policy_load(&p, &policy_env_system, opt_policy ? opt_policy : TG_POLICY_PATH,
			TG_QEMU_ACL_PATH, &err) < 0) {
		fprintf(stderr, "tapgate: %s\n", err->message);
		return 1;
	}
	if (opt_network && !(only = policy_find_network(p, opt_network))) {
		g_autofree char *q = tg_quote(opt_network);

		fprintf(stderr, "tapgate: the policy has no network '%s'\n", q);
		return 1;
	}
	r = tg_nl_open(&sk);
	if (r == 0)
		r = link_dump(sk, 0, &links);
	if (r < 0) {
		fprintf(stderr, "tapgate: cannot read the links: %s\n", g_strerror(-r));
		return 1;
	}
	/* No VLAN filtering in this kernel is not an error: no VLANs to show. */
	if (bridge_vlan_dump(sk, &vlans) < 0)
		vlans = NULL;
	/* Unreadable /proc: the ports still, without their holders. */
	if ((r = tap_holders_scan(&holders)) < 0)
		holders = NULL;
	partial = r > 0;
	if (!only && !p->networks->len)
		printf("the policy defines no networks\n");
	for (guint i = 0; i < p->networks->len; i++) {
		const PolicyNetwork *n = g_ptr_array_index(p->networks, i);

		if (!only || n == only)
			print_network(sk, n, links, vlans, holders, partial);
	}
	print_taps(sk, p, only, links, holders, partial);
	print_stray_taps(links);
	return 0;
}
