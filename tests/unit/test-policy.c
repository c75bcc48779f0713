/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policy parsers and the decision, table-driven, on an in-memory /etc. */
#include <string.h>

#include "tabletest.h"
#include "fake-env.h"
#include "policy.h"

#define CONF "/etc/tapgate/tapgate.conf"
#define ACL "/etc/qemu/bridge.conf"

typedef struct {
	uid_t uid;
	gid_t gid;
	gid_t groups[3];
	size_t n_groups;
} Caller;

#define ALICE { 1000, 1000, { 0 }, 0 }
#define BOB { 1001, 1001, { 0 }, 0 }
#define MALLORY { 1002, 1002, { 0 }, 0 }
#define ROOT { 0, 0, { 0 }, 0 }
#define IN_KVM { 1000, 100, { 0 }, 0 }			/* primary group kvm */
#define ALSO_KVM { 1001, 1001, { 200, 100 }, 2 }	/* lab and kvm */
#define ALSO_LAB { 1000, 1000, { 200 }, 1 }		/* lab only */

typedef struct {
	const char *name;
	const char *conf;	/* tapgate.conf, or NULL */
	const char *acl;	/* bridge.conf, or NULL */
	const char *extra_path;	/* one more file */
	const char *extra;
	Caller caller;
	const char *bridge;
	gboolean allowed;
	const char *reason;	/* exact */
	unsigned int vlan;	/* --vlan */
	unsigned int queues;	/* --queues */
	gboolean vhost;		/* --vhost */
} DecideCase;

#define LAN "[network lan]\nbridge = br0\nvlan = 100\n"

