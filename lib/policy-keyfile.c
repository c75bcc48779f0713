/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tapgate's own policy format, a GKeyFile:
 *
 *	[global]
 *	include-qemu-acl = true		# also honour /etc/qemu/bridge.conf
 *
 *	[bridge br0]			# "[bridge *]": every bridge
 *	allow-users = alice;bob		# names, numeric ids, or * for everyone
 *	allow-groups = kvm
 *	deny-users = mallory		# deny beats allow
 *	deny-groups = guests
 *	allow-vlans = 100;200-210	# VIDs allowed callers may ask for (--vlan)
 *	managed = true			# tapgate may switch vlan_filtering on
 *	keep-default-vlan = false	# leave the default VLAN (1) on ports
 *	max-ports-per-user = 4		# also max-ports-per-group, max-ports
 *	max-queues = 8			# queues of one multiqueue tap (--queues)
 *	allow-vhost = false		# the helper may open /dev/vhost-net (--vhost)
 *
 *	[network lan100]		# "--br=lan100"
 *	bridge = br0			# a vlan-filtering bridge, or:
 *	uplink = eth0			# sub-interface mode: eth0.100 in a bridge
 *	vlan = 100			# access port; or trunk = 100;200-210
 *	native = 100			# with trunk: the untagged VID
 *	allow-groups = lab		# and the other rule, quota and queue keys
 *
 *	[tap vm1-lan]			# a persistent tap 'tapgate apply' makes
 *	user = alice			# and/or group =: who may open it
 *	network = lan100		# or: bridge = br0 (and vlan = 100)
 *	mac = fe:54:00:12:34:56		# its own MAC; mtu = 9000; multi-queue = true
 *
 * GKeyFile knows no line numbers and no trailing comments, so a first pass
 * indexes every section and key by line, rejects malformed lines with
 * FILE:LINE, and strips " # comment" tails before GKeyFile sees the text.
 */
#include <net/if.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "guestmac.h"
#include "ifname.h"
#include "policy.h"
#include "tg-util.h"
#include "vlan.h"

typedef struct {
	const char *path;
	GHashTable *lines;	/* "section" or "section\x1fkey" -> line number */
	GString *clean;		/* the text GKeyFile parses */
} Index;

static void index_clear(Index *ix)
{
	g_clear_pointer(&ix->lines, g_hash_table_unref);
	if (ix->clean)
		g_string_free(ix->clean, TRUE);
	ix->clean = NULL;
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Index, index_clear)

static int index_line(Index *ix, const char *section, const char *key)
{
	g_autofree char *k = key ? g_strdup_printf("%s\x1f%s", section, key) : g_strdup(section);

	return GPOINTER_TO_INT(g_hash_table_lookup(ix->lines, k));
}

/* "value   # note" -> "value"; @s is one NUL-terminated line. */
static void strip_trailing_comment(char *s)
{
	char *p;

	for (p = s; *p; p++)
		if (*p == '#' && p > s && g_ascii_isspace(p[-1])) {
			*p = '\0';
			break;
		}
	g_strchomp(s);
}

static gboolean printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return FALSE;
	return TRUE;
}

static gboolean key_name_ok(const char *s)
{
	for (; *s; s++)
		if (!g_ascii_isalnum(*s) && *s != '-')
			return FALSE;
	return TRUE;
}

static int index_build(Index *ix, const char *text, gsize len, GError **error)
{
	g_autofree char *copy = g_strndup(text, len);
	g_autofree char *section = NULL;
	char *line = copy, *next;
	int lineno = 1;

	ix->lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	ix->clean = g_string_new(NULL);
	for (; line; line = next, lineno++) {
		char *s, *eq;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		s = g_strstrip(line);
		if (*s == '\0' || *s == '#') {
			g_string_append_c(ix->clean, '\n');
			continue;
		}
		if (*s == '[') {
			size_t n;
			int first;

			strip_trailing_comment(s);
			n = strlen(s);
			if (n < 3 || s[n - 1] != ']' || strpbrk(s + 1, "[]") != s + n - 1 ||
			    !printable(s)) {
				g_set_error(error, TG_ERROR, EINVAL,
					    "%s:%d: malformed section header", ix->path, lineno);
				return -EINVAL;
			}
			g_free(section);
			section = g_strndup(s + 1, n - 2);
			first = index_line(ix, section, NULL);
			if (first) {
				g_set_error(error, TG_ERROR, EINVAL,
					    "%s:%d: section [%s] already started at line %d",
					    ix->path, lineno, section, first);
				return -EINVAL;
			}
			g_hash_table_insert(ix->lines, g_strdup(section), GINT_TO_POINTER(lineno));
			g_string_append_printf(ix->clean, "%s\n", s);
			continue;
		}
		eq = strchr(s, '=');
		if (!eq || eq == s) {
			g_set_error(error, TG_ERROR, EINVAL,
				    "%s:%d: expected '[section]' or 'key = value'", ix->path,
				    lineno);
			return -EINVAL;
		}
		if (!section) {
			g_set_error(error, TG_ERROR, EINVAL,
				    "%s:%d: 'key = value' before the first [section]", ix->path,
				    lineno);
			return -EINVAL;
		}
		*eq = '\0';
		g_strchomp(s);
		if (!key_name_ok(s)) {
			g_autofree char *q = tg_quote(s);

			g_set_error(error, TG_ERROR, EINVAL, "%s:%d: invalid key name '%s'",
				    ix->path, lineno, q);
			return -EINVAL;
		}
		{
			g_autofree char *k = g_strdup_printf("%s\x1f%s", section, s);
			int first = GPOINTER_TO_INT(g_hash_table_lookup(ix->lines, k));

			if (first) {
				g_set_error(error, TG_ERROR, EINVAL,
					    "%s:%d: '%s' already set at line %d", ix->path,
					    lineno, s, first);
				return -EINVAL;
			}
			g_hash_table_insert(ix->lines, g_steal_pointer(&k), GINT_TO_POINTER(lineno));
		}
		strip_trailing_comment(eq + 1);
		g_string_append_printf(ix->clean, "%s=%s\n", s, g_strchug(eq + 1));
	}
	return 0;
}

