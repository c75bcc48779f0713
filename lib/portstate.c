/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Quotas, lxc-user-nic style: for each quota-limited target a root-owned
 * file under /run/tapgate lists the ports the helper handed out on it, one
 * line each (here in network:lan100.ports):
 *
 *	tap=tg1000-1a2b ifindex=12 uid=1000 gid=1000 target=network:lan100
 *
 * The target's lock file (network:lan100.lock) is held (flock) from the
 * count until the new port is written, so concurrent helpers count exactly;
 * calls on other targets never wait for it. Entries whose tap is gone are
 * culled on every call, so the count heals itself after crashes: a tap dies
 * with the last fd to it, whoever held it.
 *
 * The common call appends its one line; the file is rewritten (temporary
 * file + rename, never a torn file) only when culling or a bad line changed
 * it. All of it happens while the helper is root through and through, so
 * its caller cannot stop it with the lock held.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "portstate.h"
#include "tg-util.h"

#define PORTSTATE_MAX (1024 * 1024)

static gboolean owned_by_root_only(const struct stat *st)
{
	return st->st_uid == 0 && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

static int fail(GError **error, int err, const PortState *st, const char *name)
{
	g_set_error(error, TG_ERROR, err, "%s/%s: %s", st->dir, name, tg_strerror(err));
	return -err;
}

/* Open a file of the state directory; it must be root's and not a symlink.
 * Root's alone: anyone who may open the lock could flock() it and hold up
 * every call on the target (a file an older version made 0644 is closed). */
static int open_owned(PortState *st, const char *name, int flags, GError **error)
{
	tg_autoclose int fd = openat(st->dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
	struct stat sb;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0)
		return -errno;
	if (!S_ISREG(sb.st_mode) || !owned_by_root_only(&sb)) {
		g_set_error(error, TG_ERROR, EPERM,
			    "state file '%s/%s' is not root's or is writable by others; remove it",
			    st->dir, name);
		return -EPERM;
	}
	if ((sb.st_mode & 077) && fchmod(fd, 0600) < 0)
		return -errno;
	return tg_steal_fd(&fd);
}

/*
 * Take the lock, waiting at most PORTSTATE_LOCK_WAIT_MS: a blocking flock()
 * (the kernel wakes waiters at once, in turn) that the caller's timer
 * interrupts; a library has no business installing signal handlers, so the
 * helper arms SIGALRM, and an EINTR before the deadline just waits on.
 */
static int lock_bounded(PortState *st, GError **error)
{
	gint64 deadline = g_get_monotonic_time() + PORTSTATE_LOCK_WAIT_MS * 1000;

	while (flock(st->lockfd, LOCK_EX) < 0) {
		if (errno != EINTR)
			return fail(error, errno, st, st->lock);
		if (g_get_monotonic_time() >= deadline) {
			g_set_error(error, TG_ERROR, ETIMEDOUT,
				    "%s/%s: still held by another call after %d s; try again",
				    st->dir, st->lock, PORTSTATE_LOCK_WAIT_MS / 1000);
			return -ETIMEDOUT;
		}
	}
	return 0;
}

/**
 * portstate_open() - open the state directory, creating it if needed, and
 * lock one target's state
 * @dir:	root's directory (normally /run/tapgate)
 * @key:	the target (PolicyTarget.quota_key: "bridge br0")
 * @st:		filled in; release with portstate_close()
 * @error:	set on failure
 *
 * Must run while privileged. The directory must be root's and writable by
 * nobody else, and may not be a symlink. The wait for the lock ends when a
 * signal interrupts it after PORTSTATE_LOCK_WAIT_MS: the caller arms a timer
 * (alarm()) with a handler that does not restart system calls.
 *
 * Return: 0 or -errno
 */
int portstate_open(const char *dir, const char *key, PortState *st, GError **error)
{
	struct stat sb;
	int r;

	st->dir = dir;
	/* policy names are [A-Za-z0-9_.-]: safe as file names once ' ' goes */
	st->key = g_strdelimit(g_strdup(key), " ", ':');
	st->ports = g_strconcat(st->key, ".ports", NULL);
	st->ports_new = g_strconcat(st->key, ".new", NULL);
	st->lock = g_strconcat(st->key, ".lock", NULL);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		int err = errno;

		g_set_error(error, TG_ERROR, err, "cannot create '%s': %s", dir, tg_strerror(err));
		return -err;
	}
	st->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (st->dirfd < 0 && (errno == ENOTDIR || errno == ELOOP)) {
		g_set_error(error, TG_ERROR, ENOTDIR,
			    "'%s' is a symbolic link or not a directory", dir);
		return -ENOTDIR;
	}
	if (st->dirfd < 0 || fstat(st->dirfd, &sb) < 0) {
		int err = errno;

		g_set_error(error, TG_ERROR, err, "cannot open '%s': %s", dir, tg_strerror(err));
		return -err;
	}
	if (!owned_by_root_only(&sb)) {
		g_set_error(error, TG_ERROR, EPERM, "'%s' is not root's or is writable by others",
			    dir);
		return -EPERM;
	}
	r = open_owned(st, st->lock, O_RDWR | O_CREAT, error);
	if (r < 0)
		return error && *error ? r : fail(error, -r, st, st->lock);
	st->lockfd = r;
	return lock_bounded(st, error);
}

