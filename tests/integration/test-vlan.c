/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VLANs with real frames: access and trunk ports on a vlan-filtering bridge,
 * the default VLAN kept off guest ports, and 802.1Q sub-interface bridges.
 * Needs 8021q and bridge vlan_filtering: tests/vm/kernel-test.sh runs it
 * natively where the host kernel has them, in the test guest otherwise.
 */
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "tabletest.h"
#include "bridge-vlan.h"
#include "fdb.h"
#include "frames.h"
#include "link.h"
#include "netlink.h"
#include "sandbox.h"
#include "tg-util.h"

static const char *helper, *hook;

static const char policy[] =
	"[bridge br0]\n"
	"managed = true\n"
	"allow-users = *\n"
	"allow-vlans = 300\n"
	"\n"
	"[bridge brx]\n"		/* not managed */
	"allow-users = *\n"
	"\n"
	"[network lan100]\nbridge = br0\nvlan = 100\nallow-users = *\n"
	"[network lan200]\nbridge = br0\nvlan = 200\nallow-users = *\n"
	"[network vlan1]\nbridge = br0\nvlan = 1\nallow-users = *\n"
	"[network trunk]\nbridge = br0\ntrunk = 100;200\nallow-users = *\n"
	"[network native]\nbridge = br0\ntrunk = 100;200-210\nnative = 100\nallow-users = *\n"
	"[network kept]\nbridge = br0\nvlan = 100\nkeep-default-vlan = true\nallow-users = *\n"
	"[network onbrx]\nbridge = brx\nvlan = 100\nallow-users = *\n"
	"[network sub100]\nuplink = u0\nvlan = 100\nallow-users = *\n"
	"[network sub200]\nuplink = u0\nvlan = 200\nallow-users = *\n"
	"[network clash]\nuplink = u0\nvlan = 300\nallow-users = *\n"
	"[network lost]\nuplink = nope0\nvlan = 100\nallow-users = *\n"
	"[network lanq]\nbridge = br0\nvlan = 300\nallow-users = *\nmax-ports-per-user = 20\n"
	"[network vx150]\nbridge = br0\nvlan = 150\nvxlan-vni = 10150\nvxlan-local = 192.0.2.1\n"
	"vxlan-peers = 192.0.2.2\nallow-users = *\n";

static const guint8 mac_a[6] = { 0x52, 0x54, 0x00, 0, 0, 0xa };
static const guint8 mac_t[6] = { 0x52, 0x54, 0x00, 0, 0, 0xf };

static void setup_world(void)
{
	sandbox_new_netns();
	sandbox_sh("ip link add br0 type bridge && ip link set br0 up && "
		   "ip link add brx type bridge && ip link set brx up && "
		   "ip link add u0 type veth peer name u1 && ip link set u0 up && ip link set u1 up");
	sandbox_reset_policy();
	sandbox_write("/etc/tapgate/tapgate.conf", policy, 0644, 0);
}

/* Problems 'tapgate apply' has with the policy above, by design: each
 * network left out alone, the rest made. */
static const char *const known_problems[] = {
	("tapgate apply: network 'onbrx': bridge 'brx' does not filter VLANs, and the policy does "
	 "not let tapgate switch it on ('managed = true' in [bridge brx])"),
	"tapgate apply: network 'lost': uplink 'nope0' does not exist",
	"tapgate apply: network 'vx150': vxlan-local 192.0.2.1 is not an address of this host",
	"tapgate apply: network 'clash': 'u0.300' exists but is not VLAN 300 on 'u0'",
};

/* 'tapgate apply' as at boot: returns what it printed. */
static char *apply_rest(void)
{
	g_autofree char *err = NULL;
	g_auto(GStrv) lines = NULL;
	char *out = NULL;

	g_assert_cmpint(sandbox_apply("", &out, &err), <=, 1);
	lines = g_strsplit(err, "\n", -1);
	for (guint i = 0; lines[i] && *lines[i]; i++) {
		gboolean known = g_str_has_suffix(lines[i], "networks and managed bridges left out");

		for (guint j = 0; j < G_N_ELEMENTS(known_problems) && !known; j++)
			known = !strcmp(lines[i], known_problems[j]);
		if (!known)
			g_error("tapgate apply: unexpected: %s", lines[i]);
	}
	return out;
}

