/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tapgate-helper end to end, driven exactly as QEMU drives it, each case in
 * a fresh network namespace: the port it makes, the frames that cross the
 * bridge, and every refusal with its exact message and nothing left behind.
 */
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/if_tun.h>

#include "tabletest.h"
#include "config.h"
#include "frames.h"
#include "link.h"
#include "netlink.h"
#include "sandbox.h"
#include "tg-util.h"

static const char *helper;		/* the built helper, run as root */
static char *setuid_helper;		/* its setuid-root copy, run as tgtest */
static const gid_t user_groups[] = { SANDBOX_USER_GID, SANDBOX_LAB_GID };
static const HelperRunOpts as_user = {
	.uid = SANDBOX_USER_UID, .gid = SANDBOX_USER_GID,
	.groups = user_groups, .n_groups = G_N_ELEMENTS(user_groups),
};

#define DENIED "tapgate-helper: access denied by policy (the reason is logged to syslog, authpriv)"
#define BRIDGE_MTU 1400

/* A fresh namespace with br0 (unusual MTU), a veth pair and the given policy. */
static void setup_world(const char *acl, const char *conf)
{
	sandbox_new_netns();
	sandbox_sh("ip link add br0 type bridge && ip link set br0 mtu %d up && "
		   "ip link add ve0 type veth peer name ve1", BRIDGE_MTU);
	sandbox_reset_policy();
	if (acl)
		sandbox_write("/etc/qemu/bridge.conf", acl, 0644, 0);
	if (conf)
		sandbox_write("/etc/tapgate/tapgate.conf", conf, 0644, 0);
	g_free(sandbox_log_drain());
}

static void get_link(const char *name, LinkInfo *info)
{
	g_autoptr(NlSock) sk = NULL;

	g_assert_cmpint(tg_nl_open(&sk), ==, 0);
	g_assert_cmpint(link_get(sk, name, info), ==, 0);
}

static gboolean link_exists(const char *name)
{
	g_autoptr(NlSock) sk = NULL;
	LinkInfo info;

	g_assert_cmpint(tg_nl_open(&sk), ==, 0);
	return link_get(sk, name, &info) == 0;
}

static void assert_no_taps(void)
{
	g_autoptr(GPtrArray) taps = sandbox_links_of_kind("tun");

	g_assert_cmpuint(taps->len, ==, 0);
}

typedef struct {
	const char *name;
	gboolean as_user;	/* the setuid copy, run by tgtest */
	gboolean use_vnet;
	const char *acl;
	const char *conf;
} OkCase;

static const OkCase ok_cases[] = {
	{ "root-qemu-acl", FALSE, TRUE, "allow br0\n", NULL },
	{ "root-no-vnet", FALSE, FALSE, "allow all\n", NULL },
	{ "root-tapgate-conf", FALSE, TRUE, NULL, "[bridge br0]\nallow-users = root\n" },
	{ "user-qemu-acl-only", TRUE, TRUE, "allow br0\n", NULL },
	{ "user-by-group", TRUE, FALSE, "deny all\n",	/* ignored: tapgate.conf exists */
	  "[bridge br0]\nallow-groups = tglab\n" },
	{ "user-include-qemu-acl", TRUE, TRUE, "allow br0\n",
	  "[global]\ninclude-qemu-acl = true\n" },
};

