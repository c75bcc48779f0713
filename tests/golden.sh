#!/usr/bin/env bash
# Golden tests of a program's output: golden.sh PROGRAM DATADIR
#
# Each line of DATADIR/cases.txt, "NAME | ARGUMENTS | EXIT STATUS [| STDIN FILE]",
# runs PROGRAM ARGUMENTS (with @D@ = DATADIR and @S@ = a state directory the
# lines of one run share, in order) and compares stdout+stderr with
# DATADIR/NAME.out and the exit status. Runs in fresh network and mount namespaces (its own /sys) that
# holds only a bridge br0, so live checks see only that, and what DATADIR/setup.sh
# adds, if there is one: it is sourced first, and may start programs that hold
# links, adding their PIDs to 'pids' (killed when the run ends).
# '@ANY@' in a .out file stands for any text: where another program's own
# words (a libvirt error) are quoted, which change between its versions.
# Where the kernel has no bridge VLAN filtering, NAME.no-vlan-filtering.out,
# if there is one, is expected instead (tests/meson.build runs the cases in
# the test guest's kernel too, which has it).
# TAPGATE_UPDATE_GOLDEN=1 rewrites the .out files that differ (review the diff!).
set -uo pipefail
prog=$1 data=$(cd "$2" && pwd)
if [ -z "${TG_IN_NETNS:-}" ]; then
	TG_IN_NETNS=1 exec unshare --net --mount "$0" "$prog" "$data"
fi
mount --make-rprivate /
mount -t sysfs tapgate-sys /sys	# this namespace's links (bridge MACs)
ip link add br0 type bridge
state=$(mktemp -d)
pids=()
trap 'rm -rf "$state"; [ ${#pids[@]} = 0 ] || kill "${pids[@]}" 2>/dev/null' EXIT
# shellcheck disable=SC1091
[ ! -f "$data/setup.sh" ] || . "$data/setup.sh" || { echo "Bail out! $data/setup.sh failed"; exit 1; }

# same OUT WANT: OUT is WANT, with '@ANY@' in WANT matching any text.
same() {
	local out=$1 want=$2 re='' lit
	[[ $want == *@ANY@* ]] || { [ "$out" = "$want" ]; return; }
	while :; do
		lit=${want%%@ANY@*}
		re+=$(printf '%s' "$lit" | sed 's/[][\.*^$+?(){}|/]/\\&/g')
		[[ $want == *@ANY@* ]] || break
		re+='.*'
		want=${want#*@ANY@}
	done
	[[ $out =~ ^$re$ ]]
}

# Only a kernel with bridge VLAN filtering reports a bridge's VLAN protocol.
variant=
[ -e /sys/class/net/br0/bridge/vlan_protocol ] || variant=.no-vlan-filtering

n=0 failed=0
cases=$(grep -v '^#' "$data/cases.txt" | grep .)
echo "1..$(echo "$cases" | wc -l)"
while IFS='|' read -r name args want input; do
	name=$(echo $name) want=$(echo $want) input=$(echo $input)
	args=${args//@D@/$data}
	args=${args//@S@/$state}
	n=$((n + 1))
	stdin=/dev/null
	[ -z "$input" ] || stdin=$data/$input
	# shellcheck disable=SC2086
	out=$("$prog" $args < "$stdin" 2>&1)
	rc=$?
	out=${out//$data/@D@}
	out=${out//$state/@S@}
	golden=$data/$name.out
	[ -z "$variant" ] || [ ! -f "$data/$name$variant.out" ] || golden=$data/$name$variant.out
	if [ "${TAPGATE_UPDATE_GOLDEN:-}" = 1 ] && ! same "$out" "$(cat "$golden" 2>/dev/null)"; then
		printf '%s\n' "$out" > "$golden"
	fi
	if [ "$rc" = "$want" ] && same "$out" "$(cat "$golden" 2>/dev/null)"; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name (exit $rc, want $want) [${golden##*/}]"
		diff <(cat "$golden" 2>/dev/null) <(printf '%s\n' "$out") | sed 's/^/# /'
		failed=1
	fi
done <<< "$cases"
exit $failed
