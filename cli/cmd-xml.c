/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 'tapgate xml interface|network|attach' and 'tapgate mac': libvirt XML that
 * tapgate-hook and tapgate-helper understand, with stable, collision-free MACs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "gen.h"
#include "guestmac.h"
#include "config.h"
#include "ifname.h"
#include "netlink.h"
#include "netprep.h"
#include "portxml.h"
#include "tapgate.h"
#include "tg-util.h"

static char *o_bridge, *o_network, *o_tgnet, *o_portgroup, *o_trunk, *o_mac, *o_model, *o_domain, *o_uuid,
	*o_target, *o_uri, *o_name, *o_default_pg;
static char **o_checks, **o_portgroups;
static int o_vlan, o_native, o_index;
static gboolean o_pin, o_isolated, o_keep;

static const GOptionEntry iface_entries[] = {
	{ "bridge", 0, 0, G_OPTION_ARG_STRING, &o_bridge, "A Linux bridge", "BRIDGE" },
	{ "network", 0, 0, G_OPTION_ARG_STRING, &o_network, "A libvirt network", "NAME" },
	{ "tapgate-network", 0, 0, G_OPTION_ARG_STRING, &o_tgnet,
	  "A network of the tapgate policy (its bridge, VLANs and tunnel)", "NAME" },
	{ "portgroup", 0, 0, G_OPTION_ARG_STRING, &o_portgroup, "Its portgroup", "NAME" },
	{ "vlan", 0, 0, G_OPTION_ARG_INT, &o_vlan, "Access port of this VLAN", "ID" },
	{ "trunk", 0, 0, G_OPTION_ARG_STRING, &o_trunk, "Trunk of these VLANs", "LIST" },
	{ "native", 0, 0, G_OPTION_ARG_INT, &o_native, "The trunk's untagged VLAN", "ID" },
	{ "keep-default-vlan", 0, 0, G_OPTION_ARG_NONE, &o_keep, "Keep VLAN 1 on the port", NULL },
	{ "mac", 0, 0, G_OPTION_ARG_STRING, &o_mac, "auto (default) or a MAC", "MAC" },
	{ "model", 0, 0, G_OPTION_ARG_STRING, &o_model, "NIC model (default virtio)", "MODEL" },
	{ "domain", 0, 0, G_OPTION_ARG_STRING, &o_domain, "The domain (for its UUID)", "NAME" },
	{ "uuid", 0, 0, G_OPTION_ARG_STRING, &o_uuid, "The domain's UUID", "UUID" },
	{ "index", 0, 0, G_OPTION_ARG_INT, &o_index,
	  "The NIC's index (default: 0, or with --domain the next free one)", "N" },
	{ "pin-mac", 0, 0, G_OPTION_ARG_NONE, &o_pin, "Only the guest's MAC may send", NULL },
	{ "isolated", 0, 0, G_OPTION_ARG_NONE, &o_isolated, "Isolated port", NULL },
	{ "target-libvirt", 0, 0, G_OPTION_ARG_STRING, &o_target,
	  "libvirt version to write for (default: the connection's, or this host's)", "VERSION" },
	{ "connect", 'c', 0, G_OPTION_ARG_STRING, &o_uri, "libvirt URI", "URI" },
	{ NULL },
};

static void quiet(void *data, virErrorPtr e)
{
}

static char *lverr(void)
{
	virErrorPtr e = virGetLastError();

	return g_strdup(e && e->message ? e->message : "unknown libvirt error");
}

static int parse_version(const char *s, unsigned long *v)
{
	unsigned int a = 0, b = 0, c = 0;
	int n = 0;

	if (sscanf(s, "%u.%u%n", &a, &b, &n) < 2 || (s[n] && sscanf(s + n, ".%u%n", &c, &n) < 1) ||
	    a > 1000 || b > 999 || c > 999)
		return -EINVAL;
	*v = a * 1000000ul + b * 1000ul + c;
	return 0;
}

