/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tapgate-helper: a drop-in replacement for qemu-bridge-helper.
 *
 * QEMU (-netdev bridge / -netdev tap,helper=) and libvirt session mode run
 * "HELPER [--use-vnet] --br=BRIDGE --fd=N". We check the policy, create a tap,
 * give it the bridge's MTU and a 0xfe host MAC, attach it, bring it up, and
 * send its fd back over the unix socket N: one byte, one SCM_RIGHTS fd.
 * 'tapgate run' adds "--queues=N [--vhost]": the same byte with N fds of one
 * multiqueue tap, then N of /dev/vhost-net, in one message.
 *
 * This program may run setuid root. It trusts nothing it was given: not the
 * environment, not the fds, not the arguments. Every error is one line on
 * stderr (libvirt shows it verbatim) and exit status 1; nothing is left
 * half-configured, because the tap dies with our fd.
 */
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "helper-args.h"
#include "link.h"
#include "netlink.h"
#include <netlink/utils.h>
#include "bridge-vlan.h"
#include "policy.h"
#include "portstate.h"
#include "log.h"
#include "privs.h"
#include "netprep.h"
#include "tap.h"
#include "tg-util.h"

#define PROG "tapgate-helper"

/* How long the caller's socket may stay full before we give up. */
#define SEND_WAIT_MS 5000

/* The one message for every denial, whatever the reason (CVE-2022-47952). */
#define DENIED_MESSAGE "access denied by policy (the reason is logged to syslog, authpriv)"

/* Set once syslog is open: from then on every failure is logged as well. */
static const char *log_ctx;

/* While we are root through and through (setuid: every uid 0), the caller
 * can neither stop nor kill us; whatever may block on the caller (its stderr
 * or stdout: a full pipe, a stopped tty) happens as the caller, and never
 * with a quota lock held. */
static gboolean rooted;
static uid_t caller_uid;
static gid_t caller_gid;
static PortState *held_state;	/* a target's quota lock, while held */

static void become_caller(void)
{
	if (held_state)
		portstate_close(held_state);
	held_state = NULL;
	if (!rooted)
		return;
	if (setgroups(0, NULL) < 0 || setresgid(caller_gid, caller_gid, caller_gid) < 0 ||
	    setresuid(caller_uid, caller_uid, caller_uid) < 0)
		_exit(1);
	prctl(PR_SET_DUMPABLE, 0);	/* the id change reset it */
	rooted = FALSE;
}

static G_NORETURN void G_GNUC_PRINTF(1, 2) die(const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (log_ctx)
		log_msg(LOG_ERR, "failed %s: %s", log_ctx, msg);
	become_caller();
	/* Not fprintf: on unbuffered stderr it takes an 8 KiB stack buffer, more
	 * than a caller's tiny RLIMIT_STACK leaves (and we say so through here). */
	fputs(PROG ": ", stderr);
	fputs(msg, stderr);
	fputc('\n', stderr);
	/* Straight out: the tap (if any) dies with our fds, and what is still
	 * allocated belongs to a process that ends now. */
	fflush(stderr);
	_exit(1);
}

static void usage(void)
{
	printf("Usage: " PROG " [--use-vnet] [--vlan=ID] [--queues=N [--vhost]] --br=BRIDGE|NETWORK "
	       "--fd=N\n"
	       "\n"
	       "Create a tap device, attach it to BRIDGE if the policy allows the caller,\n"
	       "and send its file descriptor over the unix socket N. QEMU and libvirt run\n"
	       "this program; it is a drop-in replacement for qemu-bridge-helper.\n"
	       "\n"
	       "  --use-vnet   enable the virtio-net header on the tap when available\n"
	       "  --br=NAME    the bridge to attach to, or a network of the policy\n"
	       "  --vlan=ID    make the port an access port of VLAN ID, if the policy allows\n"
	       "  --queues=N   a multiqueue tap: send N descriptors of it (tapgate run)\n"
	       "  --vhost      and N descriptors of /dev/vhost-net, if the policy allows\n"
	       "  --fd=N       the unix socket to send the tap's descriptor over\n"
	       "  --help       show this text\n"
	       "  --version    show the version\n"
	       "\n"
	       "Policy: %s, or if it does not exist %s.\n",
	       TG_POLICY_PATH, TG_QEMU_ACL_PATH);
}

