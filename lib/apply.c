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
 * sub-interfaces; VXLAN ports with their VLAN mapping and flood entries;
 * the persistent taps of [tap] sections (tap-persist.c), each with its
 * owner, MAC, MTU, bridge and VLANs, marked with the alias "tapgate: [tap
 * NAME]". The only links it deletes are such marked taps that nobody holds:
 * one the policy no longer declares, or one made again because it cannot
 * be changed in place. It removes only flood entries of its VXLAN devices
 * that the policy no longer lists.
 */
#include <fcntl.h>
#include <sys/utsname.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "apply.h"
#include "netprep.h"
#include "tap-persist.h"
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

/* A port's VLANs as they are, or as the kernel will give it when it joins
 * @br (the bridge's default_pvid, untagged) if it is not a port yet. */
static PortVlanState port_vlans_now(Model *m, const LinkInfo *l, const LinkInfo *br)
{
	const PortVlanState *have = vlans_of(m, l);
	PortVlanState now = { 0 };

	if (have)
		return *have;
	if (br->default_pvid) {
		vlan_set_add(&now.vids, br->default_pvid);
		vlan_set_add(&now.untagged, br->default_pvid);
		now.pvid = br->default_pvid;
	}
	return now;
}

static char *mac_str(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
	return buf;
}

/* The first 6 bytes of SHA-256("tapgate WHAT\n<machine id>\nNAME"). */
static void derived_mac(const char *what, const char *name, uint8_t mac[6])
{
	g_autofree char *id = NULL, *seed = NULL;
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	guint8 digest[32];
	gsize len = sizeof(digest);

	if (!g_file_get_contents("/etc/machine-id", &id, NULL, NULL))
		id = g_strdup("");
	seed = g_strdup_printf("tapgate %s\n%s\n%s", what, g_strstrip(id), name);
	g_checksum_update(sum, (const guchar *)seed, -1);
	g_checksum_get_digest(sum, digest, &len);
	memcpy(mac, digest, 6);
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
	derived_mac("bridge", name, mac);
	mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02);
}

/**
 * apply_tap_mac() - the MAC of a [tap] that declares none
 * @name:	the tap
 * @mac:	set to 0xfe and 5 bytes derived from the machine id and the name
 *
 * Stable across runs and re-creations; the first byte 0xfe (locally
 * administered, unicast, high) keeps a bridge from taking it as its own,
 * as for the helper's taps (link_random_host_mac()).
 */