/* Numeric ids are taken as they are; names go through the environment. */
static int resolve_id(const PolicyEnv *env, gboolean group, const char *name, guint32 *id)
{
	guint64 v;

	if (g_ascii_isdigit(name[0])) {
		if (tg_parse_uint(name, G_MAXUINT32 - 1, &v) < 0)
			return -EINVAL;
		*id = (guint32)v;
		return 0;
	}
	if (group) {
		gid_t gid;
		int r = env->lookup_group(name, &gid);

		*id = gid;
		return r;
	} else {
		uid_t uid;
		int r = env->lookup_user(name, &uid);

		*id = uid;
		return r;
	}
}

/* One section's keys, read and checked by the helpers below. */
typedef struct {
	const PolicyEnv *env;
	Index *ix;
	GKeyFile *kf;
	const char *section;
} Section;

static char *key_origin(const Section *sec, const char *key)
{
	return g_strdup_printf("%s:%d", sec->ix->path, index_line(sec->ix, sec->section, key));
}

static int key_error(const Section *sec, const char *key, GError **error, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);

static int key_error(const Section *sec, const char *key, GError **error, const char *fmt, ...)
{
	g_autofree char *origin = key_origin(sec, key);
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, TG_ERROR, EINVAL, "%s: %s", origin, msg);
	return -EINVAL;
}

/* A value GKeyFile cannot unescape must not be read as something shorter
 * (glib 2.74 returns a truncated string *and* sets the error). */
static int key_string(const Section *sec, const char *key, char **out, GError **error)
{
	g_autoptr(GError) err = NULL;
	char *v = g_key_file_get_string(sec->kf, sec->section, key, &err);

	if (err || !v) {
		g_free(v);
		return key_error(sec, key, error, "invalid value for '%s'", key);
	}
	*out = v;
	return 0;
}

static int key_bool(const Section *sec, const char *key, gboolean *out, GError **error)
{
	g_autoptr(GError) err = NULL;
	gboolean v = g_key_file_get_boolean(sec->kf, sec->section, key, &err);

	if (err)
		return key_error(sec, key, error, "%s must be true or false", key);
	*out = v;
	return 0;
}

static int key_count(const Section *sec, const char *key, unsigned int *out, GError **error)
{
	g_autofree char *v = NULL;
	guint64 n;

	if (key_string(sec, key, &v, error) < 0)
		return -EINVAL;
	if (tg_parse_uint(g_strstrip(v), 1000000, &n) < 0 || n < 1)
		return key_error(sec, key, error, "%s must be a number from 1 to 1000000", key);
	*out = (unsigned int)n;
	return 0;
}

static int key_ifname(const Section *sec, const char *key, char **out, GError **error)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *v = NULL;

	if (key_string(sec, key, &v, error) < 0)
		return -EINVAL;
	g_strstrip(v);
	if (ifname_validate(v, key, &err) < 0)
		return key_error(sec, key, error, "%s", err->message);
	*out = g_steal_pointer(&v);
	return 0;
}

static int key_vid(const Section *sec, const char *key, unsigned int *out, GError **error)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *v = NULL;

	if (key_string(sec, key, &v, error) < 0)
		return -EINVAL;
	if (vlan_parse_vid(g_strstrip(v), out, &err) < 0)
		return key_error(sec, key, error, "%s", err->message);
	return 0;
}

static int key_vlans(const Section *sec, const char *key, VlanSet *out, GError **error)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *v = NULL;

	if (key_string(sec, key, &v, error) < 0)
		return -EINVAL;
	if (vlan_set_parse(out, v, &err) < 0)
		return key_error(sec, key, error, "%s", err->message);
	return 0;
}

static int key_addr(const Section *sec, const char *key, TgAddr *out, GError **error)
{
	g_autofree char *v = NULL;

	if (key_string(sec, key, &v, error) < 0)
		return -EINVAL;
	if (tg_addr_parse(g_strstrip(v), out) < 0)
		return key_error(sec, key, error, "%s: '%s' is not a unicast IPv4 or IPv6 address "
				 "another host can reach", key, v);
	return 0;
}

