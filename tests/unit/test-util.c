/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small pieces: quoting, tap names, MACs, and what a trusted file is. */
#include <fcntl.h>
#include <net/if.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tabletest.h"
#include "link.h"
#include "secfile.h"
#include "tap.h"
#include "portstate.h"
#include "tg-util.h"
#include "vlan.h"

static void test_quote(void)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ "br0", "br0" },
		{ "a'b", "a\\x27b" },
		{ "x\ny", "x\\x0ay" },
		{ "\x1b[31m", "\\x1b[31m" },
		{ "caf\xc3\xa9", "caf\\xc3\\xa9" },
		{ "", "" },
		{ "0123456789012345678901234567890123456789012345678901234567890123456789",
		  "0123456789012345678901234567890123456789012345678901234567890123..." },
	};

	for (guint i = 0; i < G_N_ELEMENTS(t); i++) {
		g_autofree char *q = tg_quote(t[i].in);

		g_assert_cmpstr(q, ==, t[i].out);
	}
}

static void test_tap_names(void)
{
	static const struct {
		uid_t uid;
		unsigned int n;
		const char *name;
	} t[] = {
		{ 0, 0, "tg0-0" },
		{ 1000, 0x1a2b, "tg1000-1a2b" },
		{ 1000, 0x11a2b, "tg1000-1a2b" },	/* only the low 16 bits */
		{ 99999999, 0xffff, "tg99999999-ffff" },
	};
	char name[IFNAMSIZ];

	for (guint i = 0; i < G_N_ELEMENTS(t); i++) {
		tap_name_candidate(t[i].uid, t[i].n, name);
		g_assert_cmpstr(name, ==, t[i].name);
	}
	/* Huge uids fall back to a random name, still short and ours. */
	tap_name_candidate(4000000000u, 1, name);
	g_assert_true(g_str_has_prefix(name, "tgx"));
	g_assert_cmpuint(strlen(name), ==, 11);
}

static void test_host_mac(void)
{
	guint8 a[6], b[6];

	link_random_host_mac(a);
	link_random_host_mac(b);
	g_assert_cmphex(a[0], ==, 0xfe);
	g_assert_cmphex(b[0], ==, 0xfe);
	g_assert_true(memcmp(a, b, 6) != 0);
}

typedef struct {
	const char *name;
	mode_t mode;
	gboolean chown_user;	/* needs root to set up */
	gboolean symlink;
	gboolean directory;
	const char *error;	/* suffix of the message, or NULL */
	mode_t dir_mode;	/* of the directory holding the file, 0: 0755 */
	gboolean dir_chown_user;
	gboolean dir_symlink;	/* reach the file through a symlinked directory */
} SecfileCase;

static const SecfileCase secfile_cases[] = {
	{ "ok", 0644, FALSE, FALSE, FALSE, NULL },
	{ "ok-0600", 0600, FALSE, FALSE, FALSE, NULL },
	{ "group-writable", 0664, FALSE, FALSE, FALSE, ": writable by group or others" },
	{ "world-writable", 0646, FALSE, FALSE, FALSE, ": writable by group or others" },
	{ "owned-by-user", 0644, TRUE, FALSE, FALSE, ": not owned by root" },
	{ "symlink", 0644, FALSE, TRUE, FALSE, ": is a symbolic link" },
	{ "directory", 0755, FALSE, FALSE, TRUE, ": not a regular file" },
	{ "missing", 0, FALSE, FALSE, FALSE, ": No such file or directory" },
	{ "dir-group-writable", 0644, FALSE, FALSE, FALSE,
	  ": a directory on the way is not owned by root or is writable by others", 0775 },
	{ "dir-sticky-world-writable", 0644, FALSE, FALSE, FALSE, NULL, 01777 },
	{ "dir-owned-by-user", 0644, FALSE, FALSE, FALSE,
	  ": a directory on the way is not owned by root or is writable by others", 0755, TRUE },
	{ "dir-symlink", 0644, FALSE, FALSE, FALSE,
	  ": a directory on the way is a symbolic link or not a directory", 0755, FALSE, TRUE },
};

