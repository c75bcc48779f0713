#!/usr/bin/env bash
# Guest side of the end-to-end test: configure eth0, ping the host's bridge,
# say so, and stay up until the host has checked its side (it creates
# /tg-job/release).
set -u
addr=${1:-10.0.0.2/24} peer=${2:-10.0.0.1} show=${3:-0}	# show: pings to print
ip link set eth0 up && ip addr add "$addr" dev eth0 || exit 1
for _ in $(seq 1 60); do
	if "$TG_BUSYBOX" ping -c 1 -W 1 "$peer" >/dev/null 2>&1; then
		[ "$show" = 0 ] || "$TG_BUSYBOX" ping -c "$show" "$peer"
		echo "TG-PING-OK: $peer answered"
		for _ in $(seq 1 1200); do
			[ -e /tg-job/release ] && exit 0
			sleep 0.1
		done
		echo "guest: the host never released us" >&2
		exit 1
	fi
done
echo "guest: no answer from $peer" >&2
exit 1
