/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hostile callers, faults and load against the setuid helper (and the hook):
 * nothing from the caller's environment has any effect, every failure leaves
 * no tap behind, killed helpers leave nothing half-configured, quotas and
 * taps are exact under 200 concurrent calls, and no fd leaks.
 */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/if_tun.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "link.h"
#include "netlink.h"
#include "sandbox.h"
#include "tabletest.h"
#include "tg-util.h"

#if defined(__SANITIZE_ADDRESS__)
#define TG_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TG_ASAN 1
#endif
#endif
#ifndef TG_ASAN
#define TG_ASAN 0
#endif

#define DENIED "tapgate-helper: access denied by policy (the reason is logged to syslog, authpriv)"

static const char *helper, *hook;
static char *setuid_helper;
static const gid_t user_groups[] = { SANDBOX_USER_GID };
static const HelperRunOpts as_user = {
	.uid = SANDBOX_USER_UID, .gid = SANDBOX_USER_GID,
	.groups = user_groups, .n_groups = G_N_ELEMENTS(user_groups),
};
static const char *const plain_args[] = { "--use-vnet", "--br=br0", "--fd=@FD@", NULL };

static void setup_world(const char *policy)
{
	sandbox_new_netns();
	sandbox_sh("ip link add br0 type bridge && ip link set br0 up && rm -rf /run/tapgate");
	sandbox_reset_policy();
	sandbox_write("/etc/tapgate/tapgate.conf", policy, 0644, 0);
	g_free(sandbox_log_drain());
}

static guint count_taps(void)
{
	g_autoptr(GPtrArray) taps = sandbox_links_of_kind("tun");

	return taps->len;
}

static guint count_fds(void)
{
	g_autoptr(GDir) d = g_dir_open("/proc/self/fd", 0, NULL);
	guint n = 0;

	while (g_dir_read_name(d))
		n++;
	return n;
}

/* Everything a caller could set, none of which may change anything. */
static const char *const hostile_env[] = {
	"PATH=/tmp/evil:/usr/bin:/bin",
	"LD_PRELOAD=/tmp/evil/libevil.so",
	"LD_LIBRARY_PATH=/tmp/evil",
	"TZ=:/tmp/evil/tz",
	"LC_ALL=xx_XX.EVIL",
	"LANG=xx_XX.EVIL",
	"LOCPATH=/tmp/evil",
	"GCONV_PATH=/tmp/evil",
	"TAPGATE_POLICY=/tmp/evil/allow-all.conf",
	"TAPGATE_CONF=/tmp/evil/allow-all.conf",
	"NLCB=debug",
	"NLDBG=7",
	"G_DEBUG=fatal-warnings",
	"G_MESSAGES_DEBUG=all",
	"MALLOC_CHECK_=3",
	"HOME=/tmp/evil",
	NULL,
};

typedef struct {
	const char *name;
	const char *policy;
	int status;
	const char *err;
} EnvCase;

static const EnvCase env_cases[] = {
	{ "denied-stays-denied", "[bridge br9]\nallow-users = *\n", 1, DENIED },
	{ "allowed-says-nothing", "[bridge br0]\nallow-users = *\n", 0, "" },
};

static void test_env(gconstpointer data)
{
	const EnvCase *c = data;
	HelperRunOpts opts = as_user;
	g_auto(HelperRun) r = { .tapfd = -1 };

	setup_world(c->policy);
	sandbox_sh("mkdir -p /tmp/evil && printf '[bridge *]\\nallow-users = *\\n' > "
		   "/tmp/evil/allow-all.conf && chmod -R a+rX /tmp/evil");
	opts.env = hostile_env;
	helper_run(setuid_helper, plain_args, &opts, &r);
	g_assert_cmpstr(r.err, ==, c->err);	/* no debug output, no other text */
	g_assert_cmpint(r.status, ==, c->status);
	g_assert_cmpint(r.tapfd >= 0, ==, c->status == 0);
}

/* The caller hangs up before the fd is sent: no tap may outlive the helper. */
static void test_caller_hangs_up(void)
{
	HelperRunOpts opts = as_user;
	g_auto(HelperRun) r = { .tapfd = -1 };

	setup_world("[bridge br0]\nallow-users = *\n");
	opts.close_peer = TRUE;
	helper_run(setuid_helper, plain_args, &opts, &r);
	g_assert_cmpint(r.status, ==, 1);
	g_assert_true(g_str_has_prefix(r.err, "tapgate-helper: cannot send the tap's descriptor"));
	g_assert_cmpuint(count_taps(), ==, 0);
}

