/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tapgate-helper: a drop-in replacement for qemu-bridge-helper.
 *
 * QEMU (-netdev bridge / -netdev tap,helper=) and libvirt session mode run
 * "HELPER [--use-vnet] --br=BRIDGE --fd=N". We check the policy, create a tap,
 * give it the bridge's MTU and a 0xfe host MAC, attach it, bring it up, and
 * send its fd back over the unix socket N: one byte, one SCM_RIGHTS fd.
 *
 * This program may run setuid root. It trusts nothing it was given: not the
 * environment, not the fds, not the arguments. Every error is one line on
 * stderr (libvirt shows it verbatim) and exit status 1; nothing is left
 * half-configured, because the tap dies with our fd.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
#include "policy.h"
#include "privs.h"
#include "tap.h"
#include "tg-util.h"

#define PROG "tapgate-helper"

/* The one message for every denial, whatever the reason (CVE-2022-47952). */
#define DENIED_MESSAGE "access denied by policy (the reason is logged to syslog, authpriv)"

/* Set once syslog is open: from then on every failure is logged as well. */
static const char *log_ctx;

static void G_GNUC_PRINTF(1, 2) die(const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, PROG ": %s\n", msg);
	if (log_ctx)
		syslog(LOG_ERR, "failed %s: %s", log_ctx, msg);
	exit(1);
}

