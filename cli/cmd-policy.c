/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 'tapgate check' and 'tapgate explain': the helper's own policy code, run
 * unprivileged, with the reasons spelled out.
 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "config.h"
#include "link.h"
#include "netprep.h"
#include "vxlan.h"
#include "netlink.h"
#include "helper-args.h"
#include "policy.h"
#include "secfile.h"
#include "tapgate.h"
#include "tg-util.h"

static char *opt_policy, *opt_acl;

static const GOptionEntry file_options[] = {
	{ "policy", 0, 0, G_OPTION_ARG_FILENAME, &opt_policy,
	  "Check this file instead of " TG_POLICY_PATH, "FILE" },
	{ "acl", 0, 0, G_OPTION_ARG_FILENAME, &opt_acl,
	  "Use this QEMU ACL instead of " TG_QEMU_ACL_PATH, "FILE" },
	{ NULL },
};

/* Drafts named on the command line are read whoever owns them; the checks the
 * helper would make on them become warnings instead. */
static GPtrArray *draft_notes;

static int read_draft(const char *path, char **contents, gsize *len, GError **error)
{
	g_autoptr(GError) strict = NULL;
	g_autofree char *text = NULL;
	int r = secfile_read(path, &text, len, &strict);

	if (r == 0) {
		*contents = g_steal_pointer(&text);
		return 0;
	}
	if (r == -ENOENT) {
		g_propagate_error(error, g_steal_pointer(&strict));
		return r;
	}
	if (!g_file_get_contents(path, contents, len, error))
		return -EIO;
	g_ptr_array_add(draft_notes,
			g_strdup_printf("%s (the helper would refuse this file)", strict->message));
	return 0;
}

/* The helper resolves names from /etc/passwd and /etc/group only (no NSS);
 * a name only a directory service knows is said so, with its id. */
static int lookup_user_noting_nss(const char *name, uid_t *uid)
{
	int r = policy_env_system.lookup_user(name, uid);
	struct passwd *pw;

	if (r == -ENOENT && (pw = getpwnam(name)))
		g_ptr_array_add(draft_notes,
				g_strdup_printf("user '%s' is not in /etc/passwd but known to NSS: "
						"the helper does not use NSS; write its uid %u",
						name, (unsigned)pw->pw_uid));
	return r;
}

static int lookup_group_noting_nss(const char *name, gid_t *gid)
{
	int r = policy_env_system.lookup_group(name, gid);
	struct group *gr;

	if (r == -ENOENT && (gr = getgrnam(name)))
		g_ptr_array_add(draft_notes,
				g_strdup_printf("group '%s' is not in /etc/group but known to NSS: "
						"the helper does not use NSS; write its gid %u",
						name, (unsigned)gr->gr_gid));
	return r;
}

static int load(Policy **policy, GError **error)
{
	static PolicyEnv draft;
	const char *drafts[] = { opt_policy, opt_acl };

	draft = policy_env_system;
	draft.lookup_user = lookup_user_noting_nss;
	draft.lookup_group = lookup_group_noting_nss;
	draft_notes = g_ptr_array_new_with_free_func(g_free);
	if (!opt_policy && !opt_acl)
		return policy_load(policy, &draft, TG_POLICY_PATH, TG_QEMU_ACL_PATH, error);
	/* A draft that is not there is a typo, not "check the fallback". */
	for (size_t i = 0; i < G_N_ELEMENTS(drafts); i++) {
		if (drafts[i] && !g_file_test(drafts[i], G_FILE_TEST_EXISTS)) {
			g_set_error(error, TG_ERROR, ENOENT, "cannot read '%s': %s", drafts[i],
				    g_strerror(ENOENT));
			return -ENOENT;
		}
	}
	draft.read = read_draft;
	return policy_load(policy, &draft, opt_policy ? opt_policy : TG_POLICY_PATH,
			   opt_acl ? opt_acl : TG_QEMU_ACL_PATH, error);
}

