/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Real Ethernet frames through tap fds and packet sockets, for wiring tests. */
#pragma once
#include <glib.h>

/* Frames of ours carry this EtherType (IEEE local experimental) and a text. */
#define FRAME_ETHERTYPE 0x88b5

void frame_send(int fd, gboolean vnet_hdr, const guint8 src[6], unsigned int vlan,
		const char *text);
gboolean frame_wait(int fd, const char *text, int timeout_ms, int *vlan);
int packet_socket(const char *ifname);
