/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Only the capability sets are changed, never the bounding set: we exec
 * nothing. Straight capget()/capset() rather than libcap-ng, whose
 * constructor and process read cost two /proc reads and a dozen syscalls
 * on every call, for three system calls' worth of work.
 *
 * The helper's privilege timeline:
 *
 *	exec .. policy decision	 root (setuid: all uids root) or file capabilities
 *	open /dev/net/tun	 still as given: the node may be mode 0600
 *	create tap, count quota	 still as given: the caller cannot stop us locked
 *	attach, VLANs, up	 CAP_NET_ADMIN only, as the caller's uid
 *	send the fd		 no capabilities at all, as the caller's uid
 */
#include <errno.h>
#include <grp.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include "privs.h"

/* The effective and permitted sets become @caps; inheritable is emptied. */
static int caps_set(uint64_t caps)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {
		{ .effective = (uint32_t)caps, .permitted = (uint32_t)caps },
		{ .effective = (uint32_t)(caps >> 32), .permitted = (uint32_t)(caps >> 32) },
	};

	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

static int caps_permitted(uint64_t *caps)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { 0 };

	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	*caps = d[0].permitted | (uint64_t)d[1].permitted << 32;
	return 0;
}

/**
 * privs_keep_net_admin() - keep CAP_NET_ADMIN and nothing else
 * @uid:	the caller's real uid, which becomes every uid of ours
 * @gid:	the caller's real gid, likewise; supplementary groups are dropped
 *
 * When we run setuid root, switch to the caller's ids too: what is left to
 * do needs no other privilege, and files we touch then are touched as the
 * caller. With file capabilities we already are the caller.
 *
 * Return: 0, -EPERM if CAP_NET_ADMIN is not ours to keep, or -errno
 */
int privs_keep_net_admin(uid_t uid, gid_t gid)
{
	const uint64_t net_admin = 1ull << CAP_NET_ADMIN;
	uint64_t have = 0;
	int r = caps_permitted(&have);

	if (r < 0)
		return r;
	if (!(have & net_admin))
		return -EPERM;
	if (geteuid() != uid || getegid() != gid) {
		/* keep the permitted set across the uid change; the effective
		 * set is cleared by it and set again below */
		if (prctl(PR_SET_KEEPCAPS, 1) < 0 || setgroups(0, NULL) < 0 ||
		    setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0 ||
		    prctl(PR_SET_KEEPCAPS, 0) < 0)
			return -EPERM;
	}
	return caps_set(net_admin);
}

/** privs_drop_all() - no capabilities left at all */
int privs_drop_all(void)
{
	return caps_set(0) < 0 ? -EPERM : 0;
}
