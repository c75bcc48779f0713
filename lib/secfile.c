/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading configuration that a privileged program may trust. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secfile.h"
#include "tg-util.h"

/* Only root can change what a trusted file's directory holds (a sticky,
 * world-writable directory such as /tmp lets nobody replace root's files). */
static gboolean dir_trusted(const struct stat *st)
{
	return st->st_uid == 0 && (!(st->st_mode & (S_IWGRP | S_IWOTH)) || (st->st_mode & S_ISVTX));
}

/*
 * Walk @path one component at a time without following symlinks, checking
 * each directory, and open the last component. O_NOFOLLOW alone protects only
 * the last component: a caller-writable directory on the way would let the
 * caller choose which root-owned file we parse.
 */
static int open_trusted(const char *path, GError **error)
{
	g_auto(GStrv) parts = g_strsplit(path, "/", -1);
	tg_autoclose int dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	guint n = g_strv_length(parts), i;
	struct stat st;
	int fd;

	if (dir < 0 || fstat(dir, &st) < 0)
		goto fail_errno;
	if (!dir_trusted(&st))
		goto untrusted_dir;
	for (i = 1; i + 1 < n; i++) {
		int next;

		if (!*parts[i] || !strcmp(parts[i], "."))
			continue;
		next = openat(dir, parts[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && (errno == ENOTDIR || errno == ELOOP)) {
			g_set_error(error, TG_ERROR, ELOOP,
				    "%s: a directory on the way is a symbolic link or not a directory",
				    path);
			return -ELOOP;
		}
		if (next < 0)
			goto fail_errno;
		close(dir);
		dir = next;
		if (fstat(dir, &st) < 0)
			goto fail_errno;
		if (!dir_trusted(&st))
			goto untrusted_dir;
	}
	fd = openat(dir, parts[n - 1], O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && errno == ELOOP) {
		g_set_error(error, TG_ERROR, ELOOP, "%s: is a symbolic link", path);
		return -ELOOP;
	}
	if (fd < 0)
		goto fail_errno;
	return fd;

untrusted_dir:
	g_set_error(error, TG_ERROR, EPERM,
		    "%s: a directory on the way is not owned by root or is writable by others",
		    path);
	return -EPERM;
fail_errno:
	{
		int err = errno;

		g_set_error(error, TG_ERROR, err, "%s: %s", path, tg_strerror(err));
		return -err;
	}
}

/**
 * secfile_read() - read a whole file that only root can have written
 * @path:	absolute path fixed at build time or named in another trusted file
 * @contents:	set to the NUL-terminated contents
 * @len:	set to the length without the NUL
 * @error:	set on failure, with the path in the message
 *
 * No component of the path may be a symlink, every directory on the way must
 * be root's and not writable by others (unless sticky), and the file must be
 * a regular file owned by root and writable by nobody else. The checks run on
 * the opened fds, so nothing can be swapped between check and read.
 *
 * Return: 0, -ENOENT when the file does not exist, or another -errno
 */
int secfile_read(const char *path, char **contents, gsize *len, GError **error)
{
	tg_autoclose int fd = -1;
	g_autofree char *buf = NULL;
	struct stat st;
	gsize have = 0;

	if (path[0] != '/') {
		g_set_error(error, TG_ERROR, EINVAL, "%s: not an absolute path", path);
		return -EINVAL;
	}
	fd = open_trusted(path, error);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		int err = errno;

		g_set_error(error, TG_ERROR, err, "%s: %s", path, tg_strerror(err));
		return -err;
	}
	if (!S_ISREG(st.st_mode)) {
		g_set_error(error, TG_ERROR, EINVAL, "%s: not a regular file", path);
		return -EINVAL;
	}
	if (st.st_uid != 0) {
		g_set_error(error, TG_ERROR, EPERM, "%s: not owned by root", path);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		g_set_error(error, TG_ERROR, EPERM, "%s: writable by group or others", path);
		return -EPERM;
	}
	if (st.st_size > SECFILE_MAX_SIZE) {
		g_set_error(error, TG_ERROR, EFBIG, "%s: larger than %d bytes", path,
			    SECFILE_MAX_SIZE);
		return -EFBIG;
	}
	buf = g_malloc((gsize)st.st_size + 1);
	for (;;) {
		ssize_t n = read(fd, buf + have, (gsize)st.st_size - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;

			g_set_error(error, TG_ERROR, err, "%s: %s", path, tg_strerror(err));
			return -err;
		}
		if (n == 0 || (have += (gsize)n) == (gsize)st.st_size)
			break;
	}
	buf[have] = '\0';
	if (memchr(buf, '\0', have)) {
		g_set_error(error, TG_ERROR, EINVAL, "%s: contains a NUL byte", path);
		return -EINVAL;
	}
	*len = have;
	*contents = g_steal_pointer(&buf);
	return 0;
}
