/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The policy parsers (tapgate's format and QEMU's bridge.conf, includes
 * through an in-memory /etc) and the decision. Input: up to three files
 * separated by "\n--8<--\n": tapgate.conf, bridge.conf, /etc/qemu/inc.conf.
 * An empty first part means "no tapgate.conf".
 */
#include <stdint.h>
#include <string.h>

#include "fake-env.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = { "/etc/tapgate/tapgate.conf", "/etc/qemu/bridge.conf",
					     "/etc/qemu/inc.conf" };
	static const char *const names[] = { "br0", "lan100", "br1", "all" };
	static const gid_t groups[] = { 100, 200 };
	g_autofree char *text = g_strndup((const char *)data, size);
	g_auto(GStrv) parts = g_strsplit(text, "\n--8<--\n", 3);
	g_autoptr(Policy) policy = NULL;
	g_autoptr(GError) err = NULL;

	fake_fs_reset();
	for (guint i = 0; parts[i] && i < G_N_ELEMENTS(paths); i++)
		if (i > 0 || *parts[i])
			fake_fs_add(paths[i], parts[i]);
	if (policy_load(&policy, &fake_env, paths[0], paths[1], &err) < 0) {
		g_assert(err && err->message && *err->message);
		g_assert(!policy);
		return 0;
	}
	for (guint n = 0; n < G_N_ELEMENTS(names); n++) {
		for (unsigned int vlan = 0; vlan <= 100; vlan += 100) {
			for (unsigned int q = 0; q <= 9; q += 9) {
				PolicyCaller caller = { .uid = 1000, .gid = 100, .groups = groups,
							.n_groups = 2 };
				PolicyRequest req = { .name = names[n], .vlan = vlan, .queues = q,
						      .vhost = q > 0 };
				PolicyDecision d = policy_decide(policy, &caller, &req);

				g_assert(d.reason);
				g_assert(!d.allowed || d.target.bridge);
				/* an allowed request is within what its target allows */
				g_assert(!d.allowed || (q <= d.target.queues.max_queues &&
							(!req.vhost || d.target.queues.vhost)));
				policy_decision_clear(&d);
			}
		}
	}
	/* every [tap] is complete: an owner, and a port that resolves */
	for (guint i = 0; i < policy->taps->len; i++) {
		const PolicyTap *t = g_ptr_array_index(policy->taps, i);
		const char *bridge = NULL;
		PortVlan vlan;

		g_assert(t->has_user || t->has_group);
		g_assert(policy_tap_port(policy, t, &bridge, &vlan) == 0 && bridge);
	}
	return 0;
}
