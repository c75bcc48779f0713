/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 'tapgate sync': reconcile every tapgate-managed port of every running
 * domain with its metadata, through the libvirt API. Needed because libvirt
 * runs no hook at all when a bridge interface is hot-plugged. '--watch'
 * stays connected and reconciles as devices are added and domains start,
 * reconnecting when libvirtd restarts; and, following the kernel's link and
 * fdb notifications, when a managed port's MAC changes or a pin is lost.
 * Taps of the helper that their holders made persistent are reported.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "netlink.h"
#include "netprep.h"
#include "netwatch.h"
#include "portxml.h"
#include "sync-guard.h"
#include "tapgate.h"
#include "tg-util.h"
#include "tuninfo.h"

typedef struct {
	struct nl_sock *sk;
	PortSnapshot *snap;	/* the namespace's ports, read once per pass */
	Policy *policy;		/* read on first use, for network="..." ports */
	gboolean dry_run;
	guint domains, ports, changed, failed;
	SyncGuard *guard;	/* --watch: the ports and pins it follows, or NULL */
	struct nl_sock *nl_events;	/* --watch: link and fdb notifications, or NULL */
	GHashTable *warned;	/* "NAME/IFINDEX" of the persistent taps reported */
	gint64 next_pass;	/* --watch: no notified pass before (monotonic us) */
	int timer;		/* --watch: wakes the loop at next_pass, or -1 */
} Sync;

static void quiet_errors(void *data, virErrorPtr err)
{
}

static char *libvirt_error(void)
{
	virErrorPtr e = virGetLastError();

	return g_strdup(e && e->message ? e->message : "unknown libvirt error");
}

/* The portgroup libvirt gave a network port (its <group>), or NULL. */
static char *port_group(virNetworkPtr net, const char *portid)
{
	virNetworkPortPtr port = portid ? virNetworkPortLookupByUUIDString(net, portid) : NULL;
	g_autofree char *xml = port ? virNetworkPortGetXMLDesc(port, 0) : NULL;
	g_autoptr(NetworkXml) parsed = NULL;
	char *group = NULL;

	if (xml && network_xml_parse(xml, strlen(xml), &parsed, NULL) == 0)
		group = g_strdup(parsed->port_group);
	if (port)
		virNetworkPortFree(port);
	return group;
}

static int port_config(virConnectPtr conn, const DomainPort *p, PortConfig *cfg, GError **error)
{
	virNetworkPtr net;
	g_autofree char *xml = NULL, *group = NULL;
	g_autoptr(NetworkXml) parsed = NULL;
	int r;

	if (p->configured) {
		*cfg = p->cfg;
		return 1;
	}
	if (!p->network || !(net = virNetworkLookupByName(conn, p->network)))
		return 0;
	xml = virNetworkGetXMLDesc(net, 0);
	group = p->portgroup ? g_strdup(p->portgroup) : port_group(net, p->portid);
	virNetworkFree(net);
	if (!xml || network_xml_parse(xml, strlen(xml), &parsed, error) < 0)
		return xml ? -EINVAL : 0;
	r = network_port_config(parsed, group, p, cfg, error);
	if (r > 0 && p->libvirt_isolated)
		cfg->isolated = TRUE;
	return r;
}

/* --watch: what the pass saw of a managed port, to notice when it changes. */
static void guard_port(Sync *s, const PortSnapshot *own, const char *domain, const char *tap,
		       const PortConfig *cfg, SyncPortOutcome outcome)
{
	const PortSnapshot *snap = s->snap ? s->snap : own;
	const LinkInfo *li = snap ? g_hash_table_lookup(snap->names, tap) : NULL;

	if (s->guard && li)
		sync_guard_add(s->guard, domain, li, cfg && cfg->pin_mac ? cfg->mac : NULL, outcome);
}

/* One managed port of a domain: what it must be, or why that is not known. */
typedef struct {
	DomainPort *p;
	PortConfig cfg;
	int r;		/* port_config(): 1, or -1 with @err set */
	GError *err;
} SyncPort;

static void sync_port_clear(gpointer data)
{
	g_clear_error(&((SyncPort *)data)->err);
}

