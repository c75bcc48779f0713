/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 'tapgate apply', the plan: everything the policy declares that the kernel
 * does not have yet, as a list of steps, each the iproute2 command it
 * mirrors. Planning only reads (any user may run it: 'tapgate check'
 * does). It works on a model of the links, so that a bridge the plan makes
 * is there for the VXLAN port the plan puts in it.
 *
 * What apply makes and keeps: a network's own bridge (sub-interface
 * networks, VXLAN networks without a VLAN) and every bridge with 'managed =
 * true': each with a fixed MAC (no port's MAC can become the bridge's, F3)
 * and up; VLAN filtering on a managed bridge that carries VLANs, with
 * default_pvid 0 (a port nobody has wired yet forwards nothing); 802.1Q
 * sub-interfaces; VXLAN ports with their VLAN mapping and flood entries.
 * It never deletes a link, and removes only flood entries of its VXLAN
 * devices that the policy no longer lists.
 */
#include <fcntl.h>
#include <sys/utsname.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "apply.h"
#include "netprep.h"
#include "tg-util.h"
#include "vxlan.h"

typedef struct {
	struct nl_sock *sk;
	const Policy *policy;
	ApplyPlan *plan;
	GHashTable *links;	/* name -> LinkInfo *, as they will be */
	GHashTable *vlans;	/* ifindex -> PortVlanState *, from the kernel */
	GHashTable *fixed;	/* names of bridges whose MAC the plan fixes */
	int next_fake;		/* ifindexes of links the plan makes: -1, -2, ... */
	gboolean no_vlan_filtering;	/* a bridge shows this kernel has none */
	char *unit;		/* the unit being planned: "bridge br0", "network lan" */
} Model;

static const uint8_t zero_mac[6];

static void step_clear(gpointer p)
{
	g_free(((ApplyStep *)p)->command);
}

/**
 * apply_plan_free() - free a plan
 * @plan:	the plan, or NULL
 */
void apply_plan_free(ApplyPlan *plan)
{
	if (!plan)
		return;
	g_array_unref(plan->steps);
	g_ptr_array_unref(plan->problems);
	g_clear_pointer(&plan->refused, g_hash_table_unref);
	g_free(plan);
}

static void problem(Model *m, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void problem(Model *m, const char *fmt, ...)
{
	g_autofree char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (m->unit && !g_hash_table_contains(m->plan->refused, m->unit))
		g_hash_table_insert(m->plan->refused, g_strdup(m->unit), g_strdup(text));
	/* A bridge several networks share has its problem once. */
	for (guint i = 0; i < m->plan->problems->len; i++)
		if (!strcmp(g_ptr_array_index(m->plan->problems, i), text))
			return;
	g_ptr_array_add(m->plan->problems, g_steal_pointer(&text));
}

static ApplyStep *step(Model *m, ApplyKind kind, const char *dev, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);

static ApplyStep *step(Model *m, ApplyKind kind, const char *dev, const char *fmt, ...)
{
	ApplyStep s = { .kind = kind, .filtering = -1, .default_pvid = -1 };
	va_list ap;

	g_strlcpy(s.dev, dev, sizeof(s.dev));
	va_start(ap, fmt);
	s.command = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_array_append_val(m->plan->steps, s);
	return &g_array_index(m->plan->steps, ApplyStep, m->plan->steps->len - 1);
}

static LinkInfo *lookup(Model *m, const char *name)
{
	return g_hash_table_lookup(m->links, name);
}

static LinkInfo *add_link(Model *m, const char *name, const char *kind)
{
	LinkInfo *l = g_new0(LinkInfo, 1);

	l->ifindex = --m->next_fake;
	g_strlcpy(l->name, name, sizeof(l->name));
	g_strlcpy(l->kind, kind, sizeof(l->kind));
	g_hash_table_replace(m->links, l->name, l);
	return l;
}

static const PortVlanState *vlans_of(Model *m, const LinkInfo *l)
{
	return l->ifindex > 0 ? g_hash_table_lookup(m->vlans, GINT_TO_POINTER(l->ifindex)) : NULL;
}

static char *mac_str(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
	return buf;
}

/**
 * apply_bridge_mac() - the MAC apply gives a bridge it makes
 * @name:	the bridge
 * @mac:	set to a locally administered unicast address
 *
 * Derived from the machine id and the name: the same on every run (so that
 * --dry-run says what a run then does), different between hosts.
 */
void apply_bridge_mac(const char *name, uint8_t mac[6])
{
	g_autofree char *id = NULL, *seed = NULL;
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	guint8 digest[32];
	gsize len = sizeof(digest);

	if (!g_file_get_contents("/etc/machine-id", &id, NULL, NULL))
		id = g_strdup("");
	seed = g_strdup_printf("tapgate bridge\n%s\n%s", g_strstrip(id), name);
	g_checksum_update(sum, (const guchar *)seed, -1);
	g_checksum_get_digest(sum, digest, &len);
	memcpy(mac, digest, 6);
	mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02);
}