static int key_peers(const Section *sec, const char *key, VxlanConfig *vx, GError **error)
{
	g_autofree char *v = NULL;
	g_auto(GStrv) items = NULL;

	if (key_string(sec, key, &v, error) < 0)
		return -EINVAL;
	items = g_strsplit_set(v, ";, ", -1);
	vx->n_peers = 0;
	for (char **i = items; *i; i++) {
		TgAddr a;

		if (!**i)
			continue;
		if (tg_addr_parse(*i, &a) < 0)
			return key_error(sec, key, error, "%s: '%s' is not a unicast IPv4 or IPv6 "
					 "address another host can reach", key, *i);
		for (unsigned int j = 0; j < vx->n_peers; j++)
			if (tg_addr_equal(&vx->peers[j], &a))
				return key_error(sec, key, error, "%s: '%s' is listed twice", key, *i);
		if (vx->n_peers == VXLAN_MAX_PEERS)
			return key_error(sec, key, error,
					 "%s: more than %d peers (use 'vxlan-control = evpn')", key,
					 VXLAN_MAX_PEERS);
		vx->peers[vx->n_peers++] = a;
	}
	return 0;
}

/* The vxlan-* keys of a [network]. */
static int key_vxlan(const Section *sec, const char *key, VxlanConfig *vx, GError **error)
{
	g_autofree char *v = NULL;
	guint64 n;

	if (!strcmp(key, "vxlan-local"))
		return key_addr(sec, key, &vx->local, error);
	if (!strcmp(key, "vxlan-peers"))
		return key_peers(sec, key, vx, error);
	if (key_string(sec, key, &v, error) < 0)
		return -EINVAL;
	g_strstrip(v);
	if (!strcmp(key, "vxlan-control")) {
		if (strcmp(v, "static") && strcmp(v, "evpn"))
			return key_error(sec, key, error, "vxlan-control must be static or evpn");
		vx->evpn = !strcmp(v, "evpn");
		return 0;
	}
	if (!strcmp(key, "vxlan-port")) {
		if (tg_parse_uint(v, 65535, &n) < 0 || n < 1)
			return key_error(sec, key, error, "vxlan-port must be a number from 1 to 65535");
		vx->port = (unsigned int)n;
		return 0;
	}
	/* vxlan-vni: 24 bits (RFC 7348) */
	if (tg_parse_uint(v, 16777215, &n) < 0 || n < 1)
		return key_error(sec, key, error, "vxlan-vni must be a number from 1 to 16777215");
	vx->vni = (unsigned int)n;
	return 0;
}

static gboolean is_vxlan_key(const char *key)
{
	return !strcmp(key, "vxlan-vni") || !strcmp(key, "vxlan-local") ||
	       !strcmp(key, "vxlan-peers") || !strcmp(key, "vxlan-control") ||
	       !strcmp(key, "vxlan-port");
}

static gboolean is_rule_key(const char *key)
{
	return !strcmp(key, "allow-users") || !strcmp(key, "allow-groups") ||
	       !strcmp(key, "deny-users") || !strcmp(key, "deny-groups");
}

static int key_quota(const Section *sec, const char *key, PolicyQuota *q, GError **error)
{
	if (!strcmp(key, "max-ports-per-user"))
		return key_count(sec, key, &q->per_user, error);
	if (!strcmp(key, "max-ports-per-group"))
		return key_count(sec, key, &q->per_group, error);
	return key_count(sec, key, &q->total, error);
}

static gboolean is_quota_key(const char *key)
{
	return !strcmp(key, "max-ports-per-user") || !strcmp(key, "max-ports-per-group") ||
	       !strcmp(key, "max-ports");
}

static gboolean is_queue_key(const char *key)
{
	return !strcmp(key, "max-queues") || !strcmp(key, "allow-vhost");
}

static int key_queues(const Section *sec, const char *key, PolicyQueues *q, GError **error)
{
	g_autofree char *v = NULL;
	guint64 n;

	if (!strcmp(key, "allow-vhost"))
		return key_bool(sec, key, &q->vhost, error);
	if (key_string(sec, key, &v, error) < 0)
		return -EINVAL;
	if (tg_parse_uint(g_strstrip(v), POLICY_MAX_QUEUES, &n) < 0 || n < 1)
		return key_error(sec, key, error, "max-queues must be a number from 1 to %d",
				 POLICY_MAX_QUEUES);
	q->max_queues = (unsigned int)n;
	return 0;
}