/* --fd names a unix socket that is not connected (a listening one). */
static void test_fd_listening_socket(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX, .sun_path = "/tmp/listen.sock" };
	const char *args[] = { "--br=br0", "--fd=1002", NULL };
	HelperRunOpts opts = as_user;
	g_auto(HelperRun) r = { .tapfd = -1 };
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	setup_world("[bridge br0]\nallow-users = *\n");
	unlink(sun.sun_path);
	g_assert_cmpint(bind(s, (struct sockaddr *)&sun, sizeof(sun)), ==, 0);
	g_assert_cmpint(listen(s, 1), ==, 0);
	g_assert_cmpint(dup2(s, 1002), ==, 1002);	/* inherited by the helper */
	close(s);
	helper_run(setuid_helper, args, &opts, &r);
	close(1002);
	g_assert_cmpint(r.status, ==, 1);
	g_assert_true(g_str_has_prefix(r.err, "tapgate-helper: cannot send the tap's descriptor "
					      "over '--fd=1002'"));
	g_assert_cmpuint(count_taps(), ==, 0);
}

typedef struct {
	const char *name;
	const char *setup;	/* fault to inject (shell) */
	const char *undo;
	const char *policy;
	const char *err;	/* exact stderr */
} FaultCase;

static const FaultCase fault_cases[] = {
	{ "tun-node-missing", "mv /dev/net/tun /dev/net/tun.away", "mv /dev/net/tun.away /dev/net/tun",
	  "[bridge br0]\nallow-users = *\n",
	  "tapgate-helper: cannot open '/dev/net/tun': No such file or directory (load the tun "
	  "module: 'modprobe tun' as root)" },
	/* a node with no driver behind it (the module not loaded): ENODEV */
	{ "tun-driver-missing", "mv /dev/net/tun /dev/net/tun.away && mknod -m 0666 /dev/net/tun c 10 251",
	  "rm /dev/net/tun && mv /dev/net/tun.away /dev/net/tun", "[bridge br0]\nallow-users = *\n",
	  "tapgate-helper: cannot open '/dev/net/tun': No such device (load the tun module: "
	  "'modprobe tun' as root)" },
	{ "run-read-only", "mount -o remount,ro /run", "mount -o remount,rw /run",
	  "[bridge br0]\nallow-users = *\nmax-ports = 5\n",
	  "tapgate-helper: quota state: cannot create '/run/tapgate': Read-only file system" },
	{ "state-dir-read-only", "mkdir -p /run/tapgate && mount -t tmpfs -o ro,mode=755 ro /run/tapgate",
	  "umount /run/tapgate", "[bridge br0]\nallow-users = *\nmax-ports = 5\n",
	  "tapgate-helper: quota state: /run/tapgate/bridge:br0.lock: Read-only file system" },
};

static void test_fault(gconstpointer data)
{
	const FaultCase *c = data;
	g_auto(HelperRun) r = { .tapfd = -1 }, again = { .tapfd = -1 };

	setup_world(c->policy);
	sandbox_sh("%s", c->setup);
	helper_run(setuid_helper, plain_args, &as_user, &r);
	sandbox_sh("%s", c->undo);
	g_assert_cmpstr(r.err, ==, c->err);
	g_assert_cmpint(r.status, ==, 1);
	g_assert_cmpuint(count_taps(), ==, 0);
	/* Fault gone, the next call works. */
	helper_run(setuid_helper, plain_args, &as_user, &again);
	g_assert_cmpint(again.status, ==, 0);
}

/* SIGKILL at every moment of a helper's life, with a quota in force: never a
 * tap left behind, never a miscount; the next call works. */