static void test_ok(gconstpointer data)
{
	const OkCase *c = data;
	const char *args_vnet[] = { "--use-vnet", "--br=br0", "--fd=@FD@", NULL };
	const char *args_plain[] = { "--fd=@FD@", "--br=br0", NULL };
	g_auto(HelperRun) a = { .tapfd = -1 };
	g_auto(HelperRun) b = { .tapfd = -1 };
	g_autofree char *sysctl = NULL, *v6 = NULL, *log = NULL, *prefix = NULL;
	g_autofree char *want_log = NULL;
	uid_t uid = c->as_user ? SANDBOX_USER_UID : 0;
	struct ifreq ifr = { 0 };
	LinkInfo br, tap;

	setup_world(c->acl, c->conf);
	helper_run(c->as_user ? setuid_helper : helper, c->use_vnet ? args_vnet : args_plain,
		   c->as_user ? &as_user : NULL, &a);
	g_assert_cmpstr(a.err, ==, "");
	g_assert_cmpint(a.status, ==, 0);
	g_assert_cmpint(a.n_fds, ==, 1);
	g_assert_cmpuint(a.n_bytes, ==, 1);
	g_assert_cmpint(a.tapfd, >=, 0);

	prefix = g_strdup_printf("tg%u-", (unsigned)uid);
	g_assert_true(g_str_has_prefix(a.tapname, prefix));
	get_link("br0", &br);
	get_link(a.tapname, &tap);
	g_assert_cmpstr(tap.kind, ==, "tun");
	g_assert_cmpint(tap.master, ==, br.ifindex);
	g_assert_cmpuint(tap.mtu, ==, BRIDGE_MTU);
	g_assert_cmpuint(br.mtu, ==, BRIDGE_MTU);
	g_assert_cmphex(tap.mac[0], ==, 0xfe);
	g_assert_true(tap.flags & IFF_UP);
	/* addrgenmode none (1), set before the port came up: no address at all */
	sysctl = g_strdup_printf("/proc/sys/net/ipv6/conf/%s/addr_gen_mode", a.tapname);
	g_assert_true(g_file_get_contents(sysctl, &v6, NULL, NULL));
	g_assert_cmpstr(g_strstrip(v6), ==, "1");
	g_clear_pointer(&v6, g_free);
	g_clear_pointer(&sysctl, g_free);
	sysctl = g_strdup_printf("ip -6 -o addr show dev %s", a.tapname);
	g_assert_true(g_spawn_command_line_sync(sysctl, &v6, NULL, NULL, NULL));
	g_assert_cmpstr(v6, ==, "");
	g_assert_cmpint(ioctl(a.tapfd, TUNGETIFF, &ifr), ==, 0);
	g_assert_cmpint(!!(ifr.ifr_flags & IFF_VNET_HDR), ==, c->use_vnet);
	g_assert_false(ifr.ifr_flags & IFF_MULTI_QUEUE);	/* qemu-bridge-helper's protocol */

	log = sandbox_log_drain();
	want_log = g_strdup_printf("allowed uid=%u bridge=br0 tap=%s", (unsigned)uid, a.tapname);
	g_assert_nonnull(strstr(log, want_log));

	/* A second port on the same bridge receives what the first one sends. */
	sandbox_write("/etc/qemu/bridge.conf", "allow br0\n", 0644, 0);
	unlink("/etc/tapgate/tapgate.conf");
	helper_run(helper, args_plain, NULL, &b);
	g_assert_cmpint(b.status, ==, 0);
	g_assert_cmpstr(a.tapname, !=, b.tapname);
	frame_send(a.tapfd, c->use_vnet, (const guint8 *)"\x52\x54\x00\x12\x34\x56", 0,
		   "tapgate wiring test");
	g_assert_true(frame_wait(b.tapfd, "tapgate wiring test", 3000, NULL));

	/* The tap lives exactly as long as the descriptor QEMU holds. */
	helper_run_clear(&a);
	g_assert_false(link_exists(a.tapname));
	helper_run_clear(&b);
	assert_no_taps();
}

typedef struct {
	const char *name;
	const char *args[7];
	gboolean as_user;
	const char *acl;
	const char *conf;
	const char *expect_err;
	const char *expect_log;		/* substring of the syslog lines, or NULL */
	const char *setup;		/* extra shell set-up, or NULL */
} ErrCase;

