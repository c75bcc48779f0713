/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 'tapgate run': taps for a VMM that takes file descriptors, without root.
 *
 *	tapgate run --net n0=lan,queues=4,vhost=on -- qemu-system-x86_64 ...
 *		-netdev tap,id=n0,fds={n0.fds},vhost=on,vhostfds={n0.vhostfds}
 *
 * Each --net is one call of the setuid helper (so the policy decides, as for
 * QEMU's own -netdev bridge), with "--queues=N" for a multiqueue tap. The
 * descriptors stay open across exec, the placeholders in the arguments say
 * which they are, and we become the VMM: the taps live exactly as long as it
 * does, and nothing is left behind when it exits (or when we fail first).
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/if_tun.h>

#include "config.h"
#include "helper-args.h"
#include "ifname.h"
#include "policy.h"
#include "tapgate.h"
#include "tg-util.h"
#include "vlan.h"

#define PROG "tapgate run"

/* One --net: what to ask the helper for, and what it gave. */
typedef struct {
	char *name;		/* "n0": the placeholders' prefix */
	char *target;		/* a bridge or a network of the policy */
	unsigned int queues;	/* 0: not asked for (one fd, the plain protocol) */
	unsigned int vlan;
	gboolean vhost;
	gboolean vnet;		/* --use-vnet: the virtio-net header (default on) */
	GArray *fds;		/* int: the tap's queues */
	GArray *vhostfds;	/* int: one /dev/vhost-net per queue */
	char ifname[IFNAMSIZ];
} RunNet;

static void run_net_free(gpointer p)
{
	RunNet *n = p;

	g_free(n->name);
	g_free(n->target);
	g_array_unref(n->fds);
	g_array_unref(n->vhostfds);
	g_free(n);
}

static void usage(void)
{
	printf("Usage: tapgate run [--helper PATH] --net NAME=NETWORK[,OPTION...]... [--] COMMAND "
	       "[ARG...]\n"
	       "\n"
	       "Get a tap for each --net from tapgate-helper (the policy decides, as for QEMU's\n"
	       "-netdev bridge), keep its descriptors open, replace the placeholders in ARGs\n"
	       "and run COMMAND in our place: the taps live as long as it does.\n"
	       "\n"
	       "  --net NAME=NETWORK[,OPTION...]  a bridge or network of the policy; options:\n"
	       "      queues=N     a multiqueue tap with N queues (N descriptors)\n"
	       "      vhost=on     and N descriptors of /dev/vhost-net\n"
	       "      vlan=ID      an access port of VLAN ID of a bridge (its allow-vlans)\n"
	       "      vnet=off     no virtio-net header on the tap (default: on)\n"
	       "  --helper PATH  the helper to run (default: %s)\n"
	       "  --help         show this text\n"
	       "\n"
	       "Placeholders, for NAME:\n"
	       "  {NAME.fds}       the tap's descriptors, colon-separated (QEMU's fds=)\n"
	       "  {NAME.fds,}      the same, comma-separated (cloud-hypervisor's fd=[...])\n"
	       "  {NAME.fd}        its one descriptor, when it has one queue\n"
	       "  {NAME.vhostfds}  the vhost-net descriptors, colon-separated ({NAME.vhostfds,}: "
	       "comma)\n"
	       "  {NAME.vhostfd}   its one vhost-net descriptor\n"
	       "  {NAME.ifname}    the tap's name\n"
	       "  {NAME.queues}    the number of queues; {NAME.vectors}: 2 * queues + 2 (MSI-X)\n",
	       TG_HELPER_PATH);
}

static gboolean net_name_ok(const char *s)
{
	if (!*s || strlen(s) > 15 || !(g_ascii_isalpha(*s) || *s == '_'))
		return FALSE;
	for (; *s; s++)
		if (!g_ascii_isalnum(*s) && *s != '_')
			return FALSE;
	return TRUE;
}

static int spec_error(GError **error, const char *spec, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static int spec_error(GError **error, const char *spec, const char *fmt, ...)
{
	g_autofree char *q = tg_quote(spec), *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, TG_ERROR, EINVAL, "'--net %s': %s", q, msg);
	return -EINVAL;
}

/* "n0=lan,queues=4,vhost=on" */
static int net_parse(const char *spec, GPtrArray *nets, GError **error)
{
	g_auto(GStrv) opts = g_strsplit(spec, ",", -1);
	g_autoptr(GError) err = NULL;
	RunNet *n;
	char *eq = strchr(opts[0], '=');
	guint64 v;

	if (!eq)
		return spec_error(error, spec, "expected NAME=NETWORK");
	*eq = '\0';
	if (!net_name_ok(opts[0]))
		return spec_error(error, spec, "NAME must be a letter or '_' and up to 14 letters, "
				  "digits or '_'");
	for (guint i = 0; i < nets->len; i++)
		if (!strcmp(((RunNet *)g_ptr_array_index(nets, i))->name, opts[0]))
			return spec_error(error, spec, "'%s' is given twice", opts[0]);
	n = g_new0(RunNet, 1);
	n->name = g_strdup(opts[0]);
	n->target = g_strdup(eq + 1);
	n->vnet = TRUE;
	n->fds = g_array_new(FALSE, FALSE, sizeof(int));
	n->vhostfds = g_array_new(FALSE, FALSE, sizeof(int));
	g_ptr_array_add(nets, n);
	if (ifname_validate(n->target, "bridge or network name", &err) < 0)
		return spec_error(error, spec, "%s", err->message);
	for (char **o = opts + 1; *o; o++) {
		char *val = strchr(*o, '=');

		if (val)
			*val++ = '\0';
		if (!val) {
			return spec_error(error, spec, "expected OPTION=VALUE, not '%s'", *o);
		} else if (!strcmp(*o, "queues")) {
			if (tg_parse_uint(val, HELPER_MAX_QUEUES, &v) < 0 || v < 1)
				return spec_error(error, spec, "queues must be a number from 1 to %d",
						  HELPER_MAX_QUEUES);
			n->queues = (unsigned int)v;
		} else if (!strcmp(*o, "vhost") || !strcmp(*o, "vnet")) {
			gboolean on = !strcmp(val, "on");

			if (!on && strcmp(val, "off"))
				return spec_error(error, spec, "%s must be on or off", *o);
			if (!strcmp(*o, "vhost"))
				n->vhost = on;
			else
				n->vnet = on;
		} else if (!strcmp(*o, "vlan")) {
			g_clear_error(&err);
			if (vlan_parse_vid(val, &n->vlan, &err) < 0)
				return spec_error(error, spec, "%s", err->message);
		} else {
			return spec_error(error, spec, "unknown option '%s' (known: queues, vhost, "
					  "vlan, vnet)", *o);
		}
	}
	return 0;
}

/* Our own vhost-net descriptors, where /dev/vhost-net lets us (group kvm):
 * 1, or 0 when only the helper can open it (then it is asked to). */
static int vhost_open_own(RunNet *n, unsigned int queues, GError **error)
{
	for (unsigned int i = 0; i < queues; i++) {
		int fd = open(TG_VHOST_PATH, O_RDWR | O_CLOEXEC | O_NOCTTY);

		if (fd >= 0) {
			g_array_append_val(n->vhostfds, fd);
			continue;
		}
		if (errno == EACCES || errno == EPERM)
			return 0;
		if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
			g_set_error(error, TG_ERROR, errno, "cannot open '%s': %s (load the "
				    "vhost_net module: 'modprobe vhost_net' as root)", TG_VHOST_PATH,
				    g_strerror(errno));
		else
			g_set_error(error, TG_ERROR, errno, "cannot open '%s': %s", TG_VHOST_PATH,
				    g_strerror(errno));
		return -errno;
	}
	return 1;
}

/* The helper's one message: one byte and every descriptor. */
static int receive_fds(int sock, int *fds, unsigned int max)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * (2 * HELPER_MAX_QUEUES + 1))];
		struct cmsghdr align;
	} u;
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c;
	unsigned int n = 0;
	ssize_t r;

	do
		r = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		unsigned int k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (unsigned int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (unsigned int i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (n < max)
				fds[n++] = fd;
			else
				close(fd);
		}
	}
	if (r != 1 || (msg.msg_flags & MSG_CTRUNC))
		return -EPROTO;
	return (int)n;
}