/* The MACs of every domain, defined or running, on one connection. */
static GHashTable *macs_in_use(virConnectPtr conn)
{
	GHashTable *used = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	virDomainPtr *doms = NULL;
	int n = virConnectListAllDomains(conn, &doms, 0);

	for (int i = 0; i < n; i++) {
		for (int live = 0; live < 2; live++) {
			g_autofree char *xml = NULL;
			g_autoptr(DomainXml) d = NULL;

			if (live && !virDomainIsActive(doms[i]))
				continue;
			xml = virDomainGetXMLDesc(doms[i], live ? 0 : VIR_DOMAIN_XML_INACTIVE);
			if (!xml || domain_xml_parse(xml, strlen(xml), &d, NULL) < 0)
				continue;
			for (guint j = 0; j < d->ports->len; j++) {
				DomainPort *p = g_ptr_array_index(d->ports, j);

				if (p->mac)
					g_hash_table_replace(used, g_ascii_strdown(p->mac, -1),
							     g_strdup(d->name));
			}
		}
		virDomainFree(doms[i]);
	}
	free(doms);
	return used;
}

/* The first candidate MAC no connection uses; clashes are reported. */
static int free_mac(const char *uuid, unsigned int index, virConnectPtr *conns, char **uris,
		    guint n, uint8_t mac[6])
{
	g_autoptr(GPtrArray) used = g_ptr_array_new_with_free_func((GDestroyNotify)g_hash_table_unref);

	for (guint i = 0; i < n; i++)
		g_ptr_array_add(used, macs_in_use(conns[i]));
	for (unsigned int attempt = 0; attempt < 1000; attempt++) {
		g_autofree char *text = NULL;
		gboolean taken = FALSE;

		if (guest_mac(uuid, index, attempt, mac) < 0)
			return fail("'%s' is not a UUID", uuid);
		text = mac_format(mac);
		for (guint i = 0; i < n; i++) {
			const char *owner = g_hash_table_lookup(g_ptr_array_index(used, i), text);

			if (owner) {
				fprintf(stderr, "tapgate: %s is taken by domain '%s' on %s; trying the "
					"next candidate\n", text, owner, uris[i]);
				taken = TRUE;
			}
		}
		if (!taken)
			return 0;
	}
	return fail("no free MAC after 1000 candidates");
}

/* --tapgate-network: the bridge of a network of the policy. The VLANs stay
 * out of the XML: the hook and 'tapgate sync' take them from the policy,
 * where they are the same on every host. */
static int tapgate_network(IfaceSpec *spec)
{
	static char bridge[IFNAMSIZ];
	g_autoptr(Policy) policy = NULL;
	g_autoptr(GError) err = NULL;
	const PolicyNetwork *n;

	if (ifname_validate(o_tgnet, "network name", &err) < 0)
		return usage_error(err->message, "xml");
	g_strlcpy(spec->cfg.network, o_tgnet, sizeof(spec->cfg.network));
	if (policy_load(&policy, &policy_env_system, TG_POLICY_PATH, TG_QEMU_ACL_PATH, &err) < 0)
		return fail("%s", err->message);
	n = policy_find_network(policy, o_tgnet);
	if (!n)
		return fail("network '%s' is not in the policy (%s)", o_tgnet, TG_POLICY_PATH);
	g_strlcpy(bridge, n->bridge, sizeof(bridge));
	spec->bridge = bridge;
	memset(&spec->cfg.vlan, 0, sizeof(spec->cfg.vlan));
	return 0;
}

/* Interface options into a spec; @conn (may be NULL) for --domain and version. */
/* With a connection: the libvirt network and its portgroup must exist
 * there, or the interface would not start. Return: 0, or 1 (said why). */
