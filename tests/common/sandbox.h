/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A private world for integration tests: own mount and network namespaces,
 * a writable overlay over /etc (test users, policy files), a tmpfs /dev with
 * a mode-0600 tun node and a /dev/log the test reads. Nothing of the host's
 * network or files is touched.
 */
#pragma once
#include <net/if.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <glib.h>

/* Test users that exist only inside the sandbox's /etc. */
#define SANDBOX_USER_UID 4242		/* "tgtest", groups tgtest, tglab */
#define SANDBOX_USER_GID 4242
#define SANDBOX_LAB_GID 4243
#define SANDBOX_OTHER_UID 4244		/* "tgother", group tgother */

void sandbox_enter(void);
const char *sandbox_env(const char *name);
void sandbox_new_netns(void);
const char *sandbox_dir(void);
void sandbox_sh(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void sandbox_write(const char *path, const char *text, mode_t mode, uid_t owner);
void sandbox_reset_policy(void);
char *sandbox_log_drain(void);
void sandbox_log_fill(void);
char *sandbox_setuid_copy(const char *helper);
GPtrArray *sandbox_links_of_kind(const char *kind);
int sandbox_tap(const char *name, const char *bridge);
int sandbox_apply(const char *args, char **out, char **err);
int sandbox_run_hook(const char *hook, const char *args, const char *xml, char **err);
char *sandbox_domain_xml(const char *metadata);

/* A resource limit (soft and hard) a hostile caller sets before exec. */
typedef struct {
	int resource;		/* RLIMIT_STACK, ... */
	rlim_t value;
} HelperRlimit;

/* The most descriptors a helper_run() keeps: 64 queues and their vhost-net. */
#define HELPER_RUN_MAX_FDS 130

/* Running a bridge helper exactly as QEMU's net_bridge_run_helper() does. */
typedef struct {
	uid_t uid;		/* run as this user (0: stay root) */
	gid_t gid;
	const gid_t *groups;
	size_t n_groups;
	gboolean close_std;	/* exec with fds 0, 1 and 2 closed */
	const char *const *env;	/* the environment, NULL: just PATH */
	gboolean close_peer;	/* the caller hangs up before the fd comes */
	guint kill_after_us;	/* SIGKILL the helper after this long, 0: never */
	const HelperRlimit *rlimit; /* one resource limit to exec it with, or NULL */
} HelperRunOpts;

typedef struct {
	int status;		/* exit status, or 128 + signal */
	char *err;		/* stderr, last newline removed */
	char *out;		/* stdout, likewise */
	int tapfd;		/* the received fd, or -1 (fds[0]) */
	gsize n_bytes;		/* payload bytes received with it */
	int n_fds;		/* fds received */
	int fds[HELPER_RUN_MAX_FDS];	/* all of them, in order (--queues, --vhost) */
	char tapname[IFNAMSIZ];
} HelperRun;

void helper_run(const char *helper, const char *const *args, const HelperRunOpts *opts,
		HelperRun *out);
void helper_run_clear(HelperRun *run);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HelperRun, helper_run_clear)
