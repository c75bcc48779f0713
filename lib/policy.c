/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policy model and the one function that decides. */
#include <string.h>

#include "policy.h"

static void rule_free(gpointer p)
{
	PolicyRule *rule = p;

	g_free(rule->target);
	g_array_unref(rule->uids);
	g_array_unref(rule->gids);
	g_free(rule->vlans);
	g_free(rule->origin);
	g_free(rule);
}

static void bridge_free(gpointer p)
{
	PolicyBridge *b = p;

	g_free(b->name);
	g_free(b->origin);
	g_free(b);
}

static void network_free(gpointer p)
{
	PolicyNetwork *n = p;

	g_free(n->name);
	g_free(n->bridge);
	g_free(n->uplink);
	g_free(n->origin);
	g_free(n);
}

static void tap_free(gpointer p)
{
	PolicyTap *t = p;

	g_free(t->name);
	g_free(t->network);
	g_free(t->bridge);
	g_free(t->origin);
	g_free(t);
}

/** policy_new() - an empty policy, which denies everything */
Policy *policy_new(void)
{
	Policy *policy = g_new0(Policy, 1);

	policy->rules = g_ptr_array_new_with_free_func(rule_free);
	policy->bridges = g_ptr_array_new_with_free_func(bridge_free);
	policy->networks = g_ptr_array_new_with_free_func(network_free);
	policy->taps = g_ptr_array_new_with_free_func(tap_free);
	policy->warnings = g_ptr_array_new_with_free_func(g_free);
	policy->sources = g_ptr_array_new_with_free_func(g_free);
	return policy;
}

/** policy_free() - free a policy and all it holds; NULL is fine */
void policy_free(Policy *policy)
{
	if (!policy)
		return;
	g_ptr_array_unref(policy->rules);
	g_ptr_array_unref(policy->bridges);
	g_ptr_array_unref(policy->networks);
	g_ptr_array_unref(policy->taps);
	g_ptr_array_unref(policy->warnings);
	g_ptr_array_unref(policy->sources);
	g_free(policy);
}

/**
 * policy_add_rule() - append a rule that matches nobody yet
 * @policy:	policy to extend
 * @effect:	allow or deny
 * @target:	bridge or network name, NULL for every bridge
 * @network:	@target names a network
 * @origin:	"FILE:LINE" of the statement
 *
 * Return: the rule, owned by @policy; set everyone/uids/gids/vlans on it
 */
PolicyRule *policy_add_rule(Policy *policy, PolicyEffect effect, const char *target,
			    gboolean network, const char *origin)
{
	PolicyRule *rule = g_new0(PolicyRule, 1);

	rule->effect = effect;
	rule->target = g_strdup(target);
	rule->network = network;
	rule->uids = g_array_new(FALSE, FALSE, sizeof(uid_t));
	rule->gids = g_array_new(FALSE, FALSE, sizeof(gid_t));
	rule->origin = g_strdup(origin);
	g_ptr_array_add(policy->rules, rule);
	return rule;
}

/** policy_find_network() - the [network NAME] section, or NULL */
const PolicyNetwork *policy_find_network(const Policy *policy, const char *name)
{
	for (guint i = 0; policy && i < policy->networks->len; i++) {
		const PolicyNetwork *n = g_ptr_array_index(policy->networks, i);

		if (!strcmp(n->name, name))
			return n;
	}
	return NULL;
}

/** policy_find_bridge() - the [bridge NAME] section, or NULL */
const PolicyBridge *policy_find_bridge(const Policy *policy, const char *name)
{
	for (guint i = 0; policy && i < policy->bridges->len; i++) {
		const PolicyBridge *b = g_ptr_array_index(policy->bridges, i);

		if (!strcmp(b->name, name))
			return b;
	}
	return NULL;
}

/** policy_find_tap() - the [tap NAME] section, or NULL */
const PolicyTap *policy_find_tap(const Policy *policy, const char *name)
{
	for (guint i = 0; policy && i < policy->taps->len; i++) {
		const PolicyTap *t = g_ptr_array_index(policy->taps, i);

		if (!strcmp(t->name, name))
			return t;
	}
	return NULL;
}

/**
 * policy_tap_port() - where a [tap] goes, and with which VLANs
 * @policy:	the policy that declares @tap
 * @tap:	the tap
 * @bridge:	set to its bridge (owned by @policy)
 * @vlan:	set to its VLANs, as a helper port of the same network would get
 *
 * Return: 0, or -ENOENT if its network is not declared (the parser refuses that)
 */
