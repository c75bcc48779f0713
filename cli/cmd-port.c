/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 'tapgate port attach|detach': put a tap someone else made on a network of
 * the policy, or take it off again. QEMU run as root with '-netdev
 * tap,ifname=X,script=...,downscript=...' makes tap X itself and runs its
 * scripts with only X's name; these are the commands those scripts run.
 *
 * The port ends up as the helper makes its own: what the network needs is
 * the helper's preflight (lib/netprep.c), the port gets the MTU the helper
 * gives, a host-side MAC starting with fe, and its VLANs, MAC pin and
 * isolation are the hook's port_reconcile() (lib/portcfg.c). Everything is
 * checked before anything changes; a step that fails undoes the ones before.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "apply.h"
#include "config.h"
#include "guestmac.h"
#include "ifname.h"
#include "link.h"
#include "netlink.h"
#include "netprep.h"
#include "portcfg.h"
#include "tapgate.h"
#include "tg-util.h"

static char *o_network, *o_bridge, *o_mac, *o_policy;
static int o_vlan;
static gboolean o_isolated;

static const GOptionEntry attach_entries[] = {
	{ "network", 0, 0, G_OPTION_ARG_STRING, &o_network,
	  "A network of the policy (its bridge, VLANs and tunnel)", "NAME" },
	{ "bridge", 0, 0, G_OPTION_ARG_STRING, &o_bridge, "A Linux bridge", "BRIDGE" },
	{ "vlan", 0, 0, G_OPTION_ARG_INT, &o_vlan, "With --bridge: access port of this VLAN",
	  "ID" },
	{ "mac", 0, 0, G_OPTION_ARG_STRING, &o_mac,
	  "Pin the guest's MAC: only it may send from the port", "GUEST_MAC" },
	{ "isolated", 0, 0, G_OPTION_ARG_NONE, &o_isolated, "Isolated port", NULL },
	{ "policy", 0, 0, G_OPTION_ARG_FILENAME, &o_policy,
	  "Read this policy instead of " TG_POLICY_PATH, "FILE" },
	{ NULL },
};

/* The device to act on: it exists and is a tap. Return: 0, or 1 (said why). */
static int tap_lookup(struct nl_sock *sk, const char *name, LinkInfo *tap)
{
	int r = link_get(sk, name, tap);

	if (r == -ENODEV)
		return fail("tap '%s' does not exist", name);
	if (r < 0)
		return fail("cannot look up '%s': %s", name, tg_strerror(-r));
	/* Never the uplink, a tunnel or a veth: only a guest's tap. A kernel
	 * older than 4.15 does not tell a tap from a tun; the bridge refuses
	 * a tun (not Ethernet) when it is attached. */
	if (strcmp(tap->kind, "tun") || (tap->tun.known && !tap->tun.tap))
		return fail("'%s' is a %s device, not a tap ('tapgate port' acts only on taps)",
			    name, !strcmp(tap->kind, "tun") ? "tun (layer 3)" :
			    *tap->kind ? tap->kind : "plain");
	return 0;
}

/* The policy in force, or --policy's. Return: 0, or 1 (said why). */
static int load_policy(Policy **policy)
{
	g_autoptr(GError) err = NULL;

	/* A file named on the command line that is not there is a typo. */
	if (o_policy && !g_file_test(o_policy, G_FILE_TEST_EXISTS))
		return fail("cannot read '%s': %s", o_policy, g_strerror(ENOENT));
	if (policy_load(policy, &policy_env_system, o_policy ? o_policy : TG_POLICY_PATH,
			TG_QEMU_ACL_PATH, &err) < 0)
		return fail("%s", err->message);
	return 0;
}

/* What the port needs, as policy_decide() would fill it in for the helper:
 * a network's, or a bridge's with its [bridge] settings (names borrowed).
 * @key: set to the plan's name of the unit ("network lan"). Return: 0 or 1. */
