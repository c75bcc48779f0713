/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which process holds each tap: a tap's fd is an open /dev/net/tun whose
 * /proc/PID/fdinfo names the device ("iff:\tvnet3", Linux 3.15 and later).
 * QEMU, whether libvirt passed it the fd or a helper did, shows its guest in
 * "-name guest=vm1,..." or "-name vm1" on its command line. Without root only
 * the caller's own processes can be read.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "tap-holders.h"
#include "tg-util.h"

/* /dev/net/tun: the misc device 10:200 (Documentation/admin-guide/devices.txt) */
#define TUN_MAJOR 10
#define TUN_MINOR 200

static void holder_free(gpointer p)
{
	TapHolder *h = p;

	g_free(h->comm);
	g_free(h->vm);
	g_free(h);
}

/* QEMU's -name: "guest=vm1,debug-threads=on", or "vm1", or "vm1,process=x". */
static char *vm_name(const char *cmdline, gsize len)
{
	const char *end = cmdline + len;

	for (const char *a = cmdline; a < end; a += strlen(a) + 1) {
		const char *v = a + strlen(a) + 1;

		if (strcmp(a, "-name") || v >= end)
			continue;
		if (g_str_has_prefix(v, "guest="))
			v += strlen("guest=");
		return g_strndup(v, strcspn(v, ","));
	}
	return NULL;
}

static char *read_small(int dir, const char *path, gsize *len)
{
	char buf[4096];
	tg_autoclose int fd = openat(dir, path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	if (len)
		*len = (gsize)n;
	return g_memdup2(buf, (gsize)n + 1);
}

/* The taps one process holds open, added to @by_name. Return: FALSE if
 * its descriptors could not be read (another user's, without root). */
static gboolean scan_process(int proc, const char *pid, GHashTable *by_name)
{
	g_autofree char *fd_dir = g_strdup_printf("%s/fd", pid);
	int dfd = openat(proc, fd_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *e;

	if (!d) {
		int err = dfd >= 0 ? 0 : errno;

		if (dfd >= 0)
			close(dfd);
		return err != EACCES && err != EPERM;	/* a process that just exited is no loss */
	}
	while ((e = readdir(d))) {
		g_autofree char *link = NULL, *info_path = NULL, *info = NULL, *iff = NULL;
		struct stat fst;
		char *line;

		if (e->d_name[0] == '.')
			continue;
		/* The tun device by its number, not by the link's path: that one
		 * depends on the holder's and our roots (a chroot, a container). */
		link = g_strdup_printf("%s/fd/%s", pid, e->d_name);
		if (fstatat(proc, link, &fst, 0) < 0 || !S_ISCHR(fst.st_mode) ||
		    fst.st_rdev != makedev(TUN_MAJOR, TUN_MINOR))
			continue;
		info_path = g_strdup_printf("%s/fdinfo/%s", pid, e->d_name);
		info = read_small(proc, info_path, NULL);
		line = info ? strstr(info, "\niff:\t") : NULL;
		if (!line)
			continue;
		line += strlen("\niff:\t");
		iff = g_strndup(line, strcspn(line, "\n"));
		if (!g_hash_table_contains(by_name, iff)) {
			TapHolder *h = g_new0(TapHolder, 1);
			g_autofree char *comm_path = g_strdup_printf("%s/comm", pid);
			g_autofree char *cmd_path = g_strdup_printf("%s/cmdline", pid);
			g_autofree char *cmdline = NULL;
			struct stat st;
			gsize len = 0;

			h->pid = atoi(pid);
			h->uid = fstatat(proc, pid, &st, 0) == 0 ? st.st_uid : (uid_t)-1;
			h->comm = read_small(proc, comm_path, NULL);
			if (h->comm)
				g_strchomp(h->comm);
			cmdline = read_small(proc, cmd_path, &len);
			h->vm = cmdline ? vm_name(cmdline, len) : NULL;
			g_hash_table_insert(by_name, g_steal_pointer(&iff), h);
		}
	}
	closedir(d);
	return TRUE;
}

/**
 * tap_holders_scan() - the process holding each tap open
 * @by_name:	set to a new table tap name -> TapHolder * (the first process
 *		found for a tap; a multiqueue tap has several fds)
 *
 * Return: 0, 1 if some processes could not be read (without root: their
 * taps are missing from @by_name), or -errno (/proc unreadable)
 */
int tap_holders_scan(GHashTable **by_name)
{
	g_autoptr(GHashTable) t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
							 holder_free);
	tg_autoclose int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	gboolean all = TRUE;
	DIR *d;
	struct dirent *e;

	if (proc < 0)
		return -errno;
	if (!(d = fdopendir(dup(proc))))
		return -errno;
	while ((e = readdir(d)))
		if (g_ascii_isdigit(e->d_name[0]) && !scan_process(proc, e->d_name, t))
			all = FALSE;
	closedir(d);
	*by_name = g_steal_pointer(&t);
	return all ? 0 : 1;
}
