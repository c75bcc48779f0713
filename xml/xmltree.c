/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A read-only element tree of an XML document, built with GMarkup.
 *
 * tapgate-hook runs synchronously several times per domain start, and
 * loading libxml2 (with ICU, libstdc++, liblzma and libz behind it) cost
 * more than everything else it does. This reads what libvirt writes with
 * glib alone: elements, their attributes, their text, namespaces resolved
 * per element scope as libxml2 resolves them. GMarkup expands only XML's
 * predefined entities and character references (anything else is an
 * error: no entity expansion, nothing fetched); the XML declaration,
 * processing instructions, comments and DOCTYPE are passed through by
 * GMarkup and ignored here; CDATA sections are text.
 *
 * Everything a tree holds lives in one arena, so freeing it is a loop over
 * a few blocks, whatever the depth of the document.
 */
#include <stddef.h>
#include <string.h>

#include "tg-util.h"
#include "xmltree.h"

#define XML_NS "http://www.w3.org/XML/1998/namespace"
#define XMLNS_NS "http://www.w3.org/2000/xmlns/"

#define ARENA_BLOCK (16 * 1024)

/* Longest parse error message, so a huge bad token makes no huge log line. */
#define MAX_REASON 200

struct XmlTree {
	GPtrArray *blocks;	/* the arena: every node, attribute and string */
	char *free;		/* the current block's unused part */
	gsize left;
	GString *text;		/* all character data, in document order */
	XmlNode *root;
};

/* A namespace declaration in scope. */
typedef struct {
	const char *prefix;	/* "" for the default namespace */
	const char *uri;	/* NULL: no namespace (xmlns="") */
	guint shadowed;		/* 1 + the index of the binding of @prefix it hides, or 0 */
} Binding;

/* An open element: where its scope's bindings start, its last child. */
typedef struct {
	XmlNode *node;
	guint n_bindings;
	XmlNode *last;
} Frame;

/* A hash of the prefixes in scope, not a scan of the bindings: a document
 * that declares many prefixes costs no more per element. */
typedef struct {
	XmlTree *tree;
	GArray *bindings;	/* Binding, innermost last */
	GHashTable *scope;	/* prefix -> 1 + the index of its innermost binding */
	GString *key;
	GArray *frames;		/* Frame, innermost last */
} Parser;

static void *arena_alloc(XmlTree *t, gsize size)
{
	const gsize align = _Alignof(max_align_t);
	void *p;

	size = (size + align - 1) & ~(align - 1);
	if (size > ARENA_BLOCK / 4) {	/* big: a block of its own, the current one stays */
		p = g_malloc(size);
		g_ptr_array_add(t->blocks, p);
		return p;
	}
	if (size > t->left) {
		t->free = g_malloc(ARENA_BLOCK);
		t->left = ARENA_BLOCK;
		g_ptr_array_add(t->blocks, t->free);
	}
	p = t->free;
	t->free += size;
	t->left -= size;
	return p;
}

