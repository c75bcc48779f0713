#!/usr/bin/env bash
# tapgate-hook and 'tapgate sync' with a real libvirtd (system mode), started
# here in private mount and network namespaces: its config, state, hooks and
# guests are ours alone, and vanish with the test. TAP output.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../vm/sandbox.sh"
sandbox_enter "$@"
: "${TAPGATE_HOOK:?}" "${TAPGATE_CLI:?}" "${TAPGATE_PORT_STATE:?}" "${TG_VM_IMAGE:?}" "${TG_SRC:?}"

. "$here/libvirtd.sh"
libvirtd_setup
ip link add br0 type bridge
ip addr add 10.0.0.1/24 dev br0
ip link set br0 up

# domain NAME METADATA: a diskless guest with one bridge NIC, ACPI for hot-plug.
domain() {
	cat <<XML
<domain type='qemu'>
  <name>$1</name>
  <metadata>
    <tapgate:ports xmlns:tapgate="https://tapgate.dev/ns/1">
$2
    </tapgate:ports>
  </metadata>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <features><acpi/></features>
  <devices>
$(nic 52:54:00:aa:bb:01)
  </devices>
</domain>
XML
}
state_of() { "$TAPGATE_PORT_STATE" "$(tap_of "$1" "$2")" "$2"; }

n=0 failed=0
check() {	# DESCRIPTION COMMAND...
	local desc=$1
	shift
	n=$((n + 1))
	if "$@" >/tmp/check.log 2>&1; then
		echo "ok $n - $desc"; sed "s/^/# /" /tmp/check.log
	else
		echo "not ok $n - $desc"; sed 's/^/# /' /tmp/check.log; failed=1
	fi
}
expect_state() {	# DOMAIN MAC WANT
	local got
	got=$(state_of "$1" "$2")
	echo "$2 on $(tap_of "$1" "$2"): $got"
	[[ $got == $3* ]]
}