/*
 * The caller's resource limits are ours: a tiny stack or heap would crash us
 * half-way, a file size limit would kill us (SIGXFSZ) while root's quota
 * state is half written. Raise them back while we may (that needs
 * CAP_SYS_RESOURCE where the caller lowered the hard limit too); what stays
 * below what we need refuses the call before anything is done.
 */
static void reset_rlimits(void)
{
	static const struct {
		int resource;
		const char *name;
		rlim_t want, need;
	} limits[] = {
		{ RLIMIT_FSIZE, "RLIMIT_FSIZE", RLIM_INFINITY, 16u << 20 },
		{ RLIMIT_DATA, "RLIMIT_DATA", RLIM_INFINITY, 64u << 20 },
		{ RLIMIT_STACK, "RLIMIT_STACK", 8u << 20, 1u << 20 },
		{ RLIMIT_AS, "RLIMIT_AS", RLIM_INFINITY, 64u << 20 },
	};
	struct rlimit rl;

	signal(SIGXFSZ, SIG_IGN);	/* a short write is an error we report */
	for (size_t i = 0; i < G_N_ELEMENTS(limits); i++) {
		rl.rlim_cur = rl.rlim_max = limits[i].want;
		if (setrlimit(limits[i].resource, &rl) == 0)
			continue;
		if (getrlimit(limits[i].resource, &rl) < 0)
			die("cannot read %s: %s", limits[i].name, tg_strerror(errno));
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(limits[i].resource, &rl) < 0 || rl.rlim_cur < limits[i].need)
			die("the caller's %s (%llu) is below what " PROG " needs (%llu)",
			    limits[i].name, (unsigned long long)rl.rlim_max,
			    (unsigned long long)limits[i].need);
	}
}

/*
 * Signal state survives exec: a blocked SIGALRM would make the bounded lock
 * wait unbounded, and job-control signals from the caller's tty (or its own
 * kill -STOP on a pty it made) would stop us with a lock held.
 */
static void reset_signals(void)
{
	static const int ignore[] = { SIGTSTP, SIGTTIN, SIGTTOU };
	sigset_t none;

	for (size_t i = 0; i < G_N_ELEMENTS(ignore); i++)
		signal(ignore[i], SIG_IGN);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* A caller's nice 19 or SCHED_IDLE would slow us down with a lock held.
 * Best effort: with file capabilities instead of setuid we may not raise. */
static void reset_priority(void)
{
	struct sched_param sp = { 0 };

	(void)!setpriority(PRIO_PROCESS, 0, 0);
	(void)!sched_setscheduler(0, SCHED_OTHER, &sp);
}

/* fds 0-2 closed at exec would let our next open() land on them. */
static void sanitize_std_fds(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		if (open("/dev/null", O_RDWR) != fd)
			_exit(1);
	}
}

static void close_stray_fds(int keep)
{
	struct rlimit rl;
	long fd, max;

	if ((keep == 3 || close_range(3, (unsigned)keep - 1, 0) == 0) &&
	    close_range((unsigned)keep + 1, ~0u, 0) == 0)
		return;
	/* No close_range(): the hard limit, not the caller-lowered soft one. */
	max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY
		      ? (long)MIN(rl.rlim_max, 1u << 20) : 1 << 20;
	for (fd = 3; fd < max; fd++)
		if (fd != keep)
			close((int)fd);
}

static void check_socket(int fd)
{
	struct stat st;
	int domain = 0;
	socklen_t len = sizeof(domain);

	if (fstat(fd, &st) < 0)
		die("'--fd=%d' is not an open file descriptor", fd);
	if (!S_ISSOCK(st.st_mode) ||
	    getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 || domain != AF_UNIX)
		die("'--fd=%d' is not a unix socket", fd);
}