static int read_sys_uint(const char *name, const char *attr, guint64 *value)
{
	g_autofree char *path = g_strdup_printf("/sys/class/net/%s/%s", name, attr);
	g_autofree char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return -ENOENT;
	return tg_parse_uint(g_strstrip(text), G_MAXUINT32, value);
}

/**
 * bridge_mac_is_fixed() - whether a bridge keeps its MAC whatever its ports do
 * @br:		the bridge
 *
 * The kernel gives a bridge the lowest MAC among its ports until its
 * address is set explicitly (addr_assign_type 3, NET_ADDR_SET); rtnetlink
 * does not say which, sysfs does. A sysfs of another network namespace
 * (the device's ifindex differs) is an error, not an answer.
 *
 * Return: 1 if fixed, 0 if not, -ENXIO if /sys is not this namespace's, or -errno
 */
int bridge_mac_is_fixed(const LinkInfo *br)
{
	guint64 type, ifindex;
	int r = read_sys_uint(br->name, "ifindex", &ifindex);

	if (r < 0 || ifindex != (guint64)br->ifindex)
		return -ENXIO;
	r = read_sys_uint(br->name, "addr_assign_type", &type);
	return r < 0 ? r : type == 3;
}

/* Restore after default_pvid goes to 0: the kernel takes the old default
 * VLAN off every port (and the bridge itself) that still has it as its
 * untagged PVID. Those keep it, explicitly: only new ports get nothing. */
static void keep_default_vlan(Model *m, const LinkInfo *br, unsigned int old_pvid)
{
	GHashTableIter it;
	gpointer value;

	g_hash_table_iter_init(&it, m->links);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		const LinkInfo *l = value;
		const PortVlanState *v;
		gboolean self = l->ifindex == br->ifindex;
		ApplyStep *s;

		if ((!self && l->master != br->ifindex) || !(v = vlans_of(m, l)) ||
		    v->pvid != old_pvid || !vlan_set_has(&v->untagged, old_pvid))
			continue;
		s = step(m, APPLY_KEEP_VLAN, l->name, "bridge vlan add dev %s vid %u pvid untagged%s",
			 l->name, old_pvid, self ? " self" : "");
		s->vid = old_pvid;
		s->self = self;
	}
}

/* Does anything on @bridge ask for VLANs: a network, or a rule's 'vlans ='? */
static gboolean bridge_carries_vlans(const Policy *p, const char *bridge)
{
	for (guint i = 0; i < p->networks->len; i++) {
		const PolicyNetwork *n = g_ptr_array_index(p->networks, i);

		if (!n->uplink && !strcmp(n->bridge, bridge) && n->vlan.mode != PORT_PLAIN)
			return TRUE;
	}
	for (guint i = 0; i < p->rules->len; i++) {
		const PolicyRule *r = g_ptr_array_index(p->rules, i);

		if (r->effect == POLICY_ALLOW && !r->network && r->target &&
		    !strcmp(r->target, bridge) && r->vlans && vlan_set_count(r->vlans))
			return TRUE;
	}
	return FALSE;
}

/* Does a network on @bridge keep its ports in the default VLAN? */
static gboolean bridge_keeps_default(const Policy *p, const char *bridge)
{
	for (guint i = 0; i < p->networks->len; i++) {
		const PolicyNetwork *n = g_ptr_array_index(p->networks, i);

		if (!n->uplink && !strcmp(n->bridge, bridge) && n->vlan.keep_default_vlan)
			return TRUE;
	}
	return FALSE;
}

