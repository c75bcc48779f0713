/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tapgate's metadata in libvirt domain and network XML, and what libvirt hooks get. */
#pragma once
#include <glib.h>

#include "portcfg.h"

/* tapgate's XML namespace in libvirt <metadata>. */
#define TG_XMLNS "https://tapgate.dev/ns/1"

/* One <interface> of a domain, with tapgate's configuration for it if any. */
typedef struct {
	char *mac;		/* "52:54:00:aa:bb:01" */
	char *tap;		/* <target dev>, NULL before the tap exists */
	char *bridge;		/* <source bridge> */
	char *network;		/* <source network> */
	char *portid;		/* <source portid> */
	char *portgroup;	/* <source portgroup> */
	gboolean libvirt_vlan;	/* libvirt's own <vlan> (libvirt >= 11 sets it up) */
	gboolean libvirt_isolated;	/* libvirt's own <port isolated='yes'/> */
	gboolean configured;	/* tapgate metadata names this MAC */
	PortConfig cfg;
} DomainPort;

typedef struct {
	char *name;
	char *uuid;
	GPtrArray *ports;	/* DomainPort * */
} DomainXml;

/* A libvirt network's tapgate portgroups, and the port of a port op. */
typedef struct {
	char *name;
	char *bridge;
	char *default_portgroup;
	GPtrArray *libvirt_portgroups;	/* char *: the names of its <portgroup>s */
	GHashTable *portgroups;	/* name -> PortConfig * (tapgate metadata) */
	gboolean has_metadata;
	char *port_uuid;	/* <networkport>, for port ops */
	char *port_group;
	char *port_mac;
	char *port_owner;	/* <networkport><owner><name>: its domain, or NULL */
	unsigned int port_vlan;	/* <networkport><vlan><tag id>, or 0 */
} NetworkXml;

int domain_xml_parse(const char *xml, gsize len, DomainXml **dom, GError **error);
void domain_xml_free(DomainXml *dom);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DomainXml, domain_xml_free)

int network_xml_parse(const char *xml, gsize len, NetworkXml **net, GError **error);
int network_port_config(const NetworkXml *net, const char *group, const DomainPort *port,
			PortConfig *cfg, GError **error);
void network_xml_free(NetworkXml *net);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NetworkXml, network_xml_free)