static void test_sigkill_anywhere(void)
{
	g_auto(HelperRun) last = { .tapfd = -1 };
	g_autofree char *state = NULL;

	setup_world("[bridge br0]\nallow-users = *\nmax-ports-per-user = 1\n");
	for (guint us = 0; us < 12000; us += 400) {
		HelperRunOpts opts = as_user;
		g_auto(HelperRun) r = { .tapfd = -1 };

		opts.kill_after_us = us + 1;
		helper_run(setuid_helper, plain_args, &opts, &r);
		helper_run_clear(&r);	/* a tap it did hand over dies with QEMU too */
		if (count_taps() != 0)
			g_error("a tap outlived a helper killed after %u us", us);
	}
	helper_run(setuid_helper, plain_args, &as_user, &last);
	g_assert_cmpstr(last.err, ==, "");
	g_assert_cmpint(last.status, ==, 0);
	g_assert_true(g_file_get_contents("/run/tapgate/bridge:br0.ports", &state, NULL, NULL));
	g_assert_nonnull(strstr(state, last.tapname));
	g_assert_null(strchr(strchr(state, '\n') + 1, '\n'));	/* exactly one entry */
}

#if !TG_ASAN
typedef struct {
	const char *name;
	HelperRlimit limit;
	const char *refusal;	/* stderr where CAP_SYS_RESOURCE cannot raise it */
} RlimitCase;

/* Limits that crashed the helper half-way (F5): a tiny stack, a tiny heap,
 * no file size at all while root's quota state is written. */
static const RlimitCase rlimit_cases[] = {
	{ "stack-16k", { RLIMIT_STACK, 16 << 10 },
	  "tapgate-helper: the caller's RLIMIT_STACK (16384) is below what tapgate-helper needs "
	  "(1048576)" },
	{ "data-1m", { RLIMIT_DATA, 1 << 20 },
	  "tapgate-helper: the caller's RLIMIT_DATA (1048576) is below what tapgate-helper needs "
	  "(67108864)" },
	/* The refusal is not seen: stderr is a file here (a memfd), and the
	 * caller's own limit keeps the helper from writing to it. */
	{ "fsize-0", { RLIMIT_FSIZE, 0 }, "" },
	{ "fsize-10", { RLIMIT_FSIZE, 10 }, "tapgate-he" },	/* its first 10 bytes */
};

/* Whether this (root) process may raise hard limits: containers often drop
 * CAP_SYS_RESOURCE from the bounding set, and then a setuid helper cannot. */
static gboolean have_sys_resource(void)
{
	g_autofree char *status = NULL;
	const char *bnd;

	g_assert_true(g_file_get_contents("/proc/self/status", &status, NULL, NULL));
	bnd = strstr(status, "CapBnd:");
	g_assert_nonnull(bnd);
	return (g_ascii_strtoull(bnd + strlen("CapBnd:"), NULL, 16) >> 24) & 1;
}

/* Either the limit is raised and the call works, or it is refused before
 * anything is done; never a crash, never a state file cut short. */
static void test_rlimit(gconstpointer data)
{
	const RlimitCase *c = data;
	HelperRunOpts opts = as_user;
	g_auto(HelperRun) first = { .tapfd = -1 }, r = { .tapfd = -1 };
	g_autofree char *state = NULL;
	gboolean raised = have_sys_resource();

	setup_world("[bridge br0]\nallow-users = *\nmax-ports-per-user = 5\n");
	helper_run(setuid_helper, plain_args, &as_user, &first);
	g_assert_cmpint(first.status, ==, 0);
	opts.rlimit = &c->limit;
	helper_run(setuid_helper, plain_args, &opts, &r);
	g_assert_cmpstr(r.err, ==, raised ? "" : c->refusal);
	g_assert_cmpint(r.status, ==, raised ? 0 : 1);
	g_assert_cmpint(r.tapfd >= 0, ==, raised);
	g_assert_cmpuint(count_taps(), ==, raised ? 2 : 1);
	g_assert_true(g_file_get_contents("/run/tapgate/bridge:br0.ports", &state, NULL, NULL));
	g_assert_nonnull(strstr(state, first.tapname));
	if (raised)
		g_assert_nonnull(strstr(state, r.tapname));
}
#endif

/* What a caller leaves in /run/tapgate is root's, whoever called (not the
 * caller's group: setuid changes only the euid). */