#define BR0 { "--use-vnet", "--br=br0", "--fd=@FD@" }
static const ErrCase err_cases[] = {
	{ "not-allowed", BR0, TRUE, "allow br1\n", NULL, DENIED,
	  "denied uid=4242 bridge=br0 vlan=0: no rule allows uid 4242 on bridge 'br0'" },
	{ "deny-beats-allow", BR0, TRUE, "deny all\nallow br0\n", NULL, DENIED,
	  "denied by the rule at /etc/qemu/bridge.conf:1" },
	{ "include-missing", BR0, TRUE, "allow br0\ninclude /etc/qemu/nope.conf\n", NULL, DENIED,
	  "/etc/qemu/bridge.conf:2: cannot include: /etc/qemu/nope.conf: No such file" },
	{ "no-policy-at-all", BR0, TRUE, NULL, NULL, DENIED, "everything is denied" },
	{ "user-not-in-group", BR0, TRUE, NULL, "[bridge br0]\nallow-groups = tgother\n", DENIED,
	  "no rule allows uid 4242" },
	{ "deny-user", BR0, TRUE, NULL, "[bridge *]\nallow-users = *\ndeny-users = tgtest\n", DENIED,
	  "denied by the rule at /etc/tapgate/tapgate.conf:3" },
	{ "policy-syntax", BR0, TRUE, NULL, "[bridge br0]\nallow-users tgtest\n", DENIED,
	  "/etc/tapgate/tapgate.conf:2: expected '[section]' or 'key = value'" },
	{ "root-sees-reason", BR0, FALSE, "allow br1\n", NULL,
	  "tapgate-helper: access denied by policy: no rule allows uid 0 on bridge 'br0'", NULL },
	{ "name-16-chars", { "--br=abcdefghijklmnop", "--fd=@FD@" }, TRUE, "allow all\n", NULL,
	  "tapgate-helper: bridge or network name 'abcdefghijklmnop' is too long (at most 15 characters) "
	  "(try '--help')", NULL },
	{ "name-slash", { "--br=br/0", "--fd=@FD@" }, TRUE, "allow all\n", NULL,
	  "tapgate-helper: bridge or network name 'br/0' may contain only letters, digits, '_', '-' and '.' "
	  "(try '--help')", NULL },
	{ "missing-br", { "--use-vnet", "--fd=@FD@" }, TRUE, "allow all\n", NULL,
	  "tapgate-helper: missing '--br=BRIDGE' (try '--help')", NULL },
	{ "missing-fd", { "--br=br0" }, TRUE, "allow all\n", NULL,
	  "tapgate-helper: missing '--fd=N' (try '--help')", NULL },
	{ "unknown-option", { "--br=br0", "--fd=@FD@", "--vlan-magic" }, TRUE, "allow all\n", NULL,
	  "tapgate-helper: unknown argument '--vlan-magic' (try '--help')", NULL },
	{ "fd-not-socket", { "--br=br0", "--fd=@FILE@" }, TRUE, "allow all\n", NULL,
	  "tapgate-helper: '--fd=1000' is not a unix socket", NULL },
	{ "fd-not-open", { "--br=br0", "--fd=77" }, TRUE, "allow all\n", NULL,
	  "tapgate-helper: '--fd=77' is not an open file descriptor", NULL },
	{ "bridge-missing", { "--br=br9", "--fd=@FD@" }, TRUE, "allow all\n", NULL,
	  "tapgate-helper: bridge 'br9' does not exist",
	  "failed uid=4242 bridge=br9: bridge 'br9' does not exist" },
	{ "not-a-bridge", { "--br=ve0", "--fd=@FD@" }, TRUE, "allow all\n", NULL,
	  "tapgate-helper: 've0' is not a bridge", NULL },
	/* An alternative name must not dodge a deny rule on the real name. */
	{ "altname", { "--br=guest0", "--fd=@FD@" }, TRUE, "allow all\ndeny br0\n", NULL,
	  "tapgate-helper: bridge 'guest0' does not exist", NULL,
	  "ip link property add dev br0 altname guest0" },
	/* Multiqueue and vhost-net: bounded by the target, refused as any denial. */
	{ "queues-over-default", { "--queues=9", "--br=br0", "--fd=@FD@" }, TRUE, "allow br0\n",
	  NULL, DENIED, "vlan=0 queues=9 vhost=0: uid 4242 asked for 9 queues on bridge 'br0', which "
	  "allows 8 (max-queues)" },
	{ "queues-over-max", { "--queues=3", "--br=br0", "--fd=@FD@" }, TRUE, NULL,
	  "[bridge br0]\nallow-users = *\nmax-queues = 2\n", DENIED,
	  "asked for 3 queues on bridge 'br0', which allows 2 (max-queues)" },
	{ "vhost-not-allowed", { "--queues=2", "--vhost", "--br=br0", "--fd=@FD@" }, TRUE,
	  "allow br0\n", NULL, DENIED, "uid 4242 asked for vhost-net descriptors on bridge "
	  "'br0', which does not allow them (allow-vhost)" },
	{ "vhost-no-device", { "--queues=2", "--vhost", "--br=br0", "--fd=@FD@" }, TRUE, NULL,
	  "[bridge br0]\nallow-users = *\nallow-vhost = true\n",
	  "tapgate-helper: cannot open '/dev/vhost-net': No such file or directory (load the "
	  "vhost_net module: 'modprobe vhost_net' as root)", NULL },
	{ "vhost-without-queues", { "--vhost", "--br=br0", "--fd=@FD@" }, TRUE, "allow br0\n", NULL,
	  "tapgate-helper: '--vhost' needs '--queues=N' (try '--help')", NULL },
	{ "queues-zero", { "--queues=0", "--br=br0", "--fd=@FD@" }, TRUE, "allow br0\n", NULL,
	  "tapgate-helper: '--queues=0' is not a number from 1 to 256 (try '--help')", NULL },
	/* A Linux bridge holds at most 1023 ports (BR_MAX_PORTS - 1). */
	{ "bridge-full", BR0, FALSE, "allow br0\n", NULL,
	  "tapgate-helper: bridge 'br0' is full (a Linux bridge holds at most 1023 ports)", NULL,
	  "for i in $(seq 1 1023); do echo \"link add p$i type veth peer name q$i\"; "
	  "echo \"link set p$i master br0\"; done > /tmp/full.batch && ip -batch /tmp/full.batch" },
};

