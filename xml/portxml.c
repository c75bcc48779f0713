/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading tapgate's metadata from libvirt XML:
 *
 *	<metadata>
 *	  <tapgate:ports xmlns:tapgate="https://tapgate.dev/ns/1">
 *	    <tapgate:port mac="52:54:00:aa:bb:01" vlan="100" pin-mac="yes"/>
 *	    <tapgate:port mac="52:54:00:aa:bb:02" trunk="100;200-210" native="100"
 *	                  isolated="yes"/>
 *	  </tapgate:ports>
 *	</metadata>
 *
 * and, in a bridge-mode <network>, portgroups mapped to VLANs:
 *
 *	  <tapgate:network xmlns:tapgate="https://tapgate.dev/ns/1">
 *	    <tapgate:portgroup name="v100" vlan="100"/>
 *	  </tapgate:network>
 *
 * One root element per namespace (libvirt keeps only the first). Anything
 * tapgate does not understand is an error: a typo must not silently leave a
 * guest on the wrong VLAN.
 */
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "ifname.h"
#include "portxml.h"
#include "tg-util.h"
#include "vlan.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)

/* Entities are never expanded and nothing is fetched from the network. */
static xmlDoc *parse(const char *xml, gsize len, const char *what, GError **error)
{
	xmlDoc *doc;

	if (len > 16 * 1024 * 1024) {
		g_set_error(error, TG_ERROR, EFBIG, "%s XML is too large", what);
		return NULL;
	}
	doc = xmlReadMemory(xml, (int)len, what, NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc || !xmlDocGetRootElement(doc)) {
		const xmlError *e = xmlGetLastError();

		g_set_error(error, TG_ERROR, EINVAL, "%s XML does not parse%s%s", what,
			    e && e->message ? ": " : "", e && e->message ? g_strchomp(e->message) : "");
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
}

static gboolean is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name) &&
	       (!n->ns || !n->ns->href);
}

static gboolean is_tg(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name) && n->ns &&
	       n->ns->href && !strcmp((const char *)n->ns->href, TG_XMLNS);
}

static const xmlNode *child(const xmlNode *n, const char *name)
{
	for (n = n ? n->children : NULL; n; n = n->next)
		if (is(n, name))
			return n;
	return NULL;
}

static char *attr(const xmlNode *n, const char *name)
{
	xmlChar *v = n ? xmlGetNoNsProp(n, (const xmlChar *)name) : NULL;
	char *s = v ? g_strdup((const char *)v) : NULL;

	xmlFree(v);
	return s;
}

static int yes_no(const char *v, gboolean *out)
{
	if (!strcmp(v, "yes"))
		*out = TRUE;
	else if (!strcmp(v, "no"))
		*out = FALSE;
	else
		return -EINVAL;
	return 0;
}

/* The attributes of a <tapgate:port> or <tapgate:portgroup>. */
static int port_attrs(const xmlNode *n, const char *who, const char *key_attr, PortConfig *cfg,
		      GError **error)
{
	gboolean has_vlan = FALSE, has_trunk = FALSE, has_native = FALSE, has_network = FALSE;

	memset(cfg, 0, sizeof(*cfg));
	for (const xmlAttr *a = n->properties; a; a = a->next) {
		const char *k = (const char *)a->name;
		g_autofree char *v = a->ns ? NULL : attr(n, k);
		g_autofree char *qk = tg_quote(k), *qv = tg_quote(v);
		g_autoptr(GError) err = NULL;
		int r = 0;

		/* Only tapgate's own, unprefixed attributes mean anything. */
		if (a->ns || !v) {
			g_set_error(error, TG_ERROR, EINVAL, "%s: attribute '%s' in another namespace",
				    who, qk);
			return -EINVAL;
		}
		if (!strcmp(k, key_attr))
			continue;
		if (!strcmp(k, "vlan")) {
			has_vlan = TRUE;
			cfg->vlan.mode = PORT_ACCESS;
			r = vlan_parse_vid(v, &cfg->vlan.vid, &err);
		} else if (!strcmp(k, "trunk")) {
			has_trunk = TRUE;
			r = vlan_set_parse(&cfg->vlan.trunk, v, &err);
		} else if (!strcmp(k, "native")) {
			has_native = TRUE;
			r = vlan_parse_vid(v, &cfg->vlan.vid, &err);
		} else if (!strcmp(k, "keep-default-vlan")) {
			r = yes_no(v, &cfg->vlan.keep_default_vlan);
		} else if (!strcmp(k, "pin-mac")) {
			r = yes_no(v, &cfg->pin_mac);
		} else if (!strcmp(k, "isolated")) {
			r = yes_no(v, &cfg->isolated);
		} else if (!strcmp(k, "network")) {
			has_network = TRUE;
			r = ifname_validate(v, "network name", &err);
			if (r == 0)
				g_strlcpy(cfg->network, v, sizeof(cfg->network));
		} else {
			g_set_error(error, TG_ERROR, EINVAL,
				    "%s: unknown attribute '%s' (known: network, vlan, trunk, native, "
				    "keep-default-vlan, pin-mac, isolated)", who, qk);
			return -EINVAL;
		}
		if (r < 0) {
			g_set_error(error, TG_ERROR, EINVAL, "%s: %s='%s': %s", who, qk, qv,
				    err ? err->message : "must be yes or no");
			return -EINVAL;
		}
	}
	if (has_network && (has_vlan || has_trunk || cfg->vlan.keep_default_vlan)) {
		g_set_error(error, TG_ERROR, EINVAL, "%s: the policy's network sets the VLANs: "
			    "'network' excludes 'vlan', 'trunk' and 'keep-default-vlan'", who);
		return -EINVAL;
	}
	if (has_vlan && has_trunk) {
		g_set_error(error, TG_ERROR, EINVAL, "%s: 'vlan' and 'trunk' exclude each other", who);
		return -EINVAL;
	}
	if (has_native && !has_trunk) {
		g_set_error(error, TG_ERROR, EINVAL, "%s: 'native' needs 'trunk'", who);
		return -EINVAL;
	}
	if (has_trunk) {
		cfg->vlan.mode = PORT_TRUNK;
		if (has_native)
			vlan_set_add(&cfg->vlan.trunk, cfg->vlan.vid);
	}
	return 0;
}

