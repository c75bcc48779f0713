/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parsing "[--use-vnet] --br=BRIDGE --fd=N" in any order, as QEMU's
 * net_bridge_run_helper() and libvirt's virNetDevBridgeHelper build it, plus
 * "--vlan=ID" from helper="tapgate-helper --vlan=100" in QEMU's -netdev, and
 * tapgate run's "--queues=N" and "--vhost", which change the reply (N tap
 * descriptors, then N vhost-net ones) and so are never sent by QEMU.
 * Pure, so it can be unit-tested and fuzzed on its own.
 */
#include <limits.h>
#include <string.h>

#include "helper-args.h"
#include "ifname.h"
#include "tg-util.h"
#include "vlan.h"

static int parse_queues(const char *s, unsigned int *queues, GError **error)
{
	g_autofree char *q = tg_quote(s);
	guint64 v;

	if (tg_parse_uint(s, HELPER_MAX_QUEUES, &v) < 0 || v < 1) {
		g_set_error(error, TG_ERROR, EINVAL,
			    "'--queues=%s' is not a number from 1 to %d", q, HELPER_MAX_QUEUES);
		return -EINVAL;
	}
	*queues = (unsigned int)v;
	return 0;
}

static int parse_fd(const char *s, int *fd, GError **error)
{
	g_autofree char *q = tg_quote(s);
	guint64 v;

	if (tg_parse_uint(s, INT_MAX, &v) < 0)
		goto bad;
	if (v <= 2) {
		g_set_error(error, TG_ERROR, EINVAL,
			    "'--fd=%s' names standard input, output or error, not a socket", q);
		return -EINVAL;
	}
	*fd = (int)v;
	return 0;
bad:
	g_set_error(error, TG_ERROR, EINVAL, "'--fd=%s' is not a file descriptor number", q);
	return -EINVAL;
}

/**
 * helper_args_parse() - parse the helper's command line
 * @args:	filled in; clear with helper_args_clear() even on failure
 * @argc:	argument count, argv[0] included
 * @argv:	arguments
 * @error:	set to a one-line message on failure
 *
 * --help and --version win over everything else and need nothing more;
 * otherwise --br and --fd are required, each at most once.
 *
 * Return: 0 or -EINVAL
 */
int helper_args_parse(HelperArgs *args, int argc, char *const *argv, GError **error)
{
	int i;

	memset(args, 0, sizeof(*args));
	args->fd = -1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			args->help = TRUE;
		} else if (!strcmp(a, "--version")) {
			args->version = TRUE;
		} else if (!strcmp(a, "--use-vnet")) {
			args->use_vnet = TRUE;
		} else if (g_str_has_prefix(a, "--br=")) {
			if (args->bridge) {
				g_set_error(error, TG_ERROR, EINVAL, "'--br' given twice");
				return -EINVAL;
			}
			args->bridge = g_strdup(a + strlen("--br="));
		} else if (g_str_has_prefix(a, "--vlan=")) {
			g_autoptr(GError) err = NULL;

			if (args->vlan) {
				g_set_error(error, TG_ERROR, EINVAL, "'--vlan' given twice");
				return -EINVAL;
			}
			if (vlan_parse_vid(a + strlen("--vlan="), &args->vlan, &err) < 0) {
				g_set_error(error, TG_ERROR, EINVAL, "'--vlan': %s", err->message);
				return -EINVAL;
			}
		} else if (g_str_has_prefix(a, "--queues=")) {
			if (args->queues) {
				g_set_error(error, TG_ERROR, EINVAL, "'--queues' given twice");
				return -EINVAL;
			}
			if (parse_queues(a + strlen("--queues="), &args->queues, error) < 0)
				return -EINVAL;
		} else if (!strcmp(a, "--vhost")) {
			if (args->vhost) {
				g_set_error(error, TG_ERROR, EINVAL, "'--vhost' given twice");
				return -EINVAL;
			}
			args->vhost = TRUE;
		} else if (g_str_has_prefix(a, "--fd=")) {
			if (args->fd >= 0) {
				g_set_error(error, TG_ERROR, EINVAL, "'--fd' given twice");
				return -EINVAL;
			}
			if (parse_fd(a + strlen("--fd="), &args->fd, error) < 0)
				return -EINVAL;
		} else {
			g_autofree char *q = tg_quote(a);

			g_set_error(error, TG_ERROR, EINVAL, "unknown argument '%s'", q);
			return -EINVAL;
		}
	}
	if (args->help || args->version)
		return 0;
	if (!args->bridge) {
		g_set_error(error, TG_ERROR, EINVAL, "missing '--br=BRIDGE'");
		return -EINVAL;
	}
	if (args->fd < 0) {
		g_set_error(error, TG_ERROR, EINVAL, "missing '--fd=N'");
		return -EINVAL;
	}
	if (args->vhost && !args->queues) {
		g_set_error(error, TG_ERROR, EINVAL, "'--vhost' needs '--queues=N'");
		return -EINVAL;
	}
	return ifname_validate(args->bridge, "bridge or network name", error);
}

/** helper_args_clear() - free what helper_args_parse() allocated */
void helper_args_clear(HelperArgs *args)
{
	g_clear_pointer(&args->bridge, g_free);
}