static const DecideCase decide_cases[] = {
	{ "acl/allow", NULL, "allow br0\n", NULL, NULL, ALICE, "br0", TRUE,
	  "allowed by the rule at " ACL ":1" },
	{ "acl/other-bridge", NULL, "allow br0\n", NULL, NULL, ALICE, "br1", FALSE,
	  "no rule allows uid 1000 on bridge 'br1'" },
	{ "acl/deny-one", NULL, "allow all\ndeny br1\n", NULL, NULL, ALICE, "br1", FALSE,
	  "denied by the rule at " ACL ":2" },
	{ "acl/deny-one-others-ok", NULL, "allow all\ndeny br1\n", NULL, NULL, ALICE, "br2", TRUE,
	  "allowed by the rule at " ACL ":1" },
	{ "acl/deny-first", NULL, "deny all\nallow br0\n", NULL, NULL, ALICE, "br0", FALSE,
	  "denied by the rule at " ACL ":1" },
	{ "acl/whitespace-comments", NULL, "  # hi\n\n\tallow\t br0  \r\n", NULL, NULL, ALICE, "br0",
	  TRUE, "allowed by the rule at " ACL ":3" },
	{ "acl/root-is-nobody-special", NULL, "allow br1\n", NULL, NULL, ROOT, "br0", FALSE,
	  "no rule allows uid 0 on bridge 'br0'" },
	{ "acl/include-relative", NULL, "include users.conf\n", "/etc/qemu/users.conf",
	  "\nallow br7\n", ALICE, "br7", TRUE, "allowed by the rule at /etc/qemu/users.conf:2" },
	{ "acl/include-deny-wins", NULL, "allow br0\ninclude /etc/qemu/d.conf\n", "/etc/qemu/d.conf",
	  "deny br0\n", ALICE, "br0", FALSE, "denied by the rule at /etc/qemu/d.conf:1" },
	{ "acl/name-all-is-keyword", NULL, "allow all\n", NULL, NULL, BOB, "all", TRUE,
	  "allowed by the rule at " ACL ":1" },
	{ "conf/users", "[bridge br0]\nallow-users = alice;bob\n", NULL, NULL, NULL, BOB, "br0",
	  TRUE, "allowed by the rule at " CONF ":2" },
	{ "conf/users-other", "[bridge br0]\nallow-users = alice;bob\n", NULL, NULL, NULL, MALLORY,
	  "br0", FALSE, "no rule allows uid 1002 on bridge 'br0'" },
	{ "conf/users-commas", "[bridge br0]\nallow-users = alice, bob\n", NULL, NULL, NULL, BOB,
	  "br0", TRUE, "allowed by the rule at " CONF ":2" },
	{ "conf/users-wrong-bridge", "[bridge br0]\nallow-users = alice\n", NULL, NULL, NULL, ALICE,
	  "br1", FALSE, "no rule allows uid 1000 on bridge 'br1'" },
	{ "conf/numeric-uid", "[bridge br0]\nallow-users = 1000\n", NULL, NULL, NULL, ALICE, "br0",
	  TRUE, "allowed by the rule at " CONF ":2" },
	{ "conf/primary-group", "[bridge br0]\nallow-groups = kvm\n", NULL, NULL, NULL, IN_KVM, "br0",
	  TRUE, "allowed by the rule at " CONF ":2" },
	{ "conf/supplementary-group", "[bridge br0]\nallow-groups = kvm\n", NULL, NULL, NULL, ALSO_KVM,
	  "br0", TRUE, "allowed by the rule at " CONF ":2" },
	{ "conf/not-in-group", "[bridge br0]\nallow-groups = kvm\n", NULL, NULL, NULL, ALSO_LAB, "br0",
	  FALSE, "no rule allows uid 1000 on bridge 'br0'" },
	{ "conf/everyone-but", "[bridge *]\nallow-users = *\ndeny-users = mallory\n", NULL, NULL, NULL,
	  MALLORY, "br3", FALSE, "denied by the rule at " CONF ":3" },
	{ "conf/everyone-but-ok", "[bridge *]\nallow-users = *\ndeny-users = mallory\n", NULL, NULL,
	  NULL, ALICE, "br3", TRUE, "allowed by the rule at " CONF ":2" },
	{ "conf/deny-group-other-section",
	  "[bridge br0]\nallow-groups = lab\n\n[bridge *]\ndeny-groups = kvm\n", NULL, NULL, NULL,
	  ALSO_KVM, "br0", FALSE, "denied by the rule at " CONF ":5" },
	{ "conf/unknown-allow-user-ignored", "[bridge br0]\nallow-users = ghost;alice\n", NULL, NULL,
	  NULL, ALICE, "br0", TRUE, "allowed by the rule at " CONF ":2" },
	{ "conf/trailing-comment", "[bridge br0]  # lab\nallow-users = alice   # admin\n", NULL,
	  NULL, NULL, ALICE, "br0", TRUE, "allowed by the rule at " CONF ":2" },
	{ "conf/hides-acl", "[bridge br1]\nallow-users = *\n", "allow br0\n", NULL, NULL, ALICE,
	  "br0", FALSE, "no rule allows uid 1000 on bridge 'br0'" },
	{ "conf/include-acl", "[global]\ninclude-qemu-acl = true\n", "allow br5\n", NULL, NULL,
	  ALICE, "br5", TRUE, "allowed by the rule at " ACL ":1" },
	{ "conf/include-acl-if-exists", "[global]\ninclude-qemu-acl = if-exists\n", "allow br5\n",
	  NULL, NULL, ALICE, "br5", TRUE, "allowed by the rule at " ACL ":1" },
	{ "conf/include-acl-if-exists-none", "[global]\ninclude-qemu-acl = if-exists\n"
	  "[bridge br0]\nallow-users = alice\n", NULL, NULL, NULL, ALICE, "br5", FALSE,
	  "no rule allows uid 1000 on bridge 'br5'" },
	{ "conf/include-acl-off", "[global]\ninclude-qemu-acl = false\n", "allow br5\n", NULL, NULL,
	  ALICE, "br5", FALSE, "no rule allows uid 1000 on bridge 'br5'" },
	{ "conf/root-named", "[bridge br0]\nallow-users = alice\n", NULL, NULL, NULL, ROOT, "br0",
	  FALSE, "no rule allows uid 0 on bridge 'br0'" },
	{ "conf/empty-value-then-comment",	/* once made the parser stop reading */
	  "[bridge br0]\nallow-users = *\nallow-groups =\n\n# banned\ndeny-users = mallory\n",
	  NULL, NULL, NULL, MALLORY, "br0", FALSE, "denied by the rule at " CONF ":6" },
	{ "conf/empty-value-at-eof", "[bridge br0]\ndeny-users = mallory\nallow-users =", NULL, NULL,
	  NULL, MALLORY, "br0", FALSE, "denied by the rule at " CONF ":2" },
	{ "none/deny-all", NULL, NULL, NULL, NULL, ROOT, "br0", FALSE,
	  "no rule allows uid 0 on bridge 'br0'" },
	{ "net/allowed", LAN "allow-users = alice\n", NULL, NULL, NULL, ALICE, "lan", TRUE,
	  "allowed by the rule at " CONF ":4" },
	{ "net/other-user", LAN "allow-users = alice\n", NULL, NULL, NULL, BOB, "lan", FALSE,
	  "no rule allows uid 1001 on network 'lan'" },
	{ "net/bridge-allow-is-not-enough", "[bridge br0]\nallow-users = *\n" LAN, NULL, NULL, NULL,
	  ALICE, "lan", FALSE, "no rule allows uid 1000 on network 'lan'" },
	{ "net/network-allow-is-not-bridge-allow", LAN "allow-users = *\n", NULL, NULL, NULL, ALICE,
	  "br0", FALSE, "no rule allows uid 1000 on bridge 'br0'" },
	{ "net/bridge-deny-covers-it", "[bridge br0]\ndeny-users = alice\n" LAN "allow-users = *\n",
	  NULL, NULL, NULL, ALICE, "lan", FALSE, "denied by the rule at " CONF ":2" },
	{ "net/wildcard-deny-covers-it", "[bridge *]\ndeny-groups = kvm\n" LAN "allow-users = *\n",
	  NULL, NULL, NULL, IN_KVM, "lan", FALSE, "denied by the rule at " CONF ":2" },
	{ "net/qemu-deny-all-covers-it", "[global]\ninclude-qemu-acl = true\n" LAN
	  "allow-users = *\n", "deny all\n", NULL, NULL, ALICE, "lan", FALSE,
	  "denied by the rule at " ACL ":1" },
	{ "net/vlan-arg-refused", LAN "allow-users = *\n", NULL, NULL, NULL, ALICE, "lan", FALSE,
	  "network 'lan' sets its own VLANs; '--vlan' cannot be used with it", 100 },
	{ "vlan/allowed", "[bridge br0]\nallow-users = *\nallow-vlans = 100-110\n", NULL, NULL, NULL,
	  ALICE, "br0", TRUE, "allowed by the rule at " CONF ":2", 105 },
	{ "vlan/outside-range", "[bridge br0]\nallow-users = *\nallow-vlans = 100-110\n", NULL, NULL,
	  NULL, ALICE, "br0", FALSE, "no rule allows uid 1000 on bridge 'br0' with VLAN 111", 111 },
	{ "vlan/only-for-that-sections-users",
	  "[bridge br0]\nallow-users = bob\nallow-vlans = 100\n\n[bridge *]\nallow-users = alice\n",
	  NULL, NULL, NULL, ALICE, "br0", FALSE,
	  "no rule allows uid 1000 on bridge 'br0' with VLAN 100", 100 },
	{ "vlan/qemu-acl-grants-none", NULL, "allow br0\n", NULL, NULL, ALICE, "br0", FALSE,
	  "no rule allows uid 1000 on bridge 'br0' with VLAN 5", 5 },
	/* multiqueue and vhost-net: bounded per target */
	{ "queues/default-8", NULL, "allow br0\n", NULL, NULL, ALICE, "br0", TRUE,
	  "allowed by the rule at " ACL ":1", .queues = 8 },
	{ "queues/default-9", NULL, "allow br0\n", NULL, NULL, ALICE, "br0", FALSE,
	  "uid 1000 asked for 9 queues on bridge 'br0', which allows 8 (max-queues)", .queues = 9 },
	{ "queues/bridge-max", "[bridge br0]\nallow-users = *\nmax-queues = 2\n", NULL, NULL, NULL,
	  ALICE, "br0", TRUE, "allowed by the rule at " CONF ":2", .queues = 2 },
	{ "queues/bridge-max-over", "[bridge br0]\nallow-users = *\nmax-queues = 2\n", NULL, NULL,
	  NULL, ALICE, "br0", FALSE,
	  "uid 1000 asked for 3 queues on bridge 'br0', which allows 2 (max-queues)", .queues = 3 },
	{ "queues/network-own-max", "[bridge br0]\nmax-queues = 2\n" LAN "allow-users = *\n"
	  "max-queues = 16\n", NULL, NULL, NULL, ALICE, "lan", TRUE,
	  "allowed by the rule at " CONF ":6", .queues = 16 },
	{ "queues/network-default", "[bridge br0]\nmax-queues = 64\n" LAN "allow-users = *\n", NULL,
	  NULL, NULL, ALICE, "lan", FALSE,
	  "uid 1000 asked for 9 queues on network 'lan', which allows 8 (max-queues)", .queues = 9 },
	{ "queues/deny-rule-first", "[bridge br0]\nallow-users = *\ndeny-users = alice\n"
	  "max-queues = 2\n", NULL, NULL, NULL, ALICE, "br0", FALSE,
	  "denied by the rule at " CONF ":3", .queues = 9 },
	{ "queues/not-allowed-at-all", "[bridge br0]\nallow-users = bob\n", NULL, NULL, NULL,
	  ALICE, "br0", FALSE, "no rule allows uid 1000 on bridge 'br0'", .queues = 99 },
	{ "vhost/off-by-default", NULL, "allow br0\n", NULL, NULL, ALICE, "br0", FALSE,
	  "uid 1000 asked for vhost-net descriptors on bridge 'br0', which does not allow them "
	  "(allow-vhost)", .queues = 1, .vhost = TRUE },
	{ "vhost/allowed", "[bridge br0]\nallow-users = *\nallow-vhost = true\n", NULL, NULL, NULL,
	  ALICE, "br0", TRUE, "allowed by the rule at " CONF ":2", .queues = 4, .vhost = TRUE },
	{ "vhost/network-needs-its-own", "[bridge br0]\nallow-vhost = true\n" LAN
	  "allow-users = *\n", NULL, NULL, NULL, ALICE, "lan", FALSE,
	  "uid 1000 asked for vhost-net descriptors on network 'lan', which does not allow them "
	  "(allow-vhost)", .queues = 1, .vhost = TRUE },
};