static void sync_domain(virConnectPtr conn, virDomainPtr dom, Sync *s)
{
	g_autofree char *xml = virDomainGetXMLDesc(dom, 0);
	g_autoptr(DomainXml) d = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(PortSnapshot) own = NULL;
	g_autoptr(GArray) todo = g_array_new(FALSE, FALSE, sizeof(SyncPort));
	g_autoptr(GPtrArray) taps = g_ptr_array_new();
	g_autoptr(GArray) cfgs = g_array_new(FALSE, FALSE, sizeof(PortConfig));
	PortSnapshot *snap;
	int r;

	g_array_set_clear_func(todo, sync_port_clear);
	s->domains++;
	if (s->guard)
		sync_guard_forget_domain(s->guard, virDomainGetName(dom));
	/* One event, one domain: a snapshot of its own (a full pass shares one). */
	if (!s->snap && (r = port_snapshot_take(s->sk, &own)) < 0) {
		fprintf(stderr, "tapgate sync: cannot read the bridge ports: %s\n", g_strerror(-r));
		s->failed++;
		return;
	}
	if (!xml || domain_xml_parse(xml, strlen(xml), &d, &err) < 0) {
		g_autofree char *why = err ? g_strdup(err->message) : libvirt_error();

		fprintf(stderr, "tapgate sync: domain '%s': %s\n", virDomainGetName(dom), why);
		s->failed++;
		return;
	}
	snap = s->snap ? s->snap : own;
	/* What each managed port must be, then the pins of them all in one
	 * batch, then each port compared and changed where it differs. */
	for (guint i = 0; i < d->ports->len; i++) {
		DomainPort *p = g_ptr_array_index(d->ports, i);
		SyncPort sp = { .p = p };

		if (!p->mac || !p->tap)
			continue;
		sp.r = port_config(conn, p, &sp.cfg, &sp.err);
		if (sp.r == 0)
			continue;
		/* a network of the policy: its VLANs, bridge and tunnel */
		if (sp.r > 0 && *sp.cfg.network &&
		    port_network_resolve(s->dry_run ? NULL : s->sk, &s->policy, p->bridge, &sp.cfg,
					 NULL, &sp.err) < 0)
			sp.r = -1;
		if (sp.r > 0 && p->bridge)
			g_strlcpy(sp.cfg.bridge, p->bridge, sizeof(sp.cfg.bridge));
		g_array_append_val(todo, sp);
		if (sp.r > 0) {
			g_ptr_array_add(taps, p->tap);
			g_array_append_val(cfgs, sp.cfg);
		}
	}
	/* pins not read here: each port reads its own */
	port_snapshot_add_pins(snap, (const char *const *)taps->pdata, (const PortConfig *)cfgs->data,
			       cfgs->len);
	for (guint i = 0; i < todo->len; i++) {
		SyncPort *sp = &g_array_index(todo, SyncPort, i);
		g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func(g_free);

		s->ports++;
		/* A dry run compares with the snapshot and sends nothing. */
		if (sp->r < 0 || port_reconcile(s->dry_run ? NULL : s->sk, snap, sp->p->tap, &sp->cfg,
						changes, &sp->err) < 0) {
			fprintf(stderr, "tapgate sync: domain '%s': interface %s (%s): %s\n", d->name,
				sp->p->mac, sp->p->tap, sp->err->message);
			s->failed++;
			guard_port(s, own, d->name, sp->p->tap, sp->r > 0 ? &sp->cfg : NULL,
				   SYNC_PORT_FAILED);
			continue;
		}
		for (guint j = 0; j < changes->len; j++)
			printf("%s: %s\n", d->name, (char *)g_ptr_array_index(changes, j));
		s->changed += changes->len > 0;
		guard_port(s, own, d->name, sp->p->tap, &sp->cfg,
			   changes->len ? SYNC_PORT_CHANGED : SYNC_PORT_OK);
	}
	/* read afresh for the next domain: --watch runs for months */
	g_clear_pointer(&s->policy, policy_free);
	fflush(stdout);
}

/* The helper never makes a tap persistent; its holder can (TUNSETPERSIST
 * needs no capability). Such a tap outlives its VM: say so, once per tap,
 * and leave it (its VM may still run). */
static void warn_stray_taps(Sync *s)
{
	g_autoptr(GArray) taps = NULL;
	/* the pass's snapshot has every link: no dump of their own */
	int r = s->snap ? (taps = tuninfo_from_links(s->snap->links), 0) : tuninfo_dump(s->sk, &taps);

	if (r < 0) {
		fprintf(stderr, "tapgate sync: cannot read the taps: %s\n", g_strerror(-r));
		return;
	}
	for (guint i = 0; i < taps->len; i++) {
		const TunInfo *t = &g_array_index(taps, TunInfo, i);
		g_autofree char *key = g_strdup_printf("%s/%d", t->name, t->ifindex);
		g_autofree char *q = NULL, *d = NULL;

		if (!tuninfo_is_stray_helper_tap(t) || g_hash_table_contains(s->warned, key))
			continue;
		q = tg_quote(t->name);
		d = tuninfo_describe(t);
		fprintf(stderr, "tapgate sync: tap '%s' (%s) was made persistent by its holder and "
			"will outlive its VM; once the VM is gone, remove it with 'ip tuntap del "
			"dev %s mode tap'\n", q, d, q);
		g_hash_table_add(s->warned, g_steal_pointer(&key));
	}
}