static void test_err(gconstpointer data)
{
	const ErrCase *c = data;
	g_auto(HelperRun) r = { .tapfd = -1 };
	g_autofree char *log = NULL;

	setup_world(c->acl, c->conf);
	if (c->setup)
		sandbox_sh("%s", c->setup);
	helper_run(c->as_user ? setuid_helper : helper, c->args, c->as_user ? &as_user : NULL, &r);
	g_assert_cmpstr(r.err, ==, c->expect_err);
	g_assert_cmpint(r.status, ==, 1);
	g_assert_cmpint(r.n_fds, ==, 0);
	g_assert_cmpint(r.tapfd, ==, -1);
	assert_no_taps();
	log = sandbox_log_drain();
	if (c->expect_log && !strstr(log, c->expect_log))
		g_error("syslog lacks '%s':\n%s", c->expect_log, log);
}

/* Policy files an attacker could have touched are not trusted at all. */
typedef struct {
	const char *name;
	const char *path;
	mode_t mode;
	uid_t owner;
	gboolean symlink;
	const char *expect_log;
} FileCase;

static const FileCase file_cases[] = {
	{ "conf-group-writable", "/etc/tapgate/tapgate.conf", 0664, 0, FALSE,
	  "/etc/tapgate/tapgate.conf: writable by group or others" },
	{ "conf-owned-by-user", "/etc/tapgate/tapgate.conf", 0644, SANDBOX_USER_UID, FALSE,
	  "/etc/tapgate/tapgate.conf: not owned by root" },
	{ "acl-world-writable", "/etc/qemu/bridge.conf", 0646, 0, FALSE,
	  "/etc/qemu/bridge.conf: writable by group or others" },
	{ "acl-symlink", "/etc/qemu/bridge.conf", 0644, 0, TRUE,
	  "/etc/qemu/bridge.conf: is a symbolic link" },
};

static void test_file(gconstpointer data)
{
	const FileCase *c = data;
	const char *args[] = { "--br=br0", "--fd=@FD@", NULL };
	const char *text = g_str_has_suffix(c->path, ".conf") && strstr(c->path, "tapgate")
				   ? "[bridge br0]\nallow-users = *\n" : "allow br0\n";
	g_auto(HelperRun) r = { .tapfd = -1 };
	g_autofree char *log = NULL;

	setup_world(NULL, NULL);
	if (c->symlink) {
		sandbox_write("/tmp/real.conf", text, 0644, 0);
		g_assert_cmpint(symlink("/tmp/real.conf", c->path), ==, 0);
	} else {
		sandbox_write(c->path, text, c->mode, c->owner);
	}
	helper_run(setuid_helper, args, &as_user, &r);
	g_assert_cmpstr(r.err, ==, DENIED);
	g_assert_cmpint(r.status, ==, 1);
	assert_no_taps();
	log = sandbox_log_drain();
	if (!strstr(log, c->expect_log))
		g_error("syslog lacks '%s':\n%s", c->expect_log, log);
}