/*
 * A bridge apply makes and keeps (@b: its [bridge] section, or NULL for a
 * network's own): made if missing, its MAC fixed, up; a managed one that
 * carries VLANs filters them with default_pvid 0.
 */
static LinkInfo *plan_bridge(Model *m, const char *name, const PolicyBridge *b, const char *ctx)
{
	gboolean filtering = b && b->managed && bridge_carries_vlans(m->policy, name);
	int pvid = filtering && !b->keep_default_vlan && !bridge_keeps_default(m->policy, name) ?
		   0 : -1;
	LinkInfo *l = lookup(m, name);
	char mac[18];
	ApplyStep *s;
	int r;

	/* Without the kernel's support 'vlan_filtering 1' fails; refuse now. */
	if (filtering && m->no_vlan_filtering && (!l || !l->vlan_filtering)) {
		problem(m, "%sbridge '%s' must filter VLANs, and this kernel has no bridge VLAN "
			"filtering (CONFIG_BRIDGE_VLAN_FILTERING); use networks with 'uplink =' "
			"(802.1Q sub-interfaces) instead", ctx, name);
		return NULL;
	}
	if (!l) {
		l = add_link(m, name, "bridge");
		apply_bridge_mac(name, l->mac);
		s = step(m, APPLY_CREATE_BRIDGE, name, "ip link add name %s address %s type bridge%s",
			 name, mac_str(l->mac, mac),
			 filtering ? (pvid == 0 ? " vlan_filtering 1 vlan_default_pvid 0"
						: " vlan_filtering 1") : "");
		memcpy(s->mac, l->mac, 6);
		s->filtering = filtering ? 1 : -1;
		s->default_pvid = pvid;
		l->vlan_filtering = filtering;
		l->default_pvid = pvid == 0 ? 0 : 1;
	} else if (strcmp(l->kind, "bridge")) {
		problem(m, "%s'%s' exists but is not a bridge", ctx, name);
		return NULL;
	} else if (l->ifindex > 0 && !g_hash_table_contains(m->fixed, name) &&
		   (r = bridge_mac_is_fixed(l)) <= 0) {
		if (r < 0) {
			problem(m, "cannot tell whether bridge '%s' has a fixed MAC: %s", name,
				r == -ENXIO ? "/sys is not this network namespace's" : tg_strerror(-r));
			return NULL;
		}
		s = step(m, APPLY_FIX_MAC, name, "ip link set dev %s address %s", name,
			 mac_str(l->mac, mac));
		memcpy(s->mac, l->mac, 6);
		g_hash_table_add(m->fixed, l->name);
	}
	if (filtering && (!l->vlan_filtering || (pvid == 0 && l->default_pvid))) {
		s = step(m, APPLY_BRIDGE_OPTS, name, "ip link set dev %s type bridge%s%s", name,
			 l->vlan_filtering ? "" : " vlan_filtering 1",
			 pvid == 0 && l->default_pvid ? " vlan_default_pvid 0" : "");
		s->filtering = l->vlan_filtering ? -1 : 1;
		s->old_filtering = l->vlan_filtering;
		s->default_pvid = pvid == 0 && l->default_pvid ? 0 : -1;
		s->old_default_pvid = (int)l->default_pvid;
		if (s->default_pvid == 0)
			keep_default_vlan(m, l, l->default_pvid);
		l->vlan_filtering = TRUE;
		if (pvid == 0)
			l->default_pvid = 0;
	}
	if (!(l->flags & IFF_UP)) {
		step(m, APPLY_SET_UP, name, "ip link set dev %s up", name);
		l->flags |= IFF_UP;
	}
	return l;
}

