/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 'tapgate apply' against the kernel: --dry-run prints exactly what a run
 * then does, a second run changes nothing, a problem changes nothing, a step
 * that fails undoes the steps before it, SIGKILL at any moment leaves what
 * the next run completes. And the helper, once apply has run, changes
 * nothing but its own tap (F4: a network bridge that is down is refused,
 * and apply brings it up).
 *
 * The host kernel has no 8021q and no bridge VLAN filtering: VLAN networks,
 * sub-interfaces and default_pvid are tests/integration/test-vlan.c's (in
 * the test guest).
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <linux/if_tun.h>
#include <sys/file.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"
#include "tabletest.h"
#include "tg-util.h"

static const char *helper;

/* The bridge MAC apply derives from the machine id and the bridge's name. */
#define MACHINE_ID "5e1f0c0ffee0c0ffee0c0ffee0c0ffee\n"

static const char static_lan[] =
	"[network lan]\nbridge = brlan\nvxlan-vni = 10100\nvxlan-local = 192.0.2.1\n"
	"vxlan-peers = 192.0.2.2;192.0.2.3\nallow-users = *\n";
/* A persistent tap of tgtest's on br0 (the sandbox's bridge), and one on
 * the VXLAN network: its MTU is the bridge's, which the tunnel lowers. */
/* vm1's MAC on MACHINE_ID (apply_tap_mac()): fe, then SHA-256("tapgate tap\n"
 * MACHINE_ID "vm1")'s first 5 bytes. */
#define VM1_MAC "fe:e6:e2:64:e9:71"
static const char tap_vm1[] = "[tap vm1]\nuser = tgtest\nbridge = br0\nmulti-queue = true\n";
static const char tap_on_lan[] =
	"[network lan]\nbridge = brlan\nvxlan-vni = 10100\nvxlan-local = 192.0.2.1\n"
	"vxlan-peers = 192.0.2.2\nallow-users = *\n"
	"[tap vm-lan]\ngroup = tglab\nnetwork = lan\nmac = fe:54:00:12:34:56\n";
static const char evpn_lab[] =
	"[network lab]\nbridge = brlab\nvxlan-vni = 10200\nvxlan-local = 192.0.2.1\n"
	"vxlan-control = evpn\nallow-users = *\n";

/* A host with an underlay: u0 (192.0.2.1) and plain bridge br0 with an uplink. */
static void setup_world(const char *policy)
{
	sandbox_new_netns();
	sandbox_sh("ip link add u0 type veth peer name u1 && ip addr add 192.0.2.1/24 dev u0 && "
		   "ip link set u0 up && ip link set u1 up && "
		   "ip link add up0 address 02:00:00:00:00:01 type veth peer name up1 && "
		   "ip link add br0 type bridge && ip link set up0 master br0 && "
		   "ip link set up0 up && ip link set up1 up && ip link set br0 up && "
		   "rm -rf /run/tapgate");
	sandbox_reset_policy();
	sandbox_write("/etc/tapgate/tapgate.conf", policy, 0644, 0);
	sandbox_write("/etc/machine-id", MACHINE_ID, 0444, 0);
}

static char *snapshot(const char *skip)
{
	g_autofree char *cmd = g_strdup_printf("%s/tests/integration/net-snapshot.py %s",
					       sandbox_env("TG_SRC"), skip ? skip : "");
	g_autofree char *err = NULL;
	g_autoptr(GError) gerr = NULL;
	char *out = NULL;
	int status;

	if (!g_spawn_command_line_sync(cmd, &out, &err, &status, &gerr) || status != 0)
		g_error("%s: %s", cmd, gerr ? gerr->message : err);
	return out;
}

typedef struct {
	const char *name;
	const char *policy;
	const char *changes;	/* what --dry-run and the run print */
} ApplyCase;

static const ApplyCase apply_cases[] = {
	{ "vxlan-static", static_lan,
	  "ip link add name brlan address 3a:1b:5b:1a:3c:f2 type bridge\n"
	  "ip link set dev brlan up\n"
	  "ip link add vx10100 mtu 1450 type vxlan id 10100 local 192.0.2.1 dstport 4789 learning\n"
	  "ip link set dev vx10100 master brlan\n"
	  "bridge fdb append 00:00:00:00:00:00 dev vx10100 dst 192.0.2.2 self permanent\n"
	  "bridge fdb append 00:00:00:00:00:00 dev vx10100 dst 192.0.2.3 self permanent\n"
	  "ip link set dev vx10100 up\n"
	  "7 changes" },
	{ "vxlan-evpn", evpn_lab,
	  "ip link add name brlab address 32:db:02:f9:f8:d3 type bridge\n"
	  "ip link set dev brlab up\n"
	  "ip link add vx10200 mtu 1450 type vxlan id 10200 local 192.0.2.1 dstport 4789 "
	  "nolearning\n"
	  "ip link set dev vx10200 master brlab\n"
	  "ip link set dev vx10200 type bridge_slave learning off neigh_suppress on\n"
	  "ip link set dev vx10200 up\n"
	  "6 changes" },
	/* An administrator's bridge made 'managed': its MAC is fixed where it
	 * is (up0's, the lowest port's), so no later port's can replace it. */
	{ "managed-bridge-mac", "[bridge br0]\nmanaged = true\nallow-users = *\n",
	  "ip link set dev br0 address 02:00:00:00:00:01\n"
	  "1 change" },
	{ "tap-create", tap_vm1,
	  "ip tuntap add dev vm1 mode tap user 4242 multi_queue\n"
	  "ip link set dev vm1 alias 'tapgate: [tap vm1]'\n"
	  "ip link set dev vm1 address " VM1_MAC "\n"
	  "ip link set dev vm1 master br0\n"
	  "ip link set dev vm1 up\n"
	  "5 changes" },
	{ "tap-on-vxlan-network", tap_on_lan,
	  "ip link add name brlan address 3a:1b:5b:1a:3c:f2 type bridge\n"
	  "ip link set dev brlan up\n"
	  "ip link add vx10100 mtu 1450 type vxlan id 10100 local 192.0.2.1 dstport 4789 learning\n"
	  "ip link set dev vx10100 master brlan\n"
	  "bridge fdb append 00:00:00:00:00:00 dev vx10100 dst 192.0.2.2 self permanent\n"
	  "ip link set dev vx10100 up\n"
	  "ip tuntap add dev vm-lan mode tap group 4243\n"
	  "ip link set dev vm-lan alias 'tapgate: [tap vm-lan]'\n"
	  "ip link set dev vm-lan address fe:54:00:12:34:56\n"
	  "ip link set dev vm-lan mtu 1450\n"
	  "ip link set dev vm-lan master brlan\n"
	  "ip link set dev vm-lan up\n"
	  "12 changes" },
};