static int port_target(const Policy *policy, PolicyTarget *t, char **key)
{
	const PolicyBridge *b;
	const PolicyNetwork *n;

	if (o_network) {
		n = policy_find_network(policy, o_network);
		/* the name only: nothing of what the policy holds */
		if (!n)
			return fail("network '%s' is not in the policy (%s)", o_network,
				    o_policy ? o_policy : TG_POLICY_PATH);
		policy_network_target(policy, n, t);
		*key = g_strdup_printf("network %s", n->name);
		return 0;
	}
	memset(t, 0, sizeof(*t));
	b = policy_find_bridge(policy, o_bridge);
	t->name = o_bridge;
	t->bridge = o_bridge;
	t->managed = b && b->managed;
	t->vlan.keep_default_vlan = b && b->keep_default_vlan;
	if (o_vlan) {
		t->vlan.mode = PORT_ACCESS;
		t->vlan.vid = (unsigned int)o_vlan;
	}
	*key = g_strdup_printf("bridge %s", o_bridge);
	return 0;
}

/* The helper's preflight, read-only. What 'tapgate apply' would make says
 * so; what it would refuse to make says why instead. Return: 0 or 1. */
static int preflight(struct nl_sock *sk, const Policy *policy, const PolicyTarget *t,
		     const char *key, PortPreflight *pf)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(ApplyPlan) plan = NULL;
	g_autofree char *bridge_key = g_strdup_printf("bridge %s", t->bridge);
	const char *why = NULL;
	int r = port_preflight(sk, t, pf, &err);

	if (r == 0)
		return 0;
	if (r == -EAGAIN && apply_plan(sk, policy, &plan, NULL) == 0) {
		why = g_hash_table_lookup(plan->refused, key);
		if (!why)
			why = g_hash_table_lookup(plan->refused, bridge_key);
	}
	if (why)
		return fail("'tapgate apply' has not %s, and cannot: %s", pf->todo, why);
	if (t->network)
		return fail("network '%s': %s", t->name, err->message);
	return fail("%s", err->message);
}

/* Put the tap back as @before had it: its master, MTU and MAC. Return: 0 or -errno */
static int port_restore(struct nl_sock *sk, const LinkInfo *before)
{
	LinkInfo now;
	int r = link_get_index(sk, before->ifindex, &now);

	if (r < 0)
		return r;
	/* off the bridge first: the bridge never sees the old MTU on its port */
	if (now.master != before->master && (r = link_set_master(sk, now.ifindex, before->master)) < 0)
		return r;
	if (now.mtu != before->mtu)
		return link_set_port(sk, now.ifindex, before->mtu, before->mac, before->master);
	if (memcmp(now.mac, before->mac, 6))
		return link_set_address(sk, now.ifindex, before->mac);
	return 0;
}

/* A step failed: @what (one line) and, after the undo, how it went. Return: 1 */
static int undo(struct nl_sock *sk, const LinkInfo *before, const char *bridge, const char *what)
{
	int r = port_restore(sk, before);

	if (r < 0)
		return fail("%s; cannot put '%s' back as it was: %s", what, before->name,
			    tg_strerror(-r));
	if (!before->master)
		return fail("%s; undone: '%s' is off bridge '%s', with its MTU and MAC as before",
			    what, before->name, bridge);
	return fail("%s", what);
}

/* Bring the tap onto the port's bridge, with the port's MTU and a host MAC.
 * Return: 0, or 1 (said why, undone). */
static int port_join(struct nl_sock *sk, const LinkInfo *tap, const PortPreflight *pf,
		     GPtrArray *changes)
{
	g_autofree char *what = NULL, *text = NULL;
	uint8_t mac[6];
	int r;

	/* A MAC of the host side (fe:...: an earlier attach's, the helper's,
	 * an administrator's) stays; any other, such as the random one the
	 * tun driver gives, could be the lowest of the bridge's ports and
	 * become the bridge's own address. */
	memcpy(mac, tap->mac, 6);
	if (mac[0] != 0xfe)
		link_random_host_mac(mac);
	if (tap->master == pf->br.ifindex && tap->mtu == pf->mtu && !memcmp(mac, tap->mac, 6))
		return 0;
	r = link_set_port(sk, tap->ifindex, pf->mtu, mac, pf->br.ifindex);
	if (r == -EXFULL)
		what = g_strdup_printf("bridge '%s' is full (a Linux bridge holds at most 1023 ports)",
				       pf->br.name);
	else if (r == -ENODEV)
		what = g_strdup_printf("bridge '%s' disappeared while tap '%s' was being attached",
				       pf->br.name, tap->name);
	else if (r < 0)
		what = g_strdup_printf("cannot attach tap '%s' to bridge '%s': %s", tap->name,
				       pf->br.name, tg_strerror(-r));
	if (r < 0)	/* the kernel may have set the MAC before it refused the MTU */
		return undo(sk, tap, pf->br.name, what);
	text = mac_format(mac);
	g_ptr_array_add(changes, g_strdup_printf("%s: bridge %s, mtu %u, address %s", tap->name,
						 pf->br.name, pf->mtu, text));
	return 0;
}

