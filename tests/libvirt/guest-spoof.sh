#!/usr/bin/env bash
# Inside a libvirt guest whose port tapgate pinned: its own MAC reaches the
# host's bridge, any other source MAC does not. Exit 0 when both hold.
set -u
bb=$TG_BUSYBOX
ip link set eth0 up && ip addr add 10.0.0.2/24 dev eth0 || exit 2
for _ in $(seq 1 30); do
	$bb ping -c 1 -W 1 10.0.0.1 >/dev/null 2>&1 && break
done || { echo "guest: no answer with the guest's own MAC"; exit 1; }
echo "guest: 10.0.0.1 answers the guest's own MAC"
ip link set eth0 down
ip link set eth0 address 52:54:00:66:66:66
ip link set eth0 up
ip neigh flush dev eth0
if $bb ping -c 3 -W 1 10.0.0.1 >/dev/null 2>&1; then
	echo "guest: 10.0.0.1 answered a spoofed source MAC"
	exit 1
fi
echo "guest: frames from the spoofed MAC 52:54:00:66:66:66 are dropped"