static gboolean parse_entry(const char *line, PortEntry *e)
{
	char tap[IFNAMSIZ + 1], target[sizeof(e->target) + 1];
	unsigned int uid, gid;
	int ifindex, n = 0;

	if (sscanf(line, "tap=%16s ifindex=%d uid=%u gid=%u target=%64s%n", tap, &ifindex, &uid,
		   &gid, target, &n) != 5 || line[n] != '\0' || strlen(tap) >= IFNAMSIZ ||
	    strlen(target) >= sizeof(e->target) || ifindex <= 0)
		return FALSE;
	memset(e, 0, sizeof(*e));
	g_strlcpy(e->tap, tap, sizeof(e->tap));
	g_strlcpy(e->target, target, sizeof(e->target));
	e->ifindex = ifindex;
	e->uid = uid;
	e->gid = gid;
	return TRUE;
}

/**
 * portstate_load() - the entries recorded so far
 * @st:		from portstate_open()
 * @entries:	set to a new array of PortEntry
 * @dropped:	set to the number of lines that did not parse: a corrupt or
 *		truncated file heals, its bad lines are dropped, not trusted
 * @error:	set on failure
 *
 * Return: 0 or -errno (-EPERM: the file is not root's)
 */
int portstate_load(PortState *st, GArray **entries, guint *dropped, GError **error)
{
	g_autofree char *buf = NULL;
	g_auto(GStrv) lines = NULL;
	tg_autoclose int fd = -1;
	gsize have = 0;
	ssize_t n;

	*dropped = 0;
	*entries = g_array_new(FALSE, FALSE, sizeof(PortEntry));
	fd = open_owned(st, st->ports, O_RDONLY, error);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return error && *error ? fd : fail(error, -fd, st, st->ports);
	buf = g_malloc(PORTSTATE_MAX + 1);
	while (have < PORTSTATE_MAX && (n = read(fd, buf + have, PORTSTATE_MAX - have)) > 0)
		have += (gsize)n;
	buf[have] = '\0';
	lines = g_strsplit(buf, "\n", -1);
	for (char **l = lines; *l; l++) {
		PortEntry e;

		if (!**l)
			continue;
		if (parse_entry(*l, &e) && !strcmp(e.target, st->key))
			g_array_append_val(*entries, e);
		else
			(*dropped)++;
	}
	return 0;
}

static GString *format_entry(GString *s, const PortEntry *e)
{
	g_string_append_printf(s, "tap=%s ifindex=%d uid=%u gid=%u target=%s\n", e->tap,
			       e->ifindex, (unsigned)e->uid, (unsigned)e->gid, e->target);
	return s;
}

/**
 * portstate_store() - replace the recorded entries, and keep the file open
 * for portstate_append()
 * @st:		from portstate_open(), still privileged
 * @entries:	what to record
 * @error:	set on failure
 *
 * Return: 0 or -errno
 */
