#!/usr/bin/env bash
# Run a test that needs kernel features this host may lack (802.1Q, bridge
# vlan_filtering): natively where the host kernel has them, otherwise inside
# the test guest. TG_KERNEL_TEST=guest forces the guest.
#
#   kernel-test.sh COMMAND [ARG]...
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ "${TG_KERNEL_TEST:-}" != guest ] && bash "$here/guest-features.sh" >/dev/null 2>&1; then
	echo "kernel-test: the host kernel has the features; running natively" >&2
	exec "$@"
fi
echo "kernel-test: running in the guest kernel" >&2
exec "$here/run-guest.sh" -- "$@"
