/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tapgate: the administrator's and the user's command. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <glib.h>
#include <libxml/xmlerror.h>

#include "config.h"
#include "tapgate.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "apply", cmd_apply, "make the bridges, VLAN filtering and tunnels the policy declares" },
	{ "check", cmd_check, "validate the policy (FILE:LINE errors, warnings, live bridges)" },
	{ "explain", cmd_explain, "dry-run the helper's decision for a user and a bridge" },
	{ "status", cmd_status, "the policy's networks here: ports, VXLAN peers, remote MACs" },
	{ "sync", cmd_sync, "reconcile running domains' ports with their tapgate metadata" },
	{ "xml", cmd_xml, "write libvirt <interface>/<network> XML, or attach a NIC" },
	{ "mac", cmd_mac, "a deterministic, collision-free guest MAC" },
	{ "port", cmd_port, "put an existing tap on a network of the policy, or take it off" },
	{ "run", cmd_run, "get taps through the helper and run a VMM with their descriptors" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: tapgate COMMAND [OPTION...]\n\nCommands:\n");
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'tapgate COMMAND --help' describes each command.\n");
}

/**
 * usage_error() - one line on stderr, exit status 2
 * @message:	what is wrong
 * @command:	the subcommand, for the hint
 *
 * Return: 2
 */
int usage_error(const char *message, const char *command)
{
	fprintf(stderr, "tapgate %s: %s (try 'tapgate %s --help')\n", command, message, command);
	return 2;
}

/**
 * fail() - a failure's one line on stderr, "tapgate: MESSAGE"
 * @fmt:	printf format of MESSAGE
 *
 * Return: 1, the exit status of a failure
 */
int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("tapgate: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static void quiet_libxml(void *ctx, const char *msg, ...)
{
}

int main(int argc, char **argv)
{
	/* Errors come back as values; libxml2 must not print on its own. */
	xmlSetGenericErrorFunc(NULL, quiet_libxml);
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("tapgate " TG_VERSION "\n");
		return 0;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		g_autofree char *prgname = g_strdup_printf("tapgate %s", commands[i].name);

		g_set_prgname(prgname);		/* glib keeps a copy */
		return commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "tapgate: unknown command '%s' (try 'tapgate --help')\n", argv[1]);
	return 2;
}