static int check_network(virConnectPtr conn, const char *uri)
{
	virNetworkPtr net = virNetworkLookupByName(conn, o_network);
	g_autofree char *xml = net ? virNetworkGetXMLDesc(net, 0) : NULL;
	g_autoptr(NetworkXml) n = NULL;
	g_autoptr(GError) err = NULL;
	g_autofree char *known = NULL;

	if (net)
		virNetworkFree(net);
	if (!net)
		return fail("no network '%s' on %s", o_network, uri ? uri : "libvirt");
	if (!o_portgroup)
		return 0;
	if (!xml || network_xml_parse(xml, strlen(xml), &n, &err) < 0)
		return fail("network '%s': %s", o_network, err ? err->message : "no XML");
	for (guint i = 0; i < n->libvirt_portgroups->len; i++)
		if (!strcmp(g_ptr_array_index(n->libvirt_portgroups, i), o_portgroup))
			return 0;
	g_ptr_array_add(n->libvirt_portgroups, NULL);
	known = g_strjoinv(", ", (char **)n->libvirt_portgroups->pdata);
	return fail("network '%s' on %s has no portgroup '%s' (it has: %s)", o_network,
		    uri ? uri : "libvirt", o_portgroup, *known ? known : "none");
}

static int build_spec(IfaceSpec *spec, virConnectPtr conn, unsigned int default_index)
{
	g_autoptr(GError) err = NULL;
	unsigned long lib = 0;
	int r;

	memset(spec, 0, sizeof(*spec));
	if ((o_bridge != NULL) + (o_network != NULL) + (o_tgnet != NULL) != 1)
		return usage_error("give one of '--bridge', '--network' and '--tapgate-network'",
				   "xml");
	if (o_tgnet && (o_vlan || o_trunk || o_native || o_keep))
		return usage_error("'--tapgate-network' sets the VLANs: it excludes '--vlan', "
				   "'--trunk', '--native' and '--keep-default-vlan'", "xml");
	if (o_tgnet && (r = tapgate_network(spec)) != 0)
		return r;
	if (o_bridge && ifname_validate(o_bridge, "bridge name", &err) < 0)
		return usage_error(err->message, "xml");
	if (o_portgroup && !o_network)
		return usage_error("'--portgroup' goes with '--network'", "xml");
	if (conn && o_network && (r = check_network(conn, o_uri)) != 0)
		return r;
	if (o_vlan && o_trunk)
		return usage_error("'--vlan' and '--trunk' exclude each other", "xml");
	if (o_native && !o_trunk)
		return usage_error("'--native' needs '--trunk'", "xml");
	if (!o_tgnet)
		spec->bridge = o_bridge;
	spec->network = o_network;
	spec->portgroup = o_portgroup;
	spec->model = o_model;
	spec->cfg.pin_mac = o_pin;
	spec->cfg.isolated = o_isolated;
	spec->cfg.vlan.keep_default_vlan = o_keep;
	if (o_vlan) {
		if (o_vlan < 1 || o_vlan > 4094)
			return usage_error("'--vlan' must be 1-4094", "xml");
		spec->cfg.vlan.mode = PORT_ACCESS;
		spec->cfg.vlan.vid = (unsigned int)o_vlan;
	} else if (o_trunk) {
		if (vlan_set_parse(&spec->cfg.vlan.trunk, o_trunk, &err) < 0)
			return usage_error(err->message, "xml");
		spec->cfg.vlan.mode = PORT_TRUNK;
		if (o_native) {
			if (o_native < 1 || o_native > 4094)
				return usage_error("'--native' must be 1-4094", "xml");
			spec->cfg.vlan.vid = (unsigned int)o_native;
			vlan_set_add(&spec->cfg.vlan.trunk, spec->cfg.vlan.vid);
		}
	}
	if (o_target) {
		if (parse_version(o_target, &lib) < 0)
			return usage_error("'--target-libvirt' must be a version such as 9.0.0", "xml");
	} else if (!conn || virConnectGetLibVersion(conn, &lib) < 0) {
		virGetVersion(&lib, NULL, NULL);
	}
	spec->libvirt = lib;
	if (o_index < 0)
		return usage_error("'--index' must not be negative", "xml");
	if (!o_index)
		o_index = (int)default_index;
	return 0;
}