/* The most descriptors one reply carries: every queue, and as many vhost-net. */
#define MAX_FDS (2 * POLICY_MAX_QUEUES)

/* The protocol QEMU's recv_fd() expects: one byte, one SCM_RIGHTS fd; with
 * --queues, the same byte with every descriptor in one SCM_RIGHTS. */
static int send_fds(int sock, const int *fds, unsigned int n)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
		struct cmsghdr align;
	} u;
	char byte = 0;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = CMSG_SPACE(sizeof(int) * n),
	};
	struct cmsghdr *cmsg;
	ssize_t sent;

	memset(&u, 0, sizeof(u));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * n);
	/* The socket is the caller's: its buffer may be full on purpose. Wait
	 * a bounded time for room, never block in sendmsg(). */
	for (;;) {
		struct pollfd p = { .fd = sock, .events = POLLOUT };
		int r;

		sent = sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (sent >= 0 || (errno != EINTR && errno != EAGAIN))
			return sent == 1 ? 0 : (sent < 0 ? -errno : -EIO);
		do
			r = poll(&p, 1, SEND_WAIT_MS);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
	}
}

static PolicyDecision decide(const HelperArgs *args, uid_t uid, gid_t gid)
{
	g_autoptr(Policy) policy = NULL;
	g_autoptr(GError) err = NULL;
	int n = getgroups(0, NULL);
	g_autofree gid_t *groups = g_new0(gid_t, MAX(n, 1));
	PolicyCaller caller = { .uid = uid, .gid = gid, .groups = groups };
	PolicyRequest request = { .name = args->bridge, .vlan = args->vlan,
				  .queues = args->queues, .vhost = args->vhost };
	PolicyDecision d;

	n = getgroups(MAX(n, 0), groups);
	if (n < 0)	/* a deny-groups rule must never be skipped */
		die("cannot read the caller's groups: %s", tg_strerror(errno));
	caller.n_groups = (size_t)n;
	if (policy_load(&policy, &policy_env_system, TG_POLICY_PATH, TG_QEMU_ACL_PATH,
			&err) < 0)
		log_msg(LOG_ERR, "policy error, denying everything: %s", err->message);
	d = policy_decide(policy, &caller, &request);
	if (!d.allowed && policy && policy->warnings->len) {
		char *r = g_strdup_printf("%s (%s)", d.reason,
					  (char *)g_ptr_array_index(policy->warnings, 0));
		g_free(d.reason);
		d.reason = r;
	} else if (!d.allowed && err) {
		g_free(d.reason);
		d.reason = g_strdup_printf("policy error: %s", err->message);
	}
	return d;
}

/* Still there? SIOCGIFNAME on the netlink socket: one syscall, where a
 * GETLINK per entry under the target's lock would serialize busy calls. */
static gboolean port_alive(const PortEntry *e, void *data)
{
	struct ifreq ifr = { .ifr_ifindex = e->ifindex };

	return ioctl(*(int *)data, SIOCGIFNAME, &ifr) == 0 && !strcmp(ifr.ifr_name, e->tap);
}

static void on_alarm(int sig)
{
}

/* Count the target's ports under its state lock, before privileges go. */
static void quota_reserve(PortState *st, struct nl_sock *sk, const PolicyTarget *t, uid_t uid,
			  gid_t gid)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GArray) entries = NULL;
	int nlfd = nl_socket_get_fd(sk);
	guint dropped = 0;
	int r;

	/* The wait for the lock is bounded: SIGALRM interrupts flock(). */
	sigaction(SIGALRM, &(struct sigaction){ .sa_handler = on_alarm }, NULL);
	alarm(PORTSTATE_LOCK_WAIT_MS / 1000 + 1);
	held_state = st;
	r = portstate_open(TG_STATE_DIR, t->quota_key, st, &err);
	alarm(0);
	if (r < 0 || portstate_load(st, &entries, &dropped, &err) < 0)
		die("quota state: %s", err->message);
	if (dropped)
		log_msg(LOG_WARNING, "dropped %u unreadable line%s of the quota state", dropped,
		       dropped == 1 ? "" : "s");
	/* rewritten only when it heals: the common call appends one line */
	if ((portstate_cull(entries, port_alive, &nlfd) || dropped) &&
	    portstate_store(st, entries, &err) < 0)
		die("quota state: %s", err->message);
	if (portstate_check(entries, t, uid, gid, &err) < 0)
		die("%s", err->message);
}

