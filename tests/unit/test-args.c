/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The helper's command line, as QEMU and libvirt write it and as nobody should. */
#include "tabletest.h"
#include "helper-args.h"

typedef struct {
	const char *name;
	const char *argv[6];
	const char *error;	/* exact, or NULL for success */
	gboolean use_vnet;
	const char *bridge;
	int fd;
	gboolean help;
	gboolean version;
	unsigned int vlan;
	unsigned int queues;
	gboolean vhost;
} ArgsCase;

static const ArgsCase cases[] = {
	{ "qemu", { "--use-vnet", "--fd=5", "--br=br0" }, NULL, TRUE, "br0", 5 },
	{ "libvirt-no-vnet", { "--br=virbr0", "--fd=27" }, NULL, FALSE, "virbr0", 27 },
	{ "any-order", { "--fd=3", "--br=br-lan.100", "--use-vnet" }, NULL, TRUE, "br-lan.100", 3 },
	{ "help", { "--help" }, NULL, FALSE, NULL, -1, TRUE },
	{ "help-wins", { "--br=x/y", "-h" }, NULL, FALSE, NULL, -1, TRUE },
	{ "version", { "--version" }, NULL, FALSE, NULL, -1, FALSE, TRUE },
	{ "15-chars", { "--br=abcdefghijklmno", "--fd=3" }, NULL, FALSE, "abcdefghijklmno", 3 },
	{ "16-chars", { "--br=abcdefghijklmnop", "--fd=3" },
	  "bridge or network name 'abcdefghijklmnop' is too long (at most 15 characters)" },
	{ "17-chars", { "--br=abcdefghijklmnopq", "--fd=3" },
	  "bridge or network name 'abcdefghijklmnopq' is too long (at most 15 characters)" },
	{ "slash", { "--br=br/0", "--fd=3" },
	  "bridge or network name 'br/0' may contain only letters, digits, '_', '-' and '.'" },
	{ "dotdot", { "--br=..", "--fd=3" }, "bridge or network name '..' is not a valid interface name" },
	{ "dash", { "--br=-x", "--fd=3" }, "bridge or network name '-x' is not a valid interface name" },
	{ "space", { "--br=br 0", "--fd=3" },
	  "bridge or network name 'br 0' may contain only letters, digits, '_', '-' and '.'" },
	{ "unicode", { "--br=br\xc3\xa9", "--fd=3" },
	  "bridge or network name 'br\\xc3\\xa9' may contain only letters, digits, '_', '-' and '.'" },
	{ "empty-bridge", { "--br=", "--fd=3" }, "bridge or network name is empty" },
	{ "missing-br", { "--fd=3" }, "missing '--br=BRIDGE'" },
	{ "missing-fd", { "--br=br0" }, "missing '--fd=N'" },
	{ "br-twice", { "--br=br0", "--br=br1", "--fd=3" }, "'--br' given twice" },
	{ "fd-twice", { "--br=br0", "--fd=3", "--fd=4" }, "'--fd' given twice" },
	{ "fd-not-number", { "--br=br0", "--fd=x" }, "'--fd=x' is not a file descriptor number" },
	{ "fd-negative", { "--br=br0", "--fd=-1" }, "'--fd=-1' is not a file descriptor number" },
	{ "fd-trailing", { "--br=br0", "--fd=3x" }, "'--fd=3x' is not a file descriptor number" },
	{ "fd-huge", { "--br=br0", "--fd=99999999999" },
	  "'--fd=99999999999' is not a file descriptor number" },
	{ "fd-stdio", { "--br=br0", "--fd=1" },
	  "'--fd=1' names standard input, output or error, not a socket" },
	{ "unknown", { "--br=br0", "--fd=3", "--debug" }, "unknown argument '--debug'" },
	{ "separate-value", { "--br", "br0", "--fd=3" }, "unknown argument '--br'" },
	{ "empty-arg", { "--br=br0", "--fd=3", "" }, "unknown argument ''" },
	{ "nothing", { NULL }, "missing '--br=BRIDGE'" },
	{ "vlan", { "--vlan=100", "--use-vnet", "--fd=5", "--br=br0" }, NULL, TRUE, "br0", 5, FALSE,
	  FALSE, 100 },
	{ "vlan-max", { "--br=br0", "--fd=5", "--vlan=4094" }, NULL, FALSE, "br0", 5, FALSE, FALSE,
	  4094 },
	{ "vlan-zero", { "--br=br0", "--fd=5", "--vlan=0" }, "'--vlan': '0' is not a VLAN id (1-4094)" },
	{ "vlan-4095", { "--br=br0", "--fd=5", "--vlan=4095" },
	  "'--vlan': '4095' is not a VLAN id (1-4094)" },
	{ "vlan-text", { "--br=br0", "--fd=5", "--vlan=ten" },
	  "'--vlan': 'ten' is not a VLAN id (1-4094)" },
	{ "vlan-twice", { "--br=br0", "--fd=5", "--vlan=1", "--vlan=2" }, "'--vlan' given twice" },
	/* tapgate run's multiqueue request */
	{ "queues", { "--use-vnet", "--queues=4", "--br=br0", "--fd=5" }, NULL, TRUE, "br0", 5,
	  .queues = 4 },
	{ "queues-vhost", { "--vhost", "--br=br0", "--queues=1", "--fd=5" }, NULL, FALSE, "br0", 5,
	  .queues = 1, .vhost = TRUE },
	{ "queues-max", { "--br=br0", "--fd=5", "--queues=256" }, NULL, FALSE, "br0", 5,
	  .queues = 256 },
	{ "queues-257", { "--br=br0", "--fd=5", "--queues=257" },
	  "'--queues=257' is not a number from 1 to 256" },
	{ "queues-zero", { "--br=br0", "--fd=5", "--queues=0" },
	  "'--queues=0' is not a number from 1 to 256" },
	{ "queues-empty", { "--br=br0", "--fd=5", "--queues=" },
	  "'--queues=' is not a number from 1 to 256" },
	{ "queues-sign", { "--br=br0", "--fd=5", "--queues=+4" },
	  "'--queues=+4' is not a number from 1 to 256" },
	{ "queues-twice", { "--br=br0", "--fd=5", "--queues=2", "--queues=2" },
	  "'--queues' given twice" },
	{ "vhost-alone", { "--br=br0", "--fd=5", "--vhost" }, "'--vhost' needs '--queues=N'" },
	{ "vhost-twice", { "--br=br0", "--fd=5", "--queues=1", "--vhost", "--vhost" },
	  "'--vhost' given twice" },
	{ "queues-separate", { "--br=br0", "--fd=5", "--queues", "4" }, "unknown argument '--queues'" },
};

