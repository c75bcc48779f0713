#!/usr/bin/env bash
# Run a command inside the test guest and return its exit status.
#
#   run-guest.sh [--qemu-arg ARG]... [--timeout SECONDS] -- COMMAND [ARG]...
#
# The guest boots Debian's kernel (built by mkimage.py into $TG_VM_IMAGE),
# mounts the host's /usr, the source tree ($TG_SRC) and the build tree
# ($TG_BUILD) read-only at the same paths, runs COMMAND under bash in the
# source tree with its output on this script's stdout, and powers off.
# QEMU runs in the caller's network namespace; extra --qemu-arg words (e.g. a
# -netdev) are passed through. A timeout, a crash, or a missing exit status
# fail loudly.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${TG_VM_IMAGE:?TG_VM_IMAGE must name the directory mkimage.py wrote}"
: "${TG_SRC:=$(cd "$here/../.." && pwd)}"
: "${TG_BUILD:=$TG_SRC}"
timeout=${TG_VM_TIMEOUT:-240}
qemu_args=()
while [ $# -gt 0 ]; do
	case $1 in
	--qemu-arg) qemu_args+=("$2"); shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "run-guest: unknown option '$1'" >&2; exit 2 ;;
	esac
done
[ $# -gt 0 ] || { echo "run-guest: no command given" >&2; exit 2; }

# The job directory is shared read-write with the guest (exit status, and
# files a test uses to talk to its guest); TG_VM_JOB names one to use.
if [ -n "${TG_VM_JOB:-}" ]; then
	job=$TG_VM_JOB
else
	job=$(mktemp -d "${TMPDIR:-/tmp}/tapgate-guest.XXXXXX")
	trap 'rm -rf "$job"' EXIT
fi
chmod 755 "$job"
printf 'export TG_SRC=%q TG_BUILD=%q\n' "$TG_SRC" "$TG_BUILD" > "$job/env"
# The test's own settings (TAPGATE_*) reach the guest; nothing else does.
for v in $(compgen -e); do
	case $v in TAPGATE_*) printf 'export %s=%q\n' "$v" "${!v}" ;; esac
done > "$job/cmd"
printf '%q ' "$@" >> "$job/cmd"
echo >> "$job/cmd"
# QEMU may run as another user (tests of the setuid helper): let it write rc.
[ -z "${TG_VM_JOB_OWNER:-}" ] || chown "$TG_VM_JOB_OWNER" "$job"

accel=$("$here/accel.sh")
share() { echo "local,path=$1,mount_tag=$2,security_model=none,multidevs=remap${3:+,$3}"; }
# TG_VM_SMP: more vCPUs (a multiqueue virtio-net enables one queue pair per vCPU)
qemu=(qemu-system-x86_64 -machine "q35,accel=$accel" -cpu max -smp "${TG_VM_SMP:-2}" -m 1024
	-nodefaults -no-user-config -display none -no-reboot
	# ttyS0: the kernel's console, kept in the job directory; ttyS1: the
	# command's output, and nothing else, on our stdout.
	-chardev "file,id=console,path=$job/console.log" -serial chardev:console -serial stdio
	-kernel "$TG_VM_IMAGE/vmlinux" -initrd "$TG_VM_IMAGE/initramfs.cpio"
	-append "console=ttyS0 loglevel=3 panic=-1 mitigations=off 8250.nr_uarts=2"
	-virtfs "$(share /usr usr readonly=on)"
	-virtfs "$(share /etc hostetc readonly=on)"
	-virtfs "$(share "$TG_SRC" src readonly=on)"
	-virtfs "$(share "$job" job)")
[ "$TG_BUILD" = "$TG_SRC" ] || qemu+=(-virtfs "$(share "$TG_BUILD" build readonly=on)")

# timeout(1) puts QEMU in its own process group, where neither Ctrl-C nor a
# test harness's kill reaches it: forward those ourselves.
# shellcheck disable=SC2086
${TG_VM_RUN_AS:+$TG_VM_RUN_AS} timeout -k 5 "$timeout" "${qemu[@]}" "${qemu_args[@]}" </dev/null &
qpid=$!
trap 'kill -TERM "$qpid" 2>/dev/null; interrupted=1' INT TERM
interrupted=0
qrc=0
wait "$qpid" || qrc=$?
while kill -0 "$qpid" 2>/dev/null; do wait "$qpid" || qrc=$?; done
if [ "$interrupted" = 1 ]; then
	echo "run-guest: interrupted" >&2
	exit 1
fi
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "run-guest: TIMEOUT: the guest did not finish within ${timeout}s; its console:" >&2
	tail -n 30 "$job/console.log" >&2 2>/dev/null
	exit 1
fi
if [ ! -s "$job/rc" ]; then
	echo "run-guest: the guest reported no exit status (QEMU exit status $qrc); its console:" >&2
	tail -n 30 "$job/console.log" >&2 2>/dev/null
	exit 1
fi
exit "$(cat "$job/rc")"