/* The MAC: explicit, or derived from the domain's UUID and the NIC index. */
static int pick_mac(IfaceSpec *spec, const char *uuid, virConnectPtr conn, const char *uri)
{
	if (o_mac && strcmp(o_mac, "auto")) {
		g_autofree char *q = tg_quote(o_mac);

		if (mac_parse(o_mac, spec->cfg.mac) < 0)
			return usage_error("'--mac' must be 'auto' or a MAC such as 52:54:00:12:34:56",
					   "xml");
		if (spec->cfg.mac[0] & 1)
			return fail("MAC '%s' is a multicast address", q);
		if (spec->cfg.mac[0] == 0xfe)
			return fail("MAC '%s' starts with fe, which is kept for the host side of ports", q);
		return 0;
	}
	if (!uuid)
		return usage_error("'--mac auto' needs '--uuid' or '--domain'", "xml");
	if (!conn)
		return guest_mac(uuid, (unsigned int)o_index, 0, spec->cfg.mac) < 0
			       ? fail("'%s' is not a UUID", uuid) : 0;
	return free_mac(uuid, (unsigned int)o_index, &conn, (char **)&uri, 1, spec->cfg.mac);
}

static virConnectPtr connect_or_fail(const char *uri)
{
	virConnectPtr conn = virConnectOpen(uri);

	if (!conn) {
		g_autofree char *why = lverr();

		fail("cannot connect to '%s': %s", uri ? uri : "libvirt", why);
	}
	return conn;
}

static int xml_interface(int argc, char **argv)
{
	g_autoptr(GOptionContext) ctx = g_option_context_new("- a libvirt <interface> for tapgate");
	g_autoptr(GError) err = NULL;
	g_autofree char *iface = NULL, *meta = NULL, *uuid = NULL;
	virConnectPtr conn = NULL;
	unsigned int next_index = 0;
	IfaceSpec spec;
	int r;

	g_option_context_add_main_entries(ctx, iface_entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || argc > 1)
		return usage_error(err ? err->message : "unexpected argument", "xml interface");
	if (o_domain && !o_uri)
		return usage_error("'--domain' needs '--connect'", "xml interface");
	if (o_uri && !(conn = connect_or_fail(o_uri)))
		return 1;
	uuid = g_strdup(o_uuid);
	if (o_domain) {
		virDomainPtr dom = virDomainLookupByName(conn, o_domain);
		char buf[VIR_UUID_STRING_BUFLEN];
		g_autofree char *xml = NULL;
		g_autoptr(DomainXml) d = NULL;

		if (!dom) {
			virConnectClose(conn);
			return fail("no domain '%s' on %s", o_domain, o_uri);
		}
		virDomainGetUUIDString(dom, buf);
		/* the next NIC's index, as 'xml attach' takes it: index 0 would
		 * be the MAC of the domain's first NIC */
		xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
		if (xml && domain_xml_parse(xml, strlen(xml), &d, NULL) == 0)
			next_index = d->ports->len;
		virDomainFree(dom);
		g_free(uuid);
		uuid = g_strdup(buf);
	}
	r = build_spec(&spec, conn, next_index);
	if (!r)
		r = pick_mac(&spec, uuid, conn, o_uri);
	if (conn)
		virConnectClose(conn);
	if (r)
		return r;
	iface = gen_interface(&spec, &meta);
	printf("<!-- tapgate: add to the domain's <devices> -->\n%s\n", iface);
	if (meta)
		printf("<!-- tapgate: add to the domain's <metadata> (tapgate xml attach does it) -->\n"
		       "%s\n", meta);
	return 0;
}

