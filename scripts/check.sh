#!/usr/bin/env bash
# tapgate's test command: on a fresh Debian 12 machine, install what the build
# and the tests need, build with -Werror, and run every test suite.
#
#   scripts/check.sh                         # everything, on this system
#   scripts/check.sh --suite unit            # extra arguments go to 'meson test'
#   scripts/check.sh --distro trixie [ARGS]  # the same in a fresh Debian 13 tree
#
# Needs root (apt-get, and the integration tests create namespaces).
# BUILD_DIR (default: build) is reused between runs.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib.sh
if [ "${1:-}" = --distro ]; then
	[ $# -ge 2 ] || { echo "check.sh: '--distro' needs a Debian suite name (e.g. trixie)" >&2; exit 2; }
	suite=$2
	shift 2
	tg_install debootstrap
	start=$SECONDS
	status=0
	TG_LANE=$suite tg_distro_run "$PWD" "$suite" "$@" || status=$?
	echo "lane $suite: $((SECONDS - start)) s in all, exit status $status"
	exit "$status"
fi
tg_install_deps
build=${BUILD_DIR:-build}
tg_build "$build"

status=0
meson test -C "$build" --print-errorlogs "$@" || status=$?
logs=("$build/meson-logs/testlog.txt")

# Unless a suite was chosen: the unit and netns suites again under
# ASan+UBSan (clang), and every fuzz target for FUZZ_SECONDS (default 15).
if [ $# -eq 0 ]; then
	fuzz=${FUZZ_BUILD_DIR:-build-fuzz}
	tg_build_fuzz "$fuzz"
	meson configure "$fuzz" -Dfuzz_seconds="${FUZZ_SECONDS:-15}"
	meson test -C "$fuzz" --print-errorlogs --suite unit --suite netns --suite fuzz ||
		status=$?
	logs+=("$fuzz/meson-logs/testlog.txt")
fi

# One closing line with the count of every test case (the TAP lines).
skipped=$(cat "${logs[@]}" | grep -cE '^ok [0-9]+ .*# SKIP' || true)
failed=$(cat "${logs[@]}" | grep -cE '^not ok [0-9]+ ' || true)
passed=$(( $(cat "${logs[@]}" | grep -cE '^ok [0-9]+ ' || true) - skipped ))
if [ "${CI:-}" = true ] && [ "$skipped" -gt 0 ]; then
	echo "check.sh: $skipped test(s) skipped in CI; a skipped test is not a passing test:"
	cat "${logs[@]}" | grep -E '^ok [0-9]+ .*# SKIP'
	status=1
fi
echo "${TG_LANE:-tapgate}: $passed passed, $failed failed, $skipped skipped"
exit "$status"
