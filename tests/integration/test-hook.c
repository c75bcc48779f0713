/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tapgate-hook against real ports, fed libvirt 9.0's captured "qemu start
 * begin" input: MAC pinning drops frames with a foreign source MAC and passes
 * the guest's, isolation separates isolated ports, a second run changes
 * nothing, and failures are one clear line with exit status 1.
 */
#include <string.h>
#include <unistd.h>

#include "tabletest.h"
#include "fdb.h"
#include "frames.h"
#include "link.h"
#include "netlink.h"
#include "sandbox.h"
#include "tg-util.h"
#include "vxlan.h"

static const char *hook;
static const guint8 guest_mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0x01 };
static const guint8 foreign_mac[6] = { 0x52, 0x54, 0x00, 0x66, 0x66, 0x66 };

#define META(attrs) \
	"  <metadata>\n" \
	"    <tapgate:ports xmlns:tapgate=\"https://tapgate.dev/ns/1\">\n" \
	"      <tapgate:port mac=\"52:54:00:aa:bb:01\" " attrs "/>\n" \
	"    </tapgate:ports>\n" \
	"  </metadata>\n"

static void get_link(const char *name, LinkInfo *info)
{
	g_autoptr(NlSock) sk = NULL;

	g_assert_cmpint(tg_nl_open(&sk), ==, 0);
	g_assert_cmpint(link_get(sk, name, info), ==, 0);
}

/* Networks of the policy for network="..." ports. */
static const char policy[] =
	"[network lan]\nbridge = br0\nvxlan-vni = 10100\nvxlan-local = 192.0.2.1\n"
	"vxlan-peers = 192.0.2.2\nallow-users = *\n"
	"[network elsewhere]\nbridge = br7\nvxlan-vni = 10200\nvxlan-local = 192.0.2.1\n"
	"allow-users = *\n";

static void setup_world(void)
{
	sandbox_new_netns();
	sandbox_sh("ip link add br0 type bridge && ip link set br0 up");
	sandbox_reset_policy();
	sandbox_write("/etc/tapgate/tapgate.conf", policy, 0644, 0);
}

/* The tunnel's address on the network's own bridge: 'tapgate apply'
 * refuses (the bridge's MTU would follow the tunnel's and shrink its own
 * underlay) and makes nothing; the hook, run anyway, names what is missing. */
static void test_network_underlay_on_bridge(void)
{
	g_autofree char *xml = sandbox_domain_xml(META("network=\"lan\""));
	g_autofree char *err = NULL, *aerr = NULL;
	g_autoptr(NlSock) sk = NULL;
	LinkInfo vx;

	setup_world();
	sandbox_sh("ip addr add 192.0.2.1/24 dev br0");
	g_assert_cmpint(sandbox_apply("", NULL, &aerr), ==, 1);
	g_assert_cmpstr(aerr, ==, "tapgate apply: network 'lan': vxlan-local 192.0.2.1 is on "
				  "'br0', which is or belongs to the network's own bridge: the "
				  "tunnel would carry itself; put the address on the uplink\n"
				  "tapgate apply: 1 of 2 networks and managed bridges left out");
	g_assert_cmpint(sandbox_run_hook(hook, "--qemu lvt1 prepare begin -", xml, &err), ==, 1);
	g_assert_cmpstr(err, ==, "tapgate-hook: domain 'lvt1': interface 52:54:00:aa:bb:01: network "
				 "'lan': 'vx10100' does not exist; run 'tapgate apply' as root");
	g_assert_cmpint(tg_nl_open(&sk), ==, 0);
	g_assert_cmpint(link_get(sk, "vx10100", &vx), ==, -ENODEV);
}

/* network="lan": the hook makes nothing. Before 'tapgate apply' its prepare
 * refuses with one line naming the fix; after it, libvirt's tap gets the
 * tunnel's MTU; at start it wires the port; reconnect finds nothing to do. */
