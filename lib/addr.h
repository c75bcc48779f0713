/* SPDX-License-Identifier: GPL-2.0-or-later */
/* IP addresses as the policy and netlink carry them (no GIO: the helper
 * must not link it). */
#pragma once
#include <stdint.h>
#include <sys/socket.h>

typedef struct {
	int family;		/* AF_INET, AF_INET6, or 0: none */
	uint8_t bytes[16];	/* network order; 4 used for AF_INET */
} TgAddr;

#define TG_ADDR_STRLEN 46	/* INET6_ADDRSTRLEN */

int tg_addr_parse(const char *s, TgAddr *addr);
const char *tg_addr_format(const TgAddr *addr, char buf[TG_ADDR_STRLEN]);
int tg_addr_len(const TgAddr *addr);
int tg_addr_equal(const TgAddr *a, const TgAddr *b);
int tg_addr_from_raw(int family, const void *raw, int len, TgAddr *addr);