static int sync_all(virConnectPtr conn, Sync *s)
{
	virDomainPtr *doms = NULL;
	int n = virConnectListAllDomains(conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE), count = n;

	if (n < 0)
		return -EIO;
	if (s->guard)
		sync_guard_clear(s->guard);
	/* Three dumps for the whole pass, however many ports. */
	if ((n = port_snapshot_take(s->sk, &s->snap)) < 0) {
		fprintf(stderr, "tapgate sync: cannot read the bridge ports: %s\n", g_strerror(-n));
		s->failed++;
		s->snap = NULL;
	}
	warn_stray_taps(s);
	for (int i = 0; i < count; i++) {
		sync_domain(conn, doms[i], s);
		virDomainFree(doms[i]);
	}
	g_clear_pointer(&s->snap, port_snapshot_free);
	free(doms);
	return 0;
}

static int on_device_added(virConnectPtr conn, virDomainPtr dom, const char *alias, void *data)
{
	sync_domain(conn, dom, data);
	return 0;
}

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *data)
{
	if (event == VIR_DOMAIN_EVENT_STARTED || event == VIR_DOMAIN_EVENT_RESUMED)
		sync_domain(conn, dom, data);
	return 0;
}

/* The notification socket is readable: note what matters, act after the
 * loop iteration (watch_once()), so a burst costs one pass. */
static void on_netlink(int watch, int fd, int events, void *data)
{
	Sync *s = data;
	int r = netwatch_read(s->nl_events, sync_guard_event, s->guard);

	if (r == -ENOBUFS)
		sync_guard_lost(s->guard);
}

/* A full pass for what the notifications said, then one line per reason.
 * A guest can make notifications as fast as it likes (MAC changes, a flood
 * of learned addresses): after a pass of D ms the next notified one waits D
 * ms, so passes take at most half the time, and the first comes at once. */
static void guarded_pass(virConnectPtr conn, Sync *s)
{
	g_autoptr(GPtrArray) reasons = NULL;
	g_autoptr(GPtrArray) lines = NULL;
	gint64 start = g_get_monotonic_time();
	int r;

	if (start < s->next_pass) {
		if (s->timer >= 0)
			virEventUpdateTimeout(s->timer, (int)((s->next_pass - start + 999) / 1000));
		return;
	}
	reasons = s->guard ? sync_guard_take(s->guard) : NULL;
	r = sync_all(conn, s);
	s->next_pass = 2 * g_get_monotonic_time() - start;
	if (r < 0 || !reasons)
		return;
	lines = sync_guard_report(s->guard, reasons);
	for (guint i = 0; i < lines->len; i++)
		printf("tapgate sync: %s\n", (char *)g_ptr_array_index(lines, i));
	fflush(stdout);
}

static void on_close(virConnectPtr conn, int reason, void *data)
{
	*(gboolean *)data = TRUE;
}

static void on_timer(int timer, void *data)
{
	virEventUpdateTimeout(timer, -1);	/* once; the loop then runs the pass */
}

/* Connected, reconcile, then follow events until the connection drops. */
static void watch_once(const char *uri, Sync *s)
{
	gboolean closed = FALSE;
	virConnectPtr conn = virConnectOpen(uri);
	int added, life;

	if (!conn)
		return;
	virConnectSetKeepAlive(conn, 5, 3);
	virConnectRegisterCloseCallback(conn, on_close, &closed, NULL);
	/* libvirt's API casts each callback to one generic type; going through
	 * void (*)(void) says so to compilers that check casts (clang 19). */
	added = virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_DEVICE_ADDED,
						 VIR_DOMAIN_EVENT_CALLBACK((void (*)(void))on_device_added),
						 s, NULL);
	life = virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
						VIR_DOMAIN_EVENT_CALLBACK((void (*)(void))on_lifecycle),
						s, NULL);
	{
		g_autofree char *u = virConnectGetURI(conn);

		printf("tapgate sync: watching %s\n", u ? u : "libvirt");
		fflush(stdout);
	}
	/* what came while disconnected is covered by this first pass */
	if (s->nl_events)
		on_netlink(0, -1, 0, s);
	guarded_pass(conn, s);
	while (!closed && virEventRunDefaultImpl() == 0)
		if (s->guard && sync_guard_pending(s->guard))
			guarded_pass(conn, s);
	if (added >= 0)
		virConnectDomainEventDeregisterAny(conn, added);
	if (life >= 0)
		virConnectDomainEventDeregisterAny(conn, life);
	virConnectUnregisterCloseCallback(conn, on_close);
	virConnectClose(conn);
	printf("tapgate sync: lost the connection to libvirt; reconnecting\n");
	fflush(stdout);
}

