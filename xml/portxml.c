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

#include "guestmac.h"
#include "ifname.h"
#include "portxml.h"
#include "tg-util.h"
#include "vlan.h"
#include "xmltree.h"

/* GMarkup, not libxml2: the hook must not load libxml2's library chain.
 * Only XML's own entities are expanded and nothing is fetched. */
static XmlTree *parse(const char *xml, gsize len, const char *what, GError **error)
{
	g_autoptr(GError) err = NULL;
	XmlTree *tree = xmltree_parse(xml, len, &err);

	if (!tree && g_error_matches(err, TG_ERROR, EFBIG))
		g_set_error(error, TG_ERROR, EFBIG, "%s XML is too large", what);
	else if (!tree)
		g_set_error(error, TG_ERROR, EINVAL, "%s XML does not parse: %s", what, err->message);
	return tree;
}

/* libvirt's own elements are in no namespace (a default one is not libvirt's). */
static gboolean is(const XmlNode *n, const char *name)
{
	return !strcmp(n->name, name) && !n->ns;
}

/* tapgate's, whatever the prefix (or a default namespace) that says so. */
static gboolean is_tg(const XmlNode *n, const char *name)
{
	return !strcmp(n->name, name) && n->ns && !strcmp(n->ns, TG_XMLNS);
}

static const XmlNode *child(const XmlNode *n, const char *name)
{
	for (n = n ? n->children : NULL; n; n = n->next)
		if (is(n, name))
			return n;
	return NULL;
}

static char *attr(const XmlNode *n, const char *name)
{
	return n ? g_strdup(xmltree_get_attr(n, name)) : NULL;
}

/* The text of a child element, NULL without one. */
static char *child_text(const XmlTree *tree, const XmlNode *n, const char *name)
{
	const XmlNode *c = child(n, name);

	return c ? xmltree_get_text(tree, c) : NULL;
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
static int port_attrs(const XmlNode *n, const char *who, const char *key_attr, PortConfig *cfg,
		      GError **error)
{
	gboolean has_vlan = FALSE, has_trunk = FALSE, has_native = FALSE, has_network = FALSE;

	memset(cfg, 0, sizeof(*cfg));
	for (guint i = 0; i < n->n_attrs; i++) {
		const XmlAttr *a = &n->attrs[i];
		const char *k = a->name;
		const char *v = a->ns ? NULL : a->value;
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
static const XmlNode *tg_metadata(const XmlNode *root, const char *name)
{
	for (const XmlNode *n = child(root, "metadata") ? child(root, "metadata")->children : NULL;
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

/* A MAC's six bytes as a hash key. */
static guint mac_hash(gconstpointer key)
{
	const uint8_t *m = key;
	guint h = 0;

	for (int i = 0; i < 6; i++)
		h = h * 31 + m[i];
	return h;
}

static gboolean mac_equal(gconstpointer a, gconstpointer b)
{
	return !memcmp(a, b, 6);
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
	g_autoptr(XmlTree) doc = parse(xml, len, "domain", error);
	g_autoptr(DomainXml) d = NULL;
	g_autoptr(GHashTable) seen = NULL;	/* the MACs of the metadata's ports */
	g_autoptr(GHashTable) by_mac = NULL;	/* MAC -> the first interface with it */
	const XmlNode *root, *meta, *devs;

	if (!doc)
		return -EINVAL;
	root = xmltree_get_root(doc);
	if (!is(root, "domain")) {
		g_set_error(error, TG_ERROR, EINVAL, "expected a <domain>, not <%s>", root->name);
		return -EINVAL;
	}
	d = g_new0(DomainXml, 1);
	d->ports = g_ptr_array_new_with_free_func(domain_port_free);
	d->name = child_text(doc, root, "name");
	d->uuid = child_text(doc, root, "uuid");
	devs = child(root, "devices");
	for (const XmlNode *n = devs ? devs->children : NULL; n; n = n->next) {
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
	/* One lookup per metadata entry, not a scan: a domain may have thousands
	 * of NICs. Interfaces without a (valid) MAC never match. */
	by_mac = g_hash_table_new(mac_hash, mac_equal);
	for (guint i = 0; i < d->ports->len; i++) {
		DomainPort *p = g_ptr_array_index(d->ports, i);

		if (p->mac && !g_hash_table_contains(by_mac, p->cfg.mac))
			g_hash_table_insert(by_mac, p->cfg.mac, p);
	}
	meta = tg_metadata(root, "ports");
	seen = g_hash_table_new_full(g_bytes_hash, g_bytes_equal, (GDestroyNotify)g_bytes_unref,
				     NULL);
	for (const XmlNode *n = meta ? meta->children : NULL; n; n = n->next) {
		g_autofree char *mac = NULL, *who = NULL, *qmac = NULL;
		DomainPort *p;
		PortConfig cfg;
		uint8_t want[6];

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
		p = g_hash_table_lookup(by_mac, want);
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
	g_ptr_array_unref(net->libvirt_portgroups);
	g_hash_table_unref(net->portgroups);
	g_free(net->port_uuid);
	g_free(net->port_group);
	g_free(net->port_mac);
	g_free(net->port_owner);
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
	g_autoptr(XmlTree) doc = parse(xml, len, "network", error);
	g_autoptr(NetworkXml) n = NULL;
	const XmlNode *root, *nw, *meta, *port;

	if (!doc)
		return -EINVAL;
	root = xmltree_get_root(doc);
	nw = is(root, "network") ? root : child(root, "network");
	if (!nw && !is(root, "networkport")) {
		g_set_error(error, TG_ERROR, EINVAL, "no <network> in the network hook's input");
		return -EINVAL;
	}
	n = g_new0(NetworkXml, 1);
	n->portgroups = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, network_free_cfg);
	n->libvirt_portgroups = g_ptr_array_new_with_free_func(g_free);
	n->name = child_text(doc, nw, "name");
	n->bridge = attr(child(nw, "bridge"), "name");
	for (const XmlNode *c = nw ? nw->children : NULL; c; c = c->next) {
		g_autofree char *def = NULL;

		if (!is(c, "portgroup"))
			continue;
		if (xmltree_get_attr(c, "name"))
			g_ptr_array_add(n->libvirt_portgroups, attr(c, "name"));
		def = attr(c, "default");
		if (def && !strcmp(def, "yes")) {
			g_free(n->default_portgroup);
			n->default_portgroup = attr(c, "name");
		}
	}
	meta = nw ? tg_metadata(nw, "network") : NULL;
	n->has_metadata = meta != NULL;
	for (const XmlNode *c = meta ? meta->children : NULL; c; c = c->next) {
		g_autofree char *pg = NULL, *who = NULL, *qpg = NULL;
		PortConfig *cfg;

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
		const XmlNode *tag = child(child(port, "vlan"), "tag");
		g_autofree char *id = attr(tag, "id");

		n->port_uuid = child_text(doc, port, "uuid");
		n->port_group = child_text(doc, port, "group");
		n->port_mac = attr(child(port, "mac"), "address");
		n->port_owner = child(port, "owner") ? child_text(doc, child(port, "owner"), "name")
						     : NULL;
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