static void test_apply(gconstpointer data)
{
	const ApplyCase *c = data;
	g_autofree char *before = NULL, *after_dry = NULL, *out = NULL, *dry = NULL, *again = NULL;
	g_autofree char *err = NULL, *want_dry = NULL;

	setup_world(c->policy);
	before = snapshot(NULL);
	g_assert_cmpint(sandbox_apply("--dry-run", &dry, &err), ==, 0);
	want_dry = g_strconcat(c->changes, " (dry run: nothing changed)", NULL);
	g_assert_cmpstr(dry, ==, want_dry);
	g_assert_cmpstr(err, ==, "");
	after_dry = snapshot(NULL);
	g_assert_cmpstr(after_dry, ==, before);
	g_assert_cmpint(sandbox_apply("", &out, NULL), ==, 0);
	g_assert_cmpstr(out, ==, c->changes);
	g_assert_cmpint(sandbox_apply("", &again, NULL), ==, 0);
	g_assert_cmpstr(again, ==, "nothing to change");
}

/* F3: a bridge apply made keeps its MAC when a port with a lower one joins. */
static void test_bridge_mac_fixed(void)
{
	g_autofree char *type = NULL, *mac = NULL;

	setup_world(static_lan);
	g_assert_cmpint(sandbox_apply("", NULL, NULL), ==, 0);
	sandbox_sh("ip link add low0 address 02:00:00:00:00:00 type veth peer name low1 && "
		   "ip link set low0 master brlan && ip link set low0 up");
	g_assert_true(g_file_get_contents("/sys/class/net/brlan/addr_assign_type", &type, NULL,
					  NULL));
	g_assert_cmpstr(g_strstrip(type), ==, "3");
	g_assert_true(g_file_get_contents("/sys/class/net/brlan/address", &mac, NULL, NULL));
	g_assert_cmpstr(g_strstrip(mac), ==, "3a:1b:5b:1a:3c:f2");
}

static char *run_check(void)
{
	g_autofree char *cmd = g_strdup_printf("%s check", sandbox_env("TAPGATE_CLI"));
	g_autoptr(GError) gerr = NULL;
	char *out = NULL;

	g_assert_true(g_spawn_command_line_sync(cmd, &out, NULL, NULL, &gerr));
	return out;
}

/* F3: 'tapgate check' says when a bridge has its port's MAC and no fixed
 * one; 'managed = true' and apply fix it, and the warning goes. */
static void test_check_port_derived_mac(void)
{
	g_autofree char *before = NULL, *after = NULL;

	setup_world("[bridge br0]\nallow-users = *\n");
	before = run_check();
	g_assert_nonnull(strstr(before, "    warning: bridge 'br0' has the MAC of its port 'up0' and "
					"no fixed one: a port with a lower MAC becomes the bridge's "
					"address; fix it with 'managed = true' and 'tapgate apply'\n"));
	sandbox_write("/etc/tapgate/tapgate.conf", "[bridge br0]\nmanaged = true\nallow-users = *\n",
		      0644, 0);
	g_assert_cmpint(sandbox_apply("", NULL, NULL), ==, 0);
	after = run_check();
	g_assert_null(strstr(after, "has the MAC of its port"));
}

typedef struct {
	const char *name;
	const char *policy;
	const char *setup;
	const char *err;
} ProblemCase;