t_start_pins() {
	domain vm1 '      <tapgate:port mac="52:54:00:aa:bb:01" pin-mac="yes" isolated="yes"/>
      <tapgate:port mac="52:54:00:aa:bb:02" pin-mac="yes"/>
      <tapgate:port mac="52:54:00:aa:bb:03" pin-mac="yes"/>' > /tmp/vm1.xml
	v define /tmp/vm1.xml && v start vm1 &&
		expect_state vm1 52:54:00:aa:bb:01 "learning=0 locked=1 isolated=1 pinned=1"
}
t_refusing_hook() {
	local out
	domain vm2 '      <tapgate:port mac="52:54:00:aa:bb:01" vlan="100"/>' |
		sed 's/aa:bb:01/aa:bb:21/g' > /tmp/vm2.xml
	v define /tmp/vm2.xml || return 1
	out=$(v start vm2 2>&1) && { echo "started anyway"; return 1; }
	echo "$out"
	[[ $out == *"tapgate-hook: domain 'vm2': interface 52:54:00:aa:bb:21 (vnet"*"): bridge 'br0' does not filter VLANs"* ]] &&
		[ "$(v domstate vm2)" = "shut off" ]
}
t_hotplug_sync() {
	local out
	v attach-interface vm1 bridge br0 --mac 52:54:00:aa:bb:02 --model virtio --live || return 1
	expect_state vm1 52:54:00:aa:bb:02 "learning=1 locked=0" || return 1	# no hook ran
	out=$("$TAPGATE_CLI" sync -c qemu:///system) || return 1
	echo "$out"
	[[ $out == *"vm1: vnet"*": learning off locked on"* ]] &&
		[[ $out == *"1 changed, 0 failed"* ]] &&
		expect_state vm1 52:54:00:aa:bb:02 "learning=0 locked=1 isolated=0 pinned=1" &&
		out=$("$TAPGATE_CLI" sync -c qemu:///system) && echo "$out" &&
		[[ $out == *"0 changed, 0 failed"* ]]
}
t_watch() {
	"$TAPGATE_CLI" sync -c qemu:///system --watch > /tmp/watch.log 2>&1 &
	WATCH=$!
	for _ in $(seq 1 50); do grep -q watching /tmp/watch.log && break; sleep 0.1; done
	v attach-interface vm1 bridge br0 --mac 52:54:00:aa:bb:03 --model virtio --live || return 1
	for _ in $(seq 1 50); do
		[[ $(state_of vm1 52:54:00:aa:bb:03) == "learning=0 locked=1"* ]] && break
		sleep 0.1
	done
	cat /tmp/watch.log
	expect_state vm1 52:54:00:aa:bb:03 "learning=0 locked=1 isolated=0 pinned=1"
}
t_watch_survives_restart() {
	stop_libvirtd
	start_libvirtd || return 1
	for _ in $(seq 1 100); do
		[ "$(grep -c watching /tmp/watch.log)" -ge 2 ] && break
		sleep 0.1
	done
	cat /tmp/watch.log
	[ "$(grep -c watching /tmp/watch.log)" -ge 2 ]
}
t_reconnect_reapplies() {
	local tap
	tap=$(tap_of vm1 52:54:00:aa:bb:01)
	kill "$WATCH"; wait "$WATCH" 2>/dev/null; WATCH=
	bridge link set dev "$tap" learning on locked off isolated off
	expect_state vm1 52:54:00:aa:bb:01 "learning=1 locked=0 isolated=0" || return 1
	stop_libvirtd
	start_libvirtd || return 1
	expect_state vm1 52:54:00:aa:bb:01 "learning=0 locked=1 isolated=1 pinned=1"
}

# 'tapgate xml attach' on a running domain: metadata merged, NIC added, and
# the new port wired at once; libvirt shows back what was written.
t_xml_attach() {
	local out mac live config
	out=$("$TAPGATE_CLI" xml attach -c qemu:///system --domain vm1 --bridge br0 --pin-mac) ||
		return 1
	echo "$out"
	mac=$(echo "$out" | sed -n 's/^attached \([0-9a-f:]*\) .*/\1/p')
	[ -n "$mac" ] || return 1
	expect_state vm1 "$mac" "learning=0 locked=1 isolated=0 pinned=1" || return 1
	live=$(v dumpxml vm1) config=$(v dumpxml --inactive vm1)
	for x in "$live" "$config"; do
		grep -q "<mac address='$mac'/>" <<< "$x" &&
			grep -q "<tapgate:port mac=\"$mac\" pin-mac=\"yes\"/>" <<< "$x" &&
			grep -q '<tapgate:port mac="52:54:00:aa:bb:01" pin-mac="yes" isolated="yes"/>' <<< "$x" ||
			{ echo "dumpxml lacks the NIC or the merged metadata:"; echo "$x"; return 1; }
	done
	# The same MAC again is refused, and nothing changes.
	out=$("$TAPGATE_CLI" xml attach -c qemu:///system --domain vm1 --bridge br0 --mac "$mac" 2>&1) &&
		return 1
	echo "$out"
	[[ $out == "tapgate: MAC $mac is already used by domain 'vm1'" ]] &&
		[ "$(v dumpxml vm1 | grep -c "<mac address='$mac'/>")" = 1 ]
}

# Generate, attach to a stopped domain, start it: the hook applies what the
# generated XML asked for.
t_xml_attach_then_start() {
	local out mac
	domain vm5 '' | sed 's/aa:bb:01/aa:bb:51/' > /tmp/vm5.xml
	v define /tmp/vm5.xml || return 1
	out=$("$TAPGATE_CLI" xml attach -c qemu:///system --domain vm5 --bridge br0 --pin-mac) ||
		return 1
	echo "$out"
	[[ $out == *"(config)"* ]] || return 1
	mac=$(echo "$out" | sed -n 's/^attached \([0-9a-f:]*\) .*/\1/p')
	v start vm5 || return 1
	expect_state vm5 "$mac" "learning=0 locked=1 isolated=0 pinned=1" &&
		expect_state vm5 52:54:00:aa:bb:51 "learning=1 locked=0"	# no metadata: left alone
}

# What 'tapgate xml' writes, libvirt accepts and shows back unchanged.
t_xml_round_trip() {
	local iface net
	iface=$("$TAPGATE_CLI" xml interface --bridge br0 --uuid 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0 \
		--vlan 100 --pin-mac --isolated | grep -v '^<!--')
	domain_xml vm4 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0 "$iface" > /tmp/vm4.xml
	cat /tmp/vm4.xml
	v define /tmp/vm4.xml || return 1
	v dumpxml vm4 > /tmp/vm4.back
	grep -q "<mac address='52:54:00:" /tmp/vm4.back &&
		[ "$(grep -o "<mac address='[^']*'" /tmp/vm4.back)" = \
		  "$(grep -o '<mac address="[^"]*"' /tmp/vm4.xml | tr '"' "'")" ] &&
		grep -q "<source bridge='br0'/>" /tmp/vm4.back &&
		grep -q "<port isolated='yes'/>" /tmp/vm4.back || { cat /tmp/vm4.back; return 1; }
	# Written for the running libvirt: its own <vlan> from 11.0 on.
	if [ "$(libvirt_version)" -ge 11000000 ]; then
		grep -q "<tag id='100'/>" /tmp/vm4.back && grep -q 'a6:83" pin-mac="yes"/>' /tmp/vm4.back
	else
		grep -q 'vlan="100" pin-mac="yes"/>' /tmp/vm4.back && ! grep -q '<vlan>' /tmp/vm4.back
	fi || { cat /tmp/vm4.back; return 1; }
	net=$("$TAPGATE_CLI" xml network --name brnet --bridge br0 --portgroup v100:100 --portgroup plain)
	echo "$net" > /tmp/brnet.xml
	v net-define /tmp/brnet.xml && v net-dumpxml brnet | tee /tmp/brnet.back &&
		grep -q "<portgroup name='v100' default='yes'>" /tmp/brnet.back || return 1
	if [ "$(libvirt_version)" -ge 11000000 ]; then
		grep -A3 "<portgroup name='v100'" /tmp/brnet.back | grep -q "<tag id='100'/>"
	else
		grep -q '<tapgate:portgroup name="v100" vlan="100"/>' /tmp/brnet.back
	fi
}

# What 'tapgate xml --target-libvirt VERSION' writes for the running libvirt,
# on a bridge that does not filter VLANs: libvirt >= 11 refuses the start
# itself (its own <vlan>), older ones get metadata and tapgate-hook refuses.
# Either way nothing runs and no tap is left.
t_vlan_unfiltered() {
	local version out err
	version=$(libvirt_version_string)
	out=$("$TAPGATE_CLI" xml interface --bridge br0 --uuid 6a1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0 \
		--vlan 100 --target-libvirt "$version") || return 1
	domain_xml vm7 6a1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0 "$out" > /tmp/vm7.xml
	cat /tmp/vm7.xml
	v define /tmp/vm7.xml || return 1
	err=$(v start vm7 2>&1) && { echo "started anyway"; return 1; }
	echo "libvirt $version: $err"
	[ "$(v domstate vm7)" = "shut off" ] || return 1
	if [ "$(libvirt_version)" -ge 11000000 ]; then
		grep -q '<tag id="100"/>' /tmp/vm7.xml && [[ $err != *tapgate-hook* ]]
	else
		[[ $err == *"tapgate-hook: domain 'vm7': interface "*"bridge 'br0' does not filter VLANs"* ]]
	fi
}

# libvirt's <vlan> and tapgate VLAN metadata on one NIC: refused before any
# tap exists, with tapgate's words, whatever the libvirt version.
t_two_vlan_owners() {
	local err
	domain vm8 '      <tapgate:port mac="52:54:00:aa:bb:81" vlan="100"/>' |
		sed -e 's/aa:bb:01/aa:bb:81/g' \
		    -e "s|<source bridge='br0'/>|<source bridge='br0'/><vlan><tag id='100'/></vlan>|" > /tmp/vm8.xml
	v define /tmp/vm8.xml || return 1
	err=$(v start vm8 2>&1) && { echo "started anyway"; return 1; }
	echo "$err"
	[[ $err == *"tapgate-hook: domain 'vm8': tapgate metadata: port '52:54:00:aa:bb:81': the interface has libvirt's own <vlan>, and the metadata gives it VLANs too"* ]] &&
		[ "$(v domstate vm8)" = "shut off" ]
}

# A real guest (the test kernel of tests/vm, booted by libvirt) on a pinned port.
t_guest_spoof() {
	local job=/tmp/job-vm3
	mkdir -p "$job"
	printf 'export TG_SRC=%q TG_BUILD=%q\n' "$TG_SRC" "$TG_SRC" > "$job/env"
	echo "bash tests/libvirt/guest-spoof.sh" > "$job/cmd"
	cat > /tmp/vm3.xml <<XML
<domain type='qemu'>
  <name>vm3</name>
  <metadata>
    <tapgate:ports xmlns:tapgate="https://tapgate.dev/ns/1">
      <tapgate:port mac="52:54:00:aa:bb:31" pin-mac="yes"/>
    </tapgate:ports>
  </metadata>
  <memory unit='MiB'>512</memory>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>$TG_VM_IMAGE/vmlinux</kernel>
    <initrd>$TG_VM_IMAGE/initramfs.cpio</initrd>
    <cmdline>console=ttyS0 loglevel=3 panic=-1 mitigations=off 8250.nr_uarts=2</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <filesystem type='mount' accessmode='passthrough' multidevs='remap'>
      <source dir='/usr'/><target dir='usr'/><readonly/>
    </filesystem>
    <filesystem type='mount' accessmode='passthrough' multidevs='remap'>
      <source dir='/etc'/><target dir='hostetc'/><readonly/>
    </filesystem>
    <filesystem type='mount' accessmode='passthrough' multidevs='remap'>
      <source dir='$TG_SRC'/><target dir='src'/><readonly/>
    </filesystem>
    <filesystem type='mount' accessmode='passthrough' multidevs='remap'>
      <source dir='$job'/><target dir='job'/>
    </filesystem>
    <serial type='file'><source path='/tmp/vm3-console.log'/><target port='0'/></serial>
    <serial type='file'><source path='/tmp/vm3-output.log'/><target port='1'/></serial>
$(nic 52:54:00:aa:bb:31)
  </devices>
</domain>
XML
	v create /tmp/vm3.xml || return 1
	for _ in $(seq 1 1200); do [ -s "$job/rc" ] && break; sleep 0.2; done
	cat /tmp/vm3-output.log
	[ -s "$job/rc" ] || { echo "the guest never finished; its console:"; tail -20 /tmp/vm3-console.log; return 1; }
	[ "$(cat "$job/rc")" = 0 ]
}

echo "1..12"
if ! start_libvirtd; then
	echo "Bail out! libvirtd does not start"
	exit 1
fi
check "start applies MAC pinning and isolation" t_start_pins
check "a refusing hook aborts the start, its message in virsh's error" t_refusing_hook
check "a hot-plugged NIC (no hook runs) is fixed by 'tapgate sync', idempotently" t_hotplug_sync
check "'tapgate sync --watch' fixes a hot-plugged NIC as it appears" t_watch
check "'tapgate sync --watch' reconnects when libvirtd restarts" t_watch_survives_restart
check "reconnect after a libvirtd restart re-applies what drifted" t_reconnect_reapplies
check "a real guest on a pinned port: its own frames pass, spoofed ones are dropped" t_guest_spoof
check "'tapgate xml attach' adds a pinned NIC live and in the config; a taken MAC is refused" t_xml_attach
check "generate, attach to a stopped domain, start: the hook applies it" t_xml_attach_then_start
check "what 'tapgate xml' writes, libvirt accepts and shows back" t_xml_round_trip
check "a VLAN for this libvirt on a bridge without VLAN filtering: the start is refused" t_vlan_unfiltered
check "libvirt's <vlan> and tapgate VLAN metadata on one NIC: the start is refused" t_two_vlan_owners
exit $failed
