/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Sets of 802.1Q VLAN ids, as policy files and bridge ports know them. */
#pragma once
#include <stdint.h>
#include <glib.h>

#define VLAN_VID_MIN 1
#define VLAN_VID_MAX 4094

/* A set of VIDs 1..4094; bit v stands for VID v. */
typedef struct {
	uint64_t bits[4096 / 64];
} VlanSet;

static inline void vlan_set_add(VlanSet *s, unsigned int vid)
{
	s->bits[vid / 64] |= UINT64_C(1) << (vid % 64);
}

static inline void vlan_set_del(VlanSet *s, unsigned int vid)
{
	s->bits[vid / 64] &= ~(UINT64_C(1) << (vid % 64));
}

static inline gboolean vlan_set_has(const VlanSet *s, unsigned int vid)
{
	return vid < 4096 && (s->bits[vid / 64] >> (vid % 64)) & 1;
}

/* The smallest VID >= @from in the set, or 0: for (v = vlan_set_next(s, 1);
 * v; v = vlan_set_next(s, v + 1)) visits the members, skipping 64 at a time. */
static inline unsigned int vlan_set_next(const VlanSet *s, unsigned int from)
{
	for (unsigned int w = from / 64; from <= VLAN_VID_MAX && w < G_N_ELEMENTS(s->bits); w++) {
		uint64_t bits = s->bits[w] & (w == from / 64 ? ~UINT64_C(0) << (from % 64) : ~UINT64_C(0));

		if (bits) {
			unsigned int v = w * 64 + (unsigned int)__builtin_ctzll(bits);

			return v <= VLAN_VID_MAX ? v : 0;
		}
	}
	return 0;
}

int vlan_parse_vid(const char *s, unsigned int *vid, GError **error);
int vlan_set_parse(VlanSet *set, const char *text, GError **error);
unsigned int vlan_set_count(const VlanSet *s);
gboolean vlan_set_equal(const VlanSet *a, const VlanSet *b);
char *vlan_set_format(const VlanSet *s);
