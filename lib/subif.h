/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include <glib.h>
#include <netlink/socket.h>

#include "link.h"

int subif_ensure(struct nl_sock *sk, const char *uplink, unsigned int vid, const char *bridge,
		 LinkInfo *br, GError **error);
