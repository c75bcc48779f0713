/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The GMarkup element tree the hook reads libvirt XML with: namespaces
 * resolved as libxml2 resolves them, text as xmlNodeGetContent() gives it,
 * and what it refuses. Then what domain_xml_parse() makes of namespaces.
 */
#include <string.h>

#include "portxml.h"
#include "tabletest.h"
#include "tg-util.h"
#include "xmltree.h"

#define TG "https://tapgate.dev/ns/1"

/* An element, its attributes and children, one line: <{ns}name a="v">...</> */
static void dump(GString *out, const XmlNode *n)
{
	g_string_append_printf(out, "<%s%s%s%s", n->ns ? "{" : "", n->ns ? n->ns : "",
			       n->ns ? "}" : "", n->name);
	for (guint i = 0; i < n->n_attrs; i++) {
		const XmlAttr *a = &n->attrs[i];

		g_string_append_printf(out, " %s%s%s%s=\"%s\"", a->ns ? "{" : "",
				       a->ns ? a->ns : "", a->ns ? "}" : "", a->name, a->value);
	}
	g_string_append_c(out, '>');
	for (const XmlNode *c = n->children; c; c = c->next)
		dump(out, c);
	g_string_append(out, "</>");
}

typedef struct {
	const char *name;
	const char *xml;
	const char *tree;	/* dump() of the root, NULL: must fail */
	const char *text;	/* xmltree_get_text() of the root, or of the error message */
} TreeCase;

