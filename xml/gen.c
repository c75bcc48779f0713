/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Writing libvirt XML with libxml2's tree API (never by pasting strings, so
 * every name is escaped): guest <interface> stanzas, tapgate's <metadata>,
 * and bridge-mode <network>s with portgroups.
 */
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "gen.h"
#include "guestmac.h"
#include "portxml.h"
#include "tg-util.h"
#include "vlan.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)

static xmlNode *elem(xmlNode *parent, const char *name)
{
	return xmlNewChild(parent, NULL, (const xmlChar *)name, NULL);
}

static void set(xmlNode *n, const char *name, const char *value)
{
	if (value)
		xmlSetProp(n, (const xmlChar *)name, (const xmlChar *)value);
}

static void set_uint(xmlNode *n, const char *name, unsigned int value)
{
	g_autofree char *v = g_strdup_printf("%u", value);

	set(n, name, v);
}

static char *dump(xmlNode *n)
{
	xmlBuffer *buf = xmlBufferCreate();
	char *s;

	xmlNodeDump(buf, n->doc, n, 0, 1);
	s = g_strdup((const char *)xmlBufferContent(buf));
	xmlBufferFree(buf);
	return s;
}

/* libvirt's own <vlan>: <tag id> per VID, trunk='yes' and nativeMode. */
static void native_vlan(xmlNode *parent, const PortVlan *v)
{
	xmlNode *vlan, *tag;

	if (v->mode == PORT_PLAIN)
		return;
	vlan = elem(parent, "vlan");
	if (v->mode == PORT_ACCESS) {
		set_uint(elem(vlan, "tag"), "id", v->vid);
		return;
	}
	set(vlan, "trunk", "yes");
	for (unsigned int vid = VLAN_VID_MIN; vid <= VLAN_VID_MAX; vid++) {
		if (!vlan_set_has(&v->trunk, vid))
			continue;
		tag = elem(vlan, "tag");
		set_uint(tag, "id", vid);
		if (vid == v->vid)
			set(tag, "nativeMode", "untagged");
	}
}

/* tapgate's attributes for one port or portgroup, as portxml.c reads them. */
static void port_attrs(xmlNode *n, const PortConfig *cfg, gboolean vlan)
{
	if (*cfg->network)
		set(n, "network", cfg->network);	/* the policy's network sets the VLANs */
	if (vlan && cfg->vlan.mode == PORT_ACCESS) {
		set_uint(n, "vlan", cfg->vlan.vid);
	} else if (vlan && cfg->vlan.mode == PORT_TRUNK) {
		PortVlan t = cfg->vlan;
		g_autofree char *list = NULL;

		if (t.vid)
			vlan_set_del(&t.trunk, t.vid);
		list = vlan_set_format(&t.trunk);
		set(n, "trunk", list);
		if (t.vid)
			set_uint(n, "native", t.vid);
	}
	if (vlan && cfg->vlan.mode != PORT_PLAIN && cfg->vlan.keep_default_vlan)
		set(n, "keep-default-vlan", "yes");
	if (cfg->pin_mac)
		set(n, "pin-mac", "yes");
}

static gboolean native_vlans(unsigned long libvirt)
{
	return libvirt >= LIBVIRT_NATIVE_BRIDGE_VLAN;
}

static xmlNode *ports_root(xmlDoc *doc)
{
	xmlNode *root = xmlNewDocNode(doc, NULL, (const xmlChar *)"ports", NULL);
	xmlNs *ns = xmlNewNs(root, (const xmlChar *)TG_XMLNS, (const xmlChar *)"tapgate");

	xmlSetNs(root, ns);
	xmlDocSetRootElement(doc, root);
	return root;
}

static void add_port(xmlNode *root, const PortConfig *cfg, gboolean vlan)
{
	g_autofree char *mac = mac_format(cfg->mac);
	xmlNode *port = xmlNewChild(root, root->ns, (const xmlChar *)"port", NULL);

	set(port, "mac", mac);
	port_attrs(port, cfg, vlan);
}

/**
 * gen_interface() - a domain <interface> for a tapgate-managed port
 * @spec:	what the NIC is
 * @metadata:	set to the <tapgate:ports> element the hook needs (VLANs
 *		libvirt cannot set itself, MAC pinning), or NULL if none
 *
 * VLANs are libvirt's own <vlan> where libvirt can put them on a Linux
 * bridge (@spec->libvirt >= 11.0.0), tapgate metadata otherwise. Isolation
 * is libvirt's own <port isolated='yes'/> (libvirt 6.1 and later).
 *
 * Return: the <interface> element, newly allocated
 */