/* A bridge apply does not make: it must be there, and filter VLANs if asked to. */
static LinkInfo *check_bridge(Model *m, const PolicyNetwork *n, const char *ctx)
{
	g_autoptr(GError) err = NULL;
	LinkInfo *l = lookup(m, n->bridge);

	if (!l) {
		problem(m, "%sbridge '%s' does not exist; create it, or let tapgate make it "
			"('managed = true' in [bridge %s])", ctx, n->bridge, n->bridge);
		return NULL;
	}
	if (strcmp(l->kind, "bridge")) {
		problem(m, "%s'%s' exists but is not a bridge", ctx, n->bridge);
		return NULL;
	}
	if (n->vlan.mode != PORT_PLAIN && bridge_vlans_unsupported(l, &err) < 0) {
		problem(m, "%s%s", ctx, err->message);
		return NULL;
	}
	if (n->vlan.mode != PORT_PLAIN && !l->vlan_filtering) {
		problem(m, "%sbridge '%s' does not filter VLANs, and the policy does not let "
			"tapgate switch it on ('managed = true' in [bridge %s])", ctx, n->bridge,
			n->bridge);
		return NULL;
	}
	return l;
}

/* Put @dev in @br and bring it up, as far as it is not yet. */
static gboolean plan_port(Model *m, LinkInfo *dev, const LinkInfo *br, const char *ctx)
{
	ApplyStep *s;

	if (dev->master && dev->master != br->ifindex) {
		problem(m, "%s'%s' is already a port of another device", ctx, dev->name);
		return FALSE;
	}
	if (!dev->master) {
		s = step(m, APPLY_SET_MASTER, dev->name, "ip link set dev %s master %s", dev->name,
			 br->name);
		g_strlcpy(s->other, br->name, sizeof(s->other));
		dev->master = br->ifindex;
	}
	return TRUE;
}

static void plan_up(Model *m, LinkInfo *dev)
{
	if (!(dev->flags & IFF_UP)) {
		step(m, APPLY_SET_UP, dev->name, "ip link set dev %s up", dev->name);
		dev->flags |= IFF_UP;
	}
}

/* Sub-interface mode: UPLINK.VID, a port of the network's own bridge. */
/* Can this kernel make 802.1Q devices? Loaded or built in (/sys/module), or
 * a module the kernel loads on first use (modules.dep lists it). A kernel
 * without modules, or without that one, cannot: say so when planning, not
 * with a failed step. */
static gboolean kernel_has_8021q(void)
{
	static const char *const dirs[] = { "/lib/modules", "/usr/lib/modules" };
	struct utsname u;

	if (g_file_test("/sys/module/8021q", G_FILE_TEST_IS_DIR) || uname(&u) < 0)
		return TRUE;
	for (size_t i = 0; i < G_N_ELEMENTS(dirs); i++) {
		g_autofree char *dep = g_strdup_printf("%s/%s/modules.dep", dirs[i], u.release);
		g_autofree char *text = NULL;

		if (g_file_get_contents(dep, &text, NULL, NULL) && strstr(text, "/8021q.ko"))
			return TRUE;
	}
	return FALSE;
}

static void plan_subif(Model *m, const PolicyNetwork *n, const char *ctx)
{
	g_autofree char *sub = g_strdup_printf("%s.%u", n->uplink, n->uplink_vid);
	LinkInfo *up = lookup(m, n->uplink), *vl, *br;
	ApplyStep *s;

	if (!up) {
		problem(m, "%suplink '%s' does not exist", ctx, n->uplink);
		return;
	}
	if (strlen(sub) >= IFNAMSIZ) {
		problem(m, "%s'%s' is too long for a device name", ctx, sub);
		return;
	}
	vl = lookup(m, sub);
	if (!vl && !kernel_has_8021q()) {
		problem(m, "%s'%s' cannot be made: this kernel has no 802.1Q VLAN devices (the 8021q "
			"module is neither loaded nor installed)", ctx, sub);
		return;
	}
	if (!vl) {
		s = step(m, APPLY_CREATE_VLAN, sub, "ip link add link %s name %s type vlan id %u",
			 n->uplink, sub, n->uplink_vid);
		g_strlcpy(s->other, n->uplink, sizeof(s->other));
		s->vid = n->uplink_vid;
		vl = add_link(m, sub, "vlan");
		vl->link = up->ifindex;
		vl->vlan_id = n->uplink_vid;
	}
	if (strcmp(vl->kind, "vlan") || vl->link != up->ifindex || vl->vlan_id != n->uplink_vid) {
		problem(m, "%s'%s' exists but is not VLAN %u on '%s'", ctx, sub, n->uplink_vid,
			n->uplink);
		return;
	}
	br = plan_bridge(m, n->bridge, NULL, ctx);
	if (br && plan_port(m, vl, br, ctx))
		plan_up(m, vl);
}