static void test_state_root_owned(void)
{
	static const char *const paths[] = { "/run/tapgate", "/run/tapgate/bridge:br0.lock",
					     "/run/tapgate/bridge:br0.ports" };
	g_auto(HelperRun) r = { .tapfd = -1 };

	setup_world("[bridge br0]\nallow-users = *\nmax-ports-per-user = 5\n");
	helper_run(setuid_helper, plain_args, &as_user, &r);
	g_assert_cmpint(r.status, ==, 0);
	for (size_t i = 0; i < G_N_ELEMENTS(paths); i++) {
		struct stat st;

		g_assert_cmpint(stat(paths[i], &st), ==, 0);
		if (st.st_uid != 0 || st.st_gid != 0)
			g_error("%s is %u:%u, not root:root", paths[i], st.st_uid, st.st_gid);
	}
}

/* Run @fn(@data) in a child as @uid (no groups): its result, an errno. */
static int as_uid(uid_t uid, int (*fn)(const void *data), const void *data)
{
	pid_t pid = fork();
	int status;

	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
		    setresuid(uid, uid, uid) < 0)
			_exit(200);
		_exit(fn(data));
	}
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* Attach to the existing tap named @data: 0 or the errno. */
static int attach_tap(const void *data)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd = open("/dev/net/tun", O_RDWR);

	g_strlcpy(ifr.ifr_name, data, IFNAMSIZ);
	return fd < 0 ? 201 : ioctl(fd, TUNSETIFF, &ifr) < 0 ? errno : 0;
}

/* The fd's holder makes the tap persistent (no capability needed) and
 * closes it: only the caller may attach to it again, never another user
 * (F2). The node is 0666, as udev makes it. */
static void test_persisted_tap_owned(void)
{
	g_auto(HelperRun) r = { .tapfd = -1 };
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	tg_autoclose int root_fd = -1;

	setup_world("[bridge br0]\nallow-users = *\n");
	sandbox_sh("chmod 0666 /dev/net/tun");
	helper_run(setuid_helper, plain_args, &as_user, &r);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_cmpint(ioctl(r.tapfd, TUNSETPERSIST, 1), ==, 0);
	tg_closep(&r.tapfd);
	g_assert_cmpint(as_uid(SANDBOX_OTHER_UID, attach_tap, r.tapname), ==, EPERM);
	g_assert_cmpint(as_uid(SANDBOX_USER_UID, attach_tap, r.tapname), ==, 0);
	/* Clean up as root: attach, drop persistence; the tap dies with the fd. */
	root_fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	g_strlcpy(ifr.ifr_name, r.tapname, IFNAMSIZ);
	g_assert_cmpint(ioctl(root_fd, TUNSETIFF, &ifr), ==, 0);
	g_assert_cmpint(ioctl(root_fd, TUNSETPERSIST, 0), ==, 0);
	sandbox_sh("chmod 0600 /dev/net/tun");
}

/* Another call holds the quota lock and never lets go (its caller stopped
 * it): this call gives up in bounded time, with a clear line (F1). */
static void test_lock_held(void)
{
	HelperRunOpts opts = as_user;
	g_auto(HelperRun) r = { .tapfd = -1 };
	tg_autoclose int lock = -1;

	setup_world("[bridge br0]\nallow-users = *\nmax-ports-per-user = 5\n");
	sandbox_sh("mkdir -p /run/tapgate && touch /run/tapgate/bridge:br0.lock");
	lock = open("/run/tapgate/bridge:br0.lock", O_RDWR | O_CLOEXEC);
	g_assert_cmpint(flock(lock, LOCK_EX), ==, 0);
	opts.kill_after_us = 15 * G_USEC_PER_SEC;	/* the old helper waited forever */
	helper_run(setuid_helper, plain_args, &opts, &r);
	g_assert_cmpstr(r.err, ==, "tapgate-helper: quota state: /run/tapgate/bridge:br0.lock: still held by "
				   "another call after 10 s; try again");
	g_assert_cmpint(r.status, ==, 1);
	g_assert_cmpuint(count_taps(), ==, 0);
}

/* Each quota target has its own lock: while br0's is held (a slow call
 * there), a call on br1 does not wait for it (F1: one lock for every
 * target). The lock is whatever file a call on br0 leaves. */