static Policy *load_ok(const char *conf, const char *acl, const char *extra_path,
		       const char *extra)
{
	g_autoptr(GError) err = NULL;
	Policy *policy = NULL;

	fake_fs_reset();
	if (conf)
		fake_fs_add(CONF, conf);
	if (acl)
		fake_fs_add(ACL, acl);
	if (extra_path)
		fake_fs_add(extra_path, extra);
	policy_load(&policy, &fake_env, CONF, ACL, &err);
	g_assert_no_error(err);
	return policy;
}

static void test_decide(gconstpointer data)
{
	const DecideCase *c = data;
	g_autoptr(Policy) policy = load_ok(c->conf, c->acl, c->extra_path, c->extra);
	PolicyCaller caller = { .uid = c->caller.uid, .gid = c->caller.gid,
				.groups = c->caller.groups, .n_groups = c->caller.n_groups };
	PolicyRequest request = { .name = c->bridge, .vlan = c->vlan, .queues = c->queues,
				  .vhost = c->vhost };
	PolicyDecision d = policy_decide(policy, &caller, &request);
	PolicyDecision again = policy_decide(policy, &caller, &request);

	g_assert_cmpint(d.allowed, ==, c->allowed);
	g_assert_cmpstr(d.reason, ==, c->reason);
	/* Pure: the same question gets the same answer. */
	g_assert_cmpint(again.allowed, ==, d.allowed);
	g_assert_cmpstr(again.reason, ==, d.reason);
	policy_decision_clear(&d);
	policy_decision_clear(&again);
}

typedef struct {
	const char *name;
	const char *conf;
	const char *acl;
	const char *extra_path;
	const char *extra;
	const char *message;	/* exact */
} ErrorCase;

#define VX_BASE "[network v]\nbridge = br0\nvxlan-vni = 5\n"
#define VX_LOCAL VX_BASE "vxlan-local = 192.0.2.1\n"