/* The VXLAN port: made, in the bridge, the network's VLAN mapped to the
 * VNI, set up for its control plane, its flood list the policy's peers. */
static void plan_vxlan(Model *m, const PolicyNetwork *n, LinkInfo *br, const char *ctx)
{
	const VxlanConfig *cfg = &n->vxlan;
	unsigned int vid = n->vlan.mode == PORT_ACCESS ? n->vlan.vid : 0;
	g_autoptr(GError) err = NULL;
	g_autoptr(GArray) fdb = NULL;
	char name[16], a[TG_ADDR_STRLEN];
	VxlanState vs = { 0 };
	LinkInfo *vx;
	ApplyStep *s;
	int r;

	vxlan_device_name(cfg->vni, name);
	if (!vid && br->vlan_filtering) {
		problem(m, "%sbridge '%s' filters VLANs: a VXLAN network without 'vlan =' needs a "
			"bridge of its own that does not", ctx, br->name);
		return;
	}
	r = vxlan_check_underlay(m->sk, cfg, br->ifindex > 0 ? br->ifindex : 0, &vs, &err);
	if (r < 0) {
		problem(m, "%s%s", ctx, err->message);
		return;
	}
	vx = lookup(m, name);
	if (!vx) {
		s = step(m, APPLY_CREATE_VXLAN, name, "ip link add %s mtu %u type vxlan id %u local "
			 "%s dstport %u %slearning", name, vs.mtu, cfg->vni,
			 tg_addr_format(&cfg->local, a), cfg->port, cfg->evpn ? "no" : "");
		s->vx = (VxlanLink){ .vni = cfg->vni, .local = cfg->local, .port = cfg->port,
				     .learning = !cfg->evpn, .mtu = vs.mtu };
		vx = add_link(m, name, "vxlan");
		vx->vxlan_id = cfg->vni;
		vx->vxlan_local = cfg->local;
		vx->vxlan_port = cfg->port;
		vx->vxlan_learning = !cfg->evpn;
		vx->learning = TRUE;	/* a new bridge port's default */
	}
	if (strcmp(vx->kind, "vxlan") || vx->vxlan_id != cfg->vni || vx->vxlan_other ||
	    !tg_addr_equal(&vx->vxlan_local, &cfg->local) || vx->vxlan_port != cfg->port) {
		problem(m, "%s'%s' exists but is not VNI %u from %s, UDP port %u", ctx, name, cfg->vni,
			tg_addr_format(&cfg->local, a), cfg->port);
		return;
	}
	if (vx->vxlan_learning != !cfg->evpn) {
		problem(m, "%s'%s' exists but %s remote MACs from traffic (the policy says %s mode)",
			ctx, name, vx->vxlan_learning ? "learns" : "does not learn",
			cfg->evpn ? "EVPN" : "static");
		return;
	}
	if (!vx->master)
		vx->learning = TRUE;
	if (!plan_port(m, vx, br, ctx))
		return;
	if (vid) {
		const PortVlanState *have = vlans_of(m, vx);
		PortVlanState now = { 0 }, want;
		PortVlan access = { .mode = PORT_ACCESS, .vid = vid };

		if (have)
			now = *have;
		else if (br->default_pvid) {	/* what the kernel gives a new port */
			vlan_set_add(&now.vids, br->default_pvid);
			vlan_set_add(&now.untagged, br->default_pvid);
			now.pvid = br->default_pvid;
		}
		bridge_vlan_expected(&access, 0, &want);
		if (!vlan_set_equal(&now.vids, &want.vids) ||
		    !vlan_set_equal(&now.untagged, &want.untagged) || now.pvid != want.pvid) {
			g_autofree char *extra = NULL;

			vlan_set_del(&now.vids, vid);
			extra = vlan_set_count(&now.vids) ? vlan_set_format(&now.vids) : NULL;
			s = step(m, APPLY_PORT_VLANS, name, "bridge vlan add dev %s vid %u pvid "
				 "untagged%s%s%s%s", name, vid, extra ? "; bridge vlan del dev " : "",
				 extra ? name : "", extra ? " vid " : "", extra ? extra : "");
			s->vid = vid;
		}
	}
	/* EVPN: zebra installs remote MACs; the bridge answers ARP/ND itself
	 * (RFC 7432 section 10). */
	if (cfg->evpn && (vx->learning || !vx->neigh_suppress)) {
		s = step(m, APPLY_EVPN_PORT, name, "ip link set dev %s type bridge_slave learning off "
			 "neigh_suppress on", name);
		s->old_flags = (BridgePortFlags){ .learning = vx->learning, .locked = -1,
						  .isolated = -1,
						  .neigh_suppress = vx->neigh_suppress };
	}
	if (!cfg->evpn && vx->ifindex > 0 && (r = vxlan_fdb_dump(m->sk, vx->ifindex, &fdb)) < 0) {
		problem(m, "%scannot read the fdb of '%s': %s", ctx, name, tg_strerror(-r));
		return;
	}
	for (unsigned int i = 0; !cfg->evpn && i < cfg->n_peers; i++) {
		gboolean found = FALSE;

		for (guint j = 0; fdb && j < fdb->len && !found; j++) {
			const VxlanFdbEntry *e = &g_array_index(fdb, VxlanFdbEntry, j);

			found = !memcmp(e->mac, zero_mac, 6) && tg_addr_equal(&e->dst, &cfg->peers[i]);
		}
		if (found)
			continue;
		s = step(m, APPLY_FLOOD_ADD, name, "bridge fdb append 00:00:00:00:00:00 dev %s dst "
			 "%s self permanent", name, tg_addr_format(&cfg->peers[i], a));
		s->addr = cfg->peers[i];
	}
	/* Peers taken out of the policy: only this device's flood entries. */
	for (guint j = 0; !cfg->evpn && fdb && j < fdb->len; j++) {
		const VxlanFdbEntry *e = &g_array_index(fdb, VxlanFdbEntry, j);
		gboolean listed = FALSE;

		if (memcmp(e->mac, zero_mac, 6))
			continue;
		for (unsigned int i = 0; i < cfg->n_peers && !listed; i++)
			listed = tg_addr_equal(&e->dst, &cfg->peers[i]);
		if (listed)
			continue;
		s = step(m, APPLY_FLOOD_DEL, name, "bridge fdb del 00:00:00:00:00:00 dev %s dst %s "
			 "self", name, tg_addr_format(&e->dst, a));
		s->addr = e->dst;
	}
	plan_up(m, vx);
}