static void test_lock_per_target(void)
{
	static const char *const br1_args[] = { "--br=br1", "--fd=@FD@", NULL };
	g_auto(HelperRun) first = { .tapfd = -1 }, r = { .tapfd = -1 };
	g_autoptr(GDir) d = NULL;
	tg_autoclose int lock = -1;
	guint n_locks = 0;
	const char *f;

	setup_world("[bridge br0]\nallow-users = *\nmax-ports = 5\n"
		    "[bridge br1]\nallow-users = *\nmax-ports = 5\n");
	sandbox_sh("ip link add br1 type bridge && ip link set br1 up");
	helper_run(setuid_helper, plain_args, &as_user, &first);
	g_assert_cmpint(first.status, ==, 0);
	d = g_dir_open("/run/tapgate", 0, NULL);
	g_assert_nonnull(d);
	while ((f = g_dir_read_name(d))) {
		g_autofree char *path = g_build_filename("/run/tapgate", f, NULL);

		if (!strstr(f, "lock"))
			continue;
		lock = open(path, O_RDWR | O_CLOEXEC);
		g_assert_cmpint(flock(lock, LOCK_EX), ==, 0);
		n_locks++;
	}
	g_assert_cmpuint(n_locks, ==, 1);
	/* the old helper waited 10 s, then refused: "still held by another call" */
	helper_run(setuid_helper, br1_args, &as_user, &r);
	g_assert_cmpstr(r.err, ==, "");
	g_assert_cmpint(r.status, ==, 0);
}

/* The pid of a process blocked in flock() ("1: -> FLOCK ADVISORY WRITE PID
 * ..." in /proc/locks), or 0. */
static pid_t lock_waiter(void)
{
	g_autofree char *locks = NULL;
	const char *w;
	int pid = 0;

	g_assert_true(g_file_get_contents("/proc/locks", &locks, NULL, NULL));
	w = strstr(locks, "-> FLOCK");
	if (w && sscanf(w, "-> FLOCK %*s %*s %d", &pid) != 1)
		pid = 0;
	return pid;
}

typedef struct {
	pid_t pid;
	int sig;
} Signal;

/* kill() as described by @data: 0 or the errno. */
static int send_signal(const void *data)
{
	const Signal *s = data;

	return kill(s->pid, s->sig) < 0 ? errno : 0;
}

/* A caller whose stderr is a full pipe gets refused (its quota is reached):
 * the refusal blocks, but as the caller, who may kill it, and without the
 * target's lock, so the next call is answered at once. Before, the helper
 * blocked as root with the lock held: unkillable, every call waited 10 s. */
static void test_stderr_blocks(void)
{
	static const char *const args[] = { "--br=br0", "--fd=@FD@", NULL };
	g_auto(HelperRun) first = { .tapfd = -1 }, next = { .tapfd = -1 };
	char junk[4096] = { 0 };
	int errpipe[2], sv[2], status;
	gint64 t0;
	pid_t pid;

	setup_world("[bridge br0]\nallow-users = *\nmax-ports-per-user = 1\n");
	helper_run(setuid_helper, plain_args, &as_user, &first);
	g_assert_cmpint(first.status, ==, 0);
	g_assert_cmpint(pipe2(errpipe, O_NONBLOCK | O_CLOEXEC), ==, 0);
	while (write(errpipe[1], junk, sizeof(junk)) > 0)
		;
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		char fdarg[32];

		/* blocking again: the helper must not be the one to find it full */
		fcntl(errpipe[1], F_SETFL, 0);
		dup2(errpipe[1], 2);
		dup2(sv[1], 100);
		snprintf(fdarg, sizeof(fdarg), "--fd=%d", 100);
		if (setgroups(0, NULL) < 0 || setresgid(SANDBOX_USER_GID, SANDBOX_USER_GID,
							SANDBOX_USER_GID) < 0 ||
		    setresuid(SANDBOX_USER_UID, SANDBOX_USER_UID, SANDBOX_USER_UID) < 0)
			_exit(200);
		execl(setuid_helper, setuid_helper, "--br=br0", fdarg, (char *)NULL);
		_exit(201);
	}
	close(sv[1]);
	g_usleep(G_USEC_PER_SEC / 2);	/* refused by now, stuck writing that */
	g_assert_cmpint(waitpid(pid, &status, WNOHANG), ==, 0);
	/* the old helper made it wait 10 s, then refused it: lock still held */
	t0 = g_get_monotonic_time();
	helper_run(setuid_helper, args, &as_user, &next);
	g_test_message("the next call took %lld ms", (long long)(g_get_monotonic_time() - t0) / 1000);
	g_assert_cmpint(next.status, ==, 1);
	g_assert_cmpstr(next.err, ==, "tapgate-helper: quota reached: uid 4242 already has 1 port on "
				      "bridge 'br0' (max-ports-per-user = 1)");
	g_assert_cmpint(as_uid(SANDBOX_USER_UID, send_signal, &(Signal){ pid, SIGKILL }), ==, 0);
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	close(errpipe[0]);
	close(errpipe[1]);
	close(sv[0]);
}

