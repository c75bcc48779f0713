#!/usr/bin/env bash
# 'tapgate run' where the host's kernel cannot: vhost-net descriptors (the
# host has no vhost_net): the helper opens /dev/vhost-net for a user who
# cannot, only where the policy says allow-vhost; a user who can open it gets
# their own. vhost-check then does what a VMM does first with them. And
# vlan= on a vlan-filtering bridge (the host has no bridge VLAN filtering),
# and the VLANs 'tapgate apply' gives persistent taps there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/sandbox.sh"
sandbox_enter "$@"
. "$here/../common/tap.sh"
TG_VERBOSE=${TG_VERBOSE:-1}	# the guest's output is the record of the run
: "${TAPGATE_HELPER:?}" "${TAPGATE_CLI:?}" "${TAPGATE_VHOST_CHECK:?}"
[ -c /dev/vhost-net ] || fail "no /dev/vhost-net in this kernel (is vhost_net in the guest image?)"
ip link add br0 type bridge
ip link set br0 up
setuid_helper=$(sandbox_setuid_copy "$TAPGATE_HELPER")
as_user=$(sandbox_run_as_user)
taps() { ip -o link show type tun | awk -F': ' '{print $2}'; }

# vhost_case POLICY-EXTRA DEVICE-MODE QUEUES WANT: WANT is ok or denied
vhost_case() {
	local extra=$1 mode=$2 queues=$3 want=$4 out rc=0
	sandbox_policy /etc/tapgate/tapgate.conf "[bridge br0]
allow-users = *
$extra"
	chmod "$mode" /dev/vhost-net
	# shellcheck disable=SC2086
	out=$($as_user "$TAPGATE_CLI" run --helper "$setuid_helper" \
		--net "n0=br0,queues=$queues,vhost=on" -- "$TAPGATE_VHOST_CHECK" '{n0.fds}' '{n0.vhostfds}' 2>&1) || rc=$?
	chmod 0600 /dev/vhost-net
	echo "$out"
	[ -z "$(taps)" ] || { echo "-- taps left: $(taps)"; return 1; }
	case $want in
	ok) [ "$rc" = 0 ] && [[ $out == "vhost-check: $queues queue"*" of tap tg4242-"*", $queues vhost-net descriptor"*" owned by us"* ]] ;;
	denied) [ "$rc" = 1 ] && [ "$out" = "tapgate-helper: access denied by policy (the reason is logged to syslog, authpriv)" ] ;;
	esac
}

# vlan=ID is the helper's --vlan: a multiqueue tap as an access port of VLAN
# ID, the default VLAN removed.
vlan_case() {
	local out rc=0
	ip link add brv type bridge vlan_filtering 1
	ip link set brv up
	sandbox_policy /etc/tapgate/tapgate.conf "[bridge brv]
allow-users = *
allow-vlans = 100
"
	out=$($as_user "$TAPGATE_CLI" run --helper "$setuid_helper" --net n0=brv,vlan=100,queues=2 \
		-- sh -c 'bridge -j vlan show dev {n0.ifname}' 2>&1) || rc=$?
	echo "$out"
	[ "$rc" = 0 ] && [[ $out == *'"vlans":[{"vlan":100,"flags":["PVID","Egress Untagged"]}]'* ]] &&
		[ -z "$(taps)" ]
}

# [tap] sections on a vlan-filtering bridge: apply makes each an access port
# (of 'vlan =', or of its network's VLAN), the default VLAN removed; a second
# run changes nothing.
tap_vlans() {
	local out again v1 v2
	ip link add brt type bridge vlan_filtering 1
	ip link set brt up
	sandbox_policy /etc/tapgate/tapgate.conf "[bridge brt]
managed = true

[network lan200]
bridge = brt
vlan = 200

[tap vt-bridge]
user = $SANDBOX_USER
bridge = brt
vlan = 100

[tap vt-net]
user = $SANDBOX_USER
network = lan200
multi-queue = true
"
	out=$("$TAPGATE_CLI" apply 2>&1) || { echo "$out"; return 1; }
	again=$("$TAPGATE_CLI" apply 2>&1)
	v1=$(bridge -j vlan show dev vt-bridge)
	v2=$(bridge -j vlan show dev vt-net)
	printf '%s\n' "$out" "-- again: $again" "-- vt-bridge: $v1" "-- vt-net: $v2"
	[ "$again" = "nothing to change" ] &&
	[[ $v1 == *'"vlans":[{"vlan":100,"flags":["PVID","Egress Untagged"]}]'* ]] &&
	[[ $v2 == *'"vlans":[{"vlan":200,"flags":["PVID","Egress Untagged"]}]'* ]]
}

echo "1..6"
check "allow-vhost, /dev/vhost-net 0600: the helper opens 4 for the user" \
	vhost_case "allow-vhost = true" 0600 4 ok
check "no allow-vhost, /dev/vhost-net 0600: denied, nothing left" \
	vhost_case "" 0600 2 denied
check "no allow-vhost, /dev/vhost-net 0666: the user's own descriptors" \
	vhost_case "" 0666 2 ok
check "allow-vhost, one queue" vhost_case "allow-vhost = true" 0600 1 ok
check "vlan=100, queues=2: an access port of VLAN 100 only" vlan_case
check "apply: persistent taps as access ports of their VLANs, default VLAN removed" tap_vlans
tap_end
