/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A minimal guest for the multi-host tests: gets a tap from tapgate-helper
 * exactly as QEMU does (socketpair, --fd, SCM_RIGHTS), then
 *   - prints "ready" once it holds the tap;
 *   - reads commands on stdin: "send DSTMAC TEXT" writes one frame of
 *     EtherType 0x88b5 from its MAC; "quit" (or end of input) exits;
 *   - prints "recv SRCMAC DSTMAC TEXT" for every such frame it receives;
 *   - with --ip ADDR, answers ARP requests and ICMP echo requests for ADDR,
 *     so a real guest elsewhere can ping it.
 *
 *   tg-guest HELPER NETWORK MAC [--ip ADDR]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib.h>

#define ETH_OURS 0x88b5

static uint8_t my_mac[6];
static uint32_t my_ip;	/* network order; 0: no IP */

static void die(const char *msg)
{
	fprintf(stderr, "tg-guest: %s\n", msg);
	exit(1);
}

static int tap_from_helper(const char *helper, const char *network)
{
	int sv[2], fd = -1, status;
	char byte, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			     .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		die("socketpair failed");
	pid = fork();
	if (pid == 0) {
		g_autofree char *br = g_strdup_printf("--br=%s", network);
		g_autofree char *fdarg = g_strdup_printf("--fd=%d", sv[1]);

		close(sv[0]);
		execl(helper, helper, br, fdarg, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	if (recvmsg(sv[0], &mh, 0) == 1)
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
				memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	close(sv[0]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) || fd < 0)
		die("the helper gave no tap");
	return fd;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3],
		      &mac[4], &mac[5]) == 6 ? 0 : -1;
}

static void send_text(int fd, const uint8_t dst[6], const char *text)
{
	uint8_t f[1514] = { 0 };
	size_t n = strlen(text);

	if (n > sizeof(f) - 14)
		n = sizeof(f) - 14;
	memcpy(f, dst, 6);
	memcpy(f + 6, my_mac, 6);
	f[12] = ETH_OURS >> 8, f[13] = ETH_OURS & 0xff;
	memcpy(f + 14, text, n);
	/* pad to the Ethernet minimum */
	if (write(fd, f, 14 + n < 60 ? 60 : 14 + n) < 0)
		die("cannot write to the tap");
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)(p[n - 1] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* ARP who-has MY_IP and ICMP echo to MY_IP: answered in place. */
static void answer(int fd, uint8_t *f, ssize_t n)
{
	uint16_t type = (uint16_t)(f[12] << 8 | f[13]);

	if (type == 0x0806 && n >= 42 && f[20] == 0 && f[21] == 1 && !memcmp(f + 38, &my_ip, 4)) {
		memcpy(f, f + 6, 6);
		memcpy(f + 6, my_mac, 6);
		f[21] = 2;				/* reply */
		memcpy(f + 32, f + 22, 10);		/* target = asker */
		memcpy(f + 22, my_mac, 6);
		memcpy(f + 28, &my_ip, 4);
		if (write(fd, f, (size_t)n) < 0)
			die("cannot write to the tap");
	} else if (type == 0x0800 && n >= 42 && f[23] == 1 && !memcmp(f + 30, &my_ip, 4)) {
		size_t ihl = (size_t)(f[14] & 0xf) * 4;
		uint8_t *icmp = f + 14 + ihl;
		uint8_t tmp[6];

		if (14 + ihl + 8 > (size_t)n || icmp[0] != 8)
			return;
		memcpy(tmp, f, 6), memcpy(f, f + 6, 6), memcpy(f + 6, tmp, 6);
		memcpy(tmp, f + 26, 4), memcpy(f + 26, f + 30, 4), memcpy(f + 30, tmp, 4);
		icmp[0] = 0;				/* echo reply */
		icmp[2] = icmp[3] = 0;
		{
			uint16_t c = csum(icmp, (size_t)n - 14 - ihl);

			icmp[2] = (uint8_t)(c >> 8), icmp[3] = (uint8_t)c;
		}
		if (write(fd, f, (size_t)n) < 0)
			die("cannot write to the tap");
	}
}

static void report(const uint8_t *f, ssize_t n)
{
	char text[1500];
	size_t len = 0;

	for (ssize_t i = 14; i < n && f[i] && len < sizeof(text) - 1; i++)
		text[len++] = (char)f[i];
	text[len] = 0;
	printf("recv %02x:%02x:%02x:%02x:%02x:%02x %02x:%02x:%02x:%02x:%02x:%02x %s\n", f[6], f[7],
	       f[8], f[9], f[10], f[11], f[0], f[1], f[2], f[3], f[4], f[5], text);
}

int main(int argc, char **argv)
{
	struct pollfd p[2];
	int tap;

	if (argc != 4 && !(argc == 6 && !strcmp(argv[4], "--ip")))
		die("usage: tg-guest HELPER NETWORK MAC [--ip ADDR]");
	if (parse_mac(argv[3], my_mac) < 0)
		die("bad MAC");
	if (argc == 6 && inet_pton(AF_INET, argv[5], &my_ip) != 1)
		die("bad IP address");
	setvbuf(stdout, NULL, _IOLBF, 0);
	tap = tap_from_helper(argv[1], argv[2]);
	printf("ready\n");
	p[0] = (struct pollfd){ .fd = 0, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = tap, .events = POLLIN };
	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			die("poll failed");
		if (p[1].revents & POLLIN) {
			uint8_t f[2048];
			ssize_t n = read(tap, f, sizeof(f));

			if (n >= 14 && f[12] == ETH_OURS >> 8 && f[13] == (ETH_OURS & 0xff))
				report(f, n);
			else if (n >= 14 && my_ip)
				answer(tap, f, n);
		}
		if (p[0].revents & (POLLIN | POLLHUP)) {
			char line[1600], dst[32], text[1500];
			uint8_t mac[6];

			if (!fgets(line, sizeof(line), stdin) || !strncmp(line, "quit", 4))
				return 0;
			if (sscanf(line, "send %31s %1499[^\n]", dst, text) == 2 &&
			    parse_mac(dst, mac) == 0)
				send_text(tap, mac, text);
			else
				fprintf(stderr, "tg-guest: bad command: %s", line);
		}
	}
}
