/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policy model and the one function that decides. */
#include "policy.h"

static void rule_free(gpointer p)
{
	PolicyRule *rule = p;

	g_free(rule->bridge);
	g_array_unref(rule->uids);
	g_array_unref(rule->gids);
	g_free(rule->origin);
	g_free(rule);
}

/** policy_new() - an empty policy, which denies everything */
Policy *policy_new(void)
{
	Policy *policy = g_new0(Policy, 1);

	policy->rules = g_ptr_array_new_with_free_func(rule_free);
	policy->warnings = g_ptr_array_new_with_free_func(g_free);
	policy->sources = g_ptr_array_new_with_free_func(g_free);
	return policy;
}

/** policy_free() - free a policy and all its rules; NULL is fine */
void policy_free(Policy *policy)
{
	if (!policy)
		return;
	g_ptr_array_unref(policy->rules);
	g_ptr_array_unref(policy->warnings);
	g_ptr_array_unref(policy->sources);
	g_free(policy);
}

/**
 * policy_add_rule() - append a rule that matches nobody yet
 * @policy:	policy to extend
 * @effect:	allow or deny
 * @bridge:	bridge name, NULL for every bridge
 * @origin:	"FILE:LINE" of the statement
 *
 * Return: the rule, owned by @policy; set everyone/uids/gids on it
 */
PolicyRule *policy_add_rule(Policy *policy, PolicyEffect effect, const char *bridge,
			    const char *origin)
{
	PolicyRule *rule = g_new0(PolicyRule, 1);

	rule->effect = effect;
	rule->bridge = g_strdup(bridge);
	rule->uids = g_array_new(FALSE, FALSE, sizeof(uid_t));
	rule->gids = g_array_new(FALSE, FALSE, sizeof(gid_t));
	rule->origin = g_strdup(origin);
	g_ptr_array_add(policy->rules, rule);
	return rule;
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

/**
 * policy_decide() - may this caller have a port on the requested bridge?
 * @policy:	the loaded policy
 * @caller:	real uid, gid and supplementary groups of the caller
 * @request:	what was asked for
 *
 * Pure: no I/O, no globals, the same answer for the same input. Deny rules
 * win over allow rules whatever their order (as in qemu-bridge-helper), and
 * anything not allowed is denied. The decision is made here and only here.
 *
 * Return: the decision; clear it with policy_decision_clear()
 */
PolicyDecision policy_decide(const Policy *policy, const PolicyCaller *caller,
			     const PolicyRequest *request)
{
	PolicyDecision d = { .allowed = FALSE, .reason = NULL };
	const PolicyRule *allow = NULL;
	guint i;

	for (i = 0; policy && i < policy->rules->len; i++) {
		const PolicyRule *rule = g_ptr_array_index(policy->rules, i);

		if (rule->bridge && g_strcmp0(rule->bridge, request->bridge))
			continue;
		if (!rule_matches_caller(rule, caller))
			continue;
		if (rule->effect == POLICY_DENY) {
			d.reason = g_strdup_printf("denied by the rule at %s", rule->origin);
			return d;
		}
		if (!allow)
			allow = rule;
	}
	if (allow) {
		d.allowed = TRUE;
		d.reason = g_strdup_printf("allowed by the rule at %s", allow->origin);
	} else {
		d.reason = g_strdup_printf("no rule allows uid %u on bridge '%s'",
					   (unsigned)caller->uid, request->bridge);
	}
	return d;
}

/** policy_decision_clear() - free what a decision holds */
void policy_decision_clear(PolicyDecision *decision)
{
	g_clear_pointer(&decision->reason, g_free);
	decision->allowed = FALSE;
}
