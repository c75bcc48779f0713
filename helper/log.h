/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include <syslog.h>

void log_open(const char *ident);
void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