static void test_secfile(gconstpointer data)
{
	const SecfileCase *c = data;
	g_autofree char *top = g_dir_make_tmp("tapgate-secfile-XXXXXX", NULL);
	g_autofree char *dir = g_build_filename(top, "d", NULL);
	g_autofree char *link = g_build_filename(top, "l", NULL);
	g_autofree char *target = g_build_filename(dir, "target", NULL);
	g_autofree char *real = g_build_filename(dir, "file", NULL);
	g_autofree char *path = g_build_filename(c->dir_symlink ? link : dir, "file", NULL);
	g_autoptr(GError) err = NULL;
	g_autofree char *text = NULL;
	gsize len = 0;
	int r;

	if (geteuid() != 0) {
		g_test_skip("needs root: files must be owned by root");
		return;
	}
	g_assert_cmpint(chmod(top, 0755), ==, 0);
	g_assert_cmpint(mkdir(dir, 0755), ==, 0);
	if (c->directory)
		g_assert_cmpint(mkdir(real, c->mode), ==, 0);
	else if (c->symlink) {
		g_assert_true(g_file_set_contents(target, "x", -1, NULL));
		g_assert_cmpint(symlink(target, real), ==, 0);
	} else if (c->mode) {
		g_assert_true(g_file_set_contents(real, "allow br0\n", -1, NULL));
		g_assert_cmpint(chmod(real, c->mode), ==, 0);
		if (c->chown_user)
			g_assert_cmpint(chown(real, 65534, 65534), ==, 0);
	}
	g_assert_cmpint(chmod(dir, c->dir_mode ? c->dir_mode : 0755), ==, 0);
	if (c->dir_chown_user)
		g_assert_cmpint(chown(dir, 65534, 65534), ==, 0);
	if (c->dir_symlink)
		g_assert_cmpint(symlink(dir, link), ==, 0);

	r = secfile_read(path, &text, &len, &err);
	if (!c->error) {
		g_assert_no_error(err);
		g_assert_cmpint(r, ==, 0);
		g_assert_cmpstr(text, ==, "allow br0\n");
		g_assert_cmpuint(len, ==, 10);
	} else {
		g_assert_cmpint(r, <, 0);
		g_assert_true(g_str_has_prefix(err->message, path));
		g_assert_cmpstr(err->message + strlen(path), ==, c->error);
	}
	unlink(real);
	rmdir(real);
	unlink(target);
	unlink(link);
	rmdir(dir);
	rmdir(top);
}

static void test_secfile_relative(void)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *text = NULL;
	gsize len;

	g_assert_cmpint(secfile_read("etc/passwd", &text, &len, &err), ==, -EINVAL);
	g_assert_cmpstr(err->message, ==, "etc/passwd: not an absolute path");
}

typedef struct {
	const char *in;
	const char *out;	/* vlan_set_format(), or the error */
	guint count;
} VlanCase;

static const VlanCase vlan_cases[] = {
	{ "100", "100", 1 },
	{ "100;200-210", "100;200-210", 12 },
	{ " 5 , 3 ; 4 ", "3-5", 3 },
	{ "1-4094", "1-4094", 4094 },
	{ "10-10", "10", 1 },
	{ "7;;8", "7-8", 2 },
	/* word edges, for vlan_set_next() */
	{ "63-65;127;128;4094", "63-65;127-128;4094", 6 },
	{ "1;4093", "1;4093", 2 },
	{ "0", "'0' is not a VLAN id (1-4094)" },
	{ "4095", "'4095' is not a VLAN id (1-4094)" },
	{ "1-4095", "'4095' is not a VLAN id (1-4094)" },
	{ "20-10", "VLAN range '20-10' runs backwards" },
	{ "-5", "'' is not a VLAN id (1-4094)" },
	{ "x", "'x' is not a VLAN id (1-4094)" },
	{ "10x", "'10x' is not a VLAN id (1-4094)" },
	{ "", "empty VLAN list" },
	{ " ; ", "empty VLAN list" },
};