static void print_quota(const PolicyQuota *q)
{
	if (q->per_user)
		printf(", at most %u port%s per user", q->per_user, q->per_user == 1 ? "" : "s");
	if (q->per_group)
		printf(", at most %u per group", q->per_group);
	if (q->total)
		printf(", at most %u in all", q->total);
}

/* F3: a bridge whose MAC is not set takes the lowest of its ports' MACs, and
 * follows it when it changes (a tap's MAC can be changed through its fd). */
static void inspect_bridge_mac(struct nl_sock *sk, const LinkInfo *br, guint *warnings)
{
	g_autoptr(GHashTable) links = NULL;
	GHashTableIter it;
	gpointer value;

	if (bridge_mac_is_fixed(br) != 0 || link_dump(sk, 0, &links) < 0)
		return;
	g_hash_table_iter_init(&it, links);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		const LinkInfo *l = value;

		if (l->master != br->ifindex || memcmp(l->mac, br->mac, 6))
			continue;
		printf("    warning: bridge '%s' has the MAC of its port '%s' and no fixed one: a "
		       "port with a lower MAC becomes the bridge's address; fix it with 'managed = "
		       "true' and 'tapgate apply'\n", br->name, l->name);
		(*warnings)++;
		return;
	}
}

/* What the kernel says about a bridge the policy names, and what follows. */
static void inspect_bridge(struct nl_sock *sk, const char *name, gboolean needs_filtering,
			   gboolean managed, gboolean made_by_apply, guint *warnings)
{
	LinkInfo br;

	if (!sk || link_get(sk, name, &br) == -ENODEV) {
		/* "(yet)" only where apply makes it: the helper never does */
		if (sk && made_by_apply)
			printf("    bridge '%s' does not exist yet ('tapgate apply' makes it)\n", name);
		else if (sk)
			printf("    bridge '%s' does not exist, and 'tapgate apply' does not make it "
			       "(without 'managed = true' in [bridge %s])\n", name, name);
		return;
	}
	if (strcmp(br.kind, "bridge")) {
		printf("    warning: '%s' is a %s, not a bridge: the helper will refuse\n", name,
		       *br.kind ? br.kind : "device");
		(*warnings)++;
		return;
	}
	if (needs_filtering && !br.vlan_filtering && !managed) {
		printf("    warning: bridge '%s' does not filter VLANs and [bridge %s] has no "
		       "'managed = true': the helper will refuse\n", name, name);
		(*warnings)++;
	}
	inspect_bridge_mac(sk, &br, warnings);
	if (br.vlan_filtering && br.default_pvid)
		printf("    bridge '%s' filters VLANs; default_pvid %u: a port added by anything "
		       "but tapgate (libvirt, brctl) sits untagged in VLAN %u until someone "
		       "configures it. tapgate configures its ports before they come up.\n",
		       name, br.default_pvid, br.default_pvid);
}

static void inspect_mtu(struct nl_sock *sk, const LinkInfo *br, int vx_index, uint32_t mtu,
			guint *warnings);