static const ProblemCase problem_cases[] = {
	{ "vxlan-local-not-here",
	  "[network lan]\nbridge = brlan\nvxlan-vni = 10100\nvxlan-local = 192.0.2.9\n"
	  "vxlan-peers = 192.0.2.2\n", "true",
	  "tapgate apply: network 'lan': vxlan-local 192.0.2.9 is not an address of this host\n"
	  "tapgate apply: 1 of 1 networks and managed bridges left out" },
	{ "bridge-not-a-bridge", static_lan, "ip link add brlan type dummy 2>/dev/null || "
	  "ip link add brlan type veth peer name brlan-p",
	  "tapgate apply: network 'lan': 'brlan' exists but is not a bridge\n"
	  "tapgate apply: 1 of 1 networks and managed bridges left out" },
	{ "unmanaged-bridge-missing",
	  "[network lan100]\nbridge = brx\nvlan = 100\n", "true",
	  "tapgate apply: network 'lan100': bridge 'brx' does not exist; create it, or let "
	  "tapgate make it ('managed = true' in [bridge brx])\n"
	  "tapgate apply: 1 of 1 networks and managed bridges left out" },
	{ "vxlan-device-differs", static_lan,
	  "ip link add vx10100 type vxlan id 999 local 192.0.2.1 dstport 4789",
	  "tapgate apply: network 'lan': 'vx10100' exists but is not VNI 10100 from 192.0.2.1, UDP "
	  "port 4789\ntapgate apply: 1 of 1 networks and managed bridges left out" },
	{ "two-problems-two-lines",
	  "[network a]\nbridge = bra\nvxlan-vni = 1\nvxlan-local = 192.0.2.8\n"
	  "[network b]\nbridge = brb\nvxlan-vni = 2\nvxlan-local = 192.0.2.9\n", "true",
	  "tapgate apply: network 'a': vxlan-local 192.0.2.8 is not an address of this host\n"
	  "tapgate apply: network 'b': vxlan-local 192.0.2.9 is not an address of this host\n"
	  "tapgate apply: 2 of 2 networks and managed bridges left out" },
};

/* Every problem is found before anything is changed, and nothing is. */
static void test_problem(gconstpointer data)
{
	const ProblemCase *c = data;
	g_autofree char *before = NULL, *after = NULL, *err = NULL, *out = NULL;

	setup_world(c->policy);
	sandbox_sh("%s", c->setup);
	before = snapshot(NULL);
	g_assert_cmpint(sandbox_apply("", &out, &err), ==, 1);
	g_assert_cmpstr(err, ==, c->err);
	g_assert_cmpstr(out, ==, "");
	after = snapshot(NULL);
	g_assert_cmpstr(after, ==, before);
}

/* A network with a problem is left out whole; the others are made. */
static void test_left_out(void)
{
	g_autofree char *policy = g_strconcat(static_lan, "[network lost]\nuplink = nope0\n"
					      "vlan = 7\n", NULL);
	g_autofree char *out = NULL, *err = NULL, *again = NULL;

	setup_world(policy);
	g_assert_cmpint(sandbox_apply("", &out, &err), ==, 1);
	g_assert_cmpstr(err, ==, "tapgate apply: network 'lost': uplink 'nope0' does not exist\n"
				 "tapgate apply: 1 of 2 networks and managed bridges left out");
	g_assert_cmpstr(out, ==, apply_cases[0].changes);
	g_assert_cmpint(sandbox_apply("", &again, NULL), ==, 1);
	g_assert_cmpstr(again, ==, "");
}

/* The kernel refuses the third step: the two before it are undone. */
static void test_undo_on_failure(void)
{
	g_autofree char *before = NULL, *after = NULL, *err = NULL, *out = NULL;

	setup_world(static_lan);
	/* Another device holds VNI 10100 on the same UDP port. */
	sandbox_sh("ip link add vxother type vxlan id 10100 local 192.0.2.1 dstport 4789");
	before = snapshot(NULL);
	g_assert_cmpint(sandbox_apply("", &out, &err), ==, 1);
	g_assert_cmpstr(err, ==, "tapgate apply: 'ip link add vx10100 mtu 1450 type vxlan id 10100 "
				 "local 192.0.2.1 dstport 4789 learning' failed: the VNI and UDP "
				 "port belong to another VXLAN device; the 2 changes before it were "
				 "undone");
	g_assert_cmpstr(out, ==, "");
	after = snapshot(NULL);
	g_assert_cmpstr(after, ==, before);
}

/* SIGKILL at any moment: the next run completes what is missing, the one
 * after finds nothing to do, and nothing is there twice. */
static void test_kill_anywhere(void)
{
	g_autofree char *want = NULL;
	g_autofree char *cmd = g_strdup_printf("%s apply", sandbox_env("TAPGATE_CLI"));
	guint partial = 0;

	gint64 t0;
	guint span;

	setup_world(static_lan);
	t0 = g_get_monotonic_time();
	g_assert_cmpint(sandbox_apply("", NULL, NULL), ==, 0);
	span = (guint)(g_get_monotonic_time() - t0);	/* the whole run, fork to exit */
	want = snapshot("--names");
	for (guint us = 0; us < span; us += span / 40) {
		g_autofree char *again = NULL, *got = NULL;
		g_auto(GStrv) argv = NULL;
		GPid pid;
		int status;

		setup_world(static_lan);
		g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, NULL));
		g_assert_true(g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD |
					    G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, &pid, NULL));
		g_usleep(us);
		kill(pid, SIGKILL);
		g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
		partial += WIFSIGNALED(status);
		g_assert_cmpint(sandbox_apply("", NULL, NULL), ==, 0);
		g_assert_cmpint(sandbox_apply("", &again, NULL), ==, 0);
		g_assert_cmpstr(again, ==, "nothing to change");
		/* The same devices, where they belong; their settings are what
		 * the last apply said it has nothing to change about. */
		got = snapshot("--names");
		if (strcmp(got, want))
			g_error("killed after %u us, then applied:\n%s\nnot like:\n%s", us, got, want);
	}
	g_test_message("%u of 40 runs over %u us were killed before they finished", partial, span);
	g_assert_cmpuint(partial, >, 0);
}