/* The one tapgate element under <metadata>, or NULL. */
static const xmlNode *tg_metadata(const xmlNode *root, const char *name)
{
	for (const xmlNode *n = child(root, "metadata") ? child(root, "metadata")->children : NULL;
	     n; n = n->next)
		if (is_tg(n, name))
			return n;
	return NULL;
}

static void domain_port_free(gpointer p)
{
	DomainPort *dp = p;

	g_free(dp->mac);
	g_free(dp->tap);
	g_free(dp->bridge);
	g_free(dp->network);
	g_free(dp->portid);
	g_free(dp->portgroup);
	g_free(dp);
}

/** domain_xml_free() - free what domain_xml_parse() made */
void domain_xml_free(DomainXml *dom)
{
	if (!dom)
		return;
	g_free(dom->name);
	g_free(dom->uuid);
	g_ptr_array_unref(dom->ports);
	g_free(dom);
}

/* Interfaces without a (valid) MAC never match: compare the parsed bytes. */
static DomainPort *port_by_mac(DomainXml *dom, const uint8_t mac[6])
{
	for (guint i = 0; i < dom->ports->len; i++) {
		DomainPort *p = g_ptr_array_index(dom->ports, i);

		if (p->mac && !memcmp(p->cfg.mac, mac, 6))
			return p;
	}
	return NULL;
}

/**
 * domain_xml_parse() - a domain's interfaces and tapgate's configuration of them
 * @xml:	domain XML, as libvirt hands it to hooks or 'virsh dumpxml' prints it
 * @len:	its length
 * @dom:	set to the result
 * @error:	set to a one-line message on failure
 *
 * Return: 0 or -EINVAL
 */