static const char *arena_strndup(XmlTree *t, const char *s, gsize len)
{
	char *p = arena_alloc(t, len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* The URI bound to the @len bytes of @prefix ("": the default namespace), or NULL. */
static const char *lookup(Parser *p, const char *prefix, gsize len)
{
	guint i;

	g_string_truncate(p->key, 0);
	g_string_append_len(p->key, prefix, (gssize)len);
	i = GPOINTER_TO_UINT(g_hash_table_lookup(p->scope, p->key->str));
	return i ? g_array_index(p->bindings, Binding, i - 1).uri : NULL;
}

/* @prefix and @uri outlive the parse (static or in the arena). */
static void bind(Parser *p, const char *prefix, const char *uri)
{
	Binding b = { prefix, uri, GPOINTER_TO_UINT(g_hash_table_lookup(p->scope, prefix)) };

	g_array_append_val(p->bindings, b);
	g_hash_table_insert(p->scope, (gpointer)prefix, GUINT_TO_POINTER(p->bindings->len));
}

/* End the scope of the bindings after the first @n. */
static void unbind(Parser *p, guint n)
{
	while (p->bindings->len > n) {
		const Binding *b = &g_array_index(p->bindings, Binding, p->bindings->len - 1);

		if (b->shadowed)
			g_hash_table_insert(p->scope, (gpointer)b->prefix,
					    GUINT_TO_POINTER(b->shadowed));
		else
			g_hash_table_remove(p->scope, b->prefix);
		g_array_set_size(p->bindings, p->bindings->len - 1);
	}
}

/* libxml2's reading of a qualified name: a prefix only where both halves are
 * non-empty ("a:b:c" is local name "b:c" with prefix "a"). Return the local
 * name and set *uri if the prefix is declared, else the whole name with *uri
 * the default namespace (elements) or NULL (attributes). */
static const char *resolve(Parser *p, const char *qname, gboolean element, const char **uri)
{
	const char *colon = strchr(qname, ':');

	if (colon && colon > qname && colon[1]) {
		*uri = lookup(p, qname, (gsize)(colon - qname));
		return *uri ? colon + 1 : qname;
	}
	*uri = element ? lookup(p, "", 0) : NULL;
	return qname;
}

/* The namespace declarations of a start tag, as libxml2 takes them: those
 * that would rebind xml or xmlns, or undeclare a prefix, are ignored. */
static void declare(Parser *p, const char **names, const char **values)
{
	for (guint i = 0; names[i]; i++) {
		const char *v = values[i];

		if (!strcmp(names[i], "xmlns")) {
			if (strcmp(v, XML_NS) && strcmp(v, XMLNS_NS))
				bind(p, "", *v ? arena_strndup(p->tree, v, strlen(v)) : NULL);
		} else if (g_str_has_prefix(names[i], "xmlns:") && names[i][6]) {
			const char *prefix = names[i] + 6;

			if (strcmp(prefix, "xml") && strcmp(prefix, "xmlns") && *v &&
			    strcmp(v, XML_NS) && strcmp(v, XMLNS_NS))
				bind(p, arena_strndup(p->tree, prefix, strlen(prefix)),
				     arena_strndup(p->tree, v, strlen(v)));
		}
	}
}

static gboolean is_declaration(const char *name)
{
	return !strcmp(name, "xmlns") || (g_str_has_prefix(name, "xmlns:") && name[6]);
}

/* Raw control characters are refused before parsing; these came from
 * character references (&#1;), which XML 1.0 does not allow either. */
static gboolean check_chars(const char *s, gsize len, GError **error)
{
	for (gsize i = 0; i < len; i++) {
		guchar c = (guchar)s[i];

		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
			g_set_error(error, TG_ERROR, EINVAL,
				    "character reference to the control character 0x%02x", c);
			return FALSE;
		}
	}
	return TRUE;
}

/* Each attribute name at most once (XML's well-formedness, which GMarkup
 * does not check): a second 'vlan' must not silently override the first. */
static gboolean check_unique(const char *element, const char **names, GError **error)
{
	g_autoptr(GHashTable) seen = NULL;
	guint n = 0;

	while (names[n])
		n++;
	if (n > 8)
		seen = g_hash_table_new(g_str_hash, g_str_equal);
	for (guint i = 0; i < n; i++) {
		gboolean dup = FALSE;

		if (seen) {
			dup = !g_hash_table_add(seen, (gpointer)names[i]);
		} else {
			for (guint j = 0; j < i && !dup; j++)
				dup = !strcmp(names[i], names[j]);
		}
		if (dup) {
			g_set_error(error, TG_ERROR, EINVAL, "attribute %s of element %s given twice",
				    names[i], element);
			return FALSE;
		}
	}
	return TRUE;
}

static void on_start(GMarkupParseContext *ctx, const char *qname, const char **names,
		     const char **values, gpointer data, GError **error)
{
	Parser *p = data;
	XmlTree *t = p->tree;
	Frame *parent = p->frames->len ? &g_array_index(p->frames, Frame, p->frames->len - 1) : NULL;
	Frame f = { .n_bindings = p->bindings->len };
	XmlNode *n;
	XmlAttr *attrs;
	guint n_attrs = 0;

	/* Where libxml2 stops too: a reader may walk the tree recursively. */
	if (p->frames->len > XMLTREE_MAX_DEPTH) {
		g_set_error(error, TG_ERROR, EINVAL,
			    "elements nested more than %d levels below the root", XMLTREE_MAX_DEPTH);
		return;
	}
	/* GMarkup takes a sequence of documents; XML has one root. */
	if (!parent && t->root) {
		g_set_error(error, TG_ERROR, EINVAL, "a second root element <%s>", qname);
		return;
	}
	if (!check_unique(qname, names, error))
		return;
	for (guint i = 0; names[i]; i++) {
		if (!check_chars(values[i], strlen(values[i]), error))
			return;
		n_attrs += !is_declaration(names[i]);
	}
	declare(p, names, values);

	n = arena_alloc(t, sizeof(*n));
	memset(n, 0, sizeof(*n));
	n->name = resolve(p, qname, TRUE, &n->ns);
	n->name = arena_strndup(t, n->name, strlen(n->name));
	attrs = n_attrs ? arena_alloc(t, n_attrs * sizeof(*attrs)) : NULL;
	for (guint i = 0, j = 0; names[i]; i++) {
		const char *local;

		if (is_declaration(names[i]))
			continue;
		local = resolve(p, names[i], FALSE, &attrs[j].ns);
		attrs[j].name = arena_strndup(t, local, strlen(local));
		attrs[j].value = arena_strndup(t, values[i], strlen(values[i]));
		j++;
	}
	n->attrs = attrs;
	n->n_attrs = n_attrs;
	n->text_start = t->text->len;
	if (parent) {
		n->parent = parent->node;
		if (parent->last)
			parent->last->next = n;
		else
			parent->node->children = n;
		parent->last = n;
	} else {
		t->root = n;
	}
	f.node = n;
	g_array_append_val(p->frames, f);
}

static void on_end(GMarkupParseContext *ctx, const char *qname, gpointer data, GError **error)
{
	Parser *p = data;
	Frame *f = &g_array_index(p->frames, Frame, p->frames->len - 1);

	f->node->text_end = p->tree->text->len;
	unbind(p, f->n_bindings);
	g_array_set_size(p->frames, p->frames->len - 1);
}

/* Only called inside elements: GMarkup refuses text outside the root. */
static void on_text(GMarkupParseContext *ctx, const char *text, gsize len, gpointer data,
		    GError **error)
{
	Parser *p = data;

	if (check_chars(text, len, error))
		g_string_append_len(p->tree->text, text, len);
}

static const GMarkupParser parser = {
	.start_element = on_start,
	.end_element = on_end,
	.text = on_text,
	/* no .passthrough: <?xml?>, comments and DOCTYPE are ignored */
};

/** xmltree_free() - free what xmltree_parse() made */
void xmltree_free(XmlTree *tree)
{
	if (!tree)
		return;
	g_ptr_array_unref(tree->blocks);
	g_string_free(tree->text, TRUE);
	g_free(tree);
}

/* Where byte @off is, as GMarkup says it: "line L char C". */
static void position(const char *xml, gsize off, guint *line, guint *col)
{
	const char *nl = xml;

	*line = 1;
	for (const char *s = xml; s < xml + off; s++)
		if (*s == '\n') {
			(*line)++;
			nl = s + 1;
		}
	*col = (guint)g_utf8_strlen(nl, xml + off - nl) + 1;
}

/* U+FFFE and U+FFFF, which are not XML characters either. */
static gboolean is_nonchar(const char *s, const char *end)
{
	return end - s >= 3 && (guchar)s[0] == 0xef && (guchar)s[1] == 0xbf &&
	       ((guchar)s[2] == 0xbe || (guchar)s[2] == 0xbf);
}

/* GMarkup accepts NULs (it stops at them), control characters and, outside
 * names and text, invalid UTF-8: refuse them all first. */
static gboolean check_input(const char *xml, gsize len, GError **error)
{
	const char *end = NULL;
	guint line, col;

	if (g_utf8_validate_len(xml, len, &end)) {
		for (end = xml; end < xml + len; end++)
			if (((guchar)*end < 0x20 && *end != '\t' && *end != '\n' && *end != '\r') ||
			    is_nonchar(end, xml + len))
				break;
		if (end == xml + len)
			return TRUE;
	}
	position(xml, (gsize)(end - xml), &line, &col);
	if (*end && (guchar)*end < 0x20)
		g_set_error(error, TG_ERROR, EINVAL,
			    "Error on line %u char %u: control character 0x%02x", line, col,
			    (guchar)*end);
	else if (is_nonchar(end, xml + len))
		g_set_error(error, TG_ERROR, EINVAL,
			    "Error on line %u char %u: U+%04X is not an XML character", line, col,
			    g_utf8_get_char(end));
	else if (*end)
		g_set_error(error, TG_ERROR, EINVAL, "Error on line %u char %u: invalid UTF-8",
			    line, col);
	else
		g_set_error(error, TG_ERROR, EINVAL, "Error on line %u char %u: NUL character",
			    line, col);
	return FALSE;
}

/* One line of valid UTF-8 (GMarkup may quote one byte of a character), of
 * a bounded length: the message goes into logs as it is. */
static void set_reason(GError **error, const char *msg)
{
	g_autoptr(GString) s = g_string_new(NULL);
	g_autofree char *valid = g_utf8_make_valid(msg, -1);
	const char *c;

	for (c = valid; *c && s->len < MAX_REASON; c = g_utf8_next_char(c)) {
		if ((guchar)*c < 0x20)
			g_string_append_c(s, ' ');
		else
			g_string_append_len(s, c, g_utf8_next_char(c) - c);
	}
	if (*c)
		g_string_append(s, "...");
	g_set_error_literal(error, TG_ERROR, EINVAL, s->str);
}

/**
 * xmltree_parse() - read an XML document into a tree of its elements
 * @xml:	the document, UTF-8 (an encoding declaration is ignored)
 * @len:	its length, at most XMLTREE_MAX_SIZE
 * @error:	set on failure: TG_ERROR EFBIG if too large, else EINVAL with a
 *		one-line message (GMarkup's, with the line and character)
 *
 * Elements nested more than XMLTREE_MAX_DEPTH levels below the root, a
 * second root element, an attribute given twice, NULs (but trailing ones),
 * control characters, U+FFFE, U+FFFF and invalid UTF-8 are errors, as is
 * anything GMarkup does not parse. GMarkup is laxer than libxml2 in a few
 * corners of malformed input (a '<' in an attribute value, no space
 * between attributes, ']]>' in text, misplaced declarations): what it
 * reads there is what the text says, and libvirt never writes such XML.
 *
 * Return: the tree, or NULL
 */
XmlTree *xmltree_parse(const char *xml, gsize len, GError **error)
{
	g_autoptr(XmlTree) t = g_new0(XmlTree, 1);
	g_autoptr(GError) err = NULL;
	g_autoptr(GArray) bindings = g_array_new(FALSE, FALSE, sizeof(Binding));
	g_autoptr(GHashTable) scope = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GString) key = g_string_new(NULL);
	g_autoptr(GArray) frames = g_array_new(FALSE, FALSE, sizeof(Frame));
	Parser p = { .tree = t, .bindings = bindings, .scope = scope, .key = key, .frames = frames };
	GMarkupParseContext *ctx;
	gboolean ok;

	t->blocks = g_ptr_array_new_with_free_func(g_free);
	t->text = g_string_new(NULL);
	if (len > XMLTREE_MAX_SIZE) {
		g_set_error(error, TG_ERROR, EFBIG, "XML is too large");
		return NULL;
	}
	/* libxml2 stops at a NUL after the root: a C string's terminator is no error */
	while (len && !xml[len - 1])
		len--;
	if (!check_input(xml, len, error))
		return NULL;
	/* libxml2 skips a UTF-8 byte order mark; glib 2.74's GMarkup refuses it */
	if (len >= 3 && !memcmp(xml, "\xef\xbb\xbf", 3)) {
		xml += 3;
		len -= 3;
	}
	bind(&p, "xml", XML_NS);	/* bound in every document */
	/* CDATA is text, as libxml2's xmlNodeGetContent() and libvirt read it */
	ctx = g_markup_parse_context_new(&parser, G_MARKUP_PREFIX_ERROR_POSITION |
						   G_MARKUP_TREAT_CDATA_AS_TEXT, &p, NULL);
	ok = g_markup_parse_context_parse(ctx, xml, (gssize)len, &err) &&
	     g_markup_parse_context_end_parse(ctx, &err);
	g_markup_parse_context_free(ctx);
	if (!ok) {
		set_reason(error, err->message);
		return NULL;
	}
	if (!t->root) {
		g_set_error(error, TG_ERROR, EINVAL, "no element in the document");
		return NULL;
	}
	return g_steal_pointer(&t);
}

/** xmltree_get_root() - the document's root element */
const XmlNode *xmltree_get_root(const XmlTree *tree)
{
	return tree->root;
}

/**
 * xmltree_get_attr() - an unprefixed attribute, as libxml2's xmlGetNoNsProp()
 * @node:	an element
 * @name:	the attribute's name
 *
 * Return: its value, owned by the tree, or NULL
 */
const char *xmltree_get_attr(const XmlNode *node, const char *name)
{
	for (guint i = 0; i < node->n_attrs; i++)
		if (!node->attrs[i].ns && !strcmp(node->attrs[i].name, name))
			return node->attrs[i].value;
	return NULL;
}

/**
 * xmltree_get_text() - an element's text, as libxml2's xmlNodeGetContent()
 * @tree:	the element's tree
 * @node:	the element
 *
 * Return: the text of the element and all its descendants, in document
 * order (references decoded, CDATA sections as they are), newly allocated
 */
char *xmltree_get_text(const XmlTree *tree, const XmlNode *node)
{
	return g_strndup(tree->text->str + node->text_start, node->text_end - node->text_start);
}
