#!/usr/bin/env bash
# The installed helper is linked statically and loads no code at run time:
# no NEEDED entry, no interpreter, and a whole call (a policy that names a
# user and a group, a quota) opens only the files it has to and maps nothing
# executable. Catches NSS modules, gconv, locale, /etc/localtime and
# /dev/urandom reads coming back. TAP output.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../vm/sandbox.sh"
sandbox_enter "$@"
: "${TAPGATE_HELPER:?}"

. "$here/../common/tap.sh"

no_needed() {
	readelf -d "$TAPGATE_HELPER" | grep NEEDED && return 1
	readelf -l "$TAPGATE_HELPER" | grep -i interp && return 1
	return 0
}

ip link add br0 type bridge && ip link set br0 up
printf '[bridge br0]\nallow-users = %s, root\nallow-groups = %s\nmax-ports = 5\n' \
	"$SANDBOX_USER" "$SANDBOX_USER" > /etc/tapgate/tapgate.conf
chmod 644 /etc/tapgate/tapgate.conf

# One call as QEMU makes it, under strace: every open and every mapping.
python3 - "$TAPGATE_HELPER" <<'PY' > /tmp/call.log 2>&1
import socket, subprocess, sys
a, b = socket.socketpair()
p = subprocess.Popen(["strace", "-f", "-qq", "-o", "/tmp/trace", "-e",
                      "trace=open,openat,openat2,mmap,mprotect,execve",
                      sys.argv[1], "--use-vnet", "--br=br0", "--fd=%d" % b.fileno()],
                     pass_fds=[b.fileno()])
b.close()
msg, anc, _, _ = a.recvmsg(1, 64)
p.wait()
print("exit", p.returncode, "fds", len(anc))
PY

call_works() { cat /tmp/call.log; grep -qx "exit 0 fds 1" /tmp/call.log; }

# What a call may open: the policy (one component at a time), the user and
# group files, the tun node, the quota state.
only_expected_opens() {
	local bad
	bad=$(grep -E '^[0-9]+ +open' /tmp/trace | sed -E 's/.*open(at|at2)?\((AT_FDCWD, |[0-9]+, )?"([^"]*)".*/\3/' |
		grep -vxE '/|etc|tapgate|tapgate\.conf|qemu|bridge\.conf|passwd|group|/dev/net/tun|/run/tapgate|bridge:br0\.(lock|ports)')
	[ -z "$bad" ] || { echo "unexpected opens:"; echo "$bad"; return 1; }
	grep -cE '^[0-9]+ +open' /tmp/trace | sed 's/^/opens: /'
}

no_code_mapped() {
	! grep -E 'PROT_EXEC' /tmp/trace
}

# SECURITY.md counts the lines of C linked into the helper: its compile
# units, from the debug information.
security_count() {
	local files total said
	: "${TG_SRC:?}"
	files=$(readelf --debug-dump=info "$TAPGATE_HELPER" 2>/dev/null |
		grep -A8 DW_TAG_compile_unit | awk '/DW_AT_name/ { print $NF }' |
		grep -oE '(lib|helper)/[a-z-]+\.c$' | sort -u)
	[ -n "$files" ] || { echo "no debug information in $TAPGATE_HELPER (build with -g)"; return 1; }
	total=$(cd "$TG_SRC" && cat $files | wc -l)
	said=$(grep -oE 'The C linked into it: [0-9,]+ lines' "$TG_SRC/SECURITY.md" | grep -oE '[0-9,]+' | tr -d ,)
	echo "linked: $total lines in $(echo $files | wc -w) files; SECURITY.md says ${said:-nothing}"
	[ -n "$said" ] && [ $((total * 100)) -ge $((said * 95)) ] && [ $((total * 100)) -le $((said * 105)) ]
}

# Names come from /etc/group itself: a group of 5,000 members (a line far
# longer than the first buffer) does not hide the groups after it.
big_group_line() {
	local out
	: "${TAPGATE_CLI:?}"
	{ printf 'tgbig:x:4300:'; seq -s, -f 'member%g' 1 5000; echo 'tgafter:x:4301:'; } > /tmp/groups
	cat /tmp/groups /etc/group > /tmp/group.new && cat /tmp/group.new > /etc/group
	printf '[bridge br9]\nallow-groups = tgafter, tgnosuch\n' > /tmp/big.conf
	out=$("$TAPGATE_CLI" check --policy /tmp/big.conf 2>&1)
	echo "$out" | grep unknown
	# the one that does not exist is said so; the one after the long line is found
	grep -q "unknown group 'tgnosuch'" <<< "$out" && ! grep -q "unknown group 'tgafter'" <<< "$out"
}

check "tapgate-helper has no NEEDED entry and no interpreter" no_needed
check "a group after a 5,000-member group in /etc/group is found" big_group_line
check "SECURITY.md's count of the C linked into the helper is within 5%" security_count
check "a call under strace hands over its tap" call_works
check "the call opens only the policy, passwd/group, the tun node and the quota state" only_expected_opens
check "the call maps no code" no_code_mapped
tap_end