int policy_tap_port(const Policy *policy, const PolicyTap *tap, const char **bridge,
		    PortVlan *vlan)
{
	const PolicyBridge *b;

	memset(vlan, 0, sizeof(*vlan));
	if (tap->network) {
		const PolicyNetwork *n = policy_find_network(policy, tap->network);

		if (!n)
			return -ENOENT;
		*bridge = n->bridge;
		*vlan = n->vlan;
		return 0;
	}
	*bridge = tap->bridge;
	b = policy_find_bridge(policy, tap->bridge);
	if (tap->vid) {
		vlan->mode = PORT_ACCESS;
		vlan->vid = tap->vid;
	}
	vlan->keep_default_vlan = b && b->keep_default_vlan;
	return 0;
}

static gboolean rule_matches_caller(const PolicyRule *rule, const PolicyCaller *caller)
{
	guint i;
	size_t j;

	if (rule->everyone)
		return TRUE;
	for (i = 0; i < rule->uids->len; i++)
		if (g_array_index(rule->uids, uid_t, i) == caller->uid)
			return TRUE;
	for (i = 0; i < rule->gids->len; i++) {
		gid_t gid = g_array_index(rule->gids, gid_t, i);

		if (gid == caller->gid)
			return TRUE;
		for (j = 0; j < caller->n_groups; j++)
			if (caller->groups[j] == gid)
				return TRUE;
	}
	return FALSE;
}

/*
 * Which rules speak about a request. For a bridge: its own rules and those
 * for every bridge. For a network: its own rules; and deny rules for its
 * bridge or every bridge, so a deny on a bridge also covers networks on it.
 */
static gboolean rule_applies(const PolicyRule *rule, const char *name, const PolicyNetwork *net)
{
	if (!net)
		return !rule->network && (!rule->target || !strcmp(rule->target, name));
	if (rule->network)
		return !strcmp(rule->target, name);
	return rule->effect == POLICY_DENY &&
	       (!rule->target || !strcmp(rule->target, net->bridge));
}

static void target_fill(PolicyTarget *t, const Policy *policy, const PolicyRequest *request,
			const PolicyNetwork *net)
{
	const PolicyBridge *b;

	t->name = g_strdup(request->name);
	if (net)
		t->queues = net->queues;
	t->network = net != NULL;
	if (net) {
		t->bridge = g_strdup(net->bridge);
		t->uplink = g_strdup(net->uplink);
		t->uplink_vid = net->uplink_vid;
		t->vlan = net->vlan;
		t->vxlan = net->vxlan;
		t->quota = net->quota;
		t->quota_key = g_strdup_printf("network %s", net->name);
	} else {
		t->bridge = g_strdup(request->name);
		t->quota_key = g_strdup_printf("bridge %s", request->name);
		if (request->vlan) {
			t->vlan.mode = PORT_ACCESS;
			t->vlan.vid = request->vlan;
		}
	}
	b = policy_find_bridge(policy, t->bridge);
	if (b) {
		t->managed = b->managed;
		if (!net) {
			t->vlan.keep_default_vlan = b->keep_default_vlan;
			t->quota = b->quota;
			t->queues = b->queues;
		}
	}
	if (!t->queues.max_queues)
		t->queues.max_queues = POLICY_DEFAULT_MAX_QUEUES;
}

/* What a multiqueue or vhost request asks beyond what the target allows:
 * NULL, or the reason to deny. */
static char *queues_refused(const PolicyTarget *t, const PolicyCaller *caller,
			    const PolicyRequest *request)
{
	const char *what = t->network ? "network" : "bridge";

	if (request->queues > t->queues.max_queues)
		return g_strdup_printf("uid %u asked for %u queues on %s '%s', which allows %u "
				       "(max-queues)", (unsigned)caller->uid, request->queues,
				       what, t->name, t->queues.max_queues);
	if (request->vhost && !t->queues.vhost)
		return g_strdup_printf("uid %u asked for vhost-net descriptors on %s '%s', which "
				       "does not allow them (allow-vhost)", (unsigned)caller->uid,
				       what, t->name);
	return NULL;
}

/**
 * policy_decide() - may this caller have a port on the requested bridge or
 * network, and what exactly is to be done?
 * @policy:	the loaded policy, or NULL (denies everything)
 * @caller:	real uid, gid and supplementary groups of the caller
 * @request:	what was asked for
 *
 * Pure: no I/O, no globals, the same answer for the same input. Deny rules
 * win over allow rules whatever their order (as in qemu-bridge-helper), and
 * anything not allowed is denied. The decision is made here and only here;
 * an allowed decision also says what the port must look like.
 *
 * Return: the decision; clear it with policy_decision_clear()
 */