/* allow-users & co. of one section become one rule per key. */
static int parse_subjects(Policy *policy, const Section *sec, const char *target,
			  gboolean network, const VlanSet *vlans, const char *key,
			  GError **error)
{
	gboolean deny = g_str_has_prefix(key, "deny-");
	gboolean group = g_str_has_suffix(key, "-groups");
	g_autofree char *origin = key_origin(sec, key);
	g_autofree char *value = NULL;
	g_auto(GStrv) items = NULL;
	PolicyRule *rule;
	char **it;

	if (key_string(sec, key, &value, error) < 0)
		return -EINVAL;
	items = g_strsplit_set(value, ";,", -1);
	rule = policy_add_rule(policy, deny ? POLICY_DENY : POLICY_ALLOW, target, network, origin);
	if (!deny && vlans)
		rule->vlans = g_memdup2(vlans, sizeof(*vlans));
	for (it = items; *it; it++) {
		char *name = g_strstrip(*it);
		g_autofree char *q = tg_quote(name);
		guint32 id;
		int r;

		if (!*name)
			continue;
		if (!strcmp(name, "*")) {
			rule->everyone = TRUE;
			continue;
		}
		r = resolve_id(sec->env, group, name, &id);
		if (r == -EINVAL) {
			g_set_error(error, TG_ERROR, EINVAL, "%s: '%s' is not a valid %s id",
				    origin, q, group ? "group" : "user");
			return r;
		}
		if (r < 0 && deny) {
			/* Fail closed: a deny we cannot resolve must not turn into an allow. */
			g_set_error(error, TG_ERROR, ENOENT, "%s: unknown %s '%s' in '%s'",
				    origin, group ? "group" : "user", q, key);
			return r;
		}
		if (r < 0) {
			g_ptr_array_add(policy->warnings,
					g_strdup_printf("%s: unknown %s '%s' ignored", origin,
							group ? "group" : "user", q));
			continue;
		}
		if (group)
			g_array_append_val(rule->gids, id);
		else
			g_array_append_val(rule->uids, id);
	}
	return 0;
}

static int unknown_key(const Section *sec, const char *key, const char *known, GError **error)
{
	g_autofree char *q = tg_quote(key);
	g_autofree char *qs = tg_quote(sec->section);

	return key_error(sec, key, error, "unknown key '%s' in [%s] (known: %s)", q, qs, known);
}

static int parse_rules(Policy *policy, const Section *sec, char **keys, const char *target,
		       gboolean network, const VlanSet *vlans, GError **error)
{
	for (char **k = keys; k && *k; k++)
		if (is_rule_key(*k) &&
		    parse_subjects(policy, sec, target, network, vlans, *k, error) < 0)
			return -EINVAL;
	return 0;
}

#define BRIDGE_KEYS "allow-users, allow-groups, deny-users, deny-groups, allow-vlans, " \
		    "managed, keep-default-vlan, max-ports-per-user, max-ports-per-group, " \
		    "max-ports, max-queues, allow-vhost"

static int parse_bridge_section(Policy *policy, const Section *sec, const char *bridge,
				GError **error)
{
	g_auto(GStrv) keys = g_key_file_get_keys(sec->kf, sec->section, NULL, NULL);
	PolicyBridge *b = g_new0(PolicyBridge, 1);
	g_autofree VlanSet *vlans = NULL;
	int r = 0;

	b->name = g_strdup(bridge ? bridge : "*");
	b->origin = g_strdup_printf("%s:%d", sec->ix->path, index_line(sec->ix, sec->section, NULL));
	g_ptr_array_add(policy->bridges, b);
	for (char **k = keys; k && *k && r == 0; k++) {
		if (is_rule_key(*k))
			continue;
		if (!strcmp(*k, "allow-vlans")) {
			vlans = g_new0(VlanSet, 1);
			r = key_vlans(sec, *k, vlans, error);
		} else if (!g_strv_contains((const char *const[]){ "managed", "keep-default-vlan",
								"max-ports-per-user",
								"max-ports-per-group",
								"max-ports", "max-queues",
								"allow-vhost", NULL }, *k)) {
			r = unknown_key(sec, *k, BRIDGE_KEYS, error);
		} else if (!bridge) {
			/* Per-bridge settings on every bridge at once would be a trap. */
			r = key_error(sec, *k, error, "'%s' is not allowed in [bridge *]", *k);
		} else if (!strcmp(*k, "managed")) {
			r = key_bool(sec, *k, &b->managed, error);
		} else if (!strcmp(*k, "keep-default-vlan")) {
			r = key_bool(sec, *k, &b->keep_default_vlan, error);
		} else if (is_queue_key(*k)) {
			r = key_queues(sec, *k, &b->queues, error);
		} else {
			r = key_quota(sec, *k, &b->quota, error);
		}
	}
	if (r < 0)
		return r;
	return parse_rules(policy, sec, keys, bridge, FALSE, vlans, error);
}

#define NETWORK_KEYS "bridge, uplink, vlan, trunk, native, keep-default-vlan, vxlan-vni, " \
		     "vxlan-local, vxlan-peers, vxlan-control, vxlan-port, allow-users, " \
		     "allow-groups, deny-users, deny-groups, max-ports-per-user, " \
		     "max-ports-per-group, max-ports, max-queues, allow-vhost"