/* A network that spans hosts: its tunnel, and whether guests' frames fit. */
static void inspect_vxlan(struct nl_sock *sk, const PolicyNetwork *n, guint *warnings)
{
	g_autofree char *d = vxlan_config_describe(&n->vxlan);
	char name[16], a[TG_ADDR_STRLEN];
	LinkInfo under, br, vx = { 0 };
	uint32_t mtu;
	int r;

	vxlan_device_name(n->vxlan.vni, name);
	printf("    VXLAN %s: device %s\n", d, name);
	if (!sk)
		return;
	r = vxlan_underlay(sk, &n->vxlan.local, &under);
	if (r < 0) {
		printf("    warning: vxlan-local %s is not an address of this host: the helper "
		       "will refuse\n", tg_addr_format(&n->vxlan.local, a));
		(*warnings)++;
		return;
	}
	mtu = under.mtu - vxlan_overhead(&n->vxlan.local);
	printf("    guests' MTU %u: underlay '%s' (MTU %u) minus %u for VXLAN\n", mtu, under.name,
	       under.mtu, vxlan_overhead(&n->vxlan.local));
	if (link_get(sk, name, &vx) == 0 &&
	    (strcmp(vx.kind, "vxlan") || vx.vxlan_id != n->vxlan.vni ||
	     !tg_addr_equal(&vx.vxlan_local, &n->vxlan.local) || vx.vxlan_port != n->vxlan.port)) {
		printf("    warning: '%s' exists but is not VNI %u from %s, UDP port %u: the "
		       "helper will refuse\n", name, n->vxlan.vni,
		       tg_addr_format(&n->vxlan.local, a), n->vxlan.port);
		(*warnings)++;
		return;
	}
	if (link_get(sk, n->bridge, &br) == 0)
		inspect_mtu(sk, &br, vx.ifindex, mtu, warnings);
}

/* Frames larger than the tunnel carries are dropped. A bridge's MTU follows
 * its smallest port unless set by hand, so only the ports can be wrong
 * before the tunnel joins, and only a hand-set bridge MTU after. */
static void inspect_mtu(struct nl_sock *sk, const LinkInfo *br, int vx_index, uint32_t mtu,
			guint *warnings)
{
	g_autoptr(GHashTable) links = NULL;
	g_autoptr(GString) big = g_string_new(NULL);
	GHashTableIter it;
	gpointer value;

	if (link_dump(sk, 0, &links) < 0)
		return;
	g_hash_table_iter_init(&it, links);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		const LinkInfo *l = value;

		if (l->master == br->ifindex && l->ifindex != vx_index && l->mtu > mtu)
			g_string_append_printf(big, "%s%s (%u)", big->len ? ", " : "", l->name,
					       l->mtu);
	}
	if (big->len) {
		printf("    warning: ports of bridge '%s' with an MTU above the %u the tunnel "
		       "leaves: %s; their larger frames are dropped\n", br->name, mtu, big->str);
		(*warnings)++;
	}
	if (vx_index && br->mtu > mtu) {
		printf("    warning: bridge '%s' has MTU %u, set by hand above the %u the tunnel "
		       "leaves; lower it to %u\n", br->name, br->mtu, mtu, mtu);
		(*warnings)++;
	}
}

static void print_networks(const Policy *p, struct nl_sock *sk, guint *warnings)
{
	for (guint i = 0; i < p->networks->len; i++) {
		const PolicyNetwork *n = g_ptr_array_index(p->networks, i);
		const PolicyBridge *b = policy_find_bridge(p, n->bridge);
		g_autofree char *v = port_vlan_describe(&n->vlan);

		if (n->uplink)
			printf("  network %s (%s): VLAN %u of uplink %s, bridge %s (made by "
			       "'tapgate apply')", n->name, n->origin, n->uplink_vid, n->uplink,
			       n->bridge);
		else if (n->vlan.mode == PORT_PLAIN)	/* a VXLAN segment of its own */
			printf("  network %s (%s): bridge %s (the network's own, made by 'tapgate "
			       "apply'), plain ports", n->name, n->origin, n->bridge);
		else
			printf("  network %s (%s): bridge %s, ports %s", n->name, n->origin,
			       n->bridge, v);
		print_quota(&n->quota);
		printf("\n");
		if (n->uplink) {
			LinkInfo up;

			if (sk && link_get(sk, n->uplink, &up) == -ENODEV) {
				printf("    warning: uplink '%s' does not exist\n", n->uplink);
				(*warnings)++;
			}
		} else {
			inspect_bridge(sk, n->bridge, n->vlan.mode != PORT_PLAIN, b && b->managed,
				       (b && b->managed) || n->vxlan.vni, warnings);
		}
		if (n->vxlan.vni)
			inspect_vxlan(sk, n, warnings);
	}
}

