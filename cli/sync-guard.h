/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include <stdint.h>
#include <glib.h>

#include "link.h"
#include "netwatch.h"

/* What a reconcile pass did to one port. */
typedef enum {
	SYNC_PORT_OK,		/* already right */
	SYNC_PORT_CHANGED,	/* something was put back */
	SYNC_PORT_FAILED,	/* the pass printed why */
} SyncPortOutcome;

typedef struct SyncGuard SyncGuard;

SyncGuard *sync_guard_new(void);
void sync_guard_free(SyncGuard *g);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SyncGuard, sync_guard_free)
void sync_guard_clear(SyncGuard *g);
void sync_guard_forget_domain(SyncGuard *g, const char *domain);
void sync_guard_add(SyncGuard *g, const char *domain, const LinkInfo *tap,
		    const uint8_t *pinned, SyncPortOutcome outcome);
void sync_guard_event(const NetwatchEvent *ev, void *guard);
void sync_guard_lost(SyncGuard *g);
gboolean sync_guard_pending(const SyncGuard *g);
GPtrArray *sync_guard_take(SyncGuard *g);
GPtrArray *sync_guard_report(SyncGuard *g, GPtrArray *reasons);