static const ErrorCase error_cases[] = {
	{ "acl/allow-without-name", NULL, "allow\n", NULL, NULL,
	  ACL ":1: 'allow' needs a bridge name or 'all'" },
	{ "acl/unknown-command", NULL, "# x\npermit br0\n", NULL, NULL,
	  ACL ":2: unknown command 'permit' (expected allow, deny or include)" },
	{ "acl/name-too-long", NULL, "allow abcdefghijklmnop\n", NULL, NULL,
	  ACL ":1: bridge name 'abcdefghijklmnop' is too long (at most 15 characters)" },
	{ "acl/two-names", NULL, "allow br0 br1\n", NULL, NULL,
	  ACL ":1: bridge name 'br0 br1' may contain only letters, digits, '_', '-' and '.'" },
	{ "acl/include-missing", NULL, "\n\ninclude /etc/qemu/x.conf\n", NULL, NULL,
	  ACL ":3: cannot include: /etc/qemu/x.conf: No such file or directory" },
	{ "acl/include-loop", NULL, "include /etc/qemu/bridge.conf\n", NULL, NULL,
	  ACL ":1: includes nested more than 8 deep (a loop?)" },
	{ "acl/include-bad-file", NULL, "include a.conf\n", "/etc/qemu/a.conf", "allow br0\ndeny\n",
	  "/etc/qemu/a.conf:2: 'deny' needs a bridge name or 'all'" },
	{ "acl/include-no-name", NULL, "include\n", NULL, NULL,
	  ACL ":1: 'include' needs a file name" },
	{ "conf/key-before-section", "allow-users = x\n", NULL, NULL, NULL,
	  CONF ":1: 'key = value' before the first [section]" },
	{ "conf/no-equals", "[bridge br0]\nallow-users\n", NULL, NULL, NULL,
	  CONF ":2: expected '[section]' or 'key = value'" },
	{ "conf/bad-header", "[bridge br0\n", NULL, NULL, NULL, CONF ":1: malformed section header" },
	{ "conf/section-twice", "[bridge br0]\n[bridge br0]\n", NULL, NULL, NULL,
	  CONF ":2: section [bridge br0] already started at line 1" },
	{ "conf/key-twice", "[bridge br0]\nallow-users = alice\nallow-users = bob\n", NULL, NULL,
	  NULL, CONF ":3: 'allow-users' already set at line 2" },
	{ "conf/unknown-section", "\n[bridges br0]\n", NULL, NULL, NULL,
	  CONF ":2: unknown section [bridges br0] (known: [global], [bridge NAME], [network NAME], [tap NAME])" },
	{ "conf/unknown-key", "[bridge br0]\nallow-user = alice\n", NULL, NULL, NULL,
	  CONF ":2: unknown key 'allow-user' in [bridge br0] (known: allow-users, allow-groups, "
	  "deny-users, deny-groups, allow-vlans, managed, keep-default-vlan, max-ports-per-user, "
	  "max-ports-per-group, max-ports, max-queues, allow-vhost)" },
	{ "conf/unknown-deny-user", "[bridge br0]\ndeny-users = ghost\n", NULL, NULL, NULL,
	  CONF ":2: unknown user 'ghost' in 'deny-users'" },
	{ "conf/unknown-deny-group", "[bridge br0]\ndeny-groups = kvm;ghosts\n", NULL, NULL, NULL,
	  CONF ":2: unknown group 'ghosts' in 'deny-groups'" },
	{ "conf/bad-number", "[bridge br0]\nallow-users = 12x\n", NULL, NULL, NULL,
	  CONF ":2: '12x' is not a valid user id" },
	{ "conf/bad-bool", "[global]\ninclude-qemu-acl = maybe\n", NULL, NULL, NULL,
	  CONF ":2: include-qemu-acl must be true, false or if-exists" },
	{ "conf/include-acl-missing", "[global]\ninclude-qemu-acl = true\n", NULL, NULL, NULL,
	  CONF ":2: cannot include the QEMU ACL: " ACL ": No such file or directory" },
	{ "conf/include-acl-broken", "[global]\ninclude-qemu-acl = true\n", "deny\n", NULL, NULL,
	  ACL ":1: 'deny' needs a bridge name or 'all'" },
	{ "conf/unknown-global-key", "[global]\nverbose = 1\n", NULL, NULL, NULL,
	  CONF ":2: unknown key 'verbose' in [global] (known: include-qemu-acl)" },
	{ "conf/bad-bridge-name", "[bridge a/b]\n", NULL, NULL, NULL,
	  CONF ":1: bridge name 'a/b' may contain only letters, digits, '_', '-' and '.'" },
	{ "conf/long-bridge-name", "[bridge abcdefghijklmnop]\n", NULL, NULL, NULL,
	  CONF ":1: bridge name 'abcdefghijklmnop' is too long (at most 15 characters)" },
	{ "net/bad-name", "[network a/b]\nbridge = br0\nvlan = 1\n", NULL, NULL, NULL,
	  CONF ":1: network name 'a/b' may contain only letters, digits, '_', '-' and '.'" },
	{ "net/no-bridge-no-uplink", "[network lan]\nvlan = 100\n", NULL, NULL, NULL,
	  CONF ":1: network 'lan' needs 'bridge =' or 'uplink ='" },
	{ "net/no-vlan", "[network lan]\nbridge = br0\n", NULL, NULL, NULL,
	  CONF ":1: network 'lan' needs 'vlan =', 'trunk =' or 'vxlan-vni ='" },
	{ "net/vlan-and-trunk", "[network lan]\nbridge = br0\nvlan = 1\ntrunk = 2\n", NULL, NULL,
	  NULL, CONF ":1: network 'lan': 'vlan' and 'trunk' exclude each other" },
	{ "net/native-without-trunk", "[network lan]\nbridge = br0\nvlan = 1\nnative = 1\n", NULL,
	  NULL, NULL, CONF ":1: network 'lan': 'native' needs 'trunk'" },
	{ "net/trunk-on-uplink", "[network lan]\nuplink = eth0\ntrunk = 1-3\n", NULL, NULL, NULL,
	  CONF ":1: network 'lan': an uplink network carries one VLAN: use 'vlan =', not 'trunk ='" },
	{ "net/vid-too-big", "[network lan]\nbridge = br0\n\nvlan = 4095\n", NULL, NULL, NULL,
	  CONF ":4: '4095' is not a VLAN id (1-4094)" },
	{ "net/range-backwards", "[network lan]\nbridge = br0\ntrunk = 100-90\n", NULL, NULL, NULL,
	  CONF ":3: VLAN range '100-90' runs backwards" },
	{ "net/empty-trunk", "[network lan]\nbridge = br0\ntrunk = ;\n", NULL, NULL, NULL,
	  CONF ":3: empty VLAN list" },
	{ "net/bad-bridge", "[network lan]\nbridge = br 0\nvlan = 1\n", NULL, NULL, NULL,
	  CONF ":2: bridge 'br 0' may contain only letters, digits, '_', '-' and '.'" },
	{ "net/unknown-key", "[network lan]\nbridge = br0\nvlan = 1\nallow-vlans = 2\n", NULL,
	  NULL, NULL, CONF ":4: unknown key 'allow-vlans' in [network lan] (known: bridge, uplink, "
	  "vlan, trunk, native, keep-default-vlan, vxlan-vni, vxlan-local, vxlan-peers, "
	  "vxlan-control, vxlan-port, allow-users, allow-groups, deny-users, "
	  "deny-groups, max-ports-per-user, max-ports-per-group, max-ports, max-queues, "
	  "allow-vhost)" },
	{ "net/name-of-a-bridge", "[bridge br0]\nallow-users = *\n[network br0]\nbridge = br1\n"
	  "vlan = 1\n", NULL, NULL, NULL,
	  CONF ":3: [network br0] has the name of [bridge br0] at " CONF ":1" },
	{ "net/long-default-bridge", "[network lan]\nuplink = enp0s31f6x\nvlan = 4000\n", NULL, NULL,
	  NULL, CONF ":1: network 'lan': the bridge name 'br4000-enp0s31f6x' would be too long; "
	  "name it with 'bridge ='" },
	{ "net/long-subif", "[network lan]\nuplink = enp0s31f6xyz\nvlan = 4000\nbridge = b\n", NULL,
	  NULL, NULL, CONF ":1: network 'lan': the sub-interface name 'enp0s31f6xyz.4000' would be "
	  "too long" },
	{ "net/bridge-made-twice", "[network a]\nuplink = u0\nvlan = 1\nbridge = b\n"
	  "[network b]\nuplink = u1\nvlan = 2\nbridge = b\n", NULL, NULL, NULL,
	  CONF ":5: network 'b' uses bridge 'b', which network 'a' already makes" },
	{ "vxlan/no-vni", "[network v]\nbridge = br0\nvlan = 1\nvxlan-local = 192.0.2.1\n", NULL,
	  NULL, NULL, CONF ":1: network 'v': the vxlan-* keys need 'vxlan-vni ='" },
	{ "vxlan/no-local", "[network v]\nbridge = br0\nvxlan-vni = 5\n", NULL, NULL, NULL,
	  CONF ":1: network 'v': 'vxlan-vni' needs 'vxlan-local =' (this host's tunnel address)" },
	{ "vxlan/vni-zero", "[network v]\nbridge = br0\nvxlan-vni = 0\n", NULL, NULL, NULL,
	  CONF ":3: vxlan-vni must be a number from 1 to 16777215" },
	{ "vxlan/vni-too-big", "[network v]\nbridge = br0\nvxlan-vni = 16777216\n", NULL, NULL,
	  NULL, CONF ":3: vxlan-vni must be a number from 1 to 16777215" },
	{ "vxlan/bad-local", VX_BASE "vxlan-local = 192.0.2.300\n", NULL, NULL, NULL,
	  CONF ":4: vxlan-local: '192.0.2.300' is not a unicast IPv4 or IPv6 address "
	  "another host can reach" },
	{ "vxlan/multicast-local", VX_BASE "vxlan-local = 239.1.1.1\n", NULL, NULL, NULL,
	  CONF ":4: vxlan-local: '239.1.1.1' is not a unicast IPv4 or IPv6 address "
	  "another host can reach" },
	{ "vxlan/bad-peer", VX_LOCAL "vxlan-peers = 192.0.2.2;example.org\n", NULL, NULL, NULL,
	  CONF ":5: vxlan-peers: 'example.org' is not a unicast IPv4 or IPv6 address "
	  "another host can reach" },
	{ "vxlan/peer-twice", VX_LOCAL "vxlan-peers = 192.0.2.2,192.0.2.2\n", NULL, NULL, NULL,
	  CONF ":5: vxlan-peers: '192.0.2.2' is listed twice" },
	{ "vxlan/peer-is-local", VX_LOCAL "vxlan-peers = 192.0.2.1\n", NULL, NULL, NULL,
	  CONF ":1: network 'v': peer 192.0.2.1 is vxlan-local itself" },
	{ "vxlan/peer-family", VX_LOCAL "vxlan-peers = 2001:db8::2\n", NULL, NULL, NULL,
	  CONF ":1: network 'v': peer 2001:db8::2 is not of the family of vxlan-local" },
	{ "vxlan/evpn-with-peers", VX_LOCAL "vxlan-peers = 192.0.2.2\nvxlan-control = evpn\n", NULL,
	  NULL, NULL, CONF ":1: network 'v': 'vxlan-peers' is for static mode; with "
	  "'vxlan-control = evpn' BGP finds the peers" },
	{ "vxlan/bad-control", VX_LOCAL "vxlan-control = bgp\n", NULL, NULL, NULL,
	  CONF ":5: vxlan-control must be static or evpn" },
	{ "vxlan/bad-port", VX_LOCAL "vxlan-port = 0\n", NULL, NULL, NULL,
	  CONF ":5: vxlan-port must be a number from 1 to 65535" },
	{ "vxlan/link-local", VX_BASE "vxlan-local = fe80::1\n", NULL, NULL, NULL,
	  CONF ":4: vxlan-local: 'fe80::1' is not a unicast IPv4 or IPv6 address another host "
	  "can reach" },
	{ "vxlan/loopback", VX_BASE "vxlan-local = 127.0.0.1\n", NULL, NULL, NULL,
	  CONF ":4: vxlan-local: '127.0.0.1' is not a unicast IPv4 or IPv6 address another host "
	  "can reach" },
	{ "vxlan/mapped", VX_LOCAL "vxlan-peers = ::ffff:192.0.2.2\n", NULL, NULL, NULL,
	  CONF ":5: vxlan-peers: '::ffff:192.0.2.2' is not a unicast IPv4 or IPv6 address "
	  "another host can reach" },
	{ "vxlan/two-on-one-bridge", VX_LOCAL "[network w]\nbridge = br0\nvxlan-vni = 6\n"
	  "vxlan-local = 192.0.2.1\n", NULL, NULL, NULL,
	  CONF ":5: network 'w' would share its segment with network 'v' (bridge 'br0'): a VXLAN "
	  "network needs a bridge, or a VLAN of one, to itself" },
	{ "vxlan/same-vlan-same-bridge", "[network a]\nbridge = br0\nvlan = 7\n"
	  "[network v]\nbridge = br0\nvlan = 7\nvxlan-vni = 5\nvxlan-local = 192.0.2.1\n", NULL,
	  NULL, NULL, CONF ":4: network 'v' would share its segment with network 'a' (bridge "
	  "'br0', the same VLAN): a VXLAN network needs a bridge, or a VLAN of one, to itself" },
	{ "vxlan/bridge-section", "[bridge br0]\nallow-users = *\n" VX_LOCAL, NULL, NULL, NULL,
	  CONF ":3: network 'v' needs bridge 'br0' to itself (a VXLAN network without a VLAN), "
	  "but [bridge br0] at " CONF ":1 lets others use it" },
	{ "vxlan/trunk", "[network v]\nbridge = br0\ntrunk = 1-3\nvxlan-vni = 5\n"
	  "vxlan-local = 192.0.2.1\n", NULL, NULL, NULL, CONF ":1: network 'v': a VXLAN network "
	  "carries one VLAN: use 'vlan =', not 'trunk ='" },
	{ "vxlan/vni-twice", VX_LOCAL "[network w]\nbridge = br1\nvxlan-vni = 5\n"
	  "vxlan-local = 192.0.2.1\n", NULL, NULL, NULL,
	  CONF ":5: network 'w' uses VNI 5, which network 'v' already carries" },
	{ "bridge/managed-on-wildcard", "[bridge *]\nmanaged = true\n", NULL, NULL, NULL,
	  CONF ":2: 'managed' is not allowed in [bridge *]" },
	{ "bridge/quota-zero", "[bridge br0]\nmax-ports = 0\n", NULL, NULL, NULL,
	  CONF ":2: max-ports must be a number from 1 to 1000000" },
	{ "bridge/quota-text", "[bridge br0]\nmax-ports-per-user = many\n", NULL, NULL, NULL,
	  CONF ":2: max-ports-per-user must be a number from 1 to 1000000" },
	{ "bridge/bad-allow-vlans", "[bridge br0]\nallow-vlans = 0\n", NULL, NULL, NULL,
	  CONF ":2: '0' is not a VLAN id (1-4094)" },
	{ "conf/control-chars-quoted", "[bridge br0]\nallow-userz\x1b[2J = x\n", NULL, NULL, NULL,
	  CONF ":2: invalid key name 'allow-userz\\x1b[2J'" },
	{ "conf/bad-escape-in-deny", "[bridge *]\nallow-users = *\ndeny-users = mallory\\\n", NULL,
	  NULL, NULL, CONF ":3: invalid value for 'deny-users'" },
	{ "conf/control-in-section", "[bridge \x01]\n", NULL, NULL, NULL,
	  CONF ":1: malformed section header" },
	{ "queues/too-many", "[bridge br0]\nmax-queues = 65\n", NULL, NULL, NULL,
	  CONF ":2: max-queues must be a number from 1 to 64" },
	{ "queues/zero", "[bridge br0]\nmax-queues = 0\n", NULL, NULL, NULL,
	  CONF ":2: max-queues must be a number from 1 to 64" },
	{ "queues/wildcard", "[bridge *]\nmax-queues = 4\n", NULL, NULL, NULL,
	  CONF ":2: 'max-queues' is not allowed in [bridge *]" },
	{ "vhost/not-bool", LAN "allow-vhost = maybe\n", NULL, NULL, NULL,
	  CONF ":4: allow-vhost must be true or false" },
#define TAP "[bridge br0]\n[tap vm1]\n"
	{ "tap/no-owner", TAP "bridge = br0\n", NULL, NULL, NULL,
	  CONF ":2: tap 'vm1' needs 'user =' or 'group =' (a tap without an owner can be opened by "
	  "anyone)" },
	{ "tap/no-port", TAP "user = alice\n", NULL, NULL, NULL,
	  CONF ":2: tap 'vm1' needs one of 'network =' and 'bridge ='" },
	{ "tap/both", TAP "user = alice\nbridge = br0\nnetwork = lan\n" LAN, NULL, NULL, NULL,
	  CONF ":2: tap 'vm1' needs one of 'network =' and 'bridge ='" },
	{ "tap/vlan-with-network", LAN "[tap vm1]\nuser = alice\nnetwork = lan\nvlan = 5\n", NULL,
	  NULL, NULL, CONF ":4: tap 'vm1': 'vlan' is for 'bridge ='; a network sets its own VLANs" },
	{ "tap/unknown-network", TAP "user = alice\nnetwork = nope\n", NULL, NULL, NULL,
	  CONF ":2: tap 'vm1': no [network nope] is declared" },
	{ "tap/bad-uid", TAP "user = 4294967295\nbridge = br0\n", NULL, NULL, NULL,
	  CONF ":3: '4294967295' is not a valid user id" },
	{ "tap/multicast-mac", TAP "user = alice\nbridge = br0\nmac = 01:00:5e:00:00:01\n", NULL,
	  NULL, NULL, CONF ":5: mac: '01:00:5e:00:00:01' is not a unicast MAC address (such as "
	  "fe:54:00:12:34:56)" },
	{ "tap/zero-mac", TAP "user = alice\nbridge = br0\nmac = 00:00:00:00:00:00\n", NULL,
	  NULL, NULL, CONF ":5: mac: '00:00:00:00:00:00' is not a unicast MAC address (such as "
	  "fe:54:00:12:34:56)" },
	{ "tap/mtu-small", TAP "user = alice\nbridge = br0\nmtu = 67\n", NULL, NULL, NULL,
	  CONF ":5: mtu must be a number from 68 to 65521" },
	{ "tap/multi-queue-text", TAP "user = alice\nbridge = br0\nmulti-queue = yes please\n",
	  NULL, NULL, NULL, CONF ":5: multi-queue must be true or false" },
	{ "tap/unknown-key", TAP "user = alice\nbridge = br0\nqueues = 4\n", NULL, NULL, NULL,
	  CONF ":5: unknown key 'queues' in [tap vm1] (known: user, group, network, bridge, vlan, "
	  "mac, mtu, multi-queue)" },
	{ "tap/libvirt-name", "[tap vnet7]\nuser = alice\nbridge = br0\n", NULL, NULL, NULL,
	  CONF ":1: tap 'vnet7': names starting with vnet, macvtap, macvlan (libvirt's) or tg and a "
	  "digit or x (the helper's) are taken" },
	{ "tap/helper-name", "[tap tg1000-1]\nuser = alice\nbridge = br0\n", NULL, NULL, NULL,
	  CONF ":1: tap 'tg1000-1': names starting with vnet, macvtap, macvlan (libvirt's) or tg and "
	  "a digit or x (the helper's) are taken" },
	{ "tap/long-name", "[tap abcdefghijklmnop]\nuser = alice\nbridge = br0\n", NULL, NULL, NULL,
	  CONF ":1: tap name 'abcdefghijklmnop' is too long (at most 15 characters)" },
	{ "tap/named-like-bridge", "[bridge br0]\n[tap br0]\nuser = alice\nbridge = br1\n", NULL,
	  NULL, NULL, CONF ":2: tap 'br0' has the name of a bridge" },
	{ "tap/named-like-network-bridge", LAN "[tap br0]\nuser = alice\nbridge = br1\n", NULL,
	  NULL, NULL, CONF ":4: tap 'br0' has the name of a network's bridge or uplink" },
	{ "tap/bridge-is-a-tap", "[tap a]\nuser = alice\nbridge = br0\n[tap b]\nuser = alice\n"
	  "bridge = a\n", NULL, NULL, NULL, CONF ":4: tap 'b': 'a' is a tap, not a bridge" },
#undef TAP
};