/* The [tap] sections: "tap vm1 (FILE:LINE): persistent, user alice, group
 * kvm, network lan100, multi-queue, MTU 9000, MAC fe:54:00:12:34:56". */
static void print_taps(const Policy *p)
{
	for (guint i = 0; i < p->taps->len; i++) {
		const PolicyTap *t = g_ptr_array_index(p->taps, i);
		struct passwd *pw = t->has_user ? getpwuid(t->user) : NULL;
		struct group *gr = t->has_group ? getgrgid(t->group) : NULL;
		const uint8_t *m = t->mac;

		printf("  tap %s (%s): persistent, made by 'tapgate apply'", t->name, t->origin);
		if (pw)
			printf(", user %s", pw->pw_name);
		else if (t->has_user)
			printf(", uid %u", (unsigned int)t->user);
		if (gr)
			printf(", group %s", gr->gr_name);
		else if (t->has_group)
			printf(", gid %u", (unsigned int)t->group);
		if (t->network)
			printf(", network %s", t->network);
		else
			printf(", bridge %s", t->bridge);
		if (t->vid)
			printf(", VLAN %u", t->vid);
		if (t->multi_queue)
			printf(", multi-queue");
		if (t->mtu)
			printf(", MTU %u", t->mtu);
		if (t->has_mac)
			printf(", MAC %02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
			       m[5]);
		printf("\n");
	}
}

/* What 'tapgate apply' would do with this policy, and what it cannot. */
static void print_apply_plan(struct nl_sock *sk, const Policy *p, guint *warnings)
{
	g_autoptr(ApplyPlan) plan = NULL;
	g_autoptr(GError) err = NULL;

	if (apply_plan(sk, p, &plan, &err) < 0) {
		printf("warning: cannot plan 'tapgate apply': %s\n", err->message);
		(*warnings)++;
		return;
	}
	for (guint i = 0; i < plan->problems->len; i++, (*warnings)++)
		printf("warning: 'tapgate apply' would refuse: %s\n",
		       (char *)g_ptr_array_index(plan->problems, i));
	if (!plan->problems->len && plan->steps->len)
		printf("'tapgate apply' has %u change%s to make (see 'tapgate apply --dry-run')\n",
		       plan->steps->len, plan->steps->len == 1 ? "" : "s");
}

/** cmd_check() - 'tapgate check': validate the policy, exit 0 or 1 */
int cmd_check(int argc, char **argv)
{
	g_autoptr(GOptionContext) ctx = g_option_context_new("- validate the tapgate policy");
	g_autoptr(Policy) p = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(NlSock) sk = NULL;
	guint warnings = 0;

	g_option_context_add_main_entries(ctx, file_options, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || argc > 1)
		return usage_error(err ? err->message : "unexpected argument", "check");
	if (load(&p, &err) < 0) {
		fprintf(stderr, "tapgate: %s\n", err->message);
		return 1;
	}
	if (tg_nl_open(&sk) < 0)
		sk = NULL;
	for (guint i = 0; draft_notes && i < draft_notes->len; i++, warnings++)
		printf("warning: %s\n", (char *)g_ptr_array_index(draft_notes, i));
	for (guint i = 0; i < p->warnings->len; i++, warnings++)
		printf("warning: %s\n", (char *)g_ptr_array_index(p->warnings, i));
	if (!p->sources->len) {
		printf("no policy file: every request is denied\n");
		return 0;
	}
	printf("%s: OK, %u rule%s, %u bridge section%s, %u network%s",
	       (char *)g_ptr_array_index(p->sources, 0), p->rules->len,
	       p->rules->len == 1 ? "" : "s", p->bridges->len, p->bridges->len == 1 ? "" : "s",
	       p->networks->len, p->networks->len == 1 ? "" : "s");
	if (p->taps->len)
		printf(", %u tap%s", p->taps->len, p->taps->len == 1 ? "" : "s");
	for (guint i = 1; i < p->sources->len; i++)
		printf("%s %s", i == 1 ? "; also read" : ",", (char *)g_ptr_array_index(p->sources, i));
	printf("\n");
	for (guint i = 0; i < p->bridges->len; i++) {
		const PolicyBridge *b = g_ptr_array_index(p->bridges, i);

		if (!strcmp(b->name, "*"))
			continue;
		printf("  bridge %s (%s)%s", b->name, b->origin, b->managed ? ", managed" : "");
		print_quota(&b->quota);
		printf("\n");
		inspect_bridge(sk, b->name, FALSE, b->managed, b->managed, &warnings);
	}
	print_networks(p, sk, &warnings);
	print_taps(p);
	if (sk)
		print_apply_plan(sk, p, &warnings);
	if (warnings)
		printf("%u warning%s\n", warnings, warnings == 1 ? "" : "s");
	return 0;
}

