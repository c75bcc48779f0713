#!/usr/bin/env bash
# 'tapgate run' without a guest: what the command gets (which descriptors,
# open across exec, the placeholders' values), what it is refused (one line,
# before the command runs, no tap left), run as the unprivileged test user
# through a setuid copy of the helper. The real QEMU runs are tests/vm/test-run.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../vm/sandbox.sh"
sandbox_enter "$@"
. "$here/../common/tap.sh"
: "${TAPGATE_HELPER:?}" "${TAPGATE_CLI:?}"

ip link add br0 type bridge
ip link add br1 type bridge
ip link set br0 up
ip link set br1 up
setuid_helper=$(sandbox_setuid_copy "$TAPGATE_HELPER")
as_user=$(sandbox_run_as_user)
sandbox_policy /etc/tapgate/tapgate.conf "[bridge br0]
allow-users = *
max-queues = 4
allow-vhost = true

[bridge br1]
allow-users = *
"
taps() { ip -o link show type tun | awk -F': ' '{print $2}'; }
DENIED="tapgate-helper: access denied by policy (the reason is logged to syslog, authpriv)"

# run_user ARGS...: 'tapgate run' as the test user; sets out and rc
run_user() {
	rc=0
	# shellcheck disable=SC2086
	out=$($as_user "$TAPGATE_CLI" run --helper "$setuid_helper" "$@" 2>&1) || rc=$?
}

# What the command sees of its descriptors: "FD TARGET" for each above 2
# (the directory the glob reads is gone by then: no target, left out).
# shellcheck disable=SC2016
FDS='for f in /proc/self/fd/*; do n=${f##*/}; t=$(readlink "$f"); [ "$n" -gt 2 ] && [ -n "$t" ] && echo "$n $t"; done; true'
# The same with the device numbers (major:minor, hex) of each.
# shellcheck disable=SC2016
DEVS='for f in /proc/self/fd/*; do n=${f##*/}; t=$(readlink "$f"); [ "$n" -gt 2 ] && [ -n "$t" ] && echo "$n $t $(stat -L -c %t:%T "$f")"; done; true'

placeholders() {
	run_user --net n0=br0,queues=4 --net w_1=br1 -- sh -c \
		'echo "{n0.fds}|{n0.fds,}|{n0.queues}|{n0.vectors}|{n0.ifname}|{w_1.fd}|{w_1.fds}|{w_1.queues}|{w_1.ifname}|{x}|{n0}|{N0.FDS}"'
	echo "$out"
	[ "$rc" = 0 ] || return 1
	IFS='|' read -r fds comma q v if0 fd1 fds1 q1 if1 rest <<< "$out"
	[[ $fds =~ ^[0-9]+:[0-9]+:[0-9]+:[0-9]+$ ]] && [ "$comma" = "${fds//:/,}" ] &&
		[ "$q" = 4 ] && [ "$v" = 10 ] && [[ $if0 == tg4242-* ]] &&
		[[ $fd1 =~ ^[0-9]+$ ]] && [ "$fds1" = "$fd1" ] && [ "$q1" = 1 ] &&
		[[ $if1 == tg4242-* ]] && [ "$if0" != "$if1" ] &&
		[ "$rest" = "{x}|{n0}|{N0.FDS}" ]	# not placeholders: left as they are
}

# Exactly the taps' descriptors reach the command, open, besides what its
# caller had open anyway; they are the taps.
descriptors() {
	local want base
	# shellcheck disable=SC2086
	base=$($as_user sh -c "$FDS")
	run_user --net n0=br0,queues=3 -- sh -c "echo {n0.fds}; $FDS; echo END; ip -d link show {n0.ifname}"
	echo "$out"
	[ "$rc" = 0 ] || return 1
	want=$({ head -1 <<< "$out" | tr : '\n' | sed 's|$| /dev/net/tun|'; [ -z "$base" ] || echo "$base"; } | sort)
	[ "$(sed -n '2,/^END$/p' <<< "$out" | sed '$d' | sort)" = "$want" ] &&	# nothing else open
		grep -q "multi_queue numqueues 3 .*persist off user $SANDBOX_USER group $SANDBOX_USER" <<< "$out" &&
		grep -q "master br0" <<< "$out" && [ -z "$(taps)" ]
}

# The command's exit status is run's own (it is the same process), and the
# tap goes with it; an exec that fails is 127/126 and leaves no tap.
exit_status() {
	run_user --net n0=br0 -- sh -c 'exit 7'
	[ "$rc" = 7 ] && [ -z "$(taps)" ] || return 1
	run_user --net n0=br0 -- /nonexistent/vmm '{n0.fd}'
	echo "$out"
	[ "$rc" = 127 ] && [ "$out" = "tapgate run: cannot run '/nonexistent/vmm': No such file or directory" ] &&
		[ -z "$(taps)" ]
}

vnet_off() {
	run_user --net n0=br1,vnet=off -- sh -c 'ip -d link show {n0.ifname}'
	echo "$out"
	[ "$rc" = 0 ] && grep -q "tun type tap pi off vnet_hdr off" <<< "$out"
}