static gpointer user_call(gpointer data)
{
	HelperRunOpts opts = as_user;

	opts.kill_after_us = 9 * G_USEC_PER_SEC;
	helper_run(setuid_helper, plain_args, &opts, data);
	return NULL;
}

/* While the helper is root (the decision, the quota lock, the count), its
 * caller cannot stop or kill it: a stopped helper would keep the lock from
 * every other call (F1). Here it waits for a lock the test holds. */
static void test_caller_cannot_stop(void)
{
	g_auto(HelperRun) r = { .tapfd = -1 };
	tg_autoclose int lock = -1;
	GThread *th;
	pid_t pid = 0;

	setup_world("[bridge br0]\nallow-users = *\nmax-ports-per-user = 5\n");
	sandbox_sh("mkdir -p /run/tapgate && touch /run/tapgate/bridge:br0.lock");
	lock = open("/run/tapgate/bridge:br0.lock", O_RDWR | O_CLOEXEC);
	g_assert_cmpint(flock(lock, LOCK_EX), ==, 0);
	th = g_thread_new("user", user_call, &r);
	/* The helper waiting for the lock: before its first lines ran, it is
	 * not root through and through yet. */
	for (int i = 0; i < 500 && !(pid = lock_waiter()); i++)
		g_usleep(10000);
	g_assert_cmpint(pid, >, 0);
	g_assert_cmpint(as_uid(SANDBOX_USER_UID, send_signal, &(Signal){ pid, SIGSTOP }), ==, EPERM);
	g_assert_cmpint(as_uid(SANDBOX_USER_UID, send_signal, &(Signal){ pid, SIGKILL }), ==, EPERM);
	tg_closep(&lock);
	g_thread_join(th);
	g_assert_cmpstr(r.err, ==, "");
	g_assert_cmpint(r.status, ==, 0);
}

typedef struct {
	HelperRun run;
	gboolean done;
} Stuck;

static gpointer stuck_call(gpointer data)
{
	static const char *const args[] = { "--br=br0", "--fd=1002", NULL };
	Stuck *s = data;
	HelperRunOpts opts = as_user;

	opts.kill_after_us = 9 * G_USEC_PER_SEC;
	helper_run(setuid_helper, args, &opts, &s->run);
	g_atomic_int_set(&s->done, TRUE);
	return NULL;
}

/* A caller whose socket is full on purpose: its helper gives up after a
 * bounded wait, and meanwhile nobody else's call waits for it (F1: the lock
 * was held across the send). */
static void test_full_socket(void)
{
	g_auto(HelperRun) other = { .tapfd = -1 };
	Stuck stuck = { .run = { .tapfd = -1 } };
	char junk[4096] = { 0 };
	GThread *th;
	int sv[2];

	setup_world("[bridge br0]\nallow-users = *\nmax-ports-per-user = 5\n");
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
	while (send(sv[0], junk, sizeof(junk), MSG_DONTWAIT) > 0)
		;
	g_assert_cmpint(dup2(sv[0], 1002), ==, 1002);	/* inherited by the helper */
	close(sv[0]);
	th = g_thread_new("stuck", stuck_call, &stuck);
	g_usleep(G_USEC_PER_SEC / 2);	/* it is waiting to send by now */
	helper_run(setuid_helper, plain_args, &as_user, &other);
	g_assert_cmpint(other.status, ==, 0);
	g_assert_false(g_atomic_int_get(&stuck.done));
	g_thread_join(th);
	close(1002);
	close(sv[1]);
	g_assert_cmpstr(stuck.run.err, ==, "tapgate-helper: cannot send the tap's descriptor over "
					   "'--fd=1002': Connection timed out");
	g_assert_cmpint(stuck.run.status, ==, 1);
	helper_run_clear(&stuck.run);
	g_assert_cmpuint(count_taps(), ==, 1);	/* the other call's */
}

typedef struct {
	HelperRun run;
	const HelperRunOpts *opts;
} Call;