static int network_check(const Section *sec, PolicyNetwork *n, gboolean has_vlan,
			 gboolean has_trunk, gboolean has_native, GError **error)
{
	const char *name = n->name;

	if (!n->bridge && !n->uplink)
		return key_error(sec, NULL, error, "network '%s' needs 'bridge =' or 'uplink ='", name);
	if (has_vlan && has_trunk)
		return key_error(sec, NULL, error, "network '%s': 'vlan' and 'trunk' exclude each other",
				 name);
	/* A VXLAN segment may be the whole network: plain ports of its bridge. */
	if (!has_vlan && !has_trunk && !n->vxlan.vni)
		return key_error(sec, NULL, error, "network '%s' needs 'vlan =', 'trunk =' or "
				 "'vxlan-vni ='", name);
	if (has_native && !has_trunk)
		return key_error(sec, NULL, error, "network '%s': 'native' needs 'trunk'", name);
	if (n->uplink && has_trunk)
		return key_error(sec, NULL, error,
				 "network '%s': an uplink network carries one VLAN: use 'vlan =', "
				 "not 'trunk ='", name);
	if (n->uplink) {
		/* Sub-interface mode: ports are plain ports of a per-VLAN bridge. */
		n->uplink_vid = n->vlan.vid;
		memset(&n->vlan, 0, sizeof(n->vlan));
		if (!n->bridge) {
			n->bridge = g_strdup_printf("br%u-%s", n->uplink_vid, n->uplink);
			if (strlen(n->bridge) >= IFNAMSIZ)
				return key_error(sec, NULL, error,
						 "network '%s': the bridge name '%s' would be too long; "
						 "name it with 'bridge ='", name, n->bridge);
		}
		{
			g_autofree char *sub = g_strdup_printf("%s.%u", n->uplink, n->uplink_vid);

			if (strlen(sub) >= IFNAMSIZ)
				return key_error(sec, NULL, error,
						 "network '%s': the sub-interface name '%s' would be "
						 "too long", name, sub);
		}
	}
	return 0;
}

static int vxlan_check(const Section *sec, PolicyNetwork *n, gboolean has_trunk,
		       GError **error)
{
	VxlanConfig *vx = &n->vxlan;
	char a[TG_ADDR_STRLEN];

	if (!vx->vni)
		return key_error(sec, NULL, error, "network '%s': the vxlan-* keys need 'vxlan-vni ='",
				 n->name);
	if (!vx->local.family)
		return key_error(sec, NULL, error, "network '%s': 'vxlan-vni' needs 'vxlan-local =' "
				 "(this host's tunnel address)", n->name);
	if (has_trunk)
		return key_error(sec, NULL, error, "network '%s': a VXLAN network carries one VLAN: "
				 "use 'vlan =', not 'trunk ='", n->name);
	if (vx->evpn && vx->n_peers)
		return key_error(sec, NULL, error, "network '%s': 'vxlan-peers' is for static mode; "
				 "with 'vxlan-control = evpn' BGP finds the peers", n->name);
	for (unsigned int i = 0; i < vx->n_peers; i++) {
		if (vx->peers[i].family != vx->local.family)
			return key_error(sec, NULL, error, "network '%s': peer %s is not of the "
					 "family of vxlan-local", n->name,
					 tg_addr_format(&vx->peers[i], a));
		if (tg_addr_equal(&vx->peers[i], &vx->local))
			return key_error(sec, NULL, error, "network '%s': peer %s is vxlan-local "
					 "itself", n->name, tg_addr_format(&vx->peers[i], a));
	}
	if (!vx->port)
		vx->port = VXLAN_DEFAULT_PORT;
	return 0;
}

static int parse_network_section(Policy *policy, const Section *sec, const char *name,
				 GError **error)
{
	g_auto(GStrv) keys = g_key_file_get_keys(sec->kf, sec->section, NULL, NULL);
	PolicyNetwork *n = g_new0(PolicyNetwork, 1);
	gboolean has_vlan = FALSE, has_trunk = FALSE, has_native = FALSE, has_vxlan_key = FALSE;
	int r = 0;

	n->name = g_strdup(name);
	n->origin = g_strdup_printf("%s:%d", sec->ix->path, index_line(sec->ix, sec->section, NULL));
	g_ptr_array_add(policy->networks, n);
	for (char **k = keys; k && *k && r == 0; k++) {
		if (is_rule_key(*k))
			continue;
		if (!strcmp(*k, "bridge")) {
			r = key_ifname(sec, *k, &n->bridge, error);
		} else if (!strcmp(*k, "uplink")) {
			r = key_ifname(sec, *k, &n->uplink, error);
		} else if (!strcmp(*k, "vlan")) {
			n->vlan.mode = PORT_ACCESS;
			has_vlan = TRUE;
			r = key_vid(sec, *k, &n->vlan.vid, error);
		} else if (!strcmp(*k, "trunk")) {
			has_trunk = TRUE;
			r = key_vlans(sec, *k, &n->vlan.trunk, error);
		} else if (!strcmp(*k, "native")) {
			has_native = TRUE;
			r = key_vid(sec, *k, &n->vlan.vid, error);
		} else if (!strcmp(*k, "keep-default-vlan")) {
			r = key_bool(sec, *k, &n->vlan.keep_default_vlan, error);
		} else if (is_quota_key(*k)) {
			r = key_quota(sec, *k, &n->quota, error);
		} else if (is_queue_key(*k)) {
			r = key_queues(sec, *k, &n->queues, error);
		} else if (is_vxlan_key(*k)) {
			has_vxlan_key = TRUE;
			r = key_vxlan(sec, *k, &n->vxlan, error);
		} else {
			r = unknown_key(sec, *k, NETWORK_KEYS, error);
		}
	}
	if (r < 0)
		return r;
	if (has_trunk) {
		n->vlan.mode = PORT_TRUNK;
		if (has_native)
			vlan_set_add(&n->vlan.trunk, n->vlan.vid);
	}
	r = network_check(sec, n, has_vlan, has_trunk, has_native, error);
	if (r == 0 && has_vxlan_key)
		r = vxlan_check(sec, n, has_trunk, error);
	if (r < 0)
		return r;
	return parse_rules(policy, sec, keys, name, TRUE, NULL, error);
}