int portstate_store(PortState *st, const GArray *entries, GError **error)
{
	g_autoptr(GString) s = g_string_new(NULL);
	tg_autoclose int fd = -1;
	ssize_t n;

	for (guint i = 0; i < entries->len; i++)
		format_entry(s, &g_array_index(entries, PortEntry, i));
	unlinkat(st->dirfd, st->ports_new, 0);
	fd = openat(st->dirfd, st->ports_new,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(error, errno, st, st->ports_new);
	n = write(fd, s->str, s->len);
	if (n < 0 || (gsize)n != s->len)
		return fail(error, n < 0 ? errno : EIO, st, st->ports_new);
	if (renameat(st->dirfd, st->ports_new, st->dirfd, st->ports) < 0)
		return fail(error, errno, st, st->ports);
	tg_closep(&st->appendfd);
	st->appendfd = openat(st->dirfd, st->ports, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (st->appendfd < 0)
		return fail(error, errno, st, st->ports);
	return 0;
}

/**
 * portstate_append() - record one more port with a single write
 * @st:		from portstate_open(), still privileged
 * @entry:	the new port
 *
 * Return: 0 or -errno
 */
int portstate_append(PortState *st, const PortEntry *entry)
{
	g_autoptr(GString) s = format_entry(g_string_new(NULL), entry);
	ssize_t n;

	if (st->appendfd < 0) {	/* not rewritten by portstate_store() */
		int fd = open_owned(st, st->ports, O_WRONLY | O_APPEND | O_CREAT, NULL);

		if (fd < 0)
			return fd;
		st->appendfd = fd;
	}
	n = write(st->appendfd, s->str, s->len);
	if (n < 0)
		return -errno;
	return (gsize)n == s->len ? 0 : -EIO;
}

/** portstate_close() - close everything, which releases the lock */
void portstate_close(PortState *st)
{
	tg_closep(&st->appendfd);
	tg_closep(&st->lockfd);
	tg_closep(&st->dirfd);
	g_clear_pointer(&st->key, g_free);
	g_clear_pointer(&st->ports, g_free);
	g_clear_pointer(&st->ports_new, g_free);
	g_clear_pointer(&st->lock, g_free);
}

/**
 * portstate_cull() - drop the entries of ports that are gone
 * @entries:	the entries
 * @alive:	tells whether an entry's port still exists
 * @data:	passed to @alive
 *
 * Return: how many were dropped
 */
guint portstate_cull(GArray *entries, PortAliveFunc alive, void *data)
{
	guint culled = 0;

	for (guint i = entries->len; i-- > 0;) {
		if (alive(&g_array_index(entries, PortEntry, i), data))
			continue;
		g_array_remove_index(entries, i);
		culled++;
	}
	return culled;
}

/**
 * portstate_check() - may one more port be added under the target's quota?
 * @entries:	the live entries
 * @target:	the decided target, with its quota and quota key
 * @uid:	the caller
 * @gid:	the caller's real gid
 * @error:	set to a message naming the limit when it is reached
 *
 * Return: 0 or -EDQUOT
 */
int portstate_check(const GArray *entries, const PolicyTarget *target, uid_t uid, gid_t gid,
		    GError **error)
{
	const PolicyQuota *q = &target->quota;
	g_autofree char *key = g_strdelimit(g_strdup(target->quota_key), " ", ':');
	unsigned int by_user = 0, by_group = 0, total = 0;
	const char *kind = target->network ? "network" : "bridge";

	for (guint i = 0; i < entries->len; i++) {
		const PortEntry *e = &g_array_index(entries, PortEntry, i);

		if (strcmp(e->target, key))
			continue;
		total++;
		by_user += e->uid == uid;
		by_group += e->gid == gid;
	}
	if (q->per_user && by_user >= q->per_user) {
		g_set_error(error, TG_ERROR, EDQUOT,
			    "quota reached: uid %u already has %u port%s on %s '%s' "
			    "(max-ports-per-user = %u)", (unsigned)uid, by_user,
			    by_user == 1 ? "" : "s", kind, target->name, q->per_user);
		return -EDQUOT;
	}
	if (q->per_group && by_group >= q->per_group) {
		g_set_error(error, TG_ERROR, EDQUOT,
			    "quota reached: group %u already has %u port%s on %s '%s' "
			    "(max-ports-per-group = %u)", (unsigned)gid, by_group,
			    by_group == 1 ? "" : "s", kind, target->name, q->per_group);
		return -EDQUOT;
	}
	if (q->total && total >= q->total) {
		g_set_error(error, TG_ERROR, EDQUOT,
			    "quota reached: %s '%s' already has %u port%s (max-ports = %u)", kind,
			    target->name, total, total == 1 ? "" : "s", q->total);
		return -EDQUOT;
	}
	return 0;
}

