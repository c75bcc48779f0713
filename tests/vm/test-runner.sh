#!/usr/bin/env bash
# The guest-kernel runner must report failure, and the guest kernel must have
# what the host kernel lacks. TAP output.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
failed=0
echo "1..2"
"$here/run-guest.sh" -- bash -c 'echo "guest: exiting 3"; exit 3' >&2
rc=$?
if [ "$rc" = 3 ]; then
	echo "ok 1 - a guest command exiting 3 makes the runner exit 3"
else
	echo "not ok 1 - a guest command exiting 3 made the runner exit $rc"; failed=1
fi
if "$here/run-guest.sh" -- bash tests/vm/guest-features.sh >&2; then
	echo "ok 2 - the guest kernel has bridge vlan_filtering and 802.1Q (read over netlink)"
else
	echo "not ok 2 - the guest kernel lacks vlan_filtering or 802.1Q"; failed=1
fi
exit $failed