static gpointer call(gpointer data)
{
	Call *c = data;

	helper_run(setuid_helper, plain_args, c->opts, &c->run);
	return NULL;
}

static guint run_concurrently(Call *calls, guint n)
{
	g_autoptr(GPtrArray) threads = g_ptr_array_new();
	guint ok = 0;

	for (guint i = 0; i < n; i++) {
		calls[i].opts = &as_user;
		g_ptr_array_add(threads, g_thread_new("call", call, &calls[i]));
	}
	for (guint i = 0; i < n; i++) {
		g_thread_join(g_ptr_array_index(threads, i));
		ok += calls[i].run.status == 0;
	}
	return ok;
}

/* 200 calls at once, with a total quota of 150: exactly 150 taps, every
 * refusal one clear line, and afterwards no tap, no entry, no fd left. */
static void test_200_at_once(void)
{
	static Call calls[200];
	g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);
	g_auto(HelperRun) next = { .tapfd = -1 };
	g_autofree char *state = NULL;
	g_auto(GStrv) lines = NULL;
	guint fds;

	setup_world("[bridge br0]\nallow-users = *\nmax-ports = 150\n");
	fds = count_fds();
	memset(calls, 0, sizeof(calls));
	g_assert_cmpuint(run_concurrently(calls, G_N_ELEMENTS(calls)), ==, 150);
	for (guint i = 0; i < G_N_ELEMENTS(calls); i++) {
		HelperRun *r = &calls[i].run;

		if (r->status == 0) {
			g_assert_false(g_hash_table_contains(names, r->tapname));
			g_hash_table_add(names, r->tapname);
		} else {
			g_assert_cmpstr(r->err, ==, "tapgate-helper: quota reached: bridge 'br0' already "
					"has 150 ports (max-ports = 150)");
		}
	}
	g_assert_cmpuint(count_taps(), ==, 150);
	g_hash_table_remove_all(names);
	for (guint i = 0; i < G_N_ELEMENTS(calls); i++)
		helper_run_clear(&calls[i].run);
	g_assert_cmpuint(count_taps(), ==, 0);
	g_assert_cmpuint(count_fds(), ==, fds);
	/* The next call culls all 150 entries and is the only one left. */
	helper_run(setuid_helper, plain_args, &as_user, &next);
	g_assert_cmpint(next.status, ==, 0);
	g_assert_true(g_file_get_contents("/run/tapgate/bridge:br0.ports", &state, NULL, NULL));
	lines = g_strsplit(state, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), ==, 2);	/* one entry and the final "" */
}

/* The bridge comes and goes while helpers run: each call succeeds or fails
 * with one of the expected lines, and nothing is left once QEMU is gone. */
static gint flapping;

static gpointer flap(gpointer data)
{
	while (g_atomic_int_get(&flapping)) {
		sandbox_sh("ip link del br0 2>/dev/null; ip link add br0 type bridge && "
			   "ip link set br0 up");
		g_usleep(3000);
	}
	return NULL;
}

static void test_bridge_flapping(void)
{
	static Call calls[60];
	static const char *const allowed[] = {
		"tapgate-helper: bridge 'br0' does not exist",
		"tapgate-helper: bridge 'br0' disappeared while tap '",
		"tapgate-helper: cannot attach tap '",
		"tapgate-helper: cannot bring tap '",
		"tapgate-helper: cannot look up",
	};
	GThread *t;

	setup_world("[bridge br0]\nallow-users = *\n");
	memset(calls, 0, sizeof(calls));
	g_atomic_int_set(&flapping, 1);
	t = g_thread_new("flap", flap, NULL);
	run_concurrently(calls, G_N_ELEMENTS(calls));
	g_atomic_int_set(&flapping, 0);
	g_thread_join(t);
	for (guint i = 0; i < G_N_ELEMENTS(calls); i++) {
		HelperRun *r = &calls[i].run;
		gboolean known = r->status == 0;

		for (guint j = 0; !known && j < G_N_ELEMENTS(allowed); j++)
			known = g_str_has_prefix(r->err, allowed[j]);
		if (!known)
			g_error("unexpected result %d: '%s'", r->status, r->err);
		helper_run_clear(r);
	}
	g_assert_cmpuint(count_taps(), ==, 0);
}

