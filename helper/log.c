/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging to syslog (facility authpriv) without ever blocking. glibc's
 * syslog() blocks while the logger's socket queue is full, and a wedged
 * logger must not hang every VM start: a message that cannot be sent at once
 * is dropped.
 *
 * No timestamp: the syslog daemon (journald, rsyslog) stamps what it
 * receives, and local time would mean reading /etc/localtime on every call,
 * whose exit QEMU waits for.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

static int log_fd = -1;
static const char *log_ident = "tapgate";

/**
 * log_open() - connect to /dev/log, if there is a logger
 * @ident:	the program name put in every message
 */
void log_open(const char *ident)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };

	log_ident = ident;
	log_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (log_fd >= 0 && connect(log_fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(log_fd);
		log_fd = -1;
	}
}

/**
 * log_msg() - send one message, or drop it if that cannot be done at once
 * @priority:	LOG_ERR, LOG_WARNING, LOG_INFO...
 * @fmt:	printf format
 */
void log_msg(int priority, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	if (log_fd < 0)
		return;
	n = snprintf(buf, sizeof(buf), "<%d>%s[%d]: ", LOG_AUTHPRIV | priority, log_ident,
		     (int)getpid());
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	(void)!send(log_fd, buf, strlen(buf), MSG_DONTWAIT | MSG_NOSIGNAL);
}