/* A port on @name, as root, with no vnet header so frames read back plainly. */
static void port(const char *name, const char *vlan_arg, HelperRun *run)
{
	g_autofree char *br = g_strdup_printf("--br=%s", name);
	const char *args[] = { br, "--fd=@FD@", vlan_arg, NULL };

	helper_run(helper, args, NULL, run);
	if (run->status != 0)
		g_error("helper on '%s' failed (exit status %d): %s", name, run->status, run->err);
}

static void get_link(const char *name, LinkInfo *info)
{
	g_autoptr(NlSock) sk = NULL;

	g_assert_cmpint(tg_nl_open(&sk), ==, 0);
	g_assert_cmpint(link_get(sk, name, info), ==, 0);
}

static void test_access_trunk_frames(void)
{
	g_auto(HelperRun) a = { .tapfd = -1 }, b = { .tapfd = -1 };
	g_auto(HelperRun) c = { .tapfd = -1 }, t = { .tapfd = -1 };
	LinkInfo br;
	int vlan = 0;

	setup_world();
	g_free(apply_rest());
	port("lan100", NULL, &a);
	port("lan100", NULL, &b);
	port("lan200", NULL, &c);
	port("trunk", NULL, &t);
	get_link("br0", &br);
	g_assert_true(br.vlan_filtering);	/* switched on by apply: the bridge is managed */

	/* Two access ports of VLAN 100 talk; VLAN 200 hears nothing; the trunk
	 * gets the frame tagged 100. */
	frame_send(a.tapfd, FALSE, mac_a, 0, "a to vlan 100");
	g_assert_true(frame_wait(b.tapfd, "a to vlan 100", 3000, &vlan));
	g_assert_cmpint(vlan, ==, -1);
	g_assert_true(frame_wait(t.tapfd, "a to vlan 100", 3000, &vlan));
	g_assert_cmpint(vlan, ==, 100);
	g_assert_false(frame_wait(c.tapfd, "a to vlan 100", 500, NULL));

	/* From the trunk, tagged 200: only the VLAN 200 port, untagged. */
	frame_send(t.tapfd, FALSE, mac_t, 200, "trunk to vlan 200");
	g_assert_true(frame_wait(c.tapfd, "trunk to vlan 200", 3000, &vlan));
	g_assert_cmpint(vlan, ==, -1);
	g_assert_false(frame_wait(a.tapfd, "trunk to vlan 200", 500, NULL));
}

/* VLAN 1 traffic never reaches an access port, nor the other way round. */
static void test_default_vlan_isolated(void)
{
	g_auto(HelperRun) a = { .tapfd = -1 }, v1 = { .tapfd = -1 };

	setup_world();
	g_free(apply_rest());
	port("lan100", NULL, &a);
	port("vlan1", NULL, &v1);
	frame_send(v1.tapfd, FALSE, mac_t, 0, "from vlan 1");
	g_assert_false(frame_wait(a.tapfd, "from vlan 1", 700, NULL));
	frame_send(a.tapfd, FALSE, mac_a, 0, "from vlan 100");
	g_assert_false(frame_wait(v1.tapfd, "from vlan 100", 700, NULL));
}

typedef struct {
	const char *name;
	const char *target;
	const char *vlan_arg;
	const char *vids;	/* expected, as vlan_set_format() writes them */
	const char *untagged;
	unsigned int pvid;
} StateCase;

static const StateCase state_cases[] = {
	{ "access", "lan100", NULL, "100", "100", 100 },
	{ "trunk", "trunk", NULL, "100;200", "", 0 },
	{ "trunk-native", "native", NULL, "100;200-210", "100", 100 },
	{ "keep-default-vlan", "kept", NULL, "1;100", "1;100", 100 },
	{ "vlan-arg", "br0", "--vlan=300", "300", "300", 300 },
};

