/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <netlink/route/link.h>

#include "sandbox.h"
#include "tg-util.h"

static char *top;		/* tmpfs holding everything of ours */
static int log_fd = -1;

static void must(int r, const char *what)
{
	if (r < 0)
		g_error("sandbox: %s: %s", what, g_strerror(errno));
}

static void make_node(const char *path, mode_t mode, dev_t dev)
{
	must(mknod(path, S_IFCHR | mode, dev), path);
	must(chmod(path, mode), path);
}

static void append(const char *path, const char *text)
{
	FILE *f = fopen(path, "a");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		g_error("sandbox: cannot append to %s", path);
}

/* The trees a test runs from: meson's test setup names them (TG_SRC, TG_BUILD). */
typedef struct {
	char *path;		/* canonical */
	int fd;			/* O_PATH, held across the new mounts */
} Tree;

static gboolean under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

/*
 * Tests run programs from these trees as the unprivileged test user (QEMU
 * reading the guest image, a setuid helper's caller): every directory above
 * them must let others through. Refuse with one line rather than fail later.
 */
static void tree_check_reachable(const char *path)
{
	g_autofree char *dir = g_strdup(path);
	struct stat st;

	while (strcmp(dir, "/")) {
		char *up;

		if (stat(dir, &st) == 0 && !(st.st_mode & S_IXOTH))
			g_error("sandbox: '%s' cannot be reached by the tests' unprivileged user "
				"('%s' is mode %04o); build where others can traverse, e.g. under /tmp "
				"or /srv", path, dir, st.st_mode & 07777);
		up = g_path_get_dirname(dir);
		g_free(dir);
		dir = up;
	}
}

static void trees_hold(Tree trees[2])
{
	static const char *const vars[] = { "TG_SRC", "TG_BUILD" };

	for (int i = 0; i < 2; i++) {
		const char *v = g_getenv(vars[i]);

		trees[i].path = v && *v ? realpath(v, NULL) : NULL;
		trees[i].fd = -1;
		if (!trees[i].path)
			continue;
		tree_check_reachable(trees[i].path);
		trees[i].fd = open(trees[i].path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		must(trees[i].fd, trees[i].path);
	}
}

/* A tree under a directory the sandbox replaced: bind it back where it was. */
static void trees_restore(Tree trees[2])
{
	static const char *const replaced[] = { "/tmp", "/run", "/dev" };

	for (int i = 0; i < 2; i++) {
		g_autofree char *from = g_strdup_printf("/proc/self/fd/%d", trees[i].fd);

		if (!trees[i].path)
			continue;
		for (size_t r = 0; r < G_N_ELEMENTS(replaced); r++) {
			if (!under(trees[i].path, replaced[r]))
				continue;
			must(g_mkdir_with_parents(trees[i].path, 0755), trees[i].path);
			must(mount(from, trees[i].path, NULL, MS_BIND | MS_REC, NULL),
			     trees[i].path);
		}
		close(trees[i].fd);
		free(trees[i].path);
	}
}

/**
 * sandbox_enter() - move this process into its own mount and network world
 *
 * Must run as root, before any test; g_error()s on any failure. The source
 * and build trees stay visible at their paths, wherever they are.
 */
void sandbox_enter(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	g_autofree char *opts = NULL, *upper = NULL, *work = NULL;
	Tree trees[2];

	if (geteuid() != 0)
		g_error("integration tests must run as root (they create namespaces)");
	must(unshare(CLONE_NEWNS | CLONE_NEWNET), "unshare");
	must(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), "make / private");
	trees_hold(trees);	/* in the new namespace: only its mounts can be bound */
	/* Our own /tmp: whatever the test writes vanishes with its namespace. */
	must(mount("tapgate-test", "/tmp", "tmpfs", 0, "mode=1777"), "tmpfs /tmp");
	top = g_strdup("/tmp");
	/* Our own /run: the helper's quota state, ip-netns' files. */
	must(mount("tapgate-run", "/run", "tmpfs", 0, "mode=0755"), "tmpfs /run");
	upper = g_build_filename(top, "etc-upper", NULL);
	work = g_build_filename(top, "etc-work", NULL);
	must(mkdir(upper, 0755), "mkdir upper");
	must(mkdir(work, 0755), "mkdir work");
	opts = g_strdup_printf("lowerdir=/etc,upperdir=%s,workdir=%s", upper, work);
	must(mount("overlay", "/etc", "overlay", 0, opts), "overlay /etc");
	append("/etc/passwd", "tgtest:x:4242:4242::/nonexistent:/usr/sbin/nologin\n"
			      "tgother:x:4244:4244::/nonexistent:/usr/sbin/nologin\n");
	append("/etc/group", "tgtest:x:4242:\ntglab:x:4243:tgtest\ntgother:x:4244:\n");
	must(mkdir("/etc/tapgate", 0755) == 0 || errno == EEXIST ? 0 : -1, "/etc/tapgate");
	must(mkdir("/etc/qemu", 0755) == 0 || errno == EEXIST ? 0 : -1, "/etc/qemu");

	must(mount("tapgate-dev", "/dev", "tmpfs", MS_NOEXEC, "mode=0755"), "tmpfs /dev");
	make_node("/dev/null", 0666, makedev(1, 3));
	make_node("/dev/zero", 0666, makedev(1, 5));
	make_node("/dev/full", 0666, makedev(1, 7));
	make_node("/dev/urandom", 0666, makedev(1, 9));
	make_node("/dev/random", 0666, makedev(1, 8));
	must(mkdir("/dev/net", 0755), "/dev/net");
	/* As on hosts without udev: only root may open it. */
	make_node("/dev/net/tun", 0600, makedev(10, 200));
	log_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	g_strlcpy(sun.sun_path, "/dev/log", sizeof(sun.sun_path));
	must(bind(log_fd, (struct sockaddr *)&sun, sizeof(sun)), "bind /dev/log");
	must(chmod("/dev/log", 0666), "chmod /dev/log");
	trees_restore(trees);
	sandbox_new_netns();
}