/* Two runs at once (boot and a policy change): the second waits for the
 * first, then finds nothing to do; before, both planned the same bridge. */
static void test_one_at_a_time(void)
{
	g_autofree char *cmd = g_strdup_printf("%s apply", sandbox_env("TAPGATE_CLI"));
	g_autofree char *out = NULL;
	g_auto(GStrv) argv = NULL;
	tg_autoclose int lock = -1;
	GPid pid;
	int status;

	setup_world(static_lan);
	sandbox_sh("mkdir -p /run/tapgate && touch /run/tapgate/apply.lock");
	lock = open("/run/tapgate/apply.lock", O_RDWR | O_CLOEXEC);
	g_assert_cmpint(flock(lock, LOCK_EX), ==, 0);
	g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, NULL));
	g_assert_true(g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD |
				    G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, &pid, NULL));
	g_usleep(G_USEC_PER_SEC / 2);
	g_assert_cmpint(waitpid(pid, &status, WNOHANG), ==, 0);	/* still waiting */
	g_assert_true(g_spawn_command_line_sync("ip link show brlan", NULL, NULL, &status, NULL));
	g_assert_false(g_spawn_check_wait_status(status, NULL));	/* nothing made yet */
	tg_closep(&lock);
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	g_assert_cmpint(sandbox_apply("", &out, NULL), ==, 0);
	g_assert_cmpstr(out, ==, "nothing to change");
}

/* Without root, one line saying so (and --dry-run still works). */
static void test_needs_root(void)
{
	g_autofree char *cmd = g_strdup_printf("setpriv --reuid=%u --regid=%u --clear-groups "
					       "%s apply", SANDBOX_USER_UID, SANDBOX_USER_GID,
					       sandbox_env("TAPGATE_CLI"));
	g_autofree char *out = NULL, *err = NULL, *dry = g_strconcat(cmd, " --dry-run", NULL);
	int status;

	setup_world(static_lan);
	g_assert_true(g_spawn_command_line_sync(cmd, &out, &err, &status, NULL));
	g_assert_cmpstr(err, ==, "tapgate apply: making bridges and tunnels needs root (or --dry-run)\n");
	g_assert_cmpstr(out, ==, "");
	g_assert_false(g_spawn_check_wait_status(status, NULL));
	g_clear_pointer(&out, g_free);
	g_assert_true(g_spawn_command_line_sync(dry, &out, NULL, &status, NULL));
	g_assert_true(g_spawn_check_wait_status(status, NULL));
	g_assert_nonnull(strstr(out, "(dry run: nothing changed)"));
}

/* Two snapshots, line by line: the first line that differs, if any. */
static void assert_same(const char *before, const char *after)
{
	g_auto(GStrv) a = g_strsplit(before, "\n", -1), b = g_strsplit(after, "\n", -1);
	guint i;

	for (i = 0; a[i] && b[i] && !strcmp(a[i], b[i]); i++)
		;
	if (a[i] || b[i])
		g_error("line %u differs:\nbefore: %s\nafter:  %s", i + 1, a[i] ? a[i] : "(none)",
			b[i] ? b[i] : "(none)");
}

typedef struct {
	const char *name;
	const char *policy;
	const char *br;		/* --br= */
} AttachCase;

static const AttachCase attach_cases[] = {
	{ "plain-bridge", "[bridge br0]\nallow-users = *\n", "br0" },
	{ "bridge-with-quota", "[bridge br0]\nallow-users = *\nmax-ports-per-user = 2\n", "br0" },
	{ "vxlan-static", static_lan, "lan" },
	{ "vxlan-evpn", evpn_lab, "lab" },
};

/* Item 2 of issue 15: after apply, the helper changes nothing but its tap. */
static void test_helper_changes_only_its_tap(gconstpointer data)
{
	const AttachCase *c = data;
	g_autofree char *brarg = g_strdup_printf("--br=%s", c->br);
	const char *args[] = { "--use-vnet", brarg, "--fd=@FD@", NULL };
	g_auto(HelperRun) r = { .tapfd = -1 };
	g_autofree char *before = NULL, *after = NULL;

	setup_world(c->policy);
	g_assert_cmpint(sandbox_apply("", NULL, NULL), ==, 0);
	before = snapshot(NULL);
	helper_run(helper, args, &(HelperRunOpts){ 0 }, &r);
	g_assert_cmpstr(r.err, ==, "");
	g_assert_cmpint(r.status, ==, 0);
	after = snapshot(r.tapname);
	assert_same(before, after);
}

/* F4: the bridge of a network, down (a kill half-way through its making by
 * an old helper left it so for good): refused with the fix; apply fixes it. */
static void test_network_bridge_down(void)
{
	static const char *args[] = { "--br=lan", "--fd=@FD@", NULL };
	g_auto(HelperRun) r = { .tapfd = -1 }, again = { .tapfd = -1 };
	g_autofree char *out = NULL;

	setup_world(static_lan);
	g_assert_cmpint(sandbox_apply("", NULL, NULL), ==, 0);
	sandbox_sh("ip link set brlan down");
	helper_run(helper, args, &(HelperRunOpts){ 0 }, &r);
	g_assert_cmpstr(r.err, ==, "tapgate-helper: network 'lan': bridge 'brlan' is down; run "
				   "'tapgate apply' as root");
	g_assert_cmpint(r.status, ==, 1);
	g_assert_cmpint(r.tapfd, ==, -1);
	g_assert_cmpint(sandbox_apply("", &out, NULL), ==, 0);
	g_assert_cmpstr(out, ==, "ip link set dev brlan up\n1 change");
	helper_run(helper, args, &(HelperRunOpts){ 0 }, &again);
	g_assert_cmpstr(again.err, ==, "");
	g_assert_cmpint(again.status, ==, 0);
}