/* What the kernel really has on the port, read back by an RTM_GETVLAN dump. */
static void test_port_state(gconstpointer data)
{
	const StateCase *c = data;
	g_auto(HelperRun) r = { .tapfd = -1 };
	g_autoptr(NlSock) sk = NULL;
	g_autofree char *vids = NULL, *untagged = NULL;
	PortVlanState st;
	LinkInfo tap;

	setup_world();
	g_free(apply_rest());
	port(c->target, c->vlan_arg, &r);
	get_link(r.tapname, &tap);
	g_assert_true(tap.flags & IFF_UP);
	g_assert_cmpint(tg_nl_open(&sk), ==, 0);
	g_assert_cmpint(bridge_vlan_get(sk, tap.ifindex, &st), ==, 0);
	vids = vlan_set_format(&st.vids);
	untagged = vlan_set_format(&st.untagged);
	g_assert_cmpstr(vids, ==, c->vids);
	g_assert_cmpstr(untagged, ==, c->untagged);
	g_assert_cmpuint(st.pvid, ==, c->pvid);
}

typedef struct {
	const char *name;
	const char *target;
	const char *vlan_arg;
	const char *setup;
	const char *expect_err;
} ErrCase;

static const ErrCase err_cases[] = {
	{ "not-managed", "onbrx", NULL, NULL,
	  "tapgate-helper: network 'onbrx': bridge 'brx' does not filter VLANs (vlan_filtering is off), and the "
	  "policy does not let tapgate switch it on ('managed = true' in [bridge brx])" },
	{ "plain-on-filtering-bridge", "br0", NULL, "ip link set br0 type bridge vlan_filtering 1",
	  "tapgate-helper: bridge 'br0' filters VLANs: ask for a VLAN (a network, or '--vlan=ID'), "
	  "or set 'keep-default-vlan = true' for it in the policy" },
	{ "vlan-not-allowed", "br0", "--vlan=301", NULL,
	  "tapgate-helper: access denied by policy: no rule allows uid 0 on bridge 'br0' with "
	  "VLAN 301" },
	{ "vlan-arg-on-network", "lan100", "--vlan=100", NULL,
	  "tapgate-helper: access denied by policy: network 'lan100' sets its own VLANs; '--vlan' "
	  "cannot be used with it" },
	{ "subif-name-taken", "clash", NULL, "ip link add u0.300 type bridge",
	  "tapgate-helper: network 'clash': bridge 'br300-u0' does not exist; run 'tapgate apply' "
	  "as root" },
	{ "uplink-missing", "lost", NULL, NULL,
	  "tapgate-helper: network 'lost': bridge 'br100-nope0' does not exist; run 'tapgate "
	  "apply' as root" },
};

static void test_err(gconstpointer data)
{
	const ErrCase *c = data;
	g_autofree char *br = g_strdup_printf("--br=%s", c->target);
	const char *args[] = { br, "--fd=@FD@", c->vlan_arg, NULL };
	g_auto(HelperRun) r = { .tapfd = -1 };
	g_autoptr(GPtrArray) taps = NULL;

	setup_world();
	if (c->setup)
		sandbox_sh("%s", c->setup);
	g_free(apply_rest());
	helper_run(helper, args, NULL, &r);
	g_assert_cmpstr(r.err, ==, c->expect_err);
	g_assert_cmpint(r.status, ==, 1);
	g_assert_cmpint(r.tapfd, ==, -1);
	taps = sandbox_links_of_kind("tun");
	g_assert_cmpuint(taps->len, ==, 0);
}

