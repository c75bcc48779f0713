# Sourced by tests/golden.sh in the test's own network namespace: the taps
# that 'status' and 'sync' must (and must not) report as persistent helper taps.
# 'state' and 'pids' are golden.sh's.
# shellcheck shell=bash disable=SC2154
# A helper tap its holder made persistent, as 'ip tuntap' makes it, on a bridge
# that no policy names (a port of br0 would give br0 its MAC):
ip link add brtaps type bridge
ip tuntap add dev tg4242-ab12 mode tap user 4242
ip link set dev tg4242-ab12 master brtaps
# ... one with no owner, on no bridge:
ip tuntap add dev tg4243-cd34 mode tap
# not the helper's: another name, a tun
ip tuntap add dev vm-tap0 mode tap user 4242
ip tuntap add dev tg4242-tun mode tun user 4242
# a helper tap as the helper leaves it: not persistent, alive while held open
python3 -c '
import fcntl, os, signal, struct, sys
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", b"tg4242-ef56", 0x0002 | 0x1000))  # TUNSETIFF: IFF_TAP|IFF_NO_PI
fcntl.ioctl(fd, 0x400454cc, 4242)  # TUNSETOWNER
print("held", flush=True)
signal.pause()' -name guest=vm-golden,debug-threads=on > "$state/held" &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$state/held" ] && break; sleep 0.05; done
ip link show dev tg4242-ef56 > /dev/null
# The shipped policy with every example uncommented: it must be valid as it
# stands on a stock Debian host (no unknown names, no section twice).
sed -E 's/^# ((\[|[a-z-]+ =).*)$/\1/' "$data/../../../packaging/tapgate.conf" > "$state/shipped.conf"
# 'sync --dry-run' against a domain of libvirt's test driver (sync-domain.xml)
# whose ports are real taps on brsync, none of them as configured yet.
ip link add brsync type bridge
for t in ds1 ds2 ds3; do
	ip tuntap add dev $t mode tap
	ip link set dev $t master brsync
done
# 'status --network' (status.conf): on br300-st-up (sub300's bridge), the held tap (its holder
# shows QEMU's "-name guest=vm-golden"), a tap nobody holds and a veth.
ip link add br300-st-up type bridge
ip link set dev tg4242-ef56 master br300-st-up
ip tuntap add dev st-idle mode tap
ip link set dev st-idle master br300-st-up
ip link add st-veth type veth peer name st-veth-peer
ip link set dev st-veth master br300-st-up
# 'status' of [tap] sections (status-taps.conf), on brst: st-tap-ok as declared,
# st-tap-drift not in the bridge, down and with another MTU, st-tap-held held by a
# process with two queues attached (its holder shows QEMU's "-name guest=vm-taps").
ip link add brst type bridge
ip link set dev brst up
ip tuntap add dev st-tap-ok mode tap user 4242
ip link set dev st-tap-ok address fe:54:00:00:00:01 master brst up
ip tuntap add dev st-tap-drift mode tap group 4243 multi_queue
ip link set dev st-tap-drift address fe:54:00:00:00:02
python3 -c '
import fcntl, os, signal, struct
fds = [os.open("/dev/net/tun", os.O_RDWR) for _ in range(2)]
for fd in fds:  # TUNSETIFF: IFF_TAP|IFF_NO_PI|IFF_MULTI_QUEUE
    fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", b"st-tap-held", 0x0002 | 0x1000 | 0x0100))
fcntl.ioctl(fds[0], 0x400454cc, 4242)  # TUNSETOWNER
fcntl.ioctl(fds[0], 0x400454cb, 1)  # TUNSETPERSIST
print("held", flush=True)
signal.pause()' -name guest=vm-taps > "$state/held-taps" &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$state/held-taps" ] && break; sleep 0.05; done
ip link set dev st-tap-held address fe:54:00:00:00:03 master brst up
