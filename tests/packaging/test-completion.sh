#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for tapgate: each line typed gives the expected candidates.
# Also: the options offered for each command are exactly those its --help lists.
#   test-completion.sh SRCDIR TAPGATE-BINARY
set -uo pipefail
src=$1 tapgate=$2
. /usr/share/bash-completion/bash_completion || { echo "bash-completion is not installed"; exit 1; }
. "$src/packaging/bash-completion/tapgate"

# complete LINE: the candidates for the last word of LINE, one line, sorted.
complete_line() {
	COMP_LINE=$1 COMP_POINT=${#1}
	read -ra COMP_WORDS <<<"$1"
	[[ $1 == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_tapgate tapgate "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}

# line typed | candidates expected (exactly)
cases=(
	"tapgate |--help --version check explain mac port run status sync xml "
	"tapgate port |--help attach detach "
	"tapgate run --|--help --helper --net "
	"tapgate run --net n0|n0= "
	"tapgate run --net n0=br0 -- tapgate run --ne|--net "
	"tapgate run --net n0=br0 tapgate ru|run "
	"tapgate ex|explain "
	"tapgate xml |attach interface network "
	"tapgate xml network --b|--bridge "
	"tapgate xml interface --pin|--pin-mac "
	"tapgate explain --u|--user "
	"tapgate explain --user roo|root "
	"tapgate sync --|--connect --dry-run --help --watch "
	"tapgate check --policy /etc/tapgate/tapgate.conf --|--acl --help --policy "
	"tapgate mac --uuid 1 --i|--index "
	"tapgate xml attach --model vi|virtio "
	"tapgate status --|--help --network --policy "
)
commands=(check explain sync "xml interface" "xml network" "xml attach" mac "port attach" "port detach" run)
[ -n "$("$tapgate" status --help 2>/dev/null)" ] && commands+=(status)
n=0 fail=0
echo "1..$((${#cases[@]} + ${#commands[@]}))"
for c in "${cases[@]}"; do
	n=$((n + 1))
	line=${c%%|*} want=${c#*|}
	got=$(complete_line "$line")
	if [ "$got" = "$want" ]; then
		echo "ok $n - '$line'"
	else
		echo "not ok $n - '$line': got '$got', want '$want'"
		fail=1
	fi
done
for c in "${commands[@]}"; do
	n=$((n + 1))
	# shellcheck disable=SC2086 # "xml interface" is two words
	help=$("$tapgate" $c --help 2>&1 | grep -oE -- '--[a-z-]+' | sort -u | tr '\n' ' ')
	offered=$(_tapgate_options "$c" | tr -s ' \t\n' '\n' | grep . | sort -u | tr '\n' ' ')
	if [ "$help" = "$offered" ]; then
		echo "ok $n - options of '$c'"
	else
		echo "not ok $n - options of '$c': --help lists '$help', completion offers '$offered'"
		fail=1
	fi
done
exit $fail
