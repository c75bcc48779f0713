/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tapgate-hook: libvirt's qemu and network hook.
 *
 * Installed as /etc/libvirt/hooks/qemu.d/tapgate and network.d/tapgate, run
 * by libvirtd as "HOOK NAME OP SUBOP EXTRA" with the domain (or <hookData>)
 * XML on stdin. On "qemu start begin" the taps exist and are ports of their
 * bridges; we give each one tapgate metadata describes its VLANs, MAC pinning
 * and isolation, and fail the start (exit 1, one line on stderr, which virsh
 * shows) if that cannot be done. Interfaces without tapgate metadata are
 * left alone.
 *
 * Never call back into libvirt from here: a hook that does deadlocks. What
 * the qemu hook needs to know about networks (their portgroup mapping, each
 * port's portgroup) is cached by the network hook under /run/tapgate.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "netlink.h"
#include "netprep.h"
#include "portcfg.h"
#include "portxml.h"
#include "tg-util.h"

#define PROG "tapgate-hook"

typedef struct {
	gboolean qemu;		/* else the network driver */
	gboolean dry_run;	/* print what would be done; touch nothing */
	const char *state_dir;
	const char *object, *op, *subop;
	char *xml;
	gsize len;
} Hook;

static void G_GNUC_PRINTF(1, 2) die(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	/* Straight out: what is still allocated on the way belongs to a process
	 * that ends now (and exit handlers would only list it as leaked). */
	fflush(stderr);
	_exit(1);
}

static int G_GNUC_PRINTF(2, 3) fail(GError **error, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(error, TG_ERROR, EINVAL, msg);
	return -1;
}

/* Names that become file names under the state directory. */
static gboolean safe_name(const char *s)
{
	if (!s || !*s || strlen(s) > 128 || s[0] == '.')
		return FALSE;
	for (; *s; s++)
		if (!g_ascii_isalnum(*s) && !strchr("_-.:", *s))
			return FALSE;
	return TRUE;
}

static char *state_path(const Hook *h, const char *dir, const char *name, const char *ext)
{
	return g_strdup_printf("%s/%s/%s%s", h->state_dir, dir, name, ext);
}

/* Replace a state file atomically; the directories are root's. */
static int state_write(const Hook *h, const char *dir, const char *name, const char *ext,
		       const char *text, gsize len, GError **error)
{
	g_autofree char *d = g_build_filename(h->state_dir, dir, NULL);
	g_autofree char *path = state_path(h, dir, name, ext);

	if ((mkdir(h->state_dir, 0755) < 0 && errno != EEXIST) ||
	    (mkdir(d, 0755) < 0 && errno != EEXIST)) {
		g_set_error(error, TG_ERROR, errno, "cannot create '%s': %s", d, g_strerror(errno));
		return -errno;
	}
	return g_file_set_contents_full(path, text, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT,
					0644, error) ? 0 : -EIO;
}

static void state_remove(const Hook *h, const char *dir, const char *name, const char *ext)
{
	g_autofree char *path = state_path(h, dir, name, ext);

	if (unlink(path) < 0 && errno != ENOENT)
		fprintf(stderr, PROG ": cannot remove '%s': %s\n", path, g_strerror(errno));
}

/* The cached network (*net NULL if none): 0, or -1 with @error set. */
static int network_cached(const Hook *h, const char *name, NetworkXml **net, GError **error)
{
	g_autofree char *path = NULL, *text = NULL;
	g_autoptr(GError) err = NULL;
	gsize len;

	*net = NULL;
	if (!safe_name(name))
		return 0;
	path = state_path(h, "networks", name, ".xml");
	if (!g_file_get_contents(path, &text, &len, NULL))
		return 0;
	if (network_xml_parse(text, len, net, &err) < 0)
		return fail(error, "cached network '%s': %s", name, err->message);
	return 0;
}

/* A network port's portgroup, as the port-created hook recorded it. */
static char *port_group_cached(const Hook *h, const char *portid)
{
	g_autofree char *path = NULL, *text = NULL;

	if (!safe_name(portid))
		return NULL;
	path = state_path(h, "netports", portid, "");
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return NULL;
	g_strstrip(text);
	return *text ? g_steal_pointer(&text) : NULL;
}

/* What tapgate wants for one interface: 1, or 0 to leave it alone, or -1. */
static int port_wanted(const Hook *h, DomainPort *p, PortConfig *cfg, GError **error)
{
	g_autoptr(NetworkXml) net = NULL;
	g_autoptr(GError) err = NULL;
	g_autofree char *group = NULL;

	if (p->configured) {
		*cfg = p->cfg;
		return 1;
	}
	if (!p->network)
		return 0;
	if (network_cached(h, p->network, &net, error) < 0)
		return -1;
	group = p->portgroup ? g_strdup(p->portgroup) : port_group_cached(h, p->portid);
	if (!net && group && !p->portgroup)
		/* port-created accepted this port against tapgate metadata we no
		 * longer have: refuse rather than start it unwired. */
		return fail(error, "domain '%s': interface %s: network '%s' lost its tapgate "
			    "cache; restart the network", h->object, p->mac, p->network);
	if (!net)
		return 0;
	if (network_port_config(net, group, p, cfg, &err) < 0)
		return fail(error, "domain '%s': interface %s: %s", h->object, p->mac, err->message);
	if (net->has_metadata && p->libvirt_isolated)
		cfg->isolated = TRUE;
	return net->has_metadata;
}

/*
 * A port on a network of the policy (network="NAME"): the network's bridge
 * and VXLAN port, made or checked, and the port's VLANs from the policy.
 * At prepare, before libvirt makes the tap, so that the bridge exists and
 * has its tunnel's MTU; again at start and reconnect, which heals drift.
 */
static int port_network(const Hook *h, struct nl_sock *sk, Policy **policy, const char *dom,
			const DomainPort *p, PortConfig *cfg, GError **error)
{
	g_autoptr(GError) err = NULL;
	const PolicyNetwork *n;

	if (port_network_resolve(h->dry_run ? NULL : sk, policy, p->bridge, cfg, &n, &err) < 0)
		return fail(error, "domain '%s': interface %s: %s", dom, p->mac, err->message);
	if (h->dry_run) {
		g_autofree char *vx = vxlan_config_describe(&n->vxlan);

		printf("network %s: bridge %s%s%s\n", n->name, n->bridge,
		       n->vxlan.vni ? ", VXLAN " : "", n->vxlan.vni ? vx : "");
	}
	return 0;
}

/* qemu prepare begin (no taps yet): the networks' bridges and tunnels;
 * qemu start begin / reconnect begin: wire every configured port too, from
 * one snapshot of their bridges, sending only what differs. */
static int qemu_apply(const Hook *h, gboolean prepare, GError **error)
{
	g_autoptr(DomainXml) dom = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(NlSock) sk = NULL;
	g_autoptr(Policy) policy = NULL;
	g_autoptr(PortSnapshot) snap = NULL;
	g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) bridges = g_ptr_array_new();
	g_autoptr(GArray) cfgs = g_array_new(FALSE, FALSE, sizeof(PortConfig));
	g_autoptr(GPtrArray) ports = g_ptr_array_new();
	int r = 0;

	if (domain_xml_parse(h->xml, h->len, &dom, &err) < 0)
		return fail(error, "domain '%s': %s", h->object, err->message);
	if (!h->dry_run && tg_nl_open(&sk) < 0)
		return fail(error, "cannot open a netlink socket");
	for (guint i = 0; i < dom->ports->len; i++) {
		DomainPort *p = g_ptr_array_index(dom->ports, i);
		PortConfig cfg;
		int want;

		if (!p->mac || (want = port_wanted(h, p, &cfg, error)) == 0)
			continue;
		if (want < 0)
			return -1;
		if (*cfg.network && port_network(h, sk, &policy, dom->name, p, &cfg, error) < 0)
			return -1;
		if (prepare)
			continue;
		if (!p->tap)
			return fail(error, "domain '%s': interface %s has tapgate metadata but no tap "
				    "(<target dev>)", dom->name, p->mac);
		if (p->bridge) {
			g_strlcpy(cfg.bridge, p->bridge, sizeof(cfg.bridge));
			g_ptr_array_add(bridges, p->bridge);
		}
		g_ptr_array_add(ports, p);
		g_array_append_val(cfgs, cfg);
	}
	g_ptr_array_add(bridges, NULL);
	/* Without a snapshot each port reads its own state: correct, dearer. */
	if (sk && ports->len &&
	    port_snapshot_take_bridges(sk, (const char *const *)bridges->pdata, &snap) < 0)
		snap = NULL;
	if (snap) {
		g_autofree const char **taps = g_new(const char *, ports->len);

		for (guint i = 0; i < ports->len; i++)
			taps[i] = ((const DomainPort *)g_ptr_array_index(ports, i))->tap;
		/* unread pins: each port reads its own */
		port_snapshot_add_pins(snap, taps, (const PortConfig *)cfgs->data, ports->len);
	}
	for (guint i = 0; i < ports->len && r == 0; i++) {
		const DomainPort *p = g_ptr_array_index(ports, i);
		const PortConfig *cfg = &g_array_index(cfgs, PortConfig, i);
		/* a tap not on its bridge gets the per-port path, and its message */
		const PortSnapshot *use = snap && g_hash_table_contains(snap->names, p->tap) ? snap : NULL;

		if (h->dry_run) {
			g_autofree char *desc = port_config_describe(cfg);

			printf("%s %s: %s\n", p->tap, p->mac, desc);
		} else if (port_reconcile(sk, use, p->tap, cfg, changes, &err) < 0) {
			r = fail(error, "domain '%s': interface %s (%s): %s", dom->name, p->mac, p->tap,
				 err->message);
		}
	}
	/* What changed is reported even when a later port failed. */
	for (guint i = 0; i < changes->len; i++)
		fprintf(stderr, PROG ": %s: %s\n", dom->name, (char *)g_ptr_array_index(changes, i));
	return r;
}

