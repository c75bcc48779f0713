/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include <stdint.h>
#include <glib.h>

int guest_mac(const char *uuid, unsigned int index, unsigned int attempt, uint8_t mac[6]);
char *mac_format(const uint8_t mac[6]);
int mac_parse(const char *s, uint8_t mac[6]);