static void test_args(gconstpointer data)
{
	const ArgsCase *c = data;
	g_auto(HelperArgs) args;
	g_autoptr(GError) err = NULL;
	const char *argv[8] = { "tapgate-helper" };
	int argc = 1, r;

	while (c->argv[argc - 1])
		argv[argc] = c->argv[argc - 1], argc++;
	r = helper_args_parse(&args, argc, (char *const *)argv, &err);
	if (c->error) {
		g_assert_cmpint(r, <, 0);
		g_assert_cmpstr(err->message, ==, c->error);
		return;
	}
	g_assert_no_error(err);
	g_assert_cmpint(r, ==, 0);
	g_assert_cmpint(args.use_vnet, ==, c->use_vnet);
	g_assert_cmpint(args.help, ==, c->help);
	g_assert_cmpint(args.version, ==, c->version);
	g_assert_cmpuint(args.vlan, ==, c->vlan);
	g_assert_cmpuint(args.queues, ==, c->queues);
	g_assert_cmpint(args.vhost, ==, c->vhost);
	if (!c->help && !c->version) {
		g_assert_cmpstr(args.bridge, ==, c->bridge);
		g_assert_cmpint(args.fd, ==, c->fd);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	TABLETEST_ADD("/helper-args", cases, test_args);
	return g_test_run();
}
