/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frames.h"

/**
 * frame_send() - write one broadcast frame into a tap fd
 * @fd:		the tap (as QEMU holds it)
 * @vnet_hdr:	the fd has IFF_VNET_HDR: prefix a zeroed virtio-net header
 * @src:	source MAC
 * @vlan:	802.1Q tag to add, or 0 for none
 * @text:	payload, which frame_wait() looks for
 */
void frame_send(int fd, gboolean vnet_hdr, const guint8 src[6], unsigned int vlan,
		const char *text)
{
	guint8 buf[2048] = { 0 };
	gsize len = vnet_hdr ? 10 : 0;

	memset(buf + len, 0xff, 6);
	memcpy(buf + len + 6, src, 6);
	len += 12;
	if (vlan) {
		buf[len++] = 0x81, buf[len++] = 0x00;
		buf[len++] = (guint8)(vlan >> 8), buf[len++] = (guint8)vlan;
	}
	buf[len++] = FRAME_ETHERTYPE >> 8, buf[len++] = FRAME_ETHERTYPE & 0xff;
	memcpy(buf + len, text, strlen(text) + 1);
	len += strlen(text) + 1;
	g_assert_cmpint(write(fd, buf, len), ==, (gssize)len);
}

/* Does this frame carry our text? Sets *vlan to its tag, -1 if untagged. */
static gboolean frame_match(const guint8 *f, gssize n, const char *text, int *vlan)
{
	gsize tl = strlen(text) + 1;
	int tag = -1;
	gssize off = 12;

	if (n >= 18 && f[12] == 0x81 && f[13] == 0x00) {
		tag = ((f[14] << 8) | f[15]) & 0xfff;
		off = 16;
	}
	if (n < off + 2 + (gssize)tl || f[off] != FRAME_ETHERTYPE >> 8 ||
	    f[off + 1] != (FRAME_ETHERTYPE & 0xff) || memcmp(f + off + 2, text, tl))
		return FALSE;
	if (vlan)
		*vlan = tag;
	return TRUE;
}

/**
 * frame_wait() - read frames from a tap fd (no vnet header) or a packet
 * socket until ours arrives
 * @fd:		tap fd, or socket from packet_socket()
 * @text:	the payload frame_send() wrote
 * @timeout_ms:	how long to wait
 * @vlan:	set to the frame's 802.1Q VID, or -1 if untagged; may be NULL
 *
 * On a packet socket the kernel has already taken the tag off the data; it
 * comes back in PACKET_AUXDATA, and is reported the same way.
 *
 * Return: TRUE if the frame arrived in time
 */
gboolean frame_wait(int fd, const char *text, int timeout_ms, int *vlan)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	for (;;) {
		gint64 left = (deadline - g_get_monotonic_time()) / 1000;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		guint8 buf[2048], ctl[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = ctl, .msg_controllen = sizeof(ctl) };
		struct cmsghdr *c;
		gssize n;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return FALSE;
		n = recvmsg(fd, &msg, MSG_DONTWAIT);
		if (n < 0 && errno == ENOTSOCK) {	/* a tap fd */
			msg.msg_controllen = 0;
			n = read(fd, buf, sizeof(buf));
		}
		if (n <= 0 || !frame_match(buf, n, text, vlan))
			continue;
		for (c = CMSG_FIRSTHDR(&msg); vlan && c; c = CMSG_NXTHDR(&msg, c)) {
			struct tpacket_auxdata aux;

			if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA)
				continue;
			memcpy(&aux, CMSG_DATA(c), sizeof(aux));
			if (aux.tp_status & TP_STATUS_VLAN_VALID)
				*vlan = aux.tp_vlan_tci & 0xfff;
		}
		return TRUE;
	}
}

/**
 * packet_socket() - capture every frame on a link, tags reported via auxdata
 * @ifname:	the link
 *
 * Return: the socket (g_error()s on failure)
 */
int packet_socket(const char *ifname)
{
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = (int)if_nametoindex(ifname) };
	int one = 1;

	if (fd < 0 || !sll.sll_ifindex ||
	    setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		g_error("packet socket on %s: %s", ifname, g_strerror(errno));
	return fd;
}
