/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Persistent taps, made and changed by name for 'tapgate apply' (root). */
#pragma once
#include <sys/types.h>
#include <glib.h>

/* The marker apply puts on the taps it makes: "tapgate: [tap NAME]". */
#define TAP_PERSIST_ALIAS_FMT "tapgate: [tap %s]"

int tap_persist_create(const char *name, gboolean multi_queue, uid_t owner, gid_t group);
int tap_persist_set_owner(const char *name, gboolean multi_queue, uid_t owner, gid_t group);
int tap_persist_delete(const char *name, gboolean multi_queue);
char *tap_persist_alias(const char *name);
