/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Who may attach ports to which bridge: the model, the parsers, the decision. */
#pragma once

#include <sys/types.h>
#include <glib.h>

#include "addr.h"
#include "vlan.h"

typedef enum {
	POLICY_ALLOW,
	POLICY_DENY,
} PolicyEffect;

/* One "allow"/"deny" statement, from either file format. */
typedef struct {
	char *target;		/* bridge or network name; NULL: every bridge */
	gboolean network;	/* @target names a [network] */
	PolicyEffect effect;
	gboolean everyone;	/* matches every caller; else uids/gids */
	GArray *uids;		/* uid_t */
	GArray *gids;		/* gid_t */
	VlanSet *vlans;		/* allow rules of [bridge]: VIDs one may ask for */
	char *origin;		/* "FILE:LINE", for reasons and 'tapgate check' */
} PolicyRule;

/* Limits on ports held at once through tapgate; 0: no limit. */
typedef struct {
	unsigned int per_user;
	unsigned int per_group;	/* all ports of callers with this real gid */
	unsigned int total;
} PolicyQuota;

typedef enum {
	PORT_PLAIN,		/* no VLAN configuration */
	PORT_ACCESS,		/* one VID, pvid untagged */
	PORT_TRUNK,		/* tagged VIDs, optionally a native (untagged) one */
} PortMode;

/* The VLAN configuration of one guest port on a vlan-filtering bridge. */
typedef struct {
	PortMode mode;
	unsigned int vid;	/* ACCESS: the VID; TRUNK: the native VID, or 0 */
	VlanSet trunk;		/* TRUNK: every VID on the port, native included */
	gboolean keep_default_vlan;	/* leave the bridge's default_pvid on it */
} PortVlan;

/* Head-end replication lists longer than this want EVPN instead. */
#define VXLAN_MAX_PEERS 64
#define VXLAN_DEFAULT_PORT 4789

/* A network carried between hosts over VXLAN (RFC 7348). */
typedef struct {
	unsigned int vni;	/* 0: the network stays on this host */
	TgAddr local;		/* this host's tunnel endpoint */
	TgAddr peers[VXLAN_MAX_PEERS];	/* static mode: the other endpoints */
	unsigned int n_peers;
	gboolean evpn;		/* FRR's bgpd distributes MACs and endpoints */
	unsigned int port;	/* UDP destination port */
} VxlanConfig;

/* What one helper call may ask for beyond a plain port. */
typedef struct {
	unsigned int max_queues;	/* queues of one multiqueue tap; 0: the default */
	gboolean vhost;			/* the helper may open /dev/vhost-net for callers */
} PolicyQueues;

/* Without 'max-queues', a caller may ask for this many; the kernel's limit
 * is 256 per tap, one SCM_RIGHTS message carries 253 descriptors. */
#define POLICY_DEFAULT_MAX_QUEUES 8
#define POLICY_MAX_QUEUES 64

/* Settings of a [bridge NAME] section. */
typedef struct {
	char *name;
	gboolean managed;	/* tapgate may switch vlan_filtering on */
	gboolean keep_default_vlan;
	PolicyQuota quota;
	PolicyQueues queues;
	char *origin;
} PolicyBridge;

/* A [network NAME] section: what "--br=NAME" means when NAME is a network. */
typedef struct {
	char *name;
	char *bridge;		/* the bridge ports go on (made in sub-interface mode) */
	char *uplink;		/* sub-interface mode: the uplink; else NULL */
	unsigned int uplink_vid;	/* sub-interface mode: the VLAN on the uplink */
	PortVlan vlan;		/* bridge mode: the ports' VLANs */
	VxlanConfig vxlan;
	PolicyQuota quota;
	PolicyQueues queues;
	char *origin;
} PolicyNetwork;

/* A [tap NAME] section: a persistent tap 'tapgate apply' makes for its owner. */
typedef struct {
	char *name;
	gboolean has_user, has_group;	/* at least one: who may open it */
	uid_t user;
	gid_t group;
	char *network;		/* a [network] it is a port of; or: */
	char *bridge;		/* the bridge it is a port of (with @vid) */
	unsigned int vid;	/* with @bridge: an access port of this VLAN; 0 none */
	gboolean has_mac;
	uint8_t mac[6];		/* its own (host side) MAC; else one derived from @name */
	unsigned int mtu;	/* 0: the bridge's */
	gboolean multi_queue;	/* IFF_MULTI_QUEUE: the owner attaches several queues */
	char *origin;
} PolicyTap;

typedef struct {
	GPtrArray *rules;	/* PolicyRule * */
	GPtrArray *bridges;	/* PolicyBridge * */
	GPtrArray *networks;	/* PolicyNetwork * */
	GPtrArray *taps;	/* PolicyTap * */
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
	const char *name;	/* --br: a bridge or a network */
	unsigned int vlan;	/* --vlan, or 0 */
	unsigned int queues;	/* --queues, or 0 (one queue, not multiqueue) */
	gboolean vhost;		/* --vhost: vhost-net descriptors too */
} PolicyRequest;

/* Everything the helper must do for an allowed request, decided up front. */
typedef struct {
	char *name;		/* what was asked for */
	gboolean network;	/* @name is a network */
	char *bridge;		/* the bridge to attach to */
	char *uplink;		/* sub-interface mode: create uplink.VID and @bridge */
	unsigned int uplink_vid;
	PortVlan vlan;
	VxlanConfig vxlan;	/* vni != 0: the network's VXLAN port, made on first use */
	gboolean managed;	/* may switch vlan_filtering on @bridge */
	PolicyQuota quota;
	PolicyQueues queues;	/* max_queues always set */
	char *quota_key;	/* "bridge br0" or "network lan100" */
} PolicyTarget;

typedef struct {
	gboolean allowed;
	char *reason;		/* always set; for logs and 'tapgate explain' */
	PolicyTarget target;	/* set when allowed */
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

PolicyRule *policy_add_rule(Policy *policy, PolicyEffect effect, const char *target,
			    gboolean network, const char *origin);
const PolicyNetwork *policy_find_network(const Policy *policy, const char *name);
const PolicyBridge *policy_find_bridge(const Policy *policy, const char *name);
const PolicyTap *policy_find_tap(const Policy *policy, const char *name);
int policy_tap_port(const Policy *policy, const PolicyTap *tap, const char **bridge,
		    PortVlan *vlan);

char *port_vlan_describe(const PortVlan *vlan);
char *vxlan_config_describe(const VxlanConfig *vx);
PolicyDecision policy_decide(const Policy *policy, const PolicyCaller *caller,
			     const PolicyRequest *request);
void policy_decision_clear(PolicyDecision *decision);

int policy_parse_acl(Policy *policy, const PolicyEnv *env, const char *path,
		     const char *text, gsize len, int depth, GError **error);
int policy_parse_keyfile(Policy *policy, const PolicyEnv *env, const char *path,
			 const char *text, gsize len, const char *acl_path, GError **error);
int policy_load(Policy **policy, const PolicyEnv *env, const char *policy_path,
		const char *acl_path, GError **error);