static const TreeCase tree_cases[] = {
	/* Namespaces: the URI counts, not the prefix. */
	{ "prefix-other", "<domain xmlns:x='" TG "'><x:ports/></domain>",
	  "<domain><{" TG "}ports></></>", "" },
	{ "default-namespace", "<a><b xmlns='urn:d'><c/></b><d/></a>",
	  "<a><{urn:d}b><{urn:d}c></></><d></></>", "" },
	{ "default-undeclared", "<a xmlns='urn:d'><b xmlns=''><c/></b></a>",
	  "<{urn:d}a><b><c></></></>", "" },
	{ "shadowed-prefix",
	  "<a xmlns:p='urn:1'><p:b xmlns:p='urn:2'><p:c/></p:b><p:d/></a>",
	  "<a><{urn:2}b><{urn:2}c></></><{urn:1}d></></>", "" },
	{ "shadowed-twice",
	  "<a xmlns:p='urn:1'><b xmlns:p='urn:2'><c xmlns:p='urn:3'/><p:d/></b><p:e/></a>",
	  "<a><b><c></><{urn:2}d></></><{urn:1}e></></>", "" },
	{ "declared-after-use", "<p:a xmlns:p='urn:1' p:x='1'/>", "<{urn:1}a {urn:1}x=\"1\"></>", "" },
	{ "tapgate-in-other-app",
	  "<metadata><app:x xmlns:app='urn:app'><tapgate:ports xmlns:tapgate='" TG "'/>"
	  "<app:y/></app:x></metadata>",
	  "<metadata><{urn:app}x><{" TG "}ports></><{urn:app}y></></></>", "" },
	{ "undeclared-prefix", "<a><q:b q:x='1'/></a>", "<a><q:b q:x=\"1\"></></>", "" },
	{ "empty-prefix-declaration-ignored",
	  "<a xmlns:p='urn:1'><b xmlns:p=''><p:c/></b></a>", "<a><b><{urn:1}c></></></>", "" },
	{ "xml-prefix", "<a xml:lang='en' lang='fr'/>",
	  "<a {http://www.w3.org/XML/1998/namespace}lang=\"en\" lang=\"fr\"></>", "" },
	{ "odd-qnames", "<a xmlns:p='urn:1'><p:b:c/><d:/></a>", "<a><{urn:1}b:c></><d:></></>", "" },
	/* Prefixed attributes are not the unprefixed ones; declarations are no attributes. */
	{ "prefixed-attributes",
	  "<a xmlns:p='urn:p' xmlns='urn:d' p:x='1' x='2'/>",
	  "<{urn:d}a {urn:p}x=\"1\" x=\"2\"></>", "" },
	/* References, and attribute normalization. */
	{ "references",
	  "<a v='&lt;&amp;&#x41;&#66;&quot;&apos;&gt;'>x&gt;&#233;&#x10000;y&amp;</a>",
	  "<a v=\"<&AB\"'>\"></>", "x>\xc3\xa9\xf0\x90\x80\x80y&" },
	{ "attribute-whitespace", "<a v='a\tb\nc\r\nd' w='&#9;&#10;'/>",
	  "<a v=\"a b c d\" w=\"\t\n\"></>", "" },
	{ "text-of-descendants", "<a>1<b>2<c>3</c>4</b><d/>5</a>", "<a><b><c></></><d></></>",
	  "12345" },
	/* Passed through and ignored; CDATA is text, as libxml2 reads it. */
	{ "cdata-comments-pi",
	  "<?xml version='1.0' encoding='UTF-8'?>\n<!-- <b/> -->\n"
	  "<a>x<!-- <c/> --><![CDATA[<d/>&bogus;]]>y<?pi <e/>?>z</a>\n<!-- after -->\n",
	  "<a></>", "x<d/>&bogus;yz" },
	{ "doctype", "<!DOCTYPE a [<!ELEMENT a ANY><!ATTLIST a v CDATA 'dflt'>]><a/>", "<a></>", "" },
	{ "bom", "\xef\xbb\xbf<a/>", "<a></>", "" },
	/* Refused. */
	{ "doctype-entity", "<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>", NULL, "“e” is not known" },
	{ "external-entity", "<!DOCTYPE a [<!ENTITY e SYSTEM '/etc/passwd'>]><a v='&e;'/>", NULL,
	  "“e” is not known" },
	{ "truncated", "<domain><name>x</name>", NULL,
	  "Document ended unexpectedly with elements still open" },
	{ "mismatched", "<a><b></a></b>", NULL, "Element “a” was closed" },
	{ "two-roots", "<a/><b/>", NULL, "Error on line 1 char 8: a second root element <b>" },
	{ "text-after-root", "<a/>x", NULL, "Document must begin with an element" },
	{ "empty", " \n", NULL, "Document was empty" },
	{ "no-element", "<?xml version='1.0'?><!-- nothing -->", NULL, "no element in the document" },
	{ "duplicate-attribute", "<a v='1' v='2'/>", NULL, "attribute v of element a given twice" },
	{ "duplicate-declaration", "<a xmlns:p='urn:1' xmlns:p='urn:2'/>", NULL,
	  "attribute xmlns:p of element a given twice" },
	{ "non-utf8-text", "<a>\xff</a>", NULL, "Error on line 1 char 4: invalid UTF-8" },
	{ "non-utf8-comment", "<a>\n<!-- caf\xe9 --></a>", NULL, "Error on line 2 char 9: invalid UTF-8" },
	{ "non-utf8-attribute", "<a v='\xc3'/>", NULL, "invalid UTF-8" },
	{ "overlong-utf8", "<a>\xc0\xaf</a>", NULL, "invalid UTF-8" },
	{ "nul", "<a>x\0</a>", NULL, "Error on line 1 char 5: NUL character" },
	{ "trailing-nul", "<a>x</a>\0\0", "<a></>", "x" },
	{ "nonchar", "<a>\xef\xbf\xbf</a>", NULL, "U+FFFF is not an XML character" },
	{ "control", "<a>\x1b[31m</a>", NULL, "control character 0x1b" },
	{ "control-reference", "<a v='&#27;'/>", NULL,
	  "character reference to the control character 0x1b" },
	{ "nul-reference", "<a>&#0;</a>", NULL, "does not encode a permitted character" },
	{ "unknown-entity", "<a>&nbsp;</a>", NULL, "Entity name “nbsp” is not known" },
	{ "bare-ampersand", "<a v='a&b'/>", NULL, "Entity did not end with a semicolon" },
	{ "unquoted-attribute", "<a v=1/>", NULL, "expected an open quote mark" },
	/* GMarkup quotes one byte of U+FEFF: the message stays valid UTF-8 */
	{ "bad-name", "<a\xef\xbb\xbf/>", NULL, "is not a valid name: “\xef\xbf\xbd”" },
};

