/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Deterministic guest MACs: the same domain and NIC get the same MAC everywhere. */
#include <stdio.h>
#include <string.h>

#include "guestmac.h"

/* QEMU/KVM's prefix, as libvirt and virt-install use. */
static const uint8_t prefix[3] = { 0x52, 0x54, 0x00 };

/**
 * guest_mac() - the MAC of NIC @index of the domain with UUID @uuid
 * @uuid:	the domain's UUID, text; case and dashes do not matter
 * @index:	the NIC's position (0 for the first)
 * @attempt:	0, or the number of earlier candidates that collided
 * @mac:	set to 52:54:00:xx:yy:zz
 *
 * xx:yy:zz are the first three bytes of SHA-256 over the 16 UUID bytes, then
 * @index and @attempt as 32-bit big-endian numbers. Same input, same MAC, on
 * every machine; the prefix makes it unicast and never 0xfe-led (the host
 * side of tapgate's ports).
 *
 * Return: 0, or -EINVAL if @uuid is not a UUID
 */
int guest_mac(const char *uuid, unsigned int index, unsigned int attempt, uint8_t mac[6])
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	uint8_t bytes[16 + 8], digest[32];
	gsize len = sizeof(digest);
	unsigned int n = 0;

	for (const char *p = uuid; *p; p++) {
		if (*p == '-')
			continue;
		if (!g_ascii_isxdigit(*p) || !g_ascii_isxdigit(p[1]) || n == 16)
			return -EINVAL;
		bytes[n++] = (uint8_t)(g_ascii_xdigit_value(*p) << 4 | g_ascii_xdigit_value(p[1]));
		p++;
	}
	if (n != 16)
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		bytes[16 + i] = (uint8_t)(index >> (24 - 8 * i));
		bytes[20 + i] = (uint8_t)(attempt >> (24 - 8 * i));
	}
	g_checksum_update(sum, bytes, sizeof(bytes));
	g_checksum_get_digest(sum, digest, &len);
	memcpy(mac, prefix, 3);
	memcpy(mac + 3, digest, 3);
	return 0;
}

/** mac_format() - "52:54:00:aa:bb:cc", newly allocated */
char *mac_format(const uint8_t mac[6])
{
	return g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
			       mac[4], mac[5]);
}

/**
 * mac_parse() - parse "52:54:00:aa:bb:cc" (either case)
 * @s:		the text
 * @mac:	set on success
 *
 * Return: 0 or -EINVAL
 */
int mac_parse(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	int n = 0;

	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &n) != 6 ||
	    n != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (!g_ascii_isxdigit(s[i * 3]) || !g_ascii_isxdigit(s[i * 3 + 1]))
			return -EINVAL;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}