static void test_error(gconstpointer data)
{
	const ErrorCase *c = data;
	g_autoptr(Policy) policy = NULL;
	g_autoptr(GError) err = NULL;

	fake_fs_reset();
	if (c->conf)
		fake_fs_add(CONF, c->conf);
	if (c->acl)
		fake_fs_add(ACL, c->acl);
	if (c->extra_path)
		fake_fs_add(c->extra_path, c->extra);
	g_assert_cmpint(policy_load(&policy, &fake_env, CONF, ACL, &err), <, 0);
	g_assert_null(policy);
	g_assert_nonnull(err);
	g_assert_cmpstr(err->message, ==, c->message);
}

/* A [tap] whose owner is unknown is left out with a warning; the rest of the
 * policy (its rules, the other taps) stands, so the helper still works. */
static void test_tap_unknown_owner(void)
{
	g_autoptr(Policy) p = load_ok("[bridge br0]\nallow-users = alice\n[tap a]\nuser = ghost\n"
				      "bridge = br0\n[tap b]\nuser = alice\ngroup = ghosts\n"
				      "bridge = br0\n[tap c]\nuser = alice\nbridge = br0\n", NULL, NULL,
				      NULL);
	PolicyCaller alice = { .uid = 1000, .gid = 1000 };
	PolicyRequest req = { .name = "br0" };
	PolicyDecision d = policy_decide(p, &alice, &req);

	g_assert_true(d.allowed);
	g_assert_cmpuint(p->taps->len, ==, 1);
	g_assert_cmpstr(((PolicyTap *)g_ptr_array_index(p->taps, 0))->name, ==, "c");
	g_assert_cmpuint(p->warnings->len, ==, 2);
	g_assert_cmpstr(g_ptr_array_index(p->warnings, 0), ==,
			CONF ":4: tap 'a': unknown user 'ghost': the tap is left out");
	g_assert_cmpstr(g_ptr_array_index(p->warnings, 1), ==,
			CONF ":8: tap 'b': unknown group 'ghosts': the tap is left out");
	policy_decision_clear(&d);
}