static void test_tree(gconstpointer data)
{
	const TreeCase *c = data;
	g_autoptr(GError) err = NULL;
	g_autoptr(XmlTree) t = NULL;
	gsize len = strlen(c->xml);

	if (!strcmp(c->name, "nul"))	/* strlen() stops at them */
		len = 9;
	else if (!strcmp(c->name, "trailing-nul"))
		len = 10;
	t = xmltree_parse(c->xml, len, &err);
	if (!c->tree) {
		g_assert_null(t);
		g_assert_error(err, TG_ERROR, EINVAL);
		if (!strstr(err->message, c->text))
			g_error("%s: message '%s' lacks '%s'", c->name, err->message, c->text);
		g_assert_null(strchr(err->message, '\n'));
		g_assert_true(g_utf8_validate(err->message, -1, NULL));
	} else {
		g_autoptr(GString) s = g_string_new(NULL);
		g_autofree char *text = NULL;

		g_assert_no_error(err);
		dump(s, xmltree_get_root(t));
		g_assert_cmpstr(s->str, ==, c->tree);
		text = xmltree_get_text(t, xmltree_get_root(t));
		g_assert_cmpstr(text, ==, c->text);
	}
}

/* Attribute lookup is xmlGetNoNsProp(): unprefixed attributes only. */
static void test_attr(void)
{
	static const char xml[] = "<a xmlns:p='urn:p' p:x='1' y='2' xmlns:q='urn:q' q:y='3'/>";
	g_autoptr(XmlTree) t = xmltree_parse(xml, strlen(xml), NULL);
	const XmlNode *a = xmltree_get_root(t);

	g_assert_nonnull(t);
	g_assert_null(xmltree_get_attr(a, "x"));
	g_assert_null(xmltree_get_attr(a, "p:x"));
	g_assert_cmpstr(xmltree_get_attr(a, "y"), ==, "2");
	g_assert_null(xmltree_get_attr(a, "xmlns:p"));
	g_assert_cmpuint(a->n_attrs, ==, 3);
}

static char *nested(guint depth)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < depth; i++)
		g_string_append(s, "<e>");
	g_string_append(s, "x");
	for (guint i = 0; i < depth; i++)
		g_string_append(s, "</e>");
	return g_string_free(s, FALSE);
}

/* Readers walk the tree recursively: nesting is bounded, where libxml2 bounds it. */
static void test_depth(void)
{
	g_autofree char *ok = nested(XMLTREE_MAX_DEPTH + 1), *deep = nested(XMLTREE_MAX_DEPTH + 2);
	g_autofree char *huge = nested(100000);
	g_autofree char *want = g_strdup_printf(
		"Error on line 1 char %u: elements nested more than %u levels below the root",
		(XMLTREE_MAX_DEPTH + 2) * 3 + 1, XMLTREE_MAX_DEPTH);
	g_autoptr(XmlTree) t = xmltree_parse(ok, strlen(ok), NULL);
	g_autoptr(GError) err = NULL;
	const XmlNode *n = xmltree_get_root(t);
	guint below = 0;

	g_assert_nonnull(t);
	for (; n->children; n = n->children)
		below++;
	g_assert_cmpuint(below, ==, XMLTREE_MAX_DEPTH);
	g_assert_null(xmltree_parse(deep, strlen(deep), &err));
	g_assert_cmpstr(err->message, ==, want);
	g_clear_error(&err);
	g_assert_null(xmltree_parse(huge, strlen(huge), &err));
	g_assert_error(err, TG_ERROR, EINVAL);
}

