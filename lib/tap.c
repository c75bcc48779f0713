/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Creating the tap device behind a /dev/net/tun file descriptor. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/if_tun.h>

#include "tap.h"
#include "tg-util.h"

/**
 * tap_open_node() - open the tun/tap control node
 * @path:	normally /dev/net/tun, fixed at build time
 *
 * Return: the fd (close-on-exec) or -errno
 */
int tap_open_node(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);

	return fd < 0 ? -errno : fd;
}

/**
 * tap_name_candidate() - the @n-th name to try for a tap of user @uid
 * @uid:	the caller, so "ip link" shows whose port it is
 * @n:		candidate number; only its low 16 bits are used
 * @name:	filled in: "tg<uid>-<hex>", or "tgx<hex>" for very large uids
 *
 * Never "vnet", "macvtap" or "macvlan" (libvirt owns those prefixes), always
 * shorter than IFNAMSIZ.
 */
void tap_name_candidate(uid_t uid, unsigned int n, char name[IFNAMSIZ])
{
	if (uid < 100000000u)
		snprintf(name, IFNAMSIZ, "tg%u-%x", (unsigned)uid, n & 0xffffu);
	else
		snprintf(name, IFNAMSIZ, "tgx%08x", (unsigned)tg_random_u32());
}

/**
 * tap_create() - attach a new, uniquely named tap to an open tun fd
 * @fd:		fd from tap_open_node()
 * @uid:	the caller, for the name
 * @vnet_hdr:	ask for IFF_VNET_HDR (QEMU's --use-vnet), if the kernel has it
 * @multi_queue: IFF_MULTI_QUEUE: more queues may join (tap_attach_queue())
 * @name:	set to the tap's name
 * @vnet_hdr_on: set to whether IFF_VNET_HDR is in effect
 *
 * An explicit name with IFF_TUN_EXCL never reuses an existing device (which
 * could be someone else's persistent tap) and avoids the kernel's "tap%d"
 * scan, whose cost grows with the number of links. The tap is not
 * persistent: it disappears when the last fd to it is closed.
 *
 * Return: 0 or -errno (-EBUSY if every candidate name was taken)
 */
int tap_create(int fd, uid_t uid, gboolean vnet_hdr, gboolean multi_queue,
	       char name[IFNAMSIZ], gboolean *vnet_hdr_on)
{
	unsigned int features = 0, start = tg_random_u32(), i;
	struct ifreq ifr;

	if (ioctl(fd, TUNGETFEATURES, &features) < 0)
		return -errno;
	*vnet_hdr_on = vnet_hdr && (features & IFF_VNET_HDR);
	for (i = 0; i < TAP_NAME_TRIES; i++) {
		memset(&ifr, 0, sizeof(ifr));
		/* ifr_flags is a short; IFF_TUN_EXCL (0x8000) is its sign bit. */
		ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL |
					(*vnet_hdr_on ? IFF_VNET_HDR : 0) |
					(multi_queue ? IFF_MULTI_QUEUE : 0));
		tap_name_candidate(uid, start + i, ifr.ifr_name);
		if (ioctl(fd, TUNSETIFF, &ifr) == 0) {
			g_strlcpy(name, ifr.ifr_name, IFNAMSIZ);
			return 0;
		}
		if (errno != EBUSY && errno != EEXIST)
			return -errno;
	}
	return -EBUSY;
}

/**
 * tap_attach_queue() - attach one more queue of a multiqueue tap to @fd
 * @fd:		a fresh fd from tap_open_node()
 * @name:	the tap, made by tap_create() with @multi_queue, still held
 * @vnet_hdr:	what the first queue has (every queue must agree)
 *
 * Without IFF_TUN_EXCL, TUNSETIFF on an existing name joins it; the caller
 * holds the first queue, so the name cannot have gone to another device.
 *
 * Return: 0 or -errno
 */
int tap_attach_queue(int fd, const char *name, gboolean vnet_hdr)
{
	struct ifreq ifr = { 0 };

	/* == ip tuntap add dev NAME mode tap multi_queue, once more per queue */
	g_strlcpy(ifr.ifr_name, name, IFNAMSIZ);
	ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE |
				(vnet_hdr ? IFF_VNET_HDR : 0));
	return ioctl(fd, TUNSETIFF, &ifr) < 0 ? -errno : 0;
}

/**
 * tap_ifindex() - the index of the tap just made
 * @sock:	any socket (SIOCGIFINDEX is a socket ioctl)
 * @name:	its name
 *
 * One ioctl, where an RTM_GETLINK is a request and two replies.
 *
 * Return: the ifindex or -errno
 */
int tap_ifindex(int sock, const char *name)
{
	struct ifreq ifr = { 0 };

	g_strlcpy(ifr.ifr_name, name, IFNAMSIZ);
	return ioctl(sock, SIOCGIFINDEX, &ifr) < 0 ? -errno : ifr.ifr_ifindex;
}

/**
 * tap_set_owner() - only @uid, in group @gid, may attach to the tap later
 * @fd:		fd the tap is attached to
 * @uid:	its owner
 * @gid:	its group
 *
 * The fd's holder may make the tap persistent (TUNSETPERSIST needs no
 * capability); without an owner, anyone who can open /dev/net/tun could then
 * attach to it by name and use a port the policy never gave them. The kernel
 * lets an owner hand the tap to another uid, as it could hand over the fd.
 *
 * Return: 0 or -errno
 */
int tap_set_owner(int fd, uid_t uid, gid_t gid)
{
	/* == ip tuntap add ... user UID group GID, for a tap that exists */
	if (ioctl(fd, TUNSETOWNER, (unsigned long)uid) < 0 ||
	    ioctl(fd, TUNSETGROUP, (unsigned long)gid) < 0)
		return -errno;
	return 0;
}