/* fds 0, 1 and 2 closed at exec: the helper must still work, and must not
 * write its error into whatever file lands on fd 2. */
typedef struct {
	const char *name;
	unsigned int queues;
	gboolean vhost;
	gboolean as_user;
	const char *conf;
} QueueCase;

#define ALL_VHOST "[bridge br0]\nallow-users = *\nallow-vhost = true\n"
static const QueueCase queue_cases[] = {
	{ "user-1", 1, FALSE, TRUE, "[bridge br0]\nallow-users = *\n" },
	{ "user-4", 4, FALSE, TRUE, "[bridge br0]\nallow-users = *\n" },
	{ "user-8-default-max", 8, FALSE, TRUE, "[bridge br0]\nallow-users = *\n" },
	{ "root-64", 64, FALSE, FALSE, "[bridge br0]\nallow-users = *\nmax-queues = 64\n" },
	{ "user-4-vhost", 4, TRUE, TRUE, ALL_VHOST },
	{ "user-64-vhost", 64, TRUE, TRUE, ALL_VHOST "max-queues = 64\n" },
};

/* --queues=N: N descriptors of one multiqueue tap (and N of vhost-net), in
 * one message; the tap lives while any of them is open. One queue is a
 * plain tap: IFF_MULTI_QUEUE would only cost. */
static void test_queues(gconstpointer data)
{
	const QueueCase *c = data;
	g_autofree char *qarg = g_strdup_printf("--queues=%u", c->queues);
	const char *args[] = { "--use-vnet", qarg, "--br=br0", "--fd=@FD@", c->vhost ? "--vhost" : NULL,
			       NULL };
	const char *plain[] = { "--br=br0", "--fd=@FD@", NULL };
	g_auto(HelperRun) a = { .tapfd = -1 };
	g_auto(HelperRun) b = { .tapfd = -1 };
	g_autofree char *log = NULL, *want_log = NULL;
	uid_t uid = c->as_user ? SANDBOX_USER_UID : 0;
	unsigned int want = c->vhost ? 2 * c->queues : c->queues;
	LinkInfo tap;

	setup_world("allow br0\n", c->conf);
	/* No vhost-net driver here: a root-only stand-in that only the helper
	 * can open (the test guest's kernel opens the real one). */
	sandbox_sh("mknod -m 0600 /dev/vhost-net c 1 3");
	helper_run(c->as_user ? setuid_helper : helper, args, c->as_user ? &as_user : NULL, &a);
	sandbox_sh("rm /dev/vhost-net");
	g_assert_cmpstr(a.err, ==, "");
	g_assert_cmpint(a.status, ==, 0);
	g_assert_cmpuint(a.n_bytes, ==, 1);
	g_assert_cmpint(a.n_fds, ==, want);
	for (unsigned int i = 0; i < c->queues; i++) {
		struct ifreq ifr = { 0 };

		g_assert_cmpint(ioctl(a.fds[i], TUNGETIFF, &ifr), ==, 0);
		g_assert_cmpstr(ifr.ifr_name, ==, a.tapname);
		g_assert_cmpint(!!(ifr.ifr_flags & IFF_MULTI_QUEUE), ==, c->queues > 1);
		g_assert_true(ifr.ifr_flags & IFF_VNET_HDR);
	}
	for (unsigned int i = c->queues; i < want; i++) {
		struct stat st;

		g_assert_cmpint(fstat(a.fds[i], &st), ==, 0);
		g_assert_true(S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3));
	}
	get_link(a.tapname, &tap);
	g_assert_true(tap.tun.known && !tap.tun.persist);
	g_assert_cmpint(tap.tun.multi_queue, ==, c->queues > 1);
	if (c->queues > 1)	/* the kernel counts the queues of multiqueue taps only */
		g_assert_cmpuint(tap.tun.num_queues, ==, c->queues);
	g_assert_true(tap.tun.has_owner);
	g_assert_cmpuint(tap.tun.owner, ==, uid);
	log = sandbox_log_drain();
	want_log = g_strdup_printf("tap=%s bridge=br0 vlan=none vnet_hdr=1 queues=%u vhost=%d",
				   a.tapname, c->queues, c->vhost);
	g_assert_nonnull(strstr(log, want_log));

	/* Every queue is a port of the one tap: the last one's frame crosses br0. */
	helper_run(helper, plain, NULL, &b);
	g_assert_cmpint(b.status, ==, 0);
	frame_send(a.fds[c->queues - 1], TRUE, (const guint8 *)"\x52\x54\x00\x12\x34\x57", 0,
		   "tapgate queue test");
	g_assert_true(frame_wait(b.tapfd, "tapgate queue test", 3000, NULL));

	/* It lives while any queue is held, and dies with the last. */
	for (unsigned int i = 0; i + 1 < c->queues; i++)
		tg_closep(&a.fds[i]);
	a.tapfd = -1;
	g_assert_true(link_exists(a.tapname));
	tg_closep(&a.fds[c->queues - 1]);
	g_assert_false(link_exists(a.tapname));
}

