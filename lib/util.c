/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Error domain and safe quoting of untrusted strings for messages. */
#include "tg-util.h"

G_DEFINE_QUARK(tapgate-error-quark, tg_error)

/**
 * tg_quote() - copy of an untrusted string that is safe to print
 * @s:	any string, possibly NULL
 *
 * Control characters, quotes, backslashes and bytes above 0x7e are escaped
 * (\xNN), so a caller cannot smuggle terminal escapes or extra log lines into
 * our messages; long strings are cut at 64 bytes and end with "...".
 *
 * Return: newly allocated string
 */
char *tg_quote(const char *s)
{
	GString *out = g_string_new(NULL);
	size_t i;

	if (!s)
		return g_string_free(out, FALSE);
	for (i = 0; s[i] && i < 64; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e || c == '\'' || c == '\\')
			g_string_append_printf(out, "\\x%02x", c);
		else
			g_string_append_c(out, (char)c);
	}
	if (s[i])
		g_string_append(out, "...");
	return g_string_free(out, FALSE);
}

/**
 * tg_parse_uint() - a decimal number and nothing else
 * @s:		the text: digits only (no sign, no space, no suffix)
 * @max:	the largest value accepted
 * @value:	set on success
 *
 * Return: 0, or -EINVAL for anything else or anything above @max
 */
int tg_parse_uint(const char *s, guint64 max, guint64 *value)
{
	char *end = NULL;
	guint64 v;

	if (!s || !g_ascii_isdigit(s[0]))
		return -EINVAL;
	errno = 0;
	v = g_ascii_strtoull(s, &end, 10);
	if (*end || errno || v > max)
		return -EINVAL;
	*value = v;
	return 0;
}
