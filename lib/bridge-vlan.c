/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VLANs on the ports of a vlan-filtering bridge. libnl 3.7 has no helpers
 * for these, so the messages are built as iproute2's bridge/vlan.c builds
 * them: RTM_SETLINK/RTM_DELLINK of family AF_BRIDGE carrying
 * IFLA_AF_SPEC { IFLA_BRIDGE_VLAN_INFO... }, and RTM_GETVLAN dumps to read
 * back one port.
 */
#include <string.h>
#include <linux/if_bridge.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "bridge-vlan.h"
#include "netlink.h"

/**
 * bridge_vlan_expected() - the state a port must end up in
 * @want:	what the policy asked for
 * @default_pvid: the bridge's default_pvid, which the kernel gives every new
 *		port (0: none)
 * @state:	filled in
 */
void bridge_vlan_expected(const PortVlan *want, unsigned int default_pvid,
			  PortVlanState *state)
{
	memset(state, 0, sizeof(*state));
	if (want->mode == PORT_ACCESS) {
		vlan_set_add(&state->vids, want->vid);
		vlan_set_add(&state->untagged, want->vid);
		state->pvid = want->vid;
	} else if (want->mode == PORT_TRUNK) {
		state->vids = want->trunk;
		if (want->vid) {
			vlan_set_add(&state->untagged, want->vid);
			state->pvid = want->vid;
		}
	}
	/* The default VLAN stays only when asked for; the most common VLAN leak
	 * is a guest port that silently stays in VLAN 1. */
	if (default_pvid && want->keep_default_vlan && !vlan_set_has(&state->vids, default_pvid)) {
		vlan_set_add(&state->vids, default_pvid);
		vlan_set_add(&state->untagged, default_pvid);
		if (!state->pvid)
			state->pvid = default_pvid;
	}
}

static int put_vlan_info(NlMsg *msg, unsigned int vid, unsigned int flags)
{
	struct bridge_vlan_info info = { .flags = (uint16_t)flags, .vid = (uint16_t)vid };

	return nla_put(msg, IFLA_BRIDGE_VLAN_INFO, sizeof(info), &info);
}

/* One AF_BRIDGE link message for @ifindex with an IFLA_AF_SPEC nest open. */
static NlMsg *port_msg(int type, int ifindex, struct nlattr **spec)
{
	struct ifinfomsg ifi = { .ifi_family = AF_BRIDGE, .ifi_index = ifindex };
	/* Room for every VID as its own entry (a sparse trunk): 4094 x 8 bytes. */
	NlMsg *msg = nlmsg_alloc_size(64 * 1024);

	if (msg) {
		struct nlmsghdr *nlh = nlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, type, 0, 0);

		if (!nlh)
			g_clear_pointer(&msg, nlmsg_free);
	}

	if (msg && (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
		    !(*spec = nla_nest_start(msg, IFLA_AF_SPEC))))
		g_clear_pointer(&msg, nlmsg_free);
	return msg;
}

/* Tagged VIDs as ranges (RANGE_BEGIN/RANGE_END pairs), untagged ones alone. */
static int put_vids(NlMsg *msg, const PortVlanState *st)
{
	unsigned int v = VLAN_VID_MIN, end;

	while (v <= VLAN_VID_MAX) {
		if (!vlan_set_has(&st->vids, v)) {
			v++;
			continue;
		}
		if (vlan_set_has(&st->untagged, v) || v == st->pvid) {
			unsigned int flags = (vlan_set_has(&st->untagged, v) ?
					      BRIDGE_VLAN_INFO_UNTAGGED : 0) |
					     (v == st->pvid ? BRIDGE_VLAN_INFO_PVID : 0);

			if (put_vlan_info(msg, v, flags) < 0)
				return -ENOMEM;
			v++;
			continue;
		}
		for (end = v; end + 1 <= VLAN_VID_MAX && vlan_set_has(&st->vids, end + 1) &&
			      !vlan_set_has(&st->untagged, end + 1) && end + 1 != st->pvid; end++)
			;
		if (end == v ? put_vlan_info(msg, v, 0) < 0
			     : put_vlan_info(msg, v, BRIDGE_VLAN_INFO_RANGE_BEGIN) < 0 ||
				       put_vlan_info(msg, end, BRIDGE_VLAN_INFO_RANGE_END) < 0)
			return -ENOMEM;
		v = end + 1;
	}
	return 0;
}

/* Send the VIDs of @st in one AF_BRIDGE message of @type. */
static int send_vids(struct nl_sock *sk, int type, int ifindex, const PortVlanState *st)
{
	struct nlattr *spec;
	g_autoptr(NlMsg) msg = port_msg(type, ifindex, &spec);

	if (!msg || put_vids(msg, st) < 0)
		return -ENOMEM;
	nla_nest_end(msg, spec);
	return tg_nl_transact(sk, msg, NULL, NULL);
}

