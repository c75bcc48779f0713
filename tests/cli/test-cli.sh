#!/usr/bin/env bash
# Golden tests of the tapgate command: for each line of tests/data/cli/cases.txt
# run it in a fresh network namespace (its live checks see only what the test
# made: a bridge br0 and nothing else) and compare stdout+stderr with NAME.out
# and the exit status. TAPGATE_UPDATE_GOLDEN=1 rewrites the .out files.
set -uo pipefail
: "${TAPGATE_CLI:?TAPGATE_CLI must name the built tapgate}"
data=$(cd "$(dirname "$0")/../data/cli" && pwd)
if [ -z "${TG_IN_NETNS:-}" ]; then
	TG_IN_NETNS=1 exec unshare --net "$0" "$@"
fi
ip link add br0 type bridge

n=0 failed=0
cases=$(grep -v '^#' "$data/cases.txt")
echo "1..$(echo "$cases" | grep -c .)"
while IFS='|' read -r name args want; do
	name=$(echo $name) want=$(echo $want) args=${args//@D@/$data}
	n=$((n + 1))
	# shellcheck disable=SC2086
	out=$("$TAPGATE_CLI" $args 2>&1)
	rc=$?
	out=${out//$data/@D@}
	if [ "${TAPGATE_UPDATE_GOLDEN:-}" = 1 ]; then
		printf '%s\n' "$out" > "$data/$name.out"
	fi
	if [ "$rc" = "$want" ] && [ "$out" = "$(cat "$data/$name.out" 2>/dev/null)" ]; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name (exit $rc, want $want)"
		diff <(cat "$data/$name.out" 2>/dev/null) <(printf '%s\n' "$out") | sed 's/^/# /'
		failed=1
	fi
done <<< "$cases"
exit $failed