/* A VLAN network on a managed bridge, on a kernel without bridge VLAN
 * filtering (this host's): apply cannot switch it on, so it refuses at
 * planning, changes nothing, and the helper does not send the caller to
 * apply. (Where the kernel has it, test-vlan.c runs the same networks.) */
static void test_no_kernel_vlan_filtering(void)
{
	static const char *args[] = { "--br=lan100", "--fd=@FD@", NULL };
	g_auto(HelperRun) r = { .tapfd = -1 };
	g_autofree char *before = NULL, *after = NULL, *out = NULL, *err = NULL;

	setup_world("[bridge br0]\nmanaged = true\n"
		    "[network lan100]\nbridge = br0\nvlan = 100\nallow-users = *\n");
	if (g_file_test("/sys/class/net/br0/bridge/vlan_protocol", G_FILE_TEST_EXISTS)) {
		g_test_skip("this kernel has bridge VLAN filtering (test-vlan.c covers it)");
		return;
	}
	before = snapshot(NULL);
	g_assert_cmpint(sandbox_apply("", &out, &err), ==, 1);
	g_assert_cmpstr(err, ==, "tapgate apply: bridge 'br0' must filter VLANs, and this kernel "
				 "has no bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING); use "
				 "networks with 'uplink =' (802.1Q sub-interfaces) instead\n"
				 "tapgate apply: network 'lan100': bridge 'br0' must filter VLANs, and "
				 "this kernel has no bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING); "
				 "use networks with 'uplink =' (802.1Q sub-interfaces) instead\n"
				 "tapgate apply: 2 of 2 networks and managed bridges left out");
	after = snapshot(NULL);
	g_assert_cmpstr(after, ==, before);
	helper_run(helper, args, &(HelperRunOpts){ 0 }, &r);
	g_assert_cmpstr(r.err, ==, "tapgate-helper: network 'lan100': bridge 'br0' does not filter "
				   "VLANs, and this kernel has no bridge VLAN filtering "
				   "(CONFIG_BRIDGE_VLAN_FILTERING); use a network of the policy with "
				   "'uplink =' (802.1Q sub-interfaces) instead");
	g_assert_cmpint(r.status, ==, 1);
}

/* A sub-interface network on a kernel without 802.1Q devices (this host's):
 * refused when apply plans, and check and explain say why, instead of a
 * step that fails. */
static void test_no_8021q(void)
{
	static const char *const want =
		"network 'sub200': 'up0.200' cannot be made: this kernel has no 802.1Q VLAN "
		"devices (the 8021q module is neither loaded nor installed)";
	g_autofree char *before = NULL, *after = NULL, *out = NULL, *err = NULL, *want_err = NULL;
	g_autofree char *check = NULL, *explain = NULL, *cmd = NULL;
	int status;

	setup_world("[network sub200]\nuplink = up0\nvlan = 200\nallow-users = *\n");
	if (g_spawn_command_line_sync("ip link add link up1 name probe.5 type vlan id 5", NULL,
				      NULL, &status, NULL) && g_spawn_check_wait_status(status, NULL)) {
		g_test_skip("this kernel makes 802.1Q devices (test-vlan.c covers it)");
		return;
	}
	before = snapshot(NULL);
	g_assert_cmpint(sandbox_apply("", &out, &err), ==, 1);
	want_err = g_strdup_printf("tapgate apply: %s\ntapgate apply: 1 of 1 networks and managed "
				   "bridges left out", want);
	g_assert_cmpstr(err, ==, want_err);
	after = snapshot(NULL);
	g_assert_cmpstr(after, ==, before);
	cmd = g_strdup_printf("%s check", sandbox_env("TAPGATE_CLI"));
	g_assert_true(g_spawn_command_line_sync(cmd, &check, NULL, NULL, NULL));
	g_assert_nonnull(strstr(check, want));
	g_free(cmd);
	cmd = g_strdup_printf("%s explain --user root --br sub200", sandbox_env("TAPGATE_CLI"));
	g_assert_true(g_spawn_command_line_sync(cmd, &explain, NULL, NULL, NULL));
	g_assert_true(g_str_has_prefix(explain, "allowed by the policy, but the helper will "
					       "refuse, and 'tapgate apply' cannot help: "));
	g_assert_nonnull(strstr(explain, want));
}

/* Before apply, the helper refuses with one line naming the fix, makes nothing. */
static void test_not_applied(void)
{
	static const char *args[] = { "--br=lan", "--fd=@FD@", NULL };
	g_auto(HelperRun) r = { .tapfd = -1 };
	g_autofree char *before = NULL, *after = NULL;

	setup_world(static_lan);
	before = snapshot(NULL);
	helper_run(helper, args, &(HelperRunOpts){ 0 }, &r);
	g_assert_cmpstr(r.err, ==, "tapgate-helper: network 'lan': bridge 'brlan' does not exist; "
				   "run 'tapgate apply' as root");
	g_assert_cmpint(r.status, ==, 1);
	after = snapshot(NULL);
	g_assert_cmpstr(after, ==, before);
}