/* Everything but the tap is root's job ('tapgate apply'): read, never made. */
static void target_preflight(struct nl_sock *sk, const PolicyTarget *t, const char *qname,
			     PortPreflight *pf)
{
	g_autoptr(GError) err = NULL;

	if (port_preflight(sk, t, pf, &err) == 0)
		return;
	if (t->network)
		die("network '%s': %s", qname, err->message);
	die("%s", err->message);
}

/* The other queues of a multiqueue tap, while we are root: each one more
 * fd of /dev/net/tun joined to the tap by name. */
static void queues_attach(int *fds, unsigned int n, const char *name, gboolean vnet_on)
{
	for (unsigned int i = 1; i < n; i++) {
		int r;

		fds[i] = tap_open_node(TG_TUN_PATH);
		if (fds[i] < 0)
			die("cannot open '%s' for queue %u: %s", TG_TUN_PATH, i, tg_strerror(-fds[i]));
		r = tap_attach_queue(fds[i], name, vnet_on);
		if (r < 0)
			die("cannot attach queue %u of tap '%s': %s", i, name, tg_strerror(-r));
	}
}

/* One vhost-net descriptor per queue; QEMU sets each one's owner itself. */
static void vhost_open(int *fds, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		fds[i] = open(TG_VHOST_PATH, O_RDWR | O_CLOEXEC | O_NOCTTY);
		if (fds[i] >= 0)
			continue;
		if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
			die("cannot open '%s': %s (load the vhost_net module: 'modprobe vhost_net' "
			    "as root)", TG_VHOST_PATH, tg_strerror(errno));
		die("cannot open '%s': %s", TG_VHOST_PATH, tg_strerror(errno));
	}
}

