/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers shared by every tapgate module. */
#pragma once

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <glib.h>

/* strerror(), not g_strerror(): the setuid helper runs in the C locale, where
 * g_strerror() would look for charset.alias and gconv files on every new
 * errno, and the tools print in the user's locale anyway. */
static inline const char *tg_strerror(int err)
{
	return strerror(err);
}

/* One getrandom(); GRand would open and read /dev/urandom to seed itself. */
static inline guint32 tg_random_u32(void)
{
	guint32 v;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
		v = g_random_int();
	return v;
}

/* glib 2.74 has no g_autofd: close an fd when it goes out of scope. */
static inline void tg_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
	*fd = -1;
}
#define tg_autoclose __attribute__((cleanup(tg_closep)))

/* Hand an fd over to someone else; the auto-close variable forgets it. */
static inline int tg_steal_fd(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}

/* Errors of tapgate's library carry errno values as codes. */
#define TG_ERROR (tg_error_quark())
GQuark tg_error_quark(void);

char *tg_quote(const char *s);
int tg_parse_uint(const char *s, guint64 max, guint64 *value);
