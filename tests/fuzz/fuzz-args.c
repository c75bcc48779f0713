/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The helper's command line: NUL-separated arguments. */
#include <stdint.h>
#include <string.h>

#include "helper-args.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) err = NULL;
	g_auto(HelperArgs) args;
	size_t start = 0;

	g_ptr_array_add(argv, g_strdup("tapgate-helper"));
	for (size_t i = 0; i <= size && argv->len < 64; i++)
		if (i == size || data[i] == '\0') {
			g_ptr_array_add(argv, g_strndup((const char *)data + start, i - start));
			start = i + 1;
		}
	if (helper_args_parse(&args, (int)argv->len, (char *const *)argv->pdata, &err) < 0) {
		g_assert(err && *err->message);
		return 0;
	}
	/* Whatever parses must be safe to use as an interface name and fd. */
	if (!args.help && !args.version) {
		g_assert(args.bridge && strlen(args.bridge) < 16 && !strchr(args.bridge, '/'));
		g_assert(args.fd > 2);
	}
	return 0;
}