/* `ip -d link show NAME`, or "" if there is none. */
static char *link_details(const char *name)
{
	g_autofree char *cmd = g_strdup_printf("ip -d link show dev %s", name);
	g_autofree char *err = NULL;
	char *out = NULL;
	int status;

	g_assert_true(g_spawn_command_line_sync(cmd, &out, &err, &status, NULL));
	if (!g_spawn_check_wait_status(status, NULL))
		g_clear_pointer(&out, g_free);
	return out ? out : g_strdup("");
}

/* Hold tap @name open as QEMU would, made (persistent) if need be. */
static int hold_tap(const char *name, gboolean multi_queue, gboolean persist)
{
	struct ifreq ifr = { .ifr_flags = (short)(IFF_TAP | IFF_NO_PI |
						   (multi_queue ? IFF_MULTI_QUEUE : 0)) };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	g_assert_cmpint(fd, >=, 0);
	g_strlcpy(ifr.ifr_name, name, IFNAMSIZ);
	g_assert_cmpint(ioctl(fd, TUNSETIFF, &ifr), ==, 0);
	if (persist)
		g_assert_cmpint(ioctl(fd, TUNSETPERSIST, 1UL), ==, 0);
	return fd;
}

/* What 'tapgate apply' made: a persistent multi-queue tap of tgtest's (uid
 * 4242, which ip shows by name), marked as tapgate's, in br0, up. */
static void test_tap_made(void)
{
	g_autofree char *d = NULL;

	setup_world(tap_vm1);
	g_assert_cmpint(sandbox_apply("", NULL, NULL), ==, 0);
	d = link_details("vm1");
	g_assert_true(g_regex_match_simple("tun type tap .* multi_queue numqueues 0 .*persist on user tgtest ",
					   d, G_REGEX_DOTALL, 0));
	g_assert_null(strstr(d, "user tgtest group"));
	g_assert_nonnull(strstr(d, " master br0 "));
	g_assert_nonnull(strstr(d, "link/ether " VM1_MAC " "));
	g_assert_nonnull(strstr(d, "alias tapgate: [tap vm1]"));
	g_assert_nonnull(strstr(d, "BROADCAST,MULTICAST,UP>"));
}

typedef struct {
	const char *name;
	const char *drift;	/* what someone changes after apply */
	uid_t owner;		/* then, if not 0: vm1's new owner and group, set in place */
	gid_t group;
	const char *fix;	/* what the next apply then does */
	const char *want;	/* in 'ip -d link show vm1' after it */
} DriftCase;

static const DriftCase drift_cases[] = {
	{ "owner-and-group", "true", SANDBOX_OTHER_UID, SANDBOX_LAB_GID,
	  "ip tuntap del dev vm1 mode tap multi_queue\n"
	  "ip tuntap add dev vm1 mode tap user 4242 multi_queue\n"
	  "ip link set dev vm1 alias 'tapgate: [tap vm1]'\n"
	  "ip link set dev vm1 address " VM1_MAC "\n"
	  "ip link set dev vm1 master br0\n"
	  "ip link set dev vm1 up\n"
	  "6 changes", "persist on user tgtest \n" },
	{ "owner", "true", SANDBOX_OTHER_UID, (gid_t)-1,
	  "ip tuntap add dev vm1 mode tap user 4242 multi_queue\n"
	  "1 change", "persist on user tgtest \n" },
	{ "mac-and-mtu", "ip link set dev vm1 address fe:00:00:00:00:01 mtu 9000", 0, 0,
	  "ip link set dev vm1 address " VM1_MAC "\n"
	  "ip link set dev vm1 mtu 1500\n"
	  "2 changes", "mtu 1500 " },
	{ "bridge-and-down", "ip link add brx type bridge && ip link set dev vm1 master brx down",
	  0, 0,
	  "ip link set dev vm1 master br0\n"
	  "ip link set dev vm1 up\n"
	  "2 changes", "master br0 " },
	{ "not-multi-queue", "ip tuntap del dev vm1 mode tap multi_queue && "
	  "ip tuntap add dev vm1 mode tap user 4242", 0, 0,
	  "ip tuntap del dev vm1 mode tap\n"
	  "ip tuntap add dev vm1 mode tap user 4242 multi_queue\n"
	  "ip link set dev vm1 alias 'tapgate: [tap vm1]'\n"
	  "ip link set dev vm1 address " VM1_MAC "\n"
	  "ip link set dev vm1 master br0\n"
	  "ip link set dev vm1 up\n"
	  "6 changes", " multi_queue numqueues 0 " },
};

/* Whatever was changed on the tap by hand, the next apply puts back, as
 * --dry-run says, and the one after finds nothing to do. */
