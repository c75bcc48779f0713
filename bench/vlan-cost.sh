#!/usr/bin/env bash
# The extra cost of a VLAN access port over a plain port, in tapgate-helper.
# Needs bridge vlan_filtering: run through tests/vm/kernel-test.sh (natively
# where the host kernel has it, in the test guest otherwise; under TCG the
# absolute times are inflated, the ratio is what this reports).
#
#   tests/vm/kernel-test.sh bash bench/vlan-cost.sh BUILD_DIR [ROUNDS]
set -euo pipefail
build=$1 rounds=${2:-5}
here=$(cd "$(dirname "$0")" && pwd)
SANDBOX_USER=bench
. "$here/../tests/vm/sandbox.sh"
sandbox_enter "$@"
ip link add br0 type bridge vlan_filtering 1 && ip link set br0 up
ip link add br1 type bridge && ip link set br1 up
printf '[bridge br1]\nallow-users = *\n[network lan100]\nbridge = br0\nvlan = 100\nallow-users = *\n' \
	> /etc/tapgate/tapgate.conf
B=$build/bench/bench-exec H=$build/helper/tapgate-helper
# In the test guest /etc/alternatives is absent: name the real awk.
awk() { if command -v mawk >/dev/null; then mawk "$@"; else command awk "$@"; fi; }
: > /tmp/v; : > /tmp/p
for _ in $(seq 1 "$rounds"); do	# alternate in batches
	$B helper 10 lan100 vlan="$H" >> /tmp/v
	$B helper 10 br1 plain="$H" >> /tmp/p
done
med() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
v=$(awk '{ print $2 }' /tmp/v | med) p=$(awk '{ print $2 }' /tmp/p | med)
printf 'helper, plain port (ms)             %8s\n' "$p"
printf 'helper, VLAN 100 access port (ms)   %8s   %sx the plain port\n' "$v" \
	"$(awk -v a="$v" -v b="$p" 'BEGIN { printf "%.2f", a / b }')"