/* Sub-interface mode: the guest's frames leave the uplink tagged. */
static void test_subif_tagged_on_uplink(void)
{
	g_auto(HelperRun) a = { .tapfd = -1 }, a2 = { .tapfd = -1 }, b = { .tapfd = -1 };
	tg_autoclose int cap = -1;
	LinkInfo br100, br100_again, sub100, sub100_again, br200, sub200, tap_a;
	int vlan = 0;

	g_autofree char *made = NULL;

	setup_world();
	made = apply_rest();
	g_assert_nonnull(strstr(made, "ip link add link u0 name u0.100 type vlan id 100\n"));
	g_assert_nonnull(strstr(made, "ip link set dev u0.100 master br100-u0\n"));
	cap = packet_socket("u1");
	port("sub100", NULL, &a);
	get_link("br100-u0", &br100);
	get_link("u0.100", &sub100);
	get_link(a.tapname, &tap_a);
	g_assert_cmpint(sub100.master, ==, br100.ifindex);
	g_assert_cmpuint(sub100.vlan_id, ==, 100);
	g_assert_cmpint(tap_a.master, ==, br100.ifindex);
	g_assert_true(br100.flags & IFF_UP);

	frame_send(a.tapfd, FALSE, mac_a, 0, "guest on sub100");
	g_assert_true(frame_wait(cap, "guest on sub100", 3000, &vlan));
	g_assert_cmpint(vlan, ==, 100);

	/* A second port of the same network reuses the bridge and sub-interface. */
	port("sub100", NULL, &a2);
	get_link("br100-u0", &br100_again);
	get_link("u0.100", &sub100_again);
	g_assert_cmpint(br100_again.ifindex, ==, br100.ifindex);
	g_assert_cmpint(sub100_again.ifindex, ==, sub100.ifindex);

	/* A second VLAN on the same uplink gets its own, and shares nothing. */
	port("sub200", NULL, &b);
	get_link("br200-u0", &br200);
	get_link("u0.200", &sub200);
	g_assert_cmpint(br200.ifindex, !=, br100.ifindex);
	g_assert_cmpint(sub200.master, ==, br200.ifindex);
	frame_send(b.tapfd, FALSE, mac_t, 0, "guest on sub200");
	g_assert_true(frame_wait(cap, "guest on sub200", 3000, &vlan));
	g_assert_cmpint(vlan, ==, 200);
	g_assert_false(frame_wait(a.tapfd, "guest on sub200", 500, NULL));
}

/* The VXLAN packet of VNI @vni from 192.0.2.1 to 192.0.2.2 carrying our
 * @text in an untagged inner frame, as captured on the far end of u0. */
static gboolean vxlan_wait(int fd, unsigned int vni, const char *text, int timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	size_t tl = strlen(text) + 1;

	for (;;) {
		gint64 left = (deadline - g_get_monotonic_time()) / 1000;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		guint8 f[2048];
		const guint8 *in = f + 50;	/* Ethernet 14, IPv4 20, UDP 8, VXLAN 8 */
		gssize n;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return FALSE;
		n = recv(fd, f, sizeof(f), MSG_DONTWAIT);
		if (n < 50 + 14 + (gssize)tl || f[12] != 0x08 || f[13] != 0x00 || f[23] != 17 ||
		    f[36] != 4789 >> 8 || f[37] != (4789 & 0xff) || f[42] != 0x08 ||
		    ((guint)f[46] << 16 | (guint)f[47] << 8 | f[48]) != vni)
			continue;
		if (in[12] == FRAME_ETHERTYPE >> 8 && in[13] == (FRAME_ETHERTYPE & 0xff) &&
		    !memcmp(in + 14, text, tl))
			return TRUE;
	}
}

/* The far end sends: a VXLAN packet 192.0.2.2 -> 192.0.2.1 of VNI @vni,
 * inner frame untagged, broadcast, with @text (UDP checksum 0: allowed). */
