#!/usr/bin/env bash
# tapgate in one minute: boot a tiny real VM whose network comes from
# tapgate-helper, as an unprivileged user, and watch the tap come and go.
#
# Needs root (it installs what is missing and makes private namespaces). All
# it creates - the network namespace with its bridge, the policy, the test
# user, the taps, temporary files - lives in namespaces of its own and
# vanishes when it exits, Ctrl-C included. Only the build directory stays.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold= plain=; fi
step() { printf '\n%s%s%s\n' "$bold" "$*" "$plain"; }

if [ -z "${TG_SANDBOXED:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "demo.sh: run me as root (sudo scripts/demo.sh)" >&2; exit 1; }
	step "[1/6] Installing what is missing and building tapgate (in $build/)"
	. scripts/lib.sh
	tg_install_deps
	tg_build "$build" >/dev/null
	meson compile -C "$build" vm-image >/dev/null
	echo "built $build/helper/tapgate-helper; guest kernel: $(cat "$build/tests/vm/kernel-version")"
fi

SANDBOX_USER=alice
. tests/vm/sandbox.sh
sandbox_enter "$@"
export TG_VM_IMAGE=$PWD/$build/tests/vm TG_SRC=$PWD TG_BUILD=$PWD/$build
VM_PID=
trap '[ -z "$VM_PID" ] || { kill "$VM_PID"; wait "$VM_PID"; } 2>/dev/null; echo; echo "demo: interrupted; everything it made is gone"; exit 130' INT TERM

step "[2/6] A private network namespace with bridge br0 (10.0.0.1/24, MTU 1400)"
ip link add br0 type bridge
ip link set br0 mtu 1400 up
ip addr add 10.0.0.1/24 dev br0
ip -br addr show br0

step "[3/6] The policy: user 'alice' may use br0 (/etc/tapgate/tapgate.conf, private to the demo)"
sandbox_policy /etc/tapgate/tapgate.conf "[bridge br0]
allow-users = alice
"
cat /etc/tapgate/tapgate.conf
helper=$(sandbox_setuid_copy "$build/helper/tapgate-helper")
ls -l "$helper"

step "[4/6] alice boots a guest: qemu-system-x86_64 -netdev bridge,br=br0,helper=tapgate-helper ..."
vm_start demo "$helper" bridge "$(sandbox_run_as_user)" 52:54:00:12:34:56 10.0.0.2/24 10.0.0.1 3
until ip -o link show master br0 2>/dev/null | grep -q .; do
	kill -0 "$VM_PID" 2>/dev/null || { cat "$VM_LOG"; echo "demo: QEMU failed" >&2; exit 1; }
	sleep 0.1
done
echo "the tap appeared on br0:"
ip -br link show master br0
bridge link show master br0

step "[5/6] Inside the guest: ping 10.0.0.1 (the host's bridge)"
vm_wait_ping || { cat "$VM_LOG"; echo "demo: the guest got no answer" >&2; exit 1; }
grep -E '^PING|bytes from|packets|round-trip' "$VM_LOG"
echo "the guest's MAC, learnt by the bridge:"
bridge fdb show br br0 | grep -i 52:54:00:12:34:56

step "[6/6] The guest powers off; QEMU exits"
vm_release
VM_PID=
echo "ports on br0 now: $(ip -o link show master br0 | wc -l)"
echo
echo "demo: done. The namespace, the bridge, the policy and the user vanish as this script exits."
