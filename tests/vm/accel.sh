#!/usr/bin/env bash
# Print the QEMU accelerator that works here: kvm if a vCPU really runs
# under it, tcg otherwise. On some machines /dev/kvm exists and KVM
# initialises, but vCPUs never make progress, so probe by running code: a
# boot sector that writes to isa-debug-exit, which makes QEMU exit with 1.
set -u
cache=${TG_VM_IMAGE:+$TG_VM_IMAGE/accel}
if [ -n "$cache" ] && [ -s "$cache" ]; then cat "$cache"; exit 0; fi
result() { echo "$1"; [ -z "$cache" ] || echo "$1" 2>/dev/null > "$cache" || true; exit 0; }
[ -w /dev/kvm ] || result tcg
img=$(mktemp)
trap 'rm -f "$img"' EXIT
# mov al,0; out 0xf4,al; hlt; ... 0x55 0xaa
{ printf '\xb0\x00\xe6\xf4\xf4'; head -c 505 /dev/zero; printf '\x55\xaa'; } > "$img"
timeout 3 qemu-system-x86_64 -machine pc,accel=kvm -nodefaults -display none -no-reboot \
	-device isa-debug-exit,iobase=0xf4 -drive "file=$img,format=raw,if=floppy" \
	>/dev/null 2>&1
[ $? = 1 ] && result kvm
result tcg