/* One helper call for @n; its own message is its error line. */
static int net_request(const char *helper, RunNet *n, GError **error)
{
	unsigned int queues = MAX(n->queues, 1), want;
	gboolean ask_vhost = FALSE;
	int sv[2], fds[2 * HELPER_MAX_QUEUES + 1], status, got;
	g_autofree char *br = NULL, *fdarg = NULL, *qarg = NULL, *varg = NULL;
	GPtrArray *argv;
	struct ifreq ifr = { 0 };
	pid_t pid;

	if (n->vhost) {
		int r = vhost_open_own(n, queues, error);

		if (r < 0)
			return r;
		ask_vhost = r == 0;
		for (guint i = 0; ask_vhost && i < n->vhostfds->len; i++)
			close(g_array_index(n->vhostfds, int, i));
		if (ask_vhost)
			g_array_set_size(n->vhostfds, 0);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		g_set_error(error, TG_ERROR, errno, "cannot make a socket pair: %s",
			    g_strerror(errno));
		return -errno;
	}
	br = g_strdup_printf("--br=%s", n->target);
	fdarg = g_strdup_printf("--fd=%d", sv[1]);
	argv = g_ptr_array_new();
	g_ptr_array_add(argv, (char *)helper);
	if (n->vnet)
		g_ptr_array_add(argv, "--use-vnet");
	if (n->queues || ask_vhost)
		g_ptr_array_add(argv, qarg = g_strdup_printf("--queues=%u", queues));
	if (ask_vhost)
		g_ptr_array_add(argv, "--vhost");
	if (n->vlan)
		g_ptr_array_add(argv, varg = g_strdup_printf("--vlan=%u", n->vlan));
	g_ptr_array_add(argv, br);
	g_ptr_array_add(argv, fdarg);
	g_ptr_array_add(argv, NULL);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		/* the helper's end survives exec; ours does not (SOCK_CLOEXEC) */
		fcntl(sv[1], F_SETFD, 0);
		execv(helper, (char **)argv->pdata);
		fprintf(stderr, PROG ": cannot run the helper '%s': %s\n", helper, g_strerror(errno));
		_exit(127);
	}
	g_ptr_array_unref(argv);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		g_set_error(error, TG_ERROR, errno, "cannot fork: %s", g_strerror(errno));
		return -errno;
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			close(sv[0]);
			g_set_error(error, TG_ERROR, errno, "cannot wait for the helper '%s': %s",
				    helper, g_strerror(errno));
			return -errno;
		}
	}
	if (WIFSIGNALED(status)) {
		close(sv[0]);
		g_set_error(error, TG_ERROR, EIO, "the helper '%s' was killed by signal %d",
			    helper, WTERMSIG(status));
		return -EIO;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		close(sv[0]);
		return -ECANCELED;	/* it said why */
	}
	/* It has exited: what it sent is in the socket, or it sent nothing. */
	want = ask_vhost ? 2 * queues : queues;
	got = receive_fds(sv[0], fds, G_N_ELEMENTS(fds));
	close(sv[0]);
	if (got >= 0 && (unsigned int)got != want) {
		for (int i = 0; i < got; i++)
			close(fds[i]);
		g_set_error(error, TG_ERROR, EPROTO, "the helper '%s' sent %d descriptor%s for "
			    "'%s' where %u were asked for", helper, got, got == 1 ? "" : "s",
			    n->name, want);
		return -EPROTO;
	}
	if (got < 0) {
		g_set_error(error, TG_ERROR, -got, "the helper '%s' exited without sending a "
			    "descriptor for '%s'", helper, n->name);
		return got;
	}
	g_array_append_vals(n->fds, fds, queues);
	if (ask_vhost)
		g_array_append_vals(n->vhostfds, fds + queues, queues);
	if (ioctl(fds[0], TUNGETIFF, &ifr) < 0) {
		g_set_error(error, TG_ERROR, errno, "the helper's descriptor for '%s' is not a "
			    "tap: %s", n->name, g_strerror(errno));
		return -errno;
	}
	g_strlcpy(n->ifname, ifr.ifr_name, sizeof(n->ifname));
	return 0;
}

