/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include <glib.h>

/* Larger policy files are refused: nobody writes a megabyte of ACL. */
#define SECFILE_MAX_SIZE (1024 * 1024)

int secfile_read(const char *path, char **contents, gsize *len, GError **error);