/* Join tap @name by name as the test user, as a caller holding /dev/net/tun
 * (mode 0666, as udev makes it) could: 0 or the errno of TUNSETIFF. */
static int join_as_user(const char *name)
{
	int status;
	pid_t pid = fork();

	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		struct ifreq ifr = { 0 };
		int fd;

		if (setgroups(0, NULL) < 0 || setresgid(SANDBOX_USER_GID, SANDBOX_USER_GID,
							SANDBOX_USER_GID) < 0 ||
		    setresuid(SANDBOX_USER_UID, SANDBOX_USER_UID, SANDBOX_USER_UID) < 0)
			_exit(100);
		fd = open("/dev/net/tun", O_RDWR);
		if (fd < 0)
			_exit(101);
		g_strlcpy(ifr.ifr_name, name, IFNAMSIZ);
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE | IFF_VNET_HDR;
		_exit(ioctl(fd, TUNSETIFF, &ifr) < 0 ? errno : 0);
	}
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

typedef struct {
	const char *const *args;
	HelperRun run;
} BgCall;

static gpointer bg_call(gpointer data)
{
	BgCall *c = data;

	helper_run(setuid_helper, c->args, &as_user, &c->run);
	return NULL;
}

/* Until the helper is done, its multiqueue tap is root's: the caller cannot
 * join it by name, where a queue of its own would keep alive a tap that a
 * failed call leaves uncounted. The helper waits for the quota lock, which
 * the test holds, with the tap made; once let go it hands over the tap,
 * then the caller's, with exactly its own queues. */
static void test_queues_not_joinable(void)
{
	static const char *const args[] = { "--use-vnet", "--queues=2", "--br=br0", "--fd=@FD@",
					    NULL };
	BgCall c = { .args = args, .run = { .tapfd = -1 } };
	g_autoptr(GPtrArray) taps = NULL;
	tg_autoclose int lock = -1;
	GThread *th;
	LinkInfo tap;

	setup_world(NULL, "[bridge br0]\nallow-users = *\nmax-ports-per-user = 4\n");
	sandbox_sh("rm -rf /run/tapgate && mkdir -m 0755 /run/tapgate && "
		   "install -m 0600 /dev/null /run/tapgate/bridge:br0.lock && chmod 0666 /dev/net/tun");
	lock = open("/run/tapgate/bridge:br0.lock", O_RDWR | O_CLOEXEC);
	g_assert_cmpint(flock(lock, LOCK_EX), ==, 0);
	th = g_thread_new("helper", bg_call, &c);
	for (int i = 0; i < 500; i++) {
		g_clear_pointer(&taps, g_ptr_array_unref);
		taps = sandbox_links_of_kind("tun");
		if (taps->len)
			break;
		g_usleep(10000);
	}
	g_assert_cmpuint(taps->len, ==, 1);
	g_assert_cmpint(join_as_user(g_ptr_array_index(taps, 0)), ==, EPERM);
	tg_closep(&lock);
	g_thread_join(th);
	sandbox_sh("chmod 0600 /dev/net/tun");
	g_assert_cmpstr(c.run.err, ==, "");
	g_assert_cmpint(c.run.status, ==, 0);
	g_assert_cmpint(c.run.n_fds, ==, 2);
	get_link(c.run.tapname, &tap);
	g_assert_cmpuint(tap.tun.num_queues, ==, 2);
	g_assert_true(tap.tun.has_owner && tap.tun.owner == SANDBOX_USER_UID);
	helper_run_clear(&c.run);
}

