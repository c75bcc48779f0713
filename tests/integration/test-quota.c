/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Quotas: exact under concurrent helper calls, healed when holders die, and
 * a state file that was tampered with is either healed or refused clearly.
 */
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tabletest.h"
#include "sandbox.h"
#include "tg-util.h"

#define STATE "/run/tapgate/bridge:br0.ports"

static const char *helper;
static char *setuid_helper;
static const gid_t user_groups[] = { SANDBOX_USER_GID, SANDBOX_LAB_GID };
static const HelperRunOpts as_user = {
	.uid = SANDBOX_USER_UID, .gid = SANDBOX_USER_GID,
	.groups = user_groups, .n_groups = G_N_ELEMENTS(user_groups),
};
static const HelperRunOpts as_other = {
	.uid = SANDBOX_OTHER_UID, .gid = SANDBOX_OTHER_UID,
	.groups = (const gid_t[]){ SANDBOX_OTHER_UID }, .n_groups = 1,
};

static void setup_world(const char *policy)
{
	sandbox_new_netns();
	sandbox_sh("ip link add br0 type bridge && ip link set br0 up && rm -rf /run/tapgate");
	sandbox_reset_policy();
	sandbox_write("/etc/tapgate/tapgate.conf", policy, 0644, 0);
}

static guint state_lines(void)
{
	g_autofree char *text = NULL;
	guint n = 0;

	if (!g_file_get_contents(STATE, &text, NULL, NULL))
		return 0;
	for (char *p = text; *p; p++)
		n += *p == '\n';
	return n;
}

typedef struct {
	const HelperRunOpts *opts;
	const char *const *args;	/* NULL: QEMU's */
	HelperRun run;
} Call;

static const char *const queues4[] = { "--use-vnet", "--queues=4", "--br=br0", "--fd=@FD@", NULL };

static gpointer call_thread(gpointer data)
{
	static const char *args[] = { "--use-vnet", "--br=br0", "--fd=@FD@", NULL };
	Call *c = data;

	helper_run(setuid_helper, c->args ? c->args : args, c->opts, &c->run);
	return NULL;
}

/* @n helper calls at once; returns how many got a tap. */
static guint call_many(Call *calls, guint n, const char *quota_message)
{
	g_autoptr(GPtrArray) threads = g_ptr_array_new();
	g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);
	guint ok = 0;

	for (guint i = 0; i < n; i++)
		g_ptr_array_add(threads, g_thread_new("helper", call_thread, &calls[i]));
	for (guint i = 0; i < n; i++)
		g_thread_join(g_ptr_array_index(threads, i));
	for (guint i = 0; i < n; i++) {
		HelperRun *r = &calls[i].run;

		if (r->status == 0) {
			g_assert_cmpint(r->tapfd, >=, 0);
			g_assert_false(g_hash_table_contains(names, r->tapname));
			g_hash_table_add(names, r->tapname);
			ok++;
		} else {
			if (g_strcmp0(r->err, quota_message))
				g_error("call %u: status %d, stderr '%s', log: %s", i, r->status, r->err, sandbox_log_drain());
			g_assert_cmpint(r->tapfd, ==, -1);
		}
	}
	return ok;
}

static void calls_clear(Call *calls, guint n)
{
	for (guint i = 0; i < n; i++)
		helper_run_clear(&calls[i].run);
}

/* 50 calls at once against a per-user quota of 10: exactly 10 taps. */
static void test_concurrent_per_user(void)
{
	Call calls[50] = { 0 };
	g_autoptr(GPtrArray) taps = NULL;

	setup_world("[bridge br0]\nallow-users = *\nmax-ports-per-user = 10\n");
	for (guint i = 0; i < G_N_ELEMENTS(calls); i++)
		calls[i].opts = &as_user;
	g_assert_cmpuint(call_many(calls, G_N_ELEMENTS(calls),
				   "tapgate-helper: quota reached: uid 4242 already has 10 ports on "
				   "bridge 'br0' (max-ports-per-user = 10)"), ==, 10);
	g_assert_cmpuint(state_lines(), ==, 10);
	taps = sandbox_links_of_kind("tun");
	g_assert_cmpuint(taps->len, ==, 10);
	calls_clear(calls, G_N_ELEMENTS(calls));
}