static void usage(void)
{
	printf("Usage: " PROG " [--use-vnet] --br=BRIDGE --fd=N\n"
	       "\n"
	       "Create a tap device, attach it to BRIDGE if the policy allows the caller,\n"
	       "and send its file descriptor over the unix socket N. QEMU and libvirt run\n"
	       "this program; it is a drop-in replacement for qemu-bridge-helper.\n"
	       "\n"
	       "  --use-vnet   enable the virtio-net header on the tap when available\n"
	       "  --br=BRIDGE  the bridge to attach to\n"
	       "  --fd=N       the unix socket to send the tap's descriptor over\n"
	       "  --help       show this text\n"
	       "  --version    show the version\n"
	       "\n"
	       "Policy: %s, or if it does not exist %s.\n",
	       TG_POLICY_PATH, TG_QEMU_ACL_PATH);
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

/* The protocol QEMU's recv_fd() expects: one byte, one SCM_RIGHTS fd. */
static int send_fd(int sock, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte = 0;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cmsg;
	ssize_t n;

	memset(&u, 0, sizeof(u));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : (n < 0 ? -errno : -EIO);
}

static PolicyDecision decide(const char *bridge, uid_t uid, gid_t gid)
{
	g_autoptr(Policy) policy = NULL;
	g_autoptr(GError) err = NULL;
	int n = getgroups(0, NULL);
	g_autofree gid_t *groups = g_new0(gid_t, MAX(n, 1));
	PolicyCaller caller = { .uid = uid, .gid = gid, .groups = groups };

	n = getgroups(MAX(n, 0), groups);
	caller.n_groups = n > 0 ? (size_t)n : 0;
	PolicyRequest request = { .bridge = bridge };
	PolicyDecision d;

	if (n < 0)	/* a deny-groups rule must never be skipped */
		die("cannot read the caller's groups: %s", g_strerror(errno));
	if (policy_load(&policy, &policy_env_system, TG_POLICY_PATH, TG_QEMU_ACL_PATH,
			&err) < 0)
		syslog(LOG_ERR, "policy error, denying everything: %s", err->message);
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

int main(int argc, char **argv)
{
	g_auto(HelperArgs) args;
	g_autoptr(GError) err = NULL;
	g_autoptr(NlSock) sk = NULL;
	g_autofree char *qbr = NULL, *ctx = NULL;
	tg_autoclose int tun = -1;
	PolicyDecision d;
	LinkInfo br, tap;
	char name[IFNAMSIZ];
	gboolean vnet_on = FALSE;
	uid_t uid = getuid();
	gid_t gid = getgid();
	uint8_t mac[6];
	int r;

	/* Nothing from the environment may steer a privileged program. */
	clearenv();
	nl_debug = 0;		/* libnl read NLDBG before main() */
	prctl(PR_SET_DUMPABLE, 0);
	umask(077);
	sanitize_std_fds();

	if (helper_args_parse(&args, argc, argv, &err) < 0)
		die("%s (try '--help')", err->message);
	if (args.help) {
		usage();
		return 0;
	}
	if (args.version) {
		printf(PROG " " TG_VERSION "\n");
		return 0;
	}
	close_stray_fds(args.fd);
	check_socket(args.fd);
	qbr = tg_quote(args.bridge);
	openlog(PROG, LOG_PID, LOG_AUTHPRIV);

	/* The decision comes before anything that could tell a caller whether
	 * a bridge exists. */
	d = decide(args.bridge, uid, gid);
	if (!d.allowed) {
		syslog(LOG_WARNING, "denied uid=%u bridge=%s: %s", (unsigned)uid, qbr, d.reason);
		if (uid == 0)
			die("access denied by policy: %s", d.reason);
		die(DENIED_MESSAGE);
	}
	policy_decision_clear(&d);
	ctx = g_strdup_printf("uid=%u bridge=%s", (unsigned)uid, qbr);
	log_ctx = ctx;

	tun = tap_open_node(TG_TUN_PATH);
	if (tun < 0)
		die("cannot open '%s': %s (is " PROG " installed setuid root, or with "
		    "cap_net_admin,cap_dac_override?)", TG_TUN_PATH, g_strerror(-tun));
	r = privs_keep_net_admin(uid, gid);
	if (r < 0)
		die("cannot keep CAP_NET_ADMIN: %s (is " PROG " installed setuid root, or with "
		    "cap_net_admin,cap_dac_override?)", g_strerror(-r));

	r = tg_nl_open(&sk);
	if (r < 0)
		die("cannot open a netlink socket: %s", g_strerror(-r));
	r = link_get(sk, args.bridge, &br);
	if (r == -ENODEV)
		die("bridge '%s' does not exist", qbr);
	if (r < 0)
		die("cannot look up bridge '%s': %s", qbr, g_strerror(-r));
	if (strcmp(br.kind, "bridge"))
		die("'%s' is not a bridge", qbr);

	r = tap_create(tun, uid, args.use_vnet, name, &vnet_on);
	if (r < 0)
		die("cannot create a tap device: %s", g_strerror(-r));
	r = link_get(sk, name, &tap);
	if (r < 0)
		die("cannot look up tap '%s': %s", name, g_strerror(-r));
	link_random_host_mac(mac);
	r = link_disable_ipv6(name);
	if (r < 0)
		die("cannot disable IPv6 on tap '%s': %s", name, g_strerror(-r));
	r = link_set_port(sk, tap.ifindex, br.mtu, mac, br.ifindex);
	if (r == -EXFULL)
		die("bridge '%s' is full (a Linux bridge holds at most 1023 ports)", qbr);
	if (r == -ENODEV)
		die("bridge '%s' disappeared while tap '%s' was being attached", qbr, name);
	if (r < 0)
		die("cannot attach tap '%s' to bridge '%s': %s", name, qbr, g_strerror(-r));
	r = link_set_up(sk, tap.ifindex);
	if (r < 0)
		die("cannot bring tap '%s' up: %s", name, g_strerror(-r));

	r = privs_drop_all();
	if (r < 0)
		die("cannot drop capabilities: %s", g_strerror(-r));
	r = send_fd(args.fd, tun);
	if (r < 0)
		die("cannot send the tap's descriptor over '--fd=%d': %s", args.fd, g_strerror(-r));
	syslog(LOG_INFO, "allowed uid=%u bridge=%s tap=%s vnet_hdr=%d", (unsigned)uid, qbr, name,
	       vnet_on);
	return 0;
}
