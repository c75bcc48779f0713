/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "addr.h"

/**
 * tg_addr_parse() - parse a unicast IPv4 or IPv6 address
 * @s:		the text, e.g. "192.0.2.1" or "2001:db8::1"
 * @addr:	set on success
 *
 * Unspecified, multicast, broadcast, loopback, link-local and IPv4-mapped
 * addresses are refused: none of them can be a VXLAN tunnel endpoint the
 * kernel accepts or another host can reach.
 *
 * Return: 0 or -EINVAL
 */
int tg_addr_parse(const char *s, TgAddr *addr)
{
	static const uint8_t zero[16];

	memset(addr, 0, sizeof(*addr));
	if (inet_pton(AF_INET, s, addr->bytes) == 1) {
		addr->family = AF_INET;
		if (!memcmp(addr->bytes, zero, 4) || addr->bytes[0] >= 224 ||
		    addr->bytes[0] == 127 || (addr->bytes[0] == 169 && addr->bytes[1] == 254))
			return -EINVAL;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr->bytes) == 1) {
		static const uint8_t loopback[16] = { [15] = 1 };
		static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

		addr->family = AF_INET6;
		if (!memcmp(addr->bytes, zero, 16) || addr->bytes[0] == 0xff ||
		    !memcmp(addr->bytes, loopback, 16) || !memcmp(addr->bytes, mapped, 12) ||
		    (addr->bytes[0] == 0xfe && (addr->bytes[1] & 0xc0) == 0x80))
			return -EINVAL;
		return 0;
	}
	return -EINVAL;
}

/**
 * tg_addr_format() - the text form of @addr, in @buf
 *
 * Return: @buf ("-" for no address)
 */
const char *tg_addr_format(const TgAddr *addr, char buf[TG_ADDR_STRLEN])
{
	if (!addr->family || !inet_ntop(addr->family, addr->bytes, buf, TG_ADDR_STRLEN))
		strcpy(buf, "-");
	return buf;
}

/**
 * tg_addr_len() - bytes of @addr's family: 4, 16, or 0 for none
 */
int tg_addr_len(const TgAddr *addr)
{
	return addr->family == AF_INET ? 4 : addr->family == AF_INET6 ? 16 : 0;
}

/**
 * tg_addr_equal() - whether two addresses are the same
 */
int tg_addr_equal(const TgAddr *a, const TgAddr *b)
{
	return a->family == b->family && !memcmp(a->bytes, b->bytes, (size_t)tg_addr_len(a));
}

/**
 * tg_addr_from_raw() - an address from a netlink attribute's payload
 * @family:	AF_INET or AF_INET6
 * @raw:	4 or 16 bytes
 * @len:	their count, checked against @family
 * @addr:	set on success
 *
 * Return: 0 or -EINVAL
 */
int tg_addr_from_raw(int family, const void *raw, int len, TgAddr *addr)
{
	memset(addr, 0, sizeof(*addr));
	if ((family == AF_INET && len != 4) || (family == AF_INET6 && len != 16) ||
	    (family != AF_INET && family != AF_INET6))
		return -EINVAL;
	addr->family = family;
	memcpy(addr->bytes, raw, (size_t)len);
	return 0;
}
