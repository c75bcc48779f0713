/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a VMM does first with what 'tapgate run' hands it, short of running
 * a guest (no KVM here, and vhost-net needs one's ioeventfds to move data):
 *
 *	vhost-check TAPFDS VHOSTFDS	(colon-separated, as {n0.fds} {n0.vhostfds})
 *
 * Every tap fd is a queue of one tap (multiqueue if more than one); every vhost fd is the real
 * /dev/vhost-net (misc 10:238) and takes VHOST_SET_OWNER and
 * VHOST_GET_FEATURES from us, its new holder, as QEMU's vhost_dev_init() does.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>

static int parse(const char *list, int *fds, int max)
{
	char *copy = strdup(list), *tok, *save = NULL;
	int n = 0;

	for (tok = strtok_r(copy, ":", &save); tok && n < max; tok = strtok_r(NULL, ":", &save))
		fds[n++] = atoi(tok);
	free(copy);
	return n;
}

int main(int argc, char **argv)
{
	int taps[256], vhosts[256], nt, nv;
	char name[IFNAMSIZ] = "";
	unsigned long long features = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: vhost-check TAPFDS VHOSTFDS\n");
		return 2;
	}
	nt = parse(argv[1], taps, 256);
	nv = parse(argv[2], vhosts, 256);
	if (nt < 1 || nv != nt) {
		fprintf(stderr, "vhost-check: %d tap and %d vhost-net descriptors\n", nt, nv);
		return 1;
	}
	for (int i = 0; i < nt; i++) {
		struct ifreq ifr = { 0 };

		if (ioctl(taps[i], TUNGETIFF, &ifr) < 0 ||
		    (nt > 1 && !(ifr.ifr_flags & IFF_MULTI_QUEUE)) ||
		    (i && strcmp(ifr.ifr_name, name))) {
			fprintf(stderr, "vhost-check: fd %d is not a queue of the one multiqueue "
				"tap\n", taps[i]);
			return 1;
		}
		snprintf(name, sizeof(name), "%s", ifr.ifr_name);
	}
	for (int i = 0; i < nv; i++) {
		struct stat st;

		if (fstat(vhosts[i], &st) < 0 || !S_ISCHR(st.st_mode) ||
		    st.st_rdev != makedev(10, 238)) {
			fprintf(stderr, "vhost-check: fd %d is not /dev/vhost-net\n", vhosts[i]);
			return 1;
		}
		if (ioctl(vhosts[i], VHOST_SET_OWNER) < 0 ||
		    ioctl(vhosts[i], VHOST_GET_FEATURES, &features) < 0) {
			fprintf(stderr, "vhost-check: fd %d: %s\n", vhosts[i], strerror(errno));
			return 1;
		}
		if (!(features & (1ULL << VHOST_NET_F_VIRTIO_NET_HDR))) {
			fprintf(stderr, "vhost-check: fd %d: features 0x%llx lack "
				"VHOST_NET_F_VIRTIO_NET_HDR\n", vhosts[i], features);
			return 1;
		}
	}
	printf("vhost-check: %d queue%s of tap %s, %d vhost-net descriptor%s owned by us "
	       "(features 0x%llx)\n", nt, nt == 1 ? "" : "s", name, nv, nv == 1 ? "" : "s", features);
	return 0;
}