static void test_vlan_sets(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(vlan_cases); i++) {
		const VlanCase *c = &vlan_cases[i];
		g_autoptr(GError) err = NULL;
		g_autofree char *out = NULL;
		VlanSet set, again;

		if (vlan_set_parse(&set, c->in, &err) < 0) {
			g_assert_cmpstr(err->message, ==, c->out);
			continue;
		}
		out = vlan_set_format(&set);
		g_assert_cmpstr(out, ==, c->out);
		g_assert_cmpuint(vlan_set_count(&set), ==, c->count);
		/* Formatting and parsing round-trip. */
		g_assert_cmpint(vlan_set_parse(&again, out, NULL), ==, 0);
		g_assert_true(vlan_set_equal(&set, &again));
		/* vlan_set_next() visits exactly the members, in order. */
		for (unsigned int v = VLAN_VID_MIN, want; v <= VLAN_VID_MAX + 1; v++) {
			for (want = v; want <= VLAN_VID_MAX && !vlan_set_has(&set, want); want++)
				;
			g_assert_cmpuint(vlan_set_next(&set, v), ==, want > VLAN_VID_MAX ? 0 : want);
		}
	}
}

static gboolean alive_if_even(const PortEntry *e, void *data)
{
	return e->ifindex % 2 == 0;
}

/* Quota counting and culling, on entries made here. */
static void test_portstate_check(void)
{
	g_autoptr(GArray) entries = g_array_new(FALSE, FALSE, sizeof(PortEntry));
	PolicyTarget t = { .name = (char *)"lan", .network = TRUE,
			   .quota_key = (char *)"network lan" };
	g_autoptr(GError) err = NULL;
	static const struct {
		int ifindex;
		uid_t uid;
		gid_t gid;
		const char *target;
	} rows[] = {
		{ 2, 1000, 100, "network:lan" }, { 4, 1000, 100, "network:lan" },
		{ 6, 1001, 100, "network:lan" }, { 8, 1000, 100, "bridge:br0" },
		{ 9, 1000, 100, "network:lan" },	/* odd: culled below */
	};

	for (guint i = 0; i < G_N_ELEMENTS(rows); i++) {
		PortEntry e = { .ifindex = rows[i].ifindex, .uid = rows[i].uid, .gid = rows[i].gid };

		g_strlcpy(e.tap, "tg", sizeof(e.tap));
		g_strlcpy(e.target, rows[i].target, sizeof(e.target));
		g_array_append_val(entries, e);
	}
	g_assert_cmpuint(portstate_cull(entries, alive_if_even, NULL), ==, 1);
	g_assert_cmpuint(entries->len, ==, 4);

	t.quota.per_user = 3;	/* uid 1000 has 2 on lan (not counting br0) */
	g_assert_cmpint(portstate_check(entries, &t, 1000, 100, NULL), ==, 0);
	t.quota.per_user = 2;
	g_assert_cmpint(portstate_check(entries, &t, 1000, 100, &err), ==, -EDQUOT);
	g_assert_cmpstr(err->message, ==, "quota reached: uid 1000 already has 2 ports on network "
			"'lan' (max-ports-per-user = 2)");
	g_clear_error(&err);
	t.quota = (PolicyQuota){ .per_group = 3 };
	g_assert_cmpint(portstate_check(entries, &t, 1002, 100, &err), ==, -EDQUOT);
	g_assert_cmpstr(err->message, ==, "quota reached: group 100 already has 3 ports on network "
			"'lan' (max-ports-per-group = 3)");
	g_clear_error(&err);
	t.quota = (PolicyQuota){ .total = 4 };
	g_assert_cmpint(portstate_check(entries, &t, 5, 5, NULL), ==, 0);
	t.quota = (PolicyQuota){ .total = 3 };
	g_assert_cmpint(portstate_check(entries, &t, 5, 5, &err), ==, -EDQUOT);
	g_assert_cmpstr(err->message, ==, "quota reached: network 'lan' already has 3 ports "
			"(max-ports = 3)");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/util/quote", test_quote);
	g_test_add_func("/util/tap-names", test_tap_names);
	g_test_add_func("/util/host-mac", test_host_mac);
	g_test_add_func("/util/secfile-relative", test_secfile_relative);
	g_test_add_func("/util/vlan-sets", test_vlan_sets);
	g_test_add_func("/util/portstate-check", test_portstate_check);
	TABLETEST_ADD("/util/secfile", secfile_cases, test_secfile);
	return g_test_run();
}