static void test_tap_drift(gconstpointer data)
{
	const DriftCase *c = data;
	g_autofree char *dry = NULL, *out = NULL, *again = NULL, *d = NULL, *want_dry = NULL;

	setup_world(tap_vm1);
	g_assert_cmpint(sandbox_apply("", NULL, NULL), ==, 0);
	sandbox_sh("%s", c->drift);
	if (c->owner) {	/* as root may: attached by name, while it stays */
		tg_autoclose int fd = hold_tap("vm1", TRUE, FALSE);

		g_assert_cmpint(ioctl(fd, TUNSETOWNER, (unsigned long)c->owner), ==, 0);
		if (c->group != (gid_t)-1)
			g_assert_cmpint(ioctl(fd, TUNSETGROUP, (unsigned long)c->group), ==, 0);
	}
	g_assert_cmpint(sandbox_apply("--dry-run", &dry, NULL), ==, 0);
	want_dry = g_strconcat(c->fix, " (dry run: nothing changed)", NULL);
	g_assert_cmpstr(dry, ==, want_dry);
	g_assert_cmpint(sandbox_apply("", &out, NULL), ==, 0);
	g_assert_cmpstr(out, ==, c->fix);
	g_assert_cmpint(sandbox_apply("", &again, NULL), ==, 0);
	g_assert_cmpstr(again, ==, "nothing to change");
	d = link_details("vm1");
	g_assert_nonnull(strstr(d, c->want));
}

/* A [tap] taken out of the policy: the tap apply made goes, a tap of that
 * kind it did not make stays, and so does one a process holds. */
static void test_tap_undeclared(void)
{
	g_autofree char *out = NULL, *err = NULL, *again = NULL, *d1 = NULL, *d2 = NULL;
	g_autofree char *held_out = NULL, *held_err = NULL;
	tg_autoclose int fd = -1;

	setup_world(tap_vm1);
	g_assert_cmpint(sandbox_apply("", NULL, NULL), ==, 0);
	sandbox_sh("ip tuntap add dev vm2 mode tap user 4242 multi_queue && "
		   "ip link set dev vm2 alias 'made by hand'");
	/* held: reported and left */
	fd = hold_tap("vm1", TRUE, FALSE);
	sandbox_write("/etc/tapgate/tapgate.conf", "[bridge br0]\nallow-users = *\n", 0644, 0);
	g_assert_cmpint(sandbox_apply("", &held_out, &held_err), ==, 0);
	g_assert_cmpstr(held_err, ==, "tapgate apply: tap 'vm1' is no longer declared, but a "
				      "process holds it: left as it is");
	g_assert_cmpstr(held_out, ==, "nothing to change");
	tg_closep(&fd);
	/* let go: deleted */
	g_assert_cmpint(sandbox_apply("", &out, &err), ==, 0);
	g_assert_cmpstr(err, ==, "");
	g_assert_cmpstr(out, ==, "ip tuntap del dev vm1 mode tap multi_queue\n1 change");
	d1 = link_details("vm1");
	g_assert_cmpstr(d1, ==, "");
	d2 = link_details("vm2");
	g_assert_nonnull(strstr(d2, "persist on user tgtest"));
	g_assert_cmpint(sandbox_apply("", &again, NULL), ==, 0);
	g_assert_cmpstr(again, ==, "nothing to change");
}

/* A tap made by hand and then declared is adopted: marked as tapgate's, so
 * that taking its section out removes it and its owner's port with it. */
static void test_tap_adopted(void)
{
	g_autofree char *out = NULL, *gone = NULL, *d = NULL;

	setup_world(tap_vm1);
	sandbox_sh("ip tuntap add dev vm1 mode tap user 4242 multi_queue");
	g_assert_cmpint(sandbox_apply("", &out, NULL), ==, 0);
	g_assert_nonnull(strstr(out, "ip link set dev vm1 alias 'tapgate: [tap vm1]'\n"));
	g_assert_null(strstr(out, "ip tuntap add"));	/* kept, not made again */
	sandbox_write("/etc/tapgate/tapgate.conf", "[bridge br0]\nallow-users = *\n", 0644, 0);
	g_assert_cmpint(sandbox_apply("", &gone, NULL), ==, 0);
	g_assert_cmpstr(gone, ==, "ip tuntap del dev vm1 mode tap multi_queue\n1 change");
	d = link_details("vm1");
	g_assert_cmpstr(d, ==, "");
}

typedef struct {
	const char *name;
	const char *policy;
	gboolean multi_queue;	/* of the tap a process holds */
	const char *err;
} HeldCase;

static const HeldCase held_cases[] = {
	{ "not-multi-queue", tap_vm1, FALSE,
	  "tapgate apply: tap 'vm1': 'vm1' is not multi-queue, and a process holds it: it can be "
	  "made again only when let go\n"
	  "tapgate apply: 1 of 1 networks, managed bridges and taps left out" },
	{ "multi-queue", "[tap vm1]\nuser = tgtest\nbridge = br0\n", TRUE,
	  "tapgate apply: tap 'vm1': 'vm1' is multi-queue, and a process holds it: it can be "
	  "made again only when let go\n"
	  "tapgate apply: 1 of 1 networks, managed bridges and taps left out" },
	{ "not-persistent", tap_vm1, TRUE,
	  "tapgate apply: tap 'vm1': 'vm1' exists but is not persistent: a process made it for "
	  "itself and holds it\n"
	  "tapgate apply: 1 of 1 networks, managed bridges and taps left out" },
};

/* A tap a process holds, whose multi-queue flag is not the policy's: a
 * problem of its unit, nothing changed; once let go, it is made again. */