static void append_fds(GString *out, GArray *fds, char sep)
{
	for (guint i = 0; i < fds->len; i++)
		g_string_append_printf(out, "%s%d", i ? (char[]){ sep, 0 } : "",
				       g_array_index(fds, int, i));
}

#define PLACEHOLDERS "fd, fds, vhostfd, vhostfds, ifname, queues, vectors; fds and " \
		     "vhostfds also with a ',' after them"

/* {NAME.KEY} -> its value; @text is "NAME.KEY" */
static int placeholder_expand(GPtrArray *nets, const char *text, GString *out, GError **error)
{
	g_autofree char *name = g_strndup(text, strcspn(text, "."));
	const char *key = text + strlen(name) + 1;
	gboolean comma = g_str_has_suffix(key, ",");
	g_autofree char *k = g_strndup(key, strlen(key) - comma);
	RunNet *n = NULL;

	for (guint i = 0; i < nets->len; i++)
		if (!strcmp(((RunNet *)g_ptr_array_index(nets, i))->name, name))
			n = g_ptr_array_index(nets, i);
	if (!n) {
		g_set_error(error, TG_ERROR, EINVAL, "'{%s}': no '--net %s=...' was given", text,
			    name);
		return -EINVAL;
	}
	if (comma && strcmp(k, "fds") && strcmp(k, "vhostfds"))
		goto unknown;
	if (!strcmp(k, "fds")) {
		append_fds(out, n->fds, comma ? ',' : ':');
	} else if (!strcmp(k, "vhostfds") || !strcmp(k, "vhostfd")) {
		if (!n->vhost) {
			g_set_error(error, TG_ERROR, EINVAL, "'{%s}': '--net %s' has no 'vhost=on'",
				    text, name);
			return -EINVAL;
		}
		if (!strcmp(k, "vhostfd") && n->vhostfds->len != 1)
			goto one_queue;
		append_fds(out, n->vhostfds, comma ? ',' : ':');
	} else if (!strcmp(k, "fd")) {
		if (n->fds->len != 1)
			goto one_queue;
		append_fds(out, n->fds, ':');
	} else if (!strcmp(k, "ifname")) {
		g_string_append(out, n->ifname);
	} else if (!strcmp(k, "queues")) {
		g_string_append_printf(out, "%u", n->fds->len);
	} else if (!strcmp(k, "vectors")) {
		/* virtio-net-pci: one vector per queue, plus config and control */
		g_string_append_printf(out, "%u", 2 * n->fds->len + 2);
	} else {
		goto unknown;
	}
	return 0;
one_queue:
	{
		g_autofree char *all = g_strdup_printf("{%s.%ss}", name, k);

		g_set_error(error, TG_ERROR, EINVAL, "'{%s}': '--net %s' has %u queues; use '%s'",
			    text, name, n->fds->len, all);
	}
	return -EINVAL;
unknown:
	g_set_error(error, TG_ERROR, EINVAL, "'{%s}': unknown placeholder (known after '%s.': "
		    PLACEHOLDERS ")", text, name);
	return -EINVAL;
}

