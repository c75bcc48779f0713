#!/usr/bin/env bash
# 'tapgate run' with a real QEMU: an unprivileged user's guest gets a
# multiqueue tap through the setuid helper (-netdev tap,fds=), sees its queue
# pairs and pings the host's bridge; the tap lives exactly as long as QEMU.
# Refusals (max-queues, a bad placeholder) happen before QEMU starts and
# leave nothing behind.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/sandbox.sh"
sandbox_enter "$@"
. "$here/../common/tap.sh"
TG_VERBOSE=${TG_VERBOSE:-1}	# the guest's output is the record of the run
: "${TAPGATE_HELPER:?}" "${TAPGATE_CLI:?}" "${TG_VM_IMAGE:?}"

ip link add br0 type bridge
ip addr add 10.0.0.1/24 dev br0
ip link set br0 up
setuid_helper=$(sandbox_setuid_copy "$TAPGATE_HELPER")
as_user=$(sandbox_run_as_user)
run="$TAPGATE_CLI run --helper $setuid_helper"
policy() { sandbox_policy /etc/tapgate/tapgate.conf "[bridge br0]
allow-users = *
$1"; }
taps() { ip -o link show type tun | awk -F': ' '{print $2}'; }
DENIED="tapgate-helper: access denied by policy (the reason is logged to syslog, authpriv)"

# vm_run NAME RUN_AS NETDEV DEVICE: boot the guest (VM_SMP vCPUs, default 4:
# virtio-net enables one queue pair per vCPU) through the command prefix
# RUN_AS; sets VM_PID, VM_JOB, VM_LOG as vm_start.
vm_run() {
	local name=$1 prefix=$2 netdev=$3 device=$4
	VM_JOB=/tmp/job-$name VM_LOG=/tmp/job-$name.log
	mkdir "$VM_JOB"
	env "TG_VM_JOB=$VM_JOB" "TG_VM_RUN_AS=$prefix" \
		"TG_VM_JOB_OWNER=${VM_JOB_OWNER:-$SANDBOX_UID}" "TG_VM_SMP=${VM_SMP:-4}" \
		"$here/run-guest.sh" --timeout 180 --qemu-arg -netdev --qemu-arg "$netdev" \
		--qemu-arg -device --qemu-arg "$device" \
		-- bash tests/vm/guest-queues.sh >"$VM_LOG" 2>&1 &
	VM_PID=$!
}

# guest_queues QUEUES: the guest said it has QUEUES queue pairs
guest_queues() {
	local want="TG-QUEUES:" q
	for q in $(seq 0 $(($1 - 1))); do want+=" rx-$q"; done
	for q in $(seq 0 $(($1 - 1))); do want+=" tx-$q"; done
	grep -qx "$want" "$VM_LOG" || { echo "-- the guest should have said '$want'"; return 1; }
}

# run_case NAME NET NETDEV DEVICE QUEUES TUN_DETAIL: the guest sees QUEUES
# queue pairs and pings; while it runs br0 has one tap, whose 'ip -d' shows
# TUN_DETAIL; after QEMU, no tap is left.
run_case() {
	local name=$1 net=$2 netdev=$3 device=$4 queues=$5 detail=$6 port tun rc=0
	vm_run "$name" "$as_user $run --net n0=$net --" "$netdev" "$device"
	if ! vm_wait_ping; then
		echo "-- the guest never got an answer; its output:"
		cat "$VM_LOG"
		return 1
	fi
	port=$(ip -o link show master br0 | awk -F': ' '{print $2}')
	tun=$(ip -d link show dev "$port" | grep -o 'tun type tap.*' || true)
	vm_release || rc=$?
	cat "$VM_LOG"
	[ "$rc" = 0 ] || { echo "-- the guest failed ($rc)"; return 1; }
	echo "-- port of br0 while QEMU ran: $port: $tun"
	[[ $port == tg4242-* ]] || { echo "-- expected one tap of uid 4242 on br0"; return 1; }
	[[ $tun == *"$detail"* ]] || { echo "-- expected '$detail'"; return 1; }
	guest_queues "$queues" || return 1
	[ -z "$(taps)" ] || { echo "-- taps left after QEMU exited: $(taps)"; return 1; }
	echo "-- tap gone after QEMU exited"
}

# One queue needs no more vCPUs than the other tests' guests.
run_case_2cpus() { VM_SMP=2 run_case "$@"; }

# A persistent multiqueue tap that 'tapgate apply' made for the test user:
# the user's own QEMU opens it by name with 4 queues (no helper at all), the
# guest has 4 queue pairs and pings, status names the holder; the tap stays
# after QEMU. Another user's QEMU is refused by the kernel.
OWNED="[tap vm1-lan]
user = $SANDBOX_USER
bridge = br0
multi-queue = true"
OWNED_NETDEV="tap,id=n0,ifname=vm1-lan,script=no,downscript=no,queues=4"
OWNED_DEVICE="virtio-net-pci,netdev=n0,mq=on,vectors=10,mac=52:54:00:7a:62:02"
owned_tap() {
	local tun status rc=0
	"$TAPGATE_CLI" apply || return 1
	chmod 0666 /dev/net/tun		# as udev makes it: opening it is not the check
	vm_run owned "$as_user" "$OWNED_NETDEV" "$OWNED_DEVICE"
	if ! vm_wait_ping; then
		chmod 0600 /dev/net/tun
		cat "$VM_LOG"
		return 1
	fi
	tun=$(ip -d link show dev vm1-lan | grep -o 'tun type tap.*')
	status=$("$TAPGATE_CLI" status | grep '^  vm1-lan:')
	vm_release || rc=$?
	chmod 0600 /dev/net/tun
	cat "$VM_LOG"
	echo "-- while QEMU ran: $tun"
	echo "-- status: $status"
	[ "$rc" = 0 ] && guest_queues 4 || return 1
	[[ $tun == *"multi_queue numqueues 4 numdisabled 0 persist on user $SANDBOX_USER"* ]] &&
	[[ $status == *"as declared; multi-queue, 4 queues attached; held by pid "*" (qemu-system-x86), user $SANDBOX_USER"* ]] || return 1
	tun=$(ip -d link show dev vm1-lan | grep -o 'tun type tap.*')
	echo "-- after QEMU: $tun"
	[[ $tun == *"multi_queue numqueues 0 numdisabled 0 persist on"* ]]
}
owned_tap_refused() {
	local rc=0 other="setpriv --reuid=4243 --regid=4243 --clear-groups"
	chmod 0666 /dev/net/tun
	VM_JOB_OWNER=4243 vm_run other "$other" "$OWNED_NETDEV" "$OWNED_DEVICE"
	wait "$VM_PID" || rc=$?
	chmod 0600 /dev/net/tun
	cat "$VM_LOG"
	echo "-- QEMU of uid 4243 exited $rc"
	# refused by the kernel on the tap (EPERM), not stopped by anything else
	[ "$rc" != 0 ] && ! grep -q TG-PING-OK "$VM_LOG" &&
		grep 'vm1-lan' "$VM_LOG" | grep -q 'Operation not permitted' &&
		ip -d link show dev vm1-lan | grep -q 'multi_queue numqueues 0 '
}

# refused NET ARGS... : 'tapgate run' fails with the helper's one line before
# the command runs, and leaves no tap.
refused() {
	local net=$1 want=$2 out rc=0
	shift 2
	rm -f /tmp/ran
	# shellcheck disable=SC2086
	out=$($as_user $run --net "n0=$net" -- sh -c 'touch /tmp/ran' "$@" 2>&1) || rc=$?
	echo "-- exit $rc: $out"
	[ "$rc" = 1 ] && [ "$out" = "$want" ] && [ ! -e /tmp/ran ] && [ -z "$(taps)" ]
}

mac=52:54:00:7a:62:01
echo "1..6"
policy "max-queues = 4"
check "tapgate run queues=4: the guest has 4 queue pairs and pings, the tap is gone after" \
	run_case mq4 br0,queues=4 "tap,id=n0,fds={n0.fds}" \
	"virtio-net-pci,netdev=n0,mq=on,vectors={n0.vectors},mac=$mac" 4 \
	"multi_queue numqueues 4 numdisabled 0 persist off user $SANDBOX_USER group $SANDBOX_USER"
check "tapgate run without queues: qemu-bridge-helper's one descriptor ({n0.fd})" \
	run_case_2cpus sq br0 "tap,id=n0,fd={n0.fd}" "virtio-net-pci,netdev=n0,mac=$mac" 1 \
	"pi off vnet_hdr on persist off user $SANDBOX_USER group $SANDBOX_USER"
policy "max-queues = 2"
check "queues=4 over max-queues = 2: refused before the command runs, nothing left" \
	refused br0,queues=4 "$DENIED"
check "a placeholder naming what the port lacks: refused before the command runs" \
	refused br0,queues=2 "tapgate run: '{n0.vhostfds}': '--net n0' has no 'vhost=on'" '{n0.vhostfds}'
policy "
$OWNED"
check "a persistent multiqueue tap of the user's, opened by name by the user's QEMU with queues=4" \
	owned_tap
check "the same tap refused to another user's QEMU" owned_tap_refused
tap_end
