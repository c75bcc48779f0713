/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parsing and printing VLAN id lists such as "100;200-210". */
#include <string.h>

#include "tg-util.h"
#include "vlan.h"

/**
 * vlan_parse_vid() - parse one VLAN id, 1..4094
 * @s:		decimal text, nothing else
 * @vid:	set on success
 * @error:	set on failure
 *
 * Return: 0 or -EINVAL
 */
int vlan_parse_vid(const char *s, unsigned int *vid, GError **error)
{
	g_autofree char *q = NULL;
	guint64 v;

	if (tg_parse_uint(s, VLAN_VID_MAX, &v) == 0 && v >= VLAN_VID_MIN) {
		*vid = (unsigned int)v;
		return 0;
	}
	q = tg_quote(s);
	g_set_error(error, TG_ERROR, EINVAL, "'%s' is not a VLAN id (1-4094)", q);
	return -EINVAL;
}

/**
 * vlan_set_parse() - parse a VID list: "100", "100;200-210", "10,20"
 * @set:	cleared, then filled
 * @text:	items separated by ';' or ',', each a VID or a range A-B (A <= B)
 * @error:	set on failure
 *
 * Return: 0, or -EINVAL (also for an empty list)
 */
int vlan_set_parse(VlanSet *set, const char *text, GError **error)
{
	g_auto(GStrv) items = g_strsplit_set(text, ";,", -1);
	unsigned int n = 0;
	char **it;

	memset(set, 0, sizeof(*set));
	for (it = items; *it; it++) {
		char *item = g_strstrip(*it), *dash;
		unsigned int a, b, v;

		if (!*item)
			continue;
		dash = strchr(item, '-');
		if (dash) {
			*dash = '\0';
			if (vlan_parse_vid(g_strstrip(item), &a, error) < 0 ||
			    vlan_parse_vid(g_strstrip(dash + 1), &b, error) < 0)
				return -EINVAL;
			if (a > b) {
				g_set_error(error, TG_ERROR, EINVAL,
					    "VLAN range '%u-%u' runs backwards", a, b);
				return -EINVAL;
			}
		} else {
			if (vlan_parse_vid(item, &a, error) < 0)
				return -EINVAL;
			b = a;
		}
		for (v = a; v <= b; v++)
			vlan_set_add(set, v);
		n++;
	}
	if (!n) {
		g_set_error(error, TG_ERROR, EINVAL, "empty VLAN list");
		return -EINVAL;
	}
	return 0;
}

/** vlan_set_count() - how many VIDs are in @s */
unsigned int vlan_set_count(const VlanSet *s)
{
	unsigned int n = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(s->bits); i++)
		n += (unsigned int)__builtin_popcountll(s->bits[i]);
	return n;
}

/** vlan_set_equal() - whether two sets hold the same VIDs */
gboolean vlan_set_equal(const VlanSet *a, const VlanSet *b)
{
	return !memcmp(a->bits, b->bits, sizeof(a->bits));
}

/**
 * vlan_set_format() - the set as the shortest list: "1;100;200-210"
 * @s:	the set
 *
 * Return: newly allocated string, "" for the empty set
 */
char *vlan_set_format(const VlanSet *s)
{
	GString *out = g_string_new(NULL);
	unsigned int v = VLAN_VID_MIN;

	while (v <= VLAN_VID_MAX) {
		unsigned int end;

		if (!vlan_set_has(s, v)) {
			v++;
			continue;
		}
		for (end = v; end + 1 <= VLAN_VID_MAX && vlan_set_has(s, end + 1); end++)
			;
		if (out->len)
			g_string_append_c(out, ';');
		if (end == v)
			g_string_append_printf(out, "%u", v);
		else
			g_string_append_printf(out, "%u-%u", v, end);
		v = end + 1;
	}
	return g_string_free(out, FALSE);
}