static void test_tap_held(gconstpointer data)
{
	const HeldCase *c = data;
	gboolean persist = !g_str_equal(c->name, "not-persistent");
	g_autofree char *before = NULL, *after = NULL, *out = NULL, *err = NULL, *again = NULL;
	tg_autoclose int fd = -1;

	setup_world(c->policy);
	fd = hold_tap("vm1", c->multi_queue, persist);
	before = snapshot(NULL);
	g_assert_cmpint(sandbox_apply("", &out, &err), ==, 1);
	g_assert_cmpstr(err, ==, c->err);
	g_assert_cmpstr(out, ==, "");
	after = snapshot(NULL);
	g_assert_cmpstr(after, ==, before);
	tg_closep(&fd);
	if (!persist)
		return;
	g_clear_pointer(&out, g_free);
	g_assert_cmpint(sandbox_apply("", &out, NULL), ==, 0);
	g_assert_true(g_str_has_prefix(out, "ip tuntap del dev vm1 mode tap"));
	g_assert_cmpint(sandbox_apply("", &again, NULL), ==, 0);
	g_assert_cmpstr(again, ==, "nothing to change");
}

/* A tap's problems: its bridge is missing or not a bridge, its name is
 * another device's. Nothing changes. */
static const ProblemCase tap_problem_cases[] = {
	{ "tap-bridge-missing", "[tap vm1]\nuser = tgtest\nbridge = brnone\n", "true",
	  "tapgate apply: tap 'vm1': bridge 'brnone' does not exist; create it, or let tapgate "
	  "make it ('managed = true' in [bridge brnone])\n"
	  "tapgate apply: 1 of 1 networks, managed bridges and taps left out" },
	{ "tap-bridge-not-a-bridge", "[tap vm1]\nuser = tgtest\nbridge = up1\n", "true",
	  "tapgate apply: tap 'vm1': 'up1' exists but is not a bridge\n"
	  "tapgate apply: 1 of 1 networks, managed bridges and taps left out" },
	{ "tap-name-taken", "[tap vm1]\nuser = tgtest\nbridge = br0\n",
	  "ip link add vm1 type veth peer name vm1-p",
	  "tapgate apply: tap 'vm1': 'vm1' exists but is a veth device, not a tap\n"
	  "tapgate apply: 1 of 1 networks, managed bridges and taps left out" },
	{ "tap-network-left-out",
	  "[network lan]\nbridge = brlan\nvxlan-vni = 10100\nvxlan-local = 192.0.2.9\n"
	  "[tap vm1]\nuser = tgtest\nnetwork = lan\n", "true",
	  "tapgate apply: network 'lan': vxlan-local 192.0.2.9 is not an address of this host\n"
	  "tapgate apply: tap 'vm1': network 'lan' is left out, and the tap with it\n"
	  "tapgate apply: 2 of 2 networks, managed bridges and taps left out" },
};

/* The second tap cannot be made (an altname of another device has its
 * name, which planning does not see): the first tap, made before it, and
 * the rest are undone. */
static void test_tap_undo(void)
{
	g_autofree char *before = NULL, *after = NULL, *err = NULL, *out = NULL;

	setup_world("[tap vm1]\nuser = tgtest\nbridge = br0\n"
		    "[tap vm2]\nuser = tgtest\nbridge = br0\n");
	sandbox_sh("ip link property add dev up1 altname vm2");
	before = snapshot(NULL);
	g_assert_cmpint(sandbox_apply("", &out, &err), ==, 1);
	g_assert_cmpstr(err, ==, "tapgate apply: 'ip tuntap add dev vm2 mode tap user 4242' "
				 "failed: a device of that name exists; the 5 changes before it were "
				 "undone");
	g_assert_cmpstr(out, ==, "");
	after = snapshot(NULL);
	g_assert_cmpstr(after, ==, before);
	g_free(after);
	after = link_details("vm1");
	g_assert_cmpstr(after, ==, "");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	sandbox_enter();
	helper = sandbox_env("TAPGATE_HELPER");
	sandbox_env("TAPGATE_CLI");
	TABLETEST_ADD("/apply/changes", apply_cases, test_apply);
	TABLETEST_ADD("/apply/problem", problem_cases, test_problem);
	g_test_add_func("/apply/bridge-mac-fixed", test_bridge_mac_fixed);
	g_test_add_func("/apply/left-out", test_left_out);
	g_test_add_func("/apply/check-port-derived-mac", test_check_port_derived_mac);
	g_test_add_func("/apply/undo-on-failure", test_undo_on_failure);
	g_test_add_func("/apply/kill-anywhere", test_kill_anywhere);
	g_test_add_func("/apply/one-at-a-time", test_one_at_a_time);
	g_test_add_func("/apply/needs-root", test_needs_root);
	TABLETEST_ADD("/attach/changes-only-its-tap", attach_cases, test_helper_changes_only_its_tap);
	g_test_add_func("/attach/not-applied", test_not_applied);
	g_test_add_func("/attach/network-bridge-down", test_network_bridge_down);
	g_test_add_func("/attach/no-kernel-vlan-filtering", test_no_kernel_vlan_filtering);
	g_test_add_func("/apply/no-8021q", test_no_8021q);
	g_test_add_func("/apply/tap/made", test_tap_made);
	TABLETEST_ADD("/apply/tap/drift", drift_cases, test_tap_drift);
	g_test_add_func("/apply/tap/undeclared", test_tap_undeclared);
	g_test_add_func("/apply/tap/adopted", test_tap_adopted);
	TABLETEST_ADD("/apply/tap/held", held_cases, test_tap_held);
	TABLETEST_ADD("/apply/tap/problem", tap_problem_cases, test_problem);
	g_test_add_func("/apply/tap/undo", test_tap_undo);
	return g_test_run();
}
