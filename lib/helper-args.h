/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include <glib.h>

/* The command line QEMU and libvirt give a bridge helper. */
typedef struct {
	gboolean use_vnet;
	gboolean help;
	gboolean version;
	char *bridge;	/* a bridge or a network */
	unsigned int vlan;	/* --vlan=ID, or 0 */
	int fd;		/* -1 when not given */
} HelperArgs;

int helper_args_parse(HelperArgs *args, int argc, char *const *argv, GError **error);
void helper_args_clear(HelperArgs *args);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HelperArgs, helper_args_clear)
