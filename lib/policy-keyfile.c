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
 *
 * GKeyFile knows no line numbers and no trailing comments, so a first pass
 * indexes every section and key by line, rejects malformed lines with
 * FILE:LINE, and strips " # comment" tails before GKeyFile sees the text.
 */
#include <stdlib.h>
#include <string.h>

#include "ifname.h"
#include "policy.h"
#include "tg-util.h"

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
	char *end = NULL;
	guint64 v;

	if (g_ascii_isdigit(name[0])) {
		v = g_ascii_strtoull(name, &end, 10);
		if (*end || v >= G_MAXUINT32)
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

static int parse_subjects(Policy *policy, const PolicyEnv *env, Index *ix, GKeyFile *kf,
			  const char *section, const char *bridge, const char *key,
			  GError **error)
{
	gboolean deny = g_str_has_prefix(key, "deny-");
	gboolean group = g_str_has_suffix(key, "-groups");
	g_autofree char *origin = g_strdup_printf("%s:%d", ix->path,
						  index_line(ix, section, key));
	g_autoptr(GError) err = NULL;
	g_autofree char *value = g_key_file_get_string(kf, section, key, &err);
	g_auto(GStrv) items = NULL;
	PolicyRule *rule;
	char **it;

	/* A value GKeyFile cannot unescape must not be read as a shorter list
	 * (glib 2.74 returns a truncated string *and* sets the error). */
	if (err || !value) {
		g_set_error(error, TG_ERROR, EINVAL, "%s: invalid value for '%s'", origin, key);
		return -EINVAL;
	}
	items = g_strsplit_set(value, ";,", -1);
	rule = policy_add_rule(policy, deny ? POLICY_DENY : POLICY_ALLOW, bridge, origin);

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
		r = resolve_id(env, group, name, &id);
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

static int parse_bridge_section(Policy *policy, const PolicyEnv *env, Index *ix,
				GKeyFile *kf, const char *section, const char *bridge,
				GError **error)
{
	static const char *const known[] = { "allow-users", "allow-groups", "deny-users",
					     "deny-groups", NULL };
	g_auto(GStrv) keys = g_key_file_get_keys(kf, section, NULL, NULL);
	char **k;
	int r;

	for (k = keys; k && *k; k++) {
		if (!g_strv_contains(known, *k)) {
			g_autofree char *q = tg_quote(*k);

			g_set_error(error, TG_ERROR, EINVAL,
				    "%s:%d: unknown key '%s' in [%s] (known: allow-users, "
				    "allow-groups, deny-users, deny-groups)",
				    ix->path, index_line(ix, section, *k), q, section);
			return -EINVAL;
		}
		r = parse_subjects(policy, env, ix, kf, section, bridge, *k, error);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_global_section(Policy *policy, const PolicyEnv *env, Index *ix,
				GKeyFile *kf, const char *acl_path, GError **error)
{
	g_auto(GStrv) keys = g_key_file_get_keys(kf, "global", NULL, NULL);
	char **k;

	for (k = keys; k && *k; k++) {
		int line = index_line(ix, "global", *k);
		g_autoptr(GError) err = NULL;
		g_autofree char *text = NULL;
		gsize len = 0;
		gboolean on;
		int r;

		if (strcmp(*k, "include-qemu-acl")) {
			g_autofree char *q = tg_quote(*k);

			g_set_error(error, TG_ERROR, EINVAL,
				    "%s:%d: unknown key '%s' in [global] (known: include-qemu-acl)",
				    ix->path, line, q);
			return -EINVAL;
		}
		on = g_key_file_get_boolean(kf, "global", *k, &err);
		if (err) {
			g_set_error(error, TG_ERROR, EINVAL,
				    "%s:%d: include-qemu-acl must be true or false", ix->path, line);
			return -EINVAL;
		}
		if (!on)
			continue;
		r = env->read(acl_path, &text, &len, &err);
		if (r < 0) {
			g_set_error(error, TG_ERROR, -r, "%s:%d: cannot include the QEMU ACL: %s",
				    ix->path, line, err ? err->message : g_strerror(-r));
			return r;
		}
		r = policy_parse_acl(policy, env, acl_path, text, len, 1, error);
		if (r < 0)
			return r;
	}
	return 0;
}

/**
 * policy_parse_keyfile() - add the rules of a tapgate policy file
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
		int line = index_line(&ix, *g, NULL);
		g_autoptr(GError) nerr = NULL;
		g_autofree char *bridge = NULL;

		if (!strcmp(*g, "global")) {
			r = parse_global_section(policy, env, &ix, kf, acl_path, error);
		} else if (g_str_has_prefix(*g, "bridge ")) {
			bridge = g_strstrip(g_strdup(*g + strlen("bridge ")));
			if (strcmp(bridge, "*") &&
			    ifname_validate(bridge, "bridge name", &nerr) < 0) {
				g_set_error(error, TG_ERROR, EINVAL, "%s:%d: %s", path, line,
					    nerr->message);
				return -EINVAL;
			}
			r = parse_bridge_section(policy, env, &ix, kf, *g,
						 strcmp(bridge, "*") ? bridge : NULL, error);
		} else {
			g_autofree char *q = tg_quote(*g);

			g_set_error(error, TG_ERROR, EINVAL,
				    "%s:%d: unknown section [%s] (known: [global], [bridge NAME])",
				    path, line, q);
			return -EINVAL;
		}
		if (r < 0)
			return r;
	}
	return 0;
}
