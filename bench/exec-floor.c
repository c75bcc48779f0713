/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cheapest bridge helper there can be, for bench/run.sh's floor row:
 * called as "exec-floor --use-vnet --fd=N --br=B", it sends an fd of
 * /dev/null over N, one byte and one SCM_RIGHTS as the real helpers do, and
 * exits. What a real helper costs beyond this is its own work.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u = { 0 };
	char byte = 0;
	struct iovec iov = { &byte, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	int sock = -1, fd = open("/dev/null", O_RDWR);

	for (int i = 1; i < argc; i++)
		if (!strncmp(argv[i], "--fd=", 5))
			sock = atoi(argv[i] + 5);
	if (sock < 0 || fd < 0)
		return 2;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &m, 0) == 1 ? 0 : 1;
}