static void test_network_vxlan(void)
{
	g_autofree char *xml = sandbox_domain_xml(META("network=\"lan\" pin-mac=\"yes\""));
	g_autofree char *err = NULL, *err2 = NULL, *err3 = NULL, *err0 = NULL;
	g_autoptr(NlSock) sk = NULL;
	g_autoptr(GArray) fdb = NULL;
	tg_autoclose int guest = -1;
	LinkInfo br, vx, tap;

	sandbox_new_netns();
	sandbox_sh("ip link add u0 type veth peer name u1 && ip addr add 192.0.2.1/24 dev u0 && "
		   "ip link set u0 up && ip link set u1 up");
	sandbox_reset_policy();
	sandbox_write("/etc/tapgate/tapgate.conf", policy, 0644, 0);

	g_assert_cmpint(sandbox_run_hook(hook, "--qemu lvt1 prepare begin -", xml, &err0), ==, 1);
	g_assert_cmpstr(err0, ==, "tapgate-hook: domain 'lvt1': interface 52:54:00:aa:bb:01: "
				  "network 'lan': bridge 'br0' does not exist; run 'tapgate apply' "
				  "as root");
	g_assert_cmpint(sandbox_apply("", NULL, NULL), ==, 0);
	g_assert_cmpint(sandbox_run_hook(hook, "--qemu lvt1 prepare begin -", xml, &err), ==, 0);
	g_assert_cmpstr(err, ==, "");
	get_link("br0", &br);
	get_link("vx10100", &vx);
	g_assert_cmpint(vx.master, ==, br.ifindex);
	g_assert_true(vx.flags & IFF_UP);
	g_assert_cmpuint(br.mtu, ==, 1450);
	g_assert_cmpint(tg_nl_open(&sk), ==, 0);
	g_assert_cmpint(vxlan_fdb_dump(sk, vx.ifindex, &fdb), ==, 0);
	g_assert_cmpuint(fdb->len, ==, 1);	/* the flood entry of the one peer */

	guest = sandbox_tap("vnet9", "br0");
	get_link("vnet9", &tap);
	g_assert_cmpint(sandbox_run_hook(hook, "--qemu lvt1 start begin -", xml, &err2), ==, 0);
	g_assert_cmpstr(err2, ==, "tapgate-hook: lvt1: vnet9: static fdb entry\n"
				  "tapgate-hook: lvt1: vnet9: learning off locked on");
	g_assert_cmpint(sandbox_run_hook(hook, "--qemu lvt1 reconnect begin -", xml, &err3), ==, 0);
	g_assert_cmpstr(err3, ==, "");
}

static void test_pin_mac(void)
{
	g_autofree char *xml = sandbox_domain_xml(META("pin-mac=\"yes\""));
	g_autofree char *err = NULL, *err2 = NULL;
	tg_autoclose int guest = -1, peer = -1;
	g_autoptr(NlSock) sk = NULL;
	gboolean plain = FALSE;
	VlanSet vids;
	LinkInfo port;

	setup_world();
	guest = sandbox_tap("vnet9", "br0");
	peer = sandbox_tap("peer0", "br0");
	g_assert_cmpint(sandbox_run_hook(hook, "--qemu lvt1 start begin -", xml, &err), ==, 0);
	g_assert_cmpstr(err, ==, "tapgate-hook: lvt1: vnet9: static fdb entry\n"
				 "tapgate-hook: lvt1: vnet9: learning off locked on");
	get_link("vnet9", &port);
	g_assert_false(port.learning);
	g_assert_true(port.locked);
	g_assert_false(port.isolated);
	g_assert_cmpint(tg_nl_open(&sk), ==, 0);
	g_assert_cmpint(fdb_static_vids(sk, port.ifindex, guest_mac, &vids, &plain), ==, 0);
	g_assert_true(plain);

	/* The guest's own frames pass; any other source MAC is dropped. */
	frame_send(guest, FALSE, guest_mac, 0, "from the guest");
	g_assert_true(frame_wait(peer, "from the guest", 3000, NULL));
	frame_send(guest, FALSE, foreign_mac, 0, "spoofed");
	g_assert_false(frame_wait(peer, "spoofed", 700, NULL));

	/* libvirtd restarted: reconnect finds everything right and changes nothing. */
	g_assert_cmpint(sandbox_run_hook(hook, "--qemu lvt1 reconnect begin -", xml, &err2), ==, 0);
	g_assert_cmpstr(err2, ==, "");
}

