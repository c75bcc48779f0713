/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Validation of interface names that come from callers or policy files. */
#include <net/if.h>
#include <string.h>

#include "ifname.h"
#include "tg-util.h"

/**
 * ifname_validate() - check a network interface name before any use
 * @name:	the name as given
 * @what:	what it names, for the message ("bridge name")
 * @error:	set on failure
 *
 * The length check comes before anything else looks at the name: truncating a
 * long name to IFNAMSIZ is how qemu-bridge-helper's ACL was bypassed
 * (CVE-2019-13164). The character set is stricter than the kernel's so that
 * names are also safe in paths, logs and shell scripts.
 *
 * Return: 0, or -EINVAL / -ENAMETOOLONG with @error set
 */
int ifname_validate(const char *name, const char *what, GError **error)
{
	g_autofree char *q = NULL;
	size_t len, i;

	if (!name || !*name) {
		g_set_error(error, TG_ERROR, EINVAL, "%s is empty", what);
		return -EINVAL;
	}
	len = strnlen(name, IFNAMSIZ);
	q = tg_quote(name);
	if (len >= IFNAMSIZ) {
		g_set_error(error, TG_ERROR, ENAMETOOLONG,
			    "%s '%s' is too long (at most %d characters)", what, q,
			    IFNAMSIZ - 1);
		return -ENAMETOOLONG;
	}
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (g_ascii_isalnum(c) || c == '_' || c == '-' || c == '.')
			continue;
		g_set_error(error, TG_ERROR, EINVAL,
			    "%s '%s' may contain only letters, digits, '_', '-' and '.'",
			    what, q);
		return -EINVAL;
	}
	if (name[0] == '-' || !strcmp(name, ".") || !strcmp(name, "..")) {
		g_set_error(error, TG_ERROR, EINVAL, "%s '%s' is not a valid interface name",
			    what, q);
		return -EINVAL;
	}
	return 0;
}
