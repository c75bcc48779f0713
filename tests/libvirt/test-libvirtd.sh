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
# Through its tap's fd a guest can set the tap's MAC (no capability needed);
# taking a MAC pinned on another port replaces that pin with a local entry on
# its own port. The watcher puts the pin back: NIC 2's tap takes the pinned
# MACs of NICs 1 and 3 in turn. The window, in which frames for the victim
# went astray, is measured twice: from the pin's deletion to its return as
# 'bridge monitor fdb' saw them, and from 'ip link set' until port-state
# shows the pin again (an upper bound: each poll is a process).
steal_pins() {	# THIEF: 10 rounds; the caller's "tap" names the victims, "polled" gets the times
	local i mac victim t0 t1 back
	for i in $(seq 1 10); do
		mac=52:54:00:aa:bb:0$((i % 2 ? 1 : 3)) victim=${tap[$mac]} back=
		t0=$(date +%s%N)
		ip link set dev "$1" address "$mac" || return 1
		for _ in $(seq 1 400); do
			[[ $("$TAPGATE_PORT_STATE" "$victim" "$mac") == *pinned=1* ]] && back=1 && break
			sleep 0.005
		done
		t1=$(date +%s%N)
		[ -n "$back" ] || { echo "round $i: the pin of $mac on $victim is still gone after 2 s"
			bridge fdb show | grep -i "$mac"; return 1; }
		polled+=($(((t1 - t0) / 1000000)))
	done
}
t_watch_restores_pins() {
	local thief own mac mon polled=() window=() want ok=0
	local -A tap
	for mac in 52:54:00:aa:bb:01 52:54:00:aa:bb:02 52:54:00:aa:bb:03; do
		tap[$mac]=$(tap_of vm1 $mac)
	done
	thief=${tap[52:54:00:aa:bb:02]}
	own=$(cat "/sys/class/net/$thief/address")
	bridge -timestamp monitor fdb > /tmp/fdb-monitor.log 2>&1 &
	mon=$!
	sleep 0.2
	steal_pins "$thief" || ok=1
	# whatever happened: the later tests need the thief's own MAC back
	ip link set dev "$thief" address "$own" || ok=1
	sleep 0.2
	kill "$mon"; wait "$mon" 2>/dev/null
	cat /tmp/watch.log
	[ $ok = 0 ] || return 1
	for mac in 52:54:00:aa:bb:01 52:54:00:aa:bb:03; do
		want="tapgate sync: vm1: $thief changed its MAC to $mac (pinned on ${tap[$mac]}); pins restored"
		grep -qxF "$want" /tmp/watch.log || { echo "no line '$want'"; return 1; }
	done
	# "Timestamp: Tue Dec  1 13:49:03 2026 757996 usec", then the entry
	read -r -a window <<< "$(awk '
		/^Timestamp:/ { split($5, h, ":"); t = h[1] * 3600 + h[2] * 60 + h[3] + $7 / 1e6; next }
		/sticky master .* static$/ { k = ($1 == "Deleted") ? $2 "/" $4 : $1 "/" $3
			if ($1 == "Deleted") gone[k] = t
			else if (k in gone) { printf "%.1f\n", (t - gone[k]) * 1000; delete gone[k] } }
		' /tmp/fdb-monitor.log | sort -n | tr '\n' ' ')"
	read -r -a polled <<< "$(printf '%s\n' "${polled[@]}" | sort -n | tr '\n' ' ')"
	[ ${#window[@]} = 10 ] || { echo "${#window[@]} pins went and came back, not 10:"
		cat /tmp/fdb-monitor.log; return 1; }
	echo "window: min/median/max ${window[0]}/${window[4]}/${window[9]} ms (pin deleted -> pin back, bridge monitor fdb) over 10 MAC changes"
	echo "window seen by polling: min/median/max ${polled[0]}/${polled[4]}/${polled[9]} ms ('ip link set' -> port-state shows the pin)"
	expect_state vm1 52:54:00:aa:bb:01 "learning=0 locked=1 isolated=1 pinned=1" &&
		expect_state vm1 52:54:00:aa:bb:03 "learning=0 locked=1 isolated=0 pinned=1"
}
# A pin deleted, moved or made plain by hand comes back too; a domain that
# stops takes its pins with it (the kernel deletes them first), which is no
# reason to complain. Each row: what is done to the pin of NIC 1, then how
# the watcher says it.
t_watch_pin_undone() {
	local victim other line row
	victim=$(tap_of vm1 52:54:00:aa:bb:01) other=$(tap_of vm1 52:54:00:aa:bb:02)
	domain vm6 '      <tapgate:port mac="52:54:00:aa:bb:61" pin-mac="yes"/>' |
		sed 's/aa:bb:01/aa:bb:61/g' > /tmp/vm6.xml
	v create /tmp/vm6.xml && expect_state vm6 52:54:00:aa:bb:61 "learning=0 locked=1" &&
		v destroy vm6 || return 1
	while IFS='|' read -r cmd row; do
		# shellcheck disable=SC2086
		bridge fdb $cmd || return 1
		line="tapgate sync: vm1: the pin of 52:54:00:aa:bb:01 on $victim $row; pins restored"
		for _ in $(seq 1 100); do grep -qxF "$line" /tmp/watch.log && break; sleep 0.02; done
		grep -qxF "$line" /tmp/watch.log || { cat /tmp/watch.log; echo "no line '$line'"; return 1; }
		expect_state vm1 52:54:00:aa:bb:01 "learning=0 locked=1 isolated=1 pinned=1" || return 1
	done <<ROWS
del 52:54:00:aa:bb:01 dev $victim master|was removed
replace 52:54:00:aa:bb:01 dev $other master static|was taken over by $other
replace 52:54:00:aa:bb:01 dev $victim master static|was made a plain entry
ROWS
	cat /tmp/watch.log
	! grep -q "vm6.*pin" /tmp/watch.log || { echo "vm6's stop was reported"; return 1; }
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

# libvirt's own <port isolated='yes'/> (what 'tapgate xml --isolated' writes),
# no tapgate metadata: turned off by hand, 'tapgate sync' puts it back, and
# touches nothing else of the port (before, sync ignored the port).
t_sync_restores_libvirt_isolation() {
	local tap out
	domain vm10 '' | sed "s/aa:bb:01/aa:bb:a1/; s|<source bridge='br0'/>|&<port isolated='yes'/>|" \
		> /tmp/vm10.xml
	v define /tmp/vm10.xml && v start vm10 || return 1
	tap=$(tap_of vm10 52:54:00:aa:bb:a1)
	expect_state vm10 52:54:00:aa:bb:a1 "learning=1 locked=0 isolated=1" || return 1
	bridge link set dev "$tap" isolated off learning off
	out=$("$TAPGATE_CLI" sync -c qemu:///system) || { echo "$out"; return 1; }
	echo "$out"
	[[ $out == *"$tap: isolated on"* ]] &&
		expect_state vm10 52:54:00:aa:bb:a1 "learning=0 locked=0 isolated=1" &&
		v destroy vm10 >/dev/null
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
	# Attached with its link down, up once wired.
	v domif-getlink vm1 "$mac" | grep -q " up$" ||
		{ v domif-getlink vm1 "$mac"; echo "the link is not up"; return 1; }
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

# An attach tapgate cannot wire (VLANs on a bridge that does not filter
# them) is refused before anything changes: no NIC live or in the config,
# the metadata as it was, one line saying why.
t_xml_attach_fails_closed() {
	local out live0 config0 live1 config1 nics0
	live0=$(v dumpxml vm1) config0=$(v dumpxml --inactive vm1)
	nics0=$(grep -c "<interface " <<< "$live0")
	out=$("$TAPGATE_CLI" xml attach -c qemu:///system --domain vm1 --bridge br0 --vlan 100 \
		--pin-mac --target-libvirt 9.0.0 2>&1) && { echo "$out"; echo "attached anyway"; return 1; }
	echo "$out"
	[[ $out == "tapgate: bridge 'br0' does not filter VLANs"* ]] && [ "$(wc -l <<< "$out")" = 1 ] ||
		return 1
	live1=$(v dumpxml vm1) config1=$(v dumpxml --inactive vm1)
	[ "$(grep -c "<interface " <<< "$live1")" = "$nics0" ] &&
		[ "$live1" = "$live0" ] && [ "$config1" = "$config0" ] ||
		{ diff <(echo "$live0") <(echo "$live1"); diff <(echo "$config0") <(echo "$config1"); return 1; }
	out=$("$TAPGATE_CLI" sync -c qemu:///system) || { echo "$out"; return 1; }
	echo "$out"
	[[ $out == *", 0 failed"* ]]
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

echo "1..16"
if ! start_libvirtd; then
	echo "Bail out! libvirtd does not start"
	exit 1
fi
check "start applies MAC pinning and isolation" t_start_pins
check "a refusing hook aborts the start, its message in virsh's error" t_refusing_hook
check "a hot-plugged NIC (no hook runs) is fixed by 'tapgate sync', idempotently" t_hotplug_sync
check "'tapgate sync --watch' fixes a hot-plugged NIC as it appears" t_watch
check "'tapgate sync --watch' puts back a pin that a tap's MAC change took" t_watch_restores_pins
check "'tapgate sync --watch' puts back a pin deleted, moved or made plain; a domain's stop is no alarm" t_watch_pin_undone
check "'tapgate sync --watch' reconnects when libvirtd restarts" t_watch_survives_restart
check "reconnect after a libvirtd restart re-applies what drifted" t_reconnect_reapplies
check "libvirt's own isolation, turned off by hand, is restored by 'tapgate sync'" t_sync_restores_libvirt_isolation
check "a real guest on a pinned port: its own frames pass, spoofed ones are dropped" t_guest_spoof
check "'tapgate xml attach' adds a pinned NIC live and in the config; a taken MAC is refused" t_xml_attach
check "'tapgate xml attach' it cannot wire is refused, leaving the domain as it was" t_xml_attach_fails_closed
check "generate, attach to a stopped domain, start: the hook applies it" t_xml_attach_then_start
check "what 'tapgate xml' writes, libvirt accepts and shows back" t_xml_round_trip
check "a VLAN for this libvirt on a bridge without VLAN filtering: the start is refused" t_vlan_unfiltered
check "libvirt's <vlan> and tapgate VLAN metadata on one NIC: the start is refused" t_two_vlan_owners
exit $failed