static void plan_network(Model *m, const PolicyNetwork *n)
{
	g_autofree char *ctx = g_strdup_printf("network '%s': ", n->name);
	const PolicyBridge *b = policy_find_bridge(m->policy, n->bridge);
	PolicyTarget t;
	LinkInfo *br;

	if (n->uplink) {
		plan_subif(m, n, ctx);
		return;
	}
	policy_network_target(m->policy, n, &t);
	if (target_bridge_is_applied(&t))
		br = plan_bridge(m, n->bridge, b && b->managed ? b : NULL, ctx);
	else
		br = check_bridge(m, n, ctx);
	if (br && n->vxlan.vni)
		plan_vxlan(m, n, br, ctx);
}

static int model_load(Model *m, GError **error)
{
	g_autoptr(GHashTable) by_index = NULL;
	GHashTableIter it;
	gpointer value;
	int r = link_dump(m->sk, 0, &by_index);

	if (r < 0) {
		g_set_error(error, TG_ERROR, -r, "cannot read the links: %s", tg_strerror(-r));
		return r;
	}
	r = bridge_vlan_dump(m->sk, &m->vlans);
	if (r == -EOPNOTSUPP || r == -EINVAL) {	/* no bridge VLAN filtering here */
		m->vlans = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
		r = 0;
	}
	if (r < 0) {
		g_set_error(error, TG_ERROR, -r, "cannot read the bridges' VLANs: %s",
			    tg_strerror(-r));
		return r;
	}
	m->links = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	g_hash_table_iter_init(&it, by_index);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		LinkInfo *l = g_memdup2(value, sizeof(LinkInfo));

		g_hash_table_replace(m->links, l->name, l);
		/* one bridge tells for the kernel (and for bridges yet to be made) */
		if (!strcmp(l->kind, "bridge") && bridge_vlans_unsupported(l, NULL) < 0)
			m->no_vlan_filtering = TRUE;
	}
	return 0;
}

