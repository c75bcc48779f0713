# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by the libvirt tests after sandbox_enter: a real libvirtd (system
# mode) whose config, state, hooks and guests are private to the test and
# vanish with it. 'libvirtd_setup' once, then start_libvirtd/stop_libvirtd;
# the EXIT trap destroys every guest and stops the daemon.
: "${TAPGATE_HOOK:?}"

libvirtd_setup() {
	# libvirt's own directories, private: /etc is already an overlay; /var too.
	mkdir -p /tmp/.var-upper /tmp/.var-work
	sandbox_replace /var -t overlay overlay \
		-o lowerdir=/var,upperdir=/tmp/.var-upper,workdir=/tmp/.var-work
	grep -q '^libvirt-qemu:' /etc/passwd ||
		echo 'libvirt-qemu:x:64055:64055::/var/lib/libvirt:/usr/sbin/nologin' >> /etc/passwd
	grep -q '^libvirt-qemu:' /etc/group || echo 'libvirt-qemu:x:64055:' >> /etc/group
	grep -q '^kvm:' /etc/group || echo 'kvm:x:64056:' >> /etc/group
	mkdir -p /etc/libvirt/hooks/qemu.d /etc/libvirt/hooks/network.d /var/lib/libvirt /var/log/libvirt \
		/var/cache/libvirt /run/libvirt
	cp "$TAPGATE_HOOK" /etc/libvirt/hooks/qemu.d/tapgate
	cp "$TAPGATE_HOOK" /etc/libvirt/hooks/network.d/tapgate
	cat > /etc/libvirt/libvirtd.conf <<'CONF'
auth_unix_ro = "none"
auth_unix_rw = "none"
CONF
	cat > /etc/libvirt/qemu.conf <<'CONF'
user = "root"
group = "root"
dynamic_ownership = 0
security_driver = "none"
stdio_handler = "file"
cgroup_controllers = [ ]
namespaces = [ ]
CONF
	trap cleanup EXIT
}

LIBVIRTD=
start_libvirtd() {
	libvirtd >/tmp/libvirtd.log 2>&1 &
	LIBVIRTD=$!
	# LIBVIRTD_WAIT: seconds to wait for it to answer.
	local deadline=$((SECONDS + ${LIBVIRTD_WAIT:-10}))
	while [ $SECONDS -lt $deadline ] && kill -0 "$LIBVIRTD" 2>/dev/null; do
		virsh -c qemu:///system version >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "# libvirtd did not come up:"; sed 's/^/# /' /tmp/libvirtd.log
	return 1
}
stop_libvirtd() {
	[ -n "$LIBVIRTD" ] || return 0
	kill "$LIBVIRTD" 2>/dev/null
	wait "$LIBVIRTD" 2>/dev/null
	LIBVIRTD=
}
WATCH=
cleanup() {
	[ -z "$WATCH" ] || { kill "$WATCH"; wait "$WATCH"; } 2>/dev/null
	for d in $(virsh -c qemu:///system list --name 2>/dev/null); do
		virsh -c qemu:///system destroy "$d" >/dev/null 2>&1
	done
	stop_libvirtd
}
v() { virsh -c qemu:///system "$@"; }

# nic MAC: a virtio NIC on br0.
nic() {
	printf "    <interface type='bridge'>\n      <mac address='%s'/>\n" "$1"
	printf "      <source bridge='br0'/>\n      <model type='virtio'/>\n    </interface>\n"
}

tap_of() { v domiflist "$1" | awk -v mac="$2" '$5 == mac { print $1 }'; }

# The daemon's version, "11.3.0", and as a number: 11003000.
libvirt_version_string() { v version --daemon | awk '/Running against daemon/ { print $NF }'; }
libvirt_version() {
	local n
	n=$(libvirt_version_string | awk -F. '{ print $1 * 1000000 + $2 * 1000 + $3 }')
	[ -n "$n" ] || { echo "cannot read libvirtd's version" >&2; echo 0; return 1; }
	echo "$n"
}

# domain_xml NAME UUID TEXT: a diskless guest whose NIC and metadata are what
# 'tapgate xml interface' printed (TEXT).
domain_xml() {
	echo "<domain type='qemu'><name>$1</name><uuid>$2</uuid>"
	echo "<metadata>$(sed -n '/<tapgate:ports/,$p' <<<"$3")</metadata>"
	echo "<memory unit='MiB'>64</memory><os><type arch='x86_64' machine='pc'>hvm</type></os>"
	echo "<devices>$(sed -n '/<interface/,/<\/interface>/p' <<<"$3")</devices></domain>"
}