/* network started/updated begin: remember what the qemu hook will need. */
static int network_cache(const Hook *h, GError **error)
{
	g_autoptr(NetworkXml) net = NULL;
	g_autoptr(GError) err = NULL;

	if (network_xml_parse(h->xml, h->len, &net, &err) < 0)
		return fail(error, "network '%s': %s", h->object, err->message);
	if (!safe_name(net->name))
		return fail(error, "network name '%s' cannot be cached", net->name);
	if (h->dry_run) {
		printf("network %s: %s\n", net->name,
		       net->has_metadata ? "cache its tapgate portgroups" : "no tapgate metadata");
		return 0;
	}
	if (!net->has_metadata) {
		state_remove(h, "networks", net->name, ".xml");
		return 0;
	}
	if (state_write(h, "networks", net->name, ".xml", h->xml, h->len, &err) < 0)
		return fail(error, "network '%s': %s", net->name, err->message);
	return 0;
}

static int cmp_str(const void *a, const void *b, void *data)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* network port-created begin: refuse a portgroup tapgate cannot wire, early. */
static int network_port_created(const Hook *h, GError **error)
{
	g_autoptr(NetworkXml) net = NULL;
	g_autoptr(GError) err = NULL;
	const char *group;

	if (network_xml_parse(h->xml, h->len, &net, &err) < 0)
		return fail(error, "network '%s': %s", h->object, err->message);
	/* The live network XML is the freshest mapping (metadata can change on a
	 * running network without any hook): keep the cache in step with it. */
	if (net->has_metadata && !h->dry_run && safe_name(net->name) &&
	    state_write(h, "networks", net->name, ".xml", h->xml, h->len, &err) < 0)
		return fail(error, "network '%s': %s", net->name, err->message);
	if (!net->has_metadata) {
		/* The hook input carries no metadata: use what network started cached. */
		g_autoptr(NetworkXml) cached = NULL;

		if (network_cached(h, net->name, &cached, error) < 0)
			return -1;
		if (!cached || !cached->has_metadata)
			return 0;
		g_hash_table_unref(net->portgroups);
		net->portgroups = g_hash_table_ref(cached->portgroups);
		g_free(net->default_portgroup);
		net->default_portgroup = g_strdup(cached->default_portgroup);
	}
	group = net->port_group ? net->port_group : net->default_portgroup;
	/* "port 52:54:00:aa:bb:12 of domain 'vm1'": whose start or hot-plug fails */
	g_autofree char *who = net->port_owner ?
		g_strdup_printf("%s of domain '%s'", net->port_mac, net->port_owner) :
		g_strdup(net->port_mac);

	if (net->port_vlan)
		return fail(error, "network '%s': port %s asks for VLAN %u, which libvirt cannot put "
			    "on a Linux bridge; use a portgroup mapped in the network's tapgate "
			    "metadata", net->name, who, net->port_vlan);
	if (!group || !g_hash_table_contains(net->portgroups, group)) {
		g_autofree const char **names =
			(const char **)g_hash_table_get_keys_as_array(net->portgroups, NULL);
		g_autofree char *known = NULL;

		g_qsort_with_data(names, (gint)g_hash_table_size(net->portgroups), sizeof(char *),
				  (GCompareDataFunc)cmp_str, NULL);
		known = g_strjoinv(", ", (char **)names);
		return fail(error, "network '%s': port %s: no tapgate portgroup '%s' (the network's "
			    "tapgate metadata maps: %s)", net->name, who,
			    group ? group : "(none)", *known ? known : "none");
	}
	if (h->dry_run) {
		printf("port %s (%s): portgroup %s\n", net->port_uuid, net->port_mac, group);
		return 0;
	}
	/* Keyed by port UUID, never MAC: update-device makes a temporary port
	 * with the live port's MAC. */
	if (!safe_name(net->port_uuid))
		return fail(error, "network '%s': port with no usable UUID", net->name);
	if (state_write(h, "netports", net->port_uuid, "", group, strlen(group), &err) < 0)
		return fail(error, "network '%s': %s", net->name, err->message);
	return 0;
}

