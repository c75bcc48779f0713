/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Data-driven GTest cases: one test per row of a table of structs whose
 * first member is the row's name (const char *). */
#pragma once
#include <glib.h>

static inline void tabletest_add(const char *prefix, const void *rows, gsize n, gsize size,
				 GTestDataFunc func)
{
	for (gsize i = 0; i < n; i++) {
		const void *row = (const char *)rows + i * size;
		g_autofree char *path = g_strdup_printf("%s/%s", prefix, *(const char *const *)row);

		g_test_add_data_func(path, row, func);
	}
}

#define TABLETEST_ADD(prefix, table, func) \
	tabletest_add(prefix, table, G_N_ELEMENTS(table), sizeof((table)[0]), func)
