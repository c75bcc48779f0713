/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "fake-env.h"
#include "tg-util.h"

static GHashTable *files;

/** fake_fs_reset() - forget every file */
void fake_fs_reset(void)
{
	if (!files)
		files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_hash_table_remove_all(files);
}

/** fake_fs_add() - add or replace a file */
void fake_fs_add(const char *path, const char *text)
{
	if (!files)
		fake_fs_reset();
	g_hash_table_insert(files, g_strdup(path), g_strdup(text));
}

static int fake_read(const char *path, char **contents, gsize *len, GError **error)
{
	const char *text = files ? g_hash_table_lookup(files, path) : NULL;

	if (!text) {
		g_set_error(error, TG_ERROR, ENOENT, "%s: %s", path, g_strerror(ENOENT));
		return -ENOENT;
	}
	*contents = g_strdup(text);
	*len = strlen(text);
	return 0;
}

static const struct {
	const char *name;
	guint32 id;
} users[] = { { "root", 0 }, { "alice", 1000 }, { "bob", 1001 }, { "mallory", 1002 } },
  groups[] = { { "root", 0 }, { "kvm", 100 }, { "lab", 200 } };

static int fake_user(const char *name, uid_t *uid)
{
	for (size_t i = 0; i < G_N_ELEMENTS(users); i++)
		if (!strcmp(users[i].name, name)) {
			*uid = users[i].id;
			return 0;
		}
	return -ENOENT;
}

static int fake_group(const char *name, gid_t *gid)
{
	for (size_t i = 0; i < G_N_ELEMENTS(groups); i++)
		if (!strcmp(groups[i].name, name)) {
			*gid = groups[i].id;
			return 0;
		}
	return -ENOENT;
}

const PolicyEnv fake_env = {
	.read = fake_read,
	.lookup_user = fake_user,
	.lookup_group = fake_group,
};