/* Two users, a total quota: the total holds whoever asks. */
static void test_concurrent_total(void)
{
	Call calls[40] = { 0 };

	setup_world("[bridge br0]\nallow-users = *\nmax-ports = 7\n");
	for (guint i = 0; i < G_N_ELEMENTS(calls); i++)
		calls[i].opts = i % 2 ? &as_user : &as_other;
	g_assert_cmpuint(call_many(calls, G_N_ELEMENTS(calls),
				   "tapgate-helper: quota reached: bridge 'br0' already has 7 ports "
				   "(max-ports = 7)"), ==, 7);
	g_assert_cmpuint(state_lines(), ==, 7);
	calls_clear(calls, G_N_ELEMENTS(calls));
}

static void test_per_group(void)
{
	Call calls[6] = { 0 };

	setup_world("[bridge br0]\nallow-users = *\nmax-ports-per-group = 2\n");
	for (guint i = 0; i < 3; i++)
		calls[i].opts = &as_user;
	g_assert_cmpuint(call_many(calls, 3,
				   "tapgate-helper: quota reached: group 4242 already has 2 ports on "
				   "bridge 'br0' (max-ports-per-group = 2)"), ==, 2);
	/* Another group has its own count. */
	for (guint i = 3; i < 6; i++)
		calls[i].opts = &as_other;
	g_assert_cmpuint(call_many(calls + 3, 3,
				   "tapgate-helper: quota reached: group 4244 already has 2 ports on "
				   "bridge 'br0' (max-ports-per-group = 2)"), ==, 2);
	calls_clear(calls, G_N_ELEMENTS(calls));
}

/* A multiqueue tap is one port, however many queues: 20 calls for 4 queues
 * each against a quota of 3 give 3 taps of 4 queues; the port is taken while
 * any queue is held. */
static void test_multiqueue_one_port(void)
{
	Call calls[20] = { 0 };
	g_autoptr(GPtrArray) taps = NULL;
	g_auto(HelperRun) more = { .tapfd = -1 }, last = { .tapfd = -1 };
	HelperRun *held = NULL;
	const char *plain[] = { "--br=br0", "--fd=@FD@", NULL };

	setup_world("[bridge br0]\nallow-users = *\nmax-ports-per-user = 3\n");
	for (guint i = 0; i < G_N_ELEMENTS(calls); i++) {
		calls[i].opts = &as_user;
		calls[i].args = queues4;
	}
	g_assert_cmpuint(call_many(calls, G_N_ELEMENTS(calls),
				   "tapgate-helper: quota reached: uid 4242 already has 3 ports on "
				   "bridge 'br0' (max-ports-per-user = 3)"), ==, 3);
	g_assert_cmpuint(state_lines(), ==, 3);
	taps = sandbox_links_of_kind("tun");
	g_assert_cmpuint(taps->len, ==, 3);
	for (guint i = 0; i < G_N_ELEMENTS(calls); i++)
		if (calls[i].run.status == 0) {
			g_assert_cmpint(calls[i].run.n_fds, ==, 4);
			held = &calls[i].run;
		}
	/* three of its four queues closed: still a port */
	for (int i = 0; i < 3; i++)
		tg_closep(&held->fds[i]);
	held->tapfd = -1;
	helper_run(setuid_helper, plain, &as_user, &more);
	g_assert_cmpint(more.status, ==, 1);
	tg_closep(&held->fds[3]);
	helper_run(setuid_helper, plain, &as_user, &last);
	g_assert_cmpstr(last.err, ==, "");
	g_assert_cmpint(last.status, ==, 0);
	g_assert_cmpuint(state_lines(), ==, 3);
	calls_clear(calls, G_N_ELEMENTS(calls));
}

/* A holder that dies (QEMU killed) frees its share on the next call. */
static void test_crashed_holder_culled(void)
{
	const char *args[] = { "--br=br0", "--fd=@FD@", NULL };
	g_auto(HelperRun) second = { .tapfd = -1 }, third = { .tapfd = -1 };
	int status;
	pid_t pid;

	setup_world("[bridge br0]\nallow-users = *\nmax-ports-per-user = 1\n");
	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		HelperRun r;

		helper_run(setuid_helper, args, &as_user, &r);
		if (r.status != 0)
			_exit(1);
		pause();	/* hold the tap, like QEMU */
		_exit(0);
	}
	while (state_lines() < 1)
		g_usleep(10000);
	helper_run(setuid_helper, args, &as_user, &second);
	g_assert_cmpint(second.status, ==, 1);	/* the quota is taken */
	kill(pid, SIGKILL);
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	helper_run(setuid_helper, args, &as_user, &third);
	g_assert_cmpstr(third.err, ==, "");
	g_assert_cmpint(third.status, ==, 0);
	g_assert_cmpuint(state_lines(), ==, 1);
}

typedef struct {
	const char *name;
	const char *setup;
	const char *expect_err;	/* NULL: the call succeeds */
	guint lines_after;
} StateCase;

