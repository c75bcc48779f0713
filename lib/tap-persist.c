/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Persistent taps, as 'ip tuntap' makes them: a tap attached to a
 * /dev/net/tun descriptor just long enough to give it its owner and group
 * and make it persistent; it stays when the descriptor is closed, and its
 * owner attaches to it later by name. Only 'tapgate apply' (root) does
 * this; the setuid helper never links this file.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/if_tun.h>
#include <net/if.h>

#include "config.h"
#include "tap-persist.h"
#include "tg-util.h"

/* An fd attached to tap @name: a new one with @excl, else the existing one
 * (root may attach to any tap; the flags must match its multi-queue one). */
static int attach(const char *name, gboolean multi_queue, gboolean excl)
{
	struct ifreq ifr = { 0 };
	int fd = open(TG_TUN_PATH, O_RDWR | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	/* ifr_flags is a short; IFF_TUN_EXCL (0x8000) is its sign bit. */
	ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | (multi_queue ? IFF_MULTI_QUEUE : 0) |
				(excl ? IFF_TUN_EXCL : 0));
	g_strlcpy(ifr.ifr_name, name, IFNAMSIZ);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

static int set_owner(int fd, uid_t owner, gid_t group)
{
	if ((owner != (uid_t)-1 && ioctl(fd, TUNSETOWNER, (unsigned long)owner) < 0) ||
	    (group != (gid_t)-1 && ioctl(fd, TUNSETGROUP, (unsigned long)group) < 0))
		return -errno;
	return 0;
}

/**
 * tap_persist_create() - make a persistent tap, failing if the name is taken
 * @name:	its name
 * @multi_queue: IFF_MULTI_QUEUE: its owner may attach several queues
 * @owner:	the uid that may attach to it, or (uid_t)-1
 * @group:	the gid whose members may, or (gid_t)-1 (with both, the kernel
 *		wants both to match)
 *
 * Return: 0, -EBUSY if a device of that name exists, or -errno (a tap made
 * half-way is removed again)
 */
int tap_persist_create(const char *name, gboolean multi_queue, uid_t owner, gid_t group)
{
	/* == ip tuntap add dev NAME mode tap [user UID] [group GID] [multi_queue] */
	tg_autoclose int fd = attach(name, multi_queue, TRUE);
	int r;

	if (fd < 0)
		return fd;
	r = set_owner(fd, owner, group);
	if (r == 0 && ioctl(fd, TUNSETPERSIST, 1UL) < 0)
		r = -errno;
	return r;	/* on failure, the close removes it: it is not persistent */
}

/**
 * tap_persist_set_owner() - give an existing persistent tap its owner and group
 * @name:	the tap
 * @multi_queue: its IFF_MULTI_QUEUE flag (attaching needs the same)
 * @owner:	the uid to set, or (uid_t)-1 to leave it
 * @group:	the gid to set, or (gid_t)-1 to leave it
 *
 * The kernel cannot unset an owner or a group: that takes a new tap.
 *
 * Return: 0, -EBUSY if a process holds a single-queue tap, or -errno
 */
int tap_persist_set_owner(const char *name, gboolean multi_queue, uid_t owner, gid_t group)
{
	/* == ip tuntap add dev NAME mode tap user UID group GID, for a tap that exists */
	tg_autoclose int fd = attach(name, multi_queue, FALSE);

	return fd < 0 ? fd : set_owner(fd, owner, group);
}

/**
 * tap_persist_delete() - delete a persistent tap nobody holds
 * @name:	the tap
 * @multi_queue: its IFF_MULTI_QUEUE flag
 *
 * It goes when the descriptor that made it not persistent closes: a
 * single-queue tap a process holds cannot be attached to (-EBUSY), and is
 * left alone.
 *
 * Return: 0, -EBUSY, or -errno
 */
int tap_persist_delete(const char *name, gboolean multi_queue)
{
	/* == ip tuntap del dev NAME mode tap [multi_queue] */
	tg_autoclose int fd = attach(name, multi_queue, FALSE);

	if (fd < 0)
		return fd;
	return ioctl(fd, TUNSETPERSIST, 0UL) < 0 ? -errno : 0;
}

/**
 * tap_persist_alias() - the ifalias that marks a tap 'tapgate apply' made
 * @name:	the tap
 *
 * Return: "tapgate: [tap NAME]", newly allocated
 */
char *tap_persist_alias(const char *name)
{
	return g_strdup_printf(TAP_PERSIST_ALIAS_FMT, name);
}
