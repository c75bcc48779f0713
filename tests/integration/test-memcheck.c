/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tapgate-helper, tapgate-hook and the tapgate command under valgrind
 * memcheck, on their success and failure paths: no invalid access, no use of
 * uninitialised memory, nothing definitely lost. No suppressions.
 */
#include <string.h>
#include <unistd.h>

#include "sandbox.h"
#include "tabletest.h"
#include "tg-util.h"

#define VALGRIND "/usr/bin/valgrind"
#define MEMCHECK "--error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite -q"

static const char *helper, *hook, *cli;

static void setup_world(void)
{
	sandbox_new_netns();
	sandbox_sh("ip link add br0 type bridge && ip link set br0 mtu 1400 up");
	sandbox_reset_policy();
	sandbox_write("/etc/tapgate/tapgate.conf",
		      "[bridge br0]\nallow-users = root\nmax-ports-per-user = 5\n"
		      "[bridge br1]\nallow-users = root\n", 0644, 0);
}

typedef struct {
	const char *name;
	const char *bridge;
	int status;
} HelperCase;

static const HelperCase helper_cases[] = {
	{ "allowed-with-quota", "--br=br0", 0 },
	{ "denied", "--br=br7", 1 },
	{ "bridge-missing", "--br=br1", 1 },
	{ "bad-argument", "--br=a/b", 1 },
};

static void test_helper(gconstpointer data)
{
	const HelperCase *c = data;
	const char *args[] = { "--error-exitcode=99", "--leak-check=full",
			       "--errors-for-leak-kinds=definite", "-q", helper, "--use-vnet",
			       c->bridge, "--fd=@FD@", NULL };
	g_auto(HelperRun) r = { .tapfd = -1 };

	setup_world();
	helper_run(VALGRIND, args, NULL, &r);
	if (r.status != c->status)
		g_error("exit %d, want %d; valgrind says:\n%s", r.status, c->status, r.err);
	g_assert_cmpint(r.tapfd >= 0, ==, c->status == 0);
}

typedef struct {
	const char *name;
	const char *program;	/* "hook" or "cli" */
	const char *args;
	const char *input;	/* file under TAPGATE_DATA, or NULL */
	int status;
} ToolCase;

static const ToolCase tool_cases[] = {
	{ "hook-pin-mac", "hook", "--qemu lvt1 start begin -", "hook/start-bridge-meta.xml", 1 },
	{ "hook-dry-run", "hook", "--qemu --dry-run lvt1 start begin -", "hook/start-bridge-meta.xml", 0 },
	{ "hook-network-started", "hook", "--network --state-dir=/tmp/st brnetpg started begin -",
	  "hook/net-started-pg.xml", 0 },
	{ "hook-port-created", "hook", "--network --state-dir=/tmp/st brnetpg port-created begin -",
	  "libvirt-9.0/network-port-created-begin.portgroup.xml", 0 },
	{ "hook-bad-xml", "hook", "--qemu lvt1 start begin -", "cli/lab.conf", 1 },
	{ "cli-check", "cli", "check --policy @D@/cli/lab.conf", NULL, 0 },
	/* allowed, but 'tapgate apply' has not made lan100's bridge ready: exit 1 */
	{ "cli-explain", "cli", "explain --user root --br lan100 --policy @D@/cli/lab.conf", NULL, 1 },
	{ "cli-apply-dry-run", "cli", "apply --dry-run", NULL, 0 },
	{ "cli-xml", "cli", "xml interface --bridge br0 --uuid e61d5755-9bdc-40cd-9648-77e719bdc220 "
	  "--vlan 100 --pin-mac --target-libvirt 9.0", NULL, 0 },
	{ "cli-mac-check", "cli", "mac --uuid e61d5755-9bdc-40cd-9648-77e719bdc220 --check "
	  "test://@D@/xml/host1.xml", NULL, 0 },
};

static void test_tool(gconstpointer data)
{
	const ToolCase *c = data;
	const char *dir = g_getenv("TAPGATE_DATA");
	g_auto(GStrv) parts = g_strsplit(c->args, "@D@", -1);
	g_autofree char *args = g_strjoinv(dir, parts);
	g_autofree char *cmd = g_strdup_printf("-c 'exec " VALGRIND " " MEMCHECK " %s %s'",
					       !strcmp(c->program, "hook") ? hook : cli, args);
	g_autofree char *input = NULL, *err = NULL;
	tg_autoclose int tap = -1;
	int status;

	setup_world();
	/* With a tap vnet9 on br0, the hook's real path runs (pin-mac fails only
	 * at the lock: this host's kernel may lack it, that is fine here). */
	tap = sandbox_tap("vnet9", "br0");
	if (c->input) {
		g_autofree char *path = g_build_filename(dir, c->input, NULL);

		g_assert_true(g_file_get_contents(path, &input, NULL, NULL));
	}
	status = sandbox_run_hook("/bin/sh", cmd, input ? input : "", &err);
	if (status == 99 || (c->status == 0 && status != 0))
		g_error("exit %d; valgrind says:\n%s", status, err);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	helper = sandbox_env("TAPGATE_HELPER");
	hook = sandbox_env("TAPGATE_HOOK");
	cli = sandbox_env("TAPGATE_CLI");
	sandbox_env("TAPGATE_DATA");
	if (access(VALGRIND, X_OK) < 0)
		g_error("valgrind is not installed (package valgrind)");
	sandbox_enter();
	TABLETEST_ADD("/memcheck/helper", helper_cases, test_helper);
	TABLETEST_ADD("/memcheck/tool", tool_cases, test_tool);
	return g_test_run();
}