PolicyDecision policy_decide(const Policy *policy, const PolicyCaller *caller,
			     const PolicyRequest *request)
{
	const PolicyNetwork *net = policy_find_network(policy, request->name);
	const char *what = net ? "network" : "bridge";
	PolicyDecision d = { .allowed = FALSE, .reason = NULL };
	const PolicyRule *allow = NULL;
	gboolean vlan_refused = FALSE;
	char *refused;
	guint i;

	if (net && request->vlan) {
		d.reason = g_strdup_printf("network '%s' sets its own VLANs; '--vlan' cannot "
					   "be used with it", request->name);
		return d;
	}
	for (i = 0; policy && i < policy->rules->len; i++) {
		const PolicyRule *rule = g_ptr_array_index(policy->rules, i);

		if (!rule_applies(rule, request->name, net) || !rule_matches_caller(rule, caller))
			continue;
		if (rule->effect == POLICY_DENY) {
			d.reason = g_strdup_printf("denied by the rule at %s", rule->origin);
			return d;
		}
		if (request->vlan && !(rule->vlans && vlan_set_has(rule->vlans, request->vlan))) {
			vlan_refused = TRUE;
			continue;
		}
		if (!allow)
			allow = rule;
	}
	if (!allow) {
		if (vlan_refused)
			d.reason = g_strdup_printf("no rule allows uid %u on bridge '%s' with "
						   "VLAN %u", (unsigned)caller->uid,
						   request->name, request->vlan);
		else
			d.reason = g_strdup_printf("no rule allows uid %u on %s '%s'",
						   (unsigned)caller->uid, what, request->name);
		return d;
	}
	target_fill(&d.target, policy, request, net);
	refused = queues_refused(&d.target, caller, request);
	if (refused) {
		policy_decision_clear(&d);
		d.reason = refused;
		return d;
	}
	d.allowed = TRUE;
	d.reason = g_strdup_printf("allowed by the rule at %s", allow->origin);
	return d;
}

/**
 * port_vlan_describe() - a port's VLANs in words, for logs and 'tapgate explain'
 * @vlan:	the configuration
 *
 * Return: newly allocated "none", "access 100", "trunk 100;200-210 native 100"...
 */
char *port_vlan_describe(const PortVlan *vlan)
{
	g_autofree char *set = NULL;

	switch (vlan->mode) {
	case PORT_ACCESS:
		return g_strdup_printf("access %u", vlan->vid);
	case PORT_TRUNK:
		set = vlan_set_format(&vlan->trunk);
		if (vlan->vid)
			return g_strdup_printf("trunk %s native %u", set, vlan->vid);
		return g_strdup_printf("trunk %s", set);
	default:
		return g_strdup("none");
	}
}

/**
 * vxlan_config_describe() - a network's VXLAN in words, for 'tapgate check'
 * @vx:		the configuration
 *
 * Return: newly allocated "none", "VNI 10100 from 192.0.2.1 to 192.0.2.2,
 * 192.0.2.3", "VNI 10100 from 192.0.2.1, EVPN" (", port N" if not 4789)
 */
char *vxlan_config_describe(const VxlanConfig *vx)
{
	GString *s;
	char a[TG_ADDR_STRLEN];

	if (!vx->vni)
		return g_strdup("none");
	s = g_string_new(NULL);
	g_string_printf(s, "VNI %u from %s", vx->vni, tg_addr_format(&vx->local, a));
	for (unsigned int i = 0; i < vx->n_peers; i++)
		g_string_append_printf(s, "%s%s", i ? ", " : " to ", tg_addr_format(&vx->peers[i], a));
	if (vx->evpn)
		g_string_append(s, ", EVPN");
	else if (!vx->n_peers)
		g_string_append(s, ", no peers");
	if (vx->port != VXLAN_DEFAULT_PORT)
		g_string_append_printf(s, ", port %u", vx->port);
	return g_string_free(s, FALSE);
}

/** policy_decision_clear() - free what a decision holds */
void policy_decision_clear(PolicyDecision *decision)
{
	PolicyTarget *t = &decision->target;

	g_clear_pointer(&decision->reason, g_free);
	g_clear_pointer(&t->name, g_free);
	g_clear_pointer(&t->bridge, g_free);
	g_clear_pointer(&t->uplink, g_free);
	g_clear_pointer(&t->quota_key, g_free);
	memset(t, 0, sizeof(*t));
	decision->allowed = FALSE;
}