static int port_attach(const char *name)
{
	g_autoptr(Policy) policy = NULL;
	g_autoptr(NlSock) sk = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *key = NULL, *what = NULL;
	PolicyTarget t;
	PortPreflight pf;
	PortConfig cfg;
	LinkInfo tap, master;
	int r;

	if (load_policy(&policy) || port_target(policy, &t, &key))
		return 1;
	if ((r = tg_nl_open(&sk)) < 0)
		return fail("cannot open a netlink socket: %s", tg_strerror(-r));
	if (tap_lookup(sk, name, &tap))
		return 1;
	if (tap.master && (r = link_get_index(sk, tap.master, &master)) < 0)
		return fail("cannot look up the master of '%s': %s", name, tg_strerror(-r));
	if (tap.master && strcmp(master.name, t.bridge))
		return fail("'%s' is already a port of '%s'; take it off first with 'tapgate port "
			    "detach %s'", name, master.name, name);
	if (preflight(sk, policy, &t, key, &pf))
		return 1;
	memset(&cfg, 0, sizeof(cfg));
	if (t.network)
		g_strlcpy(cfg.network, t.name, sizeof(cfg.network));
	g_strlcpy(cfg.bridge, t.bridge, sizeof(cfg.bridge));
	cfg.vlan = t.vlan;
	cfg.isolated = o_isolated;
	cfg.pin_mac = o_mac != NULL;
	if (o_mac)
		mac_parse(o_mac, cfg.mac);	/* checked with the options */
	if (port_bridge_check(&pf.br, &cfg, &err) < 0)
		return fail("%s", err->message);

	/* Checked: from here on, a failure undoes what was done. VLANs, pin
	 * and isolation go on while the port is still down, as the helper's
	 * do: it never forwards a frame it should not. */
	if (port_join(sk, &tap, &pf, changes))
		return 1;
	if (port_reconcile(sk, NULL, name, &cfg, changes, &err) < 0)
		what = g_strdup_printf("cannot wire tap '%s': %s", name, err->message);
	else if (!(tap.flags & IFF_UP) && (r = link_set_up(sk, tap.ifindex)) < 0)
		what = g_strdup_printf("cannot bring tap '%s' up: %s", name, tg_strerror(-r));
	else if (!(tap.flags & IFF_UP))
		g_ptr_array_add(changes, g_strdup_printf("%s: up", name));
	/* What changed is said, except what the undo takes back: all of it
	 * for a tap that was on no bridge. */
	for (guint i = 0; i < changes->len && (!what || tap.master); i++)
		printf("%s\n", (char *)g_ptr_array_index(changes, i));
	if (what)
		return undo(sk, &tap, pf.br.name, what);
	if (!changes->len)
		printf("%s: already on bridge %s as asked\n", name, pf.br.name);
	return 0;
}

static int port_detach(const char *name)
{
	g_autoptr(NlSock) sk = NULL;
	LinkInfo tap, master;
	int r;

	if ((r = tg_nl_open(&sk)) < 0)
		return fail("cannot open a netlink socket: %s", tg_strerror(-r));
	if (tap_lookup(sk, name, &tap))
		return 1;
	if (!tap.master) {
		printf("%s: on no bridge\n", name);
		return 0;
	}
	if ((r = link_get_index(sk, tap.master, &master)) < 0)
		return fail("cannot look up the master of '%s': %s", name, tg_strerror(-r));
	/* The bridge drops the port's fdb entries (the pins), VLANs and port
	 * flags with it. The tap itself is its maker's to delete. */
	if ((r = link_set_master(sk, tap.ifindex, 0)) < 0)
		return fail("cannot take '%s' off '%s': %s", name, master.name, tg_strerror(-r));
	printf("%s: off bridge %s\n", name, master.name);
	return 0;
}

