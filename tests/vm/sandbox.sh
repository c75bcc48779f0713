# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by shell tests: a private world like tests/common/sandbox.c makes
# for the C tests. 'sandbox_enter "$@"' re-runs the calling script in new
# mount and network namespaces, with a tmpfs /tmp, an overlay over /etc (test
# users, policy files), and /dev/net/tun at mode 0600 as on hosts without
# udev. Nothing of the host's network or files is touched.

: "${SANDBOX_USER:=tgtest}" "${SANDBOX_UID:=4242}" "${SANDBOX_GID:=4242}"

fail() { echo "FAIL: $*" >&2; exit 1; }

# Tests run programs from the source and build trees as the unprivileged
# test user: every directory above them must let others through.
sandbox_check_reachable() {	# PATH
	local d=$1 mode
	while [ "$d" != / ] && [ -n "$d" ]; do
		mode=$(stat -c %a "$d" 2>/dev/null) || mode=755
		(( 8#$mode & 1 )) || fail "sandbox: '$1' cannot be reached by the tests' unprivileged user ('$d' is mode $mode); build where others can traverse, e.g. under /tmp or /srv"
		d=$(dirname "$d")
	done
}

# sandbox_replace DIR MOUNT-ARGS...: 'mount MOUNT-ARGS... DIR', keeping the
# source and build trees (TG_SRC, TG_BUILD) visible at their paths if they
# lie under DIR: held open across the mount, then bound back.
sandbox_replace() {
	local dir=$1 v t fd trees=() fds=()
	shift
	for v in TG_SRC TG_BUILD; do
		[ -n "${!v:-}" ] || continue
		t=$(realpath "${!v}") || fail "sandbox: $v '${!v}' does not exist"
		case $t in "$dir"|"$dir"/*) ;; *) continue ;; esac
		exec {fd}<"$t"
		trees+=("$t") fds+=("$fd")
	done
	mount "$@" "$dir" || fail "sandbox: cannot mount over $dir"
	for v in "${!trees[@]}"; do
		mkdir -p "${trees[v]}"
		# -c: mount(8) would resolve the fd's link to the new, empty path.
		mount -c --rbind "/proc/self/fd/${fds[v]}" "${trees[v]}" ||
			fail "sandbox: cannot keep '${trees[v]}' visible"
		eval "exec ${fds[v]}<&-"
	done
}

sandbox_enter() {
	local v
	if [ -z "${TG_SANDBOXED:-}" ]; then
		[ "$(id -u)" = 0 ] || fail "this test must run as root (it creates namespaces)"
		for v in TG_SRC TG_BUILD; do
			[ -z "${!v:-}" ] || sandbox_check_reachable "$(realpath "${!v}")"
		done
		TG_SANDBOXED=1 exec unshare --mount --net "$0" "$@"
	fi
	mount --make-rprivate /
	sandbox_replace /tmp -t tmpfs -o mode=1777 tapgate-test
	sandbox_replace /run -t tmpfs -o mode=0755 tapgate-run	# quota state, ip-netns files
	mkdir /tmp/.etc-upper /tmp/.etc-work
	sandbox_replace /etc -t overlay overlay \
		-o lowerdir=/etc,upperdir=/tmp/.etc-upper,workdir=/tmp/.etc-work
	echo "$SANDBOX_USER:x:$SANDBOX_UID:$SANDBOX_GID::/tmp:/usr/sbin/nologin" >> /etc/passwd
	echo "$SANDBOX_USER:x:$SANDBOX_GID:" >> /etc/group
	mkdir -p /etc/tapgate /etc/qemu
	mount -t tmpfs -o mode=0755 tapgate-dev-net /dev/net
	mknod -m 0600 /dev/net/tun c 10 200
	mount -t sysfs tapgate-sys /sys		# this namespace's links ('tapgate apply')
	ip link set lo up
}

# Write a policy file owned by root, mode 0644.
sandbox_policy() {	# PATH TEXT
	printf '%s' "$2" > "$1"
	chmod 0644 "$1"
}

# A setuid-root copy of the helper that the test user can run.
sandbox_setuid_copy() {	# HELPER -> prints the copy's path
	install -o root -g root -m 4755 "$1" /tmp/tapgate-helper-setuid
	echo /tmp/tapgate-helper-setuid
}

sandbox_run_as_user() {
	echo "setpriv --reuid=$SANDBOX_UID --regid=$SANDBOX_GID --init-groups"
}

# vm_start NAME HELPER KIND RUN_AS MAC [GUEST_PING_ARGS...]
# Boot the test guest in the background with one virtio NIC whose backend is
# '-netdev KIND' (bridge or tap) on br0 through HELPER, running
# tests/vm/guest-ping.sh. Sets VM_PID, VM_JOB (shared with the guest) and
# VM_LOG (its console and QEMU's messages).
vm_start() {
	local name=$1 helper=$2 kind=$3 run_as=$4 mac=$5
	shift 5
	VM_JOB=/tmp/job-$name VM_LOG=/tmp/job-$name.log
	mkdir "$VM_JOB"
	# VM_NETNS: boot it in that namespace (a "host" of a multi-host test);
	# VM_BRIDGE: what -netdev asks for (a bridge or a tapgate network).
	# VM_NETDEV: the whole -netdev value instead (e.g. tap,...,script=...;
	# HELPER and KIND are then unused).
	${VM_NETNS:+ip netns exec "$VM_NETNS"} env \
		"TG_VM_JOB=$VM_JOB" "TG_VM_RUN_AS=$run_as" "TG_VM_JOB_OWNER=${run_as:+$SANDBOX_UID}" \
		"$(dirname "${BASH_SOURCE[0]}")/run-guest.sh" --timeout 180 \
		--qemu-arg -netdev --qemu-arg "${VM_NETDEV:-$kind,id=n0,br=${VM_BRIDGE:-br0},helper=$helper}" \
		--qemu-arg -device --qemu-arg "virtio-net-pci,netdev=n0,mac=$mac" \
		-- bash tests/vm/guest-ping.sh "$@" >"$VM_LOG" 2>&1 &
	VM_PID=$!
}

# Wait until the guest's ping was answered: 0, or 1 when the guest died first
# or took more than 200 s.
vm_wait_ping() {
	local deadline=$((SECONDS + 200))
	until grep -qs TG-PING-OK "$VM_LOG"; do
		if ! kill -0 "$VM_PID" 2>/dev/null || [ $SECONDS -gt $deadline ]; then
			kill "$VM_PID" 2>/dev/null
			wait "$VM_PID" 2>/dev/null
			return 1
		fi
		sleep 0.2
	done
}

# Let the guest power off and return its exit status.
vm_release() {
	local rc=0
	touch "$VM_JOB/release"
	wait "$VM_PID" || rc=$?
	return $rc
}
