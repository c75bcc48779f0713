# SPDX-License-Identifier: GPL-2.0-or-later
# TAP for the shell tests. 'check DESCRIPTION COMMAND...' runs COMMAND in
# this shell (what it starts outlives the check), its output kept in a file,
# and prints "ok N - DESCRIPTION", or "not ok" and the output as comments;
# with TG_VERBOSE=1 the output of passing checks too. End with 'tap_end'.

# Checks pipe into 'grep -q', which exits at the first match: with pipefail
# the writer's SIGPIPE would turn a match into a failure.
set +o pipefail

tap_n=0 tap_failed=0
tap_log=$(mktemp /tmp/tap-log.XXXXXX)

check() {
	local desc=$1
	shift
	tap_n=$((tap_n + 1))
	if "$@" >"$tap_log" 2>&1; then
		echo "ok $tap_n - $desc"
		[ -z "${TG_VERBOSE:-}" ] || sed 's/^/# /' "$tap_log"
	else
		echo "not ok $tap_n - $desc"
		sed 's/^/# /' "$tap_log"
		tap_failed=1
	fi
}

# expect WANT COMMAND...: the command's output is exactly WANT
expect() {
	local want=$1 got
	shift
	got=$("$@" 2>&1) || true
	[ "$got" = "$want" ] || { echo "got '$got', want '$want'"; return 1; }
}

# matches TEXT REGEX...: every REGEX matches some line of TEXT (grep -E)
matches() {
	local text=$1 re
	shift
	for re in "$@"; do
		grep -qE -- "$re" <<<"$text" || { echo "no line matches '$re'"; return 1; }
	done
}

# The exit status of the test: 1 if any check failed.
tap_end() {
	rm -f "$tap_log"
	exit "$tap_failed"
}