/* A user by name or number, with the groups the helper would see. */
static int caller_of(const char *user, PolicyCaller *c, gid_t **groups)
{
	struct passwd *pw = getpwnam(user);
	int n = 64;
	char *end;

	if (!pw && g_ascii_isdigit(user[0])) {
		guint64 uid = g_ascii_strtoull(user, &end, 10);

		if (*end || uid >= G_MAXUINT32)
			return -EINVAL;
		pw = getpwuid((uid_t)uid);
		if (!pw) {	/* an id without an entry: no groups beyond none */
			c->uid = (uid_t)uid;
			c->gid = (gid_t)-1;
			return 0;
		}
	}
	if (!pw)
		return -ENOENT;
	c->uid = pw->pw_uid;
	c->gid = pw->pw_gid;
	*groups = g_new(gid_t, n);
	if (getgrouplist(pw->pw_name, pw->pw_gid, *groups, &n) < 0) {
		*groups = g_renew(gid_t, *groups, n);
		getgrouplist(pw->pw_name, pw->pw_gid, *groups, &n);
	}
	c->groups = *groups;
	c->n_groups = (size_t)n;
	return 0;
}

/* Why 'tapgate apply' would leave @t's network or bridge out, or NULL. The
 * text lives in *@plan. */
static const char *apply_refusal(struct nl_sock *sk, const Policy *p, const PolicyTarget *t,
				 ApplyPlan **plan)
{
	g_autofree char *bridge = g_strdup_printf("bridge %s", t->bridge);
	const char *why;

	if (apply_plan(sk, p, plan, NULL) < 0)
		return NULL;
	why = g_hash_table_lookup((*plan)->refused, t->quota_key);
	return why ? why : g_hash_table_lookup((*plan)->refused, bridge);
}

