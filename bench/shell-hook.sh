#!/bin/sh
# The baseline: a hand-written libvirt qemu hook of the kind users write,
# doing tapgate-hook's MAC pinning with ip, bridge and xmllint. It reads the
# same metadata (<tapgate:port mac=... pin-mac="yes"/>) and pins as tapgate
# does: static and sticky (a plain static entry moves to whichever port
# sends with its MAC).
[ "$2" = start ] || exit 0
xml=$(cat)
n=$(printf '%s' "$xml" | xmllint --xpath 'count(/domain/devices/interface)' -)
i=1
while [ "$i" -le "$n" ]; do
	mac=$(printf '%s' "$xml" | xmllint --xpath "string(/domain/devices/interface[$i]/mac/@address)" -)
	dev=$(printf '%s' "$xml" | xmllint --xpath "string(/domain/devices/interface[$i]/target/@dev)" -)
	pin=$(printf '%s' "$xml" | xmllint --xpath "string(//*[local-name()='port'][@mac='$mac']/@pin-mac)" -)
	if [ "$pin" = yes ]; then
		bridge fdb replace "$mac" dev "$dev" master static sticky || exit 1
		bridge link set dev "$dev" learning off locked on || exit 1
	fi
	i=$((i + 1))
done