/** cmd_sync() - 'tapgate sync [--connect URI] [--watch] [--dry-run]' */
int cmd_sync(int argc, char **argv)
{
	static char *opt_uri;
	static gboolean opt_watch, opt_dry;
	const GOptionEntry entries[] = {
		{ "connect", 'c', 0, G_OPTION_ARG_STRING, &opt_uri, "libvirt URI", "URI" },
		{ "watch", 'w', 0, G_OPTION_ARG_NONE, &opt_watch,
		  "Keep running: reconcile when devices are added or domains start", NULL },
		{ "dry-run", 'n', 0, G_OPTION_ARG_NONE, &opt_dry,
		  "Show what each port should be; change nothing", NULL },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- reconcile tapgate-managed ports");
	g_autoptr(GError) err = NULL;
	g_autoptr(NlSock) sk = NULL, events = NULL;
	g_autoptr(SyncGuard) guard = NULL;
	g_autoptr(GHashTable) warned = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	Sync s = { .dry_run = FALSE, .warned = warned, .timer = -1 };
	virConnectPtr conn;
	int r;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || argc > 1)
		return usage_error(err ? err->message : "unexpected argument", "sync");
	s.dry_run = opt_dry;
	if (!opt_dry && geteuid() != 0) {
		fprintf(stderr, "tapgate sync: changing bridge ports needs root (or --dry-run)\n");
		return 1;
	}
	/* --dry-run reads the kernel too (the taps), which needs no privileges */
	if ((r = tg_nl_open(&sk)) < 0) {
		fprintf(stderr, "tapgate sync: cannot open a netlink socket: %s\n", g_strerror(-r));
		return 1;
	}
	s.sk = sk;
	virSetErrorFunc(NULL, quiet_errors);
	if (opt_watch) {
		if (virEventRegisterDefaultImpl() < 0) {
			fprintf(stderr, "tapgate sync: cannot set up libvirt events\n");
			return 1;
		}
		/* Nothing to put back in a dry run: libvirt's events only. */
		if (!opt_dry && (r = netwatch_open(&events)) < 0) {
			fprintf(stderr, "tapgate sync: cannot follow the kernel's link and fdb "
				"changes: %s\n", g_strerror(-r));
			return 1;
		}
		if (events) {
			s.guard = guard = sync_guard_new();
			s.nl_events = events;
			if (virEventAddHandle(nl_socket_get_fd(events), VIR_EVENT_HANDLE_READABLE,
					      on_netlink, &s, NULL) < 0 ||
			    (s.timer = virEventAddTimeout(-1, on_timer, &s, NULL)) < 0) {
				fprintf(stderr, "tapgate sync: cannot set up libvirt events\n");
				return 1;
			}
		}
		for (;;) {
			watch_once(opt_uri, &s);
			sleep(2);
		}
	}
	conn = virConnectOpen(opt_uri);
	if (!conn) {
		g_autofree char *why = libvirt_error();

		fprintf(stderr, "tapgate sync: cannot connect to libvirt: %s\n", why);
		return 1;
	}
	if (sync_all(conn, &s) < 0) {
		g_autofree char *why = libvirt_error();

		fprintf(stderr, "tapgate sync: cannot list domains: %s\n", why);
		virConnectClose(conn);
		return 1;
	}
	virConnectClose(conn);
	printf("tapgate sync: %u running domain%s, %u managed port%s, %u %s, %u failed%s\n",
	       s.domains, s.domains == 1 ? "" : "s", s.ports, s.ports == 1 ? "" : "s", s.changed,
	       opt_dry ? "would change" : "changed", s.failed,
	       opt_dry ? " (dry run: nothing changed)" : "");
	return s.failed ? 1 : 0;
}