/* Twenty domains start at once: the hook pins each one's port. */
typedef struct {
	char tap[IFNAMSIZ];
	char *xml;
	int status;
	char *err;
} HookCall;

static gpointer hook_call(gpointer data)
{
	HookCall *c = data;
	g_autofree char *file = g_strdup_printf("/tmp/%s.xml", c->tap);
	const char *argv[] = { "/bin/sh", "-c", NULL, NULL };
	g_autofree char *inner = g_strdup_printf("exec %s --qemu dom-%s start begin - < %s", hook,
						 c->tap, file);
	int status;

	g_file_set_contents(file, c->xml, -1, NULL);
	argv[2] = inner;
	g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
		     &c->err, &status, NULL);
	c->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	return NULL;
}

static void test_hook_concurrent_starts(void)
{
	HookCall calls[20];
	int fds[20];
	g_autoptr(GPtrArray) threads = g_ptr_array_new();
	g_autoptr(NlSock) sk = NULL;

	setup_world("[bridge br0]\nallow-users = *\n");
	for (guint i = 0; i < G_N_ELEMENTS(calls); i++) {
		g_autofree char *meta = g_strdup_printf(
			"  <metadata><t:ports xmlns:t=\"https://tapgate.dev/ns/1\">"
			"<t:port mac=\"52:54:00:aa:bb:01\" pin-mac=\"yes\" isolated=\"yes\"/>"
			"</t:ports></metadata>\n");
		g_autofree char *xml = sandbox_domain_xml(meta);
		g_auto(GStrv) parts = g_strsplit(xml, "vnet9", -1);

		g_snprintf(calls[i].tap, IFNAMSIZ, "vnet%u", 100 + i);
		calls[i].xml = g_strjoinv(calls[i].tap, parts);
		fds[i] = sandbox_tap(calls[i].tap, "br0");
	}
	for (guint i = 0; i < G_N_ELEMENTS(calls); i++)
		g_ptr_array_add(threads, g_thread_new("hook", hook_call, &calls[i]));
	g_assert_cmpint(tg_nl_open(&sk), ==, 0);
	for (guint i = 0; i < G_N_ELEMENTS(calls); i++) {
		LinkInfo port;

		g_thread_join(g_ptr_array_index(threads, i));
		if (calls[i].status != 0)
			g_error("hook for %s: %d: %s", calls[i].tap, calls[i].status, calls[i].err);
		g_assert_cmpint(link_get(sk, calls[i].tap, &port), ==, 0);
		g_assert_true(port.locked && port.isolated && !port.learning);
		g_free(calls[i].xml);
		g_free(calls[i].err);
		close(fds[i]);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	helper = sandbox_env("TAPGATE_HELPER");
	hook = sandbox_env("TAPGATE_HOOK");
	sandbox_env("TAPGATE_DATA");
	sandbox_enter();
	setuid_helper = sandbox_setuid_copy(helper);
	TABLETEST_ADD("/hostile/env", env_cases, test_env);
	g_test_add_func("/hostile/caller-hangs-up", test_caller_hangs_up);
	g_test_add_func("/hostile/fd-listening-socket", test_fd_listening_socket);
	TABLETEST_ADD("/fault", fault_cases, test_fault);
	g_test_add_func("/fault/sigkill-anywhere", test_sigkill_anywhere);
	/* An ASan build needs far more stack and heap than the helper does, and
	 * overflows before it can refuse: the plain build runs these. */
#if !TG_ASAN
	TABLETEST_ADD("/fault/rlimit", rlimit_cases, test_rlimit);
#endif
	g_test_add_func("/fault/state-root-owned", test_state_root_owned);
	g_test_add_func("/hostile/persisted-tap-owned", test_persisted_tap_owned);
	g_test_add_func("/hostile/lock-held", test_lock_held);
	g_test_add_func("/hostile/lock-per-target", test_lock_per_target);
	g_test_add_func("/hostile/stderr-blocks", test_stderr_blocks);
	g_test_add_func("/hostile/full-socket", test_full_socket);
	g_test_add_func("/hostile/caller-cannot-stop", test_caller_cannot_stop);
	g_test_add_func("/fault/bridge-flapping", test_bridge_flapping);
	g_test_add_func("/load/200-at-once", test_200_at_once);
	g_test_add_func("/load/hook-concurrent-starts", test_hook_concurrent_starts);
	return g_test_run();
}
