#!/usr/bin/env bash
# Prove the kernel we run on has what the VLAN tests need, read back over
# netlink by the real iproute2 (busybox's ip would silently ignore
# 'vlan_filtering 1' and make VLAN tests pass falsely).
set -euo pipefail
netns=tgfeat$$
ip netns add "$netns"
trap 'ip netns del "$netns"' EXIT
nsip() { ip -n "$netns" "$@"; }
nsip link add br0 type bridge vlan_filtering 1
nsip -j -d link show br0 | grep -q '"vlan_filtering":1' ||
	{ echo "bridge vlan_filtering does not read back as 1" >&2; exit 1; }
nsip link add u0 type veth peer name u1
nsip link add link u0 name u0.100 type vlan id 100
nsip -j -d link show u0.100 | grep -q '"id":100' ||
	{ echo "802.1Q sub-interface u0.100 has no VLAN id 100" >&2; exit 1; }
echo "kernel $(uname -r): bridge vlan_filtering and 802.1Q present"