char *gen_interface(const IfaceSpec *spec, char **metadata)
{
	g_autoptr(xmlDoc) doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNode *iface = xmlNewDocNode(doc, NULL, (const xmlChar *)"interface", NULL);
	xmlNode *src;
	gboolean vlan_in_meta = spec->cfg.vlan.mode != PORT_PLAIN && !native_vlans(spec->libvirt);
	g_autofree char *mac = mac_format(spec->cfg.mac);

	xmlDocSetRootElement(doc, iface);
	set(iface, "type", spec->network ? "network" : "bridge");
	set(elem(iface, "mac"), "address", mac);
	src = elem(iface, "source");
	if (spec->network) {
		set(src, "network", spec->network);
		set(src, "portgroup", spec->portgroup);
	} else {
		set(src, "bridge", spec->bridge);
	}
	if (!vlan_in_meta)
		native_vlan(iface, &spec->cfg.vlan);
	if (spec->cfg.isolated)
		set(elem(iface, "port"), "isolated", "yes");
	set(elem(iface, "model"), "type", spec->model ? spec->model : "virtio");
	if (spec->link_down)
		set(elem(iface, "link"), "state", "down");

	*metadata = NULL;
	if (vlan_in_meta || spec->cfg.pin_mac || *spec->cfg.network) {
		g_autoptr(xmlDoc) mdoc = xmlNewDoc((const xmlChar *)"1.0");

		add_port(ports_root(mdoc), &spec->cfg, vlan_in_meta);
		*metadata = dump(xmlDocGetRootElement(mdoc));
	}
	return dump(iface);
}

/**
 * gen_ports_metadata() - merge one port into a domain's tapgate metadata
 * @existing:	the <tapgate:ports> element libvirt has now, or NULL
 * @cfg:	the port's entry (already stripped of what libvirt does natively),
 *		or NULL to only copy @existing
 * @error:	set if @existing does not parse
 *
 * An entry for the same MAC is replaced; every other entry is kept. The
 * result has no namespace declaration: virDomainSetMetadata() puts the
 * element into tapgate's namespace itself (and refuses one already there).
 *
 * Return: the merged <ports> element, newly allocated, or NULL on error
 */
char *gen_ports_metadata(const char *existing, const PortConfig *cfg, GError **error)
{
	g_autoptr(xmlDoc) old = NULL;
	g_autoptr(xmlDoc) doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNode *root = xmlNewDocNode(doc, NULL, (const xmlChar *)"ports", NULL);
	g_autofree char *mac = cfg ? mac_format(cfg->mac) : g_strdup("");
	xmlNode *port;

	xmlDocSetRootElement(doc, root);
	if (existing) {
		old = xmlReadMemory(existing, (int)strlen(existing), "metadata", NULL,
				    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
		if (!old || !xmlDocGetRootElement(old)) {
			g_set_error(error, TG_ERROR, EINVAL, "the domain's tapgate metadata does not parse");
			return NULL;
		}
		for (xmlNode *n = xmlDocGetRootElement(old)->children; n; n = n->next) {
			xmlChar *m = n->type == XML_ELEMENT_NODE
					     ? xmlGetNoNsProp(n, (const xmlChar *)"mac") : NULL;

			if (m && g_ascii_strcasecmp((const char *)m, mac)) {
				xmlNode *copy = elem(root, (const char *)n->name);

				for (xmlAttr *a = n->properties; a; a = a->next) {
					xmlChar *v = xmlNodeListGetString(old, a->children, 1);

					set(copy, (const char *)a->name, (const char *)v);
					xmlFree(v);
				}
			}
			xmlFree(m);
		}
	}
	if (cfg) {
		port = elem(root, "port");
		set(port, "mac", mac);
		port_attrs(port, cfg, TRUE);
	}
	return dump(root);
}

/**
 * gen_network() - a bridge-mode <network> whose portgroups carry VLANs
 * @name:	the network's name
 * @bridge:	the existing Linux bridge it uses
 * @pgs:	its portgroups
 * @n:		how many
 * @libvirt:	target libvirt version: native <vlan> in portgroups from 11.0.0,
 *		tapgate metadata before
 *
 * Return: the <network> element, newly allocated
 */
char *gen_network(const char *name, const char *bridge, const PortgroupSpec *pgs, guint n,
		  unsigned long libvirt)
{
	g_autoptr(xmlDoc) doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNode *net = xmlNewDocNode(doc, NULL, (const xmlChar *)"network", NULL);
	gboolean native = native_vlans(libvirt), need_map = !native && n > 0;

	for (guint i = 0; i < n; i++)
		need_map |= pgs[i].cfg.pin_mac;
	xmlDocSetRootElement(doc, net);
	xmlNewTextChild(net, NULL, (const xmlChar *)"name", (const xmlChar *)name);
	/* Once a network has tapgate metadata, the hook refuses portgroups it
	 * does not map: map them all. */
	if (need_map) {
		xmlNode *map = xmlNewChild(elem(net, "metadata"), NULL, (const xmlChar *)"network",
					   NULL);

		xmlSetNs(map, xmlNewNs(map, (const xmlChar *)TG_XMLNS, (const xmlChar *)"tapgate"));
		for (guint i = 0; i < n; i++) {
			xmlNode *p = xmlNewChild(map, map->ns, (const xmlChar *)"portgroup", NULL);

			set(p, "name", pgs[i].name);
			port_attrs(p, &pgs[i].cfg, !native);
		}
	}
	set(elem(net, "forward"), "mode", "bridge");
	set(elem(net, "bridge"), "name", bridge);
	for (guint i = 0; i < n; i++) {
		xmlNode *p = elem(net, "portgroup");

		set(p, "name", pgs[i].name);
		if (pgs[i].is_default)
			set(p, "default", "yes");
		if (native)
			native_vlan(p, &pgs[i].cfg.vlan);
	}
	return dump(net);
}