#define TAP_KEYS "user, group, network, bridge, vlan, mac, mtu, multi-queue"

/* The owner of a persistent tap. An unknown name sets @unknown (the first
 * one) and is no error: the tap is left out, as an unknown name of an allow
 * list matches nobody, and the rest of the policy stands. */
static int key_owner(const Section *sec, const char *key, guint32 *id, char **unknown,
		     GError **error)
{
	g_autofree char *v = NULL;
	g_autofree char *q = NULL;
	int r;

	if (key_string(sec, key, &v, error) < 0)
		return -EINVAL;
	g_strstrip(v);
	q = tg_quote(v);
	r = resolve_id(sec->env, !strcmp(key, "group"), v, id);
	if (r == -EINVAL)
		return key_error(sec, key, error, "'%s' is not a valid %s id", q, key);
	if (r < 0 && !*unknown) {
		g_autofree char *origin = key_origin(sec, key);

		*unknown = g_strdup_printf("%s: tap '%s': unknown %s '%s': the tap is left out",
					   origin, sec->section + strlen("tap "), key, q);
	}
	return 0;
}

static int key_mtu(const Section *sec, const char *key, unsigned int *out, GError **error)
{
	g_autofree char *v = NULL;
	guint64 n;

	if (key_string(sec, key, &v, error) < 0)
		return -EINVAL;
	/* 68: the IPv4 minimum (RFC 791); 65521: the kernel's largest for a tap */
	if (tg_parse_uint(g_strstrip(v), 65521, &n) < 0 || n < 68)
		return key_error(sec, key, error, "mtu must be a number from 68 to 65521");
	*out = (unsigned int)n;
	return 0;
}

static int key_tap_mac(const Section *sec, const char *key, uint8_t mac[6], GError **error)
{
	g_autofree char *v = NULL;

	if (key_string(sec, key, &v, error) < 0)
		return -EINVAL;
	g_strstrip(v);
	if (mac_parse(v, mac) < 0 || (mac[0] & 1) || !memcmp(mac, "\0\0\0\0\0\0", 6))
		return key_error(sec, key, error, "mac: '%s' is not a unicast MAC address "
				 "(such as fe:54:00:12:34:56)", v);
	return 0;
}

/* Names the helper gives its taps ("tg1000-3f2a", "tgx0a1b2c3d") and the
 * prefixes libvirt owns are not for persistent taps. */
static gboolean tap_name_reserved(const char *name)
{
	static const char *const libvirt[] = { "vnet", "macvtap", "macvlan", NULL };

	for (const char *const *p = libvirt; *p; p++)
		if (g_str_has_prefix(name, *p))
			return TRUE;
	return g_str_has_prefix(name, "tg") && (g_ascii_isdigit(name[2]) || name[2] == 'x');
}

static int parse_tap_section(Policy *policy, const Section *sec, const char *name,
			     GError **error)
{
	g_auto(GStrv) keys = g_key_file_get_keys(sec->kf, sec->section, NULL, NULL);
	PolicyTap *t = g_new0(PolicyTap, 1);
	g_autofree char *unknown = NULL;
	gboolean has_vlan = FALSE;
	int r = 0;

	t->name = g_strdup(name);
	t->origin = g_strdup_printf("%s:%d", sec->ix->path, index_line(sec->ix, sec->section, NULL));
	g_ptr_array_add(policy->taps, t);
	if (tap_name_reserved(name))
		return key_error(sec, NULL, error, "tap '%s': names starting with vnet, macvtap, "
				 "macvlan (libvirt's) or tg and a digit or x (the helper's) are "
				 "taken", name);
	for (char **k = keys; k && *k && r == 0; k++) {
		if (!strcmp(*k, "user")) {
			t->has_user = TRUE;
			r = key_owner(sec, *k, &t->user, &unknown, error);
		} else if (!strcmp(*k, "group")) {
			t->has_group = TRUE;
			r = key_owner(sec, *k, &t->group, &unknown, error);
		} else if (!strcmp(*k, "network")) {
			r = key_ifname(sec, *k, &t->network, error);
		} else if (!strcmp(*k, "bridge")) {
			r = key_ifname(sec, *k, &t->bridge, error);
		} else if (!strcmp(*k, "vlan")) {
			has_vlan = TRUE;
			r = key_vid(sec, *k, &t->vid, error);
		} else if (!strcmp(*k, "mac")) {
			t->has_mac = TRUE;
			r = key_tap_mac(sec, *k, t->mac, error);
		} else if (!strcmp(*k, "mtu")) {
			r = key_mtu(sec, *k, &t->mtu, error);
		} else if (!strcmp(*k, "multi-queue")) {
			r = key_bool(sec, *k, &t->multi_queue, error);
		} else {
			r = unknown_key(sec, *k, TAP_KEYS, error);
		}
	}
	if (r < 0)
		return r;
	if (!t->has_user && !t->has_group)
		return key_error(sec, NULL, error, "tap '%s' needs 'user =' or 'group =' (a tap "
				 "without an owner can be opened by anyone)", name);
	if (!!t->network == !!t->bridge)
		return key_error(sec, NULL, error, "tap '%s' needs one of 'network =' and "
				 "'bridge ='", name);
	if (has_vlan && t->network)
		return key_error(sec, NULL, error, "tap '%s': 'vlan' is for 'bridge ='; a network "
				 "sets its own VLANs", name);
	if (unknown) {
		g_ptr_array_add(policy->warnings, g_steal_pointer(&unknown));
		g_ptr_array_remove(policy->taps, t);
	}
	return 0;
}

