/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What 'tapgate xml' writes is valid for libvirt (its own RelaxNG schemas,
 * loaded with libxml2) and means, to tapgate-hook's parser, exactly what
 * was asked for.
 */
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>

#include "guestmac.h"
#include "gen.h"
#include "portxml.h"
#include "tabletest.h"
#include "vlan.h"

#define SCHEMAS "/usr/share/libvirt/schemas/"

static xmlRelaxNGPtr load_schema(const char *file)
{
	xmlRelaxNGParserCtxtPtr ctx = xmlRelaxNGNewParserCtxt(SCHEMAS "domain.rng");
	xmlRelaxNGPtr rng;

	if (strcmp(file, "domain.rng")) {
		xmlRelaxNGFreeParserCtxt(ctx);
		ctx = xmlRelaxNGNewParserCtxt(SCHEMAS "network.rng");
	}
	rng = xmlRelaxNGParse(ctx);
	xmlRelaxNGFreeParserCtxt(ctx);
	if (!rng)
		g_error("cannot load libvirt's %s (package libvirt0)", file);
	return rng;
}

static void assert_valid(const char *schema, const char *xml)
{
	xmlRelaxNGPtr rng = load_schema(schema);
	xmlRelaxNGValidCtxtPtr v = xmlRelaxNGNewValidCtxt(rng);
	xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "gen.xml", NULL, XML_PARSE_NONET);
	int r;

	g_assert_nonnull(doc);
	r = xmlRelaxNGValidateDoc(v, doc);
	if (r != 0)
		g_error("not valid against %s:\n%s", schema, xml);
	xmlFreeDoc(doc);
	xmlRelaxNGFreeValidCtxt(v);
	xmlRelaxNGFree(rng);
}

typedef struct {
	const char *name;
	const char *bridge, *network, *portgroup;
	const char *vlan;	/* "access 100", "trunk 100;200 native 100", NULL */
	gboolean pin, isolated;
	unsigned long libvirt;
	const char *hook_sees;	/* port_config_describe() of what the hook and sync
				 * manage, NULL: nothing */
	gboolean metadata;	/* tapgate metadata is written (else libvirt's XML says it all) */
} GenCase;

static const GenCase gen_cases[] = {
	{ "bridge-access-pin-9", "br0", NULL, NULL, "access 100", TRUE, FALSE, 9000000,
	  "vlan access 100, pin-mac", TRUE },
	/* libvirt's own <port isolated='yes'/> is kept on too */
	{ "bridge-trunk-9", "br0", NULL, NULL, "trunk 100;200-210 native 100", FALSE, TRUE, 9000000,
	  "vlan trunk 100;200-210 native 100, isolated", TRUE },
	{ "bridge-plain-isolated-9", "br0", NULL, NULL, NULL, FALSE, TRUE, 9000000,
	  "vlan none, isolated", FALSE },
	{ "network-pg-9", NULL, "brnet", "v100", NULL, TRUE, FALSE, 9000000, "vlan none, pin-mac",
	  TRUE },
	{ "bridge-access-11", "br0", NULL, NULL, "access 100", FALSE, FALSE, 11000000, NULL, FALSE },
	{ "bridge-trunk-pin-11", "br0", NULL, NULL, "trunk 10;20 native 20", TRUE, FALSE, 11000000,
	  "vlan none, pin-mac", TRUE },
	/* on a network, libvirt's isolation is left to libvirt without tapgate metadata */
	{ "network-access-11", NULL, "brnet", NULL, "access 7", FALSE, TRUE, 11000000, NULL, FALSE },
};

static void spec_vlan(const char *v, PortConfig *cfg)
{
	g_auto(GStrv) w = v ? g_strsplit(v, " ", -1) : NULL;

	if (!v)
		return;
	if (!strcmp(w[0], "access")) {
		cfg->vlan.mode = PORT_ACCESS;
		cfg->vlan.vid = (unsigned int)atoi(w[1]);
		return;
	}
	cfg->vlan.mode = PORT_TRUNK;
	g_assert_cmpint(vlan_set_parse(&cfg->vlan.trunk, w[1], NULL), ==, 0);
	cfg->vlan.vid = (unsigned int)atoi(w[3]);
}