/* Options of 'attach' that fit together. Return: 0, or 2 (a usage error). */
static int check_attach_options(const char *tap)
{
	g_autoptr(GError) err = NULL;
	uint8_t mac[6];

	if (ifname_validate(tap, "tap name", &err) < 0)
		return usage_error(err->message, "port attach");
	if ((o_network != NULL) == (o_bridge != NULL))
		return usage_error("give one of '--network' and '--bridge'", "port attach");
	if (o_network && ifname_validate(o_network, "network name", &err) < 0)
		return usage_error(err->message, "port attach");
	if (o_bridge && ifname_validate(o_bridge, "bridge name", &err) < 0)
		return usage_error(err->message, "port attach");
	if (o_vlan && !o_bridge)
		return usage_error("'--vlan' goes with '--bridge' (a network sets its own VLANs)",
				   "port attach");
	if (o_vlan < 0 || o_vlan > VLAN_VID_MAX)
		return usage_error("'--vlan' must be 1-4094", "port attach");
	if (o_mac && mac_parse(o_mac, mac) < 0)
		return usage_error("'--mac' must be a MAC such as 52:54:00:12:34:56", "port attach");
	if (o_mac && (mac[0] & 1))
		return usage_error("'--mac' must be a unicast MAC", "port attach");
	if (o_mac && mac[0] == 0xfe)
		return usage_error("'--mac' is the guest's MAC; fe:... is kept for the host side of "
				   "ports", "port attach");
	return 0;
}

/* 'tapgate port attach TAP ...' and 'tapgate port detach TAP'. */
static int port_verb(int argc, char **argv, gboolean attach)
{
	const char *verb = attach ? "port attach" : "port detach";
	const GOptionEntry none[] = { { NULL } };
	g_autoptr(GOptionContext) ctx = g_option_context_new(
		attach ? "TAP - put an existing tap on a network of the policy" :
			 "TAP - take a tap off its bridge");
	g_autoptr(GError) err = NULL;
	g_autofree char *prg = g_strdup_printf("tapgate %s", verb);
	int r;

	g_set_prgname(prg);	/* "Usage: tapgate port attach [OPTION...] TAP" */
	g_option_context_add_main_entries(ctx, attach ? attach_entries : none, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err))
		return usage_error(err->message, verb);
	if (argc != 2)
		return usage_error(argc < 2 ? "expected the tap's name" : "unexpected argument",
				   verb);
	if (attach && (r = check_attach_options(argv[1])) != 0)
		return r;
	if (geteuid() != 0)
		return fail("'%s' needs root: run it as root", prg);
	return attach ? port_attach(argv[1]) : port_detach(argv[1]);
}

static void port_usage(void)
{
	printf("Usage: tapgate port SUBCOMMAND TAP [OPTION...]\n\n"
	       "Subcommands (as root):\n"
	       "  attach     put an existing tap on a network of the policy, or on a bridge:\n"
	       "             its MTU, a host MAC, VLANs, MAC pinning, isolation; then up\n"
	       "  detach     take a tap off its bridge (its pins go with it)\n"
	       "\nFor QEMU's -netdev tap,script=/etc/qemu-ifup,downscript=/etc/qemu-ifdown:\n"
	       "  /etc/qemu-ifup:   #!/bin/sh\n"
	       "                    exec tapgate port attach \"$1\" --network lan\n"
	       "  /etc/qemu-ifdown: #!/bin/sh\n"
	       "                    exec tapgate port detach \"$1\"\n"
	       "\n'tapgate port SUBCOMMAND --help' describes each.\n");
}

/** cmd_port() - 'tapgate port attach|detach TAP ...': 0, 1 (refused or failed), 2 (usage) */
int cmd_port(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		port_usage();
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "attach"))
		return port_verb(argc - 1, argv + 1, TRUE);
	if (argc >= 2 && !strcmp(argv[1], "detach"))
		return port_verb(argc - 1, argv + 1, FALSE);
	return usage_error("expected 'attach' or 'detach'", "port");
}
