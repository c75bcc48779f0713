#!/usr/bin/env bash
# tapgate's test command: on a fresh Debian 12 machine, install what the build
# and the tests need, build with -Werror, and run every test suite.
#
#   scripts/check.sh                 # everything
#   scripts/check.sh --suite unit    # extra arguments go to 'meson test'
#
# Needs root (apt-get, and the integration tests create namespaces).
# BUILD_DIR (default: build) is reused between runs.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib.sh
tg_install_deps
build=${BUILD_DIR:-build}
tg_build "$build"

status=0
meson test -C "$build" --print-errorlogs "$@" || status=$?

# One closing line with the count of every test case (GTest's TAP lines).
log="$build/meson-logs/testlog.txt"
skipped=$(grep -cE '^ok [0-9]+ .*# SKIP' "$log" || true)
failed=$(grep -cE '^not ok [0-9]+ ' "$log" || true)
passed=$(( $(grep -cE '^ok [0-9]+ ' "$log" || true) - skipped ))
if [ "${CI:-}" = true ] && [ "$skipped" -gt 0 ]; then
	echo "check.sh: $skipped test(s) skipped in CI; a skipped test is not a passing test:"
	grep -E '^ok [0-9]+ .*# SKIP' "$log"
	status=1
fi
echo "tapgate: $passed passed, $failed failed, $skipped skipped"
exit "$status"