# /dev/vhost-net stand-ins (no vhost_net on this host; the guest test has
# the real one): 0600, only the helper opens it, where allow-vhost says so;
# 0666, the user's own. Null (1:3) or zero (1:5) tell who opened it.
vhost() {
	local mode=$1 net=$2 want=$3
	mknod -m "$mode" /dev/vhost-net c 1 "$([ "$mode" = 0600 ] && echo 3 || echo 5)"
	run_user --net "n0=$net,queues=2,vhost=on" -- sh -c "echo {n0.vhostfds}; $DEVS"
	rm /dev/vhost-net
	echo "$out"
	[ -z "$(taps)" ] || return 1
	case $want in
	denied) [ "$rc" = 1 ] && [ "$out" = "$DENIED" ] ;;
	*) [ "$rc" = 0 ] && [ "$(grep -c " /dev/vhost-net $want\$" <<< "$out")" = 2 ] &&
		[ "$(grep -c /dev/net/tun <<< "$out")" = 2 ] ;;
	esac
}

# A caller that ignores SIGCHLD (inherited across exec): the helper's exit
# status is still read, so a refusal is one, and a grant works.
sigchld_ignored() {
	local o1 r1=0 o2 r2=0
	# shellcheck disable=SC2016
	o1=$($as_user perl -e '$SIG{CHLD} = "IGNORE"; exec @ARGV' "$TAPGATE_CLI" run \
		--helper "$setuid_helper" --net n0=br9 -- true 2>&1) || r1=$?
	# shellcheck disable=SC2016
	o2=$($as_user perl -e '$SIG{CHLD} = "IGNORE"; exec @ARGV' "$TAPGATE_CLI" run \
		--helper "$setuid_helper" --net n0=br0 -- sh -c 'echo {n0.ifname}' 2>&1) || r2=$?
	echo "-- $r1: $o1"
	echo "-- $r2: $o2"
	[ "$r1" = 1 ] && [ "$o1" = "$DENIED" ] && [ "$r2" = 0 ] && [[ $o2 == tg4242-* ]]
}

# refused WANT_RC WANT_OUT ARGS...: one line, before the command, no tap left
refused() {
	local want_rc=$1 want=$2
	shift 2
	rm -f /tmp/ran
	run_user "$@" -- sh -c 'touch /tmp/ran' '{n0.fds}'
	echo "-- exit $rc: $out"
	[ "$rc" = "$want_rc" ] && [ "$out" = "$want" ] && [ ! -e /tmp/ran ] && [ -z "$(taps)" ]
}
usage() { echo "$1 (try 'tapgate run --help')"; }

cases=(
	"every placeholder, two --net|placeholders"
	"the command holds exactly the taps' descriptors|descriptors"
	"exit status and a failed exec|exit_status"
	"vnet=off: no virtio-net header|vnet_off"
	"vhost, device 0600, allow-vhost: the helper's descriptors|vhost 0600 br0 1:3"
	"vhost, device 0600, no allow-vhost: denied|vhost 0600 br1 denied"
	"vhost, device 0666: the user's own, whatever the policy|vhost 0666 br1 1:5"
	"over max-queues|refused 1 '$DENIED' --net n0=br0,queues=5"
	"a bridge nobody may use|refused 1 '$DENIED' --net n0=br9"
	"a placeholder of no --net|refused 1 \"tapgate run: '{n0.fds}': no '--net n0=...' was given\" --net n1=br0"
	"{n0.fd} of a multiqueue tap|refused 1 \"tapgate run: '{n0.fd}': '--net n0' has 2 queues; use '{n0.fds}'\" --net n0=br0,queues=2 -- sh -c true {n0.fd}"
	"the second --net refused: the first one's tap goes too|refused 1 '$DENIED' --net n0=br0,queues=2 --net n1=br9"
	"a name given twice|refused 2 \"$(usage "tapgate run: '--net n0=br1': 'n0' is given twice")\" --net n0=br0 --net n0=br1"
	"queues=0|refused 2 \"$(usage "tapgate run: '--net n0=br0,queues=0': queues must be a number from 1 to 256")\" --net n0=br0,queues=0"
	"an unknown option|refused 2 \"$(usage "tapgate run: '--net n0=br0,mq=on': unknown option 'mq' (known: queues, vhost, vlan, vnet)")\" --net n0=br0,mq=on"
	"a bad bridge name|refused 2 \"$(usage "tapgate run: '--net n0=br/0': bridge or network name 'br/0' may contain only letters, digits, '_', '-' and '.'")\" --net n0=br/0"
	"no --net|refused 2 \"$(usage "tapgate run: no '--net NAME=NETWORK' given")\""
	"an ignored SIGCHLD, inherited: the helper's status still counts|sigchld_ignored"
	"a helper that is not one|refused 1 \"tapgate run: the helper '/bin/true' exited without sending a descriptor for 'n0'\" --helper /bin/true --net n0=br0"
)
echo "1..${#cases[@]}"
for c in "${cases[@]}"; do
	eval "check \"\${c%%|*}\" ${c#*|}"
done
tap_end
