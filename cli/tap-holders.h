/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include <sys/types.h>
#include <glib.h>

/* A process that holds a tap open. */
typedef struct {
	pid_t pid;
	uid_t uid;	/* its owner, (uid_t)-1 if unknown */
	char *comm;	/* "qemu-system-x86", or NULL */
	char *vm;	/* QEMU's -name, or NULL */
} TapHolder;

int tap_holders_scan(GHashTable **by_name);