/** bridge_vlan_state_equal() - the same VLANs, untagged ones and PVID? */
gboolean bridge_vlan_state_equal(const PortVlanState *a, const PortVlanState *b)
{
	return vlan_set_equal(&a->vids, &b->vids) && vlan_set_equal(&a->untagged, &b->untagged) &&
	       a->pvid == b->pvid;
}

/* Make the port's VLANs @expect: adds with their flags, deletes of the
 * rest, then a read-back. 1 if something changed, 0 if nothing had to. */
static int set_state(struct nl_sock *sk, int ifindex, const PortVlanState *expect,
		     const PortVlanState *got_in)
{
	PortVlanState got = *got_in, extra = { 0 };
	int r;

	if (bridge_vlan_state_equal(&got, expect))
		return 0;
	for (size_t i = 0; i < G_N_ELEMENTS(extra.vids.bits); i++)
		extra.vids.bits[i] = got.vids.bits[i] & ~expect->vids.bits[i];
	/* == bridge vlan add dev PORT vid V [pvid] [untagged] (ranges for trunks) */
	if (vlan_set_count(&expect->vids) &&
	    (r = send_vids(sk, RTM_SETLINK, ifindex, expect)) < 0)
		return r;
	/* == bridge vlan del dev PORT vid V (the default VLAN, anything else extra) */
	if (vlan_set_count(&extra.vids) && (r = send_vids(sk, RTM_DELLINK, ifindex, &extra)) < 0 &&
	    r != -ENOENT)
		return r;
	r = bridge_vlan_get(sk, ifindex, &got);
	if (r < 0)
		return r;
	if (!bridge_vlan_state_equal(&got, expect))
		return -EPROTO;
	return 1;
}

/**
 * bridge_vlan_reconcile() - make a bridge port's VLANs exactly what the policy says
 * @sk:		rtnetlink socket
 * @ifindex:	the port
 * @want:	access VID, or trunk set and native VID
 * @default_pvid: the bridge's default_pvid (the kernel put it on new ports);
 *		removed unless @want keeps it
 * @known:	the port's VLANs from a dump taken just before, or NULL to read them
 * @before:	if not NULL, set to the port's VLANs as found
 *
 * Reads the port, sends only what differs (adds with their flags, then
 * deletes of the rest), and reads it back: a port whose VLANs are not
 * exactly what was asked for is an error. Doing it twice changes nothing.
 *
 * Return: 1 if something changed, 0 if it already was right, -EPROTO if the
 * read-back differs, or the kernel's -errno
 */
int bridge_vlan_reconcile(struct nl_sock *sk, int ifindex, const PortVlan *want,
			  unsigned int default_pvid, const PortVlanState *known,
			  PortVlanState *before)
{
	PortVlanState expect, got;
	int r;

	bridge_vlan_expected(want, default_pvid, &expect);
	if (known)
		got = *known;
	else if ((r = bridge_vlan_get(sk, ifindex, &got)) < 0)
		return r;
	if (before)
		*before = got;
	return set_state(sk, ifindex, &expect, &got);
}

/**
 * bridge_vlan_set() - give a bridge port exactly these VLANs
 * @sk:		rtnetlink socket
 * @ifindex:	the port
 * @state:	its VLANs, untagged ones and PVID (what bridge_vlan_get() read
 *		earlier, to put a port back as it was)
 *
 * Return: 1 if something changed, 0 if nothing had to, -EPROTO if the
 * read-back differs, or -errno
 */
int bridge_vlan_set(struct nl_sock *sk, int ifindex, const PortVlanState *state)
{
	PortVlanState got;
	int r = bridge_vlan_get(sk, ifindex, &got);

	return r < 0 ? r : set_state(sk, ifindex, state, &got);
}

/**
 * bridge_vlan_add() - add one VLAN to a port, or to the bridge itself
 * @sk:		rtnetlink socket
 * @ifindex:	the port, or the bridge
 * @vid:	the VLAN
 * @pvid_untagged: make it the PVID, egressing untagged
 * @self:	@ifindex is the bridge: its own (host-facing) VLAN
 *
 * Return: 0 or -errno
 */
int bridge_vlan_add(struct nl_sock *sk, int ifindex, unsigned int vid, gboolean pvid_untagged,
		    gboolean self)
{
	/* == bridge vlan add dev X vid V [pvid untagged] [self] */
	struct nlattr *spec;
	g_autoptr(NlMsg) msg = port_msg(RTM_SETLINK, ifindex, &spec);
	unsigned int flags = pvid_untagged ? BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED : 0;

	if (!msg || (self && nla_put_u16(msg, IFLA_BRIDGE_FLAGS, BRIDGE_FLAGS_SELF) < 0) ||
	    put_vlan_info(msg, vid, flags) < 0)
		return -ENOMEM;
	nla_nest_end(msg, spec);
	return tg_nl_transact(sk, msg, NULL, NULL);
}

struct vlan_dump {
	int ifindex;		/* 0: every port, into @all */
	PortVlanState *state;
	GHashTable *all;	/* ifindex -> PortVlanState * */
};