static const StateCase state_cases[] = {
	{ "corrupt-lines-dropped",
	  "mkdir -p /run/tapgate && printf 'garbage\\ntap=x ifindex=-3\\n\\x01\\x02\\n' > " STATE,
	  NULL, 1 },
	{ "truncated-line-dropped",
	  "mkdir -p /run/tapgate && printf 'tap=tg4242-1 ifindex=99 uid=42' > " STATE, NULL, 1 },
	{ "stale-entry-culled",
	  "mkdir -p /run/tapgate && echo 'tap=tg4242-dead ifindex=4242 uid=4242 gid=4242 "
	  "target=bridge:br0' > " STATE, NULL, 1 },
	{ "wrong-owner",
	  "mkdir -p /run/tapgate && touch " STATE " && chown 4242 " STATE,
	  "tapgate-helper: quota state: state file '/run/tapgate/bridge:br0.ports' is not root's or is "
	  "writable by others; remove it", 0 },
	{ "world-writable-dir",
	  "mkdir -p /run/tapgate && chmod 777 /run/tapgate",
	  "tapgate-helper: quota state: '/run/tapgate' is not root's or is writable by others", 0 },
	{ "dir-is-symlink",
	  "mkdir -p /tmp/elsewhere && ln -s /tmp/elsewhere /run/tapgate",
	  "tapgate-helper: quota state: '/run/tapgate' is a symbolic link or not a directory", 0 },
};

static void test_state(gconstpointer data)
{
	const StateCase *c = data;
	const char *args[] = { "--br=br0", "--fd=@FD@", NULL };
	g_auto(HelperRun) r = { .tapfd = -1 };
	g_autoptr(GPtrArray) taps = NULL;

	setup_world("[bridge br0]\nallow-users = *\nmax-ports-per-user = 1\n");
	sandbox_sh("%s", c->setup);
	helper_run(setuid_helper, args, &as_user, &r);
	if (c->expect_err) {
		g_assert_cmpstr(r.err, ==, c->expect_err);
		g_assert_cmpint(r.status, ==, 1);
		taps = sandbox_links_of_kind("tun");
		g_assert_cmpuint(taps->len, ==, 0);
	} else {
		g_assert_cmpstr(r.err, ==, "");
		g_assert_cmpint(r.status, ==, 0);
		g_assert_cmpuint(state_lines(), ==, c->lines_after);
	}
	sandbox_sh("rm -rf /run/tapgate /tmp/elsewhere");
}

static mode_t file_mode(const char *path)
{
	struct stat st;

	g_assert_cmpint(stat(path, &st), ==, 0);
	return st.st_mode & 07777;
}

/* The state is root's alone: a lock anyone may open, anyone may flock() and
 * hold up every call on the target for the 10 s each waits. Files an older
 * version made 0644 are closed on the next call. */
static void test_state_files_root_only(void)
{
	static const char *const setups[] = {
		"true",
		"mkdir -p /run/tapgate && install -m 0644 /dev/null /run/tapgate/bridge:br0.lock && "
		"install -m 0644 /dev/null " STATE,
	};
	const char *args[] = { "--br=br0", "--fd=@FD@", NULL };

	for (size_t i = 0; i < G_N_ELEMENTS(setups); i++) {
		g_auto(HelperRun) r = { .tapfd = -1 };

		setup_world("[bridge br0]\nallow-users = *\nmax-ports-per-user = 1\n");
		sandbox_sh("%s", setups[i]);
		helper_run(setuid_helper, args, &as_user, &r);
		g_assert_cmpint(r.status, ==, 0);
		g_assert_cmpint(file_mode("/run/tapgate/bridge:br0.lock"), ==, 0600);
		g_assert_cmpint(file_mode(STATE), ==, 0600);
	}
	sandbox_sh("rm -rf /run/tapgate");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	helper = sandbox_env("TAPGATE_HELPER");
	sandbox_enter();
	setuid_helper = sandbox_setuid_copy(helper);
	g_test_add_func("/quota/concurrent-per-user", test_concurrent_per_user);
	g_test_add_func("/quota/concurrent-total", test_concurrent_total);
	g_test_add_func("/quota/per-group", test_per_group);
	g_test_add_func("/quota/multiqueue-one-port", test_multiqueue_one_port);
	g_test_add_func("/quota/crashed-holder-culled", test_crashed_holder_culled);
	TABLETEST_ADD("/quota/state", state_cases, test_state);
	g_test_add_func("/quota/state-files-root-only", test_state_files_root_only);
	return g_test_run();
}