/** sandbox_new_netns() - a fresh, empty network namespace with lo up, and its /sys */
void sandbox_new_netns(void)
{
	static gboolean sys_mounted;

	must(unshare(CLONE_NEWNET), "unshare net");
	/* sysfs shows the namespace of whoever mounted it ('tapgate apply'
	 * reads a bridge's addr_assign_type there). */
	if (sys_mounted)
		must(umount2("/sys", MNT_DETACH), "umount /sys");
	must(mount("tapgate-sys", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL),
	     "sysfs /sys");
	sys_mounted = TRUE;
	sandbox_sh("ip link set lo up");
}

/** sandbox_dir() - a tmpfs directory that only this test process sees */
const char *sandbox_dir(void)
{
	return top;
}

/** sandbox_sh() - run a shell command for set-up; g_error() if it fails */
void sandbox_sh(const char *fmt, ...)
{
	g_autofree char *cmd = NULL, *err = NULL;
	const char *argv[] = { "/bin/sh", "-ec", NULL, NULL };
	g_autoptr(GError) gerr = NULL;
	va_list ap;
	int status;

	va_start(ap, fmt);
	cmd = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	argv[2] = cmd;
	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
			  &err, &status, &gerr) ||
	    !g_spawn_check_wait_status(status, NULL))
		g_error("sandbox: '%s' failed: %s", cmd, gerr ? gerr->message : err);
}

/** sandbox_write() - write a file with an exact mode and owner */
void sandbox_write(const char *path, const char *text, mode_t mode, uid_t owner)
{
	g_autoptr(GError) err = NULL;

	unlink(path);
	if (!g_file_set_contents(path, text, -1, &err))
		g_error("sandbox: %s", err->message);
	must(chown(path, owner, owner), "chown");
	must(chmod(path, mode), "chmod");
}

/** sandbox_reset_policy() - remove every policy file */
void sandbox_reset_policy(void)
{
	sandbox_sh("rm -rf /etc/tapgate/* /etc/qemu/*");
}

/** sandbox_log_drain() - everything sent to /dev/log since the last call */
char *sandbox_log_drain(void)
{
	GString *s = g_string_new(NULL);
	char buf[4096];
	ssize_t n;

	while ((n = recv(log_fd, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = '\0';
		g_string_append_printf(s, "%s\n", buf);
	}
	return g_string_free(s, FALSE);
}

/** sandbox_log_fill() - fill /dev/log's queue, as a wedged logger would */
void sandbox_log_fill(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	must(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), "connect /dev/log");
	while (send(fd, "filler", 6, 0) == 6)
		;
	close(fd);
}

/**
 * sandbox_setuid_copy() - a setuid-root copy of @helper that test users can run
 *
 * Return: its path, in the sandbox's tmpfs
 */
char *sandbox_setuid_copy(const char *helper)
{
	char *path = g_build_filename(top, "tapgate-helper-setuid", NULL);

	sandbox_sh("cp '%s' '%s' && chown root:root '%s' && chmod 4755 '%s'", helper, path, path,
		   path);
	return path;
}

/** sandbox_links_of_kind() - names of all links of one kind ("tun", ...) */
GPtrArray *sandbox_links_of_kind(const char *kind)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_cache *cache = NULL;
	struct nl_object *o;

	if (nl_connect(sk, NETLINK_ROUTE) < 0 ||
	    rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache) < 0)
		g_error("sandbox: cannot dump links");
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;

		if (!g_strcmp0(rtnl_link_get_type(l), kind))
			g_ptr_array_add(names, g_strdup(rtnl_link_get_name(l)));
	}
	nl_cache_free(cache);
	nl_socket_free(sk);
	return names;
}

