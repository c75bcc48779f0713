/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QEMU's /etc/qemu/bridge.conf format, as qemu-bridge-helper reads it:
 *
 *	# comment
 *	allow br0	allow everyone on br0 ("all": every bridge)
 *	deny all	deny beats allow, whatever the order
 *	include /etc/qemu/alice.conf
 *
 * Two deliberate differences: errors name FILE:LINE, and an include that
 * cannot be read is an error (QEMU silently skips it, which hides typos).
 */
#include <string.h>

#include "ifname.h"
#include "policy.h"
#include "tg-util.h"

/* Relative includes are resolved against the including file, never the cwd. */
static char *include_path(const char *from, const char *arg)
{
	g_autofree char *dir = NULL;

	if (g_path_is_absolute(arg))
		return g_strdup(arg);
	dir = g_path_get_dirname(from);
	return g_build_filename(dir, arg, NULL);
}

static int acl_include(Policy *policy, const PolicyEnv *env, const char *origin,
		       const char *path, int depth, GError **error)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *text = NULL;
	gsize len = 0;
	int r;

	if (depth >= POLICY_MAX_INCLUDE_DEPTH) {
		g_set_error(error, TG_ERROR, ELOOP,
			    "%s: includes nested more than %d deep (a loop?)", origin,
			    POLICY_MAX_INCLUDE_DEPTH);
		return -ELOOP;
	}
	r = env->read(path, &text, &len, &err);
	if (r < 0) {
		g_set_error(error, TG_ERROR, -r, "%s: cannot include: %s", origin,
			    err ? err->message : tg_strerror(-r));
		return r;
	}
	return policy_parse_acl(policy, env, path, text, len, depth + 1, error);
}

static int acl_line(Policy *policy, const PolicyEnv *env, const char *path, int lineno,
		    char *line, int depth, GError **error)
{
	g_autofree char *origin = g_strdup_printf("%s:%d", path, lineno);
	g_autoptr(GError) err = NULL;
	char *cmd, *arg;
	PolicyRule *rule;

	cmd = g_strstrip(line);
	if (*cmd == '#' || *cmd == '\0')
		return 0;
	for (arg = cmd; *arg && !g_ascii_isspace(*arg); arg++)
		;
	if (*arg)
		*arg++ = '\0';
	arg = g_strstrip(arg);

	if (!strcmp(cmd, "include")) {
		g_autofree char *inc = NULL;

		if (!*arg) {
			g_set_error(error, TG_ERROR, EINVAL, "%s: 'include' needs a file name",
				    origin);
			return -EINVAL;
		}
		inc = include_path(path, arg);
		return acl_include(policy, env, origin, inc, depth, error);
	}
	if (strcmp(cmd, "allow") && strcmp(cmd, "deny")) {
		g_autofree char *q = tg_quote(cmd);

		g_set_error(error, TG_ERROR, EINVAL,
			    "%s: unknown command '%s' (expected allow, deny or include)",
			    origin, q);
		return -EINVAL;
	}
	if (!*arg) {
		g_set_error(error, TG_ERROR, EINVAL, "%s: '%s' needs a bridge name or 'all'",
			    origin, cmd);
		return -EINVAL;
	}
	if (strcmp(arg, "all") && ifname_validate(arg, "bridge name", &err) < 0) {
		g_set_error(error, TG_ERROR, err->code, "%s: %s", origin, err->message);
		return -err->code;
	}
	rule = policy_add_rule(policy, strcmp(cmd, "deny") ? POLICY_ALLOW : POLICY_DENY,
			       strcmp(arg, "all") ? arg : NULL, FALSE, origin);
	rule->everyone = TRUE;
	return 0;
}

/**
 * policy_parse_acl() - add the rules of a QEMU bridge.conf file to a policy
 * @policy:	policy to extend
 * @env:	how to read included files
 * @path:	name of the file, for messages and relative includes
 * @text:	its contents
 * @len:	length of @text
 * @depth:	include nesting of this file, 0 at the top
 * @error:	set to "FILE:LINE: what is wrong" on failure
 *
 * Return: 0 or -errno; on failure @policy may hold part of the rules and
 * must not be used
 */
int policy_parse_acl(Policy *policy, const PolicyEnv *env, const char *path,
		     const char *text, gsize len, int depth, GError **error)
{
	g_autofree char *copy = g_strndup(text, len);
	char *line = copy, *next;
	int lineno = 1, r;

	g_ptr_array_add(policy->sources, g_strdup(path));
	for (; line; line = next, lineno++) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		r = acl_line(policy, env, path, lineno, line, depth, error);
		if (r < 0)
			return r;
	}
	return 0;
}