static void vxlan_send(int fd, const guint8 dst_mac[6], unsigned int vni, const char *text)
{
	guint8 f[256] = { 0 }, *ip = f + 14, *udp = f + 34, *vx = f + 42, *in = f + 50;
	size_t tl = strlen(text) + 1, inner = 14 + tl, total = 50 + inner;
	guint32 sum = 0;

	memcpy(f, dst_mac, 6);
	memcpy(f + 6, mac_t, 6);
	f[12] = 0x08;
	ip[0] = 0x45, ip[8] = 64, ip[9] = 17;
	ip[2] = (guint8)((total - 14) >> 8), ip[3] = (guint8)(total - 14);
	memcpy(ip + 12, (guint8[]){ 192, 0, 2, 2 }, 4);
	memcpy(ip + 16, (guint8[]){ 192, 0, 2, 1 }, 4);
	for (int i = 0; i < 20; i += 2)
		sum += (guint32)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip[10] = (guint8)(~sum >> 8), ip[11] = (guint8)~sum;
	udp[0] = 0xc0, udp[1] = 0x00;				/* source port 49152 */
	udp[2] = 4789 >> 8, udp[3] = 4789 & 0xff;
	udp[4] = (guint8)((total - 34) >> 8), udp[5] = (guint8)(total - 34);
	vx[0] = 0x08;						/* VNI present */
	vx[4] = (guint8)(vni >> 16), vx[5] = (guint8)(vni >> 8), vx[6] = (guint8)vni;
	memset(in, 0xff, 6);
	memcpy(in + 6, mac_t, 6);
	in[12] = FRAME_ETHERTYPE >> 8, in[13] = FRAME_ETHERTYPE & 0xff;
	memcpy(in + 14, text, tl);
	g_assert_cmpint(send(fd, f, total, 0), ==, (gssize)total);
}

/* A network that spans hosts, on a vlan-filtering bridge: vx10150 is an
 * access port of VLAN 150 (VLAN-to-VNI mapping), the guest's untagged VLAN
 * 150 frames leave u0 as VNI 10150, and VNI 10150 comes back to VLAN 150
 * only. */
static void test_vxlan_vlan_to_vni(void)
{
	g_auto(HelperRun) a = { .tapfd = -1 }, a2 = { .tapfd = -1 }, c = { .tapfd = -1 };
	g_autoptr(NlSock) sk = NULL;
	g_autofree char *vids = NULL, *untagged = NULL;
	tg_autoclose int far = -1;
	LinkInfo vx, vx_again, br, u0, tap;
	PortVlanState st;

	setup_world();
	sandbox_sh("ip addr add 192.0.2.1/24 dev u0 && "
		   "ip neigh add 192.0.2.2 lladdr 52:54:00:00:00:0f dev u0 nud permanent");
	g_free(apply_rest());
	far = packet_socket("u1");
	port("vx150", NULL, &a);
	port("lan200", NULL, &c);
	get_link("br0", &br);
	get_link("vx10150", &vx);
	get_link("u0", &u0);
	get_link(a.tapname, &tap);
	g_assert_true(br.vlan_filtering);
	g_assert_cmpstr(vx.kind, ==, "vxlan");
	g_assert_cmpuint(vx.vxlan_id, ==, 10150);
	g_assert_cmpint(vx.master, ==, br.ifindex);
	g_assert_true(vx.flags & IFF_UP);
	g_assert_cmpuint(vx.mtu, ==, 1450);
	g_assert_cmpuint(tap.mtu, ==, 1450);
	g_assert_cmpint(tg_nl_open(&sk), ==, 0);
	g_assert_cmpint(bridge_vlan_get(sk, vx.ifindex, &st), ==, 0);
	vids = vlan_set_format(&st.vids);
	untagged = vlan_set_format(&st.untagged);
	g_assert_cmpstr(vids, ==, "150");	/* the default VLAN is off the tunnel */
	g_assert_cmpstr(untagged, ==, "150");
	g_assert_cmpuint(st.pvid, ==, 150);

	frame_send(a.tapfd, FALSE, mac_a, 0, "vlan 150 to vni 10150");
	g_assert_true(vxlan_wait(far, 10150, "vlan 150 to vni 10150", 3000));
	frame_send(c.tapfd, FALSE, mac_a, 0, "vlan 200 stays here");
	g_assert_false(vxlan_wait(far, 10150, "vlan 200 stays here", 500));

	vxlan_send(far, u0.mac, 10150, "vni 10150 to vlan 150");
	g_assert_true(frame_wait(a.tapfd, "vni 10150 to vlan 150", 3000, NULL));
	g_assert_false(frame_wait(c.tapfd, "vni 10150 to vlan 150", 500, NULL));

	/* A second guest reuses the device. */
	port("vx150", NULL, &a2);
	get_link("vx10150", &vx_again);
	g_assert_cmpint(vx_again.ifindex, ==, vx.ifindex);
}

