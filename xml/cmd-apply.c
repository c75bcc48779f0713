/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 'tapgate apply': make what the policy declares (bridges, VLAN filtering,
 * sub-interfaces, VXLAN ports), so that the setuid helper only attaches.
 */
#include <stdio.h>

#include "apply.h"
#include "config.h"
#include "netlink.h"
#include "policy.h"
#include "tapgate.h"

/** cmd_apply() - 'tapgate apply [--dry-run]': exit 0, or 1 if anything was left out or failed */
int cmd_apply(int argc, char **argv)
{
	static gboolean opt_dry_run;
	const GOptionEntry entries[] = {
		{ "dry-run", 'n', 0, G_OPTION_ARG_NONE, &opt_dry_run,
		  "Print what would change, change nothing", NULL },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- make what the policy declares");
	g_autoptr(ApplyPlan) plan = NULL, after = NULL;
	g_autoptr(Policy) p = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(NlSock) sk = NULL;
	int r;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || argc > 1)
		return usage_error(err ? err->message : "unexpected argument", "apply");
	if (policy_load(&p, &policy_env_system, TG_POLICY_PATH, TG_QEMU_ACL_PATH, &err) < 0) {
		fprintf(stderr, "tapgate apply: %s\n", err->message);
		return 1;
	}
	r = tg_nl_open(&sk);
	if (r < 0) {
		fprintf(stderr, "tapgate apply: cannot open a netlink socket: %s\n", g_strerror(-r));
		return 1;
	}
	if (apply_plan(sk, p, &plan, &err) < 0) {
		fprintf(stderr, "tapgate apply: %s\n", err->message);
		return 1;
	}
	for (guint i = 0; i < plan->problems->len; i++)
		fprintf(stderr, "tapgate apply: %s\n", (char *)g_ptr_array_index(plan->problems, i));
	if (plan->left_out)
		fprintf(stderr, "tapgate apply: %u of %u networks and managed bridges left out\n",
			plan->left_out, plan->units);
	if (!opt_dry_run && apply_run(sk, plan, &err) < 0) {
		fprintf(stderr, "tapgate apply: %s\n", err->message);
		return 1;
	}
	for (guint i = 0; i < plan->steps->len; i++)
		printf("%s\n", g_array_index(plan->steps, ApplyStep, i).command);
	if (!plan->steps->len && !plan->left_out)
		printf("nothing to change\n");
	else if (plan->steps->len)
		printf("%u change%s%s\n", plan->steps->len, plan->steps->len == 1 ? "" : "s",
		       opt_dry_run ? " (dry run: nothing changed)" : "");
	if (opt_dry_run || !plan->steps->len)
		return plan->left_out ? 1 : 0;
	/* What was made must now read back as the policy says. */
	if (apply_plan(sk, p, &after, &err) < 0 || after->steps->len) {
		fprintf(stderr, "tapgate apply: the changes did not read back as planned: %s\n",
			err ? err->message : g_array_index(after->steps, ApplyStep, 0).command);
		return 1;
	}
	return plan->left_out ? 1 : 0;
}
