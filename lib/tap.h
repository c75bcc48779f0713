/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include <net/if.h>
#include <sys/types.h>
#include <glib.h>

/* How many names tap_create() tries before giving up. */
#define TAP_NAME_TRIES 64

int tap_open_node(const char *path);
void tap_name_candidate(uid_t uid, unsigned int n, char name[IFNAMSIZ]);
int tap_create(int fd, uid_t uid, gboolean vnet_hdr, gboolean multi_queue,
	       char name[IFNAMSIZ], gboolean *vnet_hdr_on);
int tap_attach_queue(int fd, const char *name, gboolean vnet_hdr);
int tap_ifindex(int sock, const char *name);
int tap_set_owner(int fd, uid_t uid, gid_t gid);