/* The whole of an output file, last newline removed; closes @fd. */
static char *read_all(int fd)
{
	GString *s = g_string_new(NULL);
	char buf[512];
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		g_string_append_len(s, buf, n);
	close(fd);
	if (s->len && s->str[s->len - 1] == '\n')
		g_string_truncate(s, s->len - 1);
	return g_string_free(s, FALSE);
}

/* "@FILE@" in a helper's arguments: an fd open on /dev/null, not a socket. */
#define FILE_FD 1000

static void recv_fds(int sock, HelperRun *out)
{
	char buf[16], ctl[CMSG_SPACE(sizeof(int) * HELPER_RUN_MAX_FDS)];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c;
	ssize_t n;

	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	out->n_bytes = n > 0 ? (gsize)n : 0;
	out->n_fds = 0;
	if (n == 1 && buf[0] != 0)
		out->n_bytes = 99;	/* wrong payload: make it visible */
	if (n > 0 && (msg.msg_flags & MSG_CTRUNC))
		out->n_bytes = 98;	/* more fds than anyone asks for */
	for (c = CMSG_FIRSTHDR(&msg); n > 0 && c; c = CMSG_NXTHDR(&msg, c)) {
		int k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (int i = 0; i < k && out->n_fds < HELPER_RUN_MAX_FDS; i++)
			memcpy(&out->fds[out->n_fds++], CMSG_DATA(c) + i * sizeof(int),
			       sizeof(int));
	}
	out->tapfd = out->n_fds ? out->fds[0] : -1;
}

/**
 * helper_run() - run a bridge helper the way QEMU does and collect the result
 * @helper:	path of the program
 * @args:	its arguments; "@FD@" becomes the socket's number, "@FILE@" the
 *		number of an fd open on /dev/null (1000)
 * @opts:	identity and fd tricks, or NULL for plain root
 * @out:	filled in; clear with helper_run_clear()
 */
void helper_run(const char *helper, const char *const *args, const HelperRunOpts *opts,
		HelperRun *out)
{
	static const HelperRunOpts root = { 0 };
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	int sv[2], status, errfd, outfd;
	pid_t pid;
	guint i;

	if (!opts)
		opts = &root;
	memset(out, 0, sizeof(*out));
	out->tapfd = -1;
	must(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), "socketpair");
	/* Files, not pipes: nothing can block however much the helper writes. */
	errfd = memfd_create("helper-stderr", MFD_CLOEXEC);
	outfd = memfd_create("helper-stdout", MFD_CLOEXEC);
	must(errfd < 0 || outfd < 0 ? -1 : 0, "memfd_create");
	g_ptr_array_add(argv, g_strdup(helper));
	for (i = 0; args[i]; i++) {
		g_autofree char *fd = g_strdup_printf("%d", sv[1]);
		g_auto(GStrv) parts = g_strsplit(args[i], "@FD@", -1);
		g_autofree char *a = g_strjoinv(fd, parts);
		g_auto(GStrv) parts2 = g_strsplit(a, "@FILE@", -1);

		g_ptr_array_add(argv, g_strjoinv(G_STRINGIFY(FILE_FD), parts2));
	}
	g_ptr_array_add(argv, NULL);

	pid = fork();
	must(pid, "fork");
	if (pid == 0) {
		/* Far above any fd a test holds, even with many calls at once. */
		dup2(open("/dev/null", O_RDWR), FILE_FD);
		fcntl(sv[1], F_SETFD, 0);
		if (opts->close_std) {
			close(0);
			close(1);
			close(2);
		} else {
			dup2(outfd, 1);
			dup2(errfd, 2);
		}
		if (opts->uid && (setgroups(opts->n_groups, opts->groups) < 0 ||
				  setresgid(opts->gid, opts->gid, opts->gid) < 0 ||
				  setresuid(opts->uid, opts->uid, opts->uid) < 0))
			_exit(126);
		if (opts->rlimit &&
		    setrlimit(opts->rlimit->resource,
			      &(struct rlimit){ opts->rlimit->value, opts->rlimit->value }) < 0)
			_exit(125);
		execve(helper, (char **)argv->pdata,
		       opts->env ? (char **)opts->env : (char *[]){ "PATH=/usr/bin:/bin", NULL });
		_exit(127);
	}
	close(sv[1]);
	if (opts->kill_after_us) {
		g_usleep(opts->kill_after_us);
		kill(pid, SIGKILL);
	}
	if (opts->close_peer)
		close(sv[0]);
	else
		recv_fds(sv[0], out);
	if (!opts->close_peer)
		close(sv[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	out->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	out->err = read_all(errfd);
	out->out = read_all(outfd);
	if (out->tapfd >= 0) {
		struct ifreq ifr = { 0 };

		if (ioctl(out->tapfd, TUNGETIFF, &ifr) == 0)
			g_strlcpy(out->tapname, ifr.ifr_name, IFNAMSIZ);
	}
}

/** helper_run_clear() - close the tap fd (destroying the tap) and free */
void helper_run_clear(HelperRun *run)
{
	for (int i = 1; i < run->n_fds; i++)
		tg_closep(&run->fds[i]);
	run->n_fds = 0;
	tg_closep(&run->tapfd);
	g_clear_pointer(&run->err, g_free);
	g_clear_pointer(&run->out, g_free);
}

/**
 * sandbox_tap() - a tap as libvirt makes one: named, a port of @bridge, up
 * @name:	its name (vnetN)
 * @bridge:	the bridge
 *
 * Return: its fd (no vnet header); the tap lives as long as the fd
 */
int sandbox_tap(const char *name, const char *bridge)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	g_strlcpy(ifr.ifr_name, name, IFNAMSIZ);
	must(fd < 0 ? -1 : ioctl(fd, TUNSETIFF, &ifr), "TUNSETIFF");
	sandbox_sh("ip link set %s master %s up", name, bridge);
	return fd;
}

