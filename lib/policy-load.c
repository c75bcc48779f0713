/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Finding and loading the policy that the helper enforces. */
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>

#include "policy.h"
#include "secfile.h"
#include "tg-util.h"

static int lookup_user(const char *name, uid_t *uid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || !res)
		return -ENOENT;
	*uid = res->pw_uid;
	return 0;
}

static int lookup_group(const char *name, gid_t *gid)
{
	struct group gr, *res = NULL;
	g_autofree char *buf = g_malloc(65536);	/* groups can list many members */

	if (getgrnam_r(name, &gr, buf, 65536, &res) != 0 || !res)
		return -ENOENT;
	*gid = res->gr_gid;
	return 0;
}

/* The real system: root-owned files only, and the passwd/group databases. */
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
