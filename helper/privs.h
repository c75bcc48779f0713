/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include <sys/types.h>

int privs_keep_net_admin(uid_t uid, gid_t gid);
int privs_drop_all(void);
