/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Without libFuzzer: run a fuzz target over files and directories of inputs
 * (the seed corpora and every crash ever found), as a plain regression test. */
#include <stdint.h>
#include <stdio.h>
#include <glib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run(const char *path)
{
	g_autofree char *data = NULL;
	gsize len;

	if (!g_file_get_contents(path, &data, &len, NULL))
		return 0;
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	return 1;
}

int main(int argc, char **argv)
{
	int n = 0;

	for (int i = 1; i < argc; i++) {
		g_autoptr(GDir) dir = g_dir_open(argv[i], 0, NULL);
		const char *name;

		if (!dir) {
			n += run(argv[i]);
			continue;
		}
		while ((name = g_dir_read_name(dir))) {
			g_autofree char *p = g_build_filename(argv[i], name, NULL);

			n += run(p);
		}
	}
	printf("1..1\nok 1 - %d inputs replayed\n", n);
	return n ? 0 : 1;
}