int main(int argc, char **argv)
{
	g_auto(HelperArgs) args;
	g_autoptr(GError) err = NULL;
	g_autoptr(NlSock) sk = NULL;
	g_autofree char *qbr = NULL, *ctx = NULL, *vdesc = NULL, *qdesc = NULL;
	g_auto(PortState) st = PORTSTATE_INIT;
	int fds[MAX_FDS], tun;
	unsigned int queues, n_fds;
	PolicyDecision d;
	const PolicyTarget *t;
	PortPreflight pf;
	struct { int ifindex; } tap;
	char name[IFNAMSIZ];
	gboolean vnet_on = FALSE, quota, handover;
	uid_t uid = getuid(), owner;
	gid_t gid = getgid();
	uint8_t mac[6];
	int r;

	/* Nothing from the environment may steer a privileged program. */
	clearenv();
	nl_debug = 0;		/* libnl read NLDBG before main() */
	prctl(PR_SET_DUMPABLE, 0);
	reset_signals();
	reset_rlimits();
	reset_priority();
	umask(022);
	sanitize_std_fds();
	/* Setuid changes only the euid: files we make (the quota state) would
	 * take the caller's group, and the caller, still our real uid, could
	 * stop or kill us at any moment, the quota lock held. Until we become
	 * the caller for good, we are root through and through. */
	if (geteuid() == 0 && getegid() != 0 && setegid(0) < 0)
		die("cannot switch to group root: %s", tg_strerror(errno));
	if (geteuid() == 0 && getuid() != 0 && setresuid(0, 0, 0) < 0)
		die("cannot switch to user root: %s", tg_strerror(errno));
	caller_uid = uid;
	caller_gid = gid;
	rooted = geteuid() == 0 && uid != 0;

	if (helper_args_parse(&args, argc, argv, &err) < 0)
		die("%s (try '--help')", err->message);
	if (args.help || args.version) {
		become_caller();
		if (args.help)
			usage();
		else
			printf(PROG " " TG_VERSION "\n");
		return 0;
	}
	close_stray_fds(args.fd);
	check_socket(args.fd);
	qbr = tg_quote(args.bridge);
	log_open(PROG);

	/* only for tapgate run's requests: QEMU's log lines stay as they were */
	qdesc = args.queues ? g_strdup_printf(" queues=%u vhost=%d", args.queues, args.vhost)
			    : g_strdup("");
	/* The decision comes before anything that could tell a caller whether
	 * a bridge exists. */
	d = decide(&args, uid, gid);
	if (!d.allowed) {
		log_msg(LOG_WARNING, "denied uid=%u bridge=%s vlan=%u%s: %s", (unsigned)uid, qbr,
			args.vlan, qdesc, d.reason);
		if (uid == 0)
			die("access denied by policy: %s", d.reason);
		die(DENIED_MESSAGE);
	}
	t = &d.target;
	ctx = g_strdup_printf("uid=%u %s=%s", (unsigned)uid, t->network ? "network" : "bridge", qbr);
	log_ctx = ctx;
	quota = t->quota.per_user || t->quota.per_group || t->quota.total;

	queues = MAX(args.queues, 1);
	n_fds = args.vhost ? 2 * queues : queues;
	if (n_fds > MAX_FDS)	/* the decision bounds it; the stack must not rely on that */
		die("'--queues=%u' is more than %d", queues, POLICY_MAX_QUEUES);
	/* Never closed: they die with us on failure, and go to the caller on success. */
	tun = fds[0] = tap_open_node(TG_TUN_PATH);
	/* no node, or no driver behind it: not a matter of privileges */
	if (tun == -ENOENT || tun == -ENODEV || tun == -ENXIO)
		die("cannot open '%s': %s (load the tun module: 'modprobe tun' as root)",
		    TG_TUN_PATH, tg_strerror(-tun));
	if (tun < 0)
		die("cannot open '%s': %s (is " PROG " installed setuid root, or with "
		    "cap_net_admin,cap_dac_override?)", TG_TUN_PATH, tg_strerror(-tun));
	r = tg_nl_open(&sk);
	if (r < 0)
		die("cannot open a netlink socket: %s", tg_strerror(-r));
	/* A fixed buffer, larger than any reply we ask for (one link, one port's
	 * VLANs), lets libnl read each reply once instead of peeking first. A
	 * larger message fails the call (NLE_MSG_TRUNC), which is fatal here;
	 * long-lived sockets of the other tools keep peeking. */
	if (nl_socket_set_msg_buf_size(sk, 64 * 1024) < 0)
		die("cannot set up the netlink socket: %s", tg_strerror(ENOMEM));
	target_preflight(sk, t, qbr, &pf);
	/* The tap exists before the count, so that the count, the tap and its
	 * entry happen under the lock in one stretch that the caller cannot
	 * stop: we are all root here (see the setresuid() above). Should we
	 * fail later, the tap dies with us and the next call culls its entry. */
	/* One queue needs no IFF_MULTI_QUEUE, which costs the kernel 256 queues'
	 * worth of sysfs entries (about 2 ms, bench/README.md). */
	r = tap_create(tun, uid, args.use_vnet, args.queues > 1, name, &vnet_on);
	if (r == -EPERM)	/* a 0666 node, opened without privileges */
		die("cannot create a tap device: %s (is " PROG " installed setuid root, or with "
		    "cap_net_admin,cap_dac_override?)", tg_strerror(-r));
	if (r < 0)
		die("cannot create a tap device: %s", tg_strerror(-r));
	/* A multiqueue tap is root's until it is ready: the kernel lets anyone
	 * join one without an owner by name, and its owner at any time, and a
	 * queue of the caller's own would keep a tap alive that a failed call
	 * leaves uncounted and unattached; it becomes the caller's just before
	 * it goes. A single-queue tap, held here, nobody can join. */
	handover = args.queues > 1;
	owner = handover ? 0 : uid;
	r = tap_set_owner(tun, owner, handover ? 0 : gid);
	if (r < 0)
		die("cannot give tap '%s' to uid %u: %s", name, (unsigned)owner, tg_strerror(-r));
	r = tap_ifindex(nl_socket_get_fd(sk), name);
	if (r < 0)
		die("cannot look up tap '%s': %s", name, tg_strerror(-r));
	tap.ifindex = r;
	queues_attach(fds, queues, name, vnet_on);
	if (args.vhost)
		vhost_open(fds + queues, queues);
	if (quota) {
		PortEntry e = { .ifindex = tap.ifindex, .uid = uid, .gid = gid };

		quota_reserve(&st, sk, t, uid, gid);
		g_strlcpy(e.tap, name, sizeof(e.tap));
		g_strlcpy(e.target, t->quota_key, sizeof(e.target));
		g_strdelimit(e.target, " ", ':');
		r = portstate_append(&st, &e);
		if (r < 0)
			die("cannot record the port in the quota state: %s", tg_strerror(-r));
		portstate_close(&st);	/* counted: nobody waits for us any more */
		held_state = NULL;
	}
	r = privs_keep_net_admin(uid, gid);
	rooted = FALSE;
	prctl(PR_SET_DUMPABLE, 0);	/* the id change reset it */
	if (r < 0)
		die("cannot keep CAP_NET_ADMIN: %s (is " PROG " installed setuid root, or with "
		    "cap_net_admin,cap_dac_override?)", tg_strerror(-r));

	link_random_host_mac(mac);
	r = link_set_port(sk, tap.ifindex, pf.mtu, mac, pf.br.ifindex);
	if (r == -EXFULL)
		die("bridge '%s' is full (a Linux bridge holds at most 1023 ports)", t->bridge);
	if (r == -ENODEV)
		die("bridge '%s' disappeared while tap '%s' was being attached", t->bridge, name);
	if (r < 0)
		die("cannot attach tap '%s' to bridge '%s': %s", name, t->bridge, tg_strerror(-r));
	/* VLANs go on while the port is still down: it never forwards a frame
	 * in a VLAN it should not be in. */
	if (pf.br.vlan_filtering) {
		r = bridge_vlan_reconcile(sk, tap.ifindex, &t->vlan, pf.br.default_pvid, NULL, NULL);
		if (r == -EPROTO)
			die("the VLANs of tap '%s' did not read back as configured", name);
		if (r < 0)
			die("cannot set the VLANs of tap '%s': %s", name, tg_strerror(-r));
	}
	r = link_set_up(sk, tap.ifindex);
	if (r < 0)
		die("cannot bring tap '%s' up: %s", name, tg_strerror(-r));

	r = privs_drop_all();
	if (r < 0)
		die("cannot drop capabilities: %s", tg_strerror(-r));
	/* an attached fd needs no capability for this */
	r = handover ? tap_set_owner(tun, uid, gid) : 0;
	if (r < 0)
		die("cannot give tap '%s' to uid %u: %s", name, (unsigned)uid, tg_strerror(-r));
	r = send_fds(args.fd, fds, n_fds);
	if (r < 0)
		die("cannot send the tap's descriptor%s over '--fd=%d': %s", n_fds > 1 ? "s" : "",
		    args.fd, tg_strerror(-r));
	vdesc = port_vlan_describe(&t->vlan);
	log_msg(LOG_INFO, "allowed %s tap=%s bridge=%s vlan=%s vnet_hdr=%d%s", ctx, name,
		t->bridge, vdesc, vnet_on, qdesc);
	policy_decision_clear(&d);
	return 0;
}