static void test_isolated(void)
{
	g_autofree char *meta = g_strconcat(
		"  <metadata>\n"
		"    <tg:ports xmlns:tg=\"https://tapgate.dev/ns/1\">\n"
		"      <tg:port mac=\"52:54:00:aa:bb:01\" isolated=\"yes\"/>\n"
		"      <tg:port mac=\"52:54:00:aa:bb:02\" isolated=\"yes\"/>\n"
		"    </tg:ports>\n"
		"  </metadata>\n", NULL);
	g_autofree char *xml1 = sandbox_domain_xml(meta);
	g_autofree char *err = NULL;
	g_auto(GStrv) parts = NULL;
	g_autofree char *xml = NULL;
	tg_autoclose int a = -1, b = -1, c = -1;
	LinkInfo port;

	/* A second interface, vnet10, for the second MAC. */
	parts = g_strsplit(xml1, "    </interface>", 2);
	xml = g_strconcat(parts[0], "    </interface>\n    <interface type='bridge'>\n"
			  "      <mac address='52:54:00:aa:bb:02'/>\n      <source bridge='br0'/>\n"
			  "      <target dev='vnet10'/>\n      <model type='virtio'/>\n"
			  "    </interface>", parts[1], NULL);
	setup_world();
	a = sandbox_tap("vnet9", "br0");
	b = sandbox_tap("vnet10", "br0");
	c = sandbox_tap("peer0", "br0");
	g_assert_cmpint(sandbox_run_hook(hook, "--qemu lvt1 start begin -", xml, &err), ==, 0);
	get_link("vnet10", &port);
	g_assert_true(port.isolated);
	g_assert_true(port.learning);	/* not pinned */
	frame_send(a, FALSE, guest_mac, 0, "isolated to the rest");
	g_assert_true(frame_wait(c, "isolated to the rest", 3000, NULL));
	g_assert_false(frame_wait(b, "isolated to the rest", 700, NULL));
}

typedef struct {
	const char *name;
	const char *metadata;
	gboolean make_tap;
	const char *expect_err;
	const char *setup;	/* shell commands run first, or NULL */
	const char *expect_err_no_filtering;	/* on a kernel without VLAN filtering */
} ErrCase;

static const ErrCase err_cases[] = {
	{ "vlan-without-filtering", META("vlan=\"100\""), TRUE,
	  "tapgate-hook: domain 'lvt1': interface 52:54:00:aa:bb:01 (vnet9): bridge 'br0' does not "
	  "filter VLANs; turn it on with 'ip link set dev br0 type bridge vlan_filtering 1'", NULL,
	  /* where it cannot be turned on, it is not advised (the old hook did) */
	  "tapgate-hook: domain 'lvt1': interface 52:54:00:aa:bb:01 (vnet9): bridge 'br0' does not "
	  "filter VLANs, and this kernel has no bridge VLAN filtering "
	  "(CONFIG_BRIDGE_VLAN_FILTERING); use a network of the policy with 'uplink =' (802.1Q "
	  "sub-interfaces) instead" },
	{ "tap-missing", META("pin-mac=\"yes\""), FALSE,
	  "tapgate-hook: domain 'lvt1': interface 52:54:00:aa:bb:01 (vnet9): 'vnet9' does not exist" },
	{ "bad-mac", "  <metadata><t:ports xmlns:t=\"https://tapgate.dev/ns/1\"><t:port mac=\"nope\"/>"
	  "</t:ports></metadata>\n", TRUE,
	  "tapgate-hook: domain 'lvt1': tapgate metadata: port 'nope': 'mac' must be a MAC address" },
	{ "network-not-in-policy", META("network=\"nope\""), TRUE,
	  "tapgate-hook: domain 'lvt1': interface 52:54:00:aa:bb:01: network 'nope' is not in the "
	  "policy (/etc/tapgate/tapgate.conf)" },
	{ "network-on-other-bridge", META("network=\"elsewhere\""), TRUE,
	  "tapgate-hook: domain 'lvt1': interface 52:54:00:aa:bb:01: its bridge is 'br0', but "
	  "network 'elsewhere' is on bridge 'br7'" },
	{ "network-not-applied", META("network=\"lan\""), TRUE,
	  "tapgate-hook: domain 'lvt1': interface 52:54:00:aa:bb:01: network 'lan': 'vx10100' "
	  "does not exist; run 'tapgate apply' as root" },
	/* <target dev> naming what is not the guest's tap: the host's uplink in
	 * br0, or a tap on another bridge; before, the hook pinned and locked it */
	{ "target-not-a-tap", META("pin-mac=\"yes\" isolated=\"yes\""), FALSE,
	  "tapgate-hook: domain 'lvt1': interface 52:54:00:aa:bb:01 (vnet9): 'vnet9' is a veth "
	  "device, not a guest's tap; tapgate acts only on taps",
	  "ip link add vnet9 type veth peer name vnet9p && ip link set vnet9 master br0" },
	{ "tap-on-other-bridge", META("pin-mac=\"yes\""), FALSE,
	  "tapgate-hook: domain 'lvt1': interface 52:54:00:aa:bb:01 (vnet9): 'vnet9' is a port of "
	  "bridge 'br5', not of 'br0' (its <source bridge>)",
	  "ip link add br5 type bridge && ip link set br5 up && ip tuntap add vnet9 mode tap && "
	  "ip link set vnet9 master br5" },
	{ "unknown-element", "  <metadata><t:ports xmlns:t=\"https://tapgate.dev/ns/1\"><t:vlan/>"
	  "</t:ports></metadata>\n", TRUE,
	  "tapgate-hook: domain 'lvt1': tapgate metadata: unknown element <vlan> (known: <port>)" },
};

