/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small read-only XML element tree built with GMarkup, with namespaces
 * resolved: enough to read libvirt's XML without linking libxml2 (whose
 * library chain, ICU included, dominated tapgate-hook's run time).
 */
#pragma once
#include <glib.h>

/* Most levels of elements below the root (libxml2's default limit too). */
#define XMLTREE_MAX_DEPTH 256

/* The largest document xmltree_parse() reads. */
#define XMLTREE_MAX_SIZE (16 * 1024 * 1024)

typedef struct {
	const char *name;	/* local name; the whole name if its prefix is not declared */
	const char *ns;		/* namespace URI, NULL for an unprefixed attribute */
	const char *value;	/* decoded and normalized */
} XmlAttr;

typedef struct XmlNode XmlNode;

/* One element. Namespace declarations (xmlns, xmlns:P) are not attributes. */
struct XmlNode {
	const char *name;	/* local name; the whole name if its prefix is not declared */
	const char *ns;		/* resolved namespace URI, NULL for none */
	const XmlAttr *attrs;
	guint n_attrs;
	XmlNode *parent;
	XmlNode *children;	/* elements only, in document order */
	XmlNode *next;
	gsize text_start, text_end;	/* this subtree's text in the tree's text buffer */
};

typedef struct XmlTree XmlTree;

XmlTree *xmltree_parse(const char *xml, gsize len, GError **error);
void xmltree_free(XmlTree *tree);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(XmlTree, xmltree_free)

const XmlNode *xmltree_get_root(const XmlTree *tree);
const char *xmltree_get_attr(const XmlNode *node, const char *name);
char *xmltree_get_text(const XmlTree *tree, const XmlNode *node);
