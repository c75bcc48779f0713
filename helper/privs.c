/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Only the capability sets are applied, never the bounding set: we exec
 * nothing, and without CAP_SETPCAP libcap-ng would try, fail, and report it
 * through a blocking syslog() call.
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
#include <unistd.h>
#include <cap-ng.h>

#include "privs.h"

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
	if (capng_get_caps_process() < 0)
		return errno ? -errno : -EIO;
	if (!capng_have_capability(CAPNG_PERMITTED, CAP_NET_ADMIN))
		return -EPERM;
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_ADMIN) < 0)
		return -EIO;
	if (geteuid() != uid || getegid() != gid) {
		if (capng_change_id((int)uid, (int)gid, CAPNG_DROP_SUPP_GRP) < 0)
			return -EPERM;
	} else if (capng_apply(CAPNG_SELECT_CAPS) < 0) {
		return -EPERM;
	}
	return 0;
}

/**
 * privs_drop_all() - give up every capability for good
 *
 * Return: 0 or -EPERM
 */
int privs_drop_all(void)
{
	capng_clear(CAPNG_SELECT_BOTH);
	return capng_apply(CAPNG_SELECT_CAPS) < 0 ? -EPERM : 0;
}