static gpointer quota_call(gpointer data)
{
	static const char *const args[] = { "--br=lanq", "--fd=@FD@", NULL };

	helper_run(helper, args, NULL, data);
	return NULL;
}

/* 50 calls at once on a named network with a quota: exactly 20 VLAN ports. */
static void test_network_quota_concurrent(void)
{
	static HelperRun runs[50];
	g_autoptr(GPtrArray) threads = g_ptr_array_new();
	g_autoptr(NlSock) sk = NULL;
	guint ok = 0;

	setup_world();
	g_free(apply_rest());
	memset(runs, 0, sizeof(runs));
	for (guint i = 0; i < G_N_ELEMENTS(runs); i++)
		g_ptr_array_add(threads, g_thread_new("call", quota_call, &runs[i]));
	g_assert_cmpint(tg_nl_open(&sk), ==, 0);
	for (guint i = 0; i < G_N_ELEMENTS(runs); i++) {
		g_thread_join(g_ptr_array_index(threads, i));
		if (runs[i].status == 0) {
			LinkInfo tap;
			PortVlanState st;

			ok++;
			g_assert_cmpint(link_get(sk, runs[i].tapname, &tap), ==, 0);
			g_assert_cmpint(bridge_vlan_get(sk, tap.ifindex, &st), ==, 0);
			g_assert_cmpuint(st.pvid, ==, 300);
		} else {
			g_assert_cmpstr(runs[i].err, ==, "tapgate-helper: quota reached: uid 0 already has "
					"20 ports on network 'lanq' (max-ports-per-user = 20)");
		}
	}
	g_assert_cmpuint(ok, ==, 20);
	for (guint i = 0; i < G_N_ELEMENTS(runs); i++)
		helper_run_clear(&runs[i]);
}

/* tapgate-hook on a libvirt-made port (vnetN) of a vlan-filtering bridge. */
static void test_hook_access_pinned(void)
{
	g_autofree char *xml = sandbox_domain_xml(
		"  <metadata><tg:ports xmlns:tg=\"https://tapgate.dev/ns/1\">"
		"<tg:port mac=\"52:54:00:aa:bb:01\" vlan=\"100\" pin-mac=\"yes\"/>"
		"</tg:ports></metadata>\n");
	static const guint8 guest_mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0x01 };
	g_auto(HelperRun) peer = { .tapfd = -1 };
	g_autofree char *err = NULL, *vids = NULL;
	g_autoptr(NlSock) sk = NULL;
	tg_autoclose int guest = -1;
	PortVlanState st;
	LinkInfo tap;
	gboolean plain;
	VlanSet fdb;

	setup_world();
	sandbox_sh("ip link set br0 type bridge vlan_filtering 1");
	guest = sandbox_tap("vnet9", "br0");
	port("lan100", NULL, &peer);
	g_assert_cmpint(sandbox_run_hook(hook, "--qemu lvt1 start begin -", xml, &err), ==, 0);
	get_link("vnet9", &tap);
	g_assert_true(tap.locked);
	g_assert_cmpint(tg_nl_open(&sk), ==, 0);
	g_assert_cmpint(bridge_vlan_get(sk, tap.ifindex, &st), ==, 0);
	vids = vlan_set_format(&st.vids);
	g_assert_cmpstr(vids, ==, "100");
	g_assert_cmpuint(st.pvid, ==, 100);
	g_assert_cmpint(fdb_static_vids(sk, tap.ifindex, guest_mac, &fdb, &plain), ==, 0);
	g_assert_true(vlan_set_has(&fdb, 100));

	frame_send(guest, FALSE, guest_mac, 0, "hooked guest on vlan 100");
	g_assert_true(frame_wait(peer.tapfd, "hooked guest on vlan 100", 3000, NULL));
	frame_send(guest, FALSE, mac_t, 0, "spoofed on vlan 100");
	g_assert_false(frame_wait(peer.tapfd, "spoofed on vlan 100", 700, NULL));

	/* Run again: nothing to change. */
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(sandbox_run_hook(hook, "--qemu lvt1 reconnect begin -", xml, &err), ==, 0);
	g_assert_cmpstr(err, ==, "");
}