/* Warnings do not fail the load, but 'tapgate check' and logs show them. */
static void test_warnings(void)
{
	g_autoptr(Policy) p = load_ok("[bridge br0]\nallow-users = ghost\nallow-groups = ghosts\n",
				      NULL, NULL, NULL);
	g_autoptr(Policy) none = load_ok(NULL, NULL, NULL, NULL);

	g_assert_cmpuint(p->warnings->len, ==, 2);
	g_assert_cmpstr(g_ptr_array_index(p->warnings, 0), ==,
			CONF ":2: unknown user 'ghost' ignored");
	g_assert_cmpstr(g_ptr_array_index(p->warnings, 1), ==,
			CONF ":3: unknown group 'ghosts' ignored");
	g_assert_cmpuint(none->rules->len, ==, 0);
	g_assert_cmpstr(g_ptr_array_index(none->warnings, 0), ==,
			"neither " CONF " nor " ACL " exists: everything is denied");
}

typedef struct {
	const char *name;
	const char *conf;
	const char *request;
	unsigned int vlan;
	const char *bridge;
	const char *uplink;
	unsigned int uplink_vid;
	const char *vlans;	/* port_vlan_describe() */
	gboolean keep;
	gboolean managed;
	PolicyQuota quota;
	const char *quota_key;
	const char *vxlan;	/* vxlan_config_describe(); NULL: "none" */
} TargetCase;

