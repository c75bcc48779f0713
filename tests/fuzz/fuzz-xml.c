/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What libvirt hands tapgate-hook: domain XML, <hookData>, and metadata to merge. */
#include <stdint.h>
#include <string.h>

#include "gen.h"
#include "portxml.h"
#include <libxml/xmlerror.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(void *ctx, const char *msg, ...)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *text = g_strndup((const char *)data, size);
	g_autoptr(DomainXml) dom = NULL;
	g_autoptr(NetworkXml) net = NULL;
	g_autofree char *merged = NULL;
	PortConfig cfg = { .pin_mac = TRUE, .mac = { 0x52, 0x54, 0, 1, 2, 3 } };

	xmlSetGenericErrorFunc(NULL, quiet);
	if (domain_xml_parse((const char *)data, size, &dom, NULL) == 0) {
		for (guint i = 0; i < dom->ports->len; i++) {
			DomainPort *p = g_ptr_array_index(dom->ports, i);
			g_autofree char *d = port_config_describe(&p->cfg);

			g_assert(d);
		}
	}
	if (network_xml_parse((const char *)data, size, &net, NULL) == 0 && dom &&
	    dom->ports->len) {
		PortConfig out;

		network_port_config(net, net->port_group, g_ptr_array_index(dom->ports, 0), &out,
				    NULL);
	}
	merged = gen_ports_metadata(text, &cfg, NULL);
	return 0;
}