static void test_interface(gconstpointer data)
{
	const GenCase *c = data;
	IfaceSpec spec = { .bridge = c->bridge, .network = c->network, .portgroup = c->portgroup,
			   .libvirt = c->libvirt };
	g_autofree char *iface = NULL, *meta = NULL, *domain = NULL;
	g_autoptr(DomainXml) d = NULL;
	DomainPort *p;

	mac_parse("52:54:00:aa:bb:01", spec.cfg.mac);
	spec.cfg.pin_mac = c->pin;
	spec.cfg.isolated = c->isolated;
	spec_vlan(c->vlan, &spec.cfg);
	iface = gen_interface(&spec, &meta);
	g_assert_cmpint(meta != NULL, ==, c->metadata);
	domain = g_strdup_printf("<domain type='kvm'><name>t</name><memory>65536</memory>"
				 "<os><type arch='x86_64'>hvm</type></os>"
				 "<metadata>%s</metadata><devices>%s</devices></domain>",
				 meta ? meta : "", iface);
	assert_valid("domain.rng", domain);

	/* The hook reads back what was meant. */
	g_assert_cmpint(domain_xml_parse(domain, strlen(domain), &d, NULL), ==, 0);
	p = g_ptr_array_index(d->ports, 0);
	g_assert_cmpstr(p->mac, ==, "52:54:00:aa:bb:01");
	g_assert_cmpstr(p->bridge, ==, c->bridge);
	g_assert_cmpstr(p->network, ==, c->network);
	g_assert_cmpstr(p->portgroup, ==, c->portgroup);
	if (c->hook_sees) {
		g_autofree char *seen = port_config_describe(&p->cfg);

		g_assert_true(p->configured);
		g_assert_cmpstr(seen, ==, c->hook_sees);
	} else {
		g_assert_false(p->configured);
	}
}

static void test_networks(void)
{
	const PortgroupSpec pgs[] = {
		{ "v100", { .vlan = { .mode = PORT_ACCESS, .vid = 100 } }, TRUE },
		{ "plain", { .pin_mac = FALSE }, FALSE },
		{ "pinned", { .pin_mac = TRUE }, FALSE },
	};
	static const unsigned long versions[] = { 9000000, 11000000 };

	for (guint i = 0; i < G_N_ELEMENTS(versions); i++) {
		g_autofree char *xml = gen_network("brnet", "br0", pgs, G_N_ELEMENTS(pgs), versions[i]);
		g_autoptr(NetworkXml) n = NULL;
		const PortConfig *v100;

		assert_valid("network.rng", xml);
		g_assert_cmpint(network_xml_parse(xml, strlen(xml), &n, NULL), ==, 0);
		g_assert_cmpstr(n->default_portgroup, ==, "v100");
		g_assert_true(n->has_metadata);	/* 'pinned' needs the hook either way */
		g_assert_cmpuint(g_hash_table_size(n->portgroups), ==, 3);
		v100 = g_hash_table_lookup(n->portgroups, "v100");
		/* VLANs: tapgate's before libvirt 11, libvirt's own after. */
		g_assert_cmpint(v100->vlan.mode, ==, versions[i] < 11000000 ? PORT_ACCESS : PORT_PLAIN);
		g_assert_true(((const PortConfig *)g_hash_table_lookup(n->portgroups, "pinned"))->pin_mac);
	}
}

/* Merging into existing metadata keeps other ports and replaces this one. */
static void test_merge(void)
{
	const char *existing =
		"<tapgate:ports xmlns:tapgate=\"https://tapgate.dev/ns/1\">"
		"<tapgate:port mac=\"52:54:00:aa:bb:01\" vlan=\"5\"/>"
		"<tapgate:port mac=\"52:54:00:aa:bb:02\" isolated=\"yes\"/></tapgate:ports>";
	PortConfig cfg = { .vlan = { .mode = PORT_ACCESS, .vid = 100 }, .pin_mac = TRUE };
	g_autofree char *merged = NULL;

	mac_parse("52:54:00:AA:BB:01", cfg.mac);
	merged = gen_ports_metadata(existing, &cfg, NULL);
	g_assert_cmpstr(merged, ==,
			"<ports>\n  <port mac=\"52:54:00:aa:bb:02\" isolated=\"yes\"/>\n"
			"  <port mac=\"52:54:00:aa:bb:01\" vlan=\"100\" pin-mac=\"yes\"/>\n</ports>");
	g_assert_null(gen_ports_metadata("<oops", &cfg, NULL));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	TABLETEST_ADD("/xmlgen/interface", gen_cases, test_interface);
	g_test_add_func("/xmlgen/networks", test_networks);
	g_test_add_func("/xmlgen/merge", test_merge);
	return g_test_run();
}