static void test_closed_std_fds(void)
{
	const char *args[] = { "--use-vnet", "--br=br0", "--fd=@FD@", NULL };
	HelperRunOpts opts = as_user;
	g_auto(HelperRun) r = { .tapfd = -1 };

	setup_world("allow br0\n", NULL);
	opts.close_std = TRUE;
	helper_run(setuid_helper, args, &opts, &r);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_cmpint(r.tapfd, >=, 0);
}

/* A wedged logger (its queue full) must not hang VM starts. */
static void test_wedged_logger(void)
{
	const char *args[] = { "--br=br0", "--fd=@FD@", NULL };
	g_auto(HelperRun) r = { .tapfd = -1 };

	setup_world("allow br0\n", NULL);
	sandbox_log_fill();
	helper_run(setuid_helper, args, &as_user, &r);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_cmpint(r.tapfd, >=, 0);
	g_free(sandbox_log_drain());
}

#define PRIVS_HINT "(is tapgate-helper installed setuid root, or with " \
	"cap_net_admin,cap_dac_override?)"

typedef struct {
	const char *name;
	const char *tun_mode;	/* of /dev/net/tun */
	const char *err;
} UnprivCase;

/* Without the setuid bit the first step that needs privileges fails, with
 * the hint: opening a 0600 node, or making the tap where the node is 0666
 * (the old helper said only "Operation not permitted" there). */
static const UnprivCase unpriv_cases[] = {
	{ "node-0600", "0600",
	  "tapgate-helper: cannot open '/dev/net/tun': Permission denied " PRIVS_HINT },
	{ "node-0666", "0666",
	  "tapgate-helper: cannot create a tap device: Operation not permitted " PRIVS_HINT },
};

static void test_unprivileged(gconstpointer data)
{
	const UnprivCase *c = data;
	const char *args[] = { "--br=br0", "--fd=@FD@", NULL };
	g_auto(HelperRun) r = { .tapfd = -1 };

	setup_world("allow br0\n", NULL);
	sandbox_sh("chmod %s /dev/net/tun", c->tun_mode);
	helper_run(helper, args, &as_user, &r);
	sandbox_sh("chmod 0600 /dev/net/tun");
	g_assert_cmpstr(r.err, ==, c->err);
	g_assert_cmpint(r.status, ==, 1);
	assert_no_taps();
}

static void test_help_version(void)
{
	const char *help[] = { "--help", NULL };
	const char *version[] = { "--version", NULL };
	g_auto(HelperRun) h = { .tapfd = -1 };
	g_auto(HelperRun) v = { .tapfd = -1 };

	helper_run(helper, help, NULL, &h);
	g_assert_cmpint(h.status, ==, 0);
	g_assert_true(g_str_has_prefix(h.out, "Usage: tapgate-helper [--use-vnet] [--vlan=ID] "
				       "[--queues=N [--vhost]] --br=BRIDGE|NETWORK --fd=N\n"));
	g_assert_cmpstr(h.err, ==, "");
	helper_run(helper, version, NULL, &v);
	g_assert_cmpint(v.status, ==, 0);
	g_assert_cmpstr(v.out, ==, "tapgate-helper " TG_VERSION);
}

int main(int argc, char **argv)
{
	guint i;

	g_test_init(&argc, &argv, NULL);
	helper = sandbox_env("TAPGATE_HELPER");
	sandbox_enter();
	setuid_helper = sandbox_setuid_copy(helper);

	TABLETEST_ADD("/helper/ok", ok_cases, test_ok);
	TABLETEST_ADD("/helper/error", err_cases, test_err);
	TABLETEST_ADD("/helper/queues", queue_cases, test_queues);
	g_test_add_func("/helper/queues-not-joinable", test_queues_not_joinable);
	for (i = 0; i < G_N_ELEMENTS(file_cases); i++) {
		g_autofree char *path = g_strdup_printf("/helper/untrusted-file/%s",
							file_cases[i].name);

		g_test_add_data_func(path, &file_cases[i], test_file);
	}
	g_test_add_func("/helper/closed-std-fds", test_closed_std_fds);
	TABLETEST_ADD("/helper/unprivileged", unpriv_cases, test_unprivileged);
	g_test_add_func("/helper/wedged-logger", test_wedged_logger);
	g_test_add_func("/helper/help-version", test_help_version);
	return g_test_run();
}