/* "{word.word}" or "{word.word,}": a placeholder; any other brace is text. */
static gboolean placeholder_shape(const char *s, size_t len)
{
	g_autofree char *t = g_strndup(s, len);
	char *dot = strchr(t, '.');
	size_t klen;

	if (!dot)
		return FALSE;
	*dot = '\0';
	klen = strlen(dot + 1);
	if (klen && dot[klen] == ',')
		dot[klen--] = '\0';
	if (!net_name_ok(t) || !klen)
		return FALSE;
	for (char *p = dot + 1; *p; p++)
		if (!g_ascii_islower(*p))
			return FALSE;
	return TRUE;
}

/**
 * run_expand() - an argument with its placeholders replaced
 * @nets:	the --net requests, done
 * @arg:	the argument
 * @error:	set when a placeholder names no --net or nothing it has
 *
 * Return: the new string, or NULL with @error set
 */
static char *run_expand(GPtrArray *nets, const char *arg, GError **error)
{
	g_autoptr(GString) out = g_string_new(NULL);
	const char *p = arg;

	while (*p) {
		const char *open = strchr(p, '{'), *close;

		if (!open || !(close = strchr(open, '}'))) {
			g_string_append(out, p);
			break;
		}
		g_string_append_len(out, p, open - p);
		if (!placeholder_shape(open + 1, (size_t)(close - open - 1))) {
			g_string_append_c(out, '{');
			p = open + 1;
			continue;
		}
		{
			g_autofree char *text = g_strndup(open + 1, (size_t)(close - open - 1));

			if (placeholder_expand(nets, text, out, error) < 0)
				return NULL;
		}
		p = close + 1;
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

/* The descriptors the command gets: open across exec. */
static void nets_keep_open(GPtrArray *nets)
{
	for (guint i = 0; i < nets->len; i++) {
		RunNet *n = g_ptr_array_index(nets, i);
		GArray *sets[] = { n->fds, n->vhostfds };

		for (guint s = 0; s < G_N_ELEMENTS(sets); s++)
			for (guint j = 0; j < sets[s]->len; j++)
				fcntl(g_array_index(sets[s], int, j), F_SETFD, 0);
	}
}

/**
 * cmd_run() - 'tapgate run': taps through the helper, then exec the VMM
 * @argc:	argument count ("run" included)
 * @argv:	arguments
 *
 * Return: exit status when COMMAND could not be run (1 for a refused or
 * failed --net, 2 for usage, 126/127 when exec fails); on success it never
 * returns
 */
int cmd_run(int argc, char **argv)
{
	g_autoptr(GPtrArray) nets = g_ptr_array_new_with_free_func(run_net_free);
	g_autoptr(GPtrArray) cmd = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) err = NULL;
	const char *helper = TG_HELPER_PATH;
	int i;

	/* An ignored SIGCHLD, inherited, would make waitpid() fail (ECHILD)
	 * and the helper's exit status unknowable; the VMM gets the default. */
	signal(SIGCHLD, SIG_DFL);

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage();
			return 0;
		}
		if (a[0] != '-')
			break;
		if (g_str_has_prefix(a, "--net=") || g_str_has_prefix(a, "--helper="))
			val = strchr(a, '=') + 1;
		else if ((!strcmp(a, "--net") || !strcmp(a, "--helper")) && i + 1 < argc)
			val = argv[++i];
		else if (!strcmp(a, "--net") || !strcmp(a, "--helper"))
			return usage_error("an option needs a value", "run");
		if (!val) {
			g_autofree char *q = tg_quote(a);
			g_autofree char *m = g_strdup_printf("unknown option '%s'", q);

			return usage_error(m, "run");
		}
		if (g_str_has_prefix(a, "--helper")) {
			helper = val;
		} else if (net_parse(val, nets, &err) < 0) {
			return usage_error(err->message, "run");
		}
	}
	if (i >= argc)
		return usage_error("no COMMAND to run", "run");
	if (!nets->len)
		return usage_error("no '--net NAME=NETWORK' given", "run");
	for (guint k = 0; k < nets->len; k++) {
		int r = net_request(helper, g_ptr_array_index(nets, k), &err);

		if (r == -ECANCELED)
			return 1;
		if (r < 0) {
			fprintf(stderr, PROG ": %s\n", err->message);
			return 1;
		}
	}
	for (; i < argc; i++) {
		char *a = run_expand(nets, argv[i], &err);

		if (!a) {
			fprintf(stderr, PROG ": %s\n", err->message);
			return 1;
		}
		g_ptr_array_add(cmd, a);
	}
	g_ptr_array_add(cmd, NULL);
	nets_keep_open(nets);
	fflush(NULL);
	execvp(cmd->pdata[0], (char **)cmd->pdata);
	{
		g_autofree char *q = tg_quote(cmd->pdata[0]);
		int e = errno;

		fprintf(stderr, PROG ": cannot run '%s': %s\n", q, g_strerror(e));
		return e == ENOENT ? 127 : 126;
	}
}