static void test_err(gconstpointer data)
{
	const ErrCase *c = data;
	g_autofree char *xml = sandbox_domain_xml(c->metadata);
	g_autofree char *err = NULL;
	tg_autoclose int tap = -1;

	setup_world();
	if (c->make_tap)
		tap = sandbox_tap("vnet9", "br0");
	if (c->setup)
		sandbox_sh("%s", c->setup);
	g_assert_cmpint(sandbox_run_hook(hook, "--qemu lvt1 start begin -", xml, &err), ==, 1);
	/* the namespace's own /sys: vlan_protocol exists only with VLAN filtering */
	if (c->expect_err_no_filtering &&
	    !g_file_test("/sys/class/net/br0/bridge/vlan_protocol", G_FILE_TEST_EXISTS))
		g_assert_cmpstr(err, ==, c->expect_err_no_filtering);
	else
		g_assert_cmpstr(err, ==, c->expect_err);
	if (c->setup) {	/* and nothing was changed on it */
		LinkInfo l;

		get_link("vnet9", &l);
		g_assert_true(l.learning);
		g_assert_false(l.locked || l.isolated);
	}
}

/* Installed where libvirt runs it, argv[1] is a name, whatever it looks like;
 * and isolation libvirt set itself (<port isolated='yes'/>) stays on. */
static void test_installed_name_like_option(void)
{
	g_autofree char *xml = sandbox_domain_xml(META("pin-mac=\"yes\""));
	g_autofree char *err = NULL;
	tg_autoclose int tap = -1;
	LinkInfo port;

	setup_world();
	tap = sandbox_tap("vnet9", "br0");
	sandbox_sh("bridge link set dev vnet9 isolated on");
	sandbox_sh("mkdir -p /tmp/hooks/qemu.d && cp %s /tmp/hooks/qemu.d/tapgate", hook);
	g_assert_cmpint(sandbox_run_hook("/tmp/hooks/qemu.d/tapgate", "--dry-run start begin -", xml,
					 &err), ==, 0);
	get_link("vnet9", &port);
	g_assert_true(port.locked);	/* really applied, not a dry run */
	g_assert_true(port.isolated);	/* not switched off */
}

/* The session daemon runs hooks as the user: nothing to do, nothing to fail. */
static void test_not_root(void)
{
	g_autofree char *xml = sandbox_domain_xml(META("vlan=\"100\""));
	g_autofree char *err = NULL;
	g_autofree char *args = g_strdup_printf("-c 'exec setpriv --reuid=4242 --regid=4242 "
						"--clear-groups %s --qemu lvt1 start begin -'", hook);

	setup_world();
	g_assert_cmpint(sandbox_run_hook("/bin/sh", args, xml, &err), ==, 0);
	g_assert_cmpstr(err, ==, "");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	hook = sandbox_env("TAPGATE_HOOK");
	sandbox_env("TAPGATE_DATA");
	sandbox_enter();
	g_test_add_func("/hook/pin-mac", test_pin_mac);
	g_test_add_func("/hook/isolated", test_isolated);
	g_test_add_func("/hook/network-vxlan", test_network_vxlan);
	g_test_add_func("/hook/network-underlay-on-bridge", test_network_underlay_on_bridge);
	g_test_add_func("/hook/not-root", test_not_root);
	g_test_add_func("/hook/installed-name-like-option", test_installed_name_like_option);
	TABLETEST_ADD("/hook/error", err_cases, test_err);
	return g_test_run();
}
