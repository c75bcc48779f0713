/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include <glib.h>

/* The kernel's MAX_TAP_QUEUES: more is never a valid request. */
#define HELPER_MAX_QUEUES 256

/* The command line QEMU and libvirt give a bridge helper, and tapgate run's. */
typedef struct {
	gboolean use_vnet;
	gboolean help;
	gboolean version;
	char *bridge;	/* a bridge or a network */
	unsigned int vlan;	/* --vlan=ID, or 0 */
	unsigned int queues;	/* --queues=N: N descriptors of one multiqueue tap; 0 not given */
	gboolean vhost;		/* --vhost: and N of /dev/vhost-net */
	int fd;		/* -1 when not given */
} HelperArgs;

int helper_args_parse(HelperArgs *args, int argc, char *const *argv, GError **error);
void helper_args_clear(HelperArgs *args);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HelperArgs, helper_args_clear)