int domain_xml_parse(const char *xml, gsize len, DomainXml **dom, GError **error)
{
	g_autoptr(xmlDoc) doc = parse(xml, len, "domain", error);
	g_autoptr(DomainXml) d = NULL;
	g_autoptr(GHashTable) seen = NULL;	/* the MACs of the metadata's ports */
	const xmlNode *root, *meta, *devs;

	if (!doc)
		return -EINVAL;
	root = xmlDocGetRootElement(doc);
	if (!is(root, "domain")) {
		g_set_error(error, TG_ERROR, EINVAL, "expected a <domain>, not <%s>", root->name);
		return -EINVAL;
	}
	d = g_new0(DomainXml, 1);
	d->ports = g_ptr_array_new_with_free_func(domain_port_free);
	d->name = child(root, "name") ? (char *)xmlNodeGetContent(child(root, "name")) : NULL;
	d->uuid = child(root, "uuid") ? (char *)xmlNodeGetContent(child(root, "uuid")) : NULL;
	devs = child(root, "devices");
	for (const xmlNode *n = devs ? devs->children : NULL; n; n = n->next) {
		g_autofree char *isolated = NULL;
		DomainPort *p;
		uint8_t mac[6];

		if (!is(n, "interface"))
			continue;
		p = g_new0(DomainPort, 1);
		g_ptr_array_add(d->ports, p);
		p->mac = attr(child(n, "mac"), "address");
		p->tap = attr(child(n, "target"), "dev");
		p->bridge = attr(child(n, "source"), "bridge");
		p->network = attr(child(n, "source"), "network");
		p->portid = attr(child(n, "source"), "portid");
		p->portgroup = attr(child(n, "source"), "portgroup");
		p->libvirt_vlan = child(n, "vlan") != NULL;
		isolated = attr(child(n, "port"), "isolated");
		p->libvirt_isolated = !g_strcmp0(isolated, "yes");
		g_clear_pointer(&isolated, g_free);
		if (p->mac && mac_parse(p->mac, mac) == 0)
			memcpy(p->cfg.mac, mac, 6);
		else
			g_clear_pointer(&p->mac, g_free);
	}
	meta = tg_metadata(root, "ports");
	seen = g_hash_table_new_full(g_bytes_hash, g_bytes_equal, (GDestroyNotify)g_bytes_unref,
				     NULL);
	for (const xmlNode *n = meta ? meta->children : NULL; n; n = n->next) {
		g_autofree char *mac = NULL, *who = NULL, *qmac = NULL;
		DomainPort *p;
		PortConfig cfg;
		uint8_t want[6];

		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!is_tg(n, "port")) {
			g_set_error(error, TG_ERROR, EINVAL,
				    "tapgate metadata: unknown element <%s> (known: <port>)", n->name);
			return -EINVAL;
		}
		mac = attr(n, "mac");
		qmac = tg_quote(mac);
		who = g_strdup_printf("tapgate metadata: port '%s'", qmac);
		if (!mac || mac_parse(mac, want) < 0) {
			g_set_error(error, TG_ERROR, EINVAL, "%s: 'mac' must be a MAC address", who);
			return -EINVAL;
		}
		if (port_attrs(n, who, "mac", &cfg, error) < 0)
			return -EINVAL;
		/* the last would win and the first's settings (a pin) be lost */
		if (!g_hash_table_add(seen, g_bytes_new(want, 6))) {
			g_set_error(error, TG_ERROR, EINVAL,
				    "%s is described twice; keep one <tapgate:port> per MAC", who);
			return -EINVAL;
		}
		p = port_by_mac(d, want);
		if (!p)		/* a NIC removed from the domain: nothing to do */
			continue;
		/* Two owners of one port's VLANs would undo each other's work;
		 * pinning and isolation follow whatever VLANs libvirt set. */
		if (p->libvirt_vlan && (cfg.vlan.mode != PORT_PLAIN || cfg.vlan.keep_default_vlan ||
					*cfg.network)) {
			g_set_error(error, TG_ERROR, EINVAL,
				    "%s: the interface has libvirt's own <vlan>, and the metadata gives "
				    "it VLANs too; set them in one place (drop <vlan>, or the port's "
				    "'vlan', 'trunk' or 'network')", who);
			return -EINVAL;
		}
		memcpy(cfg.mac, p->cfg.mac, 6);
		p->cfg = cfg;
		p->configured = TRUE;
	}
	/* libvirt's own <port isolated='yes'/> (what 'tapgate xml --isolated'
	 * writes) is kept too: libvirt sets it once, at start, and nothing put
	 * it back when it was turned off. A bridge port with no metadata gets
	 * only that: its other flags stay as they are. */
	for (guint i = 0; i < d->ports->len; i++) {
		DomainPort *p = g_ptr_array_index(d->ports, i);

		if (!p->libvirt_isolated || !p->mac)
			continue;
		p->cfg.isolated = TRUE;
		if (!p->configured && !p->network) {
			p->configured = TRUE;
			p->cfg.only_isolation = TRUE;
		}
	}
	*dom = g_steal_pointer(&d);
	return 0;
}

static void network_free_cfg(gpointer p)
{
	g_free(p);
}

/** network_xml_free() - free what network_xml_parse() made */
void network_xml_free(NetworkXml *net)
{
	if (!net)
		return;
	g_free(net->name);
	g_free(net->bridge);
	g_free(net->default_portgroup);
	g_hash_table_unref(net->portgroups);
	g_free(net->port_uuid);
	g_free(net->port_group);
	g_free(net->port_mac);
	g_free(net);
}