#define VX "[network vx]\nbridge = br0\nvxlan-vni = 10100\nvxlan-local = 192.0.2.1\n"

static const TargetCase target_cases[] = {
	{ "access", "[bridge br0]\nmanaged = true\n" LAN "allow-users = *\nmax-ports-per-user = 3\n",
	  "lan", 0, "br0", NULL, 0, "access 100", FALSE, TRUE, { 3, 0, 0 }, "network lan" },
	{ "trunk-native", "[network t]\nbridge = br1\ntrunk = 10;20-22\nnative = 5\n"
	  "keep-default-vlan = true\nallow-users = *\nmax-ports = 9\n", "t", 0, "br1", NULL, 0,
	  "trunk 5;10;20-22 native 5", TRUE, FALSE, { 0, 0, 9 }, "network t" },
	{ "subif-default-bridge", "[network s]\nuplink = eth0\nvlan = 42\nallow-users = *\n", "s", 0,
	  "br42-eth0", "eth0", 42, "none", FALSE, FALSE, { 0, 0, 0 }, "network s" },
	{ "bridge-with-vlan", "[bridge br0]\nallow-users = *\nallow-vlans = 7\nkeep-default-vlan = true"
	  "\nmax-ports-per-group = 2\n", "br0", 7, "br0", NULL, 0, "access 7", TRUE, FALSE,
	  { 0, 2, 0 }, "bridge br0" },
	{ "plain-bridge", "[bridge br0]\nallow-users = *\n", "br0", 0, "br0", NULL, 0, "none", FALSE,
	  FALSE, { 0, 0, 0 }, "bridge br0" },
	{ "vxlan-static", VX "vxlan-peers = 192.0.2.2; 192.0.2.3   # two hosts\nallow-users = *\n",
	  "vx", 0, "br0", NULL, 0, "none", FALSE, FALSE, { 0, 0, 0 }, "network vx",
	  "VNI 10100 from 192.0.2.1 to 192.0.2.2, 192.0.2.3" },
	{ "vxlan-vlan-evpn", "[network v]\nbridge = br0\nvlan = 100\nvxlan-vni = 16777215\n"
	  "vxlan-local = 2001:db8::1\nvxlan-control = evpn\nvxlan-port = 8472\nallow-users = *\n",
	  "v", 0, "br0", NULL, 0, "access 100", FALSE, FALSE, { 0, 0, 0 }, "network v",
	  "VNI 16777215 from 2001:db8::1, EVPN, port 8472" },
	{ "vxlan-subif", "[network s]\nuplink = eth0\nvlan = 42\nvxlan-vni = 42\n"
	  "vxlan-local = 10.0.0.1\nallow-users = *\n", "s", 0, "br42-eth0", "eth0", 42, "none",
	  FALSE, FALSE, { 0, 0, 0 }, "network s", "VNI 42 from 10.0.0.1, no peers" },
};