/* One pass over the units (managed bridges, then networks), @skip left out;
 * a unit that has a problem is marked in @skip. TRUE if none newly had one. */
static gboolean plan_pass(Model *m, gboolean *skip, guint *units)
{
	const Policy *p = m->policy;
	gboolean stable = TRUE;
	guint u = 0;

	for (guint i = 0; i < p->bridges->len + p->networks->len; i++) {
		const PolicyBridge *b = i < p->bridges->len ? g_ptr_array_index(p->bridges, i) : NULL;
		guint before = m->plan->problems->len;

		if (b && (!b->managed || !strcmp(b->name, "*")))
			continue;
		g_free(m->unit);
		m->unit = b ? g_strdup_printf("bridge %s", b->name)
			    : g_strdup_printf("network %s", ((const PolicyNetwork *)g_ptr_array_index(
								  p->networks, i - p->bridges->len))->name);
		if (!skip[u] && b)
			plan_bridge(m, b->name, b, "");
		else if (!skip[u])
			plan_network(m, g_ptr_array_index(p->networks, i - p->bridges->len));
		if (!skip[u] && m->plan->problems->len > before) {
			skip[u] = TRUE;
			stable = FALSE;
		}
		u++;
	}
	g_clear_pointer(&m->unit, g_free);
	*units = u;
	return stable;
}

/**
 * apply_plan() - what 'tapgate apply' would change, read-only
 * @sk:		rtnetlink socket (no capability needed)
 * @policy:	the policy
 * @plan:	set to the plan: its steps in order, and its problems
 * @error:	set if the kernel's state cannot be read
 *
 * Each managed bridge and each network is a unit: one with a problem is
 * left out whole (plan->left_out counts them), the others are planned as if
 * it were not in the policy, so that nothing is half made.
 *
 * Return: 0 or -errno
 */
int apply_plan(struct nl_sock *sk, const Policy *policy, ApplyPlan **plan, GError **error)
{
	Model m = { .sk = sk, .policy = policy };
	g_autofree gboolean *skip = g_new0(gboolean, policy->bridges->len + policy->networks->len);
	gboolean stable = FALSE;
	int r = 0;

	m.plan = g_new0(ApplyPlan, 1);
	m.plan->problems = g_ptr_array_new_with_free_func(g_free);
	m.plan->refused = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	/* Leaving a unit out can only take steps away from the others; a few
	 * passes find the units that stand on their own. */
	while (!stable && r == 0) {
		g_clear_pointer(&m.plan->steps, g_array_unref);
		m.plan->steps = g_array_new(FALSE, TRUE, sizeof(ApplyStep));
		g_array_set_clear_func(m.plan->steps, step_clear);
		g_clear_pointer(&m.links, g_hash_table_unref);
		g_clear_pointer(&m.vlans, g_hash_table_unref);
		g_clear_pointer(&m.fixed, g_hash_table_unref);
		m.fixed = g_hash_table_new(g_str_hash, g_str_equal);
		m.next_fake = 0;
		r = model_load(&m, error);
		if (r == 0)
			stable = plan_pass(&m, skip, &m.plan->units);
	}
	for (guint u = 0; u < m.plan->units; u++)
		m.plan->left_out += skip[u];
	g_clear_pointer(&m.fixed, g_hash_table_unref);
	g_clear_pointer(&m.links, g_hash_table_unref);
	g_clear_pointer(&m.vlans, g_hash_table_unref);
	if (r < 0) {
		apply_plan_free(m.plan);
		return r;
	}
	*plan = m.plan;
	return 0;
}