void apply_tap_mac(const char *name, uint8_t mac[6])
{
	uint8_t d[6];

	derived_mac("tap", name, d);
	mac[0] = 0xfe;
	memcpy(mac + 1, d, 5);
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
	for (guint i = 0; i < p->taps->len; i++) {
		const PolicyTap *t = g_ptr_array_index(p->taps, i);

		if (t->bridge && !strcmp(t->bridge, bridge) && t->vid)
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
		l->mtu = 1500;	/* the kernel's, until ports join */
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

/* A bridge whose MTU nobody set follows its smallest port (the kernel's
 * br_mtu_auto_adjust()): what a [tap] without 'mtu =' then gets. */
static void bridge_mtu_follow(Model *m, LinkInfo *br)
{
	GHashTableIter it;
	gpointer value;
	uint32_t min = 0;

	g_hash_table_iter_init(&it, m->links);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		const LinkInfo *l = value;

		if (l->master == br->ifindex && l->mtu && (!min || l->mtu < min))
			min = l->mtu;
	}
	if (min)
		br->mtu = min;
}

/* Put @dev in @br and bring it up, as far as it is not yet. */
static gboolean plan_port(Model *m, LinkInfo *dev, LinkInfo *br, const char *ctx)
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
		bridge_mtu_follow(m, br);
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
		vl->mtu = up->mtu;
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
		vx->mtu = vs.mtu;
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
		PortVlanState now = port_vlans_now(m, vx, br), want;
		PortVlan access = { .mode = PORT_ACCESS, .vid = vid };

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

/* "user 1000 group 100 multi_queue": the tail of an 'ip tuntap add'. */
static char *tuntap_args(uid_t owner, gid_t group, gboolean multi_queue)
{
	GString *a = g_string_new(NULL);

	if (owner != (uid_t)-1)
		g_string_append_printf(a, " user %u", (unsigned int)owner);
	if (group != (gid_t)-1)
		g_string_append_printf(a, " group %u", (unsigned int)group);
	if (multi_queue)
		g_string_append(a, " multi_queue");
	return g_string_free(a, FALSE);
}

/* Does a process hold the tap? The kernel counts a multi-queue tap's
 * queues; a single-queue one has carrier while attached. */
static gboolean tap_is_held(const LinkInfo *l)
{
	return l->tun.num_queues + l->tun.num_disabled_queues > 0 || l->carrier;
}

/* 'ip tuntap del': @l goes from the model, and is made again after. */
static void plan_tap_delete(Model *m, LinkInfo *l)
{
	ApplyStep *s = step(m, APPLY_DELETE_TAP, l->name, "ip tuntap del dev %s mode tap%s",
			    l->name, l->tun.multi_queue ? " multi_queue" : "");

	s->multi_queue = l->tun.multi_queue;
	s->old = *l;
	g_hash_table_remove(m->links, s->dev);
}

/* The bridge commands that give @dev the VLANs @want where it has @now. */
static char *vlan_commands(const char *dev, const PortVlanState *now, const PortVlanState *want)
{
	g_autoptr(GString) c = g_string_new(NULL);
	PortVlanState tagged = *want, extra = { 0 };
	g_autofree char *t = NULL, *x = NULL;
	g_auto(GStrv) tr = NULL, xr = NULL;

	for (unsigned int v = vlan_set_next(&want->vids, 1); v; v = vlan_set_next(&want->vids, v + 1))
		if (vlan_set_has(&want->untagged, v) || v == want->pvid) {
			vlan_set_del(&tagged.vids, v);
			g_string_append_printf(c, "%sbridge vlan add dev %s vid %u%s%s", c->len ? "; " : "",
					       dev, v, v == want->pvid ? " pvid" : "",
					       vlan_set_has(&want->untagged, v) ? " untagged" : "");
		}
	t = vlan_set_format(&tagged.vids);
	tr = g_strsplit(t, ";", -1);
	for (char **r = tr; *t && *r; r++)
		g_string_append_printf(c, "%sbridge vlan add dev %s vid %s", c->len ? "; " : "", dev, *r);
	for (size_t i = 0; i < G_N_ELEMENTS(extra.vids.bits); i++)
		extra.vids.bits[i] = now->vids.bits[i] & ~want->vids.bits[i];
	x = vlan_set_format(&extra.vids);
	xr = g_strsplit(x, ";", -1);
	for (char **r = xr; *x && *r; r++)
		g_string_append_printf(c, "%sbridge vlan del dev %s vid %s", c->len ? "; " : "", dev, *r);
	return g_string_free(g_steal_pointer(&c), FALSE);
}

/* The bridge of a [tap]: there (or made by this plan), a bridge, and
 * filtering VLANs if the tap has some. */
static LinkInfo *tap_bridge(Model *m, const PolicyTap *t, const char *bridge,
			    const PortVlan *vlan, const char *ctx)
{
	g_autofree char *unit = t->network ? g_strdup_printf("network %s", t->network)
					   : g_strdup_printf("bridge %s", t->bridge);
	g_autoptr(GError) err = NULL;
	LinkInfo *br;

	if (g_hash_table_contains(m->plan->refused, unit)) {
		problem(m, "%s%s '%s' is left out, and the tap with it", ctx,
			t->network ? "network" : "bridge", t->network ? t->network : t->bridge);
		return NULL;
	}
	br = lookup(m, bridge);
	if (!br) {
		problem(m, "%sbridge '%s' does not exist; create it, or let tapgate make it "
			"('managed = true' in [bridge %s])", ctx, bridge, bridge);
		return NULL;
	}
	if (strcmp(br->kind, "bridge")) {
		problem(m, "%s'%s' exists but is not a bridge", ctx, bridge);
		return NULL;
	}
	if (vlan->mode != PORT_PLAIN && br->ifindex > 0 && bridge_vlans_unsupported(br, &err) < 0) {
		problem(m, "%s%s", ctx, err->message);
		return NULL;
	}
	if (vlan->mode != PORT_PLAIN && !br->vlan_filtering) {
		problem(m, "%sbridge '%s' does not filter VLANs, and the policy does not let "
			"tapgate switch it on ('managed = true' in [bridge %s])", ctx, bridge, bridge);
		return NULL;
	}
	if (vlan->mode == PORT_PLAIN && br->vlan_filtering && !vlan->keep_default_vlan) {
		problem(m, "%sbridge '%s' filters VLANs: give the tap a VLAN ('vlan =' or a "
			"network), or set 'keep-default-vlan = true' in [bridge %s]", ctx, bridge,
			bridge);
		return NULL;
	}
	return br;
}

/*
 * An existing link of a [tap]'s name: a persistent tap, with the declared
 * multi-queue flag and owner. What cannot be changed in place (the flag, an
 * owner or group to unset) is made again if nobody holds it. Return: the
 * link, NULL if the tap is to be made (again), or (LinkInfo *)-1 after a problem.
 */
static LinkInfo *tap_existing(Model *m, const PolicyTap *t, LinkInfo *l, const char *ctx)
{
	uid_t owner = t->has_user ? t->user : (uid_t)-1;
	gid_t group = t->has_group ? t->group : (gid_t)-1;
	gboolean held = tap_is_held(l), unset, set;
	g_autofree char *args = NULL;
	ApplyStep *s;

	if (strcmp(l->kind, "tun") || (l->tun.known && !l->tun.tap)) {
		g_autofree char *what = !strcmp(l->kind, "tun") ? g_strdup("a tun device") :
					*l->kind ? g_strdup_printf("a %s device", l->kind) :
						   g_strdup("a device");

		problem(m, "%s'%s' exists but is %s, not a tap", ctx, t->name, what);
		return (LinkInfo *)-1;
	}
	if (!l->tun.known) {
		problem(m, "%sthis kernel does not tell whose tap '%s' is (Linux 4.15 and later do)",
			ctx, t->name);
		return (LinkInfo *)-1;
	}
	if (!l->tun.persist) {
		problem(m, "%s'%s' exists but is not persistent: a process made it for itself and "
			"holds it", ctx, t->name);
		return (LinkInfo *)-1;
	}
	unset = (!t->has_user && l->tun.has_owner) || (!t->has_group && l->tun.has_group);
	if (l->tun.multi_queue != t->multi_queue || unset) {
		if (held) {
			problem(m, "%s'%s' %s, and a process holds it: it can be made again only "
				"when let go", ctx, t->name,
				l->tun.multi_queue != t->multi_queue
					? (t->multi_queue ? "is not multi-queue" : "is multi-queue")
					: "has an owner or group the policy does not declare");
			return (LinkInfo *)-1;
		}
		plan_tap_delete(m, l);
		return NULL;
	}
	set = (t->has_user && (!l->tun.has_owner || l->tun.owner != t->user)) ||
	      (t->has_group && (!l->tun.has_group || l->tun.group != t->group));
	if (!set)
		return l;
	if (held && !l->tun.multi_queue) {
		problem(m, "%s'%s' has another owner or group, and a process holds it: a "
			"single-queue tap can be changed only when let go", ctx, t->name);
		return (LinkInfo *)-1;
	}
	args = tuntap_args(owner, group, l->tun.multi_queue);
	s = step(m, APPLY_TAP_OWNER, t->name, "ip tuntap add dev %s mode tap%s", t->name, args);
	s->owner = owner;
	s->group = group;
	s->multi_queue = l->tun.multi_queue;
	s->old = *l;
	l->tun.has_owner = t->has_user;
	l->tun.owner = t->has_user ? t->user : l->tun.owner;
	l->tun.has_group = t->has_group;
	l->tun.group = t->has_group ? t->group : l->tun.group;
	return l;
}

/* A [tap]: made persistent if missing, then its MAC, MTU, bridge, VLANs, up. */
static void plan_tap(Model *m, const PolicyTap *t)
{
	g_autofree char *ctx = g_strdup_printf("tap '%s': ", t->name);
	uid_t owner = t->has_user ? t->user : (uid_t)-1;
	gid_t group = t->has_group ? t->group : (gid_t)-1;
	const char *bridge = NULL;
	PortVlan vlan;
	g_autofree char *alias = tap_persist_alias(t->name);
	LinkInfo *br, *l;
	uint8_t mac[6];
	char a[18];
	uint32_t mtu;
	ApplyStep *s;

	if (policy_tap_port(m->policy, t, &bridge, &vlan) < 0) {
		problem(m, "%sno [network %s] is declared", ctx, t->network);
		return;
	}
	if (!(br = tap_bridge(m, t, bridge, &vlan, ctx)))
		return;
	l = lookup(m, t->name);
	if (l && (l = tap_existing(m, t, l, ctx)) == (LinkInfo *)-1)
		return;
	if (!l) {
		g_autofree char *args = tuntap_args(owner, group, t->multi_queue);

		s = step(m, APPLY_CREATE_TAP, t->name, "ip tuntap add dev %s mode tap%s", t->name,
			 args);
		s->owner = owner;
		s->group = group;
		s->multi_queue = t->multi_queue;
		l = add_link(m, t->name, "tun");
		l->mtu = 1500;	/* the tun driver's */
		l->tun = (LinkTun){ .known = TRUE, .tap = TRUE, .persist = TRUE,
				    .has_owner = t->has_user, .owner = t->user,
				    .has_group = t->has_group, .group = t->group,
				    .multi_queue = t->multi_queue };
	}
	/* Marked, made here or adopted: a tap apply keeps is one it removes when
	 * its section goes, or its owner would keep the port for good. */
	if (strcmp(l->alias, alias)) {
		s = step(m, APPLY_SET_ALIAS, t->name, "ip link set dev %s alias '%s'", t->name, alias);
		s->old = *l;
		g_strlcpy(l->alias, alias, sizeof(l->alias));
	}
	if (t->has_mac)
		memcpy(mac, t->mac, 6);
	else
		apply_tap_mac(t->name, mac);
	if (memcmp(l->mac, mac, 6)) {
		s = step(m, APPLY_SET_MAC, t->name, "ip link set dev %s address %s", t->name,
			 mac_str(mac, a));
		memcpy(s->mac, mac, 6);
		s->old = *l;
		memcpy(l->mac, mac, 6);
	}
	mtu = t->mtu ? t->mtu : br->mtu ? br->mtu : 1500;
	if (l->mtu != mtu) {
		s = step(m, APPLY_SET_MTU, t->name, "ip link set dev %s mtu %u", t->name, mtu);
		s->mtu = mtu;
		s->old = *l;
		l->mtu = mtu;
		if (l->master == br->ifindex)
			bridge_mtu_follow(m, br);
	}
	if (l->master != br->ifindex) {
		const PortVlanState *had = vlans_of(m, l);

		s = step(m, APPLY_SET_MASTER, t->name, "ip link set dev %s master %s", t->name,
			 br->name);
		g_strlcpy(s->other, br->name, sizeof(s->other));
		s->old = *l;
		l->master = br->ifindex;
		bridge_mtu_follow(m, br);
		/* the kernel's VLANs of a new port, not the other bridge's */
		if (had)
			g_hash_table_remove(m->vlans, GINT_TO_POINTER(l->ifindex));
	}
	if (br->vlan_filtering) {
		PortVlanState now = port_vlans_now(m, l, br), want;

		bridge_vlan_expected(&vlan, br->default_pvid, &want);
		if (!bridge_vlan_state_equal(&now, &want)) {
			g_autofree char *cmd = vlan_commands(t->name, &now, &want);

			s = step(m, APPLY_TAP_VLANS, t->name, "%s", cmd);
			g_strlcpy(s->other, br->name, sizeof(s->other));
			s->vlan = vlan;
		}
	}
	plan_up(m, l);
}

static int cmp_name(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Taps apply made (its alias on them) that no [tap] declares any more:
 * deleted, unless a process holds them. */
static void plan_stale_taps(Model *m)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	GHashTableIter it;
	gpointer value;

	g_hash_table_iter_init(&it, m->links);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		LinkInfo *l = value;
		g_autofree char *alias = tap_persist_alias(l->name);

		if (!strcmp(l->kind, "tun") && l->tun.known && l->tun.tap && l->tun.persist &&
		    !strcmp(l->alias, alias) && !policy_find_tap(m->policy, l->name))
			g_ptr_array_add(names, l->name);
	}
	g_ptr_array_sort(names, cmp_name);	/* the same order in a dry run and a run */
	for (guint i = 0; i < names->len; i++) {
		LinkInfo *l = lookup(m, g_ptr_array_index(names, i));

		if (tap_is_held(l))
			problem(m, "tap '%s' is no longer declared, but a process holds it: left as "
				"it is", l->name);
		else
			plan_tap_delete(m, l);
	}
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

/* One pass over the units (managed bridges, then networks, then taps, which
 * stand on them), @skip left out; a unit that has a problem is marked in
 * @skip. TRUE if none newly had one. */
static gboolean plan_pass(Model *m, gboolean *skip, guint *units)
{
	const Policy *p = m->policy;
	const guint nb = p->bridges->len, nn = p->networks->len;
	gboolean stable = TRUE;
	guint u = 0;

	for (guint i = 0; i < nb + nn + p->taps->len; i++) {
		const PolicyBridge *b = i < nb ? g_ptr_array_index(p->bridges, i) : NULL;
		const PolicyNetwork *n = i >= nb && i < nb + nn ? g_ptr_array_index(p->networks,
										      i - nb) : NULL;
		const PolicyTap *t = i >= nb + nn ? g_ptr_array_index(p->taps, i - nb - nn) : NULL;
		guint before = m->plan->problems->len;

		if (b && (!b->managed || !strcmp(b->name, "*")))
			continue;
		g_free(m->unit);
		m->unit = b ? g_strdup_printf("bridge %s", b->name) :
			  n ? g_strdup_printf("network %s", n->name) :
			      g_strdup_printf("tap %s", t->name);
		if (!skip[u] && b)
			plan_bridge(m, b->name, b, "");
		else if (!skip[u] && n)
			plan_network(m, n);
		else if (!skip[u])
			plan_tap(m, t);
		if (!skip[u] && m->plan->problems->len > before) {
			skip[u] = TRUE;
			stable = FALSE;
		}
		u++;
	}
	g_clear_pointer(&m->unit, g_free);
	plan_stale_taps(m);
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
 * Each managed bridge, each network and each tap is a unit: one with a problem is
 * left out whole (plan->left_out counts them), the others are planned as if
 * it were not in the policy, so that nothing is half made.
 *
 * Return: 0 or -errno
 */
int apply_plan(struct nl_sock *sk, const Policy *policy, ApplyPlan **plan, GError **error)
{
	Model m = { .sk = sk, .policy = policy };
	g_autofree gboolean *skip = g_new0(gboolean, policy->bridges->len + policy->networks->len +
						  policy->taps->len);
	gboolean stable = FALSE;
	int r = 0;

	m.plan = g_new0(ApplyPlan, 1);
	m.plan->problems = g_ptr_array_new_with_free_func(g_free);
	m.plan->taps = policy->taps->len;
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
