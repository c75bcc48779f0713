/* SPDX-License-Identifier: GPL-2.0-or-later */
/* For shell tests: one bridge port's tapgate-relevant state, read over netlink.
 *
 *	port-state PORT MAC  ->  "learning=0 locked=1 isolated=0 pinned=1 vlans=none"
 */
#include <stdio.h>

#include "guestmac.h"
#include "bridge-vlan.h"
#include "fdb.h"
#include "link.h"
#include "netlink.h"
#include "portcfg.h"

int main(int argc, char **argv)
{
	g_autoptr(NlSock) sk = NULL;
	g_autofree char *vlans = NULL;
	PortVlanState st = { 0 };
	gboolean plain = FALSE;
	LinkInfo port;
	uint8_t mac[6];
	VlanSet fdb;

	if (argc != 3 || mac_parse(argv[2], mac) < 0 || tg_nl_open(&sk) < 0 ||
	    link_get(sk, argv[1], &port) < 0 || !port.bridge_port ||
	    fdb_static_vids(sk, port.ifindex, mac, &fdb, &plain) < 0) {
		fprintf(stderr, "usage: port-state PORT MAC (PORT: an existing bridge port)\n");
		return 2;
	}
	bridge_vlan_get(sk, port.ifindex, &st);
	vlans = bridge_vlan_state_describe(&st);
	printf("learning=%d locked=%d isolated=%d pinned=%d vlans=%s\n", port.learning, port.locked,
	       port.isolated, plain || vlan_set_count(&fdb) > 0, vlans);
	return 0;
}
