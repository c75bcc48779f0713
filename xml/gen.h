/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include <glib.h>

#include "portcfg.h"

/* The first libvirt that puts <vlan> on Linux host bridges itself (11.0.0). */
#define LIBVIRT_NATIVE_BRIDGE_VLAN 11000000u

/* One guest NIC to describe. */
typedef struct {
	const char *bridge;	/* <source bridge>, or: */
	const char *network;	/* <source network> */
	const char *portgroup;
	const char *model;	/* virtio, e1000e... */
	PortConfig cfg;		/* MAC, VLANs, pinning, isolation */
	unsigned long libvirt;	/* target libvirt version, major * 1000000 + minor * 1000 + micro */
	gboolean link_down;	/* <link state='down'/>: attached, not yet wired */
} IfaceSpec;

/* A portgroup of a generated network. */
typedef struct {
	const char *name;
	PortConfig cfg;
	gboolean is_default;
} PortgroupSpec;

char *gen_interface(const IfaceSpec *spec, char **metadata);
char *gen_ports_metadata(const char *existing, const PortConfig *cfg, GError **error);
char *gen_network(const char *name, const char *bridge, const PortgroupSpec *pgs, guint n,
		  unsigned long libvirt);
