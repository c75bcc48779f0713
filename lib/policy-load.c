/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Finding and loading the policy that the helper enforces. */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#include "policy.h"
#include "secfile.h"
#include "tg-util.h"

/*
 * Names are looked up in /etc/passwd and /etc/group themselves, never
 * through NSS: the setuid helper is linked statically and loads no code at
 * run time, and an NSS module (sss, ldap, systemd) is code. Every tool uses
 * the same lookups, so 'tapgate explain' decides as the helper does; 'tapgate
 * check' names the users and groups only a directory service knows.
 */
static FILE *open_db(const char *path, char **text)
{
	gsize len = 0;

	if (secfile_read(path, text, &len, NULL) < 0)
		return NULL;
	return fmemopen(*text, len, "r");
}

/* Grow the buffer and read the same entry again: glibc rewinds on ERANGE. */
#define DB_BUF_MIN 4096
#define DB_BUF_MAX (16 << 20)

static int lookup_user(const char *name, uid_t *uid)
{
	g_autofree char *text = NULL, *buf = NULL;
	FILE *f = open_db(TG_PASSWD_PATH, &text);
	struct passwd pw, *res = NULL;
	gsize size = DB_BUF_MIN;
	int r = -ENOENT, e;

	if (!f)
		return -ENOENT;
	buf = g_malloc(size);
	/* fgetpwent_r() only parses: 0, ENOENT at the end, ERANGE */
	while ((e = fgetpwent_r(f, &pw, buf, size, &res)) == 0 ||
	       (e == ERANGE && size < DB_BUF_MAX)) {
		if (e == ERANGE) {
			buf = g_realloc(buf, size *= 2);
			continue;
		}
		if (!strcmp(res->pw_name, name)) {
			*uid = res->pw_uid;
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

static int lookup_group(const char *name, gid_t *gid)
{
	g_autofree char *text = NULL, *buf = NULL;
	FILE *f = open_db(TG_GROUP_PATH, &text);
	struct group gr, *res = NULL;
	gsize size = DB_BUF_MIN;
	int r = -ENOENT, e;

	if (!f)
		return -ENOENT;
	buf = g_malloc(size);
	/* a group with thousands of members needs a large buffer */
	while ((e = fgetgrent_r(f, &gr, buf, size, &res)) == 0 ||
	       (e == ERANGE && size < DB_BUF_MAX)) {
		if (e == ERANGE) {
			buf = g_realloc(buf, size *= 2);
			continue;
		}
		if (!strcmp(res->gr_name, name)) {
			*gid = res->gr_gid;
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

/* The real system: root-owned files only, names from /etc/passwd and /etc/group. */
const PolicyEnv policy_env_system = {
	.read = secfile_read,
	.lookup_user = lookup_user,
	.lookup_group = lookup_group,
};

/**
 * policy_load() - load the policy in force
 * @policy:	set to the loaded policy on success
 * @env:	file reader and name lookups (policy_env_system in production)
 * @policy_path:	tapgate's policy file
 * @acl_path:	QEMU's bridge.conf, used when @policy_path does not exist
 * @error:	set on failure
 *
 * No file at all is not an error: the result is an empty policy, which
 * denies everything, with a warning saying so.
 *
 * Return: 0 or -errno; on failure *@policy is untouched
 */
int policy_load(Policy **policy, const PolicyEnv *env, const char *policy_path,
		const char *acl_path, GError **error)
{
	g_autoptr(Policy) p = policy_new();
	g_autoptr(GError) err = NULL;
	g_autofree char *text = NULL;
	gsize len = 0;
	int r;

	r = env->read(policy_path, &text, &len, &err);
	if (r == 0) {
		r = policy_parse_keyfile(p, env, policy_path, text, len, acl_path, error);
	} else if (r == -ENOENT) {
		g_clear_error(&err);
		r = env->read(acl_path, &text, &len, &err);
		if (r == 0) {
			r = policy_parse_acl(p, env, acl_path, text, len, 0, error);
		} else if (r == -ENOENT) {
			g_ptr_array_add(p->warnings,
					g_strdup_printf("neither %s nor %s exists: everything is denied",
							policy_path, acl_path));
			r = 0;
		} else {
			g_propagate_error(error, g_steal_pointer(&err));
		}
	} else {
		g_propagate_error(error, g_steal_pointer(&err));
	}
	if (r < 0)
		return r;
	*policy = g_steal_pointer(&p);
	return 0;
}
