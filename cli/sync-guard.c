/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What 'tapgate sync --watch' guards between reconcile passes: the managed
 * ports, their own MACs and the guest MACs pinned on them. A guest (or its
 * VMM) can change its tap's MAC through the fd, and taking a MAC pinned on
 * another port replaces that pin with a local entry on its own port. The
 * notifications that say so become reasons for another pass; after the pass
 * each reason is reported once, with what the pass did about it.
 */
#include <stdio.h>
#include <string.h>
#include <net/if.h>

#include "sync-guard.h"

typedef struct {
	int ifindex;
	char tap[IFNAMSIZ];
	char *domain;
	uint8_t mac[6];		/* the tap's own (host-side) MAC */
	gboolean pin;
	uint8_t pinned[6];	/* the guest's MAC, if pinned on this port */
	SyncPortOutcome outcome;	/* of the last pass */
} GuardPort;

/* A reason for a pass. A burst of notifications about one MAC is one
 * reason: the MAC change itself outranks the fdb entries it displaced. */
typedef struct {
	char *key;
	int rank;		/* 2: a port's MAC changed; 1: a pin moved; 0: removed */
	int subject;		/* ifindex that must still be managed to report it */
	int pin_port;		/* ifindex whose pins the outcome is about */
	char *text;
} Reason;

struct SyncGuard {
	GHashTable *ports;	/* ifindex -> GuardPort * */
	GHashTable *pins;	/* MAC text -> GuardPort * (in ports) */
	GPtrArray *reasons;	/* Reason *, in the order they came */
	GHashTable *by_key;	/* Reason.key -> Reason * (in reasons) */
	gboolean lost;		/* notifications were dropped: say so */
};

static void mac_text(const uint8_t m[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void port_free(gpointer data)
{
	GuardPort *p = data;

	g_free(p->domain);
	g_free(p);
}

static void reason_free(gpointer data)
{
	Reason *r = data;

	g_free(r->key);
	g_free(r->text);
	g_free(r);
}

/**
 * sync_guard_new() - an empty guard
 *
 * Return: the guard; free with sync_guard_free()
 */
SyncGuard *sync_guard_new(void)
{
	SyncGuard *g = g_new0(SyncGuard, 1);

	g->ports = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, port_free);
	g->pins = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g->reasons = g_ptr_array_new_with_free_func(reason_free);
	g->by_key = g_hash_table_new(g_str_hash, g_str_equal);
	return g;
}

/** sync_guard_free() - free a guard; NULL is fine */
void sync_guard_free(SyncGuard *g)
{
	if (!g)
		return;
	g_hash_table_unref(g->by_key);
	g_ptr_array_unref(g->reasons);
	g_hash_table_unref(g->pins);
	g_hash_table_unref(g->ports);
	g_free(g);
}

static void forget_port(SyncGuard *g, GuardPort *p)
{
	char m[18];

	mac_text(p->pinned, m);
	if (p->pin && g_hash_table_lookup(g->pins, m) == p)
		g_hash_table_remove(g->pins, m);
	g_hash_table_remove(g->ports, GINT_TO_POINTER(p->ifindex));
}

/** sync_guard_clear() - forget every port, before a pass over every domain */
void sync_guard_clear(SyncGuard *g)
{
	g_hash_table_remove_all(g->pins);
	g_hash_table_remove_all(g->ports);
}

/**
 * sync_guard_forget_domain() - forget the ports of one domain, before a
 * pass over that domain alone
 * @g:		the guard
 * @domain:	the domain's name
 */
void sync_guard_forget_domain(SyncGuard *g, const char *domain)
{
	g_autoptr(GPtrArray) gone = g_ptr_array_new();
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, g->ports);
	while (g_hash_table_iter_next(&it, NULL, &v))
		if (!strcmp(((GuardPort *)v)->domain, domain))
			g_ptr_array_add(gone, v);
	for (guint i = 0; i < gone->len; i++)
		forget_port(g, g_ptr_array_index(gone, i));
}

/**
 * sync_guard_add() - a managed port, as a pass just left it
 * @g:		the guard
 * @domain:	its domain
 * @tap:	the port, as the pass's snapshot saw it (its MAC before the pass)
 * @pinned:	the guest MAC pinned on it, or NULL
 * @outcome:	what the pass did to it
 */
void sync_guard_add(SyncGuard *g, const char *domain, const LinkInfo *tap,
		    const uint8_t *pinned, SyncPortOutcome outcome)
{
	GuardPort *p = g_hash_table_lookup(g->ports, GINT_TO_POINTER(tap->ifindex));
	char m[18];

	if (p)
		forget_port(g, p);
	p = g_new0(GuardPort, 1);
	p->ifindex = tap->ifindex;
	g_strlcpy(p->tap, tap->name, sizeof(p->tap));
	p->domain = g_strdup(domain);
	memcpy(p->mac, tap->mac, 6);
	p->outcome = outcome;
	g_hash_table_insert(g->ports, GINT_TO_POINTER(p->ifindex), p);
	if (!pinned)
		return;
	p->pin = TRUE;
	memcpy(p->pinned, pinned, 6);
	mac_text(pinned, m);
	g_hash_table_insert(g->pins, g_strdup(m), p);
}

static void add_reason(SyncGuard *g, const char *key, int rank, int subject, int pin_port,
		       char *text)
{
	Reason *r = g_hash_table_lookup(g->by_key, key);

	if (r && r->rank >= rank) {
		g_free(text);
		return;
	}
	if (!r) {
		r = g_new0(Reason, 1);
		r->key = g_strdup(key);
		g_ptr_array_add(g->reasons, r);
		g_hash_table_insert(g->by_key, r->key, r);
	}
	g_free(r->text);
	r->rank = rank;
	r->subject = subject;
	r->pin_port = pin_port;
	r->text = text;
}