static int xml_network(int argc, char **argv)
{
	const GOptionEntry entries[] = {
		{ "name", 0, 0, G_OPTION_ARG_STRING, &o_name, "The network's name", "NAME" },
		{ "bridge", 0, 0, G_OPTION_ARG_STRING, &o_bridge, "Its Linux bridge", "BRIDGE" },
		{ "portgroup", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o_portgroups,
		  "A portgroup: NAME or NAME:VLAN (repeatable)", "PG" },
		{ "default-portgroup", 0, 0, G_OPTION_ARG_STRING, &o_default_pg,
		  "The default portgroup (default: the first)", "NAME" },
		{ "pin-mac", 0, 0, G_OPTION_ARG_NONE, &o_pin, "Pin guest MACs on every port", NULL },
		{ "target-libvirt", 0, 0, G_OPTION_ARG_STRING, &o_target, "libvirt version", "VERSION" },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- a bridge-mode <network> with portgroups");
	g_autoptr(GError) err = NULL;
	g_autofree PortgroupSpec *pgs = NULL;
	g_autofree char *out = NULL;
	unsigned long lib = 0;
	guint n = o_portgroups ? g_strv_length(o_portgroups) : 0;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || argc > 1)
		return usage_error(err ? err->message : "unexpected argument", "xml network");
	if (!o_name || !*o_name || !o_bridge)
		return usage_error("'--name' and '--bridge' are required", "xml network");
	if (ifname_validate(o_bridge, "bridge name", &err) < 0)
		return usage_error(err->message, "xml network");
	if (o_target ? parse_version(o_target, &lib) < 0 : virGetVersion(&lib, NULL, NULL) < 0)
		return usage_error("'--target-libvirt' must be a version such as 9.0.0", "xml network");
	n = o_portgroups ? g_strv_length(o_portgroups) : 0;
	pgs = g_new0(PortgroupSpec, MAX(n, 1));
	for (guint i = 0; i < n; i++) {
		char *colon = strchr(o_portgroups[i], ':');
		unsigned int vid;

		if (colon) {
			*colon = '\0';
			if (vlan_parse_vid(colon + 1, &vid, &err) < 0)
				return usage_error(err->message, "xml network");
			pgs[i].cfg.vlan.mode = PORT_ACCESS;
			pgs[i].cfg.vlan.vid = vid;
		}
		if (!*o_portgroups[i])
			return usage_error("a portgroup needs a name", "xml network");
		pgs[i].name = o_portgroups[i];
		pgs[i].cfg.pin_mac = o_pin;
		pgs[i].is_default = o_default_pg ? !strcmp(o_default_pg, pgs[i].name) : i == 0;
	}
	out = gen_network(o_name, o_bridge, pgs, n, lib);
	printf("%s\n", out);
	return 0;
}

/* The new port, attached live with its link down: wire it before any frame
 * passes. Return: 0, or -1 with @error set (the caller undoes the attach). */
static int wire_new_port(virDomainPtr dom, const PortConfig *cfg, GError **error)
{
	g_autofree char *xml = virDomainGetXMLDesc(dom, 0);
	g_autofree char *mac = mac_format(cfg->mac);
	g_autoptr(DomainXml) d = NULL;
	g_autoptr(NlSock) sk = NULL;
	g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(Policy) policy = NULL;
	PortConfig c = *cfg;
	int r;

	if (!xml || domain_xml_parse(xml, strlen(xml), &d, error) < 0)
		return xml ? -1 : (g_set_error(error, TG_ERROR, EIO, "libvirt gave no domain XML"), -1);
	if ((r = tg_nl_open(&sk)) < 0) {
		g_set_error(error, TG_ERROR, -r, "cannot open a netlink socket: %s", tg_strerror(-r));
		return -1;
	}
	for (guint i = 0; i < d->ports->len; i++) {
		DomainPort *p = g_ptr_array_index(d->ports, i);

		if (!p->tap || !p->mac || g_ascii_strcasecmp(p->mac, mac))
			continue;
		r = *c.network ? port_network_resolve(sk, &policy, p->bridge, &c, NULL, error) : 0;
		if (r == 0)
			r = port_reconcile(sk, NULL, p->tap, &c, changes, error);
		if (r < 0)
			return -1;
		for (guint j = 0; j < changes->len; j++)
			printf("%s: %s\n", d->name, (char *)g_ptr_array_index(changes, j));
		return 0;
	}
	g_set_error(error, TG_ERROR, ENODEV, "libvirt shows no tap for %s", mac);
	return -1;
}

