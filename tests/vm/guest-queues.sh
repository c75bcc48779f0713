#!/usr/bin/env bash
# Guest side of the multiqueue tests: say which queues eth0 has (virtio-net
# enables one pair per vCPU, up to the device's), then ping as guest-ping.sh.
cd /sys/class/net/eth0/queues || exit 1
echo "TG-QUEUES:" rx-* tx-*
cd - >/dev/null || exit 1
exec bash "$(dirname "$0")/guest-ping.sh" "$@"