static void test_size(void)
{
	gsize max = XMLTREE_MAX_SIZE;
	g_autofree char *buf = g_malloc(max + 2);
	g_autoptr(XmlTree) t = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(DomainXml) d = NULL;

	/* the largest document: <a> and text up to the last byte */
	memset(buf, 'x', max + 1);
	memcpy(buf, "<a>", 3);
	memcpy(buf + max - 4, "</a>", 4);
	t = xmltree_parse(buf, max, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(xmltree_get_root(t)->text_end - xmltree_get_root(t)->text_start, ==, max - 7);
	memcpy(buf + max - 3, "</a>", 4);
	g_assert_null(xmltree_parse(buf, max + 1, &err));
	g_assert_error(err, TG_ERROR, EFBIG);
	g_clear_error(&err);
	g_assert_cmpint(domain_xml_parse(buf, max + 1, &d, &err), ==, -EINVAL);
	g_assert_error(err, TG_ERROR, EFBIG);
	g_assert_cmpstr(err->message, ==, "domain XML is too large");
}

/* A huge bad token does not make a huge message. */
static void test_long_reason(void)
{
	g_autoptr(GString) s = g_string_new("<a>&");
	g_autoptr(GError) err = NULL;

	for (guint i = 0; i < 100000; i++)
		g_string_append_c(s, 'n');
	g_string_append(s, ";</a>");
	g_assert_null(xmltree_parse(s->str, s->len, &err));
	g_assert_cmpuint(strlen(err->message), <=, 210);
	g_assert_true(g_str_has_suffix(err->message, "..."));
}

typedef struct {
	const char *name;
	const char *metadata;	/* in the domain's <metadata> */
	const char *want;	/* port_config_describe() of the NIC, "-": not
				 * configured, else the error message ("^...": its start) */
} DomainCase;

#define MAC "52:54:00:aa:bb:01"

static const DomainCase domain_cases[] = {
	{ "tapgate-prefix", "<tapgate:ports xmlns:tapgate='" TG "'>"
	  "<tapgate:port mac='" MAC "' vlan='100'/></tapgate:ports>", "vlan access 100" },
	{ "other-prefix", "<tg:ports xmlns:tg='" TG "'><tg:port mac='" MAC "' vlan='7'/></tg:ports>",
	  "vlan access 7" },
	{ "default-namespace", "<ports xmlns='" TG "'><port mac='" MAC "' trunk='5;6'/></ports>",
	  "vlan trunk 5-6" },
	{ "no-namespace", "<ports><port mac='" MAC "' vlan='7'/></ports>", "-" },
	{ "other-namespace", "<tapgate:ports xmlns:tapgate='urn:other'>"
	  "<tapgate:port mac='" MAC "' vlan='7'/></tapgate:ports>", "-" },
	{ "inside-other-app", "<app:x xmlns:app='urn:app'><tapgate:ports xmlns:tapgate='" TG "'>"
	  "<tapgate:port mac='" MAC "' vlan='7'/></tapgate:ports></app:x>", "-" },
	{ "shadowed-prefix", "<tapgate:ports xmlns:tapgate='" TG "'>"
	  "<tapgate:port xmlns:tapgate='urn:other' mac='" MAC "' vlan='7'/></tapgate:ports>",
	  "tapgate metadata: unknown element <port> (known: <port>)" },
	{ "prefixed-attribute", "<tapgate:ports xmlns:tapgate='" TG "'>"
	  "<tapgate:port mac='" MAC "' tapgate:vlan='7'/></tapgate:ports>",
	  "tapgate metadata: port '" MAC "': attribute 'vlan' in another namespace" },
	{ "undeclared-prefix-attribute", "<tapgate:ports xmlns:tapgate='" TG "'>"
	  "<tapgate:port mac='" MAC "' q:vlan='7'/></tapgate:ports>",
	  "tapgate metadata: port '" MAC "': unknown attribute 'q:vlan' (known: network, vlan, "
	  "trunk, native, keep-default-vlan, pin-mac, isolated)" },
	{ "references", "<tapgate:ports xmlns:tapgate='" TG "'>"
	  "<tapgate:port mac='52&#x3a;54:00:aa:bb:01' vlan='&#49;00'/></tapgate:ports>",
	  "vlan access 100" },
	{ "comments-cdata", "<!-- x --><tapgate:ports xmlns:tapgate='" TG "'><![CDATA[<b/>]]>"
	  "<tapgate:port mac='" MAC "' vlan='9'/><!-- <tapgate:port/> --></tapgate:ports>",
	  "vlan access 9" },
	/* GMarkup's own words follow: only the start is ours */
	{ "bad-xml", "<tapgate:ports", "^domain XML does not parse: Error on line 3 char " },
};

static void test_domain(gconstpointer data)
{
	const DomainCase *c = data;
	g_autofree char *xml = g_strdup_printf(
		"<domain type='kvm'>\n<name>d&amp;1<!-- c --></name>\n<metadata>%s</metadata>"
		"<devices><interface type='bridge'><mac address='" MAC "'/>"
		"<source bridge='br0'/><target dev='vnet0'/></interface></devices></domain>",
		c->metadata);
	g_autoptr(DomainXml) d = NULL;
	g_autoptr(GError) err = NULL;
	DomainPort *p;

	if (domain_xml_parse(xml, strlen(xml), &d, &err) < 0) {
		if (*c->want == '^')
			g_assert_true(g_str_has_prefix(err->message, c->want + 1));
		else
			g_assert_cmpstr(err->message, ==, c->want);
		return;
	}
	g_assert_no_error(err);
	g_assert_cmpstr(d->name, ==, "d&1");
	g_assert_cmpuint(d->ports->len, ==, 1);
	p = g_ptr_array_index(d->ports, 0);
	g_assert_cmpstr(p->tap, ==, "vnet0");
	g_assert_cmpstr(p->bridge, ==, "br0");
	if (!strcmp(c->want, "-")) {
		g_assert_false(p->configured);
	} else {
		g_autofree char *desc = port_config_describe(&p->cfg);

		g_assert_true(p->configured);
		g_assert_cmpstr(desc, ==, c->want);
	}
}

/* A default namespace on the root is not libvirt's: as with libxml2. */
static void test_domain_namespace(void)
{
	static const char xml[] = "<domain xmlns='urn:x'><name>d</name></domain>";
	static const char net[] = "<network xmlns='urn:x'><name>n</name></network>";
	g_autoptr(DomainXml) d = NULL;
	g_autoptr(NetworkXml) n = NULL;
	g_autoptr(GError) err = NULL;

	g_assert_cmpint(domain_xml_parse(xml, strlen(xml), &d, &err), ==, -EINVAL);
	g_assert_cmpstr(err->message, ==, "expected a <domain>, not <domain>");
	g_clear_error(&err);
	g_assert_cmpint(network_xml_parse(net, strlen(net), &n, &err), ==, -EINVAL);
	g_assert_cmpstr(err->message, ==, "no <network> in the network hook's input");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	TABLETEST_ADD("/xmltree/tree", tree_cases, test_tree);
	g_test_add_func("/xmltree/attr", test_attr);
	g_test_add_func("/xmltree/depth", test_depth);
	g_test_add_func("/xmltree/size", test_size);
	g_test_add_func("/xmltree/long-reason", test_long_reason);
	TABLETEST_ADD("/xmltree/domain", domain_cases, test_domain);
	g_test_add_func("/xmltree/domain-namespace", test_domain_namespace);
	return g_test_run();
}