/* Before anything changes: would the bridge take the port as asked? The
 * same refusal port_reconcile() would give once the NIC is in the guest. */
static int check_bridge(const char *bridge, const PortConfig *cfg)
{
	g_autoptr(NlSock) sk = NULL;
	g_autoptr(GError) err = NULL;
	LinkInfo br;
	int r = tg_nl_open(&sk);

	if (r < 0)
		return fail("cannot open a netlink socket: %s", tg_strerror(-r));
	if ((r = link_get(sk, bridge, &br)) == -ENODEV)
		return fail("bridge '%s' does not exist", bridge);
	if (r < 0)
		return fail("cannot look up bridge '%s': %s", bridge, tg_strerror(-r));
	if (port_bridge_check(&br, cfg, &err) < 0)
		return fail("%s", err->message);
	return 0;
}

static int prepare_network(const PortConfig *cfg, const char *bridge)
{
	g_autoptr(NlSock) sk = NULL;
	g_autoptr(Policy) policy = NULL;
	g_autoptr(GError) err = NULL;
	PortConfig c = *cfg;
	int r = tg_nl_open(&sk);

	if (r < 0)
		return fail("cannot open a netlink socket: %s", g_strerror(-r));
	if (port_network_resolve(sk, &policy, bridge, &c, NULL, &err) < 0)
		return fail("%s", err->message);
	return 0;
}

/* Merge the port into the domain's tapgate metadata; *@before gets what was
 * there (NULL: nothing), so a failed attach can put it back. */
static int merge_metadata(virDomainPtr dom, const PortConfig *cfg, unsigned int where,
			  char **before)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *merged = NULL;

	*before = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, TG_XMLNS, where);
	merged = gen_ports_metadata(*before, cfg, &err);
	if (!merged)
		return fail("%s", err->message);
	if (virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, merged, "tapgate", TG_XMLNS,
				 where) < 0) {
		g_autofree char *why = lverr();

		return fail("cannot set the domain's tapgate metadata: %s", why);
	}
	return 0;
}

/* Put back what merge_metadata() replaced (re-serialised without its
 * namespace, as virDomainSetMetadata wants), or remove it if nothing was. */
static void restore_metadata(virDomainPtr dom, const char *before, unsigned int where)
{
	g_autofree char *plain = before ? gen_ports_metadata(before, NULL, NULL) : NULL;

	virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, plain, plain ? "tapgate" : NULL,
			     TG_XMLNS, where);
}

/* Take a live NIC out again after a failed step. A guest that does not
 * answer the unplug request keeps it, but with its link down. */
static void detach_live(virDomainPtr dom, const char *iface, const char *mac)
{
	g_autofree char *xml = NULL;

	if (virDomainDetachDeviceFlags(dom, iface, VIR_DOMAIN_AFFECT_LIVE) < 0) {
		g_autofree char *why = lverr();

		fail("cannot detach %s again (its link stays down): %s", mac, why);
		return;
	}
	xml = virDomainGetXMLDesc(dom, 0);
	if (xml && strstr(xml, mac))
		fail("the guest has not released %s yet; its link stays down", mac);
}

/** xml_attach() - 'tapgate xml attach': add a NIC, live and in the config.
 *
 * On a running domain the NIC goes in with its link down, is wired, and only
 * then comes up, so it never forwards as a plain port. Any failing step
 * undoes the ones before it: the NIC is detached and the metadata restored. */