/* A managed bridge that carries VLANs: apply switches filtering on with
 * default_pvid 0, so a port nobody wired (a libvirt hot-plug before sync)
 * forwards nothing; the ports that were there keep VLAN 1 as they had it. */
static void test_apply_default_pvid(void)
{
	static const char pol[] = "[bridge br0]\nmanaged = true\n"
				  "[network lan100]\nbridge = br0\nvlan = 100\nallow-users = *\n";
	g_autofree char *out = NULL, *again = NULL, *vids = NULL;
	g_autoptr(NlSock) sk = NULL;
	tg_autoclose int hotplug = -1;
	PortVlanState st;
	LinkInfo br, up, tap;

	setup_world();
	sandbox_write("/etc/tapgate/tapgate.conf", pol, 0644, 0);
	sandbox_sh("ip link set u0 master br0");
	g_assert_cmpint(sandbox_apply("", &out, NULL), ==, 0);
	g_assert_nonnull(strstr(out, "ip link set dev br0 type bridge vlan_filtering 1 "
				"vlan_default_pvid 0\n"));
	g_assert_nonnull(strstr(out, "bridge vlan add dev u0 vid 1 pvid untagged\n"));
	g_assert_nonnull(strstr(out, "bridge vlan add dev br0 vid 1 pvid untagged self\n"));
	g_assert_cmpint(sandbox_apply("", &again, NULL), ==, 0);
	g_assert_cmpstr(again, ==, "nothing to change");
	get_link("br0", &br);
	g_assert_true(br.vlan_filtering);
	g_assert_cmpuint(br.default_pvid, ==, 0);
	get_link("u0", &up);
	g_assert_cmpint(tg_nl_open(&sk), ==, 0);
	g_assert_cmpint(bridge_vlan_get(sk, up.ifindex, &st), ==, 0);
	vids = vlan_set_format(&st.vids);
	g_assert_cmpstr(vids, ==, "1");
	g_assert_cmpuint(st.pvid, ==, 1);
	hotplug = sandbox_tap("vnet9", "br0");
	get_link("vnet9", &tap);
	g_assert_cmpint(bridge_vlan_get(sk, tap.ifindex, &st), ==, 0);
	g_assert_cmpuint(vlan_set_count(&st.vids), ==, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	helper = sandbox_env("TAPGATE_HELPER");
	hook = sandbox_env("TAPGATE_HOOK");
	sandbox_env("TAPGATE_DATA");
	sandbox_env("TAPGATE_CLI");
	sandbox_enter();
	g_test_add_func("/vlan/access-trunk-frames", test_access_trunk_frames);
	g_test_add_func("/apply/default-pvid-0", test_apply_default_pvid);
	g_test_add_func("/vlan/default-vlan-isolated", test_default_vlan_isolated);
	TABLETEST_ADD("/vlan/port-state", state_cases, test_port_state);
	TABLETEST_ADD("/vlan/error", err_cases, test_err);
	g_test_add_func("/subif/tagged-on-uplink", test_subif_tagged_on_uplink);
	g_test_add_func("/vxlan/vlan-to-vni", test_vxlan_vlan_to_vni);
	g_test_add_func("/hook/access-pinned", test_hook_access_pinned);
	g_test_add_func("/vlan/network-quota-concurrent", test_network_quota_concurrent);
	return g_test_run();
}
