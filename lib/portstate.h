/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include <net/if.h>
#include <sys/types.h>
#include <glib.h>

#include "policy.h"

/* One port handed out by the helper, as the quota state file records it. */
typedef struct {
	char tap[IFNAMSIZ];
	int ifindex;
	uid_t uid;
	gid_t gid;
	char target[64];	/* PolicyTarget.quota_key, ' ' written as ':' */
} PortEntry;

/* Is this port still there? (the tap's name still has this ifindex) */
typedef gboolean (*PortAliveFunc)(const PortEntry *entry, void *data);

/* The open state directory, one target's state locked. */
typedef struct {
	const char *dir;	/* for messages */
	char *key;		/* the target, as the entries write it */
	char *ports, *ports_new, *lock;	/* its files' names in @dir */
	int dirfd;
	int lockfd;
	int appendfd;	/* the ports file, for the one line added after privileges drop */
} PortState;

#define PORTSTATE_INIT { .dirfd = -1, .lockfd = -1, .appendfd = -1 }

/* How long a call waits for the state lock before it gives up. */
#define PORTSTATE_LOCK_WAIT_MS 10000

int portstate_open(const char *dir, const char *key, PortState *st, GError **error);
int portstate_load(PortState *st, GArray **entries, guint *dropped, GError **error);
int portstate_store(PortState *st, const GArray *entries, GError **error);
int portstate_append(PortState *st, const PortEntry *entry);
void portstate_close(PortState *st);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(PortState, portstate_close)
guint portstate_cull(GArray *entries, PortAliveFunc alive, void *data);
int portstate_check(const GArray *entries, const PolicyTarget *target, uid_t uid, gid_t gid,
		    GError **error);
