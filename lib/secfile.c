/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading configuration that a privileged program may trust. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secfile.h"
#include "tg-util.h"

/**
 * secfile_read() - read a whole file that only root can have written
 * @path:	absolute path fixed at build time or named in another trusted file
 * @contents:	set to the NUL-terminated contents
 * @len:	set to the length without the NUL
 * @error:	set on failure, with the path in the message
 *
 * The last component must not be a symlink (O_NOFOLLOW), the file must be a
 * regular file owned by root and writable by nobody else. The checks run on
 * the opened fd, so nothing can be swapped between check and read.
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
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int err = errno;

		if (err == ELOOP)
			g_set_error(error, TG_ERROR, err, "%s: is a symbolic link", path);
		else
			g_set_error(error, TG_ERROR, err, "%s: %s", path, g_strerror(err));
		return -err;
	}
	if (fstat(fd, &st) < 0) {
		int err = errno;

		g_set_error(error, TG_ERROR, err, "%s: %s", path, g_strerror(err));
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

			g_set_error(error, TG_ERROR, err, "%s: %s", path, g_strerror(err));
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