static int parse_vlan_entry(struct nlattr *entry, PortVlanState *st)
{
	struct nlattr *tb[BRIDGE_VLANDB_ENTRY_MAX + 1];
	const struct bridge_vlan_info *info;
	unsigned int v, end;

	if (nla_parse_nested(tb, BRIDGE_VLANDB_ENTRY_MAX, entry, NULL) < 0 ||
	    !tb[BRIDGE_VLANDB_ENTRY_INFO] ||
	    nla_len(tb[BRIDGE_VLANDB_ENTRY_INFO]) < (int)sizeof(*info))
		return -EBADMSG;
	info = nla_data(tb[BRIDGE_VLANDB_ENTRY_INFO]);
	end = tb[BRIDGE_VLANDB_ENTRY_RANGE] ? nla_get_u16(tb[BRIDGE_VLANDB_ENTRY_RANGE])
					     : info->vid;
	if (info->vid < VLAN_VID_MIN || end > VLAN_VID_MAX || end < info->vid)
		return -EBADMSG;
	for (v = info->vid; v <= end; v++) {
		vlan_set_add(&st->vids, v);
		if (info->flags & BRIDGE_VLAN_INFO_UNTAGGED)
			vlan_set_add(&st->untagged, v);
	}
	if (info->flags & BRIDGE_VLAN_INFO_PVID)
		st->pvid = info->vid;
	return 0;
}

static int parse_vlan_msg(struct nl_msg *msg, void *data)
{
	struct vlan_dump *d = data;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	const struct br_vlan_msg *bvm;
	struct nlattr *a;
	int rem, r;

	if (nlh->nlmsg_type != RTM_NEWVLAN || nlmsg_datalen(nlh) < (int)sizeof(*bvm))
		return 0;
	PortVlanState *st;

	bvm = nlmsg_data(nlh);
	if (d->all) {
		st = g_hash_table_lookup(d->all, GINT_TO_POINTER(bvm->ifindex));
		if (!st) {
			st = g_new0(PortVlanState, 1);
			g_hash_table_insert(d->all, GINT_TO_POINTER(bvm->ifindex), st);
		}
	} else if ((int)bvm->ifindex == d->ifindex) {
		st = d->state;
	} else {
		return 0;
	}
	nla_for_each_attr(a, nlmsg_attrdata(nlh, sizeof(*bvm)), nlmsg_attrlen(nlh, sizeof(*bvm)),
			  rem) {
		if (nla_type(a) != BRIDGE_VLANDB_ENTRY)
			continue;
		r = parse_vlan_entry(a, st);
		if (r < 0)
			return r;
	}
	return 0;
}

/**
 * bridge_vlan_get() - the VLANs of one bridge port
 * @sk:		rtnetlink socket
 * @ifindex:	the port
 * @state:	filled in
 *
 * An RTM_GETVLAN dump filtered to this one port: its cost does not grow with
 * the number of ports on the bridge.
 *
 * Return: 0 or -errno
 */
int bridge_vlan_get(struct nl_sock *sk, int ifindex, PortVlanState *state)
{
	/* == bridge vlan show dev PORT */
	struct br_vlan_msg bvm = { .family = AF_BRIDGE, .ifindex = (uint32_t)ifindex };
	struct vlan_dump d = { .ifindex = ifindex, .state = state };

	memset(state, 0, sizeof(*state));
	return tg_nl_dump(sk, RTM_GETVLAN, &bvm, sizeof(bvm), parse_vlan_msg, &d);
}

/**
 * bridge_vlan_state_describe() - a port's VLANs in words: "100 pvid untagged", "none"
 * @st:	the state
 *
 * Return: newly allocated string
 */
char *bridge_vlan_state_describe(const PortVlanState *st)
{
	g_autofree char *vids = vlan_set_format(&st->vids);
	g_autofree char *untagged = vlan_set_format(&st->untagged);

	if (!*vids)
		return g_strdup("none");
	return g_strdup_printf("%s%s%s%s%.0u", vids, *untagged ? " untagged " : "", untagged,
			       st->pvid ? " pvid " : "", st->pvid);
}

/**
 * bridge_vlan_dump() - the VLANs of every bridge port, in one dump
 * @sk:		rtnetlink socket
 * @by_index:	set to a new table ifindex -> PortVlanState *
 *
 * Return: 0 or -errno
 */
int bridge_vlan_dump(struct nl_sock *sk, GHashTable **by_index)
{
	/* == bridge vlan show */
	struct br_vlan_msg bvm = { .family = AF_BRIDGE };
	struct vlan_dump d = { 0 };
	int r;

	d.all = *by_index = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	r = tg_nl_dump(sk, RTM_GETVLAN, &bvm, sizeof(bvm), parse_vlan_msg, &d);
	if (r < 0)
		g_clear_pointer(by_index, g_hash_table_unref);
	return r;
}
