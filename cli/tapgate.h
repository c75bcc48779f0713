/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The tapgate command: one function per subcommand. */
#pragma once
#include <glib.h>

int usage_error(const char *message, const char *command);
int fail(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
int cmd_apply(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_xml(int argc, char **argv);
int cmd_mac(int argc, char **argv);
int cmd_port(int argc, char **argv);
int cmd_run(int argc, char **argv);