static void on_link(SyncGuard *g, const NetwatchEvent *ev)
{
	GuardPort *p = g_hash_table_lookup(g->ports, GINT_TO_POINTER(ev->ifindex));
	const GuardPort *owner;
	char m[18];

	if (!p)
		return;
	if (ev->kind == NETWATCH_LINK_GONE) {
		forget_port(g, p);
		return;
	}
	if (!ev->has_mac || !memcmp(ev->mac, p->mac, 6))
		return;
	/* once per change: the pass reads the new MAC afresh anyway */
	memcpy(p->mac, ev->mac, 6);
	mac_text(ev->mac, m);
	owner = g_hash_table_lookup(g->pins, m);
	if (owner && owner != p)
		add_reason(g, m, 2, p->ifindex, owner->ifindex,
			   g_strdup_printf("%s: %s changed its MAC to %s (pinned on %s)",
					   p->domain, p->tap, m, owner->tap));
	else
		add_reason(g, m, 2, p->ifindex, p->ifindex,
			   g_strdup_printf("%s: %s changed its MAC to %s", p->domain, p->tap, m));
}

static void on_fdb(SyncGuard *g, const NetwatchEvent *ev)
{
	const GuardPort *owner;
	char m[18], other[IF_NAMESIZE];

	mac_text(ev->mac, m);
	owner = g_hash_table_lookup(g->pins, m);
	if (!owner)
		return;
	if (ev->kind == NETWATCH_FDB_GONE) {
		if (ev->ifindex == owner->ifindex)
			add_reason(g, m, 0, owner->ifindex, owner->ifindex,
				   g_strdup_printf("%s: the pin of %s on %s was removed",
						   owner->domain, m, owner->tap));
		return;
	}
	/* the pass's own pins, and the hook's */
	if (ev->ifindex == owner->ifindex && ev->pinned)
		return;
	if (ev->ifindex == owner->ifindex)
		add_reason(g, m, 1, owner->ifindex, owner->ifindex,
			   g_strdup_printf("%s: the pin of %s on %s was made a plain entry",
					   owner->domain, m, owner->tap));
	else
		add_reason(g, m, 1, owner->ifindex, owner->ifindex,
			   g_strdup_printf("%s: the pin of %s on %s was taken over by %s",
					   owner->domain, m, owner->tap,
					   if_indextoname((unsigned)ev->ifindex, other) ? other
										 : "another port"));
}

/**
 * sync_guard_event() - take note of one notification (a NetwatchFunc)
 * @ev:		the notification
 * @guard:	the SyncGuard
 *
 * A managed port whose MAC changed, and a pinned MAC whose fdb entry was
 * removed, moved or made a plain entry, are reasons for a pass.
 */
void sync_guard_event(const NetwatchEvent *ev, void *guard)
{
	SyncGuard *g = guard;

	if (ev->kind == NETWATCH_LINK || ev->kind == NETWATCH_LINK_GONE)
		on_link(g, ev);
	else if (ev->has_mac)
		on_fdb(g, ev);
}

/** sync_guard_lost() - notifications were dropped: a pass must check everything */
void sync_guard_lost(SyncGuard *g)
{
	g->lost = TRUE;
}

/** sync_guard_pending() - whether a pass is due */
gboolean sync_guard_pending(const SyncGuard *g)
{
	return g->lost || g->reasons->len > 0;
}

/**
 * sync_guard_take() - the reasons so far, before the pass; none pending after
 * @g:		the guard
 *
 * Return: the reasons, for sync_guard_report() once the pass is over
 */
GPtrArray *sync_guard_take(SyncGuard *g)
{
	GPtrArray *reasons = g_steal_pointer(&g->reasons);

	if (g->lost) {
		Reason *r = g_new0(Reason, 1);

		r->text = g_strdup("missed kernel notifications (too many at once); "
				   "every port was checked");
		g_ptr_array_add(reasons, r);
		g->lost = FALSE;
	}
	g_hash_table_remove_all(g->by_key);
	g->reasons = g_ptr_array_new_with_free_func(reason_free);
	return reasons;
}

static const char *outcome_text(SyncPortOutcome o)
{
	switch (o) {
	case SYNC_PORT_CHANGED:
		return "pins restored";
	case SYNC_PORT_FAILED:
		return "restoring the pins failed (see above)";
	case SYNC_PORT_OK:
		break;
	}
	return "pins in place";
}

/**
 * sync_guard_report() - one line per reason, with what the pass did
 * @g:		the guard, as the pass left it
 * @reasons:	from sync_guard_take() before the pass
 *
 * A reason about a port that is no longer managed (its domain stopped, the
 * NIC was detached: the kernel flushes its pins first) is not reported.
 *
 * Return: the lines, without the program's prefix
 */
GPtrArray *sync_guard_report(SyncGuard *g, GPtrArray *reasons)
{
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < reasons->len; i++) {
		const Reason *r = g_ptr_array_index(reasons, i);
		const GuardPort *p = g_hash_table_lookup(g->ports, GINT_TO_POINTER(r->pin_port));

		if (!r->subject) {
			g_ptr_array_add(lines, g_strdup(r->text));
			continue;
		}
		if (!g_hash_table_contains(g->ports, GINT_TO_POINTER(r->subject)))
			continue;
		g_ptr_array_add(lines, g_strdup_printf("%s; %s", r->text,
						       outcome_text(p ? p->outcome : SYNC_PORT_OK)));
	}
	return lines;
}