/** cmd_explain() - 'tapgate explain': the helper's decision, as a dry run */
int cmd_explain(int argc, char **argv)
{
	static char *opt_user, *opt_br;
	static int opt_vlan, opt_queues;
	static gboolean opt_vhost;
	const GOptionEntry entries[] = {
		{ "user", 'u', 0, G_OPTION_ARG_STRING, &opt_user, "The caller (name or uid)", "USER" },
		{ "br", 'b', 0, G_OPTION_ARG_STRING, &opt_br, "The bridge or network", "NAME" },
		{ "vlan", 0, 0, G_OPTION_ARG_INT, &opt_vlan, "The VLAN asked for (--vlan=ID)", "ID" },
		{ "queues", 0, 0, G_OPTION_ARG_INT, &opt_queues,
		  "A multiqueue tap of N queues (tapgate run's queues=N)", "N" },
		{ "vhost", 0, 0, G_OPTION_ARG_NONE, &opt_vhost,
		  "With vhost-net descriptors from the helper (vhost=on)", NULL },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- dry-run the helper's decision");
	g_autoptr(Policy) p = NULL;
	g_autoptr(GError) err = NULL;
	g_autofree gid_t *groups = NULL;
	g_autofree char *quser = NULL;
	g_autoptr(GError) perr = NULL;
	g_autoptr(NlSock) sk = NULL;
	g_autoptr(ApplyPlan) plan = NULL;
	PolicyCaller caller = { 0 };
	PortPreflight pf;
	int pr = 0;
	PolicyRequest req = { 0 };
	PolicyDecision d;
	const PolicyTarget *t;
	int r;

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_add_main_entries(ctx, file_options, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || argc > 1)
		return usage_error(err ? err->message : "unexpected argument", "explain");
	if (!opt_user || !opt_br)
		return usage_error("'--user' and '--br' are required", "explain");
	if (opt_vlan < 0 || opt_vlan > VLAN_VID_MAX)
		return usage_error("'--vlan' must be a VLAN id (1-4094)", "explain");
	if (opt_queues < 0 || opt_queues > HELPER_MAX_QUEUES)
		return usage_error("'--queues' must be a number from 1 to 256", "explain");
	if (opt_vhost && !opt_queues)
		opt_queues = 1;		/* as tapgate run asks the helper */
	quser = tg_quote(opt_user);
	r = caller_of(opt_user, &caller, &groups);
	if (r < 0) {
		fprintf(stderr, "tapgate: unknown user '%s'\n", quser);
		return 2;
	}
	/* A policy that does not load denies everyone: that is the verdict,
	 * not the "no rule allows" of an empty policy. */
	if (load(&p, &err) < 0) {
		printf("denied: the helper denies everything, the policy does not load: %s\n",
		       err->message);
		return 1;
	}
	req.name = opt_br;
	req.vlan = (unsigned int)opt_vlan;
	req.queues = (unsigned int)opt_queues;
	req.vhost = opt_vhost;
	d = policy_decide(p, &caller, &req);
	t = &d.target;
	/* The helper's own preflight: allowed is not enough if it will refuse. */
	if (d.allowed && tg_nl_open(&sk) == 0 && (pr = port_preflight(sk, t, &pf, &perr)) < 0) {
		const char *refused = pr == -EAGAIN ? apply_refusal(sk, p, t, &plan) : NULL;

		if (refused)
			printf("allowed by the policy, but the helper will refuse, and 'tapgate apply' "
			       "cannot help: %s (%s)\n", refused, d.reason);
		else if (pr == -EAGAIN)
			printf("allowed, but 'tapgate apply' has not %s yet (%s)\n", pf.todo,
			       d.reason);
		else
			printf("allowed by the policy, but the helper will refuse: %s (%s)\n",
			       perr->message, d.reason);
	} else {
		printf("%s: %s\n", d.allowed ? "allowed" : "denied", d.reason);
	}
	if (d.allowed) {
		g_autofree char *v = port_vlan_describe(&t->vlan);

		if (t->uplink)
			printf("  port on bridge %s, which carries %s.%u (VLAN %u of %s)\n", t->bridge,
			       t->uplink, t->uplink_vid, t->uplink_vid, t->uplink);
		else
			printf("  port on bridge %s, VLANs: %s%s\n", t->bridge, v,
			       t->vlan.mode != PORT_PLAIN && !t->vlan.keep_default_vlan
				       ? " (the default VLAN removed)" : "");
		if (req.queues)
			printf("  one multiqueue tap of %u queue%s (max-queues %u)%s\n", req.queues,
			       req.queues == 1 ? "" : "s", t->queues.max_queues,
			       req.vhost ? ", with vhost-net descriptors" : "");
		if (t->quota.per_user || t->quota.per_group || t->quota.total) {
			printf("  quota on %s", t->quota_key);
			print_quota(&t->quota);
			printf("\n");
		}
	}
	r = d.allowed && pr == 0 ? 0 : 1;
	policy_decision_clear(&d);
	return r;
}