/* Clean-ups: libvirt ignores their failure, so they only log. */
static int network_forget(const Hook *h, gboolean port)
{
	g_autoptr(NetworkXml) net = NULL;
	g_autoptr(GError) err = NULL;

	if (network_xml_parse(h->xml, h->len, &net, &err) < 0) {
		fprintf(stderr, PROG ": network '%s': %s\n", h->object, err->message);
		return 0;
	}
	if (h->dry_run)
		printf("forget %s %s\n", port ? "port" : "network", port ? net->port_uuid : net->name);
	else if (port && safe_name(net->port_uuid))
		state_remove(h, "netports", net->port_uuid, "");
	else if (!port && safe_name(net->name))
		state_remove(h, "networks", net->name, ".xml");
	return 0;
}

static char *read_stdin(gsize *len)
{
	GString *s = g_string_new(NULL);
	char buf[65536];
	ssize_t n;

	while ((n = read(0, buf, sizeof(buf))) > 0 && s->len < 16 * 1024 * 1024)
		g_string_append_len(s, buf, n);
	*len = s->len;
	return g_string_free(s, FALSE);
}

static gboolean op_is(const Hook *h, const char *op, const char *subop)
{
	return !strcmp(h->op, op) && !strcmp(h->subop, subop);
}

int main(int argc, char **argv)
{
	g_autofree char *base = g_path_get_basename(argv[0]);
	g_autofree char *dir = g_path_get_dirname(argv[0]);
	g_autofree char *dirbase = g_path_get_basename(dir);
	g_autoptr(GError) err = NULL;
	Hook h = { .state_dir = TG_STATE_DIR };
	int i = 1, r;

	gboolean installed = !strcmp(base, "qemu") || !strcmp(dirbase, "qemu.d") ||
			     !strcmp(base, "network") || !strcmp(dirbase, "network.d");

	h.qemu = !strcmp(base, "qemu") || !strcmp(dirbase, "qemu.d");
	if (!installed && (argc < 2 || (strcmp(argv[1], "--qemu") && strcmp(argv[1], "--network"))))
		die("install me as /etc/libvirt/hooks/qemu.d/tapgate and "
		    "/etc/libvirt/hooks/network.d/tapgate (or pass --qemu or --network)");
	/* Options for tests and by-hand use only: where libvirt runs us, argv[1]
	 * is a domain or network name, which may well start with "--". */
	for (; !installed && i < argc && g_str_has_prefix(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--qemu"))
			h.qemu = TRUE;
		else if (!strcmp(argv[i], "--network"))
			h.qemu = FALSE;
		else if (!strcmp(argv[i], "--dry-run"))
			h.dry_run = TRUE;
		else if (g_str_has_prefix(argv[i], "--state-dir="))
			h.state_dir = argv[i] + strlen("--state-dir=");
		else
			die("unknown option '%s'", argv[i]);
	}
	if (argc - i < 3)
		die("usage: " PROG " [--qemu|--network] [--dry-run] [--state-dir=DIR] NAME OP SUBOP "
		    "[EXTRA] < XML");
	h.object = argv[i];
	h.op = argv[i + 1];
	h.subop = argv[i + 2];
	/* The session daemon runs the same hooks as an ordinary user: there the
	 * bridge helper does the wiring, and we could not anyway. */
	if (!h.dry_run && geteuid() != 0)
		return 0;
	if (h.qemu && !op_is(&h, "prepare", "begin") && !op_is(&h, "start", "begin") &&
	    !op_is(&h, "reconnect", "begin"))
		return 0;
	if (!h.qemu && !op_is(&h, "started", "begin") && !op_is(&h, "updated", "begin") &&
	    !op_is(&h, "port-created", "begin") && !op_is(&h, "port-deleted", "begin") &&
	    !op_is(&h, "stopped", "end"))
		return 0;
	h.xml = read_stdin(&h.len);
	if (h.qemu)
		r = qemu_apply(&h, op_is(&h, "prepare", "begin"), &err);
	else if (op_is(&h, "started", "begin") || op_is(&h, "updated", "begin"))
		r = network_cache(&h, &err);
	else if (op_is(&h, "port-created", "begin"))
		r = network_port_created(&h, &err);
	else
		r = network_forget(&h, op_is(&h, "port-deleted", "begin"));
	g_free(h.xml);
	if (r < 0)
		fprintf(stderr, PROG ": %s\n", err->message);
	return r < 0 ? 1 : 0;
}