static int xml_attach(int argc, char **argv)
{
	g_autoptr(GOptionContext) ctx = g_option_context_new("- add a tapgate NIC to a domain");
	g_autoptr(GError) err = NULL;
	g_autofree char *iface = NULL, *meta = NULL, *inactive = NULL, *mac = NULL;
	g_autofree char *iface_down = NULL, *meta_down = NULL;
	g_autofree char *before_config = NULL, *before_live = NULL;
	gboolean merged_config = FALSE, merged_live = FALSE, attached_live = FALSE, wire;
	g_autoptr(DomainXml) d = NULL;
	g_autoptr(GHashTable) used = NULL;
	char uuid[VIR_UUID_STRING_BUFLEN];
	virConnectPtr conn;
	virDomainPtr dom;
	gboolean live;
	IfaceSpec spec;
	PortConfig meta_cfg;
	int r = 0;

	g_option_context_add_main_entries(ctx, iface_entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || argc > 1)
		return usage_error(err ? err->message : "unexpected argument", "xml attach");
	if (!o_domain)
		return usage_error("'--domain' is required", "xml attach");
	if (!(conn = connect_or_fail(o_uri)))
		return 1;
	dom = virDomainLookupByName(conn, o_domain);
	if (!dom) {
		virConnectClose(conn);
		return fail("no domain '%s' on %s", o_domain, o_uri ? o_uri : "libvirt");
	}
	virDomainGetUUIDString(dom, uuid);
	live = virDomainIsActive(dom) == 1;
	inactive = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
	if (!inactive || domain_xml_parse(inactive, strlen(inactive), &d, &err) < 0) {
		r = fail("domain '%s': %s", o_domain, err ? err->message : "no XML");
		goto out;
	}
	/* The next NIC's index: how many the domain has. */
	r = build_spec(&spec, conn, d->ports->len);
	if (!r)
		r = pick_mac(&spec, uuid, conn, o_uri ? o_uri : "libvirt");
	if (r)
		goto out;
	mac = mac_format(spec.cfg.mac);
	used = macs_in_use(conn);
	if (g_hash_table_contains(used, mac)) {
		r = fail("MAC %s is already used by domain '%s'", mac,
			 (char *)g_hash_table_lookup(used, mac));
		goto out;
	}
	iface = gen_interface(&spec, &meta);
	/* tapgate wires the live port itself (the hook runs only at start). */
	wire = live && meta;
	if (wire && geteuid() != 0) {
		r = fail("wiring the new NIC of running domain '%s' needs root: run this as root",
			 o_domain);
		goto out;
	}
	if (wire && spec.bridge && (r = check_bridge(spec.bridge, &spec.cfg)))
		goto out;
	/* Metadata first: whoever reacts to the new device (tapgate sync
	 * --watch) must find it already there. */
	meta_cfg = spec.cfg;
	if (spec.libvirt >= LIBVIRT_NATIVE_BRIDGE_VLAN)
		meta_cfg.vlan.mode = PORT_PLAIN;
	if (meta) {
		r = merge_metadata(dom, &meta_cfg, VIR_DOMAIN_AFFECT_CONFIG, &before_config);
		merged_config = r == 0;
		if (!r && live) {
			r = merge_metadata(dom, &meta_cfg, VIR_DOMAIN_AFFECT_LIVE, &before_live);
			merged_live = r == 0;
		}
	}
	/* The network's bridge and tunnel first: libvirt needs the bridge. */
	if (!r && wire && *spec.cfg.network)
		r = prepare_network(&spec.cfg, spec.bridge);
	if (!r && live) {
		spec.link_down = wire;
		iface_down = gen_interface(&spec, &meta_down);
		if (virDomainAttachDeviceFlags(dom, iface_down, VIR_DOMAIN_AFFECT_LIVE) < 0) {
			g_autofree char *why = lverr();

			r = fail("cannot attach %s to domain '%s': %s", mac, o_domain, why);
		}
		attached_live = r == 0;
	}
	if (!r && wire && wire_new_port(dom, &spec.cfg, &err) < 0)
		r = fail("cannot wire %s in domain '%s': %s; detaching it", mac, o_domain,
			 err->message);
	/* Wired: now the guest may see its link. */
	if (!r && wire && virDomainUpdateDeviceFlags(dom, iface, VIR_DOMAIN_AFFECT_LIVE) < 0) {
		g_autofree char *why = lverr();

		r = fail("cannot bring up the link of %s in domain '%s': %s; detaching it", mac,
			 o_domain, why);
	}
	if (!r && virDomainAttachDeviceFlags(dom, iface, VIR_DOMAIN_AFFECT_CONFIG) < 0) {
		g_autofree char *why = lverr();

		r = fail("cannot add %s to the config of domain '%s': %s", mac, o_domain, why);
	}
	if (r) {	/* leave nothing half-done */
		if (attached_live)
			detach_live(dom, iface_down, mac);
		if (merged_config)
			restore_metadata(dom, before_config, VIR_DOMAIN_AFFECT_CONFIG);
		if (merged_live)
			restore_metadata(dom, before_live, VIR_DOMAIN_AFFECT_LIVE);
		goto out;
	}
	printf("attached %s to domain '%s' (%s)\n", mac, o_domain, live ? "config and live" : "config");
out:
	virDomainFree(dom);
	virConnectClose(conn);
	return r;
}

