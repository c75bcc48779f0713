/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The small parsers: VLAN lists and ids, MACs, UUIDs, numbers, interface
 * names, tunnel addresses. */
#include <stdint.h>
#include <string.h>

#include "addr.h"
#include "guestmac.h"
#include "ifname.h"
#include "portcfg.h"
#include "tg-util.h"
#include "vlan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *s = g_strndup((const char *)data, size);
	VlanSet set, again;
	unsigned int vid;
	uint8_t mac[6];
	guint64 v;

	if (vlan_set_parse(&set, s, NULL) == 0) {
		g_autofree char *f = vlan_set_format(&set);

		/* Formatting round-trips. */
		g_assert(vlan_set_parse(&again, f, NULL) == 0 && vlan_set_equal(&set, &again));
		g_assert(!vlan_set_has(&set, 0) && !vlan_set_has(&set, 4095));
	}
	if (vlan_parse_vid(s, &vid, NULL) == 0)
		g_assert(vid >= 1 && vid <= 4094);
	if (mac_parse(s, mac) == 0) {
		g_autofree char *f = mac_format(mac);

		g_assert(!g_ascii_strcasecmp(f, s));
	}
	if (guest_mac(s, 0, 0, mac) == 0)
		g_assert(mac[0] == 0x52 && mac[1] == 0x54 && mac[2] == 0);
	if (tg_parse_uint(s, 4094, &v) == 0)
		g_assert(v <= 4094);
	if (ifname_validate(s, "name", NULL) == 0)
		g_assert(strlen(s) < 16 && !strchr(s, '/') && strcmp(s, ".."));
	{
		TgAddr a, b;
		char f[TG_ADDR_STRLEN];

		/* Formatting round-trips, and no address is unspecified or multicast. */
		if (tg_addr_parse(s, &a) == 0) {
			g_assert(tg_addr_parse(tg_addr_format(&a, f), &b) == 0 && tg_addr_equal(&a, &b));
			g_assert(a.family == AF_INET ? a.bytes[0] < 224 : a.bytes[0] != 0xff);
		}
	}
	g_free(tg_quote(s));
	return 0;
}