static int parse_global_section(Policy *policy, const Section *sec, const char *acl_path,
				GError **error)
{
	g_auto(GStrv) keys = g_key_file_get_keys(sec->kf, sec->section, NULL, NULL);

	for (char **k = keys; k && *k; k++) {
		g_autoptr(GError) err = NULL;
		g_autofree char *text = NULL;
		g_autofree char *origin = key_origin(sec, *k);
		g_autofree char *v = NULL;
		gsize len = 0;
		gboolean on, if_exists;
		int r;

		if (strcmp(*k, "include-qemu-acl"))
			return unknown_key(sec, *k, "include-qemu-acl", error);
		/* "if-exists" lets a packaged default keep an existing
		 * bridge.conf working without failing where there is none. */
		if (key_string(sec, *k, &v, error) < 0)
			return -EINVAL;
		g_strstrip(v);
		if_exists = !strcmp(v, "if-exists");
		on = if_exists || !strcmp(v, "true") || !strcmp(v, "1");
		if (!on && strcmp(v, "false") && strcmp(v, "0"))
			return key_error(sec, *k, error,
					 "include-qemu-acl must be true, false or if-exists");
		if (!on)
			continue;
		r = sec->env->read(acl_path, &text, &len, &err);
		if (r == -ENOENT && if_exists)
			continue;
		if (r < 0) {
			g_set_error(error, TG_ERROR, -r, "%s: cannot include the QEMU ACL: %s",
				    origin, err ? err->message : tg_strerror(-r));
			return r;
		}
		r = policy_parse_acl(policy, sec->env, acl_path, text, len, 1, error);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A section name such as "bridge br0": its kind's argument, checked. */
static int section_arg(const Section *sec, const char *prefix, gboolean wildcard,
		       char **arg, GError **error)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *v = g_strstrip(g_strdup(sec->section + strlen(prefix)));
	const char *what = wildcard ? "bridge name" :
			   g_str_has_prefix(sec->section, "tap ") ? "tap name" : "network name";

	if (wildcard && !strcmp(v, "*")) {
		*arg = NULL;
		return 0;
	}
	if (ifname_validate(v, what, &err) < 0)
		return key_error(sec, NULL, error, "%s", err->message);
	*arg = g_steal_pointer(&v);
	return 0;
}

/* Whether two networks, one of them over VXLAN, would be one segment. */
static gboolean vxlan_shares_segment(const PolicyNetwork *n, const PolicyNetwork *m)
{
	if ((!n->vxlan.vni && !m->vxlan.vni) || strcmp(n->bridge, m->bridge))
		return FALSE;
	/* a VXLAN network without VLAN has the bridge to itself */
	if ((n->vxlan.vni && n->vlan.mode == PORT_PLAIN && !n->uplink) ||
	    (m->vxlan.vni && m->vlan.mode == PORT_PLAIN && !m->uplink))
		return TRUE;
	return n->vlan.mode == PORT_ACCESS && m->vlan.mode == PORT_ACCESS &&
	       n->vlan.vid == m->vlan.vid;
}

/* Whether some [bridge] or [network] uses @name for a link of its own. */
static const char *link_user(const Policy *policy, const char *name)
{
	if (policy_find_bridge(policy, name))
		return "bridge";
	for (guint i = 0; i < policy->networks->len; i++) {
		const PolicyNetwork *n = g_ptr_array_index(policy->networks, i);

		if (!strcmp(n->name, name))
			return "network";
		if (!strcmp(n->bridge, name) || (n->uplink && !strcmp(n->uplink, name)))
			return "network's bridge or uplink";
	}
	return NULL;
}

/* A [tap]'s network exists, and its name is no other link's. */
static int check_taps(const Policy *policy, GError **error)
{
	for (guint i = 0; i < policy->taps->len; i++) {
		const PolicyTap *t = g_ptr_array_index(policy->taps, i);
		const char *other = link_user(policy, t->name);

		if (other) {
			g_set_error(error, TG_ERROR, EINVAL, "%s: tap '%s' has the name of a %s",
				    t->origin, t->name, other);
			return -EINVAL;
		}
		if (t->network && !policy_find_network(policy, t->network)) {
			g_set_error(error, TG_ERROR, EINVAL, "%s: tap '%s': no [network %s] is "
				    "declared", t->origin, t->name, t->network);
			return -EINVAL;
		}
		if (t->bridge && policy_find_tap(policy, t->bridge)) {
			g_set_error(error, TG_ERROR, EINVAL, "%s: tap '%s': '%s' is a tap, not a "
				    "bridge", t->origin, t->name, t->bridge);
			return -EINVAL;
		}
	}
	return 0;
}

/* Names are unique across [bridge] and [network]: one name, one meaning. */
static int check_names(Policy *policy, const char *path, GError **error)
{
	for (guint i = 0; i < policy->networks->len; i++) {
		const PolicyNetwork *n = g_ptr_array_index(policy->networks, i);
		const PolicyBridge *b = policy_find_bridge(policy, n->name);

		if (b) {
			g_set_error(error, TG_ERROR, EINVAL,
				    "%s: [network %s] has the name of [bridge %s] at %s",
				    n->origin, n->name, n->name, b->origin);
			return -EINVAL;
		}
		b = n->vxlan.vni && n->vlan.mode == PORT_PLAIN && !n->uplink ?
		    policy_find_bridge(policy, n->bridge) : NULL;
		if (b) {
			g_set_error(error, TG_ERROR, EINVAL,
				    "%s: network '%s' needs bridge '%s' to itself (a VXLAN network "
				    "without a VLAN), but [bridge %s] at %s lets others use it",
				    n->origin, n->name, n->bridge, n->bridge, b->origin);
			return -EINVAL;
		}
		for (guint j = 0; j < i; j++) {
			const PolicyNetwork *m = g_ptr_array_index(policy->networks, j);

			if (m->uplink && n->uplink && !strcmp(m->bridge, n->bridge)) {
				g_set_error(error, TG_ERROR, EINVAL,
					    "%s: network '%s' uses bridge '%s', which network "
					    "'%s' already makes", n->origin, n->name, n->bridge,
					    m->name);
				return -EINVAL;
			}
			/* A VXLAN network without a VLAN is its bridge's whole segment;
			 * two with one VLAN on one bridge would merge. */
			if (vxlan_shares_segment(n, m)) {
				g_set_error(error, TG_ERROR, EINVAL,
					    "%s: network '%s' would share its segment with network "
					    "'%s' (bridge '%s'%s): a VXLAN network needs a bridge, "
					    "or a VLAN of one, to itself", n->origin, n->name,
					    m->name, n->bridge, n->vlan.mode == PORT_PLAIN ? "" :
					    ", the same VLAN");
				return -EINVAL;
			}
			/* One VXLAN device per VNI, in one place. */
			if (n->vxlan.vni && n->vxlan.vni == m->vxlan.vni) {
				g_set_error(error, TG_ERROR, EINVAL,
					    "%s: network '%s' uses VNI %u, which network '%s' "
					    "already carries", n->origin, n->name, n->vxlan.vni,
					    m->name);
				return -EINVAL;
			}
		}
	}
	(void)path;
	return check_taps(policy, error);
}

/**
 * policy_parse_keyfile() - add the rules, bridges and networks of a tapgate
 * policy file
 * @policy:	policy to extend
 * @env:	file reader (for include-qemu-acl) and user/group lookups
 * @path:	name of the file, for messages
 * @text:	its contents
 * @len:	length of @text
 * @acl_path:	the QEMU ACL that "include-qemu-acl = true" reads
 * @error:	set to "FILE:LINE: what is wrong" on failure
 *
 * Unknown sections and keys are errors, so a typo never silently weakens the
 * policy. Unknown user or group names in allow lists are warnings (they can
 * match nobody); in deny lists they are errors.
 *
 * Return: 0 or -errno
 */
int policy_parse_keyfile(Policy *policy, const PolicyEnv *env, const char *path,
			 const char *text, gsize len, const char *acl_path, GError **error)
{
	g_auto(Index) ix = { .path = path };
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) err = NULL;
	g_auto(GStrv) groups = NULL;
	char **g;
	int r;

	g_ptr_array_add(policy->sources, g_strdup(path));
	r = index_build(&ix, text, len, error);
	if (r < 0)
		return r;
	if (!g_key_file_load_from_data(kf, ix.clean->str, ix.clean->len, G_KEY_FILE_NONE, &err)) {
		g_set_error(error, TG_ERROR, EINVAL, "%s: %s", path, err->message);
		return -EINVAL;
	}
	groups = g_key_file_get_groups(kf, NULL);
	for (g = groups; *g; g++) {
		Section sec = { .env = env, .ix = &ix, .kf = kf, .section = *g };
		g_autofree char *arg = NULL;

		if (!strcmp(*g, "global")) {
			r = parse_global_section(policy, &sec, acl_path, error);
		} else if (g_str_has_prefix(*g, "bridge ")) {
			r = section_arg(&sec, "bridge ", TRUE, &arg, error);
			if (r == 0)
				r = parse_bridge_section(policy, &sec, arg, error);
		} else if (g_str_has_prefix(*g, "network ")) {
			r = section_arg(&sec, "network ", FALSE, &arg, error);
			if (r == 0)
				r = parse_network_section(policy, &sec, arg, error);
		} else if (g_str_has_prefix(*g, "tap ")) {
			r = section_arg(&sec, "tap ", FALSE, &arg, error);
			if (r == 0)
				r = parse_tap_section(policy, &sec, arg, error);
		} else {
			g_autofree char *q = tg_quote(*g);

			g_set_error(error, TG_ERROR, EINVAL,
				    "%s:%d: unknown section [%s] (known: [global], [bridge NAME], "
				    "[network NAME], [tap NAME])", path, index_line(&ix, *g, NULL), q);
			return -EINVAL;
		}
		if (r < 0)
			return r;
	}
	return check_names(policy, path, error);
}