/* An allowed decision carries everything the helper has to do. */
static void test_target(gconstpointer data)
{
	const TargetCase *c = data;
	g_autoptr(Policy) policy = load_ok(c->conf, NULL, NULL, NULL);
	PolicyCaller caller = { .uid = 1000, .gid = 1000 };
	PolicyRequest request = { .name = c->request, .vlan = c->vlan };
	PolicyDecision d = policy_decide(policy, &caller, &request);
	g_autofree char *vlans = port_vlan_describe(&d.target.vlan);
	g_autofree char *vxlan = vxlan_config_describe(&d.target.vxlan);

	g_assert_true(d.allowed);
	g_assert_cmpstr(d.target.name, ==, c->request);
	g_assert_cmpstr(d.target.bridge, ==, c->bridge);
	g_assert_cmpstr(d.target.uplink, ==, c->uplink);
	g_assert_cmpuint(d.target.uplink_vid, ==, c->uplink_vid);
	g_assert_cmpstr(vlans, ==, c->vlans);
	g_assert_cmpint(d.target.vlan.keep_default_vlan, ==, c->keep);
	g_assert_cmpint(d.target.managed, ==, c->managed);
	g_assert_cmpuint(d.target.quota.per_user, ==, c->quota.per_user);
	g_assert_cmpuint(d.target.quota.per_group, ==, c->quota.per_group);
	g_assert_cmpuint(d.target.quota.total, ==, c->quota.total);
	g_assert_cmpstr(d.target.quota_key, ==, c->quota_key);
	g_assert_cmpstr(vxlan, ==, c->vxlan ? c->vxlan : "none");
	policy_decision_clear(&d);
}

typedef struct {
	const char *name;
	const char *conf;
	gboolean has_user, has_group;
	uid_t user;
	gid_t group;
	const char *bridge;	/* policy_tap_port() */
	const char *vlans;	/* port_vlan_describe() of its VLANs */
	gboolean keep;
	const char *mac;	/* NULL: none declared */
	unsigned int mtu;
	gboolean multi_queue;
} TapCase;

static const TapCase tap_cases[] = {
	{ "bridge-minimal", "[tap vm1]\nuser = alice\nbridge = br0\n", TRUE, FALSE, 1000, 0, "br0",
	  "none" },
	{ "bridge-vlan-keep", "[bridge br0]\nkeep-default-vlan = true\n[tap vm1]\ngroup = kvm\n"
	  "bridge = br0\nvlan = 100\n", FALSE, TRUE, 0, 100, "br0", "access 100", TRUE },
	{ "network-everything", LAN "keep-default-vlan = false\n[tap vm-lan.0]\nuser = 1234\n"
	  "group = lab   # both must match\nnetwork = lan\nmac = FE:54:00:12:34:56\nmtu = 9000\n"
	  "multi-queue = true\n", TRUE, TRUE, 1234, 200, "br0", "access 100", FALSE,
	  "fe:54:00:12:34:56", 9000, TRUE },
	{ "subif-network", "[network s]\nuplink = eth0\nvlan = 42\n[tap t]\nuser = bob\n"
	  "network = s\n", TRUE, FALSE, 1001, 0, "br42-eth0", "none" },
};

static void test_tap(gconstpointer data)
{
	const TapCase *c = data;
	g_autoptr(Policy) policy = load_ok(c->conf, NULL, NULL, NULL);
	const PolicyTap *t = g_ptr_array_index(policy->taps, 0);
	g_autofree char *vlans = NULL, *mac = NULL;
	const char *bridge = NULL;
	PortVlan vlan;

	g_assert_cmpuint(policy->taps->len, ==, 1);
	g_assert_true(policy_find_tap(policy, t->name) == t);
	g_assert_cmpint(t->has_user, ==, c->has_user);
	g_assert_cmpint(t->has_group, ==, c->has_group);
	g_assert_cmpuint(t->user, ==, c->user);
	g_assert_cmpuint(t->group, ==, c->group);
	g_assert_cmpint(policy_tap_port(policy, t, &bridge, &vlan), ==, 0);
	g_assert_cmpstr(bridge, ==, c->bridge);
	vlans = port_vlan_describe(&vlan);
	g_assert_cmpstr(vlans, ==, c->vlans);
	g_assert_cmpint(vlan.keep_default_vlan, ==, c->keep);
	g_assert_cmpint(t->has_mac, ==, c->mac != NULL);
	if (c->mac) {
		mac = g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x", t->mac[0], t->mac[1],
				      t->mac[2], t->mac[3], t->mac[4], t->mac[5]);
		g_assert_cmpstr(mac, ==, c->mac);
	}
	g_assert_cmpuint(t->mtu, ==, c->mtu);
	g_assert_cmpint(t->multi_queue, ==, c->multi_queue);
}

/* No policy at all (e.g. it failed to load) denies. */
static void test_null_policy(void)
{
	PolicyCaller caller = { .uid = 0 };
	PolicyRequest request = { .name = "br0" };
	PolicyDecision d = policy_decide(NULL, &caller, &request);

	g_assert_false(d.allowed);
	policy_decision_clear(&d);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	TABLETEST_ADD("/policy/decide", decide_cases, test_decide);
	TABLETEST_ADD("/policy/error", error_cases, test_error);
	TABLETEST_ADD("/policy/target", target_cases, test_target);
	TABLETEST_ADD("/policy/tap", tap_cases, test_tap);
	g_test_add_func("/policy/warnings", test_warnings);
	g_test_add_func("/policy/tap-unknown-owner", test_tap_unknown_owner);
	g_test_add_func("/policy/null", test_null_policy);
	return g_test_run();
}