/**
 * network_xml_parse() - a network's tapgate portgroups (and the port of a port op)
 * @xml:	<hookData> as the network hook gets it, or a bare <network>
 * @len:	its length
 * @net:	set to the result
 * @error:	set to a one-line message on failure
 *
 * Return: 0 or -EINVAL
 */
int network_xml_parse(const char *xml, gsize len, NetworkXml **net, GError **error)
{
	g_autoptr(xmlDoc) doc = parse(xml, len, "network", error);
	g_autoptr(NetworkXml) n = NULL;
	const xmlNode *root, *nw, *meta, *port;

	if (!doc)
		return -EINVAL;
	root = xmlDocGetRootElement(doc);
	nw = is(root, "network") ? root : child(root, "network");
	if (!nw && !is(root, "networkport")) {
		g_set_error(error, TG_ERROR, EINVAL, "no <network> in the network hook's input");
		return -EINVAL;
	}
	n = g_new0(NetworkXml, 1);
	n->portgroups = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, network_free_cfg);
	n->name = child(nw, "name") ? (char *)xmlNodeGetContent(child(nw, "name")) : NULL;
	n->bridge = attr(child(nw, "bridge"), "name");
	for (const xmlNode *c = nw ? nw->children : NULL; c; c = c->next) {
		g_autofree char *def = NULL;

		if (!is(c, "portgroup"))
			continue;
		def = attr(c, "default");
		if (def && !strcmp(def, "yes")) {
			g_free(n->default_portgroup);
			n->default_portgroup = attr(c, "name");
		}
	}
	meta = nw ? tg_metadata(nw, "network") : NULL;
	n->has_metadata = meta != NULL;
	for (const xmlNode *c = meta ? meta->children : NULL; c; c = c->next) {
		g_autofree char *pg = NULL, *who = NULL, *qpg = NULL;
		PortConfig *cfg;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (!is_tg(c, "portgroup")) {
			g_set_error(error, TG_ERROR, EINVAL,
				    "tapgate network metadata: unknown element <%s> (known: <portgroup>)",
				    c->name);
			return -EINVAL;
		}
		pg = attr(c, "name");
		qpg = tg_quote(pg);
		who = g_strdup_printf("tapgate network metadata: portgroup '%s'", qpg);
		if (!pg || !*pg) {
			g_set_error(error, TG_ERROR, EINVAL, "%s: 'name' is missing", who);
			return -EINVAL;
		}
		cfg = g_new0(PortConfig, 1);
		if (port_attrs(c, who, "name", cfg, error) < 0) {
			g_free(cfg);
			return -EINVAL;
		}
		g_hash_table_replace(n->portgroups, g_steal_pointer(&pg), cfg);
	}
	port = is(root, "networkport") ? root : child(root, "networkport");
	if (port) {
		const xmlNode *tag = child(child(port, "vlan"), "tag");
		g_autofree char *id = attr(tag, "id");

		n->port_uuid = child(port, "uuid") ? (char *)xmlNodeGetContent(child(port, "uuid")) : NULL;
		n->port_group = child(port, "group") ? (char *)xmlNodeGetContent(child(port, "group")) : NULL;
		n->port_mac = attr(child(port, "mac"), "address");
		if (id && vlan_parse_vid(id, &n->port_vlan, NULL) < 0) {
			g_set_error(error, TG_ERROR, EINVAL, "networkport: bad VLAN tag");
			return -EINVAL;
		}
	}
	*net = g_steal_pointer(&n);
	return 0;
}

/**
 * network_port_config() - what a network's tapgate metadata says for one port
 * @net:	the network (with its tapgate portgroups)
 * @group:	the port's portgroup, or NULL for the network's default one
 * @port:	the domain's interface (its MAC is copied)
 * @cfg:	set when the network has tapgate metadata
 * @error:	set when the portgroup is not mapped
 *
 * Return: 1 if @cfg was set, 0 if the network has no tapgate metadata (leave
 * the port alone), -ENOENT if the portgroup has no tapgate mapping
 */
int network_port_config(const NetworkXml *net, const char *group, const DomainPort *port,
			PortConfig *cfg, GError **error)
{
	const PortConfig *pg;

	if (!net->has_metadata)
		return 0;
	if (!group)
		group = net->default_portgroup;
	pg = group ? g_hash_table_lookup(net->portgroups, group) : NULL;
	if (!pg) {
		g_set_error(error, TG_ERROR, ENOENT, "network '%s' has no tapgate portgroup '%s'",
			    net->name, group ? group : "(none)");
		return -ENOENT;
	}
	*cfg = *pg;
	memcpy(cfg->mac, port->cfg.mac, 6);
	return 1;
}