/**
 * sandbox_run_hook() - run tapgate-hook as libvirt does, XML on stdin
 * @hook:	the program
 * @args:	its arguments ("--qemu lvt1 start begin -")
 * @xml:	what libvirt would write to its stdin
 * @err:	set to its stderr, last newline removed
 *
 * Return: its exit status
 */
int sandbox_run_hook(const char *hook, const char *args, const char *xml, char **err)
{
	g_autofree char *cmd = g_strdup_printf("exec %s %s < /tmp/hook-input.xml", hook, args);
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	g_autoptr(GError) gerr = NULL;
	int status;

	sandbox_write("/tmp/hook-input.xml", xml, 0644, 0);
	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
			  err, &status, &gerr))
		g_error("cannot run %s: %s", hook, gerr->message);
	g_strchomp(*err);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/**
 * sandbox_apply() - run 'tapgate apply' (TAPGATE_CLI) on the sandbox's policy
 * @args:	more arguments ("--dry-run"), or ""
 * @out:	if not NULL, set to its stdout, last newline removed
 * @err:	if not NULL, set to its stderr, likewise
 *
 * Return: its exit status
 */
int sandbox_apply(const char *args, char **out, char **err)
{
	g_autofree char *cmd = g_strdup_printf("exec %s apply %s", sandbox_env("TAPGATE_CLI"),
					       args);
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	g_autoptr(GError) gerr = NULL;
	g_autofree char *o = NULL, *e = NULL;
	int status;

	if (!g_spawn_sync(NULL, (char **)argv, NULL, 0, NULL, NULL, &o, &e, &status, &gerr))
		g_error("cannot run %s: %s", cmd, gerr->message);
	if (out)
		*out = g_strchomp(g_steal_pointer(&o));
	if (err)
		*err = g_strchomp(g_steal_pointer(&e));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/**
 * sandbox_domain_xml() - libvirt 9.0's captured "qemu start begin" input for
 * a bridge interface, with @metadata (a <metadata> element) added
 */
char *sandbox_domain_xml(const char *metadata)
{
	g_autofree char *path = g_build_filename(g_getenv("TAPGATE_DATA"), "libvirt-9.0",
						 "qemu-start-begin.bridge-iface.xml", NULL);
	g_autofree char *xml = NULL;
	g_auto(GStrv) parts = NULL;

	if (!g_file_get_contents(path, &xml, NULL, NULL))
		g_error("cannot read %s (TAPGATE_DATA)", path);
	parts = g_strsplit(xml, "  <memory unit=", 2);
	return g_strconcat(parts[0], metadata, "  <memory unit=", parts[1], NULL);
}

/** sandbox_env() - a variable meson sets for the test; g_error() if missing */
const char *sandbox_env(const char *name)
{
	const char *v = g_getenv(name);

	if (!v || !*v)
		g_error("%s must be set (meson test sets it)", name);
	return v;
}
