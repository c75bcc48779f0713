/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Who may attach ports to which bridge: the model, the parsers, the decision. */
#pragma once

#include <sys/types.h>
#include <glib.h>

typedef enum {
	POLICY_ALLOW,
	POLICY_DENY,
} PolicyEffect;

/* One "allow"/"deny" statement, from either file format. */
typedef struct {
	char *bridge;		/* NULL: every bridge */
	PolicyEffect effect;
	gboolean everyone;	/* matches every caller; else uids/gids */
	GArray *uids;		/* uid_t */
	GArray *gids;		/* gid_t */
	char *origin;		/* "FILE:LINE", for reasons and 'tapgate check' */
} PolicyRule;

typedef struct {
	GPtrArray *rules;	/* PolicyRule * */
	GPtrArray *warnings;	/* char *, "FILE:LINE: text" */
	GPtrArray *sources;	/* char *, every file read, in order */
} Policy;

/* The identity of whoever ran us: real ids, never effective ones. */
typedef struct {
	uid_t uid;
	gid_t gid;
	const gid_t *groups;
	size_t n_groups;
} PolicyCaller;

typedef struct {
	const char *bridge;
} PolicyRequest;

typedef struct {
	gboolean allowed;
	char *reason;		/* always set; for logs and 'tapgate explain' */
} PolicyDecision;

/* What the parsers need from the outside world; tests and fuzzers fake it. */
typedef struct {
	/* read a trusted file: 0, -ENOENT, or -errno with @error set */
	int (*read)(const char *path, char **contents, gsize *len, GError **error);
	/* name to id: 0 or -ENOENT */
	int (*lookup_user)(const char *name, uid_t *uid);
	int (*lookup_group)(const char *name, gid_t *gid);
} PolicyEnv;

/* Nesting limit for QEMU-style "include": deep enough for any real setup. */
#define POLICY_MAX_INCLUDE_DEPTH 8

extern const PolicyEnv policy_env_system;

Policy *policy_new(void);
void policy_free(Policy *policy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Policy, policy_free)

PolicyRule *policy_add_rule(Policy *policy, PolicyEffect effect, const char *bridge,
			    const char *origin);

PolicyDecision policy_decide(const Policy *policy, const PolicyCaller *caller,
			     const PolicyRequest *request);
void policy_decision_clear(PolicyDecision *decision);

int policy_parse_acl(Policy *policy, const PolicyEnv *env, const char *path,
		     const char *text, gsize len, int depth, GError **error);
int policy_parse_keyfile(Policy *policy, const PolicyEnv *env, const char *path,
			 const char *text, gsize len, const char *acl_path, GError **error);
int policy_load(Policy **policy, const PolicyEnv *env, const char *policy_path,
		const char *acl_path, GError **error);