static void xml_usage(void)
{
	printf("Usage: tapgate xml SUBCOMMAND [OPTION...]\n\n"
	       "Subcommands:\n"
	       "  interface  an <interface> for a domain: bridge, VLANs, MAC pinning, isolation\n"
	       "  network    a libvirt <network> over a bridge, with portgroups for VLANs\n"
	       "  attach     add such an interface to a domain, live and in its config\n"
	       "\n'tapgate xml SUBCOMMAND --help' describes each.\n");
}

/** cmd_xml() - 'tapgate xml interface|network|attach ...' */
int cmd_xml(int argc, char **argv)
{
	virSetErrorFunc(NULL, quiet);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		xml_usage();
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "interface"))
		return xml_interface(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "network"))
		return xml_network(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "attach"))
		return xml_attach(argc - 1, argv + 1);
	return usage_error("expected 'interface', 'network' or 'attach'", "xml");
}

/** cmd_mac() - 'tapgate mac --uuid UUID [--index N] [--check URI]...' */
int cmd_mac(int argc, char **argv)
{
	const GOptionEntry entries[] = {
		{ "uuid", 0, 0, G_OPTION_ARG_STRING, &o_uuid, "The domain's UUID", "UUID" },
		{ "index", 0, 0, G_OPTION_ARG_INT, &o_index, "The NIC's index (default 0)", "N" },
		{ "check", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o_checks,
		  "Avoid MACs used on this libvirt connection (repeatable)", "URI" },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- a deterministic guest MAC");
	g_autoptr(GError) err = NULL;
	g_autofree virConnectPtr *conns = NULL;
	g_autofree char *text = NULL;
	guint n = 0;
	uint8_t mac[6];
	int r;

	virSetErrorFunc(NULL, quiet);
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || argc > 1)
		return usage_error(err ? err->message : "unexpected argument", "mac");
	if (!o_uuid)
		return usage_error("'--uuid' is required", "mac");
	if (o_index < 0)
		return usage_error("'--index' must not be negative", "mac");
	n = o_checks ? g_strv_length(o_checks) : 0;
	conns = g_new0(virConnectPtr, MAX(n, 1));
	for (guint i = 0; i < n; i++)
		if (!(conns[i] = connect_or_fail(o_checks[i]))) {
			for (guint j = 0; j < i; j++)
				virConnectClose(conns[j]);
			return 1;
		}
	r = free_mac(o_uuid, (unsigned int)o_index, conns, o_checks, n, mac);
	for (guint i = 0; i < n; i++)
		virConnectClose(conns[i]);
	if (r)
		return r;
	text = mac_format(mac);
	printf("%s\n", text);
	return 0;
}
