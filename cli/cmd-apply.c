/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 'tapgate apply': make what the policy declares (bridges, VLAN filtering,
 * sub-interfaces, VXLAN ports, persistent taps), so that the setuid helper
 * only attaches.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply.h"
#include "config.h"
#include "netlink.h"
#include "policy.h"
#include "tapgate.h"
#include "tg-util.h"

/* How long a run waits for another one (boot and a policy change at once). */
#define APPLY_LOCK_WAIT_S 30

static void on_alarm(int sig)
{
}

/* One run at a time: two plans made side by side would both make the same
 * bridge, and the slower one fail half-way. Root's lock under the state
 * directory; held until exit. Return: the fd, or -1 with a message printed. */
static int lock_apply(void)
{
	g_autofree char *path = g_build_filename(TG_STATE_DIR, "apply.lock", NULL);
	struct sigaction old;
	int fd, r;

	if (mkdir(TG_STATE_DIR, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "tapgate apply: cannot create '%s': %s\n", TG_STATE_DIR,
			g_strerror(errno));
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "tapgate apply: cannot open '%s': %s\n", path, g_strerror(errno));
		return -1;
	}
	sigaction(SIGALRM, &(struct sigaction){ .sa_handler = on_alarm }, &old);
	alarm(APPLY_LOCK_WAIT_S);
	r = flock(fd, LOCK_EX);
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	if (r < 0) {
		if (errno == EINTR)
			fprintf(stderr, "tapgate apply: another 'tapgate apply' still runs after %d s; "
				"try again\n", APPLY_LOCK_WAIT_S);
		else
			fprintf(stderr, "tapgate apply: cannot lock '%s': %s\n", path,
				g_strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

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
	tg_autoclose int lock = -1;
	int r;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || argc > 1)
		return usage_error(err ? err->message : "unexpected argument", "apply");
	if (!opt_dry_run && geteuid() != 0) {
		fprintf(stderr, "tapgate apply: making bridges and tunnels needs root (or --dry-run)\n");
		return 1;
	}
	/* planned under the lock too: a plan is only good until the next run */
	if (!opt_dry_run && (lock = lock_apply()) < 0)
		return 1;
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
		fprintf(stderr, "tapgate apply: %u of %u networks%s left out\n", plan->left_out,
			plan->units, plan->taps ? ", managed bridges and taps" : " and managed bridges");
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
