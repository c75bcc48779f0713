/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include <glib.h>

int ifname_validate(const char *name, const char *what, GError **error);
